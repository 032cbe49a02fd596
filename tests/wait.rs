//! `wait_until_terminal` and friends over real HTTP on 127.0.0.1, against the
//! embedded stand-in (and a canned server for statuses the stand-in never sends).
// `POST /jobs` (submit_job) is deprecated: the live server answers 410.
// These tests exercise it as an older server (and the stand-in's switch) take it.
#![allow(deprecated)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ionworks::RetryPolicy;
use ionworks::testing::{Fault, Schedule, StandIn};
use ionworks::types::{DomainStatus, JobErrorCode, JobStatus, JobType, SubmitJobRequest};
use ionworks::wait::{UpdateKind, Wait, WaitError, WaitMany, WaitPolicy};

fn fast() -> WaitPolicy {
    WaitPolicy::default()
        .with_min_delay(Duration::from_millis(50))
        .with_max_delay(Duration::from_millis(100))
        .with_timeout(Duration::from_secs(20))
}

fn dummy() -> SubmitJobRequest {
    SubmitJobRequest::builder()
        .job_type(JobType::Dummy)
        .params(serde_json::Map::new())
        .try_into()
        .unwrap()
}

async fn submit(client: &ionworks::Client) -> String {
    client
        .submit_job()
        .body(dummy())
        .send()
        .await
        .unwrap()
        .into_inner()
        .job_id
}

#[tokio::test]
async fn pending_processing_completed() {
    let stand_in = StandIn::start().await.unwrap();
    stand_in.accept_job_submissions(true);
    stand_in.push_job_schedule(Schedule::succeeds_after(
        Duration::from_millis(150),
        Duration::from_millis(150),
    ));
    let client = stand_in.client();
    let id = submit(&client).await;
    let mut seen = Vec::new();
    let job = client
        .wait_until_terminal(&id)
        .policy(fast())
        .observe(|u| seen.push((u.kind.clone(), u.status.clone())))
        .await
        .unwrap();
    assert_eq!(job.status, JobStatus::Completed);
    assert_eq!(
        seen,
        [
            (UpdateKind::StatusChanged, "pending".to_string()),
            (UpdateKind::StatusChanged, "processing".to_string()),
            (UpdateKind::StatusChanged, "completed".to_string()),
        ]
    );
}

#[tokio::test]
async fn failed_job_is_an_error_carrying_error_and_code() {
    let stand_in = StandIn::start().await.unwrap();
    stand_in.accept_job_submissions(true);
    stand_in.push_job_schedule(
        Schedule::succeeds_after(Duration::ZERO, Duration::from_millis(100))
            .failing(JobErrorCode::SolverError, "diverged"),
    );
    let client = stand_in.client();
    let id = submit(&client).await;
    let err = client
        .wait_until_terminal(&id)
        .policy(fast())
        .await
        .unwrap_err();
    let WaitError::Failed(job) = err else {
        panic!("{err}")
    };
    assert_eq!(job.status, JobStatus::Failed);
    assert_eq!(job.error.as_deref(), Some("diverged"));
    assert_eq!(job.error_code, Some(JobErrorCode::SolverError));
    // Or as a value, when asked to.
    let job = client
        .wait_until_terminal(&id)
        .policy(fast())
        .accept_failed(true)
        .await
        .unwrap();
    assert!(job.is_failed);
}

#[tokio::test]
async fn canceled_job_ends_the_wait_as_failed() {
    let stand_in = StandIn::start().await.unwrap();
    stand_in.accept_job_submissions(true);
    stand_in.push_job_schedule(Schedule::manual());
    let client = stand_in.client();
    let id = submit(&client).await;
    let canceller = {
        let client = client.clone();
        let id = id.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(150)).await;
            client.cancel_job().job_id(&id).send().await.unwrap();
        })
    };
    let err = client
        .wait_until_terminal(&id)
        .policy(fast())
        .await
        .unwrap_err();
    canceller.await.unwrap();
    let WaitError::Failed(job) = err else {
        panic!("{err}")
    };
    assert_eq!(job.status, JobStatus::Canceled);
}

#[tokio::test]
async fn unknown_status_on_the_way_is_reported_and_not_terminal() {
    let mut mystery = common::job_json("j", "quarantined");
    mystery["is_terminal"] = false.into();
    let server = common::serve(vec![
        (200, common::job_json("j", "pending").to_string()),
        (200, mystery.to_string()),
        (200, mystery.to_string()),
        (200, common::job_json("j", "completed").to_string()),
    ])
    .await;
    let client = common::client(&server.url);
    let mut kinds = Vec::new();
    let job = client
        .wait_until_terminal("j")
        .policy(fast())
        .observe(|u| kinds.push(u.kind.clone()))
        .await
        .unwrap();
    assert_eq!(job.status, JobStatus::Completed);
    assert_eq!(
        kinds,
        [
            UpdateKind::StatusChanged,
            UpdateKind::UnknownStatus,
            UpdateKind::StatusChanged
        ]
    );
    assert_eq!(server.seen.lock().unwrap().len(), 4);
}

