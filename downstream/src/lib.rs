//! A crate that depends on `ionworks` the way a user's crate does, with the
//! `mocks` feature in its dev-dependencies. Its tests (`tests/mocks.rs`) are
//! the tests a user would write against the typed mocks.
