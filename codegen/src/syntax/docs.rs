//! Doc comments made from the spec's prose must not become doctests.
//!
//! progenitor and typify copy `description`s into `#[doc]` attributes
//! verbatim. rustdoc reads them as Markdown and compiles every code block
//! whose language is empty or `rust` as a doctest: FastAPI docstrings are
//! full of indented lists ("    - Runs will be generated…" after a blank
//! line is an indented code block) and bare ``` fences, which then fail
//! `cargo test` of the crate that includes the generated code. Each run of
//! `#[doc]` attributes is rewritten so that such blocks are ```` ```text ````
//! fences: they render the same and are never compiled. Fences with another
//! language (`json`, `python`, progenitor's own `ignore` examples) are kept.
//!
//! FastAPI docstrings are also written for Sphinx: ``:attr:`is_terminal` ``
//! and ``:class:`~pkg.JobStatus` `` would show as-is. Such roles become
//! Markdown code spans (`` `is_terminal` ``, `` `JobStatus` ``).

use syn::visit_mut::{self, VisitMut};
use syn::{Attribute, Expr, ExprLit, Lit, LitStr, Meta};

/// Rewrite the doc comments of every item, field and variant in `file`.
pub(crate) fn fence_docs(file: &mut syn::File) {
    struct Fence;
    impl VisitMut for Fence {
        fn visit_item_mut(&mut self, item: &mut syn::Item) {
            if let Some(attrs) = item_attrs(item) {
                fence_attrs(attrs);
            }
            visit_mut::visit_item_mut(self, item);
        }
        fn visit_field_mut(&mut self, field: &mut syn::Field) {
            fence_attrs(&mut field.attrs);
            visit_mut::visit_field_mut(self, field);
        }
        fn visit_variant_mut(&mut self, variant: &mut syn::Variant) {
            fence_attrs(&mut variant.attrs);
            visit_mut::visit_variant_mut(self, variant);
        }
        fn visit_impl_item_fn_mut(&mut self, f: &mut syn::ImplItemFn) {
            fence_attrs(&mut f.attrs);
            visit_mut::visit_impl_item_fn_mut(self, f);
        }
        fn visit_trait_item_fn_mut(&mut self, f: &mut syn::TraitItemFn) {
            fence_attrs(&mut f.attrs);
            visit_mut::visit_trait_item_fn_mut(self, f);
        }
    }
    fence_attrs(&mut file.attrs);
    Fence.visit_file_mut(file);
}

fn item_attrs(item: &mut syn::Item) -> Option<&mut Vec<Attribute>> {
    use syn::Item;
    Some(match item {
        Item::Const(i) => &mut i.attrs,
        Item::Enum(i) => &mut i.attrs,
        Item::Fn(i) => &mut i.attrs,
        Item::Impl(i) => &mut i.attrs,
        Item::Mod(i) => &mut i.attrs,
        Item::Static(i) => &mut i.attrs,
        Item::Struct(i) => &mut i.attrs,
        Item::Trait(i) => &mut i.attrs,
        Item::Type(i) => &mut i.attrs,
        Item::Union(i) => &mut i.attrs,
        Item::Use(i) => &mut i.attrs,
        _ => return None,
    })
}

/// The text of a `#[doc = "..."]` attribute.
fn doc_text(attr: &Attribute) -> Option<String> {
    let Meta::NameValue(nv) = &attr.meta else {
        return None;
    };
    if !nv.path.is_ident("doc") {
        return None;
    }
    match &nv.value {
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) => Some(s.value()),
        _ => None,
    }
}

/// Each run of consecutive doc attributes is one Markdown document for
/// rustdoc (joined with newlines); a run that needs fencing becomes one
/// attribute.
fn fence_attrs(attrs: &mut Vec<Attribute>) {
    let mut i = 0;
    while i < attrs.len() {
        let mut end = i;
        let mut lines = Vec::new();
        while end < attrs.len()
            && attrs[end].style == attrs[i].style
            && let Some(text) = doc_text(&attrs[end])
        {
            lines.push(text);
            end += 1;
        }
        if lines.is_empty() {
            i += 1;
            continue;
        }
        let joined = lines.join("\n");
        let roles = sphinx_roles(&joined);
        let text = roles.as_deref().unwrap_or(&joined);
        if let Some(fenced) = fence_code(text).or(roles) {
            let mut attr = attrs[i].clone();
            let span = proc_macro2::Span::call_site();
            if let Meta::NameValue(nv) = &mut attr.meta {
                nv.value = Expr::Lit(ExprLit {
                    attrs: Vec::new(),
                    lit: Lit::Str(LitStr::new(&fenced, span)),
                });
            }
            attrs.splice(i..end, [attr]);
            end = i + 1;
        }
        i = end;
    }
}

/// Columns of leading whitespace (a tab counts four).
fn indent(line: &str) -> usize {
    line.chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .map(|c| if c == '\t' { 4 } else { 1 })
        .sum()
}

/// `line` without up to four columns of indentation.
fn dedent(line: &str) -> &str {
    let mut cols = 0;
    for (i, c) in line.char_indices() {
        if cols >= 4 || !(c == ' ' || c == '\t') {
            return &line[i..];
        }
        cols += if c == '\t' { 4 } else { 1 };
    }
    ""
}

