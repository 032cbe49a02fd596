//! The reviewed API surface: one line per operation and per public generated
//! type, field and variant, in a stable order and without code bodies. A spec
//! change shows up as a small diff of this text.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use heck::ToSnakeCase;
use serde_json::Value;
use syn::{Fields, GenericArgument, Item, PathArguments, ReturnType, Type};

/// The API surface of a generated client.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Surface {
    /// Operations, sorted by method name.
    pub operations: Vec<OperationSig>,
    /// Operations of the spec the client does not have, sorted by name.
    pub skipped: Vec<SkippedOp>,
    /// Public types of the `types` module, sorted by name.
    pub types: Vec<TypeSig>,
}

/// An operation of the spec that was not generated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedOp {
    /// The method name it would have (`upload_attachment`).
    pub name: String,
    /// HTTP method, upper case.
    pub method: String,
    /// Path template.
    pub path: String,
    /// Why it was left out.
    pub reason: String,
}

/// The surface of the client `generated` from `spec`.
pub fn of(spec: &[u8], generated: &ionworks_codegen::Generated) -> Result<Surface, String> {
    let file = syn::parse_file(&generated.code)
        .map_err(|e| format!("the generated code does not parse: {e}"))?;
    let (request, response) = ionworks_codegen::reachable(&generated.converted);
    let roles = request
        .union(&response)
        .map(|name| {
            let role = match (request.contains(name), response.contains(name)) {
                (true, true) => Role::Both,
                (true, false) => Role::Request,
                _ => Role::Response,
            };
            (ionworks_codegen::type_name(name), role)
        })
        .collect();
    let mut surface = extract(&file, generated, &roles);
    let doc = ionworks_codegen::parse_json(spec).map_err(|e| e.to_string())?;
    surface.skipped = skipped(&doc, &generated.report.skipped);
    Ok(surface)
}

/// The operations `notes` (the report's skipped list) point at.
fn skipped(doc: &Value, notes: &[ionworks_codegen::Note]) -> Vec<SkippedOp> {
    let mut out: Vec<SkippedOp> = notes
        .iter()
        .filter_map(|note| {
            // `/paths/<escaped path>/<method>`
            let rest = note.pointer.strip_prefix("/paths/")?;
            let (escaped, method) = rest.rsplit_once('/')?;
            let path = ionworks_codegen::pointer_unescape(escaped).into_owned();
            let id = doc
                .pointer(&note.pointer)
                .and_then(|op| op.get("operationId"))
                .and_then(Value::as_str)
                .map_or_else(
                    || format!("{method}_{}", path.replace(['/', '{', '}'], "_")),
                    |id| {
                        ionworks_codegen::short_operation_id(id, &path, method)
                            .unwrap_or_else(|| id.to_string())
                    },
                );
            Some(SkippedOp {
                name: id.to_snake_case(),
                method: method.to_uppercase(),
                path,
                reason: note.message.clone(),
            })
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// One client method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationSig {
    /// Rust method name (`get_job`).
    pub name: String,
    /// HTTP method, upper case.
    pub method: String,
    /// Path template.
    pub path: String,
    /// Parameters in declaration order.
    pub params: Vec<ParamSig>,
    /// Request body type, if any.
    pub body: Option<String>,
    /// Success statuses (`202`).
    pub success_status: String,
    /// Success type (`JobResponse`).
    pub success: String,
    /// Documented error type.
    pub error: String,
    /// The item type of the builder's `stream()`, for a list walked across
    /// its pages (`Project`).
    pub stream: Option<String>,
    /// Where the operation's description comes from when the document was
    /// assembled rather than published (`x-ionworks-source.kind`:
    /// `exact-excerpt`, `reference-page`, `python-client`); `None` for the
    /// server's own document.
    pub source: Option<String>,
}

/// One operation parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamSig {
    /// Builder setter name.
    pub name: String,
    /// `path`, `query` or `header`.
    pub location: String,
    /// Rust type of the setter's value.
    pub ty: String,
    /// Whether `send()` fails without it.
    pub required: bool,
}

/// Where a type is used, which decides what a change to it breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Only in requests: callers build it.
    Request,
    /// Only in responses: callers read it.
    Response,
    /// In both.
    Both,
    /// Not reachable from any operation (or an inline type).
    Other,
}

