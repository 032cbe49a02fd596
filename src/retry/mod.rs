//! The one place that decides what a failure means, the one backoff both
//! retries and waits use, and the request loop every call goes through.
//!
//! A failed attempt is **transient** (408, 429, 500, 502, 503, 504, a
//! connection failure, a timeout, a broken response) or **permanent**
//! (anything else). A transient failure is **retried by the client** when
//! resending cannot do anything twice: for every method when the connection
//! was never made or the server answered 429 (it refused the request
//! without processing it), and for any failure of an idempotent method
//! (GET, HEAD, PUT, DELETE, OPTIONS, TRACE). Other transient failures (a
//! POST answered 503, a POST that timed out) are returned, and a wait
//! absorbs them by polling again. [`ApiError::is_retryable`], [`RetryPolicy`]
//! and the waits all ask [`disposition`].
//!
//! [`ApiError::is_retryable`]: crate::ApiError::is_retryable

use std::time::{Duration, SystemTime};

use reqwest::{Method, StatusCode, header::HeaderValue};

/// What went wrong with one attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Failure {
    /// The server answered with this (error) status.
    Status(StatusCode),
    /// No connection: nothing reached the server.
    Connect,
    /// No response within the timeout: the server may have processed it.
    Timeout,
    /// The response's body broke off.
    Body,
    /// The exchange broke off otherwise (reset, protocol error, …).
    Transport,
    /// A failure on this side (invalid request, undecodable success body).
    Other,
}

impl Failure {
    /// The failure of an exchange that ended in `error` (no response, or a
    /// response whose body broke off): the crate's one reading of a
    /// `reqwest::Error`, for retries and for [`ApiError`](crate::ApiError).
    pub(crate) fn of(error: &reqwest::Error) -> Self {
        if error.is_connect() {
            Self::Connect
        } else if error.is_timeout() {
            Self::Timeout
        } else if error.is_body() || error.is_decode() {
            Self::Body
        } else {
            Self::Transport
        }
    }
}

/// What to do about a failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Disposition {
    /// Transient and safe to resend: the client retries it.
    Retry,
    /// Transient, but resending might do it twice: returned to the caller;
    /// waits poll again.
    Absorb,
    /// Permanent: returned; waits end.
    Permanent,
}

/// Whether the same request may succeed later.
pub(crate) fn is_transient(failure: Failure) -> bool {
    match failure {
        Failure::Status(s) => matches!(s.as_u16(), 408 | 429 | 500 | 502 | 503 | 504),
        Failure::Connect | Failure::Timeout | Failure::Body | Failure::Transport => true,
        Failure::Other => false,
    }
}

/// The rule (see the module docs).
pub(crate) fn disposition(method: &Method, failure: Failure) -> Disposition {
    if !is_transient(failure) {
        return Disposition::Permanent;
    }
    let never_processed = matches!(failure, Failure::Connect)
        || failure == Failure::Status(StatusCode::TOO_MANY_REQUESTS);
    if never_processed || is_idempotent(method) {
        Disposition::Retry
    } else {
        Disposition::Absorb
    }
}

/// GET, HEAD, PUT, DELETE, OPTIONS and TRACE (RFC 9110 §9.2.2).
pub(crate) fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS | Method::TRACE
    )
}

/// The pause before the next attempt or poll: it grows geometrically with
/// the attempt number and in proportion to the time already spent, within
/// `[floor, max]`, less a random part of up to `jitter` of it.
///
/// Retries use full jitter (`initial × 2ⁿ`, any part of it taken off, no
/// floor); waits use a floor and an interval proportional to the time
/// waited (see [`WaitPolicy`](crate::wait::WaitPolicy)). One type serves both
/// because both need a bound, jitter and `Retry-After` on top; crates such as
/// `backon` offer the geometric form only.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Backoff {
    /// The pause of attempt 0, before jitter.
    pub(crate) initial: Duration,
    /// Growth per attempt (1.0: none).
    pub(crate) multiplier: f64,
    /// Fraction of the time already spent (0.0: none).
    pub(crate) proportion: f64,
    /// Longest pause.
    pub(crate) max: Duration,
    /// Fraction of the pause taken off at random (0.0 to 1.0): jitter only
    /// ever shortens a pause, so a bound on the pause without jitter bounds
    /// every pause.
    pub(crate) jitter: f64,
    /// Shortest pause, after jitter (and at most `max`).
    pub(crate) floor: Duration,
}

impl Backoff {
    /// The pause after attempt `attempt` (0-based), `spent` into the work.
    pub(crate) fn delay(&self, attempt: u32, spent: Duration, rng: &mut fastrand::Rng) -> Duration {
        let max = self.max.as_secs_f64();
        let floor = self.floor.as_secs_f64().min(max);
        let geometric = self.initial.as_secs_f64()
            * self
                .multiplier
                .max(1.0)
                .powi(i32::try_from(attempt.min(64)).unwrap_or(64));
        let proportional = spent.as_secs_f64() * self.proportion.max(0.0);
        let base = geometric.max(proportional).min(max);
        let jittered = base * (1.0 - self.jitter.clamp(0.0, 1.0) * rng.f64());
        Duration::from_secs_f64(jittered.max(floor).min(max).max(0.0))
    }
}

