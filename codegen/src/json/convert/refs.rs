//! `$ref` with siblings.
//!
//! OpenAPI 3.1 (JSON Schema 2020-12) gives meaning to keywords beside a
//! `$ref`; OpenAPI 3.0 ignores them, and so do openapiv3 and typify. A
//! `$ref` beside `nullable` or `default` becomes `allOf: [{$ref}]` next to
//! them, which keeps their meaning; beside annotations only, the reference
//! stands alone, and the `description` of a property defined so is carried
//! to its Rust field by the rewrite ([`ref_descriptions`]).

use serde_json::{Map, Value, json};

use super::{component_schemas, has_member, take_member};

/// A `$ref` with siblings, in 3.0's terms.
pub(super) fn siblings(o: &mut Map<String, Value>) {
    // `$ref` with siblings: 3.0 ignores siblings of `$ref`.
    if has_member(o, "$ref") && o.len() > 1 {
        let keep_meaning = has_member(o, "nullable") || has_member(o, "default");
        let reference = take_member(o, "$ref").expect("present");
        if keep_meaning {
            o.insert("allOf".into(), json!([{"$ref": reference}]));
        } else {
            // Only annotations (description, title, examples…): the reference alone carries the type.
            o.clear();
            o.insert("$ref".into(), reference);
        }
    }
}

/// The descriptions written beside a `$ref` on a component's property.
pub(super) fn ref_descriptions(doc: &Value) -> Vec<(String, String, String)> {
    let Some(schemas) = component_schemas(doc) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (component, schema) in schemas {
        let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
            continue;
        };
        for (property, p) in properties {
            if let (Some(_), Some(Value::String(description))) =
                (p.get("$ref"), p.get("description"))
            {
                out.push((component.clone(), property.clone(), description.clone()));
            }
        }
    }
    out
}
