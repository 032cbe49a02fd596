//! The helpers the rewritten code calls (bounds checks, lenient date-time
//! deserializers, checked path segments), emitted once into `types` as
//! `types::__support`.

use proc_macro2::TokenStream;
use quote::quote;

/// Helpers the rewritten code calls; emitted once into `types`.
pub(crate) fn support() -> TokenStream {
    quote! {
        /// Helpers used by the generated types (not part of the public API).
        #[doc(hidden)]
        pub mod __support {
            /// Parse an RFC 3339 timestamp; one without an offset is read as UTC.
            pub fn parse_datetime(text: &str) -> ::std::option::Option<::chrono::DateTime<::chrono::offset::Utc>> {
                let text = text.trim();
                if let Ok(t) = ::chrono::DateTime::parse_from_rfc3339(text) {
                    return Some(t.with_timezone(&::chrono::offset::Utc));
                }
                if let Ok(t) = ::chrono::DateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f%:z") {
                    return Some(t.with_timezone(&::chrono::offset::Utc));
                }
                for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
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
            ) -> ::std::result::Result<::std::option::Option<::chrono::DateTime<::chrono::offset::Utc>>, D::Error> {
                match <::std::option::Option<::std::string::String> as ::serde::Deserialize>::deserialize(deserializer)? {
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
                        (Some(min), _) if n < min => Some(format!("{} must be at least {min} characters long, got {n}", b.field)),
                        (_, Some(max)) if n > max => Some(format!("{} must be at most {max} characters long, got {n}", b.field)),
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
            pub fn path_segment(value: &str, operation: &str, parameter: &str) -> ::std::result::Result<::std::string::String, ::std::string::String> {
                if value.is_empty() {
                    return Err(format!("{operation}: path parameter `{parameter}` is empty"));
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
                Ok(if encoded.contains('\\') { encoded.replace('\\', "%5C") } else { encoded })
            }

            pub fn check<T: Check>(value: T, bounds: &Bounds) -> ::std::result::Result<T, super::error::ConversionError> {
                match value.violation(bounds) {
                    Some(message) => Err(message.into()),
                    None => Ok(value),
                }
            }
        }
    }
}
