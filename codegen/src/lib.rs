//! Code generation for the `ionworks` SDK.
//!
//! One entry point, [`generate`], turns an OpenAPI 3.0 or 3.1 document into the
//! Rust source of a typed async client:
//!
//! 1. **parse** the JSON;
//! 2. **down-convert** OpenAPI 3.1 / JSON Schema 2020-12 to OpenAPI 3.0.3
//!    (nullable unions, `type` arrays, `const`, exclusive bounds, …) and
//!    normalise the shapes that make progenitor or typify panic; the module
//!    `convert` indexes its rules, one module per construct (see
//!    `codegen/src/convert/mod.rs`);
//! 3. **name** operations without FastAPI's `_{path}_{method}` suffix;
//! 4. **generate** with progenitor (builder interface), contained so that no
//!    panic escapes, and
//! 5. **rewrite** the result: open enums, lenient date-times, request-side
//!    bound checks, code blocks in the spec's prose fenced as `text` (so
//!    rustdoc never compiles them), and, with [`Options::pages`], a stream
//!    of every item of each list; then pretty-print with prettyplease.
//!
//! `build.rs`, `cargo xtask` and the tests all call [`generate`]: there is one
//! code path from a spec to code.
//!
//! ```
//! let spec = br#"{"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
//!   "paths": {"/jobs/{job_id}": {"get": {"operationId": "get_job_jobs__job_id__get",
//!     "parameters": [{"name": "job_id", "in": "path", "required": true, "schema": {"type": "string"}}],
//!     "responses": {"200": {"description": "ok", "content": {"application/json":
//!       {"schema": {"anyOf": [{"type": "string"}, {"type": "null"}]}}}}}}}}}"#;
//! let out = ionworks_codegen::generate(spec, &Default::default()).unwrap();
//! assert!(out.code.contains("pub fn get_job(&self)"));
//! assert_eq!(out.report.operations[0].0, "get_job");
//! ```

mod contain;
mod convert;
mod describe;
mod docs;
mod document;
mod error;
mod extra;
mod forms;
mod names;
mod operations;
mod pages;
mod rewrite;
mod schema;
mod structure;
mod tags;

use std::collections::BTreeSet;

use serde_json::Value;

use contain::{contained, on_large_stack};

pub use document::{HTTP_METHODS, excerpt, operations};
pub use error::{CodegenError, Note, Report, pointer_escape, pointer_join, pointer_unescape};
pub use forms::describe as form_description;
pub use names::short_operation_id;
pub use rewrite::{CATCH_ALL_VARIANTS, serde_args, serde_rename, type_name};
pub use tags::tag_features;

