//! What an OpenAPI document is made of, written once: the HTTP methods of a
//! path item, its operations, and the names of component schemas in
//! references.

use std::borrow::Cow;

use serde_json::{Map, Value};

/// The HTTP methods an OpenAPI path item can hold, in its order.
pub const HTTP_METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Every operation of the OpenAPI document `doc` as `(path, method,
/// operation)`, in document order (path items in order, methods in
/// [`HTTP_METHODS`] order).
///
/// ```
/// let doc = serde_json::json!({"paths": {"/jobs": {"post": {}, "get": {}}}});
/// let ops: Vec<_> = ionworks_codegen::operations(&doc).map(|(p, m, _)| (p, m)).collect();
/// assert_eq!(ops, [("/jobs", "get"), ("/jobs", "post")]);
/// ```
pub fn operations(doc: &Value) -> impl Iterator<Item = (&str, &'static str, &Value)> {
    doc.get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .flat_map(|(path, item)| {
            HTTP_METHODS
                .iter()
                .filter_map(move |&m| Some((path.as_str(), m, item.get(m)?)))
        })
}

/// [`operations`], to change them.
pub(crate) fn each_operation_mut(
    doc: &mut Value,
    mut f: impl FnMut(&str, &'static str, &mut Value),
) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        for method in HTTP_METHODS {
            if let Some(op) = item.get_mut(method) {
                f(path, method, op);
            }
        }
    }
}

/// The component schema a local reference names: `Pet` for
/// `#/components/schemas/Pet` (unescaped: `a/b` for `…/a~1b`).
pub(crate) fn component_name(reference: &str) -> Option<Cow<'_, str>> {
    reference
        .strip_prefix("#/components/schemas/")
        .map(crate::error::pointer_unescape)
}

/// The component schemas of `doc` (`/components/schemas`), by name.
pub(crate) fn component_schemas(doc: &Value) -> Option<&Map<String, Value>> {
    doc.get("components")?.get("schemas")?.as_object()
}

/// [`component_schemas`], to change them.
pub(crate) fn component_schemas_mut(doc: &mut Value) -> Option<&mut Map<String, Value>> {
    doc.get_mut("components")?
        .get_mut("schemas")?
        .as_object_mut()
}

/// A smaller document cut from `doc`: the operations for which `keep(path,
/// method, operation)` is true, the path items that still hold one, and the
/// component schemas their `$ref`s reach (transitively); everything else
/// (`info`, `servers`, security schemes, …) as it stands. For trying one part
/// of a large document, and for tests that generate a client many times.
///
/// ```
/// let doc = serde_json::json!({"openapi": "3.1.0", "paths": {
///     "/a": {"get": {"tags": ["a"], "responses": {"200": {"content": {"application/json":
///         {"schema": {"$ref": "#/components/schemas/A"}}}}}}},
///     "/b": {"get": {"tags": ["b"]}}},
///   "components": {"schemas": {
///     "A": {"properties": {"b": {"$ref": "#/components/schemas/B"}}},
///     "B": {"type": "string"}, "C": {"type": "integer"}}}});
/// let cut = ionworks_codegen::excerpt(&doc, |_, _, op| op["tags"][0] == "a");
/// assert!(cut["paths"].get("/b").is_none());
/// let schemas = cut["components"]["schemas"].as_object().unwrap();
/// assert_eq!(schemas.keys().collect::<Vec<_>>(), ["A", "B"]);
/// ```
pub fn excerpt(doc: &Value, mut keep: impl FnMut(&str, &str, &Value) -> bool) -> Value {
    let mut out = doc.clone();
    if let Some(paths) = out.get_mut("paths").and_then(Value::as_object_mut) {
        paths.retain(|path, item| {
            let Some(item) = item.as_object_mut() else {
                return false;
            };
            item.retain(|key, op| !HTTP_METHODS.contains(&key.as_str()) || keep(path, key, op));
            HTTP_METHODS.iter().any(|m| item.contains_key(*m))
        });
    }
    // The schemas reached from what is kept outside `components/schemas`,
    // then from those schemas, until nothing new is reached.
    let mut reached = std::collections::BTreeSet::new();
    let mut todo = Vec::new();
    let mut roots = out.clone();
    if let Some(schemas) = component_schemas_mut(&mut roots) {
        schemas.clear();
    }
    collect_refs(&roots, &mut todo);
    let all = component_schemas(doc).cloned().unwrap_or_default();
    while let Some(name) = todo.pop() {
        if let Some(schema) = all.get(&name)
            && reached.insert(name)
        {
            collect_refs(schema, &mut todo);
        }
    }
    if let Some(schemas) = component_schemas_mut(&mut out) {
        schemas.retain(|name, _| reached.contains(name));
    }
    out
}

/// The component schema names of every `$ref` under `value`.
fn collect_refs(value: &Value, names: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(name) = map
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(component_name)
            {
                names.push(name.into_owned());
            }
            map.values().for_each(|v| collect_refs(v, names));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, names)),
        _ => {}
    }
}
