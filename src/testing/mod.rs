//! An in-process stand-in of the Ionworks API, for tests and examples
//! (feature `testing`).
//!
//! [`StandIn::start`] serves every operation of the vendored spec on
//! `127.0.0.1` and [`StandIn::client`] hands out a [`Client`] pointed at it.
//! Jobs and optimizations move through their statuses on a [`Schedule`] or
//! when driven explicitly, requests can be made to fail with [`Fault`]s, and
//! every request is logged for assertions.
//!
//! ```
//! use ionworks::testing::{Schedule, StandIn};
//! use ionworks::types::JobStatus;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let stand_in = StandIn::start().await?;
//! let client = stand_in.client();
//! let job_id = stand_in.add_job(Schedule::manual());
//! let job = client.get_job().job_id(&job_id).send().await?;
//! assert_eq!(job.status, JobStatus::Pending);
//! stand_in.complete_job(&job_id, serde_json::Map::new());
//! let job = client.get_job().job_id(&job_id).send().await?;
//! assert!(job.is_terminal && !job.is_failed);
//! # Ok(()) }
//! ```
//!
//! A job as if started in the web app, with a fault on the way: the stand-in
//! answers 503 once, the client retries the GET, and the log shows both.
//!
//! ```
//! use std::time::Duration;
//! use ionworks::testing::{Fault, Schedule, StandIn};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let stand_in = StandIn::start().await?;
//! // Pending 10 ms, processing 50 ms, then done.
//! let job_id = stand_in.add_job(Schedule::succeeds_after(
//!     Duration::from_millis(10),
//!     Duration::from_millis(50),
//! ));
//! let client = stand_in.client();
//! stand_in.inject(Fault::Status(503), 1); // the next request fails once; GETs are retried
//! let job = client.wait_until_terminal(&job_id).await?;
//! assert!(job.is_terminal && !job.is_failed);
//! let statuses: Vec<_> = stand_in.requests().iter().map(|r| r.status).collect();
//! assert_eq!(statuses[..2], [Some(503), Some(200)]);
//! # Ok(()) }
//! ```
//!
//! Its 401/404/409/422 answers are the server's (422 bodies in FastAPI's
//! exact format), its responses are the generated types, so it cannot
//! drift from the spec, and its log never holds a secret. Its dependencies
//! (axum) are compiled only with the feature.
//!
//! Behaviour beyond the spec, chosen to match the server: credentials are
//! checked first (401 `{"detail": ...}`), unknown ids answer 404 with
//! `{"detail": ...}`, cancelling a completed or failed job and resubmitting an
//! optimization that has not failed answer 409, and request bodies sent with
//! `Content-Encoding: gzip` are accepted.
//!
//! Beyond the vendored spec, as the live API has them: `GET /users/me` (who
//! the key belongs to), and the uploads `POST /ecm/fit-from-file` and
//! `PATCH /material_property_datasets/{id}/file`. The uploads, and any
//! request under `/echo/`, parse the form (with multer, as axum does) and
//! answer what they received part by part (`{"content_type", "parts": [{"name",
//! "file_name", "content_type", "size", "fnv1a64", "text"}]}`), so that a
//! test sees exactly what went over the wire.

mod ids;
mod resources;
mod s3;
mod schedule;
mod server;
mod storage;
mod validation;
mod work;

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::Utc;
use serde_json::{Map, Value};

use crate::types::{DomainStatus, JobErrorCode, JobResponse, JobStatus, OptimizationResource};
use crate::{Client, ClientBuilder};

pub use schedule::{Outcome, Schedule};
use schedule::{Tracked, finish_job, finish_optimization, set_job_status};

/// A failure injected in front of the API by [`StandIn::inject`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Answer with this status (e.g. 503) and `{"detail": <reason>}`.
    Status(u16),
    /// Answer 429 with `Retry-After` in whole seconds (rounded up).
    RateLimited {
        /// The advertised wait.
        retry_after: Duration,
    },
    /// Wait this long, then handle the request normally.
    Delay(Duration),
    /// Close the connection without answering.
    DropConnection,
}

