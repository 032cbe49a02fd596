//! Where schemas are, and so where keywords are.
//!
//! A key is a JSON Schema keyword (`$ref`, `type`, `enum`, `nullable`,
//! `const`, …) only in a schema object. Under `properties`,
//! `patternProperties`, `$defs`, `definitions` and `dependentSchemas` the
//! keys are names (SCIM's group members have a property named `$ref`); under
//! `example`, `examples`, `default`, `enum`, `const` and
//! `discriminator.mapping` everything is data. Every rule that visits the
//! subschemas of a schema, or the schemas of a document, does it through
//! this module.

use serde_json::Value;

use crate::error::Ptr;

/// Keywords whose value maps names to subschemas.
pub(crate) const SCHEMA_MAPS: [&str; 6] = [
    "properties",
    "patternProperties",
    "$defs",
    "definitions",
    "dependentSchemas",
    // draft-07: a name → schema, or name → list of names.
    "dependencies",
];

/// Keywords whose value is a list of subschemas.
pub(crate) const SCHEMA_LISTS: [&str; 4] = ["allOf", "anyOf", "oneOf", "prefixItems"];

/// Keywords whose value is one subschema (`items` may also be a draft-04
/// list of them).
pub(crate) const SCHEMA_SINGLES: [&str; 12] = [
    "items",
    "additionalProperties",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
    "unevaluatedItems",
    "unevaluatedProperties",
    "contentSchema",
    "additionalItems",
];

/// One step from a schema to one of its subschemas: the keyword, and the
/// name or index inside its value if it is a map or a list.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Step<'a> {
    /// `keyword` itself is the subschema.
    Keyword(&'a str),
    /// `keyword/name`.
    Named(&'a str, &'a str),
    /// `keyword/index`.
    Indexed(&'a str, usize),
}

impl Step<'_> {
    /// `ptr` followed by this step, given to `f` (a [`Ptr`] lives on the stack).
    pub(crate) fn under<R>(&self, ptr: &Ptr<'_>, f: impl FnOnce(&Ptr<'_>) -> R) -> R {
        match *self {
            Step::Keyword(k) => f(&ptr.key(k)),
            Step::Named(k, name) => f(&ptr.key(k).key(name)),
            Step::Indexed(k, i) => f(&ptr.key(k).index(i)),
        }
    }
}

/// Calls `f` on each direct subschema of the schema `v`, in the order of
/// `v`'s members.
pub(crate) fn each_subschema<'v, E>(
    v: &'v Value,
    mut f: impl FnMut(Step<'v>, &'v Value) -> Result<(), E>,
) -> Result<(), E> {
    let Value::Object(o) = v else { return Ok(()) };
    for (k, child) in o {
        let k = k.as_str();
        if SCHEMA_MAPS.contains(&k) {
            if let Value::Object(map) = child {
                for (name, s) in map {
                    f(Step::Named(k, name), s)?;
                }
            }
        } else if SCHEMA_LISTS.contains(&k) || (k == "items" && child.is_array()) {
            if let Value::Array(list) = child {
                for (i, s) in list.iter().enumerate() {
                    f(Step::Indexed(k, i), s)?;
                }
            }
        } else if SCHEMA_SINGLES.contains(&k) {
            f(Step::Keyword(k), child)?;
        }
    }
    Ok(())
}

/// [`each_subschema`] for changing them.
pub(crate) fn each_subschema_mut(v: &mut Value, mut f: impl FnMut(Step<'_>, &mut Value)) {
    let Value::Object(o) = v else { return };
    for (k, child) in o.iter_mut() {
        let k = k.as_str();
        if SCHEMA_MAPS.contains(&k) {
            if let Value::Object(map) = child {
                for (name, s) in map.iter_mut() {
                    f(Step::Named(k, name), s);
                }
            }
        } else if SCHEMA_LISTS.contains(&k) || (k == "items" && child.is_array()) {
            if let Value::Array(list) = child {
                for (i, s) in list.iter_mut().enumerate() {
                    f(Step::Indexed(k, i), s);
                }
            }
        } else if SCHEMA_SINGLES.contains(&k) {
            f(Step::Keyword(k), child);
        }
    }
}

/// Whether the JSON pointer `tokens` (escaped, each after a `/`), read from
/// a schema, leads to a subschema of it: `properties/name`, `items`,
/// `anyOf/0`, ….
pub(crate) fn is_subschema_path(tokens: &str) -> bool {
    let mut tokens = tokens.split('/');
    while let Some(keyword) = tokens.next() {
        let keyword = keyword.replace("~1", "/").replace("~0", "~");
        let keyword = keyword.as_str();
        if SCHEMA_MAPS.contains(&keyword) {
            if tokens.next().is_none() {
                return false;
            }
        } else if SCHEMA_LISTS.contains(&keyword) {
            if tokens.next().is_none_or(|i| i.parse::<usize>().is_err()) {
                return false;
            }
        } else if !SCHEMA_SINGLES.contains(&keyword) {
            return false;
        }
    }
    true
}

/// Where a value sits in an OpenAPI document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Place {
    /// The document's own structure (path items, operations, parameters,
    /// media types, responses, components): a `$ref` key is a Reference
    /// Object.
    Document,
    /// A schema object.
    Schema,
}

/// Calls `f` on the value of every `$ref` key of `v` (at `place`) where it
/// is a reference, with the pointer and place of the object holding it:
/// never in examples, defaults, enum or const values, extensions, or as the
/// name of a property.
pub(crate) fn each_ref<'v, E>(
    v: &'v Value,
    place: Place,
    ptr: &Ptr<'_>,
    f: &mut impl FnMut(&'v Value, &Ptr<'_>, Place) -> Result<(), E>,
) -> Result<(), E> {
    match v {
        Value::Object(o) => {
            if let Some(r) = o.get("$ref") {
                f(r, ptr, place)?;
            }
            match place {
                Place::Schema => each_subschema(v, |step, s| {
                    step.under(ptr, |p| each_ref(s, Place::Schema, p, f))
                }),
                Place::Document => {
                    for (k, c) in o {
                        match k.as_str() {
                            "schema" => each_ref(c, Place::Schema, &ptr.key(k), f)?,
                            "schemas" => {
                                if let Value::Object(map) = c {
                                    let at = ptr.key(k);
                                    for (name, s) in map {
                                        each_ref(s, Place::Schema, &at.key(name), f)?;
                                    }
                                }
                            }
                            // Data: examples, example values, extensions.
                            "example" | "examples" | "value" => {}
                            k if k.starts_with("x-") => {}
                            _ => each_ref(c, Place::Document, &ptr.key(k), f)?,
                        }
                    }
                    Ok(())
                }
            }
        }
        Value::Array(a) if place == Place::Document => a
            .iter()
            .enumerate()
            .try_for_each(|(i, c)| each_ref(c, place, &ptr.index(i), f)),
        _ => Ok(()),
    }
}
