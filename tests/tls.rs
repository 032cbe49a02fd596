//! The default TLS set-up (rustls with ring and the platform's verifier):
//! a client built by `ClientBuilder` completes a handshake with a server
//! whose CA the platform trusts, refuses one it does not, and building it
//! installs no process-wide crypto provider.
//!
//! One test in this binary: it points the platform verifier at the test CA
//! (`SSL_CERT_FILE`) before any other thread runs.
#![cfg(all(
    feature = "rustls",
    not(feature = "rustls-aws-lc"),
    not(feature = "native-tls")
))]

use std::sync::Arc;

use ionworks::{Client, RetryPolicy};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/tls");

/// An HTTPS server on 127.0.0.1 presenting `NAME.pem` that answers every
/// request with a job; returns its base URL.
async fn serve(name: &str) -> String {
    let certs = CertificateDer::pem_file_iter(format!("{DIR}/{name}.pem"))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(format!("{DIR}/{name}.key")).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "https://127.0.0.1:{}",
        listener.local_addr().unwrap().port()
    );
    let body = serde_json::json!({
        "job_id": "job-1", "job_type": "simulate", "status": "completed", "priority": 0,
        "created_at": "2025-01-02T03:04:05Z", "updated_at": "2025-01-02T03:04:06Z",
        "user_id": "user-1", "organization_id": "org-1", "is_terminal": true, "is_failed": false,
    })
    .to_string();
    let response = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\n{body}",
        body.len()
    );
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, response) = (acceptor.clone(), response.clone());
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = tls.write_all(response.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    url
}

fn client(url: &str) -> Client {
    Client::builder()
        .base_url(url)
        .api_key("key")
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap()
}

#[test]
fn a_default_client_handshakes_with_ring_and_installs_no_provider() {
    // SAFETY: the only test of this binary, before it starts any thread.
    unsafe { std::env::set_var("SSL_CERT_FILE", format!("{DIR}/ca.pem")) };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let trusted = client(&serve("server").await);
        let job = trusted.get_job().job_id("job-1").send().await.unwrap();
        assert_eq!(job.job_id, "job-1");

        let untrusted = client(&serve("untrusted").await);
        let err = untrusted
            .get_job()
            .job_id("job-1")
            .send()
            .await
            .unwrap_err();
        // What a user sees names the certificate problem, on one line.
        let message = err.to_string();
        assert!(message.contains("UnknownIssuer"), "{message}");
        assert!(!message.contains('\n'), "{message}");
    });
    // reqwest has no provider of its own with this feature; none was
    // installed for the application by building or using the clients.
    assert!(rustls::crypto::CryptoProvider::get_default().is_none());
}
