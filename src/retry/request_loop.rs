//! The request loop every call goes through: one attempt after another as
//! the rule of [`super`] allows, with the one copy of a request per attempt
//! that a retry or a redirect needs, a success body read whole where a
//! broken one can be retried, and the contract ([`RebuildBody`]) with the
//! bodies that cannot be cloned.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use super::{Disposition, Failure, RetryPolicy, disposition, parse_retry_after};

/// A streamed request body that can be built again from the start, for a
/// retry or a redirect's next request: the request loop's contract with
/// the bodies it cannot clone. Uploads implement it (a form is read again
/// from its files), and [`Rebuild::attach`] hands it to the loop.
pub(crate) trait RebuildBody: Send + Sync + 'static {
    /// The body from the start; `None` when it cannot be built again (a
    /// stream that was already read).
    fn rebuild(&self) -> futures_util::future::BoxFuture<'_, Option<reqwest::Body>>;
}

/// A [`RebuildBody`] travelling with its request.
#[derive(Clone)]
pub(crate) struct Rebuild(Arc<dyn RebuildBody>);

impl Rebuild {
    pub(crate) fn new(body: impl RebuildBody) -> Self {
        Self(Arc::new(body))
    }

    /// The body again from the start.
    pub(crate) async fn body(&self) -> Option<reqwest::Body> {
        self.0.rebuild().await
    }

    /// Puts `self` into `request`, for the request loop to find.
    ///
    /// reqwest keeps a request's extensions private; they travel through
    /// its conversions to and from `http::Request` (reqwest 0.13
    /// `async_impl/request.rs`: `TryFrom` both ways keeps `extensions`).
    pub(crate) fn attach(self, request: &mut reqwest::Request) -> Result<(), String> {
        let placeholder = reqwest::Request::new(request.method().clone(), request.url().clone());
        let taken = std::mem::replace(request, placeholder);
        let url = taken.url().to_string();
        let fail = |e: reqwest::Error| format!("cannot send a form to {url}: {e}");
        let mut http = http::Request::<reqwest::Body>::try_from(taken).map_err(fail)?;
        http.extensions_mut().insert(self);
        *request = reqwest::Request::try_from(http).map_err(fail)?;
        Ok(())
    }

    /// What `request` carries, taken out of it. Only called for a request
    /// whose body cannot be cloned; for one made by [`attach`](Self::attach),
    /// whose round trip through `http::Request` already succeeded, the
    /// conversion cannot fail.
    pub(crate) fn take(
        request: reqwest::Request,
    ) -> Result<(reqwest::Request, Option<Self>), reqwest::Error> {
        let mut http = http::Request::<reqwest::Body>::try_from(request)?;
        let rebuild = http.extensions_mut().remove::<Self>();
        Ok((reqwest::Request::try_from(http)?, rebuild))
    }
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

/// What a request needs to be sent again: itself (a buffered body clones
/// cheaply), or its head and the form that builds its body again. Boxed, as
/// is anything else large that is kept across an await, so that the
/// future every call awaits stays small (see `send_with_retries`).
enum Spare {
    Clone(Box<reqwest::Request>),
    Replay(Box<reqwest::Request>),
    None,
}

/// Whether the request loop reads a success response's body before
/// returning it, so that a body that breaks off is a failed attempt it can
/// retry. It is read only when a retry could follow (a method the rule
/// retries after a broken response, with retries left), and left in the
/// response's extensions (`types::__support::ReadBody`) for whoever decodes
/// it: the generated decoders, and `RawRequest::bytes`.
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
                .map(str::trim)
                .is_some_and(|essence| {
                    let suffix = essence
                        .len()
                        .checked_sub(5)
                        .and_then(|at| essence.get(at..));
                    essence.eq_ignore_ascii_case("application/json")
                        || suffix.is_some_and(|s| s.eq_ignore_ascii_case("+json"))
                }),
        }
    }
}

/// Sends `request`, retrying as `policy` and [`disposition`] allow; `read`
/// says whether a success response's body is read first.
pub(crate) async fn send_with_retries(
    client: &reqwest::Client,
    policy: &RetryPolicy,
    mut request: Box<reqwest::Request>,
    read: ReadBody,
) -> Outcome {
    let start = Instant::now();
    let method = request.method().clone();
    let mut retries = 0;
    // A streamed body is built again by what its request carries (see
    // `Rebuild`).
    let mut replay = None;
    // Also taken without retries: a 307 or 308 within the API's origin
    // sends the body again.
    if request.body().is_some_and(|body| body.as_bytes().is_none()) {
        match Rebuild::take(*request) {
            Ok((taken, form)) => {
                request = Box::new(taken);
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
        } else if let Some(clone) = crate::redirect::try_copy(&request) {
            Spare::Clone(Box::new(clone))
        } else if replay.is_some() {
            Spare::Replay(Box::new(crate::redirect::copy(&request)))
        } else {
            Spare::None
        };
        let copy = match &spare {
            Spare::Clone(r) | Spare::Replay(r) => Some(r.as_ref()),
            Spare::None => None,
        };
        let mut result = crate::redirect::execute(client, request, copy, replay.as_ref()).await;
        if retries < policy.max_retries
            && disposition(&method, Failure::Body) == Disposition::Retry
            && let Ok(response) = &mut result
            && response.status().is_success()
            && read.wants(response)
        {
            // The generated decoders' reader (a small future, no copy).
            match crate::types::__support::read_body(response).await {
                Ok(body) => {
                    response
                        .extensions_mut()
                        .insert(crate::types::__support::ReadBody(body));
                }
                Err(error) => result = Err(error),
            }
        }
        let failure = match &result {
            Ok(response) if response.status().is_success() => None,
            Ok(response) => Some(Failure::Status(response.status())),
            Err(error) => Some(Failure::of(error)),
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
                    None => {
                        policy
                            .backoff()
                            .delay(retries, start.elapsed(), &mut fastrand::Rng::new())
                    }
                };
                tracing::debug!(
                    retry = retries + 1,
                    delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                    reason = ?failure,
                    "retrying request"
                );
                drop(result);
                // Boxed: only a retry waits.
                Box::pin(tokio::time::sleep(delay)).await;
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
        let outcome = send_with_retries(&client, &policy, Box::new(request), ReadBody::Never).await;
        assert_eq!(outcome.result.unwrap().status(), 503);
        assert_eq!(outcome.retries, 0);
        // The same request with a buffered body is retried.
        let request = client.put(&url).body("buffered").build().unwrap();
        let outcome = send_with_retries(&client, &policy, Box::new(request), ReadBody::Never).await;
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
