//! Every operation of the vendored spec that has no dedicated handler,
//! answered from an in-memory store of JSON resources.
//!
//! The routes are the spec's own paths, read once. An operation is served
//! by the shape of its path and method:
//!
//! * `GET …/things` answering a list (an array, or an object with an array
//!   property such as `items` or `pipelines`) lists the collection
//!   `things`: only the resources created under the ids on its path, then
//!   filtered by the query (`name=eq.X`, `name=ilike.%x%`, `status=in.(a,b)`,
//!   a plain value, `created_at_gt` / `_lt`), ordered by `order_by` /
//!   `order`, paged by `limit` and `offset` (or `skip`), in the envelope the
//!   spec documents (`count` is the page's length, `total` every match);
//! * `POST …/things` (or `…/things/create`) creates a resource; a second one
//!   with the same `name` under the same parents answers 409 `CONFLICT`
//!   with `detail.existing_id`, as the server does;
//! * `GET`, `PATCH` and `DELETE …/things/{id}` read, update (a merge) and
//!   delete it, 404 `{"detail": …}` for an unknown id;
//! * anything else is an action, answered with the resource its path names
//!   (404 when there is none) in the documented response's shape.
//!
//! Every answer is rendered through the documented response schema: stored
//! values that fit it are kept, required fields that are missing get a
//! sample value (the first enum value, the current time for a timestamp,
//! zero, an empty string or list), so the generated types always decode
//! what the stand-in sends. A request body missing a required field of the
//! documented request schema answers FastAPI's 422.

use std::collections::BTreeMap;

use chrono::Utc;
use serde_json::{Map, Value, json};

/// How deep `render` and `sample` follow nested schemas.
const MAX_DEPTH: usize = 12;

/// The routes of the spec and its component schemas.
pub(super) struct Catalog {
    routes: Vec<Route>,
    schemas: Map<String, Value>,
}

struct Route {
    method: String,
    segments: Vec<Segment>,
    kind: Kind,
    status: u16,
    /// The success response's schema, if it has a JSON body.
    response: Option<Value>,
    /// The JSON request body's schema, if any.
    request: Option<Value>,
    /// Query parameters the operation requires.
    required_query: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
enum Segment {
    Literal(String),
    Param(String),
}

#[derive(Clone, Debug, PartialEq)]
enum Kind {
    List(String),
    Create(String),
    Read(String),
    Update(String),
    Delete(String),
    /// An action on the resource the path names, if it names one.
    Action(Option<String>),
}

/// One stored resource: its fields, and the resources it was created under.
struct Stored {
    id: String,
    parents: Vec<(String, String)>,
    fields: Map<String, Value>,
}

/// The resources, by collection, in creation order.
#[derive(Default)]
pub(super) struct Store {
    collections: BTreeMap<String, Vec<Stored>>,
    counter: u64,
}

/// An answer: status and JSON body (`None`: no body).
pub(super) type Answer = (u16, Option<Value>);

impl Catalog {
    /// Reads the routes of `spec` (an OpenAPI 3.1 document).
    pub(super) fn new(spec: &Value) -> Catalog {
        let schemas = spec
            .pointer("/components/schemas")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let paths = spec.get("paths").and_then(Value::as_object);
        let mut raw = Vec::new();
        for (path, item) in paths.into_iter().flatten() {
            let Some(item) = item.as_object() else {
                continue;
            };
            for (method, op) in item {
                if !matches!(method.as_str(), "get" | "post" | "put" | "patch" | "delete") {
                    continue;
                }
                raw.push((path.clone(), method.to_ascii_uppercase(), op.clone()));
            }
        }
        // A literal segment is a collection when some path has an id after
        // it or lists it.
        let mut collections = std::collections::BTreeSet::new();
        for (path, method, op) in &raw {
            let segments = segments(path);
            for pair in segments.windows(2) {
                if let [Segment::Literal(l), Segment::Param(_)] = pair {
                    collections.insert(l.clone());
                }
            }
            if method == "GET"
                && let Some(Segment::Literal(l)) = segments.last()
                && list_key(&Catalog::response_schema(op), &schemas).is_some()
            {
                collections.insert(l.clone());
            }
        }
        let mut routes: Vec<Route> = raw
            .iter()
            .map(|(path, method, op)| {
                let segments = segments(path);
                let response = Catalog::response_schema(op);
                let kind = classify(method, &segments, &collections, &response, &schemas);
                let status = op
                    .get("responses")
                    .and_then(Value::as_object)
                    .and_then(|r| {
                        r.keys()
                            .filter_map(|k| k.parse::<u16>().ok())
                            .find(|s| (200..400).contains(s))
                    })
                    .unwrap_or(200);
                let request = op
                    .pointer("/requestBody/content/application~1json/schema")
                    .cloned();
                let required_query = op
                    .get("parameters")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter(|p| p["in"] == "query" && p["required"] == true)
                    .filter_map(|p| p["name"].as_str().map(str::to_owned))
                    .collect();
                Route {
                    method: method.clone(),
                    segments,
                    kind,
                    status,
                    response,
                    request,
                    required_query,
                }
            })
            .collect();
        // Literal segments win over parameters (`/models/upload-custom`
        // before `/models/{model_id}`), as in the server's router.
        routes.sort_by_key(|r| {
            r.segments
                .iter()
                .map(|s| u8::from(matches!(s, Segment::Param(_))))
                .collect::<Vec<_>>()
        });
        Catalog { routes, schemas }
    }

