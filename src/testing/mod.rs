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

mod resources;
mod server;
mod storage;
mod validation;
mod work;

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::types::{DomainStatus, JobErrorCode, JobResponse, JobStatus, OptimizationResource};
use crate::{Client, ClientBuilder};

/// What a job or an optimization ends with when its [`Schedule`] runs out.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Outcome {
    /// A job completes with this result (an optimization succeeds with it
    /// as its metrics).
    Succeed(Map<String, Value>),
    /// Fails with a machine-readable code and a message.
    Fail {
        /// The job's `error_code` (an optimization's, as a string).
        code: JobErrorCode,
        /// The `error` message.
        message: String,
    },
}

/// How long a job stays pending then processing (an optimization queued then
/// running) before its [`Outcome`]. A phase without a duration lasts until
/// the test drives it (see [`StandIn::complete_job`] and friends).
///
/// ```
/// use std::time::Duration;
/// use ionworks::testing::Schedule;
/// use ionworks::types::JobErrorCode;
///
/// let quick = Schedule::succeeds_after(Duration::from_millis(10), Duration::from_millis(20));
/// let failing = quick.clone().failing(JobErrorCode::SolverError, "solver diverged");
/// let held = Schedule::manual();
/// # let _ = (failing, held);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Schedule {
    queued: Option<Duration>,
    running: Option<Duration>,
    outcome: Outcome,
}

impl Default for Schedule {
    /// 50 ms pending, 100 ms processing, then success with a small result.
    fn default() -> Self {
        Self::succeeds_after(Duration::from_millis(50), Duration::from_millis(100))
    }
}

impl Schedule {
    /// Pending for `queued`, processing for `running`, then success.
    pub fn succeeds_after(queued: Duration, running: Duration) -> Self {
        let mut result = Map::new();
        result.insert(
            "message".into(),
            "completed by the Ionworks stand-in".into(),
        );
        Self {
            queued: Some(queued),
            running: Some(running),
            outcome: Outcome::Succeed(result),
        }
    }

    /// Stays pending until the test drives it.
    pub fn manual() -> Self {
        Self {
            queued: None,
            running: None,
            ..Self::default()
        }
    }

    /// The same timing, ending in failure instead.
    pub fn failing(mut self, code: JobErrorCode, message: impl Into<String>) -> Self {
        self.outcome = Outcome::Fail {
            code,
            message: message.into(),
        };
        self
    }

    /// The same timing, succeeding with `result`.
    pub fn with_result(mut self, result: Map<String, Value>) -> Self {
        self.outcome = Outcome::Succeed(result);
        self
    }
}

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
}

/// A job or optimization whose status follows a [`Schedule`].
struct Tracked<R> {
    resource: R,
    schedule: Schedule,
    /// The schedule of the next run after a resubmit, when the test set one.
    next_run: Option<Schedule>,
    /// Start of the current phase, on both clocks.
    since: Instant,
    since_utc: DateTime<Utc>,
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

fn offset(start: DateTime<Utc>, by: Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(by)
        .ok()
        .and_then(|d| start.checked_add_signed(d))
        .unwrap_or(start)
}

/// The server's rule: terminal = completed/failed/canceled, failed =
/// failed/canceled.
fn set_job_status(job: &mut JobResponse, status: JobStatus, at: DateTime<Utc>) {
    (job.is_terminal, job.is_failed) = crate::job_status_flags(&status);
    if status == JobStatus::Processing && job.started_at.is_none() {
        job.started_at = Some(at);
    }
    if job.is_terminal {
        job.completed_at = Some(at);
        if let Some(started) = job.started_at {
            job.compute_time = Some((at - started).num_milliseconds() as f64 / 1000.0);
        }
    }
    job.status = status;
    job.updated_at = at;
}

fn finish_job(job: &mut JobResponse, outcome: &Outcome, at: DateTime<Utc>) {
    match outcome {
        Outcome::Succeed(result) => {
            job.result = Some(result.clone());
            set_job_status(job, JobStatus::Completed, at);
        }
        Outcome::Fail { code, message } => {
            job.error = Some(message.clone());
            job.error_code = Some(code.clone());
            set_job_status(job, JobStatus::Failed, at);
        }
    }
}

fn finish_optimization(o: &mut OptimizationResource, outcome: &Outcome) {
    match outcome {
        Outcome::Succeed(metrics) => {
            o.metrics = Some(metrics.clone());
            o.status = Some(DomainStatus::Succeeded);
        }
        Outcome::Fail { code, message } => {
            o.error = Some(message.clone());
            o.error_code = Some(code.as_str().to_owned());
            o.status = Some(DomainStatus::Failed);
        }
    }
}

impl<R> Tracked<R> {
    fn new(resource: R, schedule: Schedule) -> Self {
        Self {
            resource,
            schedule,
            next_run: None,
            since: Instant::now(),
            since_utc: Utc::now(),
        }
    }

    /// If the current phase (lasting `phase`) is over by `now`, starts the
    /// next one and returns when it began.
    fn phase_over(&mut self, phase: Option<Duration>, now: Instant) -> Option<DateTime<Utc>> {
        let d = phase?;
        if now.saturating_duration_since(self.since) < d {
            return None;
        }
        self.since += d;
        self.since_utc = offset(self.since_utc, d);
        Some(self.since_utc)
    }

    /// Hands the resource over to the test: no more scheduled transitions.
    fn hold(&mut self) {
        self.schedule.queued = None;
        self.schedule.running = None;
        self.since = Instant::now();
        self.since_utc = Utc::now();
    }
}

impl Tracked<JobResponse> {
    /// Applies every transition the schedule has reached by `now`.
    fn advance(&mut self, now: Instant) {
        loop {
            match self.resource.status {
                JobStatus::Pending => match self.phase_over(self.schedule.queued, now) {
                    Some(at) => set_job_status(&mut self.resource, JobStatus::Processing, at),
                    None => return,
                },
                JobStatus::Processing => match self.phase_over(self.schedule.running, now) {
                    Some(at) => finish_job(&mut self.resource, &self.schedule.outcome, at),
                    None => return,
                },
                _ => return,
            }
        }
    }
}

impl Tracked<OptimizationResource> {
    fn advance(&mut self, now: Instant) {
        loop {
            match self.resource.status {
                Some(DomainStatus::Queued) => match self.phase_over(self.schedule.queued, now) {
                    Some(_) => self.resource.status = Some(DomainStatus::Running),
                    None => return,
                },
                Some(DomainStatus::Running) => match self.phase_over(self.schedule.running, now) {
                    Some(_) => finish_optimization(&mut self.resource, &self.schedule.outcome),
                    None => return,
                },
                _ => return,
            }
        }
    }
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
        server::new_job(
            &mut state,
            request,
            Some(server::PROJECT_ID.into()),
            schedule,
        )
        .job_id
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
            organization_id: server::ORGANIZATION_ID.into(),
            parameterized_model_id: None,
            parameterized_model_name: None,
            project_id: server::PROJECT_ID.into(),
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
    /// headers, if any arrived, read `<redacted>`).
    pub fn storage_requests(&self) -> Vec<LoggedRequest> {
        lock(&self.state).storage_log.clone()
    }
}
