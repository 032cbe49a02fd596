//! Starting work and following it to its end, the way the server runs it:
//! pipelines, simple pipelines, simulations (one or many: a batch is
//! followed through `POST /simulations/statuses`, one request per poll for
//! up to a thousand simulations) and ECM fits (jobs).
//!
//! Every kind is waited for with the same [`Wait`] as jobs and
//! optimizations (policy, deadline, observer, [`updates`](Wait::updates),
//! [`cancel_on`](Wait::cancel_on), [`accept_failed`](Wait::accept_failed),
//! and a [`RequestBudget`](crate::wait::RequestBudget) that many waits of
//! any kinds can share). The `run_*` methods start the work and follow it in
//! one call.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let stand_in = ionworks::testing::StandIn::start().await?;
//! # let client = stand_in.client();
//! use ionworks::types::PipelineConfig;
//! use serde_json::json;
//!
//! let config = PipelineConfig::builder()
//!     .project_id("my-project")
//!     .name(Some("fit NMC811".to_string()))
//!     .elements(json!({"data": {"element_type": "entry"}}).as_object().cloned().unwrap_or_default());
//! let run = client.run_pipeline(config).await?;
//! println!("{}: {:?}", run.pipeline.status, run.result.element_results.keys());
//! # Ok(()) }
//! ```

#[cfg(feature = "api-simulations")]
use std::collections::BTreeMap;

#[cfg(any(feature = "api-pipeline", feature = "api-simple-pipeline"))]
use crate::ApiError;
#[cfg(any(
    feature = "api-pipeline",
    feature = "api-simple-pipeline",
    feature = "api-simulations"
))]
use crate::wait::{Phase, Pollable, Wait, WaitError};

#[cfg(feature = "api-simple-pipeline")]
use crate::types::SimplePipeline;
#[cfg(all(feature = "api-ecm", feature = "api-jobs"))]
use crate::types::{FitFromMeasurementsRequest, JobResponse};
#[cfg(feature = "api-simulations")]
use crate::types::{
    JobStatus, Simulation, SimulationBatchWithTemplateRequest, SimulationStatus,
    SimulationStatusesRequest,
};
#[cfg(feature = "api-pipeline")]
use crate::types::{Pipeline, PipelineConfig, PipelineElement, PipelineResponse};

/// A pipeline's or simple pipeline's phase: the server's `is_terminal` /
/// `is_failed`, never status names.
#[cfg(any(feature = "api-pipeline", feature = "api-simple-pipeline"))]
fn flags(is_terminal: bool, is_failed: bool) -> Phase {
    match (is_terminal, is_failed) {
        (false, _) => Phase::Running,
        (true, false) => Phase::Succeeded,
        (true, true) => Phase::Failed,
    }
}

/// `Pollable` for a resource that carries its own `is_terminal`,
/// `is_failed`, `error_code` and `error` (pipelines, simple pipelines).
macro_rules! pollable_by_flags {
    ($feature:literal, $ty:ty, $kind:literal) => {
        #[cfg(feature = $feature)]
        impl Pollable for $ty {
            const KIND: &'static str = $kind;
            fn status_text(&self) -> String {
                self.status.to_string()
            }
            fn phase(&self) -> Phase {
                flags(self.is_terminal, self.is_failed)
            }
            fn status_unknown(&self) -> bool {
                self.status.is_unknown()
            }
            fn id(&self) -> Option<String> {
                Some(self.id.clone())
            }
            fn failure(&self) -> (Option<String>, Option<String>) {
                let code = self.error_code.as_ref().map(ToString::to_string);
                (code, self.error.clone())
            }
        }
    };
}

pollable_by_flags!("api-pipeline", Pipeline, "pipeline");
pollable_by_flags!("api-simple-pipeline", SimplePipeline, "simple pipeline");

/// The job statuses of a batch of simulations, as one poll of
/// `POST /simulations/statuses` saw them, in the order they were asked for.
///
/// A simulation is done when its job completed, and failed when its job
/// failed or was canceled; the batch is over when every simulation is done
/// or failed, and failed when any one failed.
#[cfg(feature = "api-simulations")]
#[derive(Clone, Debug)]
pub struct SimulationBatch {
    ids: Vec<String>,
    statuses: BTreeMap<String, SimulationStatus>,
}

