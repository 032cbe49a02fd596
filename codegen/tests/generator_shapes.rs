//! Shapes that made progenitor or typify panic: each is refused before
//! progenitor runs, with one line naming the JSON pointer, the rule and the
//! fix, or, where it is valid OpenAPI, converted into one they can take.

use ionworks_codegen::{CodegenError, Generated};
use serde_json::{Value, json};

/// A document with the component schemas `schemas` and one operation whose
/// response is `response`.
fn document(schemas: Value, response: Value) -> Value {
    json!({
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {"/things": {"get": {
            "operationId": "list_things",
            "responses": {"200": {"description": "ok", "content": {
                "application/json": {"schema": response},
            }}},
        }}},
        "components": {"schemas": schemas},
    })
}

fn generate(doc: &Value) -> Result<Generated, CodegenError> {
    ionworks_codegen::generate(&serde_json::to_vec(doc).unwrap(), &Default::default())
}

/// The error for `doc`, checked to be one line of the codegen's own words.
fn refused(doc: &Value) -> CodegenError {
    let e = generate(doc).expect_err("refused");
    let shown = e.to_string();
    assert!(!shown.contains("panicked"), "{shown}");
    assert!(!shown.contains('\n'), "{shown}");
    e
}

fn generated(doc: &Value) -> Generated {
    generate(doc).unwrap_or_else(|e| panic!("generates: {e}"))
}

#[test]
fn schema_ref_to_a_non_schema_is_refused() {
    for target in [
        "#/paths",
        "#/components/schemas",
        "#/components",
        "#",
        "#/info/title",
        "#/paths/~1things/get/responses/200/content/application~1json/schema",
    ] {
        let doc = document(
            json!({"Job": {"type": "object", "properties": {"status": {"$ref": target}}}}),
            json!({"$ref": "#/components/schemas/Job"}),
        );
        let e = refused(&doc);
        assert_eq!(
            e.pointer, "/components/schemas/Job/properties/status",
            "{e}"
        );
        assert_eq!(
            e.message,
            format!(
                "must point to a schema under `/components/schemas`, found `{target}`; \
                 move the schema there and reference it by name"
            )
        );
    }
}

#[test]
fn schema_ref_in_an_operation_to_a_non_schema_is_refused() {
    let doc = document(json!({}), json!({"$ref": "#/paths"}));
    let e = refused(&doc);
    assert_eq!(
        e.pointer,
        "/paths/~1things/get/responses/200/content/application~1json/schema"
    );
    assert!(e.message.contains("found `#/paths`"), "{e}");
}

#[test]
fn schema_ref_to_a_subschema_of_a_component_is_inlined() {
    let doc = document(
        json!({
            "Job": {"type": "object", "properties": {
                "status": {"type": "string", "enum": ["queued", "done"]},
            }},
            "Summary": {"type": "object", "properties": {
                "status": {"$ref": "#/components/schemas/Job/properties/status"},
                "job": {"$ref": "#/components/schemas/Job"},
            }},
        }),
        json!({"$ref": "#/components/schemas/Summary"}),
    );
    let out = generated(&doc);
    assert_eq!(
        out.converted["components"]["schemas"]["Summary"]["properties"]["status"],
        json!({"type": "string", "enum": ["queued", "done"]})
    );
    assert!(out.report.notes.iter().any(|n| n.pointer
        == "/components/schemas/Summary/properties/status"
        && n.message.contains("copy")));
}

#[test]
fn schema_ref_to_a_subschema_holding_itself_is_refused() {
    let doc = document(
        json!({"Node": {"type": "object", "properties": {
            "next": {"$ref": "#/components/schemas/Node/properties/next"},
        }}}),
        json!({"$ref": "#/components/schemas/Node"}),
    );
    let e = refused(&doc);
    assert_eq!(e.pointer, "/components/schemas/Node/properties/next");
}

#[test]
fn empty_all_of_is_dropped() {
    let doc = document(
        json!({"A": {"allOf": []}, "B": {"type": "object", "properties": {"a": {"allOf": [], "type": "string"}}}}),
        json!({"$ref": "#/components/schemas/B"}),
    );
    let out = generated(&doc);
    assert!(
        out.converted["components"]["schemas"]["A"]
            .get("allOf")
            .is_none()
    );
    assert!(
        out.code
            .contains("pub a: ::std::option::Option<::std::string::String>")
    );
}

