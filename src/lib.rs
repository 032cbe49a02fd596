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
//! [`Client::from_env`] reads the same variables as the Python client
//! (`ionworks-api`), so one shell serves both:
//!
//! | variable | sent as | notes |
//! | --- | --- | --- |
//! | `IONWORKS_API_TOKEN` | `Authorization: Bearer <token>` | wins over the key |
//! | `IONWORKS_API_KEY` | `X-API-Key: <key>` | |
//! | `IONWORKS_API_URL` | | default [`DEFAULT_BASE_URL`]; trailing slash tolerated |
//! | `IONWORKS_ORGANIZATION_ID` | `X-Organization-Id` | sent only when set |
//!
//! Empty values count as unset. With neither credential set, `from_env`
//! fails with [`ConfigError::MissingCredentials`], naming both variables.
//! Every other misconfiguration (a URL that is not http(s), a key with a
//! newline, a zero timeout, …) is its own [`ConfigError`] variant whose
//! message names the variable or builder method; construction never
//! panics.
//!
//! [`Client::builder`] sets everything explicitly, and `.env()` (or
//! `.env_lookup(f)`, for tests or another configuration source) fills what
//! is left unset. Any credential given explicitly beats the environment
//! entirely; within one source a token beats a key.
//!
//! ```
//! use std::time::Duration;
//! use ionworks::{Client, RetryPolicy};
//!
//! # fn main() -> Result<(), ionworks::ConfigError> {
//! let client = Client::builder()
//!     .base_url("https://api.ionworks.com")
//!     .api_key("my-key")                        // or .bearer_token("…")
//!     .organization_id("org-123")
//!     .connect_timeout(Duration::from_secs(5))  // default 10 s
//!     .request_timeout(Duration::from_secs(30)) // per attempt, default 60 s
//!     .retry_policy(RetryPolicy::default().with_max_retries(5))
//!     .env()                                    // fill the rest from IONWORKS_*
//!     .build()?;
//! // Your own reqwest::Client (proxies, a shared pool), with the crate's TLS set-up:
//! let http = ionworks::http_client_builder()?
//!     .pool_max_idle_per_host(4)
//!     .build()
//!     .map_err(ionworks::ConfigError::HttpClient)?;
//! let client = Client::builder().api_key("my-key").http_client(http).build()?;
//! # Ok(()) }
//! ```
//!
//! Every request goes through one place that adds the headers (auth values
//! are marked sensitive; no `Debug` or `Display` of the client, builder,
//! config or errors shows them, and the `Debug` of a type holding storage
//! credentials, an upload token or a signed URL shows `<redacted>` for
//! them, or the URL without its signed query), applies the timeout, compresses buffered
//! request bodies of [`GZIP_THRESHOLD`] (512 KiB) or more
//! (`Content-Encoding: gzip`, level 1, as the Python client does), retries (see [`RetryPolicy`]) and
//! traces: one `ionworks.request` span per call, with `operation`,
//! `method`, `path`, `status`, `duration_ms` and `retries`, never bodies or
//! secrets. Responses compressed with gzip are decoded. (Both gzip parts
//! come with the `gzip` feature, a default one.)
//!
//! # Errors
//!
//! Every operation's `send()` returns [`Result<T, ApiError>`](Result): `?`
//! works in any function returning `ionworks::Result` or `Box<dyn Error>`.
//! `Display` is the whole story on one line, cause included, and the parts
//! are accessors:
//!
//! ```
//! use ionworks::ErrorKind;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let stand_in = ionworks::testing::StandIn::start().await?;
//! # let client = stand_in.client();
//! match client.get_job().job_id("no-such-job").send().await {
//!     Ok(job) => println!("{}", job.status),
//!     Err(e) if e.status().map(|s| s.as_u16()) == Some(404) => println!("no such job"),
//!     Err(e) if e.kind() == ErrorKind::Transport => eprintln!("network: {e}"),
//!     Err(e) => {
//!         eprintln!("{e} (correlation id {:?})", e.correlation_id());
//!         for v in e.validation_errors() {
//!             eprintln!("  {:?}: {}", v.loc, v.msg); // a 422's FastAPI validation errors
//!         }
//!         return Err(e.into());
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! | failure | `Display` |
//! |---|---|
//! | error status | `404 Not Found from get_job: Job abc not found`, `410 Gone from submit_job: the server no longer accepts this request: …` |
//! | non-JSON error body | `502 Bad Gateway from get_job: <html> <head>…` (at most 200 characters) |
//! | nothing listening | `get_job: cannot connect to 127.0.0.1:9: connection refused` |
//! | no answer in time | `get_job: timed out after 60 s`; after retries, `get_job: timed out after 60 s (4 attempts)` |
//! | a success the operation does not document | `202 Accepted from get_job (expected 200)` |
//! | bad argument | `invalid request to submit_job: SubmitJobRequest.priority must be at most 10, got 11` |
//! | misconfiguration | `IONWORKS_API_URL is not a valid API URL: relative URL without a base` |
//!
//! The same convention holds for [`ApiError`], [`ConfigError`] and
//! [`WaitError`](wait::WaitError): since `Display` holds the cause,
//! `source()` is `None` and a chain printer (anyhow's `{:#}`) shows each
//! cause once; `Debug` is the same line (what `main` prints for an error it
//! returns), and `{:#?}` a structured dump of the parts. None ever shows a
//! secret. A documented error body stays typed:
//! [`ApiError::error_body`] (for this API, `HttpValidationError` on 422).
//! [`ApiError::is_retryable`] says whether the failure is transient.
//!
//! # Retries and redirects
//!
//! Every request, generated or raw, goes through one rule, stated on
//! [`RetryPolicy`]: which failures are transient, when the client sends a
//! request again (never a POST or PATCH that may have been processed), the
//! backoff and `Retry-After`. [`ApiError::is_retryable`] and the waits ask
//! the same rule.
//!
//! Redirects are followed by the client, not by reqwest. Credentials
//! (`X-API-Key`, `Authorization`, `X-Organization-Id`, `Cookie`,
//! `Proxy-Authorization`) go only to the
//! origin (scheme, host and port) of the configured API. A redirect within
//! that origin is followed as a browser does (a 303, and a 301 or 302 to a
//! POST, become a GET without a body; a 307 or 308 sends the same request
//! again). A redirect to another origin is followed only by a GET or HEAD,
//! without credentials or body; any other method gets an error naming that
//! origin (never the whole location).
//!
//! # Waiting and following work
//!
//! [`Client::wait_until_terminal`] and [`Client::wait_for_optimization`]
//! poll until the server says the resource is terminal, with a deadline,
//! progress callbacks or a stream of updates, cancellation and a shared
//! request budget for many waits: see [`wait`]. [`follow`] starts work the
//! server runs (pipelines, simulations, ECM fits) and follows it in one
//! call, and `measurements` uploads a measurement and waits for its
//! processing.
//!
//! # Lists
//!
//! Every list operation's builder has `stream()`, the items of every page
//! as a [`Stream`](pages::Stream) requested page by page as it is read,
//! and `collect_all()`; the builder's own `limit` is the page size (default
//! 100), its `offset` the start, and its filters go with every page. The
//! stream ends at the `total` the server reports (or at a short page when
//! it reports none), and an error is its last item. [`pages::filter`]
//! writes the filter operators (`eq.X`, `ilike.%x%`, `in.(a,b)`): see
//! [`pages`].
//!
//! ```
//! use ionworks::pages::filter;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let stand_in = ionworks::testing::StandIn::start().await?;
//! # let client = stand_in.client();
//! let mut jobs = client.list_jobs().stream();
//! while let Some(job) = jobs.try_next().await? {
//!     println!("{}: {}", job.job_id, job.status);
//! }
//! let running = client.list_pipelines().project_id("p1").status(filter::in_(["queued", "running"]));
//! let running = running.collect_all().await?;
//! # assert!(running.is_empty());
//! # Ok(()) }
//! ```
//!
//! # The rest of the API
//!
//! The vendored spec holds the operations whose shape is public. Any other
//! path of the server is one [`Client::request`] away, with the same base
//! URL, auth and organization headers, timeout, retry rules, tracing span
//! and [`ApiError`]:
//!
//! ```
//! use ionworks::reqwest::Method;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let stand_in = ionworks::testing::StandIn::start().await?;
//! # let client = stand_in.client();
//! // GET /users/me: who the credential belongs to (not in the vendored spec).
//! let me: serde_json::Value = client.request(Method::GET, "/users/me").decode().await?;
//! println!("{} ({})", me["email"], me["authorized_organization"]["name"]);
//!
//! // Values go in as segments, encoded by the same rules as path parameters;
//! // `.json(&body)`, `.query(&pairs)`, `.form(form)`, `.bytes()` and
//! // `.bytes_stream()` too.
//! let job: serde_json::Value = client
//!     .request(Method::GET, "/jobs")
//!     .segment(stand_in.add_job(ionworks::testing::Schedule::manual()))
//!     .decode()
//!     .await?;
//! assert_eq!(job["status"], "pending");
//! # Ok(()) }
//! ```
//!
//! Uploads (form bodies with files, streamed, with progress) are in
//! [`upload`].
//!
//! # Testing your code
//!
//! * Feature `testing`: `testing::StandIn`, a stateful in-process stand-in
//!   of the API (work that finishes on a schedule, faults, a request log).
//! * Feature `mocks`: `mock`, typed `httpmock` mocks of every operation,
//!   generated from the same spec as the client.
//!
//! # Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `rustls` | yes | TLS through rustls with *ring* and the platform's certificate verifier (no OpenSSL, no cmake) |
//! | `rustls-aws-lc` | no | reqwest's own rustls set-up, with the aws-lc-rs provider (wins over `rustls`) |
//! | `native-tls` | no | the platform's TLS library, OpenSSL on Linux (wins over both) |
//! | `gzip` | yes | compressed responses decoded; request bodies of [`GZIP_THRESHOLD`] or more sent compressed |
//! | `all-apis` | yes | every part of the API: each `api-<tag>` feature |
//! | `api-jobs`, `api-optimizations`, … | yes (via `all-apis`) | one per tag of the spec: its operations and the types only they use |
//! | `parquet` | no | `ionworks::time_series`: time-series checks and Parquet writing (Apache `arrow` and `parquet`) |
//! | `testing` | no | `ionworks::testing`: the stand-in server (axum, compiled only with the feature) |
//! | `mocks` | no | `ionworks::mock`: typed `httpmock` mocks |
//! | `large-uploads` | no | bodies of 16 MiB or more sent to storage in S3 multipart parts (with `rusty-s3`) when the server offers it |
//! | `response-builders` | no (on with `testing`, `mocks`) | `types::builder` for the types only answers use |
//!
//! A crate that uses one part of the API can compile only that part:
//! `ionworks = { version = "0.1", default-features = false, features = ["rustls", "api-jobs"] }`.
//! (Add `gzip` to that list to keep compression, which then costs about a
//! second more of a cold build.)
//! Types shared between parts are always there.
//!
//! With `rustls`, the crypto provider is set on each client this crate
//! builds and never installed process-wide; one your application installed
//! (`CryptoProvider::install_default`) is used instead. reqwest itself then
//! has no provider, so `reqwest::Client::new()` panics unless one is
//! installed: a `reqwest::Client` of your own for
//! [`ClientBuilder::http_client`] starts from [`http_client_builder`].
//! reqwest's own default, aws-lc-rs, is a C/cmake build of about half a
//! minute.
//!
//! # What the generated API guarantees
//!
//! The crate vendors the server's OpenAPI 3.1 document as `openapi.json`.
//! At compile time `build.rs` hands it to `ionworks-codegen`, which
//! down-converts it to OpenAPI 3.0, normalises names and enums, and runs
//! [progenitor](https://docs.rs/progenitor) to produce the [`Client`], the
//! request [`builder`]s and the [`types`]. Nothing generated is checked in.
//! The generated API is made to outlive server changes:
//!
//! * **Open enums**: every string enum (`JobStatus`, `JobType`,
//!   `JobErrorCode`, …) has an `Unknown(String)` variant. A value added on
//!   the server decodes, can be matched, and serializes back unchanged;
//!   known values are ordinary variants.
//! * **Lenient responses**: documented lengths, ranges, patterns and
//!   formats never make a response undecodable, unknown fields are
//!   ignored, and a timestamp without an offset is read as UTC.
//! * **Strict requests**: the same documented bounds are checked when a
//!   request is built: `priority(11)` fails in `send()` with `invalid
//!   request to submit_job: SubmitJobRequest.priority must be at most 10,
//!   got 11`, before anything is sent.
//! * **Paths cannot escape**: a path parameter is always one
//!   percent-encoded segment; an empty value or a dot segment (`.`, `..`,
//!   `%2e%2e`) is refused before sending, with an error naming the
//!   operation and the parameter.
//!
//! # What you can rely on (semver)
//!
//! The generated API grows with the server; these rules keep that from
//! breaking your code in a minor or patch release:
//!
//! * Every generated struct and enum is `#[non_exhaustive]`. Build values
//!   with their builders (`SubmitJobRequest::builder()`) or decode them;
//!   match enums with a wildcard arm. A field or an enum value the server
//!   adds is then an additive change. The builders of types that only
//!   answers use (`JobResponse::builder()`, for test fixtures) come with the
//!   `response-builders` feature: put it on your `[dev-dependencies]`
//!   entry of `ionworks` and your tests have them, your builds do not pay
//!   for them.
//! * A value reported as `Unknown("x")` may become a named variant (`X`)
//!   in a minor release: match on `as_str()` or on the named variants you
//!   know, not on `Unknown("x")`.
//! * A field, operation, parameter or variant is only removed or changed in
//!   a breaking release (0.x: a minor one), and so is a success status.
//! * Every release's change report classifies each spec change as
//!   breaking, additive or cosmetic, and a test compiles a caller's crate
//!   against each kind of change to hold the report to it.
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
#[cfg(feature = "large-uploads")]
mod multipart;
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
mod wording;

pub use client::{ClientBuilder, ClientState, GZIP_THRESHOLD};
pub use config::{
    Config, ConfigError, CredentialKind, DEFAULT_BASE_URL, DEFAULT_USER_AGENT, ENV_API_KEY,
    ENV_API_TOKEN, ENV_API_URL, ENV_ORGANIZATION_ID, Source,
};
pub use error::{ApiError, ErrorKind};
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

/// The README's examples, compiled as doctests (they are `no_run`: they
/// need a server; `tests/readme.rs` runs the first one against the
/// stand-in).
#[doc = include_str!("../README.md")]
#[cfg(all(doctest, feature = "api-pipeline"))]
pub struct ReadmeDoctests;
