//! Structural validation, with exact JSON pointers.
//!
//! The OpenAPI version, the JSON types of the members of operations and
//! parameters, and of schema keywords ([`check_keywords`]; `openapiv3`'s
//! untagged enums would otherwise backtrack through every alternative at
//! every level, in time exponential in the nesting depth, and report only a
//! coarse location); a `default` contradicting its schema's type is dropped
//! ([`check_default`]; typify panics "default value could not be rendered").

use serde_json::{Map, Value, json};

use super::{Result, json_type, member, take_member};
use crate::error::{CodegenError, Ptr, Report};

pub(super) fn check_version(root: &Map<String, Value>) -> Result<()> {
    match root.get("openapi") {
        Some(Value::String(v)) if v.starts_with("3.0.") || v.starts_with("3.1.") => Ok(()),
        Some(Value::String(v)) => Err(CodegenError::new(
            "/openapi",
            "openapi version",
            format!("unsupported version {v:?}; expected 3.0.x or 3.1.x"),
        )),
        Some(_) => Err(CodegenError::new(
            "/openapi",
            "openapi version",
            "expected a version string such as \"3.1.0\"",
        )),
        None if root.contains_key("swagger") => Err(CodegenError::new(
            "/swagger",
            "openapi version",
            "Swagger 2.0 documents are not supported; expected OpenAPI 3.0.x or 3.1.x",
        )),
        None => Err(CodegenError::new(
            "/openapi",
            "openapi version",
            "missing `openapi` field: not an OpenAPI 3.x document",
        )),
    }
}

/// The error for the member `key` of the `what` at `ptr` unless `ok`.
pub(super) fn member_type(
    ok: bool,
    ptr: &Ptr<'_>,
    key: &str,
    what: &str,
    wrong: &str,
) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(CodegenError::new(
            ptr.key(key),
            what,
            format!("`{key}` {wrong}"),
        ))
    }
}

/// Keyword values of the wrong JSON type are rejected here, with their exact
/// pointer: `openapiv3`'s untagged enums would otherwise backtrack through
/// every alternative at every level (time exponential in the nesting depth)
/// and report only a coarse location.
pub(super) fn check_keywords(o: &Map<String, Value>, ptr: &Ptr<'_>) -> Result<()> {
    const TYPES: [&str; 7] = [
        "string", "number", "integer", "boolean", "array", "object", "null",
    ];
    for (key, value) in o {
        let expected = match key.as_str() {
            "type" => {
                let ok = match value {
                    Value::String(t) => TYPES.contains(&t.as_str()),
                    Value::Array(ts) => ts
                        .iter()
                        .all(|t| t.as_str().is_some_and(|t| TYPES.contains(&t))),
                    _ => false,
                };
                if ok {
                    continue;
                } else {
                    "a JSON type name or a list of them"
                }
            }
            "format" | "description" | "title" | "pattern" | "$ref" | "contentMediaType"
            | "contentEncoding" => {
                if value.is_string() {
                    continue;
                } else {
                    "a string"
                }
            }
            "nullable" | "readOnly" | "writeOnly" | "deprecated" | "uniqueItems" => {
                if value.is_boolean() {
                    continue;
                } else {
                    "a boolean"
                }
            }
            "exclusiveMinimum" | "exclusiveMaximum" => {
                if value.is_boolean() || value.is_number() {
                    continue;
                } else {
                    "a number"
                }
            }
            "minimum" | "maximum" | "multipleOf" => {
                if value.is_number() {
                    continue;
                } else {
                    "a number"
                }
            }
            "minLength" | "maxLength" | "minItems" | "maxItems" | "minProperties"
            | "maxProperties" => {
                if value.is_u64() {
                    continue;
                } else {
                    "a non-negative integer"
                }
            }
            "required" => {
                if value
                    .as_array()
                    .is_some_and(|a| a.iter().all(Value::is_string))
                {
                    continue;
                } else {
                    "a list of property names"
                }
            }
            // JSON Schema requires a branch; an empty list would match
            // nothing, and typify turns a schema beside one into a type no
            // value (not even its `default`) fits.
            "anyOf" | "oneOf" => match value.as_array() {
                Some(branches) if !branches.is_empty() => continue,
                Some(_) => {
                    return Err(CodegenError::new(
                        ptr.key(key),
                        "schema",
                        format!(
                            "`{key}` must hold at least one schema; remove it or list the \
                             schemas it allows"
                        ),
                    ));
                }
                None => "an array",
            },
            "enum" | "allOf" | "prefixItems" | "examples" => {
                if value.is_array() {
                    continue;
                } else {
                    "an array"
                }
            }
            "properties" | "discriminator" => {
                if value.is_object() {
                    continue;
                } else {
                    "an object"
                }
            }
            "items" | "additionalProperties" | "not" => {
                if value.is_object() || value.is_boolean() || (key == "items" && value.is_array()) {
                    continue;
                } else {
                    "a schema"
                }
            }
            _ => continue,
        };
        return Err(CodegenError::new(
            ptr.key(key),
            "schema",
            format!("`{key}` must be {expected}, found {}", json_type(value)),
        ));
    }
    Ok(())
}

/// Drop a `default` that contradicts the schema's own type (typify panics
/// with "default value could not be rendered").
pub(super) fn check_default(o: &mut Map<String, Value>, ptr: &Ptr<'_>, report: &mut Report) {
    let Some(default) = member(o, "default") else {
        return;
    };
    let nullable = member(o, "nullable") == Some(&json!(true));
    let ok = match (member(o, "type").and_then(Value::as_str), default) {
        (_, Value::Null) => nullable || member(o, "enum").is_some_and(|e| e == &json!([null])),
        (Some("integer"), d) => d.is_i64() || d.is_u64(),
        (Some("number"), d) => d.is_number(),
        (Some("string"), d) => d.is_string(),
        (Some("boolean"), d) => d.is_boolean(),
        (Some("array"), d) => d.is_array(),
        (Some("object"), d) => d.is_object(),
        _ => true,
    } && o
        .get("enum")
        .and_then(Value::as_array)
        .is_none_or(|e| e.contains(default) || default.is_null());
    if !ok {
        take_member(o, "default");
        report.note(ptr, "default value contradicting the schema's type dropped");
    }
}
