//! Client configuration: the builder, the environment and their precedence.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue, USER_AGENT};

use crate::retry::RetryPolicy;
use crate::{Client, ClientState};

/// Base URL used when neither the builder nor `IONWORKS_API_URL` sets one.
pub const DEFAULT_BASE_URL: &str = "https://api.ionworks.com";
/// Environment variable of the API key, sent as `X-API-Key`.
pub const ENV_API_KEY: &str = "IONWORKS_API_KEY";
/// Environment variable of the bearer token, sent as `Authorization: Bearer`.
pub const ENV_API_TOKEN: &str = "IONWORKS_API_TOKEN";
/// Environment variable of the base URL.
pub const ENV_API_URL: &str = "IONWORKS_API_URL";
/// Environment variable of the organization id, sent as `X-Organization-Id`.
pub const ENV_ORGANIZATION_ID: &str = "IONWORKS_ORGANIZATION_ID";
/// The default `User-Agent`: `ionworks-rust/<crate version>`.
pub const DEFAULT_USER_AGENT: &str = concat!("ionworks-rust/", env!("CARGO_PKG_VERSION"));

const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
const X_API_KEY: HeaderName = HeaderName::from_static("x-api-key");
const X_ORGANIZATION_ID: HeaderName = HeaderName::from_static("x-organization-id");

type Lookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Which credential a client sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CredentialKind {
    /// `X-API-Key: <key>`.
    ApiKey,
    /// `Authorization: Bearer <token>`.
    BearerToken,
}

/// Where a setting came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Source {
    /// Set on the [`ClientBuilder`].
    Explicit,
    /// Read from an `IONWORKS_*` environment variable.
    Environment,
    /// The built-in default.
    Default,
}

/// The resolved configuration of a [`Client`], without its secret.
///
/// ```
/// use ionworks::{Client, CredentialKind, Source};
///
/// let client = Client::builder().bearer_token("t0ken").build()?;
/// let config = client.config();
/// assert_eq!(config.base_url(), "https://api.ionworks.com");
/// assert_eq!(config.credential(), (CredentialKind::BearerToken, Source::Explicit));
/// assert!(!format!("{client:?}").contains("t0ken"));
/// # Ok::<(), ionworks::ConfigError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Config {
    base_url: String,
    base_url_source: Source,
    credential: (CredentialKind, Source),
    organization_id: Option<String>,
    connect_timeout: Option<Duration>,
    request_timeout: Duration,
    user_agent: String,
    retry: RetryPolicy,
}

impl Config {
    /// Base URL without trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }
    /// Where the base URL came from.
    pub fn base_url_source(&self) -> Source {
        self.base_url_source
    }
    /// Which credential is sent and where it came from (never its value).
    pub fn credential(&self) -> (CredentialKind, Source) {
        self.credential
    }
    /// Organization id sent as `X-Organization-Id`, if any.
    pub fn organization_id(&self) -> Option<&str> {
        self.organization_id.as_deref()
    }
    /// Connect timeout; `None` when a caller's `reqwest::Client` is used.
    pub fn connect_timeout(&self) -> Option<Duration> {
        self.connect_timeout
    }
    /// Timeout of one attempt, from sending to the end of the response body.
    pub fn request_timeout(&self) -> Duration {
        self.request_timeout
    }
    /// `User-Agent` sent with every request.
    pub fn user_agent(&self) -> &str {
        &self.user_agent
    }
    /// Retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }
}

