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
//! when storage refuses the offer's credentials; without it, such a file
//! goes up in one `PUT` (storage takes up to 1 GiB that way).
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
    /// Called with `(sent, total)` as each file's bytes go to storage.
    pub fn on_progress(mut self, f: impl Fn(u64, Option<u64>) + Send + Sync + 'static) -> Self {
        self.progress = Some(Progress::new(f));
        self
    }
    /// How to wait for the server's processing (default:
    /// [`WaitPolicy::default`]).
    pub fn policy(mut self, policy: WaitPolicy) -> Self {
        self.policy = Some(policy);
        self
    }
    /// Whether to wait for the processing at all (default: yes). Without
    /// it the measurement is returned as confirmed; follow it later with
    /// [`Client::wait_for_measurement`].
    pub fn wait_for_processing(mut self, wait: bool) -> Self {
        self.policy = wait.then(|| self.policy.take().unwrap_or_default());
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
        let measurement = serde_json::to_value(&metadata)
            .ok()
            .and_then(|v| v.as_object().cloned())
            .unwrap_or_default();
        let id = initiated.measurement_id;
        client
            .confirm_measurement_upload()
            .measurement_id(&id)
            .body(ConfirmMeasurementUploadRequest {
                cell_instance_id: self.cell_instance_id.clone(),
                filenames: None,
                measurement,
                measurement_type: MeasurementType::TimeSeries,
                steps: None,
                extra: Default::default(),
            })
            .send()
            .await
            .map_err(WaitError::Start)?;
        match self.policy {
            Some(policy) => client.wait_for_measurement(&id).policy(policy).await,
            None => client
                .get_cell_measurement()
                .id(&id)
                .send()
                .await
                .map(|m| m.into_inner())
                .map_err(WaitError::Api),
        }
    }
}

impl<'a> IntoFuture for MeasurementUpload<'a> {
    type Output = Result<CellMeasurement, WaitError<CellMeasurement>>;
    type IntoFuture = BoxFuture<'a, Self::Output>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run())
    }
}

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

/// The upload target for file `name`: the one of that name, else the only
/// one there is.
fn target<'r>(
    initiated: &'r InitiateUploadResponse,
    name: &str,
) -> Result<&'r UploadInfo, ApiError> {
    let uploads = &initiated.uploads;
    uploads
        .iter()
        .find(|u| u.filename.as_deref() == Some(name))
        .or(match uploads.as_slice() {
            [only] if name == "time_series.parquet" => Some(only),
            _ => None,
        })
        .ok_or_else(|| {
            let offered: Vec<&str> = uploads
                .iter()
                .filter_map(|u| u.filename.as_deref())
                .collect();
            ApiError::invalid_request(
                "initiate_measurement_upload".into(),
                format!("the server offered no upload target for {name} (offered: {offered:?})"),
            )
        })
}

/// The host of a signed URL, for messages (never its query: the signature).
fn host(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .and_then(|u| {
            let host = u.host_str()?.to_string();
            Some(match u.port() {
                Some(port) => format!("{host}:{port}"),
                None => host,
            })
        })
        .unwrap_or_else(|| "storage".into())
}

/// The largest body sent in one `PUT` when the target offers multipart
/// but it cannot be used: storage drops single `PUT`s of more.
const SINGLE_PUT_MAX: u64 = 1024 * 1024 * 1024;

/// With `large-uploads`, a large body goes up in parts when the target
/// offers it (see `crate::multipart`): `Some(length)` once stored. `None`
/// leaves it to the single `PUT`: not offered, or refused by storage for a
/// body within [`SINGLE_PUT_MAX`]. Without the feature, an offered body
/// over that limit is refused here, naming the feature.
async fn large_body(
    client: &Client,
    target: &UploadInfo,
    name: &str,
    file: &FilePart,
    content_type: &str,
    progress: Option<&Progress>,
) -> Result<Option<u64>, ApiError> {
    #[cfg(feature = "large-uploads")]
    {
        use crate::multipart::{Outcome, upload};
        match upload(client, target, name, file, content_type, progress).await? {
            Outcome::Done(len) => Ok(Some(len)),
            Outcome::NotOffered => Ok(None),
            Outcome::Unavailable(error) => {
                if known_len(file)
                    .await
                    .is_some_and(|len| len > SINGLE_PUT_MAX)
                {
                    return Err(error);
                }
                tracing::info!(error = %error, "multipart refused by storage; one PUT instead");
                Ok(None)
            }
        }
    }
    #[cfg(not(feature = "large-uploads"))]
    {
        let _ = (client, content_type, progress);
        match known_len(file).await {
            Some(len) if target.multipart.is_some() && len > SINGLE_PUT_MAX => {
                Err(ApiError::invalid_request(
                    format!("upload {name}").into(),
                    format!(
                        "{len} bytes is more than one PUT to storage takes (1 GiB): build with the `large-uploads` feature to upload it in parts"
                    ),
                ))
            }
            _ => Ok(None),
        }
    }
}

