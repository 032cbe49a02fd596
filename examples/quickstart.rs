//! Submit a job, wait for it and print the result.
//!
//! ```sh
//! cargo run --example quickstart
//! ```
//!
//! With `IONWORKS_API_KEY` or `IONWORKS_API_TOKEN` set it talks to the
//! configured server (`IONWORKS_API_URL`, default `https://api.ionworks.com`);
//! without credentials it starts the embedded stand-in of the API
//! (`ionworks::testing::StandIn`) so it runs on a fresh machine, offline.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use ionworks::Client;
use ionworks::testing::{Schedule, StandIn};
use ionworks::types::{JobResponse, JobType, SubmitJobRequest};

/// Submits a `dummy` job, polls it every `poll` until the server says it is
/// terminal, writing a progress line (status and elapsed time) to `out`,
/// then writes the outcome. Returns the final job.
pub async fn run(
    client: &Client,
    poll: Duration,
    out: &mut (dyn Write + Send),
) -> Result<JobResponse, Box<dyn std::error::Error>> {
    let request = SubmitJobRequest::builder()
        .job_type(JobType::Dummy)
        .params(serde_json::Map::new())
        .priority(5);
    let job = client.submit_job().body(request).send().await?.into_inner();
    writeln!(out, "submitted job {} ({})", job.job_id, job.job_type)?;

    // A plain polling loop; the server decides what is terminal.
    let started = Instant::now();
    let live = std::io::stdout().is_terminal();
    let job = client
        .wait_until_terminal(&job.job_id)
        .max_delay(poll)
        .accept_failed(true)
        .observe(|update| {
            let elapsed = update.elapsed.as_secs_f64();
            // One line, rewritten in place on a terminal; a line per change otherwise.
            let _ = if live {
                write!(out, "\r  {:<12} {elapsed:>6.1}s", update.status)
            } else {
                writeln!(out, "  {:<12} {elapsed:>6.1}s", update.status)
            };
            let _ = out.flush();
        })
        .await?;
    let elapsed = started.elapsed().as_secs_f64();
    if live {
        writeln!(out, "\r  {:<12} {elapsed:>6.1}s", job.status.as_str())?;
    } else {
        writeln!(out, "  {:<12} {elapsed:>6.1}s", job.status.as_str())?;
    }

    if job.is_failed {
        let code = job.error_code.as_ref().map_or("-", |c| c.as_str());
        let message = job.error.as_deref().unwrap_or("no message");
        writeln!(out, "job {} {}: [{code}] {message}", job.job_id, job.status)?;
    } else {
        let result = serde_json::to_string_pretty(&job.result)?;
        writeln!(out, "job {} {}; result:\n{result}", job.job_id, job.status)?;
    }
    Ok(job)
}

/// Whether credentials for a real server are in the environment.
fn credentials_in_env() -> bool {
    [ionworks::ENV_API_KEY, ionworks::ENV_API_TOKEN]
        .iter()
        .any(|name| std::env::var(name).is_ok_and(|v| !v.trim().is_empty()))
}

/// The stand-in, with jobs that take about three seconds.
async fn stand_in() -> std::io::Result<StandIn> {
    let stand_in = StandIn::start().await?;
    stand_in.set_default_job_schedule(Schedule::succeeds_after(
        Duration::from_secs(1),
        Duration::from_secs(2),
    ));
    Ok(stand_in)
}

#[allow(dead_code)] // also compiled into tests/standin.rs, which calls `run`
#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Kept alive until the end of `main`.
    let mut _stand_in = None;
    let client = if credentials_in_env() {
        Client::from_env()?
    } else {
        let s = stand_in().await?;
        println!(
            "IONWORKS_API_KEY/IONWORKS_API_TOKEN not set: using the embedded Ionworks stand-in at {}",
            s.base_url()
        );
        let client = s.client();
        _stand_in = Some(s);
        client
    };
    let job = run(&client, Duration::from_millis(250), &mut std::io::stdout()).await?;
    if job.is_failed {
        std::process::exit(1);
    }
    Ok(())
}
