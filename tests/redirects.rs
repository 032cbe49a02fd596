//! Credentials never leave the configured origin: redirects are followed
//! by the crate, never with the API key, token or organization id to
//! another origin, and never with a body there.

mod common;

use common::{Reply, Server};
use ionworks::reqwest::Method;
use ionworks::{Client, ErrorKind};

const KEY: &str = "key-SECRET-redirect";
const TOKEN: &str = "token-SECRET-redirect";

fn job(id: &str) -> String {
    common::job_json(id, "pending").to_string()
}

fn api_client(server: &Server) -> Client {
    Client::builder()
        .base_url(&server.url)
        .api_key(KEY)
        .organization_id("org-7")
        .build()
        .unwrap()
}

/// A server answering every request with `status` and `Location: location`.
async fn redirecting(status: u16, location: &str) -> Server {
    common::serve_replies(vec![Reply::new(status, "").header("location", location)]).await
}

fn credentials(server: &Server) -> Vec<(String, String)> {
    let seen = server.seen.lock().unwrap();
    seen.iter()
        .flat_map(|s| s.headers.iter())
        .filter(|(k, _)| {
            matches!(
                k.as_str(),
                "x-api-key" | "authorization" | "x-organization-id" | "cookie"
            )
        })
        .cloned()
        .collect()
}

fn assert_secret_free(e: &impl std::fmt::Debug, shown: &str) {
    for secret in [KEY, TOKEN] {
        assert!(!shown.contains(secret), "{shown}");
        assert!(!format!("{e:?}").contains(secret), "{e:?}");
    }
}

#[tokio::test]
async fn cross_origin_get_is_followed_without_credentials() {
    let other = common::serve(vec![(200, job("elsewhere"))]).await;
    for status in [301, 302, 303, 307, 308] {
        let api = redirecting(status, &format!("{}/jobs/elsewhere", other.url)).await;
        let job = api_client(&api)
            .get_job()
            .job_id("j1")
            .send()
            .await
            .unwrap();
        assert_eq!(job.job_id, "elsewhere", "{status}");
        let api_seen = api.seen.lock().unwrap()[0].clone();
        assert_eq!(
            api_seen.header("x-api-key"),
            Some(KEY),
            "the API got the key"
        );
    }
    assert_eq!(other.seen.lock().unwrap().len(), 5);
    assert_eq!(
        credentials(&other),
        [],
        "no credential left the API's origin"
    );

    // A bearer token stays home too.
    let api = redirecting(302, &format!("{}/jobs/elsewhere", other.url)).await;
    let client = Client::builder()
        .base_url(&api.url)
        .bearer_token(TOKEN)
        .build()
        .unwrap();
    client.get_job().job_id("j1").send().await.unwrap();
    assert_eq!(credentials(&other), []);
}

#[tokio::test]
async fn cross_origin_post_is_an_error_and_sends_nothing_there() {
    let other = common::serve(vec![(200, job("elsewhere"))]).await;
    for status in [301, 302, 303, 307, 308] {
        let api = redirecting(status, &format!("{}/steal?x=1", other.url)).await;
        let e = api_client(&api)
            .cancel_job()
            .job_id("j1")
            .send()
            .await
            .unwrap_err();
        let shown = e.to_string();
        assert_eq!(e.kind(), ErrorKind::Status, "{shown}");
        assert_eq!(e.status().map(|s| s.as_u16()), Some(status));
        assert!(!e.is_retryable());
        assert!(
            shown.ends_with(&format!(
                " (not followed: a POST is not sent on to another origin, {})",
                other.url
            )),
            "names the origin: {shown}"
        );
        assert!(!shown.contains("/steal"), "only the origin: {shown}");
        assert!(shown.contains("cancel_job"), "{shown}");
        assert!(!shown.contains('\n'));
        assert_secret_free(&e, &shown);
        assert_eq!(api.seen.lock().unwrap().len(), 1, "not retried");
    }
    assert_eq!(other.seen.lock().unwrap().len(), 0, "nothing went there");
}

