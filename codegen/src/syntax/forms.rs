//! Form request bodies in the generated code: the request builders of the
//! form operations found by [`crate::json::forms`] (which handed progenitor
//! each as a JSON-body operation holding the form's text fields) get one
//! setter per file field (taking the support module's `FilePart`;
//! `Vec<FilePart>` for an array) and one per text field (delegating to the
//! typed body builder), plus `on_progress`; `send()` checks required files
//! and sends the body as a form through the support module's `Form` and
//! `attach` (see `Options::form_support`). The typed mocks match such
//! operations by part name.

use std::collections::BTreeMap;

use heck::ToSnakeCase;
use proc_macro2::Span;
use quote::quote;
use syn::{Expr, Ident, ImplItem, Item};

use crate::json::forms::{ALTERNATE_SUFFIX, FormOp};

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
pub(crate) fn rewrite(
    file: &mut syn::File,
    forms: &BTreeMap<String, &FormOp>,
    support: &syn::Path,
) {
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
    let mut by_struct: BTreeMap<String, (String, &FormOp)> = BTreeMap::new();
    for item in builder.iter() {
        if let Item::Impl(imp) = item {
            for member in &imp.items {
                if let ImplItem::Fn(f) = member
                    && f.sig.ident == "send"
                    && let Some(id) = super::client::operation_id(&f.block)
                    && let Some(form) = forms.get(&id)
                    && let syn::Type::Path(p) = imp.self_ty.as_ref()
                    && let Some(last) = p.path.segments.last()
                {
                    by_struct.insert(last.ident.to_string(), (id.clone(), *form));
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
    let existing: Vec<String> = super::method_names(imp).collect();
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
/// JSON body replaced by the form, and for a form variant the path suffix
/// ([`ALTERNATE_SUFFIX`]) removed.
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
                let start: Expr = if form.multipart() {
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
    if form.alternate() {
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

/// Removes [`ALTERNATE_SUFFIX`] from the URL's format string.
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
pub(crate) fn fix_mocks(file: &mut syn::File, forms: &BTreeMap<String, &FormOp>) {
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
                *form,
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
        let pattern = if form.multipart() {
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
        if form.alternate() {
            StripSuffix.visit_impl(imp);
        }
    }
}

impl StripSuffix {
    fn visit_impl(&mut self, imp: &mut syn::ItemImpl) {
        syn::visit_mut::VisitMut::visit_item_impl_mut(self, imp);
    }
}
