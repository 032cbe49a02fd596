//! Mutation testing: [`ionworks_codegen::generate`] and
//! [`ionworks_codegen::convert`] return `Ok` or a well-formed `Err` (non-empty
//! `construct` and `message`, `pointer` empty or starting with `/`) for
//! arbitrarily damaged documents, and never let a panic escape.
//!
//! Each case takes a base document (one test each: the jobs and
//! optimizations of the vendored `openapi.json`, and infinity, the smallest conformance document, from
//! `conformance/specs/`) and applies one to four random mutations at random
//! JSON pointers: dropped keys and elements, swapped JSON types, inserted
//! nulls, arrays and deeply nested objects (50 to 100 levels), broken `$ref`s
//! (dangling, to non-schemas, to themselves, external, malformed), grafted
//! subtrees and changed `openapi` versions.
//!
//! Cost: a case takes about 50 ms (vendored document) and 85 ms (infinity)
//! in the dev profile, because a successful generation of either base
//! document alone takes 110-220 ms unoptimised. The case counts
//! ([`VENDORED_CASES`], [`INFINITY_CASES`]) are sized for about a minute with
//! the two tests on two cores; `PROPTEST_CASES` overrides both. Run with
//! `--nocapture` for the outcome statistics.
//!
//! Each case runs on its own thread with an 8 MiB stack ([`STACK`]) and must
//! finish within [`TIME_LIMIT`]. A stack overflow aborts the whole process
//! before proptest can report or shrink, and an over-long case ends it: the
//! document of the case being run is always written to
//! `$CARGO_TARGET_TMPDIR/mutation-current-{base}`, so it is the culprit then.
//! A failing (shrunk) case is written to `mutation-failure-{base}` next to it.
//!
//! Four codegen bugs these mutations found have regression tests below
//! ([`deep_schema_on_default_test_stack`], [`invalid_keyword_deep_inside`],
//! [`default_on_self_alias`], [`all_of_own_component`]); the mutations
//! produce their shapes too.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::{Mutex, mpsc};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, FileFailurePersistence, TestError, TestRunner};
use serde_json::{Value, json};

/// Cases for the vendored document, whose successful generation takes about
/// 110 ms in the dev profile (see the module documentation).
const VENDORED_CASES: u32 = 1_100;
/// Cases for the infinity document (about 220 ms per successful generation).
const INFINITY_CASES: u32 = 700;

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
// Mutations

/// A JSON type to turn a value into.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Null,
    Bool,
    Integer,
    Float,
    String,
    Array,
    Object,
}

/// Shape of one level of a deeply nested insertion.
#[derive(Debug, Clone, Copy)]
enum Shape {
    /// `{"a": …}`
    Plain,
    /// `{"type": "object", "properties": {"p": …}}`
    Properties,
    /// `{"type": "array", "items": …}`
    Items,
    /// `{"anyOf": […, {"type": "null"}]}`
    NullableUnion,
    /// `{"allOf": […]}`
    AllOf,
    /// `[[…]]`
    Arrays,
}

/// A value to insert.
#[derive(Debug, Clone)]
enum Payload {
    Null,
    EmptyArray,
    EmptyObject,
    /// An array of mixed scalars and containers.
    MixedArray,
    Scalar(Kind),
    /// `shape` repeated until the value is `depth` JSON levels deep.
    Deep {
        shape: Shape,
        depth: usize,
    },
}

