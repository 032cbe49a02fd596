//! Every list operation walked across all its pages (with
//! [`Options::pages`](crate::Options::pages)): progenitor streams only
//! dropshot's page tokens, so the shape is read from the generated code.
//!
//! An operation is a list when its request builder has an `i64` `limit`
//! and an `i64` `offset` (or `skip`), and its `send()` answers a struct
//! with a list of items: a field `items`, `pipelines`, `simulations` or
//! `optimizations` of type `Vec<Y>`, next to an optional `total` (`i64` or
//! `Option<i64>`). Its builder then gets two methods, in the impl block
//! that holds `send()` (so under the same `cfg` as the builder):
//!
//! ```text
//! pub fn stream(self) -> {pages}::Pages<'a, types::Y, E>
//! pub async fn collect_all(self) -> Result<Vec<types::Y>, E>
//! ```
//!
//! where `E` is the error type of `send()`. Each page is the builder,
//! cloned, with its offset and limit set; the paging itself (when to stop,
//! the page size by default) is the support module's `Pages::new(start,
//! page_size, fetch)`, and each answer becomes a `Page::new(items, total)`.

use std::collections::{BTreeMap, BTreeSet};

use quote::{ToTokens, quote};
use syn::visit_mut::VisitMut;
use syn::{ImplItem, Item};

/// The fields that hold a page's items, in the order they are looked for.
const ITEM_FIELDS: [&str; 4] = ["items", "pipelines", "simulations", "optimizations"];

/// The parameters that say where a page starts, in the order they are looked for.
const START_FIELDS: [&str; 2] = ["offset", "skip"];

/// One list operation's builder.
struct List {
    /// `offset` or `skip`.
    start: syn::Ident,
    /// The item type, as the `builder` module names it.
    item: syn::Type,
    /// The field of the answer that holds the items.
    items: syn::Ident,
    /// Whether the answer has a `total`.
    total: bool,
    /// The error type of `send()`.
    error: syn::Type,
}

/// Add `stream()` and `collect_all()` to every list operation's builder in
/// `file`, paged by the module at `support`; the number of builders that
/// got them.
pub(crate) fn rewrite(file: &mut syn::File, support: &syn::Path) -> usize {
    let answers = answer_shapes(&file.items);
    let Some(builder) = file.items.iter_mut().find_map(|item| match item {
        Item::Mod(m) if m.ident == "builder" => m.content.as_mut().map(|(_, items)| items),
        _ => None,
    }) else {
        return 0;
    };
    // Builder name → its fields' types, for those that derive `Clone`.
    let fields: BTreeMap<String, BTreeMap<String, String>> = builder
        .iter()
        .filter_map(|item| match item {
            Item::Struct(s) if derives_clone(&s.attrs) => Some((
                s.ident.to_string(),
                s.fields
                    .iter()
                    .filter_map(|f| Some((f.ident.as_ref()?.to_string(), flat(&f.ty))))
                    .collect(),
            )),
            _ => None,
        })
        .collect();
    let mut count = 0;
    for item in builder.iter_mut() {
        let Item::Impl(imp) = item else { continue };
        if imp.trait_.is_some() {
            continue;
        }
        let Some(name) = last_ident(&imp.self_ty) else {
            continue;
        };
        let Some(fields) = fields.get(&name) else {
            continue;
        };
        if let Some(list) = list_of(imp, fields, &answers) {
            imp.items.extend(methods(&list, support));
            count += 1;
        }
    }
    count
}

/// The list an impl block's builder pages through, if it is one.
fn list_of(
    imp: &syn::ItemImpl,
    fields: &BTreeMap<String, String>,
    answers: &Answers,
) -> Option<List> {
    let int = "Result<Option<i64>,String>";
    if fields.get("limit").map(String::as_str) != Some(int) {
        return None;
    }
    let start = START_FIELDS
        .iter()
        .find(|f| fields.get(**f).map(String::as_str) == Some(int))?;
    let methods: BTreeSet<String> = super::method_names(imp).collect();
    let needed = ["limit", start, "send"];
    if !needed.iter().all(|m| methods.contains(*m))
        || methods.contains("stream")
        || methods.contains("collect_all")
    {
        return None;
    }
    let send = imp.items.iter().find_map(|i| match i {
        ImplItem::Fn(f) if f.sig.ident == "send" && f.sig.asyncness.is_some() => Some(f),
        _ => None,
    })?;
    let syn::ReturnType::Type(_, output) = &send.sig.output else {
        return None;
    };
    let [ok, error] = generic_args(output, "Result")?;
    let [body] = generic_args(&ok, "ResponseValue")?;
    let answer = answers.shapes.get(&last_ident(&body)?)?;
    let mut item = answer.item.clone();
    Qualify(&answers.names).visit_type_mut(&mut item);
    Some(List {
        start: syn::Ident::new(start, proc_macro2::Span::call_site()),
        item,
        items: answer.items.clone(),
        total: answer.total,
        error,
    })
}

