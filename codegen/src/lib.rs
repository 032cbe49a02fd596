//! Code generation for the `ionworks` SDK.
//!
//! One entry point, [`generate`], turns an OpenAPI 3.0 or 3.1 document into the
//! Rust source of a typed async client:
//!
//! 1. **parse** the JSON;
//! 2. the **JSON stage** (`codegen/src/json/`, on `serde_json` values, so
//!    that every step knows the JSON pointer of what it touches): form
//!    bodies separated from the document (progenitor sends none of them),
//!    OpenAPI 3.1 / JSON Schema 2020-12 **down-converted** to OpenAPI 3.0.3
//!    (nullable unions, `type` arrays, `const`, exclusive bounds, …) and the
//!    shapes that make progenitor or typify panic normalised (the module
//!    `convert` indexes its rules, one module per construct: see
//!    `codegen/src/json/convert/mod.rs`), the operations it cannot represent
//!    removed (and reported), operations **named** without FastAPI's
//!    `_{path}_{method}` suffix and, with [`Options::only_features`], only
//!    the enabled tags kept;
//! 3. **generate** with progenitor (builder interface), contained so that no
//!    panic escapes and a failure is located in the document
//!    (`codegen/src/locate.rs`);
//! 4. the **syntax-tree stage** (`codegen/src/syntax/`, on progenitor's
//!    output parsed by `syn`): open enums, lenient date-times, request-side
//!    bound checks, credentials redacted from `Debug`, form bodies, one
//!    error type, feature gates per tag, with
//!    [`Options::request_builders_only`] no builders for what only answers
//!    use, with [`Options::pages`] a stream of every item of each list, code
//!    blocks in the spec's prose fenced as `text` (so rustdoc never compiles
//!    them); then pretty-print with prettyplease.
//!
//! What the JSON stage finds that the syntax-tree stage needs (the form of
//! each form operation, the documented bounds of request fields) is handed
//! on as Rust values beside the converted document, never as marks in it.
//! Every option is checked before anything runs.
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
use json::{convert, structure};
use locate::locate;
use options::Checked;

pub use document::{HTTP_METHODS, excerpt, operations};
pub use error::{CodegenError, Note, Report, pointer_escape, pointer_join, pointer_unescape};
pub use json::forms::describe as form_description;
pub use json::names::short_operation_id;
pub use json::tags::tag_features;
pub use options::{Options, SDK_FEATURE_PREFIX};
pub use syntax::attrs::{serde_args, serde_rename};
pub use syntax::types::{CATCH_ALL_VARIANTS, type_name};

/// The result of [`generate`].
#[derive(Debug, Clone)]
pub struct Generated {
    /// Formatted Rust source: the client, `types` and `builder` modules.
    pub code: String,
    /// The OpenAPI 3.0.3 document that was handed to progenitor (for
    /// debugging), with each form operation described under
    /// `x-ionworks-form` (read by [`form_description`]): progenitor was
    /// handed the form's text fields as a JSON body, and the file fields
    /// beside them are the codegen's to send.
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

/// The converted OpenAPI 3.0.3 document for `spec`: steps 1 and 2 of the
/// pipeline (parse; down-convert, normalise and name), without progenitor
/// and without form support.
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
        let prepared = json::run(doc, false, None, &mut report)?;
        Ok((prepared.converted.doc, report))
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
    // Every option is checked before anything runs.
    let options = options.check()?;
    let mut report = Report::default();
    let only = match (&options.tag_features, &options.only_features) {
        (Some(prefix), Some(enabled)) => Some((prefix.as_str(), enabled)),
        _ => None,
    };
    let prepared = json::run(doc, options.form_support.is_some(), only, &mut report)?;
    let doc = &prepared.converted.doc;
    laps.lap("convert");

    let spec = structure::parse_openapi(doc)?;
    let tokens = run_progenitor(&spec, doc, &options)?;
    laps.lap("progenitor");
    let file: syn::File = syn::parse2(tokens).map_err(|e| {
        CodegenError::new(
            "",
            "generated code",
            format!("progenitor produced unparsable code: {e}"),
        )
    })?;
    laps.lap("parse");
    let mut file = syntax::rewrite(file, &prepared, &options, &mut report);
    for (path, method, op) in operations(doc) {
        let id = op
            .get("operationId")
            .and_then(Value::as_str)
            .unwrap_or_default();
        report.operations.push((
            heck::ToSnakeCase::to_snake_case(id),
            method.to_uppercase(),
            prepared.forms.api_path(path, method).to_string(),
        ));
    }
    laps.lap("rewrite");
    syntax::document(&mut file, &options);
    laps.lap("docs");
    report.operations.sort();
    report.notes.sort();
    report.skipped.sort();
    let code = prettyplease::unparse(&file);
    laps.lap("print");
    let json::Prepared { converted, forms } = prepared;
    let mut converted = converted.doc;
    forms.annotate(&mut converted);
    Ok(Generated {
        code,
        converted,
        report,
    })
}

/// progenitor's settings: the builder interface, one `Client` for every
/// tag, and the client's state type.
fn settings(options: &Checked<'_>) -> progenitor::GenerationSettings {
    let mut settings = progenitor::GenerationSettings::default();
    settings
        .with_interface(progenitor::InterfaceStyle::Builder)
        .with_tag(progenitor::TagStyle::Merged);
    if let Some(path) = &options.inner_type {
        settings.with_inner_type(quote::quote!(#path));
    }
    settings
}

/// progenitor's code for `spec` (the typed `doc`), contained; a failure is
/// located in `doc` (see [`locate`]).
fn run_progenitor(
    spec: &openapiv3::OpenAPI,
    doc: &Value,
    options: &Checked<'_>,
) -> Result<proc_macro2::TokenStream, CodegenError> {
    let settings = settings(options);
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
