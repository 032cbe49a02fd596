//! The stand-in of the Ionworks API (`ionworks::testing`): lifecycles,
//! status rules, FastAPI-exact errors, fault injection and the request log.
// `POST /jobs` (submit_job) is deprecated: the live server answers 410.
// These tests exercise it as an older server (and the stand-in's switch) take it.
#![allow(deprecated)]
#![cfg(feature = "testing")]

use std::time::{Duration, Instant};

use ionworks::testing::{Fault, Outcome, Schedule, StandIn};
use ionworks::types::{DomainStatus, JobErrorCode, JobStatus, JobType, SubmitJobRequest};
use ionworks::{Client, RetryPolicy};
use serde_json::{Map, Value, json};

const MS: Duration = Duration::from_millis(1);

fn dummy() -> ionworks::types::builder::SubmitJobRequest {
    SubmitJobRequest::builder()
        .job_type(JobType::Dummy)
        .params(Map::new())
}

fn no_retries(stand_in: &StandIn) -> Client {
    stand_in
        .client_builder()
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap()
}

/// Raw `POST /jobs` with the stand-in's key, for exact bodies.
async fn post_jobs(stand_in: &StandIn, body: &str) -> (u16, Value) {
    let response = ionworks::http_client_builder()
        .unwrap()
        .build()
        .unwrap()
        .post(format!("{}/jobs", stand_in.base_url()))
        .header("x-api-key", stand_in.api_key())
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn status_of<T>(result: ionworks::Result<T>) -> u16 {
    match result {
        Ok(_) => 200,
        Err(e) => e.status().map_or(0, |s| s.as_u16()),
    }
}

#[tokio::test]
async fn job_follows_its_schedule_to_completion() {
    let stand_in = StandIn::start().await.unwrap();
    stand_in.accept_job_submissions(true);
    stand_in.push_job_schedule(Schedule::succeeds_after(40 * MS, 80 * MS));
    let client = stand_in.client();
    let job = client
        .submit_job()
        .project_id("p1")
        .body(dummy().priority(7))
        .send()
        .await
        .unwrap();
    assert_eq!(job.status(), 202);
    assert_eq!(job.status, JobStatus::Pending);
    assert!(!job.is_terminal && !job.is_failed);
    assert_eq!((job.priority, job.project_id.as_deref()), (7, Some("p1")));

    let mut seen = vec![job.status.clone()];
    let job = loop {
        let job = client.get_job().job_id(&job.job_id).send().await.unwrap();
        if seen.last() != Some(&job.status) {
            seen.push(job.status.clone());
        }
        if job.is_terminal {
            break job.into_inner();
        }
        tokio::time::sleep(5 * MS).await;
    };
    assert_eq!(
        seen,
        [
            JobStatus::Pending,
            JobStatus::Processing,
            JobStatus::Completed
        ]
    );
    assert!(!job.is_failed);
    assert!(job.result.is_some() && job.error.is_none());
    let (started, completed) = (job.started_at.unwrap(), job.completed_at.unwrap());
    assert!(job.created_at < started && started < completed);
    assert!(job.compute_time.unwrap() >= 0.079);
}

#[tokio::test]
async fn failing_schedule_and_explicit_driving() {
    let stand_in = StandIn::start().await.unwrap();
    stand_in.accept_job_submissions(true);
    stand_in.push_job_schedule(
        Schedule::succeeds_after(Duration::ZERO, Duration::ZERO)
            .failing(JobErrorCode::SolverError, "solver diverged"),
    );
    stand_in.push_job_schedule(Schedule::manual());
    let client = stand_in.client();
    let failed = client.submit_job().body(dummy()).send().await.unwrap();
    assert_eq!(failed.status, JobStatus::Failed);
    assert!(failed.is_terminal && failed.is_failed);
    assert_eq!(failed.error_code, Some(JobErrorCode::SolverError));
    assert_eq!(failed.error.as_deref(), Some("solver diverged"));

    let held = client.submit_job().body(dummy()).send().await.unwrap();
    tokio::time::sleep(30 * MS).await;
    let id = &held.job_id;
    assert_eq!(stand_in.job(id).unwrap().status, JobStatus::Pending);
    assert_eq!(
        stand_in.start_job(id).unwrap().status,
        JobStatus::Processing
    );
    let job = client.get_job().job_id(id).send().await.unwrap();
    assert_eq!(job.status, JobStatus::Processing);
    assert!(!job.is_terminal);
    let job = stand_in
        .fail_job(id, JobErrorCode::ExecutionTimeout, "took too long")
        .unwrap();
    assert!(job.is_terminal && job.is_failed);
    let job = client.get_job().job_id(id).send().await.unwrap();
    assert_eq!(job.error_code, Some(JobErrorCode::ExecutionTimeout));
    assert!(stand_in.complete_job("nope", Map::new()).is_none());
}

#[tokio::test]
async fn cancel_answers_with_the_canceled_job() {
    let stand_in = StandIn::start().await.unwrap();
    stand_in.accept_job_submissions(true);
    stand_in.set_default_job_schedule(Schedule::manual());
    let client = stand_in.client();
    let job = client.submit_job().body(dummy()).send().await.unwrap();
    let canceled = client
        .cancel_job()
        .job_id(&job.job_id)
        .send()
        .await
        .unwrap();
    assert_eq!(canceled.status(), 200);
    assert_eq!(canceled.status, JobStatus::Canceled);
    assert!(canceled.is_terminal && canceled.is_failed);
    // Idempotent for a canceled job, 409 for a finished one, 404 for none.
    let again = client.cancel_job().job_id(&job.job_id).send().await;
    assert_eq!(again.unwrap().status, JobStatus::Canceled);
    let done = client.submit_job().body(dummy()).send().await.unwrap();
    stand_in.complete_job(&done.job_id, Map::new()).unwrap();
    let client = no_retries(&stand_in);
    assert_eq!(
        status_of(client.cancel_job().job_id(&done.job_id).send().await),
        409
    );
    assert_eq!(
        status_of(client.cancel_job().job_id("job-x").send().await),
        404
    );
}

#[tokio::test]
async fn optimization_lifecycle_and_resubmit_rules() {
    let stand_in = StandIn::start().await.unwrap();
    stand_in.accept_job_submissions(true);
    let client = no_retries(&stand_in);
    let id = stand_in.add_optimization(
        Schedule::succeeds_after(30 * MS, 30 * MS).failing(JobErrorCode::ModelError, "bad model"),
    );
    let o = client
        .get_optimization_resource()
        .id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(o.status, Some(DomainStatus::Queued));
    // Only a failed optimization can be resubmitted.
    let early = client.resubmit_optimization().id(&id).send().await;
    assert_eq!(status_of(early), 409);
    tokio::time::sleep(40 * MS).await;
    let o = client
        .get_optimization_resource()
        .id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(o.status, Some(DomainStatus::Running));
    tokio::time::sleep(30 * MS).await;
    let o = client
        .get_optimization_resource()
        .id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(o.status, Some(DomainStatus::Failed));
    assert_eq!(o.error_code.as_deref(), Some("MODEL_ERROR"));

    let resubmitted = client.resubmit_optimization().id(&id).send().await.unwrap();
    assert_eq!(resubmitted.status(), 202);
    assert_eq!(resubmitted.status, Some(DomainStatus::Queued));
    assert!(resubmitted.error.is_none());
    // After a resubmit it follows the default schedule: it succeeds.
    tokio::time::sleep(200 * MS).await;
    let o = client
        .get_optimization_resource()
        .id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(o.status, Some(DomainStatus::Succeeded));
    assert!(o.metrics.is_some());
    let succeeded = client.resubmit_optimization().id(&id).send().await;
    assert_eq!(status_of(succeeded), 409);

    let held = stand_in.add_optimization(Schedule::manual());
    let mut metrics = Map::new();
    metrics.insert("rmse".into(), json!(0.01));
    let o = stand_in
        .finish_optimization(&held, Outcome::Succeed(metrics))
        .unwrap();
    assert_eq!(o.status, Some(DomainStatus::Succeeded));
    assert_eq!(
        status_of(client.get_optimization_resource().id("opt-x").send().await),
        404
    );
}

#[tokio::test]
async fn credentials_are_required() {
    let stand_in = StandIn::start().await.unwrap();
    stand_in.accept_job_submissions(true);
    let wrong = Client::builder()
        .base_url(stand_in.base_url())
        .api_key("wrong")
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    assert_eq!(status_of(wrong.get_job().job_id("j").send().await), 401);
    let http = ionworks::http_client_builder().unwrap().build().unwrap();
    let url = format!("{}/jobs/j", stand_in.base_url());
    let none = http.get(&url).send().await.unwrap();
    assert_eq!(none.status().as_u16(), 401);
    let body: Value = none.json().await.unwrap();
    assert!(body["detail"].is_string(), "{body}");
    // The key is also accepted as a bearer token (then the job is unknown).
    let bearer = Client::builder()
        .base_url(stand_in.base_url())
        .bearer_token(stand_in.api_key())
        .build()
        .unwrap();
    assert_eq!(status_of(bearer.get_job().job_id("j").send().await), 404);
    // 401 comes before validation: a bad body without credentials is a 401.
    let post = http.post(format!("{}/jobs", stand_in.base_url())).body("{");
    assert_eq!(post.send().await.unwrap().status().as_u16(), 401);
}

#[tokio::test]
async fn unknown_ids_and_routes_are_404_with_detail() {
    let stand_in = StandIn::start().await.unwrap();
    stand_in.accept_job_submissions(true);
    let http = ionworks::http_client_builder().unwrap().build().unwrap();
    for (path, detail) in [
        ("/jobs/job%2F1", "Job job/1 not found"),
        ("/optimizations/o-1", "Optimization o-1 not found"),
        ("/nowhere", "Not Found"),
    ] {
        let response = http
            .get(format!("{}{path}", stand_in.base_url()))
            .header("x-api-key", stand_in.api_key())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 404, "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body, json!({ "detail": detail }), "{path}");
    }
}

/// Every case of `fixtures/fastapi_422.json` (recorded from FastAPI +
/// pydantic v2 by `fixtures/fastapi_422.py`), compared field by field.
#[tokio::test]
async fn validation_errors_match_fastapi_field_by_field() {
    let fixtures: Map<String, Value> =
        serde_json::from_str(include_str!("fixtures/fastapi_422.json")).unwrap();
    let stand_in = StandIn::start().await.unwrap();
    stand_in.accept_job_submissions(true);
    let mut checked = 0;
    for (name, case) in fixtures.iter().filter(|(k, _)| !k.starts_with('_')) {
        let (status, body) = post_jobs(&stand_in, case["body"].as_str().unwrap()).await;
        let expected_status = case["status"].as_u64().unwrap() as u16;
        assert_eq!(status, expected_status, "{name}: {body}");
        if expected_status != 422 {
            continue;
        }
        let (got, want) = (
            body["detail"].as_array().unwrap(),
            case["response"]["detail"].as_array().unwrap(),
        );
        assert_eq!(got.len(), want.len(), "{name}: {body}");
        for (g, w) in got.iter().zip(want) {
            for field in ["type", "loc", "msg", "input", "ctx"] {
                assert_eq!(g.get(field), w.get(field), "{name}: field {field}");
            }
            assert_eq!(g.as_object().unwrap().len(), w.as_object().unwrap().len());
        }
        checked += 1;
    }
    assert!(checked >= 15, "only {checked} cases");
}

#[tokio::test]
async fn priority_11_and_bogus_job_type_as_fastapi_says() {
    let stand_in = StandIn::start().await.unwrap();
    stand_in.accept_job_submissions(true);
    let (status, body) = post_jobs(
        &stand_in,
        r#"{"job_type": "simulate", "params": {}, "priority": 11}"#,
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(
        body,
        json!({"detail": [{
            "type": "less_than_equal", "loc": ["body", "priority"],
            "msg": "Input should be less than or equal to 10", "input": 11, "ctx": {"le": 10}
        }]})
    );
    let (status, body) = post_jobs(&stand_in, r#"{"job_type": "bogus", "params": {}}"#).await;
    assert_eq!(status, 422);
    let expected = "'dummy', 'datafit', 'validation', 'simulate', 'evaluate_variables', \
                    'optimize', 'ecm_fit' or 'simple_pipeline'";
    assert_eq!(
        body,
        json!({"detail": [{
            "type": "enum", "loc": ["body", "job_type"],
            "msg": format!("Input should be {expected}"), "input": "bogus",
            "ctx": {"expected": expected}
        }]})
    );
    // The typed error exposes the same body.
    let err = stand_in
        .client()
        .submit_job()
        .body(dummy().job_type(JobType::Unknown("bogus".into())))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(422));
    // Garbage never panics the server.
    for body in ["{", "", "[]", "\"x\"", "{\"priority\": 1e400}", "\u{0}"] {
        let (status, _) = post_jobs(&stand_in, body).await;
        assert_eq!(status, 422, "{body:?}");
    }
}

#[tokio::test]
async fn injected_status_faults_then_recovery() {
    let stand_in = StandIn::start().await.unwrap();
    stand_in.accept_job_submissions(true);
    let client = no_retries(&stand_in);
    stand_in.inject(Fault::Status(503), 2);
    let id = stand_in.add_optimization(Schedule::manual());
    for _ in 0..2 {
        let r = client.get_optimization_resource().id(&id).send().await;
        assert_eq!(status_of(r), 503);
    }
    assert!(
        client
            .get_optimization_resource()
            .id(&id)
            .send()
            .await
            .is_ok()
    );
    // The facade's retries absorb them.
    stand_in.inject(Fault::Status(502), 2);
    let retrying = stand_in
        .client_builder()
        .retry_policy(RetryPolicy::default().with_initial_backoff(MS))
        .build()
        .unwrap();
    assert!(
        retrying
            .get_optimization_resource()
            .id(&id)
            .send()
            .await
            .is_ok()
    );
    let statuses: Vec<_> = stand_in.requests().iter().map(|r| r.status).collect();
    let expected = [503, 503, 200, 502, 502, 200].map(Some);
    assert_eq!(statuses, expected);
}

#[tokio::test]
async fn rate_limit_delay_and_dropped_connection() {
    let stand_in = StandIn::start().await.unwrap();
    stand_in.accept_job_submissions(true);
    let id = stand_in.add_optimization(Schedule::manual());
    let http = ionworks::http_client_builder().unwrap().build().unwrap();
    let url = format!("{}/optimizations/{id}", stand_in.base_url());
    stand_in.inject(
        Fault::RateLimited {
            retry_after: Duration::from_millis(1500),
        },
        1,
    );
    let limited = http.get(&url).send().await.unwrap();
    assert_eq!(limited.status().as_u16(), 429);
    assert_eq!(limited.headers()["retry-after"], "2");

    // The facade honours Retry-After.
    stand_in.inject(
        Fault::RateLimited {
            retry_after: Duration::from_secs(1),
        },
        1,
    );
    let start = Instant::now();
    let client = stand_in.client();
    client
        .get_optimization_resource()
        .id(&id)
        .send()
        .await
        .unwrap();
    assert!(start.elapsed() >= Duration::from_secs(1));

    stand_in.inject(Fault::Delay(150 * MS), 1);
    let start = Instant::now();
    client
        .get_optimization_resource()
        .id(&id)
        .send()
        .await
        .unwrap();
    assert!(start.elapsed() >= 150 * MS);

    stand_in.inject(Fault::DropConnection, 1);
    let err = no_retries(&stand_in)
        .get_optimization_resource()
        .id(&id)
        .send()
        .await
        .unwrap_err();
    assert!(err.status().is_none(), "{err}");
    assert!(
        client
            .get_optimization_resource()
            .id(&id)
            .send()
            .await
            .is_ok()
    );
    let dropped = stand_in
        .requests()
        .into_iter()
        .find(|r| r.fault == Some(Fault::DropConnection))
        .unwrap();
    assert_eq!(dropped.status, None);
}

#[tokio::test]
async fn request_log_redacts_secrets() {
    let stand_in = StandIn::start().await.unwrap();
    stand_in.accept_job_submissions(true);
    let client = stand_in.client();
    client
        .submit_job()
        .project_id("p 1")
        .body(dummy())
        .send()
        .await
        .unwrap();
    let log = stand_in.requests();
    assert_eq!(log.len(), 1);
    let r = &log[0];
    assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/jobs"));
    assert_eq!(r.query.as_deref(), Some("project_id=p+1"));
    assert_eq!(r.status, Some(202));
    assert_eq!(r.header("X-API-Key"), Some("<redacted>"));
    assert!(
        r.header("user-agent")
            .unwrap()
            .starts_with("ionworks-rust/")
    );
    let all = format!("{log:?}");
    assert!(!all.contains(stand_in.api_key()), "{all}");
    stand_in.clear_requests();
    assert!(stand_in.requests().is_empty());
}

#[cfg(feature = "gzip")]
#[tokio::test]
async fn gzip_request_bodies_are_accepted() {
    let stand_in = StandIn::start().await.unwrap();
    stand_in.accept_job_submissions(true);
    let client = stand_in.client();
    let params: Map<String, Value> = (0..60_000).map(|i| (format!("p{i}"), json!(i))).collect();
    let job = client
        .submit_job()
        .body(dummy().params(params))
        .send()
        .await
        .unwrap();
    assert_eq!(job.status, JobStatus::Pending);
    let log = stand_in.requests();
    assert_eq!(log[0].header("content-encoding"), Some("gzip"));
    // A body that is not gzip although it says so is a 400.
    let response = ionworks::http_client_builder()
        .unwrap()
        .build()
        .unwrap()
        .post(format!("{}/jobs", stand_in.base_url()))
        .header("x-api-key", stand_in.api_key())
        .header("content-type", "application/json")
        .header("content-encoding", "gzip")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn users_me_answers_like_the_server() {
    let stand_in = StandIn::start().await.unwrap();
    stand_in.accept_job_submissions(true);
    let me: Value = stand_in
        .client()
        .request(ionworks::reqwest::Method::GET, "/users/me")
        .decode()
        .await
        .unwrap();
    assert_eq!(me["email"], "standin@example.com");
    assert_eq!(
        me["authorized_organization"]["id"],
        me["organizations"][0]["id"]
    );
}
