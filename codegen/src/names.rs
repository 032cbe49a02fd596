//! Operation naming: FastAPI's default operationId is
//! `{function}{re.sub(r"\W", "_", path)}_{method}` (`submit_job_jobs_post`).
//! The derived suffix carries no information a Rust caller needs, so it is
//! removed whenever the remaining name is unique.

use std::collections::{BTreeMap, BTreeSet};

use heck::{ToPascalCase, ToSnakeCase};
use serde_json::{Value, json};

use crate::convert::fastapi_path_suffix;
use crate::error::{Report, join};

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// The name without FastAPI's `_{path}_{method}` suffix, if it has one.
pub fn short_operation_id(operation_id: &str, path: &str, method: &str) -> Option<String> {
    let suffix = format!(
        "{}_{}",
        fastapi_path_suffix(path),
        method.to_ascii_lowercase()
    );
    let short = operation_id.strip_suffix(&suffix)?;
    (!short.is_empty() && short.chars().any(char::is_alphanumeric)).then(|| short.to_string())
}

/// Rewrite every operationId in `doc` to its short form where that is
/// collision-free; duplicate ids get a numeric suffix (progenitor would emit
/// two methods of the same name).
pub(crate) fn shorten(doc: &mut Value, report: &mut Report) {
    // (pointer, long id, candidate short id)
    let mut ops: Vec<(String, String, String)> = Vec::new();
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            for method in METHODS {
                let Some(id) = item
                    .get(method)
                    .and_then(|op| op.get("operationId"))
                    .and_then(Value::as_str)
                else {
                    continue;
                };
                let short = short_operation_id(id, path, method).unwrap_or_else(|| id.to_string());
                ops.push((join(&join("/paths", path), method), id.to_string(), short));
            }
        }
    }
    let component_types: BTreeSet<String> = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|s| s.keys().map(|k| k.to_pascal_case()).collect())
        .unwrap_or_default();
    let mut short_count: BTreeMap<String, usize> = BTreeMap::new();
    for (_, _, short) in &ops {
        *short_count.entry(short.to_snake_case()).or_default() += 1;
    }
    let long_names: BTreeMap<String, usize> =
        ops.iter().fold(BTreeMap::new(), |mut m, (_, long, _)| {
            *m.entry(long.to_snake_case()).or_default() += 1;
            m
        });
    let mut used: BTreeSet<String> = BTreeSet::new();
    for (ptr, long, short) in &ops {
        let snake = short.to_snake_case();
        let clashes_with_type = ["response", "body"]
            .iter()
            .any(|s| component_types.contains(&format!("{short}-{s}").to_pascal_case()));
        let unique = short_count[&snake] == 1
            && (short == long || !long_names.contains_key(&snake))
            && !clashes_with_type;
        let mut name = if unique { short.clone() } else { long.clone() };
        if !used.insert(name.to_snake_case()) {
            let mut n = 2;
            while !used.insert(format!("{name}_{n}").to_snake_case()) {
                n += 1;
            }
            report.note(
                ptr,
                format!("duplicate operationId `{long}` renamed `{name}_{n}`"),
            );
            name = format!("{name}_{n}");
        }
        if let Some(op) = doc.pointer_mut(ptr) {
            op["operationId"] = json!(name);
        }
    }
}
