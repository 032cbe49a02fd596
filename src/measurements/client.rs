//! The `Client` methods of measurement data in and out: uploads,
//! extends, raw cycler files, file measurements, waits and downloads.

use super::*;

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
