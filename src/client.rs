//! Making the client: the [`ClientBuilder`], the headers and HTTP client it
//! builds from the resolved settings, the one hook every request goes
//! through (headers, timeout, compression, retries, tracing, error bodies),
//! and `ApiError::from_operation`, where a generated operation's error
//! comes in. Both use `error` (the hook hands error bodies to it); `error`
//! uses nothing here.
//!
//! # Every `Client` method, and where it lives
//!
//! `Client` itself is generated (`build.rs`, from `openapi.json`): one
//! method per operation, named after it (`get_job`, `list_projects`, …),
//! each returning a request builder whose `send()` goes through the hook
//! below. The hand-written methods, by the job they do:
//!
//! | methods | file |
//! |---|---|
//! | `builder`, `from_env`, `config` | here |
//! | `request` (any path, as the API's own) | `raw.rs` |
//! | `wait_until_terminal`, `wait_for_optimization`, `wait_for_jobs`, `submit_and_wait`, `resubmit_and_wait` | `wait/mod.rs` |
//! | `wait_for_pipeline`, `wait_for_simple_pipeline`, `wait_for_simulations`, `run_pipeline`, `run_simulations`, `run_ecm_fit` | `follow.rs` |
//! | `upload_measurement`, `extend_measurement`, `upload_raw_data`, `upload_file_measurement`, `wait_for_measurement`, `download_time_series_batches` | `measurements/client.rs` |
//!
//! Each `impl Client` block sits beside the types its methods return, so
//! that a module can be read (and compiled out with its feature) whole.

use std::any::Any;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue, USER_AGENT};
use tracing::Instrument;

use crate::config::{Config, ConfigError, CredentialKind, DEFAULT_CONNECT_TIMEOUT, Settings};
use crate::retry::RetryPolicy;
use crate::{ApiError, Client, error, retry};

const X_API_KEY: HeaderName = HeaderName::from_static("x-api-key");
const X_ORGANIZATION_ID: HeaderName = HeaderName::from_static("x-organization-id");

/// Request bodies of at least this many bytes are sent gzip-compressed
/// (`Content-Encoding: gzip`, level 1), as the Python client does, when the
/// `gzip` feature (a default one) is on.
pub const GZIP_THRESHOLD: usize = 512 * 1024;

/// Per-client state carried by the generated [`Client`]: the resolved
/// [`Config`] and the headers added to every request. Made only by
/// [`ClientBuilder`]; its `Debug` never shows a secret.
#[derive(Clone)]
pub struct ClientState {
    pub(crate) config: Arc<Config>,
    /// Auth (marked sensitive), organization id and user agent.
    pub(crate) headers: Arc<HeaderMap>,
}

impl fmt::Debug for ClientState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.keys().map(|k| k.as_str()).collect();
        f.debug_struct("ClientState")
            .field("config", &self.config)
            .field("headers", &names)
            .finish()
    }
}

/// Builds a [`Client`]. Explicit settings beat the environment, which is
/// read only after [`env`](Self::env) or [`env_lookup`](Self::env_lookup).
///
/// Precedence, per setting:
///
/// * **credentials**: any explicit credential beats the environment
///   entirely; within one source a bearer token beats an API key;
/// * **base URL**: explicit, then `IONWORKS_API_URL`, then
///   [`DEFAULT_BASE_URL`](crate::DEFAULT_BASE_URL); a trailing slash is tolerated;
/// * **organization id**: explicit, then `IONWORKS_ORGANIZATION_ID`, else
///   no `X-Organization-Id` header.
///
/// Empty (or whitespace-only) values count as unset everywhere.
///
/// ```
/// use std::time::Duration;
/// use ionworks::{Client, RetryPolicy};
///
/// let client = Client::builder()
///     .base_url("https://api.ionworks.com/")
///     .api_key("my-key")
///     .organization_id("org-123")
///     .request_timeout(Duration::from_secs(30))
///     .retry_policy(RetryPolicy::default().with_max_retries(5))
///     .build()?;
/// assert_eq!(client.config().base_url(), "https://api.ionworks.com");
/// # Ok::<(), ionworks::ConfigError>(())
/// ```
#[derive(Clone, Default)]
pub struct ClientBuilder {
    settings: Settings,
    http_client: Option<reqwest::Client>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("settings", &self.settings)
            .field(
                "http_client",
                &self.http_client.as_ref().map(|_| "<caller's>"),
            )
            .finish()
    }
}

impl ClientBuilder {
    /// A builder with nothing set; the environment is not read.
    pub fn new() -> Self {
        Self::default()
    }

