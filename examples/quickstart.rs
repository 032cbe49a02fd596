//! Run Ionworks work, follow it and print its result.
//!
//! ```sh
//! cargo run --example quickstart                                  # offline demo on the stand-in
//! cargo run --example quickstart -- --pipeline CONFIG.json        # create a pipeline, print its results
//! cargo run --example quickstart -- --simulation PROTOCOL.yaml    # simulate a protocol, print its metrics
//! cargo run --example quickstart -- --job JOB_ID                  # wait for a job (credentials set)
//! cargo run --example quickstart -- --resubmit-optimization ID    # resubmit a failed optimization
//! cargo run --example quickstart -- --help
//! ```
//!
//! With `IONWORKS_API_KEY` or `IONWORKS_API_TOKEN` set it talks to the
//! configured server (`IONWORKS_API_URL`, default `https://api.ionworks.com`).
//! Without credentials it starts the embedded stand-in of the API
//! (`ionworks::testing::StandIn`) and runs the flows there, offline.
//! Whatever goes wrong is printed as one line (the error's `Display`).

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use ionworks::testing::{Schedule, StandIn};
use ionworks::types::{
    JobErrorCode, JobResponse, JobType, OptimizationResource, ParseToTemplateRequest,
    PipelineConfig, ProtocolExperimentConfig, SimulationBatchWithTemplateRequest, SubmitJobRequest,
};
use ionworks::wait::{Pollable, Progress, UpdateKind, Wait, WaitError};
use ionworks::{Client, ENV_API_KEY, ENV_API_TOKEN, ENV_API_URL};

/// `--help`.
pub const USAGE: &str = "\
usage: cargo run --example quickstart [-- OPTION]

Runs Ionworks work, follows it and prints its result. With IONWORKS_API_KEY
or IONWORKS_API_TOKEN set it uses the configured server (IONWORKS_API_URL,
default https://api.ionworks.com); without them it runs the flows below on
the embedded stand-in, offline (all of them when no option is given).

options:
  --pipeline FILE              create a pipeline from the JSON configuration
                               in FILE (its `project_id` defaults to
                               IONWORKS_PROJECT_ID), follow it, print each
                               element's result
  --simulation FILE            simulate the protocol in FILE (UCP YAML) in
                               project IONWORKS_PROJECT_ID, print its metrics
    --model MODEL              with --simulation: a parameterized model id, or
                               a JSON file of one (default: a 5 Ah NMC quick
                               model)
  --job ID                     wait for job ID (started in the web app, a
                               pipeline or another client), print its result
  --resubmit-optimization ID   resubmit failed optimization ID, wait for it
  --submit                     submit a dummy job directly (POST /jobs); the
                               live server no longer accepts this (410 Gone)
  -h, --help                   print this help
";

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    /// No option: the offline demo, or a hint when credentials are set.
    Default,
    /// `--pipeline FILE`.
    Pipeline(String),
    /// `--simulation FILE [--model MODEL]`.
    Simulation {
        /// The protocol file.
        protocol: String,
        /// `--model`, if given.
        model: Option<String>,
    },
    /// `--job ID`.
    Job(String),
    /// `--resubmit-optimization ID`.
    Resubmit(String),
    /// `--submit`.
    Submit,
    /// `--help`.
    Help,
}

/// Parses the arguments after the program name; an error is a message for
/// the user (exit code 2).
pub fn parse_args(args: &[String]) -> Result<Command, String> {
    let value = |i: usize, flag: &str, what: &str| {
        args.get(i + 1)
            .filter(|v| !v.starts_with('-') && !v.trim().is_empty())
            .cloned()
            .ok_or_else(|| format!("{flag} needs {what}"))
    };
    let (command, used) = match args.first().map(String::as_str) {
        None => (Command::Default, 0),
        Some("-h" | "--help") => return Ok(Command::Help),
        Some(flag @ "--pipeline") => (Command::Pipeline(value(0, flag, "a file")?), 2),
        Some(flag @ "--simulation") => {
            let protocol = value(0, flag, "a file")?;
            match args.get(2).map(String::as_str) {
                Some(m @ "--model") => (
                    Command::Simulation {
                        protocol,
                        model: Some(value(2, m, "a model id or file")?),
                    },
                    4,
                ),
                _ => (
                    Command::Simulation {
                        protocol,
                        model: None,
                    },
                    2,
                ),
            }
        }
        Some("--job") => (Command::Job(value(0, "--job", "an id")?), 2),
        Some(flag @ "--resubmit-optimization") => (Command::Resubmit(value(0, flag, "an id")?), 2),
        Some("--submit") => (Command::Submit, 1),
        Some(other) => return Err(format!("unexpected argument `{other}`")),
    };
    match args.get(used) {
        Some(extra) => Err(format!("unexpected argument `{extra}`")),
        None => Ok(command),
    }
}

