//! Form request bodies: `multipart/form-data` and
//! `application/x-www-form-urlencoded`.
//!
//! progenitor generates no method for a multipart body (upstream issue #518;
//! pull requests #418 and #609 never landed) and sends URL-encoded bodies
//! with `serde_urlencoded`, which rejects arrays and nested objects. So a
//! form operation is handed to progenitor as a JSON-body operation whose
//! body holds the form's *text* fields (typify then gives them a typed body
//! builder, with required fields and documented bounds checked in `send()`
//! like any request body), and the rewrite turns it back into a form:
//!
//! * **before conversion** ([`prepare`], on the OpenAPI 3.1 document): the
//!   body schema's file fields (`{type: string, format: binary}` or, in 3.1,
//!   `contentMediaType`; arrays of them; either nullable) are taken out of it
//!   and listed in an `x-ionworks-form` extension on the operation, with the
//!   media type. An operation that also offers JSON keeps its JSON body, and
//!   a second operation `<name>_form` (path suffix `#form`, removed again by
//!   the rewrite) gets the form; one that offers both form encodings sends
//!   multipart when it has files, else URL-encoded.
//! * **after progenitor** ([`rewrite`]): the builder gets one setter per
//!   file field (taking the support module's `FilePart`; `Vec<FilePart>` for
//!   an array) and one per text field (delegating to the typed body
//!   builder), plus `on_progress`; `send()` checks required files and sends
//!   the body as a form through the support module's `Form` and `attach`
//!   (see `Options::form_support`). The typed mocks match such operations by
//!   part name.

use std::collections::BTreeMap;

use heck::ToSnakeCase;
use proc_macro2::Span;
use quote::quote;
use serde_json::{Map, Value, json};
use syn::{Expr, Ident, ImplItem, Item};

use crate::error::{CodegenError, Report, join};

/// The operation extension that carries a form's description through
/// progenitor.
pub(crate) const EXTENSION: &str = "x-ionworks-form";

/// The path suffix of the form variant of an operation that also takes JSON.
pub(crate) const ALTERNATE_SUFFIX: &str = "#form";

const MULTIPART: &str = "multipart/form-data";
const URLENCODED: &str = "application/x-www-form-urlencoded";

/// One file field of a form.
#[derive(Debug, Clone)]
struct FileField {
    /// Name on the wire.
    name: String,
    /// An array of files (repeated parts).
    many: bool,
    required: bool,
}

/// The base media type of a content key (`multipart/form-data; boundary=…`).
fn base(media: &str) -> String {
    media
        .split(';')
        .next()
        .unwrap_or(media)
        .trim()
        .to_ascii_lowercase()
}

/// Whether `schema` (3.1 or 3.0) describes a file: `{type: string}` with
/// `format: binary` or a `contentMediaType`.
fn is_file(schema: &Value) -> bool {
    schema.get("type").and_then(Value::as_str) == Some("string")
        && (schema.get("format").and_then(Value::as_str) == Some("binary")
            || schema.get("contentMediaType").is_some())
}

/// `Some(many)` when `schema` is a file or an array of files, possibly
/// nullable (`anyOf [X, {type: null}]`, `type: [string, null]` is not a file).
fn file_kind(schema: &Value) -> Option<bool> {
    if is_file(schema) {
        return Some(false);
    }
    if schema.get("type").and_then(Value::as_str) == Some("array")
        && schema.get("items").is_some_and(is_file)
    {
        return Some(true);
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(branches) = schema.get(key).and_then(Value::as_array) {
            let non_null: Vec<&Value> = branches
                .iter()
                .filter(|b| b.get("type").and_then(Value::as_str) != Some("null"))
                .collect();
            if non_null.len() == 1 && non_null.len() < branches.len() {
                return file_kind(non_null[0]);
            }
        }
    }
    None
}

/// Rewrites every form operation of the OpenAPI 3.1 `doc` for progenitor
/// (see the module docs). Runs before the conversion.
pub(crate) fn prepare(doc: &mut Value, report: &mut Report) -> Result<(), CodegenError> {
    // (path, method) of every operation with a form body.
    let mut found = Vec::new();
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            let Some(item) = item.as_object() else {
                continue;
            };
            for (method, op) in item {
                let content = op
                    .pointer("/requestBody/content")
                    .and_then(Value::as_object);
                if content.is_some_and(|c| {
                    c.keys()
                        .any(|k| matches!(base(k).as_str(), MULTIPART | URLENCODED))
                }) {
                    found.push((path.clone(), method.clone()));
                }
            }
        }
    }
    for (path, method) in found {
        prepare_operation(doc, &path, &method, report)?;
    }
    Ok(())
}