/// How the stand-in's upload targets offer S3 multipart (see
/// [`StandIn::set_multipart`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum MultipartOffer {
    /// Every upload target carries a `multipart` offer (an S3 endpoint on
    /// the storage origin, with temporary credentials) that storage
    /// accepts. The default: the initiate request says nothing of the
    /// file's size, so the offer comes with every target, as the live
    /// server's does, and the client decides by size.
    #[default]
    Accepted,
    /// The targets carry the offer, but storage refuses its credentials
    /// (403 `InvalidAccessKeyId`, as a local storage without session
    /// tokens does).
    Refused,
    /// The targets carry no offer (a server without multipart).
    Absent,
}

/// One request as the stand-in saw it. Credential headers are redacted.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoggedRequest {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path, percent-encoded as sent.
    pub path: String,
    /// The query string, if any.
    pub query: Option<String>,
    /// Lower-case names; `authorization` and `x-api-key` read `<redacted>`.
    pub headers: Vec<(String, String)>,
    /// The status answered; `None` when the connection was dropped.
    pub status: Option<u16>,
    /// The fault injected into this request, if any.
    pub fault: Option<Fault>,
    /// When the request arrived.
    pub received_at: Instant,
}

impl LoggedRequest {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// A request as it arrives (no status or fault yet), its credential
    /// headers redacted; `query` as it is to be logged.
    fn arrived(
        method: &http::Method,
        uri: &http::Uri,
        query: Option<String>,
        headers: &http::HeaderMap,
    ) -> Self {
        let headers = headers
            .iter()
            .map(|(name, value)| {
                let value = if matches!(name.as_str(), "authorization" | "x-api-key") {
                    "<redacted>".to_owned()
                } else {
                    String::from_utf8_lossy(value.as_bytes()).into_owned()
                };
                (name.as_str().to_owned(), value)
            })
            .collect();
        LoggedRequest {
            received_at: Instant::now(),
            method: method.to_string(),
            path: uri.path().to_owned(),
            query,
            headers,
            status: None,
            fault: None,
        }
    }
}

#[derive(Default)]
struct State {
    jobs: HashMap<String, Tracked<JobResponse>>,
    optimizations: HashMap<String, Tracked<OptimizationResource>>,
    next_job_schedules: VecDeque<Schedule>,
    default_job_schedule: Schedule,
    faults: VecDeque<Fault>,
    log: Vec<LoggedRequest>,
    counter: u64,
    /// Everything else the spec has: projects, cells, measurements, …
    resources: resources::Store,
    /// Whether `POST /jobs` is served (an older server) or answers 410.
    accept_job_submissions: bool,
    /// The job that carries each pipeline, simple pipeline and simulation.
    runs: HashMap<String, String>,
    /// The storage origin (`http://127.0.0.1:<port>`), its objects by
    /// path, its faults and its request log.
    storage_url: String,
    storage: HashMap<String, bytes::Bytes>,
    storage_faults: VecDeque<Fault>,
    storage_log: Vec<LoggedRequest>,
    /// Faults met by S3 part uploads before `storage_faults`.
    part_faults: VecDeque<Fault>,
    /// The multipart offer of upload targets, its credentials, and the
    /// uploads created and not yet completed or aborted, by id.
    multipart_offer: MultipartOffer,
    s3_session: s3::Session,
    multipart_uploads: HashMap<String, s3::Pending>,
    /// Measurements initiated and not yet confirmed: id → cell instance.
    initiated: HashMap<String, String>,
}

impl State {
    fn next_id(&mut self, prefix: &str) -> String {
        self.counter += 1;
        format!("{prefix}-{:06}", self.counter)
    }
}

type Shared = Arc<Mutex<State>>;

/// The vendored spec, parsed once per process.
fn spec() -> &'static Value {
    static SPEC: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    SPEC.get_or_init(|| {
        serde_json::from_str(include_str!("../../openapi.json")).unwrap_or_default()
    })
}

/// The routes of the spec that the generic resource store answers.
fn catalog() -> &'static resources::Catalog {
    static CATALOG: std::sync::OnceLock<resources::Catalog> = std::sync::OnceLock::new();
    CATALOG.get_or_init(|| resources::Catalog::new(spec()))
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The running stand-in. Dropping it stops the server.
///
/// Must be started inside a Tokio runtime; see the [module docs](self).
pub struct StandIn {
    addr: SocketAddr,
    api_key: String,
    state: Shared,
    client: Client,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    storage_shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl fmt::Debug for StandIn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StandIn")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        for tx in [self.shutdown.take(), self.storage_shutdown.take()]
            .into_iter()
            .flatten()
        {
            let _ = tx.send(());
        }
    }
}

