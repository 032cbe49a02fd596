//! `const` and `enum`.
//!
//! * JSON Schema 2020-12 `const` becomes a one-value 3.0 `enum` (which keeps
//!   the tags of discriminated unions decodable: typify makes them closed
//!   one-variant enums).
//! * A `null` among the values becomes `nullable: true`; values of several
//!   JSON types become a `oneOf` of one typed `enum` per type (typify 0.8
//!   panics "multiple implied types for an un-typed enum"); enums of objects
//!   or arrays fall back to their base type.
//! * String values whose Rust variant names would collide (values that
//!   differ only in case) are numbered so that typify names them apart
//!   (typify panics "Failed to make unique variant names"); the rewrite
//!   restores their exact wire values.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use super::{json_type, member, member_mut, take_member};
use crate::error::{Ptr, Report};

/// `const` → a one-value `enum`.
pub(super) fn const_to_enum(o: &mut Map<String, Value>) {
    // `const` → single-value `enum` (keeps discriminated unions decodable).
    if let Some(c) = take_member(o, "const") {
        o.entry("enum").or_insert_with(|| json!([c]));
    }
}

/// Enum values: strip `null` into `nullable`, split untyped mixed enums
/// (typify: "multiple implied types for an un-typed enum" panic).
pub(super) fn values(o: &mut Map<String, Value>, ptr: &Ptr<'_>, report: &mut Report) {
    let Some(Value::Array(values)) = member(o, "enum").cloned() else {
        if member(o, "enum").is_some() {
            take_member(o, "enum");
        }
        return;
    };
    if values.is_empty() {
        take_member(o, "enum");
        return;
    }
    if values.len() == 1 && values[0].is_null() {
        return;
    }
    let has_null = values.iter().any(Value::is_null);
    let non_null: Vec<Value> = values.into_iter().filter(|v| !v.is_null()).collect();
    if non_null.iter().any(|v| v.is_object() || v.is_array()) {
        take_member(o, "enum");
        report.note(ptr, "enum of objects or arrays generated as its base type");
        return;
    }
    let mut groups: BTreeMap<&'static str, Vec<Value>> = BTreeMap::new();
    for v in non_null {
        let t = match json_type(&v) {
            "integer" if member(o, "type") == Some(&json!("number")) => "number",
            t => t,
        };
        groups.entry(t).or_default().push(v);
    }
    if has_null {
        o.insert("nullable".into(), json!(true));
    }
    if let Some(strings) = groups.get_mut("string") {
        let renamed = distinct_variant_names(strings);
        if let Some(Value::String(d)) = member_mut(o, "default")
            && let Some((_, placeholder)) = renamed.iter().find(|(wire, _)| wire == d)
        {
            *d = placeholder.clone();
        }
    }
    if groups.len() == 1 {
        let (t, vals) = groups.into_iter().next().expect("one");
        o.insert("enum".into(), Value::Array(vals));
        o.entry("type").or_insert_with(|| json!(t));
    } else {
        take_member(o, "enum");
        take_member(o, "type");
        let branches: Vec<Value> = groups
            .into_iter()
            .map(|(t, vals)| json!({"type": t, "enum": vals}))
            .collect();
        o.insert("oneOf".into(), Value::Array(branches));
    }
}

/// Separates a string enum value from the number that gives its variant a
/// name of its own (see [`distinct_variant_names`]); the rewrite of open
/// enums keeps only what is before it.
pub(crate) const VARIANT_SEPARATOR: char = '\u{1f}';

/// typify 0.8 names the variants of a string enum after their values
/// (`TypeEntryEnum::from_metadata` in `typify-impl/src/type_entry.rs`:
/// Pascal case, then, if that collides, with `_` and other non-identifier
/// characters spelled `X`) and panics "Failed to make unique variant names"
/// when both collide, as values that differ only in case do (SCIM's `add`,
/// `Add`). Then each colliding value after the first becomes
/// `value\u{1f}n` (variant `ValueN`), which the rewrite turns back into
/// `value` on the wire; exact duplicates are dropped. Returns the
/// `(value, placeholder)` pairs.
pub(super) fn distinct_variant_names(values: &mut Vec<Value>) -> Vec<(String, String)> {
    use heck::ToPascalCase;
    fn first_pass(v: &str) -> String {
        v.replace('\'', "")
            .replace(|c: char| !(c.is_alphanumeric() || c == '_'), "-")
            .to_pascal_case()
    }
    fn second_pass(v: &str) -> String {
        first_pass(&v.replace(|c: char| !c.is_alphanumeric(), "X"))
    }
    let strings: Vec<&str> = values.iter().filter_map(Value::as_str).collect();
    let unique = |name: fn(&str) -> String| {
        let mut names: Vec<String> = strings.iter().map(|v| name(v)).collect();
        names.sort();
        names.windows(2).all(|w| w[0] != w[1])
    };
    if unique(first_pass) || unique(second_pass) {
        return Vec::new();
    }
    let mut seen_values = BTreeSet::new();
    values.retain(|v| seen_values.insert(v.to_string()));
    let mut names: BTreeSet<String> = values
        .iter()
        .filter_map(Value::as_str)
        .map(first_pass)
        .collect();
    let mut taken = BTreeSet::new();
    let mut renamed = Vec::new();
    for v in values.iter_mut() {
        let Value::String(text) = v else { continue };
        if taken.insert(first_pass(text)) {
            continue;
        }
        let placeholder = (2..)
            .map(|n| format!("{text}{VARIANT_SEPARATOR}{n}"))
            .find(|p| !names.contains(&first_pass(p)))
            .expect("an unused number");
        names.insert(first_pass(&placeholder));
        taken.insert(first_pass(&placeholder));
        renamed.push((text.clone(), placeholder.clone()));
        *text = placeholder;
    }
    renamed
}
