//! The generated client through its public API: clean operation names, open
//! enums, lenient responses and strict requests.
// `POST /jobs` (submit_job) is deprecated: the live server answers 410.
// These tests exercise it as an older server (and the stand-in's switch) take it.
#![allow(deprecated)]

mod common;

use ionworks::types::{
    DomainStatus, JobErrorCode, JobResponse, JobStatus, JobType, OptimizationResource,
    SubmitJobRequest,
};
use serde_json::json;

/// The example body of the "Get Optimization Resource" reference page.
const OPTIMIZATION_EXAMPLE: &str = r#"{
  "id": "<string>", "project_id": "<string>", "organization_id": "<string>",
  "name": "<string>", "description": "<string>", "kind": "<string>",
  "created_at": "2023-11-07T05:31:56Z", "created_by_email": "<string>",
  "cell_spec_id": "<string>", "parameterized_model_id": "<string>",
  "parameterized_model_name": "<string>", "cell_name": "<string>",
  "optimization_template_id": "<string>", "metrics": {}, "objectives": {},
  "error": "<string>", "error_code": "<string>", "run_count": 0
}"#;

#[test]
fn seed_optimization_example_decodes() {
    let o: OptimizationResource = serde_json::from_str(OPTIMIZATION_EXAMPLE).unwrap();
    assert_eq!(o.id, "<string>");
    assert_eq!(o.run_count, 0);
    assert_eq!(
        o.created_at.unwrap().to_rfc3339(),
        "2023-11-07T05:31:56+00:00"
    );
    assert!(o.status.is_none());
    assert_eq!(o.metrics.unwrap().len(), 0);
}

#[test]
fn optimization_defaults_apply_when_fields_are_missing() {
    let o: OptimizationResource =
        serde_json::from_value(json!({"id": "o1", "project_id": "p", "organization_id": "g"}))
            .unwrap();
    assert_eq!(o.run_count, 0);
    assert!(o.name.is_none() && o.error.is_none());
    let missing = serde_json::from_value::<OptimizationResource>(json!({"id": "o1"}));
    let err = missing.unwrap_err().to_string();
    assert!(err.starts_with("missing field"), "{err}");
}

#[test]
fn job_response_decodes_with_known_values() {
    let job: JobResponse = serde_json::from_value(common::job_json("j1", "completed")).unwrap();
    assert_eq!(job.status, JobStatus::Completed);
    assert_eq!(job.job_type, JobType::Simulate);
    assert!(job.is_terminal && !job.is_failed);
    // Known values are ordinary variants.
    let label = match job.status {
        JobStatus::Pending | JobStatus::Processing | JobStatus::Waiting => "running",
        JobStatus::Completed => "done",
        JobStatus::Failed | JobStatus::Canceled => "stopped",
        JobStatus::Unknown(_) => "unknown",
        // Required: the enum is `#[non_exhaustive]`, so the server can add values.
        _ => "newer",
    };
    assert_eq!(label, "done");
    assert_eq!(
        job.access_level.unwrap().as_str(),
        "organization",
        "schema default applies"
    );
}

/// What a newer server could send: new enum values, new fields, a timestamp
/// without offset and values that violate documented constraints.
fn newer_server_body() -> serde_json::Value {
    let mut body = common::job_json("j2", "archived");
    body["job_type"] = json!("thermal_fit");
    body["error_code"] = json!("QUOTA_EXCEEDED");
    body["access_level"] = json!("team");
    body["created_at"] = json!("2025-01-02T03:04:05");
    body["completed_at"] = json!("2025-01-02 03:04:05.5");
    body["callback_url"] = json!(format!("https://example.com/{}", "x".repeat(3000)));
    body["brand_new_field"] = json!({"nested": [1, 2, 3]});
    body
}

#[test]
fn newer_server_body_decodes() {
    let job: JobResponse = serde_json::from_value(newer_server_body()).unwrap();
    assert_eq!(job.status, JobStatus::Unknown("archived".into()));
    assert!(job.status.is_unknown());
    assert_eq!(job.job_type.as_str(), "thermal_fit");
    assert_eq!(
        job.error_code,
        Some(JobErrorCode::Unknown("QUOTA_EXCEEDED".into()))
    );
    assert_eq!(
        job.created_at.to_rfc3339(),
        "2025-01-02T03:04:05+00:00",
        "read as UTC"
    );
    assert_eq!(
        job.completed_at.unwrap().to_rfc3339(),
        "2025-01-02T03:04:05.500+00:00"
    );
    assert_eq!(job.callback_url.unwrap().len(), 3020);
}

#[test]
fn unknown_enum_values_round_trip() {
    let job: JobResponse = serde_json::from_value(newer_server_body()).unwrap();
    let back = serde_json::to_value(&job).unwrap();
    assert_eq!(back["status"], "archived");
    assert_eq!(back["job_type"], "thermal_fit");
    assert_eq!(back["error_code"], "QUOTA_EXCEEDED");
    assert_eq!(back["access_level"], "team");
    for status in ["pending", "waiting", "canceled", "some_new_status"] {
        let s: JobStatus = serde_json::from_value(json!(status)).unwrap();
        assert_eq!(serde_json::to_value(&s).unwrap(), status);
        assert_eq!(s.to_string(), status);
        assert_eq!(status.parse::<JobStatus>().unwrap(), s);
    }
    assert_eq!(DomainStatus::from("succeeded"), DomainStatus::Succeeded);
}

