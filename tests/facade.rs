//! The client facade against a server on 127.0.0.1: headers, retries,
//! errors, path encoding and redaction.
// `POST /jobs` (submit_job) is deprecated: the live server answers 410.
// These tests exercise it as an older server (and the stand-in's switch) take it.
#![allow(deprecated)]

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use common::Reply;
use ionworks::types::{JobType, SubmitJobRequest};
use ionworks::{ApiError, Client, ConfigError, ErrorKind, RetryPolicy};

const KEY: &str = "key-SECRET-abc123";
const TOKEN: &str = "token-SECRET-xyz789";

fn job(id: &str) -> String {
    common::job_json(id, "pending").to_string()
}

fn submit_body() -> ionworks::types::builder::SubmitJobRequest {
    SubmitJobRequest::builder()
        .job_type(JobType::Simulate)
        .params(serde_json::Map::new())
}

fn env(
    vars: &[(&'static str, &'static str)],
) -> impl Fn(&str) -> Option<String> + Send + Sync + 'static {
    let vars: HashMap<&'static str, &'static str> = vars.iter().copied().collect();
    move |name| vars.get(name).map(|v| v.to_string())
}

fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .with_initial_backoff(Duration::from_millis(1))
        .with_max_backoff(Duration::from_millis(5))
}

#[tokio::test]
async fn exact_headers_from_the_environment() {
    let server = common::serve(vec![(200, job("j1"))]).await;
    let url: &'static str = Box::leak(server.url.clone().into_boxed_str());
    let client = Client::builder()
        .env_lookup(env(&[
            ("IONWORKS_API_KEY", KEY),
            ("IONWORKS_API_URL", url),
            ("IONWORKS_ORGANIZATION_ID", "org-42"),
        ]))
        .build()
        .unwrap();
    client.get_job().job_id("j1").send().await.unwrap();
    let seen = server.seen.lock().unwrap()[0].clone();
    let mut names: Vec<&str> = seen.headers.iter().map(|(k, _)| k.as_str()).collect();
    names.sort();
    // reqwest's `gzip` feature (ours, on by default) asks for compressed responses.
    let mut expected = vec![
        "accept",
        "api-version",
        "host",
        "user-agent",
        "x-api-key",
        "x-organization-id",
    ];
    if cfg!(feature = "gzip") {
        expected.insert(1, "accept-encoding");
    }
    assert_eq!(names, expected);
    assert_eq!(seen.header("x-api-key"), Some(KEY));
    assert_eq!(seen.header("x-organization-id"), Some("org-42"));
    assert_eq!(seen.header("accept"), Some("application/json"));
    #[cfg(feature = "gzip")]
    assert_eq!(seen.header("accept-encoding"), Some("gzip"));
    assert_eq!(
        seen.header("user-agent"),
        Some(concat!("ionworks-rust/", env!("CARGO_PKG_VERSION")))
    );
}

