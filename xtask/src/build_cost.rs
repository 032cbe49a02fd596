//! `cargo xtask build-cost`: what a cold build costs, measured side by side.
//!
//! Builds, one after the other and each into a fresh target directory:
//!
//! * `consumer`: a minimal crate using `ionworks` (default features) and
//!   tokio, whose `main` builds a client;
//! * `one-tag`: the same crate with one part of the API (`api-jobs`, no
//!   default features besides `rustls`);
//! * `quickstart`: `cargo build --example quickstart` of this workspace;
//! * `xtask`: `cargo build -p xtask` (what the first `cargo xtask` compiles);
//! * `reqwest`: the floor, a crate using plain `reqwest` (default features and
//!   `json`), serde and tokio.
//!
//! For each it prints the wall time and the time of cargo's units (from the
//! `--timings` report) by group: runtime crates (what ends up in the program,
//! with their build scripts), build-only crates (build-dependencies, proc
//! macros and whatever only they pull), C builds (runs of build scripts that
//! depend on `cc` or `cmake`) and our crates (path dependencies: this
//! workspace and the scratch crate). The two scratch crates use this
//! workspace's `Cargo.lock`, so they get the same versions, and build this
//! workspace's crates as a registry dependency is built: without
//! incremental state (see `AS_FROM_A_REGISTRY`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use serde_json::Value;

use lexopt::prelude::*;

use crate::cli::{Error, Parser, Usage};

pub const USAGE: &str = "\
usage: cargo xtask build-cost [--only LIST] [--rounds N] [--units]

Build cold, one after the other, each into a fresh target directory:
  consumer    a minimal crate using ionworks (default features) and tokio
  one-tag     the same with one part of the API (rustls, api-jobs)
  quickstart  `cargo build --example quickstart` of this workspace
  xtask       `cargo build -p xtask`
  reqwest     the floor: a crate using plain reqwest (default features and
              `json`), serde and tokio
and print, for each, the wall time and cargo's unit time by group: runtime
crates, build-only crates (build-dependencies, proc macros and what only
they pull), C builds (runs of build scripts that use cc or cmake) and ours
(path crates). Takes minutes; measure on an otherwise idle machine. With
--rounds N, the builds run N times, interleaved (all of them, then all of
them again), and each figure is that of the build's median round; a ratio
is that of the two medians, and every round's ratio is listed beside it.

options:
  --only LIST  a comma-separated subset of consumer,one-tag,quickstart,
               xtask,reqwest
  --rounds N   build each N times, interleaved (1 to 9; default 1)
  --units      list every unit with its group and time
  --root DIR   the workspace to measure (default: this one)
  -h, --help   print this help
";

pub fn run(mut parser: Parser) -> Result<(), Error> {
    let usage = Usage(USAGE);
    let (mut only, mut root, mut units, mut rounds) = (None, None, false, 1);
    while let Some(arg) = usage.next(&mut parser)? {
        match arg {
            Short('h') | Long("help") => return usage.help(&mut parser),
            Long("only") => only = Some(usage.value(&mut parser, "only")?),
            Long("root") => root = Some(usage.value(&mut parser, "root")?),
            Long("units") => units = true,
            Long("rounds") => {
                let value = usage.value(&mut parser, "rounds")?;
                rounds = match value.parse::<usize>() {
                    Ok(n @ 1..=9) => n,
                    _ => {
                        return Err(
                            usage.error(format!("--rounds: `{value}` is not a number from 1 to 9"))
                        );
                    }
                };
            }
            other => return Err(usage.unexpected(other)),
        }
    }
    if let Some(bad) = only
        .iter()
        .flat_map(|list| list.split(','))
        .find(|name| !BUILDS.contains(&name.trim()))
    {
        return Err(usage.error(format!("--only: unknown build `{bad}`")));
    }
    Ok(measure_builds(
        &crate::cli::root(root),
        only.as_deref(),
        rounds,
        units,
    )?)
}

