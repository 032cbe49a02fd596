//! Generates the typed client from the vendored `openapi.json` at compile time.
//!
//! The whole pipeline lives in `ionworks-codegen`; this script only reads the
//! spec, calls it and writes `OUT_DIR/api.rs` (plus the converted 3.0
//! document, `OUT_DIR/openapi-3.0.json`, for debugging).
//!
//! `IONWORKS_SPEC=/path/to/openapi.json` builds against another document
//! instead, to try a candidate spec before vendoring it (the change-report
//! tests compile a caller's crate this way).

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=IONWORKS_SPEC");
    let spec_path = std::env::var_os("IONWORKS_SPEC")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("openapi.json"));
    println!("cargo:rerun-if-changed={}", spec_path.display());
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let spec = match std::fs::read(&spec_path) {
        Ok(spec) => spec,
        Err(e) => fail(&format!("cannot read {}: {e}", spec_path.display())),
    };
    // The crate's settings (`Options::sdk`: its error type, uploads, client
    // state, a feature per tag); with the `mocks` feature, also the typed
    // `httpmock` helpers (`mock`).
    let mocks = std::env::var_os("CARGO_FEATURE_MOCKS").is_some();
    // Only the enabled parts of the API are generated (cargo runs this
    // script again when the features change): `CARGO_FEATURE_API_JOBS` is
    // the feature `api-jobs`.
    let features: Vec<String> = std::env::vars()
        .filter_map(|(name, _)| {
            let feature = name.strip_prefix("CARGO_FEATURE_")?;
            Some(feature.to_ascii_lowercase().replace('_', "-"))
        })
        .collect();
    // The builders of types only answers use, for code that makes answers
    // up (`mocks`, `testing` and `response-builders` turn them on).
    let response_builders = features.iter().any(|f| f == "response-builders");
    let options = ionworks_codegen::Options::sdk()
        .httpmock(mocks)
        .request_builders_only(!response_builders)
        .only_features(features);
    let generated = match ionworks_codegen::generate(&spec, &options) {
        Ok(generated) => generated,
        Err(e) => fail(&format!("{}: {e}", spec_path.display())),
    };
    let converted = serde_json::to_string_pretty(&generated.converted).unwrap_or_default();
    write(&out_dir.join("openapi-3.0.json"), converted.as_bytes());
    write(&out_dir.join("api.rs"), generated.code.as_bytes());
}

fn write(path: &std::path::Path, bytes: &[u8]) {
    if let Err(e) = std::fs::write(path, bytes) {
        fail(&format!("cannot write {}: {e}", path.display()));
    }
}

/// A short, readable build error instead of a panic backtrace.
fn fail(message: &str) -> ! {
    println!("cargo::error={message}");
    std::process::exit(1);
}
