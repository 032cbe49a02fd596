//! Faithful down-conversion of an OpenAPI 3.1 (JSON Schema 2020-12) document
//! to the OpenAPI 3.0.3 dialect that `openapiv3` and progenitor read, plus the
//! normalisations that keep progenitor 0.15 / typify 0.8 from panicking or
//! silently generating wrong types.
//!
//! Everything works on `serde_json::Value` so that every rewrite knows the
//! JSON pointer of what it touches; typed parsing happens afterwards.
//!
//! This module is the driver: [`convert`] checks references, converts the
//! component schemas, then the operations, then the whole-document steps
//! (recursive components, bounds); `Cx::schema` applies the schema rules to
//! every schema, children first, in this order. The rules, one module each:
//!
//! | construct (3.1 / 2020-12) | 3.0 shape | module |
//! |---|---|---|
//! | keyword JSON types, `default` against `type`, the version | errors with pointers; contradicting defaults dropped | [`validate`] |
//! | `$defs`, `if`/`then`/`else`, `patternProperties`, …, `examples`, `contentMediaType`, titles | dropped; `example`; `format: binary`/`byte` | [`annotations`] |
//! | `prefixItems`, draft-04 `items: [...]` | one `items` schema | [`tuples`] |
//! | `const`, `enum` (null, mixed types, case-only differences) | one-value `enum`; `nullable`; `oneOf` per type; numbered variants | [`enums`] |
//! | numeric `exclusiveMinimum`/`exclusiveMaximum`, all bounds | boolean form; removed, request bounds kept for the rewrite | [`bounds`] |
//! | `type: [T, "null"]`, `anyOf`/`oneOf` with null, `type: null` | `nullable: true`, `allOf: [{$ref}]`, `oneOf`, `enum: [null]` | [`nullable`] |
//! | `$ref` beside other keywords | `allOf: [{$ref}]` or a lone `$ref` | [`refs`] |
//! | `$ref` resolution, alias and recursive cycles | errors; split nullable roots; simplified recursive `allOf` | [`references`] |
//! | path items, operations, parameters, bodies, responses | what progenitor can generate | [`paths`] |
//! | empty `allOf`, `not` beyond enumerated values, untyped validation of several types, stray `format`s, `enum` and `default` values their schema rejects | what typify can take, after all the rules above | [`generator`] |
//!
//! Where a schema is, and so where a key is a keyword, is
//! [`crate::schema`]'s to say.

mod annotations;
mod bounds;
mod enums;
mod generator;
mod nullable;
mod paths;
mod references;
mod refs;
mod tuples;
mod validate;

use serde_json::{Map, Value, json};

use crate::HTTP_METHODS;
use crate::document::{
    component_name, component_schemas, component_schemas_mut, each_operation_mut, operations,
};
use crate::error::{CodegenError, Ptr, Report};

pub(crate) use bounds::FieldConstraint;
use bounds::lenient_and_constraints;
pub(crate) use enums::VARIANT_SEPARATOR;
pub(crate) use paths::fastapi_path_suffix;
use references::{check_alias_cycles, check_refs, inline_subschema_refs, recursion_steps};
pub(crate) use references::{closure, reachable, refs_in, schema_graph};
use refs::ref_descriptions;
use validate::check_version;

pub(crate) struct Converted {
    pub doc: Value,
    pub constraints: Vec<FieldConstraint>,
    /// `(component, property, description)` of properties that are a `$ref`
    /// with a `description` beside it: OpenAPI 3.0 ignores siblings of
    /// `$ref` (and typify with it), so the rewrite puts the description on
    /// the field.
    pub ref_docs: Vec<(String, String, String)>,
    /// `(path, method)` of the operations the converter cannot represent
    /// (each reported with its reason). They stay in `doc` through the
    /// whole-document steps, so that those see the document as written,
    /// and are removed after them.
    pub skipped: Vec<(String, String)>,
}

type Result<T> = std::result::Result<T, CodegenError>;

/// Schema objects have a handful of members: below this many, comparing
/// keys is cheaper than hashing the wanted one (serde_json's map hashes with
/// SipHash), and the converter looks up dozens of keywords per schema.
const SMALL_MAP: usize = 8;

fn member<'a>(o: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    if o.len() <= SMALL_MAP {
        o.iter().find_map(|(k, v)| (k == key).then_some(v))
    } else {
        o.get(key)
    }
}

fn member_mut<'a>(o: &'a mut Map<String, Value>, key: &str) -> Option<&'a mut Value> {
    if o.len() <= SMALL_MAP {
        o.iter_mut().find_map(|(k, v)| (k == key).then_some(v))
    } else {
        o.get_mut(key)
    }
}

fn has_member(o: &Map<String, Value>, key: &str) -> bool {
    member(o, key).is_some()
}