/// Appended to the scratch consumers' manifests: cargo writes incremental
/// state for path dependencies (this workspace's crates, here), never for
/// crates from a registry, which is how a consumer gets `ionworks` and its
/// generator; a cold build of either is a quarter to a third slower with it.
const AS_FROM_A_REGISTRY: &str = "\n[profile.dev.package.ionworks]\nincremental = false\n\
    [profile.dev.package.ionworks-codegen]\nincremental = false\n";

pub const BUILDS: [&str; 5] = ["consumer", "one-tag", "quickstart", "xtask", "reqwest"];

const CONSUMER_MAIN: &str = r#"#[tokio::main(flavor = "current_thread")]
async fn main() {
    let client = ionworks::Client::builder()
        .base_url("https://api.ionworks.com")
        .api_key("key")
        .build()
        .expect("client");
    println!("{client:?}");
}
"#;

const REQWEST_MAIN: &str = r#"#[derive(serde::Deserialize, Debug)]
struct Job {
    job_id: String,
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let client = reqwest::Client::builder().build().expect("client");
    let request = client.get("https://api.ionworks.com/jobs/1");
    if std::env::args().count() > 1 {
        let job: Job = request.send().await.expect("send").json().await.expect("json");
        println!("{job:?}");
    }
}
"#;

/// One cargo unit from the `--timings` report.
struct Unit {
    name: String,
    version: String,
    target: String,
    mode: String,
    features: Vec<String>,
    duration: f64,
}

#[derive(Default)]
struct Cost {
    wall: f64,
    crates: usize,
    units: usize,
    total: f64,
    runtime: f64,
    build_only: f64,
    c: f64,
    ours: f64,
    slowest: Vec<(String, f64)>,
}

/// A project to build: the directory cargo runs in and its arguments.
struct Project {
    dir: PathBuf,
    args: Vec<String>,
    /// `cargo tree` arguments that select the runtime crates.
    tree: Vec<String>,
}

fn measure_builds(
    root: &Path,
    only: Option<&str>,
    rounds: usize,
    list_units: bool,
) -> Result<(), String> {
    let selected: Vec<&str> = match only {
        Some(list) => {
            let names: Vec<&str> = list.split(',').map(str::trim).collect();
            if let Some(bad) = names.iter().find(|n| !BUILDS.contains(n)) {
                return Err(format!(
                    "unknown build `{bad}` (choose from {})",
                    BUILDS.join(", ")
                ));
            }
            names
        }
        None => BUILDS.to_vec(),
    };
    let root = root
        .canonicalize()
        .map_err(|e| format!("cannot find the workspace {}: {e}", root.display()))?;
    let scratch = std::env::temp_dir().join(format!("ionworks-build-cost-{}", std::process::id()));
    std::fs::create_dir_all(&scratch)
        .map_err(|e| format!("cannot create {}: {e}", scratch.display()))?;
    let result = measure_all(&root, &scratch, &selected, rounds, list_units);
    let _ = std::fs::remove_dir_all(&scratch);
    let all_rounds = result?;
    // Each build's median round (by wall time).
    let costs: Vec<(&str, &Cost)> = all_rounds
        .iter()
        .map(|(name, rounds)| {
            let mut by_wall: Vec<&Cost> = rounds.iter().collect();
            by_wall.sort_by(|a, b| a.wall.total_cmp(&b.wall));
            (*name, by_wall[by_wall.len() / 2])
        })
        .collect();
    let walls = |n: &str| -> Vec<f64> {
        all_rounds
            .iter()
            .find(|(name, _)| *name == n)
            .map(|(_, rounds)| rounds.iter().map(|c| c.wall).collect())
            .unwrap_or_default()
    };

    println!();
    println!(
        "{:<11} {:>7} {:>6} {:>6} {:>8} {:>8} {:>10} {:>6} {:>6}",
        "build", "wall s", "crates", "units", "unit s", "runtime", "build-only", "C", "ours"
    );
    for (name, c) in &costs {
        println!(
            "{:<11} {:>7.1} {:>6} {:>6} {:>8.1} {:>8.1} {:>10.1} {:>6.1} {:>6.1}",
            name, c.wall, c.crates, c.units, c.total, c.runtime, c.build_only, c.c, c.ours
        );
    }
    if rounds > 1 {
        for (name, _) in &costs {
            let each: Vec<String> = walls(name).iter().map(|w| format!("{w:.1}")).collect();
            println!("{name} wall s by round: {}", each.join(", "));
        }
    }
    let wall = |n: &str| {
        costs
            .iter()
            .find(|(name, _)| *name == n)
            .map(|(_, c)| c.wall)
    };
    for (a, b, target) in [
        ("consumer", "reqwest", "1.50"),
        ("one-tag", "reqwest", "1.05"),
        ("quickstart", "consumer", "1.50"),
    ] {
        if let (Some(x), Some(y)) = (wall(a), wall(b)) {
            let by_round: Vec<String> = walls(a)
                .iter()
                .zip(walls(b))
                .map(|(x, y)| format!("{:.2}", x / y))
                .collect();
            let by_round = if rounds > 1 {
                format!("; by round {}", by_round.join(", "))
            } else {
                String::new()
            };
            println!("{a} / {b}: {:.2} (target ≤ {target}){by_round}", x / y);
        }
    }
    println!();
    for (name, c) in &costs {
        let slowest: Vec<String> = c
            .slowest
            .iter()
            .map(|(unit, s)| format!("{unit} {s:.1}"))
            .collect();
        println!("{name} slowest units (s): {}", slowest.join(", "));
    }
    Ok(())
}

