//! Starting work and following it, as the live server runs it: pipelines,
//! simple pipelines, simulation batches and ECM fits against the stand-in,
//! to success, to failure, cancelled, many at once with one budget, and
//! with faults on.
#![cfg(feature = "testing")]

use std::time::Duration;

use ionworks::testing::{Fault, Schedule, StandIn};
use ionworks::types::{
    FitFromMeasurementsRequest, JobErrorCode, ParseToTemplateRequest, PipelineConfig,
    PipelineStatus, ProtocolExperimentConfig, SimplePipelineCreateRequest,
    SimulationBatchWithTemplateRequest,
};
use ionworks::wait::{RequestBudget, WaitError, WaitPolicy};
use serde_json::{Map, Value, json};

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

const MS: Duration = Duration::from_millis(1);

fn quick() -> Schedule {
    Schedule::succeeds_after(20 * MS, 40 * MS)
}

fn config(name: &str, elements: &[&str]) -> ionworks::types::builder::PipelineConfig {
    let elements: Map<String, Value> = elements
        .iter()
        .map(|e| (e.to_string(), json!({"element_type": "entry"})))
        .collect();
    PipelineConfig::builder()
        .project_id("p1")
        .name(Some(name.into()))
        .elements(elements)
}

fn fast(policy: WaitPolicy) -> WaitPolicy {
    policy
        .with_min_delay(20 * MS)
        .with_max_delay(50 * MS)
        .with_timeout(Duration::from_secs(20))
}

#[tokio::test]
async fn a_pipeline_runs_to_its_results() -> Result {
    let stand_in = StandIn::start().await?;
    stand_in.set_default_job_schedule(quick());
    let client = stand_in.client();
    let run = client.run_pipeline(config("fit", &["data", "fit"])).await?;
    assert_eq!(run.pipeline.status, PipelineStatus::Completed);
    assert!(run.pipeline.is_terminal && !run.pipeline.is_failed);
    let names: Vec<&str> = run.elements.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["data", "fit"]);
    let mut results: Vec<&String> = run.result.element_results.keys().collect();
    results.sort();
    assert_eq!(results, ["data", "fit"]);
    Ok(())
}

#[tokio::test]
async fn a_failed_pipeline_names_its_element_code_and_message() -> Result {
    let stand_in = StandIn::start().await?;
    stand_in.push_job_schedule(quick().failing(JobErrorCode::SolverError, "the solver diverged"));
    let client = stand_in.client();
    let err = client
        .run_pipeline(config("fit", &["data", "fit"]))
        .await
        .unwrap_err();
    let WaitError::Failed(pipeline) = &err else {
        panic!("expected a failed pipeline: {err}");
    };
    assert_eq!(pipeline.status, PipelineStatus::Failed);
    assert_eq!(
        err.to_string(),
        format!(
            "pipeline {} ended unsuccessfully with status failed: SOLVER_ERROR: element fit: the solver diverged",
            pipeline.id
        )
    );
    Ok(())
}

#[tokio::test]
async fn a_cancelled_pipeline_ends_the_wait_as_failed_unless_accepted() -> Result {
    let stand_in = StandIn::start().await?;
    stand_in.push_job_schedule(Schedule::manual());
    let client = stand_in.client();
    let created = client
        .create_pipeline()
        .body(config("long", &["fit"]))
        .send()
        .await?
        .into_inner();
    let cancelled = client
        .cancel_pipeline()
        .pipeline_id(&created.id)
        .send()
        .await?;
    assert_eq!(cancelled.status, PipelineStatus::Canceled);
    let err = client.wait_for_pipeline(&created.id).await.unwrap_err();
    assert!(err.to_string().contains("status canceled"), "{err}");
    let accepted = client
        .wait_for_pipeline(&created.id)
        .accept_failed(true)
        .await?;
    assert!(accepted.is_terminal && accepted.is_failed);
    Ok(())
}

