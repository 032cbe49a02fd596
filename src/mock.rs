//! Typed [`httpmock`] mocks of every operation (feature `mocks`).
//!
//! [`MockServerExt`] adds one method per operation to
//! [`MockServer`]: `server.get_job(|when, then| ...)` is a
//! [`MockServer::mock`] call whose `when` and `then` only offer the
//! operation's own parameters and documented responses, with the generated
//! [`types`](crate::types). Both are generated from the same `openapi.json`
//! as the client, so a mock cannot ask for a parameter the API does not have
//! or answer with a body of the wrong type. `into_inner()` on either gives
//! the plain [`httpmock::When`] / [`httpmock::Then`] for anything the spec
//! does not describe (a 404, a 503 with `Retry-After`, a malformed body).
//!
//! Path parameters are matched as the client sends them (percent-encoded,
//! literally), array query parameters one pair per item.
//!
//! Use them to test your own code against exact requests and answers; use
//! `ionworks::testing::StandIn` (feature `testing`) when your code needs a
//! server with state, such as jobs that move on to completion.
//!
//! ```
//! use ionworks::mock::{self, MockServer, MockServerExt};
//! use ionworks::types::{JobStatus, JobType, SubmitJobRequest};
//!
//! // The code under test: submits a job and returns its id.
//! async fn start_fit(client: &ionworks::Client) -> ionworks::Result<String> {
//!     let request = SubmitJobRequest::builder()
//!         .job_type(JobType::Datafit)
//!         .params(serde_json::Map::new());
//!     Ok(client.submit_job().body(request).send().await?.into_inner().job_id)
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let server = MockServer::start_async().await;
//! let submit = server.submit_job(|when, then| {
//!     when.project_id(None);
//!     then.accepted(&mock::job("job-1", JobStatus::Pending));
//! });
//!
//! let job_id = start_fit(&mock::client(&server)?).await?;
//!
//! assert_eq!(job_id, "job-1");
//! submit.assert_async().await;
//! # Ok(()) }
//! ```

use chrono::Utc;

use crate::types::{DomainStatus, JobResponse, JobStatus, JobType, OptimizationResource};
use crate::{Client, ClientBuilder, ConfigError, RetryPolicy};

/// One typed `mock` method per operation on [`MockServer`].
pub use crate::generated::mock::MockServerExt;
/// The `When`/`Then` wrappers of each operation, for instance
/// [`operations::GetJobWhen::job_id`] and [`operations::GetJobThen::ok`].
pub use crate::generated::mock::operations;
/// The `httpmock` version the mocks are generated for.
pub use httpmock;
pub use httpmock::{Mock, MockServer};

/// The API key the clients of [`client`] and [`client_builder`] send.
pub const API_KEY: &str = "mock-api-key";

/// A client pointed at `server`, with [`API_KEY`] and **no retries**, so
/// that each answer a mock gives is seen exactly once (a `503` mock is hit
/// once, and [`Mock::assert`] holds).
///
/// ```
/// use ionworks::ClientInfo;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), ionworks::ConfigError> {
/// let server = ionworks::mock::MockServer::start_async().await;
/// let client = ionworks::mock::client(&server)?;
/// assert_eq!(client.baseurl(), &server.base_url());
/// # Ok(()) }
/// ```
pub fn client(server: &MockServer) -> Result<Client, ConfigError> {
    client_builder(server)
        .retry_policy(RetryPolicy::none())
        .build()
}

/// A builder with `server`'s URL and [`API_KEY`] and the default retry
/// policy, to adjust before `build`.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), ionworks::ConfigError> {
/// let server = ionworks::mock::MockServer::start_async().await;
/// let client = ionworks::mock::client_builder(&server)
///     .organization_id("org-1")
///     .build()?;
/// # let _ = client; Ok(()) }
/// ```
pub fn client_builder(server: &MockServer) -> ClientBuilder {
    Client::builder()
        .base_url(server.base_url())
        .api_key(API_KEY)
}

/// A job as the server reports it in `status`, for a mock to answer with.
///
/// `is_terminal` and `is_failed` follow the server's rules (terminal:
/// completed, failed or canceled; failed: failed or canceled). The other
/// fields are plausible placeholders; set any field you need:
///
/// ```
/// use ionworks::types::JobStatus;
///
/// let mut job = ionworks::mock::job("job-1", JobStatus::Completed);
/// assert!(job.is_terminal && !job.is_failed);
/// job.result = Some(serde_json::Map::from_iter([("rmse".into(), 0.01.into())]));
/// ```
pub fn job(job_id: &str, status: JobStatus) -> JobResponse {
    let now = Utc::now();
    let (is_terminal, is_failed) = crate::job_status_flags(&status);
    JobResponse {
        access_level: None,
        callback_url: None,
        completed_at: is_terminal.then_some(now),
        compute_time: None,
        created_at: now,
        error: None,
        error_code: None,
        error_detail: None,
        is_failed,
        is_terminal,
        job_id: job_id.to_owned(),
        job_type: JobType::Dummy,
        metadata_path: None,
        organization_id: "org-mock".to_owned(),
        params_path: None,
        parent_job_id: None,
        priority: 0,
        project_id: None,
        result: None,
        started_at: None,
        status,
        updated_at: now,
        user_id: "user-mock".to_owned(),
    }
}

/// An optimization in `status`, for a mock to answer with; set any other
/// field you need.
///
/// ```
/// use ionworks::types::DomainStatus;
///
/// let optimization = ionworks::mock::optimization("opt-1", DomainStatus::Failed);
/// assert_eq!(optimization.status, Some(DomainStatus::Failed));
/// ```
pub fn optimization(id: &str, status: DomainStatus) -> OptimizationResource {
    OptimizationResource {
        cell_name: None,
        cell_spec_id: None,
        created_at: Some(Utc::now()),
        created_by_email: None,
        description: None,
        error: None,
        error_code: None,
        id: id.to_owned(),
        kind: None,
        metrics: None,
        name: None,
        objectives: None,
        optimization_template_id: None,
        organization_id: "org-mock".to_owned(),
        parameterized_model_id: None,
        parameterized_model_name: None,
        project_id: "project-mock".to_owned(),
        run_count: 0,
        status: Some(status),
    }
}
