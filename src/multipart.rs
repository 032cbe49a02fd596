//! Large bodies uploaded to storage in parts, with S3 multipart (feature
//! `large-uploads`).
//!
//! An upload target may carry, beside its signed URL, a `multipart` offer:
//! an S3 endpoint, region, bucket, object key and temporary credentials. A
//! body of [`THRESHOLD`] or more, from a path or from memory, is then sent
//! as: `CreateMultipartUpload`, one `UploadPart` per [`PART_SIZE`] bytes
//! ([`IN_FLIGHT`] at a time, each read from disk as it is sent and tried
//! again from its start on a transient failure), and
//! `CompleteMultipartUpload`; a failure on the way aborts the upload, so
//! that storage keeps no parts. Each request is a presigned URL (SigV4 in
//! the query, the session token included) made by `rusty-s3`, which does no
//! I/O, and is sent by the client's own HTTP client, without API
//! credentials.
//!
//! Storage that refuses the credentials outright (`AccessDenied`,
//! `InvalidAccessKeyId`, …: a local storage without session tokens does)
//! makes multipart [`Outcome::Unavailable`], and the caller falls back to
//! the single `PUT`; any other failure is an error.

use std::fmt;
use std::io::SeekFrom;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use futures_util::stream::{self, StreamExt, TryStreamExt};
use rusty_s3::actions::{
    AbortMultipartUpload, CompleteMultipartUpload, CreateMultipartUpload, UploadPart,
};
use rusty_s3::{Bucket, Credentials, S3Action, UrlStyle};

use crate::measurements::transfer::Transfer;
use crate::types::MultipartUploadInfo;
use crate::upload::Progress;
use crate::{ApiError, Client};

/// Bodies of this size or more go up in parts when the target offers it.
pub(crate) const THRESHOLD: u64 = 16 * 1024 * 1024;

/// Bytes per second an upload is assumed to reach when its duration is
/// weighed against the credentials' expiry: 1 MiB/s, pessimistic on
/// purpose.
const ASSUMED_THROUGHPUT: u64 = 1024 * 1024;
/// The size of each part but the last (larger for a body of more than
/// 10,000 parts of this size: S3's limit on their count).
pub(crate) const PART_SIZE: u64 = 16 * 1024 * 1024;
/// Parts sent at once: few, as a slow part is answered 524 by storage's
/// edge (the Python client sends two).
pub(crate) const IN_FLIGHT: usize = 2;
/// How many times each request is tried.
const ATTEMPTS: u32 = 3;
/// S3's limit on the parts of one upload.
const MAX_PARTS: u64 = 10_000;
/// How long each presigned URL is valid (the credentials may end sooner).
const PRESIGNED_FOR: Duration = Duration::from_secs(3600);
/// Chunks a part is read and sent in.
const CHUNK: usize = 64 * 1024;

/// S3 error codes meaning the credentials will never work here, as
/// opposed to a transfer that broke.
const CREDENTIALS_REFUSED: [&str; 6] = [
    "AccessDenied",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "InvalidToken",
    "TokenRefreshRequired",
];

/// What became of a multipart attempt.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// The body is stored, of this many bytes.
    Done(u64),
    /// Not for this body: no offer, below the threshold, or a stream (which
    /// cannot be read from an offset).
    NotOffered,
    /// Storage refused the credentials: the single `PUT` may still work.
    Unavailable(ApiError),
}

/// The temporary S3 credentials of an offer. Its `Debug` shows the access
/// key id only.
struct Session {
    credentials: Credentials,
    bucket: Bucket,
    key: String,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("access_key_id", &self.credentials.key())
            .field("secret_access_key", &"<redacted>")
            .field("session_token", &"<redacted>")
            .field("bucket", &self.bucket.name())
            .field("key", &self.key)
            .finish()
    }
}

/// Where a body's bytes are read from.
#[derive(Clone)]
enum Body {
    Path(PathBuf),
    Bytes(Bytes),
}

/// One failed request of the upload: its error, and whether it says the
/// credentials are refused.
struct Failure {
    error: ApiError,
    refused: bool,
}

impl From<ApiError> for Failure {
    fn from(error: ApiError) -> Self {
        Self {
            error,
            refused: false,
        }
    }
}