fn prepare_operation(
    doc: &mut Value,
    path: &str,
    method: &str,
    report: &mut Report,
) -> Result<(), CodegenError> {
    let op_ptr = join(&join("/paths", path), method);
    let content_ptr = format!("{op_ptr}/requestBody/content");
    let Some(content) = doc
        .pointer(&content_ptr)
        .and_then(Value::as_object)
        .cloned()
    else {
        return Ok(());
    };
    let key = |wanted: &str| content.keys().find(|k| base(k) == wanted).cloned();
    let json_key = key("application/json");
    let (multipart, urlencoded) = (key(MULTIPART), key(URLENCODED));
    // The schema of a form: the first form media type that has one (FastAPI
    // writes it once when it offers both encodings).
    let schema_of = |k: &Option<String>| {
        k.as_ref()
            .and_then(|k| content.get(k))
            .and_then(|mt| mt.get("schema"))
            .filter(|s| !s.is_null())
            .cloned()
    };
    let Some(schema) = schema_of(&multipart).or_else(|| schema_of(&urlencoded)) else {
        return Ok(());
    };
    let (component, resolved) = match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => match r.strip_prefix("#/components/schemas/") {
            Some(name) => (
                Some(name.to_string()),
                doc.pointer(&join("/components/schemas", name))
                    .cloned()
                    .unwrap_or(Value::Null),
            ),
            None => (None, Value::Null),
        },
        None => (None, schema.clone()),
    };
    let Some(properties) = resolved.get("properties").and_then(Value::as_object) else {
        report.note(
            &content_ptr,
            "form body without properties sent as its JSON body (not a form)",
        );
        return Ok(());
    };
    let required: Vec<&str> = resolved
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let files: Vec<FileField> = properties
        .iter()
        .filter_map(|(name, p)| {
            let p = resolve(doc, p);
            file_kind(&p).map(|many| FileField {
                name: name.clone(),
                many,
                required: required.contains(&name.as_str()),
            })
        })
        .collect();
    let media = match (&multipart, &urlencoded) {
        (Some(_), Some(_)) if files.is_empty() => URLENCODED,
        (Some(_), _) => MULTIPART,
        _ => URLENCODED,
    };
    if multipart.is_some() && urlencoded.is_some() {
        let dropped = if media == MULTIPART {
            URLENCODED
        } else {
            MULTIPART
        };
        report.note(
            &content_ptr,
            format!("form sent as {media}; alternative media type {dropped} dropped"),
        );
    }
    if media == URLENCODED && !files.is_empty() {
        report.note(
            &content_ptr,
            "file fields in a URL-encoded form are sent as text",
        );
    }
    let files = if media == URLENCODED {
        Vec::new()
    } else {
        files
    };

    // The text fields: the schema without its files.
    let mut text_schema = resolved.clone();
    if let Some(props) = text_schema
        .get_mut("properties")
        .and_then(Value::as_object_mut)
    {
        props.retain(|name, _| !files.iter().any(|f| f.name == *name));
    }
    if let Some(req) = text_schema
        .get_mut("required")
        .and_then(Value::as_array_mut)
    {
        req.retain(|name| !files.iter().any(|f| Some(f.name.as_str()) == name.as_str()));
    }
    let has_text = text_schema
        .get("properties")
        .and_then(Value::as_object)
        .is_some_and(|p| !p.is_empty());
    let body_schema = match &component {
        // A component used only by form bodies loses its files in place (its
        // name stays the body's type name); otherwise the form gets a copy.
        Some(name) => {
            let target = if refs_to(doc, name) <= 2 {
                name.clone()
            } else {
                format!("{name}Form")
            };
            if let Some(schemas) = crate::document::component_schemas_mut(doc) {
                schemas.insert(target.clone(), text_schema);
            }
            json!({"$ref": format!("#/components/schemas/{target}")})
        }
        None => text_schema,
    };
    let extension = json!({
        "media": media,
        "body": has_text,
        "files": files.iter().map(|f| json!({"name": f.name, "many": f.many, "required": f.required})).collect::<Vec<_>>(),
    });

    let Some(op) = doc.pointer_mut(&op_ptr).and_then(Value::as_object_mut) else {
        return Ok(());
    };
    let mut form_op = op.clone();
    set_form_body(&mut form_op, has_text, body_schema, extension);
    match json_key {
        None => *op = form_op,
        Some(json_key) => {
            // JSON stays the plain operation; the form becomes `<name>_form`.
            if let Some(content) = op
                .get_mut("requestBody")
                .and_then(|b| b.get_mut("content"))
                .and_then(Value::as_object_mut)
            {
                content.retain(|k, _| *k == json_key);
            }
            let id = op
                .get("operationId")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let short = crate::names::short_operation_id(&id, path, method).unwrap_or(id);
            let alternate_path = format!("{path}{ALTERNATE_SUFFIX}");
            form_op.insert(
                "operationId".into(),
                json!(format!(
                    "{short}_form{}_{method}",
                    crate::convert::fastapi_path_suffix(&alternate_path)
                )),
            );
            report.note(
                &content_ptr,
                format!("JSON body sent by `{short}`; the form by `{short}_form`"),
            );
            if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
                let item = paths.entry(alternate_path).or_insert_with(|| json!({}));
                if let Some(item) = item.as_object_mut() {
                    item.insert(method.to_string(), Value::Object(form_op));
                }
            }
        }
    }
    Ok(())
}