/// Options for [`generate`].
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Options {
    /// Also emit typed `httpmock` extensions (progenitor's
    /// `Generator::httpmock`) as a `mock` module next to `types`. The crate
    /// that compiles the code then needs `httpmock` 0.9 and `regex` 1.
    /// Path parameters are matched as the client sends them:
    /// percent-encoded, and literally rather than as a regular expression.
    pub httpmock: bool,
    /// Rust path of a per-client state type (progenitor's `inner_type`):
    /// the generated `Client` then carries a value of it, available to
    /// `ClientHooks` through `ClientInfo::inner`.
    pub inner_type: Option<String>,
    /// Rust path of the error type every `send()` returns instead of
    /// `progenitor_client::Error<E>` (one `E` per operation). The type must
    /// have an associated function
    /// `from_operation(error: progenitor_client::Error<E>, inner: &Inner, operation: &'static str, expected: &'static str) -> Self`
    /// for every error body type `E` of the spec, where `Inner` is the
    /// [`inner_type`](Self::inner_type) (or `()`) and `expected` the
    /// operation's documented success statuses (`"200"`, `"200 or 201"`,
    /// `"2XX"`; empty if none), for an answer with a success status it does
    /// not document.
    pub error_type: Option<String>,
    /// Doc comment of the generated `Client` (progenitor's default names the
    /// spec's `info.title` and `info.version`).
    pub client_doc: Option<String>,
    /// Rust path of the module that sends form bodies (`multipart/form-data`,
    /// `application/x-www-form-urlencoded`): it must provide `FilePart`,
    /// `Progress`, `Form` (`multipart()`, `urlencoded()`, `fields(&T)`,
    /// `files(name, Vec<FilePart>)`, `with_progress(Option<Progress>)`) and
    /// `async fn attach(&mut reqwest::Request, Form) -> Result<(), String>`,
    /// as `ionworks::upload` does. Without it, form operations are left out
    /// (and reported).
    pub form_support: Option<String>,
    /// Gate each operation, and the types only its tag's operations reach,
    /// behind the cargo feature `<prefix><tag in kebab case>` (see
    /// [`tag_features`]); `None` generates everything unconditionally.
    pub tag_features: Option<String>,
    /// Give every public item the spec leaves undocumented a doc line made
    /// from what the code knows (a field's wire name, a variant's wire
    /// value, a parameter's description), and drop progenitor's leftovers
    /// (an empty `types::defaults`, `send()`'s links to
    /// `Error::ErrorResponse`); see `codegen/src/describe.rs`.
    pub describe_all: bool,
    /// Rust path of the module that walks a list across its pages: with it,
    /// the builder of every operation paged by `limit` and `offset` (or
    /// `skip`) whose answer holds a `Vec` of items (`items`, `pipelines`,
    /// `simulations` or `optimizations`, with an optional `total`) gets
    /// `stream()` and `collect_all()`. The module must provide
    /// `DEFAULT_PAGE_SIZE: i64`, `Page::new(Vec<T>, impl Into<Option<i64>>)`
    /// and `Pages::new(start, page_size, fetch)` with an async
    /// `collect_all()`, as `ionworks::pages` does.
    pub pages: Option<String>,
    /// With [`tag_features`](Self::tag_features): the features the crate is
    /// being built with. Only the operations of their tags (and untagged
    /// ones) are generated, and only the schemas those reach (plus the
    /// schemas no operation reaches); names are chosen on the whole
    /// document first, so a method's name never depends on the features.
    /// `None` generates every tag, each behind its `cfg`.
    pub only_features: Option<std::collections::BTreeSet<String>>,
}

/// The prefix of the cargo feature of each tag in the `ionworks` crate
/// (`api-jobs`, `api-cell-specifications`, …).
pub const SDK_FEATURE_PREFIX: &str = "api-";

/// The doc comment of the `ionworks` crate's generated `Client`.
const SDK_CLIENT_DOC: &str = "The Ionworks API client: one method per operation, each returning a \
request builder that ends in `send()`.

Made by [`Client::from_env`] or [`Client::builder`]; cheap to clone (clones \
share one connection pool).";

impl Options {
    /// Generated code that calls the `ionworks` facade at the Rust path
    /// `facade` (`crate` inside the `ionworks` crate, `ionworks` from another
    /// crate): every `send()` returns `{facade}::ApiError`, forms go through
    /// `{facade}::upload`, and every public item is documented. What the
    /// facade provides for this is listed on [`error_type`](Self::error_type)
    /// and [`form_support`](Self::form_support).
    pub fn facade(facade: &str) -> Options {
        Options::default()
            .error_type(format!("{facade}::ApiError"))
            .form_support(format!("{facade}::upload"))
            .describe_all(true)
    }

    /// The settings of the `ionworks` crate's own client, as its `build.rs`
    /// uses them (it adds [`httpmock`](Self::httpmock) with the `mocks`
    /// feature): [`facade`](Self::facade)`("crate")`, the client's state
    /// `crate::ClientState`, a cargo feature per tag
    /// ([`SDK_FEATURE_PREFIX`]), the client's doc comment and a stream of
    /// every list ([`pages`](Self::pages)`("crate::pages")`).
    pub fn sdk() -> Options {
        Options::facade("crate")
            .inner_type("crate::ClientState")
            .tag_features(SDK_FEATURE_PREFIX)
            .client_doc(SDK_CLIENT_DOC)
            .pages("crate::pages")
    }