/// How to break a `$ref`.
#[derive(Debug, Clone, Copy)]
enum RefBreak {
    Dangling,
    /// `#/info`, `#/paths`, `#/components`, … (not schemas).
    NonSchema(&'static str),
    /// The object holding the `$ref`.
    SelfRef,
    /// The component the `$ref` sits in (`#/components/schemas/X`).
    ComponentSelf,
    External,
    Empty,
    Root,
    Malformed,
    BadEscape,
    NotAString,
}

#[derive(Debug, Clone, Copy)]
enum Version {
    Set(&'static str),
    Number,
    Null,
    Remove,
    Swagger,
}

#[derive(Debug, Clone)]
enum Mutation {
    /// Remove an object member or array element.
    Drop(Index),
    /// Replace a value by one of another JSON type.
    Swap(Index, Kind),
    /// Insert `payload` under `key` (objects) or append it (arrays).
    Insert(Index, &'static str, Payload),
    /// Replace an existing `$ref`.
    BreakRef(Index, RefBreak),
    /// Add a broken `$ref` to an object.
    AddRef(Index, RefBreak),
    /// Copy one subtree over another.
    Graft(Index, Index),
    Version(Version),
}

/// Keys that mean something to the converter or progenitor.
const KEYS: [&str; 28] = [
    "type",
    "items",
    "properties",
    "additionalProperties",
    "$ref",
    "anyOf",
    "oneOf",
    "allOf",
    "not",
    "prefixItems",
    "nullable",
    "enum",
    "const",
    "default",
    "required",
    "schema",
    "content",
    "parameters",
    "requestBody",
    "responses",
    "discriminator",
    "operationId",
    "format",
    "examples",
    "in",
    "name",
    "components",
    "x-extension",
];

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        Just(Kind::Null),
        Just(Kind::Bool),
        Just(Kind::Integer),
        Just(Kind::Float),
        Just(Kind::String),
        Just(Kind::Array),
        Just(Kind::Object),
    ]
}

fn shape() -> impl Strategy<Value = Shape> {
    prop_oneof![
        Just(Shape::Plain),
        Just(Shape::Properties),
        Just(Shape::Items),
        Just(Shape::NullableUnion),
        Just(Shape::AllOf),
        Just(Shape::Arrays),
    ]
}

fn payload() -> impl Strategy<Value = Payload> {
    prop_oneof![
        2 => Just(Payload::Null),
        1 => Just(Payload::EmptyArray),
        1 => Just(Payload::EmptyObject),
        1 => Just(Payload::MixedArray),
        1 => kind().prop_map(Payload::Scalar),
        2 => (shape(), 50usize..=100).prop_map(|(shape, depth)| Payload::Deep { shape, depth }),
    ]
}

fn ref_break() -> impl Strategy<Value = RefBreak> {
    prop_oneof![
        Just(RefBreak::Dangling),
        prop::sample::select(vec![
            "#/info",
            "#/paths",
            "#/components",
            "#/components/schemas",
            "#/openapi",
            "#/components/parameters/Missing",
            "#/components/responses/Missing",
        ])
        .prop_map(RefBreak::NonSchema),
        Just(RefBreak::SelfRef),
        Just(RefBreak::ComponentSelf),
        Just(RefBreak::External),
        Just(RefBreak::Empty),
        Just(RefBreak::Root),
        Just(RefBreak::Malformed),
        Just(RefBreak::BadEscape),
        Just(RefBreak::NotAString),
    ]
}

fn version() -> impl Strategy<Value = Version> {
    prop_oneof![
        prop::sample::select(vec![
            "3.0.0",
            "3.0.3",
            "3.1.0",
            "3.1.1",
            "3.2.0",
            "3.1",
            "3",
            "2.0",
            "4.0.0",
            "",
            "3.1.0-rc1",
        ])
        .prop_map(Version::Set),
        Just(Version::Number),
        Just(Version::Null),
        Just(Version::Remove),
        Just(Version::Swagger),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => any::<Index>().prop_map(Mutation::Drop),
        3 => (any::<Index>(), kind()).prop_map(|(i, k)| Mutation::Swap(i, k)),
        3 => (any::<Index>(), prop::sample::select(KEYS.to_vec()), payload())
            .prop_map(|(i, k, p)| Mutation::Insert(i, k, p)),
        3 => (any::<Index>(), ref_break()).prop_map(|(i, b)| Mutation::BreakRef(i, b)),
        1 => (any::<Index>(), ref_break()).prop_map(|(i, b)| Mutation::AddRef(i, b)),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::Graft(a, b)),
        1 => version().prop_map(Mutation::Version),
    ]
}

// ---------------------------------------------------------------------------
// Applying mutations

fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

/// Every node below `v` as (pointer, is_container, last token).
fn nodes(v: &Value, ptr: &mut String, out: &mut Vec<(String, bool, String)>, last: &str) {
    out.push((ptr.clone(), v.is_object() || v.is_array(), last.to_string()));
    let len = ptr.len();
    match v {
        Value::Object(o) => {
            for (k, child) in o {
                ptr.push('/');
                ptr.push_str(&escape(k));
                nodes(child, ptr, out, k);
                ptr.truncate(len);
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                ptr.push('/');
                ptr.push_str(&i.to_string());
                nodes(child, ptr, out, "");
                ptr.truncate(len);
            }
        }
        _ => {}
    }
}

