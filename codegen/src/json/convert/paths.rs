//! Path items, operations, parameters, bodies and responses: the document
//! around the schemas, in the shape progenitor 0.15 can generate.
//!
//! Path-level parameters are merged into each operation and `$ref`s to
//! parameters, bodies and responses are inlined; cookie parameters are
//! dropped; an undeclared path variable is declared as a string (progenitor
//! panics "missing from path"); content-style parameters get a schema;
//! nullable parameter schemas lose `nullable` (an absent parameter already
//! means null; progenitor would emit `Option<Option<T>>`). A request body
//! keeps the one media type progenitor can send, and each side (success,
//! error) of the responses one response kind (progenitor asserts it); a
//! media type loses its `encoding` (progenitor asserts it is empty).

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use super::{Cx, HTTP_METHODS, Result, as_array, as_object, validate::member_type};
use crate::error::{CodegenError, Ptr};

impl Cx<'_> {
    pub(super) fn path_item(
        &mut self,
        path: &str,
        item: &mut Value,
        ptr: &Ptr<'_>,
        components: &Value,
    ) -> Result<()> {
        let item = as_object(item, ptr, "path item")?;
        if item.contains_key("$ref") {
            return Err(CodegenError::new(
                ptr,
                "path item $ref",
                "path items defined by reference are not supported; inline the path item",
            ));
        }
        // Path-level parameters apply to every operation; progenitor reads them,
        // but merging keeps every operation-level rewrite in one place. Both
        // lists are resolved first so that `$ref`s merge by name and location.
        let shared = match item.remove("parameters") {
            Some(mut shared) => {
                resolve_parameters(&mut shared, &ptr.key("parameters"), components)?
            }
            None => Vec::new(),
        };
        for method in HTTP_METHODS {
            let Some(op) = item.get_mut(method) else {
                continue;
            };
            let op_ptr = ptr.key(method);
            let op_obj = as_object(op, &op_ptr, "operation")?;
            if let Some(params) = op_obj.get_mut("parameters") {
                let resolved = resolve_parameters(params, &op_ptr.key("parameters"), components)?;
                *params = Value::Array(resolved);
            }
            if !shared.is_empty() {
                let params = op_obj.entry("parameters").or_insert_with(|| json!([]));
                let params = as_array(params, &op_ptr.key("parameters"), "parameters")?;
                let key = |v: &Value| (v.get("name").cloned(), v.get("in").cloned());
                for p in &shared {
                    if !params.iter().any(|q| key(q) == key(p)) {
                        params.push(p.clone());
                    }
                }
            }
            self.operation(path, method, op, &op_ptr, components)?;
        }
        Ok(())
    }

    pub(super) fn operation(
        &mut self,
        path: &str,
        method: &str,
        op: &mut Value,
        ptr: &Ptr<'_>,
        components: &Value,
    ) -> Result<()> {
        let op = as_object(op, ptr, "operation")?;
        for (key, ok) in [
            ("summary", op.get("summary").is_none_or(Value::is_string)),
            (
                "description",
                op.get("description").is_none_or(Value::is_string),
            ),
            (
                "operationId",
                op.get("operationId").is_none_or(Value::is_string),
            ),
            (
                "deprecated",
                op.get("deprecated").is_none_or(Value::is_boolean),
            ),
            (
                "tags",
                op.get("tags")
                    .is_none_or(|t| t.as_array().is_some_and(|t| t.iter().all(Value::is_string))),
            ),
            (
                "parameters",
                op.get("parameters").is_none_or(Value::is_array),
            ),
            (
                "responses",
                op.get("responses").is_none_or(Value::is_object),
            ),
        ] {
            member_type(ok, ptr, key, "operation", "has the wrong JSON type")?;
        }
        if !matches!(op.get("operationId"), Some(Value::String(s)) if !s.is_empty()) {
            let synthesized = format!("{method}{}", fastapi_path_suffix(path));
            self.report.note(
                ptr,
                format!("no operationId; named `{synthesized}` from method and path"),
            );
            op.insert("operationId".into(), json!(synthesized));
        }
        if let Some(Value::Array(tags)) = op.get_mut("tags") {
            let mut seen = BTreeSet::new();
            tags.retain(|t| seen.insert(t.to_string()));
        }
        op.remove("callbacks");

        // Parameters.
        let mut declared_path_params = BTreeSet::new();
        if let Some(params) = op.get_mut("parameters") {
            let params_ptr = ptr.key("parameters");
            let params = as_array(params, &params_ptr, "parameters")?;
            let mut kept = Vec::with_capacity(params.len());
            for (i, mut p) in params.drain(..).enumerate() {
                let p_ptr = params_ptr.index(i);
                let location = p
                    .get("in")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                let name = p
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                match location.as_str() {
                    "cookie" => {
                        self.report.note(
                            p_ptr,
                            format!("cookie parameter `{name}` dropped: cookies belong to the HTTP client"),
                        );
                        continue;
                    }
                    "path" => {
                        // progenitor sorts path parameters by their place in
                        // the template and panics on one that is not in it
                        // (`method.rs`: "{} missing from path").
                        if !path_variables(path).contains(&name) {
                            return Err(CodegenError::new(
                                p_ptr,
                                "parameter",
                                format!(
                                    "path parameter `{name}` is not in the path template; add \
                                     `{{{name}}}` to the path or declare it `in: query`"
                                ),
                            ));
                        }
                        // A path cannot leave a parameter out; progenitor
                        // asserts `required` (`method.rs`:
                        // `assert!(parameter_data.required)`).
                        if let Some(p) = p.as_object_mut()
                            && p.get("required") != Some(&Value::Bool(true))
                            && p.get("required").is_none_or(Value::is_boolean)
                        {
                            p.insert("required".into(), json!(true));
                            self.report.note(
                                p_ptr,
                                format!("path parameter `{name}` made required: a path cannot leave it out"),
                            );
                        }
                        declared_path_params.insert(name.clone());
                    }
                    "query" | "header" => {}
                    other => {
                        return Err(CodegenError::new(
                            p_ptr,
                            "parameter",
                            format!("unknown parameter location {other:?}"),
                        ));
                    }
                }
                self.parameter(&mut p, &p_ptr, &location)?;
                kept.push(p);
            }
            *params = kept;
        }
        // A path template variable nobody declared makes progenitor panic
        // (`method.rs`: "{} missing from path"); declare it as a string.
        for var in path_variables(path) {
            if !declared_path_params.contains(&var) {
                self.report.note(
                    ptr,
                    format!("path parameter `{var}` used in the path but not declared; added as a string"),
                );
                let params = op.entry("parameters").or_insert_with(|| json!([]));
                if let Some(params) = params.as_array_mut() {
                    params.push(json!({"name": var, "in": "path", "required": true, "schema": {"type": "string"}}));
                }
            }
        }

        // Request body.
        if let Some(body) = op.get_mut("requestBody") {
            let body_ptr = ptr.key("requestBody");
            if let Some(Value::String(r)) = body.get("$ref") {
                *body = resolve(components, r, "requestBodies")
                    .cloned()
                    .map_err(|m| CodegenError::new(body_ptr, "requestBody $ref", m))?;
            }
            if let Some(reason) = self.request_body(body, &body_ptr)? {
                self.report.skip(ptr, reason);
                self.skipped.push((path.to_string(), method.to_string()));
                return Ok(());
            }
        }

        // Responses.
        let responses_ptr = ptr.key("responses");
        let responses = op
            .entry("responses")
            .or_insert_with(|| json!({"default": {"description": ""}}));
        let responses = as_object(responses, &responses_ptr, "responses")?;
        for (status, response) in responses.iter_mut() {
            let r_ptr = responses_ptr.key(status);
            if let Some(Value::String(r)) = response.get("$ref") {
                *response = resolve(components, r, "responses")
                    .cloned()
                    .map_err(|m| CodegenError::new(r_ptr, "response $ref", m))?;
            }
            self.response_schemas(response, &r_ptr)?;
        }
        self.normalise_response_sides(responses, &responses_ptr);
        Ok(())
    }

    pub(super) fn parameter(&mut self, p: &mut Value, ptr: &Ptr<'_>, location: &str) -> Result<()> {
        let p = as_object(p, ptr, "parameter")?;
        for (key, ok) in [
            ("name", p.get("name").is_some_and(Value::is_string)),
            ("required", p.get("required").is_none_or(Value::is_boolean)),
            (
                "description",
                p.get("description").is_none_or(Value::is_string),
            ),
            (
                "deprecated",
                p.get("deprecated").is_none_or(Value::is_boolean),
            ),
        ] {
            member_type(
                ok,
                ptr,
                key,
                "parameter",
                "is missing or has the wrong JSON type",
            )?;
        }
        if !p.contains_key("schema") {
            // `content`-style parameters: progenitor needs a schema.
            let schema = p
                .remove("content")
                .and_then(|c| c.as_object().and_then(|c| c.values().next().cloned()))
                .and_then(|m| m.get("schema").cloned())
                .unwrap_or_else(|| json!({"type": "string"}));
            p.insert("schema".into(), schema);
        }
        let schema_ptr = ptr.key("schema");
        let schema = p.get_mut("schema").expect("inserted above");
        self.schema(schema, &schema_ptr, false)?;
        if let Some(s) = schema.as_object_mut() {
            // An absent optional parameter already means "null": a nullable
            // parameter schema would make progenitor emit `Option<Option<T>>`
            // (and header parameters fail to compile without `Display`).
            s.remove("nullable");
            if location == "header" && s.get("type") == Some(&json!("array")) {
                self.report.note(
                    ptr,
                    "array header parameter sent as one comma-separated string",
                );
                *s = Map::from_iter([("type".to_string(), json!("string"))]);
            }
            if location == "header" && s.contains_key("oneOf") {
                self.report
                    .note(ptr, "union-typed header parameter sent as a string");
                *s = Map::from_iter([("type".to_string(), json!("string"))]);
            }
        }
        Ok(())
    }

    pub(super) fn parameter_schemas(&mut self, p: &mut Value, ptr: &Ptr<'_>) -> Result<()> {
        if let Some(schema) = p.get_mut("schema") {
            self.schema(schema, &ptr.key("schema"), false)?;
        }
        Ok(())
    }

    pub(super) fn response_schemas(&mut self, response: &mut Value, ptr: &Ptr<'_>) -> Result<()> {
        if let Some(headers) = response.get_mut("headers").and_then(Value::as_object_mut) {
            for (name, h) in headers.iter_mut() {
                self.parameter_schemas(h, &ptr.key("headers").key(name))?;
            }
        }
        self.content_schemas(response, ptr)
    }

    /// Convert the schema of every media type under `holder.content`.
    pub(super) fn content_schemas(&mut self, holder: &mut Value, ptr: &Ptr<'_>) -> Result<()> {
        let Some(content) = holder.get_mut("content") else {
            return Ok(());
        };
        let content_ptr = ptr.key("content");
        let content = as_object(content, &content_ptr, "content")?;
        for (media, mt) in content.iter_mut() {
            let mt_ptr = content_ptr.key(media);
            let mt = as_object(mt, &mt_ptr, "media type")?;
            // progenitor: panics with "media type encoding, no schema".
            let schema = mt.entry("schema").or_insert_with(|| json!({}));
            self.schema(schema, &mt_ptr.key("schema"), false)?;
            // progenitor: asserts `mt.encoding.is_empty()` and panics with "media type encoding not empty".
            mt.remove("encoding");
            if let Some(examples) = mt.remove("examples")
                && !mt.contains_key("example")
                && let Some(first) = examples
                    .as_object()
                    .and_then(|e| e.values().next())
                    .and_then(|e| e.get("value"))
            {
                mt.insert("example".into(), first.clone());
            }
        }
        Ok(())
    }

    /// Pick the one body media type progenitor can send. Returns the reason
    /// when the operation cannot be generated at all.
    pub(super) fn request_body(
        &mut self,
        body: &mut Value,
        ptr: &Ptr<'_>,
    ) -> Result<Option<String>> {
        self.content_schemas(body, ptr)?;
        let content_ptr = ptr.key("content");
        let Some(content) = body.get_mut("content") else {
            return Ok(None);
        };
        let content = as_object(content, &content_ptr, "content")?;
        let base = |m: &str| m.split(';').next().unwrap_or(m).trim().to_ascii_lowercase();
        let supported = |m: &str| {
            matches!(
                base(m).as_str(),
                "application/json"
                    | "application/x-www-form-urlencoded"
                    | "application/octet-stream"
                    | "text/plain"
            )
        };
        let preferred = [
            "application/json",
            "application/x-www-form-urlencoded",
            "application/octet-stream",
            "text/plain",
        ];
        let chosen = preferred
            .iter()
            .find_map(|p| content.keys().find(|k| base(k) == *p).cloned())
            .or_else(|| content.keys().find(|k| base(k).ends_with("+json")).cloned());
        let Some(chosen) = chosen else {
            let kinds: Vec<_> = content.keys().cloned().collect();
            return Ok(Some(if kinds.is_empty() {
                "request body declares no media type".to_string()
            } else {
                format!(
                    "request body media type {} is not supported by progenitor (no multipart or custom body support)",
                    kinds.join(", ")
                )
            }));
        };
        if content.len() > 1 {
            let dropped: Vec<_> = content.keys().filter(|k| **k != chosen).cloned().collect();
            self.report.note(
                content_ptr,
                format!(
                    "request body sent as {chosen}; alternative media types {} dropped",
                    dropped.join(", ")
                ),
            );
            content.retain(|k, _| *k == chosen);
        }
        if !supported(&chosen) {
            // `application/vnd.x+json`: send as JSON.
            let mt = content.remove(&chosen).expect("present");
            content.insert("application/json".into(), mt);
        }
        if base(&chosen) == "application/octet-stream" {
            // progenitor insists on `{type: string, format: binary}` for raw bodies.
            if let Some(mt) = content.values_mut().next() {
                mt["schema"] = json!({"type": "string", "format": "binary"});
            }
        }
        Ok(None)
    }

    /// progenitor allows one response *kind* per side (success / error):
    /// `method.rs`: `assert!(response_types.len() <= 1)`. Keep JSON where a
    /// side has it, merge several JSON schemas into one `oneOf`, and give
    /// content-less responses next to raw ones an octet-stream body (lossless).
    pub(super) fn normalise_response_sides(
        &mut self,
        responses: &mut Map<String, Value>,
        ptr: &Ptr<'_>,
    ) {
        // 3.0 status keys are strings; lower-case `2xx` is accepted by openapiv3 as-is.
        let has_explicit = responses.keys().any(|k| k != "default");
        if has_explicit && responses.contains_key("default") {
            // `default` counts as success *and* error in progenitor.
            responses.remove("default");
            self.report.note(
                ptr.key("default"),
                "`default` response dropped next to explicit statuses; it surfaces as an unexpected-response error",
            );
        }
        let is_success = |k: &str| k.starts_with('2') || k == "101" || k == "default";
        for success in [true, false] {
            let keys: Vec<String> = responses
                .keys()
                .filter(|k| is_success(k) == success)
                .cloned()
                .collect();
            let json_media = |r: &Value| -> Option<String> {
                r.get("content")?
                    .as_object()?
                    .keys()
                    .find(|m| *m == "application/json" || m.starts_with("application/json;"))
                    .cloned()
            };
            let with_json: Vec<&String> = keys
                .iter()
                .filter(|k| json_media(&responses[*k]).is_some())
                .collect();
            if !with_json.is_empty() {
                // Distinct schemas among the JSON responses.
                let mut schemas: Vec<Value> = Vec::new();
                for k in &with_json {
                    let r = &responses[*k];
                    let media = json_media(r).expect("filtered");
                    let s = r["content"][&media]
                        .get("schema")
                        .cloned()
                        .unwrap_or_else(|| json!({}));
                    if !schemas.contains(&s) {
                        schemas.push(s);
                    }
                }
                let merged = if schemas.len() > 1 {
                    self.report.note(
                        ptr,
                        format!(
                            "{} responses {} have different JSON bodies; merged into one untagged union",
                            if success { "success" } else { "error" },
                            with_json.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
                        ),
                    );
                    Some(json!({"oneOf": schemas}))
                } else {
                    None
                };
                let with_json: Vec<String> = with_json.into_iter().cloned().collect();
                for k in &keys {
                    let r = responses.get_mut(k).expect("listed");
                    if with_json.contains(k) {
                        let media = json_media(r).expect("filtered");
                        let content = r["content"].as_object_mut().expect("checked");
                        let mut mt = content.remove(&media).expect("present");
                        if let Some(m) = &merged {
                            mt["schema"] = m.clone();
                        }
                        content.clear();
                        content.insert("application/json".into(), mt);
                    } else {
                        self.report.note(
                            ptr.key(k),
                            "non-JSON response dropped next to JSON ones on the same side; it surfaces as an unexpected-response error",
                        );
                        responses.remove(k);
                    }
                }
            } else {
                let any_raw = keys.iter().any(|k| {
                    responses[k]
                        .get("content")
                        .and_then(Value::as_object)
                        .is_some_and(|c| !c.is_empty())
                });
                if any_raw {
                    for k in &keys {
                        let r = responses.get_mut(k).expect("listed");
                        let empty = r
                            .get("content")
                            .and_then(Value::as_object)
                            .is_none_or(|c| c.is_empty());
                        if empty {
                            r["content"] = json!({"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}});
                        }
                    }
                }
            }
        }
    }
}

/// Resolve a local `$ref` to a component of `kind` (`parameters`,
/// `requestBodies`, `responses`), such as `#/components/parameters/Limit`,
/// following references to references. The error says what is wrong with
/// `reference`: progenitor looks a reference up by its last token among the
/// components of the kind it expects (`progenitor-impl` `util.rs`
/// `ReferenceOrExt::item`, which panics "key … is missing").
pub(super) fn resolve<'a>(
    components: &'a Value,
    reference: &str,
    kind: &str,
) -> std::result::Result<&'a Value, String> {
    /// More hops than any document needs; a cycle ends here too.
    const HOPS: usize = 16;
    let prefix = format!("#/components/{kind}/");
    let mut r = reference;
    for _ in 0..HOPS {
        let target = match r.strip_prefix(prefix.as_str()) {
            Some(name) if !name.contains('/') => components
                .get(kind)
                .and_then(|c| c.get(crate::error::pointer_unescape(name).as_ref())),
            _ => {
                let found: String = r.chars().take(120).collect();
                return Err(format!(
                    "must point to a component under `/components/{kind}`, found `{found}`"
                ));
            }
        };
        match target {
            Some(Value::Object(o)) => match o.get("$ref") {
                Some(Value::String(next)) => r = next,
                Some(_) => return Err(format!("`{r}` holds a `$ref` that is not a string")),
                None => return Ok(target.expect("matched")),
            },
            Some(_) => return Err(format!("`{r}` is not an object")),
            None => return Err(format!("unresolved reference {r}")),
        }
    }
    Err(format!(
        "more than {HOPS} references in a row from `{reference}` (a cycle?); refer to the \
         component itself"
    ))
}

/// The parameters of `list` with local `$ref`s replaced by their targets.
pub(super) fn resolve_parameters(
    list: &mut Value,
    ptr: &Ptr<'_>,
    components: &Value,
) -> Result<Vec<Value>> {
    let list = as_array(list, ptr, "parameters")?;
    list.drain(..)
        .enumerate()
        .map(|(i, p)| match p.get("$ref") {
            Some(Value::String(r)) => resolve(components, r, "parameters")
                .cloned()
                .map_err(|m| CodegenError::new(ptr.index(i), "parameter $ref", m)),
            _ => Ok(p),
        })
        .collect()
}

/// `{job_id}` variables of a path template.
pub(super) fn path_variables(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        let Some(end) = rest[start..].find('}') else {
            break;
        };
        out.push(rest[start + 1..start + end].to_string());
        rest = &rest[start + end + 1..];
    }
    out
}

/// The part FastAPI appends to a route's name to build its default
/// operationId: `re.sub(r"\W", "_", path)` (see `fastapi.utils.generate_unique_id`).
pub(crate) fn fastapi_path_suffix(path: &str) -> String {
    path.chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}
