//! Errors and the generation report.

use std::fmt;

/// Escape one reference token for a JSON pointer (RFC 6901).
///
/// ```
/// assert_eq!(ionworks_codegen::pointer_escape("/jobs/{id}"), "~1jobs~1{id}");
/// ```
pub fn pointer_escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// Unescape one reference token of a JSON pointer (RFC 6901).
///
/// ```
/// assert_eq!(ionworks_codegen::pointer_unescape("~1jobs~1{id}"), "/jobs/{id}");
/// ```
pub fn pointer_unescape(token: &str) -> std::borrow::Cow<'_, str> {
    if token.contains('~') {
        token.replace("~1", "/").replace("~0", "~").into()
    } else {
        token.into()
    }
}

/// Append `token` to `pointer`.
///
/// ```
/// assert_eq!(ionworks_codegen::pointer_join("/paths", "/jobs"), "/paths/~1jobs");
/// ```
pub fn pointer_join(pointer: &str, token: &str) -> String {
    format!("{pointer}/{}", pointer_escape(token))
}

pub(crate) use pointer_join as join;

/// A JSON pointer that is only spelled out when an error or a note needs it:
/// a chain of borrowed tokens on the stack. The converter visits every node
/// of the document but reports on few, so building a `String` per node
/// (with `join`) was most of its allocation.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Ptr<'a> {
    /// Pointer text, already escaped (`""` is the root).
    Root(&'a str),
    /// A member of the parent object.
    Key(&'a Ptr<'a>, &'a str),
    /// An element of the parent array.
    Index(&'a Ptr<'a>, usize),
}

impl<'a> Ptr<'a> {
    /// The member `token` of this pointer's object.
    pub(crate) fn key(&'a self, token: &'a str) -> Ptr<'a> {
        Ptr::Key(self, token)
    }

    /// The element `index` of this pointer's array.
    pub(crate) fn index(&'a self, index: usize) -> Ptr<'a> {
        Ptr::Index(self, index)
    }
}

impl fmt::Display for Ptr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ptr::Root(text) => f.write_str(text),
            Ptr::Key(parent, token) => {
                write!(f, "{parent}/")?;
                for c in token.chars() {
                    match c {
                        '~' => f.write_str("~0")?,
                        '/' => f.write_str("~1")?,
                        c => fmt::Write::write_char(f, c)?,
                    }
                }
                Ok(())
            }
            Ptr::Index(parent, index) => write!(f, "{parent}/{index}"),
        }
    }
}

impl From<&Ptr<'_>> for String {
    fn from(ptr: &Ptr<'_>) -> String {
        ptr.to_string()
    }
}

impl From<Ptr<'_>> for String {
    fn from(ptr: Ptr<'_>) -> String {
        ptr.to_string()
    }
}

/// Why code generation failed, and where in the input document.
///
/// ```
/// let err = ionworks_codegen::generate(b"{\"openapi\": \"2.0\"}", &Default::default()).unwrap_err();
/// assert_eq!(err.pointer, "/openapi");
/// assert!(err.to_string().contains("/openapi"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodegenError {
    /// JSON pointer (RFC 6901) into the input document; empty for the root.
    pub pointer: String,
    /// The construct that could not be handled, e.g. `parameter` or `openapi version`.
    pub construct: String,
    /// What was wrong, in one sentence.
    pub message: String,
}

impl CodegenError {
    /// An error at `pointer` about `construct`.
    pub fn new(
        pointer: impl Into<String>,
        construct: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            pointer: pointer.into(),
            construct: construct.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for CodegenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = if self.pointer.is_empty() {
            "#"
        } else {
            &self.pointer
        };
        write!(f, "{} at `{}`: {}", self.construct, at, self.message)
    }
}

impl std::error::Error for CodegenError {}

/// One thing the converter changed in a lossy way or left out, with its location.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Note {
    /// JSON pointer into the input document.
    pub pointer: String,
    /// What was done there and why.
    pub message: String,
}

/// What a generation produced and what it had to leave out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Operations that got a client method, as `(method name, HTTP method, path)`.
    pub operations: Vec<(String, String, String)>,
    /// Operations left out of the client, with the reason (for example multipart uploads).
    pub skipped: Vec<Note>,
    /// Lossy rewrites worth a reviewer's attention (dropped responses, cookie parameters…).
    pub notes: Vec<Note>,
    /// What a maintainer must see before vendoring the spec (duplicate
    /// operationIds and the names chosen for them); also in `notes`.
    pub warnings: Vec<Note>,
    /// Number of public types in the generated `types` module.
    pub types: usize,
}

impl Report {
    pub(crate) fn note(&mut self, pointer: impl fmt::Display, message: impl Into<String>) {
        self.notes.push(Note {
            pointer: pointer.to_string(),
            message: message.into(),
        });
    }

    pub(crate) fn skip(&mut self, pointer: impl fmt::Display, message: impl Into<String>) {
        self.skipped.push(Note {
            pointer: pointer.to_string(),
            message: message.into(),
        });
    }
}