#[tokio::test]
async fn a_simple_pipeline_is_followed_to_its_result() -> Result {
    let stand_in = StandIn::start().await?;
    stand_in
        .push_job_schedule(quick().with_result(Map::from_iter([("rmse".into(), json!(0.012))])));
    let client = stand_in.client();
    let created = client
        .create_simple_pipeline()
        .body(
            SimplePipelineCreateRequest::builder()
                .project_id("p1")
                .config(Map::new()),
        )
        .send()
        .await?
        .into_inner();
    let mut statuses = Vec::new();
    let done = client
        .wait_for_simple_pipeline(&created.id)
        .policy(fast(WaitPolicy::default()))
        .observe(|u| statuses.push(u.status.clone()))
        .await?;
    assert!(done.is_terminal && !done.is_failed);
    assert_eq!(
        done.result.as_ref().and_then(|r| r.get("rmse")),
        Some(&json!(0.012))
    );
    assert_eq!(statuses.last().map(String::as_str), Some("completed"));
    Ok(())
}

async fn template(client: &ionworks::Client) -> Result<String> {
    let parsed = client
        .parse_protocol_to_template()
        .body(
            ParseToTemplateRequest::builder()
                .project_id("p1")
                .protocol_experiment(
                    ProtocolExperimentConfig::builder()
                        .name("1C discharge")
                        .protocol("- Discharge at 1C until 2.5 V"),
                ),
        )
        .send()
        .await?;
    Ok(parsed.into_inner().template_id)
}

fn batch(template: &str, conditions: usize) -> SimulationBatchWithTemplateRequest {
    SimulationBatchWithTemplateRequest::builder()
        .experiment_template_id(template)
        .parameterized_model(json!({"capacity": 5.0, "chemistry": "NMC"}))
        .conditions(
            serde_json::from_value::<Vec<_>>(json!(
                (0..conditions)
                    .map(|i| json!({"experiment_parameters": {"Temperature [°C]": 25 + 10 * i}}))
                    .collect::<Vec<_>>()
            ))
            .expect("conditions"),
        )
        .try_into()
        .expect("a valid batch")
}

#[tokio::test]
async fn a_simulation_batch_is_followed_through_the_status_operation() -> Result {
    let stand_in = StandIn::start().await?;
    stand_in.set_default_job_schedule(quick());
    let client = stand_in.client();
    let template = template(&client).await?;
    stand_in.clear_requests();
    let runs = client.run_simulations(batch(&template, 3)).await?;
    assert_eq!(runs.len(), 3);
    for run in &runs {
        let metrics = run.simulation.metrics.as_ref().expect("metrics");
        assert!(
            metrics.contains_key("discharge_capacity [A.h]"),
            "{metrics:?}"
        );
        assert!(run.simulation.storage_folder.is_some());
    }
    let requests = stand_in.requests();
    let polls = requests
        .iter()
        .filter(|r| r.path == "/simulations/statuses")
        .count();
    let reads = requests
        .iter()
        .filter(|r| r.method == "GET" && r.path.starts_with("/simulations/"))
        .count();
    assert!(polls >= 1, "{requests:?}");
    assert_eq!(
        reads, 3,
        "one read per simulation, after the wait: {requests:?}"
    );
    Ok(())
}

#[tokio::test]
async fn a_failed_simulation_names_itself_with_code_and_message() -> Result {
    let stand_in = StandIn::start().await?;
    stand_in.set_default_job_schedule(quick());
    stand_in.push_job_schedule(quick());
    stand_in.push_job_schedule(quick().failing(JobErrorCode::ModelError, "negative concentration"));
    let client = stand_in.client();
    let template = template(&client).await?;
    let err = client
        .run_simulations(batch(&template, 3))
        .await
        .unwrap_err();
    let WaitError::Failed(batch) = &err else {
        panic!("expected a failed batch: {err}");
    };
    let failed: Vec<&str> = batch.failed().map(|s| s.simulation_id.as_str()).collect();
    assert_eq!(failed, [batch.ids()[1].as_str()]);
    assert_eq!(
        err.to_string(),
        format!(
            "simulation batch {} ended unsuccessfully with status 2 completed, 1 failed of 3: MODEL_ERROR: negative concentration",
            batch.ids()[1]
        )
    );
    Ok(())
}

