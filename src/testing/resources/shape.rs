//! Answers in the documented shapes: list envelopes, and values rendered
//! through a response schema (what fits is kept, what is missing is
//! sampled).

use chrono::Utc;
use serde_json::{Map, Value, json};

use super::store::Page;
use super::{Catalog, MAX_DEPTH, stored_value};

impl Catalog {
    /// A list in the envelope `schema` documents.
    pub(super) fn list_body(
        &self,
        schema: Option<&Value>,
        page: Page,
        query: &[(String, String)],
    ) -> Value {
        let Some(schema) = schema else {
            return Value::Array(page.items.iter().map(|s| stored_value(s)).collect());
        };
        let Some(key) = list_key(&Some(schema.clone()), &self.schemas) else {
            return Value::Array(page.items.iter().map(|s| stored_value(s)).collect());
        };
        let resolved = self.resolve(schema);
        let item_schema = match &key {
            ListKey::Array => resolved.get("items").cloned(),
            ListKey::Property(name) => resolved
                .pointer(&format!("/properties/{name}"))
                .map(|p| self.resolve(p))
                .and_then(|p| self.non_null(p).get("items").cloned()),
        }
        .unwrap_or(json!({}));
        let items: Vec<Value> = page
            .items
            .iter()
            .map(|s| self.render(Some(&stored_value(s)), &item_schema, 0))
            .collect();
        match key {
            ListKey::Array => Value::Array(items),
            ListKey::Property(name) => {
                let mut envelope = Map::new();
                let count = items.len();
                envelope.insert(name, Value::Array(items));
                envelope.insert("count".into(), count.into());
                envelope.insert("total".into(), page.total.into());
                for (k, v) in query {
                    if matches!(k.as_str(), "limit" | "offset" | "skip")
                        && let Ok(n) = v.parse::<u64>()
                    {
                        envelope.insert(k.clone(), n.into());
                    }
                }
                self.render(Some(&Value::Object(envelope)), schema, 0)
            }
        }
    }

