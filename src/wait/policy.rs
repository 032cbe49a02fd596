//! How often to poll and for how long: [`WaitPolicy`], its default (the
//! numbers behind the promise in the module docs) and the pause after each
//! poll, never below [`MIN_POLL_DELAY`].

use std::time::Duration;

use crate::retry::Backoff;

/// The shortest pause between polls, whatever the policy says.
pub const MIN_POLL_DELAY: Duration = Duration::from_millis(50);

/// How often to poll and for how long.
///
/// The pause after a poll is `proportion` of the time waited so far, at
/// least `min_delay` and at most `max_delay` (times `multiplier` per poll,
/// if set above 1), less up to `jitter` of it at random so that many
/// waiters do not poll in lockstep (jitter only shortens a pause, never
/// below `min_delay`). The default: first poll at once, then pauses of
/// 0.35 s, growing to 13% of the time waited from about 2.7 s on, at most
/// 30 s; 10% jitter; for at most one hour. With it, every wait returns at
/// most `max(0.5 s, 15% of the time it waited)` after the work ended, when
/// polls are answered within 80 ms (see the [module docs](crate::wait) for
/// what the promise leaves out), and makes a third of fixed 2 s polling's
/// requests or fewer on jobs of five minutes and more;
/// `examples/wait_simulation.rs` measures both, and
/// [`WaitPolicy::default`] gives the reasoning. A policy of your own is
/// outside that promise.
///
/// ```
/// use std::time::Duration;
/// use ionworks::wait::WaitPolicy;
///
/// let patient = WaitPolicy::default()
///     .with_timeout(Duration::from_secs(6 * 3600))
///     .with_max_delay(Duration::from_secs(60));
/// let every_two_seconds = WaitPolicy::fixed(Duration::from_secs(2));
/// # let _ = (patient, every_two_seconds);
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct WaitPolicy {
    /// Shortest pause between polls (never below [`MIN_POLL_DELAY`]).
    pub min_delay: Duration,
    /// Longest pause between polls.
    pub max_delay: Duration,
    /// Fraction of the time waited so far used as the next pause (0.0:
    /// none).
    pub proportion: f64,
    /// Growth of the pause per poll (1.0: none).
    pub multiplier: f64,
    /// Fraction of each pause taken off at random (0.0 to 1.0): jitter only
    /// shortens a pause, and never below `min_delay`.
    pub jitter: f64,
    /// Overall deadline, counted from the start of the wait;
    /// `Duration::MAX` waits forever.
    pub timeout: Duration,
    /// Time kept for the last poll: when the next pause would run into
    /// it, the last poll starts this long before the deadline (or halfway
    /// there, when less time is left). Every poll, the last one included,
    /// is cut at the deadline; zero: no poll is started for the end.
    pub final_poll_timeout: Duration,
}

impl Default for WaitPolicy {
    /// The numbers behind the promise in the [module docs](crate::wait).
    ///
    /// A job that ends just after the server read the status of poll *k*
    /// (half a round trip `r` into it) is seen by poll *k + 1*, which starts
    /// a pause `p` after poll *k*'s answer: the lag is at most `p + 1.5 r`,
    /// and `p` is at most `max(min_delay, proportion × t)`, `t` being the
    /// time waited at poll *k*'s answer. Hence:
    ///
    /// * `min_delay` 0.35 s: while the pause is the minimum the lag is at
    ///   most `0.35 s + 1.5 r`, within 0.5 s for round trips up to 100 ms;
    /// * `proportion` 0.13: past that, the lag is at most `0.13 t + 1.5 r`
    ///   against 15% of `t + 0.13 t + r` for the wait's time, which holds
    ///   while `1.35 r ≤ 0.04 t`; the hand-over between the two (near
    ///   `t` = 3 s) is what limits the round trip to 80 ms (a pause
    ///   shortened by jitter only makes either side easier to keep);
    /// * `jitter` 0.1 only shortens a pause (never below `min_delay`), so
    ///   the bounds above hold whatever it draws;
    /// * `max_delay` 30 s caps the lag of long jobs at about 30 s and costs
    ///   polls only from 230 s of waiting on: a wait on a job of 300 s makes
    ///   about 47 polls to fixed 2 s polling's 147 (under a third), one on
    ///   a job of an hour about 163 to 1760.
    ///
    /// A larger proportion saves polls but breaks 15% on mid-length jobs
    /// (0.2 reached 17%); a smaller one, or a smaller minimum, buys room for
    /// slower round trips with more polls (a proportion of 0.12, or a
    /// minimum of 0.3 s with 0.125, goes over a third of fixed 2 s
    /// polling's polls at 300 s).
    fn default() -> Self {
        Self {
            min_delay: Duration::from_millis(350),
            max_delay: Duration::from_secs(30),
            proportion: 0.13,
            multiplier: 1.0,
            jitter: 0.1,
            timeout: Duration::from_secs(3600),
            final_poll_timeout: Duration::from_secs(5),
        }
    }
}