#[tokio::test]
async fn thirty_percent_faulty_polls_still_reach_the_outcome() {
    let stand_in = StandIn::start().await.unwrap();
    stand_in.accept_job_submissions(true);
    stand_in.push_job_schedule(Schedule::succeeds_after(
        Duration::from_millis(200),
        Duration::from_millis(400),
    ));
    // Faults must reach the waiter, not the client's own retries.
    let client = stand_in
        .client_builder()
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let id = submit(&client).await;
    let rng = Arc::new(Mutex::new(fastrand::Rng::with_seed(7)));
    let (polls, faults) = (Arc::new(Mutex::new(0)), Arc::new(Mutex::new(0)));
    let wait = Wait::from_fn(id.clone(), {
        let (client, stand_in, polls, faults) =
            (client.clone(), &stand_in, polls.clone(), faults.clone());
        move || {
            *polls.lock().unwrap() += 1;
            let roll = rng.lock().unwrap().f64();
            if roll < 0.3 {
                *faults.lock().unwrap() += 1;
                let fault = match (roll * 10.0) as u32 {
                    0 => Fault::Status(503),
                    1 => Fault::Status(502),
                    _ => Fault::DropConnection,
                };
                stand_in.inject(fault, 1);
            }
            let (client, id) = (client.clone(), id.clone());
            async move {
                client
                    .get_job()
                    .job_id(id)
                    .send()
                    .await
                    .map(|r| r.into_inner())
            }
        }
    });
    let mut transient = 0;
    let job = wait
        .policy(fast())
        .observe(|u| {
            if matches!(u.kind, UpdateKind::TransientError(_)) {
                transient += 1;
            }
        })
        .await
        .unwrap();
    assert_eq!(job.status, JobStatus::Completed);
    let (polls, faults) = (*polls.lock().unwrap(), *faults.lock().unwrap());
    assert!(faults >= 2, "{faults} faults in {polls} polls");
    assert_eq!(transient, faults, "each fault absorbed and reported");
}

#[tokio::test]
async fn rate_limited_poll_waits_for_retry_after() {
    let stand_in = StandIn::start().await.unwrap();
    stand_in.accept_job_submissions(true);
    stand_in.push_job_schedule(Schedule::succeeds_after(
        Duration::ZERO,
        Duration::from_millis(50),
    ));
    let client = stand_in
        .client_builder()
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let id = submit(&client).await;
    stand_in.clear_requests();
    stand_in.inject(
        Fault::RateLimited {
            retry_after: Duration::from_secs(1),
        },
        1,
    );
    let job = client
        .wait_until_terminal(&id)
        .policy(fast())
        .await
        .unwrap();
    assert_eq!(job.status, JobStatus::Completed);
    let log = stand_in.requests();
    assert_eq!(log[0].status, Some(429));
    assert!(log[1].received_at - log[0].received_at >= Duration::from_millis(990));
}

#[tokio::test]
async fn not_found_ends_the_wait_at_once() {
    let stand_in = StandIn::start().await.unwrap();
    stand_in.accept_job_submissions(true);
    let client = stand_in.client();
    let err = client
        .wait_until_terminal("no-such-job")
        .policy(fast())
        .await
        .unwrap_err();
    let WaitError::Api(e) = &err else {
        panic!("{err}")
    };
    assert_eq!(e.status().unwrap().as_u16(), 404);
    assert_eq!(stand_in.requests().len(), 1);
}

#[tokio::test]
async fn deadline_gives_the_timeout_with_the_last_resource() {
    let stand_in = StandIn::start().await.unwrap();
    stand_in.accept_job_submissions(true);
    stand_in.push_job_schedule(Schedule::manual());
    let client = stand_in.client();
    let id = submit(&client).await;
    let start = Instant::now();
    let err = client
        .wait_until_terminal(&id)
        .policy(fast())
        .timeout(Duration::from_millis(400))
        .await
        .unwrap_err();
    let WaitError::TimedOut {
        last,
        polls,
        elapsed,
    } = err
    else {
        panic!("{err}")
    };
    assert_eq!(last.unwrap().status, JobStatus::Pending);
    assert!(polls >= 4, "{polls}");
    assert!(
        elapsed >= Duration::from_millis(400) && start.elapsed() < Duration::from_secs(2),
        "{elapsed:?}"
    );
}

