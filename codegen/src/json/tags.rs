//! OpenAPI tags as cargo features (with `Options::tag_features`): the
//! feature of each tag, and, with `Options::only_features`, the document
//! cut down to the operations of the enabled tags before progenitor runs.
//! The `cfg` gates themselves are put on the generated code by
//! [`crate::syntax::gates`].

use std::collections::BTreeSet;

use heck::ToKebabCase;
use serde_json::Value;

/// The feature of `tag`: `prefix` + its kebab case (`Flow Runs` → `api-flow-runs`).
pub fn feature(prefix: &str, tag: &str) -> String {
    format!("{prefix}{}", tag.to_kebab_case())
}

/// The features of every tag of `doc` (an OpenAPI document), sorted.
///
/// ```
/// let doc = serde_json::json!({"paths": {"/jobs": {"get": {"tags": ["Jobs"]}},
///                                        "/runs": {"post": {"tags": ["Flow Runs", "Jobs"]}}}});
/// assert_eq!(ionworks_codegen::tag_features(&doc, "api-"), ["api-flow-runs", "api-jobs"]);
/// ```
pub fn tag_features(doc: &Value, prefix: &str) -> Vec<String> {
    let mut out = BTreeSet::new();
    for (_, _, op) in crate::operations(doc) {
        for tag in tags(op) {
            out.insert(feature(prefix, tag));
        }
    }
    out.into_iter().collect()
}

pub(crate) fn tags(op: &Value) -> impl Iterator<Item = &str> {
    op.get("tags")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
}

/// Leaves in `doc` (the converted document, named already) only the
/// operations of an enabled tag (a tag whose feature, `prefix` + the tag, is
/// in `enabled`) and the untagged ones, and drops the component schemas that
/// only the removed operations reach. Schemas that no operation reaches
/// stay, as they do in a full build. The output is the part of the full
/// build's output that `enabled` compiles, with the same names, without the
/// cost of generating, parsing and expanding the rest; see
/// [`Options::only_features`](crate::Options::only_features).
pub(crate) fn keep_enabled(doc: &mut Value, prefix: &str, enabled: &BTreeSet<String>) {
    let names = |doc: &Value| -> BTreeSet<String> {
        crate::document::component_schemas(doc)
            .map(|schemas| schemas.keys().cloned().collect())
            .unwrap_or_default()
    };
    let everything = names(doc);
    let reached_by_any = names(&crate::document::excerpt(doc, |_, _, _| true));
    let kept = crate::document::excerpt(doc, |_, _, op| {
        let mut op_tags = tags(op).peekable();
        op_tags.peek().is_none() || op_tags.any(|t| enabled.contains(&feature(prefix, t)))
    });
    let reached_by_kept = names(&kept);
    let mut kept = kept;
    if let (Some(schemas), Some(all)) = (
        crate::document::component_schemas_mut(&mut kept),
        crate::document::component_schemas(doc),
    ) {
        // `excerpt` keeps what the kept operations reach; the schemas no
        // operation reaches come back, in the document's order.
        *schemas = all
            .iter()
            .filter(|(name, _)| {
                reached_by_kept.contains(*name)
                    || everything.contains(*name) && !reached_by_any.contains(*name)
            })
            .map(|(name, schema)| (name.clone(), schema.clone()))
            .collect();
    }
    *doc = kept;
}
