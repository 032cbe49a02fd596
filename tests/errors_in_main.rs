//! What `fn main() -> Result<(), Box<dyn Error>>` prints for each public
//! error type: Rust prints `Error: {:?}`, and `Debug` is the error's one
//! line, cause included; `{:#?}` keeps the structured parts.
#![cfg(feature = "testing")]

use std::error::Error;

use ionworks::testing::{Schedule, StandIn};
use ionworks::types::JobErrorCode;
use ionworks::{Client, RetryPolicy};

/// Exactly what the standard library's `Termination` impl prints for an
/// `Err` returned from `main`.
fn as_main_prints(error: Box<dyn Error>) -> String {
    format!("Error: {error:?}")
}

fn one_line(printed: &str) {
    assert!(!printed.contains('\n'), "one line: {printed}");
    assert!(!printed.contains(" {"), "no struct dump: {printed}");
    assert!(printed.len() < 300, "short: {printed}");
}

#[tokio::test]
async fn api_error() {
    let stand_in = StandIn::start().await.unwrap();
    let err = stand_in
        .client()
        .get_job()
        .job_id("no-such-job")
        .send()
        .await
        .unwrap_err();
    let alternate = format!("{err:#?}");
    let printed = as_main_prints(err.into());
    assert_eq!(
        printed,
        "Error: 404 Not Found from get_job: Job no-such-job not found"
    );
    one_line(&printed);
    assert!(
        alternate.starts_with("ApiError {\n    kind: Status,\n    status: Some(\n        404,"),
        "{alternate}"
    );
    assert!(!alternate.contains(stand_in.api_key()), "never a secret");
}

#[tokio::test]
async fn api_error_of_a_connection_and_of_an_invalid_request() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = Client::builder()
        .base_url(format!("http://127.0.0.1:{port}"))
        .api_key("secret-key")
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let err = client.get_job().job_id("j").send().await.unwrap_err();
    let printed = as_main_prints(err.into());
    assert_eq!(
        printed,
        format!("Error: get_job: cannot connect to 127.0.0.1:{port}: connection refused")
    );
    let err = client.get_job().send().await.unwrap_err();
    let printed = as_main_prints(err.into());
    assert_eq!(
        printed,
        "Error: invalid request to get_job: job_id was not initialized"
    );
    one_line(&printed);
}

#[test]
fn config_error() {
    let err = Client::builder().env_lookup(|_| None).build().unwrap_err();
    let alternate = format!("{err:#?}");
    let printed = as_main_prints(err.into());
    assert_eq!(
        printed,
        "Error: no Ionworks credentials: set IONWORKS_API_TOKEN or IONWORKS_API_KEY, or pass \
         bearer_token/api_key to Client::builder()"
    );
    one_line(&printed);
    assert!(alternate.starts_with("MissingCredentials {"), "{alternate}");
}

#[tokio::test]
async fn wait_error_names_the_resource_status_code_and_message() {
    let stand_in = StandIn::start().await.unwrap();
    let job = stand_in.add_job(
        Schedule::succeeds_after(std::time::Duration::ZERO, std::time::Duration::ZERO)
            .failing(JobErrorCode::SolverError, "the solver diverged"),
    );
    let err = stand_in
        .client()
        .wait_until_terminal(&job)
        .await
        .unwrap_err();
    let alternate = format!("{err:#?}");
    let printed = as_main_prints(err.into());
    assert_eq!(
        printed,
        format!(
            "Error: job {job} ended unsuccessfully with status failed: SOLVER_ERROR: the solver diverged"
        )
    );
    one_line(&printed);
    assert!(
        alternate.starts_with("Failed(\n    JobResponse {"),
        "{alternate}"
    );
}

/// `?` on a wait's result works in a function returning `ionworks::Result`.
#[tokio::test]
async fn a_wait_error_converts_into_the_crate_result() {
    async fn follow(client: &Client, id: &str) -> ionworks::Result<bool> {
        let job = client.wait_until_terminal(id).await?;
        Ok(job.is_terminal)
    }
    let stand_in = StandIn::start().await.unwrap();
    let done = stand_in.add_job(Schedule::succeeds_after(
        std::time::Duration::ZERO,
        std::time::Duration::ZERO,
    ));
    assert!(follow(&stand_in.client(), &done).await.unwrap());
    let err = follow(&stand_in.client(), "no-such-job").await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
    assert_eq!(
        err.to_string(),
        "404 Not Found from get_job: Job no-such-job not found"
    );
    let failed = stand_in.add_job(
        Schedule::succeeds_after(std::time::Duration::ZERO, std::time::Duration::ZERO)
            .failing(JobErrorCode::ModelError, "bad parameter"),
    );
    let err = follow(&stand_in.client(), &failed).await.unwrap_err();
    assert_eq!(err.kind(), ionworks::ErrorKind::Other);
    assert_eq!(
        err.to_string(),
        format!("job {failed} ended unsuccessfully with status failed: MODEL_ERROR: bad parameter")
    );
}
