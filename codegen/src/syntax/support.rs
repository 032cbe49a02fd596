//! The helpers the rewritten code calls (bounds checks, lenient date-time
//! deserializers, checked path segments), emitted once into `types` as
//! `types::__support`. Their source is a Rust file of its own,
//! `support/source.rs`, compiled and tested as Rust by
//! `codegen/tests/support.rs`; it is emitted into the generated code rather
//! than provided by a crate so that every generated client (the conformance
//! clients too, which know nothing of the `ionworks` crate) is
//! self-contained. The paths the rewrites write to reach it are spelled
//! here only.

/// The module's name, inside `types`.
const MODULE: &str = "__support";

/// The module's items, as Rust source.
const SOURCE: &str = include_str!("support/source.rs");

/// The items of [`SOURCE`] that only the `Debug` impls of `redact.rs` call.
const REDACTION: [&str; 2] = ["Redact", "Redacted"];

/// The items of [`SOURCE`] that only `send()`s rewritten for
/// `Options::lean_responses` call (`client.rs`), and the facade's hook
/// beside them.
const DECODING: [&str; 5] = ["ReadBody", "read_body", "from_response", "stream", "Once"];

/// The module, as it is emitted into `types`: the items of [`SOURCE`]
/// without its tests, without [`REDACTION`] unless `redacting` and without
/// [`DECODING`] unless `decoding`.
pub(crate) fn module(redacting: bool, decoding: bool) -> syn::Item {
    let file = syn::parse_file(SOURCE).expect("support/source.rs is valid Rust");
    let items = file
        .items
        .into_iter()
        .filter(|item| {
            !is_test(item)
                && (redacting || !is_one_of(item, &REDACTION))
                && (decoding || !is_one_of(item, &DECODING))
        })
        .map(|mut item| {
            if let syn::Item::Macro(m) = &mut item {
                m.mac.tokens = as_quoted(std::mem::take(&mut m.mac.tokens));
            }
            item
        });
    let name = syn::Ident::new(MODULE, proc_macro2::Span::call_site());
    syn::parse_quote! {
        /// Helpers used by the generated types (not part of the public API).
        #[doc(hidden)]
        pub mod #name {
            #(#items)*
        }
    }
}

/// `tokens` spaced as `quote!` spaces them: the lexer marks a punctuation
/// character followed by another as joined to it (`<` in `Option<::std…`),
/// `quote!` only the first characters of an operator (`::`, `->`, `=>`,
/// …); prettyplease prints the body of a `macro_rules!` with that spacing.
fn as_quoted(tokens: proc_macro2::TokenStream) -> proc_macro2::TokenStream {
    use proc_macro2::{Group, Punct, Spacing, TokenTree};
    const OPERATORS: [&str; 22] = [
        "&&", "&=", "!=", "/=", "^=", "<<", "<=", "==", "=>", ">=", ">>", "-=", "->", "%=", "|=",
        "||", "+=", "..", "::", "*=", "<-", ".=",
    ];
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    let next_char = |i: usize| match trees.get(i + 1) {
        Some(TokenTree::Punct(p)) => Some(p.as_char()),
        _ => None,
    };
    let mut out = Vec::with_capacity(trees.len());
    for (i, tree) in trees.iter().enumerate() {
        out.push(match tree {
            TokenTree::Group(g) => {
                let mut group = Group::new(g.delimiter(), as_quoted(g.stream()));
                group.set_span(g.span());
                TokenTree::Group(group)
            }
            TokenTree::Punct(p) if p.spacing() == Spacing::Joint => {
                let pair = next_char(i).map(|c| format!("{}{c}", p.as_char()));
                if pair.is_some_and(|pair| OPERATORS.contains(&pair.as_str())) {
                    tree.clone()
                } else {
                    let mut alone = Punct::new(p.as_char(), Spacing::Alone);
                    alone.set_span(p.span());
                    TokenTree::Punct(alone)
                }
            }
            other => other.clone(),
        });
    }
    out.into_iter().collect()
}

/// A function, trait or struct named in `names`, or an impl of or for one.
fn is_one_of(item: &syn::Item, names: &[&str]) -> bool {
    let named = |ident: &syn::Ident| names.iter().any(|name| ident == name);
    let last = |path: &syn::Path| path.segments.last().is_some_and(|s| named(&s.ident));
    match item {
        syn::Item::Fn(f) => named(&f.sig.ident),
        syn::Item::Trait(t) => named(&t.ident),
        syn::Item::Struct(s) => named(&s.ident),
        syn::Item::Impl(i) => {
            i.trait_.as_ref().is_some_and(|trait_| last(&trait_.0))
                || matches!(i.self_ty.as_ref(), syn::Type::Path(p) if last(&p.path))
        }
        _ => false,
    }
}

/// An item under `#[cfg(test)]`.
fn is_test(item: &syn::Item) -> bool {
    let syn::Item::Mod(m) = item else {
        return false;
    };
    m.attrs.iter().any(|a| {
        a.path().is_ident("cfg") && a.parse_args::<syn::Ident>().is_ok_and(|i| i == "test")
    })
}

/// The path of the helper `item`, as written in `types` (in the
/// `deserialize_with` of a field): `__support::datetime`.
pub(crate) fn in_types(item: &str) -> String {
    format!("{MODULE}::{item}")
}

/// The path of the helper `item` from a module beside `__support` in
/// `types` (`types::builder`): `super::__support::check`.
pub(crate) fn from_types_module(item: &str) -> syn::Path {
    syn::parse_str(&format!("super::{MODULE}::{item}")).expect("a path")
}

/// The path of the helper `item` from the generated code's root module (and
/// its `builder`, which imports `types`): `types::__support::path_segment`.
pub(crate) fn from_root(item: &str) -> syn::Path {
    syn::parse_str(&format!("types::{MODULE}::{item}")).expect("a path")
}