fn all_nodes(doc: &Value) -> Vec<(String, bool, String)> {
    let mut out = Vec::new();
    nodes(doc, &mut String::new(), &mut out, "");
    out
}

fn parent(ptr: &str) -> (&str, String) {
    let cut = ptr.rfind('/').unwrap_or(0);
    (
        &ptr[..cut],
        unescape(ptr.get(cut + 1..).unwrap_or_default()),
    )
}

fn coerce(v: &Value, kind: Kind) -> Value {
    match kind {
        Kind::Null => Value::Null,
        Kind::Bool => json!(!matches!(v, Value::Bool(true))),
        Kind::Integer => match v {
            Value::String(s) => json!(s.len() as i64 - 1),
            Value::Array(a) => json!(a.len()),
            _ => json!(u64::MAX),
        },
        Kind::Float => json!(-1.5),
        Kind::String => match v {
            Value::String(s) => json!(format!("{s}\u{0}~1/{{x}}")),
            other => json!(other.to_string()),
        },
        Kind::Array => match v {
            Value::Object(o) => Value::Array(o.values().cloned().collect()),
            Value::Array(a) => json!([a.clone()]),
            other => json!([other.clone()]),
        },
        Kind::Object => match v {
            Value::Array(a) => Value::Object(
                a.iter()
                    .enumerate()
                    .map(|(i, x)| (i.to_string(), x.clone()))
                    .collect(),
            ),
            Value::Object(o) => json!({ "wrapped": Value::Object(o.clone()) }),
            other => json!({ "value": other.clone() }),
        },
    }
}

fn build(payload: &Payload) -> Value {
    match payload {
        Payload::Null => Value::Null,
        Payload::EmptyArray => json!([]),
        Payload::EmptyObject => json!({}),
        Payload::MixedArray => json!([null, 1, "a", true, [], {}, {"type": "null"}, [null]]),
        Payload::Scalar(k) => coerce(&Value::Null, *k),
        Payload::Deep { shape, depth } => {
            let levels = match shape {
                Shape::Properties | Shape::NullableUnion | Shape::AllOf => depth / 2,
                Shape::Plain | Shape::Items | Shape::Arrays => *depth,
            };
            let mut v = json!({"type": "string"});
            for _ in 0..levels {
                v = match shape {
                    Shape::Plain => json!({ "a": v }),
                    Shape::Properties => json!({"type": "object", "properties": {"p": v}}),
                    Shape::Items => json!({"type": "array", "items": v}),
                    Shape::NullableUnion => json!({"anyOf": [v, {"type": "null"}]}),
                    Shape::AllOf => json!({ "allOf": [v] }),
                    Shape::Arrays => json!([v]),
                };
            }
            v
        }
    }
}

fn broken_ref(how: RefBreak, holder: &str) -> Value {
    match how {
        RefBreak::Dangling => json!("#/components/schemas/DoesNotExist"),
        RefBreak::NonSchema(r) => json!(r),
        RefBreak::SelfRef => json!(format!("#{holder}")),
        RefBreak::ComponentSelf => {
            let component: String = holder
                .strip_prefix("/components/schemas/")
                .and_then(|rest| rest.split('/').next())
                .map(|name| format!("#/components/schemas/{name}"))
                .unwrap_or_else(|| format!("#{holder}"));
            json!(component)
        }
        RefBreak::External => json!("other.json#/components/schemas/Thing"),
        RefBreak::Empty => json!(""),
        RefBreak::Root => json!("#"),
        RefBreak::Malformed => json!("#components/schemas"),
        RefBreak::BadEscape => json!("#/components/schemas/a~2b~"),
        RefBreak::NotAString => json!(42),
    }
}

fn replace(doc: &mut Value, ptr: &str, value: Value) {
    if let Some(slot) = doc.pointer_mut(ptr) {
        *slot = value;
    }
}

