//! A doc line for every public item the spec says nothing about
//! ([`Options::describe_all`](crate::Options::describe_all)), so that a crate
//! including the code can keep `#![warn(missing_docs)]` on it and a user
//! reading the docs never meets a bare name.
//!
//! Each line is made from what the generated code itself knows, in the
//! API's terms:
//!
//! * a field: `The cell batch's \`created_at\`.` (its wire name, its
//!   type's name in words); the catch-all map of an open object says what
//!   it keeps;
//! * a variant of an open enum: its wire value, read from the enum's
//!   `as_str`;
//! * a type builder's setter: the doc of the field it sets;
//! * an operation builder's setter: the parameter's description from the
//!   `Arguments:` list progenitor writes on the client method, else its
//!   name and where it goes;
//! * `send()`: what it answers, a `ResponseValue` (the decoded body behind
//!   `Deref`, with the status and headers) or the crate's error type.
//!
//! It also drops progenitor's leftovers: an empty `types::defaults` module,
//! and the doc links of `send()` to `Error::ErrorResponse`, which a crate
//! with its own error type does not have.

use std::collections::BTreeMap;

use heck::ToSnakeCase;
use quote::ToTokens;
use syn::{Attribute, Expr, Fields, ImplItem, Item, Lit, Pat, Visibility};

/// Drops progenitor's and typify's leftovers: functions of `types::defaults`
/// that nothing calls (typify emits its generic `default_i64` and friends
/// whether or not a field uses them), then the module if it is empty.
///
/// Only those few names are looked for (a use is an identifier, a token of a
/// macro's input, or a word of a string in an attribute other than a doc
/// comment, as in `#[serde(default = "defaults::default_u64")]`): collecting
/// every identifier of a large client as a `String` took most of the time.
pub(crate) fn drop_leftovers(file: &mut syn::File) {
    use syn::visit::Visit;
    /// The names not seen used yet.
    struct Unused(Vec<String>);
    impl Unused {
        fn saw(&mut self, word: &str) {
            self.0.retain(|name| name != word);
        }
        fn saw_ident(&mut self, ident: &proc_macro2::Ident) {
            self.0.retain(|name| ident != name);
        }
        fn saw_tokens(&mut self, tokens: proc_macro2::TokenStream) {
            for token in tokens {
                match token {
                    proc_macro2::TokenTree::Ident(i) => self.saw_ident(&i),
                    proc_macro2::TokenTree::Group(g) => self.saw_tokens(g.stream()),
                    proc_macro2::TokenTree::Literal(l) => {
                        let text = l.to_string();
                        for word in text.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
                            self.saw(word);
                        }
                    }
                    proc_macro2::TokenTree::Punct(_) => {}
                }
            }
        }
    }
    impl<'ast> Visit<'ast> for Unused {
        fn visit_ident(&mut self, ident: &'ast proc_macro2::Ident) {
            self.saw_ident(ident);
        }
        fn visit_macro(&mut self, mac: &'ast syn::Macro) {
            self.saw_tokens(mac.tokens.clone());
            syn::visit::visit_macro(self, mac);
        }
        fn visit_attribute(&mut self, attr: &'ast Attribute) {
            if !attr.path().is_ident("doc") {
                self.saw_tokens(attr.meta.to_token_stream());
            }
        }
    }
    let Some(types) = file.items.iter_mut().find_map(|item| match item {
        Item::Mod(m) if m.ident == "types" => m.content.as_mut().map(|(_, c)| c),
        _ => None,
    }) else {
        return;
    };
    let defaults = |item: &Item| matches!(item, Item::Mod(m) if m.ident == "defaults");
    let mut unused = Unused(
        types
            .iter()
            .filter(|item| defaults(item))
            .filter_map(|item| match item {
                Item::Mod(m) => m.content.as_ref(),
                _ => None,
            })
            .flat_map(|(_, content)| content)
            .filter_map(|f| match f {
                Item::Fn(f) => Some(f.sig.ident.to_string()),
                _ => None,
            })
            .collect(),
    );
    if unused.0.is_empty() {
        return;
    }
    for item in types.iter().filter(|item| !defaults(item)) {
        unused.visit_item(item);
        if unused.0.is_empty() {
            return;
        }
    }
    for item in types.iter_mut() {
        if let Item::Mod(m) = item
            && m.ident == "defaults"
            && let Some((_, content)) = m.content.as_mut()
        {
            content
                .retain(|f| !matches!(f, Item::Fn(f) if unused.0.iter().any(|n| f.sig.ident == n)));
        }
    }
    types.retain(|item| {
        !matches!(item, Item::Mod(m) if m.ident == "defaults" && m.content.as_ref().is_some_and(|(_, c)| c.is_empty()))
    });
}

