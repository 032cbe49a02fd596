//! Post-processing of progenitor's request builders and `Client` (as a
//! `syn` tree), one rule for every operation of any spec:
//!
//! * **one error type** (with [`Options::error_type`](crate::Options)):
//!   progenitor's builders return `Result<ResponseValue<T>,
//!   progenitor_client::Error<E>>`, a different `E` per operation. `send()`
//!   is rewritten to return the crate's own error type, built by
//!   `ErrorType::from_operation(error, client_inner, "operation_id",
//!   "200")`, so that `?` works the same for every operation; the last
//!   argument is the operation's documented success statuses (read from the
//!   status `match` progenitor wrote), for a message about a success status
//!   the operation does not document.
//! * **path parameters that cannot leave their segment**:
//!   `progenitor_client::encode_path` percent-encodes `/ ? # %` but leaves
//!   `.` and `..` alone, which the URL parser then resolves as dot segments
//!   (`cancel_job().job_id("..")` would send `POST /cancel`). Each
//!   `encode_path(..)` in a `send()` becomes
//!   `types::__support::path_segment(.., operation, parameter)`, which also
//!   refuses an empty value, with an error naming both.
//! * **answers decoded with a small future** (with
//!   [`Options::lean_responses`](crate::Options)): progenitor-client's
//!   `ResponseValue::from_response` and `stream` become the support
//!   module's, which take a body the `exec` hook has read already
//!   (`__support::ReadBody`) or read it through a borrow, and move the
//!   headers; the calls of the `pre` and `post` hooks, which keep the
//!   request and the result alive across an await, go (a client with this
//!   option must not implement them). Every `send()` future holds these, so
//!   their size is every call's.
//! * **the client's front matter**: its doc comment (progenitor writes
//!   "Client for {info.title}", which is "FastAPI" for every FastAPI app)
//!   and, when the client carries an inner state, constructors that only
//!   the crate may call (the state is made by the crate's builder).

use quote::quote;
use syn::visit_mut::{self, VisitMut};
use syn::{Expr, ImplItem, Item, LitStr};

/// Rewrite every builder's `send()` in `file` (see the module docs).
pub(crate) fn rewrite_sends(
    file: &mut syn::File,
    error_type: Option<&syn::Path>,
    lean_responses: bool,
) {
    let Some(builder) = root_module(file, "builder") else {
        return;
    };
    let Some((_, items)) = builder.content.as_mut() else {
        return;
    };
    // The builder's field holding `&Client`: `client`, or `_client` when an
    // operation has a parameter named `client` (progenitor renames it).
    let client_fields: std::collections::BTreeMap<String, syn::Ident> = items
        .iter()
        .filter_map(|item| match item {
            Item::Struct(s) => {
                let first = s.fields.iter().next()?.ident.clone()?;
                Some((s.ident.to_string(), first))
            }
            _ => None,
        })
        .collect();
    for item in items.iter_mut() {
        let Item::Impl(imp) = item else { continue };
        let syn::Type::Path(target) = imp.self_ty.as_ref() else {
            continue;
        };
        let Some(client_field) = target
            .path
            .segments
            .last()
            .and_then(|s| client_fields.get(&s.ident.to_string()))
            .cloned()
        else {
            continue;
        };
        for member in imp.items.iter_mut() {
            let ImplItem::Fn(f) = member else { continue };
            if f.sig.ident != "send" || f.sig.asyncness.is_none() {
                continue;
            }
            let Some(operation) = operation_id(&f.block) else {
                continue;
            };
            PathSegments {
                operation: &operation,
            }
            .visit_block_mut(&mut f.block);
            if lean_responses {
                LeanResponses.visit_block_mut(&mut f.block);
            }
            if let Some(error_type) = error_type {
                one_error_type(f, error_type, &operation, &client_field);
            }
        }
    }
}

fn root_module<'a>(file: &'a mut syn::File, name: &str) -> Option<&'a mut syn::ItemMod> {
    file.items.iter_mut().find_map(|item| match item {
        Item::Mod(m) if m.ident == name => Some(m),
        _ => None,
    })
}

