//! Failure locating: progenitor and typify report errors (and panic)
//! without saying where in the document the cause is. [`locate`] finds the
//! component schema, or else the operation, whose generation fails, by
//! regenerating parts of the document, so that the error names a JSON
//! pointer.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::document::{HTTP_METHODS, operations};
use crate::error::{self, CodegenError};
use crate::json::convert;
use crate::schema;

/// progenitor reports errors (and panics) without a location: find the
/// component, or else the operation, that fails, to name a JSON pointer.
///
/// Each attempt regenerates a part of the document: the components alone
/// first (progenitor generates every component schema whether operations
/// use it or not), bisected if they fail; otherwise the operations,
/// bisected, each attempt with only the components its operations reach.
/// That is a number of attempts logarithmic in the number of operations,
/// most of them on small parts of the document.
pub(crate) fn locate(
    spec: &openapiv3::OpenAPI,
    doc: &Value,
    message: &str,
    attempt: impl Fn(&openapiv3::OpenAPI) -> Result<proc_macro2::TokenStream, String>,
) -> CodegenError {
    let graph = convert::schema_graph(doc);
    let names: Vec<&String> = spec
        .components
        .as_ref()
        .map(|c| c.schemas.keys().collect())
        .unwrap_or_default();
    // The document with the operations `ops` and the components `schemas`
    // (with all they reference), or an error message.
    let part = |ops: &[(&str, &str)], schemas: BTreeSet<String>| {
        let mut part = spec.clone();
        part.paths.paths.clear();
        for &(path, method) in ops {
            let Some(item) = spec.paths.paths.get(path).and_then(|i| i.as_item()) else {
                continue;
            };
            let entry = part
                .paths
                .paths
                .entry(path.to_string())
                .or_insert_with(|| openapiv3::ReferenceOr::Item(only(item, None)));
            if let openapiv3::ReferenceOr::Item(kept) = entry {
                *kept = only(item, Some((kept, method)));
            }
        }
        let reached = convert::closure(&graph, schemas);
        if let Some(components) = part.components.as_mut() {
            components.schemas.retain(|name, _| reached.contains(name));
        }
        attempt(&part).err()
    };
    let all_schemas: BTreeSet<String> = names.iter().map(|n| n.to_string()).collect();
    if let Some(m) = part(&[], all_schemas) {
        let culprit = bisect(&names, |names| {
            part(&[], names.iter().map(|n| n.to_string()).collect()).is_some()
        });
        return match culprit {
            Some(name) => CodegenError::new(
                error::join("/components/schemas", name),
                "schema",
                part(&[], BTreeSet::from([name.to_string()])).unwrap_or(m),
            ),
            None => CodegenError::new("/components/schemas", "schemas", m),
        };
    }
    let ops: Vec<(&str, &str)> = operations(doc)
        .map(|(path, method, _)| (path, method))
        .collect();
    let reached_by = |ops: &[(&str, &str)]| {
        let mut roots = BTreeSet::new();
        for (path, method, op) in operations(doc) {
            if ops.contains(&(path, method)) {
                convert::refs_in(op, schema::Place::Document, &mut roots);
            }
        }
        roots
    };
    let fails = |ops: &[(&str, &str)]| part(ops, reached_by(ops));
    match bisect(&ops, |ops| fails(ops).is_some()) {
        Some((path, method)) => CodegenError::new(
            error::join(&error::join("/paths", path), method),
            "operation",
            fails(&[(path, method)]).unwrap_or_else(|| message.to_string()),
        ),
        None => CodegenError::new("", "document", message.to_string()),
    }
}

/// `item` with only the operations of `kept` (if any) and `method`.
fn only(
    item: &openapiv3::PathItem,
    add: Option<(&openapiv3::PathItem, &str)>,
) -> openapiv3::PathItem {
    let mut out = openapiv3::PathItem {
        get: None,
        put: None,
        post: None,
        delete: None,
        options: None,
        head: None,
        patch: None,
        trace: None,
        ..item.clone()
    };
    if let Some((kept, method)) = add {
        for m in HTTP_METHODS {
            let keep = m == method || operation_slot(kept, m).is_some();
            if keep {
                *operation_slot_mut(&mut out, m) = operation_slot(item, m).cloned();
            }
        }
    }
    out
}

