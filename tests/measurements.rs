//! Measurement data in and out, against the stand-in and its storage (a
//! second origin): what arrived, progress, credentials kept at the API,
//! processing to ready or failed, storage faults, downloads by redirect.
//! The bytes uploaded here are not real Parquet, so the column checks of
//! the `parquet` feature are turned off (`tests/time_series.rs` has them).
#![cfg(feature = "testing")]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::TryStreamExt;
use ionworks::testing::{Fault, Schedule, StandIn};
use ionworks::types::{JobErrorCode, MeasurementMetadata};
use ionworks::upload::FilePart;
use ionworks::wait::{WaitError, WaitPolicy};

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

const MS: Duration = Duration::from_millis(1);

fn fast() -> WaitPolicy {
    WaitPolicy::default()
        .with_min_delay(20 * MS)
        .with_max_delay(50 * MS)
        .with_timeout(Duration::from_secs(20))
}

/// A file of `len` bytes of a repeating pattern, in a fresh directory.
fn file(name: &str, len: usize) -> (std::path::PathBuf, Vec<u8>) {
    let dir = std::env::temp_dir().join(format!(
        "ionworks-measurements-{}-{}",
        std::process::id(),
        fastrand::u32(..)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let bytes: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
    let path = dir.join(name);
    std::fs::write(&path, &bytes).unwrap();
    (path, bytes)
}

fn no_credentials(requests: &[ionworks::testing::LoggedRequest]) {
    for r in requests {
        for (name, _) in &r.headers {
            assert!(
                !matches!(
                    name.as_str(),
                    "x-api-key" | "authorization" | "x-organization-id"
                ),
                "{} {} carried {name}",
                r.method,
                r.path
            );
        }
    }
}

#[tokio::test]
async fn a_file_is_uploaded_to_storage_confirmed_and_processed() -> Result {
    let stand_in = StandIn::start().await?;
    stand_in.push_job_schedule(Schedule::succeeds_after(20 * MS, 40 * MS));
    let client = stand_in.client();
    let (path, bytes) = file("cycle.parquet", 300_000);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let progress = seen.clone();
    let measurement = client
        .upload_measurement(
            "instance-1",
            MeasurementMetadata::builder()
                .name("cycle 1")
                .tags(Some(vec!["25degC".into()])),
            FilePart::path(&path),
        )
        .check_columns(false)
        .on_progress(move |sent, total| progress.lock().unwrap().push((sent, total)))
        .policy(fast())
        .await?;
    assert_eq!(measurement.processing_status.as_deref(), Some("ready"));
    assert_eq!(
        (
            measurement.name.as_str(),
            measurement.cell_instance_id.as_str()
        ),
        ("cycle 1", "instance-1")
    );
    let stored = stand_in
        .stored(&format!(
            "measurements/{}/time_series.parquet",
            measurement.id
        ))
        .expect("the time series is in storage");
    assert_eq!(
        stored.as_ref(),
        bytes.as_slice(),
        "what arrived is what was sent"
    );
    let seen = seen.lock().unwrap();
    assert_eq!(
        seen.last(),
        Some(&(bytes.len() as u64, Some(bytes.len() as u64)))
    );
    assert!(
        seen.windows(2).all(|w| w[0].0 <= w[1].0),
        "progress only grows"
    );

    let storage = stand_in.storage_requests();
    assert_eq!(storage.len(), 1, "one PUT, no steps: {storage:?}");
    assert_eq!(storage[0].method, "PUT");
    no_credentials(&storage);
    let api: Vec<String> = stand_in
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        api[0],
        "POST /cell_instances/instance-1/cell_measurements/initiate-upload"
    );
    assert_eq!(
        api[1],
        format!("POST /cell_measurements/{}/confirm-upload", measurement.id)
    );
    Ok(())
}

#[tokio::test]
async fn bytes_with_steps_and_no_wait() -> Result {
    let stand_in = StandIn::start().await?;
    stand_in.push_job_schedule(Schedule::manual());
    let client = stand_in.client();
    let measurement = client
        .upload_measurement(
            "instance-1",
            MeasurementMetadata::builder().name("cycle 2"),
            FilePart::bytes("ts.parquet", b"PAR1 time series PAR1".to_vec()),
        )
        .check_columns(false)
        .steps(FilePart::bytes(
            "steps.parquet",
            b"PAR1 steps PAR1".to_vec(),
        ))
        .wait_for_processing(false)
        .await?;
    assert_eq!(measurement.processing_status.as_deref(), Some("pending"));
    let steps = stand_in.stored(&format!("measurements/{}/steps.parquet", measurement.id));
    assert_eq!(steps.as_deref(), Some(&b"PAR1 steps PAR1"[..]));
    Ok(())
}

#[tokio::test]
async fn a_measurement_the_server_cannot_process_is_a_failed_wait() -> Result {
    let stand_in = StandIn::start().await?;
    stand_in.push_job_schedule(
        Schedule::succeeds_after(10 * MS, 10 * MS)
            .failing(JobErrorCode::ConfigurationError, "Current [A] is missing"),
    );
    let client = stand_in.client();
    let err = client
        .upload_measurement(
            "instance-1",
            MeasurementMetadata::builder().name("broken"),
            FilePart::bytes("ts.parquet", b"PAR1 PAR1".to_vec()),
        )
        .check_columns(false)
        .policy(fast())
        .await
        .unwrap_err();
    let WaitError::Failed(measurement) = &err else {
        panic!("a failed processing: {err}");
    };
    assert_eq!(
        err.to_string(),
        format!(
            "measurement {} ended unsuccessfully with status failed: Current [A] is missing",
            measurement.id
        )
    );
    Ok(())
}

#[tokio::test]
async fn a_storage_error_is_retried_from_the_start_of_the_file() -> Result {
    let stand_in = StandIn::start().await?;
    stand_in.set_default_job_schedule(Schedule::succeeds_after(MS, MS));
    stand_in.inject_storage(Fault::Status(503), 1);
    let client = stand_in.client();
    let (path, bytes) = file("retry.parquet", 100_000);
    let measurement = client
        .upload_measurement(
            "i",
            MeasurementMetadata::builder().name("m"),
            FilePart::path(&path),
        )
        .check_columns(false)
        .policy(fast())
        .await?;
    let stored = stand_in
        .stored(&format!(
            "measurements/{}/time_series.parquet",
            measurement.id
        ))
        .unwrap();
    assert_eq!(stored.as_ref(), bytes.as_slice());
    let puts: Vec<Option<u16>> = stand_in
        .storage_requests()
        .iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(puts, [Some(503), Some(200)]);
    Ok(())
}

#[tokio::test]
async fn a_storage_server_that_drops_the_connection_gives_a_clear_error() -> Result {
    let stand_in = StandIn::start().await?;
    stand_in.inject_storage(Fault::DropConnection, 3);
    let client = stand_in.client();
    let started = std::time::Instant::now();
    let err = client
        .upload_measurement(
            "i",
            MeasurementMetadata::builder().name("m"),
            FilePart::bytes("ts.parquet", vec![7u8; 50_000]),
        )
        .check_columns(false)
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(20), "no hang");
    let text = err.to_string();
    let storage = stand_in.storage_url();
    let host = storage.trim_start_matches("http://");
    assert!(matches!(err, WaitError::Start(_)), "{text}");
    assert!(
        text.starts_with(&format!(
            "starting the measurement failed: PUT time_series.parquet to {host}: "
        )),
        "{text}"
    );
    assert!(
        !text.contains("token="),
        "the signature stays out of messages: {text}"
    );
    assert_eq!(stand_in.storage_requests().len(), 3, "tried three times");
    // Nothing was confirmed.
    assert!(
        !stand_in
            .requests()
            .iter()
            .any(|r| r.path.ends_with("/confirm-upload"))
    );
    Ok(())
}

