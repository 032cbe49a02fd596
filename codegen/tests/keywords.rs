//! Keywords only where schemas are: a key is a keyword only in a schema
//! object; under `properties`, `patternProperties`, `$defs`, `definitions`,
//! `dependentSchemas` and `discriminator.mapping` keys are names, and under
//! `example`, `examples`, `default`, `enum` and `const` everything is data.
//! Each keyword the converter looks for is tried as a property name, as an
//! example value and as an enum value.

use ionworks_codegen::{Generated, Options};
use serde_json::{Value, json};

/// Every keyword a conversion rule looks for.
const KEYWORDS: [&str; 27] = [
    "$ref",
    "type",
    "enum",
    "nullable",
    "const",
    "items",
    "prefixItems",
    "properties",
    "additionalProperties",
    "allOf",
    "anyOf",
    "oneOf",
    "not",
    "default",
    "example",
    "examples",
    "format",
    "title",
    "description",
    "discriminator",
    "required",
    "minimum",
    "exclusiveMinimum",
    "maxLength",
    "pattern",
    "$defs",
    "contentMediaType",
];

/// A document whose component `T` is `schema`, sent and received by one operation.
fn document(schema: Value) -> Value {
    json!({
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {"/t": {"post": {
            "operationId": "put_t",
            "requestBody": {"required": true, "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/T"}}}},
            "responses": {"200": {"description": "ok", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/T"}}}}}
        }}},
        "components": {"schemas": {"T": schema}},
    })
}

#[track_caller]
fn generate(doc: &Value) -> Generated {
    let bytes = serde_json::to_vec(doc).expect("serializable");
    let out = ionworks_codegen::generate(&bytes, &Options::default())
        .unwrap_or_else(|e| panic!("generate failed on {doc:#}: {e}"));
    let (converted, _) = ionworks_codegen::convert(&bytes).expect("converts");
    assert_eq!(converted, out.converted);
    out
}

/// Whether `code` (pretty-printed) holds `needle`, whitespace aside.
fn contains(code: &str, needle: &str) -> bool {
    let squash = |s: &str| s.split_whitespace().collect::<String>();
    squash(code).contains(&squash(needle))
}

#[test]
fn keywords_as_property_names() {
    for keyword in KEYWORDS {
        let doc = document(json!({
            "type": "object",
            "required": [keyword],
            "properties": {
                keyword: {"type": "string"},
                "other": {"type": "integer"},
            },
        }));
        let out = generate(&doc);
        assert_eq!(
            out.converted
                .pointer("/components/schemas/T/properties")
                .and_then(Value::as_object)
                .map(|p| p.keys().cloned().collect::<Vec<_>>()),
            Some(vec![keyword.to_string(), "other".to_string()]),
            "{keyword}"
        );
        let field_name = heck::ToSnakeCase::to_snake_case(keyword);
        assert!(
            field_name == keyword
                || contains(&out.code, &format!("#[serde(rename = {keyword:?})]")),
            "{keyword}: no field renamed to it in\n{}",
            out.code
        );
    }
}

/// SCIM's group members: `members[].$ref` is a property named `$ref`.
#[test]
fn scim_member_ref_property_generates() {
    let doc = document(json!({
        "type": "object",
        "properties": {"members": {"type": "array", "items": {
            "type": "object",
            "properties": {
                "value": {"type": "string"},
                "$ref": {"type": "string", "format": "uri"},
                "display": {"type": "string"},
            },
        }}},
    }));
    let out = generate(&doc);
    assert!(
        contains(&out.code, "#[serde(rename = \"$ref\""),
        "{}",
        out.code
    );
    assert!(contains(&out.code, "pub ref_:"), "{}", out.code);
}

