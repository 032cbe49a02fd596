//! The typed `httpmock` mocks (feature `mocks`), used the way a user's tests
//! use them: the code under test calls the real client, the mock decides
//! what it sees.
// `POST /jobs` (submit_job) is deprecated: the live server answers 410.
// These tests exercise it as an older server (and the stand-in's switch) take it.
#![allow(deprecated)]

use std::time::Duration;

use ionworks::mock::{self, MockServer, MockServerExt};
use ionworks::types::{
    DomainStatus, HttpValidationError, JobStatus, JobType, SubmitJobRequest, ValidationError,
    ValidationErrorLocItem,
};
use ionworks::{ApiError, ErrorKind, RetryPolicy};
use serde_json::json;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn request(priority: i64) -> SubmitJobRequest {
    SubmitJobRequest::builder()
        .job_type(JobType::Simulate)
        .params(serde_json::Map::from_iter([("c_rate".into(), json!(1.5))]))
        .priority(priority)
        .try_into()
        .expect("a valid request")
}

#[tokio::test]
async fn a_mock_matches_the_query_and_body_the_client_sends() -> TestResult {
    let server = MockServer::start_async().await;
    let submit = server.submit_job(|when, then| {
        when.project_id("project-7").body(&request(3));
        then.accepted(&mock::job("job-1", JobStatus::Pending));
    });
    let client = mock::client(&server)?;

    let job = client
        .submit_job()
        .project_id("project-7")
        .body(request(3))
        .send()
        .await?;
    assert_eq!(job.job_id, "job-1");
    assert_eq!(job.status, JobStatus::Pending);
    submit.assert_async().await;

    // A different body does not match: httpmock answers 404, which the
    // client reports with the status and httpmock's explanation.
    let err: ApiError = client
        .submit_job()
        .project_id("project-7")
        .body(request(4))
        .send()
        .await
        .expect_err("no mock matches priority 4");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
    assert_eq!(submit.calls_async().await, 1);

    // `project_id(None)` means the parameter must be absent.
    let without_project = server.submit_job(|when, then| {
        when.project_id(None);
        then.accepted(&mock::job("job-2", JobStatus::Pending));
    });
    let job = client.submit_job().body(request(3)).send().await?;
    assert_eq!(job.job_id, "job-2");
    without_project.assert_async().await;
    Ok(())
}

#[tokio::test]
async fn path_parameters_match_literally_as_the_client_encodes_them() -> TestResult {
    let server = MockServer::start_async().await;
    let client = mock::client(&server)?;
    // A space, a slash and a backslash are percent-encoded by the client,
    // `.` and `(` are regex syntax: the mock must match this id and nothing
    // else.
    let id = "run 1/a.b(2\\x";
    let exact = server.get_job(|when, then| {
        when.job_id(id);
        then.ok(&mock::job(id, JobStatus::Completed));
    });

    let job = client.get_job().job_id(id).send().await?;
    assert_eq!(job.job_id, id);
    assert!(job.is_terminal && !job.is_failed);
    exact.assert_async().await;

    let err: ApiError = client
        .get_job()
        .job_id("run 1/axb(2\\x")
        .send()
        .await
        .expect_err("`.` in the mocked id is not a wildcard");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
    assert_eq!(exact.calls_async().await, 1);
    Ok(())
}

