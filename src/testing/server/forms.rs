//! Forms as the stand-in reads them: the echo of an upload, part by part
//! (with an FNV-1a hash of each part's bytes), and the text fields of a
//! multipart body for the generic resource store.

use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use serde_json::json;

use super::{detail, json_response};

/// `POST /ecm/fit-from-file` and `PATCH /material_property_datasets/{id}/file`:
/// uploads of the live API, not in the vendored spec; and any request under
/// `/echo/`, to check what an upload puts on the wire. The stand-in parses
/// the form (multipart with multer, as axum does, or URL-encoded) and
/// answers what it received, part by part: name, file name, content type,
/// size, an FNV-1a hash of the bytes, and the text of small text parts.
pub(super) async fn echo_form(headers: HeaderMap, body: Body) -> Response {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let bad = |message: String| detail(StatusCode::BAD_REQUEST, &message);
    let mut parts = Vec::new();
    if content_type.starts_with("multipart/form-data") {
        let boundary = match multer::parse_boundary(&content_type) {
            Ok(b) => b,
            Err(e) => return bad(format!("Invalid multipart content type: {e}")),
        };
        let mut form = multer::Multipart::new(body.into_data_stream(), boundary);
        loop {
            let mut field = match form.next_field().await {
                Ok(Some(field)) => field,
                Ok(None) => break,
                Err(e) => return bad(format!("Invalid multipart body: {e}")),
            };
            let name = field.name().map(str::to_owned);
            let file_name = field.file_name().map(str::to_owned);
            let part_type = field.content_type().map(ToString::to_string);
            let (mut size, mut hash) = (0u64, Fnv::new());
            let mut head = Vec::new();
            loop {
                match field.chunk().await {
                    Ok(Some(chunk)) => {
                        size += chunk.len() as u64;
                        hash.write(&chunk);
                        if head.len() < 1024 {
                            head.extend_from_slice(&chunk[..chunk.len().min(1024 - head.len())]);
                        }
                    }
                    Ok(None) => break,
                    Err(e) => return bad(format!("Invalid multipart body: {e}")),
                }
            }
            let text = (file_name.is_none() && size <= 1024)
                .then(|| String::from_utf8(head).ok())
                .flatten();
            parts.push(json!({
                "name": name, "file_name": file_name, "content_type": part_type,
                "size": size, "fnv1a64": format!("{:016x}", hash.0), "text": text,
            }));
        }
    } else if content_type.starts_with("application/x-www-form-urlencoded") {
        let bytes = match axum::body::to_bytes(body, usize::MAX).await {
            Ok(b) => b,
            Err(e) => return bad(format!("Cannot read the request body: {e}")),
        };
        for (name, value) in url::form_urlencoded::parse(&bytes) {
            parts.push(json!({"name": name, "text": value, "size": value.len()}));
        }
    } else {
        return detail(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            &format!("Expected a form, got {content_type:?}"),
        );
    }
    json_response(
        StatusCode::OK,
        &json!({"content_type": content_type, "parts": parts}),
    )
}

/// FNV-1a, 64 bits: enough to tell the bytes of an upload apart in tests.
struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// The text parts of a multipart form, as JSON fields (file parts are
/// read and dropped).
pub(super) async fn form_fields(
    content_type: &str,
    body: Body,
) -> Result<serde_json::Map<String, serde_json::Value>, String> {
    let boundary = multer::parse_boundary(content_type)
        .map_err(|e| format!("Invalid multipart content type: {e}"))?;
    let mut form = multer::Multipart::new(body.into_data_stream(), boundary);
    let mut fields = serde_json::Map::new();
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| format!("Invalid multipart body: {e}"))?
    {
        let name = field.name().map(str::to_owned);
        let is_file = field.file_name().is_some();
        let bytes = field
            .bytes()
            .await
            .map_err(|e| format!("Invalid multipart body: {e}"))?;
        if let (Some(name), false) = (name, is_file) {
            fields.insert(name, String::from_utf8_lossy(&bytes).into_owned().into());
        }
    }
    Ok(fields)
}
