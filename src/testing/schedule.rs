//! A job's or an optimization's course: the [`Schedule`] and [`Outcome`]
//! a test sets, and the tracked resource that follows one, its status
//! moving as the server moves it.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::types::{DomainStatus, JobErrorCode, JobResponse, JobStatus, OptimizationResource};

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
/// the test drives it (see [`StandIn::complete_job`](super::StandIn::complete_job) and friends).
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

/// A job or optimization whose status follows a [`Schedule`].
pub(super) struct Tracked<R> {
    pub(super) resource: R,
    pub(super) schedule: Schedule,
    /// The schedule of the next run after a resubmit, when the test set one.
    pub(super) next_run: Option<Schedule>,
    /// Start of the current phase, on both clocks.
    pub(super) since: Instant,
    pub(super) since_utc: DateTime<Utc>,
}

fn offset(start: DateTime<Utc>, by: Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(by)
        .ok()
        .and_then(|d| start.checked_add_signed(d))
        .unwrap_or(start)
}

/// The server's rule: terminal = completed/failed/canceled, failed =
/// failed/canceled.
pub(super) fn set_job_status(job: &mut JobResponse, status: JobStatus, at: DateTime<Utc>) {
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

pub(super) fn finish_job(job: &mut JobResponse, outcome: &Outcome, at: DateTime<Utc>) {
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

pub(super) fn finish_optimization(o: &mut OptimizationResource, outcome: &Outcome) {
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
    pub(super) fn new(resource: R, schedule: Schedule) -> Self {
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
    pub(super) fn hold(&mut self) {
        self.schedule.queued = None;
        self.schedule.running = None;
        self.since = Instant::now();
        self.since_utc = Utc::now();
    }
}

impl Tracked<JobResponse> {
    /// Applies every transition the schedule has reached by `now`.
    pub(super) fn advance(&mut self, now: Instant) {
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
    pub(super) fn advance(&mut self, now: Instant) {
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
