//! [`ApiError`]: one error type with accessors for every failed call.

use std::fmt;

use reqwest::StatusCode;
use serde_json::Value;

use crate::types::{HttpValidationError, ValidationError};

/// Error bodies are read up to this many bytes (the rest is dropped).
const MAX_ERROR_BODY: usize = 64 * 1024;
/// Characters of a non-JSON body shown in messages.
const EXCERPT_CHARS: usize = 200;
const CORRELATION_ID: &str = "x-correlation-id";

/// What kind of failure an [`ApiError`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The request was rejected before sending (missing or out-of-range value).
    InvalidRequest,
    /// No response: connection, timeout or body transfer failure.
    Transport,
    /// The server answered with an error status.
    Status,
    /// A success response whose body does not decode.
    Decode,
    /// Anything else.
    Other,
}

/// A failed API call, with what the server said about it.
///
/// Every operation's error converts into it, so `?` works in a function
/// returning `Result<_, ApiError>` (or use `.map_err(ApiError::from)`):
///
/// ```no_run
/// use ionworks::{ApiError, Client};
///
/// async fn status(client: &Client, id: &str) -> Result<String, ApiError> {
///     match client.get_job().job_id(id).send().await {
///         Ok(job) => Ok(job.status.to_string()),
///         Err(e) => {
///             let e = ApiError::from(e);
///             if e.status().map(|s| s.as_u16()) == Some(404) {
///                 return Ok("gone".into());
///             }
///             eprintln!("{e} (correlation id {:?})", e.correlation_id());
///             Err(e)
///         }
///     }
/// }
/// ```
///
/// `Display` is one short line, such as `404 Not Found from get_job: Job not
/// found [JOB_NOT_FOUND]`; a non-JSON body shows at most 200 characters.
#[derive(Debug)]
pub struct ApiError {
    kind: ErrorKind,
    status: Option<StatusCode>,
    operation: Option<&'static str>,
    details: ErrorDetails,
    correlation_id: Option<String>,
    retry_after: Option<std::time::Duration>,
    retryable: bool,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl ApiError {
    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }
    /// HTTP status of the error response, if there was one.
    pub fn status(&self) -> Option<StatusCode> {
        self.status
    }
    /// The server's message (`detail` or `message`), or a client-side reason.
    pub fn message(&self) -> Option<&str> {
        self.details.message.as_deref()
    }
    /// The server's machine-readable `error_code`, if it sent one.
    pub fn code(&self) -> Option<&str> {
        self.details.code.as_deref()
    }
    /// The validation errors of a 422 response (FastAPI's `detail` list).
    pub fn validation_errors(&self) -> &[ValidationError] {
        &self.details.validation
    }
    /// The `x-correlation-id` response header, for support requests.
    pub fn correlation_id(&self) -> Option<&str> {
        self.correlation_id.as_deref()
    }
    /// The operation that failed (`"get_job"`, …), when known.
    pub fn operation(&self) -> Option<&str> {
        self.operation
    }
    /// A whitespace-collapsed excerpt of a body that was not a JSON error.
    pub fn body_excerpt(&self) -> Option<&str> {
        self.details.excerpt.as_deref()
    }
    /// Whether the failure is transient (429, 408, 500, 502, 503, 504,
    /// connection failure or timeout): the same request may succeed later.
    /// The client has already retried it if the method allowed.
    pub fn is_retryable(&self) -> bool {
        self.retryable
    }
    /// How long the server asked the client to wait (`Retry-After`, in
    /// seconds or as an HTTP date), uncapped.
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        self.retry_after
    }
    /// 410 Gone: the server no longer accepts this request.
    pub fn is_gone(&self) -> bool {
        self.status == Some(StatusCode::GONE)
    }

    fn new(kind: ErrorKind) -> Self {
        Self {
            kind,
            status: None,
            operation: None,
            details: ErrorDetails::default(),
            correlation_id: None,
            retry_after: None,
            retryable: false,
            source: None,
        }
    }

    fn from_status(
        status: StatusCode,
        headers: &reqwest::header::HeaderMap,
        details: ErrorDetails,
    ) -> Self {
        Self {
            status: Some(status),
            retryable: matches!(status.as_u16(), 408 | 429 | 500 | 502 | 503 | 504),
            correlation_id: headers
                .get(CORRELATION_ID)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
            retry_after: headers
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| crate::retry::parse_retry_after(v, std::time::SystemTime::now())),
            details,
            ..Self::new(ErrorKind::Status)
        }
    }
}

#[cfg(test)]
impl ApiError {
    /// An error response with `status` (and `Retry-After`), for unit tests.
    pub(crate) fn for_status(status: u16, retry_after: Option<std::time::Duration>) -> Self {
        let status = StatusCode::from_u16(status).expect("valid status");
        let mut error = Self::from_status(
            status,
            &reqwest::header::HeaderMap::new(),
            ErrorDetails::default(),
        );
        error.retry_after = retry_after;
        error
    }

