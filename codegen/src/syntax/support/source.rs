//! The helpers the rewritten code calls, as Rust source: the codegen emits
//! the items of this file into every generated client, as the module
//! `types::__support` (see `codegen/src/syntax/support.rs`), so that a
//! generated client needs nothing beyond the crates progenitor's output
//! needs (`chrono`, `serde`, `progenitor_client`). This file is not a
//! module of the codegen; `codegen/tests/support.rs` compiles it as one, in
//! a stand-in for the generated `types` module (which provides
//! `super::error::ConversionError`), and runs the tests at its end, which
//! are left out of the generated code.
//!
//! Comments (`//`) stay here; doc comments (`///`) are emitted.

/// Parse an RFC 3339 timestamp; one without an offset is read as UTC.
pub fn parse_datetime(
    text: &str,
) -> ::std::option::Option<::chrono::DateTime<::chrono::offset::Utc>> {
    let text = text.trim();
    if let Ok(t) = ::chrono::DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&::chrono::offset::Utc));
    }
    if let Ok(t) = ::chrono::DateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f%:z") {
        return Some(t.with_timezone(&::chrono::offset::Utc));
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(t) = ::chrono::NaiveDateTime::parse_from_str(text, format) {
            return Some(t.and_utc());
        }
    }
    ::chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .map(|d| d.and_time(::chrono::NaiveTime::MIN).and_utc())
}

pub fn datetime<'de, D: ::serde::Deserializer<'de>>(
    deserializer: D,
) -> ::std::result::Result<::chrono::DateTime<::chrono::offset::Utc>, D::Error> {
    let text = <::std::string::String as ::serde::Deserialize>::deserialize(deserializer)?;
    parse_datetime(&text).ok_or_else(|| {
        <D::Error as ::serde::de::Error>::custom(format!("invalid date-time {text:?}"))
    })
}

pub fn datetime_opt<'de, D: ::serde::Deserializer<'de>>(
    deserializer: D,
) -> ::std::result::Result<::std::option::Option<::chrono::DateTime<::chrono::offset::Utc>>, D::Error>
{
    match <::std::option::Option<::std::string::String> as ::serde::Deserialize>::deserialize(
        deserializer,
    )? {
        None => Ok(None),
        Some(text) => parse_datetime(&text).map(Some).ok_or_else(|| {
            <D::Error as ::serde::de::Error>::custom(format!("invalid date-time {text:?}"))
        }),
    }
}

/// A documented bound of one request field.
pub struct Bounds {
    pub field: &'static str,
    pub minimum: ::std::option::Option<f64>,
    pub maximum: ::std::option::Option<f64>,
    pub exclusive_minimum: bool,
    pub exclusive_maximum: bool,
    pub min_length: ::std::option::Option<u64>,
    pub max_length: ::std::option::Option<u64>,
}

pub trait Check {
    fn violation(&self, bounds: &Bounds) -> ::std::option::Option<::std::string::String>;
}

macro_rules! numeric {
    ($($t:ty),*) => {$(
        impl Check for $t {
            #[allow(clippy::cast_lossless, clippy::cast_precision_loss)]
            fn violation(&self, b: &Bounds) -> ::std::option::Option<::std::string::String> {
                let v = *self as f64;
                if let Some(min) = b.minimum {
                    if v < min || (b.exclusive_minimum && v == min) {
                        let rel = if b.exclusive_minimum { "greater than" } else { "at least" };
                        return Some(format!("{} must be {rel} {min}, got {self}", b.field));
                    }
                }
                if let Some(max) = b.maximum {
                    if v > max || (b.exclusive_maximum && v == max) {
                        let rel = if b.exclusive_maximum { "less than" } else { "at most" };
                        return Some(format!("{} must be {rel} {max}, got {self}", b.field));
                    }
                }
                None
            }
        }
    )*};
}
numeric!(i8, i16, i32, i64, u8, u16, u32, u64, f32, f64);

impl Check for ::std::string::String {
    fn violation(&self, b: &Bounds) -> ::std::option::Option<::std::string::String> {
        let n = self.chars().count() as u64;
        match (b.min_length, b.max_length) {
            (Some(min), _) if n < min => Some(format!(
                "{} must be at least {min} characters long, got {n}",
                b.field
            )),
            (_, Some(max)) if n > max => Some(format!(
                "{} must be at most {max} characters long, got {n}",
                b.field
            )),
            _ => None,
        }
    }
}