/// `o.remove(key)` (the same `swap_remove`), without hashing an absent key.
fn take_member(o: &mut Map<String, Value>, key: &str) -> Option<Value> {
    if has_member(o, key) {
        o.remove(key)
    } else {
        None
    }
}

/// Remove each of `keys` that `o` has, in the order of `keys` (so the
/// result is the same as calling `o.remove` for each). A schema object has
/// a handful of members and the lists are long: one pass over the members
/// replaces a hash lookup per listed keyword, which on every schema node was
/// a large part of the conversion's time.
fn remove_keys(o: &mut Map<String, Value>, keys: &[&str]) {
    let mut present = 0u64;
    for k in o.keys() {
        if let Some(i) = keys.iter().position(|c| c == k) {
            present |= 1 << i;
        }
    }
    if present == 0 {
        return;
    }
    for (i, k) in keys.iter().enumerate() {
        if present & (1 << i) != 0 {
            o.remove(*k);
        }
    }
}

static ROOT: Ptr<'static> = Ptr::Root("");
static COMPONENTS: Ptr<'static> = Ptr::Root("/components");
static SCHEMAS: Ptr<'static> = Ptr::Root("/components/schemas");
static PATHS: Ptr<'static> = Ptr::Root("/paths");

/// Convert `doc` in place-order and return the 3.0 document.
pub(crate) fn convert(mut doc: Value, report: &mut Report) -> Result<Converted> {
    let root = doc
        .as_object_mut()
        .ok_or_else(|| CodegenError::new("", "document", "expected a JSON object at the root"))?;
    check_version(root)?;
    root.insert("openapi".into(), json!("3.0.3"));
    for key in ["webhooks", "jsonSchemaDialect"] {
        if root.remove(key).is_some() {
            report.note(ROOT.key(key), "dropped: not part of OpenAPI 3.0");
        }
    }
    if let Some(info) = root.get_mut("info").and_then(Value::as_object_mut) {
        info.remove("summary");
        if let Some(license) = info.get_mut("license").and_then(Value::as_object_mut) {
            license.remove("identifier");
        }
    } else {
        return Err(CodegenError::new(
            "/info",
            "info",
            "missing or not an object (required by OpenAPI)",
        ));
    }
    root.entry("paths").or_insert_with(|| json!({}));
    let subschema_refs = check_refs(&doc)?;
    if !subschema_refs.is_empty() {
        inline_subschema_refs(&mut doc, &subschema_refs, report)?;
    }
    check_alias_cycles(&doc)?;
    let ref_docs = ref_descriptions(&doc);
    let root = doc.as_object_mut().expect("checked above");

    let mut cx = Cx {
        report,
        skipped: Vec::new(),
    };
    // Components first: operations may inline their parameters/bodies/responses.
    if let Some(components) = root.get_mut("components") {
        let components = components
            .as_object_mut()
            .ok_or_else(|| CodegenError::new("/components", "components", "expected an object"))?;
        components.remove("pathItems");
        if let Some(schemas) = components.get_mut("schemas") {
            let schemas = as_object(schemas, &SCHEMAS, "schemas")?;
            for (name, schema) in schemas.iter_mut() {
                let ptr = SCHEMAS.key(name);
                cx.schema(schema, &ptr, true)?;
            }
        }
        for kind in ["parameters", "headers", "responses", "requestBodies"] {
            if let Some(section) = components.get_mut(kind) {
                let base = COMPONENTS.key(kind);
                let section = as_object(section, &base, kind)?;
                for (name, item) in section.iter_mut() {
                    let ptr = base.key(name);
                    match kind {
                        "parameters" | "headers" => cx.parameter_schemas(item, &ptr)?,
                        "responses" => cx.response_schemas(item, &ptr)?,
                        _ => cx.content_schemas(item, &ptr)?,
                    }
                }
            }
        }
    }
    // Paths are converted out of the document (and put back in place) so
    // that they can read the converted components without a copy of them.
    let mut paths = std::mem::take(root.get_mut("paths").expect("inserted above"));
    let no_components = json!({});
    let components = root.get("components").unwrap_or(&no_components);
    for (path, item) in as_object(&mut paths, &PATHS, "paths")?.iter_mut() {
        let item_ptr = PATHS.key(path);
        cx.path_item(path, item, &item_ptr, components)?;
    }
    *root.get_mut("paths").expect("inserted above") = paths;

    let mut converted = Converted {
        doc,
        constraints: Vec::new(),
        ref_docs,
        skipped: std::mem::take(&mut cx.skipped),
    };
    // The reference graph of the components, rebuilt only after a step
    // that changed it.
    let mut graph = schema_graph(&converted.doc);
    recursion_steps(&mut converted.doc, &mut graph, cx.report);
    lenient_and_constraints(&mut converted, &graph, cx.report);
    // Last: on the schemas exactly as typify will see them.
    generator::accommodate(&mut converted.doc, cx.report);
    Ok(converted)
}

