//! `cargo xtask generate-corpus`: the generator's whole output for
//! `openapi.json` and every available conformance document, one file per
//! document and product, so that two runs (before and after a change to the
//! generator) can be compared with `diff -r`.

use std::path::Path;

use ionworks_codegen::Options;

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