impl Role {
    /// Whether callers construct values of this type.
    pub fn built_by_callers(self) -> bool {
        matches!(self, Role::Request | Role::Both | Role::Other)
    }

    fn label(self) -> &'static str {
        match self {
            Role::Request => "request",
            Role::Response => "response",
            Role::Both => "request+response",
            Role::Other => "inline",
        }
    }
}

/// One public type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeSig {
    /// Rust name.
    pub name: String,
    /// Where it is used.
    pub role: Role,
    /// Its shape.
    pub kind: TypeKind,
}

/// The shape of a type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeKind {
    /// A struct with named fields.
    Struct(Vec<FieldSig>),
    /// An enum; `open` when it has a catch-all variant for unknown values.
    Enum {
        /// Whether unknown values decode into a catch-all variant.
        open: bool,
        /// Variants, rendered (`Pending`, `Integer(i64)`), without the catch-all.
        variants: Vec<String>,
    },
    /// A newtype or alias of another type.
    Newtype(String),
}

/// One struct field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldSig {
    /// Name on the wire.
    pub name: String,
    /// Rust type.
    pub ty: String,
    /// Whether a value must be supplied (not `Option`, no default).
    pub required: bool,
}

impl Surface {
    /// One line per operation of the spec, generated or not, by name.
    pub fn operations_text(&self) -> String {
        let mut lines: Vec<(&str, String)> = self
            .skipped
            .iter()
            .map(|s| {
                (
                    s.name.as_str(),
                    format!(
                        "{} {} {}  NOT GENERATED: {}\n",
                        s.method, s.path, s.name, s.reason
                    ),
                )
            })
            .collect();
        for op in &self.operations {
            let mut out = String::new();
            let params: Vec<String> = op
                .params
                .iter()
                .map(|p| {
                    let req = if p.required { "" } else { "?" };
                    format!("{} {}{req}: {}", p.location, p.name, p.ty)
                })
                .collect();
            let _ = writeln!(
                out,
                "{} {} {} ({}) body: {} -> {} {} | error: {}{}{}",
                op.method,
                op.path,
                op.name,
                params.join(", "),
                op.body.as_deref().unwrap_or("-"),
                op.success_status,
                op.success,
                op.error,
                op.stream
                    .as_deref()
                    .map(|s| format!(" | stream: {s}"))
                    .unwrap_or_default(),
                op.source
                    .as_deref()
                    .map(|s| format!(" | source: {s}"))
                    .unwrap_or_default()
            );
            lines.push((op.name.as_str(), out));
        }
        lines.sort();
        lines.into_iter().map(|(_, line)| line).collect()
    }

    /// One line per type, field and variant.
    pub fn types_text(&self) -> String {
        let mut out = String::new();
        for t in &self.types {
            match &t.kind {
                TypeKind::Struct(fields) => {
                    let _ = writeln!(out, "struct {} [{}]", t.name, t.role.label());
                    for f in fields {
                        let req = if f.required { "required" } else { "optional" };
                        let _ = writeln!(out, "  field {}: {} ({req})", f.name, f.ty);
                    }
                }
                TypeKind::Enum { open, variants } => {
                    let open = if *open { "open" } else { "closed" };
                    let _ = writeln!(out, "enum {} [{}, {open}]", t.name, t.role.label());
                    for v in variants {
                        let _ = writeln!(out, "  variant {v}");
                    }
                }
                TypeKind::Newtype(inner) => {
                    let _ = writeln!(out, "newtype {}({inner}) [{}]", t.name, t.role.label());
                }
            }
        }
        out
    }
}

