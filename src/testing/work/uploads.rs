//! Measurement data as the live server takes it: initiate → signed `PUT`s
//! to storage → confirm, for time series (and their extends), raw cycler
//! files and file measurements, and downloads answered by a redirect to
//! storage.

use super::*;

/// `POST /cell_instances/{id}/cell_measurements/initiate-upload`: a new
/// measurement id and a signed storage URL per file: the time series and
/// steps, or for a `file` measurement each of its `filenames` (kept under
/// `measurements/{id}/files/`).
pub(in crate::testing) fn initiate_upload(
    state: &mut State,
    instance: &str,
    body: Option<&Value>,
) -> Answer {
    let file_type = body
        .and_then(|b| b.get("measurement_type"))
        .and_then(Value::as_str)
        == Some("file");
    let names: Vec<String> = if file_type {
        match filenames(body, "a file measurement needs its filenames") {
            Ok(names) => names,
            Err(refusal) => return refusal,
        }
    } else {
        FILES.iter().map(|f| (*f).to_owned()).collect()
    };
    let id = state.next_id("cell-measurement");
    state.initiated.insert(id.clone(), instance.to_owned());
    let uploads: Vec<Value> = names
        .iter()
        .map(|file| signed(state, file, object_path(&id, file, file_type)))
        .collect();
    (
        200,
        Some(json!({ "measurement_id": id, "uploads": uploads })),
    )
}

/// Where storage keeps file `name` of measurement `id` (percent-encoded,
/// as requested).
pub(in crate::testing) fn object_path(id: &str, name: &str, file_type: bool) -> String {
    if file_type {
        format!(
            "measurements/{id}/files/{}",
            progenitor_client::encode_path(name)
        )
    } else {
        format!("measurements/{id}/{name}")
    }
}

/// One signed storage URL for `path`, with the S3 multipart offer for the
/// same object unless [`MultipartOffer::Absent`](crate::testing::MultipartOffer::Absent).
pub(in crate::testing) fn signed(state: &State, file: &str, path: String) -> Value {
    let token = format!("{:016x}", fastrand::u64(..));
    let multipart = match state.multipart_offer {
        crate::testing::MultipartOffer::Absent => Value::Null,
        _ => {
            let session = &state.s3_session;
            let expires = chrono::Utc::now() + chrono::Duration::hours(1);
            json!({
                "endpoint": format!("{}{}", state.storage_url, crate::testing::s3::PREFIX),
                "region": "us-east-1",
                "bucket": crate::testing::s3::BUCKET,
                "object_path": path,
                "access_key_id": session.access_key_id,
                "secret_access_key": session.secret_access_key,
                "session_token": session.session_token,
                "expires_at": expires.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            })
        }
    };
    json!({
        "filename": file,
        "path": path,
        "token": token,
        "signed_url": format!("{}/{path}?token={token}", state.storage_url),
        "multipart": multipart,
    })
}

/// The measurement as `GET /cell_measurements/{id}` shows it.
pub(in crate::testing) fn measurement_answer(state: &mut State, id: &str) -> Answer {
    let path = format!("/cell_measurements/{id}");
    let mut answer =
        crate::testing::catalog().answer(&mut state.resources, "GET", &path, &[], None);
    if let Some(answer) = answer.as_mut() {
        overlay(state, "GET", &path, answer);
    }
    answer.unwrap_or_else(|| not_found("Measurement", id))
}

/// `POST /cell_measurements/{id}/initiate-extend`: a signed URL for the
/// rows to append, to an existing measurement.
pub(in crate::testing) fn initiate_extend(state: &mut State, id: &str) -> Answer {
    if !matches!(measurement_answer(state, id), (200, _)) {
        return not_found("Measurement", id);
    }
    let file = "time_series_extend.parquet";
    let upload = signed(state, file, format!("measurements/{id}/{file}"));
    (
        200,
        Some(json!({ "measurement_id": id, "uploads": [upload] })),
    )
}

/// `POST /cell_measurements/{id}/confirm-extend`: once the rows are in
/// storage, processes the measurement again on the next job schedule.
pub(in crate::testing) fn confirm_extend(state: &mut State, id: &str) -> Answer {
    let path = format!("measurements/{id}/time_series_extend.parquet");
    if !state.storage.contains_key(&path) {
        return (
            400,
            Some(json!({"detail": format!("no rows were uploaded to extend measurement {id}")})),
        );
    }
    let job_id = start(state, JobType::Dummy, None);
    state.runs.insert(id.to_owned(), job_id);
    let mut answer = measurement_answer(state, id);
    if let (_, Some(Value::Object(map))) = &mut answer {
        map.insert("steps_created".into(), json!(0));
    }
    answer
}