/// The `operation_id` of the `OperationInfo` a `send()` builds.
pub(crate) fn operation_id(block: &syn::Block) -> Option<String> {
    struct Find(Option<String>);
    impl<'ast> syn::visit::Visit<'ast> for Find {
        fn visit_expr_struct(&mut self, s: &'ast syn::ExprStruct) {
            if s.path
                .segments
                .last()
                .is_some_and(|l| l.ident == "OperationInfo")
            {
                for field in &s.fields {
                    if let (
                        syn::Member::Named(name),
                        Expr::Lit(syn::ExprLit {
                            lit: syn::Lit::Str(id),
                            ..
                        }),
                    ) = (&field.member, &field.expr)
                        && name == "operation_id"
                    {
                        self.0 = Some(id.value());
                    }
                }
            }
            syn::visit::visit_expr_struct(self, s);
        }
    }
    let mut find = Find(None);
    syn::visit::Visit::visit_block(&mut find, block);
    find.0
}

/// `ResponseValue::from_response(response)` and
/// `ResponseValue::stream(response)` → the support module's
/// `from_response` and `stream`, and progenitor's calls of the `pre` and
/// `post` hooks left out (with [`Options::lean_responses`](crate::Options)).
struct LeanResponses;

impl VisitMut for LeanResponses {
    fn visit_block_mut(&mut self, block: &mut syn::Block) {
        block.stmts.retain(|stmt| !is_hook_call(stmt));
        visit_mut::visit_block_mut(self, block);
    }

    fn visit_expr_call_mut(&mut self, call: &mut syn::ExprCall) {
        visit_mut::visit_expr_call_mut(self, call);
        if let Expr::Path(func) = call.func.as_mut()
            && func.qself.is_none()
            && func.path.segments.len() == 2
            && func.path.segments[0].ident == "ResponseValue"
            && func.path.segments[1].arguments.is_empty()
        {
            let name = func.path.segments[1].ident.to_string();
            if name == "from_response" || name == "stream" {
                func.path = super::support::from_root(&name);
            }
        }
    }
}

/// `client.pre(&mut request, &info).await?;` or
/// `client.post(&result, &info).await?;`: progenitor calls these hooks
/// around `exec` whether or not the client implements them.
fn is_hook_call(stmt: &syn::Stmt) -> bool {
    let syn::Stmt::Expr(Expr::Try(tried), Some(_)) = stmt else {
        return false;
    };
    let Expr::Await(awaited) = tried.expr.as_ref() else {
        return false;
    };
    matches!(awaited.base.as_ref(), Expr::MethodCall(call)
        if (call.method == "pre" || call.method == "post") && call.args.len() == 2)
}

/// `encode_path(&x.to_string())` → a checked segment, or an
/// `Error::InvalidRequest` naming the operation and the parameter.
struct PathSegments<'a> {
    operation: &'a str,
}

impl VisitMut for PathSegments<'_> {
    fn visit_expr_mut(&mut self, e: &mut Expr) {
        visit_mut::visit_expr_mut(self, e);
        if let Expr::Macro(m) = e
            && m.mac.path.is_ident("format")
        {
            let parser = syn::punctuated::Punctuated::<Expr, syn::Token![,]>::parse_terminated;
            let Ok(mut args) = m.mac.parse_body_with(parser) else {
                return;
            };
            let mut changed = false;
            for arg in args.iter_mut() {
                if let Some(replacement) = self.checked_segment(arg) {
                    *arg = replacement;
                    changed = true;
                }
            }
            if changed {
                m.mac.tokens = quote!(#args);
            }
        }
    }
}

impl PathSegments<'_> {
    fn checked_segment(&self, e: &Expr) -> Option<Expr> {
        let Expr::Call(call) = e else { return None };
        let Expr::Path(func) = call.func.as_ref() else {
            return None;
        };
        if !func.path.is_ident("encode_path") || call.args.len() != 1 {
            return None;
        }
        let arg = &call.args[0];
        let parameter = parameter_name(arg)?;
        let operation = self.operation;
        let path_segment = super::support::from_root("path_segment");
        Some(syn::parse_quote! {
            #path_segment(#arg, #operation, #parameter)
                .map_err(Error::InvalidRequest)?
        })
    }
}

/// `job_id` in `&job_id.to_string()` (a raw identifier without its `r#`).
fn parameter_name(arg: &Expr) -> Option<String> {
    let Expr::Reference(r) = arg else { return None };
    let Expr::MethodCall(call) = r.expr.as_ref() else {
        return None;
    };
    let Expr::Path(p) = call.receiver.as_ref() else {
        return None;
    };
    let ident = p.path.get_ident()?.to_string();
    Some(ident.trim_start_matches("r#").to_string())
}

