//! `cargo xtask update-spec`: refresh the vendored spec and the API-surface
//! snapshots, and report what the change means for callers.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::Surface;

use lexopt::prelude::*;

use crate::cli::{Error, Parser, Usage};

pub const USAGE: &str = "\
usage: cargo xtask update-spec [--url URL | --from FILE] [--report FILE] [--check]

Fetch the upstream spec or read FILE, check that the codegen accepts it,
write openapi.json in canonical form (sorted keys, two-space indent), refresh
the API-surface snapshots in tests/snapshots/ and print the change report.
Nothing is written if the codegen rejects the new document.

options:
  --url URL      fetch from URL (default https://api.ionworks.com/openapi.json)
  --from FILE    read FILE instead of fetching
  --report FILE  also write the change report to FILE as Markdown
  --check        (offline) fail if openapi.json is not canonical or the
                 snapshots are stale; writes nothing
  --root DIR     the workspace to update (default: this one)
  -h, --help     print this help
";

pub fn run(mut parser: Parser) -> Result<(), Error> {
    let usage = Usage(USAGE);
    let (mut url, mut from, mut report, mut root) = (None, None, None, None);
    let mut check_only = false;
    while let Some(arg) = usage.next(&mut parser)? {
        match arg {
            Short('h') | Long("help") => return usage.help(&mut parser),
            Long("url") => url = Some(usage.value(&mut parser, "url")?),
            Long("from") => from = Some(usage.value(&mut parser, "from")?),
            Long("report") => report = Some(usage.value(&mut parser, "report")?),
            Long("root") => root = Some(usage.value(&mut parser, "root")?),
            Long("check") => check_only = true,
            other => return Err(usage.unexpected(other)),
        }
    }
    let root = crate::cli::root(root);
    if check_only {
        return Ok(check(&root)?);
    }
    let source = match (url, from) {
        (Some(_), Some(_)) => return Err(usage.error("give either --url or --from, not both")),
        (None, Some(file)) => Source::File(PathBuf::from(file)),
        (url, None) => Source::Url(url.unwrap_or_else(|| DEFAULT_URL.to_string())),
    };
    Ok(update(&root, &source, report.map(PathBuf::from))?)
}

/// Where the live spec is served.
pub const DEFAULT_URL: &str = "https://api.ionworks.com/openapi.json";

/// Where the new document comes from.
pub enum Source {
    /// An HTTP(S) URL.
    Url(String),
    /// A local file.
    File(PathBuf),
}

/// The snapshot files, relative to the workspace root, and what they hold.
type Render = fn(&Surface) -> String;

const SNAPSHOTS: [(&str, Render); 2] = [
    (
        "tests/snapshots/api_surface__operations.snap",
        Surface::operations_text,
    ),
    (
        "tests/snapshots/api_surface__types.snap",
        Surface::types_text,
    ),
];

/// insta's snapshot file format (see `xtask/tests/api_surface.rs`).
fn snapshot_file(contents: &str) -> String {
    format!("---\nsource: xtask/tests/api_surface.rs\n---\n{contents}")
}

fn fetch(url: &str) -> Result<Vec<u8>, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a runtime: {e}"))?;
    runtime.block_on(fetch_async(url))
}

/// The TLS set-up of `ionworks` with its default `rustls` feature (see
/// `src/tls.rs`): the ring provider and the platform's verifier.
fn tls_config() -> Result<rustls::ClientConfig, rustls::Error> {
    let provider = rustls::crypto::CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::ring::default_provider()));
    let verifier = rustls_platform_verifier::Verifier::new(provider.clone())?;
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(rustls::ALL_VERSIONS)?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

