//! The support module every generated client holds (`types::__support`),
//! compiled from its source, `src/syntax/support/source.rs`, with the tests
//! at the end of that file. This test crate stands in for the generated
//! `types` module, the support module's parent.

#[path = "../src/syntax/support/source.rs"]
#[allow(dead_code)]
mod __support;

/// typify's `types::error`, as far as the support module uses it.
mod error {
    #[derive(Debug)]
    pub struct ConversionError(#[allow(dead_code)] pub String);

    impl From<String> for ConversionError {
        fn from(message: String) -> Self {
            Self(message)
        }
    }
}