/// Adds the missing doc lines in `file` (see the module docs).
/// `error_type` is the crate's error type that `send()` returns, if any.
pub(crate) fn describe_all(file: &mut syn::File, error_type: Option<&syn::Path>) {
    let facts = Facts::gather(file);
    let error = error_type.map(|p| p.to_token_stream().to_string().replace(' ', ""));
    for item in &mut file.items {
        let Item::Mod(m) = item else {
            if let Item::Impl(i) = item {
                describe_impl(i, "", &facts, error.as_deref());
            }
            continue;
        };
        let name = m.ident.to_string();
        if let Some((_, items)) = m.content.as_mut() {
            describe_module(items, &name, &facts, error.as_deref());
        }
    }
}

/// What the generated code says about itself, gathered before writing.
#[derive(Default)]
struct Facts {
    /// `(enum, variant)` → wire value, from each open enum's `as_str`.
    wire_values: BTreeMap<(String, String), String>,
    /// `(struct, field)` → the field's first doc line.
    field_docs: BTreeMap<(String, String), String>,
    /// `(client method, parameter)` → its description (progenitor's
    /// `Arguments:` list).
    arguments: BTreeMap<(String, String), String>,
}

impl Facts {
    fn gather(file: &syn::File) -> Facts {
        let mut facts = Facts::default();
        for item in &file.items {
            match item {
                Item::Mod(m) if m.ident == "types" => {
                    for item in m.content.iter().flat_map(|(_, items)| items) {
                        facts.gather_type(item);
                    }
                }
                Item::Impl(i) if i.trait_.is_none() => {
                    for item in &i.items {
                        if let ImplItem::Fn(f) = item {
                            facts.gather_arguments(&f.sig.ident.to_string(), &f.attrs);
                        }
                    }
                }
                _ => {}
            }
        }
        facts
    }