#[tokio::test]
async fn a_stream_already_read_is_not_sent_again() -> Result {
    let stand_in = StandIn::start().await?;
    stand_in.inject_storage(Fault::Status(500), 1);
    let client = stand_in.client();
    let chunks = futures_util::stream::iter(vec![Ok(bytes::Bytes::from_static(b"PAR1 PAR1"))]);
    let err = client
        .upload_measurement(
            "i",
            MeasurementMetadata::builder().name("m"),
            FilePart::stream("ts.parquet", chunks, Some(9)),
        )
        .check_columns(false)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("500 Internal Server Error"),
        "{err}"
    );
    assert_eq!(stand_in.storage_requests().len(), 1);
    Ok(())
}

#[tokio::test]
async fn metadata_missing_its_name_is_refused_before_anything_is_sent() -> Result {
    let stand_in = StandIn::start().await?;
    let client = stand_in.client();
    let err = client
        .upload_measurement(
            "i",
            MeasurementMetadata::builder().notes(Some("no name".into())),
            FilePart::bytes("ts.parquet", b"x".to_vec()),
        )
        .check_columns(false)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("name"), "{err}");
    assert!(stand_in.requests().is_empty() && stand_in.storage_requests().is_empty());
    Ok(())
}

#[tokio::test]
async fn a_download_follows_the_redirect_to_storage_without_credentials() -> Result {
    let stand_in = StandIn::start().await?;
    stand_in.set_default_job_schedule(Schedule::succeeds_after(MS, MS));
    let client = stand_in.client();
    let (path, bytes) = file("down.parquet", 70_000);
    let measurement = client
        .upload_measurement(
            "i",
            MeasurementMetadata::builder().name("m"),
            FilePart::path(&path),
        )
        .check_columns(false)
        .policy(fast())
        .await?;
    let download = client
        .download_measurement_time_series()
        .id(&measurement.id)
        .send()
        .await?;
    let body: Vec<u8> = download
        .into_inner()
        .into_inner()
        .map_ok(|chunk| chunk.to_vec())
        .try_concat()
        .await?;
    assert_eq!(body, bytes);
    let gets: Vec<_> = stand_in
        .storage_requests()
        .into_iter()
        .filter(|r| r.method == "GET")
        .collect();
    assert_eq!(gets.len(), 1);
    no_credentials(&gets);
    // Steps were never uploaded: 404 from the API, storage never asked.
    let steps = client
        .download_measurement_steps()
        .id(&measurement.id)
        .send()
        .await;
    let status = steps.err().and_then(|e| e.status()).map(|s| s.as_u16());
    assert_eq!(status, Some(404));
    Ok(())
}