impl<T: Check> Check for ::std::option::Option<T> {
    fn violation(&self, b: &Bounds) -> ::std::option::Option<::std::string::String> {
        self.as_ref().and_then(|v| v.violation(b))
    }
}

/// One path segment of `operation`'s URL, percent-encoded. An
/// empty value or a dot segment (`.`, `..`, also spelled with
/// `%2e`) would change the request's path once the URL is
/// normalised, so it is refused with a message naming both.
/// `encode_path` leaves a backslash as it is, which the URL parser reads
/// as `/` in an http(s) URL (WHATWG URL, "special" schemes): it is
/// encoded as `%5C`.
pub fn path_segment(
    value: &str,
    operation: &str,
    parameter: &str,
) -> ::std::result::Result<::std::string::String, ::std::string::String> {
    if value.is_empty() {
        return Err(format!(
            "{operation}: path parameter `{parameter}` is empty"
        ));
    }
    // Every spelling of a dot segment is at most six bytes (`%2e%2e`);
    // on every call, nothing is copied but the encoded value.
    if value.len() <= 6 {
        let dots = value.to_ascii_lowercase().replace("%2e", ".");
        if dots == "." || dots == ".." {
            return Err(format!(
                "{operation}: path parameter `{parameter}` is {value:?}, a dot segment that would change the request's path"
            ));
        }
    }
    let encoded = ::progenitor_client::encode_path(value);
    Ok(if encoded.contains('\\') {
        encoded.replace('\\', "%5C")
    } else {
        encoded
    })
}

pub fn check<T: Check>(
    value: T,
    bounds: &Bounds,
) -> ::std::result::Result<T, super::error::ConversionError> {
    match value.violation(bounds) {
        Some(message) => Err(message.into()),
        None => Ok(value),
    }
}

/// How a credential field of a generated type shows in `Debug`: as
/// `<redacted>`, or for a signed URL as its address up to the query (which
/// holds the signature); `Option` and `Result` show which variant they are.
pub trait Redact {
    fn redact(&self, url: bool, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result;
}

impl Redact for ::std::string::String {
    fn redact(&self, url: bool, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
        match self.split_once('?') {
            Some((address, _)) if url => write!(f, "{address:?}?<redacted>"),
            _ if url => write!(f, "{self:?}"),
            _ => f.write_str("<redacted>"),
        }
    }
}

/// A field of a type without a [`Redact`] impl of its own: all of it.
impl Redact for () {
    fn redact(&self, _: bool, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl<T: Redact> Redact for ::std::option::Option<T> {
    fn redact(&self, url: bool, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
        match self {
            Some(value) => f.debug_tuple("Some").field(&Redacted(value, url)).finish(),
            None => f.write_str("None"),
        }
    }
}

/// A builder's field: an `Err` is its conversion message, not a value.
impl<T: Redact, E: ::std::fmt::Debug> Redact for ::std::result::Result<T, E> {
    fn redact(&self, url: bool, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
        match self {
            Ok(value) => f.debug_tuple("Ok").field(&Redacted(value, url)).finish(),
            Err(error) => f.debug_tuple("Err").field(error).finish(),
        }
    }
}

/// A credential field, shown through [`Redact`] (`.1`: it is a signed URL).
pub struct Redacted<'a, T: ?Sized>(pub &'a T, pub bool);

impl<T: Redact + ?Sized> ::std::fmt::Debug for Redacted<'_, T> {
    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
        self.0.redact(self.1, f)
    }
}

/// A response body that the client's `exec` hook has already read whole
/// (to retry a body that breaks off), left in the response's extensions
/// for [`from_response`] and [`stream`], which take it rather than read the
/// body, now empty, again: the response is not rebuilt around it.
#[derive(Clone)]
pub struct ReadBody(pub ::bytes::Bytes);