async fn fetch_async(url: &str) -> Result<Vec<u8>, String> {
    let tls = tls_config().map_err(|e| format!("cannot set up TLS: {e}"))?;
    let client = reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .timeout(Duration::from_secs(30))
        .connect_timeout(Duration::from_secs(10))
        .user_agent(concat!("ionworks-xtask/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("cannot build an HTTP client: {e}"))?;
    let response = client.get(url).send().await.map_err(|e| {
        if e.is_timeout() {
            format!("{url} did not answer within 30 s")
        } else if e.is_connect() {
            format!("cannot reach {url}: {}", root_cause(&e))
        } else {
            format!("request to {url} failed: {}", root_cause(&e))
        }
    })?;
    let status = response.status();
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("none")
        .to_string();
    let body = response
        .bytes()
        .await
        .map_err(|e| format!("reading the body of {url} failed: {e}"))?;
    if !status.is_success() {
        return Err(format!("{url} answered HTTP {status}: {}", excerpt(&body)));
    }
    if serde_json::from_slice::<serde_json::Value>(&body).is_err() {
        return Err(format!(
            "{url} did not return JSON (content-type {content_type}): {}",
            excerpt(&body)
        ));
    }
    Ok(body.to_vec())
}

fn root_cause(e: &dyn std::error::Error) -> String {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

/// The first 120 characters of a body, on one line.
fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut cut: String = one_line.chars().take(120).collect();
    if one_line.chars().count() > 120 {
        cut.push('…');
    }
    format!("{cut:?}")
}

/// Write `contents` to `path` atomically (temporary file + rename).
fn write_atomic(path: &Path, contents: &[u8]) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let tmp = path.with_extension("tmp~");
    std::fs::write(&tmp, contents).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("cannot replace {}: {e}", path.display()))
}

pub fn update(root: &Path, source: &Source, report: Option<PathBuf>) -> Result<(), String> {
    let (label, raw) = match source {
        Source::Url(url) => (url.clone(), fetch(url)?),
        Source::File(path) => (
            path.display().to_string(),
            std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?,
        ),
    };
    let unchanged = "openapi.json and the snapshots were left unchanged";
    let canonical =
        crate::canonical_json(&raw).map_err(|e| format!("{label}: {e}\n{unchanged}"))?;
    // A spec the codegen cannot handle never replaces the vendored one.
    let generated = ionworks_codegen::generate(canonical.as_bytes(), &crate::options())
        .map_err(|e| format!("{label}: {e}\n{unchanged}"))?;
    let surface = crate::surface::of(canonical.as_bytes(), &generated)
        .map_err(|e| format!("{label}: {e}\n{unchanged}"))?;

    let target = root.join("openapi.json");
    let old = std::fs::read(&target).unwrap_or_default();
    let changes = crate::compare_specs(&old, canonical.as_bytes())
        .map_err(|e| format!("{label}: {e}\n{unchanged}"))?;
    let version = std::fs::read_to_string(root.join("Cargo.toml"))
        .ok()
        .and_then(|t| {
            t.lines()
                .skip_while(|l| l.trim() != "[package]")
                .find_map(|l| {
                    l.strip_prefix("version = \"")
                        .and_then(|v| v.strip_suffix('"'))
                        .map(str::to_string)
                })
        })
        .unwrap_or_else(|| "0.1.0".to_string());

    if old != canonical.as_bytes() {
        write_atomic(&target, canonical.as_bytes())?;
    }
    let manifest = root.join("Cargo.toml");
    if let Ok(text) = std::fs::read_to_string(&manifest) {
        let doc = ionworks_codegen::parse_json(canonical.as_bytes()).map_err(|e| e.to_string())?;
        let synced = sync_api_features(&text, &doc)?;
        if synced != text {
            write_atomic(&manifest, synced.as_bytes())?;
            println!("Cargo.toml: the API features now follow the spec's tags");
        }
    }
    for (file, render) in SNAPSHOTS {
        let path = root.join(file);
        let text = snapshot_file(&render(&surface));
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            write_atomic(&path, text.as_bytes())?;
        }
    }
    println!("{}", changes.summary(&version));
    for c in &changes.changes {
        println!(
            "  {:<9} {}: {}",
            format!("{:?}", c.impact).to_lowercase(),
            c.subject,
            c.detail
        );
    }
    for warning in &generated.report.warnings {
        println!("  warning   {}: {}", warning.pointer, warning.message);
    }
    if !surface.skipped.is_empty() {
        println!(
            "{} operation(s) of the spec are NOT GENERATED (listed in the operations snapshot):",
            surface.skipped.len()
        );
        for s in &surface.skipped {
            println!("  {} {} {}: {}", s.method, s.path, s.name, s.reason);
        }
    }
    if let Some(path) = report {
        write_atomic(&path, changes.markdown(&version).as_bytes())?;
        println!("report written to {}", path.display());
    }
    if !changes.changes.is_empty() {
        println!(
            "review the snapshot diff (git diff tests/snapshots) or `cargo insta review`, then commit"
        );
    }
    Ok(())
}

