use serde_json::Value;

const REGENERATE: &str = "cargo run -- openapi > openapi/openapi.json";

#[test]
fn the_committed_spec_equals_the_generated_one() {
    // (The document is over 512 KiB: its buffer must not count in a test measuring allocations.)
    let _quiet = crate::template::MEASURING.blocking_read();
    let generated = safetrain::startup::document_json();
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json"))
            .unwrap_or_default();
    assert!(
        generated == committed,
        "openapi/openapi.json is stale; regenerate it with `{REGENERATE}` and commit it"
    );
}

#[test]
fn every_operation_is_fully_documented() {
    let _quiet = crate::template::MEASURING.blocking_read();
    let doc: Value = serde_json::from_str(&safetrain::startup::document_json()).unwrap();
    let mut ids = std::collections::HashSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let name = format!("{method} {path}");
            let id = op["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{name}: operationId"));
            assert!(
                ids.insert(id.to_owned()),
                "{name}: duplicate operationId {id}"
            );
            assert!(
                op["tags"].as_array().is_some_and(|t| !t.is_empty()),
                "{name}: tag"
            );
            assert!(
                op["summary"].as_str().is_some_and(|s| !s.is_empty()),
                "{name}: summary"
            );
            assert!(op["security"].is_array(), "{name}: security");
            let responses = op["responses"].as_object().unwrap();
            assert!(
                responses.keys().any(|k| k.starts_with('4')),
                "{name}: a 4xx response"
            );
            if op["security"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s.get("bearer").is_some())
            {
                assert!(
                    responses.contains_key("401") && responses.contains_key("403"),
                    "{name}: 401 and 403"
                );
            }
            if path.starts_with("/api/v1") {
                for status in ["400", "429", "500"] {
                    assert!(responses.contains_key(status), "{name}: {status}");
                }
            }
            if op.get("requestBody").is_some() {
                for status in ["413", "415"] {
                    assert!(responses.contains_key(status), "{name}: {status}");
                }
            }
        }
    }
}

#[test]
fn the_published_city_code_pattern_lists_exactly_the_city_modules() {
    let _quiet = crate::template::MEASURING.blocking_read();
    let doc: Value = serde_json::from_str(&safetrain::startup::document_json()).unwrap();
    let cities: Vec<Value> =
        serde_json::from_str(include_str!("../../fixtures/cities.json")).unwrap();
    let codes: Vec<&str> = cities.iter().map(|c| c["code"].as_str().unwrap()).collect();
    let expected = format!("^({})$", codes.join("|"));
    let pattern = &doc["components"]["schemas"]["CityCode"]["pattern"];
    assert_eq!(pattern, &Value::String(expected));
    assert_eq!(
        doc["components"]["schemas"]["InstitutionCreate"]["properties"]["city_code"]["$ref"],
        "#/components/schemas/CityCode"
    );
}
