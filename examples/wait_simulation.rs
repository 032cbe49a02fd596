//! Polls made and detection lag of `wait_until_terminal`'s default policy
//! against fixed 2 s polling, on tokio's virtual clock (no real waiting).
//!
//! ```sh
//! cargo run --release --example wait_simulation          # 50 ms round trips
//! cargo run --release --example wait_simulation -- 80    # 80 ms round trips
//! ```
//!
//! For each nominal duration `d`, 500 jobs last a duration drawn uniformly
//! from `[0.8 d, 1.2 d]` (a fixed duration would let a fixed interval get
//! lucky); every poll takes a simulated round trip (50 ms unless given in
//! milliseconds on the command line), the server reading the status halfway
//! through it. Lag is the time from the job becoming terminal to the wait
//! returning; the wait's time is the time from its start to its return
//! (the job's duration plus the lag).
//!
//! Each row gives, for the default policy, the mean polls and lag, the
//! worst lag of the 500 waits in seconds and as a fraction of that wait's
//! time, and whether every wait kept the promise `lag ≤ max(0.5 s, 15% of
//! the wait's time)`; then fixed 2 s polling over the same durations, and
//! the default policy's polls as a share of fixed 2 s polling's. The targets:
//! every wait keeps the promise, and on rows of `d ≥ 300 s` the default
//! policy makes at most a third of fixed 2 s polling's polls.

use std::time::Duration;

use ionworks::ApiError;
use ionworks::wait::{Phase, Pollable, Wait, WaitPolicy};
use tokio::time::Instant;

const NOMINAL: [u64; 8] = [1, 3, 10, 30, 60, 300, 600, 3600];
const DRAWS: usize = 500;

#[derive(Clone, Debug)]
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

/// One wait for a job lasting `duration`.
struct Run {
    polls: u32,
    /// Seconds from the job's end to the wait's return.
    lag: f64,
    /// Seconds from the wait's start to its return.
    waited: f64,
}

impl Run {
    /// `lag ≤ max(0.5 s, 15% of the wait's time)`.
    fn kept(&self) -> bool {
        self.lag <= (0.15 * self.waited).max(0.5)
    }
}

async fn run(policy: WaitPolicy, duration: Duration, round_trip: Duration) -> Run {
    let start = Instant::now();
    let mut polls = 0;
    let wait = Wait::from_fn("sim", || {
        polls += 1;
        async move {
            tokio::time::sleep(round_trip / 2).await;
            let done = Instant::now() - start >= duration;
            tokio::time::sleep(round_trip / 2).await;
            Ok::<_, ApiError>(SimJob { done })
        }
    });
    wait.policy(policy.with_timeout(Duration::from_secs(4 * 3600)))
        .await
        .expect("the simulated job ends");
    let waited = (Instant::now() - start).as_secs_f64();
    Run {
        polls,
        lag: waited - duration.as_secs_f64(),
        waited,
    }
}

async fn runs(policy: &WaitPolicy, durations: &[Duration], round_trip: Duration) -> Vec<Run> {
    let mut out = Vec::with_capacity(durations.len());
    for duration in durations {
        out.push(run(policy.clone(), *duration, round_trip).await);
    }
    out
}

fn mean(runs: &[Run], f: impl Fn(&Run) -> f64) -> f64 {
    runs.iter().map(f).sum::<f64>() / runs.len() as f64
}

fn worst(runs: &[Run], f: impl Fn(&Run) -> f64) -> f64 {
    runs.iter().map(f).fold(0.0, f64::max)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let round_trip_ms: u64 = match std::env::args().nth(1) {
        Some(arg) => arg
            .parse()
            .expect("the round trip in milliseconds, e.g. 50"),
        None => 50,
    };
    let round_trip = Duration::from_millis(round_trip_ms);
    tokio::time::pause();
    let mut rng = fastrand::Rng::with_seed(20_261_129);
    let default = WaitPolicy::default();
    let fixed = WaitPolicy::fixed(Duration::from_secs(2));
    println!("default policy: {default:?}");
    println!(
        "{DRAWS} durations per row, uniform in [0.8 d, 1.2 d]; {round_trip_ms} ms round trips\n"
    );
    println!(
        "| d (s) | polls | mean lag (s) | worst lag (s) | worst lag / wait | every wait ≤ max(0.5 s, 15%) | fixed 2 s polls | fixed 2 s lag (s) | polls vs fixed 2 s |"
    );
    println!("|---:|---:|---:|---:|---:|:---:|---:|---:|---:|");
    let mut all_met = true;
    // The largest share of fixed 2 s polling's polls made by one wait on a
    // job of 300 s or more.
    let mut long_share: f64 = 0.0;
    for d in NOMINAL {
        let durations: Vec<Duration> = (0..DRAWS)
            .map(|_| Duration::from_secs_f64(d as f64 * (0.8 + 0.4 * rng.f64())))
            .collect();
        let ours = runs(&default, &durations, round_trip).await;
        let theirs = runs(&fixed, &durations, round_trip).await;
        let kept = ours.iter().all(Run::kept);
        let polls = mean(&ours, |r| f64::from(r.polls));
        let fixed_polls = mean(&theirs, |r| f64::from(r.polls));
        let share = polls / fixed_polls;
        for ((duration, a), b) in durations.iter().zip(&ours).zip(&theirs) {
            if *duration >= Duration::from_secs(300) {
                long_share = long_share.max(f64::from(a.polls) / f64::from(b.polls));
            }
        }
        let share_ok = d < 300 || share <= 1.0 / 3.0;
        all_met &= kept && share_ok;
        let mark = |ok: bool| if ok { "yes" } else { "NO" };
        println!(
            "| {d} | {polls:.1} | {:.2} | {:.2} | {:.1}% | {} | {fixed_polls:.1} | {:.2} | {:.0}%{} |",
            mean(&ours, |r| r.lag),
            worst(&ours, |r| r.lag),
            100.0 * worst(&ours, |r| r.lag / r.waited),
            mark(kept),
            mean(&theirs, |r| r.lag),
            100.0 * share,
            if d >= 300 {
                format!(" (≤ ⅓: {})", mark(share_ok))
            } else {
                String::new()
            },
        );
    }
    all_met &= long_share <= 1.0 / 3.0;
    println!(
        "\nmost polls of one wait on a job of 300 s or more: {:.1}% of fixed 2 s polling's",
        100.0 * long_share
    );
    println!("all targets {}", if all_met { "met" } else { "NOT met" });
}
