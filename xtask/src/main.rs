//! Maintainer tasks: `cargo xtask <command>`.
//!
//! Exit status: 0 on success (and for `--help`), 1 when the task failed, 2
//! for a command line that is not understood (the usage is printed).

use std::path::PathBuf;
use std::process::ExitCode;

mod build_cost;
mod corpus_output;
mod generated_cost;

const USAGE: &str = "\
usage: cargo xtask <command> [options]

commands:
  codegen      generate the Rust client for any OpenAPI 3.0/3.1 JSON document
  update-spec  refresh openapi.json and the API-surface snapshots, report the change
  build-cost   measure cold builds of a consumer, the quickstart, xtask and plain reqwest
  generated-cost
               measure the compile time of a generated client, by API tag
  generate-corpus
               write the generated output of openapi.json and the conformance documents
  bump         set the version of ionworks and ionworks-codegen, and the pin between them

`cargo xtask <command> --help` (or `-h`, or `cargo xtask help <command>`)
prints a command's options.
";

/// A subcommand: its name, usage, flags and what it does.
struct Command {
    name: &'static str,
    usage: &'static str,
    /// Flags followed by a value.
    with_value: &'static [&'static str],
    /// Flags on their own.
    bare: &'static [&'static str],
    /// Arguments that are not flags, by name, in order (all required).
    operands: &'static [&'static str],
    run: fn(&Flags) -> Result<(), Error>,
}

