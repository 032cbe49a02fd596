//! Polls made and detection lag of `wait_until_terminal`'s default policy
//! against fixed-interval polling, on tokio's virtual clock (no real waiting).
//!
//! ```sh
//! cargo run --example wait_simulation
//! ```
//!
//! A job lasts `D` seconds from submission; every poll takes 50 ms of
//! simulated round trip. Lag is the time from the job becoming terminal to
//! the wait returning. The default policy has jitter, so its rows are the
//! mean of 200 runs.

use std::time::Duration;

use ionworks::{ApiError, Phase, Pollable, Wait, WaitPolicy};
use tokio::time::Instant;

const LATENCY: Duration = Duration::from_millis(50);
const DURATIONS: [u64; 7] = [1, 3, 10, 30, 60, 300, 600];

#[derive(Clone)]
struct SimJob {
    done: bool,
}

impl Pollable for SimJob {
    const KIND: &'static str = "simulated job";
    fn status_text(&self) -> String {
        if self.done { "completed" } else { "processing" }.into()
    }
    fn phase(&self) -> Phase {
        if self.done {
            Phase::Succeeded
        } else {
            Phase::Running
        }
    }
    fn status_unknown(&self) -> bool {
        false
    }
}

/// (polls, lag in seconds) of one wait for a job lasting `duration`.
async fn run(policy: WaitPolicy, duration: Duration) -> (u32, f64) {
    let start = Instant::now();
    let mut polls = 0;
    let wait = Wait::from_fn("sim", || {
        polls += 1;
        async move {
            // The server reads the status halfway through the round trip.
            tokio::time::sleep(LATENCY / 2).await;
            let done = Instant::now() - start >= duration;
            tokio::time::sleep(LATENCY / 2).await;
            Ok::<_, ApiError>(SimJob { done })
        }
    });
    wait.policy(WaitPolicy {
        timeout: Duration::from_secs(7200),
        ..policy
    })
    .await
    .ok();
    let lag = (Instant::now() - start).as_secs_f64() - duration.as_secs_f64();
    (polls, lag)
}

async fn mean(policy: &WaitPolicy, duration: Duration, runs: u32) -> (f64, f64) {
    let (mut polls, mut lag) = (0.0, 0.0);
    for _ in 0..runs {
        let (p, l) = run(policy.clone(), duration).await;
        polls += f64::from(p);
        lag += l;
    }
    (polls / f64::from(runs), lag / f64::from(runs))
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    tokio::time::pause();
    let default = WaitPolicy::default();
    println!("default policy: {default:?}\n");
    println!(
        "| job (s) | default polls | default lag (s) | fixed 2 s polls | fixed 2 s lag (s) | fixed 3 s polls | fixed 3 s lag (s) |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for d in DURATIONS {
        let duration = Duration::from_secs(d);
        let (dp, dl) = mean(&default, duration, 200).await;
        let (f2p, f2l) = mean(&WaitPolicy::fixed(Duration::from_secs(2)), duration, 1).await;
        let (f3p, f3l) = mean(&WaitPolicy::fixed(Duration::from_secs(3)), duration, 1).await;
        println!("| {d} | {dp:.1} | {dl:.2} | {f2p:.0} | {f2l:.2} | {f3p:.0} | {f3l:.2} |");
    }
}
