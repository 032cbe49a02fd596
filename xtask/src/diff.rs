//! What a spec change means for a Rust caller: every added, removed or
//! changed operation, type, field and variant, classified as breaking,
//! additive or cosmetic, with a semver suggestion.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;

use crate::surface::{OperationSig, Surface, TypeKind, TypeSig};

/// How a change affects code that uses the SDK.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Impact {
    /// Documentation only: no Rust code can tell.
    Cosmetic,
    /// New API; existing code keeps compiling and behaving.
    Additive,
    /// Existing code may stop compiling or decoding.
    Breaking,
}

impl Impact {
    fn label(self) -> &'static str {
        match self {
            Impact::Cosmetic => "cosmetic",
            Impact::Additive => "additive",
            Impact::Breaking => "breaking",
        }
    }
}

/// One classified change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Its effect on callers.
    pub impact: Impact,
    /// What changed (`operation get_job`, `field JobResponse.status`).
    pub subject: String,
    /// How, in a few words.
    pub detail: String,
}

/// Every change between two versions of the spec.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeReport {
    /// Changes, breaking first.
    pub changes: Vec<Change>,
}

impl ChangeReport {
    /// The strongest impact, or `None` when nothing changed.
    pub fn verdict(&self) -> Option<Impact> {
        self.changes.iter().map(|c| c.impact).max()
    }

    /// The version bump this change calls for, given the current version
    /// (`0.x`: breaking → minor, otherwise patch; `≥ 1`: breaking → major,
    /// additive → minor, cosmetic → patch).
    ///
    /// ```
    /// use xtask::{Change, ChangeReport, Impact};
    /// let report = ChangeReport { changes: vec![Change {
    ///     impact: Impact::Breaking, subject: "operation get_job".into(), detail: "removed".into() }] };
    /// assert_eq!(report.semver("0.1.0"), "minor");
    /// assert_eq!(report.semver("1.2.3"), "major");
    /// ```
    pub fn semver(&self, current: &str) -> &'static str {
        let pre_1 = current.starts_with("0.");
        match (self.verdict(), pre_1) {
            (None, _) => "none",
            (Some(Impact::Breaking), true) => "minor",
            (Some(Impact::Breaking), false) => "major",
            (Some(Impact::Additive), false) => "minor",
            (Some(_), _) => "patch",
        }
    }

    /// A short summary for a terminal.
    pub fn summary(&self, current: &str) -> String {
        if self.changes.is_empty() {
            return "no changes".to_string();
        }
        let count = |i: Impact| self.changes.iter().filter(|c| c.impact == i).count();
        format!(
            "{} breaking, {} additive, {} cosmetic change(s); suggested version bump: {}",
            count(Impact::Breaking),
            count(Impact::Additive),
            count(Impact::Cosmetic),
            self.semver(current)
        )
    }

    /// Markdown for a pull-request description.
    pub fn markdown(&self, current: &str) -> String {
        let mut out = String::from("## API change report\n\n");
        let _ = writeln!(out, "**{}**\n", self.summary(current));
        for impact in [Impact::Breaking, Impact::Additive, Impact::Cosmetic] {
            let rows: Vec<&Change> = self.changes.iter().filter(|c| c.impact == impact).collect();
            if rows.is_empty() {
                continue;
            }
            let _ = writeln!(out, "### {} ({})\n", impact.label(), rows.len());
            for c in rows {
                let _ = writeln!(out, "- `{}`: {}", c.subject, c.detail);
            }
            out.push('\n');
        }
        out
    }
}

fn push(out: &mut Vec<Change>, impact: Impact, subject: String, detail: impl Into<String>) {
    out.push(Change {
        impact,
        subject,
        detail: detail.into(),
    });
}

/// Compare two surfaces (and the two documents, for documentation-only changes).
pub fn compare(old: &Surface, new: &Surface, old_doc: &Value, new_doc: &Value) -> ChangeReport {
    let mut changes = Vec::new();
    compare_operations(old, new, &mut changes);
    compare_types(old, new, &mut changes);
    let mut docs = Vec::new();
    documentation_changes(old_doc, new_doc, "", &mut docs);
    for pointer in docs {
        push(
            &mut changes,
            Impact::Cosmetic,
            pointer,
            "documentation changed",
        );
    }
    changes.sort_by(|a, b| {
        b.impact
            .cmp(&a.impact)
            .then_with(|| a.subject.cmp(&b.subject))
    });
    ChangeReport { changes }
}