    fn gather_type(&mut self, item: &Item) {
        match item {
            Item::Struct(s) => {
                for field in &s.fields {
                    if let (Some(ident), Some(doc)) = (&field.ident, first_line(&field.attrs)) {
                        let key = (s.ident.to_string(), unraw(ident));
                        self.field_docs.insert(key, doc);
                    }
                }
            }
            Item::Impl(i) if i.trait_.is_none() => {
                let Some(ty) = last_name(&i.self_ty) else {
                    return;
                };
                for item in &i.items {
                    let ImplItem::Fn(f) = item else { continue };
                    if f.sig.ident != "as_str" {
                        continue;
                    }
                    for stmt in &f.block.stmts {
                        let syn::Stmt::Expr(Expr::Match(m), _) = stmt else {
                            continue;
                        };
                        for arm in &m.arms {
                            let (Pat::Path(p), Expr::Lit(lit)) = (&arm.pat, &*arm.body) else {
                                continue;
                            };
                            let (Some(variant), Lit::Str(wire)) =
                                (p.path.segments.last(), &lit.lit)
                            else {
                                continue;
                            };
                            self.wire_values
                                .insert((ty.clone(), variant.ident.to_string()), wire.value());
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// Reads `- \`name\`: description` lines after `Arguments:`.
    fn gather_arguments(&mut self, method: &str, attrs: &[Attribute]) {
        let text = doc_text(attrs);
        let Some((_, list)) = text.split_once("Arguments:") else {
            return;
        };
        for line in list.lines() {
            let Some(rest) = line.trim().strip_prefix("- `") else {
                if line.trim().starts_with("```") {
                    break;
                }
                continue;
            };
            if let Some((name, description)) = rest.split_once("`: ") {
                let key = (method.to_string(), name.to_snake_case());
                self.arguments.insert(key, description.trim().to_string());
            }
        }
    }
}

fn describe_module(items: &mut [Item], module: &str, facts: &Facts, error: Option<&str>) {
    for item in items.iter_mut() {
        match item {
            Item::Mod(m) => {
                let inner = format!("{module}::{}", m.ident);
                if let Some((_, items)) = m.content.as_mut() {
                    describe_module(items, &inner, facts, error);
                }
            }
            Item::Struct(s) if is_pub(&s.vis) => {
                let name = s.ident.to_string();
                if !has_doc(&s.attrs) {
                    let line = match module {
                        "types::builder" => format!(
                            "Builds a [`super::{name}`] field by field; converting it (`try_into()`, \
                             or passing it where a `{name}` is expected) checks what is required."
                        ),
                        _ => format!("The API's `{name}` object."),
                    };
                    push_doc(&mut s.attrs, &line);
                }
                let noun = words(&name);
                if let Fields::Named(fields) = &mut s.fields {
                    for field in fields.named.iter_mut().filter(|f| is_pub(&f.vis)) {
                        if has_doc(&field.attrs) {
                            continue;
                        }
                        let line = if is_flatten(&field.attrs) {
                            "Fields the server sent that this version of the SDK does not list, \
                             kept as they came (and sent back as they are)."
                                .to_string()
                        } else {
                            let wire =
                                super::attrs::serde_rename(&field.attrs).unwrap_or_else(|| {
                                    field.ident.as_ref().map(unraw).unwrap_or_default()
                                });
                            format!("The {noun}'s `{wire}`.")
                        };
                        push_doc(&mut field.attrs, &line);
                    }
                }
            }
            Item::Enum(e) if is_pub(&e.vis) => {
                let name = e.ident.to_string();
                if !has_doc(&e.attrs) {
                    push_doc(&mut e.attrs, &format!("The API's `{name}` value."));
                }
                for variant in &mut e.variants {
                    if has_doc(&variant.attrs) {
                        continue;
                    }
                    let key = (name.clone(), variant.ident.to_string());
                    let line = match (facts.wire_values.get(&key), &variant.fields) {
                        (Some(wire), _) => format!("`{wire}`"),
                        (None, Fields::Unnamed(f)) if f.unnamed.len() == 1 => {
                            let ty = f.unnamed.first().map(|f| &f.ty);
                            let ty = ty.and_then(last_name).unwrap_or_default();
                            format!("The value as a `{ty}`.")
                        }
                        _ => format!("`{}`", variant.ident),
                    };
                    push_doc(&mut variant.attrs, &line);
                }
            }
            Item::Impl(i) => describe_impl(i, module, facts, error),
            Item::Trait(t) if is_pub(&t.vis) => {
                if !has_doc(&t.attrs) {
                    push_doc(&mut t.attrs, &format!("`{}`.", t.ident));
                }
                for item in &mut t.items {
                    let syn::TraitItem::Fn(f) = item else {
                        continue;
                    };
                    if has_doc(&f.attrs) {
                        continue;
                    }
                    let name = &f.sig.ident;
                    let line = if module == "mock" {
                        format!(
                            "A mock of [`Client::{name}`](super::Client::{name}): `config_fn` \
                             gets the typed `when` (what the request must be) and `then` (the answer)."
                        )
                    } else {
                        format!("`{name}`.")
                    };
                    push_doc(&mut f.attrs, &line);
                }
            }
            _ => {}
        }
    }
}

fn describe_impl(i: &mut syn::ItemImpl, module: &str, facts: &Facts, error: Option<&str>) {
    if i.trait_.is_some() {
        return;
    }
    let Some(ty) = last_name(&i.self_ty) else {
        return;
    };
    // progenitor names an operation's builder after its method.
    let method = ty.to_snake_case();
    for item in &mut i.items {
        let ImplItem::Fn(f) = item else { continue };
        if !is_pub(&f.vis) {
            continue;
        }
        let name = f.sig.ident.to_string();
        if module == "builder" && name == "send" {
            strip_error_response_links(&mut f.attrs);
            if let Some(error) = error {
                push_doc(
                    &mut f.attrs,
                    &format!(
                        "\nAnswers a [`ResponseValue`](progenitor_client::ResponseValue): it derefs \
                         to the decoded body (`into_inner()` takes it) and has the `status()` and \
                         `headers()` of the answer. Every failure, including an error status, is a \
                         [`{error}`]."
                    ),
                );
            }
            continue;
        }
        if has_doc(&f.attrs) {
            continue;
        }
        let line = match (module, name.as_str()) {
            ("types", "builder") => format!("A [`builder::{ty}`] with no field set yet."),
            ("types::builder", field) => {
                match facts.field_docs.get(&(ty.clone(), field.to_string())) {
                    Some(doc) => format!("Sets `{field}`: {}", lowercase_first(doc)),
                    None => format!("Sets `{field}`."),
                }
            }
            ("builder", "new") => format!(
                "Starts a request on `client`, as [`Client::{method}`](super::Client::{method}) does."
            ),
            ("builder", "body") => "Sets the request body, from its type or its builder.".into(),
            ("builder", "body_map") => {
                "Changes the request body through its builder (starting from the body set so far)."
                    .into()
            }
            ("builder", param) => match facts.arguments.get(&(method.clone(), param.to_string())) {
                Some(doc) => format!("Sets `{param}`: {}", lowercase_first(doc)),
                None => format!("Sets the `{param}` parameter."),
            },
            (_, name) => format!("`{name}`."),
        };
        push_doc(&mut f.attrs, &line);
    }
}

/// progenitor's `send()` docs end in links to `Error::ErrorResponse`; with
/// the crate's own error type, the name does not resolve.
fn strip_error_response_links(attrs: &mut [Attribute]) {
    for attr in attrs.iter_mut() {
        let Some(text) = doc_of(attr) else { continue };
        if !text.contains("ErrorResponse") {
            continue;
        }
        let kept: Vec<&str> = text
            .lines()
            .filter(|l| !l.contains("ErrorResponse"))
            .collect();
        let lit = syn::LitStr::new(&kept.join("\n"), proc_macro2::Span::call_site());
        *attr = syn::parse_quote!(#[doc = #lit]);
    }
}

fn is_pub(vis: &Visibility) -> bool {
    matches!(vis, Visibility::Public(_))
}

fn doc_of(attr: &Attribute) -> Option<String> {
    let syn::Meta::NameValue(nv) = &attr.meta else {
        return None;
    };
    if !nv.path.is_ident("doc") {
        return None;
    }
    match &nv.value {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Str(s), ..
        }) => Some(s.value()),
        _ => None,
    }
}

fn doc_text(attrs: &[Attribute]) -> String {
    attrs
        .iter()
        .filter_map(doc_of)
        .collect::<Vec<_>>()
        .join("\n")
}

fn has_doc(attrs: &[Attribute]) -> bool {
    attrs
        .iter()
        .filter_map(doc_of)
        .any(|d| !d.trim().is_empty())
}

fn first_line(attrs: &[Attribute]) -> Option<String> {
    let text = doc_text(attrs);
    let line = text.lines().map(str::trim).find(|l| !l.is_empty())?;
    Some(line.to_string())
}

fn is_flatten(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("serde") && a.meta.to_token_stream().to_string().contains("flatten")
    })
}

fn push_doc(attrs: &mut Vec<Attribute>, line: &str) {
    let lit = syn::LitStr::new(line, proc_macro2::Span::call_site());
    let at = attrs
        .iter()
        .take_while(|a| a.path().is_ident("doc"))
        .count();
    attrs.insert(at, syn::parse_quote!(#[doc = #lit]));
}

fn unraw(ident: &syn::Ident) -> String {
    let s = ident.to_string();
    s.strip_prefix("r#").map(str::to_owned).unwrap_or(s)
}

/// `CellBatchCreate` → `cell batch create`.
fn words(name: &str) -> String {
    name.to_snake_case().replace('_', " ")
}

fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match (chars.next(), chars.clone().next()) {
        // Keep acronyms and code as they are (`ID of …`, `` `x` ``).
        (Some(c), Some(n)) if c.is_uppercase() && !n.is_uppercase() => {
            c.to_lowercase().chain(chars).collect()
        }
        _ => text.to_string(),
    }
}

/// The last segment of a type path (`::std::string::String` → `String`).
fn last_name(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::drop_leftovers;
    use quote::ToTokens;

    fn defaults_left(code: &str) -> Option<Vec<String>> {
        let mut file: syn::File = syn::parse_str(code).unwrap();
        drop_leftovers(&mut file);
        let syn::Item::Mod(types) = &file.items[0] else {
            panic!("no types module");
        };
        types
            .content
            .as_ref()
            .unwrap()
            .1
            .iter()
            .find_map(|item| match item {
                syn::Item::Mod(m) if m.ident == "defaults" => Some(
                    m.content
                        .as_ref()
                        .unwrap()
                        .1
                        .iter()
                        .map(|f| match f {
                            syn::Item::Fn(f) => f.sig.ident.to_string(),
                            other => other.to_token_stream().to_string(),
                        })
                        .collect(),
                ),
                _ => None,
            })
    }

    #[test]
    fn only_the_defaults_something_uses_are_kept() {
        let left = defaults_left(
            r#"
            pub mod types {
                pub struct Paint {
                    #[serde(default = "defaults::paint_color")]
                    pub color: String,
                    /// Defaults to `default_bool` (a doc comment is no use).
                    pub shiny: bool,
                }
                impl Paint {
                    fn size() -> u64 { defaults::default_u64::<u64, 3>() }
                }
                macro_rules! from_macro { () => { defaults::in_a_macro() } }
                pub mod defaults {
                    pub(super) fn paint_color() -> String { "red".into() }
                    pub(super) fn default_u64<T, const V: u64>() -> T { todo!() }
                    pub(super) fn in_a_macro() -> u8 { 0 }
                    pub(super) fn default_bool<const V: bool>() -> bool { V }
                    pub(super) fn default_i64<T, const V: i64>() -> T { todo!() }
                }
            }
            "#,
        );
        assert_eq!(left.unwrap(), ["paint_color", "default_u64", "in_a_macro"]);
    }

    #[test]
    fn a_defaults_module_nothing_uses_goes() {
        let left = defaults_left(
            r#"
            pub mod types {
                pub struct Plain { pub name: String }
                pub mod defaults {
                    pub(super) fn default_bool<const V: bool>() -> bool { V }
                }
            }
            "#,
        );
        assert_eq!(left, None);
    }
}