/// Uploads `file` to `target`'s multipart offer when it has one and the
/// body is large enough (or whatever its size, with `force`); `name` and
/// `host` name the file and storage in errors.
pub(crate) async fn upload(transfer: &Transfer<'_>, force: bool) -> Result<Outcome, ApiError> {
    let Transfer {
        client,
        target,
        name,
        file,
        content_type,
        progress,
    } = *transfer;
    let Some(offer) = &target.multipart else {
        return Ok(Outcome::NotOffered);
    };
    let (body, len) = if let Some(path) = file.source_path() {
        let len = tokio::fs::metadata(path)
            .await
            .map_err(|e| {
                ApiError::invalid_request(
                    format!("upload {name}").into(),
                    format!("{}: {e}", path.display()),
                )
            })?
            .len();
        (Body::Path(path.to_owned()), len)
    } else if let Some(bytes) = file.source_bytes() {
        (Body::Bytes(bytes.clone()), bytes.len() as u64)
    } else {
        return Ok(Outcome::NotOffered);
    };
    if len < THRESHOLD && !force {
        return Ok(Outcome::NotOffered);
    }
    let session = session(offer, name, len)?;
    let host = host(&session.bucket);
    let upload = Upload {
        client,
        session: &session,
        name,
        host: &host,
    };
    let upload_id = match upload.create(content_type).await {
        Ok(id) => id,
        Err(Failure {
            error,
            refused: true,
        }) => return Ok(Outcome::Unavailable(error)),
        Err(failure) => return Err(failure.error),
    };
    match upload.send(&upload_id, &body, len, progress).await {
        Ok(()) => Ok(Outcome::Done(len)),
        Err(failure) => {
            upload.abort(&upload_id).await;
            if failure.refused {
                Ok(Outcome::Unavailable(failure.error))
            } else {
                Err(failure.error)
            }
        }
    }
}

/// Whether sending `len` bytes at [`ASSUMED_THROUGHPUT`] takes longer than
/// `left`.
fn may_outlive(len: u64, left: chrono::TimeDelta) -> bool {
    u64::try_from(left.num_seconds()).is_ok_and(|left| left < len / ASSUMED_THROUGHPUT)
}

/// The offer's session for a body of `len` bytes, refused when its
/// credentials expired already, with a warning when they may expire before
/// the body is up (at [`ASSUMED_THROUGHPUT`]: a pessimistic guess, so a
/// warning, not a refusal).
fn session(offer: &MultipartUploadInfo, name: &str, len: u64) -> Result<Session, ApiError> {
    let refuse =
        |message: String| ApiError::invalid_request(format!("upload {name}").into(), message);
    if let Some(expires) = offer.expires_at.as_deref()
        && let Ok(at) = chrono::DateTime::parse_from_rfc3339(expires)
    {
        let left = at.signed_duration_since(chrono::Utc::now());
        if left <= chrono::TimeDelta::zero() {
            return Err(refuse(format!(
                "the storage credentials expired at {expires}: upload again for fresh ones"
            )));
        }
        if may_outlive(len, left) {
            tracing::warn!(
                file = name,
                bytes = len,
                expires_at = expires,
                minutes_left = left.num_minutes(),
                "the storage credentials may expire before the upload ends \
                 (if it fails with an authorization error, that is why)"
            );
        }
    }
    // `Bucket::new` joins `{bucket}/` onto the endpoint (`Url::join`), which
    // replaces the endpoint's last path segment unless it ends in `/`
    // (`…/storage/v1/s3` would lose its `s3`).
    let mut endpoint = offer.endpoint.clone();
    if !endpoint.ends_with('/') {
        endpoint.push('/');
    }
    let endpoint = url::Url::parse(&endpoint)
        .map_err(|e| refuse(format!("the multipart endpoint is not a URL: {e}")))?;
    let bucket = Bucket::new(
        endpoint,
        UrlStyle::Path,
        offer.bucket.clone(),
        offer.region.clone(),
    )
    .map_err(|e| refuse(format!("the multipart endpoint cannot be used: {e}")))?;
    let key = offer.object_path.trim_start_matches('/').to_owned();
    // rusty-s3's `sign` unwraps `Bucket::object_url`: checked here first.
    bucket
        .object_url(&key)
        .map_err(|e| refuse(format!("the multipart object key cannot be used: {e}")))?;
    Ok(Session {
        credentials: Credentials::new_with_token(
            offer.access_key_id.clone(),
            offer.secret_access_key.clone(),
            offer.session_token.clone(),
        ),
        bucket,
        key,
    })
}

