//! The request path: `get_job` through the SDK against the same call
//! written by hand with reqwest (same pool, same headers, the same 60 s
//! per-request timeout, the same decoding into `JobResponse`), against a
//! minimal keep-alive HTTP/1.1 server on 127.0.0.1 that answers every
//! request with a fixed `JobResponse`.
//!
//! `cargo bench -p ionworks-bench --bench get_job` runs both in one process
//! on a two-worker runtime, in alternating 0.5 s slices (six per round,
//! three rounds), one request at a time and 16 at once, and prints the
//! SDK's requests/s over hand-written reqwest's: the median of the rounds
//! and their spread (target ≥ 0.95). Then the attribution table: each row
//! is hand-written reqwest plus one step of the kind the SDK's request path
//! takes (or the SDK's hand-written-path API), measured against plain
//! hand-written reqwest the same way, with its cost per call in µs.
//!
//! `--no-attribution` stops after the first two figures; `--rows 2,7`
//! measures only those rows of the table (0 is hand-written reqwest).
//!
//! The harness boxes every call's future, as a program that spawns or
//! collects calls does: a future of more than a KiB (glibc's per-thread
//! cache serves up to 1,032 bytes) makes that box a slow allocation, which
//! showed as most of the SDK's gap at 16 at a time. The first lines print
//! both futures' sizes, and `--allocs` counts such allocations per call. `--allocs` prints
//! only the heap allocations per call of each row, one call at a time: a
//! count that does not depend on what else the machine is doing.
//! `IONWORKS_BENCH_SLICE_MS` changes the slice length; `--quick` runs one
//! round of two short slices per figure (a smoke run).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ionworks::types::JobResponse;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Counts heap allocations, for `--allocs`.
struct Counting;

/// Set by `--allocs` only: the counters are shared by every thread, and
/// counting costs the other figures a contended atomic per allocation.
static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static ALLOCATED: AtomicU64 = AtomicU64::new(0);
/// Allocations of more than [`SMALL`] bytes: glibc serves those outside its
/// per-thread cache, and one may first consolidate its fast bins.
static LARGE: AtomicU64 = AtomicU64::new(0);
/// The largest request glibc's per-thread cache serves.
const SMALL: usize = 1032;

