//! Uploads (`ionworks::upload`) on the wire and under retries: against the
//! stand-in, which parses forms with multer (axum's multipart parser), and
//! against a canned server for the failures.
#![cfg(feature = "testing")]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use common::Reply;
use ionworks::reqwest::Method;
use ionworks::testing::StandIn;
use ionworks::upload::{FilePart, Form};
use ionworks::{Client, RetryPolicy};
use serde_json::{Value, json};

fn fnv(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

fn scratch(name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ionworks-upload-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

async fn echo(client: &Client, form: Form) -> Value {
    client
        .request(Method::POST, "/ecm/fit-from-file")
        .form(form)
        .decode()
        .await
        .unwrap()
}

#[tokio::test]
async fn every_kind_of_field_on_the_wire() {
    let stand_in = StandIn::start().await.unwrap();
    let client = stand_in.client();
    let csv = b"time,voltage\n0,4.2\n1,4.1\n".repeat(1000);
    let path = scratch("cycle.csv", &csv);
    let blob: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    let streamed = Bytes::from_static(b"streamed bytes, sent once");
    let chunks = futures_util::stream::iter(
        streamed
            .chunks(5)
            .map(|c| Ok::<_, std::io::Error>(Bytes::copy_from_slice(c)))
            .collect::<Vec<_>>(),
    );
    let form = Form::multipart()
        .text("name", "cell \"7\"\r\n")
        .json("temperature", &25.5)
        .unwrap()
        .json("tags", &["a", "b"])
        .unwrap()
        .json("options", &json!({"model": "2RC", "fit": [1, 2]}))
        .unwrap()
        .json("nothing", &Value::Null)
        .unwrap()
        .file("file", FilePart::path(&path))
        .file(
            "blob",
            FilePart::bytes("blob.bin", blob.clone()).content_type("application/x-blob"),
        )
        .files(
            "extra",
            [
                FilePart::bytes("a.json", br#"{"a":1}"#.to_vec()),
                FilePart::stream("s.txt", chunks, Some(streamed.len() as u64)),
            ],
        );
    let echoed = echo(&client, form).await;
    assert!(
        echoed["content_type"]
            .as_str()
            .unwrap()
            .starts_with("multipart/form-data; boundary=")
    );
    let parts: Vec<Value> = echoed["parts"].as_array().unwrap().clone();
    let summary: Vec<(String, Value, Value, u64)> = parts
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["file_name"].clone(),
                p["content_type"].clone(),
                p["size"].as_u64().unwrap(),
            )
        })
        .collect();
    let s = |x: &str| json!(x);
    assert_eq!(
        summary,
        vec![
            ("name".into(), Value::Null, Value::Null, 10),
            ("temperature".into(), Value::Null, Value::Null, 4),
            ("tags".into(), Value::Null, Value::Null, 1),
            ("tags".into(), Value::Null, Value::Null, 1),
            ("options".into(), Value::Null, Value::Null, 27),
            (
                "file".into(),
                s("cycle.csv"),
                s("text/csv"),
                csv.len() as u64
            ),
            (
                "blob".into(),
                s("blob.bin"),
                s("application/x-blob"),
                70_000
            ),
            ("extra".into(), s("a.json"), s("application/json"), 7),
            (
                "extra".into(),
                s("s.txt"),
                s("text/plain"),
                streamed.len() as u64
            ),
        ]
    );
    assert_eq!(
        parts[0]["text"], "cell \"7\"\r\n",
        "quotes and line breaks survive"
    );
    assert_eq!(parts[1]["text"], "25.5");
    assert_eq!(
        (parts[2]["text"].clone(), parts[3]["text"].clone()),
        (s("a"), s("b"))
    );
    assert_eq!(
        serde_json::from_str::<Value>(parts[4]["text"].as_str().unwrap()).unwrap(),
        json!({"model": "2RC", "fit": [1, 2]})
    );
    assert_eq!(parts[5]["fnv1a64"], fnv(&csv));
    assert_eq!(parts[6]["fnv1a64"], fnv(&blob));
    assert_eq!(parts[8]["fnv1a64"], fnv(&streamed));
    // Every length was known: the body was sent with Content-Length.
    let log = stand_in.requests();
    assert!(
        log[0].header("content-length").is_some(),
        "{:?}",
        log[0].headers
    );
}

#[tokio::test]
async fn url_encoded_forms_repeat_arrays_and_refuse_files() {
    let stand_in = StandIn::start().await.unwrap();
    let client = stand_in.client();
    let form = Form::urlencoded()
        .fields(&json!({"display_title": "Sales & Ops", "readonly": false, "ids": [1, 2], "meta": {"k": "v"}}))
        .unwrap();
    let echoed = echo(&client, form).await;
    assert_eq!(echoed["content_type"], "application/x-www-form-urlencoded");
    let pairs: Vec<(String, String)> = echoed["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().into(),
                p["text"].as_str().unwrap().into(),
            )
        })
        .collect();
    let p = |k: &str, v: &str| (k.to_string(), v.to_string());
    assert_eq!(
        pairs,
        [
            p("display_title", "Sales & Ops"),
            p("ids", "1"),
            p("ids", "2"),
            p("meta", r#"{"k":"v"}"#),
            p("readonly", "false"),
        ]
    );
    let err = client
        .request(Method::POST, "/ecm/fit-from-file")
        .form(Form::urlencoded().file("file", FilePart::bytes("x", vec![1])))
        .send()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("cannot carry"), "{err}");
    assert_eq!(
        stand_in.requests().len(),
        1,
        "the refused form was not sent"
    );
}

