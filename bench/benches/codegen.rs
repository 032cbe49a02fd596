//! Cost of the whole generator against progenitor's own pipeline, per
//! conformance document (the vendored ones, and phoenix and skyvern when
//! `IONWORKS_CONFORMANCE_DIR` holds them; see `ionworks-corpus`):
//!
//! * `generate`: [`ionworks_codegen::generate`] from bytes to formatted
//!   code, with the options of the crate's `build.rs` (without mocks);
//! * `standard`: progenitor's usual `build.rs` on the converted document:
//!   `openapiv3::OpenAPI` from it, `Generator::generate_tokens` (builder
//!   interface, merged tags, as `generate` sets them), `syn::parse2` and
//!   `prettyplease::unparse`;
//! * `convert`: [`ionworks_codegen::convert`] on the raw bytes (parse,
//!   OpenAPI 3.1 → 3.0 down-conversion, normalisation, naming);
//! * `progenitor`: the typed document and `generate_tokens` alone;
//! * `parse_json`: for reference, the `serde_json::Value` parse that
//!   `convert` includes and `progenitor` does not.
//!
//! Before the measurements, a table gives the time of each stage of
//! `generate` (convert, progenitor, parse, rewrite, docs, print; the
//! fastest of three runs) and the share of our own stages (convert, rewrite,
//! docs) in the standard pipeline's (progenitor, parse, print); the target
//! is at most 50%. All benchmarks drop their output inside the timed region.
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
    stages();
    divan::main();
}

/// The options of the crate's `build.rs`, without the mocks.
fn options() -> ionworks_codegen::Options {
    ionworks_codegen::Options::sdk()
}

/// Prints the time of each stage of `generate` for every document.
fn stages() {
    const OURS: [&str; 3] = ["convert", "rewrite", "docs"];
    const STANDARD: [&str; 3] = ["progenitor", "parse", "print"];
    eprintln!(
        "{:<12} {:>9} {:>10} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>6}",
        "stages (ms)",
        "convert",
        "progenitor",
        "parse",
        "rewrite",
        "docs",
        "print",
        "ours",
        "standard",
        "share"
    );
    for document in documents() {
        let bytes = read(document);
        let mut best: Vec<(&str, f64)> = Vec::new();
        for _ in 0..3 {
            let (_, laps) =
                ionworks_codegen::generate_by_stage(&bytes, &options()).expect("generates");
            if best.is_empty() {
                best = laps.iter().map(|(n, _)| (*n, f64::INFINITY)).collect();
            }
            for ((_, b), (_, d)) in best.iter_mut().zip(&laps) {
                *b = b.min(d.as_secs_f64() * 1e3);
            }
        }
        let sum = |names: &[&str]| -> f64 {
            best.iter()
                .filter(|(n, _)| names.contains(n))
                .map(|(_, t)| t)
                .sum()
        };
        let (ours, standard) = (sum(&OURS), sum(&STANDARD));
        let cells: Vec<String> = best.iter().map(|(_, t)| format!("{t:>9.1}")).collect();
        eprintln!(
            "{document:<12} {} {ours:>9.1} {standard:>9.1} {:>5.0}%",
            cells.join(" "),
            100.0 * ours / standard
        );
    }
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
    bencher.bench_local(|| divan::black_box_drop(tokens(&converted, &settings)));
}

/// progenitor's typed document and its tokens for the converted document.
fn tokens(
    converted: &serde_json::Value,
    settings: &progenitor::GenerationSettings,
) -> (openapiv3::OpenAPI, proc_macro2::TokenStream) {
    let spec = openapiv3::OpenAPI::deserialize(divan::black_box(converted))
        .expect("converted document is OpenAPI 3.0");
    let tokens = progenitor::Generator::new(settings)
        .generate_tokens(&spec)
        .expect("progenitor generates");
    (spec, tokens)
}

/// The whole generator, from bytes to formatted code.
#[divan::bench(args = documents(), sample_count = 10)]
fn generate(bencher: Bencher, document: &str) {
    let bytes = read(document);
    let options = options();
    bencher.bench_local(|| {
        divan::black_box_drop(
            ionworks_codegen::generate(divan::black_box(&bytes), &options).expect("generates"),
        )
    });
}

/// progenitor's usual `build.rs` on the converted document: typed parse,
/// generation, `syn` parse and pretty-printing.
#[divan::bench(args = documents(), sample_count = 10)]
fn standard(bencher: Bencher, document: &str) {
    let (converted, _) = ionworks_codegen::convert(&read(document)).expect("converts");
    let settings = settings();
    bencher.bench_local(|| {
        let (spec, tokens) = tokens(&converted, &settings);
        let file: syn::File = syn::parse2(tokens).expect("progenitor's code parses");
        divan::black_box_drop(spec);
        divan::black_box_drop(prettyplease::unparse(&file));
    });
}