#[tokio::test]
async fn cancellation_has_its_own_variant_and_cancels_nothing() {
    let stand_in = StandIn::start().await.unwrap();
    stand_in.accept_job_submissions(true);
    stand_in.push_job_schedule(Schedule::manual());
    let client = stand_in.client();
    let id = submit(&client).await;
    let err = client
        .wait_until_terminal(&id)
        .policy(fast())
        .cancel_on(tokio::time::sleep(Duration::from_millis(200)))
        .await
        .unwrap_err();
    assert!(
        matches!(err, WaitError::Cancelled { polls, .. } if polls >= 2),
        "{err}"
    );
    assert_eq!(
        stand_in.job(&id).unwrap().status,
        JobStatus::Pending,
        "nothing cancelled on the server"
    );
    assert!(
        stand_in
            .requests()
            .iter()
            .all(|r| !r.path.ends_with("/cancel"))
    );
}

#[tokio::test]
async fn dropping_the_future_stops_polling() {
    let stand_in = StandIn::start().await.unwrap();
    stand_in.accept_job_submissions(true);
    stand_in.push_job_schedule(Schedule::manual());
    let client = stand_in.client();
    let id = submit(&client).await;
    let task = {
        let client = client.clone();
        tokio::spawn(async move {
            let _ = client.wait_until_terminal(&id).policy(fast()).await;
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    task.abort();
    let _ = task.await;
    let count = stand_in.requests().len();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(stand_in.requests().len(), count, "no polls after the drop");
}

#[tokio::test]
async fn submit_and_wait_and_resubmit_and_wait() {
    let stand_in = StandIn::start().await.unwrap();
    stand_in.accept_job_submissions(true);
    stand_in.set_default_job_schedule(Schedule::succeeds_after(
        Duration::ZERO,
        Duration::from_millis(50),
    ));
    let client = stand_in.client();
    let job = client.submit_and_wait(dummy()).await.unwrap();
    assert_eq!(job.status, JobStatus::Completed);

    let failed = stand_in.add_optimization(
        Schedule::succeeds_after(Duration::ZERO, Duration::ZERO)
            .failing(JobErrorCode::ModelError, "bad model"),
    );
    let err = client
        .wait_for_optimization(&failed)
        .policy(fast())
        .await
        .unwrap_err();
    let WaitError::Failed(o) = err else {
        panic!("{err}")
    };
    assert_eq!(o.status, Some(DomainStatus::Failed));
    stand_in.set_optimization_schedule(
        &failed,
        Schedule::succeeds_after(Duration::ZERO, Duration::from_millis(50)),
    );
    let o = client.resubmit_and_wait(&failed).await.unwrap();
    assert_eq!(o.status, Some(DomainStatus::Succeeded));
}

#[tokio::test]
async fn two_hundred_jobs_within_a_shared_request_budget() {
    let stand_in = StandIn::start().await.unwrap();
    stand_in.accept_job_submissions(true);
    let mut rng = fastrand::Rng::with_seed(42);
    let mut expected = Vec::new();
    let client = stand_in.client();
    for _ in 0..200 {
        let running = Duration::from_millis(rng.u64(0..1500));
        let fails = rng.f64() < 0.25;
        let schedule = Schedule::succeeds_after(Duration::ZERO, running);
        stand_in.push_job_schedule(if fails {
            schedule.failing(JobErrorCode::SolverError, "x")
        } else {
            schedule
        });
        expected.push((submit(&client).await, fails));
    }
    stand_in.clear_requests();
    let per_second = 100.0;
    let outcomes = client
        .wait_for_jobs(
            expected.iter().map(|(id, _)| id.clone()),
            WaitMany::default()
                .with_concurrency(64)
                .with_requests_per_second(per_second)
                .with_policy(fast()),
        )
        .await;
    assert_eq!(outcomes.len(), 200);
    for ((id, outcome), (expected_id, fails)) in outcomes.iter().zip(&expected) {
        assert_eq!(id, expected_id, "outcomes in input order");
        match outcome {
            Ok(job) => assert!(!fails && job.status == JobStatus::Completed, "{id}"),
            Err(WaitError::Failed(job)) => {
                assert!(*fails && job.status == JobStatus::Failed, "{id}")
            }
            Err(e) => panic!("{id}: {e}"),
        }
    }
    // Peak rate: polls arriving in any two-second window. The budget spaces
    // the polls' starts; arrivals can bunch a little on a loaded machine,
    // which a two-second window averages out.
    let times: Vec<Instant> = stand_in.requests().iter().map(|r| r.received_at).collect();
    let window = Duration::from_secs(2);
    let peak = times
        .iter()
        .map(|t| {
            times
                .iter()
                .filter(|u| **u >= *t && **u < *t + window)
                .count()
        })
        .max()
        .unwrap();
    assert!(
        peak as f64 <= 2.0 * per_second + 3.0,
        "peak {peak} polls in 2 s over a budget of {per_second}/s"
    );
    assert!(times.len() >= 200);
}
