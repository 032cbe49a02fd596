//! Builders only for what is sent (with
//! [`Options::request_builders_only`](crate::Options::request_builders_only)):
//! typify gives every struct a builder (`types::builder::X`, its setters,
//! conversions both ways and `X::builder()`), about 40% of the generated
//! lines of a large API. A caller builds requests; a response type's
//! builder serves only code that makes up answers (mocks, stand-ins). The
//! builders of types that an operation's answer reaches and none of its
//! inputs (parameters, body) do are left out.
//!
//! Reachability is computed on the generated Rust, as the tag gates do
//! (`gates.rs`): an operation's inputs are the fields of its request
//! builder (`builder::GetJob`), its answer what the rest of that builder
//! (`send()`) names.

use std::collections::BTreeSet;

use syn::visit::Visit;
use syn::{ImplItem, Item};

use super::gates::{Mentions, closure, defined_name, mentions_of, module_items, self_name};

/// Removes from `file` the builders of the types only answers reach.
pub(crate) fn drop_response_builders(file: &mut syn::File) {
    let Some(types) = module_items(&file.items, "types") else {
        return;
    };
    let type_names: BTreeSet<String> = types.iter().filter_map(defined_name).collect();
    let mentions = mentions_of(types, &type_names);
    let (mut inputs, mut everything) = (BTreeSet::new(), BTreeSet::new());
    for item in module_items(&file.items, "builder").into_iter().flatten() {
        if let Item::Struct(s) = item {
            Mentions::new(&type_names, &mut inputs).visit_item_struct(s);
        }
        Mentions::new(&type_names, &mut everything).visit_item(item);
    }
    let inputs = closure(inputs, &mentions);
    let answers: BTreeSet<String> = closure(everything, &mentions)
        .into_iter()
        .filter(|t| !inputs.contains(t))
        .collect();
    if answers.is_empty() {
        return;
    }
    let Some(types) = file.items.iter_mut().find_map(|item| match item {
        Item::Mod(m) if m.ident == "types" => m.content.as_mut().map(|(_, items)| items),
        _ => None,
    }) else {
        return;
    };
    // `impl X { pub fn builder() … }`
    types.retain(|item| !is_builder_fn_impl(item, &answers));
    for item in types.iter_mut() {
        if let Item::Mod(m) = item
            && m.ident == "builder"
            && let Some((_, items)) = m.content.as_mut()
        {
            // The builder, its `Default`, setters and both conversions:
            // every item whose own type is named `X`, or `super::X`.
            items.retain(|item| {
                let name = match item {
                    Item::Struct(s) => Some(s.ident.to_string()),
                    Item::Impl(i) => self_name(&i.self_ty),
                    _ => None,
                };
                !name.is_some_and(|n| answers.contains(&n))
            });
        }
    }
}

/// An inherent impl of one of `answers` that holds only `builder()`.
fn is_builder_fn_impl(item: &Item, answers: &BTreeSet<String>) -> bool {
    let Item::Impl(imp) = item else { return false };
    imp.trait_.is_none()
        && self_name(&imp.self_ty).is_some_and(|n| answers.contains(&n))
        && !imp.items.is_empty()
        && imp
            .items
            .iter()
            .all(|member| matches!(member, ImplItem::Fn(f) if f.sig.ident == "builder"))
}