    /// Fill unset values from the process environment (`IONWORKS_*`).
    pub fn env(self) -> Self {
        self.env_lookup(|name| std::env::var(name).ok())
    }

    /// Fill unset values through `lookup` instead of the process
    /// environment, for tests and for other configuration sources.
    ///
    /// ```
    /// use std::collections::HashMap;
    ///
    /// let vars = HashMap::from([("IONWORKS_API_KEY", "k"), ("IONWORKS_API_URL", "http://127.0.0.1:8000/")]);
    /// let client = ionworks::Client::builder()
    ///     .env_lookup(move |name| vars.get(name).map(|v| v.to_string()))
    ///     .build()?;
    /// assert_eq!(client.config().base_url(), "http://127.0.0.1:8000");
    /// # Ok::<(), ionworks::ConfigError>(())
    /// ```
    pub fn env_lookup<F>(mut self, lookup: F) -> Self
    where
        F: Fn(&str) -> Option<String> + Send + Sync + 'static,
    {
        self.settings.env = Some(Arc::new(lookup));
        self
    }

    /// API base URL, with or without trailing slash.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.settings.base_url = Some(url.into());
        self
    }

    /// API key, sent as `X-API-Key` (a bearer token set here wins over it).
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.settings.api_key = Some(key.into());
        self
    }

    /// Bearer token, sent as `Authorization: Bearer <token>`.
    pub fn bearer_token(mut self, token: impl Into<String>) -> Self {
        self.settings.bearer_token = Some(token.into());
        self
    }

    /// Organization id, sent as `X-Organization-Id`.
    pub fn organization_id(mut self, id: impl Into<String>) -> Self {
        self.settings.organization_id = Some(id.into());
        self
    }

    /// TCP/TLS connect timeout (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.settings.connect_timeout = Some(timeout);
        self
    }

    /// Timeout of each attempt, including the response body (default 60 s).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.settings.request_timeout = Some(timeout);
        self
    }

    /// `User-Agent` (default [`DEFAULT_USER_AGENT`](crate::DEFAULT_USER_AGENT)).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.settings.user_agent = Some(user_agent.into());
        self
    }

    /// Retry policy (default [`RetryPolicy::default`]).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.settings.retry = policy;
        self
    }

    /// Use the caller's `reqwest::Client` (proxies, certificates, a shared
    /// connection pool). Auth, organization and user-agent headers, the
    /// request timeout and retries are still applied per request. With the
    /// default `rustls` feature, start from [`crate::http_client_builder`]:
    /// `reqwest::Client::new()` needs a crypto provider installed
    /// process-wide.
    ///
    /// The client must not follow redirects itself (reqwest's default
    /// does, and sends `X-API-Key` along to another origin): the builder
    /// from [`crate::http_client_builder`] has them off, as has
    /// `reqwest::redirect::Policy::none()`. The SDK follows them, keeping
    /// credentials to the API's origin.
    ///
    /// ```
    /// let http = ionworks::http_client_builder()?
    ///     .build()
    ///     .map_err(ionworks::ConfigError::HttpClient)?;
    /// let client = ionworks::Client::builder().api_key("k").http_client(http).build()?;
    /// # Ok::<(), ionworks::ConfigError>(())
    /// ```
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.settings.caller_http_client = true;
        self.http_client = Some(client);
        self
    }

    /// Resolve the settings and build the client; never panics.
    pub fn build(self) -> Result<Client, ConfigError> {
        let (config, credential) = self.settings.resolve()?;
        let headers = headers(&config, &credential.kind, &credential.secret)?;
        let http = match self.http_client {
            Some(http) => http,
            None => crate::tls::http_client_builder()?
                .connect_timeout(config.connect_timeout().unwrap_or(DEFAULT_CONNECT_TIMEOUT))
                .build()
                .map_err(ConfigError::HttpClient)?,
        };
        let base_url = config.base_url().to_string();
        let state = ClientState {
            config: Arc::new(config),
            headers: Arc::new(headers),
        };
        Ok(Client::new_with_client(&base_url, http, state))
    }
}

/// The headers sent with every request; the credential is marked sensitive
/// (reqwest and `http` then never show it in `Debug`).
fn headers(config: &Config, kind: &CredentialKind, secret: &str) -> Result<HeaderMap, ConfigError> {
    // The settings were checked to be header-safe; these cannot fail, but
    // are mapped rather than unwrapped.
    let invalid = |setting| ConfigError::InvalidCredential { setting };
    let mut headers = HeaderMap::with_capacity(3);
    let (name, value) = match kind {
        CredentialKind::ApiKey => (X_API_KEY, HeaderValue::from_str(secret)),
        CredentialKind::BearerToken => (
            AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {secret}")),
        ),
    };
    let mut value = value.map_err(|_| invalid("credential"))?;
    value.set_sensitive(true);
    headers.insert(name, value);
    if let Some(id) = config.organization_id() {
        let value = HeaderValue::from_str(id).map_err(|_| ConfigError::InvalidOrganizationId {
            setting: "organization id",
        })?;
        headers.insert(X_ORGANIZATION_ID, value);
    }
    let value =
        HeaderValue::from_str(config.user_agent()).map_err(|_| ConfigError::InvalidUserAgent)?;
    headers.insert(USER_AGENT, value);
    Ok(headers)
}

