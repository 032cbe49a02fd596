//! Numeric and length bounds, and lenient responses.
//!
//! * JSON Schema 2020-12's numeric `exclusiveMinimum`/`exclusiveMaximum`
//!   become 3.0's boolean form beside `minimum`/`maximum`.
//! * Every validation keyword ([`CONSTRAINT_KEYWORDS`]) is then removed:
//!   typify 0.8 turns them into constrained newtypes and narrower integers
//!   that reject data (and enforces no numeric bound at all). Bounds on the
//!   properties of request types are kept as [`FieldConstraint`]s, which
//!   the rewrite checks before a request is sent.
//! * In schemas a response reaches, `additionalProperties: false` (typify:
//!   `deny_unknown_fields`) and string formats other than `date-time` and
//!   `binary` are dropped too, so that a new field or an odd value never
//!   fails a response.

use serde_json::{Map, Value, json};

use super::references::{Graph, reachable_in};
use super::{
    Converted, PATHS, component_schemas_mut, each_operation_mut, member, remove_keys, take_member,
};
use crate::error::Report;
use crate::schema;

/// A documented bound on one property of a request type, enforced before a
/// request is sent (typify 0.8 does not enforce numeric bounds at all; see
/// `typify-impl/src/convert.rs::convert_integer`, "we could construct a type
/// that itself enforces the various bounds").
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Constraint {
    pub minimum: Option<f64>,
    pub maximum: Option<f64>,
    pub exclusive_minimum: bool,
    pub exclusive_maximum: bool,
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
}

/// A constraint attached to `component.property`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FieldConstraint {
    pub component: String,
    pub property: String,
    pub constraint: Constraint,
}

/// Validation keywords that typify turns into types that reject data
/// (constrained newtypes, narrower integers). They are removed from the
/// converted document; request-side bounds are enforced by generated checks.
pub(super) const CONSTRAINT_KEYWORDS: [&str; 12] = [
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "minProperties",
    "maxProperties",
];

/// Numeric exclusive bounds → the 3.0 boolean form.
pub(super) fn exclusive_bounds(o: &mut Map<String, Value>) {
    // Numeric exclusive bounds → 3.0 boolean form.
    for (ex, bound) in [
        ("exclusiveMinimum", "minimum"),
        ("exclusiveMaximum", "maximum"),
    ] {
        if let Some(n) = member(o, ex).filter(|n| n.is_number()).cloned() {
            o.insert(bound.into(), n);
            o.insert(ex.into(), json!(true));
        }
    }
}

/// Make response schemas lenient and record request-side bounds.
///
/// * Constraint keywords are removed everywhere, so typify never generates a
///   type that rejects a value (a `maxLength` URL in a response, a narrower
///   integer). Bounds on request types are kept as [`FieldConstraint`]s and
///   checked by generated code before a request is sent.
/// * In schemas a response can reach, `additionalProperties: false` (typify:
///   `deny_unknown_fields`) and string formats other than `date-time`
///   (decoded leniently by the generated code) are dropped too.
pub(super) fn lenient_and_constraints(c: &mut Converted, graph: &Graph, report: &mut Report) {
    let (request, response) = reachable_in(&c.doc, graph);

    if let Some(schemas) = component_schemas_mut(&mut c.doc) {
        for (name, s) in schemas.iter_mut() {
            if request.contains(name) {
                collect_constraints(name, s, &mut c.constraints);
            }
            strip(s, response.contains(name));
        }
    }
    each_operation_mut(&mut c.doc, |path, method, op| {
        let item_ptr = PATHS.key(path);
        let op_ptr = item_ptr.key(method);
        if let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) {
            for (i, p) in params.iter_mut().enumerate() {
                if let Some(s) = p.get_mut("schema") {
                    if has_bounds(s) {
                        report.note(
                            op_ptr.key("parameters").index(i),
                            "documented parameter bound not enforced on requests",
                        );
                    }
                    strip(s, false);
                }
            }
        }
        if let Some(b) = op.get_mut("requestBody") {
            let inline_bounds = b
                .get("content")
                .and_then(Value::as_object)
                .is_some_and(|c| c.values().any(|m| m.get("schema").is_some_and(has_bounds)));
            if inline_bounds {
                report.note(
                    op_ptr.key("requestBody"),
                    "documented bound of an inline request body not enforced on requests",
                );
            }
            strip_content(b, false);
        }
        if let Some(rs) = op.get_mut("responses").and_then(Value::as_object_mut) {
            for r in rs.values_mut() {
                strip_content(r, true);
            }
        }
    });
}

fn strip_content(holder: &mut Value, lenient: bool) {
    if let Some(content) = holder.get_mut("content").and_then(Value::as_object_mut) {
        for mt in content.values_mut() {
            if let Some(s) = mt.get_mut("schema") {
                strip(s, lenient);
            }
        }
    }
}

fn strip(v: &mut Value, lenient: bool) {
    let Value::Object(o) = v else { return };
    // (With the boolean 3.0 forms of the exclusive bounds, which are
    // meaningless without their bound.)
    remove_keys(o, &CONSTRAINT_KEYWORDS);
    if lenient {
        if member(o, "additionalProperties") == Some(&json!(false)) {
            take_member(o, "additionalProperties");
        }
        let is_string = member(o, "type") == Some(&json!("string"));
        let keep = matches!(
            member(o, "format").and_then(Value::as_str),
            Some("date-time" | "binary")
        );
        if is_string && !keep {
            take_member(o, "format");
        }
    }
    schema::each_subschema_mut(v, |_, child| strip(child, lenient));
}

/// Whether any schema below `v` carries a bound (used to report bounds that
/// are not enforced on requests).
fn has_bounds(v: &Value) -> bool {
    let Value::Object(o) = v else { return false };
    o.keys().any(|k| CONSTRAINT_KEYWORDS.contains(&k.as_str()))
        || schema::each_subschema(v, |_, s| if has_bounds(s) { Err(()) } else { Ok(()) }).is_err()
}

fn collect_constraints(component: &str, s: &Value, out: &mut Vec<FieldConstraint>) {
    let Some(props) = s.get("properties").and_then(Value::as_object) else {
        return;
    };
    for (property, p) in props {
        let ty = p.get("type").and_then(Value::as_str);
        let plain = p.get("enum").is_none() && p.get("oneOf").is_none() && p.get("allOf").is_none();
        let format_ok = p.get("format").and_then(Value::as_str).is_none_or(|f| {
            !matches!(
                f,
                "date-time" | "date" | "time" | "uuid" | "ip" | "ipv4" | "ipv6" | "byte" | "binary"
            )
        });
        if !plain {
            continue;
        }
        let num = |k: &str| p.get(k).and_then(Value::as_f64);
        let mut c = Constraint::default();
        match ty {
            Some("integer" | "number") => {
                c.minimum = num("minimum");
                c.maximum = num("maximum");
                c.exclusive_minimum = p.get("exclusiveMinimum") == Some(&json!(true));
                c.exclusive_maximum = p.get("exclusiveMaximum") == Some(&json!(true));
            }
            Some("string") if format_ok => {
                c.min_length = p.get("minLength").and_then(Value::as_u64);
                c.max_length = p.get("maxLength").and_then(Value::as_u64);
            }
            _ => continue,
        }
        if c != Constraint::default() {
            out.push(FieldConstraint {
                component: component.to_string(),
                property: property.clone(),
                constraint: c,
            });
        }
    }
}
