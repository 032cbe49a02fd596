//! `Options::only_features`: a build with some of the API's features
//! generates exactly the part of the full output those features compile,
//! under the same names.

use ionworks_codegen::{Options, SDK_FEATURE_PREFIX, generate, tag_features};

fn spec() -> (Vec<u8>, serde_json::Value) {
    let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi.json")).unwrap();
    let doc = serde_json::from_slice(&bytes).unwrap();
    (bytes, doc)
}

/// Names of the generated client's methods.
fn methods(code: &str) -> Vec<String> {
    let file = syn::parse_file(code).unwrap();
    let mut out = Vec::new();
    for item in &file.items {
        if let syn::Item::Impl(imp) = item
            && let syn::Type::Path(p) = imp.self_ty.as_ref()
            && p.path.is_ident("Client")
        {
            for member in &imp.items {
                if let syn::ImplItem::Fn(f) = member {
                    out.push(f.sig.ident.to_string());
                }
            }
        }
    }
    out
}

#[test]
fn every_feature_on_is_the_full_output_and_one_tag_is_its_part() {
    let (bytes, doc) = spec();
    let full = generate(&bytes, &Options::sdk()).unwrap().code;
    let mut every = tag_features(&doc, SDK_FEATURE_PREFIX);
    every.extend(["rustls".to_string(), "all-apis".to_string()]);
    let all_on = generate(&bytes, &Options::sdk().only_features(every))
        .unwrap()
        .code;
    assert!(
        all_on == full,
        "every feature on must generate the full output"
    );

    let jobs = generate(
        &bytes,
        &Options::sdk().only_features(["api-jobs", "rustls"]),
    )
    .unwrap()
    .code;
    assert!(
        jobs.len() * 5 < full.len(),
        "{} of {} bytes",
        jobs.len(),
        full.len()
    );
    let (full_methods, job_methods) = (methods(&full), methods(&jobs));
    assert!(
        job_methods.contains(&"get_job".to_string()),
        "{job_methods:?}"
    );
    assert!(!job_methods.contains(&"list_projects".to_string()));
    for name in &job_methods {
        assert!(
            full_methods.contains(name),
            "{name} is not a method of the full build"
        );
    }
    // Every method of the full build that the jobs feature compiles is
    // there: its cfg names `api-jobs`, or it has none.
    let full_file = syn::parse_file(&full).unwrap();
    for item in &full_file.items {
        if let syn::Item::Impl(imp) = item
            && let syn::Type::Path(p) = imp.self_ty.as_ref()
            && p.path.is_ident("Client")
        {
            for member in &imp.items {
                let syn::ImplItem::Fn(f) = member else {
                    continue;
                };
                let gated: Vec<String> = f
                    .attrs
                    .iter()
                    .filter(|a| a.path().is_ident("cfg"))
                    .map(|a| quote::ToTokens::to_token_stream(a).to_string())
                    .collect();
                let compiled = gated.is_empty() || gated.iter().any(|g| g.contains("\"api-jobs\""));
                assert_eq!(
                    compiled,
                    job_methods.contains(&f.sig.ident.to_string()),
                    "{}",
                    f.sig.ident
                );
            }
        }
    }
}
