//! A response whose body breaks off is a failed attempt: retried where the
//! method makes resending safe, as the retry policy allows.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use ionworks::ErrorKind;
use ionworks::reqwest::Method;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A server on 127.0.0.1 that hands each connection, once its request
/// head has arrived, to `answer` with the connection's number (from 0);
/// returns its URL.
async fn serve<F, Fut>(answer: F) -> String
where
    F: Fn(TcpStream, usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let answer = Arc::new(answer);
    tokio::spawn(async move {
        let mut connections = 0;
        while let Ok((mut socket, _)) = listener.accept().await {
            let (answer, n) = (answer.clone(), connections);
            connections += 1;
            tokio::spawn(async move {
                let mut buf = vec![0u8; 65536];
                let mut head = Vec::new();
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(k) => head.extend_from_slice(&buf[..k]),
                    }
                }
                answer(socket, n).await;
            });
        }
    });
    url
}

/// A server whose first `broken` answers promise a body and close half-way
/// through it; later answers are whole. Returns its URL and the number of
/// requests it got.
async fn breaking(broken: usize) -> (String, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let count = hits.clone();
    let body = common::job_json("j1", "running").to_string();
    let url = serve(move |mut socket, n| {
        count.fetch_add(1, Ordering::SeqCst);
        let body = body.clone();
        async move {
            let reply = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                 content-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = socket.write_all(reply.as_bytes()).await;
            let sent = if n < broken {
                body.len() / 2
            } else {
                body.len()
            };
            let _ = socket.write_all(&body.as_bytes()[..sent]).await;
            let _ = socket.shutdown().await;
        }
    })
    .await;
    (url, hits)
}

#[tokio::test]
async fn a_get_whose_body_breaks_off_is_retried() {
    let (url, hits) = breaking(2).await;
    let client = common::client(&url);
    let job = client.get_job().job_id("j1").send().await.unwrap();
    assert_eq!(job.job_id, "j1");
    assert_eq!(
        hits.load(Ordering::SeqCst),
        3,
        "two broken answers, then one whole"
    );
}

#[tokio::test]
async fn retries_of_broken_bodies_follow_the_policy() {
    let (url, hits) = breaking(usize::MAX).await;
    let client = common::client(&url);
    let e = client.get_job().job_id("j1").send().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
    assert!(e.is_retryable());
    assert!(
        e.to_string()
            .starts_with("get_job: reading the response failed: "),
        "{e}"
    );
    assert!(!e.to_string().contains('\n'), "{e}");
    assert_eq!(
        hits.load(Ordering::SeqCst),
        4,
        "the first attempt and 3 retries"
    );

    let (url, hits) = breaking(usize::MAX).await;
    let client = ionworks::Client::builder()
        .base_url(&url)
        .api_key("k")
        .retry_policy(ionworks::RetryPolicy::none())
        .build()
        .unwrap();
    client.get_job().job_id("j1").send().await.unwrap_err();
    assert_eq!(hits.load(Ordering::SeqCst), 1, "retries off");
}

#[tokio::test]
async fn a_post_whose_body_breaks_off_is_not_sent_again() {
    let (url, hits) = breaking(1).await;
    let client = common::client(&url);
    let e = client.cancel_job().job_id("j1").send().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn raw_reads_of_a_whole_body_are_retried() {
    let (url, hits) = breaking(1).await;
    let client = common::client(&url);
    let job: serde_json::Value = client
        .request(Method::GET, "/jobs/j1")
        .decode()
        .await
        .unwrap();
    assert_eq!(job["job_id"], "j1");
    assert_eq!(hits.load(Ordering::SeqCst), 2);

    let (url, hits) = breaking(1).await;
    let bytes = common::client(&url)
        .request(Method::GET, "/jobs/j1")
        .bytes()
        .await
        .unwrap();
    assert!(!bytes.is_empty());
    assert_eq!(hits.load(Ordering::SeqCst), 2);
}

/// A server that answers every request with `parts` as a chunked body, one
/// flushed chunk per part, a few milliseconds apart (so that the client
/// reads them as separate chunks), with `content_type`.
async fn in_parts(parts: Vec<String>, content_type: &'static str) -> String {
    serve(move |mut socket, _| {
        let parts = parts.clone();
        async move {
            let reply = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\n\
                 transfer-encoding: chunked\r\nconnection: close\r\n\r\n"
            );
            let _ = socket.write_all(reply.as_bytes()).await;
            for part in parts {
                let chunk = format!("{:x}\r\n{part}\r\n", part.len());
                let _ = socket.write_all(chunk.as_bytes()).await;
                let _ = socket.flush().await;
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
            let _ = socket.write_all(b"0\r\n\r\n").await;
            let _ = socket.shutdown().await;
        }
    })
    .await
}

/// The same JSON in three parts.
fn thirds(json: &str) -> Vec<String> {
    let (a, rest) = json.split_at(json.len() / 3);
    let (b, c) = rest.split_at(rest.len() / 2);
    vec![a.into(), b.into(), c.into()]
}

/// Clients of `url` whose request loop reads a success body ahead (retries
/// on) and whose decoders read it (retries off: nothing is read before).
fn with_and_without_retries(url: &str) -> [ionworks::Client; 2] {
    [
        ionworks::RetryPolicy::default(),
        ionworks::RetryPolicy::none(),
    ]
    .map(|policy| {
        ionworks::Client::builder()
            .base_url(url)
            .api_key("k")
            .retry_policy(policy)
            .build()
            .unwrap()
    })
}

#[tokio::test]
async fn an_answer_in_several_chunks_is_decoded_whole() {
    let body = common::job_json("j-parts", "running").to_string();
    let url = in_parts(thirds(&body), "application/json").await;
    for client in with_and_without_retries(&url) {
        let job = client.get_job().job_id("j-parts").send().await.unwrap();
        assert_eq!(job.job_id, "j-parts");
        assert_eq!(job.headers()["content-type"], "application/json");
    }
}

#[tokio::test]
async fn a_download_its_server_calls_json_streams_its_whole_body() {
    use futures_util::TryStreamExt as _;
    let body = r#"{"steps":[{"name":"charge"},{"name":"rest"}],"note":"a JSON file"}"#;
    let url = in_parts(thirds(body), "application/json").await;
    for client in with_and_without_retries(&url) {
        let answer = client
            .get_experiment_template_source_protocol()
            .id("t1")
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200);
        let chunks: Vec<bytes::Bytes> = answer
            .into_inner()
            .into_inner()
            .try_collect()
            .await
            .unwrap();
        assert_eq!(chunks.concat(), body.as_bytes());
    }
}
