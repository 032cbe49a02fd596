//! The operator strings that the API's filter parameters take (`name`,
//! `status`, `created_by_email`, …): `eq.X`, `ilike.%x%`, `in.(a,b)`,
//! `gte.X`, `lte.X`. A plain value is an exact match too.
//!
//! ```
//! use ionworks::pages::filter;
//!
//! # async fn run(client: &ionworks::Client) -> ionworks::Result<()> {
//! let nmc = client
//!     .list_materials()
//!     .project_id("project-1")
//!     .name(filter::contains("NMC"))
//!     .collect_all()
//!     .await?;
//! # Ok(()) }
//! ```

use std::fmt::Display;

/// Equal to `value`.
///
/// ```
/// assert_eq!(ionworks::pages::filter::eq("18650"), "eq.18650");
/// ```
pub fn eq(value: impl Display) -> String {
    format!("eq.{value}")
}

/// Matches the case-insensitive `pattern`, in which `%` is any run of
/// characters and `_` any one character.
///
/// ```
/// assert_eq!(ionworks::pages::filter::ilike("%@example.com"), "ilike.%@example.com");
/// ```
pub fn ilike(pattern: impl Display) -> String {
    format!("ilike.{pattern}")
}

/// Holds `text`, whatever its case: `ilike.%text%`, with `%`, `_` and `\`
/// in `text` escaped by a `\` (so that they match themselves).
///
/// ```
/// use ionworks::pages::filter::contains;
///
/// assert_eq!(contains("NMC"), "ilike.%NMC%");
/// assert_eq!(contains("50%_SOC"), r"ilike.%50\%\_SOC%");
/// ```
pub fn contains(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len() + 2);
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    format!("ilike.%{escaped}%")
}

/// One of `values`: `in.(a,b)`. A value holding a reserved character
/// (`,`, `(`, `)`, `"`, `\`, a leading or trailing space) or empty is
/// double-quoted, with `"` and `\` escaped by a `\`.
///
/// ```
/// use ionworks::pages::filter::in_;
///
/// assert_eq!(in_(["completed", "failed"]), "in.(completed,failed)");
/// assert_eq!(in_(["a,b", "say \"hi\""]), r#"in.("a,b","say \"hi\"")"#);
/// ```
pub fn in_<I>(values: I) -> String
where
    I: IntoIterator,
    I::Item: Display,
{
    let quoted: Vec<String> = values
        .into_iter()
        .map(|value| quote(&value.to_string()))
        .collect();
    format!("in.({})", quoted.join(","))
}

/// Greater than or equal to `value` (a date, a number).
///
/// ```
/// assert_eq!(ionworks::pages::filter::gte("2025-01-01"), "gte.2025-01-01");
/// ```
pub fn gte(value: impl Display) -> String {
    format!("gte.{value}")
}

/// Less than or equal to `value` (a date, a number).
///
/// ```
/// assert_eq!(ionworks::pages::filter::lte(4.2), "lte.4.2");
/// ```
pub fn lte(value: impl Display) -> String {
    format!("lte.{value}")
}

/// `value` as one element of an `in.(…)` list.
fn quote(value: &str) -> String {
    let reserved = value.is_empty()
        || value.starts_with(' ')
        || value.ends_with(' ')
        || value.contains([',', '(', ')', '"', '\\']);
    if !reserved {
        return value.to_string();
    }
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_or_spaced_value_is_quoted() {
        assert_eq!(in_(["", " a", "b"]), r#"in.(""," a",b)"#);
        assert_eq!(in_(Vec::<String>::new()), "in.()");
        assert_eq!(in_([r"back\slash"]), r#"in.("back\\slash")"#);
    }
}