#[test]
fn not_beyond_enumerated_values_is_dropped() {
    for not in [
        json!({"type": "string"}),
        json!({"enum": [null]}),
        json!({"enum": [1, "a"]}),
        json!({"$ref": "#/components/schemas/Other"}),
        json!({"not": {"type": "object"}}),
        // Values of another type than the `type` beside them.
        json!({"type": "string", "enum": [1]}),
    ] {
        let doc = document(
            json!({
                "Other": {"type": "string"},
                "A": {"type": "object", "properties": {"a": {"not": not}}},
            }),
            json!({"$ref": "#/components/schemas/A"}),
        );
        let out = generated(&doc);
        assert!(
            out.report
                .notes
                .iter()
                .any(|n| n.pointer == "/components/schemas/A/properties/a"
                    && n.message.starts_with("`not` dropped")),
            "{not}"
        );
    }
    // The shapes typify understands are kept.
    let doc = document(
        json!({"A": {"type": "object", "properties": {"a": {"not": {"enum": ["x", "y"]}}}}}),
        json!({"$ref": "#/components/schemas/A"}),
    );
    let out = generated(&doc);
    assert_eq!(
        out.converted["components"]["schemas"]["A"]["properties"]["a"]["not"],
        json!({"type": "string", "enum": ["x", "y"]})
    );
}

#[test]
fn untyped_validation_typify_cannot_infer_is_dropped() {
    for (schema, kept) in [
        (json!({"format": "int128"}), json!({})),
        // The converter removes length bounds and patterns: `format` alone
        // is dropped.
        (json!({"format": "date-time", "minLength": 1}), json!({})),
        (
            json!({"format": "uuid", "properties": {"a": {"type": "string"}}}),
            json!({"properties": {"a": {"type": "string"}}}),
        ),
        (
            json!({"enum": [null], "properties": {"a": {"type": "string"}}}),
            json!({"enum": [null]}),
        ),
        (
            json!({"items": {"type": "string"}, "properties": {"a": {"type": "string"}}}),
            json!({"properties": {"a": {"type": "string"}}}),
        ),
    ] {
        let doc = document(
            json!({"A": schema}),
            json!({"$ref": "#/components/schemas/A"}),
        );
        let out = generated(&doc);
        let a = &out.converted["components"]["schemas"]["A"];
        for (k, v) in kept.as_object().unwrap() {
            assert_eq!(&a[k], v, "{schema}: {a}");
        }
        assert_eq!(
            a.as_object().unwrap().len(),
            kept.as_object().unwrap().len() + usize::from(a.get("title").is_some()),
            "{schema}: {a}"
        );
    }
}

#[test]
fn type_null_beside_other_keywords_generates() {
    let doc = document(
        json!({"A": {"type": "null", "properties": {"a": {"type": "string"}}}}),
        json!({"$ref": "#/components/schemas/A"}),
    );
    generated(&doc);
}

/// A document with one operation `op` on `path`, and `components`.
fn with_operation(path: &str, op: Value, components: Value) -> Value {
    json!({
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {path: {"post": op}},
        "components": components,
    })
}

