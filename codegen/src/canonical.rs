//! The one canonical text form of a vendored spec.
//!
//! Object keys are sorted (recursively) and the document is pretty-printed
//! with two-space indentation and a trailing newline. Sorting makes the file
//! independent of the key order the server happened to emit, so the same
//! document always yields byte-identical text and a spec change is a minimal
//! diff.

use serde_json::Value;

use crate::error::CodegenError;

/// Canonical text of the JSON document in `bytes`.
///
/// ```
/// let a = ionworks_codegen::canonical_json(br#"{"b":1,"a":{"d":[1,2],"c":null}}"#).unwrap();
/// let b = ionworks_codegen::canonical_json(b"{ \"a\": {\"c\": null, \"d\": [1, 2]}, \"b\": 1 }").unwrap();
/// assert_eq!(a, b);
/// assert!(a.starts_with("{\n  \"a\": {"));
/// ```
pub fn canonical_json(bytes: &[u8]) -> Result<String, CodegenError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| {
        CodegenError::new(
            "",
            "JSON",
            format!(
                "not valid JSON (line {}, column {}): {e}",
                e.line(),
                e.column()
            ),
        )
    })?;
    let mut text = serde_json::to_string_pretty(&sorted(value))
        .map_err(|e| CodegenError::new("", "JSON", e.to_string()))?;
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
