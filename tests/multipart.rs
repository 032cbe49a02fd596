//! Large bodies uploaded in S3 multipart parts (feature `large-uploads`),
//! against the stand-in's storage: what arrives, in how many parts,
//! progress, credentials kept away from storage, a part retried, a part
//! failing for good (aborted, one clear line), the fallback to one `PUT`
//! when storage refuses multipart or it is not offered, and storage
//! stopping mid-upload.
#![cfg(all(feature = "testing", feature = "large-uploads"))]

use std::future::IntoFuture;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ionworks::testing::{Fault, LoggedRequest, MultipartOffer, StandIn};
use ionworks::types::MeasurementMetadata;
use ionworks::upload::FilePart;
use ionworks::wait::WaitError;

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

const MIB: usize = 1024 * 1024;

/// The `(sent, total)` reported, in order.
type Seen = Arc<Mutex<Vec<(u64, Option<u64>)>>>;

/// A file of `len` bytes of a pattern that differs from part to part, in
/// a fresh directory.
fn file(name: &str, len: usize) -> (std::path::PathBuf, Vec<u8>) {
    let dir = std::env::temp_dir().join(format!(
        "ionworks-multipart-{}-{}",
        std::process::id(),
        fastrand::u32(..)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let bytes: Vec<u8> = (0..len).map(|i| ((i * 31 + i / MIB) % 251) as u8).collect();
    let path = dir.join(name);
    std::fs::write(&path, &bytes).unwrap();
    (path, bytes)
}

/// FNV-1a 64, to compare what storage assembled with what was sent.
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn no_credentials(requests: &[LoggedRequest]) {
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

/// `METHOD kind` of each storage request, in order: `create`, `part N`,
/// `complete`, `abort` or `put` (the single signed-URL `PUT`), with its status.
fn storage_calls(stand_in: &StandIn) -> Vec<(String, Option<u16>)> {
    stand_in
        .storage_requests()
        .iter()
        .map(|r| {
            let query = r.query.clone().unwrap_or_default();
            let part = query
                .split('&')
                .find_map(|p| p.strip_prefix("partNumber="))
                .map(str::to_owned);
            let kind = match (r.method.as_str(), part) {
                ("POST", _) if query.contains("uploads") => "create".to_owned(),
                ("POST", _) => "complete".to_owned(),
                ("PUT", Some(n)) => format!("part {n}"),
                ("PUT", None) => "put".to_owned(),
                ("DELETE", _) => "abort".to_owned(),
                (m, _) => m.to_owned(),
            };
            (kind, r.status)
        })
        .collect()
}

async fn upload(
    stand_in: &StandIn,
    file: FilePart,
    progress: Seen,
) -> std::result::Result<
    ionworks::types::CellMeasurement,
    WaitError<ionworks::types::CellMeasurement>,
> {
    stand_in
        .client()
        .upload_measurement(
            "instance-1",
            MeasurementMetadata::builder().name("large"),
            file,
        )
        .check_columns(false)
        .wait_for_processing(false)
        .on_progress(move |sent, total| progress.lock().unwrap().push((sent, total)))
        .await
}

fn stored(stand_in: &StandIn, id: &str) -> Option<bytes::Bytes> {
    stand_in.stored(&format!("measurements/{id}/time_series.parquet"))
}

#[tokio::test]
async fn forty_mebibytes_go_up_in_three_parts_and_arrive_unchanged() -> Result {
    let stand_in = StandIn::start().await?;
    let (path, bytes) = file("big.parquet", 40 * MIB);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let measurement = upload(&stand_in, FilePart::path(&path), seen.clone()).await?;

    let stored = stored(&stand_in, &measurement.id).expect("assembled in storage");
    assert_eq!(stored.len(), bytes.len());
    assert_eq!(fnv(&stored), fnv(&bytes), "byte for byte");

    let mut calls = storage_calls(&stand_in);
    // Parts go two at a time: their order in the log may vary.
    calls[1..4].sort();
    let ok = Some(200);
    assert_eq!(
        calls,
        [
            ("create".to_owned(), ok),
            ("part 1".to_owned(), ok),
            ("part 2".to_owned(), ok),
            ("part 3".to_owned(), ok),
            ("complete".to_owned(), ok),
        ]
    );
    let requests = stand_in.storage_requests();
    no_credentials(&requests);
    for r in &requests {
        let query = r.query.as_deref().unwrap_or_default();
        assert!(
            query.contains("X-Amz-Credential=")
                && query.contains("X-Amz-Signature=<redacted>")
                && query.contains("X-Amz-Security-Token=<redacted>"),
            "presigned with the session token, and the log redacts both: {query}"
        );
    }
    let part_sizes: Vec<Option<&str>> = requests
        .iter()
        .filter(|r| r.method == "PUT")
        .map(|r| r.header("content-length"))
        .collect();
    assert_eq!(part_sizes.len(), 3);
    assert!(part_sizes.contains(&Some("8388608")), "{part_sizes:?}");
    assert_eq!(stand_in.open_multipart_uploads(), 0);

    let seen = seen.lock().unwrap();
    let total = bytes.len() as u64;
    assert_eq!(seen.first(), Some(&(0, Some(total))));
    assert_eq!(
        seen.last(),
        Some(&(total, Some(total))),
        "progress reaches the total"
    );
    assert!(seen.windows(2).all(|w| w[0].0 <= w[1].0), "and only grows");
    Ok(())
}

#[tokio::test]
async fn a_part_that_fails_once_is_sent_again() -> Result {
    let stand_in = StandIn::start().await?;
    stand_in.inject_storage_parts(Fault::Status(500), 1);
    // From memory this time: parts are slices of the bytes.
    let (_, bytes) = file("retry.parquet", 20 * MIB);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let measurement = upload(
        &stand_in,
        FilePart::bytes("retry.parquet", bytes.clone()),
        seen.clone(),
    )
    .await?;
    let stored = stored(&stand_in, &measurement.id).expect("assembled");
    assert_eq!(fnv(&stored), fnv(&bytes));
    let calls = storage_calls(&stand_in);
    let parts: Vec<_> = calls
        .iter()
        .filter(|(k, _)| k.starts_with("part"))
        .collect();
    assert_eq!(parts.len(), 3, "two parts, one of them twice: {calls:?}");
    assert_eq!(parts.iter().filter(|(_, s)| *s == Some(500)).count(), 1);
    let total = bytes.len() as u64;
    assert_eq!(seen.lock().unwrap().last(), Some(&(total, Some(total))));
    Ok(())
}

#[tokio::test]
async fn a_part_that_keeps_failing_aborts_the_upload_with_one_clear_line() -> Result {
    let stand_in = StandIn::start().await?;
    stand_in.inject_storage_parts(Fault::Status(500), 100);
    let (path, _) = file("doomed.parquet", 40 * MIB);
    let err = upload(&stand_in, FilePart::path(&path), Arc::default())
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, WaitError::Start(_)), "{text}");
    let host = stand_in
        .storage_url()
        .trim_start_matches("http://")
        .to_owned();
    let prefix = "starting the measurement failed: 500 Internal Server Error from PUT part ";
    assert!(text.starts_with(prefix), "{text}");
    assert!(
        text.ends_with(&format!(
            " of 3 of time_series.parquet to {host}: Internal Server Error [InternalError]"
        )),
        "{text}"
    );
    assert!(!text.contains('\n'));

    let calls = storage_calls(&stand_in);
    // A part cancelled in flight may be logged after the abort.
    assert!(
        calls.contains(&("abort".to_owned(), Some(204))),
        "aborted: {calls:?}"
    );
    assert!(
        !calls.iter().any(|(k, _)| k == "complete"),
        "never completed: {calls:?}"
    );
    assert_eq!(
        stand_in.open_multipart_uploads(),
        0,
        "storage keeps no parts"
    );
    assert!(
        !stand_in
            .requests()
            .iter()
            .any(|r| r.path.ends_with("/confirm-upload")),
        "nothing confirmed"
    );

    // The offer's secrets stay out of the error, its Debug and the log.
    let offer = stand_in
        .client()
        .initiate_measurement_upload()
        .id("instance-1")
        .body(
            ionworks::types::InitiateMeasurementUploadRequest::builder()
                .measurement(MeasurementMetadata::builder().name("other")),
        )
        .send()
        .await?
        .into_inner()
        .uploads[0]
        .multipart
        .clone()
        .expect("a multipart offer");
    let log = format!("{:?}", stand_in.storage_requests());
    for secret in [&offer.secret_access_key, &offer.session_token] {
        assert!(!text.contains(secret.as_str()) && !format!("{err:?}").contains(secret.as_str()));
        assert!(!log.contains(secret.as_str()), "the storage log redacts it");
    }
    Ok(())
}

#[tokio::test]
async fn storage_refusing_the_credentials_falls_back_to_one_put() -> Result {
    let stand_in = StandIn::start().await?;
    stand_in.set_multipart(MultipartOffer::Refused);
    let (path, bytes) = file("fallback.parquet", 17 * MIB);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let measurement = upload(&stand_in, FilePart::path(&path), seen.clone()).await?;
    assert_eq!(
        fnv(&stored(&stand_in, &measurement.id).unwrap()),
        fnv(&bytes)
    );
    assert_eq!(
        storage_calls(&stand_in),
        [
            ("create".to_owned(), Some(403)),
            ("put".to_owned(), Some(200))
        ]
    );
    no_credentials(&stand_in.storage_requests());
    let total = bytes.len() as u64;
    assert_eq!(seen.lock().unwrap().last(), Some(&(total, Some(total))));

    // Without an offer at all: one PUT straight away.
    stand_in.set_multipart(MultipartOffer::Absent);
    let before = stand_in.storage_requests().len();
    upload(&stand_in, FilePart::path(&path), Arc::default()).await?;
    let calls = storage_calls(&stand_in);
    assert_eq!(calls[before..], [("put".to_owned(), Some(200))]);
    Ok(())
}

#[tokio::test]
async fn a_body_over_one_gibibyte_is_not_put_whole_when_multipart_is_refused() -> Result {
    let stand_in = StandIn::start().await?;
    stand_in.set_multipart(MultipartOffer::Refused);
    let (path, _) = file("huge.parquet", 0);
    // Sparse: no gibibyte is written to disk.
    std::fs::File::options()
        .write(true)
        .open(&path)?
        .set_len((1 << 30) + 1)?;
    let err = upload(&stand_in, FilePart::path(&path), Arc::default())
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("403 Forbidden from create the multipart upload of time_series.parquet")
            && err.to_string().contains("[InvalidAccessKeyId]"),
        "{err}"
    );
    assert_eq!(storage_calls(&stand_in), [("create".to_owned(), Some(403))]);
    Ok(())
}