fn ok_responses() -> Value {
    json!({"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "string"}}}}})
}

#[test]
fn operation_ref_to_the_wrong_kind_of_component_is_refused() {
    let components = json!({"schemas": {"S": {"type": "string"}}});
    for (op, pointer, construct, kind) in [
        (
            json!({"operationId": "a", "parameters": [{"$ref": "#/components/schemas/S"}], "responses": ok_responses()}),
            "/paths/~1things/post/parameters/0",
            "parameter $ref",
            "parameters",
        ),
        (
            json!({"operationId": "a", "requestBody": {"$ref": "#/components/schemas/S"}, "responses": ok_responses()}),
            "/paths/~1things/post/requestBody",
            "requestBody $ref",
            "requestBodies",
        ),
        (
            json!({"operationId": "a", "responses": {"200": {"$ref": "#/components/schemas/S"}}}),
            "/paths/~1things/post/responses/200",
            "response $ref",
            "responses",
        ),
    ] {
        let e = refused(&with_operation("/things", op, components.clone()));
        assert_eq!(
            (e.pointer.as_str(), e.construct.as_str()),
            (pointer, construct)
        );
        assert_eq!(
            e.message,
            format!(
                "must point to a component under `/components/{kind}`, found `#/components/schemas/S`"
            )
        );
    }
}

#[test]
fn operation_ref_to_a_ref_is_followed() {
    let doc = with_operation(
        "/things",
        json!({"operationId": "a", "parameters": [{"$ref": "#/components/parameters/P"}], "responses": ok_responses()}),
        json!({"parameters": {
            "P": {"$ref": "#/components/parameters/Q"},
            "Q": {"name": "q", "in": "query", "schema": {"type": "string"}},
        }}),
    );
    assert!(generated(&doc).code.contains("pub fn q<"));
    let cycle = with_operation(
        "/things",
        json!({"operationId": "a", "parameters": [{"$ref": "#/components/parameters/P"}], "responses": ok_responses()}),
        json!({"parameters": {"P": {"$ref": "#/components/parameters/P"}}}),
    );
    assert!(refused(&cycle).message.contains("a cycle?"));
}

#[test]
fn path_parameter_not_in_the_template_is_refused() {
    let doc = with_operation(
        "/things/{id}",
        json!({"operationId": "a", "parameters": [
            {"name": "id", "in": "path", "required": true, "schema": {"type": "string"}},
            {"name": "other", "in": "path", "required": true, "schema": {"type": "string"}},
        ], "responses": ok_responses()}),
        json!({}),
    );
    let e = refused(&doc);
    assert_eq!(e.pointer, "/paths/~1things~1{id}/post/parameters/1");
    assert!(
        e.message
            .starts_with("path parameter `other` is not in the path template")
    );
}

#[test]
fn optional_path_parameter_is_made_required() {
    let doc = with_operation(
        "/things/{id}",
        json!({"operationId": "a", "parameters": [
            {"name": "id", "in": "path", "schema": {"type": "string"}},
        ], "responses": ok_responses()}),
        json!({}),
    );
    let out = generated(&doc);
    assert_eq!(
        out.converted["paths"]["/things/{id}"]["post"]["parameters"][0]["required"],
        true
    );
}

#[test]
fn default_the_schema_does_not_accept_is_dropped() {
    for (schema, default) in [
        (
            json!({"anyOf": [{"type": "string"}, {"type": "integer"}]}),
            json!(true),
        ),
        (
            json!({"type": "array", "items": {"type": "string"}}),
            json!([1]),
        ),
        (json!({"allOf": [{"type": "string"}]}), json!(3)),
        (
            json!({"type": "array", "items": {"type": "string"}, "uniqueItems": true}),
            json!(["a", "a"]),
        ),
        (
            json!({"type": "object", "properties": {"b": {"type": "integer"}}, "required": ["b"]}),
            json!({}),
        ),
        (
            json!({"type": "object", "properties": {"b": {"type": "integer"}}}),
            json!({"b": "x"}),
        ),
        (json!({"type": "string", "not": {}}), json!("x")),
        (
            json!({"type": "string", "not": {"enum": ["x"]}}),
            json!("x"),
        ),
    ] {
        let mut property = schema.clone();
        property["default"] = default;
        let doc = document(
            json!({"A": {"type": "object", "properties": {"a": property}}}),
            json!({"$ref": "#/components/schemas/A"}),
        );
        let out = generated(&doc);
        assert!(
            out.converted["components"]["schemas"]["A"]["properties"]["a"]
                .get("default")
                .is_none(),
            "{schema}"
        );
    }
    // A default the schema accepts stays.
    let doc = document(
        json!({"A": {"type": "object", "properties": {"a": {
            "anyOf": [{"type": "string"}, {"type": "integer"}], "default": 3,
        }}}}),
        json!({"$ref": "#/components/schemas/A"}),
    );
    assert_eq!(
        generated(&doc).converted["components"]["schemas"]["A"]["properties"]["a"]["default"],
        3
    );
}

#[test]
fn format_typify_refuses_is_dropped() {
    let doc = document(
        json!({
            "A": {"type": "object", "format": "x", "properties": {"b": {"type": "boolean", "format": "x"}}},
            "C": {"oneOf": [{"type": "string"}, {"type": "integer"}], "format": "int128"},
        }),
        json!({"$ref": "#/components/schemas/A"}),
    );
    let out = generated(&doc);
    let schemas = &out.converted["components"]["schemas"];
    assert!(schemas["A"].get("format").is_none());
    assert!(schemas["A"]["properties"]["b"].get("format").is_none());
    assert!(schemas["C"].get("format").is_none());
}

#[test]
fn enum_values_of_another_type_are_dropped() {
    let doc = document(
        json!({"A": {"type": "object", "properties": {
            "b": {"type": "string", "enum": [-1.5]},
            "c": {"type": "object", "properties": {"d": {"type": "string"}}, "enum": ["x", null]},
        }}}),
        json!({"$ref": "#/components/schemas/A"}),
    );
    let out = generated(&doc);
    let properties = &out.converted["components"]["schemas"]["A"]["properties"];
    assert!(properties["b"].get("enum").is_none());
    // `null` is not an object unless the schema is nullable.
    assert!(properties["c"].get("enum").is_none());
}

#[test]
fn empty_any_of_or_one_of_is_refused() {
    for key in ["anyOf", "oneOf"] {
        let doc = document(
            json!({"A": {"type": "object", "properties": {"a": {"type": "string"}}, key: []}}),
            json!({"$ref": "#/components/schemas/A"}),
        );
        let e = refused(&doc);
        assert_eq!(e.pointer, format!("/components/schemas/A/{key}"));
        assert!(e.message.contains("must hold at least one schema"), "{e}");
    }
}

#[test]
fn enum_beside_a_not_that_rules_out_everything_is_dropped() {
    let doc = document(
        json!({"Status": {"type": "string", "enum": ["queued", "done"], "not": {}}}),
        json!({"$ref": "#/components/schemas/Status"}),
    );
    let out = generated(&doc);
    assert!(
        out.converted["components"]["schemas"]["Status"]
            .get("enum")
            .is_none()
    );
}
