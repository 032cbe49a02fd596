//! Fixes to progenitor's typed `httpmock` mocks (with `Options::httpmock`):
//! they match path and array query parameters the way the client sends
//! them, and compile for responses of primitive types (see [`fix_mocks`]).

use quote::quote;
use syn::{Expr, Item};

/// Fixes to progenitor-impl 0.15.1's typed mocks (`httpmock.rs`,
/// `httpmock_method`), each found by compiling or running them:
///
/// * A path parameter is matched with
///   `Regex::new(&format!("^/jobs/{}$", value.to_string()))`: the value is
///   neither percent-encoded (the client sends `encode_path(..)`) nor
///   escaped, so an id with a space never matches, `a.b` also matches `axb`,
///   and `(` panics in `unwrap`. It becomes
///   `regex::escape(&encode_path(&value.to_string()).replace('\\', "%5C"))`.
/// * A response or body whose type is passed by value (`i64`, `bool`,
///   `Option<f64>`) is handed to `json_body_obj(value)`, which takes a
///   reference: the mocks do not compile. It becomes `json_body_obj(&value)`.
/// * An array query parameter is matched with `value.to_string()`, which
///   does not exist for `Vec`; the client sends one `name=item` pair per
///   item. It becomes one `query_param` per item, or `query_param_missing`
///   for an empty array (which the client leaves out).
pub(crate) fn fix_mocks(file: &mut syn::File) {
    use quote::ToTokens;
    use syn::visit_mut::{self, VisitMut};

    struct Fix {
        value_by_value: bool,
        value_is_seq: bool,
        // The expressions the rewrites look for, parsed once.
        value: Expr,
        to_string: Expr,
    }
    impl VisitMut for Fix {
        fn visit_impl_item_fn_mut(&mut self, f: &mut syn::ImplItemFn) {
            let value = f.sig.inputs.iter().find_map(|arg| match arg {
                syn::FnArg::Typed(p) => match p.pat.as_ref() {
                    syn::Pat::Ident(i) if i.ident == "value" => Some(p.ty.as_ref()),
                    _ => None,
                },
                syn::FnArg::Receiver(_) => None,
            });
            self.value_by_value = value.is_some_and(|t| !matches!(t, syn::Type::Reference(_)));
            let sig = f.sig.to_token_stream().to_string();
            self.value_is_seq = value.is_some() && sig.contains("Vec <");
            visit_mut::visit_impl_item_fn_mut(self, f);
        }

        fn visit_expr_mut(&mut self, e: &mut Expr) {
            visit_mut::visit_expr_mut(self, e);
            let (value, to_string) = (&self.value, &self.to_string);
            match e {
                Expr::Macro(m) if m.mac.path.is_ident("format") => {
                    let parser =
                        syn::punctuated::Punctuated::<Expr, syn::Token![,]>::parse_terminated;
                    let Ok(mut args) = m.mac.parse_body_with(parser) else {
                        return;
                    };
                    if args.len() == 2 && args[1] == *to_string {
                        // As the client sends it: `path_segment` also
                        // encodes a backslash.
                        args[1] = syn::parse_quote!(regex::escape(
                            &progenitor_client::encode_path(&value.to_string())
                                .replace('\\', "%5C")
                        ));
                        m.mac.tokens = quote!(#args);
                    }
                }
                Expr::MethodCall(c)
                    if c.method == "json_body_obj"
                        && self.value_by_value
                        && c.args.len() == 1
                        && c.args[0] == *value =>
                {
                    c.args[0] = syn::parse_quote!(&value);
                }
                Expr::MethodCall(c)
                    if c.method == "query_param"
                        && self.value_is_seq
                        && c.args.len() == 2
                        && c.args[1] == *to_string =>
                {
                    let (when, name) = (&c.receiver, &c.args[0]);
                    *e = syn::parse_quote!(if value.is_empty() {
                        #when.query_param_missing(#name)
                    } else {
                        value
                            .iter()
                            .fold(#when, |when, item| when.query_param(#name, item.to_string()))
                    });
                }
                _ => {}
            }
        }
    }

    let Some(mock) = file.items.iter_mut().find_map(|item| match item {
        Item::Mod(m) if m.ident == "mock" => Some(m),
        _ => None,
    }) else {
        return;
    };
    Fix {
        value_by_value: false,
        value_is_seq: false,
        value: syn::parse_quote!(value),
        to_string: syn::parse_quote!(value.to_string()),
    }
    .visit_item_mod_mut(mock);
}
