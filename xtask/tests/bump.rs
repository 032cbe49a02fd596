//! `cargo xtask bump VERSION`: both crates' versions, the exact pin and
//! Cargo.lock move together; bad input changes nothing and says why.

use std::path::Path;
use std::process::Command;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

/// The files `bump` reads or writes.
const FILES: [&str; 5] = [
    "Cargo.toml",
    "codegen/Cargo.toml",
    "Cargo.lock",
    "README.md",
    "src/lib.rs",
];

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn bump(root: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("bump")
        .args(args)
        .arg("--root")
        .arg(root)
        .output()
        .unwrap();
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn write(root: &Path, file: &str, text: &str) {
    let path = root.join(file);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn read(root: &Path, file: &str) -> String {
    std::fs::read_to_string(root.join(file)).unwrap_or_default()
}

fn state(root: &Path) -> Vec<String> {
    FILES.iter().map(|f| read(root, f)).collect()
}

/// A README with the dependency line users copy.
const README: &str = "# ionworks\n\n```toml\n[dependencies]\nionworks = \"0.1\"\n```\n";

/// This workspace's manifests and lock file, and a README.
fn copy_of_this_workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for file in &FILES[..3] {
        write(dir.path(), file, &read(Path::new(ROOT), file));
    }
    write(dir.path(), "README.md", README);
    dir
}

/// The lines of `new` that differ from `old` (same number of lines).
fn changed_lines(old: &str, new: &str) -> Vec<(String, String)> {
    assert_eq!(old.lines().count(), new.lines().count());
    old.lines()
        .zip(new.lines())
        .filter(|(a, b)| a != b)
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

fn package_version(manifest: &str) -> String {
    let manifest = format!("\n{manifest}");
    let start = manifest.find("\n[package]").unwrap();
    let line = manifest[start..]
        .lines()
        .find(|l| l.starts_with("version = "))
        .unwrap();
    line.trim_start_matches("version = ")
        .trim_matches('"')
        .to_string()
}

#[test]
fn bumps_this_workspace_and_touches_nothing_else() {
    let ws = copy_of_this_workspace();
    let before = state(ws.path());
    let old = package_version(&before[0]);
    assert_eq!(package_version(&before[1]), old, "the two crates differ");
    assert!(
        before[0].contains(&format!(
            "ionworks-codegen = {{ path = \"codegen\", version = \"={old}\" }}"
        )),
        "the pin is not ={old}"
    );

    let run = bump(ws.path(), &["7.8.9-rc.1"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let after = state(ws.path());

    let v = |s: &str| format!("version = \"{s}\"");
    let pin = |s: &str| format!("ionworks-codegen = {{ path = \"codegen\", version = \"={s}\" }}");
    assert_eq!(
        changed_lines(&before[0], &after[0]),
        [(pin(&old), pin("7.8.9-rc.1")), (v(&old), v("7.8.9-rc.1"))]
    );
    assert_eq!(
        changed_lines(&before[1], &after[1]),
        [(v(&old), v("7.8.9-rc.1"))]
    );
    // Cargo.lock: the two entries without a source, nothing else.
    assert_eq!(
        changed_lines(&before[2], &after[2]),
        [(v(&old), v("7.8.9-rc.1")), (v(&old), v("7.8.9-rc.1"))]
    );
    for name in ["ionworks", "ionworks-codegen"] {
        let entry = format!("name = \"{name}\"\nversion = \"7.8.9-rc.1\"\n");
        assert!(after[2].contains(&entry), "{name} in Cargo.lock");
    }
    // The documentation is read, not written.
    assert_eq!(before[3..], after[3..]);

    assert!(
        run.stdout.starts_with(&format!(
            "Cargo.toml: ionworks {old} -> 7.8.9-rc.1\n\
             Cargo.toml: [workspace.dependencies] ionworks-codegen ={old} -> =7.8.9-rc.1\n\
             codegen/Cargo.toml: ionworks-codegen {old} -> 7.8.9-rc.1\n\
             Cargo.lock: ionworks, ionworks-codegen -> 7.8.9-rc.1\n"
        )),
        "{}",
        run.stdout
    );
    // Another release line: the dependency lines users copy are pointed out.
    assert!(
        run.stdout
            .ends_with("README.md:5: still depends on 0.1, not 7: ionworks = \"0.1\"\n"),
        "{}",
        run.stdout
    );

    // Again with the same version: the same files.
    let run = bump(ws.path(), &["7.8.9-rc.1"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(state(ws.path()), after);
}

/// A workspace of the same shape, with nothing cargo needs to download.
fn small_workspace(root_manifest: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "Cargo.toml", root_manifest);
    write(dir.path(), "build.rs", "fn main() {}\n");
    write(dir.path(), "src/lib.rs", "");
    write(
        dir.path(),
        "codegen/Cargo.toml",
        "[package]\nname = \"ionworks-codegen\"\nversion = \"0.1.0\" # the generator\nedition = \"2021\"\n",
    );
    write(dir.path(), "codegen/src/lib.rs", "");
    dir
}

fn cargo(root: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO"))
        .args(args)
        .current_dir(root)
        .output()
        .unwrap()
}

const SMALL: &str = r#"[workspace]
members = [".", "codegen"]

[workspace.dependencies]
ionworks-codegen = { path = "codegen", version = "=0.1.0" }

[package]
name = "ionworks"
version = "0.1.0"
edition = "2021"
rust-version = "1.88"

[build-dependencies]
ionworks-codegen.workspace = true
"#;

#[test]
fn cargo_accepts_the_bumped_lock_file() {
    let ws = small_workspace(SMALL);
    let out = cargo(ws.path(), &["generate-lockfile", "--offline"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let run = bump(ws.path(), &["0.2.0"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let lock = read(ws.path(), "Cargo.lock");
    // Nothing to resolve again: `--locked` would fail if cargo wanted to
    // write another lock file.
    let out = cargo(
        ws.path(),
        &["metadata", "--locked", "--offline", "--format-version", "1"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(read(ws.path(), "Cargo.lock"), lock);
    let metadata: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut versions: Vec<_> = metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{} {}",
                p["name"].as_str().unwrap(),
                p["version"].as_str().unwrap()
            )
        })
        .collect();
    versions.sort();
    assert_eq!(versions, ["ionworks 0.2.0", "ionworks-codegen 0.2.0"]);
    let req = &metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "ionworks")
        .unwrap()["dependencies"][0]["req"];
    assert_eq!(req, "=0.2.0");
    // The comment after the generator's version stays.
    assert!(
        read(ws.path(), "codegen/Cargo.toml").contains("version = \"0.2.0\" # the generator\n")
    );
}

#[test]
fn every_spelling_of_the_pin_is_rewritten() {
    let manifest = r#"[package]
name = "ionworks"
version = "0.1.0"

[build-dependencies.ionworks-codegen]
path = "codegen"
version = "=0.1.0"

[target.'cfg(unix)'.dependencies]
"ionworks-codegen" = "=0.1.0"

[dev-dependencies]
ionworks-codegen = { version = "=0.1.0", path = "codegen" } # version = "0.1.0"
ionworks-codegen-extra = { version = "0.1.0" }
"#;
    let ws = small_workspace(manifest);
    let run = bump(ws.path(), &["1.0.0"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(
        read(ws.path(), "Cargo.toml"),
        manifest
            .replacen("version = \"0.1.0\"", "version = \"1.0.0\"", 1)
            .replacen("=0.1.0", "=1.0.0", 3)
    );
    assert!(
        run.stdout.contains(
            "Cargo.toml: [target.'cfg(unix)'.dependencies] ionworks-codegen =0.1.0 -> =1.0.0"
        ),
        "{}",
        run.stdout
    );
    // No lock file: none is written.
    assert!(!ws.path().join("Cargo.lock").exists());
}

#[test]
fn bad_versions_are_usage_errors_and_change_nothing() {
    let ws = small_workspace(SMALL);
    let before = state(ws.path());
    for (version, why) in [
        ("v0.2.0", "no leading `v`"),
        ("0.2", "exactly three numbers"),
        ("0.2.x", "the patch version `x` is not a number"),
        ("0.02.0", "leading zero"),
        ("0.2.0-", "empty identifier"),
        ("0.2.0+b@d", "`b@d`"),
    ] {
        let run = bump(ws.path(), &[version]);
        assert_eq!(run.code, Some(2), "{version}: {}", run.stdout);
        assert!(
            run.stderr
                .starts_with(&format!("error: `{version}` is not a version")),
            "{}",
            run.stderr
        );
        assert!(run.stderr.contains(why), "{version}: {}", run.stderr);
        assert!(run.stderr.contains("usage: cargo xtask bump VERSION"));
    }
    for args in [&["--help"][..], &["-h"], &["0.2.0", "--help"]] {
        let run = bump(ws.path(), args);
        assert_eq!(run.code, Some(0), "{args:?}: {}", run.stderr);
        assert!(run.stdout.starts_with("usage: cargo xtask bump VERSION\n"));
    }
    for (args, message) in [
        (&[][..], "error: bump needs VERSION"),
        (&["0.2.0", "0.3.0"], "error: unexpected argument `0.3.0`"),
        (&["-2.0.0"], "error: unexpected argument `-2.0.0`"),
    ] {
        let run = bump(ws.path(), args);
        assert_eq!(run.code, Some(2), "{args:?}");
        assert!(run.stderr.starts_with(message), "{args:?}: {}", run.stderr);
    }
    assert_eq!(state(ws.path()), before);
}

/// What a case changes in the small workspace.
type Change = dyn Fn(&Path);

#[test]
fn a_workspace_of_another_shape_is_an_error_that_changes_nothing() {
    let cases: [(&str, &Change, &str); 6] = [
        (
            "no pin",
            &|root| {
                write(
                    root,
                    "Cargo.toml",
                    &SMALL.replace(", version = \"=0.1.0\"", ""),
                )
            },
            "Cargo.toml: no requirement on ionworks-codegen with a `version`",
        ),
        (
            "another package",
            &|root| {
                write(
                    root,
                    "Cargo.toml",
                    &SMALL.replace("\"ionworks\"", "\"other\""),
                )
            },
            "Cargo.toml: [package] is named `other`, not ionworks",
        ),
        (
            "an inherited version",
            &|root| {
                write(
                    root,
                    "codegen/Cargo.toml",
                    "[package]\nname = \"ionworks-codegen\"\nversion.workspace = true\n",
                )
            },
            "codegen/Cargo.toml: the version of ionworks-codegen is inherited",
        ),
        (
            "no codegen manifest",
            &|root| std::fs::remove_file(root.join("codegen/Cargo.toml")).unwrap(),
            "cannot read ",
        ),
        (
            "no version",
            &|root| {
                write(
                    root,
                    "codegen/Cargo.toml",
                    "[package]\nname = \"ionworks-codegen\"\n[dependencies]\nversion = \"1\"\n",
                )
            },
            "codegen/Cargo.toml: [package] of ionworks-codegen has no `version = \"…\"`",
        ),
        (
            "a lock file of another workspace",
            &|root| {
                write(
                    root,
                    "Cargo.lock",
                    "version = 4\n\n[[package]]\nname = \"ionworks\"\nversion = \"0.1.0\"\n\n\
                     [[package]]\nname = \"ionworks-codegen\"\nversion = \"0.1.0\"\n\
                     source = \"registry+https://github.com/rust-lang/crates.io-index\"\n",
                )
            },
            "Cargo.lock: no entry for the workspace package ionworks-codegen",
        ),
    ];
    for (case, change, message) in cases {
        let ws = small_workspace(SMALL);
        change(ws.path());
        let before = state(ws.path());
        let run = bump(ws.path(), &["0.2.0"]);
        assert_eq!(run.code, Some(1), "{case}: {}", run.stdout);
        assert!(
            run.stderr.starts_with(&format!("error: {message}")),
            "{case}: {}",
            run.stderr
        );
        assert!(run.stdout.is_empty(), "{case}: {}", run.stdout);
        assert_eq!(state(ws.path()), before, "{case}");
    }
}