/// `stream()` and `collect_all()` of a list's builder.
fn methods(list: &List, support: &syn::Path) -> Vec<ImplItem> {
    let List {
        start,
        item,
        items,
        total,
        error,
    } = list;
    let total = if *total {
        quote!(body.total)
    } else {
        quote!(::std::option::Option::<i64>::None)
    };
    let stream_doc = format!(
        "Every item of every page, read as the stream is polled: pages of `limit` items \
         (by default [`DEFAULT_PAGE_SIZE`]({support}::DEFAULT_PAGE_SIZE)) from `{start}` \
         (by default the first), each sent with the builder's other settings, until the \
         total or a short or empty page. An error ends the stream after it is yielded; \
         see [`{support}`].",
        support = support.to_token_stream().to_string().replace(' ', ""),
    );
    let collect_doc = "Every item of every page (see [`stream`](Self::stream)), in order, \
         or the first error.";
    vec![
        syn::parse_quote! {
            #[doc = #stream_doc]
            pub fn stream(self) -> #support::Pages<'a, #item, #error> {
                let start = self.#start.as_ref().ok().copied().flatten().unwrap_or(0);
                let page_size = self
                    .limit
                    .as_ref()
                    .ok()
                    .copied()
                    .flatten()
                    .unwrap_or(#support::DEFAULT_PAGE_SIZE);
                #support::Pages::new(start, page_size, move |offset, limit| {
                    // A setting that failed to convert stays, and fails the request.
                    let mut page = self.clone();
                    if page.#start.is_ok() {
                        page = page.#start(offset);
                    }
                    if page.limit.is_ok() {
                        page = page.limit(limit);
                    }
                    async move {
                        page.send().await.map(|answer| {
                            let body = answer.into_inner();
                            #support::Page::new(body.#items, #total)
                        })
                    }
                })
            }
        },
        syn::parse_quote! {
            #[doc = #collect_doc]
            pub async fn collect_all(self) -> ::std::result::Result<::std::vec::Vec<#item>, #error> {
                self.stream().collect_all().await
            }
        },
    ]
}

/// The list shape of each struct of `types` that has one.
struct Answers {
    shapes: BTreeMap<String, Answer>,
    /// Every type `types` defines.
    names: BTreeSet<String>,
}

struct Answer {
    items: syn::Ident,
    item: syn::Type,
    total: bool,
}

fn answer_shapes(items: &[Item]) -> Answers {
    let types = items
        .iter()
        .find_map(|item| match item {
            Item::Mod(m) if m.ident == "types" => m.content.as_ref().map(|(_, items)| items),
            _ => None,
        })
        .map(Vec::as_slice)
        .unwrap_or_default();
    let mut answers = Answers {
        shapes: BTreeMap::new(),
        names: BTreeSet::new(),
    };
    for item in types {
        let (name, fields) = match item {
            Item::Struct(s) => (s.ident.to_string(), Some(&s.fields)),
            Item::Enum(e) => (e.ident.to_string(), None),
            Item::Type(t) => (t.ident.to_string(), None),
            _ => continue,
        };
        answers.names.insert(name.clone());
        let Some(fields) = fields else { continue };
        let field = |wanted: &str| {
            fields
                .iter()
                .find(|f| f.ident.as_ref().is_some_and(|i| i == wanted))
        };
        let Some((items, item)) = ITEM_FIELDS.iter().find_map(|wanted| {
            let f = field(wanted)?;
            let [item] = generic_args(&f.ty, "Vec")?;
            Some((f.ident.clone()?, item))
        }) else {
            continue;
        };
        let total = field("total").is_some_and(|f| {
            let ty = flat(&f.ty);
            ty == "i64" || ty == "Option<i64>"
        });
        answers.shapes.insert(name, Answer { items, item, total });
    }
    answers
}

/// A type's tokens without spaces and without the `::std::…` prefixes of
/// the prelude's types (`::std::option::Option<i64>` → `Option<i64>`).
fn flat(ty: &syn::Type) -> String {
    let text = ty.to_token_stream().to_string().replace(' ', "");
    [
        "::std::option::",
        "::std::result::",
        "std::option::",
        "std::result::",
    ]
    .iter()
    .fold(text, |t, prefix| t.replace(prefix, ""))
}

/// `A, B` of a type `…::name<A, B>`.
fn generic_args<const N: usize>(ty: &syn::Type, name: &str) -> Option<[syn::Type; N]> {
    let syn::Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    if last.ident != name {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    let types: Vec<syn::Type> = args
        .args
        .iter()
        .filter_map(|a| match a {
            syn::GenericArgument::Type(t) => Some(t.clone()),
            _ => None,
        })
        .collect();
    types.try_into().ok()
}

fn last_ident(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

fn derives_clone(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("derive")
            && a.parse_args_with(
                syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated,
            )
            .is_ok_and(|paths| paths.iter().any(|p| p.is_ident("Clone")))
    })
}

