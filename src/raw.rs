//! Calling any path of the API, with the client's configuration: the
//! escape hatch for operations the vendored spec does not describe.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use reqwest::Method;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderName, HeaderValue};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::retry::ReadBody;
use crate::{ApiError, Client};

impl Client {
    /// A request to any path of the configured server, for the operations
    /// the generated methods do not cover. It gets everything they get: the
    /// base URL, auth and organization headers, the request timeout, the
    /// retry rules for its method, the `ionworks.request` tracing span and
    /// [`ApiError`]s (an error status is an error).
    ///
    /// `path` is made of literal segments (`"/users/me"`); put values in
    /// with [`segment`](RawRequest::segment), which encodes them by the same
    /// rules as the generated methods' path parameters.
    ///
    /// ```
    /// use ionworks::reqwest::Method;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let stand_in = ionworks::testing::StandIn::start().await?;
    /// # let client = stand_in.client();
    /// // `GET /users/me`, which the vendored spec does not describe.
    /// let me: serde_json::Value = client.request(Method::GET, "/users/me").decode().await?;
    /// println!("signed in as {}", me["email"]);
    ///
    /// // A path parameter and a query string; an error status is an ApiError.
    /// let missing = client
    ///     .request(Method::GET, "/jobs")
    ///     .segment("no-such-job")
    ///     .query(&[("verbose", "true")])
    ///     .decode::<ionworks::types::JobResponse>()
    ///     .await
    ///     .unwrap_err();
    /// assert_eq!(missing.to_string(), "404 Not Found from GET /jobs/{}: Job no-such-job not found");
    ///
    /// // A dot segment never leaves the path: it is refused before sending.
    /// let refused = client.request(Method::POST, "/jobs").segment("..").send().await;
    /// assert!(refused.is_err());
    /// # Ok(()) }
    /// ```
    pub fn request(&self, method: Method, path: &str) -> RawRequest<'_> {
        let mut request = RawRequest {
            client: self,
            method,
            template: String::new(),
            path: String::new(),
            query: Vec::new(),
            body: None,
            form: None,
            headers: Vec::new(),
            timeout: None,
            error: None,
        };
        if !path.starts_with('/') {
            request.refuse(format!("path {path:?} must start with `/`"));
            return request;
        }
        for literal in path[1..].split('/') {
            if literal.contains(['?', '#']) {
                request.refuse(format!(
                    "path {path:?} must not contain `?` or `#`; use .query(..)"
                ));
                return request;
            }
            request = request.push(literal, literal);
        }
        request
    }
}

/// A request built by [`Client::request`]; nothing is sent until one of
/// [`send`](Self::send), [`decode`](Self::decode), [`bytes`](Self::bytes)
/// or [`bytes_stream`](Self::bytes_stream) is awaited.
#[must_use = "a request does nothing until sent"]
pub struct RawRequest<'a> {
    client: &'a Client,
    method: Method,
    /// `GET /jobs/{}` — the operation name in errors and tracing.
    template: String,
    path: String,
    query: Vec<(String, String)>,
    body: Option<(Bytes, &'static str)>,
    form: Option<crate::upload::Form>,
    headers: Vec<(HeaderName, HeaderValue)>,
    timeout: Option<Duration>,
    /// The first problem found while building, reported by `send`.
    error: Option<String>,
}

