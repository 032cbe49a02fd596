//! Generates a client (with typed mocks) for each conformance document named
//! in `CLIENTS`, from where `ionworks-corpus` locates it.
//!
//! prefect is vendored and always built. skyvern is not: its client is built
//! only when `IONWORKS_CONFORMANCE_DIR` names a folder holding its document,
//! and then `cfg(conformance_skyvern)` is set for this package's targets.

use std::path::PathBuf;

/// The documents whose generated code must compile (the two largest).
const CLIENTS: [&str; 2] = ["prefect", "skyvern"];

fn main() {
    println!("cargo::rerun-if-env-changed={}", ionworks_corpus::ENV_VAR);
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    for name in CLIENTS {
        println!("cargo::rustc-check-cfg=cfg(conformance_{name})");
        let document = ionworks_corpus::document(name);
        let path = match document.path() {
            Ok(path) => path,
            Err(unavailable) => {
                // Rerun when the document appears in the named folder.
                if let Some(dir) = unavailable.folder.as_ref().filter(|d| d.is_dir()) {
                    println!("cargo::rerun-if-changed={}", dir.display());
                }
                continue;
            }
        };
        println!("cargo::rerun-if-changed={}", path.display());
        let spec = std::fs::read(&path).unwrap_or_else(|e| {
            println!(
                "cargo::error=cannot read conformance document {}: {e}",
                path.display()
            );
            std::process::exit(1)
        });
        // With the typed mocks too: they must compile for every parameter
        // and response shape these documents use. Every operation's send()
        // returns `ionworks::ApiError`, as the SDK's own do: one rule for
        // every error body type of any spec.
        let options = ionworks_codegen::Options::facade("ionworks").httpmock(true);
        let generated = ionworks_codegen::generate(&spec, &options).unwrap_or_else(|e| {
            println!("cargo::error={}: {e}", document.file);
            std::process::exit(1)
        });
        std::fs::write(out.join(format!("{name}.rs")), generated.code).expect("write OUT_DIR");
        println!("cargo::rustc-cfg=conformance_{name}");
    }
    uploads(&out);
}

/// The upload operations of `fixtures/ionworks-uploads.json` (shaped like the
/// live Ionworks API's), with the SDK's form support and typed mocks.
fn uploads(out: &std::path::Path) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/ionworks-uploads.json");
    println!("cargo::rerun-if-changed={}", path.display());
    let spec = std::fs::read(&path).unwrap_or_else(|e| {
        println!("cargo::error=cannot read {}: {e}", path.display());
        std::process::exit(1)
    });
    let options = ionworks_codegen::Options::facade("ionworks").httpmock(true);
    let generated = ionworks_codegen::generate(&spec, &options).unwrap_or_else(|e| {
        println!("cargo::error={}: {e}", path.display());
        std::process::exit(1)
    });
    std::fs::write(out.join("uploads.rs"), generated.code).expect("write OUT_DIR");
}
