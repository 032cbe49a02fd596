//! The change report's verdicts, checked against the compiler: each kind of
//! spec change is applied to the vendored spec, the report classifies it,
//! and a caller's crate written against the vendored spec
//! (`tests/consumer/src/lib.rs`) is compiled against the changed one
//! (`IONWORKS_SPEC`, `cargo check`, one shared target directory).
//!
//! The report must say *breaking* exactly when the caller stops compiling
//! or a documented behaviour changes (a success status; a new requirement
//! that makes `send()` fail), *additive* when it still compiles and gains
//! something, *cosmetic* otherwise.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use serde_json::{Value, json};
use xtask::Impact;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

/// The vendored spec's jobs and optimizations: the part the facade's waits
/// use, small enough to compile a client once per case (the whole spec
/// takes many times longer).
fn base() -> Value {
    let text = std::fs::read(Path::new(ROOT).join("openapi.json")).unwrap();
    let doc: Value = serde_json::from_slice(&text).unwrap();
    ionworks_codegen::excerpt(&doc, |_, _, op| {
        op["tags"][0] == "jobs" || op["tags"][0] == "optimizations"
    })
}

fn schema<'a>(doc: &'a mut Value, name: &str) -> &'a mut Value {
    &mut doc["components"]["schemas"][name]
}

/// One kind of change: its name, the mutation, the verdict it must get,
/// and whether it changes documented behaviour without a compile error.
struct Case {
    kind: &'static str,
    mutate: fn(&mut Value),
    expected: Impact,
    behaviour: bool,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            kind: "add an operation",
            mutate: |d| {
                let mut op = d["paths"]["/jobs/{job_id}"]["get"].clone();
                op["operationId"] = json!("list_job_events_jobs_events_get");
                op["parameters"] = json!([]);
                d["paths"]["/jobs/events"] = json!({"get": op});
            },
            expected: Impact::Additive,
            behaviour: false,
        },
        Case {
            kind: "remove an operation",
            mutate: |d| {
                d["paths"]
                    .as_object_mut()
                    .unwrap()
                    .remove("/jobs/{job_id}/cancel");
            },
            expected: Impact::Breaking,
            behaviour: false,
        },
        Case {
            kind: "add an optional field to a response",
            mutate: |d| {
                schema(d, "JobResponse")["properties"]["queue_position"] =
                    json!({"anyOf": [{"type": "integer"}, {"type": "null"}]});
            },
            expected: Impact::Additive,
            behaviour: false,
        },
        Case {
            kind: "add a required field to a response",
            mutate: |d| {
                let r = schema(d, "JobResponse");
                r["properties"]["region"] = json!({"type": "string"});
                r["required"].as_array_mut().unwrap().push(json!("region"));
            },
            expected: Impact::Additive,
            behaviour: false,
        },
        Case {
            kind: "add an optional field to a request",
            mutate: |d| {
                schema(d, "SubmitJobRequest")["properties"]["tags"] =
                    json!({"type": "array", "items": {"type": "string"}});
            },
            expected: Impact::Additive,
            behaviour: false,
        },
        Case {
            kind: "add a required field to a request",
            mutate: |d| {
                let r = schema(d, "SubmitJobRequest");
                r["properties"]["region"] = json!({"type": "string"});
                r["required"].as_array_mut().unwrap().push(json!("region"));
            },
            expected: Impact::Breaking,
            behaviour: true,
        },
        Case {
            kind: "change a field's type",
            mutate: |d| {
                schema(d, "JobResponse")["properties"]["priority"] = json!({"type": "string"});
            },
            expected: Impact::Breaking,
            behaviour: false,
        },
        Case {
            kind: "make a required field nullable",
            mutate: |d| {
                schema(d, "JobResponse")["properties"]["job_type"] = json!({
                    "anyOf": [{"$ref": "#/components/schemas/JobType"}, {"type": "null"}]});
            },
            expected: Impact::Breaking,
            behaviour: false,
        },
        Case {
            kind: "add an enum value",
            mutate: |d| {
                schema(d, "JobStatus")["enum"]
                    .as_array_mut()
                    .unwrap()
                    .push(json!("archived"));
            },
            expected: Impact::Additive,
            behaviour: false,
        },
        Case {
            kind: "remove an enum value",
            mutate: |d| {
                schema(d, "JobStatus")["enum"]
                    .as_array_mut()
                    .unwrap()
                    .retain(|v| v != "waiting");
            },
            expected: Impact::Breaking,
            behaviour: false,
        },
        Case {
            kind: "rename a schema",
            mutate: |d| {
                let text = serde_json::to_string(d)
                    .unwrap()
                    .replace("OptimizationResource", "OptimizationRun");
                *d = serde_json::from_str(&text).unwrap();
            },
            expected: Impact::Breaking,
            behaviour: false,
        },
        Case {
            kind: "change a success status",
            mutate: |d| {
                let responses = d["paths"]["/jobs/{job_id}"]["get"]["responses"]
                    .as_object_mut()
                    .unwrap();
                let ok = responses.remove("200").unwrap();
                responses.insert("203".into(), ok);
            },
            expected: Impact::Breaking,
            behaviour: true,
        },
        Case {
            kind: "add an optional query parameter",
            mutate: |d| {
                d["paths"]["/jobs/{job_id}"]["get"]["parameters"]
                    .as_array_mut()
                    .unwrap()
                    .push(json!({"name": "verbose", "in": "query", "required": false,
                                 "schema": {"type": "boolean"}}));
            },
            expected: Impact::Additive,
            behaviour: false,
        },
        Case {
            kind: "add a required query parameter",
            mutate: |d| {
                d["paths"]["/jobs/{job_id}"]["get"]["parameters"]
                    .as_array_mut()
                    .unwrap()
                    .push(json!({"name": "fields", "in": "query", "required": true,
                                 "schema": {"type": "string"}}));
            },
            expected: Impact::Breaking,
            behaviour: true,
        },
        Case {
            kind: "change a description only",
            mutate: |d| {
                schema(d, "JobResponse")["properties"]["priority"]["description"] =
                    json!("Job priority, 0 (lowest) to 10 (highest)");
                d["paths"]["/jobs/{job_id}"]["get"]["description"] = json!("Get one job.");
            },
            expected: Impact::Cosmetic,
            behaviour: false,
        },
    ]
}

