//! Form request bodies: `multipart/form-data` and
//! `application/x-www-form-urlencoded`.
//!
//! progenitor generates no method for a multipart body (upstream issue #518;
//! pull requests #418 and #609 never landed) and sends URL-encoded bodies
//! with `serde_urlencoded`, which rejects arrays and nested objects. So a
//! form operation is handed to progenitor as a JSON-body operation whose
//! body holds the form's *text* fields (typify then gives them a typed body
//! builder, with required fields and documented bounds checked in `send()`
//! like any request body), and the rewrite turns it back into a form:
//!
//! * **before conversion** ([`prepare`], on the OpenAPI 3.1 document): the
//!   body schema's file fields (`{type: string, format: binary}` or, in 3.1,
//!   `contentMediaType`; arrays of them; either nullable) are taken out of it
//!   and listed in an `x-ionworks-form` extension on the operation, with the
//!   media type. An operation that also offers JSON keeps its JSON body, and
//!   a second operation `<name>_form` (path suffix `#form`, removed again by
//!   the rewrite) gets the form; one that offers both form encodings sends
//!   multipart when it has files, else URL-encoded.
//! * **after progenitor** ([`crate::syntax::forms`]): the builder gets one setter per
//!   file field (taking the support module's `FilePart`; `Vec<FilePart>` for
//!   an array) and one per text field (delegating to the typed body
//!   builder), plus `on_progress`; `send()` checks required files and sends
//!   the body as a form through the support module's `Form` and `attach`
//!   (see `Options::form_support`). The typed mocks match such operations by
//!   part name.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::error::{CodegenError, Report, join};

/// The operation extension that carries a form's description through
/// progenitor.
pub(crate) const EXTENSION: &str = "x-ionworks-form";

/// The path suffix of the form variant of an operation that also takes JSON.
pub(crate) const ALTERNATE_SUFFIX: &str = "#form";

const MULTIPART: &str = "multipart/form-data";
const URLENCODED: &str = "application/x-www-form-urlencoded";

/// One file field of a form.
#[derive(Debug, Clone)]
pub(crate) struct FileField {
    /// Name on the wire.
    pub(crate) name: String,
    /// An array of files (repeated parts).
    pub(crate) many: bool,
    pub(crate) required: bool,
}

/// The base media type of a content key (`multipart/form-data; boundary=…`).
fn base(media: &str) -> String {
    media
        .split(';')
        .next()
        .unwrap_or(media)
        .trim()
        .to_ascii_lowercase()
}

/// Whether `schema` (3.1 or 3.0) describes a file: `{type: string}` with
/// `format: binary` or a `contentMediaType`.
fn is_file(schema: &Value) -> bool {
    schema.get("type").and_then(Value::as_str) == Some("string")
        && (schema.get("format").and_then(Value::as_str) == Some("binary")
            || schema.get("contentMediaType").is_some())
}

/// `Some(many)` when `schema` is a file or an array of files, possibly
/// nullable (`anyOf [X, {type: null}]`, `type: [string, null]` is not a file).
fn file_kind(schema: &Value) -> Option<bool> {
    if is_file(schema) {
        return Some(false);
    }
    if schema.get("type").and_then(Value::as_str) == Some("array")
        && schema.get("items").is_some_and(is_file)
    {
        return Some(true);
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(branches) = schema.get(key).and_then(Value::as_array) {
            let non_null: Vec<&Value> = branches
                .iter()
                .filter(|b| b.get("type").and_then(Value::as_str) != Some("null"))
                .collect();
            if non_null.len() == 1 && non_null.len() < branches.len() {
                return file_kind(non_null[0]);
            }
        }
    }
    None
}

/// Rewrites every form operation of the OpenAPI 3.1 `doc` for progenitor
/// (see the module docs). Runs before the conversion.
pub(crate) fn prepare(doc: &mut Value, report: &mut Report) -> Result<(), CodegenError> {
    // (path, method) of every operation with a form body.
    let mut found = Vec::new();
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            let Some(item) = item.as_object() else {
                continue;
            };
            for (method, op) in item {
                let content = op
                    .pointer("/requestBody/content")
                    .and_then(Value::as_object);
                if content.is_some_and(|c| {
                    c.keys()
                        .any(|k| matches!(base(k).as_str(), MULTIPART | URLENCODED))
                }) {
                    found.push((path.clone(), method.clone()));
                }
            }
        }
    }
    for (path, method) in found {
        prepare_operation(doc, &path, &method, report)?;
    }
    Ok(())
}