impl fmt::Debug for RawRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &self.query)
            .field("body_len", &self.body.as_ref().map(|(b, _)| b.len()))
            .field("form", &self.form)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl<'a> RawRequest<'a> {
    fn refuse(&mut self, message: String) {
        self.error.get_or_insert(message);
    }

    fn push(mut self, shown: &str, value: &str) -> Self {
        use crate::types::__support::path_segment;
        match path_segment(value, "", "segment") {
            Ok(encoded) => {
                self.template.push('/');
                self.template.push_str(shown);
                self.path.push('/');
                self.path.push_str(&encoded);
            }
            // The operation's name is written out only for the message.
            Err(_) => {
                if let Err(message) = path_segment(value, &self.operation(), "segment") {
                    self.refuse(message);
                }
            }
        }
        self
    }

    fn operation(&self) -> String {
        format!("{} {}", self.method, self.template)
    }

    /// Appends one path segment holding `value`, percent-encoded; an empty
    /// value or a dot segment (`.`, `..`) is refused when sending.
    pub fn segment(self, value: impl fmt::Display) -> Self {
        let value = value.to_string();
        self.push("{}", &value)
    }

    /// Adds query parameters (anything serde serializes as a form: pairs,
    /// maps, structs).
    pub fn query<T: Serialize + ?Sized>(mut self, query: &T) -> Self {
        match serde_urlencoded::to_string(query) {
            Ok(text) => self.query.extend(
                url::form_urlencoded::parse(text.as_bytes())
                    .map(|(k, v)| (k.into_owned(), v.into_owned())),
            ),
            Err(e) => self.refuse(format!("query cannot be encoded: {e}")),
        }
        self
    }

    /// A JSON body (bodies of 512 KiB or more are sent gzip-compressed).
    pub fn json<T: Serialize + ?Sized>(mut self, body: &T) -> Self {
        self.form = None;
        match serde_json::to_vec(body) {
            Ok(bytes) => self.body = Some((bytes.into(), "application/json")),
            Err(e) => self.refuse(format!("body cannot be encoded as JSON: {e}")),
        }
        self
    }

    /// A body of raw bytes with its content type.
    pub fn body(mut self, bytes: impl Into<Bytes>, content_type: &'static str) -> Self {
        self.body = Some((bytes.into(), content_type));
        self.form = None;
        self
    }

    /// A form body (`multipart/form-data` or
    /// `application/x-www-form-urlencoded`), streamed; see [`crate::upload`].
    pub fn form(mut self, form: crate::upload::Form) -> Self {
        self.form = Some(form);
        self.body = None;
        self
    }

    /// Adds a header (the client's auth and organization headers are added
    /// unless set here).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        match (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            (Ok(n), Ok(v)) => self.headers.push((n, v)),
            _ => self.refuse(format!("header {name:?} is not a valid HTTP header")),
        }
        self
    }

    /// Timeout of each attempt, instead of the client's.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Sends the request; a success response is returned unread (an error
    /// status is an [`ApiError`] with the server's message). A body that
    /// breaks off while you read it is an error of that read, not retried;
    /// [`bytes`](Self::bytes) and [`decode`](Self::decode) read it within
    /// the retry loop.
    pub fn send(self) -> impl Future<Output = crate::Result<reqwest::Response>> + Send + 'a {
        let prepared = self.prepare();
        async move { sending(prepared?, ReadBody::Never).await }
    }

    /// The request built, with what sending it needs; the problem found
    /// while building, if any. Done before any future is made, so that the
    /// futures of `send` and the others hold a few words, not the builder.
    fn prepare(self) -> crate::Result<Prepared<'a>> {
        let operation: Cow<'static, str> = Cow::Owned(self.operation());
        if let Some(message) = self.error {
            return Err(ApiError::invalid_request(operation, message));
        }
        let config = self.client.config();
        let url = format!("{}{}", config.base_url(), self.path);
        let http = progenitor_client::ClientInfo::client(self.client);
        let mut builder = http
            .request(self.method, url)
            .header(ACCEPT, "application/json");
        if !self.query.is_empty() {
            builder = builder.query(&self.query);
        }
        if let Some((bytes, content_type)) = self.body {
            builder = builder.header(CONTENT_TYPE, content_type).body(bytes);
        }
        for (name, value) in self.headers {
            builder = builder.header(name, value);
        }
        let timeout = self.timeout.unwrap_or(config.request_timeout());
        let request = builder.timeout(timeout).build().map_err(|e| {
            ApiError::invalid_request(operation.clone(), crate::wording::root_cause(&e))
        })?;
        Ok(Prepared {
            client: self.client,
            request: Box::new(request),
            form: self.form.map(Box::new),
            operation,
            timeout,
        })
    }

    /// Sends the request and decodes the JSON response as `T`.
    pub fn decode<T: DeserializeOwned>(self) -> impl Future<Output = crate::Result<T>> + Send + 'a {
        let whole = self.whole();
        async move {
            let (bytes, operation) = whole.await?;
            serde_json::from_slice(&bytes)
                .map_err(|e| ApiError::decode(e.to_string(), &bytes).in_operation(operation))
        }
    }

    /// Sends the request and reads the whole response body.
    pub fn bytes(self) -> impl Future<Output = crate::Result<Bytes>> + Send + 'a {
        let whole = self.whole();
        async move { whole.await.map(|(bytes, _)| bytes) }
    }

    /// The whole response body, and the operation's name for errors.
    fn whole(self) -> impl Future<Output = crate::Result<(Bytes, Cow<'static, str>)>> + Send + 'a {
        let prepared = self.prepare();
        async move {
            let prepared = prepared?;
            let (operation, timeout) = (prepared.operation.clone(), prepared.timeout);
            let mut response = sending(prepared, ReadBody::Always).await?;
            // Read by the request loop when a retry could follow.
            let read = response
                .extensions_mut()
                .remove::<crate::types::__support::ReadBody>();
            match read {
                Some(crate::types::__support::ReadBody(bytes)) => Ok((bytes, operation)),
                None => match response.bytes().await {
                    Ok(bytes) => Ok((bytes, operation)),
                    Err(e) => {
                        Err(ApiError::from_transport(&e, Some(timeout)).in_operation(operation))
                    }
                },
            }
        }
    }

    /// Sends the request and streams the response body in chunks, for large
    /// downloads; a body that breaks off is an error item, not retried.
    pub async fn bytes_stream(
        self,
    ) -> crate::Result<impl Stream<Item = crate::Result<Bytes>> + Send + 'static> {
        let prepared = self.prepare()?;
        let (operation, timeout) = (prepared.operation.clone(), prepared.timeout);
        let response = sending(prepared, ReadBody::Never).await?;
        Ok(response.bytes_stream().map(move |chunk| {
            chunk.map_err(|e| {
                ApiError::from_transport(&e, Some(timeout)).in_operation(operation.clone())
            })
        }))
    }
}

/// A built [`RawRequest`], boxed where it is large (see `prepare`).
struct Prepared<'a> {
    client: &'a Client,
    request: Box<reqwest::Request>,
    form: Option<Box<crate::upload::Form>>,
    operation: Cow<'static, str>,
    timeout: Duration,
}

/// Sends `prepared` through the client's hook; a success response, its
/// body read as `read` says, or the error.
async fn sending(prepared: Prepared<'_>, read: ReadBody) -> crate::Result<reqwest::Response> {
    let Prepared {
        client,
        mut request,
        form,
        operation,
        timeout,
    } = prepared;
    if let Some(form) = form {
        // Boxed: only uploads wait here.
        Box::pin(crate::upload::attach(&mut request, *form))
            .await
            .map_err(|message| ApiError::invalid_request(operation.clone(), message))?;
    }
    match client.execute(request, &operation, read).await {
        Ok(response) if response.status().is_success() => Ok(response),
        Ok(response) => Err(ApiError::from_response(&response).in_operation(operation)),
        Err(e) => Err(ApiError::from_transport(&e, Some(timeout)).in_operation(operation)),
    }
}
