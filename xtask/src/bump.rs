//! `cargo xtask bump VERSION`: one version for `ionworks` and
//! `ionworks-codegen`, and the exact requirement (`=VERSION`) by which the
//! SDK's build depends on its generator.
//!
//! The manifests are edited line by line, keeping their layout and comments:
//! the `version` of `[package]` in `Cargo.toml` and `codegen/Cargo.toml`,
//! every requirement on `ionworks-codegen` in `Cargo.toml` (the workspace
//! dependency, or a dependency table of the package), and the two packages'
//! entries in `Cargo.lock`. Everything is read and checked before anything is
//! written; an error names the file and what was not found.

use std::ops::Range;
use std::path::Path;

use lexopt::prelude::*;

use crate::cli::{Error, Parser, Usage};

pub const USAGE: &str = "\
usage: cargo xtask bump VERSION

Set the version of both published crates, ionworks and ionworks-codegen, to
VERSION (e.g. 0.2.0 or 0.2.0-rc.1), and the requirement by which ionworks
builds with its generator to exactly that version (`=VERSION`, in the
workspace's dependencies); their entries in Cargo.lock follow. Every file is
read and checked before any is written. Prints each change, and the
dependency lines of README.md and src/lib.rs that still name the previous
release line.

options:
  --root DIR  the workspace to change (default: this one)
  -h, --help  print this help
";

pub fn run(mut parser: Parser) -> Result<(), Error> {
    let usage = Usage(USAGE);
    let (mut version, mut root) = (None, None);
    while let Some(arg) = usage.next(&mut parser)? {
        match arg {
            Short('h') | Long("help") => return usage.help(&mut parser),
            Long("root") => root = Some(usage.value(&mut parser, "root")?),
            Value(v) if version.is_none() => {
                version = Some(v.string().map_err(|e| usage.error(e.to_string()))?)
            }
            other => return Err(usage.unexpected(other)),
        }
    }
    let version = version.ok_or_else(|| usage.error("bump needs VERSION"))?;
    check_version(&version).map_err(|e| usage.error(e))?;
    for line in bump(&crate::cli::root(root), &version)? {
        println!("{line}");
    }
    Ok(())
}

/// The SDK's package, at the workspace root.
pub const SDK: &str = "ionworks";
/// The generator's package, in `codegen/`.
pub const CODEGEN: &str = "ionworks-codegen";

/// Checks `version` against Semantic Versioning 2.0.0, which is what cargo
/// accepts as a package version: `MAJOR.MINOR.PATCH`, then an optional
/// `-pre.release` and `+build` metadata.
pub fn check_version(version: &str) -> Result<(), String> {
    let fail = |why: &str| {
        Err(format!(
            "`{version}` is not a version (MAJOR.MINOR.PATCH, e.g. 0.2.0 or 0.2.0-rc.1): {why}"
        ))
    };
    if version.is_empty() {
        return fail("it is empty");
    }
    if version.starts_with(['v', 'V']) {
        return fail("no leading `v`");
    }
    let (rest, build) = match version.split_once('+') {
        Some((rest, build)) => (rest, Some(build)),
        None => (version, None),
    };
    let (core, pre) = match rest.split_once('-') {
        Some((core, pre)) => (core, Some(pre)),
        None => (rest, None),
    };
    let numbers: Vec<&str> = core.split('.').collect();
    if numbers.len() != 3 {
        return fail("it needs exactly three numbers separated by dots");
    }
    for (name, n) in ["major", "minor", "patch"].iter().zip(&numbers) {
        if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
            return fail(&format!("the {name} version `{n}` is not a number"));
        }
        if n.len() > 1 && n.starts_with('0') {
            return fail(&format!("the {name} version `{n}` has a leading zero"));
        }
        if n.parse::<u64>().is_err() {
            return fail(&format!("the {name} version `{n}` is too large"));
        }
    }
    for (what, part) in [("pre-release", pre), ("build metadata", build)] {
        let Some(part) = part else { continue };
        for id in part.split('.') {
            if id.is_empty() {
                return fail(&format!("the {what} `{part}` has an empty identifier"));
            }
            if !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
                return fail(&format!(
                    "the {what} identifier `{id}` may hold only ASCII letters, digits and `-`"
                ));
            }
            if what == "pre-release"
                && id.len() > 1
                && id.starts_with('0')
                && id.bytes().all(|b| b.is_ascii_digit())
            {
                return fail(&format!(
                    "the pre-release identifier `{id}` is a number with a leading zero"
                ));
            }
        }
    }
    Ok(())
}

