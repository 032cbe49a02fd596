//! Settings: what the caller and the environment say, resolved into a
//! [`Config`] and a credential, or a [`ConfigError`] (in `error.rs`). No
//! HTTP types here; `client.rs` turns the result into headers and an HTTP
//! client.

mod error;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

pub use error::ConfigError;

use crate::retry::RetryPolicy;

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

pub(crate) const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// Reads one environment variable (the process environment or a caller's).
pub(crate) type Lookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

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
    /// Set on the [`ClientBuilder`](crate::ClientBuilder).
    Explicit,
    /// Read from an `IONWORKS_*` environment variable.
    Environment,
    /// The built-in default.
    Default,
}

/// The resolved configuration of a [`Client`](crate::Client), without its secret.
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

/// The secret credential, kept out of every `Debug`.
pub(crate) struct Credential {
    pub(crate) kind: CredentialKind,
    pub(crate) secret: String,
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Credential({:?}, <redacted>)", self.kind)
    }
}

/// What the caller set on the builder (all optional).
#[derive(Clone, Default)]
pub(crate) struct Settings {
    pub(crate) base_url: Option<String>,
    pub(crate) api_key: Option<String>,
    pub(crate) bearer_token: Option<String>,
    pub(crate) organization_id: Option<String>,
    pub(crate) connect_timeout: Option<Duration>,
    pub(crate) request_timeout: Option<Duration>,
    pub(crate) user_agent: Option<String>,
    pub(crate) retry: RetryPolicy,
    pub(crate) env: Option<Lookup>,
    /// The caller brings its own HTTP client (so no connect timeout here).
    pub(crate) caller_http_client: bool,
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redact = |v: &Option<String>| v.as_ref().map(|_| "<redacted>");
        f.debug_struct("Settings")
            .field("base_url", &self.base_url)
            .field("api_key", &redact(&self.api_key))
            .field("bearer_token", &redact(&self.bearer_token))
            .field("organization_id", &self.organization_id)
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("user_agent", &self.user_agent)
            .field("retry", &self.retry)
            .field("env", &self.env.is_some())
            .finish()
    }
}

impl Settings {
    /// Resolve every setting by its precedence (see
    /// [`ClientBuilder`](crate::ClientBuilder)); never panics.
    pub(crate) fn resolve(&self) -> Result<(Config, Credential), ConfigError> {
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
        if !header_safe(&secret) {
            return Err(ConfigError::InvalidCredential { setting });
        }

        let organization_id = match non_empty(self.organization_id.clone()) {
            Some(id) => Some((id, "ClientBuilder::organization_id")),
            None => env(ENV_ORGANIZATION_ID),
        };
        if let Some((id, setting)) = &organization_id
            && !header_safe(id)
        {
            return Err(ConfigError::InvalidOrganizationId { setting });
        }

        let user_agent =
            non_empty(self.user_agent.clone()).unwrap_or_else(|| DEFAULT_USER_AGENT.into());
        if !header_safe(&user_agent) {
            return Err(ConfigError::InvalidUserAgent);
        }

        for (timeout, setting) in [
            (self.connect_timeout, "ClientBuilder::connect_timeout"),
            (self.request_timeout, "ClientBuilder::request_timeout"),
        ] {
            if timeout == Some(Duration::ZERO) {
                return Err(ConfigError::ZeroTimeout { setting });
            }
        }
        if self.caller_http_client && self.connect_timeout.is_some() {
            return Err(ConfigError::ConnectTimeoutWithHttpClient);
        }
        let connect_timeout = (!self.caller_http_client)
            .then(|| self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT));

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
        Ok((config, Credential { kind, secret }))
    }
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

/// Whether `value` may be sent as an HTTP header value (visible ASCII,
/// space, tab, or bytes of UTF-8 beyond ASCII; no control characters).
fn header_safe(value: &str) -> bool {
    value
        .bytes()
        .all(|b| b == b'\t' || (0x20..0x7f).contains(&b) || b >= 0x80)
}

