//! The quickstart (`examples/quickstart.rs`) as a user runs it: every flow,
//! against the stand-in as the "configured server", and every error as the
//! one line it prints.
#![cfg(feature = "testing")]

use std::collections::HashMap;
use std::time::Duration;

use ionworks::testing::{Fault, Schedule, StandIn};
use ionworks::types::JobErrorCode;

#[allow(dead_code)]
#[path = "../examples/quickstart.rs"]
mod quickstart;

const MS: Duration = Duration::from_millis(1);

/// Runs the quickstart with `args` and the variables `env`; returns its
/// outcome and output (not a terminal: one line per status).
async fn run(args: &[&str], env: &[(&str, String)]) -> (Result<bool, String>, String) {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let env: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    let lookup = move |name: &str| env.get(name).cloned();
    let mut out = Vec::new();
    let result = quickstart::run(&args, &lookup, &mut out, false).await;
    (
        result.map_err(|e| e.to_string()),
        String::from_utf8(out).unwrap(),
    )
}

/// The stand-in as the configured server.
fn server_env(stand_in: &StandIn) -> Vec<(&'static str, String)> {
    vec![
        ("IONWORKS_API_URL", stand_in.base_url()),
        ("IONWORKS_API_KEY", stand_in.api_key().to_string()),
    ]
}

#[tokio::test]
async fn without_credentials_it_runs_every_flow_offline() {
    let (result, out) = run(&[], &[("IONWORKS_API_URL", "https://x.example".into())]).await;
    assert_eq!(result, Ok(true), "{out}");
    assert!(
        out.starts_with(
            "IONWORKS_API_URL is set (https://x.example) but neither IONWORKS_API_KEY nor \
             IONWORKS_API_TOKEN is: ignoring it\nno credentials: using the embedded Ionworks stand-in at http://127.0.0.1:"
        ),
        "{out}"
    );
    for expected in [
        "1. a pipeline",
        "created pipeline pipeline-",
        "  running ",
        "completed; results:\n  data: {",
        "2. a simulation",
        "started simulation simulation-",
        "  1 completed, 0 failed of 1 ",
        "completed; metrics:",
        "\"discharge_capacity [A.h]\"",
        "3. a job started elsewhere",
        "  pending ",
        "  processing ",
        "  completed ",
        "completed by the Ionworks stand-in",
        "4. a failed optimization, resubmitted",
        "resubmitted optimization opt-",
        "(run 2)",
        "  running ",
        "  succeeded ",
    ] {
        assert!(out.contains(expected), "{expected:?} missing from:\n{out}");
    }
}

