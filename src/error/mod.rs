//! The error of every request, [`ApiError`], and the convention the crate's
//! errors share; `ConfigError` (building a client) lives beside the
//! settings it names, in `config`, and `WaitError` (waiting for a resource)
//! beside the waits, in `wait`.
//!
//! One convention for all three: `Display` is the whole story on one line,
//! cause included (`get_job: cannot connect to 127.0.0.1:9: connection
//! refused`), so `source()` returns `None` and a chain printer such as
//! anyhow's `{:#}` never repeats a cause. The parts are available as
//! accessors (`kind()`, `status()`, `validation_errors()`, …). `Debug` is
//! the same one line (it is what `main` prints for an error it returns);
//! the alternate form `{:#?}` is a structured dump of the parts. Neither
//! ever shows a secret.
//!
//! `hook.rs` holds what the request hook in `client.rs` hands over: an
//! error response's body, read once, and the attempts of a request that
//! got no response. A generated operation's error comes in through
//! `ApiError::from_operation`, beside the client's state in `client.rs`.

mod hook;

use std::any::Any;
use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use crate::retry::{self, Failure};
use crate::types::{HttpValidationError, ValidationError};
use crate::wording::{Seconds, excerpt, root_cause};

use hook::{BufferedError, MAX_ERROR_BODY, attempts_of};
pub(crate) use hook::{Failed, buffer_error_body, with_attempts};

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

/// A documented error body, kept with its type for [`ApiError::error_body`].
trait ErrorBody: Any + fmt::Debug + Send + Sync {
    fn as_any(&self) -> &dyn Any;
}