#[cfg(feature = "api-simulations")]
impl SimulationBatch {
    /// The ids of the simulations, in the order they were asked for.
    pub fn ids(&self) -> &[String] {
        &self.ids
    }
    /// The latest status of simulation `id` (`None` before the server
    /// reported one).
    pub fn status(&self, id: &str) -> Option<&SimulationStatus> {
        self.statuses.get(id)
    }
    /// The simulations whose job failed or was canceled.
    pub fn failed(&self) -> impl Iterator<Item = &SimulationStatus> {
        self.ids
            .iter()
            .filter_map(|id| self.statuses.get(id))
            .filter(|s| matches!(s.status, JobStatus::Failed | JobStatus::Canceled))
    }
    /// How many simulations completed.
    pub fn completed(&self) -> usize {
        self.statuses
            .values()
            .filter(|s| s.status == JobStatus::Completed)
            .count()
    }
}

#[cfg(feature = "api-simulations")]
impl Pollable for SimulationBatch {
    const KIND: &'static str = "simulation batch";
    /// `2 completed, 1 failed of 4`.
    fn status_text(&self) -> String {
        format!(
            "{} completed, {} failed of {}",
            self.completed(),
            self.failed().count(),
            self.ids.len()
        )
    }
    fn phase(&self) -> Phase {
        let terminal = |id: &String| {
            self.statuses.get(id).is_some_and(|s| {
                matches!(
                    s.status,
                    JobStatus::Completed | JobStatus::Failed | JobStatus::Canceled
                )
            })
        };
        if !self.ids.iter().all(terminal) {
            Phase::Running
        } else if self.failed().next().is_some() {
            Phase::Failed
        } else {
            Phase::Succeeded
        }
    }
    fn status_unknown(&self) -> bool {
        self.statuses.values().any(|s| s.status.is_unknown())
    }
    /// The first failed simulation.
    fn id(&self) -> Option<String> {
        self.failed().next().map(|s| s.simulation_id.clone())
    }
    /// The first failed simulation's error code and message.
    fn failure(&self) -> (Option<String>, Option<String>) {
        self.failed().next().map_or((None, None), |s| {
            (
                s.error_code.as_ref().map(ToString::to_string),
                s.error.clone(),
            )
        })
    }
}

/// How many ids one `POST /simulations/statuses` answers.
#[cfg(feature = "api-simulations")]
const STATUSES_PAGE: usize = 1000;

/// A finished pipeline: its final state, its elements and their results.
#[cfg(feature = "api-pipeline")]
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct PipelineRun {
    /// The pipeline as it ended.
    pub pipeline: Pipeline,
    /// Its elements, in order, with their status and job.
    pub elements: Vec<PipelineElement>,
    /// The overall result and each element's (`element_results`, by name).
    pub result: PipelineResponse,
}

/// A finished simulation: its id, its job and the simulation with its
/// `metrics` (its time series and steps download from
/// `download_simulation_time_series` / `download_simulation_steps`).
#[cfg(feature = "api-simulations")]
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct SimulationRun {
    /// The simulation's id.
    pub simulation_id: String,
    /// The job that ran it.
    pub job_id: String,
    /// The simulation, with `metrics` and `storage_folder`.
    pub simulation: Simulation,
}