#[tokio::test]
async fn a_documented_error_response_decodes_into_typed_validation_errors() -> TestResult {
    let server = MockServer::start_async().await;
    // Generated types are built with their builders (they are
    // `#[non_exhaustive]`, so that the server can add fields).
    let error: ValidationError = ValidationError::builder()
        .input(Some(json!("opt-?")))
        .loc(vec![
            ValidationErrorLocItem::String("path".into()),
            ValidationErrorLocItem::String("id".into()),
        ])
        .msg("String should match pattern")
        .type_("string_pattern_mismatch")
        .try_into()?;
    let detail: HttpValidationError = HttpValidationError::builder()
        .detail(vec![error])
        .try_into()?;
    server.resubmit_optimization(|when, then| {
        when.id("opt-?");
        then.unprocessable_entity(&detail);
    });

    let err: ApiError = mock::client(&server)?
        .resubmit_optimization()
        .id("opt-?")
        .send()
        .await
        .expect_err("the mock answers 422");
    assert_eq!(err.kind(), ErrorKind::Status);
    assert_eq!(err.status().map(|s| s.as_u16()), Some(422));
    assert_eq!(
        serde_json::to_value(err.validation_errors())?,
        serde_json::to_value(&detail.detail)?
    );
    // The documented body is there, typed.
    let body = err.error_body::<HttpValidationError>().expect("typed body");
    assert_eq!(body.detail[0].msg, "String should match pattern");
    Ok(())
}

#[tokio::test]
async fn into_inner_answers_what_the_spec_does_not_describe() -> TestResult {
    let server = MockServer::start_async().await;
    // The spec lists only 200 and 422 for this operation; the server also
    // answers 404 with FastAPI's `detail`.
    let missing = server.get_optimization_resource(|when, then| {
        when.id("opt-404")
            .into_inner()
            .header("x-api-key", mock::API_KEY);
        then.into_inner()
            .status(404)
            .json_body(json!({"detail": "Optimization not found"}));
    });
    let found = server.get_optimization_resource(|when, then| {
        when.id("opt-1");
        then.ok(&mock::optimization("opt-1", DomainStatus::Running));
    });
    let client = mock::client(&server)?;

    let err: ApiError = client
        .get_optimization_resource()
        .id("opt-404")
        .send()
        .await
        .expect_err("the mock answers 404");
    assert_eq!(err.kind(), ErrorKind::Status);
    assert!(!err.is_gone() && !err.is_retryable());
    assert_eq!(err.message(), Some("Optimization not found"));
    missing.assert_async().await;

    let optimization = client
        .get_optimization_resource()
        .id("opt-1")
        .send()
        .await?;
    assert_eq!(optimization.status, Some(DomainStatus::Running));
    found.assert_async().await;
    Ok(())
}

#[tokio::test]
async fn the_mock_client_does_not_retry_and_a_built_one_does() -> TestResult {
    let server = MockServer::start_async().await;
    let unavailable = server.get_job(|when, then| {
        when.job_id("job-1");
        then.into_inner().status(503).body("maintenance");
    });

    let err: ApiError = mock::client(&server)?
        .get_job()
        .job_id("job-1")
        .send()
        .await
        .expect_err("503");
    assert!(err.is_retryable());
    assert_eq!(unavailable.calls_async().await, 1);

    let retrying = mock::client_builder(&server)
        .retry_policy(
            RetryPolicy::default()
                .with_max_retries(2)
                .with_initial_backoff(Duration::from_millis(1))
                .with_max_backoff(Duration::from_millis(5)),
        )
        .build()?;
    let err: ApiError = retrying
        .get_job()
        .job_id("job-1")
        .send()
        .await
        .expect_err("503 every time");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(unavailable.calls_async().await, 1 + 3);
    Ok(())
}

#[test]
fn sample_resources_follow_the_servers_status_rules() {
    for (status, terminal, failed) in [
        (JobStatus::Pending, false, false),
        (JobStatus::Processing, false, false),
        (JobStatus::Waiting, false, false),
        (JobStatus::Completed, true, false),
        (JobStatus::Failed, true, true),
        (JobStatus::Canceled, true, true),
    ] {
        let job = mock::job("j", status.clone());
        assert_eq!(
            (job.is_terminal, job.is_failed, job.completed_at.is_some()),
            (terminal, failed, terminal),
            "{status}"
        );
    }
    let optimization = mock::optimization("o", DomainStatus::Succeeded);
    assert_eq!(optimization.id, "o");
    assert_eq!(optimization.status, Some(DomainStatus::Succeeded));
}
