//! Converter unit tests: one small OpenAPI 3.1 document per construct, each
//! checking both the converted 3.0.3 document (the exact relevant subtree) and
//! the shape of the Rust that progenitor generates from it.

use ionworks_codegen::{CodegenError, Generated, Note, Options, Report};
use serde_json::{Value, json};

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// A minimal OpenAPI 3.1 document around `schemas` and `paths`.
fn doc(schemas: Value, paths: Value) -> Value {
    json!({
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": paths,
        "components": {"schemas": schemas},
    })
}

/// A document with component schemas only.
fn schemas(schemas: Value) -> Value {
    doc(schemas, json!({}))
}

/// A document whose component `T` has one required property `x` of `schema`.
fn prop(schema: Value) -> Value {
    schemas(json!({"T": {"type": "object", "required": ["x"], "properties": {"x": schema}}}))
}

/// A JSON 200 response with `schema`.
fn ok(schema: Value) -> Value {
    json!({"200": {"description": "ok", "content": {"application/json": {"schema": schema}}}})
}

/// An operation with `id` and a JSON string response.
fn op(id: &str) -> Value {
    json!({"operationId": id, "responses": ok(json!({"type": "string"}))})
}

fn bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).expect("serializable")
}

#[track_caller]
fn convert(v: &Value) -> (Value, Report) {
    ionworks_codegen::convert(&bytes(v)).unwrap_or_else(|e| panic!("convert failed: {e}"))
}

#[track_caller]
fn generate(v: &Value) -> Generated {
    let out = ionworks_codegen::generate(&bytes(v), &Options::default())
        .unwrap_or_else(|e| panic!("generate failed: {e}"));
    // `convert` and `generate` run the same conversion.
    assert_eq!(
        convert(v).0,
        out.converted,
        "convert() and generate() disagree"
    );
    out
}

/// `v` at the JSON pointer `ptr`.
#[track_caller]
fn at<'a>(v: &'a Value, ptr: &str) -> &'a Value {
    v.pointer(ptr)
        .unwrap_or_else(|| panic!("no {ptr} in {v:#}"))
}

fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The `types` module of the generated code, without the support helpers.
fn types_module(code: &str) -> &str {
    let start = code.find("pub mod types").unwrap_or(0);
    let end = code.find("pub mod __support").unwrap_or(code.len());
    &code[start..end.max(start)]
}

/// `code` contains `needle`, whitespace ignored.
#[track_caller]
fn has(code: &str, needle: &str) {
    assert!(
        squash(code).contains(&squash(needle)),
        "generated code lacks `{needle}`:\n{}",
        types_module(code)
    );
}

/// `code` does not contain `needle`, whitespace ignored.
#[track_caller]
fn lacks(code: &str, needle: &str) {
    assert!(
        !squash(code).contains(&squash(needle)),
        "generated code unexpectedly contains `{needle}`:\n{}",
        types_module(code)
    );
}

/// The item that starts with `head` (e.g. `pub enum Status`), up to its
/// closing brace.
#[track_caller]
fn item<'a>(code: &'a str, head: &str) -> &'a str {
    let start = code
        .find(&format!("{head} "))
        .or_else(|| code.find(&format!("{head}(")))
        .unwrap_or_else(|| panic!("no `{head}` in generated code:\n{}", types_module(code)));
    let mut depth = 0usize;
    for (i, c) in code[start..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return &code[start..=start + i];
                }
            }
            ';' if depth == 0 => return &code[start..=start + i],
            _ => {}
        }
    }
    &code[start..]
}

fn note(pointer: &str, message: &str) -> Note {
    Note {
        pointer: pointer.to_string(),
        message: message.to_string(),
    }
}

/// The report has a note at `pointer` whose message contains `fragment`.
#[track_caller]
fn noted(report: &Report, pointer: &str, fragment: &str) {
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.pointer == pointer && n.message.contains(fragment)),
        "no note at {pointer} containing {fragment:?}; notes: {:#?}",
        report.notes
    );
}