/// A request body from a builder (or the body itself), as `.body()` takes
/// it; a builder missing a required field is an invalid request.
#[cfg(any(
    feature = "api-pipeline",
    feature = "api-simulations",
    all(feature = "api-ecm", feature = "api-jobs")
))]
fn body<T, B>(operation: &'static str, body: B) -> Result<T, crate::ApiError>
where
    B: TryInto<T>,
    B::Error: std::fmt::Display,
{
    body.try_into()
        .map_err(|e| crate::ApiError::invalid_request(operation.into(), e.to_string()))
}

#[cfg(any(feature = "api-pipeline", feature = "api-simple-pipeline"))]
fn inner<T>(response: progenitor_client::ResponseValue<T>) -> T {
    response.into_inner()
}

impl crate::Client {
    /// Wait for pipeline `id` to end (the server's `is_terminal` /
    /// `is_failed`). See [`crate::wait`] for the options.
    #[cfg(feature = "api-pipeline")]
    pub fn wait_for_pipeline(&self, id: impl Into<String>) -> Wait<'_, Pipeline> {
        let id: String = id.into();
        let key = id.clone();
        Wait::from_fn(id, move || {
            let request = self.get_pipeline().pipeline_id(key.clone());
            async move { request.send().await.map(inner) }
        })
    }

    /// Wait for simple pipeline `id` to end (the server's `is_terminal` /
    /// `is_failed`).
    #[cfg(feature = "api-simple-pipeline")]
    pub fn wait_for_simple_pipeline(&self, id: impl Into<String>) -> Wait<'_, SimplePipeline> {
        let id: String = id.into();
        let key = id.clone();
        Wait::from_fn(id, move || {
            let request = self.get_simple_pipeline().id(key.clone());
            async move { request.send().await.map(inner) }
        })
    }

    /// Wait for every simulation of `ids` to end, polling their statuses
    /// in one request per thousand simulations.
    ///
    /// ```
    /// # async fn run(client: &ionworks::Client, ids: Vec<String>) -> Result<(), Box<dyn std::error::Error>> {
    /// let batch = client
    ///     .wait_for_simulations(ids)
    ///     .observe(|u| eprintln!("{} after {:.0?}", u.status, u.elapsed))
    ///     .await?;
    /// println!("{} simulations completed", batch.completed());
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "api-simulations")]
    pub fn wait_for_simulations<I, S>(&self, ids: I) -> Wait<'_, SimulationBatch>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let ids: Vec<String> = ids.into_iter().map(Into::into).collect();
        let label = match ids.as_slice() {
            [one] => one.clone(),
            many => format!("{} simulations", many.len()),
        };
        Wait::from_fn(label, move || {
            let ids = ids.clone();
            async move {
                let mut statuses = BTreeMap::new();
                for chunk in ids.chunks(STATUSES_PAGE) {
                    let body = SimulationStatusesRequest::builder()
                        .simulation_ids(chunk.to_vec())
                        .limit(STATUSES_PAGE as i64);
                    let page = self.get_statuses().body(body).send().await?.into_inner();
                    statuses.extend(page.into_iter().map(|s| (s.simulation_id.clone(), s)));
                }
                Ok(SimulationBatch { ids, statuses })
            }
        })
    }

    /// Create a pipeline from `config`, wait for it with the default
    /// policy, and read its elements and results. A failed creation is
    /// [`WaitError::Start`]; a failed pipeline is [`WaitError::Failed`],
    /// whose `error` names the element that failed.
    #[cfg(feature = "api-pipeline")]
    pub async fn run_pipeline<C>(&self, config: C) -> Result<PipelineRun, WaitError<Pipeline>>
    where
        C: TryInto<PipelineConfig>,
        C::Error: std::fmt::Display,
    {
        let config = body("create_pipeline", config).map_err(WaitError::Start)?;
        let created = self
            .create_pipeline()
            .body(config)
            .send()
            .await
            .map_err(WaitError::Start)?
            .into_inner();
        let pipeline = match self.wait_for_pipeline(&created.id).await {
            Ok(pipeline) => pipeline,
            Err(WaitError::Failed(mut pipeline)) => {
                self.name_failed_element(&mut pipeline).await;
                return Err(WaitError::Failed(pipeline));
            }
            Err(other) => return Err(other),
        };
        let elements = self
            .pipeline_elements(&created.id)
            .await
            .map_err(WaitError::Api)?;
        let result = self
            .get_pipeline_result()
            .pipeline_id(&created.id)
            .send()
            .await
            .map_err(WaitError::Api)?
            .into_inner();
        Ok(PipelineRun {
            pipeline,
            elements,
            result,
        })
    }

    #[cfg(feature = "api-pipeline")]
    async fn pipeline_elements(&self, id: &str) -> Result<Vec<PipelineElement>, ApiError> {
        Ok(self
            .get_pipeline_elements()
            .pipeline_id(id)
            .send()
            .await?
            .into_inner())
    }

    /// Puts the failed element's name, code and message on `pipeline`'s
    /// error, when the elements can be read and one failed.
    #[cfg(feature = "api-pipeline")]
    async fn name_failed_element(&self, pipeline: &mut Pipeline) {
        let Ok(elements) = self.pipeline_elements(&pipeline.id).await else {
            return;
        };
        let Some(element) = elements
            .iter()
            .find(|e| e.error.is_some() || e.error_code.is_some())
        else {
            return;
        };
        let message = element
            .error
            .clone()
            .or_else(|| pipeline.error.clone())
            .unwrap_or_else(|| "no message".into());
        pipeline.error = Some(format!("element {}: {message}", element.name));
        if pipeline.error_code.is_none() {
            pipeline.error_code = element.error_code.clone();
        }
    }

    /// Start a batch of simulations from an experiment template (see
    /// `parse_protocol_to_template`), wait for all of them with the default
    /// policy, and read each one's metrics. A failed start is
    /// [`WaitError::Start`]; when any simulation fails, the error is
    /// [`WaitError::Failed`] with the batch, naming the first failed
    /// simulation, its error code and message.
    #[cfg(feature = "api-simulations")]
    pub async fn run_simulations<B>(
        &self,
        request: B,
    ) -> Result<Vec<SimulationRun>, WaitError<SimulationBatch>>
    where
        B: TryInto<SimulationBatchWithTemplateRequest>,
        B::Error: std::fmt::Display,
    {
        let request = body("create_simulation_batch", request).map_err(WaitError::Start)?;
        let started = self
            .create_simulation_batch()
            .body(request)
            .send()
            .await
            .map_err(WaitError::Start)?
            .into_inner();
        self.wait_for_simulations(started.iter().map(|s| s.simulation_id.clone()))
            .await?;
        let mut runs = Vec::with_capacity(started.len());
        for s in started {
            let simulation = self
                .get_simulation()
                .id(&s.simulation_id)
                .send()
                .await
                .map_err(WaitError::Api)?
                .into_inner();
            runs.push(SimulationRun {
                simulation_id: s.simulation_id,
                job_id: s.job_id,
                simulation,
            });
        }
        Ok(runs)
    }

    /// Start an ECM fit from measurements and wait for its job with the
    /// default policy; the job's `result` holds the fit's results.
    #[cfg(all(feature = "api-ecm", feature = "api-jobs"))]
    pub async fn run_ecm_fit<B>(&self, request: B) -> Result<JobResponse, WaitError<JobResponse>>
    where
        B: TryInto<FitFromMeasurementsRequest>,
        B::Error: std::fmt::Display,
    {
        let request = body("fit_from_measurements", request).map_err(WaitError::Start)?;
        let started = self
            .fit_from_measurements()
            .body(request)
            .send()
            .await
            .map_err(WaitError::Start)?
            .into_inner();
        self.wait_until_terminal(started.job_id).await
    }
}

