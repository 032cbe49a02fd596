//! Operation naming: FastAPI's default operationId is
//! `{function}{re.sub(r"\W", "_", path)}_{method}` (`submit_job_jobs_post`).
//! The derived suffix carries no information a Rust caller needs, so it is
//! removed whenever the remaining name is unique.

use std::collections::{BTreeMap, BTreeSet};

use heck::{ToPascalCase, ToSnakeCase};
use serde_json::{Value, json};

use super::convert::fastapi_path_suffix;
use crate::error::{Report, join};

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

/// Whether `name`, without trailing separators, ends with `word` in any case
/// (necessary for its PascalCase form to end with `word` capitalised).
fn ends_with_word(name: &str, word: &str) -> bool {
    let tail = name.trim_end_matches(|c: char| !c.is_alphanumeric());
    tail.len() >= word.len()
        && tail.is_char_boundary(tail.len() - word.len())
        && tail[tail.len() - word.len()..].eq_ignore_ascii_case(word)
}

/// Whether an operation has a request or response schema that progenitor
/// turns into a type named after the operation (not a `$ref`, not a
/// primitive).
fn names_inline_types(op: &Value) -> bool {
    fn needs_name(schema: &Value) -> bool {
        let Some(schema) = schema.as_object() else {
            return false;
        };
        if schema.contains_key("$ref") {
            return false;
        }
        if ["properties", "enum", "anyOf", "oneOf", "allOf"]
            .iter()
            .any(|k| schema.contains_key(*k))
            || schema
                .get("additionalProperties")
                .is_some_and(Value::is_object)
        {
            return true;
        }
        schema.get("items").is_some_and(needs_name)
    }
    let bodies = op.pointer("/requestBody/content").into_iter();
    let responses = op
        .get("responses")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|r| r.values())
        .filter_map(|r| r.get("content"));
    bodies
        .chain(responses)
        .filter_map(Value::as_object)
        .flat_map(|content| content.values())
        .filter_map(|media| media.get("schema"))
        .any(needs_name)
}

/// Rewrite every operationId in `doc` to its short form where that is
/// collision-free; duplicate ids get a numeric suffix (progenitor would emit
/// two methods of the same name).
pub(crate) fn shorten(doc: &mut Value, report: &mut Report) {
    struct Op {
        pointer: String,
        long: String,
        long_snake: String,
        short: String,
        short_snake: String,
        /// Whether progenitor names a type after the operation (an inline
        /// body or response schema): only then can its short name clash
        /// with a component `{name}Response` / `{name}Body`.
        names_inline_types: bool,
    }
    let mut ops: Vec<Op> = Vec::new();
    for (path, method, op) in crate::operations(doc) {
        let Some(id) = op.get("operationId").and_then(Value::as_str) else {
            continue;
        };
        let short = short_operation_id(id, path, method).unwrap_or_else(|| id.to_string());
        ops.push(Op {
            pointer: join(&join("/paths", path), method),
            long: id.to_string(),
            long_snake: id.to_snake_case(),
            short_snake: short.to_snake_case(),
            short,
            names_inline_types: names_inline_types(op),
        });
    }
    // Only the type names an operation's `{name}Response`/`{name}Body` could
    // clash with (a cheap test before the case conversion, which is costly
    // over hundreds of components).
    let component_types: BTreeSet<String> = crate::document::component_schemas(doc)
        .map(|s| {
            s.keys()
                .filter(|k| ends_with_word(k, "body") || ends_with_word(k, "response"))
                .map(|k| k.to_pascal_case())
                .collect()
        })
        .unwrap_or_default();
    let mut short_count: BTreeMap<&str, usize> = BTreeMap::new();
    let mut long_names: BTreeSet<&str> = BTreeSet::new();
    for op in &ops {
        *short_count.entry(&op.short_snake).or_default() += 1;
        long_names.insert(&op.long_snake);
    }
    // Method name → the operation that has it.
    let mut used: BTreeMap<String, &str> = BTreeMap::new();
    let mut renames = Vec::with_capacity(ops.len());
    for op in &ops {
        let (short, long) = (&op.short, &op.long);
        let clashes_with_type = !component_types.is_empty()
            && op.names_inline_types
            && ["response", "body"]
                .iter()
                .any(|s| component_types.contains(&format!("{short}-{s}").to_pascal_case()));
        let unique = short_count[op.short_snake.as_str()] == 1
            && (short == long || !long_names.contains(op.short_snake.as_str()))
            && !clashes_with_type;
        let (mut name, snake) = if unique {
            (short.clone(), &op.short_snake)
        } else {
            (long.clone(), &op.long_snake)
        };
        if used.contains_key(snake.as_str()) {
            let mut n = 2;
            while used.contains_key(&format!("{name}_{n}").to_snake_case()) {
                n += 1;
            }
            name = format!("{name}_{n}");
        }
        used.insert(name.to_snake_case(), &op.pointer);
        renames.push((&op.pointer, name));
    }
    // OpenAPI requires unique operationIds; a spec that repeats one still
    // generates (each operation gets its own name), but the maintainer hears
    // of it with both locations and the names chosen.
    let mut first_with: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, op) in ops.iter().enumerate() {
        match first_with.get(op.long.as_str()) {
            None => {
                first_with.insert(&op.long, i);
            }
            Some(&first) => {
                let message = format!(
                    "duplicate operationId `{}` (also at {}, named `{}`) named `{}`",
                    op.long, ops[first].pointer, renames[first].1, renames[i].1
                );
                report.note(&op.pointer, message.clone());
                report.warnings.push(crate::error::Note {
                    pointer: op.pointer.clone(),
                    message,
                });
            }
        }
    }
    for (ptr, name) in renames {
        if let Some(op) = doc.pointer_mut(ptr) {
            op["operationId"] = json!(name);
        }
    }
}