fn compare_operations(old: &Surface, new: &Surface, out: &mut Vec<Change>) {
    let old_ops: BTreeMap<&str, &OperationSig> = old
        .operations
        .iter()
        .map(|o| (o.name.as_str(), o))
        .collect();
    let new_ops: BTreeMap<&str, &OperationSig> = new
        .operations
        .iter()
        .map(|o| (o.name.as_str(), o))
        .collect();
    for (name, o) in &old_ops {
        let subject = format!("operation {name}");
        let Some(n) = new_ops.get(name) else {
            let detail = match new.skipped.iter().find(|s| s.name == *name) {
                Some(s) => format!(
                    "no longer generated ({} {}): {}",
                    s.method, s.path, s.reason
                ),
                None => format!("removed ({} {})", o.method, o.path),
            };
            push(out, Impact::Breaking, subject, detail);
            continue;
        };
        if (o.method.as_str(), o.path.as_str()) != (n.method.as_str(), n.path.as_str()) {
            push(
                out,
                Impact::Breaking,
                subject.clone(),
                format!(
                    "moved from {} {} to {} {}",
                    o.method, o.path, n.method, n.path
                ),
            );
        }
        for p in &o.params {
            match n.params.iter().find(|q| q.name == p.name) {
                None => push(
                    out,
                    Impact::Breaking,
                    format!("{subject} parameter {}", p.name),
                    "removed",
                ),
                Some(q) if q.ty != p.ty || q.location != p.location => push(
                    out,
                    Impact::Breaking,
                    format!("{subject} parameter {}", p.name),
                    format!(
                        "changed from {} {} to {} {}",
                        p.location, p.ty, q.location, q.ty
                    ),
                ),
                Some(_) => {}
            }
        }
        for q in n
            .params
            .iter()
            .filter(|q| !o.params.iter().any(|p| p.name == q.name))
        {
            let (impact, how) = if q.required {
                (Impact::Breaking, "new required parameter")
            } else {
                (Impact::Additive, "new optional parameter")
            };
            push(
                out,
                impact,
                format!("{subject} parameter {}", q.name),
                format!("{how} ({} {})", q.location, q.ty),
            );
        }
        if o.source != n.source {
            let show = |s: &Option<String>| s.clone().unwrap_or_else(|| "the server".into());
            push(
                out,
                Impact::Cosmetic,
                subject.clone(),
                format!(
                    "described by {} instead of {}",
                    show(&n.source),
                    show(&o.source)
                ),
            );
        }
        for (what, a, b) in [
            (
                "body",
                o.body.clone().unwrap_or_default(),
                n.body.clone().unwrap_or_default(),
            ),
            ("success type", o.success.clone(), n.success.clone()),
            ("error type", o.error.clone(), n.error.clone()),
        ] {
            if a != b {
                let show = |s: &str| {
                    if s.is_empty() {
                        "none".to_string()
                    } else {
                        s.to_string()
                    }
                };
                push(
                    out,
                    Impact::Breaking,
                    subject.clone(),
                    format!("{what} changed from {} to {}", show(&a), show(&b)),
                );
            }
        }
        match (&o.stream, &n.stream) {
            (None, None) => {}
            (Some(a), Some(b)) if a == b => {}
            (None, Some(item)) => push(
                out,
                Impact::Additive,
                subject.clone(),
                format!("stream() of {item} added"),
            ),
            (Some(item), None) => push(
                out,
                Impact::Breaking,
                subject.clone(),
                format!("stream() of {item} removed"),
            ),
            (Some(a), Some(b)) => push(
                out,
                Impact::Breaking,
                subject.clone(),
                format!("stream() item type changed from {a} to {b}"),
            ),
        }
        if o.success_status != n.success_status {
            // Same types, so it compiles; but code that checks the status
            // (`response.status() == 202`) behaves differently.
            push(
                out,
                Impact::Breaking,
                subject.clone(),
                format!(
                    "success status {} → {} (documented behaviour)",
                    o.success_status, n.success_status
                ),
            );
        }
    }
    for (name, n) in &new_ops {
        if !old_ops.contains_key(name) {
            push(
                out,
                Impact::Additive,
                format!("operation {name}"),
                format!("added ({} {})", n.method, n.path),
            );
        }
    }
    // Operations of the spec without a client method: nothing to call, but
    // never silent.
    for s in &new.skipped {
        let known = old.skipped.iter().any(|o| o.name == s.name);
        if !known && !old_ops.contains_key(s.name.as_str()) {
            push(
                out,
                Impact::Cosmetic,
                format!("operation {}", s.name),
                format!(
                    "added to the spec ({} {}) but NOT GENERATED: {}",
                    s.method, s.path, s.reason
                ),
            );
        }
    }
    for s in &old.skipped {
        let still =
            new.skipped.iter().any(|n| n.name == s.name) || new_ops.contains_key(s.name.as_str());
        if !still {
            push(
                out,
                Impact::Cosmetic,
                format!("operation {}", s.name),
                format!(
                    "removed from the spec ({} {}); it was not generated",
                    s.method, s.path
                ),
            );
        }
    }
}