/// Every key anywhere in `v` (object keys only).
fn keys(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(o) => {
            for (k, c) in o {
                out.push(k.clone());
                keys(c, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|c| keys(c, out)),
        _ => {}
    }
}

#[track_caller]
fn convert_err(input: &[u8]) -> CodegenError {
    let a = ionworks_codegen::convert(input).expect_err("convert should fail");
    let b =
        ionworks_codegen::generate(input, &Options::default()).expect_err("generate should fail");
    assert_eq!(a, b, "convert() and generate() report different errors");
    a
}

#[track_caller]
fn assert_error(input: &[u8], pointer: &str) -> CodegenError {
    let err = convert_err(input);
    assert_eq!(err.pointer, pointer, "wrong pointer in {err}");
    let shown = if pointer.is_empty() { "#" } else { pointer };
    assert!(
        err.to_string().contains(&format!("`{shown}`")),
        "Display does not name the pointer: {err}"
    );
    err
}

// ---------------------------------------------------------------------------
// Nullable unions
// ---------------------------------------------------------------------------

#[test]
fn any_of_scalar_and_null_becomes_nullable_scalar() {
    let input = prop(json!({"anyOf": [{"type": "integer"}, {"type": "null"}]}));
    let out = generate(&input);
    assert_eq!(
        at(&out.converted, "/components/schemas/T/properties/x"),
        &json!({"type": "integer", "nullable": true})
    );
    has(&out.code, "pub x: ::std::option::Option<i64>,");
}

#[test]
fn any_of_ref_and_null_becomes_nullable_all_of() {
    let input = schemas(json!({
        "Owner": {"type": "object", "properties": {"name": {"type": "string"}}},
        "T": {
            "type": "object",
            "required": ["owner"],
            "properties": {"owner": {"anyOf": [{"$ref": "#/components/schemas/Owner"}, {"type": "null"}]}},
        },
    }));
    let out = generate(&input);
    assert_eq!(
        at(&out.converted, "/components/schemas/T/properties/owner"),
        &json!({"allOf": [{"$ref": "#/components/schemas/Owner"}], "nullable": true})
    );
    has(
        item(&out.code, "pub struct T"),
        "pub owner: ::std::option::Option<Owner>,",
    );
}

#[test]
fn enum_with_null_becomes_nullable_enum() {
    let input = schemas(json!({
        "T": {
            "type": "object",
            "required": ["a", "b", "c"],
            "properties": {
                "a": {"type": ["string", "null"], "enum": ["red", "green", null]},
                "b": {"anyOf": [{"type": "string", "enum": ["red", "green"]}, {"type": "null"}]},
                "c": {"enum": ["red", "green", null]},
            },
        },
    }));
    let out = generate(&input);
    let expected = json!({"type": "string", "enum": ["red", "green"], "nullable": true});
    for p in ["a", "b", "c"] {
        assert_eq!(
            at(
                &out.converted,
                &format!("/components/schemas/T/properties/{p}")
            ),
            &expected,
            "{p}"
        );
    }
    let t = item(&out.code, "pub struct T");
    has(t, "pub a: ::std::option::Option<TA>,");
    has(t, "pub b: ::std::option::Option<TB>,");
    has(t, "pub c: ::std::option::Option<TC>,");
    has(item(&out.code, "pub enum TA"), "Red");
}

#[test]
fn any_of_array_and_null_becomes_nullable_array() {
    let input =
        prop(json!({"anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "null"}]}));
    let out = generate(&input);
    assert_eq!(
        at(&out.converted, "/components/schemas/T/properties/x"),
        &json!({"type": "array", "items": {"type": "string"}, "nullable": true})
    );
    has(
        &out.code,
        "pub x: ::std::option::Option<::std::vec::Vec<::std::string::String>>,",
    );
}

#[test]
fn any_of_object_and_null_becomes_nullable_object() {
    let input = prop(json!({
        "anyOf": [
            {"type": "object", "required": ["n"], "properties": {"n": {"type": "integer"}}},
            {"type": "null"},
        ],
    }));
    let out = generate(&input);
    assert_eq!(
        at(&out.converted, "/components/schemas/T/properties/x"),
        &json!({"type": "object", "required": ["n"], "properties": {"n": {"type": "integer"}}, "nullable": true})
    );
    has(
        item(&out.code, "pub struct T"),
        "pub x: ::std::option::Option<TX>,",
    );
    has(item(&out.code, "pub struct TX"), "pub n: i64,");
}

#[test]
fn several_branches_and_null_become_nullable_one_of() {
    let input = prop(json!({
        "anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}],
    }));
    let out = generate(&input);
    assert_eq!(
        at(&out.converted, "/components/schemas/T/properties/x"),
        &json!({"oneOf": [{"type": "string"}, {"type": "integer"}], "nullable": true})
    );
    has(
        item(&out.code, "pub struct T"),
        "pub x: ::std::option::Option<TX>,",
    );
    let tx = item(&out.code, "pub enum TX");
    has(tx, "String(::std::string::String)");
    has(tx, "Integer(i64)");
}

#[test]
fn type_array_with_null_becomes_nullable_type() {
    let input = prop(json!({"type": ["string", "null"], "description": "d"}));
    let out = generate(&input);
    assert_eq!(
        at(&out.converted, "/components/schemas/T/properties/x"),
        &json!({"type": "string", "nullable": true, "description": "d"})
    );
    has(
        &out.code,
        "pub x: ::std::option::Option<::std::string::String>,",
    );
}

#[test]
fn multi_type_array_becomes_one_of() {
    let input = schemas(json!({
        "T": {
            "type": "object",
            "required": ["a", "b"],
            "properties": {
                "a": {"type": ["string", "integer"]},
                "b": {"type": ["string", "boolean", "null"]},
            },
        },
    }));
    let out = generate(&input);
    assert_eq!(
        at(&out.converted, "/components/schemas/T/properties/a"),
        &json!({"oneOf": [{"type": "string"}, {"type": "integer"}]})
    );
    assert_eq!(
        at(&out.converted, "/components/schemas/T/properties/b"),
        &json!({"oneOf": [{"type": "string"}, {"type": "boolean"}], "nullable": true})
    );
    let t = item(&out.code, "pub struct T");
    has(t, "pub a: TA,");
    has(t, "pub b: ::std::option::Option<TB>,");
    has(item(&out.code, "pub enum TA"), "Integer(i64)");
    has(item(&out.code, "pub enum TB"), "Boolean(bool)");
}

#[test]
fn type_null_becomes_enum_null() {
    let input = prop(json!({"type": "null"}));
    let out = generate(&input);
    assert_eq!(
        at(&out.converted, "/components/schemas/T/properties/x"),
        &json!({"enum": [null]})
    );
    has(item(&out.code, "pub struct T"), "pub x: ()");
}

// ---------------------------------------------------------------------------
// Keywords without a 3.0 counterpart
// ---------------------------------------------------------------------------

#[test]
fn const_becomes_single_value_enum() {
    let input = schemas(json!({
        "T": {
            "type": "object",
            "required": ["kind", "version"],
            "properties": {"kind": {"const": "circle"}, "version": {"type": "integer", "const": 2}},
        },
    }));
    let out = generate(&input);
    assert_eq!(
        at(&out.converted, "/components/schemas/T/properties/kind"),
        &json!({"enum": ["circle"], "type": "string"})
    );
    assert_eq!(
        at(&out.converted, "/components/schemas/T/properties/version"),
        &json!({"type": "integer", "enum": [2]})
    );
    has(item(&out.code, "pub struct T"), "pub kind: TKind,");
    let kind = item(&out.code, "pub enum TKind");
    has(kind, "Circle");
    lacks(kind, "Unknown");
}

#[test]
fn examples_become_example() {
    let input = schemas(json!({
        "T": {
            "type": "object",
            "examples": [{"x": "first"}, {"x": "second"}],
            "properties": {"x": {"type": "string", "examples": ["a", "b"]}},
        },
    }));
    let out = generate(&input);
    assert_eq!(
        at(&out.converted, "/components/schemas/T"),
        &json!({
            "type": "object",
            "example": {"x": "first"},
            "properties": {"x": {"type": "string", "example": "a"}},
        })
    );
    has(
        item(&out.code, "pub struct T"),
        "pub x: ::std::option::Option<::std::string::String>,",
    );
}

#[test]
fn numeric_exclusive_bounds_become_boolean_form() {
    // Schema constraints are stripped from the converted schemas; reusable
    // parameters are left in place, which shows the 3.0 form.
    let input = json!({
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/runs": {"post": {
                "operationId": "create_run",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Run"}}}},
                "responses": ok(json!({"type": "string"})),
            }},
        },
        "components": {
            "parameters": {
                "Limit": {"name": "limit", "in": "query", "schema": {"type": "integer", "exclusiveMinimum": 0, "exclusiveMaximum": 100}},
            },
            "schemas": {
                "Run": {
                    "type": "object",
                    "required": ["rate"],
                    "properties": {"rate": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 5.5}},
                },
            },
        },
    });
    let out = generate(&input);
    assert_eq!(
        at(&out.converted, "/components/parameters/Limit/schema"),
        &json!({"type": "integer", "minimum": 0, "exclusiveMinimum": true, "maximum": 100, "exclusiveMaximum": true})
    );
    assert_eq!(
        at(&out.converted, "/components/schemas/Run/properties/rate"),
        &json!({"type": "number"})
    );
    has(
        &out.code,
        r#"&super::__support::Bounds {
            field: "Run.rate",
            minimum: Some(0f64),
            maximum: Some(5.5f64),
            exclusive_minimum: true,
            exclusive_maximum: true,
            min_length: None,
            max_length: None,
        }"#,
    );
}

#[test]
fn ref_with_description_sibling_drops_the_sibling() {
    let input = schemas(json!({
        "Owner": {"type": "object", "properties": {"name": {"type": "string"}}},
        "T": {
            "type": "object",
            "required": ["owner"],
            "properties": {"owner": {"$ref": "#/components/schemas/Owner", "description": "who", "title": "Owner"}},
        },
    }));
    let out = generate(&input);
    assert_eq!(
        at(&out.converted, "/components/schemas/T/properties/owner"),
        &json!({"$ref": "#/components/schemas/Owner"})
    );
    has(item(&out.code, "pub struct T"), "pub owner: Owner,");
}

#[test]
fn ref_with_default_is_kept_through_all_of() {
    let input = schemas(json!({
        "Color": {"type": "string", "enum": ["red", "green"]},
        "T": {
            "type": "object",
            "properties": {"color": {"$ref": "#/components/schemas/Color", "default": "green", "description": "paint"}},
        },
    }));
    let out = generate(&input);
    assert_eq!(
        at(&out.converted, "/components/schemas/T/properties/color"),
        &json!({"allOf": [{"$ref": "#/components/schemas/Color"}], "default": "green", "description": "paint"})
    );
    let t = item(&out.code, "pub struct T");
    has(t, r#"#[serde(default = "defaults::t_color")]"#);
    has(t, "pub color: Color,");
    has(&out.code, "pub(super) fn t_color() -> super::Color");
    has(&out.code, "super::Color::Green");
}

#[test]
fn prefix_items_become_items() {
    let input = schemas(json!({
        "T": {
            "type": "object",
            "required": ["point", "pair"],
            "properties": {
                "point": {"type": "array", "prefixItems": [{"type": "number"}, {"type": "number"}], "minItems": 2, "maxItems": 2},
                "pair": {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}]},
            },
        },
    }));
    let out = generate(&input);
    assert_eq!(
        at(&out.converted, "/components/schemas/T/properties/point"),
        &json!({"type": "array", "items": {"type": "number"}})
    );
    assert_eq!(
        at(&out.converted, "/components/schemas/T/properties/pair"),
        &json!({"type": "array", "items": {"oneOf": [{"type": "string"}, {"type": "integer"}]}})
    );
    noted(
        &out.report,
        "/components/schemas/T/properties/point",
        "prefixItems",
    );
    let t = item(&out.code, "pub struct T");
    has(t, "pub point: ::std::vec::Vec<f64>,");
    has(t, "pub pair: ::std::vec::Vec<TPairItem>,");
}

