//! Measurement data in: a time-series measurement uploaded, or extended, in one call.
//!
//! The API takes a measurement in three steps: `initiate-upload` answers
//! a signed storage URL per file, each file (`time_series.parquet`, and
//! `steps.parquet` if given) is `PUT` there, and `confirm-upload` creates
//! the measurement, whose steps the server then derives
//! (`processing_status` pending → running → ready, or failed).
//! [`Client::upload_measurement`] does all of it and waits for the
//! processing with the same [`Wait`] as any work.
//! [`Client::extend_measurement`] appends rows the same way
//! (`initiate-extend`, `PUT`, `confirm-extend`, then a wait), and
//! `Client::upload_raw_data` (feature `api-raw-data`) keeps a raw cycler
//! file of any format, and [`Client::upload_file_measurement`] creates a
//! measurement made of files (any format, nothing processed).
//!
//! Storage is another origin: the `PUT`s carry no API credentials (the
//! signed URL is the authorization) and are never redirected. Files are
//! streamed from disk with progress, and sent again from their start when a
//! `PUT` fails in a way worth retrying (a connection error, 408, 429, 5xx).
//! With the `large-uploads` feature, a file of 16 MiB or more whose target
//! offers S3 multipart goes up in 16 MiB parts instead (two at a time, each
//! retried, the upload aborted on failure), and falls back to one `PUT`
//! when storage refuses the offer's credentials; a smaller file whose one
//! `PUT` storage's gateway gives up on (504, 524) goes up in parts too, and
//! credentials that may expire before a large upload ends are warned of
//! (`tracing`). Without the feature, a large file goes up in one `PUT`
//! (storage takes up to 1 GiB that way).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let stand_in = ionworks::testing::StandIn::start().await?;
//! # let client = stand_in.client();
//! # let cell_instance_id = "cell-instance-1";
//! # let dir = std::env::temp_dir().join(format!("ionworks-doc-m-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir)?;
//! # let path = dir.join("cycle.parquet");
//! # std::fs::write(&path, b"PAR1 (parquet bytes) PAR1")?;
//! use ionworks::types::MeasurementMetadata;
//! use ionworks::upload::FilePart;
//!
//! let measurement = client
//!     .upload_measurement(
//!         cell_instance_id,
//!         MeasurementMetadata::builder().name("cycle 1, 25 degC"),
//!         FilePart::path(&path),
//!     )
//!     .on_progress(|sent, total| eprintln!("{sent} of {total:?} bytes"))
//! #   .check_columns(false)
//!     .await?;
//! assert_eq!(measurement.processing_status.as_deref(), Some("ready"));
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok(()) }
//! ```

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use crate::types::{
    CellMeasurement, ConfirmMeasurementUploadRequest, InitiateMeasurementUploadRequest,
    InitiateUploadResponse, MeasurementMetadata, MeasurementType, UploadInfo,
};
use crate::upload::{FilePart, Progress};
use crate::wait::{Phase, Pollable, Wait, WaitError, WaitPolicy};
use crate::{ApiError, Client};

mod client;
mod signed;
pub(crate) mod transfer;

use signed::*;

/// How many times a storage `PUT` is tried.
const PUT_ATTEMPTS: u32 = 3;

impl Pollable for CellMeasurement {
    const KIND: &'static str = "measurement";
    /// `processing_status`; `ready` when the server sends none (older
    /// records, file and properties measurements).
    fn status_text(&self) -> String {
        self.processing_status
            .clone()
            .unwrap_or_else(|| "ready".into())
    }
    fn phase(&self) -> Phase {
        match self.processing_status.as_deref() {
            Some("pending" | "running") => Phase::Running,
            Some("failed") => Phase::Failed,
            _ => Phase::Succeeded,
        }
    }
    fn status_unknown(&self) -> bool {
        !matches!(
            self.processing_status.as_deref(),
            None | Some("pending" | "running" | "ready" | "failed")
        )
    }
    fn id(&self) -> Option<String> {
        Some(self.id.clone())
    }
    fn failure(&self) -> (Option<String>, Option<String>) {
        (None, self.processing_error.clone())
    }
}

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What every upload builder here shares: `Debug` (showing the fields
/// `debug` lists), `on_progress` (`$what`: what goes to storage), `.await`
/// (`IntoFuture`, with the builder's `run()`), and for the uploads the server processes (`wait`), `policy`
/// and `wait_for_processing` (over a `policy: Option<WaitPolicy>` field).
macro_rules! upload_builder {
    (
        $builder:ident -> $output:ty,
        $what:literal,
        debug($($field:ident),*)
        $(, $wait:ident)?
    ) => {
        impl fmt::Debug for $builder<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($builder))
                    $(.field(stringify!($field), &self.$field))*
                    .finish_non_exhaustive()
            }
        }

        impl $builder<'_> {
            #[doc = concat!("Called with `(sent, total)` as ", $what, ".")]
            pub fn on_progress(
                mut self,
                f: impl Fn(u64, Option<u64>) + Send + Sync + 'static,
            ) -> Self {
                self.progress = Some(Progress::new(f));
                self
            }
            $(upload_builder!(@$wait);)?
        }

        impl<'a> IntoFuture for $builder<'a> {
            type Output = $output;
            type IntoFuture = BoxFuture<'a, Self::Output>;
            fn into_future(self) -> Self::IntoFuture {
                Box::pin(self.run())
            }
        }
    };
    (@wait) => {
        /// How to wait for the server's processing (default:
        /// [`WaitPolicy::default`]).
        pub fn policy(mut self, policy: WaitPolicy) -> Self {
            self.policy = Some(policy);
            self
        }
        /// Whether to wait for the processing at all (default: yes).
        /// Without it the measurement is returned as confirmed; follow it
        /// later with [`Client::wait_for_measurement`].
        pub fn wait_for_processing(mut self, wait: bool) -> Self {
            self.policy = wait.then(|| self.policy.take().unwrap_or_default());
            self
        }
    };
}