/// `host:port` of the storage, for messages (never a URL: the query holds
/// the signature).
fn host(bucket: &Bucket) -> String {
    let url = bucket.base_url();
    match (url.host_str(), url.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_owned(),
        _ => "storage".to_owned(),
    }
}

/// Whether a failed request is worth sending again: no response, or 408,
/// 429, a 5xx (524 included: storage's edge giving up on a slow request).
fn transient(outcome: &Result<reqwest::Response, reqwest::Error>) -> bool {
    match outcome {
        Ok(response) => {
            let status = response.status().as_u16();
            status == 408 || status == 429 || status >= 500
        }
        Err(e) => !e.is_builder(),
    }
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(250 * 2u64.pow(attempt.saturating_sub(1)))
}

/// The error of a response that is not a success (its body read, S3's XML
/// error understood), or of a request that got none.
async fn failure(outcome: Result<reqwest::Response, reqwest::Error>, operation: String) -> Failure {
    match outcome {
        Ok(response) => {
            let (status, headers) = (response.status(), response.headers().clone());
            let body = response.bytes().await.unwrap_or_default();
            let error =
                ApiError::from_status_and_body(status, &headers, &body).in_operation(operation);
            let refused = error
                .code()
                .is_some_and(|code| CREDENTIALS_REFUSED.contains(&code));
            Failure { error, refused }
        }
        Err(e) => ApiError::from_transport(&e, None)
            .in_operation(operation)
            .into(),
    }
}

/// One multipart upload's requests.
struct Upload<'a> {
    client: &'a Client,
    session: &'a Session,
    name: &'a str,
    host: &'a str,
}

