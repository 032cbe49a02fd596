//! Polls made and detection lag of `wait_until_terminal`'s default policy
//! against fixed-interval polling, on tokio's virtual clock (no real waiting).
//!
//! ```sh
//! cargo run --release --example wait_simulation
//! ```
//!
//! For each nominal duration `d`, 500 jobs last a duration drawn uniformly
//! from `[0.8 d, 1.2 d]` (a fixed duration would let a fixed interval get
//! lucky); every poll takes 50 ms of simulated round trip. Lag is the time
//! from the job becoming terminal to the wait returning. Every row is the
//! mean over the same 500 drawn durations, for each policy. The last columns
//! check the default policy's targets: lag at most `max(0.5 s, 15% of d)`,
//! below fixed 2 s polling's lag for `d ≤ 3 s`, and at most a third of fixed
//! 2 s polling's requests for `d ≥ 300 s`.

use std::time::Duration;

use ionworks::ApiError;
use ionworks::wait::{Phase, Pollable, Wait, WaitPolicy};
use tokio::time::Instant;

const LATENCY: Duration = Duration::from_millis(50);
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
    wait.policy(policy.with_timeout(Duration::from_secs(4 * 3600)))
        .await
        .ok();
    let lag = (Instant::now() - start).as_secs_f64() - duration.as_secs_f64();
    (polls, lag)
}

/// Mean (polls, lag) of `policy` over `durations`.
async fn mean(policy: &WaitPolicy, durations: &[Duration]) -> (f64, f64) {
    let (mut polls, mut lag) = (0.0, 0.0);
    for duration in durations {
        let (p, l) = run(policy.clone(), *duration).await;
        polls += f64::from(p);
        lag += l;
    }
    let n = durations.len() as f64;
    (polls / n, lag / n)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    tokio::time::pause();
    let mut rng = fastrand::Rng::with_seed(20_261_129);
    let default = WaitPolicy::default();
    println!("default policy: {default:?}");
    println!("{DRAWS} durations per row, uniform in [0.8 d, 1.2 d]; 50 ms round trips\n");
    println!(
        "| d (s) | default polls | default lag (s) | fixed 2 s polls | fixed 2 s lag (s) | fixed 3 s polls | fixed 3 s lag (s) | lag ≤ max(0.5 s, 15% d) | vs fixed 2 s |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|:---:|:---:|");
    let mut all_met = true;
    for d in NOMINAL {
        let durations: Vec<Duration> = (0..DRAWS)
            .map(|_| Duration::from_secs_f64(d as f64 * (0.8 + 0.4 * rng.f64())))
            .collect();
        let (dp, dl) = mean(&default, &durations).await;
        let (f2p, f2l) = mean(&WaitPolicy::fixed(Duration::from_secs(2)), &durations).await;
        let (f3p, f3l) = mean(&WaitPolicy::fixed(Duration::from_secs(3)), &durations).await;
        let lag_ok = dl <= (0.15 * d as f64).max(0.5);
        let (versus, versus_ok) = if d <= 3 {
            (
                format!("lag {:.0}% of fixed 2 s", 100.0 * dl / f2l),
                dl < f2l,
            )
        } else if d >= 300 {
            (
                format!("polls {:.0}% of fixed 2 s", 100.0 * dp / f2p),
                dp <= f2p / 3.0,
            )
        } else {
            ("-".to_string(), true)
        };
        all_met &= lag_ok && versus_ok;
        let mark = |ok: bool| if ok { "yes" } else { "NO" };
        println!(
            "| {d} | {dp:.1} | {dl:.2} | {f2p:.1} | {f2l:.2} | {f3p:.1} | {f3l:.2} | {} | {versus} {} |",
            mark(lag_ok),
            if versus == "-" { "" } else { mark(versus_ok) },
        );
    }
    println!("\nall targets {}", if all_met { "met" } else { "NOT met" });
}
