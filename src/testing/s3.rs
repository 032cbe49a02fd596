//! S3 multipart on the stand-in's storage origin, as the live storage
//! answers it for an upload target's `multipart` offer.
//!
//! Path-style requests under `/s3/{bucket}/{key}`, presigned (SigV4 in the
//! query): `POST ?uploads` creates an upload (XML with its `UploadId`),
//! `PUT ?partNumber=N&uploadId=…` stores a part (its `ETag` in a header),
//! `POST ?uploadId=…` with the XML list of parts assembles them into the
//! object under `key`, and `DELETE ?uploadId=…` aborts. A request whose
//! query lacks the credential, the signature or the session token the
//! stand-in issued is refused as S3 refuses it (403 with an XML error);
//! the signature itself is not checked. With
//! [`MultipartOffer::Refused`](super::MultipartOffer::Refused) every
//! request is refused `InvalidAccessKeyId`.

use std::collections::{BTreeMap, HashMap};

use axum::body::{Body, Bytes};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

use super::{MultipartOffer, Shared, lock};

/// The path prefix of the S3 endpoint on the storage origin.
pub(super) const PREFIX: &str = "/s3";
/// The one bucket.
pub(super) const BUCKET: &str = "standin";

/// The temporary credentials the stand-in hands out with its offers.
#[derive(Clone)]
pub(super) struct Session {
    pub(super) access_key_id: String,
    pub(super) secret_access_key: String,
    pub(super) session_token: String,
}

impl Session {
    pub(super) fn new() -> Self {
        Self {
            access_key_id: format!("STANDIN{:013X}", fastrand::u64(..) >> 12),
            secret_access_key: format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..)),
            session_token: format!("standin-session-{:016x}", fastrand::u64(..)),
        }
    }
}

impl Default for Session {
    fn default() -> Self {
        Self::new()
    }
}

/// An upload created and neither completed nor aborted.
#[derive(Default)]
pub(super) struct Pending {
    key: String,
    parts: BTreeMap<u16, (String, Bytes)>,
}

/// Whether a storage request is an S3 one (path under [`PREFIX`], SigV4
/// query).
pub(super) fn is_s3(parts: &Parts) -> bool {
    parts.uri.path().starts_with(&format!("{PREFIX}/"))
        && query(parts).contains_key("X-Amz-Algorithm")
}

/// Whether it uploads a part.
pub(super) fn is_part(parts: &Parts) -> bool {
    parts.method == "PUT" && query(parts).contains_key("partNumber")
}

fn query(parts: &Parts) -> HashMap<String, String> {
    url::form_urlencoded::parse(parts.uri.query().unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

/// The query as logged: the signature and the session token redacted.
pub(super) fn logged_query(query: Option<&str>) -> Option<String> {
    let query = query?;
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name @ ("X-Amz-Signature" | "X-Amz-Security-Token"), _)) => {
                format!("{name}=<redacted>")
            }
            _ => pair.to_owned(),
        })
        .collect();
    Some(pairs.join("&"))
}

/// An S3 error: `<Error><Code>…</Code><Message>…</Message></Error>`.
pub(super) fn error(status: StatusCode, code: &str, message: &str) -> Response {
    xml(
        status,
        format!("<Error><Code>{code}</Code><Message>{message}</Message></Error>"),
    )
}

fn xml(status: StatusCode, body: String) -> Response {
    let mut response = Response::new(Body::from(format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>{body}"#
    )));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/xml"),
    );
    response
}

/// `%XX` decoded (the key is percent-encoded in the request path).
fn decode(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// FNV-1a 64 of `bytes`, as a quoted ETag.
fn etag(bytes: &[u8]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("\"{hash:016x}\"")
}

/// The texts of every `<name>…</name>` in `text`, in order.
fn elements<'t>(text: &'t str, name: &str) -> Vec<&'t str> {
    let (open, close) = (format!("<{name}>"), format!("</{name}>"));
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start + open.len()..];
        let Some(end) = after.find(&close) else {
            break;
        };
        out.push(&after[..end]);
        rest = &after[end + close.len()..];
    }
    out
}

