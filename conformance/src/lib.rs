//! Clients generated from real FastAPI specs; this crate exists so that
//! `cargo test --workspace` proves the generated code compiles.
//!
//! `prefect` is generated from a vendored document and always present;
//! `skyvern` only when `IONWORKS_CONFORMANCE_DIR` names a folder holding its
//! document (`cfg(conformance_skyvern)`, set by the build script).

/// The generated clients compiled in this build, by conformance document name.
pub const CLIENTS: &[&str] = if cfg!(conformance_skyvern) {
    &["prefect", "skyvern"]
} else {
    &["prefect"]
};

/// A generated client as a module: its code from the build script's
/// output, with the lints it is not written for turned off.
macro_rules! generated {
    ($(#[$meta:meta])* $name:ident, $file:literal) => {
        $(#[$meta])*
        #[allow(
            missing_docs,
            unused_imports,
            dead_code,
            irrefutable_let_patterns,
            clippy::all,
            clippy::pedantic,
            rustdoc::all
        )]
        pub mod $name {
            include!(concat!(env!("OUT_DIR"), "/", $file));
        }
    };
}

generated!(prefect, "prefect.rs");
generated!(
    /// Upload operations shaped like the live Ionworks API's
    /// (`fixtures/ionworks-uploads.json`), sent through `ionworks::upload`.
    uploads,
    "uploads.rs"
);
generated!(
    #[cfg(conformance_skyvern)]
    skyvern,
    "skyvern.rs"
);