#[test]
fn garbage_timestamp_is_a_clear_error() {
    let mut body = common::job_json("j3", "pending");
    body["created_at"] = json!("yesterday");
    let err = serde_json::from_value::<JobResponse>(body)
        .unwrap_err()
        .to_string();
    assert!(err.contains("invalid date-time \"yesterday\""), "{err}");
}

#[test]
fn wrong_json_type_in_response_is_an_error() {
    let mut body = common::job_json("j4", "pending");
    body["is_terminal"] = json!("no");
    assert!(serde_json::from_value::<JobResponse>(body).is_err());
}

#[tokio::test]
async fn five_operations_have_clean_names_and_paths() {
    let job = common::job_json("job 1/ü?#%", "pending").to_string();
    let opt = json!({"id": "o/1", "project_id": "p", "organization_id": "g", "status": "failed"})
        .to_string();
    let server = common::serve(vec![
        (202, job.clone()),
        (200, job.clone()),
        (200, job),
        (200, opt.clone()),
        (202, opt),
    ])
    .await;
    let client = common::client(&server.url);
    let body = SubmitJobRequest::builder()
        .job_type(JobType::Simulate)
        .params(serde_json::Map::new());
    let submitted = client
        .submit_job()
        .project_id("proj-1")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(submitted.status(), 202);
    let id = submitted.into_inner().job_id;
    client.get_job().job_id(&id).send().await.unwrap();
    client.cancel_job().job_id(&id).send().await.unwrap();
    let o = client
        .get_optimization_resource()
        .id("o/1")
        .send()
        .await
        .unwrap();
    assert_eq!(o.status, Some(DomainStatus::Failed));
    client
        .resubmit_optimization()
        .id("o/1")
        .send()
        .await
        .unwrap();

    let seen = server.seen.lock().unwrap().clone();
    let lines: Vec<String> = seen
        .iter()
        .map(|s| format!("{} {}", s.method, s.target))
        .collect();
    assert_eq!(
        lines,
        [
            "POST /jobs?project_id=proj-1",
            "GET /jobs/job%201%2F%C3%BC%3F%23%25",
            "POST /jobs/job%201%2F%C3%BC%3F%23%25/cancel",
            "GET /optimizations/o%2F1",
            "POST /optimizations/o%2F1/resubmit",
        ]
    );
    assert_eq!(
        seen[0].json(),
        json!({"job_type": "simulate", "params": {}, "priority": 0})
    );
}

#[tokio::test]
async fn out_of_range_request_is_rejected_before_sending() {
    let server = common::serve(vec![(202, common::job_json("j", "pending").to_string())]).await;
    let client = common::client(&server.url);
    for (builder, expected) in [
        (
            SubmitJobRequest::builder()
                .job_type(JobType::Dummy)
                .params(serde_json::Map::new())
                .priority(11),
            "SubmitJobRequest.priority must be at most 10, got 11",
        ),
        (
            SubmitJobRequest::builder()
                .job_type(JobType::Dummy)
                .params(serde_json::Map::new())
                .priority(-1),
            "SubmitJobRequest.priority must be at least 0, got -1",
        ),
        (
            SubmitJobRequest::builder()
                .job_type(JobType::Dummy)
                .params(serde_json::Map::new())
                .callback_url(Some(String::new())),
            "SubmitJobRequest.callback_url must be at least 1 characters long, got 0",
        ),
        (
            SubmitJobRequest::builder()
                .job_type(JobType::Dummy)
                .params(serde_json::Map::new())
                .callback_url(Some("h".repeat(2084))),
            "SubmitJobRequest.callback_url must be at most 2083 characters long, got 2084",
        ),
    ] {
        let err = client.submit_job().body(builder).send().await.unwrap_err();
        assert_eq!(err.kind(), ionworks::ErrorKind::InvalidRequest, "{err:?}");
        assert_eq!(err.operation(), Some("submit_job"));
        let message = err.message().unwrap();
        assert!(message.contains(expected), "{message}");
        assert!(
            err.to_string()
                .starts_with("invalid request to submit_job: "),
            "{err}"
        );
    }
    // A value made without the builder (here decoded, which never checks
    // bounds) goes through the same check.
    let by_hand: SubmitJobRequest = serde_json::from_value(json!({
        "job_type": "custom", "params": {}, "priority": 42,
    }))
    .unwrap();
    let err = client.submit_job().body(by_hand).send().await.unwrap_err();
    assert!(
        err.to_string()
            .contains("priority must be at most 10, got 42"),
        "{err}"
    );
    // A missing required field is named too.
    let err = client
        .submit_job()
        .body(SubmitJobRequest::builder().params(serde_json::Map::new()))
        .send()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("job_type"), "{err}");
    assert!(
        server.seen.lock().unwrap().is_empty(),
        "nothing reached the server"
    );

    // The boundaries themselves are valid.
    for p in [0, 10] {
        let ok = SubmitJobRequest::builder()
            .job_type(JobType::Dummy)
            .params(serde_json::Map::new())
            .priority(p);
        client.submit_job().body(ok).send().await.unwrap();
    }
    assert_eq!(server.seen.lock().unwrap().len(), 2);
}
