//! When progenitor or typify fails (or panics) on a document, the error
//! names the component or the operation that fails, by JSON pointer.

use ionworks_codegen::Options;
use serde_json::{Map, Value, json};

/// A document with `n` plain operations `/op{i}` (each with a component
/// body of its own), where operation `bad` has an object-typed path
/// parameter, which progenitor cannot generate (it panics).
fn document(n: usize, bad: &[usize], components: Map<String, Value>) -> Vec<u8> {
    let mut paths = Map::new();
    let mut schemas = components;
    for i in 0..n {
        schemas.insert(
            format!("Body{i}"),
            json!({"type": "object", "properties": {"n": {"type": "integer"}}}),
        );
        let response = json!({"200": {"description": "ok", "content": {"application/json": {
            "schema": {"$ref": format!("#/components/schemas/Body{i}")}}}}});
        if bad.contains(&i) {
            paths.insert(
                format!("/op{i}/{{x}}"),
                json!({"get": {"operationId": format!("op{i}"), "parameters": [{
                    "name": "x", "in": "path", "required": true,
                    "schema": {"type": "object", "properties": {"q": {"type": "string"}}}}],
                    "responses": response}}),
            );
        } else {
            paths.insert(
                format!("/op{i}"),
                json!({"get": {"operationId": format!("op{i}"), "responses": response}}),
            );
        }
    }
    serde_json::to_vec(&json!({
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": paths,
        "components": {"schemas": schemas},
    }))
    .expect("serializable")
}

#[test]
fn the_failing_operation_is_named() {
    let err = ionworks_codegen::generate(&document(64, &[41], Map::new()), &Options::default())
        .expect_err("an object path parameter does not generate");
    assert_eq!(err.pointer, "/paths/~1op41~1{x}/get", "{err}");
    assert!(
        err.to_string().contains("progenitor/typify panicked"),
        "{err}"
    );
}

#[test]
fn the_first_of_two_failing_operations_is_named() {
    let err = ionworks_codegen::generate(&document(30, &[7, 22], Map::new()), &Options::default())
        .expect_err("object path parameters do not generate");
    assert_eq!(err.pointer, "/paths/~1op7~1{x}/get", "{err}");
}

#[test]
fn the_failing_component_is_named() {
    let mut components = Map::new();
    for i in 0..20 {
        components.insert(format!("Plain{i}"), json!({"type": "string"}));
    }
    // typify cannot render a default outside the integer type it picks.
    components.insert(
        "Small".into(),
        json!({"type": "integer", "format": "uint8", "default": 300}),
    );
    let err = ionworks_codegen::generate(&document(10, &[], components), &Options::default())
        .expect_err("an unrenderable default does not generate");
    assert_eq!(err.pointer, "/components/schemas/Small", "{err}");
}
