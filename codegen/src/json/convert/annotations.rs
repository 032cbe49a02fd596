//! JSON Schema 2020-12 keywords with no OpenAPI 3.0 counterpart, and
//! annotations.
//!
//! * Keywords that only narrow validation ([`DROPPED_KEYWORDS`]: `$defs`,
//!   `patternProperties`, `if`/`then`/`else`, …) are dropped, which keeps
//!   every valid value valid.
//! * `examples` (a list) becomes 3.0's `example` (its first value).
//! * `contentMediaType`/`contentEncoding` become `format: binary` or
//!   `format: byte` strings.
//! * A `discriminator` without `propertyName` is dropped.
//! * Titles of schemas below the component roots are dropped: pydantic
//!   titles every property, and typify names inline types after their
//!   title and silently merges types of the same name
//!   (`add_type_with_name`).

use serde_json::{Map, Value, json};

use super::{member, take_member};
use crate::error::{Ptr, Report};

/// JSON Schema 2020-12 keywords with no OpenAPI 3.0 counterpart; they only
/// ever narrow validation, so dropping them keeps every valid value valid.
pub(super) const DROPPED_KEYWORDS: [&str; 19] = [
    "$schema",
    "$id",
    "$comment",
    "$anchor",
    "$dynamicRef",
    "$dynamicAnchor",
    "$defs",
    "definitions",
    "patternProperties",
    "unevaluatedProperties",
    "unevaluatedItems",
    "propertyNames",
    "dependentRequired",
    "dependentSchemas",
    "if",
    "then",
    "else",
    "contains",
    "contentSchema",
];

/// `examples` (a list) → `example`.
pub(super) fn examples(o: &mut Map<String, Value>) {
    // `examples` (array) → `example`.
    if let Some(examples) = take_member(o, "examples")
        && let Some(first) = examples.as_array().and_then(|e| e.first())
    {
        o.entry("example").or_insert_with(|| first.clone());
    }
}

/// `contentMediaType`/`contentEncoding` → binary or byte strings.
pub(super) fn content_encoding(o: &mut Map<String, Value>) {
    // contentMediaType / contentEncoding → binary / byte strings.
    let encoding = take_member(o, "contentEncoding");
    let media = take_member(o, "contentMediaType");
    if encoding.is_some() || media.is_some() {
        let base64 = encoding
            .as_ref()
            .and_then(Value::as_str)
            .is_some_and(|e| e.eq_ignore_ascii_case("base64"));
        o.insert("type".into(), json!("string"));
        o.insert(
            "format".into(),
            json!(if base64 { "byte" } else { "binary" }),
        );
    }
}

/// A `discriminator` without `propertyName` is dropped.
pub(super) fn discriminator(o: &mut Map<String, Value>, ptr: &Ptr<'_>, report: &mut Report) {
    if let Some(d) = member(o, "discriminator")
        && d.get("propertyName").and_then(Value::as_str).is_none()
    {
        take_member(o, "discriminator");
        report.note(ptr, "discriminator without propertyName dropped");
    }
}