    /// Keep progenitor's `progenitor_client::Error<E>` (one `E` per
    /// operation) instead of the [`error_type`](Self::error_type): the API
    /// surface shows each operation's error body this way.
    pub fn with_operation_errors(mut self) -> Self {
        self.error_type = None;
        self
    }

    /// Enable or disable the `mock` module.
    pub fn httpmock(mut self, on: bool) -> Self {
        self.httpmock = on;
        self
    }

    /// Give the generated `Client` a per-client state of type `path` (e.g. `crate::Inner`).
    pub fn inner_type(mut self, path: impl Into<String>) -> Self {
        self.inner_type = Some(path.into());
        self
    }

    /// Make every `send()` return the error type at `path` (e.g. `crate::Error`).
    pub fn error_type(mut self, path: impl Into<String>) -> Self {
        self.error_type = Some(path.into());
        self
    }

    /// Replace the doc comment of the generated `Client`.
    pub fn client_doc(mut self, doc: impl Into<String>) -> Self {
        self.client_doc = Some(doc.into());
        self
    }

    /// One cargo feature per tag, named `prefix` + the tag (e.g. `api-jobs`).
    pub fn tag_features(mut self, prefix: impl Into<String>) -> Self {
        self.tag_features = Some(prefix.into());
        self
    }

    /// Document every public item (see [`describe_all`](Self::describe_all)).
    pub fn describe_all(mut self, on: bool) -> Self {
        self.describe_all = on;
        self
    }

    /// Give every list operation's builder `stream()` and `collect_all()`,
    /// paged by the module at `path` (e.g. `crate::pages`; see
    /// [`pages`](Self::pages)).
    pub fn pages(mut self, path: impl Into<String>) -> Self {
        self.pages = Some(path.into());
        self
    }

    /// Generate only what `features` compile (see
    /// [`only_features`](Self::only_features)); a build script passes the
    /// `CARGO_FEATURE_*` it was run with.
    pub fn only_features<I, S>(mut self, features: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.only_features = Some(features.into_iter().map(Into::into).collect());
        self
    }

    /// Generate form operations, sent through the module at `path` (e.g.
    /// `crate::upload`; see [`form_support`](Self::form_support)).
    pub fn form_support(mut self, path: impl Into<String>) -> Self {
        self.form_support = Some(path.into());
        self
    }
}

/// The result of [`generate`].
#[derive(Debug, Clone)]
pub struct Generated {
    /// Formatted Rust source: the client, `types` and `builder` modules.
    pub code: String,
    /// The OpenAPI 3.0.3 document that was handed to progenitor (for debugging).
    pub converted: Value,
    /// What was generated and what had to be left out.
    pub report: Report,
}

/// Generate the client for the OpenAPI 3.0/3.1 JSON document in `spec`.
///
/// Never panics: every failure, including a panic inside progenitor or typify,
/// comes back as a [`CodegenError`] naming a JSON pointer into `spec`.
pub fn generate(spec: &[u8], options: &Options) -> Result<Generated, CodegenError> {
    generate_by_stage(spec, options).map(|(generated, _)| generated)
}

/// [`generate`], with the time each stage of the pipeline took, in order:
/// `convert` (parse the JSON, down-convert, normalise, name), `progenitor`
/// (the typed `openapiv3` document and `Generator::generate_tokens`),
/// `parse` (progenitor's tokens as a `syn` tree), `rewrite` (every
/// post-processing of the tree but the next), `docs` (fencing the spec's
/// code blocks) and `print` (prettyplease). For the codegen benchmark.
#[doc(hidden)]
pub fn generate_by_stage(
    spec: &[u8],
    options: &Options,
) -> Result<(Generated, Stages), CodegenError> {
    let mut laps = Laps::new();
    let doc = parse_json(spec)?;
    let generated = on_large_stack(|| contained("", || generate_value(doc, options, &mut laps))?)?;
    Ok((generated, laps.stages))
}