const BEGIN: &str = "# BEGIN API FEATURES";
const END: &str = "# END API FEATURES";

/// `manifest` (a Cargo.toml) with its API-features block rewritten for the
/// tags of `doc`: `all-apis`, then one `api-<tag>` feature per tag (see
/// `ionworks_codegen::tag_features`). A manifest without the block is
/// returned unchanged.
pub fn sync_api_features(manifest: &str, doc: &serde_json::Value) -> Result<String, String> {
    let (Some(begin), Some(end)) = (manifest.find(BEGIN), manifest.find(END)) else {
        return Ok(manifest.to_string());
    };
    let begin_line_end = manifest[begin..]
        .find('\n')
        .map(|i| begin + i + 1)
        .ok_or("Cargo.toml: unterminated API-features block")?;
    if end < begin_line_end {
        return Err("Cargo.toml: the API-features block ends before it begins".into());
    }
    // Feature → the tags it stands for (kebab case can merge spellings).
    let mut tags: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for (_, _, op) in ionworks_codegen::operations(doc) {
        for tag in op
            .get("tags")
            .and_then(serde_json::Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(serde_json::Value::as_str)
        {
            let feature = ionworks_codegen::tag_features(
                &serde_json::json!({"paths": {"/": {"get": {"tags": [tag]}}}}),
                ionworks_codegen::SDK_FEATURE_PREFIX,
            );
            let entry = tags.entry(feature.concat()).or_default();
            if !entry.iter().any(|t| t == tag) {
                entry.push(tag.to_string());
            }
        }
    }
    let mut block = String::new();
    block.push_str("## Every part of the API (each `api-*` feature); on by default.\n");
    let all: Vec<String> = tags.keys().map(|f| format!("{f:?}")).collect();
    block.push_str(&format!("all-apis = [{}]\n", all.join(", ")));
    for (feature, names) in &tags {
        let names: Vec<String> = names.iter().map(|t| format!("`{t}`")).collect();
        block.push_str(&format!(
            "## The operations tagged {}, and the types only they use.\n{feature} = []\n",
            names.join(" or ")
        ));
    }
    Ok(format!(
        "{}{block}{}",
        &manifest[..begin_line_end],
        &manifest[end..]
    ))
}

pub fn check(root: &Path) -> Result<(), String> {
    let fix = "run `cargo xtask update-spec --from openapi.json` to fix";
    let target = root.join("openapi.json");
    let current =
        std::fs::read(&target).map_err(|e| format!("cannot read {}: {e}", target.display()))?;
    let canonical = crate::canonical_json(&current).map_err(|e| format!("openapi.json: {e}"))?;
    if canonical.as_bytes() != current.as_slice() {
        return Err(format!(
            "openapi.json is not in canonical form (edited by hand?); {fix}"
        ));
    }
    let generated = ionworks_codegen::generate(&current, &crate::options())
        .map_err(|e| format!("openapi.json: {e}"))?;
    let surface = crate::surface::of(&current, &generated)?;
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap_or_default();
    let doc = ionworks_codegen::parse_json(&current).map_err(|e| e.to_string())?;
    if sync_api_features(&manifest, &doc)? != manifest {
        return Err(format!(
            "Cargo.toml's API features do not match the tags of openapi.json; {fix}"
        ));
    }
    for (file, render) in SNAPSHOTS {
        let path = root.join(file);
        let expected = snapshot_file(&render(&surface));
        let actual = std::fs::read_to_string(&path).unwrap_or_default();
        if actual.trim_end() != expected.trim_end() {
            return Err(format!(
                "{file} is stale: it does not match openapi.json; {fix}"
            ));
        }
    }
    println!("openapi.json is canonical and the API-surface snapshots are up to date");
    Ok(())
}
