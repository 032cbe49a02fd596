//! `cargo xtask update-spec` end to end, against files and servers on
//! 127.0.0.1, in a scratch copy of the workspace.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

/// A scratch workspace with the vendored spec, its snapshots and Cargo.toml.
fn scratch() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("tests/snapshots")).unwrap();
    for file in [
        "openapi.json",
        "Cargo.toml",
        "tests/snapshots/api_surface__operations.snap",
        "tests/snapshots/api_surface__types.snap",
    ] {
        std::fs::copy(Path::new(ROOT).join(file), dir.path().join(file)).unwrap();
    }
    dir
}

struct Run {
    ok: bool,
    stdout: String,
    stderr: String,
}

fn xtask(root: &Path, args: &[&str]) -> Run {
    xtask_env(root, args, &[])
}

fn xtask_env(root: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("update-spec")
        .args(args)
        .args(["--root", root.to_str().unwrap()])
        .envs(env.iter().copied())
        .output()
        .unwrap();
    Run {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Bytes of every file the command may touch.
fn state(root: &Path) -> Vec<Vec<u8>> {
    [
        "openapi.json",
        "tests/snapshots/api_surface__operations.snap",
        "tests/snapshots/api_surface__types.snap",
    ]
    .iter()
    .map(|f| std::fs::read(root.join(f)).unwrap())
    .collect()
}

/// Serve one canned HTTP response to every connection; returns the URL.
fn serve(status: &'static str, content_type: &'static str, body: Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/openapi.json", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let head = format!(
                "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    url
}

/// Serve `body` over TLS with `../tests/tls/NAME.pem` to every connection;
/// returns the URL.
fn serve_tls(name: &str, body: Vec<u8>) -> String {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};

    let dir = Path::new(ROOT).join("tests/tls");
    let certs = CertificateDer::pem_file_iter(dir.join(format!("{name}.pem")))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(dir.join(format!("{name}.key"))).unwrap();
    let config = std::sync::Arc::new(
        rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("https://{}/openapi.json", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for tcp in listener.incoming().flatten() {
            let connection = rustls::ServerConnection::new(config.clone()).unwrap();
            let mut stream = rustls::StreamOwned::new(connection, tcp);
            let mut buf = [0u8; 4096];
            if stream.read(&mut buf).is_err() {
                continue;
            }
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
            stream.conn.send_close_notify();
            let _ = stream.flush();
        }
    });
    url
}

fn vendored() -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(Path::new(ROOT).join("openapi.json")).unwrap()).unwrap()
}

fn write_tmp(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn same_spec_from_a_file_is_no_change() {
    let ws = scratch();
    let before = state(ws.path());
    let spec = Path::new(ROOT).join("openapi.json");
    let run = xtask(ws.path(), &["--from", spec.to_str().unwrap()]);
    assert!(run.ok, "{}", run.stderr);
    assert!(run.stdout.starts_with("no changes"), "{}", run.stdout);
    assert_eq!(state(ws.path()), before);
}

#[test]
fn minified_and_pretty_inputs_give_the_same_file() {
    let ws = scratch();
    let inputs = tempfile::tempdir().unwrap();
    let mut doc = vendored();
    doc["components"]["schemas"]["JobResponse"]["description"] = serde_json::json!("Reworded");
    let minified = write_tmp(
        inputs.path(),
        "min.json",
        &serde_json::to_vec(&doc).unwrap(),
    );
    let pretty = write_tmp(
        inputs.path(),
        "pretty.json",
        serde_json::to_string_pretty(&doc).unwrap().as_bytes(),
    );
    assert!(xtask(ws.path(), &["--from", minified.to_str().unwrap()]).ok);
    let first = state(ws.path());
    let run = xtask(ws.path(), &["--from", pretty.to_str().unwrap()]);
    assert!(run.ok, "{}", run.stderr);
    assert!(run.stdout.starts_with("no changes"), "{}", run.stdout);
    assert_eq!(state(ws.path()), first);
    assert!(xtask(ws.path(), &["--check"]).ok);
}

#[test]
fn update_from_a_local_server_writes_spec_snapshots_and_report() {
    let ws = scratch();
    let mut doc = vendored();
    doc["components"]["schemas"]["JobStatus"]["enum"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!("archived"));
    let url = serve(
        "200 OK",
        "application/json",
        serde_json::to_vec(&doc).unwrap(),
    );
    let report = ws.path().join("report.md");
    let run = xtask(
        ws.path(),
        &["--url", &url, "--report", report.to_str().unwrap()],
    );
    assert!(run.ok, "{}", run.stderr);
    assert!(
        run.stdout.contains("0 breaking, 1 additive"),
        "{}",
        run.stdout
    );
    let types =
        std::fs::read_to_string(ws.path().join("tests/snapshots/api_surface__types.snap")).unwrap();
    assert!(types.contains("  variant Archived\n"), "{types}");
    let spec = std::fs::read_to_string(ws.path().join("openapi.json")).unwrap();
    assert!(spec.contains("\"archived\""));
    let md = std::fs::read_to_string(report).unwrap();
    assert!(md.contains("`variant JobStatus::Archived`"), "{md}");
    assert!(xtask(ws.path(), &["--check"]).ok, "fresh after an update");
}

/// The fetch speaks TLS with the set-up of `ionworks` (ring, the platform's
/// verifier, which reads `SSL_CERT_FILE`).
#[test]
fn update_over_https_trusts_the_platform_roots_only() {
    let ws = scratch();
    let before = state(ws.path());
    let ca = Path::new(ROOT).join("tests/tls/ca.pem");
    let env = [("SSL_CERT_FILE", ca.to_str().unwrap())];
    let body = std::fs::read(Path::new(ROOT).join("openapi.json")).unwrap();

    let run = xtask_env(
        ws.path(),
        &["--url", &serve_tls("server", body.clone())],
        &env,
    );
    assert!(run.ok, "{}", run.stderr);
    assert!(run.stdout.starts_with("no changes"), "{}", run.stdout);

    let run = xtask_env(ws.path(), &["--url", &serve_tls("untrusted", body)], &env);
    assert!(!run.ok);
    assert!(run.stderr.contains("UnknownIssuer"), "{}", run.stderr);
    assert_eq!(state(ws.path()), before);
}

#[test]
fn failures_leave_everything_untouched() {
    let ws = scratch();
    let before = state(ws.path());
    let inputs = tempfile::tempdir().unwrap();
    // A port nobody listens on.
    let closed = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/openapi.json", l.local_addr().unwrap())
    };
    let rejected = write_tmp(
        inputs.path(),
        "v2.json",
        br#"{"swagger": "2.0", "info": {}}"#,
    );
    let bad_version = write_tmp(
        inputs.path(),
        "v4.json",
        br#"{"openapi": "4.0.0", "info": {}, "paths": {}}"#,
    );
    let broken = write_tmp(inputs.path(), "broken.json", br##"{"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {"/x": {"$ref": "#/nowhere"}}}"##);
    let cases: Vec<(Vec<String>, &str)> = vec![
        (vec!["--url".into(), closed], "cannot reach"),
        (
            vec![
                "--url".into(),
                serve("500 Internal Server Error", "text/plain", b"boom".to_vec()),
            ],
            "HTTP 500",
        ),
        (
            vec![
                "--url".into(),
                serve(
                    "200 OK",
                    "text/html",
                    b"<!DOCTYPE html><html>login</html>".to_vec(),
                ),
            ],
            "did not return JSON (content-type text/html)",
        ),
        (
            vec![
                "--url".into(),
                serve(
                    "200 OK",
                    "application/json",
                    br#"{"hello": "world"}"#.to_vec(),
                ),
            ],
            "not an OpenAPI 3.x document",
        ),
        (
            vec!["--from".into(), rejected.display().to_string()],
            "Swagger 2.0",
        ),
        (
            vec!["--from".into(), bad_version.display().to_string()],
            "unsupported version \"4.0.0\"",
        ),
        (
            vec!["--from".into(), broken.display().to_string()],
            "`/paths/~1x`",
        ),
        (
            vec!["--from".into(), "/does/not/exist.json".into()],
            "cannot read /does/not/exist.json",
        ),
    ];
    for (args, expected) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = xtask(ws.path(), &args);
        assert!(!run.ok, "{args:?} should fail");
        assert!(
            run.stderr.contains(expected),
            "{args:?}: expected {expected:?} in {}",
            run.stderr
        );
        assert_eq!(
            run.stderr.lines().count(),
            run.stderr.lines().count().min(3),
            "short error: {}",
            run.stderr
        );
        assert_eq!(state(ws.path()), before, "{args:?} touched files");
    }
}