/// The stages of [`generate_by_stage`], each with its time.
#[doc(hidden)]
pub type Stages = Vec<(&'static str, std::time::Duration)>;

/// The time of each stage of [`generate_by_stage`].
struct Laps {
    since: std::time::Instant,
    stages: Stages,
}

impl Laps {
    fn new() -> Self {
        Self {
            since: std::time::Instant::now(),
            stages: Vec::new(),
        }
    }

    /// The stage `name` ends now.
    fn lap(&mut self, name: &'static str) {
        let now = std::time::Instant::now();
        self.stages.push((name, now - self.since));
        self.since = now;
    }
}

/// The components reachable from requests and from responses of the
/// converted document `doc` ([`Generated::converted`]), by component name
/// (see [`type_name`] for the Rust name): what a change to a type can break
/// depends on whether callers build it, read it, or both.
pub fn reachable(
    doc: &Value,
) -> (
    std::collections::BTreeSet<String>,
    std::collections::BTreeSet<String>,
) {
    convert::reachable(doc)
}

/// The converted OpenAPI 3.0.3 document for `spec`: steps 1–3 of the
/// pipeline (parse, down-convert and normalise, name), without progenitor.
///
/// ```
/// let doc = br#"{"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {},
///   "components": {"schemas": {"N": {"anyOf": [{"type": "integer"}, {"type": "null"}]}}}}"#;
/// let (converted, _report) = ionworks_codegen::convert(doc).unwrap();
/// assert_eq!(converted["openapi"], "3.0.3");
/// assert_eq!(converted["components"]["schemas"]["N"]["nullable"], true);
/// ```
pub fn convert(spec: &[u8]) -> Result<(Value, Report), CodegenError> {
    let doc = parse_json(spec)?;
    // No generator thread: the conversion recurses once per level of the
    // document, and serde_json's parser already limits nesting to 128.
    contained("", || {
        let mut report = Report::default();
        let converted = convert_value(doc, false, &mut report)?;
        Ok((converted.doc, report))
    })?
}

/// The JSON document in `spec` (a UTF-8 byte-order mark is skipped, as
/// some editors and servers write one).
pub fn parse_json(spec: &[u8]) -> Result<Value, CodegenError> {
    let spec = spec.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(spec);
    serde_json::from_slice(spec).map_err(|e| {
        CodegenError::new(
            "",
            "JSON",
            format!(
                "not valid JSON (line {}, column {}): {e}",
                e.line(),
                e.column()
            ),
        )
    })
}

/// Steps 1–3 of the pipeline; `forms`: a support module sends form bodies
/// (see [`Options::form_support`]).
fn convert_value(
    mut doc: Value,
    forms: bool,
    report: &mut Report,
) -> Result<convert::Converted, CodegenError> {
    forms::prepare(&mut doc, report)?;
    let mut converted = convert::convert(doc, report)?;
    if !forms {
        forms::without_support(&mut converted.doc, report);
    }
    remove_skipped(&mut converted.doc);
    names::shorten(&mut converted.doc, report);
    Ok(converted)
}

fn generate_value(
    doc: Value,
    options: &Options,
    laps: &mut Laps,
) -> Result<Generated, CodegenError> {
    let mut report = Report::default();
    // Every option is checked before anything runs.
    let form_support = rust_path(options.form_support.as_deref(), "form_support")?;
    let error_type = rust_path(options.error_type.as_deref(), "error_type")?;
    rust_path(options.inner_type.as_deref(), "inner_type")?;
    let page_support = rust_path(options.pages.as_deref(), "pages")?;
    let mut converted = convert_value(doc, form_support.is_some(), &mut report)?;
    if let (Some(prefix), Some(enabled)) = (&options.tag_features, &options.only_features) {
        tags::keep_enabled(&mut converted.doc, prefix, enabled);
    }
    let form_ops = forms::form_ops(&converted.doc);
    let doc = &converted.doc;
    laps.lap("convert");

    let spec = structure::parse_openapi(doc)?;
    let tokens = run_progenitor(&spec, doc, options)?;
    laps.lap("progenitor");
    let file: syn::File = syn::parse2(tokens).map_err(|e| {
        CodegenError::new(
            "",
            "generated code",
            format!("progenitor produced unparsable code: {e}"),
        )
    })?;
    laps.lap("parse");
    let (mut file, types) = rewrite::rewrite(file, &converted, &mut report);
    if options.httpmock {
        rewrite::fix_mocks(&mut file);
    }
    if let Some(support) = &form_support {
        forms::rewrite(&mut file, &form_ops, support);
        if options.httpmock {
            forms::fix_mocks(&mut file, &form_ops);
        }
    }
    operations::rewrite_sends(&mut file, error_type.as_ref());
    operations::rewrite_client(
        &mut file,
        options.client_doc.as_deref(),
        options.inner_type.is_some(),
    );
    operations::deprecate(&mut file, doc);
    if let Some(prefix) = &options.tag_features {
        tags::gate(&mut file, doc, prefix);
    }
    if let Some(support) = &page_support {
        pages::rewrite(&mut file, support);
    }
    report.types = types;
    for (path, method, op) in operations(doc) {
        let id = op
            .get("operationId")
            .and_then(Value::as_str)
            .unwrap_or_default();
        report.operations.push((
            heck::ToSnakeCase::to_snake_case(id),
            method.to_uppercase(),
            path.trim_end_matches(forms::ALTERNATE_SUFFIX).to_string(),
        ));
    }
    laps.lap("rewrite");
    docs::fence_docs(&mut file);
    describe::drop_leftovers(&mut file);
    if options.describe_all {
        describe::describe_all(&mut file, error_type.as_ref());
    }
    laps.lap("docs");
    report.operations.sort();
    report.notes.sort();
    report.skipped.sort();
    let code = prettyplease::unparse(&file);
    laps.lap("print");
    Ok(Generated {
        code,
        converted: converted.doc,
        report,
    })
}

/// Operations the converter could not represent (recorded in the report).
fn remove_skipped(doc: &mut Value) {
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut() {
            if let Some(item) = item.as_object_mut() {
                item.retain(|_, op| op.get("x-ionworks-skip").is_none());
            }
        }
        paths.retain(|_, item| {
            item.as_object().is_some_and(|i| {
                i.keys()
                    .any(|k| !matches!(k.as_str(), "summary" | "description" | "servers"))
            })
        });
    }
}

