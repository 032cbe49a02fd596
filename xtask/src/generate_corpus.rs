//! `cargo xtask generate-corpus`: the generator's whole output for
//! `openapi.json` and every available conformance document, one file per
//! document and product, so that two runs (before and after a change to the
//! generator) can be compared with `diff -r`.

use std::path::Path;

use ionworks_codegen::Options;

use lexopt::prelude::*;

use crate::cli::{Error, Parser, Usage};

pub const USAGE: &str = "\
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
";

pub fn run(mut parser: Parser) -> Result<(), Error> {
    let usage = Usage(USAGE);
    let (mut out, mut root) = (None, None);
    while let Some(arg) = usage.next(&mut parser)? {
        match arg {
            Short('h') | Long("help") => return usage.help(&mut parser),
            Long("out") => out = Some(usage.value(&mut parser, "out")?),
            Long("root") => root = Some(usage.value(&mut parser, "root")?),
            other => return Err(usage.unexpected(other)),
        }
    }
    let out = out.ok_or_else(|| usage.error("generate-corpus needs --out DIR"))?;
    for line in write(&crate::cli::root(root), Path::new(&out))? {
        eprintln!("{line}");
    }
    Ok(())
}

/// The option sets each document is generated with: the crate's `build.rs`
/// (mocks, tag features, error and state types, form support) and the
/// defaults.
fn option_sets() -> [(&'static str, Options); 2] {
    [
        ("build", Options::sdk().httpmock(true)),
        ("default", Options::default()),
    ]
}

/// Write, into `out`, for `openapi.json` of `root` and each available
/// conformance document: `<name>.<options>.rs` (the code), and
/// `<name>.<options>.txt` (the converted document and the report), or the
/// error. Returns one line per document with its time.
pub fn write(root: &Path, out: &Path) -> Result<Vec<String>, String> {
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let mut documents = vec![(
        "openapi".to_string(),
        std::fs::read(root.join("openapi.json")).map_err(|e| format!("openapi.json: {e}"))?,
    )];
    for d in ionworks_corpus::DOCUMENTS {
        if let Ok(bytes) = d.read() {
            documents.push((d.name.to_string(), bytes));
        }
    }
    let mut lines = Vec::new();
    for (name, bytes) in &documents {
        for (set, options) in option_sets() {
            let start = std::time::Instant::now();
            let (code, text) = match ionworks_codegen::generate(bytes, &options) {
                Ok(g) => (
                    g.code,
                    format!(
                        "{}\n{:#?}\n",
                        serde_json::to_string_pretty(&g.converted).map_err(|e| e.to_string())?,
                        g.report
                    ),
                ),
                Err(e) => (String::new(), format!("error: {e}\n")),
            };
            lines.push(format!("{name} ({set}): {:.2?}", start.elapsed()));
            for (ext, content) in [("rs", code), ("txt", text)] {
                let path = out.join(format!("{name}.{set}.{ext}"));
                std::fs::write(&path, content)
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            }
        }
    }
    Ok(lines)
}
