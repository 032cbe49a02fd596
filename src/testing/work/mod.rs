//! Work as the live server runs it: pipelines, simple pipelines, simulation
//! batches and ECM fits, each carried by a job that follows the next
//! [`Schedule`](super::Schedule) (see [`StandIn::push_job_schedule`]), and
//! the job itself (`new_job`), as a submission or the web app creates it.
//!
//! Pipelines and simple pipelines are stored by the generic resource store;
//! this module starts a job when one is created and, on every answer that
//! shows one, derives `status`, `is_terminal`, `is_failed`, `error` and
//! `error_code` from that job. Simulations are created by
//! `POST /simulations/with-template/batch` (one per condition or parameter
//! set), answered by `POST /simulations/statuses` from their jobs, and get
//! `metrics` and a `storage_folder` when their job completes.
//!
//! [`StandIn::push_job_schedule`]: super::StandIn::push_job_schedule

use std::time::Instant;

use chrono::Utc;
use serde_json::{Map, Value, json};

use super::Schedule;
use super::State;
use super::ids::{ORGANIZATION_ID, USER_ID};
use super::resources::Answer;
use super::schedule::Tracked;
use crate::types::{JobAccessLevelEnum, JobResponse, JobStatus, JobType, SubmitJobRequest};

mod uploads;

pub(super) use uploads::download;
use uploads::*;

/// The kinds of resource a job carries, by collection.
const RUN_COLLECTIONS: [&str; 4] = [
    "pipelines",
    "simple_pipelines",
    "simulations",
    "cell_measurements",
];

/// The files of a measurement upload, and of a result download.
const FILES: [&str; 2] = ["time_series.parquet", "steps.parquet"];

/// Starts a job of `job_type` on the next schedule; returns its id.
fn start(state: &mut State, job_type: JobType, project_id: Option<String>) -> String {
    let schedule = match state.next_job_schedules.pop_front() {
        Some(schedule) => schedule,
        None => state.default_job_schedule.clone(),
    };
    let request = SubmitJobRequest {
        callback_url: None,
        job_type,
        metadata: None,
        params: Map::new(),
        parent_job_id: None,
        priority: 0,
    };
    new_job(state, request, project_id, schedule).job_id
}

/// The job `job_id`, moved on to now.
fn job(state: &mut State, job_id: &str) -> Option<JobResponse> {
    let tracked = state.jobs.get_mut(job_id)?;
    tracked.advance(Instant::now());
    Some(tracked.resource.clone())
}

fn path_parts(path: &str) -> Vec<&str> {
    path.trim_matches('/').split('/').collect()
}

