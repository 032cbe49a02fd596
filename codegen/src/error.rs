//! Errors and the generation report.

use std::fmt;

/// Escape one reference token for a JSON pointer (RFC 6901).
pub(crate) fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// Append `token` to `pointer`.
pub(crate) fn join(pointer: &str, token: &str) -> String {
    format!("{pointer}/{}", escape(token))
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
    pub(crate) fn new(
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
    /// Number of public types in the generated `types` module.
    pub types: usize,
}

impl Report {
    pub(crate) fn note(&mut self, pointer: &str, message: impl Into<String>) {
        self.notes.push(Note {
            pointer: pointer.to_string(),
            message: message.into(),
        });
    }

    pub(crate) fn skip(&mut self, pointer: &str, message: impl Into<String>) {
        self.skipped.push(Note {
            pointer: pointer.to_string(),
            message: message.into(),
        });
    }
}