/// Render a type with the last path segment of every path (`Option<DateTime<Utc>>`).
pub(crate) fn ty_str(ty: &Type) -> String {
    match ty {
        Type::Path(p) => {
            let Some(last) = p.path.segments.last() else {
                return String::new();
            };
            let mut s = last.ident.to_string();
            if let PathArguments::AngleBracketed(args) = &last.arguments {
                let inner: Vec<String> = args
                    .args
                    .iter()
                    .filter_map(|a| match a {
                        GenericArgument::Type(t) => Some(ty_str(t)),
                        _ => None,
                    })
                    .collect();
                if !inner.is_empty() {
                    s = format!("{s}<{}>", inner.join(", "));
                }
            }
            s
        }
        Type::Reference(r) => format!("&{}", ty_str(&r.elem)),
        Type::Tuple(t) if t.elems.is_empty() => "()".into(),
        Type::Tuple(t) => format!(
            "({})",
            t.elems.iter().map(ty_str).collect::<Vec<_>>().join(", ")
        ),
        Type::Array(a) => format!("[{}; _]", ty_str(&a.elem)),
        other => quote::quote!(#other).to_string(),
    }
}

fn has_serde_default(attrs: &[syn::Attribute]) -> bool {
    ionworks_codegen::serde_args(attrs)
        .iter()
        .any(|(name, _)| name == "default")
}

fn wire_name(field: &syn::Field) -> String {
    ionworks_codegen::serde_rename(&field.attrs).unwrap_or_else(|| {
        let ident = field.ident.as_ref().map(ToString::to_string);
        ident
            .unwrap_or_default()
            .trim_start_matches("r#")
            .to_string()
    })
}

/// Extract the surface from the generated file, the converted document and
/// the report.
fn extract(
    file: &syn::File,
    generated: &ionworks_codegen::Generated,
    roles: &BTreeMap<String, Role>,
) -> Surface {
    let mut surface = Surface::default();
    let types = file.items.iter().find_map(|i| match i {
        Item::Mod(m) if m.ident == "types" => m.content.as_ref().map(|(_, items)| items),
        _ => None,
    });
    for item in types.into_iter().flatten() {
        let role = |name: &str| roles.get(name).copied().unwrap_or(Role::Other);
        match item {
            Item::Struct(s) if matches!(s.vis, syn::Visibility::Public(_)) => {
                let name = s.ident.to_string();
                let kind = match &s.fields {
                    Fields::Named(named) => {
                        let mut fields: Vec<FieldSig> = named
                            .named
                            .iter()
                            .map(|f| {
                                let ty = ty_str(&f.ty);
                                let required =
                                    !ty.starts_with("Option<") && !has_serde_default(&f.attrs);
                                FieldSig {
                                    name: wire_name(f),
                                    ty,
                                    required,
                                }
                            })
                            .collect();
                        fields.sort_by(|a, b| a.name.cmp(&b.name));
                        TypeKind::Struct(fields)
                    }
                    Fields::Unnamed(u) => TypeKind::Newtype(
                        u.unnamed
                            .iter()
                            .map(|f| ty_str(&f.ty))
                            .collect::<Vec<_>>()
                            .join(", "),
                    ),
                    Fields::Unit => TypeKind::Struct(Vec::new()),
                };
                surface.types.push(TypeSig {
                    role: role(&name),
                    name,
                    kind,
                });
            }
            Item::Enum(e) if matches!(e.vis, syn::Visibility::Public(_)) => {
                let name = e.ident.to_string();
                let mut open = false;
                let mut variants = Vec::new();
                for v in &e.variants {
                    let ident = v.ident.to_string();
                    let rendered = match &v.fields {
                        Fields::Unit => ident.clone(),
                        Fields::Unnamed(u) => {
                            format!(
                                "{ident}({})",
                                u.unnamed
                                    .iter()
                                    .map(|f| ty_str(&f.ty))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )
                        }
                        Fields::Named(n) => format!(
                            "{ident} {{ {} }}",
                            n.named
                                .iter()
                                .map(|f| format!("{}: {}", wire_name(f), ty_str(&f.ty)))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    };
                    if ionworks_codegen::CATCH_ALL_VARIANTS.contains(&ident.as_str())
                        && rendered == format!("{ident}(String)")
                    {
                        open = true;
                    } else {
                        variants.push(rendered);
                    }
                }
                surface.types.push(TypeSig {
                    role: role(&name),
                    name,
                    kind: TypeKind::Enum { open, variants },
                });
            }
            Item::Type(t) if matches!(t.vis, syn::Visibility::Public(_)) => {
                let name = t.ident.to_string();
                surface.types.push(TypeSig {
                    role: role(&name),
                    name,
                    kind: TypeKind::Newtype(ty_str(&t.ty)),
                });
            }
            _ => {}
        }
    }
    surface.types.sort_by(|a, b| a.name.cmp(&b.name));
    surface.operations = operation_sigs(file, generated);
    surface
}

/// One operation builder: `(field, type)` pairs, success type, error type,
/// the item type of its `stream()`.
type BuilderInfo = (Vec<(String, String)>, String, String, Option<String>);

/// Builder structs (`builder::GetJob`): field types, `send()` signatures
/// and the items of `stream()`.
fn builder_info(file: &syn::File) -> BTreeMap<String, BuilderInfo> {
    let mut out = BTreeMap::new();
    let Some(items) = file.items.iter().find_map(|i| match i {
        Item::Mod(m) if m.ident == "builder" => m.content.as_ref().map(|(_, items)| items),
        _ => None,
    }) else {
        return out;
    };
    for item in items {
        match item {
            Item::Struct(s) => {
                let Fields::Named(named) = &s.fields else {
                    continue;
                };
                let fields = named
                    .named
                    .iter()
                    .filter_map(|f| {
                        let name = f.ident.as_ref()?.to_string();
                        // `Result<T, String>`: keep T.
                        let ty = match &f.ty {
                            Type::Path(p) => match &p.path.segments.last()?.arguments {
                                PathArguments::AngleBracketed(a) => match a.args.first()? {
                                    GenericArgument::Type(t) => ty_str(t),
                                    _ => return None,
                                },
                                _ => return None,
                            },
                            _ => return None,
                        };
                        Some((name, ty))
                    })
                    .collect();
                out.entry(s.ident.to_string())
                    .or_insert_with(BuilderInfo::default)
                    .0 = fields;
            }
            Item::Impl(imp) => {
                let Type::Path(p) = imp.self_ty.as_ref() else {
                    continue;
                };
                let Some(target) = p.path.segments.last().map(|s| s.ident.to_string()) else {
                    continue;
                };
                for it in &imp.items {
                    let syn::ImplItem::Fn(f) = it else { continue };
                    if f.sig.ident == "stream" {
                        out.entry(target.clone())
                            .or_insert_with(BuilderInfo::default)
                            .3 = stream_item(&f.sig.output);
                        continue;
                    }
                    if f.sig.ident != "send" {
                        continue;
                    }
                    let ReturnType::Type(_, ret) = &f.sig.output else {
                        continue;
                    };
                    let rendered = ty_str(ret);
                    // Result<ResponseValue<T>, Error<E>>
                    let (ok, err) = split_result(&rendered);
                    let entry = out
                        .entry(target.clone())
                        .or_insert_with(BuilderInfo::default);
                    entry.1 = ok;
                    entry.2 = err;
                }
            }
            _ => {}
        }
    }
    out
}

/// `T` of `-> Pages<'a, T, E>`.
fn stream_item(output: &ReturnType) -> Option<String> {
    let ReturnType::Type(_, ty) = output else {
        return None;
    };
    let Type::Path(p) = ty.as_ref() else {
        return None;
    };
    let PathArguments::AngleBracketed(args) = &p.path.segments.last()?.arguments else {
        return None;
    };
    args.args.iter().find_map(|a| match a {
        GenericArgument::Type(t) => Some(ty_str(t)),
        _ => None,
    })
}

fn split_result(rendered: &str) -> (String, String) {
    let inner = rendered
        .strip_prefix("Result<")
        .and_then(|r| r.strip_suffix('>'))
        .unwrap_or(rendered);
    // Split at the top-level comma.
    let mut depth = 0i32;
    for (i, c) in inner.char_indices() {
        match c {
            '<' | '(' => depth += 1,
            '>' | ')' => depth -= 1,
            ',' if depth == 0 => {
                let ok = inner[..i].trim();
                let err = inner[i + 1..].trim();
                let unwrap = |s: &str, w: &str| {
                    s.strip_prefix(w)
                        .and_then(|s| s.strip_prefix('<'))
                        .and_then(|s| s.strip_suffix('>'))
                        .unwrap_or(s)
                        .to_string()
                };
                return (unwrap(ok, "ResponseValue"), unwrap(err, "Error"));
            }
            _ => {}
        }
    }
    (inner.to_string(), String::new())
}

fn operation_sigs(file: &syn::File, generated: &ionworks_codegen::Generated) -> Vec<OperationSig> {
    let doc = &generated.converted;
    // The path of each operation in the API, by method name (the converted
    // document holds a form variant at a path of its own).
    let paths: BTreeMap<&str, &str> = generated
        .report
        .operations
        .iter()
        .map(|(name, _, path)| (name.as_str(), path.as_str()))
        .collect();
    let builders = builder_info(file);
    let mut ops = Vec::new();
    for (path, method, op) in ionworks_codegen::operations(doc) {
        let Some(id) = op.get("operationId").and_then(Value::as_str) else {
            continue;
        };
        let name = id.to_snake_case();
        let api_path = paths.get(name.as_str()).copied().unwrap_or(path);
        let builder = heck::ToPascalCase::to_pascal_case(id);
        let (fields, success, error, stream) = builders.get(&builder).cloned().unwrap_or_default();
        let field_ty: BTreeMap<String, String> = fields.into_iter().collect();
        let mut params = Vec::new();
        for p in op
            .get("parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let pname = p.get("name").and_then(Value::as_str).unwrap_or_default();
            let setter = pname.to_snake_case();
            let ty = field_ty.get(&setter).cloned().unwrap_or_else(|| "?".into());
            params.push(ParamSig {
                required: !ty.starts_with("Option<"),
                name: setter,
                location: p
                    .get("in")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                ty,
            });
        }
        let body = field_ty
            .get("body")
            .map(|b| b.trim_start_matches("builder::").to_string());
        // A form: its encoding and file fields beside the text fields' type.
        let body = match ionworks_codegen::form_description(op) {
            Some(form) => Some(match body {
                Some(text) => format!("{form}; text: {text}"),
                None => form,
            }),
            None => body,
        };
        let success_status: BTreeSet<&str> = op
            .get("responses")
            .and_then(Value::as_object)
            .map(|r| {
                r.keys()
                    .filter(|k| k.starts_with('2') || *k == "default")
                    .map(String::as_str)
                    .collect()
            })
            .unwrap_or_default();
        ops.push(OperationSig {
            name,
            method: method.to_uppercase(),
            path: api_path.to_string(),
            params,
            body,
            success_status: success_status.into_iter().collect::<Vec<_>>().join("/"),
            success,
            error,
            stream,
            source: op
                .pointer("/x-ionworks-source/kind")
                .and_then(Value::as_str)
                .map(str::to_string),
        });
    }
    ops.sort_by(|a, b| a.name.cmp(&b.name));
    ops
}
