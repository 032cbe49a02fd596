//! File uploads: `multipart/form-data` and `application/x-www-form-urlencoded`
//! request bodies.
//!
//! Operations whose request body is a form get a setter per form field on
//! their request builder; file fields take a [`FilePart`]. The same
//! [`Form`] goes to any path with [`RawRequest::form`](crate::RawRequest::form):
//!
//! ```
//! use ionworks::reqwest::Method;
//! use ionworks::upload::{FilePart, Form};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let stand_in = ionworks::testing::StandIn::start().await?;
//! # let client = stand_in.client();
//! # let dir = std::env::temp_dir().join(format!("ionworks-doc-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir)?;
//! # let path = dir.join("cycle.csv");
//! # std::fs::write(&path, "time,voltage\n0,4.2\n1,4.1\n")?;
//! let form = Form::multipart()
//!     .file("file", FilePart::path(&path))                // streamed from disk when sent
//!     .json("options", &serde_json::json!({"model": "2RC"}))?
//!     .text("name", "cell 7")
//!     .on_progress(|sent, total| eprintln!("{sent} of {total:?} bytes"));
//! let parsed: serde_json::Value = client
//!     .request(Method::POST, "/ecm/fit-from-file")
//!     .form(form)
//!     .decode()
//!     .await?;
//! assert_eq!(parsed["parts"][0]["file_name"], "cycle.csv");
//! assert_eq!(parsed["parts"][0]["content_type"], "text/csv");
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok(()) }
//! ```
//!
//! On the wire: a text field is one part; an array is one part per item; an
//! object (or an array's object item) is its JSON text; a `null` or absent
//! optional value sends nothing. A file part carries its file name and a
//! content type (given, or guessed from the name, else
//! `application/octet-stream`). The body is streamed: a 100 MB file is never
//! held in memory, and the `Content-Length` is sent whenever every part's
//! length is known.
//!
//! Retries follow the crate's one rule (see [`RetryPolicy`](crate::RetryPolicy)):
//! a POST or PATCH is never sent again once it may have reached the server.
//! When a retry is allowed (the connection never opened, or a 429), the body
//! is rebuilt from the start: a path is read again from its beginning, bytes
//! are sent again, and a stream is sent again only if it was never read;
//! a stream that was already read is not retried, and the error says so.
//!
//! An operation that offers JSON and a form keeps `body(..)` for JSON and
//! gets a `<name>_form` method for the form.
//!
//! This module writes the multipart encoding itself (RFC 7578) rather than
//! using reqwest's `multipart::Form`: a retried request must carry a body
//! with the same boundary as the `Content-Type` already set, which reqwest's
//! form (random boundary per form, consumed when sent) cannot give, and
//! progress needs the bytes as they go.

use std::fmt;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::stream::{self, BoxStream, Stream, StreamExt};
use serde::Serialize;
use serde_json::Value;

use crate::retry::{Rebuild, RebuildBody};

/// A stream of chunks, as a [`FilePart`] from a stream takes it.
pub type ByteChunks = BoxStream<'static, Result<Bytes, std::io::Error>>;

/// Called with bytes sent so far and the total (when every length is known).
type ProgressFn = Arc<dyn Fn(u64, Option<u64>) + Send + Sync>;

/// Where a file part's bytes come from.
#[derive(Clone)]
enum Source {
    /// Read from the start of the file each time the body is sent.
    Path(PathBuf),
    /// Held in memory.
    Bytes(Bytes),
    /// Read once; taken by the first body that is polled.
    Stream {
        slot: Arc<Mutex<Option<ByteChunks>>>,
        len: Option<u64>,
    },
}

/// One file of a form: its bytes (from a path, from memory or from a
/// stream), its file name and its content type.
///
/// ```
/// use ionworks::upload::FilePart;
///
/// let from_disk = FilePart::path("data/cycle.csv");              // name "cycle.csv", type text/csv
/// let in_memory = FilePart::bytes("params.json", br#"{"a": 1}"#.to_vec());
/// let renamed = FilePart::path("/tmp/x").file_name("cycle.csv").content_type("text/csv");
/// # let _ = (from_disk, in_memory, renamed);
/// ```
///
/// A clone of a part from a stream shares the stream: whichever is sent
/// first reads it.
#[derive(Clone)]
pub struct FilePart {
    source: Source,
    file_name: Option<String>,
    content_type: Option<String>,
}