/// The length of a path or of bytes (a stream's is not looked at).
async fn known_len(file: &FilePart) -> Option<u64> {
    if let Some(path) = file.source_path() {
        tokio::fs::metadata(path).await.ok().map(|m| m.len())
    } else {
        file.source_bytes().map(|b| b.len() as u64)
    }
}

/// `PUT`s `file` to its signed URL, with no API credentials, trying again
/// from the start when that is worth it and possible.
async fn put(
    client: &Client,
    target: &UploadInfo,
    name: &str,
    file: &FilePart,
    progress: Option<&Progress>,
) -> Result<Option<u64>, ApiError> {
    let operation = format!("PUT {name} to {}", host(&target.signed_url));
    // What storage records; a time series is Parquet whatever its name.
    let content_type = if name.ends_with(".parquet") {
        "application/octet-stream".to_owned()
    } else {
        file.mime_type()
    };
    if let Some(len) = large_body(client, target, name, file, &content_type, progress).await? {
        return Ok(Some(len));
    }
    let mut attempt = 0;
    loop {
        attempt += 1;
        let (len, body) = file
            .request_body(progress)
            .await
            .map_err(|e| ApiError::invalid_request(operation.clone().into(), e))?;
        let mut request = client
            .client
            .put(&target.signed_url)
            .header(http::header::CONTENT_TYPE, content_type.as_str())
            .body(body);
        if let Some(len) = len {
            request = request.header(http::header::CONTENT_LENGTH, len);
        }
        let outcome = request.send().await;
        let retry = match &outcome {
            Ok(response) if response.status().is_success() => return Ok(len),
            Ok(response) => {
                let status = response.status().as_u16();
                status == 408 || status == 429 || status >= 500
            }
            Err(e) => !e.is_builder(),
        };
        if !retry || attempt >= PUT_ATTEMPTS || !file.replayable() {
            return Err(match outcome {
                Ok(response) => {
                    let (status, headers) = (response.status(), response.headers().clone());
                    let body = response.bytes().await.unwrap_or_default();
                    ApiError::from_status_and_body(status, &headers, &body).in_operation(operation)
                }
                Err(e) => ApiError::from_transport(&e, None).in_operation(operation),
            });
        }
        tokio::time::sleep(Duration::from_millis(250 * 2u64.pow(attempt - 1))).await;
    }
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

impl fmt::Debug for MeasurementExtend<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MeasurementExtend")
            .field("id", &self.id)
            .field("rows", &self.rows)
            .finish_non_exhaustive()
    }
}

impl MeasurementExtend<'_> {
    /// Called with bytes sent and the total, as the rows go to storage.
    pub fn on_progress(mut self, f: impl Fn(u64, Option<u64>) + Send + Sync + 'static) -> Self {
        self.progress = Some(Progress::new(f));
        self
    }
    /// How to wait for the server to stitch the rows in (default:
    /// [`WaitPolicy::default`]).
    pub fn policy(mut self, policy: WaitPolicy) -> Self {
        self.policy = Some(policy);
        self
    }
    /// Whether to wait for the rows to be stitched in (default: yes);
    /// without, the measurement is returned as confirm left it.
    pub fn wait_for_processing(mut self, wait: bool) -> Self {
        self.policy = wait.then(|| self.policy.unwrap_or_default());
        self
    }

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
        let measurement = match self.policy {
            Some(policy) => client.wait_for_measurement(&self.id).policy(policy).await?,
            None => {
                return client
                    .get_cell_measurement()
                    .id(&self.id)
                    .send()
                    .await
                    .map(|m| m.into_inner())
                    .map_err(WaitError::Api);
            }
        };
        // A failed extend leaves the measurement `ready`, with the reason
        // in `processing_error` (confirm cleared any earlier one).
        if measurement.processing_error.is_some() {
            return Err(WaitError::Failed(Box::new(measurement)));
        }
        Ok(measurement)
    }
}

impl<'a> IntoFuture for MeasurementExtend<'a> {
    type Output = Result<CellMeasurement, WaitError<CellMeasurement>>;
    type IntoFuture = BoxFuture<'a, Self::Output>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run())
    }
}

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