/// When and how often a failed request is sent again.
///
/// Which failures are retried is decided by one rule for the whole crate:
///
/// * a connection that was never made (refused, DNS, TLS handshake,
///   connect timeout) and a 429 (the server refused the request before
///   processing it) are retried for **every** method;
/// * 408, 500, 502, 503, 504, timeouts and broken responses are retried only
///   for idempotent methods (GET, HEAD, PUT, DELETE, OPTIONS, TRACE): a POST
///   or PATCH is never resent once it may have been processed. A response
///   body that breaks off counts when the client reads it whole (the
///   generated operations' JSON bodies,
///   [`RawRequest::bytes`](crate::RawRequest::bytes) and
///   [`RawRequest::decode`](crate::RawRequest::decode)), not when it is
///   streamed to the caller;
/// * a request whose body cannot be replayed (a stream) is never retried.
///
/// The delay before retry *n* (0-based) is drawn uniformly from
/// `0..=min(max_backoff, initial_backoff * 2^n)` ("full jitter"), unless
/// the response carries `Retry-After` (seconds or HTTP-date), which is
/// honoured up to `max_retry_after`.
///
/// ```
/// use std::time::Duration;
/// use ionworks::RetryPolicy;
///
/// let policy = RetryPolicy::default()
///     .with_max_retries(5)
///     .with_initial_backoff(Duration::from_millis(200));
/// assert_eq!(policy.max_retries, 5);
/// assert_eq!(RetryPolicy::none().max_retries, 0);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Retries after the first attempt; 0 switches retries off. Default 3.
    pub max_retries: u32,
    /// Upper bound of the first backoff delay. Default 500 ms.
    pub initial_backoff: Duration,
    /// Upper bound of any backoff delay. Default 20 s.
    pub max_backoff: Duration,
    /// Longest `Retry-After` honoured; longer values are cut to this. Default 60 s.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 3,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(20),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    ///
    /// ```
    /// let client = ionworks::Client::builder()
    ///     .api_key("key")
    ///     .retry_policy(ionworks::RetryPolicy::none())
    ///     .build()?;
    /// assert_eq!(client.config().retry_policy().max_retries, 0);
    /// # Ok::<(), ionworks::ConfigError>(())
    /// ```
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// Sets [`max_retries`](Self::max_retries).
    pub fn with_max_retries(mut self, max_retries: u32) -> Self {
        self.max_retries = max_retries;
        self
    }

    /// Sets [`initial_backoff`](Self::initial_backoff).
    pub fn with_initial_backoff(mut self, delay: Duration) -> Self {
        self.initial_backoff = delay;
        self
    }

    /// Sets [`max_backoff`](Self::max_backoff).
    pub fn with_max_backoff(mut self, delay: Duration) -> Self {
        self.max_backoff = delay;
        self
    }

    /// Sets [`max_retry_after`](Self::max_retry_after).
    pub fn with_max_retry_after(mut self, delay: Duration) -> Self {
        self.max_retry_after = delay;
        self
    }

    /// Full-jitter exponential backoff.
    fn backoff(&self) -> Backoff {
        Backoff {
            initial: self.initial_backoff,
            multiplier: 2.0,
            proportion: 0.0,
            max: self.max_backoff,
            jitter: 1.0,
            floor: Duration::ZERO,
        }
    }
}

