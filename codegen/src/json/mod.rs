//! The JSON stage: everything done to the document before progenitor,
//! on `serde_json` values (so that every step knows the JSON pointer of
//! what it touches), then parsed into the typed `openapiv3` document
//! progenitor reads.

pub(crate) mod convert;
pub(crate) mod forms;
pub(crate) mod names;
pub(crate) mod structure;
pub(crate) mod tags;

use std::collections::BTreeSet;

use serde_json::Value;

use crate::error::{CodegenError, Report};

/// What the JSON stage hands on: the converted document (for progenitor),
/// and beside it what the syntax-tree stage needs to know of it.
pub(crate) struct Prepared {
    /// The converted, named document, with what the conversion found.
    pub converted: convert::Converted,
    /// The form operations, which progenitor gets as JSON-body operations.
    pub forms: forms::Forms,
}

/// The JSON stage, on the parsed document `doc`: forms separated, the
/// document down-converted and normalised, the operations it cannot
/// represent removed, operations named, and, with `only` (a tag feature
/// prefix and the enabled features), only the enabled tags kept.
/// `form_support`: a support module sends form bodies
/// ([`Options::form_support`](crate::Options::form_support)).
pub(crate) fn run(
    mut doc: Value,
    form_support: bool,
    only: Option<(&str, &BTreeSet<String>)>,
    report: &mut Report,
) -> Result<Prepared, CodegenError> {
    let forms = forms::separate(&mut doc, form_support, report)?;
    let mut converted = convert::convert(doc, report)?;
    let mut left_out = std::mem::take(&mut converted.skipped);
    left_out.extend(forms.report_left_out(report));
    remove_operations(&mut converted.doc, &left_out);
    names::shorten(&mut converted.doc, report);
    if let Some((prefix, enabled)) = only {
        tags::keep_enabled(&mut converted.doc, prefix, enabled);
    }
    Ok(Prepared { converted, forms })
}

/// Removes the operations at `places` (`(path, method)`, each reported
/// already), and the path items left without an operation.
fn remove_operations(doc: &mut Value, places: &[(String, String)]) {
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        if !places.is_empty() {
            for (path, item) in paths.iter_mut() {
                if let Some(item) = item.as_object_mut() {
                    item.retain(|method, _| !places.iter().any(|(p, m)| p == path && m == method));
                }
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