impl WaitPolicy {
    /// Polling at a fixed interval, without jitter.
    pub fn fixed(interval: Duration) -> Self {
        Self {
            min_delay: interval,
            max_delay: interval,
            proportion: 0.0,
            multiplier: 1.0,
            jitter: 0.0,
            ..Self::default()
        }
    }

    /// Sets [`min_delay`](Self::min_delay).
    pub fn with_min_delay(mut self, delay: Duration) -> Self {
        self.min_delay = delay;
        self
    }
    /// Sets [`max_delay`](Self::max_delay).
    pub fn with_max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }
    /// Sets [`proportion`](Self::proportion).
    pub fn with_proportion(mut self, proportion: f64) -> Self {
        self.proportion = proportion;
        self
    }
    /// Sets [`multiplier`](Self::multiplier).
    pub fn with_multiplier(mut self, multiplier: f64) -> Self {
        self.multiplier = multiplier;
        self
    }
    /// Sets [`jitter`](Self::jitter).
    pub fn with_jitter(mut self, jitter: f64) -> Self {
        self.jitter = jitter;
        self
    }
    /// Sets [`timeout`](Self::timeout).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
    /// Sets [`final_poll_timeout`](Self::final_poll_timeout).
    pub fn with_final_poll_timeout(mut self, timeout: Duration) -> Self {
        self.final_poll_timeout = timeout;
        self
    }

    /// The backoff this policy describes; a maximum below the minimum wins
    /// (it is the caller's latest word), and neither goes below
    /// [`MIN_POLL_DELAY`].
    fn backoff(&self) -> Backoff {
        let max = self.max_delay.max(MIN_POLL_DELAY);
        let floor = self.min_delay.max(MIN_POLL_DELAY).min(max);
        Backoff {
            initial: floor,
            multiplier: self.multiplier,
            proportion: self.proportion,
            max,
            jitter: self.jitter,
            floor,
        }
    }

    /// The pause after poll number `attempt` (1-based), `waited` into the
    /// wait, before `Retry-After`.
    pub(crate) fn delay(
        &self,
        attempt: u32,
        waited: Duration,
        rng: &mut fastrand::Rng,
    ) -> Duration {
        self.backoff().delay(attempt.saturating_sub(1), waited, rng)
    }
}

#[cfg(test)]
#[allow(clippy::result_large_err)]
mod tests {
    use tokio::time::Instant;

    use super::*;
    use crate::wait::Wait;
    use crate::wait::fake::{DONE, RUNNING, recorder};

    #[tokio::test(start_paused = true)]
    async fn delays_grow_with_the_time_waited_within_bounds() {
        let policy = WaitPolicy::default().with_timeout(Duration::from_secs(10_000));
        let (log, fetch) = recorder(|n| Ok(if n < 60 { RUNNING } else { DONE }));
        let out = Wait::from_fn("x", fetch)
            .policy(policy.clone())
            .seeded(7)
            .await
            .unwrap();
        assert_eq!(out.status, "done");
        let times = log.lock().unwrap().clone();
        assert_eq!(times[0], Duration::ZERO, "first poll at once");
        let (min, max) = (
            policy.min_delay.as_secs_f64(),
            policy.max_delay.as_secs_f64(),
        );
        for pair in times.windows(2) {
            // The pause follows the poll made at pair[0].
            let waited = pair[0].as_secs_f64();
            let base = (waited * policy.proportion).clamp(min, max);
            let low = (base * (1.0 - policy.jitter)).max(min);
            let gap = (pair[1] - pair[0]).as_secs_f64();
            // Jitter only shortens the pause, and never below the minimum.
            assert!(
                gap >= low - 1e-3 && gap <= base + 1e-3,
                "after {waited:.2} s: gap {gap:.3} not in [{low:.3}, {base:.3}]"
            );
        }
        let last = (times[times.len() - 1] - times[times.len() - 2]).as_secs_f64();
        assert!(last >= max * 0.9 - 1e-3, "reached the cap: {last}");
    }