/// The operation's request body becomes the text fields as JSON (or none),
/// with the form's description beside it.
fn set_form_body(op: &mut Map<String, Value>, has_text: bool, schema: Value, extension: Value) {
    if has_text {
        let required = op
            .get("requestBody")
            .and_then(|b| b.get("required"))
            .cloned()
            .unwrap_or(json!(false));
        op.insert(
            "requestBody".into(),
            json!({"required": required, "content": {"application/json": {"schema": schema}}}),
        );
    } else {
        op.remove("requestBody");
    }
    op.insert(EXTENSION.into(), extension);
}

/// `schema`, or the component it references.
fn resolve(doc: &Value, schema: &Value) -> Value {
    match schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
    {
        Some(name) => doc
            .pointer(&join("/components/schemas", name))
            .cloned()
            .unwrap_or(Value::Null),
        None => schema.clone(),
    }
}

/// How many times component `name` is referenced in `doc`.
fn refs_to(doc: &Value, name: &str) -> usize {
    let target = format!("#/components/schemas/{name}");
    fn count(v: &Value, target: &str) -> usize {
        match v {
            Value::String(s) => usize::from(s == target),
            Value::Array(items) => items.iter().map(|i| count(i, target)).sum(),
            Value::Object(map) => map.values().map(|i| count(i, target)).sum(),
            _ => 0,
        }
    }
    count(doc, &target)
}

/// A form operation as the rewrite needs it.
#[derive(Debug, Clone)]
pub(crate) struct FormOp {
    multipart: bool,
    body: bool,
    files: Vec<FileField>,
    /// The operation is the `#form` variant of one that takes JSON.
    alternate: bool,
}

/// Form operations of the converted document, by operationId.
pub(crate) fn form_ops(doc: &Value) -> BTreeMap<String, FormOp> {
    let mut out = BTreeMap::new();
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return out;
    };
    for (path, item) in paths {
        let Some(item) = item.as_object() else {
            continue;
        };
        for op in item.values() {
            let (Some(ext), Some(id)) = (
                op.get(EXTENSION),
                op.get("operationId").and_then(Value::as_str),
            ) else {
                continue;
            };
            let files = ext
                .get("files")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|f| FileField {
                    name: f["name"].as_str().unwrap_or_default().to_string(),
                    many: f["many"].as_bool().unwrap_or(false),
                    required: f["required"].as_bool().unwrap_or(false),
                })
                .collect();
            out.insert(
                id.to_string(),
                FormOp {
                    multipart: ext["media"] == MULTIPART,
                    body: ext["body"].as_bool().unwrap_or(false),
                    files,
                    alternate: path.ends_with(ALTERNATE_SUFFIX),
                },
            );
        }
    }
    out
}