impl Upload<'_> {
    fn credentials(&self) -> Option<&Credentials> {
        Some(&self.session.credentials)
    }

    /// `CreateMultipartUpload`: the upload id.
    async fn create(&self, content_type: &str) -> Result<String, Failure> {
        let operation = format!(
            "create the multipart upload of {} at {}",
            self.name, self.host
        );
        let mut action =
            CreateMultipartUpload::new(&self.session.bucket, self.credentials(), &self.session.key);
        action
            .headers_mut()
            .insert("content-type", content_type.to_owned());
        let url = action.sign(PRESIGNED_FOR);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let outcome = self.post(&url, content_type, None).await;
            match outcome {
                Ok(response) if response.status().is_success() => {
                    let text = response.text().await.map_err(|e| {
                        ApiError::from_transport(&e, None).in_operation(operation.clone())
                    })?;
                    return CreateMultipartUpload::parse_response(&text)
                        .map(|r| r.upload_id().to_owned())
                        .map_err(|e| {
                            ApiError::decode(format!("no upload id: {e}"), text.as_bytes())
                                .in_operation(operation.clone())
                                .into()
                        });
                }
                outcome if transient(&outcome) && attempt < ATTEMPTS => {
                    tokio::time::sleep(backoff(attempt)).await;
                }
                outcome => return Err(failure(outcome, operation).await),
            }
        }
    }

    /// Every part, a few at a time, then `CompleteMultipartUpload`.
    async fn send(
        &self,
        upload_id: &str,
        body: &Body,
        len: u64,
        progress: Option<&Progress>,
    ) -> Result<(), Failure> {
        let part_size = PART_SIZE.max(len.div_ceil(MAX_PARTS));
        let count = len.div_ceil(part_size);
        let sent = Arc::new(AtomicU64::new(0));
        if let Some(progress) = progress {
            progress.report(0, Some(len));
        }
        let parts = (0..count).map(|i| {
            let offset = i * part_size;
            let size = part_size.min(len - offset);
            let sent = sent.clone();
            async move {
                let number = u16::try_from(i + 1).unwrap_or(u16::MAX);
                let part = Part {
                    number,
                    count,
                    offset,
                    size,
                    total: len,
                };
                let etag = self.part(upload_id, body, &part, &sent, progress).await?;
                Ok::<_, Failure>((number, etag))
            }
        });
        // The first error ends the stream, and dropping it cancels the
        // parts in flight.
        let mut etags: Vec<(u16, String)> = stream::iter(parts)
            .buffer_unordered(IN_FLIGHT)
            .try_collect()
            .await?;
        etags.sort_by_key(|(number, _)| *number);
        let etags: Vec<String> = etags.into_iter().map(|(_, etag)| etag).collect();
        self.complete(upload_id, &etags).await
    }

    /// One `UploadPart`, read from the body at its offset as it is sent,
    /// tried again from its start on a transient failure; its ETag.
    async fn part(
        &self,
        upload_id: &str,
        body: &Body,
        part: &Part,
        sent: &Arc<AtomicU64>,
        progress: Option<&Progress>,
    ) -> Result<String, Failure> {
        let operation = format!(
            "PUT part {} of {} of {} to {}",
            part.number, part.count, self.name, self.host
        );
        let url = UploadPart::new(
            &self.session.bucket,
            self.credentials(),
            &self.session.key,
            part.number,
            upload_id,
        )
        .sign(PRESIGNED_FOR);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let this_attempt = Arc::new(AtomicU64::new(0));
            let chunks = part_chunks(body, part.offset, part.size)
                .await
                .map_err(|e| ApiError::invalid_request(operation.clone().into(), e.to_string()))?;
            let counted = {
                let (sent, this_attempt, progress) =
                    (sent.clone(), this_attempt.clone(), progress.cloned());
                let total = part.total;
                chunks.inspect(move |chunk| {
                    if let Ok(chunk) = chunk {
                        let n = chunk.len() as u64;
                        this_attempt.fetch_add(n, Ordering::Relaxed);
                        let now = sent.fetch_add(n, Ordering::Relaxed) + n;
                        if let Some(progress) = &progress {
                            progress.report(now, Some(total));
                        }
                    }
                })
            };
            let outcome = self
                .client
                .client
                .put(url.clone())
                .header(http::header::CONTENT_LENGTH, part.size)
                .body(reqwest::Body::wrap_stream(counted))
                .send()
                .await;
            let etag = match &outcome {
                Ok(response) if response.status().is_success() => response
                    .headers()
                    .get(http::header::ETAG)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned),
                _ => None,
            };
            if let Some(etag) = etag {
                return Ok(etag);
            }
            // What this attempt sent is sent again.
            sent.fetch_sub(this_attempt.load(Ordering::Relaxed), Ordering::Relaxed);
            match outcome {
                Ok(response) if response.status().is_success() => {
                    return Err(ApiError::other(format!(
                        "{operation}: storage answered {} without an ETag",
                        response.status()
                    ))
                    .into());
                }
                outcome if transient(&outcome) && attempt < ATTEMPTS => {
                    tracing::debug!(part = part.number, attempt, "storage part failed; retrying");
                    tokio::time::sleep(backoff(attempt)).await;
                }
                outcome => return Err(failure(outcome, operation).await),
            }
        }
    }

    /// `CompleteMultipartUpload` with the parts' ETags in order. Not sent
    /// again after a response: storage may have completed it after all,
    /// and would then answer `NoSuchUpload` for an object that exists.
    async fn complete(&self, upload_id: &str, etags: &[String]) -> Result<(), Failure> {
        let operation = format!(
            "complete the multipart upload of {} at {}",
            self.name, self.host
        );
        let action = CompleteMultipartUpload::new(
            &self.session.bucket,
            self.credentials(),
            &self.session.key,
            upload_id,
            etags.iter().map(String::as_str),
        );
        let url = action.sign(PRESIGNED_FOR);
        let body = action.body();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let outcome = self.post(&url, "application/xml", Some(&body)).await;
            match outcome {
                Ok(response) if response.status().is_success() => {
                    let (status, headers) = (response.status(), response.headers().clone());
                    let text = response.bytes().await.unwrap_or_default();
                    // S3 may answer 200 and put the error in the body, as its
                    // documentation of CompleteMultipartUpload says.
                    if String::from_utf8_lossy(&text).contains("<Error>") {
                        let status = http::StatusCode::INTERNAL_SERVER_ERROR.max(status);
                        return Err(ApiError::from_status_and_body(status, &headers, &text)
                            .in_operation(operation)
                            .into());
                    }
                    return Ok(());
                }
                // Only a connection never made is certainly not completed.
                Err(e) if e.is_connect() && attempt < ATTEMPTS => {
                    tokio::time::sleep(backoff(attempt)).await;
                }
                outcome => return Err(failure(outcome, operation).await),
            }
        }
    }

    /// A `POST` of `body` to the presigned `url`.
    async fn post(
        &self,
        url: &url::Url,
        content_type: &str,
        body: Option<&String>,
    ) -> reqwest::Result<reqwest::Response> {
        let request = self
            .client
            .client
            .post(url.clone())
            .header(http::header::CONTENT_TYPE, content_type);
        match body {
            Some(body) => request.body(body.clone()),
            None => request,
        }
        .send()
        .await
    }

    /// `AbortMultipartUpload`, so that storage drops the parts it holds;
    /// its own failure is only logged (the upload's error is the one to
    /// report).
    async fn abort(&self, upload_id: &str) {
        let url = AbortMultipartUpload::new(
            &self.session.bucket,
            self.credentials(),
            &self.session.key,
            upload_id,
        )
        .sign(PRESIGNED_FOR);
        match self.client.client.delete(url).send().await {
            Ok(response) if response.status().is_success() => {}
            Ok(response) => tracing::warn!(
                status = response.status().as_u16(),
                "aborting the multipart upload of {} at {} failed",
                self.name,
                self.host
            ),
            Err(e) => tracing::warn!(
                error = %crate::wording::root_cause(&e),
                "aborting the multipart upload of {} at {} failed",
                self.name,
                self.host
            ),
        }
    }
}

