//! The HTTP side of the stand-in: accept loop, front middleware (log,
//! faults, credentials) and one handler per operation; reading forms (the
//! upload echo, multipart fields) is in `server/forms.rs`.

mod forms;

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::Poll;
use std::time::Instant;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use chrono::Utc;
use serde::Serialize;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::{Notify, oneshot};

use super::ids::{ORGANIZATION_ID, USER_ID};
use super::storage::DropSwitch;
use super::work::new_job;
use super::{Fault, LoggedRequest, Shared, Tracked, lock, set_job_status, validation};
use crate::types::{DomainStatus, JobStatus};
use forms::{echo_form, form_fields};

#[derive(Clone)]
struct App {
    state: Shared,
    api_key: Arc<str>,
}

pub(super) fn router(state: Shared, api_key: String) -> Router {
    let app = App {
        state,
        api_key: api_key.into(),
    };
    Router::new()
        .route("/jobs", post(submit_job))
        .route("/jobs", get(list_jobs))
        .route("/jobs/{job_id}", get(get_job))
        .route("/jobs/{job_id}/cancel", post(cancel_job))
        .route("/optimizations", get(list_optimizations))
        .route("/optimizations/{id}", get(get_optimization))
        .route("/optimizations/{id}/resubmit", post(resubmit_optimization))
        .route("/users/me", get(users_me))
        .route("/ecm/fit-from-file", post(echo_form))
        .route(
            "/material_property_datasets/{id}/file",
            axum::routing::patch(echo_form),
        )
        .route("/echo/{*rest}", axum::routing::any(echo_form))
        // Every other operation of the spec (and a 405 for a method the
        // dedicated routes above do not have, but the spec does).
        .fallback(resource)
        .method_not_allowed_fallback(resource)
        .layer(middleware::from_fn_with_state(app.clone(), front))
        .with_state(app)
}

/// Serves HTTP/1.1 connections until `shutdown` fires (or is dropped).
pub(super) async fn serve(
    listener: TcpListener,
    router: Router,
    mut shutdown: oneshot::Receiver<()>,
) {
    let (closing, _) = tokio::sync::broadcast::channel::<()>(1);
    loop {
        // Accept the next connection unless `shutdown` fires (or is dropped).
        let accepted = std::future::poll_fn(|cx| {
            if Pin::new(&mut shutdown).poll(cx).is_ready() {
                return Poll::Ready(None);
            }
            listener.poll_accept(cx).map(Some)
        })
        .await;
        let stream = match accepted {
            None => return,
            Some(Ok((stream, _))) => stream,
            Some(Err(_)) => continue,
        };
        tokio::spawn(connection(stream, router.clone(), closing.subscribe()));
    }
}