impl Client {
    /// A [`ClientBuilder`] with nothing set; the environment is read only
    /// if you call [`ClientBuilder::env`].
    ///
    /// ```
    /// let client = ionworks::Client::builder()
    ///     .base_url("http://127.0.0.1:8000")
    ///     .api_key("my-key")
    ///     .build()?;
    /// # Ok::<(), ionworks::ConfigError>(())
    /// ```
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// A client configured from `IONWORKS_API_TOKEN` / `IONWORKS_API_KEY`,
    /// `IONWORKS_API_URL` and `IONWORKS_ORGANIZATION_ID`, like the Python
    /// client. Same as `Client::builder().env().build()`.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let client = ionworks::Client::from_env()?;
    /// let job = client.get_job().job_id("job-123").send().await?;
    /// # Ok(()) }
    /// ```
    pub fn from_env() -> Result<Client, ConfigError> {
        ClientBuilder::new().env().build()
    }

    /// The resolved configuration (never the secret).
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Sends `request` through the hook, as operation `operation`; `read`
    /// says whether a success response's body is read before it is
    /// returned (and a body that breaks off retried).
    ///
    /// Every call awaits the future this returns, inside its own, so it is
    /// kept small (a few hundred bytes): the request is prepared before the
    /// future is made, travels boxed, and the paths that are rare (a retry's
    /// wait, a redirect, an error body) are boxed where they happen. A
    /// future of over a KiB costs every caller who boxes or spawns it a
    /// slow allocation (glibc serves those outside its per-thread cache).
    pub(crate) fn execute<'a>(
        &'a self,
        mut request: Box<reqwest::Request>,
        operation: &'a str,
        read: retry::ReadBody,
    ) -> impl Future<Output = reqwest::Result<reqwest::Response>> + Send + 'a {
        let state = self.inner();
        let headers = request.headers_mut();
        for (name, value) in state.headers.iter() {
            if !headers.contains_key(name) {
                headers.insert(name.clone(), value.clone());
            }
        }
        if request.timeout().is_none() {
            *request.timeout_mut() = Some(state.config.request_timeout());
        }
        #[cfg(feature = "gzip")]
        compress_large_body(&mut request);
        let span = tracing::info_span!(
            "ionworks.request",
            operation,
            method = request.method().as_str(),
            path = request.url().path(),
            status = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
            retries = tracing::field::Empty,
        );
        // The fields are recorded through a handle of the span's own (the
        // current span is not something every subscriber tracks).
        let fields = span.clone();
        async move {
            let outcome = retry::send_with_retries(
                ClientInfo::client(self),
                state.config.retry_policy(),
                request,
                read,
            )
            .await;
            match finish(outcome, &fields) {
                Finished::Done(done) => done,
                // Boxed, as is everything rare on this path.
                Finished::ErrorBody(failed) => {
                    Box::pin(error::buffer_error_body(failed, operation)).await
                }
            }
        }
        .instrument(span)
    }
}

/// Where a request stands once the request loop is done with it.
enum Finished {
    /// What `execute` returns.
    Done(reqwest::Result<reqwest::Response>),
    /// An error response, whose body is still to be read.
    ErrorBody(error::Failed),
}

/// Where `outcome` leaves its request, with the span's fields recorded.
fn finish(outcome: retry::Outcome, span: &tracing::Span) -> Finished {
    span.record("retries", outcome.retries);
    span.record(
        "duration_ms",
        u64::try_from(outcome.elapsed.as_millis()).unwrap_or(u64::MAX),
    );
    match outcome.result {
        Ok(response) => {
            span.record("status", response.status().as_u16());
            if response.status().is_success() {
                Finished::Done(Ok(response))
            } else {
                Finished::ErrorBody(error::Failed {
                    response,
                    retries: outcome.retries,
                    not_replayed: outcome.not_replayed,
                })
            }
        }
        // Only the retried say how often they tried.
        Err(e) if outcome.retries > 0 => {
            Finished::Done(Err(error::with_attempts(e, outcome.retries + 1)))
        }
        Err(e) => Finished::Done(Err(e)),
    }
}