    /// A connection failure, for unit tests.
    pub(crate) fn transport() -> Self {
        Self {
            retryable: true,
            ..Self::new(ErrorKind::Transport)
        }
    }
}

impl From<progenitor_client::Error<HttpValidationError>> for ApiError {
    fn from(error: progenitor_client::Error<HttpValidationError>) -> Self {
        use progenitor_client::Error as E;
        match error {
            E::InvalidRequest(message) => Self {
                details: ErrorDetails::message(message),
                ..Self::new(ErrorKind::InvalidRequest)
            },
            E::CommunicationError(e) | E::ResponseBodyError(e) => Self {
                retryable: e.is_connect() || e.is_timeout() || e.is_request(),
                status: e.status(),
                source: Some(Box::new(e)),
                ..Self::new(ErrorKind::Transport)
            },
            E::ErrorResponse(value) => {
                let status = value.status();
                let headers = value.headers().clone();
                let validation = value.into_inner().detail;
                let details = ErrorDetails {
                    message: summarize(&validation),
                    validation,
                    ..ErrorDetails::default()
                };
                Self::from_status(status, &headers, details)
            }
            E::UnexpectedResponse(response) => {
                let buffered = response.extensions().get::<BufferedError>().cloned();
                let mut error = Self::from_status(
                    response.status(),
                    response.headers(),
                    buffered
                        .as_ref()
                        .map(|b| b.details.clone())
                        .unwrap_or_default(),
                );
                error.operation = buffered.map(|b| b.operation);
                error
            }
            E::InvalidResponsePayload(bytes, e) => Self {
                details: ErrorDetails {
                    message: Some(e.to_string()),
                    excerpt: excerpt(&bytes),
                    ..ErrorDetails::default()
                },
                source: Some(Box::new(e)),
                ..Self::new(ErrorKind::Decode)
            },
            E::InvalidUpgrade(e) => Self {
                source: Some(Box::new(e)),
                ..Self::new(ErrorKind::Other)
            },
            E::Custom(message) => Self {
                details: ErrorDetails::message(message),
                ..Self::new(ErrorKind::Other)
            },
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            ErrorKind::Status => {
                match self.status {
                    Some(status) => write!(f, "{status}")?,
                    None => f.write_str("error response")?,
                }
                if let Some(op) = self.operation {
                    write!(f, " from {op}")?;
                }
                if self.is_gone() {
                    f.write_str(": the server no longer accepts this request")?;
                }
                if let Some(message) = self.message() {
                    write!(f, ": {message}")?;
                } else if let Some(excerpt) = self.body_excerpt() {
                    write!(f, ": {excerpt}")?;
                }
                if let Some(code) = self.code() {
                    write!(f, " [{code}]")?;
                }
                Ok(())
            }
            ErrorKind::InvalidRequest => {
                write!(f, "invalid request: {}", self.message().unwrap_or("?"))
            }
            ErrorKind::Transport => {
                f.write_str("request failed")?;
                if let Some(source) = &self.source {
                    write!(f, ": {source}")?;
                    // The root cause ("Connection refused") is the useful part.
                    let mut cause = source.source();
                    let mut last = None;
                    while let Some(c) = cause {
                        last = Some(c);
                        cause = c.source();
                    }
                    if let Some(root) = last {
                        write!(f, ": {root}")?;
                    }
                }
                Ok(())
            }
            ErrorKind::Decode => {
                write!(f, "invalid response: {}", self.message().unwrap_or("?"))?;
                if let Some(excerpt) = self.body_excerpt() {
                    write!(f, " (body: {excerpt})")?;
                }
                Ok(())
            }
            ErrorKind::Other => match (self.message(), &self.source) {
                (Some(message), _) => f.write_str(message),
                (None, Some(source)) => write!(f, "{source}"),
                (None, None) => f.write_str("unknown error"),
            },
        }
    }
}

impl std::error::Error for ApiError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// What the server's error body said.
#[derive(Clone, Debug, Default)]
struct ErrorDetails {
    message: Option<String>,
    code: Option<String>,
    validation: Vec<ValidationError>,
    excerpt: Option<String>,
}

impl ErrorDetails {
    fn message(message: String) -> Self {
        Self {
            message: Some(message),
            ..Self::default()
        }
    }