#[tokio::test]
async fn bearer_token_and_caller_http_client() {
    let server = common::serve(vec![(202, job("j1"))]).await;
    // The caller's client keeps its pool; the facade still adds its headers.
    let client = Client::builder()
        .base_url(&server.url)
        .env_lookup(env(&[
            ("IONWORKS_API_KEY", KEY),
            ("IONWORKS_API_TOKEN", TOKEN),
        ]))
        .http_client(ionworks::http_client_builder().unwrap().build().unwrap())
        .user_agent("my-app/1.0")
        .build()
        .unwrap();
    client
        .submit_job()
        .body(submit_body())
        .send()
        .await
        .unwrap();
    let seen = server.seen.lock().unwrap()[0].clone();
    assert_eq!(
        seen.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert_eq!(seen.header("x-api-key"), None, "token wins over key");
    assert_eq!(seen.header("x-organization-id"), None, "sent only when set");
    assert_eq!(seen.header("user-agent"), Some("my-app/1.0"));
}

#[tokio::test]
async fn get_503_503_200_succeeds_after_three_calls() {
    let server = common::serve(vec![
        (503, "{}".into()),
        (503, "{}".into()),
        (200, job("j1")),
    ])
    .await;
    let client = common::client(&server.url);
    let job = client.get_job().job_id("j1").send().await.unwrap();
    assert_eq!(job.job_id, "j1");
    assert_eq!(server.seen.lock().unwrap().len(), 3);
}

#[tokio::test]
async fn post_503_is_not_retried() {
    let server = common::serve(vec![(503, "{}".into()), (202, job("j1"))]).await;
    let client = common::client(&server.url);
    let err = client
        .submit_job()
        .body(submit_body())
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert!(err.is_retryable(), "transient, but not resent for a POST");
    assert_eq!(server.seen.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn statuses_retried_for_get_and_the_maximum_holds() {
    for status in [429, 500, 502, 503, 504] {
        let server = common::serve(vec![(status, "{}".into())]).await;
        let client = Client::builder()
            .base_url(&server.url)
            .api_key(KEY)
            .retry_policy(fast_retries().with_max_retries(2))
            .build()
            .unwrap();
        let err = client.get_job().job_id("j").send().await.unwrap_err();
        assert_eq!(err.status().unwrap().as_u16(), status);
        assert!(err.is_retryable());
        assert_eq!(
            server.seen.lock().unwrap().len(),
            3,
            "{status}: 1 + 2 retries"
        );
    }
    let server = common::serve(vec![(503, "{}".into())]).await;
    let client = Client::builder()
        .base_url(&server.url)
        .api_key(KEY)
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    client.get_job().job_id("j").send().await.unwrap_err();
    assert_eq!(server.seen.lock().unwrap().len(), 1, "retries switched off");
}

#[tokio::test]
async fn retry_after_one_second_delays_the_retry() {
    let server = common::serve_replies(vec![
        Reply::new(503, "{}").header("retry-after", "1"),
        Reply::new(200, job("j1")),
    ])
    .await;
    let client = common::client(&server.url);
    client.get_job().job_id("j1").send().await.unwrap();
    let seen = server.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    let gap = seen[1].at - seen[0].at;
    assert!(gap >= Duration::from_millis(950), "{gap:?}");
    assert!(gap < Duration::from_secs(3), "{gap:?}");
}

#[tokio::test]
async fn retry_after_is_capped() {
    let server = common::serve_replies(vec![
        Reply::new(429, "{}").header("retry-after", "3600"),
        Reply::new(200, job("j1")),
    ])
    .await;
    let client = Client::builder()
        .base_url(&server.url)
        .api_key(KEY)
        .retry_policy(fast_retries().with_max_retry_after(Duration::from_millis(50)))
        .build()
        .unwrap();
    let start = Instant::now();
    client.get_job().job_id("j1").send().await.unwrap();
    assert!(start.elapsed() < Duration::from_secs(2));
    assert_eq!(server.seen.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn connection_refused_is_retried_even_for_post() {
    // Reserve a port, close it, and start serving on it a little later.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let late = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(150)).await;
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap();
        common::serve_on(listener, vec![Reply::new(202, job("j1"))])
    });
    let client = Client::builder()
        .base_url(&url)
        .api_key(KEY)
        .retry_policy(
            RetryPolicy::default()
                .with_max_retries(10)
                .with_initial_backoff(Duration::from_millis(50))
                .with_max_backoff(Duration::from_millis(200)),
        )
        .build()
        .unwrap();
    let start = Instant::now();
    let submitted = client
        .submit_job()
        .body(submit_body())
        .send()
        .await
        .unwrap();
    assert_eq!(submitted.job_id, "j1");
    assert!(start.elapsed() >= Duration::from_millis(140));
    let server = late.await.unwrap();
    assert_eq!(
        server.seen.lock().unwrap().len(),
        1,
        "sent once it connected"
    );

    // With nothing listening, the error is a retryable transport error.
    let client = Client::builder()
        .base_url(format!("http://127.0.0.1:{}", free_port()))
        .api_key(KEY)
        .retry_policy(fast_retries().with_max_retries(1))
        .build()
        .unwrap();
    let err = client.get_job().job_id("j").send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport);
    assert!(err.is_retryable() && err.status().is_none());
    assert!(!err.to_string().contains('\n'));
}

/// A request that failed after retries says how many times it was sent;
/// one that was not retried says nothing of attempts.
#[tokio::test]
async fn failures_after_retries_say_how_many_attempts() {
    // A server that accepts and never answers: every attempt times out.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            open.push(socket);
        }
    });
    let silent = |retries| {
        Client::builder()
            .base_url(&url)
            .api_key(KEY)
            .request_timeout(Duration::from_millis(100))
            .retry_policy(fast_retries().with_max_retries(retries))
            .build()
            .unwrap()
    };
    let err = silent(2).get_job().job_id("j").send().await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "get_job: timed out after 100 ms (3 attempts)"
    );
    assert_eq!(format!("{err:?}"), err.to_string());
    assert_eq!(err.attempts(), Some(3));
    assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 3);
    let err = silent(0).get_job().job_id("j").send().await.unwrap_err();
    assert_eq!(err.to_string(), "get_job: timed out after 100 ms");
    assert_eq!(err.attempts(), None);

    // The same through the hand-written path, and for a refused connection.
    let err = silent(1)
        .request(ionworks::reqwest::Method::GET, "/users/me")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "GET /users/me: timed out after 100 ms (2 attempts)"
    );
    let port = free_port();
    let err = Client::builder()
        .base_url(format!("http://127.0.0.1:{port}"))
        .api_key(KEY)
        .retry_policy(fast_retries().with_max_retries(2))
        .build()
        .unwrap()
        .get_job()
        .job_id("j")
        .send()
        .await
        .unwrap_err();
    let shown = err.to_string();
    assert!(
        shown.starts_with(&format!("get_job: cannot connect to 127.0.0.1:{port}: "))
            && shown.ends_with(" (3 attempts)"),
        "{shown}"
    );
}