/// Serves one connection until it ends, a handler flips its [`DropSwitch`]
/// or the server stops (`closing`'s sender dropped: every connection it
/// served is closed, as a server that is killed closes them).
async fn connection(
    stream: tokio::net::TcpStream,
    router: Router,
    mut closing: tokio::sync::broadcast::Receiver<()>,
) {
    let switch = DropSwitch(Arc::new(Notify::new()));
    let on_drop = switch.0.clone();
    let service = hyper::service::service_fn(move |mut request: Request<hyper::body::Incoming>| {
        request.extensions_mut().insert(switch.clone());
        let mut router = router.clone();
        async move {
            let request = request.map(Body::new);
            let response: Result<Response, Infallible> =
                tower_service::Service::call(&mut router, request).await;
            response
        }
    });
    let connection = hyper::server::conn::http1::Builder::new()
        .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
    let mut connection = pin!(connection);
    let mut dropped = pin!(on_drop.notified());
    let mut stopped = pin!(closing.recv());
    std::future::poll_fn(|cx| {
        if connection.as_mut().poll(cx).is_ready()
            || dropped.as_mut().poll(cx).is_ready()
            || stopped.as_mut().poll(cx).is_ready()
        {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
}

fn json_response<T: Serialize>(status: StatusCode, body: &T) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec());
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn detail(status: StatusCode, message: &str) -> Response {
    json_response(status, &json!({ "detail": message }))
}

fn authorized(headers: &HeaderMap, key: &str) -> bool {
    let api_key = headers.get("x-api-key").and_then(|v| v.to_str().ok());
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    api_key == Some(key) || bearer == Some(key)
}

/// Logs, injects faults and checks credentials, in that order.
async fn front(State(app): State<App>, request: Request, next: Next) -> Response {
    let mut entry = LoggedRequest::arrived(
        request.method(),
        request.uri(),
        request.uri().query().map(str::to_owned),
        request.headers(),
    );
    let fault = lock(&app.state).faults.pop_front();
    entry.fault.clone_from(&fault);
    let response = match fault {
        Some(Fault::DropConnection) => {
            lock(&app.state).log.push(entry);
            if let Some(switch) = request.extensions().get::<DropSwitch>() {
                switch.0.notify_one();
                // The connection task drops this future with the connection.
                std::future::pending::<()>().await;
            }
            return detail(
                StatusCode::INTERNAL_SERVER_ERROR,
                "connection could not be dropped",
            );
        }
        Some(Fault::Status(code)) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            detail(
                status,
                status.canonical_reason().unwrap_or("Injected fault"),
            )
        }
        Some(Fault::RateLimited { retry_after }) => {
            let mut response = detail(StatusCode::TOO_MANY_REQUESTS, "Too Many Requests");
            let seconds = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            response
        }
        Some(Fault::Delay(delay)) => {
            tokio::time::sleep(delay).await;
            handle(&app, request, next).await
        }
        None => handle(&app, request, next).await,
    };
    entry.status = Some(response.status().as_u16());
    lock(&app.state).log.push(entry);
    response
}

async fn handle(app: &App, request: Request, next: Next) -> Response {
    if !authorized(request.headers(), &app.api_key) {
        return detail(StatusCode::UNAUTHORIZED, "Invalid or missing credentials");
    }
    match gunzip_body(request).await {
        Ok(request) => next.run(request).await,
        Err(response) => *response,
    }
}

/// A body sent with `Content-Encoding: gzip` is decoded before the
/// handlers see it, as the server does; other encodings answer 415.
async fn gunzip_body(request: Request) -> Result<Request, Box<Response>> {
    use std::io::Read as _;
    let encoding = request
        .headers()
        .get(header::CONTENT_ENCODING)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).to_ascii_lowercase());
    match encoding.as_deref() {
        None | Some("identity") => return Ok(request),
        Some("gzip") => {}
        Some(other) => {
            return Err(Box::new(detail(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                &format!("Unsupported Content-Encoding {other}"),
            )));
        }
    }
    let (mut parts, body) = request.into_parts();
    let bad = |message: String| Box::new(detail(StatusCode::BAD_REQUEST, &message));
    let compressed = axum::body::to_bytes(body, usize::MAX)
        .await
        .map_err(|e| bad(format!("Cannot read the request body: {e}")))?;
    let mut decoded = Vec::new();
    flate2::read::GzDecoder::new(&compressed[..])
        .read_to_end(&mut decoded)
        .map_err(|e| bad(format!("Invalid gzip body: {e}")))?;
    parts.headers.remove(header::CONTENT_ENCODING);
    parts
        .headers
        .insert(header::CONTENT_LENGTH, decoded.len().into());
    Ok(Request::from_parts(parts, Body::from(decoded)))
}

/// The resource id of a `/{id}` route. A path axum cannot extract is a 400
/// with axum's reason.
struct Id(String);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        Path::<String>::from_request_parts(parts, state)
            .await
            .map(|Path(id)| Id(id))
            .map_err(|e| detail(StatusCode::BAD_REQUEST, &e.body_text()))
    }
}

fn job_not_found(job_id: &str) -> Response {
    detail(StatusCode::NOT_FOUND, &format!("Job {job_id} not found"))
}

fn optimization_not_found(id: &str) -> Response {
    detail(
        StatusCode::NOT_FOUND,
        &format!("Optimization {id} not found"),
    )
}

async fn submit_job(
    State(app): State<App>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let request = match validation::submit_job_request(&body, content_type) {
        Ok(request) => request,
        Err(errors) => return json_response(StatusCode::UNPROCESSABLE_ENTITY, &errors),
    };
    let project_id = query.ok().and_then(|Query(mut q)| q.remove("project_id"));
    let mut state = lock(&app.state);
    if !state.accept_job_submissions {
        return detail(
            StatusCode::GONE,
            "Direct job submission is no longer supported: start work through pipelines, \
             simulations or ECM fits",
        );
    }
    let schedule = match state.next_job_schedules.pop_front() {
        Some(schedule) => schedule,
        None => state.default_job_schedule.clone(),
    };
    let job = new_job(&mut state, request, project_id, schedule);
    json_response(StatusCode::ACCEPTED, &job)
}