    /// FastAPI's `{"detail": "…"}` and `{"detail": [..]}`, and
    /// `{"error_code", "message", "detail"}`; anything else is an excerpt.
    fn parse(body: &[u8]) -> Self {
        let mut details = Self::default();
        if let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) {
            let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
            details.code = text(map.get("error_code"));
            details.message = text(map.get("message"));
            match map.get("detail") {
                Some(Value::String(detail)) => {
                    details.message.get_or_insert_with(|| detail.clone());
                }
                Some(Value::Array(items)) => {
                    details.validation = items
                        .iter()
                        .filter_map(|v| serde_json::from_value(v.clone()).ok())
                        .collect();
                    if details.message.is_none() {
                        details.message = summarize(&details.validation);
                    }
                }
                Some(Value::Object(inner)) => {
                    if details.code.is_none() {
                        details.code = text(inner.get("error_code").or(inner.get("code")));
                    }
                    if details.message.is_none() {
                        details.message = text(inner.get("message").or(inner.get("msg")));
                    }
                }
                _ => {}
            }
        }
        if details.message.is_none() && details.code.is_none() {
            details.excerpt = excerpt(body);
        }
        details
    }
}

/// `body.priority: Input should be … (and 2 more)`.
fn summarize(errors: &[ValidationError]) -> Option<String> {
    let first = errors.first()?;
    let loc: Vec<String> = first.loc.iter().map(ToString::to_string).collect();
    let mut text = format!("{}: {}", loc.join("."), first.msg);
    if errors.len() > 1 {
        text.push_str(&format!(" (and {} more)", errors.len() - 1));
    }
    Some(text)
}

/// At most [`EXCERPT_CHARS`] characters, whitespace collapsed to one line.
fn excerpt(body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    let mut out = String::new();
    let mut words = text.split_whitespace();
    let mut cut = false;
    for (i, word) in words.by_ref().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(word);
        if out.chars().count() > EXCERPT_CHARS {
            out = out.chars().take(EXCERPT_CHARS).collect();
            cut = true;
            break;
        }
    }
    if cut || words.next().is_some() {
        out.push('…');
    }
    (!out.is_empty()).then_some(out)
}

/// Which request a buffered error response belongs to.
pub(crate) struct RequestMeta {
    pub(crate) operation: &'static str,
    pub(crate) method: reqwest::Method,
    pub(crate) retries: u32,
}

/// Parsed error body, carried in the response's extensions so that
/// converting to [`ApiError`] needs no I/O.
#[derive(Clone)]
struct BufferedError {
    operation: &'static str,
    details: ErrorDetails,
}

/// Reads an error response's body (up to [`MAX_ERROR_BODY`]) once, parses
/// it, and returns an equivalent response with the body buffered.
pub(crate) async fn buffer_error_body(
    mut response: reqwest::Response,
    meta: RequestMeta,
) -> reqwest::Result<reqwest::Response> {
    use reqwest::ResponseBuilderExt;
    let status = response.status();
    let version = response.version();
    let url = response.url().clone();
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
    let details = ErrorDetails::parse(&body);
    tracing::debug!(
        status = status.as_u16(),
        method = meta.method.as_str(),
        retries = meta.retries,
        code = details.code.as_deref(),
        "error response"
    );
    headers.remove(reqwest::header::TRANSFER_ENCODING);
    headers.insert(reqwest::header::CONTENT_LENGTH, body.len().into());
    let mut rebuilt = http::Response::builder()
        .url(url)
        .body(body)
        .unwrap_or_else(|e| http::Response::new(e.to_string().into_bytes()));
    *rebuilt.status_mut() = status;
    *rebuilt.version_mut() = version;
    *rebuilt.headers_mut() = headers;
    rebuilt.extensions_mut().insert(BufferedError {
        operation: meta.operation,
        details,
    });
    Ok(reqwest::Response::from(rebuilt))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_parse() {
        let d = ErrorDetails::parse(br#"{"detail": "Job not found"}"#);
        assert_eq!(d.message.as_deref(), Some("Job not found"));
        let d = ErrorDetails::parse(
            br#"{"error_code": "JOB_GONE", "message": "Gone for good", "detail": "x"}"#,
        );
        assert_eq!(
            (d.code.as_deref(), d.message.as_deref()),
            (Some("JOB_GONE"), Some("Gone for good"))
        );
        let d = ErrorDetails::parse(br#"{"detail": {"error_code": "E", "message": "m"}}"#);
        assert_eq!(
            (d.code.as_deref(), d.message.as_deref()),
            (Some("E"), Some("m"))
        );
        let d = ErrorDetails::parse(
            br#"{"detail": [{"loc": ["body", "priority"], "msg": "too big", "type": "less_than_equal"},
                            {"loc": ["query", 0], "msg": "bad", "type": "t"}]}"#,
        );
        assert_eq!(d.validation.len(), 2);
        assert_eq!(
            d.message.as_deref(),
            Some("body.priority: too big (and 1 more)")
        );
        let d = ErrorDetails::parse(b"");
        assert!(d.message.is_none() && d.excerpt.is_none());
        let long = format!("<html>\n  <body>{}</body></html>", "x ".repeat(500));
        let d = ErrorDetails::parse(long.as_bytes());
        let e = d.excerpt.unwrap();
        assert!(e.starts_with("<html> <body>x x") && e.ends_with('…'), "{e}");
        assert_eq!(e.chars().count(), EXCERPT_CHARS + 1);
    }
}