impl fmt::Debug for FileMeasurementUpload<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileMeasurementUpload")
            .field("cell_instance_id", &self.cell_instance_id)
            .field("files", &self.files)
            .finish_non_exhaustive()
    }
}

impl FileMeasurementUpload<'_> {
    /// Called with `(sent, total)` as each file's bytes go to storage
    /// (`total` is that file's size).
    pub fn on_progress(mut self, f: impl Fn(u64, Option<u64>) + Send + Sync + 'static) -> Self {
        self.progress = Some(Progress::new(f));
        self
    }

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
        let measurement = serde_json::to_value(&metadata)
            .ok()
            .and_then(|v| v.as_object().cloned())
            .unwrap_or_default();
        let id = initiated.measurement_id;
        client
            .confirm_measurement_upload()
            .measurement_id(&id)
            .body(ConfirmMeasurementUploadRequest {
                cell_instance_id: self.cell_instance_id,
                filenames: Some(names),
                measurement,
                measurement_type: MeasurementType::File,
                steps: None,
                extra: Default::default(),
            })
            .send()
            .await?;
        Ok(client
            .get_cell_measurement()
            .id(&id)
            .send()
            .await?
            .into_inner())
    }
}

impl<'a> IntoFuture for FileMeasurementUpload<'a> {
    type Output = crate::Result<CellMeasurement>;
    type IntoFuture = BoxFuture<'a, Self::Output>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run())
    }
}

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
impl fmt::Debug for RawDataUpload<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawDataUpload")
            .field("project_id", &self.project_id)
            .field("file", &self.file)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
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
    /// Called with bytes sent and the total, as the file goes to storage.
    pub fn on_progress(mut self, f: impl Fn(u64, Option<u64>) + Send + Sync + 'static) -> Self {
        self.progress = Some(Progress::new(f));
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
impl<'a> IntoFuture for RawDataUpload<'a> {
    type Output = crate::Result<crate::types::RawData>;
    type IntoFuture = BoxFuture<'a, Self::Output>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run())
    }
}