#[tokio::test]
async fn storage_stopped_mid_upload_gives_a_clear_error_without_hanging() -> Result {
    let mut stand_in = StandIn::start().await?;
    let client = stand_in.client();
    let (path, _) = file("cut.parquet", 40 * MIB);
    let halfway = Arc::new(tokio::sync::Notify::new());
    let notify = halfway.clone();
    let started = Instant::now();
    let upload = client
        .upload_measurement(
            "instance-1",
            MeasurementMetadata::builder().name("cut"),
            FilePart::path(&path),
        )
        .check_columns(false)
        .on_progress(move |sent, _| {
            if sent >= 20 * MIB as u64 {
                notify.notify_one();
            }
        });
    let (outcome, ()) = tokio::join!(
        tokio::time::timeout(Duration::from_secs(60), upload.into_future()),
        async {
            halfway.notified().await;
            stand_in.stop_storage();
        }
    );
    let err = outcome.expect("no hang").unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(30));
    let text = err.to_string();
    assert!(matches!(err, WaitError::Start(_)), "{text}");
    let host = stand_in
        .storage_url()
        .trim_start_matches("http://")
        .to_owned();
    assert!(
        text.starts_with("starting the measurement failed: PUT part ")
            && text.contains(&format!(" of 3 of time_series.parquet to {host}: ")),
        "{text}"
    );
    assert!(!text.contains('\n') && !text.contains("X-Amz"), "{text}");
    assert!(
        !stand_in
            .requests()
            .iter()
            .any(|r| r.path.ends_with("/confirm-upload"))
    );
    Ok(())
}