/// `confirm-upload` of measurement `id` on `cell_instance_id`, of
/// `kind`, with its `metadata` and (for files) its `filenames`.
async fn confirm(
    client: &Client,
    id: &str,
    cell_instance_id: String,
    metadata: &MeasurementMetadata,
    kind: MeasurementType,
    filenames: Option<Vec<String>>,
) -> Result<(), ApiError> {
    let measurement = serde_json::to_value(metadata)
        .ok()
        .and_then(|v| v.as_object().cloned())
        .unwrap_or_default();
    client
        .confirm_measurement_upload()
        .measurement_id(id)
        .body(ConfirmMeasurementUploadRequest {
            cell_instance_id,
            filenames,
            measurement,
            measurement_type: kind,
            steps: None,
            extra: Default::default(),
        })
        .send()
        .await
        .map(drop)
}

/// The measurement `id` once processed, waited for with `policy`; without
/// one, as it is now.
async fn processed(
    client: &Client,
    id: &str,
    policy: Option<WaitPolicy>,
) -> Result<CellMeasurement, WaitError<CellMeasurement>> {
    match policy {
        Some(policy) => client.wait_for_measurement(id).policy(policy).await,
        None => client
            .get_cell_measurement()
            .id(id)
            .send()
            .await
            .map(|m| m.into_inner())
            .map_err(WaitError::Api),
    }
}

/// An upload of a time-series measurement, from
/// [`Client::upload_measurement`]; configure it, then `.await` it.
#[must_use = "an upload does nothing until awaited"]
pub struct MeasurementUpload<'a> {
    client: &'a Client,
    cell_instance_id: String,
    metadata: Result<MeasurementMetadata, ApiError>,
    time_series: FilePart,
    steps: Option<FilePart>,
    progress: Option<Progress>,
    policy: Option<WaitPolicy>,
    check_columns: bool,
}

impl MeasurementUpload<'_> {
    /// Whether to check the time series' columns before anything is sent
    /// (default: yes). With the `parquet` feature, a time series given as a
    /// path or bytes is read once and refused, naming the column and the
    /// first bad row, unless it has every column of
    /// `time_series::REQUIRED_COLUMNS`, numeric,
    /// with time starting at 0 and never decreasing. Without the feature
    /// (or for a stream) nothing is checked here; the server checks when it
    /// processes the measurement.
    pub fn check_columns(mut self, check: bool) -> Self {
        self.check_columns = check;
        self
    }
    /// Also upload the steps (`steps.parquet`); without them the server
    /// derives the steps from the time series.
    pub fn steps(mut self, steps: FilePart) -> Self {
        self.steps = Some(steps);
        self
    }

    async fn run(self) -> Result<CellMeasurement, WaitError<CellMeasurement>> {
        let client = self.client;
        let metadata = self.metadata.map_err(WaitError::Start)?;
        #[cfg(feature = "parquet")]
        if self.check_columns {
            check(&self.time_series).await.map_err(WaitError::Start)?;
        }
        let initiated: InitiateUploadResponse = client
            .initiate_measurement_upload()
            .id(&self.cell_instance_id)
            .body(InitiateMeasurementUploadRequest {
                filenames: None,
                measurement: metadata.clone(),
                measurement_type: Some(MeasurementType::TimeSeries),
                extra: Default::default(),
            })
            .send()
            .await
            .map_err(WaitError::Start)?
            .into_inner();
        let mut files = vec![("time_series.parquet", &self.time_series)];
        if let Some(steps) = &self.steps {
            files.push(("steps.parquet", steps));
        }
        for (name, file) in files {
            let target = target(&initiated, name).map_err(WaitError::Start)?;
            put(client, target, name, file, self.progress.as_ref())
                .await
                .map_err(WaitError::Start)?;
        }
        let id = initiated.measurement_id;
        confirm(
            client,
            &id,
            self.cell_instance_id,
            &metadata,
            MeasurementType::TimeSeries,
            None,
        )
        .await
        .map_err(WaitError::Start)?;
        processed(client, &id, self.policy).await
    }
}

