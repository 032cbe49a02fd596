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
//! * **here, before conversion** ([`separate`], on the OpenAPI 3.1
//!   document): the body schema's file fields (`{type: string, format:
//!   binary}` or, in 3.1, `contentMediaType`; arrays of them; either
//!   nullable) are taken out of it, and the form (its media type, whether
//!   it has text fields, its files) is returned in [`Forms`], by the
//!   operation's place in the document. An operation that also offers JSON
//!   keeps its JSON body, and a second operation `<name>_form` gets the
//!   form; one that offers both form encodings sends multipart when it has
//!   files, else URL-encoded. Without a support module, a URL-encoded form
//!   goes back to progenitor's own encoding and the others are left out.
//! * **after progenitor** ([`crate::syntax::forms`], given the [`Forms`]):
//!   the builder gets one setter per file field (taking the support
//!   module's `FilePart`; `Vec<FilePart>` for an array) and one per text
//!   field (delegating to the typed body builder), plus `on_progress`;
//!   `send()` checks required files and sends the body as a form through
//!   the support module's `Form` and `attach` (see `Options::form_support`).
//!   The typed mocks match such operations by part name.
//!
//! An OpenAPI document holds one operation per path and method, so the form
//! variant of an operation that also takes JSON is handed to progenitor at
//! its path with [`ALTERNATE_SUFFIX`] appended; the rewrite removes the
//! suffix from the URL again.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::error::{CodegenError, Report, join};

/// The operation extension under which [`Forms::annotate`] describes each
/// form in the converted document, for readers (see [`describe`]).
const EXTENSION: &str = "x-ionworks-form";

/// The path suffix of the form variant of an operation that also takes
/// JSON, in the document progenitor reads.
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

/// The form operations of the OpenAPI 3.1 `doc`, each rewritten for
/// progenitor as a JSON-body operation (see the module docs); `support`: a
/// support module sends form bodies (`Options::form_support`). Runs before
/// the conversion.
pub(crate) fn separate(
    doc: &mut Value,
    support: bool,
    report: &mut Report,
) -> Result<Forms, CodegenError> {
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
    let mut forms = Forms::default();
    for (path, method) in found {
        let Some((place, form)) = separate_operation(doc, &path, &method, report)? else {
            continue;
        };
        if support {
            forms.ops.insert(place, form);
        } else if form.media == URLENCODED && form.api_path.is_none() {
            // progenitor's own encoding (`serde_urlencoded`: flat forms only).
            if let Some(content) = doc
                .pointer_mut(&join(&join(&join("/paths", &path), &method), "requestBody"))
                .and_then(|body| body.get_mut("content"))
                .and_then(Value::as_object_mut)
                && let Some(json) = content.remove("application/json")
            {
                content.insert(URLENCODED.into(), json);
            }
        } else {
            let shown = form.api_path.as_deref().unwrap_or(&path);
            forms.left_out.push(LeftOut {
                pointer: join(&join("/paths", shown), &method),
                reason: format!(
                    "{} request body (no form support configured: Options::form_support)",
                    form.media
                ),
                place,
            });
        }
    }
    Ok(forms)
}

/// The form of the operation at `path` and `method`, and where the
/// operation that takes it is in `doc` (at `path`, or at the alternate path
/// when the operation also takes JSON); `None` when it is not a form after
/// all.
fn separate_operation(
    doc: &mut Value,
    path: &str,
    method: &str,
    report: &mut Report,
) -> Result<Option<(Place, FormOp)>, CodegenError> {
    let op_ptr = join(&join("/paths", path), method);
    let content_ptr = format!("{op_ptr}/requestBody/content");
    let Some(content) = doc
        .pointer(&content_ptr)
        .and_then(Value::as_object)
        .cloned()
    else {
        return Ok(None);
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
        return Ok(None);
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
        return Ok(None);
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
    let mut form = FormOp {
        media,
        body: has_text,
        files,
        api_path: None,
    };

    let Some(op) = doc.pointer_mut(&op_ptr).and_then(Value::as_object_mut) else {
        return Ok(None);
    };
    let mut form_op = op.clone();
    set_form_body(&mut form_op, has_text, body_schema);
    let place = match json_key {
        None => {
            *op = form_op;
            (path.to_string(), method.to_string())
        }
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
            form_op.insert("operationId".into(), json!(format!("{short}_form")));
            report.note(
                &content_ptr,
                format!("JSON body sent by `{short}`; the form by `{short}_form`"),
            );
            if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
                let item = paths.entry(&alternate_path).or_insert_with(|| json!({}));
                if let Some(item) = item.as_object_mut() {
                    item.insert(method.to_string(), Value::Object(form_op));
                }
            }
            form.api_path = Some(path.to_string());
            (alternate_path, method.to_string())
        }
    };
    Ok(Some((place, form)))
}

