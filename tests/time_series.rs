//! Time-series checks and Parquet writing (feature `parquet`): one test per
//! rule with the message a user sees, CSV and record batches to Parquet,
//! and an upload refused before anything is sent.
#![cfg(all(feature = "parquet", feature = "testing"))]

use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use ionworks::testing::{Schedule, StandIn};
use ionworks::time_series::{
    REQUIRED_COLUMNS, check_batches, check_parquet_file, csv_to_parquet, write_parquet,
};
use ionworks::types::MeasurementMetadata;
use ionworks::upload::FilePart;

fn dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "ionworks-time-series-{}-{}",
        std::process::id(),
        fastrand::u32(..)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A valid batch of `rows` rows starting at time `t0`, with `change`
/// applied to its columns first.
fn batch(
    t0: f64,
    rows: usize,
    change: impl FnOnce(&mut Vec<(&'static str, ArrayRef)>),
) -> RecordBatch {
    let time: Vec<f64> = (0..rows).map(|i| t0 + i as f64).collect();
    let mut columns: Vec<(&'static str, ArrayRef)> = vec![
        ("Time [s]", Arc::new(Float64Array::from(time))),
        ("Voltage [V]", Arc::new(Float64Array::from(vec![4.0; rows]))),
        (
            "Current [A]",
            Arc::new(Float64Array::from(vec![-1.0; rows])),
        ),
        ("Step count", Arc::new(Int64Array::from(vec![1; rows]))),
        ("Cycle count", Arc::new(Int64Array::from(vec![0; rows]))),
    ];
    change(&mut columns);
    RecordBatch::try_from_iter(columns).unwrap()
}

fn refusal(batches: &[RecordBatch]) -> String {
    check_batches(batches).unwrap_err().to_string()
}

#[test]
fn a_valid_series_over_several_batches_passes() {
    let rows = check_batches(&[batch(0.0, 10, |_| {}), batch(10.0, 5, |_| {})]).unwrap();
    assert_eq!(rows, 15);
}

#[test]
fn each_required_column_must_be_present() {
    for name in REQUIRED_COLUMNS {
        let b = batch(0.0, 3, |c| c.retain(|(n, _)| *n != name));
        let message = refusal(&[b]);
        assert!(
            message.starts_with(&format!("column `{name}`: missing (columns found: ")),
            "{message}"
        );
    }
}

#[test]
fn a_column_must_be_numeric() {
    let b = batch(0.0, 2, |c| {
        c[1].1 = Arc::new(StringArray::from(vec!["4.2", "4.1"]))
    });
    assert_eq!(
        refusal(&[b]),
        "column `Voltage [V]`: is Utf8, not a number type"
    );
}

#[test]
fn a_value_may_not_be_empty() {
    let b = batch(0.0, 3, |c| {
        c[2].1 = Arc::new(Float64Array::from(vec![Some(-1.0), None, Some(-1.0)]))
    });
    assert_eq!(refusal(&[b]), "column `Current [A]`, row 1: empty (null)");
}

#[test]
fn a_value_must_be_finite() {
    let b = batch(0.0, 3, |c| {
        c[1].1 = Arc::new(Float64Array::from(vec![4.0, f64::NAN, 4.0]))
    });
    assert_eq!(
        refusal(&[b]),
        "column `Voltage [V]`, row 1: NaN is not a finite number"
    );
}

#[test]
fn time_starts_at_zero() {
    assert_eq!(
        refusal(&[batch(5.0, 3, |_| {})]),
        "column `Time [s]`, row 0: time starts at 5, not 0"
    );
}

#[test]
fn time_never_decreases_across_batches() {
    let message = refusal(&[batch(0.0, 10, |_| {}), batch(4.0, 3, |_| {})]);
    assert_eq!(
        message,
        "column `Time [s]`, row 10: time goes back from 9 to 4"
    );
}

#[test]
fn an_empty_series_is_refused() {
    assert_eq!(
        refusal(&[batch(0.0, 0, |_| {})]),
        "the time series has no rows"
    );
}

#[test]
fn batches_and_csv_are_written_as_parquet_and_read_back() {
    let dir = dir();
    let out = dir.join("batches.parquet");
    let rows = write_parquet(
        [Ok(batch(0.0, 100, |_| {})), Ok(batch(100.0, 50, |_| {}))],
        &out,
    )
    .unwrap();
    assert_eq!(rows, 150);
    assert_eq!(check_parquet_file(&out).unwrap(), 150);
    let head = std::fs::read(&out).unwrap();
    assert_eq!(&head[..4], b"PAR1");

    let csv = dir.join("cycle.csv");
    let mut text = String::from("Time [s],Voltage [V],Current [A],Step count,Cycle count\n");
    for i in 0..2000 {
        text.push_str(&format!(
            "{i}.0,{:.3},-1.5,{},{}\n",
            4.2 - i as f64 * 1e-4,
            i / 500,
            i / 1000
        ));
    }
    std::fs::write(&csv, text).unwrap();
    let out = dir.join("cycle.parquet");
    assert_eq!(csv_to_parquet(&csv, &out).unwrap(), 2000);
    assert_eq!(check_parquet_file(&out).unwrap(), 2000);

    // A CSV whose time goes back names its row; nothing is left to upload by mistake.
    std::fs::write(&csv, "Time [s],Voltage [V],Current [A],Step count,Cycle count\n0,4,1,0,0\n2,4,1,0,0\n1,4,1,0,0\n").unwrap();
    let err = csv_to_parquet(&csv, dir.join("bad.parquet")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "column `Time [s]`, row 2: time goes back from 2 to 1"
    );
    assert_eq!(
        (err.column.as_deref(), err.row),
        (Some("Time [s]"), Some(2))
    );
    // Not Parquet at all.
    let err = check_parquet_file(&csv).unwrap_err().to_string();
    assert!(err.starts_with("not a readable Parquet file: "), "{err}");
}

#[tokio::test]
async fn an_upload_is_checked_before_anything_is_sent() {
    let stand_in = StandIn::start().await.unwrap();
    stand_in.set_default_job_schedule(Schedule::succeeds_after(
        std::time::Duration::ZERO,
        std::time::Duration::ZERO,
    ));
    let client = stand_in.client();
    let dir = dir();
    let bad = dir.join("bad.parquet");
    // Written without checks, as another tool might.
    let b = batch(0.0, 3, |c| c.retain(|(n, _)| *n != "Cycle count"));
    let mut writer = parquet::arrow::ArrowWriter::try_new(
        std::fs::File::create(&bad).unwrap(),
        b.schema(),
        None,
    )
    .unwrap();
    writer.write(&b).unwrap();
    writer.close().unwrap();
    let err = client
        .upload_measurement(
            "i",
            MeasurementMetadata::builder().name("m"),
            FilePart::path(&bad),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "starting the measurement failed: invalid request to upload_measurement: {}: column `Cycle count`: missing (columns found: Time [s], Voltage [V], Current [A], Step count)",
            bad.display()
        )
    );
    assert!(stand_in.requests().is_empty() && stand_in.storage_requests().is_empty());

    // A valid file goes through, and so does an unchecked one when asked.
    let good = dir.join("good.parquet");
    write_parquet([Ok(batch(0.0, 1000, |_| {}))], &good).unwrap();
    let measurement = client
        .upload_measurement(
            "i",
            MeasurementMetadata::builder().name("good"),
            FilePart::path(&good),
        )
        .await
        .unwrap();
    assert_eq!(measurement.processing_status.as_deref(), Some("ready"));
    client
        .upload_measurement(
            "i",
            MeasurementMetadata::builder().name("raw"),
            FilePart::bytes("x", b"not parquet".to_vec()),
        )
        .check_columns(false)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_measurement_is_read_back_into_record_batches() {
    let stand_in = StandIn::start().await.unwrap();
    stand_in.set_default_job_schedule(Schedule::succeeds_after(
        std::time::Duration::ZERO,
        std::time::Duration::ZERO,
    ));
    let client = stand_in.client();
    let dir = dir();
    let file = dir.join("up.parquet");
    let sent = [batch(0.0, 1000, |_| {}), batch(1000.0, 234, |_| {})];
    write_parquet(sent.iter().cloned().map(Ok), &file).unwrap();
    let measurement = client
        .upload_measurement(
            "i",
            MeasurementMetadata::builder().name("m"),
            FilePart::path(&file),
        )
        .await
        .unwrap();
    let batches = client
        .download_time_series_batches(&measurement.id)
        .await
        .unwrap();
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    assert_eq!(rows, 1234);
    assert_eq!(check_batches(&batches).unwrap(), 1234);
    let times: Vec<f64> = batches
        .iter()
        .flat_map(|b| {
            let column = b.column_by_name("Time [s]").unwrap();
            let column = column.as_any().downcast_ref::<Float64Array>().unwrap();
            column.values().to_vec()
        })
        .collect();
    assert_eq!(times, (0..1234).map(f64::from).collect::<Vec<_>>());

    // What storage holds is not Parquet: a decode error naming the operation.
    let text = dir.join("notes.parquet");
    std::fs::write(&text, "cycle 1: fine").unwrap();
    let measurement = client
        .upload_measurement(
            "i",
            MeasurementMetadata::builder().name("notes"),
            FilePart::path(&text),
        )
        .check_columns(false)
        .await
        .unwrap();
    let err = client
        .download_time_series_batches(&measurement.id)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ionworks::ErrorKind::Decode);
    let shown = err.to_string();
    assert!(
        shown.starts_with(
            "invalid response from download_measurement_time_series: not a readable Parquet file"
        ),
        "{shown}"
    );
    // Unknown ids are the API's 404.
    let err = client
        .download_time_series_batches("nope")
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404), "{err}");
}