#[test]
fn keywords_in_names_of_other_maps() {
    for keyword in KEYWORDS {
        // `patternProperties`, `$defs`, `dependentSchemas` are dropped (they
        // only narrow validation); their keys are names all the same.
        let doc = document(json!({
            "type": "object",
            "properties": {"a": {"type": "string"}},
            "patternProperties": {keyword: {"type": "string"}},
            "$defs": {keyword: {"type": "integer"}},
            "definitions": {keyword: {"type": "integer"}},
            "dependentSchemas": {keyword: {"type": "object"}},
        }));
        generate(&doc);
        // A discriminator mapping's keys are tag values.
        let doc = json!({
            "openapi": "3.1.0",
            "info": {"title": "t", "version": "1"},
            "paths": {"/t": {"get": {"operationId": "get_t", "responses": {"200": {
                "description": "ok", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/U"}}}}}}}},
            "components": {"schemas": {
                "A": {"type": "object", "required": ["kind"], "properties": {"kind": {"const": keyword}}},
                "B": {"type": "object", "required": ["kind"], "properties": {"kind": {"const": "b"}}},
                "U": {
                    "oneOf": [{"$ref": "#/components/schemas/A"}, {"$ref": "#/components/schemas/B"}],
                    "discriminator": {"propertyName": "kind", "mapping": {
                        keyword: "#/components/schemas/A", "b": "#/components/schemas/B"}},
                },
            }},
        });
        generate(&doc);
    }
}

#[test]
fn keywords_in_example_values() {
    for keyword in KEYWORDS {
        let data = json!({keyword: 5, "nested": [{keyword: {"$ref": 7}}]});
        let doc = document(json!({
            "type": "object",
            "additionalProperties": true,
            "example": data,
            "examples": [data],
            "default": data,
            "properties": {"a": {"type": "object", "example": data, "examples": [data], "default": data}},
        }));
        let out = generate(&doc);
        assert_eq!(
            out.converted.pointer("/components/schemas/T/example"),
            Some(&data),
            "{keyword}"
        );
        // Examples of media types and example objects are data too.
        let mut doc = document(json!({"type": "object"}));
        doc["paths"]["/t"]["post"]["responses"]["200"]["content"]["application/json"]["example"] =
            data.clone();
        doc["paths"]["/t"]["post"]["requestBody"]["content"]["application/json"]["examples"] =
            json!({"one": {"value": data}});
        doc["components"]["examples"] = json!({"E": {"value": data}});
        generate(&doc);
    }
}

#[test]
fn keywords_as_enum_and_const_values() {
    for keyword in KEYWORDS {
        let doc = document(json!({
            "type": "object",
            "required": ["e", "c"],
            "properties": {
                "e": {"type": "string", "enum": [keyword, "other"]},
                "c": {"const": keyword},
                "o": {"enum": [{keyword: 1}, {"type": "x"}]},
            },
        }));
        let out = generate(&doc);
        assert!(
            contains(&out.code, &format!("=> {keyword:?}")),
            "{keyword}: the wire value is not in\n{}",
            out.code
        );
    }
}

/// typify names enum variants after their values, and panics ("Failed to
/// make unique variant names") when values differ only in case (SCIM's
/// PATCH operations). Each value gets a variant of its own and keeps its
/// exact wire form.
#[test]
fn enum_values_differing_only_in_case() {
    let values = ["add", "Add", "remove", "Remove", "replace", "Replace"];
    let doc = document(json!({
        "type": "object",
        "required": ["op"],
        "properties": {
            "op": {"type": "string", "enum": values, "default": "Remove"},
            "kind": {"type": "string", "enum": ["a-b", "a_b", "A B"]},
        },
    }));
    let out = generate(&doc);
    let code = &out.code;
    // The enum's `as_str` lists every variant with its wire value, and
    // `From<&str>` maps each wire value back to the same variant.
    let mut variants = Vec::new();
    for value in values {
        let arm = code
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with("Self::") && l.ends_with(&format!("=> {value:?},")))
            .unwrap_or_else(|| panic!("no as_str arm for {value:?} in\n{code}"));
        let variant = arm
            .trim_start_matches("Self::")
            .split_whitespace()
            .next()
            .expect("a variant")
            .to_string();
        assert!(
            contains(code, &format!("{value:?} => Self::{variant},")),
            "{value:?} does not parse back to {variant}"
        );
        variants.push(variant);
    }
    let mut distinct = variants.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), values.len(), "{variants:?}");
    // No placeholder reaches the generated code.
    assert!(!code.contains("\\u{1f}"), "{code}");
    // The default is still the value it names.
    let remove = &variants[3];
    assert!(
        contains(code, &format!("Self::{remove}")) && code.contains("fn default"),
        "{code}"
    );
}