// SAFETY: forwards every call to the system allocator unchanged.
unsafe impl std::alloc::GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
            ALLOCATED.fetch_add(layout.size() as u64, Ordering::Relaxed);
            if layout.size() > SMALL {
                LARGE.fetch_add(1, Ordering::Relaxed);
            }
        }
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { std::alloc::System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        // SAFETY: as above.
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new: usize) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
            ALLOCATED.fetch_add(new as u64, Ordering::Relaxed);
            if new > SMALL {
                LARGE.fetch_add(1, Ordering::Relaxed);
            }
        }
        // SAFETY: as above.
        unsafe { std::alloc::System.realloc(ptr, layout, new) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const KEY: &str = "bench-key";
const JOB_ID: &str = "job-123";
const TIMEOUT: Duration = Duration::from_secs(60);

struct Setup {
    http: reqwest::Client,
    sdk: ionworks::Client,
    /// The same client with retries off: no spare copy, no read-whole.
    sdk_no_retries: ionworks::Client,
    url: String,
}

type Call = fn(Arc<Setup>) -> Pin<Box<dyn Future<Output = ()> + Send>>;

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

fn sdk_get(s: Arc<Setup>) -> Pin<Box<dyn Future<Output = ()> + Send>> {
    Box::pin(async move {
        let job = s.sdk.get_job().job_id(JOB_ID).send().await.expect("sdk");
        assert_eq!(job.job_id, JOB_ID);
    })
}

/// `get_job` with retries off (what the rest of the path costs).
fn sdk_get_no_retries(s: Arc<Setup>) -> Pin<Box<dyn Future<Output = ()> + Send>> {
    Box::pin(async move {
        let job = s
            .sdk_no_retries
            .get_job()
            .job_id(JOB_ID)
            .send()
            .await
            .expect("sdk");
        assert_eq!(job.job_id, JOB_ID);
    })
}

/// The SDK's hand-written path: `Client::request`, decoded by the caller.
fn sdk_request(s: Arc<Setup>) -> Pin<Box<dyn Future<Output = ()> + Send>> {
    Box::pin(async move {
        let response = s
            .sdk
            .request(reqwest::Method::GET, "/jobs")
            .segment(JOB_ID)
            .send()
            .await
            .expect("sdk request");
        let job: JobResponse = response.json().await.expect("decode");
        assert_eq!(job.job_id, JOB_ID);
    })
}

fn raw_request(s: &Setup) -> reqwest::RequestBuilder {
    s.http
        .get(format!("{}/jobs/{JOB_ID}", s.url))
        .header(reqwest::header::ACCEPT, "application/json")
        .header("api-version", "0.1.0")
        .header("x-api-key", KEY)
        .header(reqwest::header::USER_AGENT, ionworks::DEFAULT_USER_AGENT)
}

async fn decode(response: reqwest::Response) {
    let job: JobResponse = response.json().await.expect("decode");
    assert_eq!(job.job_id, JOB_ID);
}

/// The same request by hand, with the SDK's default per-request timeout.
fn raw_get(s: Arc<Setup>) -> Pin<Box<dyn Future<Output = ()> + Send>> {
    Box::pin(async move {
        let response = raw_request(&s).timeout(TIMEOUT).send().await.expect("raw");
        decode(response).await;
    })
}

/// Without a per-request timeout (one tokio timer per call less).
fn raw_no_timeout(s: Arc<Setup>) -> Pin<Box<dyn Future<Output = ()> + Send>> {
    Box::pin(async move {
        let response = raw_request(&s).send().await.expect("raw");
        decode(response).await;
    })
}

/// Keeping a copy of the request, as a retry needs one.
fn raw_plus_clone(s: Arc<Setup>) -> Pin<Box<dyn Future<Output = ()> + Send>> {
    Box::pin(async move {
        let request = raw_request(&s).timeout(TIMEOUT).build().expect("build");
        let spare = request.try_clone();
        let response = s.http.execute(request).await.expect("raw");
        drop(spare);
        decode(response).await;
    })
}

/// An INFO span around the call (no subscriber installed, as in most
/// programs' benchmarks; with one, its cost is the subscriber's).
fn raw_plus_span(s: Arc<Setup>) -> Pin<Box<dyn Future<Output = ()> + Send>> {
    use tracing::Instrument as _;
    Box::pin(async move {
        let span = tracing::info_span!(
            "ionworks.request",
            operation = "get_job",
            method = "GET",
            path = tracing::field::Empty,
            status = tracing::field::Empty,
        );
        let response = raw_request(&s)
            .timeout(TIMEOUT)
            .send()
            .instrument(span)
            .await
            .expect("raw");
        decode(response).await;
    })
}

/// Reading the body whole into a rebuilt response before decoding (so that
/// a body that breaks off can be retried).
fn raw_plus_read_whole(s: Arc<Setup>) -> Pin<Box<dyn Future<Output = ()> + Send>> {
    Box::pin(async move {
        let mut response = raw_request(&s).timeout(TIMEOUT).send().await.expect("raw");
        let status = response.status();
        let headers = std::mem::take(response.headers_mut());
        let body = response.bytes().await.expect("body");
        let mut rebuilt = http::Response::new(body);
        *rebuilt.status_mut() = status;
        *rebuilt.headers_mut() = headers;
        decode(reqwest::Response::from(rebuilt)).await;
    })
}

/// Calls `call` on `concurrency` tasks until `slice` has passed; returns
/// the calls completed and the time taken.
async fn run_slice(
    s: &Arc<Setup>,
    call: Call,
    concurrency: usize,
    slice: Duration,
) -> (u64, Duration) {
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let (s, done, stop) = (s.clone(), done.clone(), stop.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    call(s.clone()).await;
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    tokio::time::sleep(slice).await;
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await.expect("task");
    }
    (done.load(Ordering::Relaxed), start.elapsed())
}

/// Requests/s of `a` over `b` per round, `a` and `b` in alternating slices
/// (a b b a a b …); also the requests/s of each over all rounds.
async fn compare(
    s: &Arc<Setup>,
    (a, b): (Call, Call),
    concurrency: usize,
    plan: &Plan,
) -> (Vec<f64>, f64, f64) {
    // Warm the pool: one connection per task.
    run_slice(s, b, concurrency, Duration::from_millis(50)).await;
    let mut ratios = Vec::new();
    let (mut all_a, mut all_b) = ((0u64, Duration::ZERO), (0u64, Duration::ZERO));
    for _ in 0..plan.rounds {
        let (mut ra, mut rb) = ((0u64, Duration::ZERO), (0u64, Duration::ZERO));
        for i in 0..plan.slices {
            let a_first = i % 2 == 0;
            for first in [a_first, !a_first] {
                let (n, t) = run_slice(s, if first { a } else { b }, concurrency, plan.slice).await;
                let acc = if first { &mut ra } else { &mut rb };
                acc.0 += n;
                acc.1 += t;
            }
        }
        let rate = |(n, t): (u64, Duration)| n as f64 / t.as_secs_f64();
        ratios.push(rate(ra) / rate(rb));
        all_a = (all_a.0 + ra.0, all_a.1 + ra.1);
        all_b = (all_b.0 + rb.0, all_b.1 + rb.1);
    }
    ratios.sort_by(f64::total_cmp);
    let rate = |(n, t): (u64, Duration)| n as f64 / t.as_secs_f64();
    (ratios, rate(all_a), rate(all_b))
}

/// The attribution table's rows, plain reqwest first.
fn rows() -> [(&'static str, Call); 8] {
    [
        ("hand-written reqwest (60 s timeout)", raw_get),
        ("no per-request timeout", raw_no_timeout),
        ("+ a copy of the request kept for a retry", raw_plus_clone),
        ("+ an INFO span (no subscriber)", raw_plus_span),
        (
            "+ the body read whole into a rebuilt response",
            raw_plus_read_whole,
        ),
        ("SDK `Client::request` (hand-written path)", sdk_request),
        ("SDK `get_job`, retries off", sdk_get_no_retries),
        ("SDK `get_job` (generated)", sdk_get),
    ]
}

struct Plan {
    rounds: usize,
    /// Pairs of slices per round.
    slices: usize,
    slice: Duration,
}

fn median(sorted: &[f64]) -> f64 {
    sorted[sorted.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // `cargo test --benches` runs this binary in test mode: a smoke run.
    let quick = args.iter().any(|a| a == "--quick" || a == "--test");
    let slice_ms = std::env::var("IONWORKS_BENCH_SLICE_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if quick { 50 } else { 500 });
    let plan = Plan {
        rounds: if quick { 1 } else { 3 },
        slices: if quick { 1 } else { 3 },
        slice: Duration::from_millis(slice_ms),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let url = start_server();
    let http = ionworks::http_client_builder()
        .expect("http client")
        .build()
        .expect("http client");
    let sdk_builder = ionworks::Client::builder()
        .base_url(&url)
        .api_key(KEY)
        .http_client(http.clone());
    let sdk = sdk_builder.clone().build().expect("client");
    let sdk_no_retries = sdk_builder
        .retry_policy(ionworks::RetryPolicy::default().with_max_retries(0))
        .build()
        .expect("client");
    let s = Arc::new(Setup {
        http,
        sdk,
        sdk_no_retries,
        url,
    });

    // `--profile sdk|raw|N`: one of them alone, 16 at a time for 10 s, for
    // a profiler (`perf record -g`).
    if let Some(which) = args
        .iter()
        .position(|a| a == "--profile")
        .and_then(|i| args.get(i + 1))
    {
        // `sdk`, `raw`, or a row of the attribution table by its number
        // (0: hand-written reqwest).
        let call: Call = match (which.as_str(), which.parse::<usize>()) {
            ("sdk", _) => sdk_get,
            (_, Ok(row)) if row < rows().len() => rows()[row].1,
            _ => raw_get,
        };
        let (n, t) = rt.block_on(run_slice(&s, call, 16, Duration::from_secs(10)));
        println!("{which}: {:.0} req/s", n as f64 / t.as_secs_f64());
        return;
    }
    if args.iter().any(|a| a == "--allocs") {
        COUNTING.store(true, Ordering::Relaxed);
        rt.block_on(async {
            println!(
                "| call | allocations per call | bytes allocated per call | of more than {SMALL} bytes |"
            );
            println!("|---|---:|---:|---:|");
            for (name, call) in rows() {
                const CALLS: u64 = 2_000;
                call(s.clone()).await;
                let (count, bytes, large) = (
                    ALLOCATIONS.load(Ordering::Relaxed),
                    ALLOCATED.load(Ordering::Relaxed),
                    LARGE.load(Ordering::Relaxed),
                );
                for _ in 0..CALLS {
                    call(s.clone()).await;
                }
                let count = ALLOCATIONS.load(Ordering::Relaxed) - count;
                let bytes = ALLOCATED.load(Ordering::Relaxed) - bytes;
                let large = LARGE.load(Ordering::Relaxed) - large;
                println!(
                    "| {name} | {:.1} | {:.0} | {:.1} |",
                    count as f64 / CALLS as f64,
                    bytes as f64 / CALLS as f64,
                    large as f64 / CALLS as f64
                );
            }
        });
        return;
    }
    rt.block_on(async {
        println!(
            "SDK get_job vs hand-written reqwest (same pool, headers, 60 s timeout, decoding); \
             {} round(s) of {} alternating {} ms slices each",
            plan.rounds,
            2 * plan.slices,
            slice_ms
        );
        for concurrency in [1, 16] {
            let (ratios, sdk, raw) = compare(&s, (sdk_get, raw_get), concurrency, &plan).await;
            println!(
                "{concurrency:>2} at a time: sdk {sdk:>7.0} req/s, reqwest {raw:>7.0} req/s, \
                 ratio {:.3} (rounds {:.3}–{:.3})",
                median(&ratios),
                ratios[0],
                ratios[ratios.len() - 1],
            );
        }
        // Every call moves its future into place at least once.
        let sdk_future = s.sdk.get_job().job_id(JOB_ID).send();
        let raw_future = raw_request(&s).timeout(TIMEOUT).send();
        println!(
            "future sizes: sdk get_job {} bytes, reqwest send {} bytes",
            std::mem::size_of_val(&sdk_future),
            std::mem::size_of_val(&raw_future)
        );
        drop((sdk_future, raw_future));
        if args.iter().any(|a| a == "--no-attribution") {
            return;
        }
        println!();
        println!("Attribution: each row against hand-written reqwest (60 s timeout), as above");
        println!("| step | at a time | req/s ratio (spread) | µs per request |");
        println!("|---|---:|---:|---:|");
        // `--rows 2,7`: only those rows of the table (by number, 0 being
        // hand-written reqwest).
        let wanted: Option<Vec<usize>> = args
            .iter()
            .position(|a| a == "--rows")
            .and_then(|i| args.get(i + 1))
            .map(|list| {
                list.split(',')
                    .filter_map(|n| n.trim().parse().ok())
                    .collect()
            });
        let rows = rows();
        for (index, (name, call)) in rows.into_iter().enumerate().skip(1) {
            if wanted.as_ref().is_some_and(|w| !w.contains(&index)) {
                continue;
            }
            for concurrency in [1, 16] {
                let (ratios, with, without) =
                    compare(&s, (call, raw_get), concurrency, &plan).await;
                let per_call_us = (1.0 / with - 1.0 / without) * 1e6;
                println!(
                    "| {name} | {concurrency} | {:.3} ({:.3}–{:.3}) | {per_call_us:+.1} |",
                    median(&ratios),
                    ratios[0],
                    ratios[ratios.len() - 1],
                );
            }
        }
    });
}