impl fmt::Debug for FilePart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = match &self.source {
            Source::Path(p) => format!("path {}", p.display()),
            Source::Bytes(b) => format!("{} bytes", b.len()),
            Source::Stream { len, .. } => format!("stream of {len:?} bytes"),
        };
        f.debug_struct("FilePart")
            .field("source", &source)
            .field("file_name", &self.file_name)
            .field("content_type", &self.content_type)
            .finish()
    }
}

impl FilePart {
    /// The file at `path`, opened and streamed when the request is sent
    /// (and again from its start if the request is retried); its file name
    /// is the path's last component.
    pub fn path(path: impl AsRef<Path>) -> Self {
        let path = path.as_ref().to_path_buf();
        Self {
            file_name: path.file_name().map(|n| n.to_string_lossy().into_owned()),
            source: Source::Path(path),
            content_type: None,
        }
    }

    /// `bytes`, sent as a file named `file_name`.
    pub fn bytes(file_name: impl Into<String>, bytes: impl Into<Bytes>) -> Self {
        Self {
            source: Source::Bytes(bytes.into()),
            file_name: Some(file_name.into()),
            content_type: None,
        }
    }

    /// A stream of `len` bytes (or of unknown length: the request is then
    /// sent without `Content-Length`), sent as a file named `file_name`. A
    /// stream can be sent once; a request whose stream was read is not
    /// retried.
    pub fn stream<S>(file_name: impl Into<String>, stream: S, len: Option<u64>) -> Self
    where
        S: Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static,
    {
        Self {
            source: Source::Stream {
                slot: Arc::new(Mutex::new(Some(stream.boxed()))),
                len,
            },
            file_name: Some(file_name.into()),
            content_type: None,
        }
    }

    /// Sets the file name sent with the part.
    pub fn file_name(mut self, name: impl Into<String>) -> Self {
        self.file_name = Some(name.into());
        self
    }

    /// Sets the content type (default: guessed from the file name, else
    /// `application/octet-stream`).
    pub fn content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = Some(content_type.into());
        self
    }

    fn mime(&self) -> String {
        self.content_type.clone().unwrap_or_else(|| {
            self.file_name
                .as_deref()
                .and_then(|name| mime_guess::from_path(name).first_raw())
                .unwrap_or("application/octet-stream")
                .to_string()
        })
    }

    /// Its length, if known without reading it.
    async fn len(&self) -> std::io::Result<Option<u64>> {
        Ok(match &self.source {
            Source::Path(p) => Some(
                tokio::fs::metadata(p)
                    .await
                    .map_err(|e| in_file(p, e))?
                    .len(),
            ),
            Source::Bytes(b) => Some(b.len() as u64),
            Source::Stream { len, .. } => *len,
        })
    }

    /// Its bytes, from the start; `None` for a stream already taken.
    fn chunks(&self) -> Option<ByteChunks> {
        match &self.source {
            Source::Path(p) => {
                let path = p.clone();
                let open = async move {
                    tokio::fs::File::open(&path)
                        .await
                        .map_err(|e| in_file(&path, e))
                };
                Some(
                    stream::once(open)
                        .map(|file| match file {
                            Ok(file) => {
                                tokio_util::io::ReaderStream::with_capacity(file, 64 * 1024).boxed()
                            }
                            Err(e) => stream::once(async { Err(e) }).boxed(),
                        })
                        .flatten()
                        .boxed(),
                )
            }
            Source::Bytes(b) => Some(stream::once(std::future::ready(Ok(b.clone()))).boxed()),
            // Taken on first poll, so that a body built but never sent (a
            // connection that never opened) leaves the stream for a retry.
            Source::Stream { slot, .. } if self.stream_unread() => Some(
                LazyStream {
                    slot: slot.clone(),
                    taken: None,
                }
                .boxed(),
            ),
            Source::Stream { .. } => None,
        }
    }

    fn stream_unread(&self) -> bool {
        match &self.source {
            Source::Stream { slot, .. } => slot.lock().map(|s| s.is_some()).unwrap_or(false),
            _ => true,
        }
    }
}