/// Answers the operations that start or read work, before the generic
/// store sees them; `None` for anything else.
pub(super) fn intercept(
    state: &mut State,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> Option<Answer> {
    match (method, path_parts(path).as_slice()) {
        ("POST", ["simulations", "with-template", "batch"]) => Some(simulation_batch(state, body)),
        ("POST", ["simulations", "statuses"]) => Some(simulation_statuses(state, body)),
        ("POST", ["protocols", "parse-to-template"]) => {
            let id = state.next_id("template");
            Some((200, Some(json!({ "template_id": id }))))
        }
        ("POST", ["ecm", "fit-from-measurements"]) => {
            let job_id = start(state, JobType::EcmFit, None);
            let status = job(state, &job_id).map(|j| j.status.to_string());
            Some((200, Some(json!({ "job_id": job_id, "status": status }))))
        }
        ("POST", [kind @ ("pipelines" | "simple_pipelines"), id, "cancel"]) => {
            let job_id = state.runs.get(*id)?.clone();
            if let Some(tracked) = state.jobs.get_mut(&job_id) {
                tracked.advance(Instant::now());
                if !tracked.resource.is_terminal {
                    super::set_job_status(
                        &mut tracked.resource,
                        JobStatus::Canceled,
                        chrono::Utc::now(),
                    );
                    tracked.hold();
                }
            }
            let _ = kind;
            None
        }
        (
            "POST",
            [
                "cell_instances",
                instance,
                "cell_measurements",
                "initiate-upload",
            ],
        ) => Some(initiate_upload(state, instance, body)),
        ("POST", ["cell_measurements", id, "confirm-upload"]) => {
            Some(confirm_upload(state, id, body))
        }
        ("POST", ["cell_measurements", id, "initiate-extend"]) => Some(initiate_extend(state, id)),
        ("POST", ["cell_measurements", id, "confirm-extend"]) => Some(confirm_extend(state, id)),
        ("POST", ["raw_data", "initiate-upload"]) => Some(initiate_raw_data(state, body)),
        ("POST", ["raw_data", id, "confirm-upload"]) => Some(confirm_raw_data(state, id, body)),
        ("GET", ["cell_measurements", id, "files"]) => Some(measurement_files(state, id)),
        ("GET", ["pipelines", id, "elements"]) => Some(pipeline_elements(state, id)),
        ("GET", ["pipelines", id, "result"]) => Some(pipeline_result(state, id)),
        _ => None,
    }
}

/// After the generic store answered `method path`: a created pipeline gets
/// its job, and every pipeline or simulation in the answer shows its job's
/// state.
pub(super) fn overlay(state: &mut State, method: &str, path: &str, answer: &mut Answer) {
    let (status, Some(body)) = answer else {
        return;
    };
    if !(200..300).contains(status) {
        return;
    }
    if method == "POST"
        && let [kind @ ("pipelines" | "simple_pipelines")] = path_parts(path).as_slice()
        && let Some(id) = body.get("id").and_then(Value::as_str).map(str::to_owned)
    {
        let job_type = if *kind == "pipelines" {
            JobType::Datafit
        } else {
            JobType::SimplePipeline
        };
        let project = body
            .get("project_id")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let job_id = start(state, job_type, project);
        state.runs.insert(id, job_id);
    }
    let collection = path_parts(path).first().copied().unwrap_or_default();
    if !RUN_COLLECTIONS.contains(&collection) {
        return;
    }
    match body {
        Value::Object(map) => {
            for key in ["items", "pipelines", "simulations"] {
                if let Some(Value::Array(items)) = map.get_mut(key) {
                    for item in items {
                        show_job(state, collection, item);
                    }
                    return;
                }
            }
            show_job(state, collection, body);
        }
        Value::Array(items) => {
            for item in items {
                show_job(state, collection, item);
            }
        }
        _ => {}
    }
}

/// Writes the state of the job behind `resource` into it.
fn show_job(state: &mut State, collection: &str, resource: &mut Value) {
    let Some(id) = resource.get("id").and_then(Value::as_str) else {
        return;
    };
    let Some(job_id) = state.runs.get(id).cloned() else {
        return;
    };
    let Some(job) = job(state, &job_id) else {
        return;
    };
    let Some(fields) = resource.as_object_mut() else {
        return;
    };
    if collection == "cell_measurements" {
        let status = match job.status {
            JobStatus::Completed => "ready",
            JobStatus::Failed | JobStatus::Canceled => "failed",
            JobStatus::Pending => "pending",
            _ => "running",
        };
        fields.insert("processing_status".into(), json!(status));
        fields.insert("processing_error".into(), json!(job.error));
        return;
    }
    if collection == "simulations" {
        fields.insert("job_id".into(), json!(job_id));
        if job.status == JobStatus::Completed {
            let id = fields.get("id").cloned().unwrap_or_default();
            fields.insert(
                "storage_folder".into(),
                json!(format!("simulations/{}", id.as_str().unwrap_or_default())),
            );
            fields.insert("metrics".into(), metrics(&job));
        }
        return;
    }
    let status = match job.status {
        JobStatus::Completed => "completed",
        JobStatus::Failed => "failed",
        JobStatus::Canceled => "canceled",
        JobStatus::Pending => "pending",
        _ => "running",
    };
    fields.insert("status".into(), json!(status));
    fields.insert("is_terminal".into(), json!(job.is_terminal));
    fields.insert("is_failed".into(), json!(job.is_failed));
    fields.insert("error".into(), json!(job.error));
    fields.insert("error_code".into(), json!(job.error_code));
    if collection == "simple_pipelines" {
        fields.insert("job_id".into(), json!(job_id));
        if job.status == JobStatus::Completed {
            fields.insert("result".into(), json!(job.result));
        }
    }
}

/// A completed simulation's metrics: the job's result, or a sample.
fn metrics(job: &JobResponse) -> Value {
    match &job.result {
        Some(result) if !result.is_empty() && !result.contains_key("message") => {
            Value::Object(result.clone())
        }
        _ => json!({"discharge_capacity [A.h]": 4.8, "end_voltage [V]": 2.5}),
    }
}

/// `POST /simulations/with-template/batch`: one simulation per condition
/// (or experiment parameter set), each with its job.
fn simulation_batch(state: &mut State, body: Option<&Value>) -> Answer {
    let body = body.cloned().unwrap_or_default();
    let missing: Vec<Value> = ["parameterized_model", "experiment_template_id"]
        .iter()
        .filter(|k| body.get(**k).is_none())
        .map(|k| json!({"type": "missing", "loc": ["body", k], "msg": "Field required", "input": body}))
        .collect();
    if !missing.is_empty() {
        return (422, Some(json!({ "detail": missing })));
    }
    let count = ["conditions", "experiment_parameter_sets"]
        .iter()
        .find_map(|k| body.get(*k).and_then(Value::as_array).map(Vec::len))
        .filter(|n| *n > 0)
        .unwrap_or(1);
    let project = body
        .get("project_id")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let mut started = Vec::new();
    for _ in 0..count {
        let mut fields = Map::new();
        for key in ["experiment_template_id", "study_id", "project_id"] {
            if let Some(v) = body.get(key) {
                fields.insert(key.into(), v.clone());
            }
        }
        let id = state.resources.put("simulations", fields);
        let job_id = start(state, JobType::Simulate, project.clone());
        state.runs.insert(id.clone(), job_id.clone());
        started.push(json!({"simulation_id": id, "job_id": job_id, "already_existed": false}));
    }
    (200, Some(Value::Array(started)))
}

/// `POST /simulations/statuses`: the job status of each simulation asked
/// for that exists, paged by `limit` and `offset`.
fn simulation_statuses(state: &mut State, body: Option<&Value>) -> Answer {
    let body = body.cloned().unwrap_or_default();
    let ids: Vec<String> = body
        .get("simulation_ids")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    let number = |k: &str, default: u64| body.get(k).and_then(Value::as_u64).unwrap_or(default);
    let (limit, offset) = (number("limit", 100), number("offset", 0));
    let mut out = Vec::new();
    for id in ids.iter().skip(offset as usize).take(limit as usize) {
        let Some(job_id) = state.runs.get(id).cloned() else {
            continue;
        };
        if let Some(job) = job(state, &job_id) {
            out.push(json!({
                "simulation_id": id,
                "status": job.status,
                "error": job.error,
                "error_code": job.error_code,
                "updated_at": job.updated_at,
            }));
        }
    }
    (200, Some(Value::Array(out)))
}

fn not_found(what: &str, id: &str) -> Answer {
    (
        404,
        Some(json!({ "detail": format!("{what} {id} not found") })),
    )
}

/// The elements of a pipeline's configuration, in order.
fn element_names(state: &State, id: &str) -> Option<Vec<String>> {
    let fields = state.resources.fields("pipelines", id)?;
    let names = fields
        .get("elements")
        .and_then(Value::as_object)
        .map(|e| e.keys().cloned().collect())
        .unwrap_or_default();
    Some(names)
}

/// `GET /pipelines/{id}/elements`: the elements follow the pipeline's job;
/// when it failed, the last element carries its error.
fn pipeline_elements(state: &mut State, id: &str) -> Answer {
    let Some(names) = element_names(state, id) else {
        return not_found("Pipeline", id);
    };
    let Some(job) = state.runs.get(id).cloned().and_then(|j| job(state, &j)) else {
        return (200, Some(json!([])));
    };
    let last = names.len().saturating_sub(1);
    let elements: Vec<Value> = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let (status, error, code) = match job.status {
                JobStatus::Completed => ("completed", None, None),
                JobStatus::Failed if i == last => {
                    ("failed", job.error.clone(), job.error_code.clone())
                }
                JobStatus::Failed => ("completed", None, None),
                JobStatus::Canceled => ("canceled", None, None),
                JobStatus::Pending => ("pending", None, None),
                _ if i == 0 => ("running", None, None),
                _ => ("pending", None, None),
            };
            json!({
                "id": format!("{id}-element-{i}"),
                "pipeline_id": id,
                "name": name,
                "element_order": i,
                "element_type": "entry",
                "job_config": {},
                "job_id": job.job_id,
                "status": status,
                "error": error,
                "error_code": code,
                "created_at": job.created_at,
                "updated_at": job.updated_at,
                "organization_id": job.organization_id,
            })
        })
        .collect();
    (200, Some(Value::Array(elements)))
}

