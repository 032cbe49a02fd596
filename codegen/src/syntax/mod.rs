//! The syntax-tree stage: progenitor's output, parsed as a `syn` tree, is
//! rewritten where progenitor or typify generate something the SDK does
//! not want (closed enums, strict timestamps, one error type per
//! operation, …) or cannot generate (forms, paging, feature gates, docs for
//! every item), then printed. [`rewrite`] and [`document`] run the steps,
//! in order; each module holds one.

pub(crate) mod attrs;
pub(crate) mod builders;
pub(crate) mod client;
pub(crate) mod describe;
pub(crate) mod docs;
pub(crate) mod extra;
pub(crate) mod forms;
pub(crate) mod gates;
pub(crate) mod mocks;
pub(crate) mod pages;
pub(crate) mod redact;
pub(crate) mod support;
pub(crate) mod types;

use crate::error::Report;
use crate::json::Prepared;
use crate::options::Checked;

/// progenitor's output `file`, generated from the JSON stage's `prepared`
/// document, rewritten for `options` (every step but the documentation's);
/// the number of public types goes into `report`.
pub(crate) fn rewrite(
    file: syn::File,
    prepared: &Prepared,
    options: &Checked<'_>,
    report: &mut Report,
) -> syn::File {
    let doc = &prepared.converted.doc;
    let secrets = redact::Secrets {
        secret: &options.secret_fields,
        signed_url: &options.signed_url_fields,
    };
    let (mut file, types) = types::rewrite(
        file,
        &prepared.converted,
        &secrets,
        options.lean_responses,
        report,
    );
    if options.httpmock {
        mocks::fix_mocks(&mut file);
    }
    if let Some(support) = &options.form_support {
        let form_ops = prepared.forms.by_operation_id(doc);
        forms::rewrite(&mut file, &form_ops, support);
        if options.httpmock {
            forms::fix_mocks(&mut file, &form_ops);
        }
    }
    if options.request_builders_only {
        builders::drop_response_builders(&mut file);
    }
    client::rewrite_sends(
        &mut file,
        options.error_type.as_ref(),
        options.lean_responses,
    );
    client::rewrite_client(
        &mut file,
        options.client_doc.as_deref(),
        options.inner_type.is_some(),
    );
    client::deprecate(&mut file, doc);
    if let Some(prefix) = &options.tag_features {
        gates::gate(&mut file, doc, prefix);
    }
    if let Some(support) = &options.pages {
        pages::rewrite(&mut file, support);
    }
    report.types = types;
    file
}

/// The documentation of `file`: the spec's code blocks fenced as `text`,
/// progenitor's leftovers dropped, and with
/// [`describe_all`](crate::Options::describe_all) every public item
/// documented.
pub(crate) fn document(file: &mut syn::File, options: &Checked<'_>) {
    docs::fence_docs(file);
    describe::drop_leftovers(file);
    if options.describe_all {
        describe::describe_all(file, options.error_type.as_ref());
    }
}

/// The names of the methods of `imp`.
pub(crate) fn method_names(imp: &syn::ItemImpl) -> impl Iterator<Item = String> + '_ {
    imp.items.iter().filter_map(|item| match item {
        syn::ImplItem::Fn(f) => Some(f.sig.ident.to_string()),
        _ => None,
    })
}