upload_builder!(
    MeasurementUpload -> Result<CellMeasurement, WaitError<CellMeasurement>>,
    "each file's bytes go to storage",
    debug(cell_instance_id, time_series, steps),
    wait
);

/// Checks the columns of a time series given as a path or bytes (off the
/// async runtime's threads: it reads the whole file).
#[cfg(feature = "parquet")]
async fn check(file: &FilePart) -> Result<(), ApiError> {
    let refuse = |e: String| ApiError::invalid_request("upload_measurement".into(), e);
    let checked = if let Some(path) = file.source_path() {
        let path = path.to_owned();
        tokio::task::spawn_blocking(move || {
            crate::time_series::check_parquet_file(&path)
                .map_err(|e| format!("{}: {e}", path.display()))
        })
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r)
    } else if let Some(bytes) = file.source_bytes() {
        let bytes = bytes.clone();
        tokio::task::spawn_blocking(move || {
            crate::time_series::check_parquet(bytes).map_err(|e| e.to_string())
        })
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r)
    } else {
        return Ok(());
    };
    checked.map(|_| ()).map_err(refuse)
}

/// Rows appended to a time-series measurement, from
/// [`Client::extend_measurement`]; configure it, then `.await` it.
#[must_use = "an extend does nothing until awaited"]
pub struct MeasurementExtend<'a> {
    client: &'a Client,
    id: String,
    rows: FilePart,
    progress: Option<Progress>,
    policy: Option<WaitPolicy>,
}

impl MeasurementExtend<'_> {
    async fn run(self) -> Result<CellMeasurement, WaitError<CellMeasurement>> {
        const FILE: &str = "time_series_extend.parquet";
        let client = self.client;
        let initiated: InitiateUploadResponse = client
            .initiate_measurement_extend()
            .id(&self.id)
            .send()
            .await
            .map_err(WaitError::Start)?
            .into_inner();
        let target = target(&initiated, FILE).map_err(WaitError::Start)?;
        put(client, target, FILE, &self.rows, self.progress.as_ref())
            .await
            .map_err(WaitError::Start)?;
        client
            .confirm_measurement_extend()
            .id(&self.id)
            .send()
            .await
            .map_err(WaitError::Start)?;
        let waited = self.policy.is_some();
        let measurement = processed(client, &self.id, self.policy).await?;
        // A failed extend leaves the measurement `ready`, with the reason
        // in `processing_error` (confirm cleared any earlier one).
        if waited && measurement.processing_error.is_some() {
            return Err(WaitError::Failed(Box::new(measurement)));
        }
        Ok(measurement)
    }
}

upload_builder!(
    MeasurementExtend -> Result<CellMeasurement, WaitError<CellMeasurement>>,
    "the rows go to storage",
    debug(id, rows),
    wait
);

/// A measurement made of files (PDFs, images, arrays, any format), from
/// [`Client::upload_file_measurement`]; configure it, then `.await` it.
#[must_use = "an upload does nothing until awaited"]
pub struct FileMeasurementUpload<'a> {
    client: &'a Client,
    cell_instance_id: String,
    metadata: Result<MeasurementMetadata, ApiError>,
    files: Vec<FilePart>,
    progress: Option<Progress>,
}

