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

use crate::retry::Rebuild;

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
/// `spare` is a copy of `request` the caller keeps anyway (for a retry):
/// a redirect's next request is made from it, so that the common case, no
/// redirect, copies nothing here. Without one, a copy is made first.
/// `replay` builds a streamed (upload) body again for a 307 or 308 within
/// the origin.
///
/// Every call goes through here, so its future is kept small (a few words
/// beside reqwest's): the copy is boxed, and redirects, which are rare, are
/// followed in a boxed future of their own.
pub(crate) async fn execute(
    client: &reqwest::Client,
    request: Box<reqwest::Request>,
    spare: Option<&reqwest::Request>,
    replay: Option<&Rebuild>,
) -> reqwest::Result<reqwest::Response> {
    let own = match spare {
        Some(_) => None,
        None => Some(Box::new(copy(&request))),
    };
    let has_body = request.body().is_some();
    let response = client.execute(*request).await?;
    // `sent`: what the request just sent was a copy of.
    let Some(sent) = own.as_deref().or(spare) else {
        return Ok(response);
    };
    warn_if_followed_elsewhere(&response, sent);
    let Some(target) = target(&response) else {
        return Ok(response);
    };
    let first = Hop {
        response,
        target,
        own,
        has_body,
    };
    Box::pin(follow(client, first, spare, replay)).await
}

/// A redirect response, with what is needed to follow it.
struct Hop {
    response: reqwest::Response,
    target: Url,
    /// The copy of the request that got `response`, when it was made here
    /// (else it is the caller's spare).
    own: Option<Box<reqwest::Request>>,
    /// Whether the request that got `response` had a body.
    has_body: bool,
}

/// Follows the redirect of `hop`, and those after it.
async fn follow(
    client: &reqwest::Client,
    hop: Hop,
    spare: Option<&reqwest::Request>,
    replay: Option<&Rebuild>,
) -> reqwest::Result<reqwest::Response> {
    let Hop {
        mut response,
        mut target,
        mut own,
        mut has_body,
    } = hop;
    let mut home: Option<Url> = None;
    let mut hops = 0;
    loop {
        // The first hop has a spare or its own copy, every later one its own.
        let Some(sent) = own.as_deref().or(spare) else {
            return Ok(response);
        };
        let home = home.get_or_insert_with(|| sent.url().clone());
        let method = sent.method().clone();
        let status = response.status().as_u16();
        let same_origin = same_origin(&target, home);
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
        // A buffered body is in the copy; a streamed one is rebuilt from
        // `replay`.
        let spare_body = sent.try_clone().and_then(|mut r| r.body_mut().take());
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
        let mut headers = sent.headers().clone();
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
        let timeout = sent.timeout().copied();
        drop(response);
        let mut next = reqwest::Request::new(next_method, target);
        *next.headers_mut() = headers;
        *next.timeout_mut() = timeout;
        *next.body_mut() = body;
        // A streamed body went with the first request only; the next hop's
        // copy holds what is sent now.
        has_body = next.body().is_some();
        let copy = Box::new(copy(&next));
        response = client.execute(next).await?;
        warn_if_followed_elsewhere(&response, &copy);
        own = Some(copy);
        hops += 1;
        match self::target(&response) {
            Some(next) => target = next,
            None => return Ok(response),
        }
    }
}

/// Only a caller's `reqwest::Client` with redirects on answers from
/// another origin than the one `sent` went to.
fn warn_if_followed_elsewhere(response: &reqwest::Response, sent: &reqwest::Request) {
    if !same_origin(response.url(), sent.url()) {
        tracing::warn!(
            to = %response.url().origin().ascii_serialization(),
            "the HTTP client followed a redirect to another origin itself; \
             build it with reqwest::redirect::Policy::none()"
        );
    }
}

/// A copy of `request`: with its body when that is buffered, else its head
/// (method, URL, headers, version, timeout).
pub(crate) fn copy(request: &reqwest::Request) -> reqwest::Request {
    try_copy(request).unwrap_or_else(|| head(request))
}

/// A copy of `request`, `None` when its body is a stream.
///
/// Without a body it is the head alone: `reqwest::Request::try_clone`
/// (reqwest 0.13) sets the timeout on the new request, allocating its
/// extension map, then replaces that map with a clone of the original's:
/// four allocations more per call than the head needs.
pub(crate) fn try_copy(request: &reqwest::Request) -> Option<reqwest::Request> {
    match request.body() {
        Some(_) => request.try_clone(),
        None => Some(head(request)),
    }
}

fn head(request: &reqwest::Request) -> reqwest::Request {
    let mut head = reqwest::Request::new(request.method().clone(), request.url().clone());
    *head.headers_mut() = request.headers().clone();
    *head.version_mut() = request.version();
    if let Some(timeout) = request.timeout() {
        *head.timeout_mut() = Some(*timeout);
    }
    head
}

/// Whether `a` and `b` have the same origin (scheme, host and port), without
/// building either's [`Url::origin`] (which allocates).
fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host() == b.host()
        && a.port_or_known_default() == b.port_or_known_default()
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
