//! References and cycles.
//!
//! * Every local `$ref` must resolve, and others (external documents) are
//!   refused ([`check_refs`]); a component that is only a reference to
//!   itself through aliases is refused too (typify recurses forever).
//! * The reference graph of the component schemas, its cycles (Tarjan's
//!   strongly connected components) and what requests and responses reach.
//! * A nullable *and* recursive component root makes typify 0.8 emit
//!   duplicate, infinitely sized definitions: its body moves to
//!   `{Name}Value` and the component becomes a nullable reference to it.
//! * Inside a cycle, `allOf: [{$ref: <same cycle>}]` next to further
//!   constraints sends typify into infinite recursion while merging: the
//!   reference alone is kept.

use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use serde_json::{Value, json};

use super::{
    ROOT, Result, SCHEMAS, component_name, component_schemas, component_schemas_mut, operations,
};
use crate::error::{CodegenError, Ptr, Report};
use crate::schema::{self, Place};

/// Component schema name → the component schemas it references.
pub(crate) type Graph = BTreeMap<String, BTreeSet<String>>;

/// Every `#/components/schemas/X` referenced below `v`, which sits at `place`.
pub(crate) fn refs_in(v: &Value, place: Place, out: &mut BTreeSet<String>) {
    let _ = schema::each_ref(v, place, &ROOT, &mut |r, _, _| {
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
fn cycles(graph: &Graph) -> Cycles<'_> {
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

/// Each component in a cycle, with every component of its cycle.
pub(super) type Cycles<'g> = BTreeMap<&'g str, Rc<BTreeSet<String>>>;

/// A step on the component `schemas` of a document with `cycles` (see
/// [`recursion_steps`]): whether it changed the reference graph.
pub(super) type CycleStep =
    fn(&mut serde_json::Map<String, Value>, &Cycles<'_>, &mut Report) -> bool;

/// The steps that keep typify from recursing forever, in order; the graph
/// is rebuilt after each that changed it.
const RECURSION_STEPS: [CycleStep; 2] = [split_recursive_nullable_roots, simplify_recursive_all_of];

/// Runs [`RECURSION_STEPS`] on `doc`; its reference graph `graph` is kept
/// up to date.
pub(super) fn recursion_steps(doc: &mut Value, graph: &mut Graph, report: &mut Report) {
    for step in RECURSION_STEPS {
        let changed = match component_schemas_mut(doc) {
            Some(schemas) => step(schemas, &cycles(graph), report),
            None => false,
        };
        if changed {
            *graph = schema_graph(doc);
        }
    }
}

/// A component whose root is nullable *and* recursive makes typify emit
/// duplicate, infinitely sized definitions. Move the body to `{Name}Value`
/// and make the component a nullable reference to it. Returns whether it
/// split any.
fn split_recursive_nullable_roots(
    schemas: &mut serde_json::Map<String, Value>,
    cycles: &Cycles<'_>,
    report: &mut Report,
) -> bool {
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

pub(super) fn reachable_in(doc: &Value, graph: &Graph) -> (BTreeSet<String>, BTreeSet<String>) {
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

/// Every local `$ref` must resolve; other references are not supported.
///
/// A `$ref` in a schema must name a component schema
/// (`#/components/schemas/{name}`): typify 0.8 looks a reference up by its
/// last token alone among the component schemas (`typify-impl`
/// `util::ref_key`, then `convert.rs` `convert_reference` panics "$ref … is
/// missing", `merge.rs` `merge_schema` "unresolved reference"), so `#/paths`
/// or `#/components/schemas/A/properties/b` would be missing or, worse,
/// resolve to a same-named component. A reference to a subschema inside a
/// component (valid OpenAPI) is kept for [`inline_subschema_refs`], which
/// copies its target in; one anywhere else is refused.
///
/// Returns the references to inline: the pointer of the object holding
/// each, and its target.
pub(super) fn check_refs(doc: &Value) -> Result<Vec<(String, String)>> {
    let schemas = doc
        .get("components")
        .and_then(|c| c.get("schemas"))
        .and_then(Value::as_object);
    let mut inline = Vec::new();
    schema::each_ref(doc, Place::Document, &ROOT, &mut |r, ptr, place| {
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
        let (name, inside) = match target.strip_prefix("/components/schemas/") {
            Some(rest) => match rest.split_once('/') {
                Some((name, inside)) => (Some(name), Some(inside)),
                None => (Some(rest), None),
            },
            None => (None, None),
        };
        // The common case without `Value::pointer`, which allocates
        // for every token it unescapes.
        let resolves = match (name, inside, schemas) {
            (Some(name), None, Some(schemas)) => {
                schemas.contains_key(crate::error::pointer_unescape(name).as_ref())
            }
            _ => doc.pointer(target).is_some(),
        };
        if !resolves {
            return Err(CodegenError::new(
                ptr,
                "$ref",
                format!("unresolved reference {}", shortened(r)),
            ));
        }
        if place == Place::Document {
            return Ok(());
        }
        match (name, inside) {
            (Some(_), None) => Ok(()),
            (Some(_), Some(inside)) if schema::is_subschema_path(inside) => {
                inline.push((ptr.to_string(), target.to_string()));
                Ok(())
            }
            _ => Err(CodegenError::new(
                ptr,
                "$ref",
                format!(
                    "must point to a schema under `/components/schemas`, found `{}`; \
                     move the schema there and reference it by name",
                    shortened(r)
                ),
            )),
        }
    })?;
    Ok(inline)
}

/// `text`, cut to a length that keeps an error on one short line.
fn shortened(text: &str) -> std::borrow::Cow<'_, str> {
    const MAX: usize = 120;
    match text.char_indices().nth(MAX) {
        Some((end, _)) => format!("{}…", &text[..end]).into(),
        None => text.into(),
    }
}

/// Replace each reference of `refs` (see [`check_refs`]) to a subschema
/// inside a component by a copy of its target; a reference beside other
/// keywords becomes an `allOf` branch. A target that holds such a
/// reference itself is refused (the copies would never end).
pub(super) fn inline_subschema_refs(
    doc: &mut Value,
    refs: &[(String, String)],
    report: &mut Report,
) -> Result<()> {
    let mut copies = Vec::with_capacity(refs.len());
    for (holder, target) in refs {
        let copy = doc.pointer(target).cloned().unwrap_or_default();
        if let Some((nested, _)) = refs
            .iter()
            .find(|(h, _)| h == target || h.starts_with(&format!("{target}/")))
        {
            return Err(CodegenError::new(
                holder.as_str(),
                "$ref",
                format!(
                    "`#{}` holds a reference to a subschema itself (at `{}`); \
                     make the referenced schema a component under `/components/schemas`",
                    shortened(target),
                    shortened(nested)
                ),
            ));
        }
        copies.push(copy);
    }
    // Innermost first: each holder's pointer is still valid when it is replaced.
    for ((holder, target), copy) in refs.iter().zip(copies).rev() {
        let Some(Value::Object(o)) = doc.pointer_mut(holder) else {
            continue;
        };
        o.remove("$ref");
        if o.is_empty() {
            *doc.pointer_mut(holder).expect("found above") = copy;
        } else if let Some(Value::Array(all_of)) = o.get_mut("allOf") {
            all_of.push(copy);
        } else {
            o.insert("allOf".into(), json!([copy]));
        }
        report.note(
            holder,
            format!(
                "reference to `#{target}` replaced by a copy of it: the generator resolves only \
                 references to `#/components/schemas/{{name}}`"
            ),
        );
    }
    Ok(())
}

/// A component that is nothing but a reference, in a chain that returns to
/// itself, has no meaning (and sends typify into infinite recursion).
pub(super) fn check_alias_cycles(doc: &Value) -> Result<()> {
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
fn simplify_recursive_all_of(
    schemas: &mut serde_json::Map<String, Value>,
    cycles: &Cycles<'_>,
    report: &mut Report,
) -> bool {
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
