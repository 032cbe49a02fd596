//! The change report's verdict on one mutation of the vendored spec per rule.

use serde_json::{Value, json};
use xtask::{Impact, compare_specs};

/// The vendored spec's jobs and optimizations (the rules do not depend on
/// the document's size; generating the whole spec per case would).
fn base() -> Value {
    let text = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi.json")).unwrap();
    let doc: Value = serde_json::from_slice(&text).unwrap();
    ionworks_codegen::excerpt(&doc, |_, _, op| {
        op["tags"][0] == "jobs" || op["tags"][0] == "optimizations"
    })
}

/// Apply `mutate` to a copy of the spec and return (verdict, subjects).
fn verdict(mutate: impl FnOnce(&mut Value)) -> (Option<Impact>, Vec<String>) {
    let old = base();
    let mut new = old.clone();
    mutate(&mut new);
    let report = compare_specs(
        &serde_json::to_vec(&old).unwrap(),
        &serde_json::to_vec(&new).unwrap(),
    )
    .unwrap();
    let subjects = report
        .changes
        .iter()
        .map(|c| format!("{:?} {}: {}", c.impact, c.subject, c.detail))
        .collect();
    (report.verdict(), subjects)
}

fn schema<'a>(doc: &'a mut Value, name: &str) -> &'a mut Value {
    &mut doc["components"]["schemas"][name]
}

#[test]
fn no_change_is_no_change() {
    let (v, subjects) = verdict(|_| {});
    assert_eq!(v, None, "{subjects:?}");
}

#[test]
fn new_optional_response_field_is_additive() {
    let (v, s) = verdict(|d| {
        schema(d, "JobResponse")["properties"]["queue_position"] =
            json!({"anyOf": [{"type": "integer"}, {"type": "null"}]});
    });
    assert_eq!(v, Some(Impact::Additive), "{s:?}");
    assert_eq!(
        s,
        ["Additive field JobResponse.queue_position: new optional field (Option<i64>)"]
    );
}

#[test]
fn new_required_request_field_is_breaking() {
    let (v, s) = verdict(|d| {
        let r = schema(d, "SubmitJobRequest");
        r["properties"]["region"] = json!({"type": "string"});
        r["required"].as_array_mut().unwrap().push(json!("region"));
    });
    assert_eq!(v, Some(Impact::Breaking), "{s:?}");
    assert!(s[0].contains("SubmitJobRequest.region"), "{s:?}");
}

#[test]
fn new_optional_request_field_is_additive() {
    let (v, s) = verdict(|d| {
        schema(d, "SubmitJobRequest")["properties"]["tags"] =
            json!({"type": "array", "items": {"type": "string"}});
    });
    assert_eq!(v, Some(Impact::Additive), "{s:?}");
}

#[test]
fn new_required_response_field_is_additive() {
    let (v, s) = verdict(|d| {
        let r = schema(d, "OptimizationResource");
        r["properties"]["owner"] = json!({"type": "string"});
        r["required"].as_array_mut().unwrap().push(json!("owner"));
    });
    assert_eq!(v, Some(Impact::Additive), "{s:?}");
}

#[test]
fn removed_operation_is_breaking() {
    let (v, s) = verdict(|d| {
        d["paths"]["/jobs/{job_id}/cancel"]
            .as_object_mut()
            .unwrap()
            .remove("post");
    });
    assert_eq!(v, Some(Impact::Breaking), "{s:?}");
    assert!(
        s.iter()
            .any(|s| s.starts_with("Breaking operation cancel_job: removed")),
        "{s:?}"
    );
}

#[test]
fn added_operation_is_additive() {
    let (v, s) = verdict(|d| {
        d["paths"]["/jobs/{job_id}/logs"] = json!({"get": {
            "operationId": "get_job_logs_jobs__job_id__logs_get",
            "parameters": [{"name": "job_id", "in": "path", "required": true, "schema": {"type": "string"}}],
            "responses": {"200": {"description": "ok", "content": {"text/plain": {"schema": {"type": "string"}}}}}
        }});
    });
    assert_eq!(v, Some(Impact::Additive), "{s:?}");
    assert!(
        s.iter()
            .any(|s| s.contains("operation get_job_logs: added (GET /jobs/{job_id}/logs)")),
        "{s:?}"
    );
}

#[test]
fn changed_field_type_is_breaking() {
    let (v, s) = verdict(|d| {
        schema(d, "JobResponse")["properties"]["priority"]["type"] = json!("string");
    });
    assert_eq!(v, Some(Impact::Breaking), "{s:?}");
    assert_eq!(
        s,
        ["Breaking field JobResponse.priority: type changed from i64 to String"]
    );
}

#[test]
fn description_change_is_cosmetic() {
    let (v, s) = verdict(|d| {
        schema(d, "JobResponse")["description"] = json!("Reworded.");
        d["paths"]["/jobs"]["post"]["summary"] = json!("Submit a job");
    });
    assert_eq!(v, Some(Impact::Cosmetic), "{s:?}");
    assert_eq!(s.len(), 2, "{s:?}");
}