/// `-> Result<ResponseValue<T>, Error<E>>` becomes
/// `-> Result<ResponseValue<T>, ErrorType>`; the original body runs as an
/// inner async block whose error is converted once.
fn one_error_type(
    f: &mut syn::ImplItemFn,
    error_type: &syn::Path,
    operation: &str,
    client_field: &syn::Ident,
) {
    let syn::ReturnType::Type(_, ty) = &mut f.sig.output else {
        return;
    };
    let original: syn::Type = (**ty).clone();
    let syn::Type::Path(path) = ty.as_mut() else {
        return;
    };
    let Some(last) = path.path.segments.last_mut() else {
        return;
    };
    let syn::PathArguments::AngleBracketed(args) = &mut last.arguments else {
        return;
    };
    if last.ident != "Result" || args.args.len() != 2 {
        return;
    }
    args.args[1] = syn::GenericArgument::Type(syn::parse_quote!(#error_type));
    let operation = LitStr::new(operation, proc_macro2::Span::call_site());
    let expected = LitStr::new(&success_statuses(&f.block), proc_macro2::Span::call_site());
    let mut block: syn::Block = syn::parse_quote!({
        let __client = self.#client_field;
        let __result: #original = async move {}.await;
        __result.map_err(|error| {
            #error_type::from_operation(
                error,
                progenitor_client::ClientInfo::inner(__client),
                #operation,
                #expected,
            )
        })
    });
    // The original body moves into the async block as a tree: printing it
    // into the template and parsing it again cost more than the rest of the
    // rewrite of a large client.
    if let Some(syn::Stmt::Local(local)) = block.stmts.get_mut(1)
        && let Some(init) = local.init.as_mut()
        && let Expr::Await(awaited) = init.expr.as_mut()
        && let Expr::Async(inner) = awaited.base.as_mut()
    {
        inner.block = std::mem::replace(&mut f.block, syn::parse_quote!({}));
        f.block = block;
    }
}

/// The success statuses a `send()` decodes, as its status `match` lists
/// them: `"200"`, `"200 or 201"`, `"2XX"` (progenitor writes a range
/// `200u16..=299u16` for it); empty when it lists none.
fn success_statuses(block: &syn::Block) -> String {
    struct Find(Vec<String>);
    impl<'ast> syn::visit::Visit<'ast> for Find {
        fn visit_arm(&mut self, arm: &'ast syn::Arm) {
            let int = |e: &syn::Expr| match e {
                Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Int(i),
                    ..
                }) => i.base10_parse::<u16>().ok(),
                _ => None,
            };
            let shown = match &arm.pat {
                syn::Pat::Lit(lit) => match &lit.lit {
                    syn::Lit::Int(i) => i.base10_parse::<u16>().ok().map(|n| (n, n.to_string())),
                    _ => None,
                },
                syn::Pat::Range(r) => match (
                    r.start.as_deref().and_then(int),
                    r.end.as_deref().and_then(int),
                ) {
                    (Some(a), Some(b)) if a % 100 == 0 && b == a + 99 => {
                        Some((a, format!("{}XX", a / 100)))
                    }
                    (Some(a), Some(b)) => Some((a, format!("{a}-{b}"))),
                    _ => None,
                },
                _ => None,
            };
            if let Some((n, shown)) = shown
                && (200..300).contains(&n)
                && !self.0.contains(&shown)
            {
                self.0.push(shown);
            }
            syn::visit::visit_arm(self, arm);
        }
    }
    let mut find = Find(Vec::new());
    syn::visit::Visit::visit_block(&mut find, block);
    match find.0.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