fn in_file(path: &Path, e: std::io::Error) -> std::io::Error {
    std::io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

/// A stream that takes its inner stream out of a shared slot when first
/// polled.
struct LazyStream {
    slot: Arc<Mutex<Option<ByteChunks>>>,
    taken: Option<ByteChunks>,
}

impl Stream for LazyStream {
    type Item = Result<Bytes, std::io::Error>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.taken.is_none() {
            let inner = self.slot.lock().ok().and_then(|mut s| s.take());
            match inner {
                Some(inner) => self.taken = Some(inner),
                None => {
                    return Poll::Ready(Some(Err(std::io::Error::other(
                        "the upload stream was already sent and cannot be read again",
                    ))));
                }
            }
        }
        match self.taken.as_mut() {
            Some(inner) => inner.as_mut().poll_next(cx),
            None => Poll::Ready(None),
        }
    }
}

/// One part of a form (its `Debug` shows a text's length, not the text).
enum Part {
    Text(String),
    File(FilePart),
}

impl fmt::Debug for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Part::Text(text) => write!(f, "Text({} bytes)", text.len()),
            Part::File(file) => file.fmt(f),
        }
    }
}

/// How a [`Form`] is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Encoding {
    Multipart,
    UrlEncoded,
}

/// The fields and files of a form body.
///
/// `Form::multipart()` for `multipart/form-data` (files allowed),
/// `Form::urlencoded()` for `application/x-www-form-urlencoded` (text
/// only). See the [module docs](self) for what goes on the wire.
pub struct Form {
    encoding: Encoding,
    boundary: String,
    /// `(name, part)`, in the order they were added.
    parts: Vec<(String, Part)>,
    progress: Option<ProgressFn>,
}

impl fmt::Debug for Form {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Form")
            .field("encoding", &self.encoding)
            .field("parts", &self.parts)
            .finish_non_exhaustive()
    }
}

impl Form {
    /// An empty `multipart/form-data` form.
    pub fn multipart() -> Self {
        Self::new(Encoding::Multipart)
    }

    /// An empty `application/x-www-form-urlencoded` form (text fields only).
    pub fn urlencoded() -> Self {
        Self::new(Encoding::UrlEncoded)
    }

    fn new(encoding: Encoding) -> Self {
        Self {
            encoding,
            boundary: format!(
                "ionworks-{:016x}{:016x}",
                fastrand::u64(..),
                fastrand::u64(..)
            ),
            parts: Vec::new(),
            progress: None,
        }
    }

    /// Adds a text field.
    pub fn text(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.parts.push((name.into(), Part::Text(value.into())));
        self
    }

    /// Adds a field holding `value` as the wire rules say: a string, number
    /// or boolean as text, an array as one field per item, an object as its
    /// JSON text, `null` as nothing.
    pub fn json<T: Serialize + ?Sized>(
        mut self,
        name: impl Into<String>,
        value: &T,
    ) -> Result<Self, String> {
        let name = name.into();
        let value = serde_json::to_value(value).map_err(|e| format!("form field `{name}`: {e}"))?;
        self.push_value(&name, &value);
        Ok(self)
    }

    /// Adds every field of `fields` (a struct or map serializing to a JSON
    /// object), each by the rules of [`json`](Self::json), in name order
    /// (the same whatever `serde_json` features the build has).
    pub fn fields<T: Serialize + ?Sized>(mut self, fields: &T) -> Result<Self, String> {
        match serde_json::to_value(fields).map_err(|e| format!("form fields: {e}"))? {
            Value::Object(map) => {
                let mut entries: Vec<(&String, &Value)> = map.iter().collect();
                entries.sort_by(|a, b| a.0.cmp(b.0));
                for (name, value) in entries {
                    self.push_value(name, value);
                }
                Ok(self)
            }
            Value::Null => Ok(self),
            other => Err(format!("form fields must be an object, not {other}")),
        }
    }

    fn push_value(&mut self, name: &str, value: &Value) {
        let text = |t: String| (name.to_string(), Part::Text(t));
        match value {
            Value::Null => {}
            Value::String(s) => self.parts.push(text(s.clone())),
            Value::Array(items) => {
                for item in items {
                    match item {
                        Value::Array(_) | Value::Object(_) => {
                            self.parts.push(text(item.to_string()));
                        }
                        other => self.push_value(name, other),
                    }
                }
            }
            other => self.parts.push(text(other.to_string())),
        }
    }

    /// Adds a file part.
    pub fn file(mut self, name: impl Into<String>, part: FilePart) -> Self {
        self.parts.push((name.into(), Part::File(part)));
        self
    }

