//! The typed `openapiv3` document progenitor reads, parsed from the
//! converted JSON, with errors located as exactly as the JSON allows.
//!
//! `openapiv3` reads path items, parameters, bodies and responses through
//! untagged enums (`ReferenceOr`), which report a failure inside them at the
//! enum: `serde_path_to_error` then names only `/paths`. Such an error is
//! narrowed down by parsing the parts of the failing path item one by one.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::HTTP_METHODS;
use crate::error::{CodegenError, join};

/// The typed document for `doc`, or an error naming the member at fault.
pub(crate) fn parse_openapi(doc: &Value) -> Result<openapiv3::OpenAPI, CodegenError> {
    parse::<openapiv3::OpenAPI>(doc).map_err(|(pointer, message)| {
        let (pointer, message) = if pointer == "/paths" || pointer.is_empty() {
            narrow_paths(doc).unwrap_or((pointer, message))
        } else {
            (pointer, message)
        };
        CodegenError::new(pointer, "OpenAPI structure", message)
    })
}

/// `v` as a `T`, or the pointer (relative to `v`) and message of the error.
fn parse<T: DeserializeOwned>(v: &Value) -> Result<T, (String, String)> {
    serde_path_to_error::deserialize(v).map_err(|e| {
        let pointer: String = e
            .path()
            .iter()
            .filter_map(|seg| match seg {
                serde_path_to_error::Segment::Seq { index } => Some(format!("/{index}")),
                serde_path_to_error::Segment::Map { key } => Some(join("", key)),
                serde_path_to_error::Segment::Enum { .. }
                | serde_path_to_error::Segment::Unknown => None,
            })
            .collect();
        (pointer, e.into_inner().to_string())
    })
}

/// The first part of a path item that does not parse: a parameter, request
/// body or response of an operation (the converter has resolved their
/// references), else the operation or the path item itself.
fn narrow_paths(doc: &Value) -> Option<(String, String)> {
    let paths = doc.get("paths")?.as_object()?;
    for (path, item) in paths {
        let item_ptr = join("/paths", path);
        let Err(whole) = parse::<openapiv3::PathItem>(item) else {
            continue;
        };
        for method in HTTP_METHODS {
            let Some(op) = item.get(method) else {
                continue;
            };
            let op_ptr = join(&item_ptr, method);
            if let Some(found) = narrow_operation(op, &op_ptr) {
                return Some(found);
            }
            if let Err((at, message)) = parse::<openapiv3::Operation>(op) {
                return Some((format!("{op_ptr}{at}"), message));
            }
        }
        return Some((format!("{item_ptr}{}", whole.0), whole.1));
    }
    None
}

fn narrow_operation(op: &Value, op_ptr: &str) -> Option<(String, String)> {
    let at = |base: String, (inner, message): (String, String)| (format!("{base}{inner}"), message);
    if let Some(params) = op.get("parameters").and_then(Value::as_array) {
        for (i, p) in params.iter().enumerate() {
            if let Err(e) = parse::<openapiv3::Parameter>(p) {
                return Some(at(format!("{op_ptr}/parameters/{i}"), e));
            }
        }
    }
    if let Some(body) = op.get("requestBody")
        && let Err(e) = parse::<openapiv3::RequestBody>(body)
    {
        return Some(at(join(op_ptr, "requestBody"), e));
    }
    if let Some(responses) = op.get("responses").and_then(Value::as_object) {
        let base = join(op_ptr, "responses");
        for (status, response) in responses {
            if let Err(e) = parse::<openapiv3::Response>(response) {
                return Some(at(join(&base, status), e));
            }
        }
    }
    None
}