#[tokio::test]
async fn a_large_raw_file_goes_up_in_parts_and_is_confirmed_with_its_size() -> Result {
    let stand_in = StandIn::start().await?;
    let (path, bytes) = file("channel 7.res", 17 * MIB);
    let raw = stand_in
        .client()
        .upload_raw_data("project-1", FilePart::path(&path))
        .await?;
    assert_eq!(raw.extra["size_bytes"], bytes.len());
    let stored = stand_in
        .stored(&format!("raw_data/{}/channel%207.res", raw.id))
        .expect("assembled under its key");
    assert_eq!(fnv(&stored), fnv(&bytes));
    let calls = storage_calls(&stand_in);
    assert_eq!(
        calls.iter().filter(|(k, _)| k.starts_with("part")).count(),
        2
    );
    Ok(())
}

#[tokio::test]
async fn a_put_the_storage_gateway_gives_up_on_goes_up_in_parts() -> Result {
    let stand_in = StandIn::start().await?;
    // A body under the threshold goes as one PUT; storage's edge answers 524.
    stand_in.inject_storage(Fault::Status(524), 1);
    let (path, bytes) = file("gateway.parquet", 3 * MIB);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let measurement = upload(&stand_in, FilePart::path(&path), seen.clone()).await?;
    let stored = stored(&stand_in, &measurement.id).expect("assembled");
    assert_eq!(fnv(&stored), fnv(&bytes));
    let calls: Vec<String> = storage_calls(&stand_in)
        .into_iter()
        .map(|(kind, status)| format!("{kind} {}", status.unwrap_or(0)))
        .collect();
    // Not the whole PUT again: in parts, at once.
    assert_eq!(
        calls,
        ["put 524", "create 200", "part 1 200", "complete 200"]
    );
    no_credentials(&stand_in.storage_requests());

    // Without an offer, the PUT is tried again whole, as any 5xx.
    stand_in.set_multipart(MultipartOffer::Absent);
    stand_in.inject_storage(Fault::Status(504), 1);
    let before = stand_in.storage_requests().len();
    upload(&stand_in, FilePart::path(&path), seen).await?;
    let again: Vec<_> = storage_calls(&stand_in)[before..].to_vec();
    assert_eq!(
        again,
        [("put".to_owned(), Some(504)), ("put".to_owned(), Some(200))]
    );
    Ok(())
}
