//! Schemas that typify 0.8 cannot take, made into ones it can: valid ones,
//! and contradictions (a `default` or `enum` value its schema rejects) that
//! mean nothing to a Rust type.
//!
//! This pass runs last, on the converted OpenAPI 3.0 document, over every
//! schema progenitor hands to typify (component schemas and the schemas of
//! parameters, bodies and responses). Each rule names the typify code that
//! would panic, or fail without a location, on the shape it rewrites; each
//! rewrite is noted in the report.
//!
//! * An empty `allOf` asserts nothing: it is dropped (`typify-impl`
//!   `merge.rs` `try_merge_all` panics "we should not be trying to merge an
//!   empty array of schemas").
//! * `not` is only understood as "not these values" (`not: {enum: [...]}`,
//!   with or without a single `type`), "nothing" (`not: {}`) or a boolean;
//!   any other `not` is dropped, which makes the type more permissive
//!   (`convert.rs` `convert_not` has `todo!("unhandled not schema")` and
//!   panics on enumerated `null`s, arrays, objects or several JSON types).
//! * A schema without `type` whose validation keywords are not those of a
//!   single JSON type that typify infers (string, object or array alone),
//!   or that has them beside `enum`, is taken for what it means to a Rust
//!   type: its keywords for other types are dropped (`convert.rs`
//!   `convert_schema_object` ends in `todo!("invalid (or unexpected)
//!   schema")`). Without a `type`, such keywords only constrain values of
//!   their own type, so the values the schema accepts are a superset.
//! * A `format` beside subschemas without a `type`, or on a boolean,
//!   object or array, is dropped (typify's `convert_schema_object` matches
//!   those only without a `format`, and ends in the same `todo!`).
//! * `enum` values not of the `type` beside them are dropped
//!   (`convert.rs` `convert_string`: "unexpected value type").
//! * A `default` its schema does not accept is dropped (`defaults.rs`
//!   `default_fn` panics "The default value could not be rendered for this
//!   type"; for a union, an `unwrap` of `None`). The converter's
//!   `validate::check_default` already drops one contradicting `type`; this
//!   looks through references, items and subschemas too.

use serde_json::{Map, Value};

use super::{member, take_member};
use crate::error::{Ptr, Report};
use crate::schema;

/// Keywords that constrain one JSON type only, by the type whose
/// validation typify groups them in (progenitor's `to_schema`).
const STRING_KEYWORDS: [&str; 3] = ["pattern", "minLength", "maxLength"];
const NUMBER_KEYWORDS: [&str; 5] = [
    "multipleOf",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
];
const OBJECT_KEYWORDS: [&str; 5] = [
    "properties",
    "required",
    "additionalProperties",
    "minProperties",
    "maxProperties",
];
const ARRAY_KEYWORDS: [&str; 4] = ["items", "minItems", "maxItems", "uniqueItems"];

/// Keywords of a schema that typify keeps as metadata only.
const ANNOTATIONS: [&str; 8] = [
    "title",
    "description",
    "default",
    "example",
    "readOnly",
    "writeOnly",
    "deprecated",
    "externalDocs",
];

/// Make every schema of the converted document `doc` one typify can take.
pub(super) fn accommodate(doc: &mut Value, report: &mut Report) {
    document(doc, &super::ROOT, report);
    let mut unfit = Vec::new();
    each_schema(doc, &super::ROOT, false, &mut |s, ptr| {
        if let Some(default) = s.get("default")
            && !fits(doc, s, default, 0)
        {
            unfit.push(ptr.to_string());
        }
    });
    for ptr in unfit {
        if let Some(Value::Object(o)) = doc.pointer_mut(&ptr) {
            o.remove("default");
            report.note(
                ptr,
                "default value that its schema does not accept dropped: the generator cannot \
                 render it",
            );
        }
    }
}

/// Calls `f` on every schema below `v` (a schema if `in_schema`, else the
/// document structure), as [`document`] finds them.
fn each_schema(v: &Value, ptr: &Ptr<'_>, in_schema: bool, f: &mut impl FnMut(&Value, &Ptr<'_>)) {
    if in_schema {
        f(v, ptr);
        let _ = schema::each_subschema(v, |step, child| {
            step.under(ptr, |p| each_schema(child, p, true, f));
            Ok::<_, ()>(())
        });
        return;
    }
    match v {
        Value::Object(o) => {
            for (k, child) in o {
                match k.as_str() {
                    "schema" => each_schema(child, &ptr.key(k), true, f),
                    "schemas" => {
                        if let Value::Object(map) = child {
                            let at = ptr.key(k);
                            for (name, s) in map {
                                each_schema(s, &at.key(name), true, f);
                            }
                        }
                    }
                    "example" | "examples" | "value" => {}
                    k if k.starts_with("x-") => {}
                    _ => each_schema(child, &ptr.key(k), false, f),
                }
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                each_schema(child, &ptr.index(i), false, f);
            }
        }
        _ => {}
    }
}