#[test]
fn prefix_items_with_items_false() {
    let input = prop(
        json!({"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}], "items": false}),
    );
    let out = generate(&input);
    assert_eq!(
        at(&out.converted, "/components/schemas/T/properties/x"),
        &json!({"type": "array", "items": {"oneOf": [{"type": "string"}, {"type": "integer"}]}})
    );
}

#[test]
fn prefix_items_with_additional_items_schema() {
    let input = prop(
        json!({"type": "array", "prefixItems": [{"type": "string"}], "items": {"type": "integer"}}),
    );
    let out = generate(&input);
    assert_eq!(
        at(&out.converted, "/components/schemas/T/properties/x"),
        &json!({"type": "array", "items": {"oneOf": [{"type": "string"}, {"type": "integer"}]}})
    );
}

#[test]
fn content_media_type_and_encoding_become_binary_and_byte() {
    let input = schemas(json!({
        "T": {
            "type": "object",
            "required": ["raw", "b64"],
            "properties": {
                "raw": {"type": "string", "contentMediaType": "application/octet-stream"},
                "b64": {"type": "string", "contentEncoding": "base64", "contentMediaType": "image/png"},
            },
        },
    }));
    let out = generate(&input);
    assert_eq!(
        at(&out.converted, "/components/schemas/T/properties/raw"),
        &json!({"type": "string", "format": "binary"})
    );
    assert_eq!(
        at(&out.converted, "/components/schemas/T/properties/b64"),
        &json!({"type": "string", "format": "byte"})
    );
    let t = item(&out.code, "pub struct T");
    has(t, "pub raw: ::std::string::String,");
    has(t, "pub b64: ::std::string::String,");
}

#[test]
fn discriminator_with_mapping_passes_through() {
    let input = schemas(json!({
        "Circle": {
            "type": "object",
            "required": ["kind", "r"],
            "properties": {"kind": {"const": "circle"}, "r": {"type": "number"}},
        },
        "Square": {
            "type": "object",
            "required": ["kind", "side"],
            "properties": {"kind": {"const": "square"}, "side": {"type": "number"}},
        },
        "Shape": {
            "oneOf": [{"$ref": "#/components/schemas/Circle"}, {"$ref": "#/components/schemas/Square"}],
            "discriminator": {
                "propertyName": "kind",
                "mapping": {"circle": "#/components/schemas/Circle", "square": "#/components/schemas/Square"},
            },
        },
    }));
    let out = generate(&input);
    assert_eq!(
        at(&out.converted, "/components/schemas/Shape"),
        &json!({
            "oneOf": [{"$ref": "#/components/schemas/Circle"}, {"$ref": "#/components/schemas/Square"}],
            "discriminator": {
                "propertyName": "kind",
                "mapping": {"circle": "#/components/schemas/Circle", "square": "#/components/schemas/Square"},
            },
        })
    );
    assert_eq!(
        at(&out.converted, "/components/schemas/Circle/properties/kind"),
        &json!({"enum": ["circle"], "type": "string"})
    );
    has(
        &out.code,
        "#[serde(untagged)] #[non_exhaustive] pub enum Shape {",
    );
    let shape = item(&out.code, "pub enum Shape");
    has(shape, "Circle(Circle)");
    has(shape, "Square(Square)");
    has(
        item(&out.code, "pub struct Circle"),
        "pub kind: CircleKind,",
    );
    lacks(item(&out.code, "pub enum CircleKind"), "Unknown");
}

#[test]
fn recursive_schema_is_boxed() {
    let input = schemas(json!({
        "Node": {
            "type": "object",
            "required": ["children", "next"],
            "properties": {
                "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
                "next": {"anyOf": [{"$ref": "#/components/schemas/Node"}, {"type": "null"}]},
            },
        },
    }));
    let out = generate(&input);
    assert_eq!(
        at(&out.converted, "/components/schemas/Node/properties/next"),
        &json!({"allOf": [{"$ref": "#/components/schemas/Node"}], "nullable": true})
    );
    let node = item(&out.code, "pub struct Node");
    has(node, "pub children: ::std::vec::Vec<Node>,");
    has(
        node,
        "pub next: ::std::option::Option<::std::boxed::Box<Node>>,",
    );
}

#[test]
fn constraints_next_to_a_reference_are_dropped_only_inside_its_cycle() {
    // `A` and `B` refer to each other; `C` refers into the cycle but is not
    // part of it, so its constraint next to the reference stays.
    let input = schemas(json!({
        "A": {"type": "object", "properties": {
            "b": {"allOf": [{"$ref": "#/components/schemas/B"}], "description": "to B", "required": ["x"]},
        }},
        "B": {"type": "object", "properties": {
            "a": {"allOf": [{"$ref": "#/components/schemas/A"}], "required": ["y"]},
        }},
        "C": {"type": "object", "properties": {
            "a": {"allOf": [{"$ref": "#/components/schemas/A"}], "required": ["z"]},
        }},
    }));
    let out = generate(&input);
    assert_eq!(
        at(&out.converted, "/components/schemas/A/properties/b"),
        &json!({"allOf": [{"$ref": "#/components/schemas/B"}], "description": "to B"})
    );
    assert_eq!(
        at(&out.converted, "/components/schemas/B/properties/a"),
        &json!({"allOf": [{"$ref": "#/components/schemas/A"}]})
    );
    assert_eq!(
        at(&out.converted, "/components/schemas/C/properties/a"),
        &json!({"allOf": [{"$ref": "#/components/schemas/A"}], "required": ["z"]})
    );
    let dropped: Vec<&str> = out
        .report
        .notes
        .iter()
        .filter(|n| n.message.contains("recursive reference"))
        .map(|n| n.pointer.as_str())
        .collect();
    assert_eq!(
        dropped,
        [
            "/components/schemas/A/properties/b",
            "/components/schemas/B/properties/a"
        ]
    );
}

#[test]
fn nullable_recursive_root_is_split_into_value() {
    let input = schemas(json!({
        "Tree": {
            "title": "Tree",
            "description": "a tree",
            "anyOf": [
                {
                    "type": "object",
                    "required": ["label"],
                    "properties": {
                        "label": {"type": "string"},
                        "child": {"$ref": "#/components/schemas/Tree"},
                    },
                },
                {"type": "null"},
            ],
        },
    }));
    let out = generate(&input);
    assert_eq!(
        at(&out.converted, "/components/schemas/Tree"),
        &json!({
            "allOf": [{"$ref": "#/components/schemas/TreeValue"}],
            "nullable": true,
            "title": "Tree",
            "description": "a tree",
        })
    );
    assert_eq!(
        at(&out.converted, "/components/schemas/TreeValue"),
        &json!({
            "description": "a tree",
            "type": "object",
            "required": ["label"],
            "properties": {
                "label": {"type": "string"},
                "child": {"$ref": "#/components/schemas/Tree"},
            },
        })
    );
    noted(
        &out.report,
        "/components/schemas/Tree",
        "split into `TreeValue`",
    );
    has(
        item(&out.code, "pub struct Tree"),
        "pub struct Tree(pub ::std::option::Option<TreeValue>);",
    );
    let value = item(&out.code, "pub struct TreeValue");
    has(value, "pub label: ::std::string::String,");
    has(
        value,
        "pub child: ::std::option::Option<::std::boxed::Box<Tree>>,",
    );
}

#[test]
fn additional_properties_true_false_and_schema() {
    let closed = |name: &str| {
        json!({
            "type": "object",
            "properties": {"a": {"type": "string", "title": name}},
            "additionalProperties": false,
        })
    };
    let input = doc(
        json!({
            "Open": {"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": true},
            "Counts": {"type": "object", "additionalProperties": {"type": "integer"}},
            "ClosedRequest": closed("x"),
            "ClosedResponse": closed("y"),
            "ClosedUnused": closed("z"),
            "Out": {
                "type": "object",
                "required": ["open", "counts", "closed"],
                "properties": {
                    "open": {"$ref": "#/components/schemas/Open"},
                    "counts": {"$ref": "#/components/schemas/Counts"},
                    "closed": {"$ref": "#/components/schemas/ClosedResponse"},
                },
            },
        }),
        json!({"/things": {"post": {
            "operationId": "make_thing",
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ClosedRequest"}}}},
            "responses": ok(json!({"$ref": "#/components/schemas/Out"})),
        }}}),
    );
    let out = generate(&input);
    let s = |name: &str| at(&out.converted, &format!("/components/schemas/{name}")).clone();
    assert_eq!(
        s("Open"),
        json!({"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": true})
    );
    assert_eq!(
        s("Counts"),
        json!({"type": "object", "additionalProperties": {"type": "integer"}})
    );
    assert_eq!(
        s("ClosedRequest"),
        json!({"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": false})
    );
    assert_eq!(
        s("ClosedResponse"),
        json!({"type": "object", "properties": {"a": {"type": "string"}}})
    );
    assert_eq!(
        s("ClosedUnused"),
        json!({"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": false})
    );
    has(
        &out.code,
        "pub struct Counts(pub ::std::collections::HashMap<::std::string::String, i64>);",
    );
    let deny = "#[serde(deny_unknown_fields)]";
    has(
        &out.code,
        &format!("{deny} #[non_exhaustive] pub struct ClosedRequest"),
    );
    lacks(
        &out.code,
        &format!("{deny} #[non_exhaustive] pub struct ClosedResponse"),
    );
    lacks(
        &out.code,
        &format!("{deny} #[non_exhaustive] pub struct Open"),
    );
}

#[test]
fn properties_named_like_constraint_keywords_survive() {
    let input = schemas(json!({
        "Range": {
            "type": "object",
            "required": ["minimum", "maximum"],
            "properties": {"minimum": {"type": "number"}, "maximum": {"type": "number"}, "pattern": {"type": "string"}},
        },
    }));
    let out = generate(&input);
    assert_eq!(
        at(&out.converted, "/components/schemas/Range/properties"),
        &json!({"minimum": {"type": "number"}, "maximum": {"type": "number"}, "pattern": {"type": "string"}})
    );
    let range = item(&out.code, "pub struct Range");
    has(range, "pub minimum: f64,");
    has(range, "pub maximum: f64,");
}

#[test]
fn property_named_default_loses_its_constraints() {
    let input = doc(
        json!({
            "Setting": {
                "type": "object",
                "required": ["default"],
                "properties": {"default": {"type": "integer", "minimum": 0, "maximum": 255}},
            },
        }),
        json!({"/settings": {"get": {"operationId": "get_setting", "responses": ok(json!({"$ref": "#/components/schemas/Setting"}))}}}),
    );
    let out = generate(&input);
    assert_eq!(
        at(
            &out.converted,
            "/components/schemas/Setting/properties/default"
        ),
        &json!({"type": "integer"})
    );
    has(item(&out.code, "pub struct Setting"), "pub default: i64,");
}

// ---------------------------------------------------------------------------
// Parameters
// ---------------------------------------------------------------------------

#[test]
fn header_cookie_and_array_query_parameters() {
    let input = doc(
        json!({}),
        json!({"/items": {"get": {
            "operationId": "list_items",
            "parameters": [
                {"name": "X-Trace", "in": "header", "schema": {"type": "string"}},
                {"name": "session", "in": "cookie", "schema": {"type": "string"}},
                {"name": "tags", "in": "query", "schema": {"type": "array", "items": {"type": "string"}}},
                {"name": "limit", "in": "query", "schema": {"anyOf": [{"type": "integer"}, {"type": "null"}]}},
                {"name": "X-Ids", "in": "header", "schema": {"type": "array", "items": {"type": "integer"}}},
                {"name": "X-Mode", "in": "header", "schema": {"type": ["string", "integer"]}},
            ],
            "responses": ok(json!({"type": "string"})),
        }}}),
    );
    let out = generate(&input);
    assert_eq!(
        at(&out.converted, "/paths/~1items/get/parameters"),
        &json!([
            {"name": "X-Trace", "in": "header", "schema": {"type": "string"}},
            {"name": "tags", "in": "query", "schema": {"type": "array", "items": {"type": "string"}}},
            {"name": "limit", "in": "query", "schema": {"type": "integer"}},
            {"name": "X-Ids", "in": "header", "schema": {"type": "string"}},
            {"name": "X-Mode", "in": "header", "schema": {"type": "string"}},
        ])
    );
    noted(
        &out.report,
        "/paths/~1items/get/parameters/1",
        "cookie parameter `session` dropped",
    );
    noted(
        &out.report,
        "/paths/~1items/get/parameters/4",
        "array header parameter",
    );
    noted(
        &out.report,
        "/paths/~1items/get/parameters/5",
        "union-typed header parameter",
    );
    let code = &out.code;
    has(code, "pub fn x_trace<V>(mut self, value: V) -> Self");
    has(code, "pub fn tags<V>(mut self, value: V) -> Self");
    has(code, "pub fn limit<V>(mut self, value: V) -> Self");
    has(code, "pub fn x_ids<V>(mut self, value: V) -> Self");
    // Nullability dropped: one `Option`, not `Option<Option<_>>`.
    has(code, "limit: Result<Option<i64>, String>,");
    lacks(code, "Option<Option<");
    lacks(code, "Option<::std::option::Option<");
    has(
        code,
        "tags: Result<Option<::std::vec::Vec<::std::string::String>>, String>,",
    );
    has(
        code,
        r#".query(&progenitor_client::QueryParam::new("tags", &tags))"#,
    );
    has(
        code,
        "x_ids: Result<Option<::std::string::String>, String>,",
    );
    has(
        code,
        r#"header_map.append("X-Ids", value.to_string().try_into()?);"#,
    );
    has(
        code,
        r#"header_map.append("X-Trace", value.to_string().try_into()?);"#,
    );
    has(
        code,
        r#"header_map.append("X-Mode", value.to_string().try_into()?);"#,
    );
    lacks(code, "session");
}

#[test]
fn path_level_ref_parameters_merge_with_operation_ref_parameters() {
    let input = json!({
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {"/jobs/{job_id}": {
            "parameters": [
                {"$ref": "#/components/parameters/JobId"},
                {"$ref": "#/components/parameters/Trace"},
            ],
            "get": {
                "operationId": "get_job",
                "parameters": [{"$ref": "#/components/parameters/Limit"}],
                "responses": ok(json!({"type": "string"})),
            },
        }},
        "components": {"parameters": {
            "JobId": {"name": "job_id", "in": "path", "required": true, "schema": {"type": "integer"}},
            "Trace": {"name": "X-Trace", "in": "header", "schema": {"type": "string"}},
            "Limit": {"name": "limit", "in": "query", "schema": {"type": "integer"}},
        }},
    });
    let (converted, report) = convert(&input);
    assert_eq!(
        at(&converted, "/paths/~1jobs~1{job_id}/get/parameters"),
        &json!([
            {"name": "limit", "in": "query", "schema": {"type": "integer"}},
            {"name": "job_id", "in": "path", "required": true, "schema": {"type": "integer"}},
            {"name": "X-Trace", "in": "header", "schema": {"type": "string"}},
        ])
    );
    assert!(report.notes.is_empty(), "{:#?}", report.notes);
}

#[test]
fn path_level_parameters_apply_to_each_operation() {
    let input = doc(
        json!({}),
        json!({"/jobs/{job_id}": {
            "parameters": [{"name": "job_id", "in": "path", "required": true, "schema": {"type": "integer"}}],
            "get": op("get_job"),
            "delete": op("delete_job"),
        }}),
    );
    let out = generate(&input);
    let param =
        json!([{"name": "job_id", "in": "path", "required": true, "schema": {"type": "integer"}}]);
    assert_eq!(
        at(&out.converted, "/paths/~1jobs~1{job_id}/get/parameters"),
        &param
    );
    assert_eq!(
        at(&out.converted, "/paths/~1jobs~1{job_id}/delete/parameters"),
        &param
    );
    assert!(
        at(&out.converted, "/paths/~1jobs~1{job_id}")
            .get("parameters")
            .is_none()
    );
    has(&out.code, "job_id: Result<i64, String>,");
}

// ---------------------------------------------------------------------------
// Request bodies
// ---------------------------------------------------------------------------

#[test]
fn multipart_body_without_form_support_skips_the_operation() {
    let input = doc(
        json!({}),
        json!({
            "/upload": {"post": {
                "operationId": "upload_file_upload_post",
                "requestBody": {"content": {"multipart/form-data": {
                    "schema": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}},
                }}},
                "responses": ok(json!({"type": "string"})),
            }},
            "/ping": {"get": op("ping")},
        }),
    );
    let out = generate(&input);
    assert_eq!(
        out.report.skipped,
        vec![note(
            "/paths/~1upload/post",
            "multipart/form-data request body (no form support configured: Options::form_support)",
        )]
    );
    assert!(
        out.converted["paths"].get("/upload").is_none(),
        "{:#}",
        out.converted["paths"]
    );
    assert_eq!(
        out.report.operations,
        vec![("ping".to_string(), "GET".to_string(), "/ping".to_string())]
    );
    has(&out.code, "pub fn ping(&self)");
    lacks(&out.code, "upload");
}