/// Follows `wait`, drawing one progress line (status and elapsed time) on
/// `out`: redrawn in place a few times a second on a terminal (`live`),
/// one line per status change otherwise; it ends on the final status.
pub async fn follow<R: Pollable>(
    wait: Wait<'_, R>,
    out: &mut (dyn Write + Send),
    live: bool,
) -> Result<R, WaitError<R>> {
    let started = Instant::now();
    let draw = |out: &mut (dyn Write + Send), status: &str, end: bool| {
        let elapsed = started.elapsed().as_secs_f64();
        let line = format!("  {status:<12} {elapsed:>6.1}s");
        let _ = match (live, end) {
            (true, false) => write!(out, "\r{line}"),
            (true, true) => writeln!(out, "\r{line}"),
            (false, _) => writeln!(out, "{line}"),
        };
        let _ = out.flush();
    };
    let mut status = String::new();
    let mut updates = std::pin::pin!(wait.updates());
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            item = updates.next() => match item {
                Some(Progress::Update(update)) => {
                    if let UpdateKind::TransientError(error) = &update.kind {
                        // On a terminal this overwrites the (shorter) progress line.
                        let _ = writeln!(out, "{}  retrying: {error}", if live { "\r" } else { "" });
                    }
                    if update.status != status {
                        status = update.status.clone();
                        if !live || update.next_delay.is_none() {
                            draw(out, &status, true);
                        }
                    }
                }
                Some(Progress::Done(outcome)) => {
                    if live && status.is_empty() {
                        draw(out, "?", true);
                    }
                    return outcome;
                }
                None => return Err(WaitError::Cancelled { polls: 0, elapsed: started.elapsed() }),
            },
            _ = tick.tick(), if live && !status.is_empty() => draw(out, &status, false),
        }
    }
}

/// Waits for job `job_id` and prints the outcome; returns the final job.
pub async fn watch_job(
    client: &Client,
    job_id: &str,
    out: &mut (dyn Write + Send),
    live: bool,
) -> Result<JobResponse, Box<dyn std::error::Error>> {
    // One plain request first: a wrong id, key or URL fails here at once
    // (a wait would absorb a connection failure and try again).
    let job = client.get_job().job_id(job_id).send().await?;
    writeln!(
        out,
        "waiting for job {job_id} ({}, {})",
        job.job_type, job.status
    )?;
    let wait = client.wait_until_terminal(job_id).accept_failed(true);
    let job = follow(wait, out, live).await?;
    if job.is_failed {
        let code = job.error_code.as_ref().map_or("-", JobErrorCode::as_str);
        let message = job.error.as_deref().unwrap_or("no message");
        writeln!(out, "job {} {}: [{code}] {message}", job.job_id, job.status)?;
    } else {
        let result = serde_json::to_string_pretty(&job.result)?;
        writeln!(out, "job {} {}; result:\n{result}", job.job_id, job.status)?;
    }
    Ok(job)
}

/// Resubmits failed optimization `id`, waits for it and prints the outcome.
pub async fn resubmit_optimization(
    client: &Client,
    id: &str,
    out: &mut (dyn Write + Send),
    live: bool,
) -> Result<OptimizationResource, Box<dyn std::error::Error>> {
    let resubmitted = client.resubmit_optimization().id(id).send().await?;
    writeln!(
        out,
        "resubmitted optimization {id} (run {})",
        resubmitted.run_count
    )?;
    let wait = client.wait_for_optimization(id).accept_failed(true);
    let o = follow(wait, out, live).await?;
    let status = o.status_text();
    match &o.error {
        Some(error) => writeln!(out, "optimization {id} {status}: {error}")?,
        None => {
            let metrics = serde_json::to_string_pretty(&o.metrics)?;
            writeln!(out, "optimization {id} {status}; metrics:\n{metrics}")?;
        }
    }
    Ok(o)
}

