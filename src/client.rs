//! The facade over the generated [`Client`]: construction and the one hook
//! that adds headers, retries, tracing and error-body buffering.

use std::fmt;
use std::sync::Arc;

use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use tracing::Instrument;

use crate::config::{ClientBuilder, Config, ConfigError};
use crate::{Client, error, retry};

/// Per-client state carried by the generated [`Client`]: the resolved
/// [`Config`] and the headers added to every request. Made only by
/// [`ClientBuilder`]; its `Debug` never shows a secret.
#[derive(Clone)]
pub struct ClientState {
    pub(crate) config: Arc<Config>,
    /// Auth (marked sensitive), organization id and user agent.
    pub(crate) headers: Arc<reqwest::header::HeaderMap>,
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
}

impl ClientHooks<ClientState> for Client {
    async fn exec(
        &self,
        mut request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
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
        let span = tracing::info_span!(
            "ionworks.request",
            operation = info.operation_id,
            method = request.method().as_str(),
            path = request.url().path(),
            status = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
            retries = tracing::field::Empty,
        );
        let operation = info.operation_id;
        let method = request.method().clone();
        let fields = span.clone();
        async move {
            let outcome =
                retry::send_with_retries(self.client(), state.config.retry_policy(), request).await;
            let span = fields;
            span.record("retries", outcome.retries);
            span.record(
                "duration_ms",
                u64::try_from(outcome.elapsed.as_millis()).unwrap_or(u64::MAX),
            );
            match outcome.result {
                Ok(response) => {
                    span.record("status", response.status().as_u16());
                    if response.status().is_success() {
                        Ok(response)
                    } else {
                        let meta = error::RequestMeta {
                            operation,
                            method,
                            retries: outcome.retries,
                        };
                        error::buffer_error_body(response, meta).await
                    }
                }
                Err(e) => Err(e),
            }
        }
        .instrument(span)
        .await
    }
}
