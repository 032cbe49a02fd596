//! Open objects: a schema with `additionalProperties` (a schema, not
//! `false`) becomes a struct with a flattened map, typify's `extra`, which
//! keeps every field the spec does not list. typify 0.8's type builders
//! treat that map as a required field (`Default` sets it to
//! `Err("no value supplied for extra")`), so a builder of an open request
//! body could not be converted without `.extra(Map::new())`; the map
//! starts empty instead.

use syn::{Expr, Fields, ImplItem, Item};

/// Builders of types with a flattened map start with the map empty.
pub(crate) fn empty_by_default(items: &mut [Item]) {
    let mut open: Vec<(String, String)> = Vec::new();
    for item in items.iter() {
        let Item::Struct(s) = item else { continue };
        let Fields::Named(fields) = &s.fields else {
            continue;
        };
        for field in &fields.named {
            let flatten = super::attrs::serde_args(&field.attrs)
                .iter()
                .any(|(name, _)| name == "flatten");
            if let (true, Some(ident)) = (flatten, &field.ident) {
                open.push((s.ident.to_string(), ident.to_string()));
            }
        }
    }
    if open.is_empty() {
        return;
    }
    let Some(builder) = items.iter_mut().find_map(|item| match item {
        Item::Mod(m) if m.ident == "builder" => m.content.as_mut().map(|(_, c)| c),
        _ => None,
    }) else {
        return;
    };
    for item in builder.iter_mut() {
        let Item::Impl(i) = item else { continue };
        let is_default = i
            .trait_
            .as_ref()
            .and_then(|(path, _)| path.segments.last())
            .is_some_and(|s| s.ident == "Default");
        let Some(name) = self_name(&i.self_ty) else {
            continue;
        };
        if !is_default {
            continue;
        }
        for impl_item in &mut i.items {
            let ImplItem::Fn(f) = impl_item else { continue };
            for stmt in &mut f.block.stmts {
                let syn::Stmt::Expr(Expr::Struct(body), _) = stmt else {
                    continue;
                };
                for field_value in &mut body.fields {
                    let syn::Member::Named(member) = &field_value.member else {
                        continue;
                    };
                    if open.iter().any(|(s, f)| *s == name && member == f) {
                        field_value.expr = syn::parse_quote!(Ok(Default::default()));
                    }
                }
            }
        }
    }
}

fn self_name(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}
