//! The poll loop behind every [`Wait`]: when to poll, what to report, when
//! to stop; and the [`RequestBudget`] that many waits share.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::future::{Either, select};
use tokio::time::Instant;

use super::{MIN_POLL_DELAY, Phase, Pollable, Progress, Update, UpdateKind, Wait, WaitError};
use crate::retry;

/// A shared request budget for many waits: at most `per_second` polls start
/// per second across every wait that uses it.
#[derive(Clone, Debug)]
pub struct RequestBudget {
    interval: Duration,
    next: Arc<Mutex<Option<Instant>>>,
}

impl RequestBudget {
    /// A budget of `per_second` polls per second (at least one every
    /// 1000 s; a rate that is not a positive number counts as that).
    pub fn per_second(per_second: f64) -> Self {
        let rate = if per_second.is_finite() {
            per_second.max(0.001)
        } else if per_second > 0.0 {
            1e9
        } else {
            0.001
        };
        Self {
            interval: Duration::from_secs_f64(1.0 / rate),
            next: Arc::new(Mutex::new(None)),
        }
    }

    async fn acquire(&self) {
        let slot = {
            let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
            let now = Instant::now();
            let slot = next.map_or(now, |n| n.max(now));
            *next = Some(slot + self.interval);
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

pub(super) struct Poller<'a, R> {
    pub(super) wait: Wait<'a, R>,
    start: Instant,
    /// `None`: no deadline (a timeout too large to add to the clock).
    deadline: Option<Instant>,
    next_at: Option<Instant>,
    final_poll: bool,
    polls: u32,
    last: Option<R>,
    last_status: Option<String>,
    /// The outcome, once known, held back while its update is reported.
    done: Option<Result<R, WaitError<R>>>,
    rng: fastrand::Rng,
}

impl<'a, R: Pollable> Poller<'a, R> {
    pub(super) fn new(wait: Wait<'a, R>) -> Self {
        let start = Instant::now();
        let rng = wait
            .seed
            .map_or_else(fastrand::Rng::new, fastrand::Rng::with_seed);
        Self {
            deadline: start.checked_add(wait.policy.timeout),
            wait,
            start,
            next_at: None,
            final_poll: false,
            polls: 0,
            last: None,
            last_status: None,
            done: None,
            rng,
        }
    }

    fn elapsed(&self) -> Duration {
        Instant::now() - self.start
    }

    /// Run `fut` unless the cancellation signal fires first.
    async fn or_cancel<T>(&mut self, fut: impl Future<Output = T> + Send) -> Option<T> {
        match self.wait.cancel.as_mut() {
            None => Some(fut.await),
            Some(cancel) => match select(cancel, Box::pin(fut)).await {
                Either::Left(((), _)) => None,
                Either::Right((value, _)) => Some(value),
            },
        }
    }

    fn timed_out(&mut self) -> Progress<R> {
        Progress::Done(Err(WaitError::TimedOut {
            last: self.last.take().map(Box::new),
            polls: self.polls,
            elapsed: self.elapsed(),
        }))
    }

    fn cancelled(&self) -> Progress<R> {
        Progress::Done(Err(WaitError::Cancelled {
            polls: self.polls,
            elapsed: self.elapsed(),
        }))
    }

    fn update(&self, kind: UpdateKind, next_delay: Option<Duration>) -> Progress<R> {
        Progress::Update(Update {
            kind,
            attempt: self.polls,
            elapsed: self.elapsed(),
            status: self.last_status.clone().unwrap_or_default(),
            next_delay,
            resource: self.last.clone(),
        })
    }

    /// Poll until something is worth reporting.
    pub(super) async fn next(&mut self) -> Progress<R> {
        if let Some(outcome) = self.done.take() {
            return Progress::Done(outcome);
        }
        loop {
            if let Some(at) = self.next_at
                && self.or_cancel(tokio::time::sleep_until(at)).await.is_none()
            {
                return self.cancelled();
            }
            if let Some(budget) = self.wait.budget.clone() {
                // A busy budget cannot hold the wait past its deadline.
                let deadline = self.deadline;
                let acquire = async move {
                    match deadline {
                        Some(deadline) => {
                            let _ = tokio::time::timeout_at(deadline, budget.acquire()).await;
                        }
                        None => budget.acquire().await,
                    }
                };
                if self.or_cancel(acquire).await.is_none() {
                    return self.cancelled();
                }
            }
            if self
                .deadline
                .is_some_and(|deadline| Instant::now() >= deadline)
            {
                return self.timed_out();
            }
            self.polls += 1;
            // The caller's deadline is the one kept: a poll in flight is
            // cut at it.
            let limit = self.deadline.map_or(Duration::MAX, |deadline| {
                deadline.saturating_duration_since(Instant::now())
            });
            let fetch = (self.wait.fetch)();
            let result = if limit == Duration::MAX {
                self.or_cancel(async { Ok(fetch.await) }).await
            } else {
                self.or_cancel(tokio::time::timeout(limit, fetch)).await
            };
            let Some(result) = result else {
                return self.cancelled();
            };
            let mut delay = self
                .wait
                .policy
                .delay(self.polls, self.elapsed(), &mut self.rng);
            let mut report = None;
            match result {
                Ok(Ok(resource)) => {
                    let status = resource.status_text();
                    let phase = resource.phase();
                    tracing::debug!(kind = R::KIND, id = %self.wait.id, poll = self.polls, status = %status, "poll");
                    let changed = self.last_status.as_deref() != Some(status.as_str());
                    if changed {
                        report = Some(if resource.status_unknown() {
                            UpdateKind::UnknownStatus
                        } else {
                            UpdateKind::StatusChanged
                        });
                    }
                    self.last_status = Some(status);
                    self.last = Some(resource.clone());
                    let outcome = match phase {
                        Phase::Running => None,
                        Phase::Failed if !self.wait.accept_failed => {
                            Some(Err(WaitError::Failed(Box::new(resource))))
                        }
                        Phase::Succeeded | Phase::Failed => Some(Ok(resource)),
                    };
                    if let Some(outcome) = outcome {
                        return match report {
                            Some(kind) => {
                                self.done = Some(outcome);
                                self.update(kind, None)
                            }
                            None => Progress::Done(outcome),
                        };
                    }
                }
                Ok(Err(error)) if !retry::is_transient(error.failure()) => {
                    tracing::debug!(kind = R::KIND, id = %self.wait.id, poll = self.polls, error = %error, "poll failed");
                    return Progress::Done(Err(WaitError::Api(error)));
                }
                Ok(Err(error)) => {
                    tracing::debug!(kind = R::KIND, id = %self.wait.id, poll = self.polls, error = %error, "transient poll error");
                    if let Some(after) = error.retry_after() {
                        delay = delay.max(after);
                    }
                    report = Some(UpdateKind::TransientError(error.to_string()));
                }
                Err(_) => {
                    report = Some(UpdateKind::TransientError(format!(
                        "poll timed out after {}",
                        crate::wording::Seconds(limit)
                    )));
                }
            }
            if self.final_poll {
                return self.timed_out();
            }
            let now = Instant::now();
            let mut next = now.checked_add(delay).unwrap_or(now);
            if let Some(deadline) = self.deadline {
                // The last poll starts in time to be answered by the
                // deadline; without that time, the wait ends at it.
                let remaining = deadline.saturating_duration_since(now);
                let grace = self.wait.policy.final_poll_timeout.min(remaining / 2);
                let last = deadline - grace;
                if grace < MIN_POLL_DELAY && next >= last {
                    next = deadline;
                } else if next >= last {
                    next = last;
                    self.final_poll = true;
                }
            }
            self.next_at = Some(next);
            if let Some(kind) = report {
                return self.update(kind, Some(next - Instant::now()));
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::result_large_err)]
mod tests {
    use futures_util::StreamExt as _;

    use super::*;
    use crate::ApiError;
    use crate::wait::fake::{DONE, Fake, RUNNING, recorder};
    use crate::wait::{BoxFuture, WaitPolicy};

    #[tokio::test(start_paused = true)]
    async fn the_terminal_status_is_reported_before_the_outcome() {
        let (_, fetch) = recorder(|n| Ok(if n < 3 { RUNNING } else { DONE }));
        let mut seen = Vec::new();
        let out = Wait::from_fn("x", fetch)
            .observe(|u| seen.push((u.status.clone(), u.next_delay.is_none())))
            .await
            .unwrap();
        assert_eq!(out.status, "done");
        assert_eq!(
            seen,
            [("running".to_string(), false), ("done".to_string(), true)]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_last_poll_is_made_in_time_for_the_deadline() {
        let (log, fetch) = recorder(|_| Ok(RUNNING));
        let start = Instant::now();
        let err = Wait::from_fn("x", fetch)
            .timeout(Duration::from_secs(60))
            .await
            .unwrap_err();
        let WaitError::TimedOut {
            last,
            polls,
            elapsed,
        } = err
        else {
            panic!("{err}")
        };
        // The last poll starts at most `final_poll_timeout` (5 s) before
        // the deadline, and half the time left after the one before it;
        // it is answered at once.
        assert!(
            elapsed >= Duration::from_secs(55) && elapsed < Duration::from_secs(60),
            "{elapsed:?}"
        );
        assert_eq!(Instant::now() - start, elapsed);
        assert_eq!(last.unwrap().status, "running");
        let times = log.lock().unwrap().clone();
        assert_eq!(polls as usize, times.len());
        assert_eq!(*times.last().unwrap(), elapsed);
        let before = times[times.len() - 2];
        assert!(elapsed - before >= (Duration::from_secs(60) - before) / 2);

        // Without time kept for it, the wait ends at the deadline.
        let (log, fetch) = recorder(|_| Ok(RUNNING));
        let start = Instant::now();
        let policy = WaitPolicy::default()
            .with_timeout(Duration::from_secs(60))
            .with_final_poll_timeout(Duration::ZERO);
        let err = Wait::from_fn("x", fetch).policy(policy).await.unwrap_err();
        assert!(matches!(err, WaitError::TimedOut { .. }), "{err}");
        assert_eq!(Instant::now() - start, Duration::from_secs(60));
        assert!(*log.lock().unwrap().last().unwrap() < Duration::from_secs(60));
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_request_cannot_overrun_the_deadline() {
        let start = Instant::now();
        let fetch = || {
            Box::pin(async {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                Ok(RUNNING)
            }) as BoxFuture<'static, Result<Fake, ApiError>>
        };
        let policy = WaitPolicy::default().with_final_poll_timeout(Duration::from_secs(2));
        let err = Wait::from_fn("x", fetch)
            .policy(policy)
            .timeout(Duration::from_secs(30))
            .await
            .unwrap_err();
        assert!(matches!(err, WaitError::TimedOut { polls: 1, .. }), "{err}");
        assert_eq!(
            Instant::now() - start,
            Duration::from_secs(30),
            "the poll in flight is cut at the deadline"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_is_honoured_and_transient_errors_absorbed() {
        let (log, fetch) = recorder(|n| match n {
            1 => Err(ApiError::for_status(429, Some(Duration::from_secs(7)))),
            2 => Err(ApiError::for_status(503, None)),
            3 => Err(ApiError::transport()),
            _ => Ok(DONE),
        });
        let mut updates = Vec::new();
        let out = Wait::from_fn("x", fetch)
            .observe(|u| updates.push(u.kind.clone()))
            .await
            .unwrap();
        assert_eq!(out.status, "done");
        let times = log.lock().unwrap().clone();
        assert!(times[1] >= Duration::from_secs(7), "{times:?}");
        assert_eq!(updates.len(), 4);
        assert!(
            updates[..3]
                .iter()
                .all(|u| matches!(u, UpdateKind::TransientError(_)))
        );
        assert_eq!(
            updates[3],
            UpdateKind::StatusChanged,
            "then the terminal status"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn permanent_errors_end_the_wait_at_once() {
        for status in [401, 403, 404, 422] {
            let (log, fetch) = recorder(move |_| Err(ApiError::for_status(status, None)));
            let err = Wait::from_fn("x", fetch).await.unwrap_err();
            let WaitError::Api(e) = err else {
                panic!("{err}")
            };
            assert_eq!(e.status().unwrap().as_u16(), status);
            assert_eq!(log.lock().unwrap().len(), 1);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn stream_yields_each_status_change_once() {
        let statuses = ["queued", "queued", "mystery", "mystery", "running", "done"];
        let fetch = {
            let n = Arc::new(Mutex::new(0usize));
            move || {
                let n = n.clone();
                Box::pin(async move {
                    let mut n = n.lock().unwrap();
                    let s = statuses[*n];
                    *n += 1;
                    Ok(Fake {
                        status: s,
                        phase: if s == "done" {
                            Phase::Succeeded
                        } else {
                            Phase::Running
                        },
                    })
                }) as BoxFuture<'static, Result<Fake, ApiError>>
            }
        };
        let items: Vec<Progress<Fake>> = Wait::from_fn("x", fetch).updates().collect().await;
        let kinds: Vec<(String, UpdateKind)> = items
            .iter()
            .filter_map(|p| match p {
                Progress::Update(u) => Some((u.status.clone(), u.kind.clone())),
                Progress::Done(_) => None,
            })
            .collect();
        assert_eq!(
            kinds,
            [
                ("queued".into(), UpdateKind::StatusChanged),
                ("mystery".into(), UpdateKind::UnknownStatus),
                ("running".into(), UpdateKind::StatusChanged),
                ("done".into(), UpdateKind::StatusChanged),
            ]
        );
        assert!(matches!(items.last(), Some(Progress::Done(Ok(f))) if f.status == "done"));
    }

    #[tokio::test(start_paused = true)]
    async fn budget_spaces_requests() {
        let budget = RequestBudget::per_second(4.0);
        let start = Instant::now();
        for _ in 0..9 {
            budget.acquire().await;
        }
        assert_eq!(Instant::now() - start, Duration::from_secs(2));
    }
}