/// `GET /users/me`: not in the vendored spec; the shape the Python
/// client's `whoami` documents (id, email, the organization the
/// credential is authorized as, and every membership).
async fn users_me() -> Response {
    let organization = json!({"id": ORGANIZATION_ID, "name": "Stand-in organization"});
    json_response(
        StatusCode::OK,
        &json!({
            "id": USER_ID,
            "email": "standin@example.com",
            "authorized_organization": organization,
            "organizations": [organization],
        }),
    )
}

async fn get_job(State(app): State<App>, Id(job_id): Id) -> Response {
    let mut state = lock(&app.state);
    match state.jobs.get_mut(&job_id) {
        Some(tracked) => {
            tracked.advance(Instant::now());
            json_response(StatusCode::OK, &tracked.resource)
        }
        None => job_not_found(&job_id),
    }
}

async fn cancel_job(State(app): State<App>, Id(job_id): Id) -> Response {
    let mut state = lock(&app.state);
    let Some(tracked) = state.jobs.get_mut(&job_id) else {
        return job_not_found(&job_id);
    };
    tracked.advance(Instant::now());
    match tracked.resource.status {
        JobStatus::Completed | JobStatus::Failed => detail(
            StatusCode::CONFLICT,
            &format!(
                "Job {job_id} is already {} and cannot be canceled",
                tracked.resource.status
            ),
        ),
        JobStatus::Canceled => json_response(StatusCode::OK, &tracked.resource),
        _ => {
            set_job_status(&mut tracked.resource, JobStatus::Canceled, Utc::now());
            tracked.hold();
            json_response(StatusCode::OK, &tracked.resource)
        }
    }
}

/// `limit` (default 50) and `offset` of a list request.
fn page_of(query: &HashMap<String, String>) -> (usize, usize) {
    let number = |k: &str, default| query.get(k).and_then(|v| v.parse().ok()).unwrap_or(default);
    (number("limit", 50), number("offset", 0))
}

/// `GET /jobs`: the jobs in creation order, filtered by `status` and
/// `job_type`, in the `{items, count, total}` envelope.
async fn list_jobs(State(app): State<App>, query: Query<HashMap<String, String>>) -> Response {
    let (limit, offset) = page_of(&query);
    let now = Instant::now();
    let mut state = lock(&app.state);
    let mut ids: Vec<String> = state.jobs.keys().cloned().collect();
    ids.sort();
    let mut matching = Vec::new();
    for id in ids {
        let Some(tracked) = state.jobs.get_mut(&id) else {
            continue;
        };
        tracked.advance(now);
        let job = &tracked.resource;
        let keep = query.get("status").is_none_or(|s| job.status.as_str() == s)
            && query
                .get("job_type")
                .is_none_or(|t| job.job_type.as_str() == t);
        if keep {
            matching.push(serde_json::to_value(job).unwrap_or_default());
        }
    }
    let total = matching.len();
    let items: Vec<_> = matching.into_iter().skip(offset).take(limit).collect();
    json_response(
        StatusCode::OK,
        &json!({"count": items.len(), "total": total, "items": items}),
    )
}

/// `GET /optimizations`: in creation order, filtered by `project_id`, in the
/// `{optimizations, total}` envelope.
async fn list_optimizations(
    State(app): State<App>,
    query: Query<HashMap<String, String>>,
) -> Response {
    let (limit, offset) = page_of(&query);
    let now = Instant::now();
    let mut state = lock(&app.state);
    let mut ids: Vec<String> = state.optimizations.keys().cloned().collect();
    ids.sort();
    let mut matching = Vec::new();
    for id in ids {
        let Some(tracked) = state.optimizations.get_mut(&id) else {
            continue;
        };
        tracked.advance(now);
        let o = &tracked.resource;
        if query.get("project_id").is_none_or(|p| o.project_id == *p) {
            matching.push(serde_json::to_value(o).unwrap_or_default());
        }
    }
    let total = matching.len();
    let page: Vec<_> = matching.into_iter().skip(offset).take(limit).collect();
    json_response(
        StatusCode::OK,
        &json!({"optimizations": page, "total": total}),
    )
}

