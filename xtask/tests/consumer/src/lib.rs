//! A caller's crate written against the vendored spec, using every construct
//! the generated API allows: request builders and `send()`, body builders,
//! response builders (as a test fixture would, with the
//! `response-builders` feature), field reads with their
//! types, matches on enums with the wildcard `#[non_exhaustive]` requires,
//! method calls on values. `xtask/tests/verdicts.rs` compiles it against
//! changed specs: the change report must call a change breaking exactly when
//! this stops compiling (or a documented behaviour changes).

use ionworks::Client;
use ionworks::types::{
    DomainStatus, JobErrorCode, JobResponse, JobStatus, JobType, OptimizationResource,
    SubmitJobRequest,
};

/// Every operation, with every parameter.
pub async fn calls(client: &Client) -> ionworks::Result<()> {
    let body = SubmitJobRequest::builder()
        .job_type(JobType::Simulate)
        .params(serde_json::Map::new())
        .priority(5)
        .callback_url(Some("https://example.com/hook".to_string()))
        .parent_job_id(None::<String>)
        .metadata(None);
    let submitted = client
        .submit_job()
        .project_id("project-1")
        .body(body)
        .send()
        .await?;
    let accepted: bool = submitted.status().as_u16() == 202;
    let job: JobResponse = submitted.into_inner();
    read_job(&job);
    let job = client.get_job().job_id(&job.job_id).send().await?;
    read_job(&job);
    let job = client.cancel_job().job_id(&job.job_id).send().await?;
    read_job(&job);
    let o: OptimizationResource = client
        .get_optimization_resource()
        .id("opt-1")
        .send()
        .await?
        .into_inner();
    read_optimization(&o);
    let o = client.resubmit_optimization().id(&o.id).send().await?;
    read_optimization(&o);
    let _ = accepted;
    Ok(())
}

/// Every field of a job, with its type, and matches on its enums.
pub fn read_job(job: &JobResponse) -> String {
    let id: &String = &job.job_id;
    let status: &JobStatus = &job.status;
    let job_type: &JobType = &job.job_type;
    let priority: i64 = job.priority;
    let terminal: bool = job.is_terminal;
    let failed: bool = job.is_failed;
    let created: chrono::DateTime<chrono::Utc> = job.created_at;
    let started: Option<chrono::DateTime<chrono::Utc>> = job.started_at;
    let error: Option<&String> = job.error.as_ref();
    let code: Option<&JobErrorCode> = job.error_code.as_ref();
    let result: Option<&serde_json::Map<String, serde_json::Value>> = job.result.as_ref();
    let user: &String = &job.user_id;
    let phase = match status {
        JobStatus::Pending | JobStatus::Waiting => "queued",
        JobStatus::Processing => "running",
        JobStatus::Completed => "done",
        JobStatus::Failed | JobStatus::Canceled => "stopped",
        JobStatus::Unknown(other) => other.as_str(),
        _ => "newer",
    };
    let kind = match job_type {
        JobType::Simulate => "simulate",
        JobType::Dummy => "dummy",
        other => other.as_str(),
    };
    let code = match code {
        Some(JobErrorCode::SolverError) => "solver",
        Some(other) => other.as_str(),
        None => "-",
    };
    format!(
        "{id} {phase} {kind} {priority} {terminal} {failed} {created} {started:?} {error:?} {code} \
         {} {user} {}",
        result.is_some(),
        status.is_unknown()
    )
}

/// Every field of an optimization a caller reads.
pub fn read_optimization(o: &OptimizationResource) -> String {
    let state = match &o.status {
        Some(DomainStatus::Queued | DomainStatus::Running) => "running",
        Some(DomainStatus::Succeeded) => "done",
        Some(DomainStatus::Failed | DomainStatus::Canceled) => "stopped",
        Some(DomainStatus::Unknown(other)) => other.as_str(),
        Some(_) => "newer",
        None => "none",
    };
    let runs: i64 = o.run_count;
    format!("{} {} {state} {runs} {:?}", o.id, o.project_id, o.metrics)
}

/// A fixture, as a caller's test builds one.
pub fn fixture() -> Result<JobResponse, String> {
    JobResponse::builder()
        .job_id("job-1")
        .job_type(JobType::Dummy)
        .status(JobStatus::Completed)
        .priority(0)
        .created_at(chrono::Utc::now())
        .updated_at(chrono::Utc::now())
        .user_id("user-1")
        .organization_id("org-1")
        .is_terminal(true)
        .is_failed(false)
        .try_into()
        .map_err(|e: ionworks::types::error::ConversionError| e.to_string())
}