impl StandIn {
    /// Binds `127.0.0.1` on a free port and starts serving on the current
    /// Tokio runtime.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let stand_in = ionworks::testing::StandIn::start().await?;
    /// assert!(stand_in.base_url().starts_with("http://127.0.0.1:"));
    /// # Ok(()) }
    /// ```
    pub async fn start() -> std::io::Result<StandIn> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let api_key = format!("standin-{:016x}", fastrand::u64(..));
        let storage_listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let state: Shared = Arc::default();
        lock(&state).storage_url = format!("http://{}", storage_listener.local_addr()?);
        let client = Self::builder_for(addr, &api_key)
            .build()
            .map_err(std::io::Error::other)?;
        let (tx, rx) = tokio::sync::oneshot::channel();
        tokio::spawn(server::serve(
            listener,
            server::router(state.clone(), api_key.clone()),
            rx,
        ));
        let (storage_tx, storage_rx) = tokio::sync::oneshot::channel();
        tokio::spawn(server::serve(
            storage_listener,
            storage::router(state.clone()),
            storage_rx,
        ));
        Ok(StandIn {
            addr,
            api_key,
            state,
            client,
            shutdown: Some(tx),
            storage_shutdown: Some(storage_tx),
        })
    }

    fn builder_for(addr: SocketAddr, api_key: &str) -> ClientBuilder {
        Client::builder()
            .base_url(format!("http://{addr}"))
            .api_key(api_key)
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The API key the stand-in accepts, as `X-API-Key` or as a bearer token.
    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    /// A client pointed at the stand-in with its key and the default retry
    /// policy.
    pub fn client(&self) -> Client {
        self.client.clone()
    }

    /// A builder with the stand-in's URL and key, to adjust before `build`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let stand_in = ionworks::testing::StandIn::start().await?;
    /// let client = stand_in.client_builder().retry_policy(ionworks::RetryPolicy::none()).build()?;
    /// # let _ = client; Ok(()) }
    /// ```
    pub fn client_builder(&self) -> ClientBuilder {
        Self::builder_for(self.addr, &self.api_key)
    }

    // ---- jobs ----

    /// Whether `POST /jobs` starts a job, as an older server did. By default
    /// the stand-in answers `410 Gone`, as the live server does.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ionworks::types::{JobType, SubmitJobRequest};
    ///
    /// let stand_in = ionworks::testing::StandIn::start().await?;
    /// let client = stand_in.client();
    /// # #[allow(deprecated)] {
    /// let submit = || {
    ///     let body = SubmitJobRequest::builder().job_type(JobType::Dummy).params(serde_json::Map::new());
    ///     client.submit_job().body(body).send()
    /// };
    /// let err = submit().await.unwrap_err();
    /// assert_eq!(err.status().map(|s| s.as_u16()), Some(410));
    /// stand_in.accept_job_submissions(true);
    /// assert!(submit().await.is_ok());
    /// # }
    /// # Ok(()) }
    /// ```
    pub fn accept_job_submissions(&self, accept: bool) {
        lock(&self.state).accept_job_submissions = accept;
    }

    /// The schedule of jobs submitted once the queue of
    /// [`push_job_schedule`](Self::push_job_schedule) is empty.
    pub fn set_default_job_schedule(&self, schedule: Schedule) {
        lock(&self.state).default_job_schedule = schedule;
    }

    /// The schedule of the next job submitted (first in, first out).
    pub fn push_job_schedule(&self, schedule: Schedule) {
        lock(&self.state).next_job_schedules.push_back(schedule);
    }

    /// Adds a `pending` `dummy` job that follows `schedule`, as if it had
    /// been started in the web app or by a pipeline; returns its id.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ionworks::testing::{Schedule, StandIn};
    ///
    /// let stand_in = StandIn::start().await?;
    /// let id = stand_in.add_job(Schedule::manual());
    /// let job = stand_in.client().get_job().job_id(&id).send().await?;
    /// assert!(!job.is_terminal);
    /// # Ok(()) }
    /// ```
    pub fn add_job(&self, schedule: Schedule) -> String {
        let request = crate::types::SubmitJobRequest {
            callback_url: None,
            job_type: crate::types::JobType::Dummy,
            metadata: None,
            params: Map::new(),
            parent_job_id: None,
            priority: 0,
        };
        let mut state = lock(&self.state);
        work::new_job(&mut state, request, Some(ids::PROJECT_ID.into()), schedule).job_id
    }

    /// The job as `GET /jobs/{id}` would answer now; `None` if unknown.
    pub fn job(&self, job_id: &str) -> Option<JobResponse> {
        let mut state = lock(&self.state);
        let tracked = state.jobs.get_mut(job_id)?;
        tracked.advance(Instant::now());
        Some(tracked.resource.clone())
    }

    fn drive_job(&self, job_id: &str, f: impl FnOnce(&mut JobResponse)) -> Option<JobResponse> {
        let mut state = lock(&self.state);
        let tracked = state.jobs.get_mut(job_id)?;
        tracked.advance(Instant::now());
        f(&mut tracked.resource);
        tracked.hold();
        Some(tracked.resource.clone())
    }

    /// Moves a job to `processing` now.
    pub fn start_job(&self, job_id: &str) -> Option<JobResponse> {
        self.drive_job(job_id, |job| {
            set_job_status(job, JobStatus::Processing, Utc::now());
        })
    }

    /// Completes a job now with `result`.
    pub fn complete_job(&self, job_id: &str, result: Map<String, Value>) -> Option<JobResponse> {
        self.drive_job(job_id, |job| {
            finish_job(job, &Outcome::Succeed(result), Utc::now());
        })
    }

    /// Fails a job now with `code` and `message`.
    pub fn fail_job(
        &self,
        job_id: &str,
        code: JobErrorCode,
        message: impl Into<String>,
    ) -> Option<JobResponse> {
        let outcome = Outcome::Fail {
            code,
            message: message.into(),
        };
        self.drive_job(job_id, |job| finish_job(job, &outcome, Utc::now()))
    }

    /// Cancels a job now, whatever its status.
    pub fn cancel_job(&self, job_id: &str) -> Option<JobResponse> {
        self.drive_job(job_id, |job| {
            set_job_status(job, JobStatus::Canceled, Utc::now());
        })
    }

    // ---- optimizations ----

    /// Adds a `queued` optimization that follows `schedule`; returns its id.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ionworks::testing::{Schedule, StandIn};
    /// use ionworks::types::DomainStatus;
    ///
    /// let stand_in = StandIn::start().await?;
    /// let id = stand_in.add_optimization(Schedule::manual());
    /// let o = stand_in.client().get_optimization_resource().id(&id).send().await?;
    /// assert_eq!(o.status, Some(DomainStatus::Queued));
    /// # Ok(()) }
    /// ```
    pub fn add_optimization(&self, schedule: Schedule) -> String {
        let mut state = lock(&self.state);
        let id = state.next_id("opt");
        let resource = OptimizationResource {
            cell_name: Some("Stand-in cell".into()),
            cell_spec_id: None,
            created_at: Some(Utc::now()),
            created_by_email: Some("standin@example.com".into()),
            description: None,
            error: None,
            error_code: None,
            id: id.clone(),
            kind: Some("optimize".into()),
            metrics: None,
            name: Some(format!("Stand-in optimization {id}")),
            objectives: None,
            optimization_template_id: None,
            organization_id: ids::ORGANIZATION_ID.into(),
            parameterized_model_id: None,
            parameterized_model_name: None,
            project_id: ids::PROJECT_ID.into(),
            run_count: 1,
            status: Some(DomainStatus::Queued),
        };
        let tracked = Tracked::new(resource, schedule);
        state.optimizations.insert(id.clone(), tracked);
        id
    }

    /// The optimization as `GET /optimizations/{id}` would answer now.
    pub fn optimization(&self, id: &str) -> Option<OptimizationResource> {
        let mut state = lock(&self.state);
        let tracked = state.optimizations.get_mut(id)?;
        tracked.advance(Instant::now());
        Some(tracked.resource.clone())
    }

    /// Gives an optimization a new schedule from now on, and for its next
    /// run after a resubmit (without it, a resubmitted run follows
    /// [`Schedule::default`] and succeeds).
    pub fn set_optimization_schedule(&self, id: &str, schedule: Schedule) -> bool {
        let mut state = lock(&self.state);
        let Some(tracked) = state.optimizations.get_mut(id) else {
            return false;
        };
        tracked.advance(Instant::now());
        tracked.next_run = Some(schedule.clone());
        tracked.schedule = schedule;
        tracked.since = Instant::now();
        tracked.since_utc = Utc::now();
        true
    }

    /// Ends an optimization now with `outcome`.
    pub fn finish_optimization(&self, id: &str, outcome: Outcome) -> Option<OptimizationResource> {
        let mut state = lock(&self.state);
        let tracked = state.optimizations.get_mut(id)?;
        tracked.advance(Instant::now());
        finish_optimization(&mut tracked.resource, &outcome);
        tracked.hold();
        Some(tracked.resource.clone())
    }

    // ---- faults and log ----

    /// The next `times` requests (any operation) meet `fault` before
    /// anything else, including the credential check.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ionworks::testing::{Fault, StandIn};
    ///
    /// let stand_in = StandIn::start().await?;
    /// stand_in.inject(Fault::Status(503), 1);
    /// let client = stand_in.client(); // retries the 503
    /// let err = client.get_job().job_id("nope").send().await.unwrap_err();
    /// assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
    /// assert_eq!(stand_in.requests().len(), 2);
    /// # Ok(()) }
    /// ```
    pub fn inject(&self, fault: Fault, times: usize) {
        let mut state = lock(&self.state);
        state.faults.extend(std::iter::repeat_n(fault, times));
    }

    /// Every request received so far, oldest first.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        lock(&self.state).log.clone()
    }

    /// Empties the request log.
    pub fn clear_requests(&self) {
        lock(&self.state).log.clear();
    }

    // ---- storage ----

    /// The storage origin its signed URLs point at
    /// (`http://127.0.0.1:<port>`, another port than [`base_url`](Self::base_url)).
    pub fn storage_url(&self) -> String {
        lock(&self.state).storage_url.clone()
    }

    /// The bytes stored at `path` (as in a signed URL, without the leading
    /// `/`), such as `measurements/<id>/time_series.parquet`.
    pub fn stored(&self, path: &str) -> Option<bytes::Bytes> {
        lock(&self.state).storage.get(path).cloned()
    }

    /// Makes the next `times` storage requests fail with `fault`.
    pub fn inject_storage(&self, fault: Fault, times: usize) {
        let mut state = lock(&self.state);
        state
            .storage_faults
            .extend(std::iter::repeat_n(fault, times));
    }

    /// Every request storage received so far, oldest first (credential
    /// headers, if any arrived, read `<redacted>`, and so do the signature
    /// and session token of a presigned S3 query).
    pub fn storage_requests(&self) -> Vec<LoggedRequest> {
        lock(&self.state).storage_log.clone()
    }

    /// Makes the next `times` S3 part uploads fail with `fault` (other
    /// storage requests are not affected); a part answered
    /// `Fault::Status(500)` once is tried again by the client.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// use ionworks::testing::{Fault, StandIn};
    ///
    /// let stand_in = StandIn::start().await?;
    /// stand_in.inject_storage_parts(Fault::Status(500), 1);
    /// # Ok(()) }
    /// ```
    pub fn inject_storage_parts(&self, fault: Fault, times: usize) {
        let mut state = lock(&self.state);
        state.part_faults.extend(std::iter::repeat_n(fault, times));
    }

    /// Sets how upload targets offer S3 multipart (default:
    /// [`MultipartOffer::Accepted`]), for the uploads initiated from now on.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// use ionworks::testing::{MultipartOffer, StandIn};
    ///
    /// let stand_in = StandIn::start().await?;
    /// stand_in.set_multipart(MultipartOffer::Refused); // storage refuses the credentials
    /// # Ok(()) }
    /// ```
    pub fn set_multipart(&self, offer: MultipartOffer) {
        lock(&self.state).multipart_offer = offer;
    }

    /// The multipart uploads created on storage and neither completed nor
    /// aborted yet (an aborted upload leaves none).
    pub fn open_multipart_uploads(&self) -> usize {
        lock(&self.state).multipart_uploads.len()
    }

    /// Stops the storage origin now, as if it were killed: every open
    /// connection to it is closed and new ones are refused. The API goes on
    /// serving.
    pub fn stop_storage(&mut self) {
        if let Some(tx) = self.storage_shutdown.take() {
            let _ = tx.send(());
        }
    }
}
