//! The reviewed API surface of the vendored spec. A spec change shows up in
//! `tests/snapshots/api_surface__*.snap` as a small, readable diff next to the
//! `openapi.json` diff; `cargo xtask update-spec` refreshes both.

fn surface() -> xtask::Surface {
    let spec = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi.json"))
        .expect("the vendored openapi.json");
    let generated =
        ionworks_codegen::generate(&spec, &xtask::options()).expect("the vendored spec generates");
    xtask::surface::of(&spec, &generated).expect("the surface of the vendored spec")
}

#[test]
fn api_surface() {
    let surface = surface();
    insta::with_settings!({
        snapshot_path => "../../tests/snapshots",
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!("api_surface__operations", surface.operations_text());
        insta::assert_snapshot!("api_surface__types", surface.types_text());
    });
}
