//! A minimal HTTP/1.1 server on 127.0.0.1 for tests: answers every request
//! with the next canned response and records what it received.

#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// When the request head arrived.
    pub at: std::time::Instant,
}

impl Seen {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("request body is JSON")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// One canned response: status, extra headers (a `content-type` here
/// replaces the JSON default) and body.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn new(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }
}

/// A client for `url` with a test key and millisecond backoff.
pub fn client(url: &str) -> ionworks::Client {
    ionworks::Client::builder()
        .base_url(url)
        .api_key("test-key")
        .retry_policy(
            ionworks::RetryPolicy::default()
                .with_initial_backoff(std::time::Duration::from_millis(1))
                .with_max_backoff(std::time::Duration::from_millis(5)),
        )
        .build()
        .expect("test client")
}

pub struct Server {
    pub url: String,
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

/// Serve `(status, body)` pairs in order; the last one repeats.
pub async fn serve(responses: Vec<(u16, String)>) -> Server {
    serve_replies(
        responses
            .into_iter()
            .map(|(status, body)| Reply::new(status, body))
            .collect(),
    )
    .await
}

/// Serve `replies` in order; the last one repeats.
pub async fn serve_replies(responses: Vec<Reply>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    serve_on(listener, responses)
}

/// Serve `replies` on an already bound listener.
pub fn serve_on(listener: TcpListener, responses: Vec<Reply>) -> Server {
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        let mut n = 0usize;
        while let Ok((mut socket, _)) = listener.accept().await {
            let reply = responses[n.min(responses.len() - 1)].clone();
            n += 1;
            let log = log.clone();
            tokio::spawn(async move {
                let Some(request) = read_request(&mut socket).await else {
                    return;
                };
                log.lock().unwrap().push(request);
                let mut head = format!("HTTP/1.1 {} X\r\n", reply.status);
                if !reply.headers.iter().any(|(k, _)| k == "content-type") {
                    head.push_str("content-type: application/json\r\n");
                }
                for (k, v) in &reply.headers {
                    head.push_str(&format!("{k}: {v}\r\n"));
                }
                head.push_str(&format!(
                    "content-length: {}\r\nconnection: close\r\n\r\n",
                    reply.body.len(),
                ));
                let mut bytes = head.into_bytes();
                bytes.extend_from_slice(&reply.body);
                let _ = socket.write_all(&bytes).await;
            });
        }
    });
    Server { url, seen }
}

async fn read_request(socket: &mut tokio::net::TcpStream) -> Option<Seen> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let at = std::time::Instant::now();
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_string();
    let target = first.next()?.to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Some(Seen {
        method,
        target,
        headers,
        body: buf[head_end..].to_vec(),
        at,
    })
}

/// A JobResponse body as the server sends it.
pub fn job_json(id: &str, status: &str) -> serde_json::Value {
    serde_json::json!({
        "job_id": id,
        "job_type": "simulate",
        "status": status,
        "priority": 0,
        "created_at": "2025-01-02T03:04:05Z",
        "updated_at": "2025-01-02T03:04:06.123456+00:00",
        "started_at": null,
        "user_id": "user-1",
        "organization_id": "org-1",
        "is_terminal": status == "completed" || status == "failed" || status == "canceled",
        "is_failed": status == "failed" || status == "canceled",
    })
}