#[test]
fn new_variant_of_open_enum_is_additive() {
    let (v, s) = verdict(|d| {
        schema(d, "JobStatus")["enum"]
            .as_array_mut()
            .unwrap()
            .push(json!("archived"));
    });
    assert_eq!(v, Some(Impact::Additive), "{s:?}");
    assert!(s[0].contains("JobStatus::Archived"), "{s:?}");
}

#[test]
fn removed_variant_is_breaking() {
    let (v, s) = verdict(|d| {
        schema(d, "JobType")["enum"]
            .as_array_mut()
            .unwrap()
            .retain(|v| v != "dummy");
    });
    assert_eq!(v, Some(Impact::Breaking), "{s:?}");
    assert!(s[0].contains("JobType::Dummy: removed"), "{s:?}");
}

#[test]
fn removed_response_field_is_breaking() {
    let (v, s) = verdict(|d| {
        schema(d, "JobResponse")["properties"]
            .as_object_mut()
            .unwrap()
            .remove("compute_time");
    });
    assert_eq!(v, Some(Impact::Breaking), "{s:?}");
}

#[test]
fn new_required_query_parameter_is_breaking_and_optional_is_additive() {
    let (v, s) = verdict(|d| {
        d["paths"]["/jobs"]["post"]["parameters"].as_array_mut().unwrap().push(
            json!({"name": "region", "in": "query", "required": true, "schema": {"type": "string"}}),
        );
    });
    assert_eq!(v, Some(Impact::Breaking), "{s:?}");
    let (v, s) = verdict(|d| {
        d["paths"]["/jobs"]["post"]["parameters"].as_array_mut().unwrap().push(
            json!({"name": "dry_run", "in": "query", "required": false, "schema": {"type": "boolean"}}),
        );
    });
    assert_eq!(v, Some(Impact::Additive), "{s:?}");
}

#[test]
fn changed_success_type_is_breaking() {
    let (v, s) = verdict(|d| {
        d["paths"]["/jobs/{job_id}"]["get"]["responses"]["200"]["content"]["application/json"]["schema"] =
            json!({"$ref": "#/components/schemas/OptimizationResource"});
    });
    assert_eq!(v, Some(Impact::Breaking), "{s:?}");
    assert!(
        s.iter()
            .any(|s| s.contains("success type changed from JobResponse to OptimizationResource")),
        "{s:?}"
    );
}

#[test]
fn new_type_is_additive_and_semver_follows_the_verdict() {
    let old = base();
    let mut new = old.clone();
    schema(&mut new, "JobResponse")["properties"]["queue"] =
        json!({"anyOf": [{"$ref": "#/components/schemas/QueueInfo"}, {"type": "null"}]});
    new["components"]["schemas"]["QueueInfo"] =
        json!({"type": "object", "properties": {"position": {"type": "integer"}}});
    let report = compare_specs(
        &serde_json::to_vec(&old).unwrap(),
        &serde_json::to_vec(&new).unwrap(),
    )
    .unwrap();
    assert_eq!(report.verdict(), Some(Impact::Additive));
    assert!(report.changes.iter().any(|c| c.subject == "type QueueInfo"));
    assert_eq!(report.semver("0.1.0"), "patch");
    assert_eq!(report.semver("1.4.0"), "minor");
    let md = report.markdown("0.1.0");
    assert!(md.starts_with("## API change report"), "{md}");
    assert!(md.contains("### additive"), "{md}");
}

#[test]
fn a_new_spec_the_codegen_rejects_is_an_error() {
    let old = serde_json::to_vec(&base()).unwrap();
    let err = compare_specs(&old, br#"{"swagger": "2.0"}"#).unwrap_err();
    assert_eq!(err.pointer, "/swagger");
}

/// An upload operation of the live API's shape (a multipart form).
fn upload_operation() -> Value {
    json!({"post": {
        "operationId": "upload_attachment_jobs__job_id__attachments_post",
        "parameters": [{"name": "job_id", "in": "path", "required": true, "schema": {"type": "string"}}],
        "requestBody": {"required": true, "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["file"],
            "properties": {"file": {"type": "string", "contentMediaType": "application/octet-stream"},
                           "note": {"type": "string"}}}}}},
        "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {}}}}}
    }})
}

/// An operation the codegen cannot generate: an XML request body.
fn xml_operation() -> Value {
    json!({"post": {
        "operationId": "import_jobs_jobs_import_post",
        "requestBody": {"required": true, "content": {"application/xml": {"schema": {"type": "string"}}}},
        "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {}}}}}
    }})
}

