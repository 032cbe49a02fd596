//! Faithful down-conversion of an OpenAPI 3.1 (JSON Schema 2020-12) document
//! to the OpenAPI 3.0.3 dialect that `openapiv3` and progenitor read, plus the
//! normalisations that keep progenitor 0.15 / typify 0.8 from panicking or
//! silently generating wrong types.
//!
//! Everything works on `serde_json::Value` so that every rewrite knows the
//! JSON pointer of what it touches; typed parsing happens afterwards.

use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use serde_json::{Map, Value, json};

use crate::HTTP_METHODS;
use crate::document::{
    component_name, component_schemas, component_schemas_mut, each_operation_mut, operations,
};
use crate::error::{CodegenError, Ptr, Report};
use crate::schema::{self, Place};

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

pub(crate) struct Converted {
    pub doc: Value,
    pub constraints: Vec<FieldConstraint>,
    /// `(component, property, description)` of properties that are a `$ref`
    /// with a `description` beside it: OpenAPI 3.0 ignores siblings of
    /// `$ref` (and typify with it), so the rewrite puts the description on
    /// the field.
    pub ref_docs: Vec<(String, String, String)>,
}

/// JSON Schema 2020-12 keywords with no OpenAPI 3.0 counterpart; they only
/// ever narrow validation, so dropping them keeps every valid value valid.
const DROPPED_KEYWORDS: [&str; 19] = [
    "$schema",
    "$id",
    "$comment",
    "$anchor",
    "$dynamicRef",
    "$dynamicAnchor",
    "$defs",
    "definitions",
    "patternProperties",
    "unevaluatedProperties",
    "unevaluatedItems",
    "propertyNames",
    "dependentRequired",
    "dependentSchemas",
    "if",
    "then",
    "else",
    "contains",
    "contentSchema",
];

/// Validation keywords that typify turns into types that reject data
/// (constrained newtypes, narrower integers). They are removed from the
/// converted document; request-side bounds are enforced by generated checks.
const CONSTRAINT_KEYWORDS: [&str; 12] = [
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

type Result<T> = std::result::Result<T, CodegenError>;

/// Component schema name → the component schemas it references.
pub(crate) type Graph = BTreeMap<String, BTreeSet<String>>;

/// Schema objects have a handful of members: below this many, comparing
/// keys is cheaper than hashing the wanted one (serde_json's map hashes with
/// SipHash), and the converter looks up dozens of keywords per schema.
const SMALL_MAP: usize = 8;

fn member<'a>(o: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    if o.len() <= SMALL_MAP {
        o.iter().find_map(|(k, v)| (k == key).then_some(v))
    } else {
        o.get(key)
    }
}

fn member_mut<'a>(o: &'a mut Map<String, Value>, key: &str) -> Option<&'a mut Value> {
    if o.len() <= SMALL_MAP {
        o.iter_mut().find_map(|(k, v)| (k == key).then_some(v))
    } else {
        o.get_mut(key)
    }
}

fn has_member(o: &Map<String, Value>, key: &str) -> bool {
    member(o, key).is_some()
}

/// `o.remove(key)` (the same `swap_remove`), without hashing an absent key.
fn take_member(o: &mut Map<String, Value>, key: &str) -> Option<Value> {
    if has_member(o, key) {
        o.remove(key)
    } else {
        None
    }
}

/// Remove each of `keys` that `o` has, in the order of `keys` (so the
/// result is the same as calling `o.remove` for each). A schema object has
/// a handful of members and the lists are long: one pass over the members
/// replaces a hash lookup per listed keyword, which on every schema node was
/// a large part of the conversion's time.
fn remove_keys(o: &mut Map<String, Value>, keys: &[&str]) {
    let mut present = 0u64;
    for k in o.keys() {
        if let Some(i) = keys.iter().position(|c| c == k) {
            present |= 1 << i;
        }
    }
    if present == 0 {
        return;
    }
    for (i, k) in keys.iter().enumerate() {
        if present & (1 << i) != 0 {
            o.remove(*k);
        }
    }
}

static ROOT: Ptr<'static> = Ptr::Root("");
static COMPONENTS: Ptr<'static> = Ptr::Root("/components");
static SCHEMAS: Ptr<'static> = Ptr::Root("/components/schemas");
static PATHS: Ptr<'static> = Ptr::Root("/paths");

/// Convert `doc` in place-order and return the 3.0 document.
pub(crate) fn convert(mut doc: Value, report: &mut Report) -> Result<Converted> {
    let root = doc
        .as_object_mut()
        .ok_or_else(|| CodegenError::new("", "document", "expected a JSON object at the root"))?;
    check_version(root)?;
    root.insert("openapi".into(), json!("3.0.3"));
    for key in ["webhooks", "jsonSchemaDialect"] {
        if root.remove(key).is_some() {
            report.note(ROOT.key(key), "dropped: not part of OpenAPI 3.0");
        }
    }
    if let Some(info) = root.get_mut("info").and_then(Value::as_object_mut) {
        info.remove("summary");
        if let Some(license) = info.get_mut("license").and_then(Value::as_object_mut) {
            license.remove("identifier");
        }
    } else {
        return Err(CodegenError::new(
            "/info",
            "info",
            "missing or not an object (required by OpenAPI)",
        ));
    }
    root.entry("paths").or_insert_with(|| json!({}));
    check_refs(&doc)?;
    check_alias_cycles(&doc)?;
    let ref_docs = ref_descriptions(&doc);
    let root = doc.as_object_mut().expect("checked above");

    let mut cx = Cx { report };
    // Components first: operations may inline their parameters/bodies/responses.
    if let Some(components) = root.get_mut("components") {
        let components = components
            .as_object_mut()
            .ok_or_else(|| CodegenError::new("/components", "components", "expected an object"))?;
        components.remove("pathItems");
        if let Some(schemas) = components.get_mut("schemas") {
            let schemas = as_object(schemas, &SCHEMAS, "schemas")?;
            for (name, schema) in schemas.iter_mut() {
                let ptr = SCHEMAS.key(name);
                cx.schema(schema, &ptr, true)?;
            }
        }
        for kind in ["parameters", "headers", "responses", "requestBodies"] {
            if let Some(section) = components.get_mut(kind) {
                let base = COMPONENTS.key(kind);
                let section = as_object(section, &base, kind)?;
                for (name, item) in section.iter_mut() {
                    let ptr = base.key(name);
                    match kind {
                        "parameters" | "headers" => cx.parameter_schemas(item, &ptr)?,
                        "responses" => cx.response_schemas(item, &ptr)?,
                        _ => cx.content_schemas(item, &ptr)?,
                    }
                }
            }
        }
    }
    // Paths are converted out of the document (and put back in place) so
    // that they can read the converted components without a copy of them.
    let mut paths = std::mem::take(root.get_mut("paths").expect("inserted above"));
    let no_components = json!({});
    let components = root.get("components").unwrap_or(&no_components);
    for (path, item) in as_object(&mut paths, &PATHS, "paths")?.iter_mut() {
        let item_ptr = PATHS.key(path);
        cx.path_item(path, item, &item_ptr, components)?;
    }
    *root.get_mut("paths").expect("inserted above") = paths;

    let mut converted = Converted {
        doc,
        constraints: Vec::new(),
        ref_docs,
    };
    // The reference graph of the components, rebuilt only after a step
    // that changed it.
    let mut graph = schema_graph(&converted.doc);
    if split_recursive_nullable_roots(&mut converted.doc, &graph, cx.report) {
        graph = schema_graph(&converted.doc);
    }
    if simplify_recursive_all_of(&mut converted.doc, &graph, cx.report) {
        graph = schema_graph(&converted.doc);
    }
    lenient_and_constraints(&mut converted, &graph, cx.report);
    Ok(converted)
}

