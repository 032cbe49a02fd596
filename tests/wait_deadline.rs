//! A wait's deadline is the caller's: a poll in flight is cut at it, the
//! last one included, however slow the server.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ionworks::wait::WaitError;
use tokio::net::TcpListener;

/// A server that accepts connections and never answers; counts them.
async fn silent() -> (String, Arc<Mutex<usize>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let accepted = Arc::new(Mutex::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            *count.lock().unwrap() += 1;
            held.push(socket);
        }
    });
    (url, accepted)
}

#[tokio::test]
async fn a_silent_server_cannot_stretch_the_deadline() {
    let (url, accepted) = silent().await;
    let client = common::client(&url);
    for timeout in [Duration::from_secs(1), Duration::from_millis(1500)] {
        let start = Instant::now();
        let err = client
            .wait_until_terminal("j1")
            .timeout(timeout)
            .await
            .unwrap_err();
        let elapsed = start.elapsed();
        assert!(matches!(err, WaitError::TimedOut { .. }), "{err}");
        assert!(
            elapsed < timeout + Duration::from_secs(1),
            "{timeout:?} wait took {elapsed:?}"
        );
        assert!(!err.to_string().contains('\n'));
    }
    assert!(*accepted.lock().unwrap() >= 2);
}

#[tokio::test]
async fn a_server_that_goes_silent_cannot_stretch_the_deadline() {
    // The first polls answer at once; then the server stops answering.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let running = common::job_json("j1", "running").to_string();
    let server = common::serve_on(listener, vec![common::Reply::new(200, running)]);
    let client = common::client(&server.url);
    let silent_after = Instant::now() + Duration::from_millis(700);
    let (silent_url, _) = silent().await;
    // A client whose requests go to the silent server after a while: the
    // wait's fetch is chosen per poll.
    let silent_client = common::client(&silent_url);
    let start = Instant::now();
    let timeout = Duration::from_secs(2);
    let err = ionworks::wait::Wait::from_fn("j1", || {
        let to = if Instant::now() < silent_after {
            &client
        } else {
            &silent_client
        };
        let request = to.get_job().job_id("j1");
        async move { request.send().await.map(|r| r.into_inner()) }
    })
    .timeout(timeout)
    .min_delay(Duration::from_millis(200))
    .await
    .unwrap_err();
    let elapsed = start.elapsed();
    let WaitError::TimedOut { last, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(last.as_ref().unwrap().status.to_string(), "running");
    assert!(
        elapsed < timeout + Duration::from_secs(1),
        "took {elapsed:?}"
    );
}

#[tokio::test]
async fn a_busy_request_budget_cannot_stretch_the_deadline() {
    use ionworks::wait::{Phase, Pollable, RequestBudget, Wait};

    #[derive(Clone, Debug)]
    struct Running;
    impl Pollable for Running {
        const KIND: &'static str = "thing";
        fn status_text(&self) -> String {
            "running".into()
        }
        fn phase(&self) -> Phase {
            Phase::Running
        }
        fn status_unknown(&self) -> bool {
            false
        }
    }

    // One poll every 30 s: the first poll gets the budget, the next waits.
    let budget = RequestBudget::per_second(1.0 / 30.0);
    let start = Instant::now();
    let timeout = Duration::from_secs(1);
    let err = Wait::from_fn("x", || async { Ok(Running) })
        .budget(budget)
        .timeout(timeout)
        .await
        .unwrap_err();
    let elapsed = start.elapsed();
    assert!(matches!(err, WaitError::TimedOut { polls: 1, .. }), "{err}");
    assert!(
        elapsed < timeout + Duration::from_secs(1),
        "took {elapsed:?}"
    );
}
