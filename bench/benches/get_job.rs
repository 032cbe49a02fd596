//! `get_job` through the SDK against the same call written by hand with
//! reqwest, on one connection pool, against a minimal keep-alive HTTP/1.1
//! server on 127.0.0.1 that answers every request with a fixed JobResponse.
//!
//! `cargo bench -p ionworks-bench --bench get_job` prints divan's table, then
//! two summary lines with requests/s of both and their ratio (target ≥ 0.9):
//! one request at a time, and 16 at once on the same pool.

use std::sync::LazyLock;
use std::time::{Duration, Instant};

use divan::Bencher;
use ionworks::types::JobResponse;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const KEY: &str = "bench-key";
const JOB_ID: &str = "job-123";

struct Setup {
    rt: tokio::runtime::Runtime,
    http: reqwest::Client,
    sdk: ionworks::Client,
    url: String,
}

static SETUP: LazyLock<Setup> = LazyLock::new(|| {
    let url = start_server();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let http = ionworks::http_client_builder().unwrap().build().unwrap();
    let sdk = ionworks::Client::builder()
        .base_url(&url)
        .api_key(KEY)
        .http_client(http.clone())
        .build()
        .expect("client");
    Setup { rt, http, sdk, url }
});

/// The server runs on its own thread and runtime.
fn start_server() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    listener.set_nonblocking(true).expect("nonblocking");
    let body = serde_json::json!({
        "job_id": JOB_ID, "job_type": "simulate", "status": "processing", "priority": 0,
        "created_at": "2025-01-02T03:04:05Z", "updated_at": "2025-01-02T03:04:06.123456+00:00",
        "user_id": "user-1", "organization_id": "org-1", "is_terminal": false, "is_failed": false,
    })
    .to_string();
    let response: &'static [u8] = Box::leak(
        format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes()
        .into_boxed_slice(),
    );
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("server runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            while let Ok((mut socket, _)) = listener.accept().await {
                let _ = socket.set_nodelay(true);
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 8192];
                    let mut filled = 0;
                    loop {
                        let Ok(n) = socket.read(&mut buf[filled..]).await else {
                            return;
                        };
                        if n == 0 {
                            return;
                        }
                        filled += n;
                        // GET requests have no body: answer each complete head.
                        while let Some(end) =
                            buf[..filled].windows(4).position(|w| w == b"\r\n\r\n")
                        {
                            if socket.write_all(response).await.is_err() {
                                return;
                            }
                            buf.copy_within(end + 4..filled, 0);
                            filled -= end + 4;
                        }
                        if filled == buf.len() {
                            return;
                        }
                    }
                });
            }
        });
    });
    url
}

async fn sdk_get(s: &Setup) -> JobResponse {
    s.sdk
        .get_job()
        .job_id(JOB_ID)
        .send()
        .await
        .expect("sdk")
        .into_inner()
}

/// The same request by hand: same headers, the same per-request timeout as
/// the SDK's default (a tokio timer either way), same decoding into JobResponse.
async fn raw_get(s: &Setup) -> JobResponse {
    s.http
        .get(format!("{}/jobs/{JOB_ID}", s.url))
        .header(reqwest::header::ACCEPT, "application/json")
        .header("api-version", "0.1.0")
        .header("x-api-key", KEY)
        .header(reqwest::header::USER_AGENT, ionworks::DEFAULT_USER_AGENT)
        .timeout(Duration::from_secs(60))
        .send()
        .await
        .expect("raw")
        .json()
        .await
        .expect("decode")
}

#[divan::bench(sample_count = 200, sample_size = 20)]
fn sdk_get_job(bencher: Bencher) {
    let s = &*SETUP;
    bencher.bench_local(|| s.rt.block_on(sdk_get(s)));
}

#[divan::bench(sample_count = 200, sample_size = 20)]
fn reqwest_get_job(bencher: Bencher) {
    let s = &*SETUP;
    bencher.bench_local(|| s.rt.block_on(raw_get(s)));
}

/// Interleaved rounds of both calls for the summary lines, `concurrency`
/// requests in flight at a time.
fn summary(concurrency: u32) {
    use futures_util::future::join_all;
    let s = &*SETUP;
    let (mut sdk, mut raw) = (Duration::ZERO, Duration::ZERO);
    let (rounds, per_round) = (20u32, 256u32);
    let batches = per_round / concurrency;
    for _ in 0..rounds {
        let t = Instant::now();
        for _ in 0..batches {
            s.rt.block_on(join_all((0..concurrency).map(|_| sdk_get(s))));
        }
        sdk += t.elapsed();
        let t = Instant::now();
        for _ in 0..batches {
            s.rt.block_on(join_all((0..concurrency).map(|_| raw_get(s))));
        }
        raw += t.elapsed();
    }
    let n = f64::from(rounds * batches * concurrency);
    let (sdk_rps, raw_rps) = (n / sdk.as_secs_f64(), n / raw.as_secs_f64());
    println!(
        "summary ({concurrency} at a time): sdk {sdk_rps:.0} req/s, hand-written reqwest {raw_rps:.0} req/s, ratio {:.3}",
        sdk_rps / raw_rps
    );
}

fn main() {
    divan::main();
    // `cargo test --benches` runs the bench binary in test mode: keep it short.
    if !std::env::args().any(|a| a == "--test") {
        summary(1);
        summary(16);
    }
}