/// Every selected build's cost in each round, in the order of `BUILDS`.
fn measure_all(
    root: &Path,
    scratch: &Path,
    selected: &[&str],
    rounds: usize,
    list_units: bool,
) -> Result<Vec<(&'static str, Vec<Cost>)>, String> {
    let mut costs: Vec<(&'static str, Vec<Cost>)> = BUILDS
        .iter()
        .filter(|name| selected.contains(name))
        .map(|name| (*name, Vec::new()))
        .collect();
    for round in 1..=rounds {
        if rounds > 1 {
            eprintln!("== round {round} of {rounds}");
        }
        for (name, each) in &mut costs {
            each.push(measure_one(root, scratch, name, list_units)?);
        }
    }
    Ok(costs)
}

/// One cold build of `name`.
fn measure_one(root: &Path, scratch: &Path, name: &str, list_units: bool) -> Result<Cost, String> {
    let project = match name {
        "consumer" => scratch_crate(
            root,
            scratch,
            name,
            &format!(
                "ionworks = {{ path = {:?} }}\n\
                 tokio = {{ version = \"1\", features = [\"macros\", \"rt\"] }}\n\
                 {AS_FROM_A_REGISTRY}",
                root.display().to_string()
            ),
            CONSUMER_MAIN,
        )?,
        "one-tag" => scratch_crate(
            root,
            scratch,
            name,
            &format!(
                "ionworks = {{ path = {:?}, default-features = false, \
                 features = [\"rustls\", \"api-jobs\"] }}\n\
                 tokio = {{ version = \"1\", features = [\"macros\", \"rt\"] }}\n\
                 {AS_FROM_A_REGISTRY}",
                root.display().to_string()
            ),
            CONSUMER_MAIN,
        )?,
        "reqwest" => scratch_crate(
            root,
            scratch,
            name,
            "reqwest = { version = \"0.13\", features = [\"json\"] }\n\
             serde = { version = \"1\", features = [\"derive\"] }\n\
             tokio = { version = \"1\", features = [\"macros\", \"rt\"] }\n",
            REQWEST_MAIN,
        )?,
        "quickstart" => Project {
            dir: root.to_path_buf(),
            args: strings(&["--example", "quickstart"]),
            tree: strings(&["-p", "ionworks", "-e", "normal,dev,no-proc-macro"]),
        },
        _ => Project {
            dir: root.to_path_buf(),
            args: strings(&["-p", "xtask"]),
            tree: strings(&["-p", "xtask", "-e", "normal,no-proc-macro"]),
        },
    };
    eprintln!("== {name}: cargo build {}", project.args.join(" "));
    let target = scratch.join(format!("target-{name}"));
    let cost = measure(&project, &target, list_units)?;
    let _ = std::fs::remove_dir_all(&target);
    eprintln!(
        "== {name}: {:.1} s wall, {} crates compiled",
        cost.wall, cost.crates
    );
    Ok(cost)
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| a.to_string()).collect()
}