/// Why a [`Client`] could not be built. Messages name the setting or
/// environment variable at fault and never contain a secret.
#[derive(Debug)]
#[non_exhaustive]
pub enum ConfigError {
    /// No API key or token, neither on the builder nor in the environment.
    MissingCredentials,
    /// The base URL does not parse or is not a plain http(s) URL.
    InvalidUrl {
        /// `IONWORKS_API_URL` or `ClientBuilder::base_url`.
        setting: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A credential contains characters not allowed in an HTTP header.
    InvalidCredential {
        /// The variable or builder method it came from.
        setting: &'static str,
    },
    /// The organization id contains characters not allowed in an HTTP header.
    InvalidOrganizationId {
        /// The variable or builder method it came from.
        setting: &'static str,
    },
    /// The user agent contains characters not allowed in an HTTP header.
    InvalidUserAgent,
    /// A timeout of zero.
    ZeroTimeout {
        /// `ClientBuilder::connect_timeout` or `ClientBuilder::request_timeout`.
        setting: &'static str,
    },
    /// `connect_timeout` cannot be applied to a caller's `reqwest::Client`.
    ConnectTimeoutWithHttpClient,
    /// reqwest could not build its client (for example, the TLS backend failed).
    HttpClient(reqwest::Error),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingCredentials => write!(
                f,
                "no Ionworks credentials: set {ENV_API_TOKEN} or {ENV_API_KEY}, \
                 or pass bearer_token/api_key to Client::builder()"
            ),
            Self::InvalidUrl { setting, reason } => {
                write!(f, "{setting} is not a valid API URL: {reason}")
            }
            Self::InvalidCredential { setting } => write!(
                f,
                "{setting} contains characters that are not allowed in an HTTP header"
            ),
            Self::InvalidOrganizationId { setting } => write!(
                f,
                "{setting} contains characters that are not allowed in an HTTP header"
            ),
            Self::InvalidUserAgent => write!(
                f,
                "ClientBuilder::user_agent contains characters that are not allowed in an HTTP header"
            ),
            Self::ZeroTimeout { setting } => write!(f, "{setting} must be greater than zero"),
            Self::ConnectTimeoutWithHttpClient => write!(
                f,
                "ClientBuilder::connect_timeout cannot be applied to a caller's reqwest::Client \
                 (ClientBuilder::http_client); set it on that client instead"
            ),
            Self::HttpClient(e) => write!(f, "cannot build the HTTP client: {e}"),
        }
    }
}

impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::HttpClient(e) => Some(e),
            _ => None,
        }
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
///   [`DEFAULT_BASE_URL`]; a trailing slash is tolerated;
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
    base_url: Option<String>,
    api_key: Option<String>,
    bearer_token: Option<String>,
    organization_id: Option<String>,
    connect_timeout: Option<Duration>,
    request_timeout: Option<Duration>,
    user_agent: Option<String>,
    retry: RetryPolicy,
    http_client: Option<reqwest::Client>,
    env: Option<Lookup>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redact = |v: &Option<String>| v.as_ref().map(|_| "<redacted>");
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field("api_key", &redact(&self.api_key))
            .field("bearer_token", &redact(&self.bearer_token))
            .field("organization_id", &self.organization_id)
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("user_agent", &self.user_agent)
            .field("retry", &self.retry)
            .field(
                "http_client",
                &self.http_client.as_ref().map(|_| "<caller's>"),
            )
            .field("env", &self.env.is_some())
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
        self.env = Some(Arc::new(lookup));
        self
    }

    /// API base URL, with or without trailing slash.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// API key, sent as `X-API-Key` (a bearer token set here wins over it).
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// Bearer token, sent as `Authorization: Bearer <token>`.
    pub fn bearer_token(mut self, token: impl Into<String>) -> Self {
        self.bearer_token = Some(token.into());
        self
    }

    /// Organization id, sent as `X-Organization-Id`.
    pub fn organization_id(mut self, id: impl Into<String>) -> Self {
        self.organization_id = Some(id.into());
        self
    }

    /// TCP/TLS connect timeout (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Timeout of each attempt, including the response body (default 60 s).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = Some(timeout);
        self
    }

    /// `User-Agent` (default [`DEFAULT_USER_AGENT`]).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// Retry policy (default [`RetryPolicy::default`]).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Use the caller's `reqwest::Client` (proxies, certificates, a shared
    /// connection pool). Auth, organization and user-agent headers, the
    /// request timeout and retries are still applied per request.
    ///
    /// ```
    /// let http = reqwest::Client::new();
    /// let client = ionworks::Client::builder().api_key("k").http_client(http).build()?;
    /// # Ok::<(), ionworks::ConfigError>(())
    /// ```
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Resolve the settings and build the client; never panics.
    pub fn build(self) -> Result<Client, ConfigError> {
        let (config, headers) = self.resolve()?;
        let http = match self.http_client {
            Some(http) => http,
            None => reqwest::Client::builder()
                .connect_timeout(config.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT))
                .build()
                .map_err(ConfigError::HttpClient)?,
        };
        let base_url = config.base_url.clone();
        let state = ClientState {
            config: Arc::new(config),
            headers: Arc::new(headers),
        };
        Ok(Client::new_with_client(&base_url, http, state))
    }

    fn resolve(&self) -> Result<(Config, HeaderMap), ConfigError> {
        let env = |name: &'static str| {
            self.env
                .as_ref()
                .and_then(|lookup| non_empty(lookup(name)))
                .map(|v| (v, name))
        };

        let (base_url, base_url_source) = match non_empty(self.base_url.clone()) {
            Some(url) => (
                check_url(&url, "ClientBuilder::base_url")?,
                Source::Explicit,
            ),
            None => match env(ENV_API_URL) {
                Some((url, name)) => (check_url(&url, name)?, Source::Environment),
                None => (DEFAULT_BASE_URL.to_string(), Source::Default),
            },
        };

        let explicit = match (
            non_empty(self.bearer_token.clone()),
            non_empty(self.api_key.clone()),
        ) {
            (Some(token), _) => Some((
                CredentialKind::BearerToken,
                token,
                "ClientBuilder::bearer_token",
            )),
            (None, Some(key)) => Some((CredentialKind::ApiKey, key, "ClientBuilder::api_key")),
            (None, None) => None,
        };
        let (kind, secret, setting, source) = match explicit {
            Some((kind, secret, setting)) => (kind, secret, setting, Source::Explicit),
            None => match (env(ENV_API_TOKEN), env(ENV_API_KEY)) {
                (Some((token, name)), _) => (
                    CredentialKind::BearerToken,
                    token,
                    name,
                    Source::Environment,
                ),
                (None, Some((key, name))) => {
                    (CredentialKind::ApiKey, key, name, Source::Environment)
                }
                (None, None) => return Err(ConfigError::MissingCredentials),
            },
        };

        let mut headers = HeaderMap::with_capacity(3);
        let (name, value) = match kind {
            CredentialKind::ApiKey => (X_API_KEY, HeaderValue::from_str(&secret)),
            CredentialKind::BearerToken => (
                AUTHORIZATION,
                HeaderValue::from_str(&format!("Bearer {secret}")),
            ),
        };
        let mut value = value.map_err(|_| ConfigError::InvalidCredential { setting })?;
        value.set_sensitive(true);
        headers.insert(name, value);

        let organization_id = match non_empty(self.organization_id.clone()) {
            Some(id) => Some((id, "ClientBuilder::organization_id")),
            None => env(ENV_ORGANIZATION_ID),
        };
        if let Some((id, setting)) = &organization_id {
            let value = HeaderValue::from_str(id)
                .map_err(|_| ConfigError::InvalidOrganizationId { setting })?;
            headers.insert(X_ORGANIZATION_ID, value);
        }

        let user_agent =
            non_empty(self.user_agent.clone()).unwrap_or_else(|| DEFAULT_USER_AGENT.into());
        let value =
            HeaderValue::from_str(&user_agent).map_err(|_| ConfigError::InvalidUserAgent)?;
        headers.insert(USER_AGENT, value);

        for (timeout, setting) in [
            (self.connect_timeout, "ClientBuilder::connect_timeout"),
            (self.request_timeout, "ClientBuilder::request_timeout"),
        ] {
            if timeout == Some(Duration::ZERO) {
                return Err(ConfigError::ZeroTimeout { setting });
            }
        }
        if self.http_client.is_some() && self.connect_timeout.is_some() {
            return Err(ConfigError::ConnectTimeoutWithHttpClient);
        }
        let connect_timeout = match self.http_client {
            Some(_) => None,
            None => Some(self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT)),
        };

        let config = Config {
            base_url,
            base_url_source,
            credential: (kind, source),
            organization_id: organization_id.map(|(id, _)| id),
            connect_timeout,
            request_timeout: self.request_timeout.unwrap_or(DEFAULT_REQUEST_TIMEOUT),
            user_agent,
            retry: self.retry.clone(),
        };
        Ok((config, headers))
    }
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

