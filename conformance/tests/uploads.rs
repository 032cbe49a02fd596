//! Generated upload operations (`fixtures/ionworks-uploads.json`, shaped
//! like the live Ionworks API's) on the wire: against the SDK's stand-in,
//! which parses forms with multer (axum's parser) and answers what it
//! received part by part.

use ionworks::testing::StandIn;
use ionworks::upload::FilePart;
use ionworks_conformance::uploads::{self, types};

fn fnv(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// A client of the generated upload operations, with the stand-in's key.
fn client(stand_in: &StandIn) -> uploads::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("x-api-key", stand_in.api_key().parse().unwrap());
    let http = ionworks::http_client_builder()
        .unwrap()
        .default_headers(headers)
        .build()
        .unwrap();
    uploads::Client::new_with_client(&stand_in.base_url(), http)
}

fn scratch(name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ionworks-uploads-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

type Part = (String, Option<String>, Option<String>, i64);

fn parts(echo: &types::FormEcho) -> Vec<Part> {
    echo.parts
        .iter()
        .map(|p| {
            (
                p.name.clone(),
                p.file_name.clone(),
                p.content_type.clone(),
                p.size,
            )
        })
        .collect()
}

#[tokio::test]
async fn fit_from_file_sends_every_kind_of_field() {
    let stand_in = StandIn::start().await.unwrap();
    let csv = b"time,current,voltage\n0,1.0,4.2\n1,1.0,4.1\n".repeat(2000);
    let path = scratch("pulse.csv", &csv);
    let echo = client(&stand_in)
        .fit_from_file()
        .project_id("project-1")
        .file(FilePart::path(&path))
        .extra_files([
            FilePart::bytes("a.json", br#"{"a":1}"#.to_vec()),
            FilePart::bytes("b.bin", vec![0u8, 1, 2]).content_type("application/x-cycler"),
        ])
        .model(types::BodyFitFromFileEcmFitFromFilePostModel::X2rc)
        .temperature(25.0)
        .tags(vec!["hppc".to_string(), "25C".to_string()])
        .options(Some(
            types::FitOptions::builder()
                .pulses(vec![1, 2, 3])
                .try_into()
                .unwrap(),
        ))
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(
        echo.content_type
            .starts_with("multipart/form-data; boundary=")
    );
    let s = |x: &str| Some(x.to_string());
    assert_eq!(
        parts(&echo),
        vec![
            ("model".into(), None, None, 3),
            ("options".into(), None, None, 18),
            ("tags".into(), None, None, 4),
            ("tags".into(), None, None, 3),
            ("temperature".into(), None, None, 4),
            (
                "file".into(),
                s("pulse.csv"),
                s("text/csv"),
                csv.len() as i64
            ),
            ("extra_files".into(), s("a.json"), s("application/json"), 7),
            (
                "extra_files".into(),
                s("b.bin"),
                s("application/x-cycler"),
                3
            ),
        ]
    );
    let text = |i: usize| echo.parts[i].text.clone().unwrap();
    assert_eq!(text(0), "2RC", "an enum is its wire value");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&text(1)).unwrap(),
        serde_json::json!({"pulses": [1, 2, 3]}),
        "a nested object is its JSON text"
    );
    assert_eq!(
        (text(2), text(3)),
        ("hppc".into(), "25C".into()),
        "an array repeats"
    );
    assert_eq!(text(4), "25.0");
    assert_eq!(echo.parts[5].fnv1a64.as_deref(), Some(fnv(&csv).as_str()));
    // The query parameter went where it belongs.
    let log = stand_in.requests();
    assert_eq!(log[0].query.as_deref(), Some("project_id=project-1"));
}

