//! Maintainer tasks: `cargo xtask <command>`.
//!
//! Exit status: 0 on success (and for `--help`), 1 when the task failed, 2
//! for a command line that is not understood (the usage is printed).

use std::process::ExitCode;

use lexopt::prelude::*;
use xtask::cli::{Error, Parser, Usage};
use xtask::{build_cost, bump, codegen, generate_corpus, generated_cost, update_spec};

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

/// A command's name, usage and entry point (which reads its flags).
type Command = (&'static str, &'static str, fn(Parser) -> Result<(), Error>);

const COMMANDS: [Command; 6] = [
    ("codegen", codegen::USAGE, codegen::run),
    ("update-spec", update_spec::USAGE, update_spec::run),
    ("build-cost", build_cost::USAGE, build_cost::run),
    ("generated-cost", generated_cost::USAGE, generated_cost::run),
    (
        "generate-corpus",
        generate_corpus::USAGE,
        generate_corpus::run,
    ),
    ("bump", bump::USAGE, bump::run),
];

fn main() -> ExitCode {
    match dispatch(Parser::from_env()) {
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

fn dispatch(mut parser: Parser) -> Result<(), Error> {
    let usage = Usage(USAGE);
    let find = |name: &str| {
        COMMANDS
            .iter()
            .find(|(n, ..)| *n == name)
            .ok_or_else(|| usage.error(format!("unknown command `{name}`")))
    };
    let name = match usage.next(&mut parser)? {
        None => return Err(usage.error("no command given")),
        Some(Short('h') | Long("help")) => return usage.help(&mut parser),
        Some(Value(name)) => name.to_string_lossy().into_owned(),
        Some(other) => return Err(usage.unexpected(other)),
    };
    if name == "help" {
        // The argument after `help` names a command, whatever it looks like.
        let mut raw = parser.raw_args().map_err(|e| usage.error(e.to_string()))?;
        return match raw.next() {
            Some(name) => Usage(find(&name.to_string_lossy())?.1).print(),
            None => usage.print(),
        };
    }
    let (_, _, run) = find(&name)?;
    run(parser)
}