    fn response_schema(op: &Value) -> Option<Value> {
        let responses = op.get("responses")?.as_object()?;
        let (_, response) = responses
            .iter()
            .find(|(k, _)| k.parse::<u16>().is_ok_and(|s| (200..300).contains(&s)))?;
        response
            .pointer("/content/application~1json/schema")
            .cloned()
    }

    /// Answers a request no dedicated handler took; `None` when no route
    /// of the spec has this path.
    pub(super) fn answer(
        &self,
        store: &mut Store,
        method: &str,
        path: &str,
        query: &[(String, String)],
        body: Option<&Value>,
    ) -> Option<Answer> {
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        let mut path_matched = false;
        for route in &self.routes {
            let Some(params) = route.matches(&parts) else {
                continue;
            };
            path_matched = true;
            if route.method != method {
                continue;
            }
            return Some(self.serve(route, store, &params, query, body));
        }
        path_matched.then(|| (405, Some(json!({"detail": "Method Not Allowed"}))))
    }

    fn serve(
        &self,
        route: &Route,
        store: &mut Store,
        params: &[(String, String)],
        query: &[(String, String)],
        body: Option<&Value>,
    ) -> Answer {
        if let Some(errors) = self.invalid(route, query, body) {
            return (422, Some(json!({ "detail": errors })));
        }
        let parents = parents(&route.segments, params);
        let id = params.last().map(|(_, v)| v.as_str()).unwrap_or_default();
        let ok = |value: Value| (route.status, Some(value));
        match &route.kind {
            Kind::List(collection) => {
                let items = store.list(collection, &parents, query);
                ok(self.list_body(route.response.as_ref(), items, query))
            }
            Kind::Create(collection) => {
                let fields = body.and_then(Value::as_object).cloned().unwrap_or_default();
                match store.create(collection, parents, fields, params) {
                    Ok(stored) => ok(self.render_stored(route, stored)),
                    Err(existing) => (
                        409,
                        Some(json!({
                            "error_code": "CONFLICT",
                            "message": format!("A resource named like this already exists: {existing}"),
                            "detail": {"existing_id": existing},
                        })),
                    ),
                }
            }
            Kind::Read(collection) => match store.get(collection, id) {
                Some(stored) => ok(self.render_stored(route, stored)),
                None => not_found(collection, id),
            },
            Kind::Update(collection) => {
                let changes = body.and_then(Value::as_object).cloned().unwrap_or_default();
                match store.update(collection, id, changes) {
                    Some(stored) => ok(self.render_stored(route, stored)),
                    None => not_found(collection, id),
                }
            }
            Kind::Delete(collection) => match store.delete(collection, id) {
                Some(stored) => match &route.response {
                    Some(schema) => ok(self.render(Some(&stored_value(&stored)), schema, 0)),
                    None => (route.status, None),
                },
                None => not_found(collection, id),
            },
            Kind::Action(target) => {
                let stored = match target {
                    Some(collection) => {
                        let target_id = target_id(&route.segments, params, collection);
                        match store.get(collection, target_id) {
                            Some(stored) => Some(stored),
                            None => return not_found(collection, target_id),
                        }
                    }
                    None => None,
                };
                let mut seed = stored.map(stored_value).unwrap_or_else(|| json!({}));
                if let (Value::Object(seed), Some(Value::Object(body))) = (&mut seed, body) {
                    for (k, v) in body {
                        seed.entry(k.clone()).or_insert_with(|| v.clone());
                    }
                }
                if let Value::Object(seed) = &mut seed {
                    for (name, value) in params {
                        seed.entry(name.clone())
                            .or_insert_with(|| Value::String(value.clone()));
                    }
                }
                match &route.response {
                    Some(schema) => ok(self.render(Some(&seed), schema, 0)),
                    None => (route.status, None),
                }
            }
        }
    }

