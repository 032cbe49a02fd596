//! Generates a client for each conformance document named in `DOCUMENTS`.
//!
//! The documents are read from `../shared/conformance/` (override with
//! `IONWORKS_CONFORMANCE_DIR`); they are real FastAPI specs and are not copied
//! into this repository.

use std::path::PathBuf;

/// The documents whose generated code must compile (the two largest).
const DOCUMENTS: [(&str, &str); 2] = [
    ("prefect", "PrefectHQ__prefect__server-schema.json"),
    ("skyvern", "Skyvern-AI__skyvern__api-reference-openapi.json"),
];

fn main() {
    println!("cargo:rerun-if-env-changed=IONWORKS_CONFORMANCE_DIR");
    let dir = std::env::var_os("IONWORKS_CONFORMANCE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance")
        });
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    for (module, file) in DOCUMENTS {
        let path = dir.join(file);
        println!("cargo:rerun-if-changed={}", path.display());
        let spec = std::fs::read(&path).unwrap_or_else(|e| {
            println!(
                "cargo::error=cannot read conformance document {}: {e}",
                path.display()
            );
            std::process::exit(1)
        });
        // With the typed mocks too: they must compile for every parameter
        // and response shape these documents use.
        let options = ionworks_codegen::Options::default().httpmock(true);
        let generated = ionworks_codegen::generate(&spec, &options).unwrap_or_else(|e| {
            println!("cargo::error={file}: {e}");
            std::process::exit(1)
        });
        std::fs::write(out.join(format!("{module}.rs")), generated.code).expect("write OUT_DIR");
    }
}
