//! Retry policy and the single request loop every operation goes through.

use std::time::{Duration, Instant, SystemTime};

use reqwest::{Method, StatusCode, header::HeaderValue};

/// When and how often a failed request is sent again.
///
/// Every operation goes through the same loop:
///
/// * a connection failure before the request was sent (refused, DNS, TLS
///   handshake, connect timeout) is retried for **every** method;
/// * 429, 500, 502, 503, 504, timeouts and other transport failures are
///   retried only for idempotent methods (GET, HEAD, PUT, DELETE, OPTIONS,
///   TRACE): a POST is never resent once bytes reached the server;
/// * a request whose body cannot be cloned (a stream) is never retried.
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

    /// Full-jitter delay before retry number `retry` (0-based).
    pub(crate) fn backoff(&self, retry: u32) -> Duration {
        let ceiling = self
            .initial_backoff
            .saturating_mul(2u32.saturating_pow(retry.min(31)))
            .min(self.max_backoff);
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(fastrand::u64(0..=nanos))
    }
}

/// GET, HEAD, PUT, DELETE, OPTIONS and TRACE (RFC 9110 §9.2.2).
pub(crate) fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS | Method::TRACE
    )
}

/// Statuses retried for idempotent methods.
pub(crate) fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 429 | 500 | 502 | 503 | 504)
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
}

/// Sends `request`, retrying as `policy` allows.
pub(crate) async fn send_with_retries(
    client: &reqwest::Client,
    policy: &RetryPolicy,
    mut request: reqwest::Request,
) -> Outcome {
    let start = Instant::now();
    let idempotent = is_idempotent(request.method());
    let mut retries = 0;
    loop {
        // Only a clonable request can be sent again; cloning a buffered
        // body is a reference-count bump.
        let spare = if retries < policy.max_retries {
            request.try_clone()
        } else {
            None
        };
        let result = client.execute(request).await;
        let delay = match (&result, &spare) {
            (_, None) => None,
            (Ok(response), Some(_)) => {
                (idempotent && is_retryable_status(response.status())).then(|| {
                    match response
                        .headers()
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| parse_retry_after(v, SystemTime::now()))
                    {
                        Some(after) => after.min(policy.max_retry_after),
                        None => policy.backoff(retries),
                    }
                })
            }
            (Err(error), Some(_)) => (error.is_connect()
                || (idempotent && (error.is_timeout() || error.is_request())))
            .then(|| policy.backoff(retries)),
        };
        match (delay, spare) {
            (Some(delay), Some(next)) => {
                let reason = match &result {
                    Ok(response) => response.status().as_u16().to_string(),
                    Err(error) if error.is_connect() => "connect error".to_string(),
                    Err(error) if error.is_timeout() => "timeout".to_string(),
                    Err(_) => "transport error".to_string(),
                };
                tracing::debug!(
                    retry = retries + 1,
                    delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                    reason = reason.as_str(),
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
        let policy = RetryPolicy::default()
            .with_initial_backoff(Duration::from_millis(100))
            .with_max_backoff(Duration::from_millis(300));
        for retry in 0..40 {
            let d = policy.backoff(retry);
            let ceiling = Duration::from_millis(100 * 2u64.pow(retry.min(10)))
                .min(Duration::from_millis(300));
            assert!(d <= ceiling, "{retry}: {d:?}");
        }
        let spread: std::collections::HashSet<_> = (0..50).map(|_| policy.backoff(5)).collect();
        assert!(spread.len() > 10, "jittered");
    }

    #[test]
    fn method_and_status_classes() {
        for m in [Method::GET, Method::HEAD, Method::PUT, Method::DELETE] {
            assert!(is_idempotent(&m));
        }
        assert!(!is_idempotent(&Method::POST) && !is_idempotent(&Method::PATCH));
        for s in [429, 500, 502, 503, 504] {
            assert!(is_retryable_status(StatusCode::from_u16(s).unwrap()));
        }
        for s in [400, 401, 403, 404, 409, 410, 422, 501] {
            assert!(!is_retryable_status(StatusCode::from_u16(s).unwrap()));
        }
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
        let client = reqwest::Client::new();
        let policy = RetryPolicy::default().with_initial_backoff(Duration::from_millis(1));
        let stream = futures_stream(b"streamed".to_vec());
        let request = client
            .put(&url)
            .body(reqwest::Body::wrap_stream(stream))
            .build()
            .unwrap();
        let outcome = send_with_retries(&client, &policy, request).await;
        assert_eq!(outcome.result.unwrap().status(), 503);
        assert_eq!(outcome.retries, 0);
        // The same request with a buffered body is retried.
        let request = client.put(&url).body("buffered").build().unwrap();
        let outcome = send_with_retries(&client, &policy, request).await;
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