#[test]
fn form_beside_a_json_body_is_sent_by_a_method_of_its_own() {
    let input = doc(
        json!({
            "Meta": {"type": "object", "properties": {"name": {"type": "string"}}},
            "Body_upload": {"type": "object", "required": ["file"], "properties": {
                "file": {"type": "string", "format": "binary"},
                "note": {"type": "string"},
            }},
        }),
        json!({"/jobs/{job_id}/upload": {"post": {
            "operationId": "upload_jobs__job_id__upload_post",
            "parameters": [{"name": "job_id", "in": "path", "required": true,
                            "schema": {"type": "string"}}],
            "requestBody": {"required": true, "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Meta"}},
                "multipart/form-data": {"schema": {"$ref": "#/components/schemas/Body_upload"}},
            }},
            "responses": ok(json!({"type": "string"})),
        }}}),
    );
    let out = ionworks_codegen::generate(
        &bytes(&input),
        &Options::default().form_support("crate::upload"),
    )
    .unwrap();
    let path = "/jobs/{job_id}/upload".to_string();
    assert_eq!(
        out.report.operations,
        vec![
            ("upload".to_string(), "POST".to_string(), path.clone()),
            ("upload_form".to_string(), "POST".to_string(), path.clone()),
        ]
    );
    has(&out.code, "pub fn upload(&self)");
    has(&out.code, "pub fn upload_form(&self)");
    // Both send to the operation's path.
    assert_eq!(
        out.code.matches("\"{}/jobs/{}/upload\"").count(),
        2,
        "{}",
        out.code
    );
    has(
        &out.code,
        "pub fn file(mut self, part: crate::upload::FilePart) -> Self",
    );
    // Without form support, the JSON body is still sent; the form is not.
    let out = ionworks_codegen::generate(&bytes(&input), &Options::default()).unwrap();
    assert_eq!(
        out.report.operations,
        vec![("upload".to_string(), "POST".to_string(), path)]
    );
    assert_eq!(
        out.report
            .skipped
            .iter()
            .map(|n| (n.pointer.as_str(), n.message.as_str()))
            .collect::<Vec<_>>(),
        [(
            "/paths/~1jobs~1{job_id}~1upload/post",
            "multipart/form-data request body (no form support configured: Options::form_support)",
        )]
    );
}