    /// Adds one file part per item, all under `name`.
    pub fn files(
        mut self,
        name: impl Into<String>,
        parts: impl IntoIterator<Item = FilePart>,
    ) -> Self {
        let name = name.into();
        for part in parts {
            self.parts.push((name.clone(), Part::File(part)));
        }
        self
    }

    /// Calls `progress(sent, total)` as the body is sent (`total` when
    /// every length is known); a retried body counts from zero again.
    pub fn on_progress(
        mut self,
        progress: impl Fn(u64, Option<u64>) + Send + Sync + 'static,
    ) -> Self {
        self.progress = Some(Arc::new(progress));
        self
    }

    /// Sets (or clears) the progress callback.
    #[doc(hidden)]
    pub fn with_progress(mut self, progress: Option<Progress>) -> Self {
        self.progress = progress.map(|p| p.0);
        self
    }

    fn content_type(&self) -> String {
        match self.encoding {
            Encoding::Multipart => format!("multipart/form-data; boundary={}", self.boundary),
            Encoding::UrlEncoded => "application/x-www-form-urlencoded".to_string(),
        }
    }

    /// Whether the body can be built again from the start.
    fn replayable(&self) -> bool {
        self.parts.iter().all(|(_, part)| match part {
            Part::File(f) => f.stream_unread(),
            Part::Text(_) => true,
        })
    }

    /// The body from the start: its length (when known) and its bytes.
    async fn body(&self) -> Result<(Option<u64>, reqwest::Body), String> {
        if self.encoding == Encoding::UrlEncoded {
            let mut pairs = Vec::with_capacity(self.parts.len());
            for (name, part) in &self.parts {
                match part {
                    Part::Text(text) => pairs.push((name, text)),
                    Part::File(_) => {
                        return Err(format!(
                            "form field `{name}` is a file, which application/x-www-form-urlencoded cannot carry"
                        ));
                    }
                }
            }
            let text = serde_urlencoded::to_string(&pairs).map_err(|e| e.to_string())?;
            let len = text.len() as u64;
            let body = stream::once(std::future::ready(Ok(Bytes::from(text)))).boxed();
            return Ok((Some(len), self.counted(body, Some(len))));
        }
        let mut pieces: Vec<ByteChunks> = Vec::new();
        let mut total = Some(0u64);
        let add = |bytes: Vec<u8>, pieces: &mut Vec<ByteChunks>, total: &mut Option<u64>| {
            *total = total.map(|t| t + bytes.len() as u64);
            pieces.push(stream::once(std::future::ready(Ok(Bytes::from(bytes)))).boxed());
        };
        for (name, part) in &self.parts {
            let mut head = format!(
                "--{}\r\nContent-Disposition: form-data; name=\"{}\"",
                self.boundary,
                escape(name)
            );
            let file = match part {
                Part::Text(text) => {
                    head.push_str("\r\n\r\n");
                    let bytes = [head.as_bytes(), text.as_bytes(), b"\r\n"].concat();
                    add(bytes, &mut pieces, &mut total);
                    continue;
                }
                Part::File(file) => file,
            };
            if let Some(file_name) = &file.file_name {
                head.push_str(&format!("; filename=\"{}\"", escape(file_name)));
            }
            head.push_str(&format!("\r\nContent-Type: {}\r\n\r\n", file.mime()));
            add(head.into_bytes(), &mut pieces, &mut total);
            let len = file.len().await.map_err(|e| e.to_string())?;
            total = total.zip(len).map(|(t, l)| t + l);
            let chunks = file.chunks().ok_or_else(|| {
                format!("form field `{name}`: the upload stream was already sent and cannot be read again")
            })?;
            pieces.push(chunks);
            add(b"\r\n".to_vec(), &mut pieces, &mut total);
        }
        add(
            format!("--{}--\r\n", self.boundary).into_bytes(),
            &mut pieces,
            &mut total,
        );
        let body = stream::iter(pieces).flatten().boxed();
        Ok((total, self.counted(body, total)))
    }

    fn counted(&self, body: ByteChunks, total: Option<u64>) -> reqwest::Body {
        counted(body, total, self.progress.as_ref())
    }
}

