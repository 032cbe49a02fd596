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
