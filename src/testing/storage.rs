//! The stand-in's object storage: another origin (its own port), as the
//! signed URLs of the live API point at a storage host, not the API.
//!
//! `PUT /{path}?token=…` stores the body, `GET /{path}?token=…` answers it;
//! a request without a `token` is 403. S3 multipart requests under `/s3/`
//! are answered by `s3.rs`. Requests are logged as the API's are (a
//! presigned query's signature and session token redacted), and faults can
//! be injected ([`StandIn::inject_storage`], and for parts alone
//! [`StandIn::inject_storage_parts`]).
//!
//! [`StandIn::inject_storage`]: super::StandIn::inject_storage
//! [`StandIn::inject_storage_parts`]: super::StandIn::inject_storage_parts

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::Response;
use serde_json::json;

use super::{Fault, LoggedRequest, Shared, lock};

/// Set on each request by the server: notifying it closes the request's
/// connection (a storage server killed mid-upload, a dropped connection).
#[derive(Clone)]
pub(super) struct DropSwitch(pub(super) std::sync::Arc<tokio::sync::Notify>);

/// The storage router over the stand-in's state.
pub(super) fn router(state: Shared) -> Router {
    Router::new().fallback(object).with_state(state)
}

fn answer(status: StatusCode, message: &str) -> Response {
    let mut response = Response::new(Body::from(json!({ "message": message }).to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    response
}

async fn object(State(state): State<Shared>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let mut entry = LoggedRequest::arrived(
        &parts.method,
        &parts.uri,
        super::s3::logged_query(parts.uri.query()),
        &parts.headers,
    );
    let s3 = super::s3::is_s3(&parts);
    let fault = {
        let mut state = lock(&state);
        let part_fault = if s3 && super::s3::is_part(&parts) {
            state.part_faults.pop_front()
        } else {
            None
        };
        part_fault.or_else(|| state.storage_faults.pop_front())
    };
    entry.fault.clone_from(&fault);
    let response = match fault {
        Some(Fault::DropConnection) => {
            lock(&state).storage_log.push(entry);
            if let Some(switch) = parts.extensions.get::<DropSwitch>() {
                switch.0.notify_one();
                std::future::pending::<()>().await;
            }
            return answer(
                StatusCode::INTERNAL_SERVER_ERROR,
                "connection could not be dropped",
            );
        }
        Some(Fault::Status(code)) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            // The body is read, as a storage server would, before refusing.
            let _ = axum::body::to_bytes(body, usize::MAX).await;
            let reason = status.canonical_reason().unwrap_or("Injected fault");
            if s3 {
                super::s3::error(status, "InternalError", reason)
            } else {
                answer(status, reason)
            }
        }
        Some(Fault::RateLimited { .. }) if s3 => super::s3::error(
            StatusCode::SERVICE_UNAVAILABLE,
            "SlowDown",
            "Please reduce your request rate.",
        ),
        Some(Fault::RateLimited { .. }) => answer(StatusCode::TOO_MANY_REQUESTS, "SlowDown"),
        Some(Fault::Delay(delay)) => {
            tokio::time::sleep(delay).await;
            serve(&state, &parts, body, s3).await
        }
        None => serve(&state, &parts, body, s3).await,
    };
    entry.status = Some(response.status().as_u16());
    lock(&state).storage_log.push(entry);
    response
}

async fn serve(
    state: &Shared,
    parts: &axum::http::request::Parts,
    body: Body,
    s3: bool,
) -> Response {
    if s3 {
        return super::s3::serve(state, parts, body).await;
    }
    let signed = parts
        .uri
        .query()
        .is_some_and(|q| q.split('&').any(|p| p.starts_with("token=")));
    if !signed {
        return answer(StatusCode::FORBIDDEN, "the URL is not signed");
    }
    let path = parts.uri.path().trim_start_matches('/').to_owned();
    match parts.method.as_str() {
        "PUT" => match axum::body::to_bytes(body, usize::MAX).await {
            Ok(bytes) => {
                lock(state).storage.insert(path, bytes);
                answer(StatusCode::OK, "stored")
            }
            Err(e) => answer(
                StatusCode::BAD_REQUEST,
                &format!("the body could not be read: {e}"),
            ),
        },
        "GET" => match lock(state).storage.get(&path).cloned() {
            Some(bytes) => {
                let mut response = Response::new(Body::from(bytes));
                response.headers_mut().insert(
                    header::CONTENT_TYPE,
                    header::HeaderValue::from_static("application/octet-stream"),
                );
                response
            }
            None => answer(StatusCode::NOT_FOUND, "no such object"),
        },
        _ => answer(StatusCode::METHOD_NOT_ALLOWED, "PUT or GET"),
    }
}

/// The stand-in's own bytes for a result that is downloaded but never
/// uploaded (a simulation's time series): a short Parquet-like marker.
pub(super) fn sample(path: &str) -> Bytes {
    Bytes::from(format!("PAR1 stand-in {path} PAR1"))
}