/// A plain http(s) URL without credentials, query or fragment; returned
/// without trailing slashes.
fn check_url(raw: &str, setting: &'static str) -> Result<String, ConfigError> {
    let invalid = |reason: &str| ConfigError::InvalidUrl {
        setting,
        reason: reason.to_string(),
    };
    let trimmed = raw.trim().trim_end_matches('/');
    let url = reqwest::Url::parse(trimmed).map_err(|e| invalid(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid("the scheme must be http or https"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("it has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(
            "it must not contain credentials; use IONWORKS_API_KEY or IONWORKS_API_TOKEN",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("it must not have a query or fragment"));
    }
    Ok(trimmed.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "key-SECRET-1";
    const TOKEN: &str = "token-SECRET-2";

    fn with_env(vars: &[(&'static str, &'static str)]) -> ClientBuilder {
        let vars: Vec<(&'static str, &'static str)> = vars.to_vec();
        ClientBuilder::new().env_lookup(move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        })
    }

    /// The header actually sent, as (name, value).
    fn auth(b: &ClientBuilder) -> Result<(String, String, Source), String> {
        let (config, headers) = b.resolve().map_err(|e| e.to_string())?;
        let (name, value) = headers
            .iter()
            .find(|(n, _)| *n == X_API_KEY || *n == AUTHORIZATION)
            .unwrap();
        assert!(value.is_sensitive(), "auth header marked sensitive");
        Ok((
            name.to_string(),
            value.to_str().unwrap().to_string(),
            config.credential.1,
        ))
    }

    #[test]
    fn credential_precedence_table() {
        use Source::*;
        let key = |v: &str| ("x-api-key".to_string(), v.to_string());
        let bearer = |v: &str| ("authorization".to_string(), format!("Bearer {v}"));
        let cases: Vec<(&str, ClientBuilder, (String, String), Source)> = vec![
            (
                "env key",
                with_env(&[(ENV_API_KEY, KEY)]),
                key(KEY),
                Environment,
            ),
            (
                "env token",
                with_env(&[(ENV_API_TOKEN, TOKEN)]),
                bearer(TOKEN),
                Environment,
            ),
            (
                "env token beats env key",
                with_env(&[(ENV_API_KEY, KEY), (ENV_API_TOKEN, TOKEN)]),
                bearer(TOKEN),
                Environment,
            ),
            (
                "empty env token is unset",
                with_env(&[(ENV_API_KEY, KEY), (ENV_API_TOKEN, "")]),
                key(KEY),
                Environment,
            ),
            (
                "whitespace env token is unset",
                with_env(&[(ENV_API_KEY, KEY), (ENV_API_TOKEN, "  ")]),
                key(KEY),
                Environment,
            ),
            (
                "explicit key beats env token",
                with_env(&[(ENV_API_TOKEN, TOKEN)]).api_key("explicit-key"),
                key("explicit-key"),
                Explicit,
            ),
            (
                "explicit token beats env key",
                with_env(&[(ENV_API_KEY, KEY)]).bearer_token("explicit-token"),
                bearer("explicit-token"),
                Explicit,
            ),
            (
                "explicit token beats explicit key",
                ClientBuilder::new().api_key(KEY).bearer_token(TOKEN),
                bearer(TOKEN),
                Explicit,
            ),
            (
                "empty explicit key falls back to env",
                with_env(&[(ENV_API_KEY, KEY)]).api_key(""),
                key(KEY),
                Environment,
            ),
            (
                "env is not read unless asked",
                ClientBuilder::new().api_key(KEY),
                key(KEY),
                Explicit,
            ),
        ];
        for (name, builder, expected, source) in cases {
            let (header, value, got_source) =
                auth(&builder).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!((header, value), expected, "{name}");
            assert_eq!(got_source, source, "{name}");
        }
    }

    #[test]
    fn missing_credentials_name_both_variables() {
        for builder in [
            ClientBuilder::new(),
            with_env(&[]),
            with_env(&[(ENV_API_KEY, ""), (ENV_API_TOKEN, "")]),
            with_env(&[(ENV_API_URL, "http://127.0.0.1:1")])
                .api_key("")
                .bearer_token(""),
        ] {
            let err = builder.build().unwrap_err();
            assert!(matches!(err, ConfigError::MissingCredentials), "{err:?}");
            let msg = err.to_string();
            assert!(
                msg.contains(ENV_API_KEY) && msg.contains(ENV_API_TOKEN),
                "{msg}"
            );
        }
    }

    #[test]
    fn url_table() {
        let ok: &[(ClientBuilder, &str, Source)] = &[
            (
                ClientBuilder::new().api_key(KEY),
                DEFAULT_BASE_URL,
                Source::Default,
            ),
            (
                with_env(&[(ENV_API_KEY, KEY), (ENV_API_URL, "")]),
                DEFAULT_BASE_URL,
                Source::Default,
            ),
            (
                with_env(&[(ENV_API_KEY, KEY), (ENV_API_URL, "http://127.0.0.1:8000/")]),
                "http://127.0.0.1:8000",
                Source::Environment,
            ),
            (
                with_env(&[
                    (ENV_API_KEY, KEY),
                    (ENV_API_URL, "https://example.com/api/v1//"),
                ]),
                "https://example.com/api/v1",
                Source::Environment,
            ),
            (
                with_env(&[(ENV_API_KEY, KEY), (ENV_API_URL, "not a url")])
                    .base_url("https://explicit.example"),
                "https://explicit.example",
                Source::Explicit,
            ),
        ];
        for (builder, url, source) in ok {
            let (config, _) = builder.resolve().unwrap();
            assert_eq!(
                (config.base_url(), config.base_url_source()),
                (*url, *source)
            );
        }
        let bad: &[(ClientBuilder, &str)] = &[
            (
                with_env(&[(ENV_API_KEY, KEY), (ENV_API_URL, "not a url")]),
                ENV_API_URL,
            ),
            (
                with_env(&[(ENV_API_KEY, KEY), (ENV_API_URL, "ftp://example.com")]),
                ENV_API_URL,
            ),
            (
                with_env(&[(ENV_API_KEY, KEY), (ENV_API_URL, "https://")]),
                ENV_API_URL,
            ),
            (
                ClientBuilder::new()
                    .api_key(KEY)
                    .base_url("https://u:pw@example.com"),
                "ClientBuilder::base_url",
            ),
            (
                ClientBuilder::new()
                    .api_key(KEY)
                    .base_url("https://example.com/?a=1"),
                "ClientBuilder::base_url",
            ),
            (
                ClientBuilder::new()
                    .api_key(KEY)
                    .base_url("api.ionworks.com"),
                "ClientBuilder::base_url",
            ),
        ];
        for (builder, setting) in bad {
            let err = builder.resolve().unwrap_err();
            assert!(matches!(err, ConfigError::InvalidUrl { .. }), "{err:?}");
            let msg = err.to_string();
            assert!(msg.starts_with(setting), "{msg}");
            assert!(!msg.contains("pw"), "{msg}");
        }
    }

    #[test]
    fn organization_and_other_settings() {
        let (config, headers) = with_env(&[(ENV_API_KEY, KEY), (ENV_ORGANIZATION_ID, "org-env")])
            .resolve()
            .unwrap();
        assert_eq!(config.organization_id(), Some("org-env"));
        assert_eq!(headers[X_ORGANIZATION_ID], "org-env");
        let (config, headers) = with_env(&[(ENV_API_KEY, KEY), (ENV_ORGANIZATION_ID, "org-env")])
            .organization_id("org-explicit")
            .resolve()
            .unwrap();
        assert_eq!(config.organization_id(), Some("org-explicit"));
        assert_eq!(headers[X_ORGANIZATION_ID], "org-explicit");
        let (config, headers) = with_env(&[(ENV_API_KEY, KEY), (ENV_ORGANIZATION_ID, "")])
            .resolve()
            .unwrap();
        assert_eq!(config.organization_id(), None);
        assert!(!headers.contains_key(X_ORGANIZATION_ID));
        assert_eq!(headers[USER_AGENT], DEFAULT_USER_AGENT);
        assert!(DEFAULT_USER_AGENT.starts_with("ionworks-rust/0."));

        let cases: Vec<(ClientBuilder, &str)> = vec![
            (with_env(&[(ENV_API_KEY, "bad\nkey")]), ENV_API_KEY),
            (
                ClientBuilder::new().bearer_token("bad\ntoken"),
                "ClientBuilder::bearer_token",
            ),
            (
                ClientBuilder::new().api_key(KEY).organization_id("a\u{0}b"),
                "ClientBuilder::organization_id",
            ),
            (
                with_env(&[(ENV_API_KEY, KEY), (ENV_ORGANIZATION_ID, "o\r\n")]),
                ENV_ORGANIZATION_ID,
            ),
            (
                ClientBuilder::new().api_key(KEY).user_agent("x\n"),
                "ClientBuilder::user_agent",
            ),
            (
                ClientBuilder::new()
                    .api_key(KEY)
                    .request_timeout(Duration::ZERO),
                "ClientBuilder::request_timeout",
            ),
            (
                ClientBuilder::new()
                    .api_key(KEY)
                    .connect_timeout(Duration::ZERO),
                "ClientBuilder::connect_timeout",
            ),
            (
                ClientBuilder::new()
                    .api_key(KEY)
                    .http_client(reqwest::Client::new())
                    .connect_timeout(Duration::from_secs(1)),
                "ClientBuilder::connect_timeout",
            ),
        ];
        for (builder, setting) in cases {
            let msg = builder.build().unwrap_err().to_string();
            assert!(msg.starts_with(setting), "{setting}: {msg}");
            assert!(!msg.contains("bad"), "{msg}");
        }
    }
}