impl FileMeasurementUpload<'_> {
    async fn run(self) -> crate::Result<CellMeasurement> {
        const OPERATION: &str = "initiate_measurement_upload";
        let client = self.client;
        let metadata = self.metadata?;
        let refuse = |message: String| ApiError::invalid_request(OPERATION.into(), message);
        let mut names: Vec<String> = Vec::with_capacity(self.files.len());
        for file in &self.files {
            let name = file.name().ok_or_else(|| {
                refuse("a file has no name: give it one with FilePart::file_name".into())
            })?;
            if names.iter().any(|n| n == name) {
                return Err(refuse(format!("two files are named {name}")));
            }
            names.push(name.to_owned());
        }
        if names.is_empty() {
            return Err(refuse("a file measurement needs at least one file".into()));
        }
        let initiated: InitiateUploadResponse = client
            .initiate_measurement_upload()
            .id(&self.cell_instance_id)
            .body(InitiateMeasurementUploadRequest {
                filenames: Some(names.clone()),
                measurement: metadata.clone(),
                measurement_type: Some(MeasurementType::File),
                extra: Default::default(),
            })
            .send()
            .await?
            .into_inner();
        for (i, (name, file)) in names.iter().zip(&self.files).enumerate() {
            let uploads = &initiated.uploads;
            let target = uploads
                .iter()
                .find(|u| u.filename.as_deref() == Some(name.as_str()))
                .or_else(|| uploads.get(i).filter(|_| uploads.len() == names.len()))
                .ok_or_else(|| refuse(format!("the server offered no upload target for {name}")))?;
            put(client, target, name, file, self.progress.as_ref()).await?;
        }
        let id = initiated.measurement_id;
        confirm(
            client,
            &id,
            self.cell_instance_id,
            &metadata,
            MeasurementType::File,
            Some(names),
        )
        .await?;
        Ok(client
            .get_cell_measurement()
            .id(&id)
            .send()
            .await?
            .into_inner())
    }
}

upload_builder!(
    FileMeasurementUpload -> crate::Result<CellMeasurement>,
    "each file's bytes go to storage (`total` is that file's size)",
    debug(cell_instance_id, files)
);

/// An upload of a raw cycler file (any format) to a project, from
/// [`Client::upload_raw_data`]; configure it, then `.await` it.
#[cfg(feature = "api-raw-data")]
#[must_use = "an upload does nothing until awaited"]
pub struct RawDataUpload<'a> {
    client: &'a Client,
    project_id: String,
    file: FilePart,
    name: Option<String>,
    source: Option<String>,
    metadata: serde_json::Map<String, serde_json::Value>,
    progress: Option<Progress>,
}

#[cfg(feature = "api-raw-data")]
impl RawDataUpload<'_> {
    /// The record's label (default: the file's name).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }
    /// Where the file came from (a URL, a DOI, the cycler's export, …).
    pub fn source(mut self, source: impl Into<String>) -> Self {
        self.source = Some(source.into());
        self
    }
    /// Free-form metadata stored with the record.
    pub fn metadata(mut self, metadata: serde_json::Map<String, serde_json::Value>) -> Self {
        self.metadata = metadata;
        self
    }

    async fn run(self) -> crate::Result<crate::types::RawData> {
        use crate::types::{ConfirmRawDataUploadRequest, InitiateRawDataUploadRequest};
        let client = self.client;
        let refuse = |message: &str| {
            ApiError::invalid_request("initiate_raw_data_upload".into(), message.to_owned())
        };
        let filename = self
            .file
            .name()
            .ok_or_else(|| refuse("the file has no name: give it one with FilePart::file_name"))?
            .to_owned();
        let content_type = self.file.mime_type();
        let name = self.name.unwrap_or_else(|| filename.clone());
        let initiated = client
            .initiate_raw_data_upload()
            .body(
                InitiateRawDataUploadRequest::builder()
                    .project_id(self.project_id.clone())
                    .filename(filename.clone())
                    .name(Some(name.clone()))
                    .content_type(Some(content_type.clone()))
                    .metadata(Some(self.metadata.clone()))
                    .source(self.source.clone()),
            )
            .send()
            .await?
            .into_inner();
        let target = match initiated.uploads.as_slice() {
            [first, ..] => first,
            [] => return Err(refuse("the server offered no upload target")),
        };
        let sent = put(
            client,
            target,
            &filename,
            &self.file,
            self.progress.as_ref(),
        )
        .await?;
        let size = sent.ok_or_else(|| {
            refuse("the file's size is unknown: give FilePart::stream its length")
        })?;
        let confirmed = client
            .confirm_raw_data_upload()
            .id(&initiated.raw_data_id)
            .body(
                ConfirmRawDataUploadRequest::builder()
                    .project_id(self.project_id)
                    .filename(filename)
                    .name(Some(name))
                    .content_type(Some(content_type))
                    .metadata(Some(self.metadata))
                    .source(self.source)
                    .size_bytes(i64::try_from(size).unwrap_or(i64::MAX)),
            )
            .send()
            .await?;
        Ok(confirmed.into_inner())
    }
}

#[cfg(feature = "api-raw-data")]
upload_builder!(
    RawDataUpload -> crate::Result<crate::types::RawData>,
    "the file goes to storage",
    debug(project_id, file, name)
);
