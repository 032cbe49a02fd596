//! Clients generated from real FastAPI specs; this crate exists so that
//! `cargo test --workspace` proves the generated code compiles.

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
