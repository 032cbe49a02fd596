//! Peak memory of a 500 MiB upload: `cargo bench -p ionworks-bench --bench upload_memory`.
//!
//! Uploads a 500 MiB file as a measurement (`upload_measurement`,
//! `FilePart::path`) to the stand-in's storage, in S3 multipart parts and
//! then in one signed-URL `PUT`, and through `ionworks::upload` as a
//! streamed form to a server on 127.0.0.1 that reads and discards it. For
//! each it prints the growth of this process's peak resident memory
//! (`VmHWM` from `/proc/self/status`, Linux) and the time taken. The
//! stand-in runs in a child process (this program again, with `--serve`),
//! so that the objects its storage keeps in memory are not counted. The
//! same form upload from memory (`FilePart::bytes`) is measured last, for
//! comparison: it must hold the file.

use std::time::Instant;

use ionworks::reqwest::Method;
use ionworks::upload::{FilePart, Form};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SIZE: usize = 500 * 1024 * 1024;

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

/// The child: two stand-ins (multipart offered, and not), their URLs and
/// keys on stdout, served until stdin closes.
async fn serve() {
    use ionworks::testing::{MultipartOffer, StandIn};
    let multipart = StandIn::start().await.expect("stand-in");
    let single = StandIn::start().await.expect("stand-in");
    single.set_multipart(MultipartOffer::Absent);
    for s in [&multipart, &single] {
        println!("{} {}", s.base_url(), s.api_key());
    }
    let _ = tokio::task::spawn_blocking(|| {
        let mut sink = String::new();
        let _ = std::io::stdin().read_line(&mut sink);
    })
    .await;
}

/// Uploads `path` as a measurement through the stand-in at `url` with
/// `key`, and prints the peak RSS growth and the time.
async fn measurement(label: &str, url: &str, key: &str, path: &std::path::Path) {
    let client = ionworks::Client::builder()
        .base_url(url)
        .api_key(key)
        .request_timeout(std::time::Duration::from_secs(600))
        .build()
        .expect("client");
    let before = peak_kib().unwrap_or(0);
    let started = Instant::now();
    client
        .upload_measurement(
            "bench-instance",
            ionworks::types::MeasurementMetadata::builder().name(label),
            FilePart::path(path),
        )
        .wait_for_processing(false)
        .await
        .expect("measurement upload");
    let took = started.elapsed();
    let after = peak_kib().unwrap_or(0);
    println!(
        "upload_measurement, {label}, {} MiB: peak RSS +{} KiB ({:.2}% of the file), {:.2?}",
        SIZE >> 20,
        after.saturating_sub(before),
        100.0 * after.saturating_sub(before) as f64 / (SIZE as f64 / 1024.0),
        took
    );
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    if std::env::args().any(|a| a == "--test") {
        return; // `cargo test --benches`: nothing to check here.
    }
    if std::env::args().any(|a| a == "--serve") {
        return serve().await;
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
    let mut child = std::process::Command::new(std::env::current_exe().expect("exe"))
        .arg("--serve")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("the stand-in's process");
    let lines: Vec<(String, String)> = {
        use std::io::BufRead;
        let out = child.stdout.take().expect("stdout");
        std::io::BufReader::new(out)
            .lines()
            .take(2)
            .map(|l| {
                let l = l.expect("a line");
                let (url, key) = l.split_once(' ').expect("url and key");
                (url.to_owned(), key.to_owned())
            })
            .collect()
    };
    measurement("S3 multipart", &lines[0].0, &lines[0].1, &path).await;
    measurement("one signed-URL PUT", &lines[1].0, &lines[1].1, &path).await;
    drop(child.stdin.take());
    let _ = child.wait();

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
