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

use std::time::{Duration, Instant, SystemTime};

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
    /// The exchange broke off after sending.
    Transport,
    /// A failure on this side (invalid request, undecodable success body).
    Other,
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
        Failure::Connect | Failure::Timeout | Failure::Transport => true,
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

/// What one request cost: retries made and time until the final response.
pub(crate) struct Outcome {
    pub(crate) result: reqwest::Result<reqwest::Response>,
    pub(crate) retries: u32,
    pub(crate) elapsed: Duration,
    /// A retry the rule allowed did not happen: the body was a stream that
    /// had already been read.
    pub(crate) not_replayed: bool,
}

/// The failure of an attempt that got no response.
pub(crate) fn transport_failure(error: &reqwest::Error) -> Failure {
    if error.is_connect() {
        Failure::Connect
    } else if error.is_timeout() {
        Failure::Timeout
    } else {
        Failure::Transport
    }
}

/// What a request needs to be sent again: itself (a buffered body clones
/// cheaply), or its head and the form that builds its body again.
enum Spare {
    Clone(reqwest::Request),
    Replay(reqwest::Request),
    None,
}

/// Whether the request loop reads a success response's body before
/// returning it, so that a body that breaks off is a failed attempt it can
/// retry. It is read only when a retry could follow (a method the rule
/// retries after a broken response, with retries left).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReadBody {
    /// Left to the caller, who may stream it.
    Never,
    /// Read when it is JSON, `application/json` or `…+json` (it is
    /// decoded whole anyway; a stream such as NDJSON is left alone).
    Json,
    /// Always read.
    Always,
}

impl ReadBody {
    fn wants(self, response: &reqwest::Response) -> bool {
        match self {
            Self::Never => false,
            Self::Always => true,
            Self::Json => response
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(';').next())
                .map(|essence| essence.trim().to_ascii_lowercase())
                .is_some_and(|essence| essence == "application/json" || essence.ends_with("+json")),
        }
    }
}

/// `response` with its whole body read into memory; the error of a body
/// that breaks off.
async fn read_whole(mut response: reqwest::Response) -> reqwest::Result<reqwest::Response> {
    use reqwest::ResponseBuilderExt as _;
    use reqwest::header::{CONTENT_ENCODING, CONTENT_LENGTH, TRANSFER_ENCODING};
    let status = response.status();
    let version = response.version();
    let url = response.url().clone();
    let mut headers = std::mem::take(response.headers_mut());
    let extensions = std::mem::take(response.extensions_mut());
    let body = response.bytes().await?;
    // The body is decoded already, and now has a known length.
    headers.remove(TRANSFER_ENCODING);
    headers.remove(CONTENT_ENCODING);
    headers.insert(CONTENT_LENGTH, body.len().into());
    let mut rebuilt = http::Response::builder()
        .url(url)
        .body(body)
        .unwrap_or_else(|e| http::Response::new(e.to_string().into()));
    *rebuilt.status_mut() = status;
    *rebuilt.version_mut() = version;
    *rebuilt.headers_mut() = headers;
    rebuilt.extensions_mut().extend(extensions);
    Ok(reqwest::Response::from(rebuilt))
}

