//! The README's `Client::from_env()` line, run for real: the process
//! environment points at the stand-in. (The README's examples run as
//! doctests with the client made by hidden lines; this is the one line they
//! cannot run. One test in this binary: it sets process variables.)
#![cfg(feature = "testing")]

use ionworks::Client;
use ionworks::testing::{Schedule, StandIn};

#[tokio::test]
async fn from_env_reaches_the_configured_server() -> Result<(), Box<dyn std::error::Error>> {
    let stand_in = StandIn::start().await?;
    let job_id = stand_in.add_job(Schedule::default());
    // SAFETY: the only test of this binary; nothing else reads the
    // environment concurrently.
    unsafe {
        std::env::set_var("IONWORKS_API_URL", stand_in.base_url());
        std::env::set_var("IONWORKS_API_KEY", stand_in.api_key());
        std::env::remove_var("IONWORKS_API_TOKEN");
    }
    let client = Client::from_env()?; // IONWORKS_API_TOKEN or IONWORKS_API_KEY, IONWORKS_API_URL, …
    let job = client.get_job().job_id(&job_id).send().await?;
    println!(
        "{} is {} (terminal: {})",
        job.job_id, job.status, job.is_terminal
    );
    let job = client.wait_until_terminal(&job_id).await?;
    assert!(job.is_terminal && !job.is_failed);
    assert_eq!(client.config().base_url(), stand_in.base_url());
    Ok(())
}