fn prepare_operation(
    doc: &mut Value,
    path: &str,
    method: &str,
    report: &mut Report,
) -> Result<(), CodegenError> {
    let op_ptr = join(&join("/paths", path), method);
    let content_ptr = format!("{op_ptr}/requestBody/content");
    let Some(content) = doc
        .pointer(&content_ptr)
        .and_then(Value::as_object)
        .cloned()
    else {
        return Ok(());
    };
    let key = |wanted: &str| content.keys().find(|k| base(k) == wanted).cloned();
    let json_key = key("application/json");
    let (multipart, urlencoded) = (key(MULTIPART), key(URLENCODED));
    // The schema of a form: the first form media type that has one (FastAPI
    // writes it once when it offers both encodings).
    let schema_of = |k: &Option<String>| {
        k.as_ref()
            .and_then(|k| content.get(k))
            .and_then(|mt| mt.get("schema"))
            .filter(|s| !s.is_null())
            .cloned()
    };
    let Some(schema) = schema_of(&multipart).or_else(|| schema_of(&urlencoded)) else {
        return Ok(());
    };
    let (component, resolved) = match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => match r.strip_prefix("#/components/schemas/") {
            Some(name) => (
                Some(name.to_string()),
                doc.pointer(&join("/components/schemas", name))
                    .cloned()
                    .unwrap_or(Value::Null),
            ),
            None => (None, Value::Null),
        },
        None => (None, schema.clone()),
    };
    let Some(properties) = resolved.get("properties").and_then(Value::as_object) else {
        report.note(
            &content_ptr,
            "form body without properties sent as its JSON body (not a form)",
        );
        return Ok(());
    };
    let required: Vec<&str> = resolved
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let files: Vec<FileField> = properties
        .iter()
        .filter_map(|(name, p)| {
            let p = resolve(doc, p);
            file_kind(&p).map(|many| FileField {
                name: name.clone(),
                many,
                required: required.contains(&name.as_str()),
            })
        })
        .collect();
    let media = match (&multipart, &urlencoded) {
        (Some(_), Some(_)) if files.is_empty() => URLENCODED,
        (Some(_), _) => MULTIPART,
        _ => URLENCODED,
    };
    if multipart.is_some() && urlencoded.is_some() {
        let dropped = if media == MULTIPART {
            URLENCODED
        } else {
            MULTIPART
        };
        report.note(
            &content_ptr,
            format!("form sent as {media}; alternative media type {dropped} dropped"),
        );
    }
    if media == URLENCODED && !files.is_empty() {
        report.note(
            &content_ptr,
            "file fields in a URL-encoded form are sent as text",
        );
    }
    let files = if media == URLENCODED {
        Vec::new()
    } else {
        files
    };

    // The text fields: the schema without its files.
    let mut text_schema = resolved.clone();
    if let Some(props) = text_schema
        .get_mut("properties")
        .and_then(Value::as_object_mut)
    {
        props.retain(|name, _| !files.iter().any(|f| f.name == *name));
    }
    if let Some(req) = text_schema
        .get_mut("required")
        .and_then(Value::as_array_mut)
    {
        req.retain(|name| !files.iter().any(|f| Some(f.name.as_str()) == name.as_str()));
    }
    let has_text = text_schema
        .get("properties")
        .and_then(Value::as_object)
        .is_some_and(|p| !p.is_empty());
    let body_schema = match &component {
        // A component used only by form bodies loses its files in place (its
        // name stays the body's type name); otherwise the form gets a copy.
        Some(name) => {
            let target = if refs_to(doc, name) <= 2 {
                name.clone()
            } else {
                format!("{name}Form")
            };
            if let Some(schemas) = crate::document::component_schemas_mut(doc) {
                schemas.insert(target.clone(), text_schema);
            }
            json!({"$ref": format!("#/components/schemas/{target}")})
        }
        None => text_schema,
    };
    let extension = json!({
        "media": media,
        "body": has_text,
        "files": files.iter().map(|f| json!({"name": f.name, "many": f.many, "required": f.required})).collect::<Vec<_>>(),
    });

    let Some(op) = doc.pointer_mut(&op_ptr).and_then(Value::as_object_mut) else {
        return Ok(());
    };
    let mut form_op = op.clone();
    set_form_body(&mut form_op, has_text, body_schema, extension);
    match json_key {
        None => *op = form_op,
        Some(json_key) => {
            // JSON stays the plain operation; the form becomes `<name>_form`.
            if let Some(content) = op
                .get_mut("requestBody")
                .and_then(|b| b.get_mut("content"))
                .and_then(Value::as_object_mut)
            {
                content.retain(|k, _| *k == json_key);
            }
            let id = op
                .get("operationId")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let short = super::names::short_operation_id(&id, path, method).unwrap_or(id);
            let alternate_path = format!("{path}{ALTERNATE_SUFFIX}");
            form_op.insert(
                "operationId".into(),
                json!(format!(
                    "{short}_form{}_{method}",
                    super::convert::fastapi_path_suffix(&alternate_path)
                )),
            );
            report.note(
                &content_ptr,
                format!("JSON body sent by `{short}`; the form by `{short}_form`"),
            );
            if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
                let item = paths.entry(alternate_path).or_insert_with(|| json!({}));
                if let Some(item) = item.as_object_mut() {
                    item.insert(method.to_string(), Value::Object(form_op));
                }
            }
        }
    }
    Ok(())
}

