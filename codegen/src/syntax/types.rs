//! The `types` module of progenitor's output (typify's types), rewritten:
//!
//! * **open enums**: typify 0.8 emits closed string enums (`unknown variant`
//!   on any new server value). Every string enum with two or more values gets
//!   a catch-all `Unknown(String)` variant and hand-rolled serde impls that
//!   round-trip unknown values. Single-value enums (from `const`) stay closed:
//!   they are tags that untagged unions rely on to pick a variant.
//! * **lenient date-times**: typify decodes `format: date-time` with chrono's
//!   strict RFC 3339 parser; fields get a `deserialize_with` that also reads
//!   timestamps without an offset (as UTC).
//! * **request bounds**: the builder → type conversion of request types checks
//!   documented numeric ranges and string lengths, so an invalid request fails
//!   in `send()` before anything reaches the network.
//! * **credentials out of `Debug`**: see `redact.rs`.

use std::collections::BTreeMap;

use heck::ToPascalCase;
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::{Expr, Fields, Ident, Item, ItemEnum, ItemMod};

use super::attrs::serde_rename;

use crate::error::Report;
use crate::json::convert::FieldConstraint;

pub(crate) fn rewrite(
    mut file: syn::File,
    converted: &crate::json::convert::Converted,
    secrets: &super::redact::Secrets<'_>,
    lean_responses: bool,
    report: &mut Report,
) -> (syn::File, usize) {
    let constraints = &converted.constraints;
    let Some(types) = file.items.iter_mut().find_map(|item| match item {
        Item::Mod(m) if m.ident == "types" => Some(m),
        _ => None,
    }) else {
        return (file, 0);
    };
    let Some((_, items)) = types.content.as_mut() else {
        return (file, 0);
    };
    open_enums(items);
    lenient_datetimes(items);
    ref_docs(items, &converted.ref_docs);
    non_exhaustive(items);
    super::extra::empty_by_default(items);
    request_bounds(items, constraints, report);
    let redacting = super::redact::redact(items, secrets);
    items.push(super::support::module(redacting, lean_responses));
    let count = items
        .iter()
        .filter(|i| {
            matches!(i, Item::Struct(s) if matches!(s.vis, syn::Visibility::Public(_)))
                || matches!(i, Item::Enum(e) if matches!(e.vis, syn::Visibility::Public(_)))
        })
        .count();
    (file, count)
}

