//! The README's first call, run for real: its code block is the text of
//! `readme/first_call.rs`, and that program runs here with the process
//! environment pointing at the stand-in. (One test in this binary: it sets
//! process variables.)
#![cfg(feature = "testing")]

use ionworks::testing::StandIn;

mod first_call {
    include!("readme/first_call.rs");

    pub(super) fn run() -> Result<(), Box<dyn std::error::Error>> {
        main()
    }
}

/// The README's first ```` ```rust ```` block.
fn first_rust_block(readme: &str) -> Option<&str> {
    let start = readme.find("\n```rust")?;
    let body = start + 1 + readme[start + 1..].find('\n')? + 1;
    let end = body + readme[body..].find("\n```")? + 1;
    Some(&readme[body..end])
}

#[test]
fn the_first_call_runs_against_the_configured_server() {
    let readme = include_str!("../README.md");
    assert_eq!(
        first_rust_block(readme),
        Some(include_str!("readme/first_call.rs")),
        "the README's first code block and tests/readme/first_call.rs differ"
    );

    // The stand-in runs on its own runtime; the first call builds another.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let stand_in = runtime.block_on(StandIn::start()).unwrap();
    // SAFETY: the only test of this binary; nothing else reads the
    // environment concurrently.
    unsafe {
        std::env::set_var("IONWORKS_API_URL", stand_in.base_url());
        std::env::set_var("IONWORKS_API_KEY", stand_in.api_key());
        std::env::set_var("IONWORKS_PROJECT_ID", "project-1");
        std::env::remove_var("IONWORKS_API_TOKEN");
        std::env::remove_var("IONWORKS_ORGANIZATION_ID");
    }
    first_call::run().unwrap();
    let created = stand_in
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path == "/pipelines")
        .count();
    assert_eq!(created, 1);
}
