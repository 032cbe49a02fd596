//! Maintainer tasks: `cargo xtask <command>`.

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  codegen --spec PATH [--out FILE] [--converted FILE] [--report]
      Generate the Rust client for any OpenAPI 3.0/3.1 JSON document and write
      it to FILE (default: standard output). --converted writes the 3.0
      document handed to progenitor; --report prints what was generated and
      what was left out.

  update-spec --from FILE | --check
      Replace openapi.json with FILE in canonical form (sorted keys, pretty),
      after checking that the codegen accepts it. --check verifies that
      openapi.json is canonical.
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("codegen") => codegen(&args[1..]),
        Some("update-spec") => update_spec(&args[1..]),
        Some("-h" | "--help" | "help") => {
            print!("{USAGE}");
            Ok(())
        }
        Some(other) => Err(format!("unknown command `{other}`\n\n{USAGE}")),
        None => Err(USAGE.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// `--name value` pairs and bare `--flag`s.
struct Flags {
    values: Vec<(String, Option<String>)>,
}

impl Flags {
    fn parse(args: &[String], with_value: &[&str], bare: &[&str]) -> Result<Self, String> {
        let mut values = Vec::new();
        let mut it = args.iter();
        while let Some(a) = it.next() {
            if with_value.contains(&a.as_str()) {
                let v = it.next().ok_or_else(|| format!("{a} needs a value"))?;
                values.push((a.clone(), Some(v.clone())));
            } else if bare.contains(&a.as_str()) {
                values.push((a.clone(), None));
            } else {
                return Err(format!("unexpected argument `{a}`\n\n{USAGE}"));
            }
        }
        Ok(Self { values })
    }

    fn value(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.as_deref())
    }

    fn has(&self, name: &str) -> bool {
        self.values.iter().any(|(n, _)| n == name)
    }
}

fn codegen(args: &[String]) -> Result<(), String> {
    let flags = Flags::parse(args, &["--spec", "--out", "--converted"], &["--report"])?;
    let spec = PathBuf::from(flags.value("--spec").ok_or("codegen needs --spec PATH")?);
    let bytes = std::fs::read(&spec).map_err(|e| format!("cannot read {}: {e}", spec.display()))?;
    let generated = ionworks_codegen::generate(&bytes, &ionworks_codegen::Options::default())
        .map_err(|e| format!("{}: {e}", spec.display()))?;
    match flags.value("--out") {
        Some(out) => {
            std::fs::write(out, &generated.code).map_err(|e| format!("cannot write {out}: {e}"))?
        }
        None => print!("{}", generated.code),
    }
    if let Some(path) = flags.value("--converted") {
        let text = serde_json::to_string_pretty(&generated.converted).map_err(|e| e.to_string())?;
        std::fs::write(path, text).map_err(|e| format!("cannot write {path}: {e}"))?;
    }
    if flags.has("--report") {
        let r = &generated.report;
        eprintln!("{} operations, {} types", r.operations.len(), r.types);
        for s in &r.skipped {
            eprintln!("skipped {}: {}", s.pointer, s.message);
        }
        for n in &r.notes {
            eprintln!("note {}: {}", n.pointer, n.message);
        }
    }
    Ok(())
}

/// The vendored spec, relative to the workspace root.
fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn update_spec(args: &[String]) -> Result<(), String> {
    let flags = Flags::parse(args, &["--from"], &["--check"])?;
    let target = workspace_root().join("openapi.json");
    if flags.has("--check") {
        let current =
            std::fs::read(&target).map_err(|e| format!("cannot read {}: {e}", target.display()))?;
        let canonical =
            ionworks_codegen::canonical_json(&current).map_err(|e| format!("openapi.json: {e}"))?;
        if canonical.as_bytes() != current.as_slice() {
            return Err("openapi.json is not in canonical form; run `cargo xtask update-spec --from openapi.json`".into());
        }
        println!("openapi.json is canonical");
        return Ok(());
    }
    let from = flags
        .value("--from")
        .ok_or("update-spec needs --from FILE")?;
    let bytes = std::fs::read(from).map_err(|e| format!("cannot read {from}: {e}"))?;
    let canonical = ionworks_codegen::canonical_json(&bytes).map_err(|e| format!("{from}: {e}"))?;
    // A spec the codegen cannot handle never replaces the vendored one.
    ionworks_codegen::generate(canonical.as_bytes(), &ionworks_codegen::Options::default())
        .map_err(|e| format!("{from}: {e}; openapi.json left unchanged"))?;
    let tmp = target.with_extension("json.tmp");
    std::fs::write(&tmp, canonical.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, &target)
        .map_err(|e| format!("cannot replace {}: {e}", target.display()))?;
    println!("wrote {}", target.display());
    Ok(())
}