/// Whether `value` is one the schema `s` accepts, as far as typify renders
/// defaults (`typify-impl` `defaults.rs`: "The default value could not be
/// rendered for this type", and an `unwrap` of `None` for a union none of
/// whose variants takes it; otherwise its own error, "value does not
/// conform to the given schema", without a location). Lenient where typify
/// is: an object's members without a schema are not checked, and a
/// reference nested too deep is taken to fit.
fn fits(doc: &Value, s: &Value, value: &Value, depth: usize) -> bool {
    const DEPTH: usize = 32;
    let Value::Object(o) = s else {
        return s != &Value::Bool(false);
    };
    if depth > DEPTH {
        return true;
    }
    if let Some(r) = member(o, "$ref").and_then(Value::as_str) {
        return match r.strip_prefix('#').and_then(|t| doc.pointer(t)) {
            Some(target) => fits(doc, target, value, depth + 1),
            None => true,
        };
    }
    if value.is_null() && member(o, "nullable") == Some(&Value::Bool(true)) {
        return true;
    }
    if let Some(values) = member(o, "enum").and_then(Value::as_array)
        && !values.contains(value)
    {
        return false;
    }
    let list = |key: &str| member(o, key).and_then(Value::as_array);
    let fits_type = match member(o, "type").and_then(Value::as_str) {
        Some("string") => value.is_string(),
        Some("integer") => value.is_i64() || value.is_u64(),
        Some("number") => value.is_number(),
        Some("boolean") => value.is_boolean(),
        Some("object") => value.is_object(),
        Some("array") => match (value, member(o, "items")) {
            (Value::Array(elements), items) => {
                items.is_none_or(|items| elements.iter().all(|e| fits(doc, items, e, depth + 1)))
                    // A set (`uniqueItems`) cannot hold a value twice.
                    && (member(o, "uniqueItems") != Some(&Value::Bool(true))
                        || elements
                            .iter()
                            .enumerate()
                            .all(|(i, e)| !elements[i + 1..].contains(e)))
            }
            _ => false,
        },
        _ => true,
    };
    // An object's required properties are present, and the properties it
    // has fit their schemas (typify's `validate_default_struct_props`).
    let fits_members = match value {
        Value::Object(members) => {
            let properties = member(o, "properties").and_then(Value::as_object);
            list("required").is_none_or(|r| {
                r.iter()
                    .all(|name| name.as_str().is_none_or(|n| members.contains_key(n)))
            }) && properties.is_none_or(|p| {
                members.iter().all(|(name, v)| {
                    p.get(name)
                        .is_none_or(|schema| fits(doc, schema, v, depth + 1))
                })
            })
        }
        _ => true,
    };
    // `not`: what typify understands of it ([`is_understood_not`]) —
    // everything, or the values it lists.
    let excluded = member(o, "not").is_some_and(|n| {
        rules_out_everything(n)
            || member_of(n, "enum")
                .and_then(Value::as_array)
                .is_some_and(|e| e.contains(value))
    });
    !excluded
        && fits_type
        && fits_members
        && list("allOf").is_none_or(|b| b.iter().all(|b| fits(doc, b, value, depth + 1)))
        && list("anyOf")
            .is_none_or(|b| b.is_empty() || b.iter().any(|b| fits(doc, b, value, depth + 1)))
        && list("oneOf")
            .is_none_or(|b| b.is_empty() || b.iter().any(|b| fits(doc, b, value, depth + 1)))
}

