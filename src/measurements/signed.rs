//! Files to signed storage URLs: the upload target a file goes to, the
//! `PUT` (with no API credentials, tried again from the start where that
//! is worth it) and, with `large-uploads`, the S3 parts a large file takes
//! instead.

use super::transfer::Transfer;
use super::*;

/// The upload target for file `name`: the one of that name, else the only
/// one there is.
pub(super) fn target<'r>(
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
pub(super) fn host(url: &str) -> String {
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
pub(super) const SINGLE_PUT_MAX: u64 = 1024 * 1024 * 1024;

/// What became of sending a body in parts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(not(feature = "large-uploads"), allow(dead_code))]
enum Parts {
    /// Stored, this many bytes.
    Sent(u64),
    /// Not tried: no offer, a small body, a stream, or no `large-uploads`.
    NotTried,
    /// Storage refused the offer's credentials (the single `PUT` may do).
    Refused,
}

/// With `large-uploads`, a large body goes up in parts when the target
/// offers it (see `crate::multipart`); `force`: whatever its size (after a
/// single `PUT` that storage's gateway gave up on). A refused offer leaves
/// it to the single `PUT` for a body within [`SINGLE_PUT_MAX`]. Without the
/// feature, an offered body over that limit is refused here, naming the
/// feature.
async fn large_body(transfer: &Transfer<'_>, force: bool) -> Result<Parts, ApiError> {
    #[cfg(feature = "large-uploads")]
    {
        use crate::multipart::{Outcome, upload};
        match upload(transfer, force).await? {
            Outcome::Done(len) => Ok(Parts::Sent(len)),
            Outcome::NotOffered => Ok(Parts::NotTried),
            Outcome::Unavailable(error) => {
                if force
                    || known_len(transfer.file)
                        .await
                        .is_some_and(|len| len > SINGLE_PUT_MAX)
                {
                    return Err(error);
                }
                tracing::info!(error = %error, "multipart refused by storage; one PUT instead");
                Ok(Parts::Refused)
            }
        }
    }
    #[cfg(not(feature = "large-uploads"))]
    {
        let _ = force;
        match known_len(transfer.file).await {
            Some(len) if transfer.target.multipart.is_some() && len > SINGLE_PUT_MAX => {
                Err(ApiError::invalid_request(
                    format!("upload {}", transfer.name).into(),
                    format!(
                        "{len} bytes is more than one PUT to storage takes (1 GiB): build with the `large-uploads` feature to upload it in parts"
                    ),
                ))
            }
            _ => Ok(Parts::NotTried),
        }
    }
}

/// The length of a path or of bytes (a stream's is not looked at).
pub(super) async fn known_len(file: &FilePart) -> Option<u64> {
    if let Some(path) = file.source_path() {
        tokio::fs::metadata(path).await.ok().map(|m| m.len())
    } else {
        file.source_bytes().map(|b| b.len() as u64)
    }
}

/// `PUT`s `file` to its signed URL, with no API credentials, trying again
/// from the start when that is worth it and possible. A `PUT` that
/// storage's gateway gives up on (504, or 524 from its edge) is not tried
/// again whole: with `large-uploads` and an offer, the file goes up in
/// parts instead.
pub(super) async fn put(
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
    let transfer = Transfer {
        client,
        target,
        name,
        file,
        content_type: &content_type,
        progress,
    };
    let parts = large_body(&transfer, false).await?;
    if let Parts::Sent(len) = parts {
        return Ok(Some(len));
    }
    let mut attempt = 0;
    loop {
        attempt += 1;
        let (len, body) = file
            .request_body(transfer.progress)
            .await
            .map_err(|e| ApiError::invalid_request(operation.clone().into(), e))?;
        let mut request = transfer
            .client
            .client
            .put(&target.signed_url)
            .header(http::header::CONTENT_TYPE, transfer.content_type)
            .body(body);
        if let Some(len) = len {
            request = request.header(http::header::CONTENT_LENGTH, len);
        }
        let outcome = request.send().await;
        if let Ok(response) = &outcome
            && matches!(response.status().as_u16(), 504 | 524)
            && parts == Parts::NotTried
            && cfg!(feature = "large-uploads")
            && target.multipart.is_some()
        {
            tracing::info!(
                status = response.status().as_u16(),
                "storage gave up on one PUT; in parts instead"
            );
            if let Parts::Sent(len) = large_body(&transfer, true).await? {
                return Ok(Some(len));
            }
        }
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