/// The operation's request body becomes the text fields as JSON (or none).
fn set_form_body(op: &mut Map<String, Value>, has_text: bool, schema: Value) {
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

/// Where an operation is in the document progenitor reads: its path (with
/// [`ALTERNATE_SUFFIX`] for a form variant) and its method.
type Place = (String, String);

/// What [`separate`] found: the form operations the rewrite turns back into
/// forms, and those left out.
#[derive(Debug, Default)]
pub(crate) struct Forms {
    ops: BTreeMap<Place, FormOp>,
    left_out: Vec<LeftOut>,
}

/// A form operation left out: no support module sends its body.
#[derive(Debug)]
struct LeftOut {
    place: Place,
    /// The operation in the spec (for the form variant of an operation that
    /// also takes JSON, that operation).
    pointer: String,
    reason: String,
}

/// A form operation, as the rewrite needs it.
#[derive(Debug, Clone)]
pub(crate) struct FormOp {
    /// `multipart/form-data` or `application/x-www-form-urlencoded`.
    media: &'static str,
    /// The form has text fields: the operation's JSON body holds them.
    pub(crate) body: bool,
    pub(crate) files: Vec<FileField>,
    /// For the form variant of an operation that also takes JSON: that
    /// operation's path (the variant's is this one with
    /// [`ALTERNATE_SUFFIX`]).
    api_path: Option<String>,
}

impl FormOp {
    pub(crate) fn multipart(&self) -> bool {
        self.media == MULTIPART
    }

    /// Whether this is the form variant of an operation that also takes JSON.
    pub(crate) fn alternate(&self) -> bool {
        self.api_path.is_some()
    }

    /// The form as [`describe`] reads it.
    fn description(&self) -> Value {
        json!({
            "media": self.media,
            "body": self.body,
            "files": self.files.iter().map(|f| json!({"name": f.name, "many": f.many, "required": f.required})).collect::<Vec<_>>(),
        })
    }
}

impl Forms {
    /// The operations left out, as `(path, method)` in the document
    /// progenitor reads, each reported with its reason now (after the
    /// conversion, which may report others of the operation's faults).
    pub(crate) fn report_left_out(&self, report: &mut Report) -> Vec<Place> {
        self.left_out
            .iter()
            .map(|l| {
                report.skip(&l.pointer, &l.reason);
                l.place.clone()
            })
            .collect()
    }

    /// The form operations of the converted, named `doc`, by operationId.
    pub(crate) fn by_operation_id(&self, doc: &Value) -> BTreeMap<String, &FormOp> {
        crate::operations(doc)
            .filter_map(|(path, method, op)| {
                let form = self.ops.get(&(path.to_string(), method.to_string()))?;
                let id = op.get("operationId")?.as_str()?;
                Some((id.to_string(), form))
            })
            .collect()
    }

    /// The path of the operation at `path` and `method` of the converted
    /// document in the API: `path`, but for a form variant.
    pub(crate) fn api_path<'a>(&'a self, path: &'a str, method: &str) -> &'a str {
        self.ops
            .get(&(path.to_string(), method.to_string()))
            .and_then(|form| form.api_path.as_deref())
            .unwrap_or(path)
    }

    /// Describes each form operation of the converted `doc` under the
    /// extension `x-ionworks-form` (what [`describe`] reads): the document
    /// progenitor read has only the JSON body of the form's text fields.
    pub(crate) fn annotate(&self, doc: &mut Value) {
        for ((path, method), form) in &self.ops {
            if let Some(op) = doc
                .get_mut("paths")
                .and_then(|paths| paths.get_mut(path))
                .and_then(|item| item.get_mut(method))
                .and_then(Value::as_object_mut)
            {
                op.insert(EXTENSION.into(), form.description());
            }
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
