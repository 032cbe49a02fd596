//! Typed async client for the [Ionworks](https://ionworks.com) battery-modelling API.
//!
//! # How the client is made
//!
//! The crate vendors the server's OpenAPI 3.1 document as `openapi.json`.
//! At compile time `build.rs` hands it to `ionworks-codegen`, which
//! down-converts it to OpenAPI 3.0, normalises names and enums, and runs
//! [progenitor](https://docs.rs/progenitor) to produce the [`Client`], the
//! request [`builder`]s and the [`types`]. Nothing generated is checked in:
//! updating `openapi.json` is the whole of an API update.
//!
//! The generated API is made to outlive server changes:
//!
//! * **Open enums**: every string enum has an `Unknown(String)` variant, so a
//!   status or job type added on the server decodes (and serializes back
//!   unchanged) instead of failing the whole response.
//! * **Lenient responses**: documented lengths, ranges and formats never make
//!   a response undecodable, unknown fields are ignored, and a timestamp
//!   without an offset is read as UTC.
//! * **Strict requests**: the same documented bounds are checked when a
//!   request is built; `send()` fails before anything goes over the network.
//!
//! # Example
//!
//! ```no_run
//! use ionworks::{ApiError, Client, types::{JobType, SubmitJobRequest}};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! // IONWORKS_API_TOKEN or IONWORKS_API_KEY, IONWORKS_API_URL, IONWORKS_ORGANIZATION_ID
//! let client = Client::from_env()?;
//! let job = client
//!     .submit_job()
//!     .body(SubmitJobRequest::builder().job_type(JobType::Simulate).priority(5))
//!     .send()
//!     .await
//!     .map_err(ApiError::from)?;
//! println!("{} is {}", job.job_id, job.status);
//! # Ok(()) }
//! ```
//!
//! # The facade
//!
//! * [`Client::from_env`] and [`Client::builder`] ([`ClientBuilder`]) build
//!   the client; a misconfiguration is a [`ConfigError`] naming the setting.
//! * Every request goes through one hook that adds the auth, organization
//!   and user-agent headers (auth values are marked sensitive), applies the
//!   request timeout, retries as the [`RetryPolicy`] allows and opens one
//!   `tracing` span (`ionworks.request`: operation, method, path, status,
//!   duration, retries; never bodies or secrets).
//! * Every operation error converts into [`ApiError`], with the status, the
//!   server's message and code, 422 validation errors, the correlation id
//!   and whether the failure is transient.
//!
//! # Testing code that uses the client
//!
//! * Feature `testing`: `ionworks::testing::StandIn`, a stateful in-process
//!   stand-in of the API (jobs that finish, faults, a request log).
//! * Feature `mocks`: `ionworks::mock`, typed `httpmock` mocks of every
//!   operation, generated from the same spec as the client.
#![warn(missing_docs)]

mod client;
mod config;
mod error;
#[cfg(feature = "mocks")]
pub mod mock;
mod retry;
#[cfg(feature = "testing")]
pub mod testing;
mod wait;

pub use client::ClientState;
pub use config::{
    ClientBuilder, Config, ConfigError, CredentialKind, DEFAULT_BASE_URL, DEFAULT_USER_AGENT,
    ENV_API_KEY, ENV_API_TOKEN, ENV_API_URL, ENV_ORGANIZATION_ID, Source,
};
pub use error::{ApiError, ErrorKind};
pub use retry::RetryPolicy;
pub use wait::{
    OPTIMIZATION_TERMINAL, Phase, Pollable, Progress, RequestBudget, Update, UpdateKind, Wait,
    WaitError, WaitMany, WaitPolicy,
};

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
    missing_docs,
    unused_imports,
    irrefutable_let_patterns,
    clippy::all,
    clippy::pedantic,
    rustdoc::all
)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/api.rs"));
}

/// The client: one method per operation, built by [`Client::from_env`] or
/// [`Client::builder`].
pub use generated::Client;
/// Request builders, one per operation (`client.get_job()` returns [`builder::GetJob`]).
pub use generated::builder;
/// Request and response types of the API, with builders for request bodies.
pub use generated::types;
/// Error, response and stream types of every generated operation
/// (`Error` converts into [`ApiError`]).
pub use generated::{ByteStream, ClientInfo, Error, ResponseValue};

/// The README's examples use both test modules; `cargo test --workspace`
/// enables both (`downstream/` turns on `mocks`).
#[doc = include_str!("../README.md")]
#[cfg(all(doctest, feature = "testing", feature = "mocks"))]
pub struct ReadmeDoctests;