/// An option that names a Rust path, parsed.
fn rust_path(path: Option<&str>, option: &str) -> Result<Option<syn::Path>, CodegenError> {
    path.map(|text| {
        syn::parse_str(text).map_err(|e| {
            CodegenError::new(
                "",
                "options",
                format!("{option} {text:?} is not a Rust path: {e}"),
            )
        })
    })
    .transpose()
}

fn settings(options: &Options) -> Result<progenitor::GenerationSettings, CodegenError> {
    let mut settings = progenitor::GenerationSettings::default();
    settings
        .with_interface(progenitor::InterfaceStyle::Builder)
        .with_tag(progenitor::TagStyle::Merged);
    if let Some(path) = rust_path(options.inner_type.as_deref(), "inner_type")? {
        settings.with_inner_type(quote::quote!(#path));
    }
    Ok(settings)
}

fn run_progenitor(
    spec: &openapiv3::OpenAPI,
    doc: &Value,
    options: &Options,
) -> Result<proc_macro2::TokenStream, CodegenError> {
    let settings = settings(options)?;
    let attempt = |spec: &openapiv3::OpenAPI| {
        contained("", || {
            let mut generator = progenitor::Generator::new(&settings);
            let mut tokens = generator.generate_tokens(spec).map_err(|e| e.to_string())?;
            if options.httpmock {
                let mock = generator
                    .httpmock(spec, "super::super")
                    .map_err(|e| e.to_string())?;
                tokens.extend(quote::quote! {
                    /// Typed `httpmock` helpers for every operation.
                    pub mod mock { #mock }
                });
            }
            Ok::<_, String>(tokens)
        })
        .map_err(|e| e.message)?
    };
    match attempt(spec) {
        Ok(tokens) => Ok(tokens),
        Err(message) => Err(locate(spec, doc, &message, attempt)),
    }
}

/// progenitor reports errors (and panics) without a location: find the
/// component, or else the operation, that fails, to name a JSON pointer.
///
/// Each attempt regenerates a part of the document: the components alone
/// first (progenitor generates every component schema whether operations
/// use it or not), bisected if they fail; otherwise the operations,
/// bisected, each attempt with only the components its operations reach.
/// That is a number of attempts logarithmic in the number of operations,
/// most of them on small parts of the document.
fn locate(
    spec: &openapiv3::OpenAPI,
    doc: &Value,
    message: &str,
    attempt: impl Fn(&openapiv3::OpenAPI) -> Result<proc_macro2::TokenStream, String>,
) -> CodegenError {
    let graph = convert::schema_graph(doc);
    let names: Vec<&String> = spec
        .components
        .as_ref()
        .map(|c| c.schemas.keys().collect())
        .unwrap_or_default();
    // The document with the operations `ops` and the components `schemas`
    // (with all they reference), or an error message.
    let part = |ops: &[(&str, &str)], schemas: BTreeSet<String>| {
        let mut part = spec.clone();
        part.paths.paths.clear();
        for &(path, method) in ops {
            let Some(item) = spec.paths.paths.get(path).and_then(|i| i.as_item()) else {
                continue;
            };
            let entry = part
                .paths
                .paths
                .entry(path.to_string())
                .or_insert_with(|| openapiv3::ReferenceOr::Item(only(item, None)));
            if let openapiv3::ReferenceOr::Item(kept) = entry {
                *kept = only(item, Some((kept, method)));
            }
        }
        let reached = convert::closure(&graph, schemas);
        if let Some(components) = part.components.as_mut() {
            components.schemas.retain(|name, _| reached.contains(name));
        }
        attempt(&part).err()
    };
    let all_schemas: BTreeSet<String> = names.iter().map(|n| n.to_string()).collect();
    if let Some(m) = part(&[], all_schemas) {
        let culprit = bisect(&names, |names| {
            part(&[], names.iter().map(|n| n.to_string()).collect()).is_some()
        });
        return match culprit {
            Some(name) => CodegenError::new(
                error::join("/components/schemas", name),
                "schema",
                part(&[], BTreeSet::from([name.to_string()])).unwrap_or(m),
            ),
            None => CodegenError::new("/components/schemas", "schemas", m),
        };
    }
    let ops: Vec<(&str, &str)> = operations(doc)
        .map(|(path, method, _)| (path, method))
        .collect();
    let reached_by = |ops: &[(&str, &str)]| {
        let mut roots = BTreeSet::new();
        for (path, method, op) in operations(doc) {
            if ops.contains(&(path, method)) {
                convert::refs_in(op, schema::Place::Document, &mut roots);
            }
        }
        roots
    };
    let fails = |ops: &[(&str, &str)]| part(ops, reached_by(ops));
    match bisect(&ops, |ops| fails(ops).is_some()) {
        Some((path, method)) => CodegenError::new(
            error::join(&error::join("/paths", path), method),
            "operation",
            fails(&[(path, method)]).unwrap_or_else(|| message.to_string()),
        ),
        None => CodegenError::new("", "document", message.to_string()),
    }
}

/// `item` with only the operations of `kept` (if any) and `method`.
fn only(
    item: &openapiv3::PathItem,
    add: Option<(&openapiv3::PathItem, &str)>,
) -> openapiv3::PathItem {
    let mut out = openapiv3::PathItem {
        get: None,
        put: None,
        post: None,
        delete: None,
        options: None,
        head: None,
        patch: None,
        trace: None,
        ..item.clone()
    };
    if let Some((kept, method)) = add {
        for m in HTTP_METHODS {
            let keep = m == method || operation_slot(kept, m).is_some();
            if keep {
                *operation_slot_mut(&mut out, m) = operation_slot(item, m).cloned();
            }
        }
    }
    out
}

fn operation_slot<'a>(
    item: &'a openapiv3::PathItem,
    method: &str,
) -> Option<&'a openapiv3::Operation> {
    match method {
        "get" => item.get.as_ref(),
        "put" => item.put.as_ref(),
        "post" => item.post.as_ref(),
        "delete" => item.delete.as_ref(),
        "options" => item.options.as_ref(),
        "head" => item.head.as_ref(),
        "patch" => item.patch.as_ref(),
        _ => item.trace.as_ref(),
    }
}

fn operation_slot_mut<'a>(
    item: &'a mut openapiv3::PathItem,
    method: &str,
) -> &'a mut Option<openapiv3::Operation> {
    match method {
        "get" => &mut item.get,
        "put" => &mut item.put,
        "post" => &mut item.post,
        "delete" => &mut item.delete,
        "options" => &mut item.options,
        "head" => &mut item.head,
        "patch" => &mut item.patch,
        _ => &mut item.trace,
    }
}