    /// One wait with `policy` on a job that ends `duration` after the wait
    /// starts, each poll taking `round_trip` (the status read halfway
    /// through it): the polls made, the lag (from the job's end to the
    /// wait's return) and the wait's time.
    async fn simulated(
        policy: &WaitPolicy,
        duration: Duration,
        round_trip: Duration,
        seed: u64,
    ) -> (u32, Duration, Duration) {
        let start = Instant::now();
        let mut polls = 0;
        let out = Wait::from_fn("x", || {
            polls += 1;
            async move {
                tokio::time::sleep(round_trip / 2).await;
                let done = Instant::now() - start >= duration;
                tokio::time::sleep(round_trip / 2).await;
                Ok(if done { DONE } else { RUNNING })
            }
        })
        .policy(policy.clone().with_timeout(Duration::from_secs(4 * 3600)))
        .seeded(seed)
        .await;
        assert_eq!(out.unwrap().status, "done");
        let waited = Instant::now() - start;
        (polls, waited - duration, waited)
    }

    /// The promise of the module docs, wait by wait: with the default
    /// policy and round trips of up to 80 ms, no wait returns more than
    /// `max(0.5 s, 15% of its time)` after the job ended.
    #[tokio::test(start_paused = true)]
    async fn every_wait_keeps_the_lag_promise() {
        let policy = WaitPolicy::default();
        let mut rng = fastrand::Rng::with_seed(20_260_121);
        for round_trip in [10, 50, 80].map(Duration::from_millis) {
            let mut worst = 0.0_f64;
            for _ in 0..400 {
                // Durations spread evenly on a log scale from 0.1 s to 4000 s.
                let duration = Duration::from_secs_f64(0.1 * 40_000_f64.powf(rng.f64()));
                let (_, lag, waited) = simulated(&policy, duration, round_trip, rng.u64(..)).await;
                let bound = waited.mul_f64(0.15).max(Duration::from_millis(500));
                assert!(
                    lag <= bound,
                    "{round_trip:?} round trips, a job of {duration:?}: lag {lag:?} over {bound:?} ({waited:?} waited)"
                );
                worst = worst.max(lag.as_secs_f64() / bound.as_secs_f64());
            }
            // Not vacuous: some waits come close to the bound.
            assert!(worst > 0.7, "{round_trip:?}: worst {worst}");
        }
    }

    /// Waits on jobs of five minutes or more make at most a third of the
    /// polls of a fixed 2 s loop, each one and on average over jobs of
    /// `[0.8 d, 1.2 d]`, the pause cap included.
    #[tokio::test(start_paused = true)]
    async fn long_waits_make_a_third_of_fixed_two_second_polling() {
        const ROUND_TRIP: Duration = Duration::from_millis(50);
        let policy = WaitPolicy::default();
        let fixed = WaitPolicy::fixed(Duration::from_secs(2));
        let mut rng = fastrand::Rng::with_seed(20_260_122);
        for nominal in [300.0, 600.0, 3600.0] {
            let (mut ours, mut theirs) = (0, 0);
            for _ in 0..20 {
                let duration = Duration::from_secs_f64(nominal * (0.8 + 0.4 * rng.f64()));
                let (polls, _, _) = simulated(&policy, duration, ROUND_TRIP, rng.u64(..)).await;
                let (fixed_polls, _, _) = simulated(&fixed, duration, ROUND_TRIP, 0).await;
                if duration >= Duration::from_secs(300) {
                    assert!(
                        3 * polls <= fixed_polls,
                        "a job of {duration:?}: {polls} polls, fixed 2 s {fixed_polls}"
                    );
                }
                ours += polls;
                theirs += fixed_polls;
            }
            assert!(
                3 * ours <= theirs,
                "jobs of about {nominal} s: {ours} polls, fixed 2 s {theirs}"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn no_deadline_and_no_hot_loop() {
        // Duration::MAX means no deadline; a zero delay is raised to the floor.
        let (log, fetch) = recorder(|n| Ok(if n < 20 { RUNNING } else { DONE }));
        let start = Instant::now();
        Wait::from_fn("x", fetch)
            .timeout(Duration::MAX)
            .min_delay(Duration::ZERO)
            .max_delay(Duration::ZERO)
            .await
            .unwrap();
        let times = log.lock().unwrap().clone();
        assert_eq!(times.len(), 20);
        for pair in times.windows(2) {
            assert!(pair[1] - pair[0] >= MIN_POLL_DELAY, "{times:?}");
        }
        assert!(Instant::now() - start >= MIN_POLL_DELAY * 19);
    }
}