/// `body` as a request body, reporting `(sent, total)` to `progress` as
/// its chunks go.
fn counted(body: ByteChunks, total: Option<u64>, progress: Option<&ProgressFn>) -> reqwest::Body {
    match progress {
        None => reqwest::Body::wrap_stream(body),
        Some(progress) => {
            let progress = progress.clone();
            let sent = Arc::new(AtomicU64::new(0));
            progress(0, total);
            reqwest::Body::wrap_stream(body.inspect(move |chunk| {
                if let Ok(chunk) = chunk {
                    let now =
                        sent.fetch_add(chunk.len() as u64, Ordering::Relaxed) + chunk.len() as u64;
                    progress(now, total);
                }
            }))
        }
    }
}

/// What the signed-URL uploads of `measurements`
/// read of a file part. They exist with their tags' features (the
/// column checks also with `parquet`); in a build without them these are
/// unused.
#[cfg_attr(
    not(all(
        feature = "api-raw-data",
        feature = "api-cell-measurements",
        feature = "api-cell-instances",
        feature = "parquet"
    )),
    allow(dead_code)
)]
impl FilePart {
    /// Its bytes alone as a request body, from the start (a signed-URL
    /// upload sends the file itself, not a form): its length, when known,
    /// and the body; an error when it is a stream that was already read.
    pub(crate) async fn request_body(
        &self,
        progress: Option<&Progress>,
    ) -> Result<(Option<u64>, reqwest::Body), String> {
        let len = self.len().await.map_err(|e| e.to_string())?;
        let chunks = self
            .chunks()
            .ok_or("the upload stream was already sent and cannot be read again")?;
        Ok((len, counted(chunks, len, progress.map(|p| &p.0))))
    }

    /// The file it reads, if it is a path.
    pub(crate) fn source_path(&self) -> Option<&Path> {
        match &self.source {
            Source::Path(p) => Some(p),
            _ => None,
        }
    }

    /// Its bytes, if it holds them.
    pub(crate) fn source_bytes(&self) -> Option<&Bytes> {
        match &self.source {
            Source::Bytes(b) => Some(b),
            _ => None,
        }
    }

    /// Its file name, if it has one.
    pub(crate) fn name(&self) -> Option<&str> {
        self.file_name.as_deref()
    }

    /// Its content type: as set, else guessed from its file name.
    pub(crate) fn mime_type(&self) -> String {
        self.mime()
    }

    /// Whether it can be sent again from its start (a path or bytes, or a
    /// stream never read).
    pub(crate) fn replayable(&self) -> bool {
        self.stream_unread()
    }
}

/// A progress callback for generated upload operations.
#[derive(Clone)]
pub struct Progress(ProgressFn);

impl Progress {
    /// Wraps `f(sent, total)`.
    pub fn new(f: impl Fn(u64, Option<u64>) + Send + Sync + 'static) -> Self {
        Self(Arc::new(f))
    }

    /// Reports `sent` of `total` bytes.
    #[cfg(feature = "large-uploads")]
    pub(crate) fn report(&self, sent: u64, total: Option<u64>) {
        (self.0)(sent, total);
    }
}

impl fmt::Debug for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Progress(..)")
    }
}

/// A quoted-string parameter value in `Content-Disposition`: as browsers
/// do (WHATWG), `"`, CR and LF are percent-encoded.
fn escape(value: &str) -> String {
    value
        .replace('"', "%22")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Puts `form` into `request`: its `Content-Type`, its `Content-Length` when
/// known, its streamed body, and what the retry loop needs to send it again.
///
/// Generated upload operations call this; [`RawRequest::form`](crate::RawRequest::form)
/// does the same.
#[doc(hidden)]
pub async fn attach(request: &mut reqwest::Request, form: Form) -> Result<(), String> {
    use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
    let (len, body) = form.body().await?;
    let content_type =
        HeaderValue::from_str(&form.content_type()).map_err(|e| format!("content type: {e}"))?;
    request.headers_mut().insert(CONTENT_TYPE, content_type);
    match len {
        Some(len) => {
            request.headers_mut().insert(CONTENT_LENGTH, len.into());
        }
        None => {
            request.headers_mut().remove(CONTENT_LENGTH);
        }
    }
    *request.body_mut() = Some(body);
    Rebuild::new(form).attach(request)
}

/// A form builds its body again from the start, unless a stream in it was
/// already read.
impl RebuildBody for Form {
    fn rebuild(&self) -> futures_util::future::BoxFuture<'_, Option<reqwest::Body>> {
        Box::pin(async move {
            if !self.replayable() {
                return None;
            }
            self.body().await.ok().map(|(_, body)| body)
        })
    }
}
