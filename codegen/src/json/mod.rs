//! The JSON stage: everything done to the document before progenitor,
//! on `serde_json` values (so that every step knows the JSON pointer of
//! what it touches), then parsed into the typed `openapiv3` document
//! progenitor reads.

pub(crate) mod convert;
pub(crate) mod forms;
pub(crate) mod names;
pub(crate) mod structure;
pub(crate) mod tags;

use serde_json::Value;

use crate::error::{CodegenError, Report};

/// Steps 1–3 of the pipeline; `forms`: a support module sends form bodies
/// (see [`Options::form_support`]).
pub(crate) fn convert_value(
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
