//! Credentials out of `Debug`: typify derives `Debug` on every type (and
//! on its builder), so a type with a temporary secret key or a signed URL
//! would print it wherever it is logged or unwrapped. A struct of `types`
//! or `types::builder` with a field named in
//! [`Options::secret_fields`](crate::Options::secret_fields) or
//! [`signed_url_fields`](crate::Options::signed_url_fields) (by its wire
//! name) loses the derive and gets a `Debug` impl that shows every other
//! field as the derive would, and those through `__support::Redacted`.

use std::collections::BTreeSet;

use quote::quote;
use syn::punctuated::Punctuated;
use syn::{Fields, Item, ItemStruct, Token};

use super::attrs::serde_rename;

/// The field names to redact.
pub(crate) struct Secrets<'a> {
    pub(crate) secret: &'a BTreeSet<String>,
    pub(crate) signed_url: &'a BTreeSet<String>,
}

/// Redacts the structs of `items` (the `types` module's) and of its
/// `builder` module; whether any was.
pub(crate) fn redact(items: &mut Vec<Item>, secrets: &Secrets<'_>) -> bool {
    if secrets.secret.is_empty() && secrets.signed_url.is_empty() {
        return false;
    }
    let in_types = syn::parse_str(&super::support::in_types("Redacted")).expect("a path");
    let mut any = redact_in(items, secrets, &in_types);
    for item in items.iter_mut() {
        if let Item::Mod(m) = item
            && m.ident == "builder"
            && let Some((_, inner)) = m.content.as_mut()
        {
            let path = super::support::from_types_module("Redacted");
            any |= redact_in(inner, secrets, &path);
        }
    }
    any
}

/// Redacts the structs of `items`, calling `redacted`; whether any was.
fn redact_in(items: &mut Vec<Item>, secrets: &Secrets<'_>, redacted: &syn::Path) -> bool {
    let impls: Vec<Item> = items
        .iter_mut()
        .filter_map(|item| match item {
            Item::Struct(s) => debug_impl(s, secrets, redacted),
            _ => None,
        })
        .collect();
    let any = !impls.is_empty();
    items.extend(impls);
    any
}

/// `s`'s `Debug` impl, with its derive removed, if a field is a secret.
fn debug_impl(s: &mut ItemStruct, secrets: &Secrets<'_>, redacted: &syn::Path) -> Option<Item> {
    let Fields::Named(fields) = &s.fields else {
        return None;
    };
    let mut any = false;
    let shown: Vec<_> = fields
        .named
        .iter()
        .filter_map(|field| {
            let ident = field.ident.as_ref()?;
            let wire = serde_rename(&field.attrs).unwrap_or_else(|| ident.to_string());
            let name = ident.to_string();
            let name = name.strip_prefix("r#").unwrap_or(&name);
            let url = secrets.signed_url.contains(&wire);
            Some(if url || secrets.secret.contains(&wire) {
                any = true;
                let value = if redactable(&field.ty) {
                    quote!(&self.#ident)
                } else {
                    quote!(&())
                };
                quote!(.field(#name, &#redacted(#value, #url)))
            } else {
                quote!(.field(#name, &self.#ident))
            })
        })
        .collect();
    if !any || !drop_derive(&mut s.attrs, "Debug") {
        return None;
    }
    let ty = &s.ident;
    let title = ty.to_string();
    let cfgs = s.attrs.iter().filter(|a| a.path().is_ident("cfg"));
    Some(syn::parse_quote! {
        #(#cfgs)*
        impl ::std::fmt::Debug for #ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_struct(#title) #(#shown)* .finish()
            }
        }
    })
}

/// A `String`, or one inside `Option` and `Result` (a builder's field):
/// the types `__support::Redact` is implemented for.
fn redactable(ty: &syn::Type) -> bool {
    let syn::Type::Path(path) = ty else {
        return false;
    };
    let Some(last) = path.path.segments.last() else {
        return false;
    };
    match last.ident.to_string().as_str() {
        "String" => true,
        "Option" | "Result" => match &last.arguments {
            syn::PathArguments::AngleBracketed(args) => {
                matches!(args.args.first(), Some(syn::GenericArgument::Type(inner)) if redactable(inner))
            }
            _ => false,
        },
        _ => false,
    }
}

/// Removes `name` from the `#[derive(…)]` in `attrs`; whether it was there.
fn drop_derive(attrs: &mut [syn::Attribute], name: &str) -> bool {
    for attr in attrs.iter_mut().filter(|a| a.path().is_ident("derive")) {
        let Ok(paths) = attr.parse_args_with(Punctuated::<syn::Path, Token![,]>::parse_terminated)
        else {
            continue;
        };
        let is_name = |p: &syn::Path| p.segments.last().is_some_and(|s| s.ident == name);
        if !paths.iter().any(is_name) {
            continue;
        }
        let kept = paths.iter().filter(|p| !is_name(p));
        *attr = syn::parse_quote!(#[derive(#(#kept),*)]);
        return true;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_field_is_shown_through_redacted_and_the_derive_goes() {
        let secret = BTreeSet::from(["session_token".to_string()]);
        let signed_url = BTreeSet::from(["signed_url".to_string()]);
        let mut items: Vec<Item> = vec![
            syn::parse_quote! {
                #[derive(Clone, Debug)]
                #[cfg(feature = "api-x")]
                pub struct Offer {
                    pub bucket: String,
                    #[serde(rename = "session_token")]
                    pub token: Option<String>,
                    pub signed_url: String,
                    pub other: Value,
                }
            },
            syn::parse_quote! {
                #[derive(Clone, Debug)]
                pub struct Plain { pub bucket: String }
            },
        ];
        let secrets = Secrets {
            secret: &secret,
            signed_url: &signed_url,
        };
        redact(&mut items, &secrets);
        let text = quote!(#(#items)*).to_string();
        assert!(
            text.contains("# [derive (Clone)] # [cfg (feature = \"api-x\")] pub struct Offer"),
            "{text}"
        );
        assert!(
            text.contains("# [derive (Clone , Debug)] pub struct Plain"),
            "{text}"
        );
        assert!(
            text.contains("# [cfg (feature = \"api-x\")] impl :: std :: fmt :: Debug for Offer"),
            "{text}"
        );
        assert!(
            text.contains(". field (\"bucket\" , & self . bucket)"),
            "{text}"
        );
        assert!(text.contains("Redacted (& self . token , false)"), "{text}");
        assert!(
            text.contains("Redacted (& self . signed_url , true)"),
            "{text}"
        );
        assert_eq!(
            text.matches("impl :: std :: fmt :: Debug").count(),
            1,
            "{text}"
        );
    }
}