fn compare_types(old: &Surface, new: &Surface, out: &mut Vec<Change>) {
    let old_types: BTreeMap<&str, &TypeSig> =
        old.types.iter().map(|t| (t.name.as_str(), t)).collect();
    let new_types: BTreeMap<&str, &TypeSig> =
        new.types.iter().map(|t| (t.name.as_str(), t)).collect();
    for (name, o) in &old_types {
        let Some(n) = new_types.get(name) else {
            push(out, Impact::Breaking, format!("type {name}"), "removed");
            continue;
        };
        match (&o.kind, &n.kind) {
            (TypeKind::Struct(of), TypeKind::Struct(nf)) => {
                for f in of {
                    let subject = format!("field {name}.{}", f.name);
                    match nf.iter().find(|g| g.name == f.name) {
                        None => push(out, Impact::Breaking, subject, "removed"),
                        Some(g) if g.ty != f.ty => push(
                            out,
                            Impact::Breaking,
                            subject,
                            format!("type changed from {} to {}", f.ty, g.ty),
                        ),
                        Some(g) if g.required && !f.required && n.role.built_by_callers() => {
                            push(out, Impact::Breaking, subject, "now required in requests")
                        }
                        Some(g) if g.required != f.required => push(
                            out,
                            Impact::Additive,
                            subject,
                            if g.required {
                                "now required"
                            } else {
                                "now optional (has a default)"
                            },
                        ),
                        Some(_) => {}
                    }
                }
                for g in nf.iter().filter(|g| !of.iter().any(|f| f.name == g.name)) {
                    let subject = format!("field {name}.{}", g.name);
                    if g.required && n.role.built_by_callers() {
                        push(
                            out,
                            Impact::Breaking,
                            subject,
                            format!("new required field ({}) on a type callers build", g.ty),
                        );
                    } else {
                        push(
                            out,
                            Impact::Additive,
                            subject,
                            format!(
                                "new {} field ({})",
                                if g.required { "required" } else { "optional" },
                                g.ty
                            ),
                        );
                    }
                }
            }
            (
                TypeKind::Enum {
                    open: oo,
                    variants: ov,
                },
                TypeKind::Enum {
                    open: no,
                    variants: nv,
                },
            ) => {
                if oo != no {
                    push(
                        out,
                        Impact::Breaking,
                        format!("type {name}"),
                        if *no {
                            "became an open enum"
                        } else {
                            "became a closed enum"
                        },
                    );
                }
                for v in ov.iter().filter(|v| !nv.contains(v)) {
                    push(
                        out,
                        Impact::Breaking,
                        format!("variant {name}::{v}"),
                        "removed",
                    );
                }
                for v in nv.iter().filter(|v| !ov.contains(v)) {
                    if *no {
                        push(
                            out,
                            Impact::Additive,
                            format!("variant {name}::{v}"),
                            "added to an open enum (older SDKs decode it as Unknown)",
                        );
                    } else {
                        push(
                            out,
                            Impact::Breaking,
                            format!("variant {name}::{v}"),
                            "added to a closed enum (exhaustive matches break)",
                        );
                    }
                }
            }
            (TypeKind::Newtype(a), TypeKind::Newtype(b)) if a != b => {
                push(
                    out,
                    Impact::Breaking,
                    format!("type {name}"),
                    format!("changed from {a} to {b}"),
                );
            }
            (a, b) if std::mem::discriminant(a) != std::mem::discriminant(b) => {
                push(
                    out,
                    Impact::Breaking,
                    format!("type {name}"),
                    "changed kind (struct / enum / newtype)",
                );
            }
            _ => {}
        }
    }
    for name in new_types.keys().filter(|n| !old_types.contains_key(*n)) {
        push(out, Impact::Additive, format!("type {name}"), "added");
    }
}

const DOC_KEYS: [&str; 5] = ["description", "summary", "title", "example", "examples"];

/// JSON pointers of documentation keywords whose value differs.
fn documentation_changes(old: &Value, new: &Value, pointer: &str, out: &mut Vec<String>) {
    if let (Value::Array(a), Value::Array(b)) = (old, new) {
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            documentation_changes(x, y, &format!("{pointer}/{i}"), out);
        }
        return;
    }
    let (Value::Object(a), Value::Object(b)) = (old, new) else {
        return;
    };
    for key in a.keys().chain(b.keys().filter(|k| !a.contains_key(*k))) {
        let child = ionworks_codegen::pointer_join(pointer, key);
        match (a.get(key), b.get(key)) {
            (x, y)
                if DOC_KEYS.contains(&key.as_str())
                    && x != y
                    && !(x.is_some_and(Value::is_object) || y.is_some_and(Value::is_object)) =>
            {
                out.push(child)
            }
            (Some(x), Some(y)) => documentation_changes(x, y, &child, out),
            _ => {}
        }
    }
}
