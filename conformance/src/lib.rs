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

#[allow(
    missing_docs,
    unused_imports,
    dead_code,
    irrefutable_let_patterns,
    clippy::all,
    clippy::pedantic,
    rustdoc::all
)]
pub mod prefect {
    include!(concat!(env!("OUT_DIR"), "/prefect.rs"));
}

/// Upload operations shaped like the live Ionworks API's
/// (`fixtures/ionworks-uploads.json`), sent through `ionworks::upload`.
#[allow(
    missing_docs,
    unused_imports,
    dead_code,
    irrefutable_let_patterns,
    clippy::all,
    clippy::pedantic,
    rustdoc::all
)]
pub mod uploads {
    include!(concat!(env!("OUT_DIR"), "/uploads.rs"));
}

#[cfg(conformance_skyvern)]
#[allow(
    missing_docs,
    unused_imports,
    dead_code,
    irrefutable_let_patterns,
    clippy::all,
    clippy::pedantic,
    rustdoc::all
)]
pub mod skyvern {
    include!(concat!(env!("OUT_DIR"), "/skyvern.rs"));
}