/// Names of `types`, as the `builder` module sees them: `types::Name`.
struct Qualify<'a>(&'a BTreeSet<String>);

impl VisitMut for Qualify<'_> {
    fn visit_type_path_mut(&mut self, ty: &mut syn::TypePath) {
        syn::visit_mut::visit_type_path_mut(self, ty);
        let path = &mut ty.path;
        if ty.qself.is_none()
            && path.leading_colon.is_none()
            && path.segments.len() == 1
            && self.0.contains(&path.segments[0].ident.to_string())
        {
            path.segments.insert(0, syn::parse_quote!(types));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generated(code: &str) -> syn::File {
        syn::parse_str(code).unwrap()
    }

    const LIST: &str = r#"
        pub mod types {
            pub struct Page { pub items: ::std::vec::Vec<Thing>, pub total: ::std::option::Option<i64> }
            pub struct Other { pub rows: ::std::vec::Vec<Thing> }
            pub struct Thing { pub id: String }
        }
        pub mod builder {
            #[derive(Debug, Clone)]
            pub struct ListThings<'a> {
                client: &'a super::Client,
                limit: Result<Option<i64>, String>,
                skip: Result<Option<i64>, String>,
            }
            impl<'a> ListThings<'a> {
                pub fn limit<V>(mut self, value: V) -> Self { self }
                pub fn skip<V>(mut self, value: V) -> Self { self }
                pub async fn send(self) -> Result<ResponseValue<types::Page>, crate::ApiError> { todo!() }
            }
            #[derive(Debug, Clone)]
            pub struct ListOthers<'a> {
                client: &'a super::Client,
                limit: Result<Option<i64>, String>,
                offset: Result<Option<i64>, String>,
            }
            impl<'a> ListOthers<'a> {
                pub fn limit<V>(mut self, value: V) -> Self { self }
                pub fn offset<V>(mut self, value: V) -> Self { self }
                pub async fn send(self) -> Result<ResponseValue<types::Other>, crate::ApiError> { todo!() }
            }
        }
    "#;

    #[test]
    fn a_list_gets_a_stream_paged_by_its_start_parameter() {
        let mut file = generated(LIST);
        let support: syn::Path = syn::parse_quote!(crate::pages);
        assert_eq!(rewrite(&mut file, &support), 1);
        let code = prettyplease::unparse(&file);
        assert!(code.contains(
            "pub fn stream(self) -> crate::pages::Pages<'a, types::Thing, crate::ApiError>"
        ));
        assert!(code.contains("page = page.skip(offset)"));
        assert!(code.contains("crate::pages::Page::new(body.items, body.total)"));
        assert!(code.contains("pub async fn collect_all("));
        // No item list in `Other`'s answer: no stream.
        assert_eq!(code.matches("pub fn stream").count(), 1);
    }

    #[test]
    fn a_builder_with_its_own_stream_setter_is_left_alone() {
        let code = LIST.replace(
            "pub fn skip<V>(mut self, value: V) -> Self { self }",
            "pub fn skip<V>(mut self, value: V) -> Self { self }\npub fn stream(self) {}",
        );
        let mut file = generated(&code);
        assert_eq!(rewrite(&mut file, &syn::parse_quote!(crate::pages)), 0);
    }

    const SPEC: &[u8] = br##"{"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
      "paths": {"/things": {"get": {"operationId": "list_things", "parameters": [
        {"name": "limit", "in": "query", "schema": {"type": "integer"}},
        {"name": "offset", "in": "query", "schema": {"type": "integer"}}],
        "responses": {"200": {"description": "ok", "content": {"application/json":
          {"schema": {"$ref": "#/components/schemas/Page"}}}}}}}},
      "components": {"schemas": {
        "Page": {"type": "object", "required": ["items", "total"], "properties": {
          "items": {"type": "array", "items": {"$ref": "#/components/schemas/Thing"}},
          "total": {"type": "integer"}}},
        "Thing": {"type": "object", "properties": {"id": {"type": "string"}}}}}}"##;

    #[test]
    fn only_the_option_adds_streams() {
        use crate::{Options, generate};
        let plain = generate(SPEC, &Options::default()).unwrap().code;
        assert!(!plain.contains("pub fn stream("));
        let paged = generate(SPEC, &Options::default().pages("crate::pages"))
            .unwrap()
            .code;
        assert!(
            paged.contains(
                "pub fn stream(self) -> crate::pages::Pages<'a, types::Thing, Error<()>>"
            )
        );
        let sdk = generate(SPEC, &Options::sdk()).unwrap().code;
        assert!(sdk.contains("-> crate::pages::Pages<'a, types::Thing, crate::ApiError>"));
    }
}