fn operation_slot<'a>(
    item: &'a openapiv3::PathItem,
    method: &str,
) -> Option<&'a openapiv3::Operation> {
    match method {
        "get" => item.get.as_ref(),
        "put" => item.put.as_ref(),
        "post" => item.post.as_ref(),
        "delete" => item.delete.as_ref(),
        "options" => item.options.as_ref(),
        "head" => item.head.as_ref(),
        "patch" => item.patch.as_ref(),
        _ => item.trace.as_ref(),
    }
}

fn operation_slot_mut<'a>(
    item: &'a mut openapiv3::PathItem,
    method: &str,
) -> &'a mut Option<openapiv3::Operation> {
    match method {
        "get" => &mut item.get,
        "put" => &mut item.put,
        "post" => &mut item.post,
        "delete" => &mut item.delete,
        "options" => &mut item.options,
        "head" => &mut item.head,
        "patch" => &mut item.patch,
        _ => &mut item.trace,
    }
}

/// The element of `items` that makes `fails` true, given that it is true
/// of `items` as a whole and of every set that holds a failing one: the
/// first that fails on its own, found by halving; if only elements of both
/// halves fail together, the last element of the shortest failing prefix.
/// At most about 3·log₂(n) calls of `fails`. `None` if `items` turns out
/// not to fail after all.
fn bisect<T: Copy>(items: &[T], mut fails: impl FnMut(&[T]) -> bool) -> Option<T> {
    let mut set = items;
    while set.len() > 1 {
        let (first, second) = set.split_at(set.len() / 2);
        if fails(first) {
            set = first;
        } else if fails(second) {
            set = second;
        } else {
            // Only together: the shortest failing prefix is longer than `first`.
            let (mut lo, mut hi) = (first.len() + 1, set.len());
            while lo < hi {
                let mid = (lo + hi) / 2;
                if fails(&set[..mid]) {
                    hi = mid;
                } else {
                    lo = mid + 1;
                }
            }
            // Every set but `items` itself is known to fail here.
            let known = hi < set.len() || set.len() < items.len();
            return (known || fails(set)).then(|| set[hi - 1]);
        }
    }
    set.first()
        .copied()
        .filter(|_| set.len() < items.len() || fails(set))
}

#[cfg(test)]
mod tests {
    use super::bisect;
    use std::cell::Cell;

    /// Bisects `0..n` with `fails`, returning the culprit and the number of attempts.
    fn run(n: usize, fails: impl Fn(&[usize]) -> bool) -> (Option<usize>, usize) {
        let items: Vec<usize> = (0..n).collect();
        let calls = Cell::new(0);
        let found = bisect(&items, |set| {
            calls.set(calls.get() + 1);
            fails(set)
        });
        (found, calls.get())
    }

    #[test]
    fn bisect_finds_the_first_element_failing_alone_in_logarithmic_attempts() {
        for n in [1, 2, 3, 10, 1000] {
            for bad in [0, n / 3, n - 1] {
                let (found, calls) = run(n, |set| set.contains(&bad));
                assert_eq!(found, Some(bad), "n = {n}");
                let log = (n as f64).log2().ceil() as usize;
                assert!(calls <= 2 * log + 1, "n = {n}: {calls} attempts");
            }
        }
        // Two culprits: the first one.
        let (found, _) = run(1000, |set| set.contains(&200) || set.contains(&800));
        assert_eq!(found, Some(200));
    }

    #[test]
    fn bisect_names_the_element_completing_a_failing_combination() {
        let (found, calls) = run(1000, |set| set.contains(&100) && set.contains(&900));
        assert_eq!(found, Some(900));
        assert!(calls <= 3 * 10 + 1, "{calls} attempts");
    }

    #[test]
    fn bisect_finds_nothing_when_nothing_fails() {
        assert_eq!(run(100, |_| false).0, None);
        assert_eq!(run(1, |_| false).0, None);
    }
}