/// A copy of the caller's crate, depending on this workspace's `ionworks`
/// (no default features: TLS is not what is being checked; with
/// `response-builders`, as a caller's tests that build fixtures have it).
fn consumer(dir: &Path) -> PathBuf {
    let crate_dir = dir.join("consumer");
    std::fs::create_dir_all(crate_dir.join("src")).unwrap();
    let root = std::fs::canonicalize(ROOT).unwrap();
    let manifest = format!(
        "[package]\nname = \"consumer\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
         [dependencies]\nionworks = {{ path = {:?}, default-features = false, features = [\"api-jobs\", \"api-optimizations\", \"response-builders\"] }}\n\
         serde_json = \"1\"\nchrono = {{ version = \"0.4\", default-features = false }}\n\n\
         [workspace]\n",
        root.display().to_string()
    );
    std::fs::write(crate_dir.join("Cargo.toml"), manifest).unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/consumer/src/lib.rs"),
        crate_dir.join("src/lib.rs"),
    )
    .unwrap();
    // The workspace's lock file: the same versions, no resolution.
    std::fs::copy(root.join("Cargo.lock"), crate_dir.join("Cargo.lock")).unwrap();
    crate_dir
}

/// `cargo check` of the caller's crate against `spec`: the first error
/// line, or `None` when it compiles.
fn check(crate_dir: &Path, spec: &Path) -> Option<String> {
    let out = Command::new(env!("CARGO"))
        .args([
            "check",
            "--quiet",
            "--message-format=short",
            "--manifest-path",
        ])
        .arg(crate_dir.join("Cargo.toml"))
        .env("IONWORKS_SPEC", spec)
        .env(
            "CARGO_TARGET_DIR",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("verdicts"),
        )
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    (!out.status.success()).then(|| {
        stderr
            .lines()
            .find(|l| l.contains("error"))
            .unwrap_or("(no error line)")
            .to_string()
    })
}

#[test]
fn verdicts_hold_for_a_caller_crate() {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let crate_dir = consumer(dir.path());
    let spec_path = dir.path().join("openapi.json");
    let base = base();
    let base_bytes = serde_json::to_vec(&base).unwrap();

    // The caller compiles against the vendored spec itself.
    std::fs::write(&spec_path, &base_bytes).unwrap();
    if let Some(error) = check(&crate_dir, &spec_path) {
        panic!("the caller's crate does not compile against the vendored spec: {error}");
    }
    let mut table = vec![format!(
        "| change | verdict | consumer compiles | reason |\n|---|---|---|---|"
    )];
    let mut wrong = Vec::new();
    for case in cases() {
        let mut new = base.clone();
        (case.mutate)(&mut new);
        let new_bytes = serde_json::to_vec(&new).unwrap();
        let report = xtask::compare_specs(&base_bytes, &new_bytes).unwrap();
        let verdict = report.verdict().unwrap_or(Impact::Cosmetic);
        std::fs::write(&spec_path, &new_bytes).unwrap();
        let error = check(&crate_dir, &spec_path);
        let compiles = error.is_none();
        let reason = report
            .changes
            .iter()
            .filter(|c| c.impact == verdict)
            .map(|c| format!("{}: {}", c.subject, c.detail))
            .collect::<Vec<_>>()
            .join("; ");
        table.push(format!(
            "| {} | {verdict:?} | {} | {} |",
            case.kind,
            if compiles { "yes" } else { "no" },
            if compiles {
                reason.clone()
            } else {
                format!("{reason} — {}", error.clone().unwrap_or_default())
            }
        ));
        // Breaking exactly when the caller stops compiling or a documented
        // behaviour changes.
        let breaks = !compiles || case.behaviour;
        if verdict != case.expected || (verdict == Impact::Breaking) != breaks {
            wrong.push(format!(
                "{}: report says {verdict:?} (expected {:?}), caller {} ({})",
                case.kind,
                case.expected,
                if compiles {
                    "compiles"
                } else {
                    "does not compile"
                },
                error.unwrap_or(reason)
            ));
        }
    }
    println!("{}", table.join("\n"));
    println!(
        "{} kinds of change in {:.0?}",
        cases().len(),
        started.elapsed()
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
