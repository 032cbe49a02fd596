//! Conformance: every real FastAPI document of the corpus generates a client
//! without error or panic, and what was generated, skipped and rewritten
//! lossily is pinned by one insta snapshot per document.
//!
//! `ionworks-corpus` says where each document is: four are vendored in
//! `conformance/specs/` and always run (a missing one is a failure, not a
//! skip); phoenix and skyvern run only when `IONWORKS_CONFORMANCE_DIR` names
//! a folder holding them, and otherwise their tests pass after saying, on
//! standard error (shown without `--nocapture`), that they did not run.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use ionworks_codegen::{Options, Report};

/// OpenAPI / JSON Schema keywords that notes quote in backticks: they are
/// part of the message kind, unlike quoted names.
const KEYWORDS: [&str; 14] = [
    "prefixItems",
    "default",
    "allOf",
    "anyOf",
    "oneOf",
    "const",
    "enum",
    "nullable",
    "discriminator",
    "additionalProperties",
    "items",
    "$ref",
    "type",
    "format",
];

/// The kind of a note: its message with the variable parts (names in
/// backticks, numbers, media types, status lists) replaced, so that notes of
/// the same kind group together.
fn note_kind(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut parts = message.split('`');
    out.push_str(parts.next().unwrap_or_default());
    let mut quoted = true;
    for part in parts {
        out.push('`');
        if quoted && !KEYWORDS.contains(&part) {
            out.push('…');
        } else {
            out.push_str(part);
        }
        quoted = !quoted;
    }
    // Words containing a digit or a '/' (statuses, media types, ids) are variable.
    let words: Vec<String> = out
        .split(' ')
        .map(|w| {
            let trimmed = w.trim_end_matches([',', ';', ':']);
            let tail = &w[trimmed.len()..];
            if trimmed.contains(|c: char| c.is_ascii_digit() || c == '/') && !trimmed.contains('`')
            {
                format!("*{tail}")
            } else {
                w.to_string()
            }
        })
        .collect();
    // Collapse runs of `*,` lists (`200, 201`) into one placeholder.
    let mut collapsed: Vec<String> = Vec::new();
    for w in words {
        if w.starts_with('*')
            && collapsed
                .last()
                .is_some_and(|prev| prev.starts_with('*') && prev.ends_with(','))
        {
            collapsed.pop();
        }
        collapsed.push(w);
    }
    collapsed.join(" ")
}

fn summary(report: &Report) -> String {
    let mut s = String::new();
    writeln!(s, "operations: {}", report.operations.len()).unwrap();
    writeln!(s, "types: {}", report.types).unwrap();
    writeln!(s, "skipped: {}", report.skipped.len()).unwrap();
    for skip in &report.skipped {
        writeln!(s, "  {}: {}", skip.pointer, skip.message).unwrap();
    }
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    for note in &report.notes {
        *kinds.entry(note_kind(&note.message)).or_default() += 1;
    }
    writeln!(s, "notes: {}", report.notes.len()).unwrap();
    for (kind, count) in &kinds {
        writeln!(s, "  {count:>5} × {kind}").unwrap();
    }
    s
}

fn check(name: &str) {
    let spec = match ionworks_corpus::document(name).read() {
        Ok(spec) => spec,
        Err(unavailable) => {
            ionworks_corpus::report(&format!("{unavailable}: not run"));
            return;
        }
    };
    let generated = match ionworks_codegen::generate(
        &spec,
        &Options::default().form_support("crate::upload"),
    ) {
        Ok(g) => g,
        Err(e) => panic!("{name}: generation failed: {e}"),
    };
    assert!(
        !generated.report.operations.is_empty(),
        "{name}: no operations generated"
    );
    assert!(!generated.code.is_empty(), "{name}: no code generated");
    insta::assert_snapshot!(name, summary(&generated.report));
}

macro_rules! conformance {
    ($($test:ident,)*) => {
        $(
            #[test]
            fn $test() {
                check(stringify!($test));
            }
        )*

        /// Every document of the corpus has a test above, and every document
        /// in the `IONWORKS_CONFORMANCE_DIR` folder is in the corpus (a
        /// vendored one there is the repository's copy, byte for byte).
        /// Reports which documents ran.
        #[test]
        fn corpus_is_covered() {
            let mut tested = vec![$(stringify!($test)),*];
            tested.sort_unstable();
            let mut corpus: Vec<&str> =
                ionworks_corpus::DOCUMENTS.iter().map(|d| d.name).collect();
            corpus.sort_unstable();
            assert_eq!(tested, corpus, "the corpus differs from the documents tested");

            if let Some(dir) = ionworks_corpus::outside_dir() {
                let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| {
                    panic!("{}={}: {e}", ionworks_corpus::ENV_VAR, dir.display())
                });
                for entry in entries {
                    let file = entry.expect("directory entry").file_name();
                    let file = file.to_string_lossy();
                    if !file.ends_with(".json") {
                        continue;
                    }
                    let document = ionworks_corpus::DOCUMENTS
                        .iter()
                        .find(|d| d.file == file)
                        .unwrap_or_else(|| {
                            panic!("{file} in {} is not in the corpus", dir.display())
                        });
                    if document.vendored {
                        assert!(
                            std::fs::read(dir.join(&*file)).expect("readable")
                                == document.read().expect("vendored"),
                            "{file} in {} differs from the repository's copy",
                            dir.display()
                        );
                    }
                }
            }
            ionworks_corpus::report(&ionworks_corpus::summary());
        }
    };
}

conformance! {
    infinity,
    sqlmesh,
    private_gpt,
    phoenix,
    skyvern,
    prefect,
}

#[test]
fn note_kinds_group_variable_parts() {
    assert_eq!(
        note_kind("cookie parameter `session` dropped: cookies belong to the HTTP client"),
        "cookie parameter `…` dropped: cookies belong to the HTTP client"
    );
    assert_eq!(
        note_kind("success responses 200, 201 have different JSON bodies; merged"),
        "success responses * have different JSON bodies; merged"
    );
    assert_eq!(
        note_kind("tuple (`prefixItems`) generated as a list of its item types"),
        "tuple (`prefixItems`) generated as a list of its item types"
    );
    assert_eq!(
        note_kind(
            "duplicate operationId `a_b` (also at /paths/~1a/get, named `a_b`) named `a_b_2`"
        ),
        "duplicate operationId `…` (also at *, named `…`) named `…`"
    );
    assert_eq!(
        note_kind(
            "request body sent as application/json; alternative media types multipart/form-data dropped"
        ),
        "request body sent as *; alternative media types * dropped"
    );
}