/// `(trait, type)` of an impl of `Display`, `FromStr` or `TryFrom` (the
/// only traits the rewrites look for), the trait spelled without spaces.
fn impl_target(item: &Item) -> Option<(String, String)> {
    let Item::Impl(imp) = item else { return None };
    let syn::Type::Path(self_ty) = imp.self_ty.as_ref() else {
        return None;
    };
    let path = &imp.trait_.as_ref()?.0;
    let last = path.segments.last()?;
    if !(last.ident == "Display" || last.ident == "FromStr" || last.ident == "TryFrom") {
        return None;
    }
    let target = self_ty.path.segments.last()?.ident.to_string();
    let trait_ = path
        .segments
        .iter()
        .map(|s| quote!(#s).to_string())
        .collect::<Vec<_>>()
        .join("::");
    Some((trait_.replace(' ', ""), target))
}

/// The names the catch-all variant of an open enum takes, the first that no
/// known variant has.
pub const CATCH_ALL_VARIANTS: [&str; 4] =
    ["Unknown", "UnknownValue", "Unrecognized", "UnknownValue_"];

fn derives(attrs: &[syn::Attribute], name: &str) -> bool {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("derive"))
        .any(|a| {
            let text = a.meta.to_token_stream_string();
            text.contains(name)
        })
}

trait MetaText {
    fn to_token_stream_string(&self) -> String;
}

impl MetaText for syn::Meta {
    fn to_token_stream_string(&self) -> String {
        quote!(#self).to_string()
    }
}

fn open_enums(items: &mut Vec<Item>) {
    let from_str: std::collections::BTreeSet<String> = items
        .iter()
        .filter_map(impl_target)
        .filter(|(t, _)| t.ends_with("str::FromStr"))
        .map(|(_, target)| target)
        .collect();
    let candidates: std::collections::BTreeSet<String> = items
        .iter()
        .filter_map(|i| match i {
            Item::Enum(e)
                if e.variants.len() >= 2
                    && e.variants.iter().all(|v| matches!(v.fields, Fields::Unit))
                    && derives(&e.attrs, "Deserialize")
                    && from_str.contains(&e.ident.to_string()) =>
            {
                Some(e.ident.to_string())
            }
            _ => None,
        })
        .collect();
    // typify's Display/FromStr/TryFrom impls assume a closed set; they are replaced.
    items.retain(|i| match impl_target(i) {
        Some((t, target)) if candidates.contains(&target) => {
            !(t.ends_with("fmt::Display")
                || t.ends_with("str::FromStr")
                || t.contains("TryFrom<&str>")
                || t.contains("TryFrom<&::std::string::String>")
                || t.contains("TryFrom<::std::string::String>"))
        }
        _ => true,
    });
    let mut out = Vec::with_capacity(items.len() + candidates.len());
    for item in items.drain(..) {
        match item {
            Item::Enum(e) if candidates.contains(&e.ident.to_string()) => out.extend(open_enum(e)),
            other => out.push(other),
        }
    }
    *items = out;
}

fn open_enum(mut e: ItemEnum) -> Vec<Item> {
    let name = e.ident.clone();
    let mut known: Vec<(Ident, String)> = Vec::new();
    for v in e.variants.iter_mut() {
        let mut wire = serde_rename(&v.attrs).unwrap_or_else(|| v.ident.to_string());
        // A value renamed so that typify names its variant apart from another
        // one's (`convert::distinct_variant_names`).
        if let Some((value, _)) = wire.split_once(crate::json::convert::VARIANT_SEPARATOR) {
            wire = value.to_string();
        }
        v.attrs.retain(|a| !a.path().is_ident("serde"));
        known.push((v.ident.clone(), wire));
    }
    let catch_all = CATCH_ALL_VARIANTS
        .iter()
        .map(|n| Ident::new(n, Span::call_site()))
        .find(|n| !known.iter().any(|(k, _)| k == n))
        .unwrap_or_else(|| format_ident!("UnknownValue_"));
    e.attrs
        .retain(|a| !a.path().is_ident("derive") && !a.path().is_ident("serde"));
    e.attrs
        .push(syn::parse_quote!(#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd)]));
    e.variants.push(syn::parse_quote! {
        /// A value this version of the SDK does not know yet, kept verbatim so
        /// that it serializes back unchanged.
        #catch_all(::std::string::String)
    });
    let idents: Vec<&Ident> = known.iter().map(|(i, _)| i).collect();
    let wires: Vec<&String> = known.iter().map(|(_, w)| w).collect();
    let rest: TokenStream = quote! {
        impl #name {
            /// The value as it appears on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    #(Self::#idents => #wires,)*
                    Self::#catch_all(value) => value.as_str(),
                }
            }
            /// `true` for a value this version of the SDK does not know.
            pub fn is_unknown(&self) -> bool {
                matches!(self, Self::#catch_all(_))
            }
        }
        impl ::std::fmt::Display for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl ::std::str::FromStr for #name {
            type Err = ::std::convert::Infallible;
            fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
                Ok(Self::from(value))
            }
        }
        impl ::std::convert::From<&str> for #name {
            fn from(value: &str) -> Self {
                match value {
                    #(#wires => Self::#idents,)*
                    other => Self::#catch_all(other.to_string()),
                }
            }
        }
        impl ::std::convert::From<&::std::string::String> for #name {
            fn from(value: &::std::string::String) -> Self {
                Self::from(value.as_str())
            }
        }
        impl ::std::convert::From<::std::string::String> for #name {
            fn from(value: ::std::string::String) -> Self {
                match value.as_str() {
                    #(#wires => Self::#idents,)*
                    _ => Self::#catch_all(value),
                }
            }
        }
        impl ::serde::Serialize for #name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }
        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                <::std::string::String as ::serde::Deserialize>::deserialize(deserializer).map(Self::from)
            }
        }
    };
    let file: syn::File = syn::parse2(rest).expect("open enum impls are valid Rust");
    std::iter::once(Item::Enum(e)).chain(file.items).collect()
}