impl<T: Any + fmt::Debug + Send + Sync> ErrorBody for T {
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// A failed API call, with what the server said about it.
///
/// Every operation's `send()` returns it, so `?` works in any function
/// returning [`ionworks::Result`](crate::Result) or `Box<dyn Error>`:
///
/// ```
/// use ionworks::{ApiError, Client};
///
/// async fn status(client: &Client, id: &str) -> ionworks::Result<String> {
///     match client.get_job().job_id(id).send().await {
///         Ok(job) => Ok(job.status.to_string()),
///         Err(e) if e.status().map(|s| s.as_u16()) == Some(404) => Ok("gone".into()),
///         Err(e) => {
///             eprintln!("{e} (correlation id {:?})", e.correlation_id());
///             Err(e)
///         }
///     }
/// }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let stand_in = ionworks::testing::StandIn::start().await?;
/// assert_eq!(status(&stand_in.client(), "no-such-job").await?, "gone");
/// # Ok(()) }
/// ```
///
/// `Display` is one line with its cause, such as `404 Not Found from
/// get_job: Job not found [JOB_NOT_FOUND]`, `get_job: cannot connect to
/// 127.0.0.1:9: connection refused` or `get_job: timed out after 60 s`; a
/// non-JSON body shows at most 200 characters. `source()` is `None`: the
/// cause is already in the message.
pub struct ApiError {
    kind: ErrorKind,
    status: Option<StatusCode>,
    operation: Option<Cow<'static, str>>,
    /// The rest, boxed: `Result<T, ApiError>` stays small.
    extra: Box<Extra>,
}

/// The less-used parts of an [`ApiError`].
#[derive(Debug, Default)]
struct Extra {
    details: ErrorDetails,
    correlation_id: Option<String>,
    retry_after: Option<Duration>,
    /// How the exchange failed, its root cause and the server (`host:port`).
    transport: Option<(Failure, String, Option<String>)>,
    timeout: Option<Duration>,
    /// Requests sent before giving up (set when the failure was retried).
    attempts: Option<u32>,
    body: Option<Box<dyn ErrorBody>>,
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
        self.extra.details.message.as_deref()
    }
    /// How many times the request was sent before it failed without a
    /// response, when it was retried (`None`: sent once, or it got one).
    pub fn attempts(&self) -> Option<u32> {
        self.extra.attempts
    }
    /// The server's machine-readable `error_code`, if it sent one.
    pub fn code(&self) -> Option<&str> {
        self.extra.details.code.as_deref()
    }
    /// The id of the resource a create conflicted with: the server answers
    /// 409 `CONFLICT` with `detail.existing_id` when a resource of that name
    /// already exists.
    ///
    /// ```
    /// # async fn run(client: &ionworks::Client) -> ionworks::Result<()> {
    /// use ionworks::types::ProjectCreate;
    /// let id = match client.create_project().body(ProjectCreate::builder().name("Ageing")).send().await {
    ///     Ok(project) => project.into_inner().id,
    ///     Err(e) => e.existing_id().map(str::to_string).ok_or(e)?,
    /// };
    /// # let _ = id; Ok(()) }
    /// ```
    pub fn existing_id(&self) -> Option<&str> {
        self.extra.details.existing_id.as_deref()
    }
    /// The validation errors of a 422 response (FastAPI's `detail` list).
    pub fn validation_errors(&self) -> &[ValidationError] {
        &self.extra.details.validation
    }
    /// The documented error body of the response, decoded as the spec
    /// describes it for this operation and status (for the Ionworks API,
    /// [`HttpValidationError`] on 422); `None` for another type or an
    /// undocumented response.
    ///
    /// ```
    /// # fn check(error: &ionworks::ApiError) {
    /// use ionworks::types::HttpValidationError;
    /// if let Some(body) = error.error_body::<HttpValidationError>() {
    ///     println!("{} validation errors", body.detail.len());
    /// }
    /// # }
    /// ```
    pub fn error_body<T: Any>(&self) -> Option<&T> {
        self.extra
            .body
            .as_deref()
            .and_then(|b| b.as_any().downcast_ref())
    }
    /// The `x-correlation-id` response header, for support requests.
    pub fn correlation_id(&self) -> Option<&str> {
        self.extra.correlation_id.as_deref()
    }
    /// The operation that failed (`"get_job"`, or `"GET /users/me"` for a
    /// [`Client::request`](crate::Client::request)), when known.
    pub fn operation(&self) -> Option<&str> {
        self.operation.as_deref()
    }
    /// A whitespace-collapsed excerpt of a body that was not a JSON error.
    pub fn body_excerpt(&self) -> Option<&str> {
        self.extra.details.excerpt.as_deref()
    }
    /// Whether the failure is transient: the same request may succeed later
    /// (408, 429, 500, 502, 503, 504, a connection failure, a timeout or a
    /// broken response). The client has already retried it as far as the
    /// [`RetryPolicy`](crate::RetryPolicy) allows for the request's method,
    /// and waits absorb it; any other failure is permanent.
    pub fn is_retryable(&self) -> bool {
        retry::is_transient(self.failure())
    }
    /// No connection could be made: nothing reached the server.
    pub fn is_connect(&self) -> bool {
        matches!(self.extra.transport, Some((Failure::Connect, ..)))
    }
    /// No response arrived within the request timeout.
    pub fn is_timeout(&self) -> bool {
        matches!(self.extra.transport, Some((Failure::Timeout, ..)))
    }
    /// How long the server asked the client to wait (`Retry-After`, in
    /// seconds or as an HTTP date), uncapped.
    pub fn retry_after(&self) -> Option<Duration> {
        self.extra.retry_after
    }
    /// 410 Gone: the server no longer accepts this request.
    pub fn is_gone(&self) -> bool {
        self.status == Some(StatusCode::GONE)
    }

    /// The failure as the retry rules see it.
    pub(crate) fn failure(&self) -> Failure {
        match (self.status, &self.extra.transport) {
            (Some(status), _) => Failure::Status(status),
            (None, Some((failure, ..))) => *failure,
            (None, None) => Failure::Other,
        }
    }

    fn new(kind: ErrorKind) -> Self {
        Self {
            kind,
            status: None,
            operation: None,
            extra: Box::default(),
        }
    }

    /// An error of kind [`ErrorKind::Other`] that says `message`.
    pub(crate) fn other(message: String) -> Self {
        let mut error = Self::new(ErrorKind::Other);
        error.extra.details = ErrorDetails::message(message);
        error
    }

    /// A client-side refusal (bad argument) for `operation`.
    pub(crate) fn invalid_request(operation: Cow<'static, str>, message: String) -> Self {
        let mut error = Self::new(ErrorKind::InvalidRequest);
        error.operation = Some(operation);
        error.extra.details = ErrorDetails::message(message);
        error
    }

