//! The typed mocks generated for real specs, exercised where progenitor's
//! own mock code does not compile or does not match what the client sends
//! (see `fix_mocks` in `codegen/src/syntax/mocks.rs`).
//!
//! The skyvern client is compiled only when its document is available
//! (`IONWORKS_CONFORMANCE_DIR`); none of the vendored documents has an array
//! query parameter, so that test runs only then.

use httpmock::MockServer;
use ionworks_conformance::{CLIENTS, prefect};

/// In a workspace build reqwest may have rustls without a crypto provider
/// (`ionworks`'s default `rustls` feature), and it sets up TLS whenever a
/// client is built, even for plain HTTP: the generated `Client::new` needs a
/// provider installed process-wide, as in an application.
fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Says which generated clients this build compiled, and why one is missing.
#[test]
fn report_the_compiled_clients() {
    let mut line = format!(
        "ionworks-conformance: generated clients compiled: {}",
        CLIENTS.join(", ")
    );
    for name in ["prefect", "skyvern"] {
        if !CLIENTS.contains(&name) {
            match ionworks_corpus::document(name).path() {
                Err(unavailable) => line += &format!("; not compiled: {unavailable}"),
                Ok(path) => panic!(
                    "{name} is available at {} but its client was not compiled",
                    path.display()
                ),
            }
        }
    }
    ionworks_corpus::report(&line);
}

#[cfg(conformance_skyvern)]
#[tokio::test]
async fn an_array_query_parameter_matches_one_pair_per_item() {
    use ionworks_conformance::skyvern;
    use skyvern::mock::MockServerExt;
    use skyvern::types::WorkflowStatus;

    let server = MockServer::start_async().await;
    let both = server.get_workflows_v1_workflows_get(|when, then| {
        when.status(&vec![WorkflowStatus::Published, WorkflowStatus::Draft]);
        then.ok(&vec![]);
    });
    let none = server.get_workflows_v1_workflows_get(|when, then| {
        when.status(&vec![]);
        then.ok(&vec![]);
    });
    install_crypto_provider();
    let client = skyvern::Client::new(&server.base_url());

    let workflows = client
        .get_workflows_v1_workflows_get()
        .status(vec![WorkflowStatus::Published, WorkflowStatus::Draft])
        .send()
        .await
        .expect("the mock matches both items");
    assert!(workflows.is_empty());
    both.assert_async().await;

    client
        .get_workflows_v1_workflows_get()
        .send()
        .await
        .expect("an empty array matches a request without the parameter");
    none.assert_async().await;

    let err = client
        .get_workflows_v1_workflows_get()
        .status(vec![WorkflowStatus::Published])
        .send()
        .await
        .expect_err("one item is missing, so neither mock matches");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
    assert!(
        err.to_string()
            .starts_with("404 Not Found from get_workflows_v1_workflows_get"),
        "{err}"
    );
    assert_eq!(both.calls_async().await, 1);
    assert_eq!(none.calls_async().await, 1);
}

#[tokio::test]
async fn a_response_of_a_primitive_type_is_mocked_by_value() {
    use prefect::mock::MockServerExt;

    let server = MockServer::start_async().await;
    let count = server.count_flows(|_, then| {
        then.ok(42);
    });
    install_crypto_provider();
    let n = prefect::Client::new(&server.base_url())
        .count_flows()
        .body(prefect::types::BodyCountFlowsFlowsCountPost::default())
        .send()
        .await
        .expect("the mock answers 200");
    assert_eq!(n.into_inner(), 42);
    count.assert_async().await;
}

#[tokio::test]
async fn every_operation_returns_the_sdk_error_type() {
    use prefect::mock::MockServerExt;
    install_crypto_provider();

    let server = MockServer::start_async().await;
    // A documented 422 decodes into the spec's own error body, reachable
    // typed from `ionworks::ApiError`.
    server.count_flows(|_, then| {
        then.unprocessable_entity(
            &serde_json::from_value(serde_json::json!({"detail": [
                {"loc": ["body", "flows"], "msg": "bad filter", "type": "value_error"}
            ]}))
            .unwrap(),
        );
    });
    let err: ionworks::ApiError = prefect::Client::new(&server.base_url())
        .count_flows()
        .body(prefect::types::BodyCountFlowsFlowsCountPost::default())
        .send()
        .await
        .expect_err("the mock answers 422");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(422));
    assert_eq!(err.operation(), Some("count_flows"));
    let body = err
        .error_body::<prefect::types::HttpValidationError>()
        .expect("the documented error body, typed");
    assert_eq!(body.detail.len(), 1);
    // A path parameter that would leave its segment is refused, naming it.
    let err = prefect::Client::new(&server.base_url())
        .read_flow()
        .id(uuid::Uuid::nil())
        .send()
        .await
        .expect_err("nothing is mocked");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
}
