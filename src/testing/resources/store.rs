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
            .or_insert_with(|| json!(crate::testing::ids::ORGANIZATION_ID));
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
        in_list(list).contains(&actual)
    } else {
        actual == value
    }
}

/// SQL `ILIKE`: `%` is any run of characters, `_` any one, `\` makes
/// the next character literal.
fn ilike(actual: &str, pattern: &str) -> bool {
    /// A pattern's element: `None` for `%`, `Some(None)` for `_`.
    type Token = Option<Option<char>>;
    let mut tokens: Vec<Token> = Vec::new();
    let mut chars = pattern.chars().flat_map(char::to_lowercase);
    while let Some(c) = chars.next() {
        tokens.push(match c {
            '%' => None,
            '_' => Some(None),
            '\\' => Some(Some(chars.next().unwrap_or('\\'))),
            c => Some(Some(c)),
        });
    }
    let actual: Vec<char> = actual.chars().flat_map(char::to_lowercase).collect();
    // matches[j]: the pattern so far matches the first j characters.
    let mut matches = vec![false; actual.len() + 1];
    matches[0] = true;
    for token in tokens {
        let mut next = vec![false; actual.len() + 1];
        for j in 0..=actual.len() {
            next[j] = match token {
                None => matches[j] || (j > 0 && next[j - 1]),
                Some(one) => j > 0 && matches[j - 1] && one.is_none_or(|c| c == actual[j - 1]),
            };
        }
        matches = next;
    }
    matches[actual.len()]
}

/// The values of an `in.(…)` list: split at commas, a value in double
/// quotes may hold any character, `\` escaping `"` and `\`.
fn in_list(list: &str) -> Vec<String> {
    let mut values = Vec::new();
    if list.is_empty() {
        return values;
    }
    let mut chars = list.chars().peekable();
    loop {
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '"' => break,
                    '\\' => value.extend(chars.next()),
                    c => value.push(c),
                }
            }
            chars.by_ref().take_while(|c| *c != ',').for_each(drop);
        } else {
            value = chars.by_ref().take_while(|c| *c != ',').collect();
            value = value.trim().to_string();
        }
        values.push(value);
        if chars.peek().is_none() {
            return values;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{ilike, in_list};

    #[test]
    fn ilike_has_wildcards_and_escapes() {
        assert!(ilike("NMC cell", "%nmc%"));
        assert!(ilike("NMC cell", "n_c %"));
        assert!(!ilike("NMC cell", "%pack%"));
        assert!(ilike("50% SOC", r"%50\%%"));
        assert!(!ilike("50 SOC", r"%50\%%"));
        assert!(ilike("", "%"));
    }

    #[test]
    fn in_lists_split_at_commas_outside_quotes() {
        assert_eq!(in_list("a, b"), ["a", "b"]);
        assert_eq!(
            in_list(r#""a,b","say \"hi\"",c"#),
            ["a,b", r#"say "hi""#, "c"]
        );
    }
}