#[tokio::test]
async fn required_fields_and_documented_bounds_are_checked_before_sending() {
    let stand_in = StandIn::start().await.unwrap();
    let client = client(&stand_in);
    let cases = [
        (
            client
                .fit_from_file()
                .model(types::BodyFitFromFileEcmFitFromFilePostModel::X1rc),
            "file was not initialized",
        ),
        (
            client
                .fit_from_file()
                .file(FilePart::bytes("x.csv", vec![1])),
            "model",
        ),
        (
            client
                .fit_from_file()
                .file(FilePart::bytes("x.csv", vec![1]))
                .model(types::BodyFitFromFileEcmFitFromFilePostModel::X1rc)
                .temperature(120.0),
            "temperature must be at most 80",
        ),
        (
            client
                .fit_from_file()
                .file(FilePart::bytes("x.csv", vec![1]))
                .model(types::BodyFitFromFileEcmFitFromFilePostModel::X1rc)
                .name("n".repeat(21)),
            "name must be at most 20 characters long",
        ),
    ];
    for (request, expected) in cases {
        let err = request.send().await.unwrap_err();
        assert_eq!(err.kind(), ionworks::ErrorKind::InvalidRequest, "{err}");
        assert!(err.to_string().contains(expected), "{expected}: {err}");
    }
    assert!(stand_in.requests().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn a_multipart_patch_with_a_path_parameter() {
    let stand_in = StandIn::start().await.unwrap();
    let echo = client(&stand_in)
        .replace_dataset_file()
        .id("ds/1")
        .file(FilePart::bytes(
            "ocv.csv",
            b"soc,ocv\n0,3.0\n1,4.2\n".to_vec(),
        ))
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        parts(&echo),
        vec![(
            "file".into(),
            Some("ocv.csv".into()),
            Some("text/csv".into()),
            20
        )]
    );
    let log = stand_in.requests();
    assert_eq!(
        (log[0].method.as_str(), log[0].path.as_str()),
        ("PATCH", "/material_property_datasets/ds%2F1/file")
    );
}

#[tokio::test]
async fn a_url_encoded_form_repeats_arrays() {
    let stand_in = StandIn::start().await.unwrap();
    let echo = client(&stand_in)
        .parse_protocol()
        .text("Rest 1 hour\nDischarge at 1C")
        .steps(vec![1, 2])
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(echo.content_type, "application/x-www-form-urlencoded");
    let fields: Vec<(String, String)> = echo
        .parts
        .iter()
        .map(|p| (p.name.clone(), p.text.clone().unwrap()))
        .collect();
    let f = |k: &str, v: &str| (k.to_string(), v.to_string());
    assert_eq!(
        fields,
        [
            f("steps", "1"),
            f("steps", "2"),
            f("strict", "false"),
            f("text", "Rest 1 hour\nDischarge at 1C"),
        ]
    );
}

#[tokio::test]
async fn an_operation_offering_json_and_a_form_has_both() {
    let stand_in = StandIn::start().await.unwrap();
    let client = client(&stand_in);
    // The plain method sends JSON (the stand-in's echo answers 415 to it).
    let err = client
        .upload_model()
        .body(
            types::ModelJson::builder()
                .name("spm")
                .definition(serde_json::Map::new()),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(415));
    let log = stand_in.requests();
    assert_eq!(log[0].header("content-type"), Some("application/json"));
    // `_form` sends the form, to the same path.
    let echo = client
        .upload_model_form()
        .name("spm")
        .file(FilePart::bytes("model.json", b"{}".to_vec()))
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        parts(&echo),
        vec![
            ("name".into(), None, None, 3),
            (
                "file".into(),
                Some("model.json".into()),
                Some("application/json".into()),
                2
            ),
        ]
    );
    assert_eq!(stand_in.requests()[1].path, "/echo/models/upload");
}

#[tokio::test]
async fn the_typed_mocks_match_forms_by_part_name() {
    use httpmock::MockServer;
    use uploads::mock::MockServerExt;

    // The generated `Client::new` builds its own reqwest client, which needs
    // a crypto provider installed (see `tests/mocks.rs`).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let server = MockServer::start_async().await;
    let mock = server.fit_from_file(|when, then| {
        when.part("file").part("model");
        then.ok(&types::FormEcho::builder()
            .content_type("mocked")
            .parts(vec![])
            .try_into()
            .unwrap());
    });
    let echo = uploads::Client::new(&server.base_url())
        .fit_from_file()
        .file(FilePart::bytes("x.csv", vec![1]))
        .model(types::BodyFitFromFileEcmFitFromFilePostModel::X3rc)
        .send()
        .await
        .unwrap();
    assert_eq!(echo.content_type, "mocked");
    mock.assert_async().await;
}
