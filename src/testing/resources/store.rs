//! The in-memory store: resources by collection, their filters, order and
//! pages.

use chrono::Utc;
use serde_json::{Map, Value, json};

use super::{Store, Stored, singular};

/// One page of a list and the number of matches.
pub(super) struct Page<'a> {
    pub(super) items: Vec<&'a Stored>,
    pub(super) total: usize,
}

impl Store {
    pub(super) fn get(&self, collection: &str, id: &str) -> Option<&Stored> {
        self.collections
            .get(collection)?
            .iter()
            .find(|s| s.id == id)
    }

    pub(super) fn create(
        &mut self,
        collection: &str,
        parents: Vec<(String, String)>,
        mut fields: Map<String, Value>,
        params: &[(String, String)],
    ) -> Result<&Stored, String> {
        let name = fields.get("name").cloned();
        let existing = self.collections.get(collection).and_then(|items| {
            items.iter().find(|s| {
                name.is_some() && s.parents == parents && s.fields.get("name") == name.as_ref()
            })
        });
        if let Some(existing) = existing {
            return Err(existing.id.clone());
        }
        self.counter += 1;
        let id = format!(
            "{}-{:06}",
            singular(collection).replace('_', "-"),
            self.counter
        );
        let now = Utc::now().to_rfc3339();
        fields.insert("id".into(), json!(id));
        fields.entry("created_at").or_insert_with(|| json!(now));
        fields.insert("updated_at".into(), json!(now));
        fields
            .entry("organization_id")
            .or_insert_with(|| json!(crate::testing::server::ORGANIZATION_ID));
        for (collection, id) in &parents {
            fields
                .entry(format!("{}_id", singular(collection)))
                .or_insert_with(|| json!(id));
        }
        for (name, value) in params {
            fields.entry(name.clone()).or_insert_with(|| json!(value));
        }
        let items = self.collections.entry(collection.to_owned()).or_default();
        items.push(Stored {
            id,
            parents,
            fields,
        });
        Ok(items.last().expect("just pushed"))
    }

    pub(super) fn update(
        &mut self,
        collection: &str,
        id: &str,
        changes: Map<String, Value>,
    ) -> Option<&Stored> {
        let stored = self
            .collections
            .get_mut(collection)?
            .iter_mut()
            .find(|s| s.id == id)?;
        for (k, v) in changes {
            if k != "id" {
                stored.fields.insert(k, v);
            }
        }
        stored
            .fields
            .insert("updated_at".into(), json!(Utc::now().to_rfc3339()));
        Some(stored)
    }

    pub(super) fn delete(&mut self, collection: &str, id: &str) -> Option<Stored> {
        let items = self.collections.get_mut(collection)?;
        let at = items.iter().position(|s| s.id == id)?;
        Some(items.remove(at))
    }

    pub(super) fn list(
        &self,
        collection: &str,
        parents: &[(String, String)],
        query: &[(String, String)],
    ) -> Page<'_> {
        let mut matching: Vec<&Stored> = self
            .collections
            .get(collection)
            .into_iter()
            .flatten()
            .filter(|s| parents.iter().all(|p| s.parents.contains(p)))
            .filter(|s| query.iter().all(|(k, v)| filter(s, k, v)))
            .collect();
        let param = |name: &str| {
            query
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        if let Some(field) = param("order_by") {
            matching.sort_by(|a, b| compare(a.fields.get(field), b.fields.get(field)));
            if param("order").is_some_and(|o| o.eq_ignore_ascii_case("desc")) {
                matching.reverse();
            }
        }
        let total = matching.len();
        let number = |name: &str| param(name).and_then(|v| v.parse::<usize>().ok());
        let offset = number("offset").or_else(|| number("skip")).unwrap_or(0);
        let limit = number("limit").unwrap_or(usize::MAX);
        let items = matching.into_iter().skip(offset).take(limit).collect();
        Page { items, total }
    }
}

fn compare(a: Option<&Value>, b: Option<&Value>) -> std::cmp::Ordering {
    match (a, b) {
        (Some(Value::Number(x)), Some(Value::Number(y))) => x
            .as_f64()
            .partial_cmp(&y.as_f64())
            .unwrap_or(std::cmp::Ordering::Equal),
        (Some(x), Some(y)) => text(x).cmp(&text(y)),
        (a, b) => a.is_some().cmp(&b.is_some()),
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Whether `stored` passes the query parameter `key=value`. Parameters that
/// are not fields (paging, ordering, unknown flags) filter nothing.
fn filter(stored: &Stored, key: &str, value: &str) -> bool {
    if let Some(field) = key.strip_suffix("_gt") {
        return stored
            .fields
            .get(field)
            .is_none_or(|v| text(v).as_str() > value);
    }
    if let Some(field) = key.strip_suffix("_lt") {
        return stored
            .fields
            .get(field)
            .is_none_or(|v| text(v).as_str() < value);
    }
    let Some(field) = stored.fields.get(key) else {
        return true;
    };
    let actual = text(field);
    if let Some(expected) = value.strip_prefix("eq.") {
        actual == expected
    } else if let Some(pattern) = value.strip_prefix("ilike.") {
        ilike(&actual, pattern)
    } else if let Some(list) = value.strip_prefix("in.(").and_then(|v| v.strip_suffix(')')) {
        list.split(',').any(|v| v.trim() == actual)
    } else {
        actual == value
    }
}

/// SQL `ILIKE` with `%` wildcards.
fn ilike(actual: &str, pattern: &str) -> bool {
    let actual = actual.to_lowercase();
    let pattern = pattern.to_lowercase();
    let parts: Vec<&str> = pattern.split('%').collect();
    let mut rest = actual.as_str();
    for (i, part) in parts.iter().enumerate() {
        if part.is_empty() {
            continue;
        }
        if i == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
    }
    parts.last().is_none_or(|p| p.is_empty()) || parts.len() == 1 && rest.is_empty()
}
