//! Typed async client for the Ionworks API.

#[allow(
    missing_docs,
    unused_imports,
    irrefutable_let_patterns,
    clippy::all,
    clippy::pedantic,
    rustdoc::all
)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/api.rs"));
}

pub use generated::*;