/// The descriptions written beside a `$ref` on a component's property.
fn ref_descriptions(doc: &Value) -> Vec<(String, String, String)> {
    let Some(schemas) = component_schemas(doc) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (component, schema) in schemas {
        let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
            continue;
        };
        for (property, p) in properties {
            if let (Some(_), Some(Value::String(description))) =
                (p.get("$ref"), p.get("description"))
            {
                out.push((component.clone(), property.clone(), description.clone()));
            }
        }
    }
    out
}

fn check_version(root: &Map<String, Value>) -> Result<()> {
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

fn as_object<'a>(
    v: &'a mut Value,
    ptr: &Ptr<'_>,
    what: &str,
) -> Result<&'a mut Map<String, Value>> {
    v.as_object_mut()
        .ok_or_else(|| CodegenError::new(ptr, what, "expected a JSON object"))
}

fn as_array<'a>(v: &'a mut Value, ptr: &Ptr<'_>, what: &str) -> Result<&'a mut Vec<Value>> {
    v.as_array_mut()
        .ok_or_else(|| CodegenError::new(ptr, what, "expected a JSON array"))
}

/// The error for the member `key` of the `what` at `ptr` unless `ok`.
fn member_type(ok: bool, ptr: &Ptr<'_>, key: &str, what: &str, wrong: &str) -> Result<()> {
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

/// Resolve a local `$ref` such as `#/components/parameters/Limit`.
fn resolve<'a>(components: &'a Value, reference: &str) -> Option<&'a Value> {
    let rest = reference.strip_prefix("#/components")?;
    components.pointer(rest)
}

/// The parameters of `list` with local `$ref`s replaced by their targets.
fn resolve_parameters(list: &mut Value, ptr: &Ptr<'_>, components: &Value) -> Result<Vec<Value>> {
    let list = as_array(list, ptr, "parameters")?;
    list.drain(..)
        .enumerate()
        .map(|(i, p)| match p.get("$ref") {
            Some(Value::String(r)) => resolve(components, r).cloned().ok_or_else(|| {
                CodegenError::new(
                    ptr.index(i),
                    "parameter $ref",
                    format!("unresolved reference {r}"),
                )
            }),
            _ => Ok(p),
        })
        .collect()
}