const COMMANDS: [Command; 6] = [
    Command {
        name: "codegen",
        usage: "\
usage: cargo xtask codegen --spec PATH [--out FILE] [--converted FILE] [--report] [--surface]

Generate the Rust client for any OpenAPI 3.0/3.1 JSON document, with the
same pipeline as build.rs.

options:
  --spec PATH       the OpenAPI document (JSON)
  --out FILE        write the generated code to FILE (default: standard output)
  --converted FILE  write the OpenAPI 3.0 document handed to progenitor
  --report          print what was generated and what was left out
  --surface         print the reviewed API surface
  -h, --help        print this help
",
        with_value: &["--spec", "--out", "--converted"],
        bare: &["--report", "--surface"],
        operands: &[],
        run: codegen,
    },
    Command {
        name: "update-spec",
        usage: "\
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
",
        with_value: &["--url", "--from", "--report", "--root"],
        bare: &["--check"],
        operands: &[],
        run: update_spec,
    },
    Command {
        name: "build-cost",
        usage: "\
usage: cargo xtask build-cost [--only LIST] [--units]

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
(path crates). Takes minutes; measure on an otherwise idle machine.

options:
  --only LIST  a comma-separated subset of consumer,one-tag,quickstart,
               xtask,reqwest
  --units      list every unit with its group and time
  --root DIR   the workspace to measure (default: this one)
  -h, --help   print this help
",
        with_value: &["--only", "--root"],
        bare: &["--units"],
        operands: &[],
        run: build_cost,
    },
    Command {
        name: "generated-cost",
        usage: "\
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
",
        with_value: &["--spec", "--tags", "--root"],
        bare: &[],
        operands: &[],
        run: generated_cost,
    },
    Command {
        name: "generate-corpus",
        usage: "\
usage: cargo xtask generate-corpus --out DIR

Generate the client for openapi.json and every available conformance
document (IONWORKS_CONFORMANCE_DIR adds the ones not vendored), with the
options of build.rs and with the defaults, and write the code, the
converted document and the report (or the error) of each into DIR. Two
such folders, written before and after a change to the generator, compare
with `diff -r`.

options:
  --out DIR   the folder to write into (created if missing)
  --root DIR  the workspace whose openapi.json to read (default: this one)
  -h, --help  print this help
",
        with_value: &["--out", "--root"],
        bare: &[],
        operands: &[],
        run: generate_corpus,
    },
    Command {
        name: "bump",
        usage: "\
usage: cargo xtask bump VERSION

Set the version of both published crates, ionworks and ionworks-codegen, to
VERSION (e.g. 0.2.0 or 0.2.0-rc.1), and the requirement by which ionworks
builds with its generator to exactly that version (`=VERSION`, in the
workspace's dependencies); their entries in Cargo.lock follow. Every file is
read and checked before any is written. Prints each change, and the
dependency lines of README.md and src/lib.rs that still name the previous
release line.

options:
  --root DIR  the workspace to change (default: this one)
  -h, --help  print this help
",
        with_value: &["--root"],
        bare: &[],
        operands: &["VERSION"],
        run: bump,
    },
];

/// Why a command did not succeed.
enum Error {
    /// The command line was not understood: exit status 2, with the usage.
    Usage {
        message: String,
        usage: &'static str,
    },
    /// The task itself failed: exit status 1.
    Failed(String),
}

impl From<String> for Error {
    fn from(message: String) -> Self {
        Self::Failed(message)
    }
}

impl From<&str> for Error {
    fn from(message: &str) -> Self {
        Self::Failed(message.to_string())
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match dispatch(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Error::Usage { message, usage }) => {
            eprintln!("error: {message}\n\n{usage}");
            ExitCode::from(2)
        }
        Err(Error::Failed(message)) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn dispatch(args: &[String]) -> Result<(), Error> {
    let usage_error = |message: String| Error::Usage {
        message,
        usage: USAGE,
    };
    let find = |name: &str| {
        COMMANDS
            .iter()
            .find(|c| c.name == name)
            .ok_or_else(|| usage_error(format!("unknown command `{name}`")))
    };
    match args.first().map(String::as_str) {
        None => Err(usage_error("no command given".into())),
        Some("-h" | "--help") => {
            print!("{USAGE}");
            Ok(())
        }
        Some("help") => {
            match args.get(1) {
                None => print!("{USAGE}"),
                Some(name) => print!("{}", find(name)?.usage),
            }
            Ok(())
        }
        Some(name) if name.starts_with('-') => {
            Err(usage_error(format!("unexpected argument `{name}`")))
        }
        Some(name) => {
            let command = find(name)?;
            match Flags::parse(command, &args[1..])? {
                Some(flags) => (command.run)(&flags),
                None => {
                    print!("{}", command.usage);
                    Ok(())
                }
            }
        }
    }
}

/// `--name value` pairs and bare `--flag`s.
struct Flags {
    usage: &'static str,
    values: Vec<(String, Option<String>)>,
    /// The command's operands, in order.
    operands: Vec<String>,
}

impl Flags {
    /// The command's flags, or `None` when `-h`/`--help` asks for its usage.
    fn parse(command: &Command, args: &[String]) -> Result<Option<Self>, Error> {
        let usage_error = |message: String| Error::Usage {
            message,
            usage: command.usage,
        };
        let mut values = Vec::new();
        let mut operands = Vec::new();
        let mut it = args.iter();
        while let Some(a) = it.next() {
            if a == "-h" || a == "--help" {
                return Ok(None);
            } else if command.with_value.contains(&a.as_str()) {
                let v = it
                    .next()
                    .ok_or_else(|| usage_error(format!("{a} needs a value")))?;
                values.push((a.clone(), Some(v.clone())));
            } else if command.bare.contains(&a.as_str()) {
                values.push((a.clone(), None));
            } else if !a.starts_with('-') && operands.len() < command.operands.len() {
                operands.push(a.clone());
            } else {
                return Err(usage_error(format!("unexpected argument `{a}`")));
            }
        }
        if let Some(missing) = command.operands.get(operands.len()) {
            return Err(usage_error(format!("{} needs {missing}", command.name)));
        }
        Ok(Some(Self {
            usage: command.usage,
            values,
            operands,
        }))
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

    /// A command line the command cannot act on.
    fn usage_error(&self, message: &str) -> Error {
        Error::Usage {
            message: message.to_string(),
            usage: self.usage,
        }
    }

    /// `--root DIR`, or this workspace.
    fn root(&self) -> PathBuf {
        self.value("--root")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".."))
    }
}

fn codegen(flags: &Flags) -> Result<(), Error> {
    let spec = PathBuf::from(
        flags
            .value("--spec")
            .ok_or_else(|| flags.usage_error("codegen needs --spec PATH"))?,
    );
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

fn update_spec(flags: &Flags) -> Result<(), Error> {
    let root = flags.root();
    if flags.has("--check") {
        return Ok(update_spec::check(&root)?);
    }
    let source = match (flags.value("--url"), flags.value("--from")) {
        (Some(_), Some(_)) => {
            return Err(flags.usage_error("give either --url or --from, not both"));
        }
        (None, Some(file)) => update_spec::Source::File(PathBuf::from(file)),
        (url, None) => {
            update_spec::Source::Url(url.unwrap_or(update_spec::DEFAULT_URL).to_string())
        }
    };
    Ok(update_spec::update(
        &root,
        &source,
        flags.value("--report").map(PathBuf::from),
    )?)
}

fn generated_cost(flags: &Flags) -> Result<(), Error> {
    let root = flags.root();
    let spec = match flags.value("--spec") {
        Some(spec) => spec.to_string(),
        None => root.join("openapi.json").display().to_string(),
    };
    let tags = match flags.value("--tags") {
        None => 2,
        Some(n) => n
            .parse()
            .map_err(|_| flags.usage_error(&format!("--tags: `{n}` is not a number")))?,
    };
    Ok(generated_cost::run(&root, &spec, tags)?)
}

fn build_cost(flags: &Flags) -> Result<(), Error> {
    if let Some(bad) = flags
        .value("--only")
        .into_iter()
        .flat_map(|list| list.split(','))
        .find(|name| !build_cost::BUILDS.contains(&name.trim()))
    {
        return Err(flags.usage_error(&format!("--only: unknown build `{bad}`")));
    }
    Ok(build_cost::run(
        &flags.root(),
        flags.value("--only"),
        flags.has("--units"),
    )?)
}

fn generate_corpus(flags: &Flags) -> Result<(), Error> {
    let out = flags
        .value("--out")
        .ok_or_else(|| flags.usage_error("generate-corpus needs --out DIR"))?;
    for line in corpus_output::write(&flags.root(), std::path::Path::new(out))? {
        eprintln!("{line}");
    }
    Ok(())
}

fn bump(flags: &Flags) -> Result<(), Error> {
    let version = flags
        .operands
        .first()
        .ok_or_else(|| flags.usage_error("bump needs VERSION"))?;
    xtask::bump::check_version(version).map_err(|e| flags.usage_error(&e))?;
    for line in xtask::bump::bump(&flags.root(), version)? {
        println!("{line}");
    }
    Ok(())
}
