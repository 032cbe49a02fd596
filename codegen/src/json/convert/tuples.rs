//! Tuples: JSON Schema 2020-12 `prefixItems` (and draft-04's `items: [...]`),
//! with `items` for the rest.
//!
//! OpenAPI 3.0 has no positional items: the tuple becomes one `items`
//! schema accepting each of its item schemas (`oneOf` of the distinct ones,
//! or `{}` when any is unconstrained), with `type: array`, noted as lossy.
//! It runs before the children are converted, so that `items: false` still
//! means "no further items". (typify 0.8 reads neither form of tuple in a
//! 3.0 document.)

use serde_json::{Map, Value, json};

use super::{has_member, member, take_member};
use crate::error::{Ptr, Report};

/// Lower a tuple in `o` to a list of its item types.
pub(super) fn lower(o: &mut Map<String, Value>, ptr: &Ptr<'_>, report: &mut Report) {
    // Tuples: 3.0 has no positional items. `prefixItems` (or draft-4
    // `items: [...]`) and any schema for the remaining items become one
    // `items` schema accepting each of them, before the children are
    // converted (so `items: false` still means "no further items").
    let legacy_tuple = member(o, "items").is_some_and(Value::is_array);
    if legacy_tuple || has_member(o, "prefixItems") {
        let mut parts: Vec<Value> = Vec::new();
        let prefix = if legacy_tuple {
            take_member(o, "items")
        } else {
            take_member(o, "prefixItems")
        };
        if let Some(Value::Array(prefix)) = prefix {
            parts.extend(prefix);
        }
        match take_member(o, "items") {
            Some(Value::Bool(false)) | None => {}
            Some(Value::Bool(true)) => parts.push(json!({})),
            Some(rest) => parts.push(rest),
        }
        let mut distinct: Vec<Value> = Vec::new();
        for p in parts {
            if !distinct.contains(&p) {
                distinct.push(p);
            }
        }
        let items = match distinct.len() {
            0 => json!({}),
            1 => distinct.remove(0),
            _ if distinct.contains(&json!({})) => json!({}),
            _ => json!({"oneOf": distinct}),
        };
        o.insert("items".into(), items);
        o.insert("type".into(), json!("array"));
        report.note(
            ptr,
            "tuple (`prefixItems`) generated as a list of its item types",
        );
    }
}
