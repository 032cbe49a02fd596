//! Wording for people: a duration (`1.5 s`), the innermost cause of an
//! error (`connection refused`), a one-line excerpt of a body. A leaf: it
//! uses nothing else of the crate, so every module may use it.

use std::fmt;
use std::time::Duration;

/// Characters of a non-JSON body shown in messages.
pub(crate) const EXCERPT_CHARS: usize = 200;

/// A duration for people: `60 s`, `1.5 s`, `250 ms`.
pub(crate) struct Seconds(pub(crate) Duration);

impl fmt::Display for Seconds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        if d < Duration::from_secs(1) {
            write!(f, "{} ms", d.as_millis())
        } else if d.subsec_millis() == 0 {
            write!(f, "{} s", d.as_secs())
        } else {
            write!(f, "{:.1} s", d.as_secs_f64())
        }
    }
}

/// The innermost cause of `error`, as people say it: `connection refused`
/// rather than `error sending request for url (…): client error (Connect):
/// tcp connect error: Connection refused (os error 111)`.
pub(crate) fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(next) = cause.source() {
        cause = next;
    }
    let text = cause.to_string();
    let text = match text.rfind(" (os error ") {
        Some(at) if text.ends_with(')') => &text[..at],
        _ => text.as_str(),
    };
    let mut chars = text.chars();
    match chars.next() {
        Some(first) if chars.clone().next().is_some_and(char::is_lowercase) => {
            first.to_lowercase().chain(chars).collect()
        }
        _ => text.to_string(),
    }
}

/// At most [`EXCERPT_CHARS`] characters, whitespace collapsed to one line.
pub(crate) fn excerpt(body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    let mut out = String::new();
    let mut words = text.split_whitespace();
    let mut cut = false;
    for (i, word) in words.by_ref().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(word);
        if out.chars().count() > EXCERPT_CHARS {
            out = out.chars().take(EXCERPT_CHARS).collect();
            cut = true;
            break;
        }
    }
    if cut || words.next().is_some() {
        out.push('…');
    }
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_causes_for_people() {
        let s = |d| Seconds(d).to_string();
        assert_eq!(s(Duration::from_secs(60)), "60 s");
        assert_eq!(s(Duration::from_millis(1500)), "1.5 s");
        assert_eq!(s(Duration::from_millis(250)), "250 ms");
        let io = std::io::Error::new(
            std::io::ErrorKind::ConnectionRefused,
            "Connection refused (os error 111)",
        );
        assert_eq!(root_cause(&io), "connection refused");
        let io = std::io::Error::other("TLS handshake: UnknownIssuer");
        assert_eq!(root_cause(&io), "TLS handshake: UnknownIssuer");
    }
}
