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
//!    `codegen/src/json/convert/mod.rs`);
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
mod document;
mod error;
mod json;
mod locate;
mod options;
mod schema;
mod syntax;

use serde_json::Value;

use contain::{contained, on_large_stack};
use json::convert_value;
use json::{convert, forms, structure, tags};
use locate::locate;
use options::rust_path;
use syntax::{client, describe, docs, gates, mocks, pages, types};

pub use document::{HTTP_METHODS, excerpt, operations};
pub use error::{CodegenError, Note, Report, pointer_escape, pointer_join, pointer_unescape};
pub use json::forms::describe as form_description;
pub use json::names::short_operation_id;
pub use json::tags::tag_features;
pub use options::{Options, SDK_FEATURE_PREFIX};
pub use syntax::types::{CATCH_ALL_VARIANTS, serde_args, serde_rename, type_name};

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
    let (mut file, types) = types::rewrite(file, &converted, &mut report);
    if options.httpmock {
        mocks::fix_mocks(&mut file);
    }
    if let Some(support) = &form_support {
        syntax::forms::rewrite(&mut file, &form_ops, support);
        if options.httpmock {
            syntax::forms::fix_mocks(&mut file, &form_ops);
        }
    }
    client::rewrite_sends(&mut file, error_type.as_ref());
    client::rewrite_client(
        &mut file,
        options.client_doc.as_deref(),
        options.inner_type.is_some(),
    );
    client::deprecate(&mut file, doc);
    if let Some(prefix) = &options.tag_features {
        gates::gate(&mut file, doc, prefix);
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
