//! Time-series data as the API takes it (feature `parquet`): the required
//! columns checked before anything is sent, and Arrow record batches or a
//! CSV file written as Parquet (zstd) while streaming.
//!
//! A measurement's time series needs the columns of [`REQUIRED_COLUMNS`],
//! each numeric and without nulls, with `Time [s]` starting at 0 and never
//! decreasing. [`check_parquet`] reads a file batch by batch (memory stays
//! flat); [`write_parquet`] and [`csv_to_parquet`] check while they write;
//! [`read_parquet`] reads a downloaded time series back into batches
//! (`client.download_time_series_batches(id)` does both).
//! With this feature, [`Client::upload_measurement`](crate::Client::upload_measurement)
//! checks a time series given as a path or bytes before it is uploaded.
//!
//! ```
//! use std::sync::Arc;
//! use arrow_array::{Float64Array, Int64Array, RecordBatch};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let batch = RecordBatch::try_from_iter([
//!     ("Time [s]", Arc::new(Float64Array::from(vec![0.0, 1.0, 0.5])) as _),
//!     ("Voltage [V]", Arc::new(Float64Array::from(vec![4.2, 4.1, 4.0])) as _),
//!     ("Current [A]", Arc::new(Float64Array::from(vec![-1.0, -1.0, -1.0])) as _),
//!     ("Step count", Arc::new(Int64Array::from(vec![0, 0, 0])) as _),
//!     ("Cycle count", Arc::new(Int64Array::from(vec![0, 0, 0])) as _),
//! ])?;
//! let err = ionworks::time_series::check_batches([&batch]).unwrap_err();
//! assert_eq!(err.to_string(), "column `Time [s]`, row 2: time goes back from 1 to 0.5");
//! # Ok(()) }
//! ```

use std::fmt;
use std::path::Path;

use arrow_array::RecordBatch;
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type,
    UInt32Type, UInt64Type,
};
use arrow_schema::DataType;

/// The columns every time-series measurement must have.
pub const REQUIRED_COLUMNS: [&str; 5] = [
    "Time [s]",
    "Voltage [V]",
    "Current [A]",
    "Step count",
    "Cycle count",
];

/// Rows read or written per batch.
const BATCH_ROWS: usize = 64 * 1024;

/// Why a time series was refused: the column and the first bad row (both
/// when known), and what is wrong.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ColumnError {
    /// The column at fault.
    pub column: Option<String>,
    /// The first bad row, counted from 0 over the whole series.
    pub row: Option<u64>,
    /// What is wrong.
    pub message: String,
}

impl ColumnError {
    fn new(column: Option<&str>, row: Option<u64>, message: impl Into<String>) -> Self {
        Self {
            column: column.map(str::to_owned),
            row,
            message: message.into(),
        }
    }
}

impl fmt::Display for ColumnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.column, self.row) {
            (Some(c), Some(r)) => write!(f, "column `{c}`, row {r}: {}", self.message),
            (Some(c), None) => write!(f, "column `{c}`: {}", self.message),
            (None, Some(r)) => write!(f, "row {r}: {}", self.message),
            (None, None) => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for ColumnError {}

/// Checks batches one after another: rows are counted across them, and
/// time must keep growing from one batch to the next.
#[derive(Debug, Default)]
pub struct Checker {
    rows: u64,
    last_time: Option<f64>,
}

impl Checker {
    /// A checker at row 0.
    pub fn new() -> Self {
        Self::default()
    }

    /// Rows checked so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Checks the next batch.
    pub fn check(&mut self, batch: &RecordBatch) -> Result<(), ColumnError> {
        let schema = batch.schema();
        for name in REQUIRED_COLUMNS {
            let Ok(index) = schema.index_of(name) else {
                let found: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
                return Err(ColumnError::new(
                    Some(name),
                    None,
                    format!("missing (columns found: {})", found.join(", ")),
                ));
            };
            let column = batch.column(index);
            let values = numbers(column.as_ref()).ok_or_else(|| {
                ColumnError::new(
                    Some(name),
                    None,
                    format!("is {}, not a number type", column.data_type()),
                )
            })?;
            for (i, value) in values.into_iter().enumerate() {
                let row = self.rows + i as u64;
                let Some(value) = value else {
                    return Err(ColumnError::new(Some(name), Some(row), "empty (null)"));
                };
                if !value.is_finite() {
                    return Err(ColumnError::new(
                        Some(name),
                        Some(row),
                        format!("{value} is not a finite number"),
                    ));
                }
                if name == "Time [s]" {
                    match self.last_time {
                        None if value != 0.0 => {
                            return Err(ColumnError::new(
                                Some(name),
                                Some(row),
                                format!("time starts at {value}, not 0"),
                            ));
                        }
                        Some(last) if value < last => {
                            return Err(ColumnError::new(
                                Some(name),
                                Some(row),
                                format!("time goes back from {last} to {value}"),
                            ));
                        }
                        _ => self.last_time = Some(value),
                    }
                }
            }
        }
        self.rows += batch.num_rows() as u64;
        Ok(())
    }

