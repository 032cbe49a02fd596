//! Why a client could not be built: [`ConfigError`], beside the settings
//! whose names its messages give. It keeps the convention of every error
//! of the crate (see `crate::error`): `Display` is the whole story on one
//! line, cause included, so `source()` is `None`; `Debug` is the same line
//! and `{:#?}` the variant with its message.

use std::fmt;

use crate::wording::root_cause;

/// Why a [`Client`](crate::Client) could not be built. Messages name the
/// setting or environment variable at fault and never contain a secret.
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
    /// reqwest could not build its client; the message shows its cause.
    HttpClient(reqwest::Error),
    /// The TLS configuration could not be made (for example, no root
    /// certificates could be loaded from the system).
    Tls(Box<dyn std::error::Error + Send + Sync>),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::config::{ENV_API_KEY, ENV_API_TOKEN};
        match self {
            Self::MissingCredentials => write!(
                f,
                "no Ionworks credentials: set {ENV_API_TOKEN} or {ENV_API_KEY}, \
                 or pass bearer_token/api_key to Client::builder()"
            ),
            Self::InvalidUrl { setting, reason } => {
                write!(f, "{setting} is not a valid API URL: {reason}")
            }
            Self::InvalidCredential { setting } | Self::InvalidOrganizationId { setting } => {
                write!(
                    f,
                    "{setting} contains characters that are not allowed in an HTTP header"
                )
            }
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
            Self::HttpClient(e) => write!(f, "cannot build the HTTP client: {}", root_cause(e)),
            Self::Tls(e) => write!(f, "cannot set up TLS: {}", root_cause(e.as_ref())),
        }
    }
}

/// The message is complete: no `source()` (see the module docs).
impl std::error::Error for ConfigError {}

/// `{:?}` is the one-line message; `{:#?}` the variant and its setting.
impl fmt::Debug for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !f.alternate() {
            return fmt::Display::fmt(self, f);
        }
        let name = match self {
            Self::MissingCredentials => "MissingCredentials",
            Self::InvalidUrl { .. } => "InvalidUrl",
            Self::InvalidCredential { .. } => "InvalidCredential",
            Self::InvalidOrganizationId { .. } => "InvalidOrganizationId",
            Self::InvalidUserAgent => "InvalidUserAgent",
            Self::ZeroTimeout { .. } => "ZeroTimeout",
            Self::ConnectTimeoutWithHttpClient => "ConnectTimeoutWithHttpClient",
            Self::HttpClient(_) => "HttpClient",
            Self::Tls(_) => "Tls",
        };
        f.debug_struct(name)
            .field("message", &self.to_string())
            .finish()
    }
}