#[test]
fn multipart_body_with_form_support_becomes_setters() {
    let input = doc(
        json!({"Body_upload": {"type": "object", "required": ["file"], "properties": {
            "file": {"type": "string", "contentMediaType": "application/octet-stream"},
            "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
            "note": {"type": "string", "maxLength": 5},
        }}}),
        json!({"/upload": {"post": {
            "operationId": "upload_file_upload_post",
            "requestBody": {"required": true, "content": {"multipart/form-data": {
                "schema": {"$ref": "#/components/schemas/Body_upload"},
            }}},
            "responses": ok(json!({"type": "string"})),
        }}}),
    );
    let out = ionworks_codegen::generate(
        &bytes(&input),
        &Options::default().form_support("crate::upload"),
    )
    .unwrap();
    assert!(out.report.skipped.is_empty(), "{:?}", out.report.skipped);
    // The body keeps its text fields; the files travel beside it.
    assert_eq!(
        at(&out.converted, "/components/schemas/Body_upload/properties"),
        &json!({"note": {"type": "string"}})
    );
    assert_eq!(
        at(&out.converted, "/paths/~1upload/post/x-ionworks-form"),
        &json!({"media": "multipart/form-data", "body": true, "files": [
            {"name": "file", "many": false, "required": true},
            {"name": "files", "many": true, "required": false},
        ]})
    );
    has(
        &out.code,
        "pub fn file(mut self, part: crate::upload::FilePart) -> Self",
    );
    has(
        &out.code,
        "I: ::std::iter::IntoIterator<Item = crate::upload::FilePart>",
    );
    has(&out.code, "pub fn note<V>(self, value: V) -> Self");
    has(&out.code, "crate::upload::Form::multipart()");
    lacks(&out.code, ".json(&body)");
}

#[test]
fn form_urlencoded_body_is_generated() {
    let input = doc(
        json!({"Login": {"type": "object", "required": ["user"], "properties": {"user": {"type": "string"}}}}),
        json!({"/login": {"post": {
            "operationId": "login",
            "requestBody": {"required": true, "content": {"application/x-www-form-urlencoded": {
                "schema": {"$ref": "#/components/schemas/Login"},
            }}},
            "responses": ok(json!({"type": "string"})),
        }}}),
    );
    let out = generate(&input);
    assert_eq!(
        at(&out.converted, "/paths/~1login/post/requestBody/content"),
        &json!({"application/x-www-form-urlencoded": {"schema": {"$ref": "#/components/schemas/Login"}}})
    );
    assert!(out.report.skipped.is_empty());
    has(&out.code, "pub fn login(&self)");
    // Without a support module, progenitor's own encoding.
    has(&out.code, ".form_urlencoded(&body)?");
}

#[test]
fn several_request_media_types_choose_json() {
    let input = doc(
        json!({"Job": {"type": "object", "properties": {"name": {"type": "string"}}}}),
        json!({"/jobs": {"post": {
            "operationId": "create_job",
            "requestBody": {"required": true, "content": {
                "multipart/form-data": {"schema": {"type": "object"}},
                "application/x-www-form-urlencoded": {"schema": {"$ref": "#/components/schemas/Job"}},
                "application/json": {"schema": {"$ref": "#/components/schemas/Job"}},
            }},
            "responses": ok(json!({"type": "string"})),
        }}}),
    );
    let out = generate(&input);
    assert_eq!(
        at(&out.converted, "/paths/~1jobs/post/requestBody/content"),
        &json!({"application/json": {"schema": {"$ref": "#/components/schemas/Job"}}})
    );
    noted(
        &out.report,
        "/paths/~1jobs/post/requestBody/content",
        "request body sent as application/json; alternative media types multipart/form-data, application/x-www-form-urlencoded dropped",
    );
    has(&out.code, ".json(&body)");
    lacks(&out.code, "form_urlencoded");
}