/// Without a support module: a URL-encoded form goes back to progenitor's
/// own encoding (`serde_urlencoded`: flat forms only), and a multipart
/// operation is left out, with the reason in the report.
pub(crate) fn without_support(doc: &mut Value, report: &mut Report) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, op) in item.iter_mut() {
            let Some(ext) = op.as_object_mut().and_then(|o| o.remove(EXTENSION)) else {
                continue;
            };
            if ext["media"] == URLENCODED && !path.ends_with(ALTERNATE_SUFFIX) {
                if let Some(content) = op
                    .pointer_mut("/requestBody/content")
                    .and_then(Value::as_object_mut)
                    && let Some(json) = content.remove("application/json")
                {
                    content.insert(URLENCODED.into(), json);
                }
                continue;
            }
            let media = ext["media"].as_str().unwrap_or(MULTIPART).to_string();
            let shown = path.trim_end_matches(ALTERNATE_SUFFIX);
            report.skip(
                join(&join("/paths", shown), method),
                format!("{media} request body (no form support configured: Options::form_support)"),
            );
            op["x-ionworks-skip"] = json!(true);
        }
    }
}

/// The Rust identifier of a wire name.
fn ident(name: &str) -> Ident {
    let snake = name
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { '_' })
        .collect::<String>()
        .to_snake_case();
    let snake = if snake.is_empty() || snake.starts_with(|c: char| c.is_ascii_digit()) {
        format!("f_{snake}")
    } else {
        snake
    };
    syn::parse_str::<Ident>(&snake).unwrap_or_else(|_| Ident::new_raw(&snake, Span::call_site()))
}

/// Makes the form operations of `file` send forms (see the module docs).
pub(crate) fn rewrite(file: &mut syn::File, forms: &BTreeMap<String, FormOp>, support: &syn::Path) {
    if forms.is_empty() {
        return;
    }
    // Text fields of the typed bodies: struct name → (field ident, type).
    let mut text_fields: BTreeMap<String, Vec<(Ident, syn::Type)>> = BTreeMap::new();
    if let Some(types) = module(&mut file.items, "types") {
        for item in types.iter() {
            if let Item::Struct(s) = item
                && let syn::Fields::Named(named) = &s.fields
            {
                text_fields.insert(
                    s.ident.to_string(),
                    named
                        .named
                        .iter()
                        .filter_map(|f| Some((f.ident.clone()?, f.ty.clone())))
                        .collect(),
                );
            }
        }
    }
    let Some(builder) = module(&mut file.items, "builder") else {
        return;
    };
    // builder struct name → operationId
    let mut by_struct: BTreeMap<String, (String, FormOp)> = BTreeMap::new();
    for item in builder.iter() {
        if let Item::Impl(imp) = item {
            for member in &imp.items {
                if let ImplItem::Fn(f) = member
                    && f.sig.ident == "send"
                    && let Some(id) = crate::operations::operation_id(&f.block)
                    && let Some(form) = forms.get(&id)
                    && let syn::Type::Path(p) = imp.self_ty.as_ref()
                    && let Some(last) = p.path.segments.last()
                {
                    by_struct.insert(last.ident.to_string(), (id.clone(), form.clone()));
                }
            }
        }
    }
    for item in builder.iter_mut() {
        match item {
            Item::Struct(s) => {
                if let Some((_, form)) = by_struct.get(&s.ident.to_string())
                    && let syn::Fields::Named(named) = &mut s.fields
                {
                    for f in &form.files {
                        let name = ident(&f.name);
                        named.named.push(syn::parse_quote!(
                            #name: ::std::vec::Vec<#support::FilePart>
                        ));
                    }
                    named.named.push(
                        syn::parse_quote!(__progress: ::std::option::Option<#support::Progress>),
                    );
                }
            }
            Item::Impl(imp) => {
                let syn::Type::Path(p) = imp.self_ty.as_ref() else {
                    continue;
                };
                let Some(name) = p.path.segments.last().map(|s| s.ident.to_string()) else {
                    continue;
                };
                let Some((_, form)) = by_struct.get(&name) else {
                    continue;
                };
                rewrite_impl(imp, form, support, &text_fields);
            }
            _ => {}
        }
    }
}

fn module<'a>(items: &'a mut [Item], name: &str) -> Option<&'a mut Vec<Item>> {
    items.iter_mut().find_map(|item| match item {
        Item::Mod(m) if m.ident == name => m.content.as_mut().map(|(_, items)| items),
        _ => None,
    })
}