/// An opening or closing fence: its character, length and info string.
fn fence(line: &str) -> Option<(char, usize, &str)> {
    if indent(line) >= 4 {
        return None;
    }
    let trimmed = line.trim_start();
    let c = trimmed.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let n = trimmed.chars().take_while(|x| *x == c).count();
    (n >= 3).then(|| (c, n, trimmed[n..].trim()))
}

/// `text` with every block rustdoc would compile turned into a `text`
/// fence, or `None` if it has none.
pub(crate) fn fence_code(text: &str) -> Option<String> {
    let mut out: Vec<String> = Vec::new();
    let mut changed = false;
    // The fence being inside of: (character, length).
    let mut open: Option<(char, usize)> = None;
    let mut indented = false;
    // Blank lines seen inside an indented block, kept until it goes on.
    let mut blanks = 0;
    // Whether an indented code block may start here: not in a paragraph.
    let mut may_start = true;
    for line in text.split('\n') {
        if let Some((c, n)) = open {
            out.push(line.to_owned());
            if fence(line).is_some_and(|(fc, fn_, info)| fc == c && fn_ >= n && info.is_empty()) {
                open = None;
                may_start = true;
            }
            continue;
        }
        let blank = line.trim().is_empty();
        if indented {
            if blank {
                blanks += 1;
                continue;
            }
            if indent(line) >= 4 {
                out.extend(std::iter::repeat_n(String::new(), blanks));
                blanks = 0;
                out.push(dedent(line).to_owned());
                continue;
            }
            out.push("```".to_owned());
            out.extend(std::iter::repeat_n(String::new(), blanks));
            blanks = 0;
            indented = false;
            may_start = true;
        }
        if let Some((c, n, info)) = fence(line) {
            let rust = info.is_empty() || info.split([',', ' ']).next() == Some("rust");
            if rust {
                let at = line.len() - line.trim_start().len();
                out.push(format!("{}{}text", &line[..at], c.to_string().repeat(n)));
                changed = true;
            } else {
                out.push(line.to_owned());
            }
            open = Some((c, n));
            continue;
        }
        if !blank && may_start && indent(line) >= 4 {
            out.push("```text".to_owned());
            out.push(dedent(line).to_owned());
            indented = true;
            changed = true;
            continue;
        }
        out.push(line.to_owned());
        // After a blank line or a heading, an indented line is code; after
        // paragraph text it continues the paragraph.
        may_start = blank || line.trim_start().starts_with('#');
    }
    if indented {
        out.push("```".to_owned());
        out.extend(std::iter::repeat_n(String::new(), blanks));
    }
    changed.then(|| out.join("\n"))
}

/// `text` with every Sphinx role (`:attr:`x``, `:py:class:`~a.B``,
/// `:meth:`title <target>``) turned into a code span of what Sphinx would
/// show, outside code fences; `None` if it has none.
pub(crate) fn sphinx_roles(text: &str) -> Option<String> {
    if !text.contains(":`") {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut changed = false;
    let mut fenced: Option<(char, usize)> = None;
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if let Some((c, n, info)) = fence(line) {
            match fenced {
                Some((fc, fn_)) if fc == c && n >= fn_ && info.is_empty() => fenced = None,
                Some(_) => {}
                None => fenced = Some((c, n)),
            }
            out.push_str(line);
            continue;
        }
        if fenced.is_some() {
            out.push_str(line);
            continue;
        }
        changed |= replace_roles(line, &mut out);
    }
    changed.then_some(out)
}

/// Appends `line` to `out` with its roles replaced; whether there were any.
fn replace_roles(line: &str, out: &mut String) -> bool {
    let mut rest = line;
    let mut changed = false;
    while let Some(at) = rest.find(":`") {
        // The role name: `:name:` or `:domain:name:` ending at `at`.
        let before = &rest[..at];
        let start = before
            .char_indices()
            .rev()
            .take_while(|(_, c)| c.is_ascii_alphanumeric() || matches!(c, ':' | '_' | '-'))
            .last()
            .map(|(i, _)| i);
        let role = start.map(|s| &before[s..]);
        let valid = role.is_some_and(|r| {
            r.starts_with(':')
                && r.len() > 1
                && r[1..].split(':').all(|part| {
                    !part.is_empty()
                        && part
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c == '_' || c == '-')
                })
        });
        let close = rest[at + 2..].find('`');
        match (valid, start, close) {
            (true, Some(start), Some(close)) => {
                let target = &rest[at + 2..at + 2 + close];
                // `title <target>` shows the title; `~a.b.C` shows `C`.
                let shown = match target.find(" <") {
                    Some(lt) if target.ends_with('>') => &target[..lt],
                    _ => target,
                };
                let shown = match shown.strip_prefix('~') {
                    Some(path) => path.rsplit('.').next().unwrap_or(path),
                    None => shown,
                };
                out.push_str(&rest[..start]);
                out.push('`');
                out.push_str(shown);
                out.push('`');
                rest = &rest[at + 2 + close + 1..];
                changed = true;
            }
            _ => {
                out.push_str(&rest[..at + 2]);
                rest = &rest[at + 2..];
            }
        }
    }
    out.push_str(rest);
    changed
}