/// `POST /raw_data/initiate-upload`: a new raw-data id and one signed URL.
pub(in crate::testing) fn initiate_raw_data(state: &mut State, body: Option<&Value>) -> Answer {
    let Some(filename) = body.and_then(|b| b.get("filename")).and_then(Value::as_str) else {
        return (422, Some(json!({"detail": "filename is required"})));
    };
    let id = state.next_id("raw-data");
    // Storage keeps objects under their paths as requested (percent-encoded).
    let object = progenitor_client::encode_path(filename);
    let upload = signed(state, filename, format!("raw_data/{id}/{object}"));
    (200, Some(json!({ "raw_data_id": id, "uploads": [upload] })))
}

/// `POST /raw_data/{id}/confirm-upload`: creates the record from the
/// fields sent, once the file is in storage with the size confirmed.
pub(in crate::testing) fn confirm_raw_data(
    state: &mut State,
    id: &str,
    body: Option<&Value>,
) -> Answer {
    let Some(fields) = body.and_then(Value::as_object).cloned() else {
        return (422, Some(json!({"detail": "a body is required"})));
    };
    let filename = fields
        .get("filename")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let stored = state
        .storage
        .get(&format!(
            "raw_data/{id}/{}",
            progenitor_client::encode_path(filename)
        ))
        .map(|bytes| bytes.len() as u64);
    let claimed = fields.get("size_bytes").and_then(Value::as_u64);
    match stored {
        None => {
            return (
                400,
                Some(json!({"detail": format!("{filename} of raw data {id} was not uploaded")})),
            );
        }
        Some(size) if Some(size) != claimed => {
            return (
                400,
                Some(json!({"detail": format!("{filename} holds {size} bytes, not {claimed:?}")})),
            );
        }
        Some(_) => {}
    }
    state.resources.put_with_id("raw_data", id, fields);
    crate::testing::catalog()
        .answer(
            &mut state.resources,
            "GET",
            &format!("/raw_data/{id}"),
            &[],
            None,
        )
        .unwrap_or_else(|| not_found("Raw data", id))
}

/// `POST /cell_measurements/{id}/confirm-upload`: creates the measurement
/// once its time series is in storage, and starts processing it on the
/// next job schedule.
pub(in crate::testing) fn confirm_upload(
    state: &mut State,
    id: &str,
    body: Option<&Value>,
) -> Answer {
    let Some(instance) = state.initiated.get(id).cloned() else {
        return not_found("Initiated upload", id);
    };
    let file_type = body
        .and_then(|b| b.get("measurement_type"))
        .and_then(Value::as_str)
        == Some("file");
    if file_type {
        return confirm_files(state, id, &instance, body);
    }
    if !state
        .storage
        .contains_key(&format!("measurements/{id}/time_series.parquet"))
    {
        return (
            400,
            Some(
                json!({"detail": format!("time_series.parquet of measurement {id} was not uploaded")}),
            ),
        );
    }
    let fields = confirmed(state, id, &instance, body, "time_series");
    state
        .resources
        .put_with_id("cell_measurements", id, fields.clone());
    let job_id = start(state, JobType::Dummy, None);
    state.runs.insert(id.to_owned(), job_id);
    let mut answer = crate::testing::catalog().answer(
        &mut state.resources,
        "GET",
        &format!("/cell_measurements/{id}"),
        &[],
        None,
    );
    if let Some(answer) = answer.as_mut() {
        overlay(state, "GET", &format!("/cell_measurements/{id}"), answer);
        if let (_, Some(Value::Object(map))) = answer {
            map.insert("steps_created".into(), json!(0));
        }
    }
    answer.unwrap_or_else(|| not_found("Measurement", id))
}