/// A plain http(s) URL without credentials, query or fragment; returned
/// without trailing slashes.
fn check_url(raw: &str, setting: &'static str) -> Result<String, ConfigError> {
    let invalid = |reason: &str| ConfigError::InvalidUrl {
        setting,
        reason: reason.to_string(),
    };
    let trimmed = raw.trim().trim_end_matches('/');
    let url = url::Url::parse(trimmed).map_err(|e| invalid(&e.to_string()))?;
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

    pub(crate) fn with_env(vars: &[(&'static str, &'static str)]) -> Settings {
        let vars: Vec<(&'static str, &'static str)> = vars.to_vec();
        Settings {
            env: Some(Arc::new(move |name: &str| {
                vars.iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            })),
            ..Settings::default()
        }
    }

    fn explicit() -> Settings {
        Settings::default()
    }

    fn key(mut s: Settings, v: &str) -> Settings {
        s.api_key = Some(v.into());
        s
    }

    fn token(mut s: Settings, v: &str) -> Settings {
        s.bearer_token = Some(v.into());
        s
    }

    #[test]
    fn credential_precedence_table() {
        use CredentialKind::{ApiKey, BearerToken};
        use Source::*;
        let cases: Vec<(&str, Settings, (CredentialKind, &str), Source)> = vec![
            (
                "env key",
                with_env(&[(ENV_API_KEY, KEY)]),
                (ApiKey, KEY),
                Environment,
            ),
            (
                "env token",
                with_env(&[(ENV_API_TOKEN, TOKEN)]),
                (BearerToken, TOKEN),
                Environment,
            ),
            (
                "env token beats env key",
                with_env(&[(ENV_API_KEY, KEY), (ENV_API_TOKEN, TOKEN)]),
                (BearerToken, TOKEN),
                Environment,
            ),
            (
                "empty env token is unset",
                with_env(&[(ENV_API_KEY, KEY), (ENV_API_TOKEN, "")]),
                (ApiKey, KEY),
                Environment,
            ),
            (
                "whitespace env token is unset",
                with_env(&[(ENV_API_KEY, KEY), (ENV_API_TOKEN, "  ")]),
                (ApiKey, KEY),
                Environment,
            ),
            (
                "explicit key beats env token",
                key(with_env(&[(ENV_API_TOKEN, TOKEN)]), "explicit-key"),
                (ApiKey, "explicit-key"),
                Explicit,
            ),
            (
                "explicit token beats env key",
                token(with_env(&[(ENV_API_KEY, KEY)]), "explicit-token"),
                (BearerToken, "explicit-token"),
                Explicit,
            ),
            (
                "explicit token beats explicit key",
                token(key(explicit(), KEY), TOKEN),
                (BearerToken, TOKEN),
                Explicit,
            ),
            (
                "empty explicit key falls back to env",
                key(with_env(&[(ENV_API_KEY, KEY)]), ""),
                (ApiKey, KEY),
                Environment,
            ),
            (
                "env is not read unless asked",
                key(explicit(), KEY),
                (ApiKey, KEY),
                Explicit,
            ),
        ];
        for (name, settings, (kind, secret), source) in cases {
            let (config, credential) = settings.resolve().unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(
                (credential.kind, credential.secret.as_str()),
                (kind, secret),
                "{name}"
            );
            assert_eq!(config.credential(), (kind, source), "{name}");
            assert!(!format!("{credential:?}").contains(secret), "{name}");
        }
    }

    #[test]
    fn missing_credentials_name_both_variables() {
        for settings in [
            explicit(),
            with_env(&[]),
            with_env(&[(ENV_API_KEY, ""), (ENV_API_TOKEN, "")]),
            token(
                key(with_env(&[(ENV_API_URL, "http://127.0.0.1:1")]), ""),
                "",
            ),
        ] {
            let err = settings.resolve().unwrap_err();
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
        let with_url = |url: &str| {
            let mut s = key(explicit(), KEY);
            s.base_url = Some(url.into());
            s
        };
        let ok: Vec<(Settings, &str, Source)> = vec![
            (key(explicit(), KEY), DEFAULT_BASE_URL, Source::Default),
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
                {
                    let mut s = with_env(&[(ENV_API_KEY, KEY), (ENV_API_URL, "not a url")]);
                    s.base_url = Some("https://explicit.example".into());
                    s
                },
                "https://explicit.example",
                Source::Explicit,
            ),
        ];
        for (settings, url, source) in ok {
            let (config, _) = settings.resolve().unwrap();
            assert_eq!((config.base_url(), config.base_url_source()), (url, source));
        }
        let bad: Vec<(Settings, &str)> = vec![
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
                with_url("https://u:pw@example.com"),
                "ClientBuilder::base_url",
            ),
            (
                with_url("https://example.com/?a=1"),
                "ClientBuilder::base_url",
            ),
            (with_url("api.ionworks.com"), "ClientBuilder::base_url"),
        ];
        for (settings, setting) in bad {
            let err = settings.resolve().unwrap_err();
            assert!(matches!(err, ConfigError::InvalidUrl { .. }), "{err:?}");
            let msg = err.to_string();
            assert!(msg.starts_with(setting), "{msg}");
            assert!(!msg.contains("pw"), "{msg}");
        }
    }

    #[test]
    fn organization_and_other_settings() {
        let (config, _) = with_env(&[(ENV_API_KEY, KEY), (ENV_ORGANIZATION_ID, "org-env")])
            .resolve()
            .unwrap();
        assert_eq!(config.organization_id(), Some("org-env"));
        let mut s = with_env(&[(ENV_API_KEY, KEY), (ENV_ORGANIZATION_ID, "org-env")]);
        s.organization_id = Some("org-explicit".into());
        let (config, _) = s.resolve().unwrap();
        assert_eq!(config.organization_id(), Some("org-explicit"));
        let (config, _) = with_env(&[(ENV_API_KEY, KEY), (ENV_ORGANIZATION_ID, "")])
            .resolve()
            .unwrap();
        assert_eq!(config.organization_id(), None);
        assert_eq!(config.user_agent(), DEFAULT_USER_AGENT);
        assert!(DEFAULT_USER_AGENT.starts_with("ionworks-rust/0."));

        let set = |f: fn(&mut Settings)| {
            let mut s = key(explicit(), KEY);
            f(&mut s);
            s
        };
        let cases: Vec<(Settings, &str)> = vec![
            (with_env(&[(ENV_API_KEY, "bad\nkey")]), ENV_API_KEY),
            (
                token(explicit(), "bad\ntoken"),
                "ClientBuilder::bearer_token",
            ),
            (
                set(|s| s.organization_id = Some("a\u{0}b".into())),
                "ClientBuilder::organization_id",
            ),
            (
                with_env(&[(ENV_API_KEY, KEY), (ENV_ORGANIZATION_ID, "o\r\n")]),
                ENV_ORGANIZATION_ID,
            ),
            (
                set(|s| s.user_agent = Some("x\n".into())),
                "ClientBuilder::user_agent",
            ),
            (
                set(|s| s.request_timeout = Some(Duration::ZERO)),
                "ClientBuilder::request_timeout",
            ),
            (
                set(|s| s.connect_timeout = Some(Duration::ZERO)),
                "ClientBuilder::connect_timeout",
            ),
            (
                set(|s| {
                    s.caller_http_client = true;
                    s.connect_timeout = Some(Duration::from_secs(1));
                }),
                "ClientBuilder::connect_timeout",
            ),
        ];
        for (settings, setting) in cases {
            let msg = settings.resolve().unwrap_err().to_string();
            assert!(msg.starts_with(setting), "{setting}: {msg}");
            assert!(!msg.contains("bad"), "{msg}");
        }
    }
}