/// The schemas in the document structure `v`, found as `$ref` checking
/// finds them ([`schema::each_ref`]).
fn document(v: &mut Value, ptr: &Ptr<'_>, report: &mut Report) {
    match v {
        Value::Object(o) => {
            for (k, child) in o.iter_mut() {
                match k.as_str() {
                    "schema" => schema_tree(child, &ptr.key(k), report),
                    "schemas" => {
                        if let Value::Object(map) = child {
                            let at = ptr.key(k);
                            for (name, s) in map.iter_mut() {
                                schema_tree(s, &at.key(name), report);
                            }
                        }
                    }
                    "example" | "examples" | "value" => {}
                    k if k.starts_with("x-") => {}
                    _ => document(child, &ptr.key(k), report),
                }
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter_mut().enumerate() {
                document(child, &ptr.index(i), report);
            }
        }
        _ => {}
    }
}

fn schema_tree(v: &mut Value, ptr: &Ptr<'_>, report: &mut Report) {
    if let Value::Object(o) = v {
        one_schema(o, ptr, report);
    }
    schema::each_subschema_mut(v, |step, child| {
        step.under(ptr, |p| schema_tree(child, p, report))
    });
}

fn one_schema(o: &mut Map<String, Value>, ptr: &Ptr<'_>, report: &mut Report) {
    if member(o, "allOf")
        .and_then(Value::as_array)
        .is_some_and(Vec::is_empty)
    {
        take_member(o, "allOf");
        report.note(ptr, "empty `allOf` dropped: it asserts nothing");
    }
    if let Some(not) = member(o, "not")
        && !is_understood_not(not)
    {
        take_member(o, "not");
        report.note(
            ptr,
            "`not` dropped: the generator only understands `not` over enumerated values",
        );
    }
    // `not: {}` (or `true`) rules out every value, those of an `enum`
    // beside it too: typify checks them against the resulting type and
    // fails without a location ("value does not conform to the given
    // schema").
    if member(o, "not").is_some_and(rules_out_everything) && take_member(o, "enum").is_some() {
        report.note(
            ptr,
            "`enum` dropped: the `not` beside it rules out every value",
        );
    }
    untyped_validation(o, ptr, report);
    enum_of_type(o, ptr, report);
    if matches!(
        member(o, "type").and_then(Value::as_str),
        Some("boolean" | "object" | "array")
    ) && take_member(o, "format").is_some()
    {
        report.note(
            ptr,
            "`format` dropped: it means nothing to booleans, objects or arrays, and the \
             generator refuses it there",
        );
    }
}

/// Whether `v` is a value of the JSON type `t`; `None` for an unknown type.
fn of_type(t: &str, v: &Value) -> Option<bool> {
    match t {
        "string" => Some(v.is_string()),
        "integer" => Some(v.is_i64() || v.is_u64()),
        "number" => Some(v.is_number()),
        "boolean" => Some(v.is_boolean()),
        "object" => Some(v.is_object()),
        "array" => Some(v.is_array()),
        _ => None,
    }
}

/// An `enum` keeps its values of the `type` beside it (and `null` if the
/// schema is `nullable`): typify's
/// `convert_string` returns its own error ("unexpected value type", without
/// a location) on a value of another type, and other types make a type no
/// value fits. Without any such value, the `enum` goes too.
fn enum_of_type(o: &mut Map<String, Value>, ptr: &Ptr<'_>, report: &mut Report) {
    let Some(t) = member(o, "type").and_then(Value::as_str).map(str::to_owned) else {
        return;
    };
    let nullable = member(o, "nullable") == Some(&Value::Bool(true));
    let Some(Value::Array(values)) = super::member_mut(o, "enum") else {
        return;
    };
    let before = values.len();
    values.retain(|v| (v.is_null() && nullable) || of_type(&t, v) != Some(false));
    if values.len() == before {
        return;
    }
    if values.iter().all(Value::is_null) {
        take_member(o, "enum");
        report.note(ptr, format!("`enum` without a value of type `{t}` dropped"));
    } else {
        report.note(ptr, format!("`enum` values not of type `{t}` dropped"));
    }
}

/// Whether `not` (the value of a `not` keyword) rules out every value: it
/// is `true`, or a schema of annotations only.
fn rules_out_everything(not: &Value) -> bool {
    match not {
        Value::Bool(b) => *b,
        Value::Object(n) => n
            .keys()
            .all(|k| ANNOTATIONS.contains(&k.as_str()) || k.starts_with("x-")),
        _ => false,
    }
}

/// The member `key` of `v` if it is an object.
fn member_of<'v>(v: &'v Value, key: &str) -> Option<&'v Value> {
    v.as_object().and_then(|o| member(o, key))
}