fn as_object<'a>(
    v: &'a mut Value,
    ptr: &Ptr<'_>,
    what: &str,
) -> Result<&'a mut Map<String, Value>> {
    v.as_object_mut()
        .ok_or_else(|| CodegenError::new(ptr, what, "expected a JSON object"))
}

fn as_array<'a>(v: &'a mut Value, ptr: &Ptr<'_>, what: &str) -> Result<&'a mut Vec<Value>> {
    v.as_array_mut()
        .ok_or_else(|| CodegenError::new(ptr, what, "expected a JSON array"))
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

struct Cx<'r> {
    report: &'r mut Report,
    /// See [`Converted::skipped`].
    skipped: Vec<(String, String)>,
}

/// Whether [`Cx::schema`] would change nothing in `o` but its `title` and
/// `default`: every member is an annotation or a bound, `type` is a single
/// non-null type, and a `$ref` stands alone.
fn is_plain_leaf(o: &Map<String, Value>) -> bool {
    o.iter().all(|(k, v)| match k.as_str() {
        "type" => v.as_str().is_some_and(|t| t != "null"),
        "$ref" => o.len() == 1,
        "title" | "description" | "format" | "default" | "example" | "readOnly" | "writeOnly"
        | "deprecated" | "nullable" | "minimum" | "maximum" | "minLength" | "maxLength"
        | "pattern" | "multipleOf" | "uniqueItems" => true,
        _ => false,
    })
}

impl Cx<'_> {
    /// Convert one schema (and everything below it) to the 3.0 dialect.
    fn schema(&mut self, v: &mut Value, ptr: &Ptr<'_>, component_root: bool) -> Result<()> {
        match v {
            Value::Bool(true) => {
                *v = json!({});
                return Ok(());
            }
            Value::Bool(false) => {
                *v = json!({"not": {}});
                return Ok(());
            }
            Value::Object(_) => {}
            _ => {
                return Err(CodegenError::new(
                    ptr,
                    "schema",
                    "expected an object or a boolean",
                ));
            }
        }
        let o = v.as_object_mut().expect("matched");
        // Most schemas are leaves none of the rewrites below apply to (a
        // typed scalar with a title, a lone `$ref`): check them and stop.
        if is_plain_leaf(o) {
            validate::check_keywords(o, ptr)?;
            if !component_root {
                take_member(o, "title");
            }
            validate::check_default(o, ptr, self.report);
            return Ok(());
        }
        remove_keys(o, &annotations::DROPPED_KEYWORDS);
        validate::check_keywords(o, ptr)?;
        remove_keys(o, &["minContains", "maxContains"]);
        tuples::lower(o, ptr, self.report);
        self.children(o, ptr)?;
        enums::const_to_enum(o);
        annotations::examples(o);
        bounds::exclusive_bounds(o);
        annotations::content_encoding(o);
        nullable::type_arrays(o);
        nullable::unions(o);
        nullable::null_type(o);
        enums::values(o, ptr, self.report);
        refs::siblings(o);
        annotations::discriminator(o, ptr, self.report);
        // pydantic titles every property; typify names inline types after the
        // title and silently merges same-named types (typify `add_type_with_name`).
        if !component_root {
            take_member(o, "title");
        }
        validate::check_default(o, ptr, self.report);
        Ok(())
    }

    /// Convert the subschemas of `o`, before the rules that read them.
    fn children(&mut self, o: &mut Map<String, Value>, ptr: &Ptr<'_>) -> Result<()> {
        if let Some(props) = member_mut(o, "properties") {
            let pptr = ptr.key("properties");
            let props = as_object(props, &pptr, "properties")?;
            for (name, p) in props.iter_mut() {
                self.schema(p, &pptr.key(name), false)?;
            }
        }
        for key in ["items", "not"] {
            if let Some(child) = member_mut(o, key) {
                self.schema(child, &ptr.key(key), false)?;
            }
        }
        if let Some(ap) = member_mut(o, "additionalProperties") {
            if ap.is_object() {
                self.schema(ap, &ptr.key("additionalProperties"), false)?;
            } else if !ap.is_boolean() {
                return Err(CodegenError::new(
                    ptr.key("additionalProperties"),
                    "additionalProperties",
                    "expected a schema or a boolean",
                ));
            }
        }
        for key in ["allOf", "anyOf", "oneOf"] {
            if let Some(list) = member_mut(o, key) {
                let lptr = ptr.key(key);
                let list = as_array(list, &lptr, key)?;
                for (i, s) in list.iter_mut().enumerate() {
                    self.schema(s, &lptr.index(i), false)?;
                }
            }
        }
        Ok(())
    }
}