#[test]
fn check_fails_on_hand_edits_and_stale_snapshots() {
    let ws = scratch();
    let run = xtask(ws.path(), &["--check"]);
    assert!(run.ok, "{}", run.stderr);

    let spec = ws.path().join("openapi.json");
    let original = std::fs::read_to_string(&spec).unwrap();
    std::fs::write(&spec, original.replacen("  ", "    ", 1)).unwrap();
    let run = xtask(ws.path(), &["--check"]);
    assert!(!run.ok);
    assert!(
        run.stderr.contains("not in canonical form"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("cargo xtask update-spec"),
        "{}",
        run.stderr
    );

    std::fs::write(&spec, &original).unwrap();
    let snap = ws.path().join("tests/snapshots/api_surface__types.snap");
    let text = std::fs::read_to_string(&snap).unwrap();
    std::fs::write(&snap, text.replace("  variant Pending\n", "")).unwrap();
    let run = xtask(ws.path(), &["--check"]);
    assert!(!run.ok);
    assert!(
        run.stderr.contains("api_surface__types.snap is stale"),
        "{}",
        run.stderr
    );
}

#[test]
fn api_features_follow_the_tags() {
    let manifest = "[features]\ndefault = [\"all-apis\"]\n# BEGIN API FEATURES (written)\nall-apis = []\n# END API FEATURES\n\n[dependencies]\n";
    let doc = serde_json::json!({"paths": {
        "/jobs": {"get": {"tags": ["jobs"]}, "post": {"tags": ["jobs"]}},
        "/runs": {"get": {"tags": ["Flow Runs", "jobs"]}},
        "/ping": {"get": {}}
    }});
    let synced = xtask::update_spec::sync_api_features(manifest, &doc).unwrap();
    assert_eq!(
        synced,
        "[features]\ndefault = [\"all-apis\"]\n# BEGIN API FEATURES (written)\n\
         ## Every part of the API (each `api-*` feature); on by default.\n\
         all-apis = [\"api-flow-runs\", \"api-jobs\"]\n\
         ## The operations tagged `Flow Runs`, and the types only they use.\napi-flow-runs = []\n\
         ## The operations tagged `jobs`, and the types only they use.\napi-jobs = []\n\
         # END API FEATURES\n\n[dependencies]\n"
    );
    // Already in step: unchanged; a manifest without the block: untouched.
    assert_eq!(
        xtask::update_spec::sync_api_features(&synced, &doc).unwrap(),
        synced
    );
    assert_eq!(
        xtask::update_spec::sync_api_features("[package]\n", &doc).unwrap(),
        "[package]\n"
    );
}