impl Client {
    /// Append rows to time-series measurement `id`: `rows` is a Parquet
    /// file (path, bytes or stream) with at least `Time [s]` and
    /// `Step count`, continuing where the measurement ends. Initiate, `PUT`
    /// to storage, confirm, then wait while the server stitches the rows
    /// in; a delta it could not apply is [`WaitError::Failed`] with its
    /// `processing_error`.
    ///
    /// ```no_run
    /// # async fn run(client: ionworks::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// use ionworks::upload::FilePart;
    ///
    /// let measurement = client
    ///     .extend_measurement("measurement-id", FilePart::path("next-cycles.parquet"))
    ///     .on_progress(|sent, total| eprintln!("{sent} of {total:?} bytes"))
    ///     .await?;
    /// println!("{} is {:?}", measurement.id, measurement.processing_status);
    /// # Ok(()) }
    /// ```
    pub fn extend_measurement(
        &self,
        id: impl Into<String>,
        rows: FilePart,
    ) -> MeasurementExtend<'_> {
        MeasurementExtend {
            client: self,
            id: id.into(),
            rows,
            progress: None,
            policy: Some(WaitPolicy::default()),
        }
    }

    /// Upload a raw cycler file (any format, kept as it is) to project
    /// `project_id` through signed storage: initiate, `PUT`, confirm; the
    /// record is named after the file unless [`name`](RawDataUpload::name)
    /// says otherwise, and its content type is guessed from the name.
    ///
    /// ```no_run
    /// # async fn run(client: ionworks::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// use ionworks::upload::FilePart;
    ///
    /// let raw = client
    ///     .upload_raw_data("project-id", FilePart::path("channel-7.res"))
    ///     .source("Arbin export, channel 7")
    ///     .await?;
    /// println!("kept {} as {}", raw.filename, raw.id);
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "api-raw-data")]
    #[cfg_attr(docsrs, doc(cfg(feature = "api-raw-data")))]
    pub fn upload_raw_data(
        &self,
        project_id: impl Into<String>,
        file: FilePart,
    ) -> RawDataUpload<'_> {
        RawDataUpload {
            client: self,
            project_id: project_id.into(),
            file,
            name: None,
            source: None,
            metadata: serde_json::Map::new(),
            progress: None,
        }
    }

    /// Upload a measurement of cell instance `cell_instance_id` that is a
    /// set of files (a datasheet, photos, arrays: any format, kept as they
    /// are) rather than a time series: initiate with the files' names, `PUT`
    /// each to storage (in parts when large, with the `large-uploads`
    /// feature), confirm. Each file's name is its [`FilePart`]'s, and names
    /// must differ. Nothing is processed: the measurement is returned as
    /// created; `download_measurement_file` reads a file back.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let stand_in = ionworks::testing::StandIn::start().await?;
    /// # let client = stand_in.client();
    /// # let dir = std::env::temp_dir().join(format!("ionworks-doc-f-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// # let datasheet = dir.join("datasheet.pdf");
    /// # std::fs::write(&datasheet, b"%PDF-1.7 (datasheet)")?;
    /// use ionworks::types::{MeasurementMetadata, MeasurementType};
    /// use ionworks::upload::FilePart;
    ///
    /// let measurement = client
    ///     .upload_file_measurement(
    ///         "cell-instance-1",
    ///         MeasurementMetadata::builder().name("teardown photos and datasheet"),
    ///         [
    ///             FilePart::path(&datasheet),
    ///             FilePart::bytes("cross-section.png", b"\x89PNG (image bytes)".to_vec()),
    ///         ],
    ///     )
    ///     .await?;
    /// assert_eq!(measurement.measurement_type, MeasurementType::File);
    /// let files = client.list_measurement_files().id(&measurement.id).send().await?;
    /// assert_eq!(files.filenames, ["datasheet.pdf", "cross-section.png"]);
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok(()) }
    /// ```
    pub fn upload_file_measurement<M>(
        &self,
        cell_instance_id: impl Into<String>,
        metadata: M,
        files: impl IntoIterator<Item = FilePart>,
    ) -> FileMeasurementUpload<'_>
    where
        M: TryInto<MeasurementMetadata>,
        M::Error: std::fmt::Display,
    {
        FileMeasurementUpload {
            client: self,
            cell_instance_id: cell_instance_id.into(),
            metadata: metadata.try_into().map_err(|e| {
                ApiError::invalid_request("initiate_measurement_upload".into(), e.to_string())
            }),
            files: files.into_iter().collect(),
            progress: None,
        }
    }

    /// Upload a time-series measurement of cell instance `cell_instance_id`
    /// (see [the module](crate::measurements)): `metadata` names it,
    /// `time_series` is its Parquet file (a path, bytes or a stream).
    /// Errors before the measurement exists are [`WaitError::Start`]; a
    /// measurement the server could not process is [`WaitError::Failed`],
    /// with its `processing_error`.
    pub fn upload_measurement<M>(
        &self,
        cell_instance_id: impl Into<String>,
        metadata: M,
        time_series: FilePart,
    ) -> MeasurementUpload<'_>
    where
        M: TryInto<MeasurementMetadata>,
        M::Error: std::fmt::Display,
    {
        MeasurementUpload {
            client: self,
            cell_instance_id: cell_instance_id.into(),
            metadata: metadata.try_into().map_err(|e| {
                ApiError::invalid_request("initiate_measurement_upload".into(), e.to_string())
            }),
            time_series,
            steps: None,
            progress: None,
            policy: Some(WaitPolicy::default()),
            check_columns: true,
        }
    }

    /// Download measurement `id`'s time series (following the redirect to
    /// storage, without credentials) and read it into Arrow record batches.
    /// A body that is not Parquet is an [`ErrorKind::Decode`](crate::ErrorKind::Decode)
    /// error naming the operation.
    #[cfg(feature = "parquet")]
    #[cfg_attr(docsrs, doc(cfg(feature = "parquet")))]
    pub async fn download_time_series_batches(
        &self,
        id: &str,
    ) -> crate::Result<Vec<arrow_array::RecordBatch>> {
        const OPERATION: &str = "download_measurement_time_series";
        let response = self
            .download_measurement_time_series()
            .id(id)
            .send()
            .await?;
        let mut body = Vec::new();
        let mut stream = response.into_inner().into_inner();
        while let Some(chunk) = futures_util::TryStreamExt::try_next(&mut stream)
            .await
            .map_err(|e| ApiError::from_transport(&e, None).in_operation(OPERATION))?
        {
            body.extend_from_slice(&chunk);
        }
        let body = bytes::Bytes::from(body);
        crate::time_series::read_parquet(body.clone())
            .map_err(|e| ApiError::decode(e.to_string(), &body).in_operation(OPERATION))
    }

    /// Wait for measurement `id` to be processed (`processing_status`
    /// `ready`, or `failed` with its `processing_error`).
    pub fn wait_for_measurement(&self, id: impl Into<String>) -> Wait<'_, CellMeasurement> {
        let id: String = id.into();
        let key = Arc::new(id.clone());
        Wait::from_fn(id, move || {
            let request = self.get_cell_measurement().id(key.as_str());
            async move { request.send().await.map(|r| r.into_inner()) }
        })
    }
}