/// One part: its number (from 1) of `count`, and where it is in the body
/// of `total` bytes.
struct Part {
    number: u16,
    count: u64,
    offset: u64,
    size: u64,
    total: u64,
}

/// The `size` bytes at `offset`, in chunks: read from the file as they
/// are sent (never the whole part in memory), or sliced from memory.
async fn part_chunks(
    body: &Body,
    offset: u64,
    size: u64,
) -> std::io::Result<futures_util::stream::BoxStream<'static, std::io::Result<Bytes>>> {
    use tokio::io::{AsyncReadExt, AsyncSeekExt};
    match body {
        Body::Path(path) => {
            let in_file = |e: std::io::Error| {
                std::io::Error::new(e.kind(), format!("{}: {e}", path.display()))
            };
            let mut file = tokio::fs::File::open(path).await.map_err(in_file)?;
            file.seek(SeekFrom::Start(offset)).await.map_err(in_file)?;
            Ok(tokio_util::io::ReaderStream::with_capacity(file.take(size), CHUNK).boxed())
        }
        Body::Bytes(bytes) => {
            let start = usize::try_from(offset)
                .unwrap_or(usize::MAX)
                .min(bytes.len());
            let end = usize::try_from(offset + size)
                .unwrap_or(usize::MAX)
                .min(bytes.len());
            let part = bytes.slice(start..end);
            let chunks: Vec<std::io::Result<Bytes>> = (0..part.len())
                .step_by(CHUNK)
                .map(|at| Ok(part.slice(at..(at + CHUNK).min(part.len()))))
                .collect();
            Ok(stream::iter(chunks).boxed())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer(expires_at: chrono::DateTime<chrono::Utc>) -> MultipartUploadInfo {
        serde_json::from_value(serde_json::json!({
            "endpoint": "http://127.0.0.1:9/s3",
            "region": "us-east-1",
            "bucket": "b",
            "object_path": "measurements/m/time_series.parquet",
            "access_key_id": "AKIA",
            "secret_access_key": "secret",
            "session_token": "token",
            "expires_at": expires_at.to_rfc3339(),
        }))
        .unwrap()
    }

    #[test]
    fn expired_credentials_are_refused_before_anything_is_sent() {
        let past = chrono::Utc::now() - chrono::TimeDelta::minutes(1);
        let error = session(&offer(past), "time_series.parquet", 1 << 30).unwrap_err();
        let text = error.to_string();
        assert!(text.contains("upload time_series.parquet"), "{text}");
        assert!(
            text.contains("the storage credentials expired at"),
            "{text}"
        );
        assert!(
            !text.contains("secret") && !text.contains("token"),
            "{text}"
        );
        let future = chrono::Utc::now() + chrono::TimeDelta::hours(1);
        assert!(session(&offer(future), "time_series.parquet", 1 << 30).is_ok());
    }

    #[test]
    fn a_body_that_may_outlive_its_credentials_is_told_apart_at_one_mebibyte_a_second() {
        let hour = chrono::TimeDelta::hours(1);
        // 3,600 s at 1 MiB/s is 3,600 MiB.
        assert!(!may_outlive(3_599 * ASSUMED_THROUGHPUT, hour));
        assert!(may_outlive(3_601 * ASSUMED_THROUGHPUT, hour));
        assert!(!may_outlive(u64::MAX, chrono::TimeDelta::MAX));
    }
}
