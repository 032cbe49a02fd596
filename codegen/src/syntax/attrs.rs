//! Reading the `#[serde(…)]` attributes of generated items: what the
//! rewriting passes (and xtask's surface) ask of a field or a variant.

use syn::Expr;

/// The arguments of the `#[serde(…)]` attributes in `attrs`, in order:
/// each name with its value if that is a string (`rename = "$ref"` →
/// `("rename", Some("$ref"))`, `default` → `("default", None)`).
pub fn serde_args(attrs: &[syn::Attribute]) -> Vec<(String, Option<String>)> {
    let mut args = Vec::new();
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| {
            let name = meta
                .path
                .get_ident()
                .map(ToString::to_string)
                .unwrap_or_default();
            let value = if meta.input.peek(syn::Token![=]) {
                match meta.value()?.parse()? {
                    Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(s),
                        ..
                    }) => Some(s.value()),
                    _ => None,
                }
            } else {
                None
            };
            args.push((name, value));
            Ok(())
        });
    }
    args
}

/// The wire name `#[serde(rename = …)]` gives a field or a variant.
pub fn serde_rename(attrs: &[syn::Attribute]) -> Option<String> {
    serde_args(attrs)
        .into_iter()
        .rev()
        .find_map(|(name, value)| if name == "rename" { value } else { None })
}
