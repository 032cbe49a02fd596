use serde_json::json;
#[test]
fn smoke() {
    let spec = json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {}});
    let (doc, _) = ionworks_codegen::convert(&serde_json::to_vec(&spec).unwrap()).unwrap();
    assert_eq!(doc["openapi"], "3.0.3");
}