    fn render_stored(&self, route: &Route, stored: &Stored) -> Value {
        let value = stored_value(stored);
        match &route.response {
            Some(schema) => self.render(Some(&value), schema, 0),
            None => value,
        }
    }

    /// FastAPI's 422 for a missing required query parameter or body field.
    fn invalid(
        &self,
        route: &Route,
        query: &[(String, String)],
        body: Option<&Value>,
    ) -> Option<Vec<Value>> {
        let mut errors = Vec::new();
        for name in &route.required_query {
            if !query.iter().any(|(k, _)| k == name) {
                errors.push(missing(&["query", name], Value::Null));
            }
        }
        if let Some(schema) = route.request.as_ref().map(|s| self.resolve(s)) {
            match body {
                None => errors.push(missing(&["body"], Value::Null)),
                Some(Value::Object(fields)) => {
                    let required = schema.get("required").and_then(Value::as_array);
                    for name in required.into_iter().flatten().filter_map(Value::as_str) {
                        if !fields.contains_key(name) {
                            errors.push(missing(&["body", name], Value::Object(fields.clone())));
                        }
                    }
                }
                Some(other) if schema.get("properties").is_some() => errors.push(json!({
                    "type": "model_attributes_type",
                    "loc": ["body"],
                    "msg": "Input should be a valid dictionary or object to extract fields from",
                    "input": other,
                })),
                Some(_) => {}
            }
        }
        (!errors.is_empty()).then_some(errors)
    }