#[test]
fn request_bounds_are_checked_in_the_builder() {
    let input = doc(
        json!({
            "JobRequest": {
                "type": "object",
                "required": ["count", "name"],
                "properties": {
                    "count": {"type": "integer", "minimum": 1, "maximum": 10},
                    "name": {"type": "string", "minLength": 2, "maxLength": 8, "pattern": "^[a-z]+$"},
                    "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 3},
                    "ratio": {"type": "number", "multipleOf": 0.5},
                    "limit": {"anyOf": [{"type": "integer", "minimum": 1}, {"type": "null"}]},
                },
            },
        }),
        json!({"/jobs": {"post": {
            "operationId": "create_job",
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/JobRequest"}}}},
            "responses": ok(json!({"type": "string"})),
        }}}),
    );
    let out = generate(&input);
    assert_eq!(
        at(&out.converted, "/components/schemas/JobRequest/properties"),
        &json!({
            "count": {"type": "integer"},
            "name": {"type": "string"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "ratio": {"type": "number"},
            "limit": {"type": "integer", "nullable": true},
        })
    );
    let mut all = Vec::new();
    keys(&out.converted, &mut all);
    for k in [
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "minLength",
        "maxLength",
        "pattern",
        "minItems",
        "maxItems",
    ] {
        assert!(
            !all.iter().any(|a| a == k),
            "{k} left in the converted document"
        );
    }
    has(&out.code, "count: super::__support::check(");
    has(
        &out.code,
        r#"field: "JobRequest.count", minimum: Some(1f64), maximum: Some(10f64),"#,
    );
    has(&out.code, "name: super::__support::check(");
    has(&out.code, r#"field: "JobRequest.name","#);
    has(&out.code, "min_length: Some(2u64), max_length: Some(8u64),");
    has(&out.code, "limit: super::__support::check(");
    has(
        &out.code,
        r#"field: "JobRequest.limit", minimum: Some(1f64), maximum: None,"#,
    );
    // No bound to check: passed through.
    has(&out.code, "ratio: value.ratio?,");
    has(&out.code, "tags: value.tags?,");
    has(item(&out.code, "pub struct JobRequest"), "pub count: i64,");
}

#[test]
fn request_bounds_on_inline_body_are_checked_or_reported() {
    let input = doc(
        json!({}),
        json!({"/jobs": {"post": {
            "operationId": "create_job",
            "requestBody": {"required": true, "content": {"application/json": {"schema": {
                "type": "object",
                "required": ["count"],
                "properties": {"count": {"type": "integer", "minimum": 1, "maximum": 10}},
            }}}},
            "responses": ok(json!({"type": "string"})),
        }}}),
    );
    let out = generate(&input);
    assert_eq!(
        at(
            &out.converted,
            "/paths/~1jobs/post/requestBody/content/application~1json/schema/properties/count"
        ),
        &json!({"type": "integer"})
    );
    let enforced = out.code.contains("__support::check(");
    let reported = out.report.notes.iter().any(|n| n.message.contains("bound"));
    assert!(
        enforced || reported,
        "bound silently dropped; notes: {:#?}",
        out.report.notes
    );
}

// ---------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------

#[test]
fn text_plain_response_is_a_byte_stream() {
    let input = doc(
        json!({}),
        json!({"/logs": {"get": {
            "operationId": "get_logs",
            "responses": {"200": {"description": "ok", "content": {"text/plain": {"schema": {"type": "string"}}}}},
        }}}),
    );
    let out = generate(&input);
    assert_eq!(
        at(&out.converted, "/paths/~1logs/get/responses"),
        &json!({"200": {"description": "ok", "content": {"text/plain": {"schema": {"type": "string"}}}}})
    );
    has(
        &out.code,
        "pub async fn send(self) -> Result<ResponseValue<ByteStream>, Error<()>>",
    );
    has(&out.code, "200u16 => Ok(ResponseValue::stream(response)),");
}

#[test]
fn json_success_next_to_204_drops_the_204() {
    let input = doc(
        json!({}),
        json!({"/jobs": {"get": {
            "operationId": "list_jobs",
            "responses": {
                "200": {"description": "ok", "content": {"application/json": {"schema": {"type": "array", "items": {"type": "string"}}}}},
                "204": {"description": "nothing"},
            },
        }}}),
    );
    let out = generate(&input);
    assert_eq!(
        at(&out.converted, "/paths/~1jobs/get/responses"),
        &json!({"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "array", "items": {"type": "string"}}}}}})
    );
    noted(
        &out.report,
        "/paths/~1jobs/get/responses/204",
        "non-JSON response dropped",
    );
    has(
        &out.code,
        "Result<ResponseValue<::std::vec::Vec<::std::string::String>>, Error<()>>",
    );
    lacks(&out.code, "204u16");
}

#[test]
fn distinct_json_error_schemas_merge_into_one_of() {
    let input = doc(
        json!({
            "NotFound": {"type": "object", "required": ["detail"], "properties": {"detail": {"type": "string"}}},
            "Invalid": {"type": "object", "required": ["errors"], "properties": {"errors": {"type": "array", "items": {"type": "string"}}}},
        }),
        json!({"/jobs/{id}": {"get": {
            "operationId": "get_job",
            "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
            "responses": {
                "200": {"description": "ok", "content": {"application/json": {"schema": {"type": "string"}}}},
                "404": {"description": "missing", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NotFound"}}}},
                "422": {"description": "invalid", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Invalid"}}}},
            },
        }}}),
    );
    let out = generate(&input);
    let merged = json!({"oneOf": [
        {"$ref": "#/components/schemas/NotFound"},
        {"$ref": "#/components/schemas/Invalid"},
    ]});
    for status in ["404", "422"] {
        assert_eq!(
            at(
                &out.converted,
                &format!(
                    "/paths/~1jobs~1{{id}}/get/responses/{status}/content/application~1json/schema"
                )
            ),
            &merged,
            "{status}"
        );
    }
    noted(
        &out.report,
        "/paths/~1jobs~1{id}/get/responses",
        "error responses 404, 422 have different JSON bodies",
    );
    let error = item(&out.code, "pub enum GetJobResponse");
    has(error, "NotFound(NotFound)");
    has(error, "Invalid(Invalid)");
    has(
        &out.code,
        "Result<ResponseValue<::std::string::String>, Error<types::GetJobResponse>>",
    );
    has(&out.code, "404u16 => { Err(Error::ErrorResponse(");
    has(&out.code, "422u16 => { Err(Error::ErrorResponse(");
}

// ---------------------------------------------------------------------------
// Operations
// ---------------------------------------------------------------------------

#[test]
fn deprecated_operation_is_generated() {
    let mut old = op("old_thing");
    old["deprecated"] = json!(true);
    let input = doc(json!({}), json!({"/old": {"get": old}}));
    let out = generate(&input);
    assert_eq!(
        at(&out.converted, "/paths/~1old/get/deprecated"),
        &json!(true)
    );
    has(
        &out.code,
        "pub fn old_thing(&self) -> builder::OldThing<'_>",
    );
    assert_eq!(
        out.report.operations,
        vec![(
            "old_thing".to_string(),
            "GET".to_string(),
            "/old".to_string()
        )]
    );
}

#[test]
fn missing_operation_id_is_synthesised() {
    let input = doc(
        json!({}),
        json!({"/jobs/{job_id}": {"get": {
            "parameters": [{"name": "job_id", "in": "path", "required": true, "schema": {"type": "string"}}],
            "responses": ok(json!({"type": "string"})),
        }}}),
    );
    let out = generate(&input);
    assert_eq!(
        at(&out.converted, "/paths/~1jobs~1{job_id}/get/operationId"),
        &json!("get_jobs__job_id_")
    );
    assert!(out.report.notes.contains(&note(
        "/paths/~1jobs~1{job_id}/get",
        "no operationId; named `get_jobs__job_id_` from method and path",
    )));
    has(&out.code, "pub fn get_jobs_job_id(&self)");
}

#[test]
fn undeclared_path_parameter_is_added() {
    let input = doc(
        json!({}),
        json!({"/jobs/{job_id}/runs/{run}": {"get": op("get_run")}}),
    );
    let out = generate(&input);
    assert_eq!(
        at(
            &out.converted,
            "/paths/~1jobs~1{job_id}~1runs~1{run}/get/parameters"
        ),
        &json!([
            {"name": "job_id", "in": "path", "required": true, "schema": {"type": "string"}},
            {"name": "run", "in": "path", "required": true, "schema": {"type": "string"}},
        ])
    );
    noted(
        &out.report,
        "/paths/~1jobs~1{job_id}~1runs~1{run}/get",
        "path parameter `job_id` used in the path but not declared",
    );
    has(&out.code, "pub fn job_id<V>(mut self, value: V) -> Self");
    has(&out.code, "pub fn run<V>(mut self, value: V) -> Self");
}

// ---------------------------------------------------------------------------
// Enums, titles, defaults
// ---------------------------------------------------------------------------

#[test]
fn mixed_type_untyped_enum_is_split_into_one_of() {
    let input = prop(json!({"enum": ["auto", 1, 2, true]}));
    let out = generate(&input);
    assert_eq!(
        at(&out.converted, "/components/schemas/T/properties/x"),
        &json!({"oneOf": [
            {"type": "boolean", "enum": [true]},
            {"type": "integer", "enum": [1, 2]},
            {"type": "string", "enum": ["auto"]},
        ]})
    );
    has(item(&out.code, "pub struct T"), "pub x: TX,");
    has(
        &out.code,
        "#[serde(untagged)] #[non_exhaustive] pub enum TX {",
    );
    let tx = item(&out.code, "pub enum TX");
    has(tx, "Boolean(bool),");
    has(tx, "Integer(TxInteger),");
    has(tx, "String(TxString),");
}

#[test]
fn title_is_dropped_from_non_root_schemas() {
    let input = schemas(json!({
        "Job": {
            "title": "Job",
            "type": "object",
            "properties": {
                "name": {"title": "Name", "type": "string"},
                "spec": {"title": "Spec", "type": "object", "properties": {"n": {"title": "N", "type": "integer"}}},
            },
        },
    }));
    let out = generate(&input);
    assert_eq!(
        at(&out.converted, "/components/schemas/Job"),
        &json!({
            "title": "Job",
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "spec": {"type": "object", "properties": {"n": {"type": "integer"}}},
            },
        })
    );
    has(
        item(&out.code, "pub struct Job"),
        "pub spec: ::std::option::Option<JobSpec>,",
    );
    lacks(&out.code, "pub struct Spec");
}

#[test]
fn contradicting_default_is_dropped() {
    let input = schemas(json!({
        "T": {
            "type": "object",
            "properties": {
                "n": {"type": "integer", "default": "ten"},
                "mode": {"type": "string", "enum": ["a", "b"], "default": "c"},
                "ok": {"type": "integer", "default": 3},
            },
        },
    }));
    let out = generate(&input);
    let p = |name: &str| {
        at(
            &out.converted,
            &format!("/components/schemas/T/properties/{name}"),
        )
        .clone()
    };
    assert_eq!(p("n"), json!({"type": "integer"}));
    assert_eq!(p("mode"), json!({"type": "string", "enum": ["a", "b"]}));
    assert_eq!(p("ok"), json!({"type": "integer", "default": 3}));
    for name in ["n", "mode"] {
        noted(
            &out.report,
            &format!("/components/schemas/T/properties/{name}"),
            "default value contradicting the schema's type dropped",
        );
    }
    let t = item(&out.code, "pub struct T");
    has(t, "pub n: ::std::option::Option<i64>,");
    has(
        t,
        r#"#[serde(default = "defaults::default_u64::<i64, 3>")]"#,
    );
}

#[test]
fn open_enums_get_an_unknown_variant() {
    let input = schemas(json!({
        "Status": {"type": "string", "enum": ["queued", "running", "done"]},
        "Only": {"type": "string", "enum": ["only"]},
    }));
    let out = generate(&input);
    assert_eq!(
        at(&out.converted, "/components/schemas/Status"),
        &json!({"type": "string", "enum": ["queued", "running", "done"]})
    );
    let status = item(&out.code, "pub enum Status");
    has(status, "Queued,");
    has(status, "Unknown(::std::string::String),");
    has(&out.code, r#""running" => Self::Running,"#);
    has(&out.code, "impl<'de> ::serde::Deserialize<'de> for Status");
    let only = item(&out.code, "pub enum Only");
    has(only, "Only");
    lacks(only, "Unknown");
}

#[test]
fn date_time_fields_are_lenient() {
    let input = schemas(json!({
        "Run": {
            "type": "object",
            "required": ["started", "ended"],
            "properties": {
                "started": {"type": "string", "format": "date-time"},
                "ended": {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "null"}]},
                "seen": {"type": "string", "format": "date-time"},
            },
        },
    }));
    let out = generate(&input);
    assert_eq!(
        at(&out.converted, "/components/schemas/Run/properties/ended"),
        &json!({"type": "string", "format": "date-time", "nullable": true})
    );
    let run = item(&out.code, "pub struct Run");
    has(
        run,
        r#"#[serde(deserialize_with = "__support::datetime")]
        pub started: ::chrono::DateTime<::chrono::offset::Utc>,"#,
    );
    has(
        run,
        r#"#[serde(deserialize_with = "__support::datetime_opt")]
        pub ended: ::std::option::Option<::chrono::DateTime<::chrono::offset::Utc>>,"#,
    );
    has(
        run,
        r#"deserialize_with = "__support::datetime_opt")] pub seen:"#,
    );
}

// ---------------------------------------------------------------------------
// Operation names
// ---------------------------------------------------------------------------

#[test]
fn fastapi_suffix_is_stripped() {
    let input = doc(
        json!({}),
        json!({
            "/jobs": {"post": op("submit_job_jobs_post")},
            "/jobs/{job_id}": {"get": {
                "operationId": "get_job_jobs__job_id__get",
                "parameters": [{"name": "job_id", "in": "path", "required": true, "schema": {"type": "string"}}],
                "responses": ok(json!({"type": "string"})),
            }},
        }),
    );
    let out = generate(&input);
    assert_eq!(
        at(&out.converted, "/paths/~1jobs/post/operationId"),
        &json!("submit_job")
    );
    assert_eq!(
        at(&out.converted, "/paths/~1jobs~1{job_id}/get/operationId"),
        &json!("get_job")
    );
    assert_eq!(
        out.report.operations,
        vec![
            (
                "get_job".to_string(),
                "GET".to_string(),
                "/jobs/{job_id}".to_string()
            ),
            (
                "submit_job".to_string(),
                "POST".to_string(),
                "/jobs".to_string()
            ),
        ]
    );
    has(&out.code, "pub fn submit_job(&self)");
    has(&out.code, "pub fn get_job(&self)");
}

#[test]
fn short_operation_id_strips_only_the_fastapi_suffix() {
    use ionworks_codegen::short_operation_id;
    assert_eq!(
        short_operation_id("submit_job_jobs_post", "/jobs", "post").as_deref(),
        Some("submit_job")
    );
    assert_eq!(
        short_operation_id("get_job_jobs__job_id__get", "/jobs/{job_id}", "GET").as_deref(),
        Some("get_job")
    );
    assert_eq!(short_operation_id("submit_job", "/jobs", "post"), None);
    assert_eq!(
        short_operation_id("submit_job_jobs_get", "/jobs", "post"),
        None
    );
    assert_eq!(short_operation_id("_jobs_post", "/jobs", "post"), None);
}

#[test]
fn colliding_short_names_keep_their_long_forms() {
    let input = doc(
        json!({}),
        json!({
            "/a/items": {"get": op("list_items_a_items_get")},
            "/b/items": {"get": op("list_items_b_items_get")},
            "/jobs": {"get": op("list_jobs_jobs_get")},
        }),
    );
    let out = generate(&input);
    assert_eq!(
        at(&out.converted, "/paths/~1a~1items/get/operationId"),
        &json!("list_items_a_items_get")
    );
    assert_eq!(
        at(&out.converted, "/paths/~1b~1items/get/operationId"),
        &json!("list_items_b_items_get")
    );
    assert_eq!(
        at(&out.converted, "/paths/~1jobs/get/operationId"),
        &json!("list_jobs")
    );
    has(&out.code, "pub fn list_items_a_items_get(&self)");
    has(&out.code, "pub fn list_items_b_items_get(&self)");
    has(&out.code, "pub fn list_jobs(&self)");
}

#[test]
fn short_name_clashing_with_a_generated_type_keeps_its_long_form() {
    // progenitor names an inline body `{Operation}Body`: with a component of
    // that name, `submit_job` keeps its long name. An operation whose body
    // is a `$ref` names no type, so `ListRunsResponse` does not hold
    // `list_runs` back.
    let inline_body = json!({"content": {"application/json": {"schema":
        {"type": "object", "properties": {"n": {"type": "integer"}}}}}});
    let mut submit = op("submit_job_jobs_post");
    submit["requestBody"] = inline_body;
    let list = json!({"operationId": "list_runs_runs_get",
        "responses": ok(json!({"$ref": "#/components/schemas/ListRunsResponse"}))});
    let input = doc(
        json!({
            "SubmitJobBody": {"type": "object", "properties": {"name": {"type": "string"}}},
            "ListRunsResponse": {"type": "object", "properties": {"runs": {"type": "array", "items": {"type": "string"}}}},
        }),
        json!({
            "/jobs": {"post": submit},
            "/runs": {"post": op("submit_run_runs_post"), "get": list},
        }),
    );
    let out = generate(&input);
    assert_eq!(
        at(&out.converted, "/paths/~1jobs/post/operationId"),
        &json!("submit_job_jobs_post")
    );
    assert_eq!(
        at(&out.converted, "/paths/~1runs/post/operationId"),
        &json!("submit_run")
    );
    assert_eq!(
        at(&out.converted, "/paths/~1runs/get/operationId"),
        &json!("list_runs")
    );
    has(&out.code, "pub fn submit_job_jobs_post(&self)");
    has(&out.code, "pub fn submit_run(&self)");
    has(&out.code, "pub fn list_runs(&self)");
}

#[test]
fn duplicate_operation_ids_get_suffixes() {
    let input = doc(
        json!({}),
        json!({
            "/a": {"get": op("fetch")},
            "/b": {"get": op("fetch")},
        }),
    );
    let out = generate(&input);
    assert_eq!(
        at(&out.converted, "/paths/~1a/get/operationId"),
        &json!("fetch")
    );
    assert_eq!(
        at(&out.converted, "/paths/~1b/get/operationId"),
        &json!("fetch_2")
    );
    assert!(out.report.notes.contains(&note(
        "/paths/~1b/get",
        "duplicate operationId `fetch` (also at /paths/~1a/get, named `fetch`) named `fetch_2`"
    )));
    assert_eq!(out.report.warnings.len(), 1, "{:?}", out.report.warnings);
    has(&out.code, "pub fn fetch(&self)");
    has(&out.code, "pub fn fetch_2(&self)");
}

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

#[test]
fn error_not_json() {
    let err = assert_error(b"openapi: 3.1.0\n", "");
    assert_eq!(err.construct, "JSON");
}

#[test]
fn error_swagger_2() {
    let input = json!({"swagger": "2.0", "info": {"title": "t", "version": "1"}, "paths": {}});
    let err = assert_error(&bytes(&input), "/swagger");
    assert!(err.message.contains("Swagger 2.0"), "{err}");
}

#[test]
fn error_missing_openapi() {
    let input = json!({"info": {"title": "t", "version": "1"}, "paths": {}});
    assert_error(&bytes(&input), "/openapi");
}

#[test]
fn error_openapi_4() {
    let input = json!({"openapi": "4.0", "info": {"title": "t", "version": "1"}, "paths": {}});
    let err = assert_error(&bytes(&input), "/openapi");
    assert!(err.message.contains("\"4.0\""), "{err}");
}

#[test]
fn error_path_item_ref() {
    let input = json!({
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {"/jobs/{id}": {"$ref": "#/components/pathItems/Job"}},
        "components": {"pathItems": {"Job": {"get": op("get_job")}}},
    });
    let err = assert_error(&bytes(&input), "/paths/~1jobs~1{id}");
    assert_eq!(err.construct, "path item $ref");
}

#[test]
fn error_unresolved_parameter_ref() {
    let input = doc(
        json!({}),
        json!({"/jobs": {"get": {
            "operationId": "list_jobs",
            "parameters": [
                {"name": "limit", "in": "query", "schema": {"type": "integer"}},
                {"$ref": "#/components/parameters/Missing"},
            ],
            "responses": ok(json!({"type": "string"})),
        }}}),
    );
    let err = assert_error(&bytes(&input), "/paths/~1jobs/get/parameters/1");
    assert!(
        err.message.contains("#/components/parameters/Missing"),
        "{err}"
    );
}

#[test]
fn error_unresolved_path_level_parameter_ref() {
    let input = doc(
        json!({}),
        json!({"/jobs": {
            "parameters": [{"$ref": "#/components/parameters/Missing"}],
            "get": op("list_jobs"),
        }}),
    );
    assert_error(&bytes(&input), "/paths/~1jobs/parameters/0");
}

#[test]
fn code_blocks_in_descriptions_are_fenced_as_text() {
    let description = "Schedules runs.\n\nThe order:\n\n    - first\n    - second\n\n\
                       Example:\n\n```\nlet x = 1;\n```\n\n```json\n{\"a\": 1}\n```\n\
                       Args:\n    x: continues the paragraph";
    let input = schemas(json!({
        "T": {"type": "object", "description": description, "properties": {"x": {"type": "string"}}},
    }));
    let code = generate(&input).code;
    // The indented list and the bare fence would be compiled by rustdoc.
    has(
        &code,
        "The order:\n\n```text\n- first\n- second\n```\n\nExample:",
    );
    has(&code, "```text\nlet x = 1;\n```");
    // A fence with a language and indented paragraph text stay as they are.
    has(&code, "```json\n{\"a\": 1}\n```");
    has(&code, "Args:\n    x: continues the paragraph");
    assert!(!code.contains("\n    - first"), "{code}");
}

#[test]
fn sphinx_roles_become_code_spans() {
    let description = "Derived from :attr:`is_terminal` and :py:class:`~pkg.status.JobStatus`;\n\
                       see :meth:`the docs <Job.refresh>` and ``is_failed``.\n\n\
                       ```python\nx = \":attr:`kept`\"\n```\nA time 10:30 and a :not a role:`x`.";
    let input = schemas(json!({
        "T": {"type": "object", "description": description, "properties": {"x": {"type": "string"}}},
    }));
    let code = generate(&input).code;
    has(
        &code,
        "Derived from `is_terminal` and `JobStatus`;\nsee `the docs` and ``is_failed``.",
    );
    has(&code, "x = \":attr:`kept`\"");
    has(&code, "A time 10:30 and a :not a role:`x`.");
}

#[test]
fn a_description_beside_a_ref_documents_the_field() {
    let input = schemas(json!({
        "Kind": {"type": "string", "enum": ["a", "b"]},
        "T": {"type": "object", "required": ["kind"], "properties": {
            "kind": {"$ref": "#/components/schemas/Kind", "description": "Type of job to run"},
            "other": {"$ref": "#/components/schemas/Kind"},
        }},
    }));
    let code = generate(&input).code;
    has(&code, "///Type of job to run\n        pub kind: Kind,");
    // The referenced type itself is unchanged, and no new type appears.
    assert!(!code.contains("pub struct TKind"), "{code}");
}

#[test]
fn tag_features_gate_operations_and_the_types_only_they_reach() {
    let spec = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi.json")).unwrap();
    let options = Options::default().tag_features("api-");
    let code = ionworks_codegen::generate(&spec, &options).unwrap().code;
    let jobs = "#[cfg(any(feature = \"api-jobs\"))]";
    let optimizations = "#[cfg(any(feature = \"api-optimizations\"))]";
    // The operations, their builders…
    has(&code, &format!("{jobs} pub fn get_job(&self)"));
    has(
        &code,
        &format!("{optimizations} pub fn resubmit_optimization(&self)"),
    );
    has(&code, &format!("{jobs} pub struct GetJob<'a>"));
    // …the types one tag reaches, and their impls…
    has(&code, &format!("{jobs} pub struct JobResponse"));
    has(&code, &format!("{jobs} impl JobResponse"));
    has(
        &code,
        &format!("{optimizations} pub struct OptimizationResource"),
    );
    // …but not the types both tags share.
    lacks(&code, &format!("{jobs} pub struct HttpValidationError"));
    lacks(
        &code,
        &format!("{optimizations} pub struct HttpValidationError"),
    );
    let features = ionworks_codegen::tag_features(&serde_json::from_slice(&spec).unwrap(), "api-");
    for tag in [
        "api-jobs",
        "api-optimizations",
        "api-cell-specifications",
        "api-pipeline",
    ] {
        assert!(features.iter().any(|f| f == tag), "{features:?}");
    }
}

#[test]
fn request_builders_only_leaves_out_the_builders_of_what_only_answers_use() {
    let body = |name: &str| json!({"content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{name}")}}}});
    let object =
        |field: Value| json!({"type": "object", "required": ["x"], "properties": {"x": field}});
    let input = doc(
        json!({
            // Sent, and nested in what is sent.
            "Create": object(json!({"$ref": "#/components/schemas/Inner"})),
            "Inner": object(json!({"type": "string"})),
            // Sent and answered.
            "Both": object(json!({"type": "integer"})),
            // Only answered, and nested in what is only answered.
            "Answer": object(json!({"$ref": "#/components/schemas/Nested"})),
            "Nested": object(json!({"type": "string"})),
        }),
        json!({
            "/things": {"post": {
                "operationId": "create_thing",
                "requestBody": body("Create"),
                "responses": ok(json!({"$ref": "#/components/schemas/Answer"})),
            }},
            "/both": {"put": {
                "operationId": "put_both",
                "requestBody": body("Both"),
                "responses": ok(json!({"$ref": "#/components/schemas/Both"})),
            }},
        }),
    );
    let all = ionworks_codegen::generate(&bytes(&input), &Options::default()).unwrap();
    let only = ionworks_codegen::generate(
        &bytes(&input),
        &Options::default().request_builders_only(true),
    )
    .unwrap();
    for name in ["Create", "Inner", "Both", "Answer", "Nested"] {
        has(&all.code, &format!("pub fn builder() -> builder::{name}"));
    }
    for name in ["Create", "Inner", "Both"] {
        has(&only.code, &format!("pub fn builder() -> builder::{name}"));
        has(
            &only.code,
            &format!("impl ::std::convert::TryFrom<{name}> for super::{name}"),
        );
    }
    for name in ["Answer", "Nested"] {
        lacks(&only.code, &format!("pub fn builder() -> builder::{name}"));
        lacks(&only.code, &format!("for super::{name}"));
        // The type itself stays, whole.
        has(&only.code, &format!("pub struct {name} {{"));
    }
}