#[allow(dead_code)]
#[path = "../examples/measurements.rs"]
mod example;

// The example checks its file's columns with the `parquet` feature, and
// these bytes are not Parquet.
#[cfg(not(feature = "parquet"))]
#[tokio::test]
async fn the_example_uploads_and_downloads_against_the_configured_server() -> Result {
    let stand_in = StandIn::start().await?;
    stand_in.set_default_job_schedule(Schedule::succeeds_after(MS, MS));
    let env: Vec<(&str, String)> = vec![
        ("IONWORKS_API_URL", stand_in.base_url()),
        ("IONWORKS_API_KEY", stand_in.api_key().to_string()),
    ];
    let lookup = move |name: &str| env.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone());
    let (path, bytes) = file("cell7.parquet", 20_000);
    let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let mut out = Vec::new();
    example::run(
        &args(&["upload", "inst-7", path.to_str().unwrap()]),
        &lookup,
        &mut out,
    )
    .await
    .map_err(|e| e.to_string())?;
    let text = String::from_utf8(out)?;
    assert!(
        text.contains("uploading ")
            && text.contains("as measurement `cell7` of cell instance inst-7"),
        "{text}"
    );
    let id = text
        .lines()
        .find_map(|l| l.strip_prefix("measurement ")?.strip_suffix(" is ready"))
        .expect("the measurement's id")
        .to_string();
    let to = path.with_file_name("out.parquet");
    let mut out = Vec::new();
    example::run(
        &args(&["download", &id, to.to_str().unwrap()]),
        &lookup,
        &mut out,
    )
    .await
    .map_err(|e| e.to_string())?;
    assert_eq!(std::fs::read(&to)?, bytes);
    assert_eq!(
        String::from_utf8(out)?,
        format!(
            "wrote 20000 bytes of measurement {id} to {}\n",
            to.display()
        )
    );
    // Bad arguments and a missing file are one line each.
    assert_eq!(
        example::parse_args(&args(&["upload", "x"])),
        Err("upload needs CELL_INSTANCE_ID FILE [NAME]".into())
    );
    let err = example::run(
        &args(&["upload", "x", "/no/such.parquet"]),
        &lookup,
        &mut Vec::new(),
    )
    .await
    .unwrap_err();
    assert_eq!(err.to_string(), "/no/such.parquet is not a file");
    Ok(())
}

