//! Typed async client for the [Ionworks](https://ionworks.com) battery-modelling
//! API: start and watch simulations and optimizations from Rust.
//!
//! ```toml
//! [dependencies]
//! ionworks = "0.1"
//! tokio = { version = "1", features = ["macros", "rt-multi-thread"] }
//! ```
//!
//! # Quickstart
//!
//! Work on the server is started in the Ionworks web app, by pipelines or
//! by other clients; a program typically waits for a job and reads its
//! result:
//!
//! ```
//! use ionworks::Client;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let stand_in = ionworks::testing::StandIn::start().await?;
//! # let job_id = stand_in.add_job(ionworks::testing::Schedule::default());
//! # let client = stand_in.client();
//! # /*
//! let client = Client::from_env()?; // IONWORKS_API_KEY or IONWORKS_API_TOKEN, IONWORKS_API_URL, …
//! # */
//! let job = client.wait_until_terminal(&job_id).await?;
//! println!("{} is {}: {:?}", job.job_id, job.status, job.result);
//!
//! // One call per operation of the API, each a builder ending in `send()`.
//! let job = client.get_job().job_id(&job_id).send().await?;
//! assert!(job.is_terminal);
//! # Ok(()) }
//! ```
//!
//! `cargo run --example quickstart` runs the same against the configured
//! server, or against an embedded stand-in when no credentials are set.
//!
//! # Configuration
//!
//! [`Client::from_env`] reads what the Python client reads:
//! `IONWORKS_API_TOKEN` (sent as `Authorization: Bearer`) or
//! `IONWORKS_API_KEY` (`X-API-Key`), `IONWORKS_API_URL` (default
//! [`DEFAULT_BASE_URL`]) and `IONWORKS_ORGANIZATION_ID`
//! (`X-Organization-Id`). [`Client::builder`] sets the same explicitly,
//! plus timeouts, the [`RetryPolicy`], the user agent and a caller's
//! `reqwest::Client`; a misconfiguration is a [`ConfigError`] naming the
//! setting, never showing the secret.
//!
//! # Errors
//!
//! Every operation's `send()` returns [`Result<T, ApiError>`](Result):
//! `?` works in any function returning `ionworks::Result` or
//! `Box<dyn Error>`, and `Display` is one line with its cause (`404 Not
//! Found from get_job: Job not found`, `get_job: cannot connect to
//! 127.0.0.1:9: connection refused`, `get_job: timed out after 60 s`). A
//! 422's validation errors,
//! the server's error code and the correlation id are accessors.
//! Transient failures are retried where resending is safe (see
//! [`RetryPolicy`]).
//!
//! # Lists
//!
//! Every list operation's builder has `stream()`, the items of every page
//! as a [`Stream`](pages::Stream) requested page by page as it is read,
//! and `collect_all()`; the builder's own `limit` is the page size and its
//! filters go with every page. [`pages::filter`] writes the filter
//! operators (`eq.X`, `ilike.%x%`, `in.(a,b)`): see [`pages`].
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let stand_in = ionworks::testing::StandIn::start().await?;
//! # let client = stand_in.client();
//! let mut jobs = client.list_jobs().stream();
//! while let Some(job) = jobs.try_next().await? {
//!     println!("{}: {}", job.job_id, job.status);
//! }
//! # Ok(()) }
//! ```
//!
//! # Waiting
//!
//! [`Client::wait_until_terminal`] and [`Client::wait_for_optimization`]
//! poll until the server says the resource is terminal, with a deadline,
//! progress callbacks or a stream of updates, cancellation and a shared
//! request budget for many waits: see [`wait`].
//!
//! # The rest of the API
//!
//! The vendored spec holds the operations whose shape is public; any other
//! path is one [`Client::request`] away, with the same auth, retries,
//! tracing and errors.
//!
//! # Testing your code
//!
//! * Feature `testing`: `testing::StandIn`, a stateful in-process stand-in
//!   of the API (jobs that finish on a schedule, faults, a request log).
//! * Feature `mocks`: `mock`, typed `httpmock` mocks of every operation,
//!   generated from the same spec as the client.
//!
//! # Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `rustls` | yes | TLS through rustls (no OpenSSL) |
//! | `native-tls` | no | TLS through the platform's library instead |
//! | `all-apis` | yes | every part of the API: each `api-<tag>` feature |
//! | `api-jobs`, `api-optimizations`, … | yes (via `all-apis`) | one per tag of the spec: its operations and the types only they use |
//! | `testing` | no | `ionworks::testing`: the stand-in server (axum) |
//! | `mocks` | no | `ionworks::mock`: typed `httpmock` mocks |
//!
//! A crate that uses one part of the API can compile only that part:
//! `ionworks = { version = "0.1", default-features = false, features = ["rustls", "api-jobs"] }`.
//! Types shared between parts are always there.
//!
//! # How the client is made
//!
//! The crate vendors the server's OpenAPI 3.1 document as `openapi.json`.
//! At compile time `build.rs` hands it to `ionworks-codegen`, which
//! down-converts it to OpenAPI 3.0, normalises names and enums, and runs
//! [progenitor](https://docs.rs/progenitor) to produce the [`Client`], the
//! request [`builder`]s and the [`types`]. Nothing generated is checked in:
//! updating `openapi.json` is the whole of an API update. The generated API
//! is made to outlive server changes:
//!
//! * **Open enums**: every string enum has an `Unknown(String)` variant, so a
//!   status or job type added on the server decodes (and serializes back
//!   unchanged) instead of failing the whole response.
//! * **Lenient responses**: documented lengths, ranges and formats never make
//!   a response undecodable, unknown fields are ignored, and a timestamp
//!   without an offset is read as UTC.
//! * **Strict requests**: the same documented bounds are checked when a
//!   request is built; `send()` fails before anything goes over the network.
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod client;
mod config;
mod error;
mod existing;
pub mod follow;
#[cfg(all(feature = "api-cell-measurements", feature = "api-cell-instances"))]
pub mod measurements;
#[cfg(feature = "mocks")]
#[cfg_attr(docsrs, doc(cfg(feature = "mocks")))]
pub mod mock;
pub mod pages;
mod raw;
mod redirect;
mod retry;
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;
#[cfg(feature = "parquet")]
pub mod time_series;
mod tls;
pub mod upload;
pub mod wait;

