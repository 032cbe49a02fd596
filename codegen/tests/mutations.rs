//! Mutation testing: for arbitrarily damaged documents,
//! [`ionworks_codegen::generate`] either generates or refuses in the
//! codegen's own words (a well-formed, one-line [`CodegenError`] naming a
//! JSON pointer), and [`ionworks_codegen::convert`] returns `Ok` or such an
//! error. A panic inside progenitor or typify is contained by `generate`,
//! but its text ("progenitor/typify panicked: …") says nothing useful: it
//! fails the test like an escaped panic does.
//!
//! Each case takes a base document (one test each: the jobs and
//! optimizations of the vendored `openapi.json`, and infinity, the smallest
//! conformance document, from `conformance/specs/`) and applies one to four
//! random mutations ([`mutate`]) at random JSON pointers: dropped keys and
//! elements, swapped JSON types, inserted nulls, arrays and deeply nested
//! objects (50 to 100 levels), broken `$ref`s (dangling, to non-schemas such
//! as `#/paths` or any other value of the document, to themselves, external,
//! malformed), schema keywords set to hostile values (empty
//! `allOf`/`anyOf`/`oneOf`, `not`, `items: false`, empty `enum`s, wrong
//! JSON types, …), grafted subtrees and changed `openapi` versions.
//!
//! The cases are drawn from a fixed seed ([`SEED`]; `IONWORKS_MUTATION_SEED`
//! picks another), so a run is reproducible.
//!
//! Cost: a case takes about 50 ms (vendored document) and 85 ms (infinity)
//! in the dev profile, because a successful generation of either base
//! document alone takes 110-220 ms unoptimised. The case counts
//! ([`VENDORED_CASES`], [`INFINITY_CASES`]) are sized for about 20 s with
//! the two tests on two idle cores (about 45 s when the cores are shared
//! with another build). `IONWORKS_MUTATIONS=N` runs `N`
//! cases per base document instead, e.g. `IONWORKS_MUTATIONS=1500 cargo test
//! -p ionworks-codegen --test mutations -- --nocapture` for a long run; the
//! counts of each outcome (generated, refused, panicked) are printed either
//! way (visible with `--nocapture`).
//!
//! Each case runs on its own thread with an 8 MiB stack ([`STACK`]) and must
//! finish within [`TIME_LIMIT`]. A stack overflow aborts the whole process,
//! and an over-long case ends it: the document of the case being run is
//! always written to `$CARGO_TARGET_TMPDIR/mutation-current-{base}`, so it is
//! the culprit then. Every failing case is written to
//! `mutation-failure-{base}-{n}` next to it.
//!
//! Four codegen bugs these mutations found have regression tests below
//! ([`deep_schema_on_default_test_stack`], [`invalid_keyword_deep_inside`],
//! [`default_on_self_alias`], [`all_of_own_component`]); the mutations
//! produce their shapes too.

#[path = "mutations/mutate.rs"]
mod mutate;

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use ionworks_codegen::CodegenError;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{Value, json};

use mutate::{Mutation, Payload, RefBreak, Shape, Version, apply, build, mutation};

/// Cases for the vendored document, whose successful generation takes about
/// 110 ms in the dev profile (see the module documentation).
const VENDORED_CASES: usize = 800;
/// Cases for the infinity document (about 220 ms per successful generation).
const INFINITY_CASES: usize = 500;

/// The seed the cases are drawn from.
const SEED: u64 = 0x10_4e_77_0b_25;

/// The longest error (as displayed, without its pointer, which is as deep
/// as the document) a refusal may be: one sentence, not a dump of a schema.
const MAX_ERROR_LEN: usize = 400;

/// The vendored document's jobs and optimizations ([`ionworks_codegen::excerpt`]):
/// every kind of schema the document uses, at a cost per case that fits CI
/// (the whole document takes many times longer to generate).
fn vendored_excerpt() -> Value {
    let doc = read_document(&PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../openapi.json"
    )));
    ionworks_codegen::excerpt(&doc, |_, _, op| {
        op["tags"][0] == "jobs" || op["tags"][0] == "optimizations"
    })
}