/// XML's five entities decoded (an ETag's quotes arrive as `&quot;`).
fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Answers one S3 request.
pub(super) async fn serve(state: &Shared, parts: &Parts, body: Body) -> Response {
    let query = query(parts);
    let (offer, session) = {
        let state = lock(state);
        (state.multipart_offer, state.s3_session.clone())
    };
    if offer == MultipartOffer::Refused {
        return error(
            StatusCode::FORBIDDEN,
            "InvalidAccessKeyId",
            "The Access Key Id you provided does not exist in our records.",
        );
    }
    let signed = query.contains_key("X-Amz-Signature")
        && query
            .get("X-Amz-Credential")
            .is_some_and(|c| c.starts_with(&format!("{}/", session.access_key_id)));
    if !signed {
        return error(
            StatusCode::FORBIDDEN,
            "AccessDenied",
            "the request is not presigned with the issued credentials",
        );
    }
    if query.get("X-Amz-Security-Token") != Some(&session.session_token) {
        return error(
            StatusCode::FORBIDDEN,
            "InvalidToken",
            "The provided token is malformed or otherwise invalid.",
        );
    }
    let path = parts.uri.path();
    let Some(key) = path
        .strip_prefix(&format!("{PREFIX}/{BUCKET}/"))
        .map(decode)
    else {
        return error(
            StatusCode::NOT_FOUND,
            "NoSuchBucket",
            "The specified bucket does not exist",
        );
    };
    let upload_id = query.get("uploadId").cloned();
    match (parts.method.as_str(), upload_id) {
        ("POST", None) if query.contains_key("uploads") => {
            let mut state = lock(state);
            let id = state.next_id("upload");
            let result = format!(
                r#"<InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>{BUCKET}</Bucket><Key>{key}</Key><UploadId>{id}</UploadId></InitiateMultipartUploadResult>"#
            );
            state.multipart_uploads.insert(
                id,
                Pending {
                    key,
                    parts: BTreeMap::new(),
                },
            );
            xml(StatusCode::OK, result)
        }
        ("PUT", Some(id)) => {
            let Some(number) = query.get("partNumber").and_then(|n| n.parse::<u16>().ok()) else {
                return error(StatusCode::BAD_REQUEST, "InvalidArgument", "partNumber");
            };
            if !lock(state).multipart_uploads.contains_key(&id) {
                return no_such_upload();
            }
            let bytes = match axum::body::to_bytes(body, usize::MAX).await {
                Ok(bytes) => bytes,
                Err(e) => {
                    return error(
                        StatusCode::BAD_REQUEST,
                        "IncompleteBody",
                        &format!("the body could not be read: {e}"),
                    );
                }
            };
            let tag = etag(&bytes);
            let mut state = lock(state);
            let Some(pending) = state.multipart_uploads.get_mut(&id) else {
                return no_such_upload();
            };
            pending.parts.insert(number, (tag.clone(), bytes));
            let mut response = Response::new(Body::empty());
            if let Ok(value) = HeaderValue::from_str(&tag) {
                response.headers_mut().insert(header::ETAG, value);
            }
            response
        }
        ("POST", Some(id)) => {
            let list = match axum::body::to_bytes(body, 1 << 20).await {
                Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                Err(_) => String::new(),
            };
            let mut state = lock(state);
            let Some(pending) = state.multipart_uploads.remove(&id) else {
                return no_such_upload();
            };
            let numbers = elements(&list, "PartNumber");
            let tags = elements(&list, "ETag");
            if numbers.is_empty() || numbers.len() != tags.len() {
                state.multipart_uploads.insert(id, pending);
                return error(
                    StatusCode::BAD_REQUEST,
                    "MalformedXML",
                    "The XML you provided was not well-formed",
                );
            }
            let mut object = Vec::new();
            let mut last = 0u16;
            for (number, tag) in numbers.iter().zip(&tags) {
                let number: u16 = number.trim().parse().unwrap_or(0);
                let stored = pending.parts.get(&number);
                if number <= last {
                    state.multipart_uploads.insert(id, pending);
                    return error(
                        StatusCode::BAD_REQUEST,
                        "InvalidPartOrder",
                        "The list of parts was not in ascending order.",
                    );
                }
                match stored {
                    Some((stored_tag, bytes)) if *stored_tag == unescape(tag.trim()) => {
                        object.extend_from_slice(bytes);
                    }
                    _ => {
                        state.multipart_uploads.insert(id, pending);
                        return error(
                            StatusCode::BAD_REQUEST,
                            "InvalidPart",
                            "One or more of the specified parts could not be found.",
                        );
                    }
                }
                last = number;
            }
            let tag = etag(&object);
            let key = pending.key;
            state.storage.insert(key.clone(), Bytes::from(object));
            xml(
                StatusCode::OK,
                format!(
                    r#"<CompleteMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>{BUCKET}</Bucket><Key>{key}</Key><ETag>{tag}</ETag></CompleteMultipartUploadResult>"#
                ),
            )
        }
        ("DELETE", Some(id)) => match lock(state).multipart_uploads.remove(&id) {
            Some(_) => {
                let mut response = Response::new(Body::empty());
                *response.status_mut() = StatusCode::NO_CONTENT;
                response
            }
            None => no_such_upload(),
        },
        _ => error(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "The specified method is not allowed against this resource.",
        ),
    }
}

fn no_such_upload() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "NoSuchUpload",
        "The specified upload does not exist.",
    )
}