/// A JSON answer decoded into a `ResponseValue`, as
/// `ResponseValue::from_response` does it, with a future a third of its
/// size (progenitor-client 0.15's holds the response twice over and
/// http-body-util's collector): the body is taken from [`ReadBody`] or read
/// by [`read_body`], and the headers are moved rather than cloned.
pub async fn from_response<T: ::serde::de::DeserializeOwned, E>(
    mut response: ::reqwest::Response,
) -> ::std::result::Result<::progenitor_client::ResponseValue<T>, ::progenitor_client::Error<E>> {
    let full = match response.extensions_mut().remove::<ReadBody>() {
        Some(ReadBody(full)) => full,
        None => match read_body(&mut response).await {
            Ok(full) => full,
            Err(error) => return Err(::progenitor_client::Error::ResponseBodyError(error)),
        },
    };
    match ::serde_json::from_slice(&full) {
        Ok(inner) => Ok(::progenitor_client::ResponseValue::new(
            inner,
            response.status(),
            ::std::mem::take(response.headers_mut()),
        )),
        Err(error) => Err(::progenitor_client::Error::InvalidResponsePayload(
            full, error,
        )),
    }
}

/// The whole body of `response`, read through a borrow, chunk by chunk,
/// rather than with `Response::bytes`, whose future holds the response
/// twice over; a body that arrives in one chunk, as a small one does, is
/// not copied. The client's hook reads bodies ahead with it too.
pub async fn read_body(response: &mut ::reqwest::Response) -> ::reqwest::Result<::bytes::Bytes> {
    let mut first = ::bytes::Bytes::new();
    let mut more: ::std::option::Option<::std::vec::Vec<u8>> = None;
    while let Some(chunk) = response.chunk().await? {
        match &mut more {
            Some(more) => more.extend_from_slice(&chunk),
            None if first.is_empty() => first = chunk,
            None => {
                let mut joined = first.to_vec();
                joined.extend_from_slice(&chunk);
                more = Some(joined);
            }
        }
    }
    Ok(more.map_or(first, ::bytes::Bytes::from))
}

/// A streamed answer, as `ResponseValue::stream` makes it; its body from
/// [`ReadBody`] when the hook has read it (a stream's server may well call
/// it JSON).
pub fn stream(
    mut response: ::reqwest::Response,
) -> ::progenitor_client::ResponseValue<::progenitor_client::ByteStream> {
    match response.extensions_mut().remove::<ReadBody>() {
        None => ::progenitor_client::ResponseValue::stream(response),
        Some(ReadBody(full)) => ::progenitor_client::ResponseValue::new(
            ::progenitor_client::ByteStream::new(::std::boxed::Box::pin(Once(Some(full)))),
            response.status(),
            ::std::mem::take(response.headers_mut()),
        ),
    }
}

/// A stream of one chunk.
struct Once(::std::option::Option<::bytes::Bytes>);

impl ::futures_core::Stream for Once {
    type Item = ::reqwest::Result<::bytes::Bytes>;

