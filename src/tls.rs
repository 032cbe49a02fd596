//! The TLS set-up of the HTTP clients this crate builds.
//!
//! With the default `rustls` feature, reqwest is built without a crypto
//! provider of its own (`reqwest/rustls-no-provider`): its default provider,
//! aws-lc-rs, is a long C/cmake build. Every client this crate builds is
//! handed a `rustls::ClientConfig` instead, made as reqwest makes its own
//! (all protocol versions rustls supports, the platform's certificate
//! verifier), with the *ring* provider, or with the provider the application
//! installed process-wide if it did. Nothing is installed process-wide.

use crate::ConfigError;

/// reqwest's [`ClientBuilder`](reqwest::ClientBuilder) with the TLS set-up
/// of the clients this crate builds, for a `reqwest::Client` of your own
/// (proxies, a shared pool, default headers) to hand to
/// [`ClientBuilder::http_client`](crate::ClientBuilder::http_client).
///
/// With the default `rustls` feature reqwest has no crypto provider of its
/// own, so `reqwest::Client::new()` panics unless the application installed
/// one (`rustls::crypto::ring::default_provider().install_default()`); this
/// builder does not need one. Its TLS configuration is complete, so reqwest's
/// TLS settings (extra root certificates, client identity, TLS versions) have
/// no effect on it: for those, install a provider process-wide and use
/// `reqwest::Client::builder()`, or enable the `rustls-aws-lc` or
/// `native-tls` feature. With those features this is
/// `reqwest::Client::builder()`.
///
/// Redirects are off (`reqwest::redirect::Policy::none()`): the client
/// follows them itself, and sends credentials only to the configured
/// API's origin (reqwest would send `X-API-Key` wherever a redirect
/// points). A `reqwest::Client` of your own should keep them off.
///
/// ```
/// # fn run() -> Result<(), ionworks::ConfigError> {
/// let http = ionworks::http_client_builder()?
///     .pool_max_idle_per_host(4)
///     .build()
///     .map_err(ionworks::ConfigError::HttpClient)?;
/// let client = ionworks::Client::builder().api_key("my-key").http_client(http).build()?;
/// # let _ = client; Ok(()) }
/// # run().unwrap();
/// ```
pub fn http_client_builder() -> Result<reqwest::ClientBuilder, ConfigError> {
    let builder = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none());
    #[cfg(all(
        feature = "rustls",
        not(feature = "rustls-aws-lc"),
        not(feature = "native-tls")
    ))]
    let builder = builder.tls_backend_preconfigured(ring::client_config()?);
    Ok(builder)
}

#[cfg(all(
    feature = "rustls",
    not(feature = "rustls-aws-lc"),
    not(feature = "native-tls")
))]
mod ring {
    use std::sync::Arc;

    use rustls::crypto::CryptoProvider;

    use crate::ConfigError;

    /// What reqwest 0.13 builds by default with its `rustls` feature, with
    /// the ring provider instead of aws-lc-rs.
    pub(super) fn client_config() -> Result<rustls::ClientConfig, ConfigError> {
        let tls = |e: rustls::Error| ConfigError::Tls(Box::new(e));
        // As reqwest does: a provider the application installed wins.
        let provider = CryptoProvider::get_default()
            .cloned()
            .unwrap_or_else(|| Arc::new(rustls::crypto::ring::default_provider()));
        let verifier = rustls_platform_verifier::Verifier::new(provider.clone()).map_err(tls)?;
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(rustls::ALL_VERSIONS)
            .map_err(tls)?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth();
        // reqwest offers HTTP/1.1 only without its `http2` feature, which
        // this crate does not enable.
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(config)
    }
}

#[cfg(all(
    test,
    feature = "rustls",
    not(feature = "rustls-aws-lc"),
    not(feature = "native-tls")
))]
mod tests {
    use super::*;

    #[test]
    fn the_config_offers_what_reqwest_offers() {
        let config = ring::client_config().unwrap();
        assert_eq!(config.alpn_protocols, [b"http/1.1".to_vec()]);
        assert!(config.enable_sni);
        assert!(http_client_builder().unwrap().build().is_ok());
    }
}
