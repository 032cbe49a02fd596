//! A path parameter never changes the request's path: every character the
//! URL parser treats specially in a segment is percent-encoded or refused,
//! through the generated operations, `Client::request` and its `segment()`,
//! under a base URL with a path of its own.

mod common;

use ionworks::reqwest::Method;
use ionworks::{Client, ErrorKind};

/// A value and the segment the server must receive (`None`: refused
/// before anything is sent).
const CASES: &[(&str, Option<&str>)] = &[
    ("plain-id_1", Some("plain-id_1")),
    ("a/b", Some("a%2Fb")),
    ("../admin", Some("..%2Fadmin")),
    ("..\\admin", Some("..%5Cadmin")),
    ("x\\..\\victim", Some("x%5C..%5Cvictim")),
    ("\\", Some("%5C")),
    (".", None),
    ("..", None),
    (".%2e", None),
    ("%2E%2E", None),
    ("...", Some("...")),
    ("a.b", Some("a.b")),
    ("%", Some("%25")),
    ("%2F", Some("%252F")),
    ("a?b=c", Some("a%3Fb=c")),
    ("a#frag", Some("a%23frag")),
    ("a\tb", Some("a%09b")),
    ("a\nb", Some("a%0Ab")),
    ("a\rb", Some("a%0Db")),
    ("\t..", Some("%09..")),
    (".\n.", Some(".%0A.")),
    ("a b", Some("a%20b")),
    ("é✓", Some("%C3%A9%E2%9C%93")),
    ("", None),
];

async fn server() -> (common::Server, Client) {
    let server = common::serve(vec![(200, common::job_json("j", "pending").to_string())]).await;
    let client = common::client(&format!("{}/api/v1", server.url));
    (server, client)
}

/// What the server received for each case, as `(value, target)`.
fn received(server: &common::Server) -> Vec<String> {
    let seen = server.seen.lock().unwrap();
    seen.iter().map(|s| s.target.clone()).collect()
}

fn check(
    server: &common::Server,
    outcomes: Vec<(&str, Option<&str>, Result<(), ionworks::ApiError>)>,
    expected_path: impl Fn(&str) -> String,
) {
    let mut expected = Vec::new();
    for (value, segment, outcome) in outcomes {
        match (segment, outcome) {
            (Some(segment), Ok(())) => expected.push(expected_path(segment)),
            (None, Err(e)) => {
                assert_eq!(e.kind(), ErrorKind::InvalidRequest, "{value:?}: {e}");
                assert!(!e.to_string().contains('\n'), "one line: {e}");
            }
            (segment, outcome) => panic!("{value:?}: expected {segment:?}, got {outcome:?}"),
        }
    }
    assert_eq!(received(server), expected);
}

#[tokio::test]
async fn generated_get_keeps_its_segment_under_a_base_path() {
    let (server, client) = server().await;
    let mut outcomes = Vec::new();
    for &(value, segment) in CASES {
        let outcome = client.get_job().job_id(value).send().await.map(drop);
        outcomes.push((value, segment, outcome));
    }
    check(&server, outcomes, |s| format!("/api/v1/jobs/{s}"));
}

#[tokio::test]
async fn generated_post_keeps_its_segment_under_a_base_path() {
    let (server, client) = server().await;
    let mut outcomes = Vec::new();
    for &(value, segment) in CASES {
        // The body does not decode as the operation's response: only the
        // path the server got matters here.
        let outcome = match client.cancel_job().job_id(value).send().await {
            Err(e) if e.kind() == ErrorKind::Decode => Ok(()),
            other => other.map(drop),
        };
        outcomes.push((value, segment, outcome));
    }
    check(&server, outcomes, |s| format!("/api/v1/jobs/{s}/cancel"));
}

#[tokio::test]
async fn raw_segments_keep_their_segment_under_a_base_path() {
    let (server, client) = server().await;
    let mut outcomes = Vec::new();
    for &(value, segment) in CASES {
        let outcome = client
            .request(Method::POST, "/jobs")
            .segment(value)
            .segment("cancel")
            .send()
            .await
            .map(drop);
        outcomes.push((value, segment, outcome));
    }
    check(&server, outcomes, |s| format!("/api/v1/jobs/{s}/cancel"));
}

#[tokio::test]
async fn raw_literal_paths_cannot_leave_the_base_path() {
    let (server, client) = server().await;
    let cases: &[(&str, Option<&str>)] = &[
        ("/jobs/j1", Some("/jobs/j1")),
        ("/jobs/..\\admin", Some("/jobs/..%5Cadmin")),
        ("/jobs\\..\\..\\admin", Some("/jobs%5C..%5C..%5Cadmin")),
        ("/jobs/../admin", None),
        ("/./admin", None),
        ("/jobs/%2e%2e", None),
        ("/jobs//x", None),
        ("/jobs/\t../x", Some("/jobs/%09../x")),
        ("/jobs/a b", Some("/jobs/a%20b")),
        ("/jobs/é", Some("/jobs/%C3%A9")),
        ("/jobs?x=1", None),
        ("/jobs#x", None),
        ("jobs", None),
        ("\\jobs", None),
        ("//evil.example/jobs", None),
        ("", None),
    ];
    let mut outcomes = Vec::new();
    for &(path, expected) in cases {
        let outcome = client.request(Method::GET, path).send().await.map(drop);
        outcomes.push((path, expected, outcome));
    }
    check(&server, outcomes, |p| format!("/api/v1{p}"));
}

/// The one encoding rule, checked directly: what comes out never parses
/// into another path than the one it was put in.
#[test]
fn encoded_segments_round_trip_through_the_url_parser() {
    let mut values: Vec<String> = CASES.iter().map(|(v, _)| v.to_string()).collect();
    values.extend((0u8..0x80).map(|b| format!("a{}b", b as char)));
    values.extend(["\u{0}", "\u{7f}", "\u{85}", "\u{2028}", "%%", "%zz"].map(String::from));
    for value in values {
        let Ok(segment) = ionworks::types::__support::path_segment(&value, "op", "p") else {
            continue;
        };
        let url = url::Url::parse(&format!("http://h/api/v1/jobs/{segment}/x")).unwrap();
        let segments: Vec<&str> = url.path_segments().unwrap().collect();
        assert_eq!(segments.len(), 5, "{value:?} -> {}", url.path());
        assert_eq!(segments[3], segment, "{value:?} kept as sent");
        let decoded = percent_decode(segments[3]);
        assert_eq!(decoded, value.as_bytes(), "{value:?} decodes back");
    }
}

fn percent_decode(s: &str) -> Vec<u8> {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 3 <= bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}
