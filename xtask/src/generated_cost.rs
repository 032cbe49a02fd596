//! `cargo xtask generated-cost`: what a generated client costs to compile,
//! with every API tag, with none, and with each tag alone.
//!
//! The client is generated as the crate's `build.rs` generates its own (one
//! cargo feature per OpenAPI tag, `ionworks::ApiError` from every `send()`,
//! forms through `ionworks::upload`) into a scratch library crate that
//! depends on `ionworks` and declares the tag features. Its dependencies are
//! built once first; then the library alone is compiled from scratch
//! (no incremental state) once per feature set, and the wall time of each of
//! those builds is printed with the operations the set enables.
//!
//! `--spec synthetic` measures an API of about the live Ionworks API's size
//! (≈ 225 operations): the vendored prefect, private-gpt and infinity
//! documents side by side, each under its own path prefix and with its
//! component names prefixed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::{Map, Value};

/// The documents of the synthetic spec and the prefix each gets.
const SYNTHETIC: [(&str, &str); 3] = [
    ("PrefectHQ__prefect__server-schema.json", "prefect"),
    ("zylon-ai__private-gpt__fern-openapi.json", "gpt"),
    ("michaelfeil__infinity__openapi.json", "inf"),
];

use ionworks_codegen::SDK_FEATURE_PREFIX as PREFIX;

use lexopt::prelude::*;

use crate::cli::{Error, Parser, Usage};

pub const USAGE: &str = "\
usage: cargo xtask generated-cost [--spec PATH|synthetic] [--tags N]