/// The builder's `impl`: field initialisers in `new`, setters, `send()`.
fn rewrite_impl(
    imp: &mut syn::ItemImpl,
    form: &FormOp,
    support: &syn::Path,
    text_fields: &BTreeMap<String, Vec<(Ident, syn::Type)>>,
) {
    let existing: Vec<String> = imp
        .items
        .iter()
        .filter_map(|i| match i {
            ImplItem::Fn(f) => Some(f.sig.ident.to_string()),
            _ => None,
        })
        .collect();
    let mut body_type = None;
    for member in imp.items.iter_mut() {
        let ImplItem::Fn(f) = member else { continue };
        match f.sig.ident.to_string().as_str() {
            "new" => {
                if let Some(syn::Stmt::Expr(Expr::Struct(init), _)) = f.block.stmts.last_mut() {
                    for file in &form.files {
                        let name = ident(&file.name);
                        init.fields
                            .push(syn::parse_quote!(#name: ::std::vec::Vec::new()));
                    }
                    init.fields.push(syn::parse_quote!(__progress: None));
                }
            }
            "body" => {
                // `pub fn body<V>(mut self, value: V) -> Self where V: TryInto<types::X>`
                body_type = body_type_of(f);
            }
            "send" => rewrite_send(f, form, support),
            _ => {}
        }
    }
    let mut added: Vec<ImplItem> = Vec::new();
    for file in &form.files {
        let name = ident(&file.name);
        let wire = &file.name;
        if existing.contains(&name.to_string()) {
            continue;
        }
        added.push(if file.many {
            let doc = format!("The files of form field `{wire}` (one part each).");
            syn::parse_quote! {
                #[doc = #doc]
                pub fn #name<I>(mut self, parts: I) -> Self
                where
                    I: ::std::iter::IntoIterator<Item = #support::FilePart>,
                {
                    self.#name = parts.into_iter().collect();
                    self
                }
            }
        } else {
            let doc = format!("The file of form field `{wire}`.");
            syn::parse_quote! {
                #[doc = #doc]
                pub fn #name(mut self, part: #support::FilePart) -> Self {
                    self.#name = ::std::vec![part];
                    self
                }
            }
        });
    }
    if !existing.iter().any(|e| e == "on_progress") {
        added.push(syn::parse_quote! {
            /// Calls `progress(sent, total)` as the form is sent (`total` when
            /// every length is known).
            pub fn on_progress<F>(mut self, progress: F) -> Self
            where
                F: Fn(u64, ::std::option::Option<u64>) + Send + Sync + 'static,
            {
                self.__progress = Some(#support::Progress::new(progress));
                self
            }
        });
    }
    // One setter per text field, delegating to the typed body builder.
    if form.body
        && let Some(fields) = body_type.as_ref().and_then(|t| text_fields.get(t))
    {
        let taken: Vec<String> = existing
            .iter()
            .cloned()
            .chain(form.files.iter().map(|f| ident(&f.name).to_string()))
            .collect();
        for (name, ty) in fields {
            let plain = name.to_string();
            if taken.contains(&plain) || matches!(plain.as_str(), "on_progress" | "body_map") {
                continue;
            }
            let ty = qualified(ty);
            let doc = format!(
                "Sets form field `{}` (see the body type for its documentation).",
                plain.trim_start_matches("r#")
            );
            added.push(syn::parse_quote! {
                #[doc = #doc]
                pub fn #name<V>(self, value: V) -> Self
                where
                    V: ::std::convert::TryInto<#ty>,
                    V::Error: ::std::fmt::Display,
                {
                    self.body_map(|body| body.#name(value))
                }
            });
        }
    }
    imp.items.extend(added);
}

/// `X` of the body setter's `V: TryInto<types::X>` bound.
fn body_type_of(f: &syn::ImplItemFn) -> Option<String> {
    let text = quote!(#f).to_string().replace(' ', "");
    let start = text.find("TryInto<types::")? + "TryInto<types::".len();
    let rest = &text[start..];
    let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_'))?;
    Some(rest[..end].to_string())
}

/// A type of the `types` module as written in `builder` (local paths get
/// `types::`; `::std::…` stays).
fn qualified(ty: &syn::Type) -> syn::Type {
    use syn::visit_mut::VisitMut;
    struct Qualify;
    impl VisitMut for Qualify {
        fn visit_type_path_mut(&mut self, p: &mut syn::TypePath) {
            syn::visit_mut::visit_type_path_mut(self, p);
            if p.qself.is_none() && p.path.leading_colon.is_none() {
                let first = p.path.segments.first().map(|s| s.ident.to_string());
                let primitive = p.path.segments.len() == 1
                    && matches!(
                        first.as_deref(),
                        Some(
                            "bool"
                                | "char"
                                | "str"
                                | "f32"
                                | "f64"
                                | "i8"
                                | "i16"
                                | "i32"
                                | "i64"
                                | "i128"
                                | "isize"
                                | "u8"
                                | "u16"
                                | "u32"
                                | "u64"
                                | "u128"
                                | "usize"
                        )
                    );
                if !primitive
                    && !matches!(first.as_deref(), Some("types" | "Self" | "crate" | "super"))
                {
                    p.path.segments.insert(0, syn::parse_quote!(types));
                }
            }
        }
    }
    let mut ty = ty.clone();
    Qualify.visit_type_mut(&mut ty);
    ty
}

/// `send()`: the new fields are destructured, required files checked, the
/// JSON body replaced by the form, and the `#form` path suffix removed.
fn rewrite_send(f: &mut syn::ImplItemFn, form: &FormOp, support: &syn::Path) {
    let names: Vec<Ident> = form.files.iter().map(|f| ident(&f.name)).collect();
    let mut stmts = std::mem::take(&mut f.block.stmts);
    let mut out = Vec::with_capacity(stmts.len() + 4);
    for stmt in stmts.drain(..) {
        match stmt {
            // `let Self { client, a, body } = self;`
            syn::Stmt::Local(mut local) if matches!(&local.pat, syn::Pat::Struct(p) if p.path.is_ident("Self")) =>
            {
                if let syn::Pat::Struct(p) = &mut local.pat {
                    let progress = Ident::new("__progress", Span::call_site());
                    // A field pattern has no parser of its own: take it from `Self { x }`.
                    for name in names.iter().chain([&progress]) {
                        if let syn::Pat::Struct(one) = syn::parse_quote!(Self { #name }) {
                            p.fields.extend(one.fields);
                        }
                    }
                }
                out.push(syn::Stmt::Local(local));
                for (file, name) in form.files.iter().zip(&names) {
                    if file.required {
                        let message = format!("{} was not initialized", file.name);
                        out.push(syn::parse_quote! {
                            if #name.is_empty() {
                                return Err(Error::InvalidRequest(#message.to_string()));
                            }
                        });
                    }
                }
            }
            // `let mut request = client.client.post(url)….json(&body)….build()?;`
            syn::Stmt::Local(mut local) if is_request(&local) => {
                if let Some(init) = local.init.as_mut() {
                    RemoveJson.visit(&mut init.expr);
                }
                out.push(syn::Stmt::Local(local));
                let start: Expr = if form.multipart {
                    syn::parse_quote!(#support::Form::multipart())
                } else {
                    syn::parse_quote!(#support::Form::urlencoded())
                };
                let mut chain = start;
                if form.body {
                    chain = syn::parse_quote!(#chain.fields(&body).map_err(Error::InvalidRequest)?);
                }
                for (file, name) in form.files.iter().zip(&names) {
                    let wire = &file.name;
                    chain = syn::parse_quote!(#chain.files(#wire, #name));
                }
                out.push(syn::parse_quote! {
                    #support::attach(&mut request, #chain.with_progress(__progress))
                        .await
                        .map_err(Error::InvalidRequest)?;
                });
            }
            other => out.push(other),
        }
    }
    f.block.stmts = out;
    if form.alternate {
        StripSuffix.visit(&mut f.block);
    }
}

fn is_request(local: &syn::Local) -> bool {
    matches!(&local.pat, syn::Pat::Ident(p) if p.ident == "request")
}

/// Removes `.json(&body)` from a request builder chain.
struct RemoveJson;

impl RemoveJson {
    fn visit(&mut self, e: &mut Expr) {
        syn::visit_mut::VisitMut::visit_expr_mut(self, e);
    }
}

impl syn::visit_mut::VisitMut for RemoveJson {
    fn visit_expr_mut(&mut self, e: &mut Expr) {
        syn::visit_mut::visit_expr_mut(self, e);
        if let Expr::MethodCall(call) = e
            && call.method == "json"
            && call.args.len() == 1
        {
            *e = (*call.receiver).clone();
        }
    }
}

/// Removes the `#form` suffix from the URL's format string.
struct StripSuffix;

impl StripSuffix {
    fn visit(&mut self, block: &mut syn::Block) {
        syn::visit_mut::VisitMut::visit_block_mut(self, block);
    }
}

impl syn::visit_mut::VisitMut for StripSuffix {
    fn visit_lit_str_mut(&mut self, lit: &mut syn::LitStr) {
        let value = lit.value();
        if value.contains(ALTERNATE_SUFFIX) {
            *lit = syn::LitStr::new(&value.replacen(ALTERNATE_SUFFIX, "", 1), lit.span());
        }
    }

    fn visit_macro_mut(&mut self, m: &mut syn::Macro) {
        if m.path.is_ident("format") {
            let text = m.tokens.to_string();
            if text.contains(ALTERNATE_SUFFIX) {
                let fixed = text.replacen(ALTERNATE_SUFFIX, "", 1);
                if let Ok(tokens) = fixed.parse() {
                    m.tokens = tokens;
                }
            }
        }
    }
}

/// The typed mocks of form operations match by part name: progenitor's
/// `body(&BodyX)` compares a JSON body, which a form never is.
pub(crate) fn fix_mocks(file: &mut syn::File, forms: &BTreeMap<String, FormOp>) {
    let Some(mock) = module(&mut file.items, "mock") else {
        return;
    };
    let Some(operations) = module(mock, "operations") else {
        return;
    };
    let whens: BTreeMap<String, &FormOp> = forms
        .iter()
        .map(|(id, form)| {
            (
                format!("{}When", heck::ToPascalCase::to_pascal_case(id.as_str())),
                form,
            )
        })
        .collect();
    for item in operations.iter_mut() {
        let Item::Impl(imp) = item else { continue };
        let syn::Type::Path(p) = imp.self_ty.as_ref() else {
            continue;
        };
        let Some(form) = p
            .path
            .segments
            .last()
            .and_then(|s| whens.get(&s.ident.to_string()))
        else {
            continue;
        };
        imp.items
            .retain(|i| !matches!(i, ImplItem::Fn(f) if f.sig.ident == "body"));
        let pattern = if form.multipart {
            quote!(::std::format!("name=\"{}\"", name))
        } else {
            quote!(::std::format!("{}=", name))
        };
        imp.items.push(syn::parse_quote! {
            /// Matches a form that has a part (or field) named `name`.
            pub fn part(self, name: &str) -> Self {
                Self(self.0.body_includes(#pattern))
            }
        });
        if form.alternate {
            StripSuffix.visit_impl(imp);
        }
    }
}

impl StripSuffix {
    fn visit_impl(&mut self, imp: &mut syn::ItemImpl) {
        syn::visit_mut::VisitMut::visit_item_impl_mut(self, imp);
    }
}

/// The form fields of a form operation, for the API surface:
/// `multipart/form-data; files: file, extra[]?`.
pub fn describe(operation: &Value) -> Option<String> {
    let ext = operation.get(EXTENSION)?;
    let files: Vec<String> = ext
        .get("files")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|f| {
            format!(
                "{}{}{}",
                f["name"].as_str().unwrap_or_default(),
                if f["many"].as_bool().unwrap_or(false) {
                    "[]"
                } else {
                    ""
                },
                if f["required"].as_bool().unwrap_or(false) {
                    ""
                } else {
                    "?"
                }
            )
        })
        .collect();
    let media = ext["media"].as_str().unwrap_or_default();
    Some(if files.is_empty() {
        media.to_string()
    } else {
        format!("{media}; files: {}", files.join(", "))
    })
}