    pub(super) fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        let mut schema = schema;
        for _ in 0..MAX_DEPTH {
            match schema
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
                .and_then(|name| self.schemas.get(name))
            {
                Some(target) => schema = target,
                None => break,
            }
        }
        schema
    }

    /// The non-null alternative of `anyOf: [X, null]`, else `schema`.
    pub(super) fn non_null<'a>(&'a self, schema: &'a Value) -> &'a Value {
        alternatives(schema)
            .and_then(|alts| alts.iter().find(|a| a.get("type") != Some(&json!("null"))))
            .map_or(schema, |a| self.resolve(a))
    }

    /// `value` in the shape of `schema`: what fits is kept, what is
    /// required and missing (or does not fit) is sampled.
    pub(super) fn render(&self, value: Option<&Value>, schema: &Value, depth: usize) -> Value {
        let schema = self.resolve(schema);
        if depth > MAX_DEPTH {
            return value.cloned().unwrap_or(Value::Null);
        }
        if let Some(alts) = alternatives(schema) {
            if let Some(v) = value
                && let Some(alt) = alts.iter().find(|a| self.fits(v, a, depth))
            {
                return self.render(Some(v), alt, depth + 1);
            }
            if alts.iter().any(|a| a.get("type") == Some(&json!("null"))) {
                return Value::Null;
            }
            return alts
                .first()
                .map_or(Value::Null, |a| self.render(None, a, depth + 1));
        }
        if let Some(all) = schema.get("allOf").and_then(Value::as_array)
            && let [one] = all.as_slice()
        {
            return self.render(value, one, depth + 1);
        }
        match schema_type(schema) {
            Some("object") => {
                let fields = value.and_then(Value::as_object);
                let mut out = Map::new();
                let properties = schema.get("properties").and_then(Value::as_object);
                let required: Vec<&str> = schema
                    .get("required")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                for (name, property) in properties.into_iter().flatten() {
                    match fields.and_then(|f| f.get(name)) {
                        Some(v) => {
                            out.insert(name.clone(), self.render(Some(v), property, depth + 1));
                        }
                        None if required.contains(&name.as_str()) => {
                            out.insert(name.clone(), self.render(None, property, depth + 1));
                        }
                        None => {}
                    }
                }
                let closed = schema.get("additionalProperties") == Some(&Value::Bool(false));
                if !closed {
                    for (name, v) in fields.into_iter().flatten() {
                        if properties.is_none_or(|p| !p.contains_key(name)) {
                            out.insert(name.clone(), v.clone());
                        }
                    }
                }
                Value::Object(out)
            }
            Some("array") => match value.and_then(Value::as_array) {
                Some(items) => {
                    let item = schema.get("items").cloned().unwrap_or(json!({}));
                    Value::Array(
                        items
                            .iter()
                            .map(|v| self.render(Some(v), &item, depth + 1))
                            .collect(),
                    )
                }
                None => json!([]),
            },
            _ => match value {
                Some(v) if self.fits(v, schema, depth) => v.clone(),
                _ => self.sample(schema),
            },
        }
    }

    /// Whether `value` decodes as `schema` (the type of each level).
    pub(super) fn fits(&self, value: &Value, schema: &Value, depth: usize) -> bool {
        let schema = self.resolve(schema);
        if depth > MAX_DEPTH {
            return true;
        }
        if let Some(alts) = alternatives(schema) {
            return alts.iter().any(|a| self.fits(value, a, depth + 1));
        }
        if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
            return all.iter().all(|a| self.fits(value, a, depth + 1));
        }
        match (schema_type(schema), value) {
            (None, _) => true,
            (Some("null"), Value::Null) => true,
            (Some("string"), Value::String(s)) => match schema.get("format") {
                Some(f) if f == "date-time" => chrono::DateTime::parse_from_rfc3339(s).is_ok(),
                _ => true,
            },
            (Some("integer"), Value::Number(n)) => n.is_i64() || n.is_u64(),
            (Some("number"), Value::Number(_)) => true,
            (Some("boolean"), Value::Bool(_)) => true,
            (Some("array"), Value::Array(items)) => {
                let item = schema.get("items").cloned().unwrap_or(json!({}));
                items.iter().all(|v| self.fits(v, &item, depth + 1))
            }
            (Some("object"), Value::Object(fields)) => schema
                .get("properties")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .all(|(k, p)| fields.get(k).is_none_or(|v| self.fits(v, p, depth + 1))),
            _ => false,
        }
    }

    /// A value of `schema` with nothing to go on.
    pub(super) fn sample(&self, schema: &Value) -> Value {
        let schema = self.resolve(schema);
        if let Some(default) = schema.get("default") {
            return default.clone();
        }
        if let Some(first) = schema
            .get("enum")
            .and_then(Value::as_array)
            .and_then(|e| e.first())
        {
            return first.clone();
        }
        if let Some(constant) = schema.get("const") {
            return constant.clone();
        }
        let minimum = schema.get("minimum").and_then(Value::as_f64).unwrap_or(0.0);
        match schema_type(schema) {
            Some("string") => match schema.get("format").and_then(Value::as_str) {
                Some("date-time") => json!(Utc::now().to_rfc3339()),
                Some("date") => json!(Utc::now().date_naive().to_string()),
                Some("uuid") => json!("00000000-0000-4000-8000-000000000000"),
                Some("uri") => json!("http://127.0.0.1/"),
                _ => json!(""),
            },
            Some("integer") => json!(minimum.max(0.0) as i64),
            Some("number") => json!(minimum.max(0.0)),
            Some("boolean") => json!(false),
            Some("array") => json!([]),
            Some("object") => self.render(None, schema, 1),
            _ => Value::Null,
        }
    }
}

/// Where a list keeps its items.
pub(super) enum ListKey {
    Array,
    Property(String),
}

pub(super) fn alternatives(schema: &Value) -> Option<&Vec<Value>> {
    schema
        .get("anyOf")
        .or_else(|| schema.get("oneOf"))
        .and_then(Value::as_array)
}

pub(super) fn schema_type(schema: &Value) -> Option<&str> {
    match schema.get("type") {
        Some(Value::String(t)) => Some(t),
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null"),
        _ if schema.get("properties").is_some() => Some("object"),
        _ => None,
    }
}

/// Whether `schema` (a success response's) is a list, and where its items are.
pub(super) fn list_key(schema: &Option<Value>, schemas: &Map<String, Value>) -> Option<ListKey> {
    let resolve = |s: &Value| -> Value {
        s.get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix("#/components/schemas/"))
            .and_then(|n| schemas.get(n))
            .cloned()
            .unwrap_or_else(|| s.clone())
    };
    let schema = resolve(schema.as_ref()?);
    if schema_type(&schema) == Some("array") {
        return Some(ListKey::Array);
    }
    let properties = schema.get("properties")?.as_object()?;
    let is_array = |p: &Value| {
        let p = resolve(p);
        schema_type(&p) == Some("array")
            || alternatives(&p).is_some_and(|alts| {
                alts.iter()
                    .any(|a| schema_type(&resolve(a)) == Some("array"))
            })
    };
    [
        "items",
        "pipelines",
        "simulations",
        "optimizations",
        "results",
        "data",
    ]
    .iter()
    .find(|k| properties.get(**k).is_some_and(is_array))
    .map(|k| ListKey::Property((*k).to_owned()))
}
