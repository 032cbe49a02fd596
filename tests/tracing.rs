//! One `ionworks.request` span per call, with its fields, and no secret in
//! anything traced.

mod common;

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

const KEY: &str = "key-SECRET-trace";

/// Span name and recorded fields.
type SpanRecord = (String, BTreeMap<String, String>);

/// Records every span (name and fields) and every event as text.
#[derive(Default, Clone)]
struct Recorder {
    spans: Arc<Mutex<BTreeMap<u64, SpanRecord>>>,
    events: Arc<Mutex<Vec<String>>>,
    next: Arc<AtomicU64>,
}

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.0
            .insert(field.name().to_string(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_string(), value.to_string());
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, attrs: &Attributes<'_>) -> Id {
        let id = self.next.fetch_add(1, Ordering::SeqCst) + 1;
        let mut fields = BTreeMap::new();
        attrs.record(&mut Fields(&mut fields));
        self.spans
            .lock()
            .unwrap()
            .insert(id, (attrs.metadata().name().to_string(), fields));
        Id::from_u64(id)
    }
    fn record(&self, span: &Id, values: &Record<'_>) {
        if let Some((_, fields)) = self.spans.lock().unwrap().get_mut(&span.into_u64()) {
            values.record(&mut Fields(fields));
        }
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut fields = BTreeMap::new();
        event.record(&mut Fields(&mut fields));
        self.events
            .lock()
            .unwrap()
            .push(format!("{} {fields:?}", event.metadata().target()));
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[tokio::test(flavor = "current_thread")]
async fn one_span_per_request_without_secrets() {
    let recorder = Recorder::default();
    let _guard = tracing::subscriber::set_default(recorder.clone());
    let server = common::serve(vec![
        (503, "{}".into()),
        (200, common::job_json("j 1", "pending").to_string()),
        (404, r#"{"detail":"nope"}"#.into()),
    ])
    .await;
    let client = ionworks::Client::builder()
        .base_url(&server.url)
        .api_key(KEY)
        .organization_id("org-7")
        .retry_policy(
            ionworks::RetryPolicy::default()
                .with_initial_backoff(std::time::Duration::from_millis(1)),
        )
        .build()
        .unwrap();
    client.get_job().job_id("j 1").send().await.unwrap();
    client.cancel_job().job_id("j 1").send().await.unwrap_err();

    let spans = recorder.spans.lock().unwrap().clone();
    let ours: Vec<&BTreeMap<String, String>> = spans
        .values()
        .filter(|(name, _)| name == "ionworks.request")
        .map(|(_, fields)| fields)
        .collect();
    assert_eq!(ours.len(), 2, "{spans:?}");
    let get = ours[0];
    assert_eq!(get["operation"], "get_job");
    assert_eq!(get["method"], "GET");
    assert_eq!(get["path"], "/jobs/j%201");
    assert_eq!(get["status"], "200");
    assert_eq!(get["retries"], "1");
    assert!(get["duration_ms"].parse::<u64>().is_ok());
    let cancel = ours[1];
    assert_eq!(cancel["operation"], "cancel_job");
    assert_eq!(cancel["method"], "POST");
    assert_eq!(cancel["path"], "/jobs/j%201/cancel");
    assert_eq!(cancel["status"], "404");
    assert_eq!(cancel["retries"], "0");

    let events = recorder.events.lock().unwrap().clone();
    assert!(
        events.iter().any(|e| e.contains("retrying request")),
        "{events:?}"
    );
    let everything = format!("{spans:?} {events:?}");
    assert!(!everything.contains("SECRET"), "{everything}");
    assert!(!everything.contains("nope"), "no bodies: {everything}");
}

#[tokio::test(flavor = "current_thread")]
async fn redirects_are_traced_without_secrets() {
    let recorder = Recorder::default();
    let _guard = tracing::subscriber::set_default(recorder.clone());
    let other = common::serve(vec![(200, common::job_json("j1", "pending").to_string())]).await;
    let api = common::serve_replies(vec![
        common::Reply::new(307, "").header("location", &format!("{}/jobs/j1?t=1", other.url)),
    ])
    .await;
    let client = ionworks::Client::builder()
        .base_url(&api.url)
        .api_key(KEY)
        .build()
        .unwrap();
    client.get_job().job_id("j1").send().await.unwrap();
    let e = client.cancel_job().job_id("j1").send().await.unwrap_err();

    let events = recorder.events.lock().unwrap().clone();
    let followed = events
        .iter()
        .find(|e| e.contains("following redirect"))
        .expect("traced");
    assert!(followed.contains(&other.url), "{followed}");
    assert!(
        events.iter().any(|e| e.contains("redirect not followed")),
        "{events:?}"
    );
    let spans = recorder.spans.lock().unwrap().clone();
    let everything = format!("{spans:?} {events:?} {e} {e:?}");
    assert!(!everything.contains("SECRET"), "{everything}");
    assert!(!everything.contains("t=1"), "only origins: {everything}");
}

#[tokio::test(flavor = "current_thread")]
async fn a_callers_client_that_follows_redirects_is_reported() {
    let recorder = Recorder::default();
    let _guard = tracing::subscriber::set_default(recorder.clone());
    let other = common::serve(vec![(200, common::job_json("j1", "pending").to_string())]).await;
    let api = common::serve_replies(vec![
        common::Reply::new(302, "").header("location", &format!("{}/jobs/j1", other.url)),
    ])
    .await;
    let http = ionworks::http_client_builder()
        .unwrap()
        .redirect(ionworks::reqwest::redirect::Policy::limited(10))
        .build()
        .unwrap();
    let client = ionworks::Client::builder()
        .base_url(&api.url)
        .api_key(KEY)
        .http_client(http)
        .build()
        .unwrap();
    client.get_job().job_id("j1").send().await.unwrap();
    let events = recorder.events.lock().unwrap().clone();
    assert!(
        events.iter().any(
            |e| e.contains("followed a redirect to another origin itself")
                && e.contains(&other.url)
        ),
        "{events:?}"
    );
    assert!(!format!("{events:?}").contains("SECRET"));
}
