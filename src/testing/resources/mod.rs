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

use serde_json::{Map, Value, json};

mod shape;
mod store;

use shape::list_key;

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

impl Store {
    /// Stores a resource of `collection` created outside the routes (a
    /// simulation of a batch); returns its id.
    pub(in crate::testing) fn put(
        &mut self,
        collection: &str,
        fields: Map<String, Value>,
    ) -> String {
        match self.create(collection, Vec::new(), fields, &[]) {
            Ok(stored) => stored.id.clone(),
            Err(existing) => existing,
        }
    }

    /// Stores a resource of `collection` under the id `id` (one the server
    /// handed out before the resource existed, as `initiate-upload` does).
    pub(in crate::testing) fn put_with_id(
        &mut self,
        collection: &str,
        id: &str,
        fields: Map<String, Value>,
    ) {
        let created = self.put(collection, fields);
        if let Some(stored) = self
            .collections
            .get_mut(collection)
            .and_then(|items| items.iter_mut().find(|s| s.id == created))
        {
            stored.id = id.to_owned();
            stored
                .fields
                .insert("id".into(), Value::String(id.to_owned()));
        }
    }

    /// The fields of a stored resource.
    pub(in crate::testing) fn fields(
        &self,
        collection: &str,
        id: &str,
    ) -> Option<&Map<String, Value>> {
        self.get(collection, id).map(|s| &s.fields)
    }
}

/// The status to answer for a response key of the spec, if it is a success:
/// `201`, or FastAPI's default 200 for the range `2XX` (used where the
/// status is not published).
fn success(key: &str) -> Option<u16> {
    if key.eq_ignore_ascii_case("2XX") {
        return Some(200);
    }
    key.parse::<u16>().ok().filter(|s| (200..300).contains(s))
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
                    .and_then(|r| r.keys().find_map(|k| success(k)))
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
        let (_, response) = responses.iter().find(|(k, _)| success(k).is_some())?;
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
