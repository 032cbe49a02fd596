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
//! use ionworks::{Client, types::JobType};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = Client::new("https://api.ionworks.com");
//! let job = client
//!     .submit_job()
//!     .body(ionworks::types::SubmitJobRequest::builder().job_type(JobType::Simulate).priority(5))
//!     .send()
//!     .await?;
//! println!("{} is {}", job.job_id, job.status);
//! # Ok(()) }
//! ```
#![warn(missing_docs)]

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

/// The generated low-level client: one method per operation.
pub use generated::Client;
/// Request builders, one per operation (`client.get_job()` returns [`builder::GetJob`]).
pub use generated::builder;
/// Request and response types of the API, with builders for request bodies.
pub use generated::types;
/// Error, response and stream types of every generated operation.
pub use generated::{ByteStream, ClientInfo, Error, ResponseValue};

#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