/// A scratch binary crate with its own (empty) workspace and this
/// workspace's lock file.
fn scratch_crate(
    root: &Path,
    scratch: &Path,
    name: &str,
    dependencies: &str,
    main: &str,
) -> Result<Project, String> {
    let dir = scratch.join(name);
    let write = |path: PathBuf, text: &str| {
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
    };
    std::fs::create_dir_all(dir.join("src"))
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    write(
        dir.join("Cargo.toml"),
        &format!(
            "[package]\nname = \"build-cost-{name}\"\nversion = \"0.0.0\"\nedition = \"2024\"\n\
             publish = false\n\n[workspace]\n\n[dependencies]\n{dependencies}"
        ),
    )?;
    write(dir.join("src/main.rs"), main)?;
    std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock"))
        .map_err(|e| format!("cannot copy Cargo.lock: {e}"))?;
    Ok(Project {
        dir,
        args: Vec::new(),
        tree: strings(&["-e", "normal,no-proc-macro"]),
    })
}

pub(crate) fn cargo() -> Command {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command.env_remove("CARGO_TARGET_DIR");
    command
}

pub(crate) fn output(command: &mut Command, what: &str) -> Result<String, String> {
    let out = command
        .output()
        .map_err(|e| format!("cannot run {what}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{what} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    String::from_utf8(out.stdout).map_err(|e| format!("{what}: {e}"))
}

fn measure(project: &Project, target: &Path, list_units: bool) -> Result<Cost, String> {
    // Resolve and download first: neither is part of the build's cost.
    output(
        cargo().arg("fetch").current_dir(&project.dir),
        "cargo fetch",
    )?;
    let runtime = runtime_crates(project)?;
    let (c_packages, path_packages) = package_kinds(&project.dir)?;

    let start = Instant::now();
    let out = cargo()
        .arg("build")
        .args(&project.args)
        .arg("--timings")
        .env("CARGO_TARGET_DIR", target)
        .current_dir(&project.dir)
        .output()
        .map_err(|e| format!("cannot run cargo build: {e}"))?;
    let wall = start.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        return Err(format!("cargo build failed:\n{stderr}"));
    }
    let crates = stderr
        .lines()
        .filter(|l| l.trim_start().starts_with("Compiling "))
        .count();
    let units = read_units(&target.join("cargo-timings/cargo-timing.html"))?;

    let mut cost = Cost {
        wall,
        crates,
        units: units.len(),
        ..Cost::default()
    };
    let mut slowest = Vec::new();
    for unit in &units {
        let key = (unit.name.clone(), unit.version.clone());
        let (group, label) = if path_packages.contains(&key) {
            (&mut cost.ours, "ours")
        } else if unit.mode == "run-custom-build" && c_packages.contains(&key) {
            (&mut cost.c, "C")
        } else if runtime.get(&key).is_some_and(|sets| {
            unit.target.contains("build-script") || sets.contains(&unit.features)
        }) {
            (&mut cost.runtime, "runtime")
        } else {
            (&mut cost.build_only, "build-only")
        };
        *group += unit.duration;
        if list_units {
            eprintln!(
                "  {label:<10} {:>6.2} {} {}{} [{}]",
                unit.duration,
                unit.name,
                unit.version,
                unit.target,
                unit.features.join(",")
            );
        }
        cost.total += unit.duration;
        slowest.push((format!("{}{}", unit.name, unit.target), unit.duration));
    }
    slowest.sort_by(|a, b| b.1.total_cmp(&a.1));
    slowest.truncate(6);
    cost.slowest = slowest;
    Ok(cost)
}

/// Name and version of each runtime crate, with the feature sets it is
/// built with.
type RuntimeCrates = BTreeMap<(String, String), BTreeSet<Vec<String>>>;

/// Runtime crates and the feature sets they are built with, from
/// `cargo tree` over normal edges without proc macros.
fn runtime_crates(project: &Project) -> Result<RuntimeCrates, String> {
    let text = output(
        cargo()
            .arg("tree")
            .args(&project.tree)
            .args(["--prefix", "none", "--format", "{p}|{f}"])
            .current_dir(&project.dir),
        "cargo tree",
    )?;
    let mut crates = RuntimeCrates::new();
    for line in text.lines() {
        let Some((package, features)) = line.split_once('|') else {
            continue;
        };
        let mut words = package.split_whitespace();
        let (Some(name), Some(version)) = (words.next(), words.next()) else {
            continue;
        };
        let version = version.trim_start_matches('v').to_string();
        let mut features: Vec<String> = features
            .split(" (*)")
            .next()
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .map(str::to_string)
            .collect();
        features.sort();
        crates
            .entry((name.to_string(), version))
            .or_default()
            .insert(features);
    }
    Ok(crates)
}

type Packages = BTreeSet<(String, String)>;

/// Packages whose build scripts compile C (they build-depend on `cc` or
/// `cmake`) and path packages (ours), from `cargo metadata`.
fn package_kinds(dir: &Path) -> Result<(Packages, Packages), String> {
    let text = output(
        cargo()
            .args(["metadata", "--format-version", "1"])
            .current_dir(dir),
        "cargo metadata",
    )?;
    let metadata: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let (mut c, mut ours) = (Packages::new(), Packages::new());
    for package in metadata["packages"].as_array().into_iter().flatten() {
        let key = (
            package["name"].as_str().unwrap_or_default().to_string(),
            package["version"].as_str().unwrap_or_default().to_string(),
        );
        if package["source"].is_null() {
            ours.insert(key.clone());
        }
        let builds_c = package["dependencies"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|d| d["kind"] == "build" && matches!(d["name"].as_str(), Some("cc" | "cmake")));
        if builds_c {
            c.insert(key);
        }
    }
    Ok((c, ours))
}

/// The `UNIT_DATA` array of cargo's HTML timing report.
fn read_units(report: &Path) -> Result<Vec<Unit>, String> {
    let html = std::fs::read_to_string(report)
        .map_err(|e| format!("cannot read {}: {e}", report.display()))?;
    let start = html
        .find("const UNIT_DATA = ")
        .ok_or_else(|| format!("{}: no UNIT_DATA", report.display()))?;
    let json = &html[start + "const UNIT_DATA = ".len()..];
    let data: Value = serde_json::Deserializer::from_str(json)
        .into_iter::<Value>()
        .next()
        .ok_or("UNIT_DATA is empty")?
        .map_err(|e| format!("{}: UNIT_DATA: {e}", report.display()))?;
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    Ok(data
        .as_array()
        .into_iter()
        .flatten()
        .map(|u| {
            let mut features: Vec<String> = u["features"]
                .as_array()
                .into_iter()
                .flatten()
                .map(text)
                .collect();
            features.sort();
            Unit {
                name: text(&u["name"]),
                version: text(&u["version"]),
                target: text(&u["target"]),
                mode: text(&u["mode"]),
                features,
                duration: u["duration"].as_f64().unwrap_or(0.0),
            }
        })
        .collect())
}