Generate a client from PATH (default: this workspace's openapi.json) as
build.rs does, with a cargo feature per OpenAPI tag, into a scratch crate;
build its dependencies once, then compile the client alone, from scratch,
with no tag, with every tag (all-apis) and with each of the N largest tags
and the smallest one alone. Prints the lines of generated code and each
build's seconds. `synthetic` is an API of about 225 operations made of the
vendored prefect, private-gpt and infinity documents.

options:
  --spec PATH  the OpenAPI document (JSON), or `synthetic`
  --tags N     how many of the largest tags to build alone (default 2)
  --root DIR   the workspace whose ionworks crate the client uses
  -h, --help   print this help
";

pub fn run(mut parser: Parser) -> Result<(), Error> {
    let usage = Usage(USAGE);
    let (mut spec, mut tags, mut root) = (None, None, None);
    while let Some(arg) = usage.next(&mut parser)? {
        match arg {
            Short('h') | Long("help") => return usage.help(&mut parser),
            Long("spec") => spec = Some(usage.value(&mut parser, "spec")?),
            Long("tags") => tags = Some(usage.value(&mut parser, "tags")?),
            Long("root") => root = Some(usage.value(&mut parser, "root")?),
            other => return Err(usage.unexpected(other)),
        }
    }
    let root = crate::cli::root(root);
    let spec = spec.unwrap_or_else(|| root.join("openapi.json").display().to_string());
    let tags = match tags {
        None => 2,
        Some(n) => n
            .parse()
            .map_err(|_| usage.error(format!("--tags: `{n}` is not a number")))?,
    };
    Ok(measure_tags(&root, &spec, tags)?)
}

fn measure_tags(root: &Path, spec: &str, tags: usize) -> Result<(), String> {
    let doc = if spec == "synthetic" {
        synthetic(root)?
    } else {
        let bytes = std::fs::read(spec).map_err(|e| format!("cannot read {spec}: {e}"))?;
        ionworks_codegen::parse_json(&bytes).map_err(|e| format!("{spec}: {e}"))?
    };
    let bytes = serde_json::to_vec(&doc).map_err(|e| e.to_string())?;
    let options = ionworks_codegen::Options::facade("ionworks").tag_features(PREFIX);
    let started = Instant::now();
    let generated = ionworks_codegen::generate(&bytes, &options).map_err(|e| e.to_string())?;
    let generate_s = started.elapsed().as_secs_f64();
    let lines = generated.code.lines().count();

    // Operations per feature, as the codegen names the features.
    let mut per_feature: BTreeMap<String, usize> = BTreeMap::new();
    let mut operations = 0;
    for op in operations_of(&doc) {
        operations += 1;
        for feature in ionworks_codegen::tag_features(&single(op), PREFIX) {
            *per_feature.entry(feature).or_default() += 1;
        }
    }
    println!(
        "{operations} operations, {} tag features, {lines} lines of generated code \
         (generated in {generate_s:.2} s)",
        per_feature.len()
    );

    let scratch =
        std::env::temp_dir().join(format!("ionworks-generated-cost-{}", std::process::id()));
    let result = measure(root, &scratch, &generated.code, &per_feature, tags);
    let _ = std::fs::remove_dir_all(&scratch);
    let rows = result?;
    println!();
    println!("{:<40} {:>10} {:>8}", "features", "operations", "build s");
    for (features, ops, seconds) in rows {
        println!("{features:<40} {ops:>10} {seconds:>8.1}");
    }
    Ok(())
}

/// Each operation object of a document.
fn operations_of(doc: &Value) -> impl Iterator<Item = &Value> {
    doc.get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(Map::values)
        .filter_map(Value::as_object)
        .flat_map(|item| {
            ionworks_codegen::HTTP_METHODS
                .iter()
                .filter_map(move |m| item.get(*m))
        })
}

/// A document of one operation with `op`'s tags (for the features they give).
fn single(op: &Value) -> Value {
    let tags = op.get("tags").cloned().unwrap_or(Value::Array(Vec::new()));
    serde_json::json!({"paths": {"/": {"get": {"tags": tags}}}})
}

fn measure(
    root: &Path,
    scratch: &Path,
    code: &str,
    per_feature: &BTreeMap<String, usize>,
    tags: usize,
) -> Result<Vec<(String, usize, f64)>, String> {
    let root = root
        .canonicalize()
        .map_err(|e| format!("cannot find the workspace {}: {e}", root.display()))?;
    let write = |path: PathBuf, text: &str| {
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
    };
    std::fs::create_dir_all(scratch.join("src"))
        .map_err(|e| format!("cannot create {}: {e}", scratch.display()))?;
    let mut features = String::from("[features]\n");
    let all: Vec<String> = per_feature.keys().map(|f| format!("{f:?}")).collect();
    features.push_str(&format!("all-apis = [{}]\n", all.join(", ")));
    for feature in per_feature.keys() {
        features.push_str(&format!("{feature} = []\n"));
    }
    write(
        scratch.join("Cargo.toml"),
        &format!(
            "[package]\nname = \"generated-cost\"\nversion = \"0.0.0\"\nedition = \"2024\"\n\
             publish = false\n\n[workspace]\n\n[lib]\npath = \"src/lib.rs\"\n\n\
             [dependencies]\n\
             ionworks = {{ path = {root:?}, default-features = false }}\n\
             progenitor-client = \"0.15.1\"\n\
             reqwest = {{ version = \"0.13.4\", default-features = false, features = [\"json\", \"query\", \"stream\"] }}\n\
             serde = {{ version = \"1\", features = [\"derive\"] }}\n\
             serde_json = \"1\"\n\
             chrono = {{ version = \"0.4\", default-features = false, features = [\"serde\", \"std\", \"clock\"] }}\n\
             uuid = {{ version = \"1\", features = [\"serde\"] }}\n\
             regress = \"0.12\"\n\
             futures = \"0.3\"\n\
             bytes = \"1\"\n\n{features}\n\
             [lints.rust]\nunexpected_cfgs = \"allow\"\n",
            root = root.display().to_string()
        ),
    )?;
    let lib = scratch.join("src/lib.rs");
    write(lib.clone(), &format!("#![allow(warnings)]\n{code}"))?;
    std::fs::copy(root.join("Cargo.lock"), scratch.join("Cargo.lock"))
        .map_err(|e| format!("cannot copy Cargo.lock: {e}"))?;

    let target = scratch.join("target");
    let build = |features: &[&str]| -> Result<f64, String> {
        // A fresh mtime: the library is compiled again, nothing else is.
        write(lib.clone(), &format!("#![allow(warnings)]\n{code}"))?;
        let mut command = crate::build_cost::cargo();
        command
            .args(["build", "--lib", "--quiet"])
            .env("CARGO_TARGET_DIR", &target)
            .env("CARGO_INCREMENTAL", "0")
            .current_dir(scratch);
        if !features.is_empty() {
            command.arg("--features").arg(features.join(","));
        }
        let started = Instant::now();
        crate::build_cost::output(
            &mut command,
            &format!("cargo build --features {:?}", features.join(",")),
        )?;
        Ok(started.elapsed().as_secs_f64())
    };

    eprintln!("== dependencies (not measured)");
    build(&[])?;
    let mut rows = Vec::new();
    let total: usize = per_feature.values().sum();
    eprintln!("== no tag");
    rows.push(("(none)".to_string(), 0, build(&[])?));
    eprintln!("== all-apis");
    rows.push(("all-apis".to_string(), total, build(&["all-apis"])?));
    // The largest tags, then the smallest: the range one tag alone costs.
    let mut by_size: Vec<(&String, &usize)> = per_feature.iter().collect();
    by_size.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let mut chosen: Vec<(&String, &usize)> = by_size.iter().take(tags).copied().collect();
    if let Some(smallest) = by_size.last().filter(|s| !chosen.contains(s)) {
        chosen.push(*smallest);
    }
    for (feature, ops) in chosen {
        eprintln!("== {feature}");
        rows.push((feature.clone(), *ops, build(&[feature.as_str()])?));
    }
    Ok(rows)
}

/// The vendored prefect, private-gpt and infinity documents as one API:
/// each document's paths under `/<prefix>`, its components, operation ids
/// and tags prefixed, its references rewritten to match.
fn synthetic(root: &Path) -> Result<Value, String> {
    let mut paths = Map::new();
    let mut components: Map<String, Value> = Map::new();
    for (file, prefix) in SYNTHETIC {
        let path = root.join("conformance/specs").join(file);
        let bytes =
            std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let mut doc =
            ionworks_codegen::parse_json(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        prefix_refs(&mut doc, prefix);
        for (section, entries) in doc
            .get_mut("components")
            .and_then(Value::as_object_mut)
            .map(std::mem::take)
            .unwrap_or_default()
        {
            let into = components
                .entry(section)
                .or_insert_with(|| Value::Object(Map::new()));
            if let (Some(into), Value::Object(entries)) = (into.as_object_mut(), entries) {
                for (name, value) in entries {
                    into.insert(format!("{prefix}_{name}"), value);
                }
            }
        }
        for (route, mut item) in doc
            .get_mut("paths")
            .and_then(Value::as_object_mut)
            .map(std::mem::take)
            .unwrap_or_default()
        {
            for method in ionworks_codegen::HTTP_METHODS {
                let Some(op) = item.get_mut(method).and_then(Value::as_object_mut) else {
                    continue;
                };
                if let Some(Value::String(id)) = op.get_mut("operationId") {
                    *id = format!("{prefix}_{id}");
                }
                let tags = op.entry("tags").or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(tags) = tags {
                    if tags.is_empty() {
                        tags.push(Value::String("default".into()));
                    }
                    for tag in tags.iter_mut() {
                        if let Value::String(t) = tag {
                            *t = format!("{prefix} {t}");
                        }
                    }
                }
            }
            paths.insert(format!("/{prefix}{route}"), item);
        }
    }
    Ok(serde_json::json!({
        "openapi": "3.1.0",
        "info": {"title": "synthetic", "version": "1"},
        "paths": paths,
        "components": components,
    }))
}

/// Rewrites every local component reference `#/components/<section>/<name>`
/// to `#/components/<section>/<prefix>_<name>`.
fn prefix_refs(value: &mut Value, prefix: &str) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                if key == "$ref"
                    && let Value::String(target) = child
                    && let Some(rest) = target.strip_prefix("#/components/")
                    && let Some((section, name)) = rest.split_once('/')
                {
                    *target = format!("#/components/{section}/{prefix}_{name}");
                } else {
                    prefix_refs(child, prefix);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| prefix_refs(v, prefix)),
        _ => {}
    }
}
