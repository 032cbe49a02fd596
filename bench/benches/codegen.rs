//! Cost of our conversion against progenitor's own generation, per
//! conformance document (the vendored ones, and phoenix and skyvern when
//! `IONWORKS_CONFORMANCE_DIR` holds them; see `ionworks-corpus`):
//!
//! * `convert`: [`ionworks_codegen::convert`] on the raw bytes (parse,
//!   OpenAPI 3.1 → 3.0 down-conversion, normalisation, naming);
//! * `progenitor`: what progenitor does with the converted document on its
//!   own: `openapiv3::OpenAPI` from the converted value, then
//!   `Generator::generate_tokens` with the builder interface and merged tags
//!   (the settings [`ionworks_codegen::generate`] uses);
//! * `parse_json`: for reference, the `serde_json::Value` parse that
//!   `convert` includes and `progenitor` does not.
//!
//! The target is `convert` ≤ 10% of `progenitor` for every document. Both
//! drop their output inside the timed region.
//!
//! ```text
//! cargo bench -p ionworks-bench --bench codegen
//! ```

use divan::Bencher;
use serde::Deserialize;

fn main() {
    for document in ionworks_corpus::DOCUMENTS {
        if let Err(unavailable) = document.path() {
            eprintln!("{unavailable}: not measured");
        }
    }
    divan::main();
}

/// The available documents, by name.
fn documents() -> Vec<&'static str> {
    ionworks_corpus::DOCUMENTS
        .iter()
        .filter(|d| d.path().is_ok())
        .map(|d| d.name)
        .collect()
}

fn read(document: &str) -> Vec<u8> {
    ionworks_corpus::document(document)
        .read()
        .expect("only available documents are measured")
}

fn settings() -> progenitor::GenerationSettings {
    let mut settings = progenitor::GenerationSettings::default();
    settings
        .with_interface(progenitor::InterfaceStyle::Builder)
        .with_tag(progenitor::TagStyle::Merged);
    settings
}

/// (a) Our conversion and normalisation, from bytes.
#[divan::bench(args = documents(), sample_count = 30)]
fn convert(bencher: Bencher, document: &str) {
    let bytes = read(document);
    bencher.bench_local(|| {
        divan::black_box_drop(
            ionworks_codegen::convert(divan::black_box(&bytes)).expect("converts"),
        )
    });
}

/// For reference: the JSON parse alone, which (a) includes and (b) does not.
#[divan::bench(args = documents(), sample_count = 30)]
fn parse_json(bencher: Bencher, document: &str) {
    let bytes = read(document);
    bencher.bench_local(|| {
        divan::black_box_drop(
            serde_json::from_slice::<serde_json::Value>(divan::black_box(&bytes)).expect("JSON"),
        )
    });
}

/// (b) progenitor on the converted document: typed parse, then generation.
#[divan::bench(args = documents(), sample_count = 10)]
fn progenitor(bencher: Bencher, document: &str) {
    let (converted, _) = ionworks_codegen::convert(&read(document)).expect("converts");
    let settings = settings();
    bencher.bench_local(|| {
        let spec = openapiv3::OpenAPI::deserialize(divan::black_box(&converted))
            .expect("converted document is OpenAPI 3.0");
        let tokens = progenitor::Generator::new(&settings)
            .generate_tokens(&spec)
            .expect("progenitor generates");
        divan::black_box_drop((spec, tokens));
    });
}
