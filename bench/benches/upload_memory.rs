//! Peak memory of a 100 MB upload: `cargo bench -p ionworks-bench --bench upload_memory`.
//!
//! Uploads a 100 MB file through `ionworks::upload` (`FilePart::path`, a
//! streamed multipart body) to a server on 127.0.0.1 that reads and
//! discards it, and prints the process's peak resident memory (`VmHWM`
//! from `/proc/self/status`, Linux) before and after, next to the file's
//! size. The same upload from memory (`FilePart::bytes`) is measured last,
//! for comparison: it must hold the file.

use std::time::Instant;

use ionworks::reqwest::Method;
use ionworks::upload::{FilePart, Form};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SIZE: usize = 100 * 1024 * 1024;

/// Peak resident set size of this process, in KiB.
fn peak_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Reads each request's body to its end (by `Content-Length`), then answers 200.
async fn sink() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 * 1024];
                let mut head = Vec::new();
                let body_start = loop {
                    let n = socket.read(&mut buf).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    head.extend_from_slice(&buf[..n]);
                    if let Some(i) = head.windows(4).position(|w| w == b"\r\n\r\n") {
                        break i + 4;
                    }
                };
                let text = String::from_utf8_lossy(&head[..body_start]).to_ascii_lowercase();
                let length: usize = text
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(0);
                let mut read = head.len() - body_start;
                while read < length {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => read += n,
                    }
                }
                let _ = socket
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}")
                    .await;
            });
        }
    });
    url
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    if std::env::args().any(|a| a == "--test") {
        return; // `cargo test --benches`: nothing to check here.
    }
    let dir = std::env::temp_dir().join(format!("ionworks-upload-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("big.bin");
    {
        use std::io::Write;
        let mut file = std::fs::File::create(&path).expect("create");
        let chunk: Vec<u8> = (0..1024 * 1024).map(|i| (i % 251) as u8).collect();
        for _ in 0..SIZE / chunk.len() {
            file.write_all(&chunk).expect("write");
        }
    }
    let url = sink().await;
    let client = ionworks::Client::builder()
        .base_url(&url)
        .api_key("bench")
        .request_timeout(std::time::Duration::from_secs(600))
        .build()
        .expect("client");

    let before = peak_kib().unwrap_or(0);
    let started = Instant::now();
    client
        .request(Method::POST, "/ecm/fit-from-file")
        .form(Form::multipart().file("file", FilePart::path(&path)))
        .send()
        .await
        .expect("streamed upload");
    let streamed = started.elapsed();
    let after = peak_kib().unwrap_or(0);
    println!(
        "FilePart::path, {} MiB: peak RSS {} KiB before, {} KiB after (+{} KiB, {:.2}% of the file), {:.2?}",
        SIZE >> 20,
        before,
        after,
        after.saturating_sub(before),
        100.0 * after.saturating_sub(before) as f64 / (SIZE as f64 / 1024.0),
        streamed
    );

    let bytes = std::fs::read(&path).expect("read");
    let started = Instant::now();
    client
        .request(Method::POST, "/ecm/fit-from-file")
        .form(Form::multipart().file("file", FilePart::bytes("big.bin", bytes)))
        .send()
        .await
        .expect("upload from memory");
    let in_memory = started.elapsed();
    let last = peak_kib().unwrap_or(0);
    println!(
        "FilePart::bytes (the file held in memory, for comparison): peak RSS {last} KiB ({:.2?})",
        in_memory
    );
    let _ = std::fs::remove_dir_all(&dir);
}