    /// An error status, with what its headers and buffered body say.
    fn from_status(status: StatusCode, headers: &reqwest::header::HeaderMap) -> Self {
        let mut error = Self::new(ErrorKind::Status);
        error.status = Some(status);
        error.extra.correlation_id = headers
            .get(CORRELATION_ID)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        error.extra.retry_after = headers
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| retry::parse_retry_after(v, std::time::SystemTime::now()));
        error
    }

    /// A response that is not a documented success: its status, headers
    /// and (buffered by the client's hook) body.
    pub(crate) fn from_response(response: &reqwest::Response) -> Self {
        let mut error = Self::from_status(response.status(), response.headers());
        if let Some(buffered) = response.extensions().get::<BufferedError>() {
            error.extra.details = buffered.details.clone();
        }
        error
    }

    /// An error status with its headers and the body read (at most
    /// [`MAX_ERROR_BODY`] of it is looked at).
    #[cfg_attr(
        not(all(feature = "api-cell-measurements", feature = "api-cell-instances")),
        allow(dead_code)
    )]
    pub(crate) fn from_status_and_body(
        status: StatusCode,
        headers: &reqwest::header::HeaderMap,
        body: &[u8],
    ) -> Self {
        let mut error = Self::from_status(status, headers);
        error.extra.details = ErrorDetails::parse(&body[..body.len().min(MAX_ERROR_BODY)]);
        error
    }

    /// A request that got no response.
    pub(crate) fn from_transport(error: &reqwest::Error, timeout: Option<Duration>) -> Self {
        let kind = Failure::of(error);
        let server = error.url().and_then(|url| {
            let host = url.host_str()?;
            Some(match url.port_or_known_default() {
                Some(port) => format!("{host}:{port}"),
                None => host.to_string(),
            })
        });
        let mut api = Self::new(ErrorKind::Transport);
        api.extra.transport = Some((kind, root_cause(error), server));
        api.extra.timeout = timeout;
        api.extra.attempts = attempts_of(error);
        api
    }

    /// A success response whose body does not decode.
    pub(crate) fn decode(message: String, body: &[u8]) -> Self {
        let mut error = Self::new(ErrorKind::Decode);
        error.extra.details = ErrorDetails {
            message: Some(message),
            excerpt: excerpt(body),
            ..ErrorDetails::default()
        };
        error
    }

    /// Names the operation the error belongs to.
    pub(crate) fn in_operation(mut self, operation: impl Into<Cow<'static, str>>) -> Self {
        self.operation = Some(operation.into());
        self
    }

    /// The error of a generated operation's `send()`, given the client's
    /// request timeout (for messages). `ApiError::from_operation`, which
    /// generated code calls, finds the timeout in the client's state and
    /// lives beside it, in `client.rs`.
    pub(crate) fn from_generated<E>(
        error: progenitor_client::Error<E>,
        timeout: Option<Duration>,
        operation: &'static str,
        expected: &'static str,
    ) -> Self
    where
        E: fmt::Debug + Send + Sync + 'static,
    {
        use progenitor_client::Error as E;
        let error = match error {
            E::InvalidRequest(message) => {
                return Self::invalid_request(Cow::Borrowed(operation), message);
            }
            E::CommunicationError(e) | E::ResponseBodyError(e) | E::InvalidUpgrade(e) => {
                Self::from_transport(&e, timeout)
            }
            E::ErrorResponse(value) => {
                let mut error = Self::from_status(value.status(), value.headers());
                let body = value.into_inner();
                if let Some(v) = (&body as &dyn Any).downcast_ref::<HttpValidationError>() {
                    error.extra.details.message = summarize(&v.detail);
                    error.extra.details.validation = v.detail.clone();
                }
                error.extra.body = Some(Box::new(body));
                error
            }
            E::UnexpectedResponse(response) => {
                let mut error = Self::from_response(&response);
                // A success the operation does not document (any other
                // status is an error of its own).
                if response.status().is_success() && !expected.is_empty() {
                    error.extra.details.note = Some(Cow::Owned(format!("expected {expected}")));
                }
                error
            }
            E::InvalidResponsePayload(bytes, e) => Self::decode(e.to_string(), &bytes),
            E::Custom(message) => Self::other(message),
        };
        error.in_operation(operation)
    }
}

#[cfg(test)]
impl ApiError {
    /// An error response with `status` (and `Retry-After`), for unit tests.
    pub(crate) fn for_status(status: u16, retry_after: Option<Duration>) -> Self {
        let status = StatusCode::from_u16(status).expect("valid status");
        let mut error = Self::from_status(status, &reqwest::header::HeaderMap::new());
        error.extra.retry_after = retry_after;
        error
    }