/// The element of `items` that makes `fails` true, given that it is true
/// of `items` as a whole and of every set that holds a failing one: the
/// first that fails on its own, found by halving; if only elements of both
/// halves fail together, the last element of the shortest failing prefix.
/// At most about 3·log₂(n) calls of `fails`. `None` if `items` turns out
/// not to fail after all.
fn bisect<T: Copy>(items: &[T], mut fails: impl FnMut(&[T]) -> bool) -> Option<T> {
    let mut set = items;
    while set.len() > 1 {
        let (first, second) = set.split_at(set.len() / 2);
        if fails(first) {
            set = first;
        } else if fails(second) {
            set = second;
        } else {
            // Only together: the shortest failing prefix is longer than `first`.
            let (mut lo, mut hi) = (first.len() + 1, set.len());
            while lo < hi {
                let mid = (lo + hi) / 2;
                if fails(&set[..mid]) {
                    hi = mid;
                } else {
                    lo = mid + 1;
                }
            }
            // Every set but `items` itself is known to fail here.
            let known = hi < set.len() || set.len() < items.len();
            return (known || fails(set)).then(|| set[hi - 1]);
        }
    }
    set.first()
        .copied()
        .filter(|_| set.len() < items.len() || fails(set))
}

#[cfg(test)]
mod tests {
    use super::bisect;
    use std::cell::Cell;