async fn get_optimization(State(app): State<App>, Id(id): Id) -> Response {
    let mut state = lock(&app.state);
    match state.optimizations.get_mut(&id) {
        Some(tracked) => {
            tracked.advance(Instant::now());
            json_response(StatusCode::OK, &tracked.resource)
        }
        None => optimization_not_found(&id),
    }
}

async fn resubmit_optimization(State(app): State<App>, Id(id): Id) -> Response {
    let mut state = lock(&app.state);
    let Some(tracked) = state.optimizations.get_mut(&id) else {
        return optimization_not_found(&id);
    };
    tracked.advance(Instant::now());
    if tracked.resource.status != Some(DomainStatus::Failed) {
        let status = tracked
            .resource
            .status
            .as_ref()
            .map_or("unknown", |s| s.as_str());
        return detail(
            StatusCode::CONFLICT,
            &format!("Only a failed optimization can be resubmitted; {id} is {status}"),
        );
    }
    let o = &mut tracked.resource;
    o.status = Some(DomainStatus::Queued);
    o.error = None;
    o.error_code = None;
    o.metrics = None;
    o.run_count += 1;
    // The new run follows the schedule the test set for it, or the default.
    let schedule = tracked.next_run.take().unwrap_or_default();
    *tracked = Tracked::new(tracked.resource.clone(), schedule);
    json_response(StatusCode::ACCEPTED, &tracked.resource)
}

/// Any operation of the spec without a dedicated route, answered by the
/// generic resource store (`resources`); 404 for a path the spec lacks.
async fn resource(State(app): State<App>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let query: Vec<(String, String)> =
        url::form_urlencoded::parse(parts.uri.query().unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = if content_type.starts_with("multipart/form-data") {
        match form_fields(&content_type, body).await {
            Ok(fields) => Some(serde_json::Value::Object(fields)),
            Err(message) => return detail(StatusCode::BAD_REQUEST, &message),
        }
    } else {
        let bytes = match axum::body::to_bytes(body, usize::MAX).await {
            Ok(bytes) => bytes,
            Err(e) => {
                return detail(
                    StatusCode::BAD_REQUEST,
                    &format!("Cannot read the request body: {e}"),
                );
            }
        };
        if bytes.is_empty() {
            None
        } else {
            match serde_json::from_slice(&bytes) {
                Ok(value) => Some(value),
                Err(e) => {
                    let errors = json!({"detail": [{
                        "type": "json_invalid", "loc": ["body", e.column()],
                        "msg": "JSON decode error", "input": {},
                        "ctx": {"error": e.to_string()},
                    }]});
                    return json_response(StatusCode::UNPROCESSABLE_ENTITY, &errors);
                }
            }
        }
    };
    let answer = {
        let mut state = lock(&app.state);
        let (method, path) = (parts.method.as_str(), parts.uri.path());
        if method == "GET" {
            match super::work::download(&mut state, path) {
                Some(Ok(location)) => {
                    let mut response = Response::new(Body::empty());
                    *response.status_mut() = StatusCode::TEMPORARY_REDIRECT;
                    if let Ok(value) = HeaderValue::from_str(&location) {
                        response.headers_mut().insert(header::LOCATION, value);
                    }
                    return response;
                }
                Some(Err((status, body))) => {
                    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::NOT_FOUND);
                    return json_response(status, &body.unwrap_or_default());
                }
                None => {}
            }
        }
        match super::work::intercept(&mut state, method, path, body.as_ref()) {
            Some(answer) => Some(answer),
            None => super::catalog()
                .answer(&mut state.resources, method, path, &query, body.as_ref())
                .map(|mut answer| {
                    super::work::overlay(&mut state, method, path, &mut answer);
                    answer
                }),
        }
    };
    match answer {
        Some((status, Some(body))) => json_response(
            StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
            &body,
        ),
        Some((status, None)) => {
            let mut response = Response::new(Body::empty());
            *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            response
        }
        None => detail(StatusCode::NOT_FOUND, "Not Found"),
    }
}
