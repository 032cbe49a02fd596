//! The maintainer loop of the `ionworks` SDK: the reviewed API surface of a
//! generated client, the change report between two versions of the spec,
//! the canonical form of the vendored `openapi.json`, and the one version of
//! the two published crates ([`bump`]). Only `cargo xtask`
//! compiles this; the crate's `build.rs` needs the generator alone.
//!
//! Each command of `cargo xtask` is one module, named as the command
//! (`update-spec` is [`update_spec`]), with its usage text and its `run`,
//! which reads the command's flags; `main.rs` dispatches to them.

pub mod build_cost;
pub mod bump;
mod canonical;
pub mod cli;
pub mod codegen;
mod diff;
pub mod generate_corpus;
pub mod generated_cost;
pub mod surface;
pub mod update_spec;

use ionworks_codegen::{CodegenError, Options};

pub use canonical::canonical_json;
pub use diff::{Change, ChangeReport, Impact};
pub use surface::{FieldSig, OperationSig, ParamSig, Role, SkippedOp, Surface, TypeKind, TypeSig};

/// The generation the maintainer tools review: the crate's own
/// ([`Options::sdk`]), with progenitor's per-operation error types kept
/// visible for the surface.
pub fn options() -> Options {
    Options::sdk().with_operation_errors()
}

/// Classify every difference between two versions of a spec for a Rust
/// caller. `old` may be anything (an unreadable old spec counts as empty);
/// `new` must generate.
///
/// ```
/// let old = br#"{"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {}}"#;
/// let new = br#"{"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {"/ping": {"get": {
///   "operationId": "ping_ping_get", "responses": {"204": {"description": "ok"}}}}}}"#;
/// let report = xtask::compare_specs(old, new).unwrap();
/// assert_eq!(report.verdict(), Some(xtask::Impact::Additive));
/// assert_eq!(report.changes[0].subject, "operation ping");
/// ```
pub fn compare_specs(old: &[u8], new: &[u8]) -> Result<ChangeReport, CodegenError> {
    let new_doc = ionworks_codegen::parse_json(new)?;
    let generated = ionworks_codegen::generate(new, &options())?;
    let new_surface =
        surface::of(new, &generated).map_err(|e| CodegenError::new("", "generated code", e))?;
    let old_doc = ionworks_codegen::parse_json(old).unwrap_or(serde_json::Value::Null);
    let old_surface = ionworks_codegen::generate(old, &options())
        .ok()
        .and_then(|g| surface::of(old, &g).ok())
        .unwrap_or_default();
    Ok(diff::compare(
        &old_surface,
        &new_surface,
        &old_doc,
        &new_doc,
    ))
}