/// Sends `request`, retrying as `policy` and [`disposition`] allow; `read`
/// says whether a success response's body is read first.
pub(crate) async fn send_with_retries(
    client: &reqwest::Client,
    policy: &RetryPolicy,
    mut request: reqwest::Request,
    read: ReadBody,
) -> Outcome {
    let start = Instant::now();
    let method = request.method().clone();
    let backoff = policy.backoff();
    let mut rng = fastrand::Rng::new();
    let mut retries = 0;
    // A streamed form body is built again from its form (see `upload`).
    let mut replay = None;
    // Also taken without retries: a 307 or 308 within the API's origin
    // sends the body again.
    if request.body().is_some_and(|body| body.as_bytes().is_none()) {
        match crate::upload::take_replay(request) {
            Ok((taken, form)) => {
                request = taken;
                replay = form;
            }
            Err(e) => {
                return Outcome {
                    result: Err(e),
                    retries,
                    elapsed: start.elapsed(),
                    not_replayed: false,
                };
            }
        }
    }
    loop {
        // The one copy of the request per attempt: for a retry, and for a
        // redirect's next request (with a streamed body, its head).
        let spare = if retries >= policy.max_retries {
            Spare::None
        } else if let Some(clone) = request.try_clone() {
            Spare::Clone(clone)
        } else if replay.is_some() {
            Spare::Replay(crate::redirect::copy(&request))
        } else {
            Spare::None
        };
        let copy = match &spare {
            Spare::Clone(r) | Spare::Replay(r) => Some(r),
            Spare::None => None,
        };
        let mut result = crate::redirect::execute(client, request, copy, replay.as_ref()).await;
        if retries < policy.max_retries
            && disposition(&method, Failure::Transport) == Disposition::Retry
            && let Ok(response) = result
        {
            result = if response.status().is_success() && read.wants(&response) {
                read_whole(response).await
            } else {
                Ok(response)
            };
        }
        let failure = match &result {
            Ok(response) if response.status().is_success() => None,
            Ok(response) => Some(Failure::Status(response.status())),
            Err(error) => Some(transport_failure(error)),
        };
        let allowed = failure.is_some_and(|f| disposition(&method, f) == Disposition::Retry);
        let next = match (allowed, spare, &replay) {
            (true, Spare::Clone(next), _) => Some(next),
            (true, Spare::Replay(mut head), Some(form)) => match form.body().await {
                Some(body) => {
                    *head.body_mut() = Some(body);
                    Some(head)
                }
                None => {
                    return Outcome {
                        result,
                        retries,
                        elapsed: start.elapsed(),
                        not_replayed: true,
                    };
                }
            },
            _ => None,
        };
        match (next, failure) {
            (Some(next), Some(failure)) => {
                let retry_after = result.as_ref().ok().and_then(|response| {
                    response
                        .headers()
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| parse_retry_after(v, SystemTime::now()))
                });
                let delay = match retry_after {
                    Some(after) => after.min(policy.max_retry_after),
                    None => backoff.delay(retries, start.elapsed(), &mut rng),
                };
                tracing::debug!(
                    retry = retries + 1,
                    delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                    reason = ?failure,
                    "retrying request"
                );
                drop(result);
                tokio::time::sleep(delay).await;
                request = next;
                retries += 1;
            }
            _ => {
                return Outcome {
                    result,
                    retries,
                    elapsed: start.elapsed(),
                    not_replayed: false,
                };
            }
        }
    }
}

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

    /// A streamed body cannot be cloned, so a 503 to a GET is not retried.
    #[tokio::test]
    async fn unclonable_body_is_never_retried() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/x", listener.local_addr().unwrap());
        let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = hits.clone();
        tokio::spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            while let Ok((mut socket, _)) = listener.accept().await {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let mut buf = [0u8; 4096];
                let _ = socket.read(&mut buf).await;
                let _ = socket
                    .write_all(b"HTTP/1.1 503 X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                    .await;
            }
        });
        let client = crate::http_client_builder().unwrap().build().unwrap();
        let policy = RetryPolicy::default().with_initial_backoff(Duration::from_millis(1));
        let stream = futures_stream(b"streamed".to_vec());
        let request = client
            .put(&url)
            .body(reqwest::Body::wrap_stream(stream))
            .build()
            .unwrap();
        let outcome = send_with_retries(&client, &policy, request, ReadBody::Never).await;
        assert_eq!(outcome.result.unwrap().status(), 503);
        assert_eq!(outcome.retries, 0);
        // The same request with a buffered body is retried.
        let request = client.put(&url).body("buffered").build().unwrap();
        let outcome = send_with_retries(&client, &policy, request, ReadBody::Never).await;
        assert_eq!(outcome.retries, 3);
        assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 5);
    }

    /// A one-item stream without pulling in `futures`.
    fn futures_stream(
        bytes: Vec<u8>,
    ) -> impl futures_core::Stream<Item = Result<Vec<u8>, std::io::Error>> + Send + Sync + 'static
    {
        struct Once(Option<Vec<u8>>);
        impl futures_core::Stream for Once {
            type Item = Result<Vec<u8>, std::io::Error>;
            fn poll_next(
                mut self: std::pin::Pin<&mut Self>,
                _: &mut std::task::Context<'_>,
            ) -> std::task::Poll<Option<Self::Item>> {
                std::task::Poll::Ready(self.0.take().map(Ok))
            }
        }
        Once(Some(bytes))
    }
}