/// A success status the operation does not document is an error that says
/// what was expected; the body is not lost.
#[tokio::test]
async fn an_undocumented_success_status_says_what_was_expected() {
    let server = common::serve(vec![(202, job("j1"))]).await;
    let err = common::client(&server.url)
        .get_job()
        .job_id("j1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(202));
    assert_eq!(err.to_string(), "202 Accepted from get_job (expected 200)");
    assert!(!err.is_retryable());
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn unauthorized_is_not_retried() {
    let server = common::serve(vec![
        (401, r#"{"detail":"Invalid API key"}"#.into()),
        (200, job("j")),
    ])
    .await;
    let client = common::client(&server.url);
    let err = client.get_job().job_id("j").send().await.unwrap_err();
    assert_eq!(err.status().unwrap().as_u16(), 401);
    assert_eq!(err.message(), Some("Invalid API key"));
    assert!(!err.is_retryable());
    assert_eq!(server.seen.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn not_found_accessors() {
    let server = common::serve_replies(vec![
        Reply::new(404, r#"{"detail":"Job not found"}"#).header("x-correlation-id", "corr-404"),
    ])
    .await;
    let client = common::client(&server.url);
    let err: ApiError = client.get_job().job_id("nope").send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Status);
    assert_eq!(err.status().unwrap().as_u16(), 404);
    assert_eq!(err.message(), Some("Job not found"));
    assert_eq!(err.code(), None);
    assert_eq!(err.correlation_id(), Some("corr-404"));
    assert_eq!(err.operation(), Some("get_job"));
    assert!(!err.is_retryable() && err.validation_errors().is_empty());
    assert_eq!(err.to_string(), "404 Not Found from get_job: Job not found");
}

#[tokio::test]
async fn gone_on_submission_says_so() {
    let body = r#"{"error_code":"ENDPOINT_RETIRED","message":"Job submission moved to /v2/jobs","detail":"use v2"}"#;
    let server = common::serve_replies(vec![
        Reply::new(410, body).header("x-correlation-id", "corr-410"),
    ])
    .await;
    let client = common::client(&server.url);
    let err = client
        .submit_job()
        .body(submit_body())
        .send()
        .await
        .unwrap_err();
    assert!(err.is_gone());
    assert_eq!(err.code(), Some("ENDPOINT_RETIRED"));
    assert_eq!(err.message(), Some("Job submission moved to /v2/jobs"));
    assert_eq!(err.correlation_id(), Some("corr-410"));
    assert_eq!(
        err.to_string(),
        "410 Gone from submit_job: the server no longer accepts this request: \
         Job submission moved to /v2/jobs [ENDPOINT_RETIRED]"
    );
    assert_eq!(server.seen.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn validation_errors_are_typed() {
    let body = serde_json::json!({"detail": [
        {"loc": ["body", "params", "model"], "msg": "Field required", "type": "missing", "input": {}},
        {"loc": ["query", "project_id", 0], "msg": "Input should be a valid string", "type": "string_type"}
    ]})
    .to_string();
    let server = common::serve_replies(vec![
        Reply::new(422, body).header("x-correlation-id", "corr-422"),
    ])
    .await;
    let client = common::client(&server.url);
    let err = client
        .submit_job()
        .body(submit_body())
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status().unwrap().as_u16(), 422);
    let errors = err.validation_errors();
    assert_eq!(errors.len(), 2);
    assert_eq!(errors[0].msg, "Field required");
    assert_eq!(errors[0].type_, "missing");
    let loc: Vec<String> = errors[1].loc.iter().map(ToString::to_string).collect();
    assert_eq!(loc, ["query", "project_id", "0"]);
    assert_eq!(
        err.message(),
        Some("body.params.model: Field required (and 1 more)")
    );
    assert_eq!(err.correlation_id(), Some("corr-422"));
    assert!(!err.is_retryable());
    assert_eq!(
        err.to_string(),
        "422 Unprocessable Entity from submit_job: body.params.model: Field required (and 1 more)"
    );
}

#[tokio::test]
async fn html_502_shows_a_capped_excerpt() {
    let page = format!(
        "<!DOCTYPE html>\n<html>\n<head><title>502 Bad Gateway</title></head>\n<body>\n{}\n</body></html>",
        "<p>upstream unavailable</p>\n".repeat(2000)
    );
    let server = common::serve_replies(vec![
        Reply::new(502, page.clone()).header("content-type", "text/html"),
    ])
    .await;
    let client = Client::builder()
        .base_url(&server.url)
        .api_key(KEY)
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let err = client.get_job().job_id("j").send().await.unwrap_err();
    assert_eq!(err.status().unwrap().as_u16(), 502);
    assert!(err.is_retryable());
    assert_eq!(err.message(), None);
    let excerpt = err.body_excerpt().unwrap();
    assert!(
        excerpt.starts_with("<!DOCTYPE html> <html> <head><title>502 Bad Gateway"),
        "{excerpt}"
    );
    let shown = err.to_string();
    assert!(
        shown.starts_with("502 Bad Gateway from get_job: <!DOCTYPE html>"),
        "{shown}"
    );
    assert!(shown.len() < 300 && !shown.contains('\n'), "{shown}");
    assert!(page.len() > 50_000);
}

#[tokio::test]
async fn client_side_errors_convert_too() {
    let server = common::serve(vec![(200, job("j"))]).await;
    let client = common::client(&server.url);
    let err = client.get_job().send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidRequest);
    assert_eq!(
        err.to_string(),
        "invalid request to get_job: job_id was not initialized"
    );
    // A 200 whose body does not decode.
    let server = common::serve(vec![(200, "<html>oops</html>".into())]).await;
    let client = common::client(&server.url);
    let err = client.get_job().job_id("j").send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert!(
        err.to_string().contains("(body: <html>oops</html>)"),
        "{err}"
    );
    // `?` converts in a function returning ionworks::Result.
    async fn get(client: &Client) -> ionworks::Result<String> {
        Ok(client
            .get_job()
            .job_id("j")
            .send()
            .await?
            .into_inner()
            .job_id)
    }
    assert!(get(&client).await.is_err());
}

#[tokio::test]
async fn path_parameters_are_encoded() {
    let server = common::serve(vec![
        (200, job("x")),
        (
            200,
            serde_json::json!({"id": "o", "project_id": "p", "organization_id": "g"}).to_string(),
        ),
    ])
    .await;
    let client = common::client(&server.url);
    let id = "a/b?c#d%e f ü 日本";
    client.get_job().job_id(id).send().await.unwrap();
    client
        .get_optimization_resource()
        .id(id)
        .send()
        .await
        .unwrap();
    let targets: Vec<String> = server
        .seen
        .lock()
        .unwrap()
        .iter()
        .map(|s| s.target.clone())
        .collect();
    let encoded = "a%2Fb%3Fc%23d%25e%20f%20%C3%BC%20%E6%97%A5%E6%9C%AC";
    assert_eq!(
        targets,
        [
            format!("/jobs/{encoded}"),
            format!("/optimizations/{encoded}")
        ]
    );
}

#[tokio::test]
async fn base_url_with_path_prefix_and_trailing_slash() {
    let server = common::serve(vec![(200, job("j"))]).await;
    let client = Client::builder()
        .base_url(format!("{}/api/", server.url))
        .api_key(KEY)
        .build()
        .unwrap();
    client.get_job().job_id("j").send().await.unwrap();
    assert_eq!(server.seen.lock().unwrap()[0].target, "/api/jobs/j");
}

#[tokio::test]
async fn nothing_formats_a_secret() {
    let server = common::serve(vec![(401, r#"{"detail":"bad credentials"}"#.into())]).await;
    let mut shown = Vec::new();
    for builder in [
        Client::builder().api_key(KEY).bearer_token(TOKEN),
        Client::builder().env_lookup(env(&[
            ("IONWORKS_API_KEY", KEY),
            ("IONWORKS_API_TOKEN", TOKEN),
        ])),
    ] {
        let builder = builder.base_url(&server.url).organization_id("org-1");
        shown.push(format!("{builder:?}"));
        let client = builder.build().unwrap();
        shown.push(format!("{client:?}"));
        shown.push(format!("{:?}", client.config()));
        shown.push(format!("{:?}", client.get_job().job_id("j")));
        shown.push(format!("{:?}", client.submit_job().body(submit_body())));
        let err = client.get_job().job_id("j").send().await.unwrap_err();
        shown.push(format!("{err:?}"));
        shown.push(format!("{err}"));
        shown.push(format!("{err:?}"));
        shown.push(format!("{err}"));
    }
    // Transport errors and every configuration error.
    let client = Client::builder()
        .base_url(format!("http://127.0.0.1:{}", free_port()))
        .api_key(KEY)
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let err = client.get_job().job_id("j").send().await.unwrap_err();
    shown.push(format!("{err:?} {err}"));
    shown.push(format!("{err:?} {err:#}"));
    let bad_key: &'static str = "key-SECRET-abc123\n";
    let config_errors: Vec<ConfigError> = vec![
        Client::builder().build().unwrap_err(),
        Client::builder().api_key(bad_key).build().unwrap_err(),
        Client::builder()
            .bearer_token(format!("{TOKEN}\r"))
            .build()
            .unwrap_err(),
        Client::builder()
            .env_lookup(env(&[("IONWORKS_API_TOKEN", "token-SECRET-xyz789\n")]))
            .build()
            .unwrap_err(),
        Client::builder()
            .api_key(KEY)
            .base_url("https://user:key-SECRET-abc123@example.com")
            .build()
            .unwrap_err(),
        Client::builder()
            .api_key(KEY)
            .organization_id("o\n")
            .build()
            .unwrap_err(),
        Client::builder()
            .api_key(KEY)
            .user_agent("u\n")
            .build()
            .unwrap_err(),
        Client::builder()
            .api_key(KEY)
            .request_timeout(Duration::ZERO)
            .build()
            .unwrap_err(),
        Client::builder()
            .api_key(KEY)
            .http_client(ionworks::http_client_builder().unwrap().build().unwrap())
            .connect_timeout(Duration::from_secs(1))
            .build()
            .unwrap_err(),
    ];
    for e in &config_errors {
        shown.push(format!("{e:?} {e}"));
    }
    for text in &shown {
        assert!(!text.contains("SECRET"), "leaked: {text}");
    }
    assert!(
        shown
            .iter()
            .any(|t| t.contains("Sensitive") || t.contains("<redacted>"))
    );
}

#[test]
fn send_futures_are_send() {
    fn assert_send<T: Send>(_: &T) {}
    let client = Client::builder().api_key(KEY).build().unwrap();
    assert_send(&client.get_job().job_id("j").send());
    assert_send(&client.submit_job().body(submit_body()).send());
}

/// Values that must reach the server as exactly one path segment carrying
/// exactly the value, and values that must never leave the client.
const SAFE: [&str; 6] = ["a/b", "x?y", "p%2Fq", "ünï", "../admin", "#frag"];
const REFUSED: [&str; 6] = ["", ".", "..", "%2e", "%2e%2E", ".%2E"];

#[tokio::test]
async fn path_parameters_cannot_leave_their_segment() {
    let optimization =
        serde_json::json!({"id": "o", "project_id": "p", "organization_id": "g"}).to_string();
    type Send<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = ionworks::Result<()>> + 'a>>;
    // (operation, parameter, path before the id, path after it, call)
    #[allow(clippy::type_complexity)]
    let operations: Vec<(
        &str,
        &str,
        &str,
        &str,
        String,
        fn(&Client, String) -> Send<'_>,
    )> = vec![
        ("get_job", "job_id", "/jobs/", "", job("x"), |c, id| {
            Box::pin(async move { c.get_job().job_id(id).send().await.map(drop) })
        }),
        (
            "cancel_job",
            "job_id",
            "/jobs/",
            "/cancel",
            job("x"),
            |c, id| Box::pin(async move { c.cancel_job().job_id(id).send().await.map(drop) }),
        ),
        (
            "get_optimization_resource",
            "id",
            "/optimizations/",
            "",
            optimization.clone(),
            |c, id| {
                Box::pin(async move { c.get_optimization_resource().id(id).send().await.map(drop) })
            },
        ),
        (
            "resubmit_optimization",
            "id",
            "/optimizations/",
            "/resubmit",
            optimization.clone(),
            |c, id| {
                Box::pin(async move { c.resubmit_optimization().id(id).send().await.map(drop) })
            },
        ),
    ];
    for (operation, parameter, before, after, reply, call) in operations {
        let status = if operation.starts_with("resubmit") {
            202
        } else {
            200
        };
        let server = common::serve(vec![(status, reply)]).await;
        let client = common::client(&server.url);
        for id in SAFE {
            call(&client, id.to_string()).await.unwrap();
            let target = server.seen.lock().unwrap().pop().unwrap().target;
            let segment = target
                .strip_prefix(before)
                .and_then(|rest| rest.strip_suffix(after))
                .unwrap_or_else(|| panic!("{operation} {id:?}: sent {target}"));
            assert!(!segment.contains('/'), "{operation} {id:?}: {target}");
            let decoded = percent_decode(segment);
            assert_eq!(decoded, id, "{operation}: {target}");
        }
        for id in REFUSED {
            let err = call(&client, id.to_string()).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidRequest, "{operation} {id:?}");
            let message = err.to_string();
            assert!(
                message.contains(operation) && message.contains(&format!("`{parameter}`")),
                "{message}"
            );
        }
        assert!(
            server.seen.lock().unwrap().is_empty(),
            "{operation}: refused ids were sent"
        );
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() + 1 {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

#[tokio::test]
async fn raw_requests_share_auth_retries_errors_and_path_rules() {
    use ionworks::reqwest::Method;
    let server = common::serve_replies(vec![
        Reply::new(503, "{}"),
        Reply::new(200, r#"{"email":"me@example.com"}"#),
        Reply::new(404, r#"{"detail":"Project not found"}"#),
    ])
    .await;
    let client = Client::builder()
        .base_url(&server.url)
        .api_key(KEY)
        .organization_id("org-9")
        .retry_policy(fast_retries())
        .build()
        .unwrap();
    let me: serde_json::Value = client
        .request(Method::GET, "/users/me")
        .query(&[("expand", "organizations")])
        .decode()
        .await
        .unwrap();
    assert_eq!(me["email"], "me@example.com");
    let err = client
        .request(Method::POST, "/projects")
        .segment("a/b c")
        .segment("models")
        .json(&serde_json::json!({"name": "x"}))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "404 Not Found from POST /projects/{}/{}: Project not found"
    );
    let seen = server.seen.lock().unwrap().clone();
    assert_eq!(
        seen.len(),
        3,
        "the GET's 503 was retried, the POST's 404 was not"
    );
    assert_eq!(seen[1].target, "/users/me?expand=organizations");
    assert_eq!(seen[1].header("x-api-key"), Some(KEY));
    assert_eq!(seen[1].header("x-organization-id"), Some("org-9"));
    assert_eq!(seen[2].target, "/projects/a%2Fb%20c/models");
    assert_eq!(seen[2].json()["name"], "x");
    assert_eq!(seen[2].header("content-type"), Some("application/json"));
    for (path, segment) in [
        ("/jobs", ".."),
        ("/jobs", ""),
        ("jobs", "x"),
        ("/a/../b", "x"),
        ("/a?b", "x"),
    ] {
        let err = client
            .request(Method::GET, path)
            .segment(segment)
            .send()
            .await
            .unwrap_err();
        assert_eq!(
            err.kind(),
            ErrorKind::InvalidRequest,
            "{path} {segment:?}: {err}"
        );
    }
    assert_eq!(
        server.seen.lock().unwrap().len(),
        3,
        "refused requests were not sent"
    );
}

#[tokio::test]
async fn post_answered_429_is_retried_after_its_delay() {
    let server = common::serve_replies(vec![
        Reply::new(429, "{}").header("retry-after", "1"),
        Reply::new(202, job("j1")),
    ])
    .await;
    let client = common::client(&server.url);
    let job = client
        .submit_job()
        .body(submit_body())
        .send()
        .await
        .unwrap();
    assert_eq!(job.job_id, "j1");
    let seen = server.seen.lock().unwrap().clone();
    assert_eq!(
        seen.len(),
        2,
        "a 429 was not processed, so the POST is resent"
    );
    assert!(seen[1].at - seen[0].at >= Duration::from_millis(950));
}

#[cfg(feature = "gzip")]
#[tokio::test]
async fn gzip_both_ways() {
    use std::io::{Read, Write};
    // A gzip-encoded response is decoded.
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(job("gz").as_bytes()).unwrap();
    let gzipped = encoder.finish().unwrap();
    let server = common::serve_replies(vec![
        Reply::new(200, gzipped).header("content-encoding", "gzip"),
        Reply::new(202, job("j")),
    ])
    .await;
    let client = common::client(&server.url);
    let job = client.get_job().job_id("gz").send().await.unwrap();
    assert_eq!(job.job_id, "gz");
    // A request body of 512 KiB or more is sent gzip-compressed.
    let params = submit_large_job(&client).await;
    let seen = server.seen.lock().unwrap()[1].clone();
    assert_eq!(seen.header("content-encoding"), Some("gzip"));
    let mut decoded = Vec::new();
    flate2::read::GzDecoder::new(&seen.body[..])
        .read_to_end(&mut decoded)
        .unwrap();
    assert!(
        decoded.len() >= ionworks::GZIP_THRESHOLD,
        "{}",
        decoded.len()
    );
    assert!(
        seen.body.len() * 2 < decoded.len(),
        "{} of {}",
        seen.body.len(),
        decoded.len()
    );
    let sent: serde_json::Value = serde_json::from_slice(&decoded).unwrap();
    assert_eq!(sent["params"], serde_json::Value::Object(params));
}

/// Without the `gzip` feature, bodies travel as they are, both ways.
#[cfg(not(feature = "gzip"))]
#[tokio::test]
async fn without_gzip_bodies_travel_as_they_are() {
    let server = common::serve_replies(vec![Reply::new(202, job("j"))]).await;
    let client = common::client(&server.url);
    let params = submit_large_job(&client).await;
    let seen = server.seen.lock().unwrap()[0].clone();
    assert_eq!(seen.header("content-encoding"), None);
    assert_eq!(seen.header("accept-encoding"), None);
    assert!(
        seen.body.len() >= ionworks::GZIP_THRESHOLD,
        "{}",
        seen.body.len()
    );
    let sent: serde_json::Value = serde_json::from_slice(&seen.body).unwrap();
    assert_eq!(sent["params"], serde_json::Value::Object(params));
}

/// Submits a job whose body is over [`ionworks::GZIP_THRESHOLD`]; its
/// parameters, to compare with what the server saw.
async fn submit_large_job(client: &Client) -> serde_json::Map<String, serde_json::Value> {
    let params: serde_json::Map<String, serde_json::Value> = (0..60_000)
        .map(|i| (format!("p{i}"), serde_json::json!(i)))
        .collect();
    let body = SubmitJobRequest::builder()
        .job_type(JobType::Simulate)
        .params(params.clone());
    client.submit_job().body(body).send().await.unwrap();
    params
}

/// What an error-chain printer such as anyhow's `{:#}` shows.
fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

#[tokio::test]
async fn error_chains_name_each_cause_once_and_alternate_debug_is_structured() {
    let client = Client::builder()
        .base_url(format!("http://127.0.0.1:{}", free_port()))
        .api_key(KEY)
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let err = client.get_job().job_id("j").send().await.unwrap_err();
    assert_eq!(chain(&err), err.to_string());
    assert!(err.to_string().ends_with(": connection refused"), "{err}");
    assert_eq!(err.to_string().matches("connection refused").count(), 1);
    assert_eq!(format!("{err:?}"), err.to_string());
    let debug = format!("{err:#?}");
    assert!(
        debug.starts_with("ApiError {") && debug.contains("kind: Transport"),
        "{debug}"
    );
    let wait = client
        .wait_until_terminal("j")
        .timeout(Duration::from_millis(200))
        .await
        .unwrap_err();
    assert_eq!(chain(&wait), wait.to_string());
    assert_eq!(format!("{wait:?}"), wait.to_string());
    assert!(format!("{wait:#?}").starts_with("TimedOut {"), "{wait:#?}");
    let config = Client::builder().build().unwrap_err();
    assert_eq!(chain(&config), config.to_string());
    // A boxed error prints the same single line.
    let boxed: Box<dyn std::error::Error> = Box::new(err);
    assert_eq!(chain(boxed.as_ref()), boxed.to_string());
}

#[tokio::test]
async fn submit_and_wait_says_which_step_failed() {
    let server = common::serve(vec![(503, r#"{"detail":"maintenance"}"#.into())]).await;
    let client = common::client(&server.url);
    let request: SubmitJobRequest = submit_body().try_into().unwrap();
    let err = client.submit_and_wait(request).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "starting the job failed: 503 Service Unavailable from submit_job: maintenance"
    );
    assert!(matches!(err, ionworks::wait::WaitError::Start(_)));
}
