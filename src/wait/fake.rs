//! A resource for the tests of the policy and the engine: [`Fake`], with a
//! fetch that records when each poll was made.
#![allow(clippy::result_large_err)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use super::{BoxFuture, Phase, Pollable};
use crate::ApiError;

pub(super) type FakeFetch = Box<dyn FnMut() -> BoxFuture<'static, Result<Fake, ApiError>> + Send>;

#[derive(Clone, Debug)]
pub(super) struct Fake {
    pub(super) status: &'static str,
    pub(super) phase: Phase,
}

impl Pollable for Fake {
    const KIND: &'static str = "fake";
    fn status_text(&self) -> String {
        self.status.to_string()
    }
    fn phase(&self) -> Phase {
        self.phase
    }
    fn status_unknown(&self) -> bool {
        self.status == "mystery"
    }
}

pub(super) const RUNNING: Fake = Fake {
    status: "running",
    phase: Phase::Running,
};
pub(super) const DONE: Fake = Fake {
    status: "done",
    phase: Phase::Succeeded,
};

/// Poll instants (relative to the start) of a wait whose fetch answers `answer(n)`.
pub(super) fn recorder(
    answer: impl Fn(u32) -> Result<Fake, ApiError> + Send + Sync + 'static,
) -> (Arc<Mutex<Vec<Duration>>>, FakeFetch) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let start = Instant::now();
    let answer = Arc::new(answer);
    let seen = log.clone();
    let fetch = move || {
        let seen = seen.clone();
        let answer = answer.clone();
        Box::pin(async move {
            let mut seen = seen.lock().unwrap();
            seen.push(Instant::now() - start);
            answer(seen.len() as u32)
        }) as BoxFuture<'static, _>
    };
    (log, Box::new(fetch))
}
