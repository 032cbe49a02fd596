//! Redirects, followed by the crate rather than by reqwest (whose clients
//! this crate builds with redirects off): reqwest drops `Authorization` on
//! a redirect to another origin but keeps custom headers such as
//! `X-API-Key`, and it sends a body on wherever a 307 points.
//!
//! The rule: credentials (`X-API-Key`, `Authorization`,
//! `X-Organization-Id`, `Cookie`, `Proxy-Authorization`) go only to the
//! origin (scheme, host and port) the request was made for, which is the
//! configured API's. A redirect within that origin is followed as a browser
//! does (a 303, and a 301 or 302 to a POST, become a GET without a body;
//! a 307 or 308 sends the same request again). A redirect to another origin
//! is followed only by a GET or HEAD, without credentials or body; any other
//! method gets the redirect response back as an error that names the
//! target's origin (never the whole location, never a credential).

use reqwest::header::{
    AUTHORIZATION, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, COOKIE, HeaderName, LOCATION,
    PROXY_AUTHORIZATION, TRANSFER_ENCODING,
};
use reqwest::{Method, Url};

use crate::upload::Replay;

/// Redirects followed for one request before giving up.
pub(crate) const MAX_REDIRECTS: usize = 10;

/// Headers sent only to the origin a request was made for.
const CREDENTIALS: [HeaderName; 5] = [
    HeaderName::from_static("x-api-key"),
    AUTHORIZATION,
    HeaderName::from_static("x-organization-id"),
    COOKIE,
    PROXY_AUTHORIZATION,
];

/// Why a redirect response was returned rather than followed; carried in
/// the response's extensions to the [`ApiError`](crate::ApiError) it becomes.
#[derive(Clone, Debug)]
pub(crate) struct NotFollowed(pub(crate) String);

/// Sends `request`, following redirects by the rule in the module docs.
/// `replay` builds a streamed (upload) body again for a 307 or 308 within
/// the origin.
pub(crate) async fn execute(
    client: &reqwest::Client,
    mut request: reqwest::Request,
    replay: Option<&Replay>,
) -> reqwest::Result<reqwest::Response> {
    let home = request.url().origin();
    let mut hops = 0;
    loop {
        let method = request.method().clone();
        let mut headers = request.headers().clone();
        let timeout = request.timeout().copied();
        let has_body = request.body().is_some();
        // A buffered body, for a 307 or 308; a streamed one is rebuilt
        // from `replay`.
        let spare_body = if has_body {
            request.try_clone().and_then(|mut r| r.body_mut().take())
        } else {
            None
        };
        let sent = request.url().origin();
        let mut response = client.execute(request).await?;
        if response.url().origin() != sent {
            // Only a caller's `reqwest::Client` with redirects on does this.
            tracing::warn!(
                to = %response.url().origin().ascii_serialization(),
                "the HTTP client followed a redirect to another origin itself; \
                 build it with reqwest::redirect::Policy::none()"
            );
        }
        let Some(target) = target(&response) else {
            return Ok(response);
        };
        let status = response.status().as_u16();
        let same_origin = target.origin() == home;
        let (next_method, keep_body) = match status {
            303 if method != Method::HEAD => (Method::GET, false),
            301 | 302 if method == Method::POST => (Method::GET, false),
            _ => (method.clone(), has_body),
        };
        let mut refusal = None;
        if hops >= MAX_REDIRECTS {
            refusal = Some(format!("too many redirects ({MAX_REDIRECTS})"));
        } else if !same_origin && !matches!(method, Method::GET | Method::HEAD) {
            refusal = Some(format!(
                "a {method} is not sent on to another origin, {}",
                target.origin().ascii_serialization()
            ));
        }
        let body = match (&refusal, keep_body, spare_body, replay) {
            (Some(_), ..) | (None, false, ..) => None,
            (None, true, Some(body), _) => Some(body),
            (None, true, None, Some(replay)) => replay.body().await,
            (None, true, None, None) => None,
        };
        if refusal.is_none() && keep_body && body.is_none() {
            refusal = Some("the request's body was a stream that cannot be sent again".into());
        }
        if let Some(reason) = refusal {
            tracing::debug!(status, reason = %reason, "redirect not followed");
            response
                .extensions_mut()
                .insert(NotFollowed(format!("not followed: {reason}")));
            return Ok(response);
        }
        tracing::debug!(
            status,
            to = %target.origin().ascii_serialization(),
            same_origin,
            "following redirect"
        );
        if !same_origin {
            for name in &CREDENTIALS {
                headers.remove(name);
            }
        }
        if !keep_body {
            for name in [
                CONTENT_TYPE,
                CONTENT_LENGTH,
                CONTENT_ENCODING,
                TRANSFER_ENCODING,
            ] {
                headers.remove(name);
            }
        }
        drop(response);
        let mut next = reqwest::Request::new(next_method, target);
        *next.headers_mut() = headers;
        *next.timeout_mut() = timeout;
        *next.body_mut() = body;
        request = next;
        hops += 1;
    }
}

/// Where a redirect response points: an http(s) URL, resolved against the
/// response's own URL; `None` for any other response.
fn target(response: &reqwest::Response) -> Option<Url> {
    if !matches!(response.status().as_u16(), 301 | 302 | 303 | 307 | 308) {
        return None;
    }
    let location = response.headers().get(LOCATION)?.to_str().ok()?;
    let url = response.url().join(location).ok()?;
    matches!(url.scheme(), "http" | "https").then_some(url)
}