/// `confirm-upload` of a `file` measurement: created once every file of
/// `filenames` is in storage, with the names in `file_metadata`; nothing
/// to process.
pub(in crate::testing) fn confirm_files(
    state: &mut State,
    id: &str,
    instance: &str,
    body: Option<&Value>,
) -> Answer {
    let names = match filenames(body, "a file measurement is confirmed with its filenames") {
        Ok(names) => names,
        Err(refusal) => return refusal,
    };
    if let Some(missing) = names
        .iter()
        .find(|n| !state.storage.contains_key(&object_path(id, n, true)))
    {
        return (
            400,
            Some(json!({"detail": format!("{missing} of measurement {id} was not uploaded")})),
        );
    }
    let mut fields = confirmed(state, id, instance, body, "file");
    fields.insert("file_metadata".into(), json!({ "filenames": names }));
    state.resources.put_with_id("cell_measurements", id, fields);
    let mut answer = measurement_answer(state, id);
    if let (_, Some(Value::Object(map))) = &mut answer {
        map.insert("steps_created".into(), json!(0));
    }
    answer
}

/// `GET /cell_measurements/{id}/files`: the names of a `file`
/// measurement's files; other measurements are refused.
pub(in crate::testing) fn measurement_files(state: &mut State, id: &str) -> Answer {
    let (status, body) = measurement_answer(state, id);
    let Some(body) = body.filter(|_| status == 200) else {
        return not_found("Measurement", id);
    };
    if body.get("measurement_type").and_then(Value::as_str) != Some("file") {
        return (
            400,
            Some(json!({"detail": format!("measurement {id} is not a file measurement")})),
        );
    }
    let names = body
        .pointer("/file_metadata/filenames")
        .cloned()
        .unwrap_or_else(|| json!([]));
    (200, Some(json!({ "filenames": names })))
}

/// Where a download of `path` is redirected: the signed storage URL of
/// the file, when it exists (a simulation's once its job completed);
/// `None` for anything else.
pub(in crate::testing) fn download(
    state: &mut State,
    path: &str,
) -> Option<Result<String, Answer>> {
    let (kind, id, file) = match path_parts(path).as_slice() {
        [
            "cell_measurements",
            id,
            what @ ("time_series" | "steps"),
            "download",
        ] => ("measurements", (*id).to_owned(), format!("{what}.parquet")),
        [
            "simulations",
            id,
            what @ ("time_series" | "steps"),
            "download",
        ] => ("simulations", (*id).to_owned(), format!("{what}.parquet")),
        ["cell_measurements", id, "files", name] => {
            // `name` as sent: percent-encoded, as storage keeps it.
            let object = format!("measurements/{id}/files/{name}");
            if !state.storage.contains_key(&object) {
                return Some(Err(not_found("File", &format!("{name} of {id}"))));
            }
            let token = format!("{:016x}", fastrand::u64(..));
            return Some(Ok(format!("{}/{object}?token={token}", state.storage_url)));
        }
        _ => return None,
    };
    let object = format!("{kind}/{id}/{file}");
    if kind == "simulations" && !state.storage.contains_key(&object) {
        let done = state
            .runs
            .get(&id)
            .cloned()
            .and_then(|j| job(state, &j))
            .is_some_and(|j| j.status == JobStatus::Completed);
        if done {
            state
                .storage
                .insert(object.clone(), crate::testing::storage::sample(&object));
        }
    }
    if !state.storage.contains_key(&object) {
        return Some(Err(not_found("Result file", &format!("{file} of {id}"))));
    }
    let token = format!("{:016x}", fastrand::u64(..));
    Some(Ok(format!("{}/{object}?token={token}", state.storage_url)))
}

/// The `filenames` of a request's `body`; a 422 with `refusal` when there
/// are none.
fn filenames(body: Option<&Value>, refusal: &str) -> Result<Vec<String>, Answer> {
    let names: Vec<String> = body
        .and_then(|b| b.get("filenames"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|n| n.as_str().map(str::to_owned))
        .collect();
    if names.is_empty() {
        return Err((422, Some(json!({ "detail": refusal }))));
    }
    Ok(names)
}

/// The fields of measurement `id` of `kind` on `instance`, as a
/// `confirm-upload` `body` gives them; the upload is no longer pending.
fn confirmed(
    state: &mut State,
    id: &str,
    instance: &str,
    body: Option<&Value>,
    kind: &str,
) -> serde_json::Map<String, Value> {
    state.initiated.remove(id);
    let mut fields = body
        .and_then(|b| b.get("measurement"))
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    fields.insert("cell_instance_id".into(), json!(instance));
    fields.insert("measurement_type".into(), json!(kind));
    fields
}