/// `GET /pipelines/{id}/result`: the result of a completed pipeline, per
/// element; 404 before then, as the server has none yet.
fn pipeline_result(state: &mut State, id: &str) -> Answer {
    let Some(names) = element_names(state, id) else {
        return not_found("Pipeline", id);
    };
    let job = state.runs.get(id).cloned().and_then(|j| job(state, &j));
    match job {
        Some(job) if job.status == JobStatus::Completed => {
            let result = Value::Object(job.result.clone().unwrap_or_default());
            let elements: Map<String, Value> = names
                .into_iter()
                .map(|name| (name, result.clone()))
                .collect();
            (
                200,
                Some(json!({"result": result, "element_results": elements})),
            )
        }
        _ => not_found("Result of pipeline", id),
    }
}

/// Creates a `pending` job that follows `schedule`, as the server does for
/// a submission (or the web app for a job started there).
pub(super) fn new_job(
    state: &mut super::State,
    request: crate::types::SubmitJobRequest,
    project_id: Option<String>,
    schedule: Schedule,
) -> JobResponse {
    let job_id = state.next_id("job");
    let now = Utc::now();
    let job = JobResponse {
        access_level: Some(JobAccessLevelEnum::Organization),
        callback_url: request.callback_url,
        completed_at: None,
        compute_time: None,
        created_at: now,
        error: None,
        error_code: None,
        error_detail: None,
        is_failed: false,
        is_terminal: false,
        job_id: job_id.clone(),
        job_type: request.job_type,
        metadata_path: None,
        organization_id: ORGANIZATION_ID.into(),
        params_path: Some(format!("jobs/{job_id}/params.json")),
        parent_job_id: request.parent_job_id,
        priority: request.priority,
        project_id,
        result: None,
        started_at: None,
        status: JobStatus::Pending,
        updated_at: now,
        user_id: USER_ID.into(),
    };
    let mut tracked = Tracked::new(job, schedule);
    tracked.advance(Instant::now());
    let body = tracked.resource.clone();
    state.jobs.insert(job_id, tracked);
    body
}