/// FastAPI's `{"type": "null"}` (or its already-converted form).
fn is_null_schema(v: &Value) -> bool {
    let Some(o) = v.as_object() else {
        return false;
    };
    let structural = o
        .keys()
        .filter(|k| !matches!(k.as_str(), "title" | "description" | "nullable"))
        .count();
    match (member(o, "type"), member(o, "enum")) {
        (Some(Value::String(t)), None) => t == "null" && structural == 1,
        (None, Some(Value::Array(e))) => e.len() == 1 && e[0].is_null() && structural == 1,
        _ => false,
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

struct Cx<'r> {
    report: &'r mut Report,
}

impl Cx<'_> {
    fn path_item(
        &mut self,
        path: &str,
        item: &mut Value,
        ptr: &Ptr<'_>,
        components: &Value,
    ) -> Result<()> {
        let item = as_object(item, ptr, "path item")?;
        if item.contains_key("$ref") {
            return Err(CodegenError::new(
                ptr,
                "path item $ref",
                "path items defined by reference are not supported; inline the path item",
            ));
        }
        // Path-level parameters apply to every operation; progenitor reads them,
        // but merging keeps every operation-level rewrite in one place. Both
        // lists are resolved first so that `$ref`s merge by name and location.
        let shared = match item.remove("parameters") {
            Some(mut shared) => {
                resolve_parameters(&mut shared, &ptr.key("parameters"), components)?
            }
            None => Vec::new(),
        };
        for method in HTTP_METHODS {
            let Some(op) = item.get_mut(method) else {
                continue;
            };
            let op_ptr = ptr.key(method);
            let op_obj = as_object(op, &op_ptr, "operation")?;
            if let Some(params) = op_obj.get_mut("parameters") {
                let resolved = resolve_parameters(params, &op_ptr.key("parameters"), components)?;
                *params = Value::Array(resolved);
            }
            if !shared.is_empty() {
                let params = op_obj.entry("parameters").or_insert_with(|| json!([]));
                let params = as_array(params, &op_ptr.key("parameters"), "parameters")?;
                let key = |v: &Value| (v.get("name").cloned(), v.get("in").cloned());
                for p in &shared {
                    if !params.iter().any(|q| key(q) == key(p)) {
                        params.push(p.clone());
                    }
                }
            }
            self.operation(path, method, op, &op_ptr, components)?;
        }
        Ok(())
    }

    fn operation(
        &mut self,
        path: &str,
        method: &str,
        op: &mut Value,
        ptr: &Ptr<'_>,
        components: &Value,
    ) -> Result<()> {
        let op = as_object(op, ptr, "operation")?;
        for (key, ok) in [
            ("summary", op.get("summary").is_none_or(Value::is_string)),
            (
                "description",
                op.get("description").is_none_or(Value::is_string),
            ),
            (
                "operationId",
                op.get("operationId").is_none_or(Value::is_string),
            ),
            (
                "deprecated",
                op.get("deprecated").is_none_or(Value::is_boolean),
            ),
            (
                "tags",
                op.get("tags")
                    .is_none_or(|t| t.as_array().is_some_and(|t| t.iter().all(Value::is_string))),
            ),
            (
                "parameters",
                op.get("parameters").is_none_or(Value::is_array),
            ),
            (
                "responses",
                op.get("responses").is_none_or(Value::is_object),
            ),
        ] {
            member_type(ok, ptr, key, "operation", "has the wrong JSON type")?;
        }
        if !matches!(op.get("operationId"), Some(Value::String(s)) if !s.is_empty()) {
            let synthesized = format!("{method}{}", fastapi_path_suffix(path));
            self.report.note(
                ptr,
                format!("no operationId; named `{synthesized}` from method and path"),
            );
            op.insert("operationId".into(), json!(synthesized));
        }
        if let Some(Value::Array(tags)) = op.get_mut("tags") {
            let mut seen = BTreeSet::new();
            tags.retain(|t| seen.insert(t.to_string()));
        }
        op.remove("callbacks");

        // Parameters.
        let mut declared_path_params = BTreeSet::new();
        if let Some(params) = op.get_mut("parameters") {
            let params_ptr = ptr.key("parameters");
            let params = as_array(params, &params_ptr, "parameters")?;
            let mut kept = Vec::with_capacity(params.len());
            for (i, mut p) in params.drain(..).enumerate() {
                let p_ptr = params_ptr.index(i);
                let location = p
                    .get("in")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                let name = p
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                match location.as_str() {
                    "cookie" => {
                        self.report.note(
                            p_ptr,
                            format!("cookie parameter `{name}` dropped: cookies belong to the HTTP client"),
                        );
                        continue;
                    }
                    "path" => {
                        declared_path_params.insert(name.clone());
                    }
                    "query" | "header" => {}
                    other => {
                        return Err(CodegenError::new(
                            p_ptr,
                            "parameter",
                            format!("unknown parameter location {other:?}"),
                        ));
                    }
                }
                self.parameter(&mut p, &p_ptr, &location)?;
                kept.push(p);
            }
            *params = kept;
        }
        // A path template variable nobody declared makes progenitor panic
        // (`method.rs`: "{} missing from path"); declare it as a string.
        for var in path_variables(path) {
            if !declared_path_params.contains(&var) {
                self.report.note(
                    ptr,
                    format!("path parameter `{var}` used in the path but not declared; added as a string"),
                );
                let params = op.entry("parameters").or_insert_with(|| json!([]));
                if let Some(params) = params.as_array_mut() {
                    params.push(json!({"name": var, "in": "path", "required": true, "schema": {"type": "string"}}));
                }
            }
        }

        // Request body.
        if let Some(body) = op.get_mut("requestBody") {
            let body_ptr = ptr.key("requestBody");
            if let Some(Value::String(r)) = body.get("$ref") {
                *body = resolve(components, r).cloned().ok_or_else(|| {
                    CodegenError::new(
                        body_ptr,
                        "requestBody $ref",
                        format!("unresolved reference {r}"),
                    )
                })?;
            }
            if let Some(reason) = self.request_body(body, &body_ptr)? {
                self.report.skip(ptr, reason);
                op.insert("x-ionworks-skip".into(), json!(true));
                return Ok(());
            }
        }

        // Responses.
        let responses_ptr = ptr.key("responses");
        let responses = op
            .entry("responses")
            .or_insert_with(|| json!({"default": {"description": ""}}));
        let responses = as_object(responses, &responses_ptr, "responses")?;
        for (status, response) in responses.iter_mut() {
            let r_ptr = responses_ptr.key(status);
            if let Some(Value::String(r)) = response.get("$ref") {
                *response = resolve(components, r).cloned().ok_or_else(|| {
                    CodegenError::new(r_ptr, "response $ref", format!("unresolved reference {r}"))
                })?;
            }
            self.response_schemas(response, &r_ptr)?;
        }
        self.normalise_response_sides(responses, &responses_ptr);
        Ok(())
    }

    fn parameter(&mut self, p: &mut Value, ptr: &Ptr<'_>, location: &str) -> Result<()> {
        let p = as_object(p, ptr, "parameter")?;
        for (key, ok) in [
            ("name", p.get("name").is_some_and(Value::is_string)),
            ("required", p.get("required").is_none_or(Value::is_boolean)),
            (
                "description",
                p.get("description").is_none_or(Value::is_string),
            ),
            (
                "deprecated",
                p.get("deprecated").is_none_or(Value::is_boolean),
            ),
        ] {
            member_type(
                ok,
                ptr,
                key,
                "parameter",
                "is missing or has the wrong JSON type",
            )?;
        }
        if !p.contains_key("schema") {
            // `content`-style parameters: progenitor needs a schema.
            let schema = p
                .remove("content")
                .and_then(|c| c.as_object().and_then(|c| c.values().next().cloned()))
                .and_then(|m| m.get("schema").cloned())
                .unwrap_or_else(|| json!({"type": "string"}));
            p.insert("schema".into(), schema);
        }
        let schema_ptr = ptr.key("schema");
        let schema = p.get_mut("schema").expect("inserted above");
        self.schema(schema, &schema_ptr, false)?;
        if let Some(s) = schema.as_object_mut() {
            // An absent optional parameter already means "null": a nullable
            // parameter schema would make progenitor emit `Option<Option<T>>`
            // (and header parameters fail to compile without `Display`).
            s.remove("nullable");
            if location == "header" && s.get("type") == Some(&json!("array")) {
                self.report.note(
                    ptr,
                    "array header parameter sent as one comma-separated string",
                );
                *s = Map::from_iter([("type".to_string(), json!("string"))]);
            }
            if location == "header" && s.contains_key("oneOf") {
                self.report
                    .note(ptr, "union-typed header parameter sent as a string");
                *s = Map::from_iter([("type".to_string(), json!("string"))]);
            }
        }
        Ok(())
    }

    fn parameter_schemas(&mut self, p: &mut Value, ptr: &Ptr<'_>) -> Result<()> {
        if let Some(schema) = p.get_mut("schema") {
            self.schema(schema, &ptr.key("schema"), false)?;
        }
        Ok(())
    }

    fn response_schemas(&mut self, response: &mut Value, ptr: &Ptr<'_>) -> Result<()> {
        if let Some(headers) = response.get_mut("headers").and_then(Value::as_object_mut) {
            for (name, h) in headers.iter_mut() {
                self.parameter_schemas(h, &ptr.key("headers").key(name))?;
            }
        }
        self.content_schemas(response, ptr)
    }

    /// Convert the schema of every media type under `holder.content`.
    fn content_schemas(&mut self, holder: &mut Value, ptr: &Ptr<'_>) -> Result<()> {
        let Some(content) = holder.get_mut("content") else {
            return Ok(());
        };
        let content_ptr = ptr.key("content");
        let content = as_object(content, &content_ptr, "content")?;
        for (media, mt) in content.iter_mut() {
            let mt_ptr = content_ptr.key(media);
            let mt = as_object(mt, &mt_ptr, "media type")?;
            // progenitor: panics with "media type encoding, no schema".
            let schema = mt.entry("schema").or_insert_with(|| json!({}));
            self.schema(schema, &mt_ptr.key("schema"), false)?;
            // progenitor: asserts `mt.encoding.is_empty()` and panics with "media type encoding not empty".
            mt.remove("encoding");
            if let Some(examples) = mt.remove("examples")
                && !mt.contains_key("example")
                && let Some(first) = examples
                    .as_object()
                    .and_then(|e| e.values().next())
                    .and_then(|e| e.get("value"))
            {
                mt.insert("example".into(), first.clone());
            }
        }
        Ok(())
    }

    /// Pick the one body media type progenitor can send. Returns the reason
    /// when the operation cannot be generated at all.
    fn request_body(&mut self, body: &mut Value, ptr: &Ptr<'_>) -> Result<Option<String>> {
        self.content_schemas(body, ptr)?;
        let content_ptr = ptr.key("content");
        let Some(content) = body.get_mut("content") else {
            return Ok(None);
        };
        let content = as_object(content, &content_ptr, "content")?;
        let base = |m: &str| m.split(';').next().unwrap_or(m).trim().to_ascii_lowercase();
        let supported = |m: &str| {
            matches!(
                base(m).as_str(),
                "application/json"
                    | "application/x-www-form-urlencoded"
                    | "application/octet-stream"
                    | "text/plain"
            )
        };
        let preferred = [
            "application/json",
            "application/x-www-form-urlencoded",
            "application/octet-stream",
            "text/plain",
        ];
        let chosen = preferred
            .iter()
            .find_map(|p| content.keys().find(|k| base(k) == *p).cloned())
            .or_else(|| content.keys().find(|k| base(k).ends_with("+json")).cloned());
        let Some(chosen) = chosen else {
            let kinds: Vec<_> = content.keys().cloned().collect();
            return Ok(Some(if kinds.is_empty() {
                "request body declares no media type".to_string()
            } else {
                format!(
                    "request body media type {} is not supported by progenitor (no multipart or custom body support)",
                    kinds.join(", ")
                )
            }));
        };
        if content.len() > 1 {
            let dropped: Vec<_> = content.keys().filter(|k| **k != chosen).cloned().collect();
            self.report.note(
                content_ptr,
                format!(
                    "request body sent as {chosen}; alternative media types {} dropped",
                    dropped.join(", ")
                ),
            );
            content.retain(|k, _| *k == chosen);
        }
        if !supported(&chosen) {
            // `application/vnd.x+json`: send as JSON.
            let mt = content.remove(&chosen).expect("present");
            content.insert("application/json".into(), mt);
        }
        if base(&chosen) == "application/octet-stream" {
            // progenitor insists on `{type: string, format: binary}` for raw bodies.
            if let Some(mt) = content.values_mut().next() {
                mt["schema"] = json!({"type": "string", "format": "binary"});
            }
        }
        Ok(None)
    }

    /// progenitor allows one response *kind* per side (success / error):
    /// `method.rs`: `assert!(response_types.len() <= 1)`. Keep JSON where a
    /// side has it, merge several JSON schemas into one `oneOf`, and give
    /// content-less responses next to raw ones an octet-stream body (lossless).
    fn normalise_response_sides(&mut self, responses: &mut Map<String, Value>, ptr: &Ptr<'_>) {
        // 3.0 status keys are strings; lower-case `2xx` is accepted by openapiv3 as-is.
        let has_explicit = responses.keys().any(|k| k != "default");
        if has_explicit && responses.contains_key("default") {
            // `default` counts as success *and* error in progenitor.
            responses.remove("default");
            self.report.note(
                ptr.key("default"),
                "`default` response dropped next to explicit statuses; it surfaces as an unexpected-response error",
            );
        }
        let is_success = |k: &str| k.starts_with('2') || k == "101" || k == "default";
        for success in [true, false] {
            let keys: Vec<String> = responses
                .keys()
                .filter(|k| is_success(k) == success)
                .cloned()
                .collect();
            let json_media = |r: &Value| -> Option<String> {
                r.get("content")?
                    .as_object()?
                    .keys()
                    .find(|m| *m == "application/json" || m.starts_with("application/json;"))
                    .cloned()
            };
            let with_json: Vec<&String> = keys
                .iter()
                .filter(|k| json_media(&responses[*k]).is_some())
                .collect();
            if !with_json.is_empty() {
                // Distinct schemas among the JSON responses.
                let mut schemas: Vec<Value> = Vec::new();
                for k in &with_json {
                    let r = &responses[*k];
                    let media = json_media(r).expect("filtered");
                    let s = r["content"][&media]
                        .get("schema")
                        .cloned()
                        .unwrap_or_else(|| json!({}));
                    if !schemas.contains(&s) {
                        schemas.push(s);
                    }
                }
                let merged = if schemas.len() > 1 {
                    self.report.note(
                        ptr,
                        format!(
                            "{} responses {} have different JSON bodies; merged into one untagged union",
                            if success { "success" } else { "error" },
                            with_json.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
                        ),
                    );
                    Some(json!({"oneOf": schemas}))
                } else {
                    None
                };
                let with_json: Vec<String> = with_json.into_iter().cloned().collect();
                for k in &keys {
                    let r = responses.get_mut(k).expect("listed");
                    if with_json.contains(k) {
                        let media = json_media(r).expect("filtered");
                        let content = r["content"].as_object_mut().expect("checked");
                        let mut mt = content.remove(&media).expect("present");
                        if let Some(m) = &merged {
                            mt["schema"] = m.clone();
                        }
                        content.clear();
                        content.insert("application/json".into(), mt);
                    } else {
                        self.report.note(
                            ptr.key(k),
                            "non-JSON response dropped next to JSON ones on the same side; it surfaces as an unexpected-response error",
                        );
                        responses.remove(k);
                    }
                }
            } else {
                let any_raw = keys.iter().any(|k| {
                    responses[k]
                        .get("content")
                        .and_then(Value::as_object)
                        .is_some_and(|c| !c.is_empty())
                });
                if any_raw {
                    for k in &keys {
                        let r = responses.get_mut(k).expect("listed");
                        let empty = r
                            .get("content")
                            .and_then(Value::as_object)
                            .is_none_or(|c| c.is_empty());
                        if empty {
                            r["content"] = json!({"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}});
                        }
                    }
                }
            }
        }
    }

    /// Convert one schema (and everything below it) to the 3.0 dialect.
    fn schema(&mut self, v: &mut Value, ptr: &Ptr<'_>, component_root: bool) -> Result<()> {
        match v {
            Value::Bool(true) => {
                *v = json!({});
                return Ok(());
            }
            Value::Bool(false) => {
                *v = json!({"not": {}});
                return Ok(());
            }
            Value::Object(_) => {}
            _ => {
                return Err(CodegenError::new(
                    ptr,
                    "schema",
                    "expected an object or a boolean",
                ));
            }
        }
        let o = v.as_object_mut().expect("matched");
        // Most schemas are leaves none of the rewrites below apply to (a
        // typed scalar with a title, a lone `$ref`): check them and stop.
        if is_plain_leaf(o) {
            check_keywords(o, ptr)?;
            if !component_root {
                take_member(o, "title");
            }
            check_default(o, ptr, self.report);
            return Ok(());
        }
        remove_keys(o, &DROPPED_KEYWORDS);
        check_keywords(o, ptr)?;
        remove_keys(o, &["minContains", "maxContains"]);

        // Tuples: 3.0 has no positional items. `prefixItems` (or draft-4
        // `items: [...]`) and any schema for the remaining items become one
        // `items` schema accepting each of them, before the children are
        // converted (so `items: false` still means "no further items").
        let legacy_tuple = member(o, "items").is_some_and(Value::is_array);
        if legacy_tuple || has_member(o, "prefixItems") {
            let mut parts: Vec<Value> = Vec::new();
            let prefix = if legacy_tuple {
                take_member(o, "items")
            } else {
                take_member(o, "prefixItems")
            };
            if let Some(Value::Array(prefix)) = prefix {
                parts.extend(prefix);
            }
            match take_member(o, "items") {
                Some(Value::Bool(false)) | None => {}
                Some(Value::Bool(true)) => parts.push(json!({})),
                Some(rest) => parts.push(rest),
            }
            let mut distinct: Vec<Value> = Vec::new();
            for p in parts {
                if !distinct.contains(&p) {
                    distinct.push(p);
                }
            }
            let items = match distinct.len() {
                0 => json!({}),
                1 => distinct.remove(0),
                _ if distinct.contains(&json!({})) => json!({}),
                _ => json!({"oneOf": distinct}),
            };
            o.insert("items".into(), items);
            o.insert("type".into(), json!("array"));
            self.report.note(
                ptr,
                "tuple (`prefixItems`) generated as a list of its item types",
            );
        }

        // Children first.
        if let Some(props) = member_mut(o, "properties") {
            let pptr = ptr.key("properties");
            let props = as_object(props, &pptr, "properties")?;
            for (name, p) in props.iter_mut() {
                self.schema(p, &pptr.key(name), false)?;
            }
        }
        for key in ["items", "not"] {
            if let Some(child) = member_mut(o, key) {
                self.schema(child, &ptr.key(key), false)?;
            }
        }
        if let Some(ap) = member_mut(o, "additionalProperties") {
            if ap.is_object() {
                self.schema(ap, &ptr.key("additionalProperties"), false)?;
            } else if !ap.is_boolean() {
                return Err(CodegenError::new(
                    ptr.key("additionalProperties"),
                    "additionalProperties",
                    "expected a schema or a boolean",
                ));
            }
        }
        for key in ["allOf", "anyOf", "oneOf"] {
            if let Some(list) = member_mut(o, key) {
                let lptr = ptr.key(key);
                let list = as_array(list, &lptr, key)?;
                for (i, s) in list.iter_mut().enumerate() {
                    self.schema(s, &lptr.index(i), false)?;
                }
            }
        }

        // `const` → single-value `enum` (keeps discriminated unions decodable).
        if let Some(c) = take_member(o, "const") {
            o.entry("enum").or_insert_with(|| json!([c]));
        }
        // `examples` (array) → `example`.
        if let Some(examples) = take_member(o, "examples")
            && let Some(first) = examples.as_array().and_then(|e| e.first())
        {
            o.entry("example").or_insert_with(|| first.clone());
        }
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
        // contentMediaType / contentEncoding → binary / byte strings.
        let encoding = take_member(o, "contentEncoding");
        let media = take_member(o, "contentMediaType");
        if encoding.is_some() || media.is_some() {
            let base64 = encoding
                .as_ref()
                .and_then(Value::as_str)
                .is_some_and(|e| e.eq_ignore_ascii_case("base64"));
            o.insert("type".into(), json!("string"));
            o.insert(
                "format".into(),
                json!(if base64 { "byte" } else { "binary" }),
            );
        }
        // `type: [T, "null"]` and multi-type arrays.
        if member(o, "type").is_some_and(Value::is_array)
            && let Some(Value::Array(types)) = take_member(o, "type")
        {
            let nullable = types.iter().any(|t| t == "null");
            let rest: Vec<Value> = types.into_iter().filter(|t| t != "null").collect();
            match rest.len() {
                0 => {
                    o.insert("enum".into(), json!([null]));
                }
                1 => {
                    o.insert("type".into(), rest[0].clone());
                }
                _ => {
                    let branches: Vec<Value> = rest.iter().map(|t| json!({"type": t})).collect();
                    o.insert("oneOf".into(), json!(branches));
                }
            }
            if nullable && !rest.is_empty() {
                o.insert("nullable".into(), json!(true));
            }
        }
        // Nullable unions: `anyOf`/`oneOf` with a null branch.
        for key in ["anyOf", "oneOf"] {
            if !member(o, key).is_some_and(Value::is_array) {
                continue;
            }
            let Some(Value::Array(branches)) = take_member(o, key) else {
                continue;
            };
            let nullable = branches.iter().any(is_null_schema);
            let rest: Vec<Value> = branches
                .into_iter()
                .filter(|b| !is_null_schema(b))
                .collect();
            match rest.len() {
                0 => {
                    o.insert("enum".into(), json!([null]));
                }
                1 => {
                    let branch = rest.into_iter().next().expect("one");
                    merge_single_branch(o, branch);
                }
                // typify makes a struct of flattened optional fields out of an
                // `anyOf` with several branches (and panics on it as a path
                // parameter); an untagged `oneOf` is the faithful reading.
                _ => {
                    o.insert("oneOf".into(), Value::Array(rest));
                }
            }
            if nullable && !member(o, "enum").is_some_and(|e| e == &json!([null])) {
                o.insert("nullable".into(), json!(true));
            }
        }
        // `{type: "null"}` → `{enum: [null]}` (typify: `invalid type: null` panic otherwise).
        if member(o, "type") == Some(&json!("null")) {
            take_member(o, "type");
            o.insert("enum".into(), json!([null]));
        }
        self.enum_values(o, ptr);
        // `$ref` with siblings: 3.0 ignores siblings of `$ref`.
        if has_member(o, "$ref") && o.len() > 1 {
            let keep_meaning = has_member(o, "nullable") || has_member(o, "default");
            let reference = take_member(o, "$ref").expect("present");
            if keep_meaning {
                o.insert("allOf".into(), json!([{"$ref": reference}]));
            } else {
                // Only annotations (description, title, examples…): the reference alone carries the type.
                o.clear();
                o.insert("$ref".into(), reference);
            }
        }
        if let Some(d) = member(o, "discriminator")
            && d.get("propertyName").and_then(Value::as_str).is_none()
        {
            take_member(o, "discriminator");
            self.report
                .note(ptr, "discriminator without propertyName dropped");
        }
        // pydantic titles every property; typify names inline types after the
        // title and silently merges same-named types (typify `add_type_with_name`).
        if !component_root {
            take_member(o, "title");
        }
        check_default(o, ptr, self.report);
        Ok(())
    }

    /// Enum values: strip `null` into `nullable`, split untyped mixed enums
    /// (typify: "multiple implied types for an un-typed enum" panic).
    fn enum_values(&mut self, o: &mut Map<String, Value>, ptr: &Ptr<'_>) {
        let Some(Value::Array(values)) = member(o, "enum").cloned() else {
            if member(o, "enum").is_some() {
                take_member(o, "enum");
            }
            return;
        };
        if values.is_empty() {
            take_member(o, "enum");
            return;
        }
        if values.len() == 1 && values[0].is_null() {
            return;
        }
        let has_null = values.iter().any(Value::is_null);
        let non_null: Vec<Value> = values.into_iter().filter(|v| !v.is_null()).collect();
        if non_null.iter().any(|v| v.is_object() || v.is_array()) {
            take_member(o, "enum");
            self.report
                .note(ptr, "enum of objects or arrays generated as its base type");
            return;
        }
        let mut groups: BTreeMap<&'static str, Vec<Value>> = BTreeMap::new();
        for v in non_null {
            let t = match json_type(&v) {
                "integer" if member(o, "type") == Some(&json!("number")) => "number",
                t => t,
            };
            groups.entry(t).or_default().push(v);
        }
        if has_null {
            o.insert("nullable".into(), json!(true));
        }
        if let Some(strings) = groups.get_mut("string") {
            let renamed = distinct_variant_names(strings);
            if let Some(Value::String(d)) = member_mut(o, "default")
                && let Some((_, placeholder)) = renamed.iter().find(|(wire, _)| wire == d)
            {
                *d = placeholder.clone();
            }
        }
        if groups.len() == 1 {
            let (t, vals) = groups.into_iter().next().expect("one");
            o.insert("enum".into(), Value::Array(vals));
            o.entry("type").or_insert_with(|| json!(t));
        } else {
            take_member(o, "enum");
            take_member(o, "type");
            let branches: Vec<Value> = groups
                .into_iter()
                .map(|(t, vals)| json!({"type": t, "enum": vals}))
                .collect();
            o.insert("oneOf".into(), Value::Array(branches));
        }
    }
}

/// Separates a string enum value from the number that gives its variant a
/// name of its own (see [`distinct_variant_names`]); the rewrite of open
/// enums keeps only what is before it.
pub(crate) const VARIANT_SEPARATOR: char = '\u{1f}';

/// typify 0.8 names the variants of a string enum after their values
/// (`TypeEntryEnum::from_metadata` in `typify-impl/src/type_entry.rs`:
/// Pascal case, then, if that collides, with `_` and other non-identifier
/// characters spelled `X`) and panics "Failed to make unique variant names"
/// when both collide, as values that differ only in case do (SCIM's `add`,
/// `Add`). Then each colliding value after the first becomes
/// `value\u{1f}n` (variant `ValueN`), which the rewrite turns back into
/// `value` on the wire; exact duplicates are dropped. Returns the
/// `(value, placeholder)` pairs.
fn distinct_variant_names(values: &mut Vec<Value>) -> Vec<(String, String)> {
    use heck::ToPascalCase;
    fn first_pass(v: &str) -> String {
        v.replace('\'', "")
            .replace(|c: char| !(c.is_alphanumeric() || c == '_'), "-")
            .to_pascal_case()
    }
    fn second_pass(v: &str) -> String {
        first_pass(&v.replace(|c: char| !c.is_alphanumeric(), "X"))
    }
    let strings: Vec<&str> = values.iter().filter_map(Value::as_str).collect();
    let unique = |name: fn(&str) -> String| {
        let mut names: Vec<String> = strings.iter().map(|v| name(v)).collect();
        names.sort();
        names.windows(2).all(|w| w[0] != w[1])
    };
    if unique(first_pass) || unique(second_pass) {
        return Vec::new();
    }
    let mut seen_values = BTreeSet::new();
    values.retain(|v| seen_values.insert(v.to_string()));
    let mut names: BTreeSet<String> = values
        .iter()
        .filter_map(Value::as_str)
        .map(first_pass)
        .collect();
    let mut taken = BTreeSet::new();
    let mut renamed = Vec::new();
    for v in values.iter_mut() {
        let Value::String(text) = v else { continue };
        if taken.insert(first_pass(text)) {
            continue;
        }
        let placeholder = (2..)
            .map(|n| format!("{text}{VARIANT_SEPARATOR}{n}"))
            .find(|p| !names.contains(&first_pass(p)))
            .expect("an unused number");
        names.insert(first_pass(&placeholder));
        taken.insert(first_pass(&placeholder));
        renamed.push((text.clone(), placeholder.clone()));
        *text = placeholder;
    }
    renamed
}

/// Whether [`Cx::schema`] would change nothing in `o` but its `title` and
/// `default`: every member is an annotation or a bound, `type` is a single
/// non-null type, and a `$ref` stands alone.
fn is_plain_leaf(o: &Map<String, Value>) -> bool {
    o.iter().all(|(k, v)| match k.as_str() {
        "type" => v.as_str().is_some_and(|t| t != "null"),
        "$ref" => o.len() == 1,
        "title" | "description" | "format" | "default" | "example" | "readOnly" | "writeOnly"
        | "deprecated" | "nullable" | "minimum" | "maximum" | "minLength" | "maxLength"
        | "pattern" | "multipleOf" | "uniqueItems" => true,
        _ => false,
    })
}

/// Fold the single non-null branch of a nullable union into its parent.
fn merge_single_branch(parent: &mut Map<String, Value>, branch: Value) {
    let Value::Object(mut b) = branch else {
        return;
    };
    if let Some(reference) = b.remove("$ref") {
        // `{$ref, nullable}` silently loses nullability in openapiv3; `allOf` keeps it.
        parent.insert("allOf".into(), json!([{"$ref": reference}]));
        return;
    }
    for (k, v) in b {
        match parent.get(&k) {
            Some(_) if matches!(k.as_str(), "title" | "description" | "default" | "example") => {}
            _ => {
                parent.insert(k, v);
            }
        }
    }
}

/// Drop a `default` that contradicts the schema's own type (typify panics
/// with "default value could not be rendered").
fn check_default(o: &mut Map<String, Value>, ptr: &Ptr<'_>, report: &mut Report) {
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

/// `{job_id}` variables of a path template.
fn path_variables(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        let Some(end) = rest[start..].find('}') else {
            break;
        };
        out.push(rest[start + 1..start + end].to_string());
        rest = &rest[start + end + 1..];
    }
    out
}

/// The part FastAPI appends to a route's name to build its default
/// operationId: `re.sub(r"\W", "_", path)` (see `fastapi.utils.generate_unique_id`).
pub(crate) fn fastapi_path_suffix(path: &str) -> String {
    path.chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Every `#/components/schemas/X` referenced below `v`, which sits at `place`.
pub(crate) fn refs_in(v: &Value, place: Place, out: &mut BTreeSet<String>) {
    let _ = schema::each_ref(v, place, &ROOT, &mut |r, _| {
        if let Some(name) = r.as_str().and_then(component_name) {
            out.insert(name.into_owned());
        }
        Ok::<_, std::convert::Infallible>(())
    });
}

pub(crate) fn closure(graph: &Graph, roots: BTreeSet<String>) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut stack: Vec<String> = roots.into_iter().collect();
    while let Some(n) = stack.pop() {
        if seen.insert(n.clone())
            && let Some(next) = graph.get(&n)
        {
            stack.extend(next.iter().cloned());
        }
    }
    seen
}

pub(crate) fn schema_graph(doc: &Value) -> Graph {
    let mut graph = BTreeMap::new();
    if let Some(schemas) = component_schemas(doc) {
        for (name, s) in schemas {
            let mut refs = BTreeSet::new();
            refs_in(s, Place::Schema, &mut refs);
            graph.insert(name.clone(), refs);
        }
    }
    graph
}

/// The components that are part of a reference cycle (through other
/// components or directly to themselves), each with every component of its
/// cycle: the strongly connected components of `graph` (Tarjan's algorithm,
/// iterative, O(components + references)).
fn cycles(graph: &Graph) -> BTreeMap<&str, Rc<BTreeSet<String>>> {
    const UNSEEN: usize = usize::MAX;
    let names: Vec<&String> = graph.keys().collect();
    let position: BTreeMap<&str, usize> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i))
        .collect();
    let edges: Vec<Vec<usize>> = names
        .iter()
        .map(|n| {
            graph[*n]
                .iter()
                .filter_map(|m| position.get(m.as_str()).copied())
                .collect()
        })
        .collect();
    let n = names.len();
    let (mut index, mut low, mut on_stack) = (vec![UNSEEN; n], vec![0; n], vec![false; n]);
    let (mut stack, mut next) = (Vec::new(), 0);
    let mut out = BTreeMap::new();
    for root in 0..n {
        if index[root] != UNSEEN {
            continue;
        }
        // (node, how many of its edges have been followed)
        let mut calls = vec![(root, 0usize)];
        index[root] = next;
        low[root] = next;
        next += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(&(v, followed)) = calls.last() {
            if let Some(&w) = edges[v].get(followed) {
                calls.last_mut().expect("non-empty").1 += 1;
                if index[w] == UNSEEN {
                    index[w] = next;
                    low[w] = next;
                    next += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    calls.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            calls.pop();
            if let Some(&(u, _)) = calls.last() {
                low[u] = low[u].min(low[v]);
            }
            if low[v] != index[v] {
                continue;
            }
            let mut members = Vec::new();
            while let Some(w) = stack.pop() {
                on_stack[w] = false;
                members.push(w);
                if w == v {
                    break;
                }
            }
            if members.len() > 1 || edges[v].contains(&v) {
                let cycle: Rc<BTreeSet<String>> =
                    Rc::new(members.iter().map(|&m| names[m].clone()).collect());
                for &m in &members {
                    out.insert(names[m].as_str(), cycle.clone());
                }
            }
        }
    }
    out
}

/// A component whose root is nullable *and* recursive makes typify emit
/// duplicate, infinitely sized definitions. Move the body to `{Name}Value`
/// and make the component a nullable reference to it. Returns whether it
/// split any.
fn split_recursive_nullable_roots(doc: &mut Value, graph: &Graph, report: &mut Report) -> bool {
    let cycles = cycles(graph);
    let Some(schemas) = component_schemas_mut(doc) else {
        return false;
    };
    let mut split = false;
    let names: Vec<String> = schemas.keys().cloned().collect();
    for name in names {
        let s = &schemas[&name];
        let nullable = s.get("nullable") == Some(&json!(true)) && s.get("allOf").is_none();
        if !nullable || !cycles.contains_key(name.as_str()) {
            continue;
        }
        let mut body_name = format!("{name}Value");
        while schemas.contains_key(&body_name) {
            body_name.push('_');
        }
        let mut body = schemas.remove(&name).expect("listed");
        let title = body.as_object_mut().and_then(|b| {
            b.remove("nullable");
            b.remove("title")
        });
        let description = body.get("description").cloned();
        let mut wrapper = json!({"allOf": [{"$ref": format!("#/components/schemas/{body_name}")}], "nullable": true});
        if let Some(t) = title {
            wrapper["title"] = t;
        }
        if let Some(d) = description {
            wrapper["description"] = d;
        }
        schemas.insert(name.clone(), wrapper);
        schemas.insert(body_name.clone(), body);
        split = true;
        report.note(
            SCHEMAS.key(&name),
            format!(
                "nullable recursive schema split into `{body_name}` and a nullable reference to it"
            ),
        );
    }
    split
}

/// Component schemas reachable from request parts (parameters, bodies) and
/// from responses.
pub(crate) fn reachable(doc: &Value) -> (BTreeSet<String>, BTreeSet<String>) {
    reachable_in(doc, &schema_graph(doc))
}

fn reachable_in(doc: &Value, graph: &Graph) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut request_roots = BTreeSet::new();
    let mut response_roots = BTreeSet::new();
    for (_, _, op) in operations(doc) {
        if let Some(p) = op.get("parameters") {
            refs_in(p, Place::Document, &mut request_roots);
        }
        if let Some(b) = op.get("requestBody") {
            refs_in(b, Place::Document, &mut request_roots);
        }
        if let Some(r) = op.get("responses") {
            refs_in(r, Place::Document, &mut response_roots);
        }
    }
    (
        closure(graph, request_roots),
        closure(graph, response_roots),
    )
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
fn lenient_and_constraints(c: &mut Converted, graph: &Graph, report: &mut Report) {
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

/// Every local `$ref` must resolve; other references are not supported.
fn check_refs(doc: &Value) -> Result<()> {
    let schemas = doc
        .get("components")
        .and_then(|c| c.get("schemas"))
        .and_then(Value::as_object);
    schema::each_ref(doc, Place::Document, &ROOT, &mut |r, ptr| {
        let Some(r) = r.as_str() else {
            return Err(CodegenError::new(ptr, "$ref", "must be a string"));
        };
        let Some(target) = r.strip_prefix('#') else {
            return Err(CodegenError::new(
                ptr,
                "$ref",
                format!("external reference {r:?} is not supported; inline it"),
            ));
        };
        // The common case without `Value::pointer`, which allocates
        // for every token it unescapes.
        let resolves = match (target.strip_prefix("/components/schemas/"), schemas) {
            (Some(name), Some(schemas)) if !name.contains(['~', '/']) => schemas.contains_key(name),
            _ => doc.pointer(target).is_some(),
        };
        if resolves {
            Ok(())
        } else {
            Err(CodegenError::new(
                ptr,
                "$ref",
                format!("unresolved reference {r}"),
            ))
        }
    })
}

/// A component that is nothing but a reference, in a chain that returns to
/// itself, has no meaning (and sends typify into infinite recursion).
fn check_alias_cycles(doc: &Value) -> Result<()> {
    let Some(schemas) = component_schemas(doc) else {
        return Ok(());
    };
    let alias = |name: &str| -> Option<String> {
        let s = schemas.get(name)?;
        Some(component_name(s.get("$ref")?.as_str()?)?.into_owned())
    };
    for start in schemas.keys() {
        let mut seen = BTreeSet::from([start.clone()]);
        let mut at = start.clone();
        while let Some(next) = alias(&at) {
            if next == *start {
                return Err(CodegenError::new(
                    SCHEMAS.key(start),
                    "reference cycle",
                    "the schema is only a reference to itself (through aliases)",
                ));
            }
            if !seen.insert(next.clone()) {
                break;
            }
            at = next;
        }
    }
    Ok(())
}

/// Inside a recursive component, `allOf: [{$ref: <same cycle>}]` next to
/// further constraints sends typify into infinite recursion while merging.
/// Keep the reference (and its nullability and docs), drop the constraints.
/// Returns whether it dropped any (each drop is noted).
fn simplify_recursive_all_of(doc: &mut Value, graph: &Graph, report: &mut Report) -> bool {
    let cycles = cycles(graph);
    let Some(schemas) = component_schemas_mut(doc) else {
        return false;
    };
    let notes = report.notes.len();
    for (name, schema) in schemas.iter_mut() {
        // The components in the same cycle as `name`, if it is in one.
        if let Some(cycle) = cycles.get(name.as_str()) {
            simplify_node(schema, &SCHEMAS.key(name), cycle, report);
        }
    }
    report.notes.len() != notes
}

fn simplify_node(v: &mut Value, ptr: &Ptr<'_>, cycle: &BTreeSet<String>, report: &mut Report) {
    let Value::Object(o) = v else { return };
    let cyclic_ref = o
        .get("allOf")
        .and_then(Value::as_array)
        .and_then(|branches| {
            branches.iter().find_map(|b| {
                let r = b.get("$ref")?.as_str()?;
                cycle
                    .contains(component_name(r)?.as_ref())
                    .then(|| r.to_string())
            })
        });
    if let Some(r) = cyclic_ref {
        let extra = o
            .get("allOf")
            .and_then(Value::as_array)
            .is_some_and(|b| b.len() > 1)
            || o.keys().any(|k| {
                !matches!(
                    k.as_str(),
                    "allOf"
                        | "nullable"
                        | "description"
                        | "title"
                        | "readOnly"
                        | "writeOnly"
                        | "deprecated"
                        | "example"
                )
            });
        if extra {
            o.retain(|k, _| {
                matches!(
                    k.as_str(),
                    "nullable" | "description" | "title" | "readOnly" | "writeOnly" | "deprecated"
                )
            });
            o.insert("allOf".into(), json!([{ "$ref": r }]));
            report.note(
                ptr,
                "constraints next to a recursive reference dropped (the reference alone is kept)",
            );
            return;
        }
    }
    schema::each_subschema_mut(v, |step, child| {
        step.under(ptr, |p| simplify_node(child, p, cycle, report))
    });
}

/// Keyword values of the wrong JSON type are rejected here, with their exact
/// pointer: `openapiv3`'s untagged enums would otherwise backtrack through
/// every alternative at every level (time exponential in the nesting depth)
/// and report only a coarse location.
fn check_keywords(o: &Map<String, Value>, ptr: &Ptr<'_>) -> Result<()> {
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
            "enum" | "allOf" | "anyOf" | "oneOf" | "prefixItems" | "examples" => {
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