/// One file's edit: its path relative to the root, and its new text.
struct Edit {
    file: &'static str,
    text: String,
}

/// Sets both packages to `version` and the pin to `=version` in the workspace
/// at `root`. Returns what changed, one line per edit, for the user.
pub fn bump(root: &Path, version: &str) -> Result<Vec<String>, String> {
    check_version(version)?;
    let mut report = Vec::new();
    let mut edits = Vec::new();

    let manifest = read(root, "Cargo.toml")?;
    let (mut text, old_sdk) = set_package_version(&manifest, "Cargo.toml", SDK, version)?;
    report.push(format!("Cargo.toml: {SDK} {old_sdk} -> {version}"));
    let pins = pin_requirements(&text);
    if pins.is_empty() {
        return Err(format!(
            "Cargo.toml: no requirement on {CODEGEN} with a `version` (expected \
             `{CODEGEN} = {{ path = \"codegen\", version = \"={old_sdk}\" }}` in \
             [workspace.dependencies])"
        ));
    }
    let pin = format!("={version}");
    for (table, range) in &pins {
        report.push(format!(
            "Cargo.toml: [{table}] {CODEGEN} {} -> {pin}",
            &text[range.clone()]
        ));
    }
    // Back to front, so that the ranges still to replace stay valid.
    for (_, range) in pins.into_iter().rev() {
        text.replace_range(range, &pin);
    }
    edits.push(Edit {
        file: "Cargo.toml",
        text,
    });

    let codegen = read(root, "codegen/Cargo.toml")?;
    let (text, old_codegen) =
        set_package_version(&codegen, "codegen/Cargo.toml", CODEGEN, version)?;
    report.push(format!(
        "codegen/Cargo.toml: {CODEGEN} {old_codegen} -> {version}"
    ));
    edits.push(Edit {
        file: "codegen/Cargo.toml",
        text,
    });

    // A workspace without a lock file gets one from its next cargo command.
    if root.join("Cargo.lock").exists() {
        let lock = read(root, "Cargo.lock")?;
        let text = set_lock_versions(&lock, &[SDK, CODEGEN], version)?;
        report.push(format!("Cargo.lock: {SDK}, {CODEGEN} -> {version}"));
        edits.push(Edit {
            file: "Cargo.lock",
            text,
        });
    }

    for edit in &edits {
        let path = root.join(edit.file);
        std::fs::write(&path, &edit.text)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    report.extend(stale_mentions(root, &old_sdk, version));
    Ok(report)
}

fn read(root: &Path, file: &str) -> Result<String, String> {
    let path = root.join(file);
    std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// The header of a table (`[name]` or `[[name]]`), without brackets and
/// spaces, or `None` for any other line.
fn table_header(line: &str) -> Option<String> {
    let line = line.trim();
    let line = line
        .split_once('#')
        .map_or(line, |(before, _)| before)
        .trim();
    let inner = line.strip_prefix('[')?.strip_suffix(']')?;
    let inner = inner
        .strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .unwrap_or(inner);
    Some(inner.chars().filter(|c| !c.is_whitespace()).collect())
}

/// The byte range, within `line`, of the basic string assigned to `key`
/// (`key = "…"`), where `key` starts the line or follows `{` or `,`.
fn string_value(line: &str, key: &str) -> Option<Range<usize>> {
    let mut from = 0;
    while let Some(at) = line[from..].find(key).map(|i| i + from) {
        from = at + key.len();
        let before = line[..at].trim_end();
        if !(before.is_empty() || before.ends_with('{') || before.ends_with(',')) {
            continue;
        }
        let after = &line[from..];
        let Some(value) = after.trim_start().strip_prefix('=') else {
            continue;
        };
        let Some(string) = value.trim_start().strip_prefix('"') else {
            continue;
        };
        let start = line.len() - string.len();
        let end = start + string.find('"')?;
        return Some(start..end);
    }
    None
}

/// The lines of `text` with the table each belongs to (`""` before the
/// first header) and its byte offset.
fn lines_in_tables(text: &str) -> Vec<(String, usize, &str)> {
    let mut table = String::new();
    let mut offset = 0;
    let mut out = Vec::new();
    for line in text.split_inclusive('\n') {
        if let Some(header) = table_header(line) {
            table = header;
        } else if !line.trim_start().starts_with('#') {
            out.push((table.clone(), offset, line));
        }
        offset += line.len();
    }
    out
}

/// `text` with `[package] version` set to `version`, and the old version.
/// The package must be named `name`, and its version written out (not
/// inherited from the workspace).
fn set_package_version(
    text: &str,
    file: &str,
    name: &str,
    version: &str,
) -> Result<(String, String), String> {
    let package: Vec<_> = lines_in_tables(text)
        .into_iter()
        .filter(|(table, _, _)| table == "package")
        .collect();
    if package.is_empty() {
        return Err(format!("{file}: no [package] table"));
    }
    let found_name = package
        .iter()
        .find_map(|(_, _, line)| string_value(line, "name").map(|r| &line[r]));
    if found_name != Some(name) {
        return Err(format!(
            "{file}: [package] is named {}, not {name}",
            found_name.map_or("nothing".to_string(), |n| format!("`{n}`"))
        ));
    }
    for (_, offset, line) in &package {
        if line.trim_start().starts_with("version.") {
            return Err(format!(
                "{file}: the version of {name} is inherited (`{}`); write it out in [package]",
                line.trim()
            ));
        }
        if let Some(range) = string_value(line, "version") {
            let old = line[range.clone()].to_string();
            let mut new = text.to_string();
            new.replace_range(offset + range.start..offset + range.end, version);
            return Ok((new, old));
        }
    }
    Err(format!(
        "{file}: [package] of {name} has no `version = \"…\"`"
    ))
}

fn is_dependency_table(table: &str) -> bool {
    ["dependencies", "dev-dependencies", "build-dependencies"]
        .iter()
        .any(|kind| table == *kind || table.ends_with(&format!(".{kind}")))
}

/// Every `version` requirement on the generator in a manifest, with its
/// table and byte range: `ionworks-codegen = { …, version = "…" }` or
/// `ionworks-codegen = "…"` in a dependency table (the workspace's
/// included), and `version = "…"` in a `[…dependencies.ionworks-codegen]`
/// table.
fn pin_requirements(text: &str) -> Vec<(String, Range<usize>)> {
    let mut pins = Vec::new();
    for (table, offset, line) in lines_in_tables(text) {
        let range = if table
            .strip_suffix(&format!(".{CODEGEN}"))
            .is_some_and(is_dependency_table)
        {
            string_value(line, "version")
        } else if is_dependency_table(&table) {
            let rest = line.trim_start();
            let rest = rest
                .strip_prefix(CODEGEN)
                .or_else(|| rest.strip_prefix(&format!("\"{CODEGEN}\"")));
            match rest.map(str::trim_start) {
                Some(value) if value.starts_with('=') => {
                    string_value(line, "version").or_else(|| {
                        // `ionworks-codegen = "…"`: the whole value is the requirement.
                        let string = value[1..].trim_start().strip_prefix('"')?;
                        let start = line.len() - string.len();
                        Some(start..start + string.find('"')?)
                    })
                }
                _ => None,
            }
        } else {
            None
        };
        if let Some(range) = range {
            pins.push((table, offset + range.start..offset + range.end));
        }
    }
    pins
}

/// `Cargo.lock` with the version of each of `names` set to `version`: the
/// workspace's own packages are the entries without a `source`.
fn set_lock_versions(text: &str, names: &[&str], version: &str) -> Result<String, String> {
    // Each `[[package]]` entry: the offset of its version string, its name,
    // and whether it has a source.
    struct Entry {
        name: Option<String>,
        version: Option<Range<usize>>,
        source: bool,
    }
    let mut entries: Vec<Entry> = Vec::new();
    let mut in_entry = false;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if let Some(header) = table_header(line) {
            // Another table (lock file version 1's [metadata]) ends the entries.
            in_entry = header == "package";
            if in_entry {
                entries.push(Entry {
                    name: None,
                    version: None,
                    source: false,
                });
            }
        } else if let Some(entry) = entries.last_mut().filter(|_| in_entry) {
            if let Some(r) = string_value(line, "name") {
                entry.name = Some(line[r].to_string());
            } else if let Some(r) = string_value(line, "version") {
                entry.version = Some(offset + r.start..offset + r.end);
            } else if string_value(line, "source").is_some() {
                entry.source = true;
            }
        }
        offset += line.len();
    }
    let mut ranges = Vec::new();
    for name in names {
        let mut found = entries
            .iter()
            .filter(|e| !e.source && e.name.as_deref() == Some(name));
        match (found.next(), found.next()) {
            (
                Some(Entry {
                    version: Some(r), ..
                }),
                None,
            ) => ranges.push(r.clone()),
            (Some(_), None) => {
                return Err(format!("Cargo.lock: the entry of {name} has no version"));
            }
            (None, _) => {
                return Err(format!(
                    "Cargo.lock: no entry for the workspace package {name} (is the lock \
                     file this workspace's?)"
                ));
            }
            (Some(_), Some(_)) => {
                return Err(format!(
                    "Cargo.lock: more than one entry for the workspace package {name}"
                ));
            }
        }
    }
    ranges.sort_by_key(|r| std::cmp::Reverse(r.start));
    let mut text = text.to_string();
    for range in ranges {
        text.replace_range(range, version);
    }
    Ok(text)
}

/// The caret requirement a user writes for `version`: `0.1` for 0.1.x,
/// `1` for 1.x.y.
fn compatible(version: &str) -> String {
    let mut parts = version.split(['.', '-', '+']);
    let major = parts.next().unwrap_or_default();
    let minor = parts.next().unwrap_or_default();
    if major == "0" {
        format!("0.{minor}")
    } else {
        major.to_string()
    }
}

/// The documentation's dependency lines that still name the old release
/// line (`ionworks = "0.1"`), when the new version starts another one.
fn stale_mentions(root: &Path, old: &str, new: &str) -> Vec<String> {
    let (old, new) = (compatible(old), compatible(new));
    if old == new {
        return Vec::new();
    }
    let needle = format!("\"{old}\"");
    let mut out = Vec::new();
    for file in ["README.md", "src/lib.rs"] {
        let Ok(text) = std::fs::read_to_string(root.join(file)) else {
            continue;
        };
        for (n, line) in text.lines().enumerate() {
            if line.contains(SDK) && line.contains(&needle) {
                out.push(format!(
                    "{file}:{}: still depends on {old}, not {new}: {}",
                    n + 1,
                    line.trim()
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        for ok in [
            "0.1.0",
            "1.22.333",
            "0.2.0-rc.1",
            "1.0.0-alpha-1+build.7",
            "0.1.0+x",
        ] {
            assert_eq!(check_version(ok), Ok(()), "{ok}");
        }
        for (bad, why) in [
            ("", "empty"),
            ("v0.2.0", "leading `v`"),
            ("0.2", "three numbers"),
            ("0.2.0.1", "three numbers"),
            ("0.x.0", "minor version `x`"),
            ("01.2.3", "leading zero"),
            ("0.2.0-", "empty identifier"),
            ("0.2.0-rc..1", "empty identifier"),
            ("0.2.0-01", "leading zero"),
            ("0.2.0+a_b", "`a_b`"),
            ("0.2.0 ", "patch version `0 `"),
            ("99999999999999999999.0.0", "too large"),
        ] {
            let e = check_version(bad).unwrap_err();
            assert!(e.contains(why), "{bad:?}: {e}");
            assert!(e.starts_with(&format!("`{bad}` is not a version")), "{e}");
        }
    }

    #[test]
    fn values_in_lines() {
        let line = "a = { path = \"x\", version = \"=0.1.0\" } # version = \"no\"\n";
        assert_eq!(&line[string_value(line, "version").unwrap()], "=0.1.0");
        assert_eq!(string_value("rust-version = \"1.88\"", "version"), None);
        assert_eq!(string_value("version.workspace = true", "version"), None);
        assert_eq!(table_header(" [[ package ]] # x"), Some("package".into()));
        assert_eq!(
            table_header("[target.'cfg(unix)'.dependencies]"),
            Some("target.'cfg(unix)'.dependencies".into())
        );
        assert_eq!(compatible("0.3.1-rc.1"), "0.3");
        assert_eq!(compatible("2.0.0"), "2");
    }
}