fn read_document(path: &std::path::Path) -> Value {
    let bytes = std::fs::read(path)
        .unwrap_or_else(|e| panic!("cannot read base document {}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

// ---------------------------------------------------------------------------
// The property

/// What is wrong with an error, if anything: it must be one line of the
/// codegen's own words, with a construct, a message and a pointer that is
/// empty or starts with `/`, and no panic text.
fn error_fault(e: &CodegenError) -> Option<String> {
    let shown = e.to_string();
    if e.construct == "generator panic" || shown.contains("panicked") {
        Some("a panic inside the generator".into())
    } else if e.construct.is_empty() || e.message.is_empty() {
        Some("an empty construct or message".into())
    } else if !(e.pointer.is_empty() || e.pointer.starts_with('/')) {
        Some(format!("the pointer {:?} is not a JSON pointer", e.pointer))
    } else if shown.contains('\n') {
        Some("more than one line".into())
    } else if shown.chars().count() - e.pointer.chars().count() > MAX_ERROR_LEN {
        Some(format!(
            "longer than {MAX_ERROR_LEN} characters besides the pointer"
        ))
    } else {
        None
    }
}

/// The outcomes of a run.
#[derive(Default)]
struct Stats {
    cases: usize,
    generated: usize,
    /// Refused in the codegen's words: by construct, with the first one seen.
    refused: BTreeMap<String, (usize, String)>,
    /// Of those, the errors progenitor or typify returned (not panics) on a
    /// document the converter took, located by the codegen: by message
    /// (cut short), with the first one seen and where its document is.
    generator_errors: BTreeMap<String, (usize, String)>,
    /// Errors from a panic inside the generator.
    panicked: usize,
    /// Other faults: multi-line, over-long or malformed errors, escaped panics.
    faulty: usize,
    /// The faults (panics included), each with where its document was saved.
    failures: Vec<String>,
    /// Errors whose pointer names no value of the mutated document (other
    /// than a missing `/openapi` or `/info`), with examples.
    dangling_pointers: usize,
    dangling_examples: Vec<String>,
}

impl Stats {
    fn refusals(&self) -> usize {
        self.refused.values().map(|(n, _)| n).sum()
    }

    fn generator_refusals(&self) -> usize {
        self.generator_errors.values().map(|(n, _)| n).sum()
    }
}

/// Stack of the thread each case runs on: 8 MiB, what the main thread (and so
/// `build.rs` and `cargo xtask`) gets on Linux. libtest's default of 2 MiB is
/// not enough: typify recurses once per nesting level (see
/// [`deep_schema_on_default_test_stack`]). `IONWORKS_MUTATION_STACK` (bytes)
/// overrides it.
const STACK: usize = 8 << 20;

/// Longest one case may take (a normal case takes well under a second in the
/// dev profile). A case that exceeds it ends the whole test process: the
/// runaway thread cannot be stopped.
const TIME_LIMIT: Duration = Duration::from_secs(20);

/// Mutations of the vendored Ionworks document.
#[test]
fn mutated_vendored_spec_generates_or_refuses() {
    run_mutations("openapi.json", vendored_excerpt(), VENDORED_CASES);
}

/// Mutations of the smallest conformance document.
#[test]
fn mutated_infinity_spec_generates_or_refuses() {
    run_mutations(
        "infinity",
        read_document(
            &ionworks_corpus::document("infinity")
                .path()
                .expect("a vendored document"),
        ),
        INFINITY_CASES,
    );
}

/// What one case did.
enum Outcome {
    /// `convert` and `generate` returned.
    Ran(
        Result<(), ionworks_codegen::CodegenError>,
        Box<Result<ionworks_codegen::Generated, ionworks_codegen::CodegenError>>,
    ),
    /// A panic escaped.
    Panicked,
}

/// `convert` and `generate` on `bytes`, on a thread with a [`STACK`]-sized
/// stack, within `limit`. Exits the process when the limit is exceeded.
fn run_case(bytes: Vec<u8>, limit: Duration, saved_at: &std::path::Path) -> Outcome {
    let stack = std::env::var("IONWORKS_MUTATION_STACK")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(STACK);
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("mutation case".into())
        .stack_size(stack)
        .spawn(move || {
            let converted = ionworks_codegen::convert(&bytes);
            let generated = ionworks_codegen::generate(&bytes, &Default::default());
            let _ = tx.send(Outcome::Ran(converted.map(drop), Box::new(generated)));
        })
        .expect("spawn a case thread");
    match rx.recv_timeout(limit) {
        Ok(outcome) => outcome,
        Err(mpsc::RecvTimeoutError::Disconnected) => Outcome::Panicked,
        Err(mpsc::RecvTimeoutError::Timeout) => {
            // Straight to stderr: libtest's capture would be lost on exit.
            let _ = writeln!(
                std::io::stderr(),
                "convert/generate ran for more than {limit:?} on {}; exiting",
                saved_at.display()
            );
            std::process::exit(101);
        }
    }
}

/// [`run_case`] for the regression tests: the outcome of `generate`.
fn generate_within(
    bytes: Vec<u8>,
    limit: Duration,
    saved_at: &std::path::Path,
) -> Result<ionworks_codegen::Generated, ionworks_codegen::CodegenError> {
    match run_case(bytes, limit, saved_at) {
        Outcome::Ran(_, generated) => *generated,
        Outcome::Panicked => panic!("a panic escaped generate"),
    }
}

/// The number of cases: `IONWORKS_MUTATIONS`, else `default_cases`.
fn case_count(default_cases: usize) -> usize {
    std::env::var("IONWORKS_MUTATIONS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(default_cases)
}

/// A runner drawing from [`SEED`] (or `IONWORKS_MUTATION_SEED`) and `name`.
fn seeded_runner(name: &str) -> TestRunner {
    let seed = std::env::var("IONWORKS_MUTATION_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(SEED);
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    for (i, b) in name.bytes().enumerate() {
        bytes[8 + i % 24] ^= b;
    }
    TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &bytes),
    )
}

fn run_mutations(name: &str, base: Value, default_cases: usize) {
    let cases = case_count(default_cases);
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let current = tmp.join(format!("mutation-current-{name}"));
    let mut stats = Stats::default();
    let started = Instant::now();
    let mut runner = seeded_runner(name);
    let strategy = prop::collection::vec(mutation(), 1..=4);
    for case in 0..cases {
        let mutations = strategy
            .new_tree(&mut runner)
            .expect("the strategy never rejects")
            .current();
        let mut doc = base.clone();
        for m in &mutations {
            apply(&mut doc, m);
        }
        let bytes = serde_json::to_vec(&doc).expect("serialisable");
        // A stack overflow aborts the process before anything is reported:
        // the document being processed is always on disk.
        std::fs::write(&current, &bytes).expect("write the current case");
        stats.cases += 1;
        let fault = match run_case(bytes, TIME_LIMIT, &current) {
            Outcome::Panicked => Some("a panic escaped convert or generate".to_string()),
            Outcome::Ran(converted, generated) => {
                let after_conversion = converted.is_ok();
                let converted = converted
                    .err()
                    .and_then(|e| error_fault(&e).map(|f| format!("convert: {f}: {e}")));
                let generated = match *generated {
                    Ok(generated) if generated.code.is_empty() => {
                        Some("Ok with no code".to_string())
                    }
                    Ok(_) => {
                        stats.generated += 1;
                        None
                    }
                    Err(e) => match error_fault(&e) {
                        Some(f) => Some(format!("generate: {f}: {e}")),
                        None => {
                            record_refusal(&mut stats, &e, after_conversion, &doc, &tmp, name);
                            None
                        }
                    },
                };
                generated.or(converted)
            }
        };
        if let Some(fault) = fault {
            if fault.contains("progenitor/typify panicked") {
                stats.panicked += 1;
            } else {
                stats.faulty += 1;
            }
            let saved = tmp.join(format!("mutation-failure-{name}-{}", stats.failures.len()));
            let _ = std::fs::write(&saved, serde_json::to_vec_pretty(&doc).unwrap_or_default());
            let fault: String = fault.chars().take(300).collect();
            stats.failures.push(format!(
                "case {case}: {fault} (mutations {mutations:?}; document: {})",
                saved.display()
            ));
        }
    }
    let elapsed = started.elapsed();
    eprintln!(
        "{name}: {cases} cases in {elapsed:.1?}: {} generated, {} refused ({} of them after \
         conversion, by progenitor's or typify's own error), {} panicked, {} other faults \
         ({} refusals with a pointer to no value of the input)",
        stats.generated,
        stats.refusals(),
        stats.generator_refusals(),
        stats.panicked,
        stats.faulty,
        stats.dangling_pointers,
    );
    for (construct, (n, first)) in &stats.refused {
        let first: String = first.chars().take(150).collect();
        eprintln!("  {n:>6} × {construct:<20} e.g. {first}");
    }
    for (message, (n, first)) in &stats.generator_errors {
        eprintln!("  {n:>6} × after conversion: {message}… e.g. {first}");
    }
    for example in &stats.dangling_examples {
        let example: String = example.chars().take(200).collect();
        eprintln!("  pointer to no value: {example}");
    }
    for failure in &stats.failures {
        let failure: String = failure.chars().take(1000).collect();
        eprintln!("  FAULT {failure}");
    }
    assert!(
        stats.failures.is_empty(),
        "{name}: {} of {cases} cases neither generated nor were refused in the codegen's words; \
         first: {}",
        stats.failures.len(),
        stats.failures[0]
    );
    // Sanity: the mutations must reach both outcomes.
    assert!(
        stats.generated > 0,
        "{name}: no mutated document generated: mutations too destructive"
    );
    assert!(
        stats.generated < stats.cases,
        "{name}: every mutated document generated: mutations ineffective"
    );
}

/// Count a refusal, and note it if its pointer names no value of `doc`.
fn record_refusal(
    stats: &mut Stats,
    e: &CodegenError,
    after_conversion: bool,
    doc: &Value,
    tmp: &std::path::Path,
    name: &str,
) {
    // `/openapi` and `/info` legitimately name missing members.
    let expected_missing = matches!(e.pointer.as_str(), "/openapi" | "/info");
    if doc.pointer(&e.pointer).is_none() && !expected_missing {
        stats.dangling_pointers += 1;
        if stats.dangling_examples.len() < 5 {
            let saved = tmp.join(format!(
                "mutation-pointer-{name}-{}",
                stats.dangling_examples.len()
            ));
            let _ = std::fs::write(&saved, serde_json::to_vec(doc).unwrap_or_default());
            stats
                .dangling_examples
                .push(format!("{e} (document: {})", saved.display()));
        }
    }
    stats
        .refused
        .entry(e.construct.clone())
        .or_insert_with(|| (0, e.to_string()))
        .0 += 1;
    if after_conversion {
        let key: String = e.message.chars().take(60).collect();
        let seen = stats.generator_errors.len();
        stats
            .generator_errors
            .entry(key)
            .or_insert_with(|| {
                let saved = tmp.join(format!("mutation-generator-{name}-{seen}"));
                let _ = std::fs::write(&saved, serde_json::to_vec(doc).unwrap_or_default());
                let shown: String = e.to_string().chars().take(200).collect();
                (0, format!("{shown} (document: {})", saved.display()))
            })
            .0 += 1;
    }
}

#[test]
fn mutations_apply() {
    let index = any::<Index>()
        .new_tree(&mut TestRunner::deterministic())
        .expect("index")
        .current();
    let mut doc = json!({"openapi": "3.1.0", "a": {"$ref": "#/components/schemas/A"}});
    apply(&mut doc, &Mutation::BreakRef(index, RefBreak::SelfRef));
    assert_eq!(doc["a"]["$ref"], "#/a");
    apply(&mut doc, &Mutation::Version(Version::Remove));
    assert!(doc.get("openapi").is_none());
    let deep = build(&Payload::Deep {
        shape: Shape::Plain,
        depth: 60,
    });
    let mut depth = 0;
    let mut v = &deep;
    while let Some(inner) = v.get("a") {
        depth += 1;
        v = inner;
    }
    assert_eq!(depth, 60);
}

/// Regression test (was a stack overflow): a schema nested ~35 levels deep
/// (here 40 `items`) overflows the 2 MiB stack of a libtest thread in the dev
/// profile inside typify (`TypeSpace::convert_schema` → `convert_array` →
/// `id_for_schema`, once per level). A stack overflow aborts the process, so
/// `generate` cannot contain it. Enable once the codegen bounds the depth or
/// runs progenitor on a thread with a larger stack.
#[test]

fn deep_schema_on_default_test_stack() {
    let mut schema = json!({"type": "string"});
    for _ in 0..40 {
        schema = json!({"type": "array", "items": schema});
    }
    let doc = json!({
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {},
        "components": {"schemas": {"A": schema}},
    });
    let bytes = serde_json::to_vec(&doc).expect("serialisable");
    let outcome = ionworks_codegen::generate(&bytes, &Default::default());
    if let Err(e) = outcome {
        assert!(!e.message.is_empty());
    }
}

/// Regression test (was a stack overflow): openapiv3's untagged `SchemaKind` /
/// `ReferenceOr` deserialisers backtrack once per nesting level when a keyword
/// deep inside has the wrong JSON type, so the typed parse in `generate`
/// takes O(2^depth) time: 14 levels take about 1.5 s, 18 levels 20 s in the
/// dev profile; this 26-level document (under 1 KiB) would take hours. The
/// converter passes the bad `type` through instead of rejecting it.
#[test]

fn invalid_keyword_deep_inside() {
    let mut schema = json!({"type": 1});
    for _ in 0..26 {
        schema = json!({"type": "array", "items": schema});
    }
    let doc = json!({
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {},
        "components": {"schemas": {"A": schema}},
    });
    let bytes = serde_json::to_vec(&doc).expect("serialisable");
    let saved = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("invalid-keyword-deep-inside");
    std::fs::write(&saved, &bytes).expect("write the document");
    let outcome = generate_within(bytes, Duration::from_secs(10), &saved);
    let e = outcome.expect_err("`type: 1` is invalid");
    assert!(
        e.pointer.ends_with("/type"),
        "pointer should name the bad keyword, got {}",
        e.pointer
    );
}

/// Regression test (was a stack overflow): a component schema that is only a
/// reference to itself, used with a `default` (here through `allOf`, which is
/// also what the converter makes of `anyOf: [{$ref}]` or a `$ref` with a
/// `default` sibling), sends typify's `TypeEntry::validate_value` /
/// `defaults::validate_type_id` into infinite recursion: a stack overflow
/// (process abort) whatever the stack size.
#[test]

fn default_on_self_alias() {
    let doc = json!({
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "components": {"schemas": {
            "A": {"$ref": "#/components/schemas/A"},
            "B": {"properties": {"a": {"allOf": [{"$ref": "#/components/schemas/A"}], "default": "x"}}},
        }},
    });
    // Rejected with a location before typify sees it.
    let err = ionworks_codegen::generate(&serde_json::to_vec(&doc).unwrap(), &Default::default())
        .unwrap_err();
    assert_eq!(err.pointer, "/components/schemas/A");
    assert_eq!(err.construct, "reference cycle");
}

/// Regression test (was a stack overflow): inside component `A`, an `allOf`
/// with a `{$ref: A}` branch and any further constraint (another branch, or a
/// `properties` / `required` / `additionalProperties` sibling) sends typify
/// into infinite recursion (`convert_schema` → `convert_option` /
/// `struct_property` → …): a stack overflow whatever the stack size. Real
/// trees hit it (`children: {items: {allOf: [{$ref: Node}], required: [...]}}`),
/// and so does the converter's own output for `anyOf: [{...}, null]` next to a
/// `$ref` sibling.
#[test]

fn all_of_own_component() {
    let doc = json!({
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {},
        "components": {"schemas": {"Node": {
            "type": "object",
            "properties": {"children": {
                "type": "array",
                "items": {"allOf": [{"$ref": "#/components/schemas/Node"}], "required": ["x"]},
            }},
        }}},
    });
    let bytes = serde_json::to_vec(&doc).expect("serialisable");
    let (converted, report) = ionworks_codegen::convert(&bytes).expect("converts");
    // The converter keeps the recursive reference and drops the constraint next to it.
    assert_eq!(
        converted.pointer("/components/schemas/Node/properties/children/items"),
        Some(&json!({"allOf": [{"$ref": "#/components/schemas/Node"}]}))
    );
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.pointer == "/components/schemas/Node/properties/children/items")
    );
    let saved = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("all-of-own-component");
    std::fs::write(&saved, &bytes).expect("write the document");
    let generated = generate_within(bytes, Duration::from_secs(10), &saved).expect("generates");
    assert!(
        generated
            .code
            .contains("pub children: ::std::vec::Vec<Node>"),
        "{}",
        generated.code
    );
}