#[test]
fn an_upload_operation_is_generated_and_additive() {
    let (v, s) = verdict(|d| {
        d["paths"]["/jobs/{job_id}/attachments"] = upload_operation();
    });
    assert_eq!(v, Some(Impact::Additive), "{s:?}");
    assert!(
        s.contains(
            &"Additive operation upload_attachment: added (POST /jobs/{job_id}/attachments)"
                .to_string()
        ),
        "{s:?}"
    );
    let mut spec = base();
    spec["paths"]["/jobs/{job_id}/attachments"] = upload_operation();
    let bytes = serde_json::to_vec(&spec).unwrap();
    let generated = ionworks_codegen::generate(&bytes, &xtask::options()).unwrap();
    let text = xtask::surface::of(&bytes, &generated)
        .unwrap()
        .operations_text();
    let line = text
        .lines()
        .find(|l| l.contains("upload_attachment"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        line.starts_with(
            "POST /jobs/{job_id}/attachments upload_attachment (path job_id: String) \
             body: multipart/form-data; files: file; text: "
        ),
        "{line}"
    );
}

#[test]
fn an_operation_that_is_not_generated_is_never_silent() {
    // Added to the spec but not generated: listed, with the reason.
    let (_, s) = verdict(|d| {
        d["paths"]["/jobs/import"] = xml_operation();
    });
    assert!(
        s.iter().any(|s| s.starts_with(
            "Cosmetic operation import_jobs: added to the spec (POST /jobs/import) but NOT GENERATED: "
        ) && s.contains("application/xml")),
        "{s:?}"
    );
    // Generated before, not now: breaking, with the reason.
    let (v, s) = verdict(|d| {
        let body = &mut d["paths"]["/jobs"]["post"]["requestBody"]["content"];
        let schema = body["application/json"].take();
        *body = json!({"application/xml": schema});
    });
    assert_eq!(v, Some(Impact::Breaking), "{s:?}");
    assert!(
        s.iter().any(|s| s
            .starts_with("Breaking operation submit_job: no longer generated (POST /jobs): ")
            && s.contains("application/xml")),
        "{s:?}"
    );
}

#[test]
fn operations_snapshot_lists_operations_that_are_not_generated() {
    let mut spec = base();
    spec["paths"]["/jobs/import"] = xml_operation();
    let bytes = serde_json::to_vec(&spec).unwrap();
    let generated = ionworks_codegen::generate(&bytes, &xtask::options()).unwrap();
    let text = xtask::surface::of(&bytes, &generated)
        .unwrap()
        .operations_text();
    let line = text
        .lines()
        .find(|l| l.contains("import_jobs"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        line.starts_with("POST /jobs/import import_jobs  NOT GENERATED: "),
        "{line}"
    );
    assert_eq!(
        text.lines().count(),
        ionworks_codegen::operations(&spec).count(),
        "{text}"
    );
}

#[test]
fn changed_success_status_is_breaking() {
    let (v, s) = verdict(|d| {
        let responses = d["paths"]["/jobs/{job_id}"]["get"]["responses"]
            .as_object_mut()
            .unwrap();
        let ok = responses.remove("200").unwrap();
        responses.insert("203".into(), ok);
    });
    assert_eq!(v, Some(Impact::Breaking), "{s:?}");
    assert_eq!(
        s,
        ["Breaking operation get_job: success status 200 → 203 (documented behaviour)"]
    );
}

#[test]
fn duplicate_operation_ids_are_reported_with_both_pointers() {
    let mut spec = base();
    let mut copy = spec["paths"]["/jobs/{job_id}"]["get"].clone();
    copy["parameters"] = json!([]);
    spec["paths"]["/jobs-again"] = json!({"get": copy});
    let generated =
        ionworks_codegen::generate(&serde_json::to_vec(&spec).unwrap(), &Default::default())
            .unwrap();
    let warnings: Vec<String> = generated
        .report
        .warnings
        .iter()
        .map(|w| format!("{}: {}", w.pointer, w.message))
        .collect();
    assert_eq!(
        warnings,
        [
            "/paths/~1jobs-again/get: duplicate operationId `get_job_jobs__job_id__get` \
          (also at /paths/~1jobs~1{job_id}/get, named `get_job`) named `get_job_jobs__job_id__get`"
        ]
    );
}

#[test]
fn a_byte_order_mark_is_accepted() {
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(serde_json::to_vec(&base()).unwrap());
    let report = compare_specs(&serde_json::to_vec(&base()).unwrap(), &bytes).unwrap();
    assert_eq!(report.verdict(), None);
    assert!(xtask::canonical_json(&bytes).is_ok());
}

#[test]
fn the_servers_own_description_replacing_an_assembled_one_is_cosmetic() {
    let (v, s) = verdict(|d| {
        let op = d["paths"]["/optimizations"]["get"].as_object_mut().unwrap();
        assert!(op.remove("x-ionworks-source").is_some());
    });
    assert_eq!(v, Some(Impact::Cosmetic), "{s:?}");
    assert_eq!(
        s,
        ["Cosmetic operation list_optimizations: described by the server instead of python-client"]
    );
}

#[test]
fn a_list_that_loses_its_paging_loses_its_stream() {
    let (v, s) = verdict(|d| {
        let params = d["paths"]["/jobs"]["get"]["parameters"]
            .as_array_mut()
            .unwrap();
        params.retain(|p| p["name"] != "offset");
    });
    assert_eq!(v, Some(Impact::Breaking), "{s:?}");
    assert!(
        s.iter()
            .any(|s| s == "Breaking operation list_jobs: stream() of JobResponse removed"),
        "{s:?}"
    );
}