#[tokio::test]
async fn rows_are_appended_to_a_measurement_and_processed_again() -> Result {
    let stand_in = StandIn::start().await?;
    stand_in.set_default_job_schedule(Schedule::succeeds_after(MS, MS));
    let client = stand_in.client();
    let measurement = client
        .upload_measurement(
            "instance-1",
            MeasurementMetadata::builder().name("cycle 1"),
            FilePart::bytes("ts.parquet", b"PAR1 first PAR1".to_vec()),
        )
        .check_columns(false)
        .policy(fast())
        .await?;
    let (path, bytes) = file("delta.parquet", 50_000);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let progress = seen.clone();
    let extended = client
        .extend_measurement(&measurement.id, FilePart::path(&path))
        .on_progress(move |sent, total| progress.lock().unwrap().push((sent, total)))
        .policy(fast())
        .await?;
    assert_eq!(extended.id, measurement.id);
    assert_eq!(extended.processing_status.as_deref(), Some("ready"));
    let stored = stand_in
        .stored(&format!(
            "measurements/{}/time_series_extend.parquet",
            measurement.id
        ))
        .expect("the rows are in storage");
    assert_eq!(stored.as_ref(), bytes.as_slice());
    assert_eq!(seen.lock().unwrap().last(), Some(&(50_000, Some(50_000))));
    no_credentials(&stand_in.storage_requests());

    // Stitching that fails is a failed wait naming the measurement.
    stand_in.push_job_schedule(Schedule::succeeds_after(MS, MS).failing(
        JobErrorCode::ConfigurationError,
        "Step count goes back at row 3",
    ));
    let err = client
        .extend_measurement(&measurement.id, FilePart::path(&path))
        .policy(fast())
        .await
        .unwrap_err();
    assert!(matches!(err, WaitError::Failed(_)), "{err}");
    assert!(
        err.to_string().contains("Step count goes back at row 3"),
        "{err}"
    );

    // An unknown measurement: the API's 404, before anything is uploaded.
    let before = stand_in.storage_requests().len();
    let err = client
        .extend_measurement("no-such", FilePart::path(&path))
        .await
        .unwrap_err();
    let WaitError::Start(api) = &err else {
        panic!("refused at initiate: {err}");
    };
    assert_eq!(api.status().map(|s| s.as_u16()), Some(404));
    assert_eq!(stand_in.storage_requests().len(), before);
    Ok(())
}

#[tokio::test]
async fn a_raw_cycler_file_is_uploaded_and_recorded_with_its_size() -> Result {
    let stand_in = StandIn::start().await?;
    let client = stand_in.client();
    let (path, bytes) = file("cell-7 cycling.csv", 123_457);
    let mut metadata = serde_json::Map::new();
    metadata.insert("cycler".into(), "maccor".into());
    let raw = client
        .upload_raw_data("project-1", FilePart::path(&path))
        .source("maccor export, channel 7")
        .metadata(metadata)
        .await?;
    assert_eq!(raw.project_id, "project-1");
    assert_eq!(raw.filename, "cell-7 cycling.csv");
    assert_eq!(raw.name, "cell-7 cycling.csv", "named after the file");
    assert_eq!(raw.source.as_deref(), Some("maccor export, channel 7"));
    assert_eq!(raw.extra["size_bytes"], 123_457);
    assert_eq!(raw.extra["content_type"], "text/csv");
    assert_eq!(raw.extra["metadata"]["cycler"], "maccor");
    let stored = stand_in
        .stored(&format!("raw_data/{}/cell-7%20cycling.csv", raw.id))
        .expect("the file is in storage");
    assert_eq!(stored.as_ref(), bytes.as_slice());
    let puts: Vec<_> = stand_in
        .storage_requests()
        .into_iter()
        .filter(|r| r.method == "PUT")
        .collect();
    assert_eq!(puts.len(), 1);
    no_credentials(&puts);
    let listed = client
        .list_raw_data()
        .project_id("project-1")
        .collect_all()
        .await?;
    assert_eq!(
        listed.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        [raw.id.as_str()]
    );

    // A stream of unknown length cannot be confirmed with its size.
    let stream = futures_util::stream::iter([Ok(bytes::Bytes::from_static(b"abc"))]);
    let err = client
        .upload_raw_data("project-1", FilePart::stream("pipe.bin", stream, None))
        .name("piped")
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid request to initiate_raw_data_upload: the file's size is unknown: give FilePart::stream its length"
    );
    Ok(())
}