#[cfg(all(test, feature = "api-simulations"))]
mod tests {
    use super::*;
    use crate::types::JobErrorCode;

    fn status(id: &str, status: JobStatus) -> SimulationStatus {
        SimulationStatus {
            error: (status == JobStatus::Failed).then(|| "diverged".to_string()),
            error_code: (status == JobStatus::Failed).then_some(JobErrorCode::SolverError),
            simulation_id: id.into(),
            status,
            updated_at: chrono::Utc::now(),
        }
    }

    fn batch(known: &[(&str, JobStatus)], ids: &[&str]) -> SimulationBatch {
        SimulationBatch {
            ids: ids.iter().map(|s| s.to_string()).collect(),
            statuses: known
                .iter()
                .map(|(id, s)| (id.to_string(), status(id, s.clone())))
                .collect(),
        }
    }

    #[test]
    fn a_batch_runs_until_every_simulation_is_done_and_fails_if_one_failed() {
        let ids = ["a", "b"];
        let running = batch(&[("a", JobStatus::Completed)], &ids);
        assert_eq!(running.phase(), Phase::Running, "b has no status yet");
        let done = batch(
            &[("a", JobStatus::Completed), ("b", JobStatus::Completed)],
            &ids,
        );
        assert_eq!(
            (done.phase(), done.status_text()),
            (Phase::Succeeded, "2 completed, 0 failed of 2".into())
        );
        let failed = batch(
            &[("a", JobStatus::Completed), ("b", JobStatus::Failed)],
            &ids,
        );
        assert_eq!(failed.phase(), Phase::Failed);
        assert_eq!(failed.id().as_deref(), Some("b"));
        let (code, message) = failed.failure();
        assert_eq!(message.as_deref(), Some("diverged"));
        assert!(code.is_some());
    }
}
