//! Nullability and type arrays.
//!
//! JSON Schema 2020-12 spells "or null" as `type: [T, "null"]`, as an
//! `anyOf`/`oneOf` with a `{type: "null"}` branch (FastAPI's `Optional`), or
//! as `{type: "null"}` alone. OpenAPI 3.0 has `nullable: true` beside one
//! type: a single remaining branch is folded into its parent (a `$ref`
//! becomes `allOf: [{$ref}]`, since openapiv3 drops `nullable` beside a bare
//! `$ref`), several become an untagged `oneOf` (typify makes a struct of
//! flattened optional fields out of a multi-branch `anyOf`, and panics on it
//! as a path parameter), several types become a `oneOf` of one branch per
//! type, and a lone null type becomes `enum: [null]` (typify panics
//! "invalid type: null" otherwise).

use serde_json::{Map, Value, json};

use super::{member, take_member};

/// FastAPI's `{"type": "null"}` (or its already-converted form).
pub(super) fn is_null_schema(v: &Value) -> bool {
    let Some(o) = v.as_object() else {
        return false;
    };
    let structural = o
        .keys()
        .filter(|k| !matches!(k.as_str(), "title" | "description" | "nullable"))
        .count();
    match (member(o, "type"), member(o, "enum")) {
        (Some(Value::String(t)), None) => t == "null" && structural == 1,
        (None, Some(Value::Array(e))) => e.len() == 1 && e[0].is_null() && structural == 1,
        _ => false,
    }
}

/// `type: [T, "null"]` and multi-type arrays.
pub(super) fn type_arrays(o: &mut Map<String, Value>) {
    // `type: [T, "null"]` and multi-type arrays.
    if member(o, "type").is_some_and(Value::is_array)
        && let Some(Value::Array(types)) = take_member(o, "type")
    {
        let nullable = types.iter().any(|t| t == "null");
        let rest: Vec<Value> = types.into_iter().filter(|t| t != "null").collect();
        match rest.len() {
            0 => {
                o.insert("enum".into(), json!([null]));
            }
            1 => {
                o.insert("type".into(), rest[0].clone());
            }
            _ => {
                let branches: Vec<Value> = rest.iter().map(|t| json!({"type": t})).collect();
                o.insert("oneOf".into(), json!(branches));
            }
        }
        if nullable && !rest.is_empty() {
            o.insert("nullable".into(), json!(true));
        }
    }
}

/// Nullable unions: `anyOf`/`oneOf` with a null branch.
pub(super) fn unions(o: &mut Map<String, Value>) {
    // Nullable unions: `anyOf`/`oneOf` with a null branch.
    for key in ["anyOf", "oneOf"] {
        if !member(o, key).is_some_and(Value::is_array) {
            continue;
        }
        let Some(Value::Array(branches)) = take_member(o, key) else {
            continue;
        };
        let nullable = branches.iter().any(is_null_schema);
        let rest: Vec<Value> = branches
            .into_iter()
            .filter(|b| !is_null_schema(b))
            .collect();
        match rest.len() {
            0 => {
                o.insert("enum".into(), json!([null]));
            }
            1 => {
                let branch = rest.into_iter().next().expect("one");
                merge_single_branch(o, branch);
            }
            // typify makes a struct of flattened optional fields out of an
            // `anyOf` with several branches (and panics on it as a path
            // parameter); an untagged `oneOf` is the faithful reading.
            _ => {
                o.insert("oneOf".into(), Value::Array(rest));
            }
        }
        if nullable && !member(o, "enum").is_some_and(|e| e == &json!([null])) {
            o.insert("nullable".into(), json!(true));
        }
    }
}

/// `{type: "null"}` → `{enum: [null]}`.
pub(super) fn null_type(o: &mut Map<String, Value>) {
    // `{type: "null"}` → `{enum: [null]}` (typify: `invalid type: null` panic otherwise).
    if member(o, "type") == Some(&json!("null")) {
        take_member(o, "type");
        o.insert("enum".into(), json!([null]));
    }
}

/// Fold the single non-null branch of a nullable union into its parent.
pub(super) fn merge_single_branch(parent: &mut Map<String, Value>, branch: Value) {
    let Value::Object(mut b) = branch else {
        return;
    };
    if let Some(reference) = b.remove("$ref") {
        // `{$ref, nullable}` silently loses nullability in openapiv3; `allOf` keeps it.
        parent.insert("allOf".into(), json!([{"$ref": reference}]));
        return;
    }
    for (k, v) in b {
        match parent.get(&k) {
            Some(_) if matches!(k.as_str(), "title" | "description" | "default" | "example") => {}
            _ => {
                parent.insert(k, v);
            }
        }
    }
}