    /// A connection failure, for unit tests.
    pub(crate) fn transport() -> Self {
        let mut error = Self::new(ErrorKind::Transport);
        error.extra.transport = Some((Failure::Connect, "connection refused".into(), None));
        error
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let operation = self.operation.as_deref();
        match self.kind {
            ErrorKind::Status => {
                match self.status {
                    Some(status) => write!(f, "{status}")?,
                    None => f.write_str("error response")?,
                }
                if let Some(op) = operation {
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
                if let Some(note) = &self.extra.details.note {
                    write!(f, " ({note})")?;
                }
                Ok(())
            }
            ErrorKind::InvalidRequest => {
                f.write_str("invalid request")?;
                match (operation, self.message()) {
                    // Path checks name the operation in their message too.
                    (Some(op), Some(m)) => {
                        let m = m
                            .strip_prefix(op)
                            .and_then(|rest| rest.strip_prefix(": "))
                            .unwrap_or(m);
                        write!(f, " to {op}: {m}")
                    }
                    (None, Some(m)) => write!(f, ": {m}"),
                    (Some(op), None) => write!(f, " to {op}"),
                    (None, None) => Ok(()),
                }
            }
            ErrorKind::Transport => {
                if let Some(op) = operation {
                    write!(f, "{op}: ")?;
                }
                let (kind, cause, server) = self
                    .extra
                    .transport
                    .as_ref()
                    .map_or((Failure::Transport, "", None), |(k, c, s)| {
                        (*k, c.as_str(), s.as_deref())
                    });
                match kind {
                    Failure::Connect => match server {
                        Some(server) => write!(f, "cannot connect to {server}: {cause}"),
                        None => write!(f, "cannot connect: {cause}"),
                    },
                    Failure::Timeout => match self.extra.timeout {
                        Some(t) => write!(f, "timed out after {}", Seconds(t)),
                        None => f.write_str("timed out"),
                    },
                    Failure::Body => write!(f, "reading the response failed: {cause}"),
                    _ => write!(f, "request failed: {cause}"),
                }?;
                match self.extra.attempts {
                    Some(n) if n > 1 => write!(f, " ({n} attempts)"),
                    _ => Ok(()),
                }
            }
            ErrorKind::Decode => {
                f.write_str("invalid response")?;
                if let Some(op) = operation {
                    write!(f, " from {op}")?;
                }
                write!(f, ": {}", self.message().unwrap_or("?"))?;
                if let Some(excerpt) = self.body_excerpt() {
                    write!(f, " (body: {excerpt})")?;
                }
                Ok(())
            }
            ErrorKind::Other => {
                if let Some(op) = operation {
                    write!(f, "{op}: ")?;
                }
                f.write_str(self.message().unwrap_or("unknown error"))
            }
        }
    }
}

/// The message is complete: no `source()` (see the module docs).
impl std::error::Error for ApiError {}

/// What the server's error body said.
#[derive(Clone, Debug, Default)]
struct ErrorDetails {
    message: Option<String>,
    code: Option<String>,
    /// `detail.existing_id` of a 409: the resource a create conflicted with.
    existing_id: Option<String>,
    validation: Vec<ValidationError>,
    excerpt: Option<String>,
    /// What the client did not do, and why (shown in parentheses).
    note: Option<Cow<'static, str>>,
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
                    details.existing_id = text(inner.get("existing_id"));
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
        // S3's `<Error><Code>…</Code><Message>…</Message></Error>` (storage).
        else if let Some(code) = xml_text(body, "Code") {
            details.message = xml_text(body, "Message");
            details.code = Some(code);
        }
        if details.message.is_none() && details.code.is_none() {
            details.excerpt = excerpt(body);
        }
        details
    }
}

/// The text of the first `<name>…</name>` in an XML body, if any (no
/// entities decoded: S3's codes and messages are plain text).
fn xml_text(body: &[u8], name: &str) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    let start = text.find(&format!("<{name}>"))? + name.len() + 2;
    let end = start + text[start..].find(&format!("</{name}>"))?;
    let value = text[start..end].trim();
    (!value.is_empty()).then(|| value.to_owned())
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

/// `{:?}` is the one-line message; `{:#?}` the parts (kind, status,
/// operation, the server's message and code, correlation id, …).
impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !f.alternate() {
            return fmt::Display::fmt(self, f);
        }
        f.debug_struct("ApiError")
            .field("kind", &self.kind)
            .field("status", &self.status)
            .field("operation", &self.operation)
            .field("details", &self.extra.details)
            .field("correlation_id", &self.extra.correlation_id)
            .field("retry_after", &self.extra.retry_after)
            .field("transport", &self.extra.transport)
            .field("timeout", &self.extra.timeout)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wording::EXCERPT_CHARS;

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