/// Every public struct and enum of `types` (and of its `builder` module)
/// becomes `#[non_exhaustive]`, so that a field or a variant the server adds
/// is an additive change for callers: outside the crate, structs are built
/// with their builders (`JobResponse::builder()`) and matches need a
/// wildcard arm. (typify emits them exhaustive.)
fn non_exhaustive(items: &mut [Item]) {
    for item in items.iter_mut() {
        let attrs = match item {
            Item::Struct(s) if matches!(s.vis, syn::Visibility::Public(_)) => &mut s.attrs,
            Item::Enum(e) if matches!(e.vis, syn::Visibility::Public(_)) => &mut e.attrs,
            Item::Mod(m) if m.ident == "builder" => {
                if let Some((_, inner)) = m.content.as_mut() {
                    non_exhaustive(inner);
                }
                continue;
            }
            _ => continue,
        };
        if !attrs.iter().any(|a| a.path().is_ident("non_exhaustive")) {
            attrs.push(syn::parse_quote!(#[non_exhaustive]));
        }
    }
}

/// Puts the description written beside a `$ref` on its field, unless the
/// field has a doc comment already.
fn ref_docs(items: &mut [Item], docs: &[(String, String, String)]) {
    if docs.is_empty() {
        return;
    }
    // Rust type name → its `(property, description)`s, in order.
    let mut by_type: BTreeMap<String, Vec<(&String, &String)>> = BTreeMap::new();
    for (component, property, description) in docs {
        by_type
            .entry(type_name(component))
            .or_default()
            .push((property, description));
    }
    for item in items.iter_mut() {
        let Item::Struct(s) = item else { continue };
        let Fields::Named(fields) = &mut s.fields else {
            continue;
        };
        let Some(docs) = by_type.get(&s.ident.to_string()) else {
            continue;
        };
        for &(property, description) in docs {
            let field = fields.named.iter_mut().find(|f| {
                let ident = f
                    .ident
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default();
                serde_rename(&f.attrs).unwrap_or_else(|| ident.trim_start_matches("r#").to_string())
                    == *property
            });
            if let Some(field) = field
                && !field.attrs.iter().any(|a| a.path().is_ident("doc"))
            {
                field
                    .attrs
                    .insert(0, syn::parse_quote!(#[doc = #description]));
            }
        }
    }
}

const DATETIME: &str = "::chrono::DateTime<::chrono::offset::Utc>";

fn lenient_datetimes(items: &mut [Item]) {
    for item in items.iter_mut() {
        let Item::Struct(s) = item else { continue };
        let Fields::Named(fields) = &mut s.fields else {
            continue;
        };
        for f in fields.named.iter_mut() {
            let ty = &f.ty;
            let text = quote!(#ty).to_string().replace(' ', "");
            if text == DATETIME {
                let with = super::support::in_types("datetime");
                f.attrs
                    .push(syn::parse_quote!(#[serde(deserialize_with = #with)]));
            } else if text == format!("::std::option::Option<{DATETIME}>") {
                // typify marks required-but-nullable fields with
                // `deserialize_with = "::std::option::Option::deserialize"`
                // (present, may be null); keep that, with our parser.
                let before = f.attrs.len();
                f.attrs.retain(|a| {
                    !(a.path().is_ident("serde")
                        && quote!(#a).to_string().contains("Option::deserialize"))
                });
                let with = super::support::in_types("datetime_opt");
                if f.attrs.len() < before {
                    f.attrs
                        .push(syn::parse_quote!(#[serde(deserialize_with = #with)]));
                } else {
                    f.attrs
                        .push(syn::parse_quote!(#[serde(default, deserialize_with = #with)]));
                }
            }
        }
    }
}

/// The Rust name typify gives component `component`
/// (`typify-impl/src/util.rs::sanitize`, then Pascal case).
///
/// ```
/// assert_eq!(ionworks_codegen::type_name("Body_upload_file"), "BodyUploadFile");
/// ```
pub fn type_name(component: &str) -> String {
    let cleaned: String = component
        .replace('\'', "")
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    cleaned.to_pascal_case()
}

const CHECKABLE: [&str; 12] = [
    "i8",
    "i16",
    "i32",
    "i64",
    "u8",
    "u16",
    "u32",
    "u64",
    "f32",
    "f64",
    "::std::string::String",
    "String",
];

fn request_bounds(items: &mut [Item], constraints: &[FieldConstraint], report: &mut Report) {
    if constraints.is_empty() {
        return;
    }
    // struct name -> wire property -> (field ident, checkable?)
    let mut fields: BTreeMap<String, BTreeMap<String, (Ident, bool)>> = BTreeMap::new();
    for item in items.iter() {
        let Item::Struct(s) = item else { continue };
        let Fields::Named(named) = &s.fields else {
            continue;
        };
        let entry = fields.entry(s.ident.to_string()).or_default();
        for f in &named.named {
            let ident = f.ident.clone().expect("named field");
            let wire = serde_rename(&f.attrs)
                .unwrap_or_else(|| ident.to_string().trim_start_matches("r#").to_string());
            let ty = &f.ty;
            let text = quote!(#ty).to_string().replace(' ', "");
            let inner = text
                .strip_prefix("::std::option::Option<")
                .and_then(|t| t.strip_suffix('>'))
                .unwrap_or(&text);
            entry.insert(wire, (ident, CHECKABLE.contains(&inner)));
        }
    }
    // (struct, field ident) -> bounds expression
    let bounds_type = super::support::from_types_module("Bounds");
    let mut checks: BTreeMap<(String, String), TokenStream> = BTreeMap::new();
    for fc in constraints {
        let struct_name = type_name(&fc.component);
        match fields.get(&struct_name).and_then(|f| f.get(&fc.property)) {
            Some((ident, true)) => {
                let c = &fc.constraint;
                let label = format!("{}.{}", fc.component, fc.property);
                let opt_f = |v: Option<f64>| match v {
                    Some(v) => quote!(Some(#v)),
                    None => quote!(None),
                };
                let opt_u = |v: Option<u64>| match v {
                    Some(v) => quote!(Some(#v)),
                    None => quote!(None),
                };
                let (min, max, emin, emax) = (
                    opt_f(c.minimum),
                    opt_f(c.maximum),
                    c.exclusive_minimum,
                    c.exclusive_maximum,
                );
                let (minl, maxl) = (opt_u(c.min_length), opt_u(c.max_length));
                checks.insert(
                    (struct_name.clone(), ident.to_string()),
                    quote! {
                        &#bounds_type {
                            field: #label,
                            minimum: #min,
                            maximum: #max,
                            exclusive_minimum: #emin,
                            exclusive_maximum: #emax,
                            min_length: #minl,
                            max_length: #maxl,
                        }
                    },
                );
            }
            _ => report.note(
                format!(
                    "/components/schemas/{}/properties/{}",
                    fc.component, fc.property
                ),
                "documented bound not enforced on requests (no matching scalar field)",
            ),
        }
    }
    let Some(builder) = items.iter_mut().find_map(|i| match i {
        Item::Mod(m) if m.ident == "builder" => Some(m),
        _ => None,
    }) else {
        return;
    };
    apply_checks(builder, &checks);
}

fn apply_checks(builder: &mut ItemMod, checks: &BTreeMap<(String, String), TokenStream>) {
    let Some((_, items)) = builder.content.as_mut() else {
        return;
    };
    let check = super::support::from_types_module("check");
    for item in items.iter_mut() {
        let Some((trait_, target)) = impl_target(item) else {
            continue;
        };
        if !trait_.contains("TryFrom<") {
            continue;
        }
        let Item::Impl(imp) = item else { continue };
        for it in imp.items.iter_mut() {
            let syn::ImplItem::Fn(f) = it else { continue };
            let Some(syn::Stmt::Expr(Expr::Call(call), _)) = f.block.stmts.last_mut() else {
                continue;
            };
            let Some(Expr::Struct(st)) = call.args.first_mut() else {
                continue;
            };
            for fv in st.fields.iter_mut() {
                let syn::Member::Named(ident) = &fv.member else {
                    continue;
                };
                if let Some(bounds) = checks.get(&(target.clone(), ident.to_string())) {
                    let expr = &fv.expr;
                    fv.expr = syn::parse_quote!(#check(#expr, #bounds)?);
                }
            }
        }
    }
}