    /// Bisects `0..n` with `fails`, returning the culprit and the number of attempts.
    fn run(n: usize, fails: impl Fn(&[usize]) -> bool) -> (Option<usize>, usize) {
        let items: Vec<usize> = (0..n).collect();
        let calls = Cell::new(0);
        let found = bisect(&items, |set| {
            calls.set(calls.get() + 1);
            fails(set)
        });
        (found, calls.get())
    }

    #[test]
    fn bisect_finds_the_first_element_failing_alone_in_logarithmic_attempts() {
        for n in [1, 2, 3, 10, 1000] {
            for bad in [0, n / 3, n - 1] {
                let (found, calls) = run(n, |set| set.contains(&bad));
                assert_eq!(found, Some(bad), "n = {n}");
                let log = (n as f64).log2().ceil() as usize;
                assert!(calls <= 2 * log + 1, "n = {n}: {calls} attempts");
            }
        }
        // Two culprits: the first one.
        let (found, _) = run(1000, |set| set.contains(&200) || set.contains(&800));
        assert_eq!(found, Some(200));
    }

    #[test]
    fn bisect_names_the_element_completing_a_failing_combination() {
        let (found, calls) = run(1000, |set| set.contains(&100) && set.contains(&900));
        assert_eq!(found, Some(900));
        assert!(calls <= 3 * 10 + 1, "{calls} attempts");
    }

    #[test]
    fn bisect_finds_nothing_when_nothing_fails() {
        assert_eq!(run(100, |_| false).0, None);
        assert_eq!(run(1, |_| false).0, None);
    }
}