#[tokio::test]
async fn a_batch_that_cannot_start_is_a_start_error() -> Result {
    let stand_in = StandIn::start().await?;
    stand_in.inject(Fault::Status(400), 1);
    let client = stand_in.client();
    let err = client.run_simulations(batch("t", 1)).await.unwrap_err();
    assert!(matches!(err, WaitError::Start(_)), "{err}");
    assert!(
        err.to_string()
            .starts_with("starting the simulation batch failed"),
        "{err}"
    );
    Ok(())
}

#[tokio::test]
async fn an_ecm_fit_is_a_job() -> Result {
    let stand_in = StandIn::start().await?;
    stand_in.push_job_schedule(quick().with_result(Map::from_iter([("r0".into(), json!(0.015))])));
    let client = stand_in.client();
    let request: FitFromMeasurementsRequest = FitFromMeasurementsRequest::builder()
        .measurements(serde_json::from_value::<Vec<_>>(
            json!([{"id": "m-1", "capacity": 5.0}]),
        )?)
        .try_into()?;
    let job = client.run_ecm_fit(request).await?;
    assert_eq!(
        job.result.as_ref().and_then(|r| r.get("r0")),
        Some(&json!(0.015))
    );
    Ok(())
}

#[tokio::test]
async fn many_kinds_of_work_at_once_share_one_budget_through_faults() -> Result {
    let stand_in = StandIn::start().await?;
    stand_in.set_default_job_schedule(Schedule::succeeds_after(50 * MS, 150 * MS));
    let client = stand_in.client();
    let template = template(&client).await?;
    let pipeline = client
        .create_pipeline()
        .body(config("fit", &["fit"]))
        .send()
        .await?
        .into_inner();
    let simulations: Vec<String> = client
        .create_simulation_batch()
        .body(batch(&template, 4))
        .send()
        .await?
        .into_inner()
        .into_iter()
        .map(|s| s.simulation_id)
        .collect();
    let job = stand_in.add_job(Schedule::succeeds_after(50 * MS, 150 * MS));
    // Two polls fail with a 503 and are retried.
    stand_in.inject(Fault::Status(503), 2);
    stand_in.clear_requests();
    let budget = RequestBudget::per_second(40.0);
    let policy = fast(WaitPolicy::default());
    let (p, s, j) = tokio::join!(
        client
            .wait_for_pipeline(&pipeline.id)
            .policy(policy.clone())
            .budget(budget.clone())
            .into_future(),
        client
            .wait_for_simulations(simulations.clone())
            .policy(policy.clone())
            .budget(budget.clone())
            .into_future(),
        client
            .wait_until_terminal(&job)
            .policy(policy)
            .budget(budget)
            .into_future(),
    );
    assert!(p?.is_terminal);
    assert_eq!(s?.completed(), 4);
    assert!(j?.is_terminal);
    let requests = stand_in.requests();
    let faults = requests.iter().filter(|r| r.fault.is_some()).count();
    assert_eq!(faults, 2);
    let simulation_reads = requests
        .iter()
        .filter(|r| r.path.starts_with("/simulations/") && r.path != "/simulations/statuses")
        .count();
    assert_eq!(
        simulation_reads, 0,
        "four simulations, one status request per poll"
    );
    Ok(())
}

use std::future::IntoFuture;

#[tokio::test]
async fn a_configuration_missing_a_required_field_is_refused_before_sending() -> Result {
    let stand_in = StandIn::start().await?;
    let client = stand_in.client();
    let config = PipelineConfig::builder().elements(Map::new());
    let err = client.run_pipeline(config).await.unwrap_err();
    assert!(matches!(err, WaitError::Start(_)), "{err}");
    assert!(
        err.to_string().contains("create_pipeline") && err.to_string().contains("project_id"),
        "{err}"
    );
    assert!(stand_in.requests().is_empty());
    Ok(())
}