/// `Retry-After` as a delay from `now`: delta-seconds or an HTTP-date
/// (IMF-fixdate, RFC 850 or asctime form). A date in the past is zero.
pub(crate) fn parse_retry_after(value: &HeaderValue, now: SystemTime) -> Option<Duration> {
    let text = value.to_str().ok()?.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = parse_http_date(text)?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

fn parse_http_date(text: &str) -> Option<SystemTime> {
    use chrono::{DateTime, NaiveDateTime, Utc};
    let utc: DateTime<Utc> = if let Ok(d) = DateTime::parse_from_rfc2822(text) {
        d.with_timezone(&Utc)
    } else {
        let naive = NaiveDateTime::parse_from_str(text, "%A, %d-%b-%y %H:%M:%S GMT")
            .or_else(|_| NaiveDateTime::parse_from_str(text, "%a %b %e %H:%M:%S %Y"))
            .ok()?;
        naive.and_utc()
    };
    let secs = u64::try_from(utc.timestamp()).ok()?;
    Some(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
}

mod request_loop;

pub(crate) use request_loop::{Outcome, ReadBody, Rebuild, RebuildBody, send_with_retries};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
        let parse = |s: &str| parse_retry_after(&HeaderValue::from_str(s).unwrap(), now);
        assert_eq!(parse("1"), Some(Duration::from_secs(1)));
        assert_eq!(parse(" 120 "), Some(Duration::from_secs(120)));
        assert_eq!(
            parse("Sun, 06 Nov 1994 08:49:47 GMT"),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse("Sunday, 06-Nov-94 08:50:37 GMT"),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            parse("Sun Nov  6 08:49:40 1994"),
            Some(Duration::from_secs(3))
        );
        assert_eq!(parse("Sat, 05 Nov 1994 08:49:37 GMT"), Some(Duration::ZERO));
        assert_eq!(parse("soon"), None);
        assert_eq!(parse("-1"), None);
    }

    #[test]
    fn backoff_is_full_jitter_and_capped() {
        let backoff = RetryPolicy::default()
            .with_initial_backoff(Duration::from_millis(100))
            .with_max_backoff(Duration::from_millis(300))
            .backoff();
        let mut rng = fastrand::Rng::with_seed(7);
        for retry in 0..40 {
            let d = backoff.delay(retry, Duration::ZERO, &mut rng);
            let ceiling = Duration::from_millis(100 * 2u64.pow(retry.min(10)))
                .min(Duration::from_millis(300));
            assert!(d <= ceiling, "{retry}: {d:?}");
        }
        let spread: std::collections::HashSet<_> = (0..50)
            .map(|_| backoff.delay(5, Duration::ZERO, &mut rng))
            .collect();
        assert!(spread.len() > 10, "jittered");
    }

    #[test]
    fn proportional_backoff_has_a_floor_and_a_ceiling() {
        let backoff = Backoff {
            initial: Duration::from_millis(500),
            multiplier: 1.0,
            proportion: 0.2,
            max: Duration::from_secs(30),
            jitter: 0.0,
            floor: Duration::from_millis(500),
        };
        let mut rng = fastrand::Rng::with_seed(1);
        let at =
            |secs: u64, rng: &mut fastrand::Rng| backoff.delay(3, Duration::from_secs(secs), rng);
        assert_eq!(at(0, &mut rng), Duration::from_millis(500));
        assert_eq!(at(10, &mut rng), Duration::from_secs(2));
        assert_eq!(at(100, &mut rng), Duration::from_secs(20));
        assert_eq!(at(10_000, &mut rng), Duration::from_secs(30));
        let huge = Backoff {
            multiplier: 1e9,
            ..backoff
        };
        assert_eq!(
            huge.delay(u32::MAX, Duration::MAX, &mut rng),
            Duration::from_secs(30)
        );
    }

    #[test]
    fn jitter_only_shortens_and_the_floor_holds() {
        let backoff = Backoff {
            initial: Duration::from_millis(350),
            multiplier: 1.0,
            proportion: 0.13,
            max: Duration::from_secs(30),
            jitter: 0.1,
            floor: Duration::from_millis(350),
        };
        let steady = Backoff {
            jitter: 0.0,
            ..backoff
        };
        let mut rng = fastrand::Rng::with_seed(21);
        let mut shortened = 0;
        for _ in 0..10_000 {
            let spent = Duration::from_secs_f64(400.0 * rng.f64());
            let attempt = rng.u32(0..100);
            let base = steady.delay(attempt, spent, &mut rng);
            let d = backoff.delay(attempt, spent, &mut rng);
            assert!(d <= base, "{spent:?}: {d:?} > {base:?}");
            assert!(d >= backoff.floor, "{spent:?}: {d:?}");
            assert!(d.as_secs_f64() >= 0.9 * base.as_secs_f64() - 1e-9);
            shortened += usize::from(d < base);
        }
        assert!(shortened > 9_000, "jittered: {shortened}");
    }

    #[test]
    fn one_rule_for_methods_and_failures() {
        use Disposition::*;
        let status = |s: u16| Failure::Status(StatusCode::from_u16(s).unwrap());
        for m in [Method::GET, Method::HEAD, Method::PUT, Method::DELETE] {
            assert!(is_idempotent(&m));
            for f in [
                status(408),
                status(429),
                status(503),
                Failure::Timeout,
                Failure::Connect,
            ] {
                assert_eq!(disposition(&m, f), Retry, "{m} {f:?}");
            }
        }
        for m in [Method::POST, Method::PATCH] {
            assert!(!is_idempotent(&m));
            assert_eq!(disposition(&m, Failure::Connect), Retry);
            assert_eq!(
                disposition(&m, status(429)),
                Retry,
                "refused, not processed"
            );
            for f in [
                status(408),
                status(500),
                status(502),
                status(503),
                status(504),
                Failure::Timeout,
                Failure::Body,
                Failure::Transport,
            ] {
                assert_eq!(disposition(&m, f), Absorb, "{m} {f:?}");
            }
        }
        for s in [400, 401, 403, 404, 409, 410, 422, 501] {
            assert!(!is_transient(status(s)));
            assert_eq!(disposition(&Method::GET, status(s)), Permanent);
        }
        assert_eq!(disposition(&Method::GET, Failure::Other), Permanent);
    }
}