    /// A list in the envelope `schema` documents.
    fn list_body(&self, schema: Option<&Value>, page: Page, query: &[(String, String)]) -> Value {
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

    fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
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
    fn non_null<'a>(&'a self, schema: &'a Value) -> &'a Value {
        alternatives(schema)
            .and_then(|alts| alts.iter().find(|a| a.get("type") != Some(&json!("null"))))
            .map_or(schema, |a| self.resolve(a))
    }

    /// `value` in the shape of `schema`: what fits is kept, what is
    /// required and missing (or does not fit) is sampled.
    fn render(&self, value: Option<&Value>, schema: &Value, depth: usize) -> Value {
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
    fn fits(&self, value: &Value, schema: &Value, depth: usize) -> bool {
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
    fn sample(&self, schema: &Value) -> Value {
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

impl Route {
    /// The path parameters, if `parts` is this route's path.
    fn matches(&self, parts: &[&str]) -> Option<Vec<(String, String)>> {
        if parts.len() != self.segments.len() {
            return None;
        }
        let mut params = Vec::new();
        for (segment, part) in self.segments.iter().zip(parts) {
            match segment {
                Segment::Literal(l) if l == part => {}
                Segment::Literal(_) => return None,
                Segment::Param(_) if part.is_empty() => return None,
                Segment::Param(name) => {
                    let value = percent_decode(part)?;
                    params.push((name.clone(), value));
                }
            }
        }
        Some(params)
    }
}

fn percent_decode(part: &str) -> Option<String> {
    url::form_urlencoded::parse(format!("v={}", part.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
}

fn segments(path: &str) -> Vec<Segment> {
    path.trim_matches('/')
        .split('/')
        .map(
            |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => Segment::Param(name.to_owned()),
                None => Segment::Literal(s.to_owned()),
            },
        )
        .collect()
}

/// Where a list keeps its items.
enum ListKey {
    Array,
    Property(String),
}

fn alternatives(schema: &Value) -> Option<&Vec<Value>> {
    schema
        .get("anyOf")
        .or_else(|| schema.get("oneOf"))
        .and_then(Value::as_array)
}

fn schema_type(schema: &Value) -> Option<&str> {
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
fn list_key(schema: &Option<Value>, schemas: &Map<String, Value>) -> Option<ListKey> {
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

fn classify(
    method: &str,
    segments: &[Segment],
    collections: &std::collections::BTreeSet<String>,
    response: &Option<Value>,
    schemas: &Map<String, Value>,
) -> Kind {
    let is_collection = |s: &Segment| matches!(s, Segment::Literal(l) if collections.contains(l));
    let name = |s: &Segment| match s {
        Segment::Literal(l) | Segment::Param(l) => l.clone(),
    };
    match (method, segments) {
        ("GET", [.., last]) if is_collection(last) && list_key(response, schemas).is_some() => {
            Kind::List(name(last))
        }
        ("POST", [.., last]) if is_collection(last) => Kind::Create(name(last)),
        ("POST", [.., coll, Segment::Literal(verb)]) if verb == "create" && is_collection(coll) => {
            Kind::Create(name(coll))
        }
        (method, [.., coll, Segment::Param(_)]) if is_collection(coll) => match method {
            "GET" => Kind::Read(name(coll)),
            "PATCH" | "PUT" => Kind::Update(name(coll)),
            "DELETE" => Kind::Delete(name(coll)),
            _ => Kind::Action(Some(name(coll))),
        },
        _ => Kind::Action(segments.windows(2).rev().find_map(|w| match w {
            [c, Segment::Param(_)] if is_collection(c) => Some(name(c)),
            _ => None,
        })),
    }
}

/// The `(collection, id)` pairs a path names, but for the resource itself
/// when the path ends with its id.
fn parents(segments: &[Segment], params: &[(String, String)]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut values = params.iter();
    for pair in segments.windows(2) {
        if let [first, Segment::Param(_)] = pair {
            let value = values.next().map(|(_, v)| v.clone()).unwrap_or_default();
            if let Segment::Literal(collection) = first {
                out.push((collection.clone(), value));
            }
        }
    }
    if matches!(segments.last(), Some(Segment::Param(_))) {
        out.pop();
    }
    out
}

/// The id of `collection` on an action's path.
fn target_id<'a>(
    segments: &[Segment],
    params: &'a [(String, String)],
    collection: &str,
) -> &'a str {
    let mut values = params.iter();
    let mut found = "";
    for pair in segments.windows(2) {
        if let [c, Segment::Param(_)] = pair {
            let value = values.next().map(|(_, v)| v.as_str()).unwrap_or_default();
            if matches!(c, Segment::Literal(l) if l == collection) {
                found = value;
            }
        }
    }
    found
}

fn singular(collection: &str) -> String {
    let c = collection.strip_suffix("ies").map(|s| format!("{s}y"));
    c.or_else(|| {
        collection
            .strip_suffix("es")
            .filter(|s| s.ends_with("ss") || s.ends_with("x"))
            .map(str::to_owned)
    })
    .or_else(|| collection.strip_suffix('s').map(str::to_owned))
    .unwrap_or_else(|| collection.to_owned())
}

fn stored_value(stored: &Stored) -> Value {
    Value::Object(stored.fields.clone())
}

fn missing(loc: &[&str], input: Value) -> Value {
    json!({"type": "missing", "loc": loc, "msg": "Field required", "input": input})
}

fn not_found(collection: &str, id: &str) -> Answer {
    let what = singular(collection).replace('_', " ");
    (
        404,
        Some(json!({ "detail": format!("{what} {id} not found") })),
    )
}

/// One page of a list and the number of matches.
struct Page<'a> {
    items: Vec<&'a Stored>,
    total: usize,
}

impl Store {
    fn get(&self, collection: &str, id: &str) -> Option<&Stored> {
        self.collections
            .get(collection)?
            .iter()
            .find(|s| s.id == id)
    }

    fn create(
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
            .or_insert_with(|| json!(super::server::ORGANIZATION_ID));
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

    fn update(
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

    fn delete(&mut self, collection: &str, id: &str) -> Option<Stored> {
        let items = self.collections.get_mut(collection)?;
        let at = items.iter().position(|s| s.id == id)?;
        Some(items.remove(at))
    }

    fn list(
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