#[tokio::test]
async fn progress_counts_up_to_the_total() {
    let stand_in = StandIn::start().await.unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let form = Form::multipart()
        .file("file", FilePart::bytes("big.bin", vec![7u8; 300_000]))
        .on_progress(move |sent, total| log.lock().unwrap().push((sent, total)));
    echo(&stand_in.client(), form).await;
    let seen = seen.lock().unwrap().clone();
    let total = seen[0].1.expect("known length");
    assert!(total > 300_000);
    assert_eq!(seen.first().unwrap().0, 0);
    assert_eq!(seen.last().unwrap(), &(total, Some(total)));
    assert!(seen.windows(2).all(|w| w[0].0 <= w[1].0), "monotonic");
}

fn fast() -> RetryPolicy {
    RetryPolicy::default()
        .with_initial_backoff(Duration::from_millis(50))
        .with_max_backoff(Duration::from_millis(100))
}

/// The client retries a POST whose connection never opened: a path-backed
/// file is read again from its start, and a stream that was never read is
/// sent as it is.
#[tokio::test]
async fn a_connection_that_never_opened_is_retried_with_the_whole_body() {
    let csv = b"a,b\n1,2\n".repeat(5000);
    let path = scratch("late.csv", &csv);
    for part in [
        FilePart::path(&path),
        FilePart::stream(
            "late.csv",
            futures_util::stream::iter([Ok::<_, std::io::Error>(Bytes::from(csv.clone()))]),
            Some(csv.len() as u64),
        ),
    ] {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let late = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(120)).await;
            let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
                .await
                .unwrap();
            common::serve_on(listener, vec![Reply::new(200, "{}")])
        });
        let client = Client::builder()
            .base_url(format!("http://127.0.0.1:{port}"))
            .api_key("k")
            .retry_policy(fast().with_max_retries(10))
            .build()
            .unwrap();
        client
            .request(Method::POST, "/ecm/fit-from-file")
            .form(Form::multipart().file("file", part))
            .send()
            .await
            .unwrap();
        let server = late.await.unwrap();
        let seen = server.seen.lock().unwrap().clone();
        assert_eq!(seen.len(), 1);
        let body = &seen[0].body;
        assert!(
            body.windows(csv.len()).any(|w| w == &csv[..]),
            "the whole file, once"
        );
    }
}

#[tokio::test]
async fn a_post_answered_429_is_sent_again_unless_its_stream_was_read() {
    // A path: read again from the start.
    let path = scratch("again.csv", b"x,y\n1,2\n");
    let server = common::serve_replies(vec![Reply::new(429, "{}"), Reply::new(200, "{}")]).await;
    let client = Client::builder()
        .base_url(&server.url)
        .api_key("k")
        .retry_policy(fast())
        .build()
        .unwrap();
    client
        .request(Method::POST, "/ecm/fit-from-file")
        .form(Form::multipart().file("file", FilePart::path(&path)))
        .send()
        .await
        .unwrap();
    let seen = server.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].body.len(), seen[1].body.len());
    assert_eq!(
        seen[0].header("content-type"),
        seen[1].header("content-type")
    );

    // A stream, read by the first attempt: not sent again, and the error says so.
    let server = common::serve_replies(vec![
        Reply::new(429, r#"{"detail":"Too Many Requests"}"#),
        Reply::new(200, "{}"),
    ])
    .await;
    let client = Client::builder()
        .base_url(&server.url)
        .api_key("k")
        .retry_policy(fast())
        .build()
        .unwrap();
    let stream = futures_util::stream::iter([Ok::<_, std::io::Error>(Bytes::from_static(b"once"))]);
    let err = client
        .request(Method::POST, "/ecm/fit-from-file")
        .form(Form::multipart().file("file", FilePart::stream("s.bin", stream, Some(4))))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(429));
    assert_eq!(
        err.to_string(),
        "429 Too Many Requests from POST /ecm/fit-from-file: Too Many Requests \
         (not retried: the upload stream was already sent and cannot be read again)"
    );
    assert_eq!(server.seen.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_post_that_may_have_been_processed_is_never_sent_again() {
    let path = scratch("once.csv", b"x\n1\n");
    let server = common::serve(vec![(503, "{}".into()), (200, "{}".into())]).await;
    let client = Client::builder()
        .base_url(&server.url)
        .api_key("k")
        .retry_policy(fast())
        .build()
        .unwrap();
    let err = client
        .request(Method::PATCH, "/material_property_datasets")
        .segment("ds-1")
        .segment("file")
        .form(Form::multipart().file("file", FilePart::path(&path)))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert!(err.is_retryable(), "transient, but a PATCH is not resent");
    assert_eq!(server.seen.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_missing_file_is_an_error_naming_it_and_nothing_is_sent() {
    let stand_in = StandIn::start().await.unwrap();
    let err = stand_in
        .client()
        .request(Method::POST, "/ecm/fit-from-file")
        .form(Form::multipart().file("file", FilePart::path("/nonexistent/dir/cycle.csv")))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ionworks::ErrorKind::InvalidRequest);
    assert!(
        err.to_string().contains("/nonexistent/dir/cycle.csv"),
        "{err}"
    );
    assert!(stand_in.requests().is_empty());
}