/// The generated `Client`'s doc comment becomes `doc`; with an inner state,
/// its constructors become crate-private (the crate's builder makes it).
pub(crate) fn rewrite_client(file: &mut syn::File, doc: Option<&str>, crate_private_new: bool) {
    for item in file.items.iter_mut() {
        match item {
            Item::Struct(s) if s.ident == "Client" => {
                if let Some(doc) = doc {
                    s.attrs.retain(|a| !a.path().is_ident("doc"));
                    s.attrs.insert(0, syn::parse_quote!(#[doc = #doc]));
                }
            }
            Item::Impl(imp) if imp.trait_.is_none() && is_client(&imp.self_ty) => {
                if !crate_private_new {
                    continue;
                }
                for member in imp.items.iter_mut() {
                    if let ImplItem::Fn(f) = member
                        && matches!(f.sig.ident.to_string().as_str(), "new" | "new_with_client")
                    {
                        f.vis = syn::parse_quote!(pub(crate));
                        f.attrs.push(syn::parse_quote!(#[allow(dead_code)]));
                    }
                }
            }
            _ => {}
        }
    }
}

/// An operation the document marks `deprecated: true` is a deprecated
/// method (progenitor 0.15 ignores the flag): callers get a warning that
/// points at the method's docs.
pub(crate) fn deprecate(file: &mut syn::File, doc: &serde_json::Value) {
    let deprecated: std::collections::BTreeSet<String> = crate::operations(doc)
        .filter(|(_, _, op)| op.get("deprecated") == Some(&serde_json::Value::Bool(true)))
        .filter_map(|(_, _, op)| op.get("operationId")?.as_str())
        .map(heck::ToSnakeCase::to_snake_case)
        .collect();
    if deprecated.is_empty() {
        return;
    }
    for item in file.items.iter_mut() {
        let Item::Impl(imp) = item else { continue };
        if imp.trait_.is_some() || !is_client(&imp.self_ty) {
            continue;
        }
        for member in imp.items.iter_mut() {
            if let ImplItem::Fn(f) = member
                && deprecated.contains(&f.sig.ident.to_string())
            {
                f.attrs.push(syn::parse_quote!(
                    #[deprecated(note = "the API marks this operation deprecated: see its docs")]
                ));
            }
        }
    }
}

fn is_client(ty: &syn::Type) -> bool {
    matches!(ty, syn::Type::Path(p) if p.path.is_ident("Client"))
}

#[cfg(test)]
mod tests {
    use super::success_statuses;

    #[test]
    fn lean_responses_decode_through_the_support_module_without_hook_calls() {
        let file: syn::File = syn::parse_quote! {
            pub mod builder {
                pub struct GetJob<'a> {
                    client: &'a super::Client,
                }
                impl<'a> GetJob<'a> {
                    pub async fn send(self) -> Result<ResponseValue<types::Job>, Error<types::E>> {
                        let Self { client } = self;
                        let mut request = client.client.get("x").build()?;
                        let info = OperationInfo { operation_id: "get_job" };
                        client.pre(&mut request, &info).await?;
                        let result = client.exec(request, &info).await;
                        client.post(&result, &info).await?;
                        let response = result?;
                        match response.status().as_u16() {
                            200u16 => ResponseValue::from_response(response).await,
                            206u16 => Ok(ResponseValue::stream(response)),
                            204u16 => Ok(ResponseValue::empty(response)),
                            _ => Err(Error::UnexpectedResponse(response)),
                        }
                    }
                }
            }
        };
        let text = |file: &syn::File| quote::quote!(#file).to_string().replace(' ', "");
        let mut lean = file.clone();
        super::rewrite_sends(&mut lean, None, true);
        let lean = text(&lean);
        assert!(lean.contains("types::__support::from_response(response).await"));
        assert!(lean.contains("Ok(types::__support::stream(response))"));
        assert!(lean.contains("Ok(ResponseValue::empty(response))"));
        assert!(lean.contains("client.exec(request,&info).await"));
        assert!(!lean.contains("client.pre(") && !lean.contains("client.post("));

        let mut plain = file.clone();
        super::rewrite_sends(&mut plain, None, false);
        assert_eq!(text(&plain), text(&file));
    }

    #[test]
    fn success_statuses_are_read_from_the_status_match() {
        let block = |arms: &str| -> syn::Block {
            syn::parse_str(&format!("{{ match status {{ {arms} }} }}")).unwrap()
        };
        let cases = [
            ("200u16 => a, 422u16 => b, _ => c,", "200"),
            (
                "200u16 => a, 201u16 => a, 422u16 => b, _ => c,",
                "200 or 201",
            ),
            (
                "200u16 => a, 201u16 => a, 204u16 => a, _ => c,",
                "200, 201 or 204",
            ),
            ("200..=299 => a, 422u16 => b, _ => c,", "2XX"),
            ("404u16 => b, _ => c,", ""),
        ];
        for (arms, expected) in cases {
            assert_eq!(success_statuses(&block(arms)), expected, "{arms}");
        }
    }
}