    /// After the last batch: a series with no rows is refused.
    pub fn finish(self) -> Result<u64, ColumnError> {
        if self.rows == 0 {
            return Err(ColumnError::new(None, None, "the time series has no rows"));
        }
        Ok(self.rows)
    }
}

/// The values of a numeric column as `f64`; `None` for another type.
fn numbers(column: &dyn arrow_array::Array) -> Option<Vec<Option<f64>>> {
    macro_rules! as_f64 {
        ($t:ty) => {
            column
                .as_primitive::<$t>()
                .iter()
                .map(|v| v.map(|v| v as f64))
                .collect()
        };
    }
    Some(match column.data_type() {
        DataType::Float64 => column.as_primitive::<Float64Type>().iter().collect(),
        DataType::Float32 => as_f64!(Float32Type),
        DataType::Int64 => as_f64!(Int64Type),
        DataType::Int32 => as_f64!(Int32Type),
        DataType::Int16 => as_f64!(Int16Type),
        DataType::Int8 => as_f64!(Int8Type),
        DataType::UInt64 => as_f64!(UInt64Type),
        DataType::UInt32 => as_f64!(UInt32Type),
        DataType::UInt16 => as_f64!(UInt16Type),
        DataType::UInt8 => as_f64!(UInt8Type),
        _ => return None,
    })
}

/// Checks record batches as one time series; returns the number of rows.
pub fn check_batches<'a>(
    batches: impl IntoIterator<Item = &'a RecordBatch>,
) -> Result<u64, ColumnError> {
    let mut checker = Checker::new();
    for batch in batches {
        checker.check(batch)?;
    }
    checker.finish()
}

fn parquet_error(e: impl fmt::Display) -> ColumnError {
    ColumnError::new(None, None, format!("not a readable Parquet file: {e}"))
}

/// Checks a Parquet time series (a file or its bytes), batch by batch;
/// returns the number of rows.
pub fn check_parquet<R: parquet::file::reader::ChunkReader + 'static>(
    reader: R,
) -> Result<u64, ColumnError> {
    let batches = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(reader)
        .map_err(parquet_error)?
        .with_batch_size(BATCH_ROWS)
        .build()
        .map_err(parquet_error)?;
    let mut checker = Checker::new();
    for batch in batches {
        checker.check(&batch.map_err(parquet_error)?)?;
    }
    checker.finish()
}

/// Reads a Parquet time series (a downloaded measurement, a file, its
/// bytes) into record batches, as it stands (nothing is checked).
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let err = ionworks::time_series::read_parquet(bytes::Bytes::from_static(b"not parquet"));
/// assert!(err.unwrap_err().to_string().starts_with("not a readable Parquet file"));
/// # Ok(()) }
/// ```
pub fn read_parquet<R: parquet::file::reader::ChunkReader + 'static>(
    reader: R,
) -> Result<Vec<RecordBatch>, ColumnError> {
    parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(reader)
        .map_err(parquet_error)?
        .with_batch_size(BATCH_ROWS)
        .build()
        .map_err(parquet_error)?
        .map(|batch| batch.map_err(parquet_error))
        .collect()
}

/// Checks the Parquet file at `path`.
pub fn check_parquet_file(path: impl AsRef<Path>) -> Result<u64, ColumnError> {
    let path = path.as_ref();
    let file = std::fs::File::open(path).map_err(|e| {
        ColumnError::new(None, None, format!("cannot open {}: {e}", path.display()))
    })?;
    check_parquet(file)
}

/// Writes `batches` as Parquet (zstd) to `out`, checking them as they go;
/// returns the number of rows. Nothing but the current batch is held.
pub fn write_parquet<I>(batches: I, out: impl AsRef<Path>) -> Result<u64, ColumnError>
where
    I: IntoIterator<Item = Result<RecordBatch, arrow_schema::ArrowError>>,
{
    let out = out.as_ref();
    let write_error = |e: &dyn fmt::Display| {
        ColumnError::new(None, None, format!("cannot write {}: {e}", out.display()))
    };
    let mut batches = batches.into_iter();
    let first = match batches.next() {
        Some(batch) => batch.map_err(|e| ColumnError::new(None, None, e.to_string()))?,
        None => return Err(ColumnError::new(None, None, "the time series has no rows")),
    };
    let file = std::fs::File::create(out).map_err(|e| write_error(&e))?;
    let properties = parquet::file::properties::WriterProperties::builder()
        .set_compression(parquet::basic::Compression::ZSTD(Default::default()))
        .build();
    let mut writer = parquet::arrow::ArrowWriter::try_new(file, first.schema(), Some(properties))
        .map_err(|e| write_error(&e))?;
    let mut checker = Checker::new();
    for batch in std::iter::once(Ok(first)).chain(batches) {
        let batch =
            batch.map_err(|e| ColumnError::new(None, Some(checker.rows()), e.to_string()))?;
        checker.check(&batch)?;
        writer.write(&batch).map_err(|e| write_error(&e))?;
    }
    writer.close().map_err(|e| write_error(&e))?;
    checker.finish()
}

/// Converts the CSV file `csv` (with a header row; column types inferred
/// from its first 1,000 rows) to Parquet (zstd) at `out`, checking it as
/// it goes; returns the number of rows.
pub fn csv_to_parquet(csv: impl AsRef<Path>, out: impl AsRef<Path>) -> Result<u64, ColumnError> {
    let csv = csv.as_ref();
    let open = || {
        std::fs::File::open(csv).map_err(|e| {
            ColumnError::new(None, None, format!("cannot open {}: {e}", csv.display()))
        })
    };
    let format = arrow_csv::reader::Format::default().with_header(true);
    let (schema, _) = format
        .infer_schema(open()?, Some(1000))
        .map_err(|e| ColumnError::new(None, None, format!("{}: {e}", csv.display())))?;
    let reader = arrow_csv::ReaderBuilder::new(std::sync::Arc::new(schema))
        .with_format(format)
        .with_batch_size(BATCH_ROWS)
        .build(open()?)
        .map_err(|e| ColumnError::new(None, None, format!("{}: {e}", csv.display())))?;
    write_parquet(reader, out)
}