#[tokio::test]
async fn job_flag_waits_for_an_existing_job_and_ends_on_its_status() {
    let stand_in = StandIn::start().await.unwrap();
    let id = stand_in.add_job(Schedule::manual());
    let (result, out) = {
        let finish = async {
            tokio::time::sleep(200 * MS).await;
            stand_in.complete_job(&id, serde_json::Map::new());
        };
        let (args, env) = (["--job", id.as_str()], server_env(&stand_in));
        let (outcome, ()) = tokio::join!(run(&args, &env), finish);
        outcome
    };
    assert_eq!(result, Ok(true), "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], format!("using {}", stand_in.base_url()));
    assert_eq!(lines[1], format!("waiting for job {id} (dummy, pending)"));
    let statuses: Vec<&str> = lines
        .iter()
        .filter(|l| l.starts_with("  ") && !l.contains('"'))
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(statuses, ["pending", "completed"], "{out}");
    assert!(
        out.contains(&format!("job {id} completed; result:")),
        "{out}"
    );

    // A failed job is reported with its code and message; exit status 1.
    let failed = stand_in
        .add_job(Schedule::succeeds_after(MS, MS).failing(JobErrorCode::SolverError, "diverged"));
    let (result, out) = run(&["--job", &failed], &server_env(&stand_in)).await;
    assert_eq!(result, Ok(false));
    assert!(
        out.contains(&format!("job {failed} failed: [SOLVER_ERROR] diverged")),
        "{out}"
    );
}

#[tokio::test]
async fn resubmit_flag_resubmits_and_waits() {
    let stand_in = StandIn::start().await.unwrap();
    let id = stand_in.add_optimization(
        Schedule::succeeds_after(Duration::ZERO, Duration::ZERO)
            .failing(JobErrorCode::ModelError, "bad"),
    );
    // Let it fail, then give the next run a successful schedule.
    assert!(stand_in.optimization(&id).unwrap().error.is_some());
    stand_in.set_optimization_schedule(&id, Schedule::succeeds_after(20 * MS, 40 * MS));
    let (result, out) = run(&["--resubmit-optimization", &id], &server_env(&stand_in)).await;
    assert_eq!(result, Ok(true), "{out}");
    assert!(
        out.contains(&format!("resubmitted optimization {id} (run 2)")),
        "{out}"
    );
    assert!(
        out.contains(&format!("optimization {id} succeeded; metrics:")),
        "{out}"
    );
    // Resubmitting a run that has not failed is refused by the server (409).
    let (result, _) = run(&["--resubmit-optimization", &id], &server_env(&stand_in)).await;
    let message = result.unwrap_err();
    assert!(
        message.starts_with("409 Conflict from resubmit_optimization: Only a failed optimization"),
        "{message}"
    );
}

#[tokio::test]
async fn a_refused_submission_says_what_to_do_instead() {
    // The stand-in answers 410 as the live server does.
    let stand_in = StandIn::start().await.unwrap();
    let (result, _) = run(&["--submit"], &server_env(&stand_in)).await;
    assert_eq!(result, Err(quickstart::GONE.to_string()));
    // Where submissions are accepted (an older server), it submits and waits.
    stand_in.accept_job_submissions(true);
    stand_in.set_default_job_schedule(Schedule::succeeds_after(MS, 20 * MS));
    let (result, out) = run(&["--submit"], &server_env(&stand_in)).await;
    assert_eq!(result, Ok(true), "{out}");
    assert!(out.contains("submitted job job-"), "{out}");
}

#[tokio::test]
async fn with_credentials_and_no_option_it_checks_them() {
    let stand_in = StandIn::start().await.unwrap();
    let (result, out) = run(&[], &server_env(&stand_in)).await;
    assert_eq!(result, Ok(true), "{out}");
    assert!(out.contains("signed in as standin@example.com"), "{out}");
    assert!(out.contains("--job ID"), "{out}");
    // A wrong key is a 401, in one line.
    let env = vec![
        ("IONWORKS_API_URL", stand_in.base_url()),
        ("IONWORKS_API_TOKEN", "wrong".to_string()),
    ];
    let (result, _) = run(&["--job", "job-1"], &env).await;
    assert_eq!(
        result,
        Err("401 Unauthorized from get_job: Invalid or missing credentials".to_string())
    );
}

#[tokio::test]
async fn errors_are_one_readable_line() {
    let stand_in = StandIn::start().await.unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    type Env = Vec<(&'static str, String)>;
    let cases: Vec<(Vec<&str>, Env, String)> = vec![
        (
            vec!["--job", "x"],
            vec![
                ("IONWORKS_API_URL", format!("http://127.0.0.1:{port}")),
                ("IONWORKS_API_KEY", "k".into()),
            ],
            format!("get_job: cannot connect to 127.0.0.1:{port}: connection refused (4 attempts)"),
        ),
        (
            vec!["--job", "x"],
            vec![
                ("IONWORKS_API_URL", "not a url".into()),
                ("IONWORKS_API_KEY", "k".into()),
            ],
            "IONWORKS_API_URL is not a valid API URL: relative URL without a base".into(),
        ),
        (
            vec!["--job", "no-such-job"],
            server_env(&stand_in),
            "404 Not Found from get_job: Job no-such-job not found".into(),
        ),
        (
            vec!["--job", ".."],
            server_env(&stand_in),
            "invalid request to get_job: path parameter `job_id` is \"..\", a dot segment that \
             would change the request's path"
                .into(),
        ),
        (vec!["--job"], vec![], "--job needs an id".into()),
        (vec!["--pipeline"], vec![], "--pipeline needs a file".into()),
        (
            vec!["--simulation", "p.yaml", "--model"],
            vec![],
            "--model needs a model id or file".into(),
        ),
        (
            vec!["--pipeline", "/no/such/config.json"],
            server_env(&stand_in),
            "cannot read the pipeline configuration /no/such/config.json: No such file or \
             directory (os error 2)"
                .into(),
        ),
        (
            vec!["--job", "x"],
            vec![],
            "--job needs credentials for a real server: set IONWORKS_API_KEY or \
             IONWORKS_API_TOKEN (without them the quickstart runs its offline demo)"
                .into(),
        ),
        (
            vec!["--frobnicate"],
            vec![],
            "unexpected argument `--frobnicate`".into(),
        ),
    ];
    for (args, env, expected) in cases {
        let (result, _) = run(&args, &env).await;
        let message = result.unwrap_err();
        assert_eq!(message, expected, "{args:?}");
        assert!(!message.contains('\n') && !message.contains("Response {"));
    }
}

#[tokio::test]
async fn html_502_is_status_and_excerpt() {
    let stand_in = StandIn::start().await.unwrap();
    let id = stand_in.add_job(Schedule::manual());
    // The client retries a GET's 502 three times; all four fail.
    stand_in.inject(Fault::Status(502), 4);
    let (result, _) = run(&["--job", &id], &server_env(&stand_in)).await;
    assert_eq!(
        result,
        Err("502 Bad Gateway from get_job: Bad Gateway".to_string())
    );
}

#[tokio::test]
async fn help_lists_the_flows() {
    let (result, out) = run(&["--help"], &[]).await;
    assert_eq!(result, Ok(true));
    assert_eq!(out, quickstart::USAGE);
    for flag in [
        "--pipeline FILE",
        "--simulation FILE",
        "--model MODEL",
        "--job ID",
        "--resubmit-optimization ID",
        "--submit",
        "--help",
    ] {
        assert!(out.contains(flag), "{flag}");
    }
}

/// Writes `text` to a fresh file named `name`; returns its path.
fn file(name: &str, text: &str) -> String {
    let dir = std::env::temp_dir().join(format!("ionworks-quickstart-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

const CONFIG: &str =
    r#"{"elements": {"data": {"element_type": "entry"}, "fit": {"element_type": "data_fit"}}}"#;

#[tokio::test]
async fn pipeline_flag_creates_follows_and_prints_each_element() {
    let stand_in = StandIn::start().await.unwrap();
    stand_in.push_job_schedule(
        Schedule::succeeds_after(20 * MS, 40 * MS)
            .with_result(serde_json::Map::from_iter([("rmse".into(), 0.01.into())])),
    );
    let config = file("pipeline.json", CONFIG);
    let mut env = server_env(&stand_in);
    env.push(("IONWORKS_PROJECT_ID", "p1".into()));
    let (result, out) = run(&["--pipeline", &config], &env).await;
    assert_eq!(result, Ok(true), "{out}");
    assert!(out.contains("created pipeline pipeline-"), "{out}");
    assert!(
        out.contains("completed; results:\n  data: {\"rmse\":0.01}\n  fit: {\"rmse\":0.01}"),
        "{out}"
    );
    let created = stand_in
        .requests()
        .into_iter()
        .find(|r| r.method == "POST" && r.path == "/pipelines");
    assert!(created.is_some(), "the pipeline was created on the server");

    // A failed pipeline names its element, code and message; exit status 1.
    stand_in.push_job_schedule(
        Schedule::succeeds_after(MS, MS).failing(JobErrorCode::ModelError, "no such parameter"),
    );
    let (result, out) = run(&["--pipeline", &config], &env).await;
    assert_eq!(result, Ok(false), "{out}");
    assert!(
        out.contains("element fit failed: [MODEL_ERROR] no such parameter"),
        "{out}"
    );

    // A configuration the API cannot take is refused before anything is sent.
    let bad = file("bad.json", r#"{"elements": 3}"#);
    let (result, _) = run(&["--pipeline", &bad], &env).await;
    let message = result.unwrap_err();
    assert!(
        message.starts_with("the pipeline configuration does not fit the API: "),
        "{message}"
    );
}

#[tokio::test]
async fn simulation_flag_simulates_a_protocol_and_prints_its_metrics() {
    let stand_in = StandIn::start().await.unwrap();
    stand_in.set_default_job_schedule(Schedule::succeeds_after(20 * MS, 40 * MS));
    let protocol = file(
        "discharge.yaml",
        "steps:\n  - Discharge at 1C until 2.5 V\n",
    );
    let mut env = server_env(&stand_in);
    // Without a project there is nowhere to run it.
    let (result, _) = run(&["--simulation", &protocol], &env).await;
    assert_eq!(
        result,
        Err("set IONWORKS_PROJECT_ID to the project to run the simulation in".to_string())
    );
    env.push(("IONWORKS_PROJECT_ID", "p1".into()));
    let (result, out) = run(&["--simulation", &protocol, "--model", "pm-42"], &env).await;
    assert_eq!(result, Ok(true), "{out}");
    assert!(out.contains("started simulation simulation-"), "{out}");
    assert!(out.contains("completed; metrics:"), "{out}");
    let statuses = stand_in
        .requests()
        .iter()
        .filter(|r| r.path == "/simulations/statuses")
        .count();
    assert!(statuses >= 1, "followed through the batch status operation");

    stand_in.push_job_schedule(
        Schedule::succeeds_after(MS, MS).failing(JobErrorCode::SolverError, "diverged"),
    );
    let (result, out) = run(&["--simulation", &protocol], &env).await;
    assert_eq!(result, Ok(false), "{out}");
    assert!(out.contains("failed: [SOLVER_ERROR] diverged"), "{out}");
}

#[tokio::test]
async fn without_credentials_a_flow_runs_on_the_stand_in() {
    let config = file("offline.json", CONFIG);
    let (result, out) = run(&["--pipeline", &config], &[]).await;
    assert_eq!(result, Ok(true), "{out}");
    assert!(
        out.contains("using the embedded Ionworks stand-in"),
        "{out}"
    );
    assert!(out.contains("completed; results:"), "{out}");
}