/// The project of work started without one: `IONWORKS_PROJECT_ID`.
pub const ENV_PROJECT_ID: &str = "IONWORKS_PROJECT_ID";

fn read(path: &str, what: &str) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read the {what} {path}: {e}"))
}

/// Creates a pipeline from the JSON configuration `config`, follows it and
/// prints each element's result (or the failed element's error).
pub async fn run_pipeline(
    client: &Client,
    config: &str,
    project: Option<&str>,
    out: &mut (dyn Write + Send),
    live: bool,
) -> Result<bool, Box<dyn std::error::Error>> {
    let mut config: serde_json::Value = serde_json::from_str(config)
        .map_err(|e| format!("the pipeline configuration is not JSON: {e}"))?;
    if let (Some(map), Some(project)) = (config.as_object_mut(), project) {
        map.entry("project_id").or_insert_with(|| project.into());
    }
    let config: PipelineConfig = serde_json::from_value(config)
        .map_err(|e| format!("the pipeline configuration does not fit the API: {e}"))?;
    let created = client.create_pipeline().body(config).send().await?;
    writeln!(out, "created pipeline {}", created.id)?;
    let wait = client.wait_for_pipeline(&created.id).accept_failed(true);
    let pipeline = follow(wait, out, live).await?;
    let elements = client
        .get_pipeline_elements()
        .pipeline_id(&created.id)
        .send()
        .await?;
    if pipeline.is_failed {
        for e in elements.iter().filter(|e| e.error.is_some()) {
            let code = e.error_code.as_ref().map_or("-", JobErrorCode::as_str);
            let message = e.error.as_deref().unwrap_or("no message");
            writeln!(out, "element {} {}: [{code}] {message}", e.name, e.status)?;
        }
        let message = pipeline.error.as_deref().unwrap_or("no message");
        writeln!(
            out,
            "pipeline {} {}: {message}",
            pipeline.id, pipeline.status
        )?;
        return Ok(false);
    }
    let result = client
        .get_pipeline_result()
        .pipeline_id(&created.id)
        .send()
        .await?;
    writeln!(
        out,
        "pipeline {} {}; results:",
        pipeline.id, pipeline.status
    )?;
    for e in elements.iter() {
        let r = result
            .element_results
            .get(&e.name)
            .cloned()
            .unwrap_or_default();
        writeln!(out, "  {}: {}", e.name, serde_json::to_string(&r)?)?;
    }
    Ok(true)
}

/// Simulates the protocol `protocol` (UCP YAML) named `name` with `model`
/// (a parameterized model id, or a model as JSON) in `project`, follows
/// it and prints its metrics.
pub async fn run_simulation(
    client: &Client,
    name: &str,
    protocol: &str,
    model: serde_json::Value,
    project: &str,
    out: &mut (dyn Write + Send),
    live: bool,
) -> Result<bool, Box<dyn std::error::Error>> {
    let template = client
        .parse_protocol_to_template()
        .body(
            ParseToTemplateRequest::builder()
                .project_id(project)
                .protocol_experiment(
                    ProtocolExperimentConfig::builder()
                        .name(name)
                        .protocol(protocol),
                ),
        )
        .send()
        .await?
        .into_inner()
        .template_id;
    let request: SimulationBatchWithTemplateRequest = SimulationBatchWithTemplateRequest::builder()
        .experiment_template_id(template)
        .parameterized_model(model)
        .project_id(Some(project.to_string()))
        .try_into()?;
    let started = client
        .create_simulation_batch()
        .body(request)
        .send()
        .await?;
    let ids: Vec<String> = started.iter().map(|s| s.simulation_id.clone()).collect();
    writeln!(out, "started simulation {}", ids.join(", "))?;
    let batch = follow(
        client.wait_for_simulations(ids.clone()).accept_failed(true),
        out,
        live,
    )
    .await?;
    if let Some(failed) = batch.failed().next() {
        let code = failed.error_code.as_ref().map_or("-", JobErrorCode::as_str);
        let message = failed.error.as_deref().unwrap_or("no message");
        writeln!(
            out,
            "simulation {} {}: [{code}] {message}",
            failed.simulation_id, failed.status
        )?;
        return Ok(false);
    }
    for id in &ids {
        let simulation = client.get_simulation().id(id).send().await?;
        let metrics = serde_json::to_string_pretty(&simulation.metrics)?;
        writeln!(out, "simulation {id} completed; metrics:\n{metrics}")?;
    }
    Ok(true)
}

