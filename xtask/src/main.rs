//! Maintainer tasks: `cargo xtask <command>`.

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  codegen --spec PATH [--out FILE] [--converted FILE] [--report] [--surface]
      Generate the Rust client for any OpenAPI 3.0/3.1 JSON document and write
      it to FILE (default: standard output). --converted writes the 3.0
      document handed to progenitor; --report prints what was generated and
      what was left out; --surface prints the reviewed API surface.

  update-spec [--url URL | --from FILE] [--report FILE] [--check]
      Fetch the upstream spec (default https://api.ionworks.com/openapi.json)
      or read FILE, check that the codegen accepts it, write openapi.json in
      canonical form (sorted keys, two-space indent), refresh the API-surface
      snapshots in tests/snapshots/ and print the change report (--report
      writes it as Markdown). Nothing is written if the codegen rejects the
      new document. --check (offline) fails if openapi.json is not canonical
      or the snapshots are stale.
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
    let flags = Flags::parse(
        args,
        &["--spec", "--out", "--converted"],
        &["--report", "--surface"],
    )?;
    let spec = PathBuf::from(flags.value("--spec").ok_or("codegen needs --spec PATH")?);
    let bytes = std::fs::read(&spec).map_err(|e| format!("cannot read {}: {e}", spec.display()))?;
    let generated = ionworks_codegen::generate(&bytes, &xtask::options())
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
    if flags.has("--surface") {
        let surface = xtask::surface::of(&bytes, &generated)?;
        eprint!("{}", surface.operations_text());
        eprint!("{}", surface.types_text());
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

use xtask::update_spec;

fn update_spec(args: &[String]) -> Result<(), String> {
    let flags = Flags::parse(
        args,
        &["--url", "--from", "--report", "--root"],
        &["--check"],
    )?;
    let root = flags
        .value("--root")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".."));
    if flags.has("--check") {
        return update_spec::check(&root);
    }
    let source = match (flags.value("--url"), flags.value("--from")) {
        (Some(_), Some(_)) => return Err("give either --url or --from, not both".into()),
        (None, Some(file)) => update_spec::Source::File(PathBuf::from(file)),
        (url, None) => {
            update_spec::Source::Url(url.unwrap_or(update_spec::DEFAULT_URL).to_string())
        }
    };
    update_spec::update(&root, &source, flags.value("--report").map(PathBuf::from))
}