#[tokio::test]
async fn same_origin_redirects_keep_working_with_credentials_and_body() {
    let api = common::serve_replies(vec![
        Reply::new(307, "").header("location", "/api/v2/jobs/j1/cancel"),
        Reply::new(200, job("j1")),
    ])
    .await;
    let client = api_client(&api);
    let response = client
        .request(Method::POST, "/jobs/j1/cancel")
        .json(&serde_json::json!({"reason": "test"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let seen = api.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[1].method, "POST");
    assert_eq!(seen[1].target, "/api/v2/jobs/j1/cancel");
    assert_eq!(seen[1].header("x-api-key"), Some(KEY));
    assert_eq!(seen[1].header("x-organization-id"), Some("org-7"));
    assert_eq!(seen[1].json(), serde_json::json!({"reason": "test"}));

    // A 303 turns the POST into a GET without a body.
    let api = common::serve_replies(vec![
        Reply::new(303, "").header("location", "/jobs/j1"),
        Reply::new(200, job("j1")),
    ])
    .await;
    api_client(&api)
        .request(Method::POST, "/jobs/j1/cancel")
        .json(&serde_json::json!({"reason": "test"}))
        .send()
        .await
        .unwrap();
    let seen = api.seen.lock().unwrap().clone();
    assert_eq!(
        (seen[1].method.as_str(), seen[1].target.as_str()),
        ("GET", "/jobs/j1")
    );
    assert!(seen[1].body.is_empty());
    assert_eq!(seen[1].header("content-type"), None);
    assert_eq!(seen[1].header("x-api-key"), Some(KEY));
}

/// Two hops within the origin and one to another, with retries on and off
/// (the request is copied for a redirect by the retry loop or, without
/// retries, by the redirect loop itself): the same requests arrive.
#[tokio::test]
async fn chains_of_redirects_are_followed_with_and_without_retries() {
    for retries in [3, 0] {
        let other = common::serve(vec![(200, job("elsewhere"))]).await;
        let api = common::serve_replies(vec![
            Reply::new(307, "").header("location", "/a/jobs/j1"),
            Reply::new(308, "").header("location", "/b/jobs/j1"),
            Reply::new(302, "").header("location", &format!("{}/c/jobs/j1", other.url)),
        ])
        .await;
        let client = Client::builder()
            .base_url(&api.url)
            .api_key(KEY)
            .organization_id("org-7")
            .retry_policy(ionworks::RetryPolicy::default().with_max_retries(retries))
            .build()
            .unwrap();
        let answer = client.get_job().job_id("j1").send().await.unwrap();
        assert_eq!(answer.job_id, "elsewhere", "retries {retries}");
        let seen = api.seen.lock().unwrap().clone();
        let targets: Vec<&str> = seen.iter().map(|s| s.target.as_str()).collect();
        assert_eq!(
            targets,
            ["/jobs/j1", "/a/jobs/j1", "/b/jobs/j1"],
            "retries {retries}"
        );
        for request in &seen {
            assert_eq!(request.header("x-api-key"), Some(KEY), "retries {retries}");
        }
        let there = other.seen.lock().unwrap().clone();
        assert_eq!(there.len(), 1);
        assert_eq!(there[0].target, "/c/jobs/j1");
        assert!(credentials(&other).is_empty(), "retries {retries}");

        // A POST's body goes on through two hops within the origin.
        let api = common::serve_replies(vec![
            Reply::new(307, "").header("location", "/a/jobs/j1/cancel"),
            Reply::new(308, "").header("location", "/b/jobs/j1/cancel"),
            Reply::new(200, job("j1")),
        ])
        .await;
        let client = Client::builder()
            .base_url(&api.url)
            .api_key(KEY)
            .retry_policy(ionworks::RetryPolicy::default().with_max_retries(retries))
            .build()
            .unwrap();
        client
            .request(Method::POST, "/jobs/j1/cancel")
            .json(&serde_json::json!({"reason": "hops"}))
            .send()
            .await
            .unwrap();
        let seen = api.seen.lock().unwrap().clone();
        assert_eq!(seen.len(), 3);
        for request in &seen {
            assert_eq!(request.method, "POST");
            assert_eq!(request.json(), serde_json::json!({"reason": "hops"}));
        }
    }
}

#[tokio::test]
async fn raw_requests_follow_the_same_rules() {
    let other = common::serve(vec![(200, job("elsewhere"))]).await;
    let api = redirecting(302, &format!("{}/users/me", other.url)).await;
    let client = api_client(&api);
    let me: serde_json::Value = client
        .request(Method::GET, "/users/me")
        .header("authorization", &format!("Bearer {TOKEN}"))
        .decode()
        .await
        .unwrap();
    assert_eq!(me["job_id"], "elsewhere");
    assert_eq!(credentials(&other), []);

    for method in [Method::POST, Method::PATCH, Method::PUT, Method::DELETE] {
        let api = redirecting(307, &format!("{}/users/me", other.url)).await;
        let e = api_client(&api)
            .request(method.clone(), "/users/me")
            .json(&serde_json::json!({"name": "x"}))
            .send()
            .await
            .unwrap_err();
        let shown = e.to_string();
        assert_eq!(
            e.status().map(|s| s.as_u16()),
            Some(307),
            "{method}: {shown}"
        );
        assert!(shown.contains(&other.url), "{shown}");
        assert_secret_free(&e, &shown);
    }
    assert_eq!(
        other.seen.lock().unwrap().len(),
        1,
        "only the GET went there"
    );
}

#[tokio::test]
async fn uploads_are_not_sent_to_another_origin() {
    let other = common::serve(vec![(200, "{}".to_string())]).await;
    let api = redirecting(307, &format!("{}/upload", other.url)).await;
    let form = ionworks::upload::Form::multipart()
        .text("name", "cycle")
        .file(
            "file",
            ionworks::upload::FilePart::bytes("a.csv", "t,v\n0,1\n"),
        );
    let e = api_client(&api)
        .request(Method::POST, "/raw-data")
        .form(form)
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.status().map(|s| s.as_u16()), Some(307), "{e}");
    assert_eq!(other.seen.lock().unwrap().len(), 0);

    // A generated upload operation, the same.
    let e = api_client(&api)
        .detect_and_read()
        .file(ionworks::upload::FilePart::bytes("a.csv", "t,v\n0,1\n"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.status().map(|s| s.as_u16()), Some(307), "{e}");
    assert!(e.to_string().contains("detect_and_read"), "{e}");
    assert!(e.to_string().contains(&other.url), "{e}");
    assert_eq!(other.seen.lock().unwrap().len(), 0);

    // Within the origin, a 307 sends the upload again, from its start.
    let api = common::serve_replies(vec![
        Reply::new(307, "").header("location", "/raw-data/v2"),
        Reply::new(200, "{}"),
    ])
    .await;
    let form = ionworks::upload::Form::multipart().file(
        "file",
        ionworks::upload::FilePart::bytes("a.csv", "t,v\n0,1\n"),
    );
    api_client(&api)
        .request(Method::POST, "/raw-data")
        .form(form)
        .send()
        .await
        .unwrap();
    let seen = api.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[1].target, "/raw-data/v2");
    assert_eq!(seen[1].body, seen[0].body);
    assert!(String::from_utf8_lossy(&seen[1].body).contains("t,v\n0,1"));
    assert_eq!(seen[1].header("x-api-key"), Some(KEY));
}

#[tokio::test]
async fn redirect_loops_end() {
    let api = common::serve_replies(vec![Reply::new(302, "").header("location", "/jobs/j1")]).await;
    let e = api_client(&api)
        .get_job()
        .job_id("j1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.status().map(|s| s.as_u16()), Some(302), "{e}");
    assert!(e.to_string().contains("too many redirects"), "{e}");
    assert!(api.seen.lock().unwrap().len() <= 11);
}