    fn poll_next(
        mut self: ::std::pin::Pin<&mut Self>,
        _: &mut ::std::task::Context<'_>,
    ) -> ::std::task::Poll<::std::option::Option<Self::Item>> {
        ::std::task::Poll::Ready(self.0.take().map(Ok))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_without_an_offset_are_read_as_utc() {
        let utc = |text| parse_datetime(text).map(|t| t.to_rfc3339());
        assert_eq!(
            utc("2024-05-01T12:30:00Z").as_deref(),
            Some("2024-05-01T12:30:00+00:00")
        );
        assert_eq!(
            utc("2024-05-01T14:30:00+02:00").as_deref(),
            Some("2024-05-01T12:30:00+00:00")
        );
        assert_eq!(
            utc("2024-05-01 12:30:00.5+00:00").as_deref(),
            Some("2024-05-01T12:30:00.500+00:00")
        );
        assert_eq!(
            utc("2024-05-01T12:30:00.25").as_deref(),
            Some("2024-05-01T12:30:00.250+00:00")
        );
        assert_eq!(
            utc("2024-05-01 12:30:00").as_deref(),
            Some("2024-05-01T12:30:00+00:00")
        );
        assert_eq!(
            utc("2024-05-01T12:30").as_deref(),
            Some("2024-05-01T12:30:00+00:00")
        );
        assert_eq!(
            utc(" 2024-05-01 ").as_deref(),
            Some("2024-05-01T00:00:00+00:00")
        );
        assert_eq!(utc("yesterday"), None);
    }

    #[test]
    fn the_deserializers_take_lenient_timestamps_and_name_a_bad_one() {
        let mut de = serde_json::Deserializer::from_str(r#""2024-05-01T12:30:00""#);
        assert_eq!(
            datetime(&mut de).unwrap().to_rfc3339(),
            "2024-05-01T12:30:00+00:00"
        );
        let mut de = serde_json::Deserializer::from_str("null");
        assert_eq!(datetime_opt(&mut de).unwrap(), None);
        let mut de = serde_json::Deserializer::from_str(r#""soon""#);
        let error = datetime_opt(&mut de).unwrap_err().to_string();
        assert!(error.contains(r#"invalid date-time "soon""#), "{error}");
    }

    fn bounds() -> Bounds {
        Bounds {
            field: "Job.priority",
            minimum: Some(0.0),
            maximum: Some(10.0),
            exclusive_minimum: true,
            exclusive_maximum: false,
            min_length: Some(2),
            max_length: Some(4),
        }
    }

    #[test]
    fn numbers_are_checked_against_their_bounds() {
        let b = bounds();
        assert_eq!(5i64.violation(&b), None);
        assert_eq!(10u8.violation(&b), None);
        assert_eq!(
            0i32.violation(&b).as_deref(),
            Some("Job.priority must be greater than 0, got 0")
        );
        assert_eq!(
            10.5f64.violation(&b).as_deref(),
            Some("Job.priority must be at most 10, got 10.5")
        );
        assert_eq!(
            Some(11i64).violation(&b).as_deref(),
            Some("Job.priority must be at most 10, got 11")
        );
        assert_eq!(None::<i64>.violation(&b), None);
    }

    #[test]
    fn strings_are_checked_by_their_length_in_characters() {
        let b = bounds();
        assert_eq!("éé".to_string().violation(&b), None);
        assert_eq!(
            "a".to_string().violation(&b).as_deref(),
            Some("Job.priority must be at least 2 characters long, got 1")
        );
        assert_eq!(
            "abcde".to_string().violation(&b).as_deref(),
            Some("Job.priority must be at most 4 characters long, got 5")
        );
        assert!(check("abc".to_string(), &b).is_ok());
        assert!(check(0i64, &b).is_err());
    }

    #[test]
    fn credentials_show_redacted_and_signed_urls_without_their_query() {
        let secret = "s3cr3t".to_string();
        let url = "https://store.example/b/k?X-Amz-Signature=abc".to_string();
        let shown = |value: &String, url| format!("{:?}", Redacted(value, url));
        assert_eq!(shown(&secret, false), "<redacted>");
        assert_eq!(
            shown(&url, true),
            r#""https://store.example/b/k"?<redacted>"#
        );
        let unsigned = "https://store.example/b/k".to_string();
        assert_eq!(shown(&unsigned, true), r#""https://store.example/b/k""#);
        assert_eq!(
            format!("{:?}", Redacted(&Some(secret.clone()), false)),
            "Some(<redacted>)"
        );
        assert_eq!(format!("{:?}", Redacted(&None::<String>, false)), "None");
        let unset: Result<String, String> = Err("no value supplied".into());
        assert_eq!(
            format!("{:?}", Redacted(&unset, false)),
            r#"Err("no value supplied")"#
        );
        let set: Result<Option<String>, String> = Ok(Some(url));
        assert_eq!(
            format!("{:?}", Redacted(&set, true)),
            r#"Ok(Some("https://store.example/b/k"?<redacted>))"#
        );
        assert_eq!(format!("{:?}", Redacted(&(), true)), "<redacted>");
    }

    #[test]
    fn a_path_segment_is_encoded_and_never_empty_or_a_dot_segment() {
        let segment = |value| path_segment(value, "get_job", "job_id");
        assert_eq!(segment("a b/c?d#e%").unwrap(), "a%20b%2Fc%3Fd%23e%25");
        assert_eq!(segment(r"a\b").unwrap(), "a%5Cb");
        assert_eq!(segment("...").unwrap(), "...");
        assert_eq!(
            segment("").unwrap_err(),
            "get_job: path parameter `job_id` is empty"
        );
        for dots in [".", "..", "%2e", "%2E%2e", ".%2e"] {
            let error = segment(dots).unwrap_err();
            assert!(
                error.contains("a dot segment that would change the request's path"),
                "{error}"
            );
        }
    }
}