#[tokio::test]
async fn a_file_measurement_keeps_its_files_and_reads_them_back() -> Result {
    let stand_in = StandIn::start().await?;
    let client = stand_in.client();
    let (path, pdf) = file("data sheet.pdf", 150_000);
    let png = b"\x89PNG cross-section".to_vec();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let progress = seen.clone();
    let measurement = client
        .upload_file_measurement(
            "instance-1",
            MeasurementMetadata::builder()
                .name("teardown")
                .notes(Some("cell 7".into())),
            [
                FilePart::path(&path),
                FilePart::bytes("section.png", png.clone()),
            ],
        )
        .on_progress(move |sent, total| progress.lock().unwrap().push((sent, total)))
        .await?;
    assert_eq!(
        measurement.measurement_type,
        ionworks::types::MeasurementType::File
    );
    assert_eq!(
        (
            measurement.name.as_str(),
            measurement.cell_instance_id.as_str()
        ),
        ("teardown", "instance-1")
    );
    assert_eq!(measurement.processing_status, None, "nothing to process");
    assert!(
        seen.lock().unwrap().contains(&(150_000, Some(150_000))),
        "progress reaches each file's size"
    );

    let files = client
        .list_measurement_files()
        .id(&measurement.id)
        .send()
        .await?;
    assert_eq!(files.filenames, ["data sheet.pdf", "section.png"]);
    for (name, bytes) in [("data sheet.pdf", &pdf), ("section.png", &png)] {
        let body: Vec<u8> = client
            .download_measurement_file()
            .id(&measurement.id)
            .filename(name)
            .send()
            .await?
            .into_inner()
            .into_inner()
            .map_ok(|chunk| chunk.to_vec())
            .try_concat()
            .await?;
        assert_eq!(&body, bytes, "{name} reads back as sent");
    }
    let storage = stand_in.storage_requests();
    let puts: Vec<_> = storage.iter().filter(|r| r.method == "PUT").collect();
    assert_eq!(puts.len(), 2);
    assert_eq!(puts[1].header("content-type"), Some("image/png"));
    no_credentials(&storage);

    // What went to the API: the names at initiate and at confirm, as files.
    let api = stand_in.requests();
    let paths: Vec<String> = api
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        paths[..2],
        [
            "POST /cell_instances/instance-1/cell_measurements/initiate-upload".to_owned(),
            format!("POST /cell_measurements/{}/confirm-upload", measurement.id),
        ]
    );

    // Two files of one name, or none, are refused before anything is sent.
    let before = stand_in.requests().len();
    let err = client
        .upload_file_measurement(
            "instance-1",
            MeasurementMetadata::builder().name("twice"),
            [FilePart::path(&path), FilePart::path(&path)],
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid request to initiate_measurement_upload: two files are named data sheet.pdf"
    );
    let err = client
        .upload_file_measurement(
            "instance-1",
            MeasurementMetadata::builder().name("none"),
            [],
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("at least one file"), "{err}");
    assert_eq!(stand_in.requests().len(), before);
    Ok(())
}

/// Without `large-uploads`, a body over one single `PUT`'s limit whose
/// target offers multipart is refused before it is sent, naming the feature.
#[cfg(not(feature = "large-uploads"))]
#[tokio::test]
async fn a_body_over_one_gibibyte_needs_the_large_uploads_feature() -> Result {
    let stand_in = StandIn::start().await?;
    let (path, _) = file("huge.parquet", 0);
    // Sparse: no gibibyte is written to disk.
    std::fs::File::options()
        .write(true)
        .open(&path)?
        .set_len((1 << 30) + 1)?;
    let err = stand_in
        .client()
        .upload_measurement(
            "i",
            MeasurementMetadata::builder().name("huge"),
            FilePart::path(&path),
        )
        .check_columns(false)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("build with the `large-uploads` feature"),
        "{err}"
    );
    assert!(stand_in.storage_requests().is_empty());
    Ok(())
}

#[tokio::test]
async fn an_upload_target_shows_no_credential_in_its_debug() -> Result {
    let stand_in = StandIn::start().await?;
    let answer = stand_in
        .client()
        .initiate_measurement_upload()
        .id("instance-1")
        .body(
            ionworks::types::InitiateMeasurementUploadRequest::builder()
                .measurement(MeasurementMetadata::builder().name("cycling")),
        )
        .send()
        .await?
        .into_inner();
    let target = &answer.uploads[0];
    let offer = target.multipart.clone().expect("a multipart offer");
    let (address, signature) = target.signed_url.split_once('?').expect("a signed URL");

    let shown = format!("{answer:?}");
    let builder = format!(
        "{:?}",
        ionworks::types::builder::UploadInfo::from(target.clone())
    );
    for text in [&shown, &builder] {
        for secret in [
            &target.token,
            &offer.secret_access_key,
            &offer.session_token,
        ] {
            assert!(!text.contains(secret.as_str()), "{secret} in {text}");
        }
        assert!(!text.contains(signature), "the URL's signature in {text}");
        // What is not a credential is shown as the derive would.
        assert!(text.contains(&format!("{address:?}?<redacted>")), "{text}");
        assert!(
            text.contains(&format!(
                "token: {}<redacted>",
                if text == &builder { "Ok(" } else { "" }
            )),
            "{text}"
        );
    }
    assert!(
        shown.contains(&format!("access_key_id: {:?}", offer.access_key_id)),
        "{shown}"
    );
    assert!(
        shown.contains(&format!("bucket: {:?}", offer.bucket)),
        "{shown}"
    );
    Ok(())
}
