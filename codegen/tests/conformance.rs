//! Conformance: every real FastAPI document in the shared corpus
//! (`../shared/conformance`, override with `IONWORKS_CONFORMANCE_DIR`)
//! generates a client without error or panic, and what was generated, skipped
//! and rewritten lossily is pinned by one insta snapshot per document.
//!
//! The documents are read in place and never copied into this repository. A
//! missing corpus is a test failure, not a skip.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use ionworks_codegen::{Options, Report};

fn conformance_dir() -> PathBuf {
    let dir = std::env::var_os("IONWORKS_CONFORMANCE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../shared/conformance"
            ))
        });
    assert!(
        dir.is_dir(),
        "conformance corpus not found at {}: the six FastAPI documents must be present \
         (set IONWORKS_CONFORMANCE_DIR to their directory); refusing to skip",
        dir.display()
    );
    dir
}

fn read_document(file: &str) -> Vec<u8> {
    let path = conformance_dir().join(file);
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read conformance document {}: {e} (set IONWORKS_CONFORMANCE_DIR to the corpus directory)",
            path.display()
        )
    })
}

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

fn check(file: &str, name: &str) {
    let spec = read_document(file);
    let generated = match ionworks_codegen::generate(&spec, &Options::default()) {
        Ok(g) => g,
        Err(e) => panic!("{file}: generation failed: {e}"),
    };
    assert!(
        !generated.report.operations.is_empty(),
        "{file}: no operations generated"
    );
    assert!(!generated.code.is_empty(), "{file}: no code generated");
    insta::assert_snapshot!(name, summary(&generated.report));
}

macro_rules! conformance {
    ($($test:ident => $file:literal,)*) => {
        $(
            #[test]
            fn $test() {
                check($file, stringify!($test));
            }
        )*

        /// Every document in the corpus directory is covered by a test above.
        #[test]
        fn corpus_is_covered() {
            let known = [$($file),*];
            let mut found: Vec<String> = std::fs::read_dir(conformance_dir())
                .expect("conformance directory readable")
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".json"))
                .collect();
            found.sort();
            let mut expected: Vec<String> = known.iter().map(|s| s.to_string()).collect();
            expected.sort();
            assert_eq!(found, expected, "conformance corpus differs from the documents tested");
        }
    };
}

conformance! {
    infinity => "michaelfeil__infinity__openapi.json",
    sqlmesh => "TobikoData__sqlmesh__web-client-openapi.json",
    private_gpt => "zylon-ai__private-gpt__fern-openapi.json",
    phoenix => "Arize-ai__phoenix__openapi.json",
    skyvern => "Skyvern-AI__skyvern__api-reference-openapi.json",
    prefect => "PrefectHQ__prefect__server-schema.json",
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
