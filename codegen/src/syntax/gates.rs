//! A cargo feature per OpenAPI tag (with `Options::tag_features`): each
//! operation's method, request builder and typed mocks compile only with
//! the feature of one of its tags, and so does every type that the
//! operations of exactly one tag reach, so that a crate using one part of a
//! large API compiles that part. Types shared across tags, reached by an
//! untagged operation or by no operation stay ungated, and so does
//! everything they reference.
//!
//! Reachability is computed on the generated Rust (not on the spec), so
//! that typify's inline types (named after their parents) are gated like
//! the components they belong to.

use std::collections::{BTreeMap, BTreeSet};

use heck::{ToPascalCase, ToSnakeCase};
use proc_macro2::{TokenStream, TokenTree};
use serde_json::Value;
use syn::visit::Visit;
use syn::{ImplItem, Item, TraitItem};

use crate::json::tags::{feature, tags};

/// A condition on features: `None` is "always".
type Gate = Option<BTreeSet<String>>;

/// `any(feature = "a", feature = "b")`.
fn any(features: &BTreeSet<String>) -> TokenStream {
    let list = features.iter().map(|f| quote::quote!(feature = #f));
    quote::quote!(any(#(#list),*))
}

/// Gate each struct of `items`, and its impls, by its name in `gates`.
fn gate_by_type<'a, G: std::borrow::Borrow<BTreeSet<String>>>(
    items: impl Iterator<Item = &'a mut Item>,
    gates: &BTreeMap<String, G>,
) {
    for item in items {
        let name = match item {
            Item::Struct(s) => s.ident.to_string(),
            Item::Impl(i) => self_name(&i.self_ty).unwrap_or_default(),
            _ => continue,
        };
        if let Some(gate) = gates
            .get(&name)
            .map(|g| g.borrow())
            .filter(|g| !g.is_empty())
        {
            push_attr(item, cfg(gate));
        }
    }
}

/// Gates a method named after an operation (a client method, a mock
/// method) with that operation's features, if it has any.
fn gate_method(
    ident: &syn::Ident,
    attrs: &mut Vec<syn::Attribute>,
    op_gates: &BTreeMap<String, BTreeSet<String>>,
) {
    if let Some(gate) = op_gates.get(&ident.to_string()).filter(|g| !g.is_empty()) {
        attrs.push(cfg(gate));
    }
}

fn cfg(features: &BTreeSet<String>) -> syn::Attribute {
    let any = any(features);
    syn::parse_quote!(#[cfg(#any)])
}

/// Gates the operations and types of `file` (generated from the converted
/// `doc`) by tag (see the module docs).
pub(crate) fn gate(file: &mut syn::File, doc: &Value, prefix: &str) {
    // Method name → features of its operation (empty: untagged).
    let mut op_gates: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (_, _, op) in crate::operations(doc) {
        if let Some(id) = op.get("operationId").and_then(Value::as_str) {
            op_gates.insert(
                id.to_snake_case(),
                tags(op).map(|t| feature(prefix, t)).collect(),
            );
        }
    }
    if op_gates.values().all(BTreeSet::is_empty) {
        return;
    }
    let by_builder: BTreeMap<String, &BTreeSet<String>> = op_gates
        .iter()
        .map(|(name, gate)| (name.to_pascal_case(), gate))
        .collect();

    // The types of `types` and what each one mentions.
    let type_names: BTreeSet<String> = module_items(&file.items, "types")
        .map(|items| items.iter().filter_map(defined_name).collect())
        .unwrap_or_default();
    let mentions = module_items(&file.items, "types")
        .map(|items| mentions_of(items, &type_names))
        .unwrap_or_default();
    // What each operation's builder reaches.
    let mut gates: BTreeMap<String, Gate> = BTreeMap::new();
    let mut always: Vec<String> = Vec::new();
    let mut reached: BTreeSet<String> = BTreeSet::new();
    if let Some(items) = module_items(&file.items, "builder") {
        let mut roots: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for item in items {
            let name = match item {
                Item::Struct(s) => s.ident.to_string(),
                Item::Impl(i) => self_name(&i.self_ty).unwrap_or_default(),
                _ => continue,
            };
            let Some(gate) = by_builder.get(&name) else {
                continue;
            };
            let mut found = BTreeSet::new();
            Mentions::new(&type_names, &mut found).visit_item(item);
            let entry = roots.entry(name).or_default();
            entry.extend(found);
            let _ = gate;
        }
        for (builder, types) in roots {
            let gate = by_builder[&builder];
            for t in closure(types, &mentions) {
                reached.insert(t.clone());
                if gate.is_empty() {
                    always.push(t);
                } else if let Some(g) = gates.entry(t).or_insert_with(|| Some(BTreeSet::new())) {
                    g.extend(gate.iter().cloned());
                }
            }
        }
    }
    // Types no operation reaches, and types shared across tags, stay, with
    // everything they mention.
    always.extend(type_names.iter().filter(|t| !reached.contains(*t)).cloned());
    always.extend(
        gates
            .iter()
            .filter(|(_, g)| g.as_ref().is_some_and(|g| g.len() > 1))
            .map(|(t, _)| t.clone()),
    );
    for t in closure(always.into_iter().collect(), &mentions) {
        gates.insert(t, None);
    }
    let type_gate = |name: &str| gates.get(name).cloned().flatten();

    for item in file.items.iter_mut() {
        match item {
            Item::Mod(m) if m.ident == "types" => gate_types(m, &type_names, &type_gate),
            Item::Mod(m) if m.ident == "builder" => {
                gate_by_type(content(m), &by_builder);
            }
            Item::Mod(m) if m.ident == "mock" => gate_mocks(m, &op_gates),
            Item::Impl(imp)
                if imp.trait_.is_none() && self_name(&imp.self_ty).as_deref() == Some("Client") =>
            {
                for member in imp.items.iter_mut() {
                    if let ImplItem::Fn(f) = member {
                        gate_method(&f.sig.ident, &mut f.attrs, &op_gates);
                    }
                }
            }
            _ => {}
        }
    }
}

/// Each type `items` define, with the others of `type_names` it mentions.
pub(super) fn mentions_of(
    items: &[Item],
    type_names: &BTreeSet<String>,
) -> BTreeMap<String, BTreeSet<String>> {
    let mut mentions: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for item in items {
        if let Some(name) = defined_name(item) {
            let mut found = BTreeSet::new();
            Mentions::new(type_names, &mut found).visit_item(item);
            found.remove(&name);
            mentions.entry(name).or_default().extend(found);
        }
    }
    mentions
}

/// Every type reachable from `roots` through `mentions`.
pub(super) fn closure(
    roots: BTreeSet<String>,
    mentions: &BTreeMap<String, BTreeSet<String>>,
) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut stack: Vec<String> = roots.into_iter().collect();
    while let Some(t) = stack.pop() {
        if seen.insert(t.clone())
            && let Some(next) = mentions.get(&t)
        {
            stack.extend(next.iter().filter(|n| !seen.contains(*n)).cloned());
        }
    }
    seen
}

/// Items of `types` (and of its `builder`, `defaults` modules): an item is
/// gated by every gated type it mentions (an `impl From<A> for B` needs both).
fn gate_types(m: &mut syn::ItemMod, names: &BTreeSet<String>, gate: &dyn Fn(&str) -> Gate) {
    for item in content(m) {
        if let Item::Mod(inner) = item {
            gate_types(inner, names, gate);
            if inner.ident == "defaults" {
                // typify's default functions (`fit_ecm_options_regularization()
                // -> f64`, its generic `default_u64::<T, V>`) name no type of
                // the field they serve, so they cannot be gated by what they
                // mention; which of them a feature combination calls depends
                // on the types it keeps. The module is `pub(super)`.
                inner.attrs.push(syn::parse_quote!(#[allow(dead_code)]));
            }
            continue;
        }
        if matches!(item, Item::Mod(_) | Item::Use(_) | Item::Macro(_)) {
            continue;
        }
        // A definition is gated by its own type; an impl by the types of its
        // header (its body may name others that exist either way).
        if let Some(name) = defined_name(item) {
            if let Some(g) = gate(&name) {
                push_attr(item, cfg(&g));
            }
            continue;
        }
        let mut found = BTreeSet::new();
        let mut mentions = Mentions::new(names, &mut found);
        match &*item {
            // The header: attributes, generics, trait and type.
            Item::Impl(i) => {
                i.attrs.iter().for_each(|a| mentions.visit_attribute(a));
                mentions.visit_generics(&i.generics);
                if let Some((path, _)) = &i.trait_ {
                    mentions.visit_path(path);
                }
                mentions.visit_type(&i.self_ty);
            }
            other => mentions.visit_item(other),
        }
        let gated: Vec<BTreeSet<String>> = found.iter().filter_map(|t| gate(t)).collect();
        match gated.as_slice() {
            [] => {}
            [one] => push_attr(item, cfg(one)),
            several => {
                let each: Vec<TokenStream> = several.iter().map(any).collect();
                push_attr(item, syn::parse_quote!(#[cfg(all(#(#each),*))]));
            }
        }
    }
}

/// The typed mocks: each operation's `When`/`Then` types and its
/// `MockServerExt` method.
fn gate_mocks(m: &mut syn::ItemMod, op_gates: &BTreeMap<String, BTreeSet<String>>) {
    let by_type: BTreeMap<String, &BTreeSet<String>> = op_gates
        .iter()
        .flat_map(|(name, gate)| {
            let pascal = name.to_pascal_case();
            [
                (format!("{pascal}When"), gate),
                (format!("{pascal}Then"), gate),
            ]
        })
        .collect();
    for item in content(m) {
        match item {
            Item::Mod(inner) if inner.ident == "operations" => {
                gate_by_type(content(inner), &by_type);
            }
            Item::Trait(t) => {
                for member in t.items.iter_mut() {
                    if let TraitItem::Fn(f) = member {
                        gate_method(&f.sig.ident, &mut f.attrs, op_gates);
                    }
                }
            }
            Item::Impl(imp) => {
                for member in imp.items.iter_mut() {
                    if let ImplItem::Fn(f) = member {
                        gate_method(&f.sig.ident, &mut f.attrs, op_gates);
                    }
                }
            }
            _ => {}
        }
    }
}

fn content(m: &mut syn::ItemMod) -> impl Iterator<Item = &mut Item> {
    m.content.iter_mut().flat_map(|(_, items)| items.iter_mut())
}

pub(super) fn module_items<'a>(items: &'a [Item], name: &str) -> Option<&'a Vec<Item>> {
    items.iter().find_map(|i| match i {
        Item::Mod(m) if m.ident == name => m.content.as_ref().map(|(_, items)| items),
        _ => None,
    })
}

/// The type an item defines (struct, enum, alias).
pub(super) fn defined_name(item: &Item) -> Option<String> {
    match item {
        Item::Struct(s) => Some(s.ident.to_string()),
        Item::Enum(e) => Some(e.ident.to_string()),
        Item::Type(t) => Some(t.ident.to_string()),
        _ => None,
    }
}

pub(super) fn self_name(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

/// The identifiers in `tokens` that name one of `names`.
/// Collects the identifiers among `names` that a syntax tree mentions,
/// wherever they stand (also inside macro and attribute tokens). A visit of
/// the tree rather than of its tokens: printing a large module back to
/// tokens was most of the gating's time.
pub(super) struct Mentions<'a> {
    names: &'a BTreeSet<String>,
    found: &'a mut BTreeSet<String>,
}

impl<'a> Mentions<'a> {
    pub(super) fn new(names: &'a BTreeSet<String>, found: &'a mut BTreeSet<String>) -> Self {
        Self { names, found }
    }
}

impl<'ast> Visit<'ast> for Mentions<'_> {
    fn visit_ident(&mut self, i: &'ast proc_macro2::Ident) {
        let text = i.to_string();
        if self.names.contains(&text) {
            self.found.insert(text);
        }
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        self.visit_path(&m.path);
        idents(m.tokens.clone(), self.names, self.found);
    }

    fn visit_meta_list(&mut self, m: &'ast syn::MetaList) {
        self.visit_path(&m.path);
        idents(m.tokens.clone(), self.names, self.found);
    }
}

fn idents(tokens: TokenStream, names: &BTreeSet<String>, out: &mut BTreeSet<String>) {
    for tree in tokens {
        match tree {
            TokenTree::Ident(i) => {
                let text = i.to_string();
                if names.contains(&text) {
                    out.insert(text);
                }
            }
            TokenTree::Group(g) => idents(g.stream(), names, out),
            _ => {}
        }
    }
}

fn push_attr(item: &mut Item, attr: syn::Attribute) {
    let attrs = match item {
        Item::Struct(i) => &mut i.attrs,
        Item::Enum(i) => &mut i.attrs,
        Item::Type(i) => &mut i.attrs,
        Item::Impl(i) => &mut i.attrs,
        Item::Fn(i) => &mut i.attrs,
        Item::Const(i) => &mut i.attrs,
        Item::Static(i) => &mut i.attrs,
        Item::Trait(i) => &mut i.attrs,
        Item::Mod(i) => &mut i.attrs,
        _ => return,
    };
    attrs.push(attr);
}