fn apply(doc: &mut Value, m: &Mutation) {
    let nodes = all_nodes(doc);
    if nodes.is_empty() {
        return;
    }
    match m {
        Mutation::Drop(i) => {
            // Never the root itself.
            if nodes.len() < 2 {
                return;
            }
            let (ptr, _, _) = &nodes[1 + i.index(nodes.len() - 1)];
            let (parent_ptr, key) = parent(ptr);
            match doc.pointer_mut(parent_ptr) {
                Some(Value::Object(o)) => {
                    o.shift_remove(&key);
                }
                Some(Value::Array(a)) => {
                    if let Ok(n) = key.parse::<usize>()
                        && n < a.len()
                    {
                        a.remove(n);
                    }
                }
                _ => {}
            }
        }
        Mutation::Swap(i, kind) => {
            let (ptr, _, _) = &nodes[i.index(nodes.len())];
            let old = doc.pointer(ptr).cloned().unwrap_or(Value::Null);
            replace(doc, ptr, coerce(&old, *kind));
        }
        Mutation::Insert(i, key, payload) => {
            let containers: Vec<&String> = nodes.iter().filter(|n| n.1).map(|n| &n.0).collect();
            if containers.is_empty() {
                return;
            }
            let ptr = containers[i.index(containers.len())];
            match doc.pointer_mut(ptr) {
                Some(Value::Object(o)) => {
                    o.insert((*key).to_string(), build(payload));
                }
                Some(Value::Array(a)) => a.push(build(payload)),
                _ => {}
            }
        }
        Mutation::BreakRef(i, how) => {
            let refs: Vec<&String> = nodes
                .iter()
                .filter(|n| n.2 == "$ref")
                .map(|n| &n.0)
                .collect();
            if refs.is_empty() {
                return apply(doc, &Mutation::AddRef(*i, *how));
            }
            let ptr = refs[i.index(refs.len())].clone();
            let (holder, _) = parent(&ptr);
            let value = broken_ref(*how, holder);
            replace(doc, &ptr, value);
        }
        Mutation::AddRef(i, how) => {
            let objects: Vec<&String> = nodes.iter().filter(|n| n.1).map(|n| &n.0).collect();
            if objects.is_empty() {
                return;
            }
            let ptr = objects[i.index(objects.len())].clone();
            let value = broken_ref(*how, &ptr);
            if let Some(Value::Object(o)) = doc.pointer_mut(&ptr) {
                o.insert("$ref".into(), value);
            }
        }
        Mutation::Graft(from, to) => {
            let source = &nodes[from.index(nodes.len())].0;
            let target = &nodes[to.index(nodes.len())].0;
            if target.is_empty() {
                return;
            }
            if let Some(value) = doc.pointer(source).cloned() {
                replace(doc, target, value);
            }
        }
        Mutation::Version(v) => {
            let Some(root) = doc.as_object_mut() else {
                return;
            };
            match v {
                Version::Set(s) => {
                    root.insert("openapi".into(), json!(s));
                }
                Version::Number => {
                    root.insert("openapi".into(), json!(3.1));
                }
                Version::Null => {
                    root.insert("openapi".into(), Value::Null);
                }
                Version::Remove => {
                    root.shift_remove("openapi");
                }
                Version::Swagger => {
                    root.shift_remove("openapi");
                    root.insert("swagger".into(), json!("2.0"));
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// The property

fn check_error(what: &str, e: &ionworks_codegen::CodegenError) -> Result<(), TestCaseError> {
    prop_assert!(!e.construct.is_empty(), "{what}: empty construct in {e:?}");
    prop_assert!(!e.message.is_empty(), "{what}: empty message in {e:?}");
    prop_assert!(
        e.pointer.is_empty() || e.pointer.starts_with('/'),
        "{what}: pointer {:?} is neither empty nor starts with '/' in {e:?}",
        e.pointer
    );
    Ok(())
}

#[derive(Default)]
struct Stats {
    cases: usize,
    generated: usize,
    /// Errors by construct, with the first one seen.
    errors: BTreeMap<String, (usize, String)>,
    /// Errors whose pointer names no value of the mutated document (other
    /// than a missing `/openapi` or `/info`), with examples.
    dangling_pointers: usize,
    dangling_examples: Vec<String>,
}

/// Stack of the thread each case runs on: 8 MiB, what the main thread (and so
/// `build.rs` and `cargo xtask`) gets on Linux. libtest's default of 2 MiB is
/// not enough: typify recurses once per nesting level (see
/// [`deep_schema_on_default_test_stack`]). `IONWORKS_MUTATION_STACK` (bytes)
/// overrides it.
const STACK: usize = 8 << 20;

/// Longest one case may take (a normal case takes well under a second in the
/// dev profile). A case that exceeds it ends the whole test process: the
/// runaway thread cannot be stopped, and shrinking would repeat it.
const TIME_LIMIT: Duration = Duration::from_secs(20);

/// Mutations of the vendored Ionworks document.
#[test]
fn mutated_vendored_spec_never_panics() {
    run_mutations("openapi.json", vendored_excerpt(), VENDORED_CASES);
}

/// Mutations of the smallest conformance document.
#[test]
fn mutated_infinity_spec_never_panics() {
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

fn run_mutations(name: &str, base: Value, default_cases: u32) {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(default_cases);
    let config = Config {
        source_file: Some(file!()),
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..Config::with_cases(cases)
    };
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let current = tmp.join(format!("mutation-current-{name}"));
    let stats = Mutex::new(Stats::default());
    let started = Instant::now();
    let mut runner = TestRunner::new(config);
    let result = runner.run(&prop::collection::vec(mutation(), 1..=4), |mutations| {
        let mut doc = base.clone();
        for m in &mutations {
            apply(&mut doc, m);
        }
        let bytes = serde_json::to_vec(&doc).expect("serialisable");
        // A stack overflow aborts the process before proptest can report:
        // the document being processed is always on disk.
        std::fs::write(&current, &bytes).expect("write the current case");

        let (converted, outcome) = match run_case(bytes, TIME_LIMIT, &current) {
            Outcome::Ran(converted, generated) => (converted, *generated),
            Outcome::Panicked => {
                return Err(TestCaseError::fail("a panic escaped convert or generate"));
            }
        };
        if let Err(e) = &converted {
            check_error("convert", e)?;
        }
        let mut stats = stats.lock().unwrap_or_else(|p| p.into_inner());
        stats.cases += 1;
        match outcome {
            Ok(generated) => {
                stats.generated += 1;
                prop_assert!(!generated.code.is_empty(), "Ok with no code");
            }
            Err(e) => {
                check_error("generate", &e)?;
                // `/openapi` and `/info` legitimately name missing members.
                let expected_missing = matches!(e.pointer.as_str(), "/openapi" | "/info");
                if doc.pointer(&e.pointer).is_none() && !expected_missing {
                    stats.dangling_pointers += 1;
                    if stats.dangling_examples.len() < 5 {
                        let saved = tmp.join(format!(
                            "mutation-pointer-{name}-{}",
                            stats.dangling_examples.len()
                        ));
                        let _ =
                            std::fs::write(&saved, serde_json::to_vec(&doc).unwrap_or_default());
                        stats
                            .dangling_examples
                            .push(format!("{e} (document: {})", saved.display()));
                    }
                }
                stats
                    .errors
                    .entry(e.construct.clone())
                    .or_insert_with(|| (0, e.to_string()))
                    .0 += 1;
            }
        }
        Ok(())
    });
    let elapsed = started.elapsed();
    let stats = stats.into_inner().unwrap_or_else(|p| p.into_inner());
    eprintln!(
        "{name}: {cases} cases ({} run incl. shrinking) in {elapsed:.1?}: {} generated, \
         {} errors ({} with a pointer to no value of the input)",
        stats.cases,
        stats.generated,
        stats.cases - stats.generated,
        stats.dangling_pointers,
    );
    for (construct, (n, first)) in &stats.errors {
        let first: String = first.chars().take(150).collect();
        eprintln!("  {n:>6} × {construct:<20} e.g. {first}");
    }
    for example in &stats.dangling_examples {
        let example: String = example.chars().take(200).collect();
        eprintln!("  pointer to no value: {example}");
    }
    if let Err(failure) = result {
        // Keep the offending document for the bug report.
        if let TestError::Fail(_, mutations) = &failure {
            let mut doc = base.clone();
            for m in mutations {
                apply(&mut doc, m);
            }
            let out = tmp.join(format!("mutation-failure-{name}"));
            if std::fs::write(&out, serde_json::to_vec_pretty(&doc).unwrap_or_default()).is_ok() {
                eprintln!("failing document written to {}", out.display());
            }
        }
        panic!("{name}: {failure}");
    }
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

/// The mutation machinery itself does what it claims.
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