/// Whether typify's `convert_not` takes `not` (see the module documentation).
fn is_understood_not(not: &Value) -> bool {
    let Value::Object(n) = not else {
        return not.is_boolean();
    };
    if n.keys()
        .all(|k| ANNOTATIONS.contains(&k.as_str()) || k.starts_with("x-"))
    {
        return true;
    }
    let Some(values) = member(n, "enum").and_then(Value::as_array) else {
        return false;
    };
    let only = |keys: &[&str]| {
        n.keys().all(|k| {
            keys.contains(&k.as_str()) || ANNOTATIONS.contains(&k.as_str()) || k.starts_with("x-")
        })
    };
    if let Some(t) = member(n, "type").and_then(Value::as_str) {
        // `{type, enum}`: a value of another type makes typify emit code
        // that does not parse.
        return only(&["type", "enum"])
            && matches!(t, "string" | "integer" | "number" | "boolean")
            && !values.is_empty()
            && values.iter().all(|v| of_type(t, v) == Some(true));
    }
    if !only(&["enum"]) || values.is_empty() {
        return false;
    }
    let kind = |v: &Value| match v {
        Value::Bool(_) => Some(0),
        Value::Number(_) => Some(1),
        Value::String(_) => Some(2),
        _ => None,
    };
    let first = kind(&values[0]);
    first.is_some() && values.iter().all(|v| kind(v) == first)
}

/// A schema without `type` (nor `$ref`, subschemas or `nullable`) is
/// inferred by typify from its validation keywords: those of strings (with
/// a `format`), of objects, or of arrays, alone; or it is an `enum` alone.
/// Anything else panics (see the module documentation): keep what typify
/// infers from, drop the rest.
fn untyped_validation(o: &mut Map<String, Value>, ptr: &Ptr<'_>, report: &mut Report) {
    if ["type", "$ref"].iter().any(|k| member(o, k).is_some())
        || member(o, "nullable") == Some(&Value::Bool(true))
    {
        return;
    }
    if ["allOf", "anyOf", "oneOf", "not"]
        .iter()
        .any(|k| member(o, k).is_some())
    {
        // Subschemas: typify merges the other keywords into them, and a
        // `format` without a type stays a schema it cannot take.
        if take_member(o, "format").is_some() {
            report.note(
                ptr,
                "`format` beside subschemas and without `type` dropped: the generator cannot \
                 take it",
            );
        }
        return;
    }
    // progenitor passes on an empty `properties` or `required` as absent.
    let has = |keys: &[&str]| {
        keys.iter().any(|k| match member(o, k) {
            Some(Value::Object(m)) if *k == "properties" => !m.is_empty(),
            Some(Value::Array(a)) if *k == "required" => !a.is_empty(),
            other => other.is_some(),
        })
    };
    let string = has(&STRING_KEYWORDS);
    let number = has(&NUMBER_KEYWORDS);
    let object = has(&OBJECT_KEYWORDS);
    let array = has(&ARRAY_KEYWORDS);
    let format = has(&["format"]);
    let enumerated = member(o, "enum")
        .and_then(Value::as_array)
        .is_some_and(|e| !e.is_empty());
    let groups = [string, number, object, array]
        .iter()
        .filter(|&&g| g)
        .count();
    let understood = match (enumerated, groups) {
        (_, 0) if !format => true,
        (false, 1) => string || (!number && !format),
        _ => false,
    };
    if understood {
        return;
    }
    // Keep the one group typify infers a type from, if there is one
    // without `enum`; otherwise keep none.
    let keep: &[&str] = if enumerated {
        &[]
    } else if string {
        &STRING_KEYWORDS
    } else if object {
        &OBJECT_KEYWORDS
    } else if array {
        &ARRAY_KEYWORDS
    } else {
        &[]
    };
    let mut dropped = Vec::new();
    for group in [
        &STRING_KEYWORDS[..],
        &NUMBER_KEYWORDS,
        &OBJECT_KEYWORDS,
        &ARRAY_KEYWORDS,
        &["format"],
    ] {
        if group == keep || (group == ["format"] && keep == STRING_KEYWORDS) {
            continue;
        }
        for k in group {
            if take_member(o, k).is_some() {
                dropped.push(format!("`{k}`"));
            }
        }
    }
    if !dropped.is_empty() {
        report.note(
            ptr,
            format!(
                "{} dropped: without `type` they constrain only values of their own type, \
                 which the generator cannot express",
                dropped.join(", ")
            ),
        );
    }
}