/// The operation's request body becomes the text fields as JSON (or none),
/// with the form's description beside it.
fn set_form_body(op: &mut Map<String, Value>, has_text: bool, schema: Value, extension: Value) {
    if has_text {
        let required = op
            .get("requestBody")
            .and_then(|b| b.get("required"))
            .cloned()
            .unwrap_or(json!(false));
        op.insert(
            "requestBody".into(),
            json!({"required": required, "content": {"application/json": {"schema": schema}}}),
        );
    } else {
        op.remove("requestBody");
    }
    op.insert(EXTENSION.into(), extension);
}

/// `schema`, or the component it references.
fn resolve(doc: &Value, schema: &Value) -> Value {
    match schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
    {
        Some(name) => doc
            .pointer(&join("/components/schemas", name))
            .cloned()
            .unwrap_or(Value::Null),
        None => schema.clone(),
    }
}

/// How many times component `name` is referenced in `doc`.
fn refs_to(doc: &Value, name: &str) -> usize {
    let target = format!("#/components/schemas/{name}");
    fn count(v: &Value, target: &str) -> usize {
        match v {
            Value::String(s) => usize::from(s == target),
            Value::Array(items) => items.iter().map(|i| count(i, target)).sum(),
            Value::Object(map) => map.values().map(|i| count(i, target)).sum(),
            _ => 0,
        }
    }
    count(doc, &target)
}

/// A form operation as the rewrite needs it.
#[derive(Debug, Clone)]
pub(crate) struct FormOp {
    pub(crate) multipart: bool,
    pub(crate) body: bool,
    pub(crate) files: Vec<FileField>,
    /// The operation is the `#form` variant of one that takes JSON.
    pub(crate) alternate: bool,
}

/// Form operations of the converted document, by operationId.
pub(crate) fn form_ops(doc: &Value) -> BTreeMap<String, FormOp> {
    let mut out = BTreeMap::new();
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return out;
    };
    for (path, item) in paths {
        let Some(item) = item.as_object() else {
            continue;
        };
        for op in item.values() {
            let (Some(ext), Some(id)) = (
                op.get(EXTENSION),
                op.get("operationId").and_then(Value::as_str),
            ) else {
                continue;
            };
            let files = ext
                .get("files")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|f| FileField {
                    name: f["name"].as_str().unwrap_or_default().to_string(),
                    many: f["many"].as_bool().unwrap_or(false),
                    required: f["required"].as_bool().unwrap_or(false),
                })
                .collect();
            out.insert(
                id.to_string(),
                FormOp {
                    multipart: ext["media"] == MULTIPART,
                    body: ext["body"].as_bool().unwrap_or(false),
                    files,
                    alternate: path.ends_with(ALTERNATE_SUFFIX),
                },
            );
        }
    }
    out
}

/// Without a support module: a URL-encoded form goes back to progenitor's
/// own encoding (`serde_urlencoded`: flat forms only), and a multipart
/// operation is left out, with the reason in the report.
pub(crate) fn without_support(doc: &mut Value, report: &mut Report) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, op) in item.iter_mut() {
            let Some(ext) = op.as_object_mut().and_then(|o| o.remove(EXTENSION)) else {
                continue;
            };
            if ext["media"] == URLENCODED && !path.ends_with(ALTERNATE_SUFFIX) {
                if let Some(content) = op
                    .pointer_mut("/requestBody/content")
                    .and_then(Value::as_object_mut)
                    && let Some(json) = content.remove("application/json")
                {
                    content.insert(URLENCODED.into(), json);
                }
                continue;
            }
            let media = ext["media"].as_str().unwrap_or(MULTIPART).to_string();
            let shown = path.trim_end_matches(ALTERNATE_SUFFIX);
            report.skip(
                join(&join("/paths", shown), method),
                format!("{media} request body (no form support configured: Options::form_support)"),
            );
            op["x-ionworks-skip"] = json!(true);
        }
    }
}

/// The form fields of a form operation, for the API surface:
/// `multipart/form-data; files: file, extra[]?`.
pub fn describe(operation: &Value) -> Option<String> {
    let ext = operation.get(EXTENSION)?;
    let files: Vec<String> = ext
        .get("files")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|f| {
            format!(
                "{}{}{}",
                f["name"].as_str().unwrap_or_default(),
                if f["many"].as_bool().unwrap_or(false) {
                    "[]"
                } else {
                    ""
                },
                if f["required"].as_bool().unwrap_or(false) {
                    ""
                } else {
                    "?"
                }
            )
        })
        .collect();
    let media = ext["media"].as_str().unwrap_or_default();
    Some(if files.is_empty() {
        media.to_string()
    } else {
        format!("{media}; files: {}", files.join(", "))
    })
}