/// A buffered body of [`GZIP_THRESHOLD`] bytes or more, not already
/// encoded, is replaced by its gzip form (level 1: fast, and most of the
/// gain on JSON).
#[cfg(feature = "gzip")]
fn compress_large_body(request: &mut reqwest::Request) {
    use reqwest::header::{CONTENT_ENCODING, CONTENT_LENGTH};
    use std::io::Write as _;
    if request.headers().contains_key(CONTENT_ENCODING) {
        return;
    }
    let Some(bytes) = request.body().and_then(reqwest::Body::as_bytes) else {
        return;
    };
    if bytes.len() < GZIP_THRESHOLD {
        return;
    }
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(bytes.len() / 4),
        flate2::Compression::new(1),
    );
    let Ok(compressed) = encoder.write_all(bytes).and_then(|()| encoder.finish()) else {
        return;
    };
    tracing::debug!(
        from = bytes.len(),
        to = compressed.len(),
        "request body gzip-compressed"
    );
    request.headers_mut().remove(CONTENT_LENGTH);
    request
        .headers_mut()
        .insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    *request.body_mut() = Some(compressed.into());
}

impl ClientHooks<ClientState> for Client {
    // Not an `async fn`: its future would hold `request` (a few hundred
    // bytes) for the whole call, beside the one `execute` holds boxed.
    fn exec(
        &self,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> impl Future<Output = reqwest::Result<reqwest::Response>> {
        // The generated operations decode a JSON body whole; any other
        // body may be streamed to the caller.
        self.execute(Box::new(request), info.operation_id, retry::ReadBody::Json)
    }
}

// The other half of the generated operations' seam: what their `send()`
// returns on failure, with the request timeout from the client's state.
impl ApiError {
    /// The error of a generated operation's `send()`: every operation of the
    /// spec converts its `progenitor_client::Error<E>` here, with the
    /// client's state (for the request timeout in messages).
    #[doc(hidden)]
    pub fn from_operation<E, I>(
        error: progenitor_client::Error<E>,
        inner: &I,
        operation: &'static str,
        expected: &'static str,
    ) -> Self
    where
        E: fmt::Debug + Send + Sync + 'static,
        I: Any,
    {
        let timeout = (inner as &dyn Any)
            .downcast_ref::<ClientState>()
            .map(|state| state.config.request_timeout());
        Self::from_generated(error, timeout, operation, expected)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_carry_a_sensitive_credential() {
        for (kind, name, value) in [
            (CredentialKind::ApiKey, "x-api-key", "k-SECRET"),
            (
                CredentialKind::BearerToken,
                "authorization",
                "Bearer k-SECRET",
            ),
        ] {
            let client = match kind {
                CredentialKind::ApiKey => Client::builder().api_key("k-SECRET"),
                _ => Client::builder().bearer_token("k-SECRET"),
            }
            .organization_id("org-1")
            .build()
            .unwrap();
            let headers = &client.inner().headers;
            assert_eq!(headers[name], value);
            assert!(headers[name].is_sensitive());
            assert_eq!(headers["x-organization-id"], "org-1");
            assert_eq!(headers[USER_AGENT], crate::DEFAULT_USER_AGENT);
            assert!(!format!("{client:?}").contains("SECRET"));
        }
    }

    #[cfg(feature = "gzip")]
    #[test]
    fn large_bodies_are_gzipped_small_ones_are_not() {
        use reqwest::header::CONTENT_ENCODING;
        use std::io::Read as _;
        let http = crate::http_client_builder().unwrap().build().unwrap();
        let small = http.post("http://127.0.0.1/x").body(vec![b'a'; 1000]);
        let mut small = small.build().unwrap();
        compress_large_body(&mut small);
        assert!(!small.headers().contains_key(CONTENT_ENCODING));
        assert_eq!(small.body().unwrap().as_bytes().unwrap().len(), 1000);

        let payload: Vec<u8> = (0..GZIP_THRESHOLD + 10).map(|i| (i % 7) as u8).collect();
        let mut big = http
            .post("http://127.0.0.1/x")
            .body(payload.clone())
            .build()
            .unwrap();
        compress_large_body(&mut big);
        assert_eq!(big.headers()[CONTENT_ENCODING], "gzip");
        let sent = big.body().unwrap().as_bytes().unwrap();
        assert!(sent.len() < payload.len() / 10);
        let mut decoded = Vec::new();
        flate2::read::GzDecoder::new(sent)
            .read_to_end(&mut decoded)
            .unwrap();
        assert_eq!(decoded, payload);
    }
}