/// The model of `--model`: a JSON file, else a parameterized model id;
/// without it a quick model of a 5 Ah NMC cell.
fn model(arg: Option<&str>) -> Result<serde_json::Value, String> {
    match arg {
        None => Ok(serde_json::json!({"capacity": 5.0, "chemistry": "NMC"})),
        Some(path) if std::path::Path::new(path).is_file() => {
            serde_json::from_str(&read(path, "model")?)
                .map_err(|e| format!("the model in {path} is not JSON: {e}"))
        }
        Some(id) => Ok(id.into()),
    }
}

/// The pipeline the offline demo runs.
const DEMO_PIPELINE: &str = r#"{
  "name": "quickstart fit",
  "elements": {
    "data": {"element_type": "entry", "values": {"Negative electrode capacity [A.h]": 5.0}},
    "fit": {"element_type": "data_fit", "objectives": {}, "parameters": {}}
  }
}"#;

/// The protocol the offline demo simulates.
const DEMO_PROTOCOL: &str = "global:\n  initial_state_type: soc\n  initial_state_value: 1\nsteps:\n  - Discharge:\n      mode: C-rate\n      value: 1\n      ends:\n        - Voltage < 2.5\n";

/// What to say when the server refuses direct submissions.
pub const GONE: &str = "the server no longer accepts direct job submissions (410 Gone): \
start the work in the Ionworks web app or a pipeline, then follow it with \
`cargo run --example quickstart -- --job JOB_ID`";

/// Submits a dummy job and waits for it; a 410 becomes [`GONE`].
#[allow(deprecated)]
pub async fn submit(
    client: &Client,
    out: &mut (dyn Write + Send),
    live: bool,
) -> Result<JobResponse, Box<dyn std::error::Error>> {
    let request = SubmitJobRequest::builder()
        .job_type(JobType::Dummy)
        .params(serde_json::Map::new());
    let job = match client.submit_job().body(request).send().await {
        Ok(job) => job.into_inner(),
        Err(e) if e.is_gone() => return Err(GONE.into()),
        Err(e) => return Err(e.into()),
    };
    writeln!(out, "submitted job {} ({})", job.job_id, job.job_type)?;
    watch_job(client, &job.job_id, out, live).await
}

/// The offline demo: every flow on the stand-in.
async fn demo(
    stand_in: &StandIn,
    out: &mut (dyn Write + Send),
    live: bool,
) -> Result<(), Box<dyn std::error::Error>> {
    let client = stand_in.client();
    let step = |queued: u64, running: u64| {
        Schedule::succeeds_after(
            Duration::from_millis(queued),
            Duration::from_millis(running),
        )
    };
    writeln!(out, "\n1. a pipeline (as with --pipeline FILE)")?;
    stand_in.push_job_schedule(step(500, 1500));
    run_pipeline(&client, DEMO_PIPELINE, Some("demo-project"), out, live).await?;

    writeln!(out, "\n2. a simulation (as with --simulation FILE)")?;
    stand_in.push_job_schedule(step(500, 1000));
    run_simulation(
        &client,
        "1C discharge",
        DEMO_PROTOCOL,
        model(None)?,
        "demo-project",
        out,
        live,
    )
    .await?;

    writeln!(out, "\n3. a job started elsewhere (as with --job ID)")?;
    let job_id = stand_in.add_job(step(1000, 2000));
    watch_job(&client, &job_id, out, live).await?;

    writeln!(
        out,
        "\n4. a failed optimization, resubmitted (as with --resubmit-optimization ID)"
    )?;
    let failed = step(0, 0).failing(JobErrorCode::SolverError, "solver diverged");
    let id = stand_in.add_optimization(failed);
    client
        .wait_for_optimization(&id)
        .accept_failed(true)
        .await?;
    stand_in.set_optimization_schedule(&id, step(500, 1500));
    resubmit_optimization(&client, &id, out, live).await?;
    Ok(())
}