pub use client::{ClientBuilder, ClientState, GZIP_THRESHOLD};
pub use config::{
    Config, CredentialKind, DEFAULT_BASE_URL, DEFAULT_USER_AGENT, ENV_API_KEY, ENV_API_TOKEN,
    ENV_API_URL, ENV_ORGANIZATION_ID, Source,
};
pub use error::{ApiError, ConfigError, ErrorKind};
pub use existing::create_or_get;
pub use raw::RawRequest;
/// The HTTP client crate the SDK is built on (for [`ClientBuilder::http_client`]
/// and [`Client::request`]'s `Method`).
pub use reqwest;
pub use retry::RetryPolicy;
pub use tls::http_client_builder;

/// The server's rule for a job in `status`: `(is_terminal, is_failed)`.
/// Terminal: completed, failed or canceled; failed: failed or canceled.
#[cfg(any(feature = "testing", feature = "mocks"))]
pub(crate) fn job_status_flags(status: &types::JobStatus) -> (bool, bool) {
    use types::JobStatus::{Canceled, Completed, Failed};
    (
        matches!(status, Completed | Failed | Canceled),
        matches!(status, Failed | Canceled),
    )
}

/// `Result` with [`ApiError`] as the default error.
pub type Result<T, E = ApiError> = std::result::Result<T, E>;

#[allow(
    unused_imports,
    irrefutable_let_patterns,
    clippy::all,
    clippy::pedantic,
    rustdoc::all
)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/api.rs"));
}

pub use generated::Client;
/// Request builders, one per operation (`client.get_job()` returns [`builder::GetJob`]).
pub use generated::builder;
/// Request and response types of the API, with builders for request bodies.
pub use generated::types;
/// Response types of the generated operations.
pub use generated::{ByteStream, ClientInfo, ResponseValue};

/// The README's examples, run as doctests; `cargo test --workspace` (which
/// turns on both features) runs them.
#[doc = include_str!("../README.md")]
#[cfg(all(doctest, feature = "testing", feature = "mocks"))]
pub struct ReadmeDoctests;
