//! What the request hook (in `client.rs`) hands to
//! [`ApiError`](super::ApiError): an error response's body, read once and
//! parsed ([`buffer_error_body`]), and the attempts of a request that got
//! no response ([`with_attempts`]). It is here, beside the reading side, so
//! that the dependency points one way: the hook uses `error`, and `error`
//! knows nothing of the hook.

use std::borrow::Cow;

use super::ErrorDetails;

/// Error bodies are read up to this many bytes (the rest is dropped).
pub(super) const MAX_ERROR_BODY: usize = 64 * 1024;

/// The fragment that carries a failed request's attempts. A transport
/// failure reaches [`ApiError`](super::ApiError) only as a
/// `reqwest::Error` (progenitor's `ClientHooks::exec` returns
/// `reqwest::Result`), which cannot carry data of ours; its URL can, and a
/// fragment is never sent anywhere.
const ATTEMPTS_FRAGMENT: &str = "ionworks-attempts=";

/// `error`, noting that the request was sent `attempts` times.
pub(crate) fn with_attempts(mut error: reqwest::Error, attempts: u32) -> reqwest::Error {
    if let Some(url) = error.url_mut() {
        url.set_fragment(Some(&format!("{ATTEMPTS_FRAGMENT}{attempts}")));
    }
    error
}

/// The attempts [`with_attempts`] noted on `error`.
pub(super) fn attempts_of(error: &reqwest::Error) -> Option<u32> {
    error
        .url()?
        .fragment()?
        .strip_prefix(ATTEMPTS_FRAGMENT)?
        .parse()
        .ok()
}

/// An error response whose body is still to be read, and how it came.
pub(crate) struct Failed {
    pub(crate) response: reqwest::Response,
    pub(crate) retries: u32,
    /// A retry was allowed but the body (an upload stream) was already read.
    pub(crate) not_replayed: bool,
}

/// Parsed error body, carried in the response's extensions so that
/// converting to [`ApiError`](super::ApiError) needs no I/O.
#[derive(Clone)]
pub(super) struct BufferedError {
    pub(super) details: ErrorDetails,
}

/// Reads an error response's body (up to [`MAX_ERROR_BODY`]) once, parses
/// it, and returns an equivalent response with the body buffered.
pub(crate) async fn buffer_error_body(
    failed: Failed,
    operation: &str,
) -> reqwest::Result<reqwest::Response> {
    use reqwest::ResponseBuilderExt;
    let Failed {
        mut response,
        retries,
        not_replayed,
    } = failed;
    let status = response.status();
    let version = response.version();
    let url = response.url().clone();
    let not_followed = response
        .extensions_mut()
        .remove::<crate::redirect::NotFollowed>();
    let mut headers = std::mem::take(response.headers_mut());
    let mut body = Vec::new();
    // A body that fails half-way is kept as far as it was read.
    while let Ok(Some(chunk)) = response.chunk().await {
        let room = MAX_ERROR_BODY - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= MAX_ERROR_BODY {
            break;
        }
    }
    let mut details = ErrorDetails::parse(&body);
    if not_replayed {
        details.note = Some(Cow::Borrowed(
            "not retried: the upload stream was already sent and cannot be read again",
        ));
    }
    if let Some(crate::redirect::NotFollowed(reason)) = not_followed {
        details.note = Some(Cow::Owned(reason));
    }
    tracing::debug!(
        operation,
        status = status.as_u16(),
        retries,
        code = details.code.as_deref(),
        "error response"
    );
    headers.remove(reqwest::header::TRANSFER_ENCODING);
    headers.remove(reqwest::header::CONTENT_ENCODING);
    headers.insert(reqwest::header::CONTENT_LENGTH, body.len().into());
    let mut rebuilt = http::Response::builder()
        .url(url)
        .body(body)
        .unwrap_or_else(|e| http::Response::new(e.to_string().into_bytes()));
    *rebuilt.status_mut() = status;
    *rebuilt.version_mut() = version;
    *rebuilt.headers_mut() = headers;
    rebuilt.extensions_mut().insert(BufferedError { details });
    Ok(reqwest::Response::from(rebuilt))
}
