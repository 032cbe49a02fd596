//! The one canonical text form of a vendored spec.
//!
//! Object keys are sorted (recursively) and the document is pretty-printed
//! with two-space indentation and a trailing newline. Sorting makes the file
//! independent of the key order the server happened to emit, so the same
//! document always yields byte-identical text and a spec change is a minimal
//! diff.

use ionworks_codegen::CodegenError;
use serde_json::Value;

/// Canonical text of the JSON document in `bytes` (a UTF-8 byte-order mark
/// is dropped).
///
/// ```
/// let a = xtask::canonical_json(br#"{"b":1,"a":{"d":[1,2],"c":null}}"#).unwrap();
/// let b = xtask::canonical_json(b"\xEF\xBB\xBF{ \"a\": {\"c\": null, \"d\": [1, 2]}, \"b\": 1 }").unwrap();
/// assert_eq!(a, b);
/// assert!(a.starts_with("{\n  \"a\": {"));
/// ```
pub fn canonical_json(bytes: &[u8]) -> Result<String, CodegenError> {
    let value = ionworks_codegen::parse_json(bytes)?;
    // Serializing a `Value` cannot fail (its keys are strings).
    let mut text = serde_json::to_string_pretty(&sorted(value)).unwrap_or_default();
    text.push('\n');
    Ok(text)
}

fn sorted(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}