/// Runs `command` against `client` (`project`: `IONWORKS_PROJECT_ID`).
async fn dispatch(
    client: &Client,
    command: Command,
    project: Option<String>,
    out: &mut (dyn Write + Send),
    live: bool,
) -> Result<bool, Box<dyn std::error::Error>> {
    let project_needed = || {
        project
            .clone()
            .ok_or_else(|| format!("set {ENV_PROJECT_ID} to the project to run the simulation in"))
    };
    Ok(match command {
        Command::Pipeline(file) => {
            let config = read(&file, "pipeline configuration")?;
            run_pipeline(client, &config, project.as_deref(), out, live).await?
        }
        Command::Simulation { protocol, model: m } => {
            let text = read(&protocol, "protocol")?;
            let name = std::path::Path::new(&protocol)
                .file_stem()
                .map_or("protocol".into(), |s| s.to_string_lossy().into_owned());
            let model = model(m.as_deref())?;
            run_simulation(client, &name, &text, model, &project_needed()?, out, live).await?
        }
        Command::Job(id) => !watch_job(client, &id, out, live).await?.is_failed,
        Command::Resubmit(id) => resubmit_optimization(client, &id, out, live)
            .await?
            .error
            .is_none(),
        Command::Submit => !submit(client, out, live).await?.is_failed,
        Command::Default | Command::Help => {
            let me: serde_json::Value = client
                .request(ionworks::reqwest::Method::GET, "/users/me")
                .decode()
                .await?;
            writeln!(out, "signed in as {}", me["email"].as_str().unwrap_or("?"))?;
            write!(out, "\n{USAGE}")?;
            true
        }
    })
}

/// The whole program, with the environment and output given: what `main`
/// runs and what the tests call. `Ok(false)` means the work failed.
pub async fn run(
    args: &[String],
    env: &(dyn Fn(&str) -> Option<String> + Sync),
    out: &mut (dyn Write + Send),
    live: bool,
) -> Result<bool, Box<dyn std::error::Error>> {
    let command = parse_args(args)?;
    if command == Command::Help {
        write!(out, "{USAGE}")?;
        return Ok(true);
    }
    let set = |name: &str| env(name).filter(|v| !v.trim().is_empty());
    let project = set(ENV_PROJECT_ID);
    if set(ENV_API_KEY).is_none() && set(ENV_API_TOKEN).is_none() {
        if matches!(
            command,
            Command::Job(_) | Command::Resubmit(_) | Command::Submit
        ) {
            return Err(format!(
                "{} needs credentials for a real server: set {ENV_API_KEY} or {ENV_API_TOKEN} \
                 (without them the quickstart runs its offline demo)",
                args[0]
            )
            .into());
        }
        if let Some(url) = set(ENV_API_URL) {
            writeln!(
                out,
                "{ENV_API_URL} is set ({url}) but neither {ENV_API_KEY} nor {ENV_API_TOKEN} is: \
                 ignoring it"
            )?;
        }
        let stand_in = StandIn::start().await?;
        writeln!(
            out,
            "no credentials: using the embedded Ionworks stand-in at {} (offline)",
            stand_in.base_url()
        )?;
        if command == Command::Default {
            demo(&stand_in, out, live).await?;
            return Ok(true);
        }
        let project = project.or_else(|| Some("demo-project".into()));
        return dispatch(&stand_in.client(), command, project, out, live).await;
    }
    let vars: std::collections::HashMap<&str, String> = [
        ENV_API_KEY,
        ENV_API_TOKEN,
        ENV_API_URL,
        ionworks::ENV_ORGANIZATION_ID,
    ]
    .into_iter()
    .filter_map(|name| Some((name, env(name)?)))
    .collect();
    let client = Client::builder()
        .env_lookup(move |name| vars.get(name).cloned())
        .build()?;
    writeln!(out, "using {}", client.config().base_url())?;
    dispatch(&client, command, project, out, live).await
}

#[allow(dead_code)] // also compiled into tests/standin.rs, which calls `run`
#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let live = std::io::stdout().is_terminal();
    let env = |name: &str| std::env::var(name).ok();
    match run(&args, &env, &mut std::io::stdout(), live).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e}");
            if parse_args(&args).is_err() {
                eprint!("\n{USAGE}");
                return ExitCode::from(2);
            }
            ExitCode::FAILURE
        }
    }
}
