//! Every response an API test receives is checked against the OpenAPI document: the operation
//! (method and path template), the documented response for its status (exact, `4XX`-style or
//! `default`), its content type, and the body against that response's JSON Schema. A response
//! the document does not describe fails the test that received it, so the document cannot
//! drift from the code.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::Value;

struct Document {
    doc: Value,
    validators: Mutex<HashMap<String, Arc<jsonschema::Validator>>>,
}

fn document() -> &'static Document {
    static DOC: OnceLock<Document> = OnceLock::new();
    DOC.get_or_init(|| Document {
        doc: serde_json::to_value(podium_api::openapi()).expect("the OpenAPI document serialises"),
        validators: Mutex::new(HashMap::new()),
    })
}

/// The documented path template a concrete path matches (literal segments preferred).
fn template<'a>(paths: &'a serde_json::Map<String, Value>, path: &str) -> Option<&'a str> {
    let segments: Vec<&str> = path.split('/').collect();
    paths
        .keys()
        .filter_map(|t| {
            let parts: Vec<&str> = t.split('/').collect();
            if parts.len() != segments.len() {
                return None;
            }
            let mut literal = 0;
            for (p, s) in parts.iter().zip(&segments) {
                if p.starts_with('{') && p.ends_with('}') {
                    if s.is_empty() {
                        return None;
                    }
                } else if p == s {
                    literal += 1;
                } else {
                    return None;
                }
            }
            Some((literal, t.as_str()))
        })
        .max_by_key(|(literal, _)| *literal)
        .map(|(_, t)| t)
}

/// What is wrong with a response, by the document (empty: it conforms). Requests to paths or
/// methods the document does not have (the 404 and 405 fallbacks, `/docs`) are not checked.
pub fn violations(method: &str, uri: &str, status: u16, content_type: Option<&str>, body: &[u8]) -> Vec<String> {
    let d = document();
    let path = uri.split('?').next().unwrap_or(uri);
    let Some(paths) = d.doc["paths"].as_object() else { return vec!["the document has no paths".into()] };
    let Some(t) = template(paths, path) else { return Vec::new() };
    let Some(op) = paths[t].get(method.to_lowercase()) else { return Vec::new() };
    let responses = &op["responses"];
    let class = format!("{}XX", status / 100);
    let Some((key, response)) =
        [status.to_string(), class, "default".to_owned()].into_iter().find_map(|k| responses.get(&k).map(|r| (k, r)))
    else {
        return vec![format!("{method} {t}: status {status} is not documented")];
    };
    let media = content_type.map(|c| c.split(';').next().unwrap_or(c).trim().to_owned());
    let content = response.get("content").and_then(Value::as_object);
    let Some(media) = media.filter(|_| !body.is_empty()) else {
        return match content {
            Some(c) if !c.is_empty() && status != 204 => {
                vec![format!("{method} {t} {status}: an empty body, but the document describes one")]
            }
            _ => Vec::new(),
        };
    };
    let essence = |m: &str| m.split(';').next().unwrap_or(m).trim().to_owned();
    let documented = content.and_then(|c| c.iter().find(|(k, _)| essence(k) == media)).map(|(_, v)| v);
    let Some(schema) = documented.map(|c| c.get("schema").cloned().unwrap_or(Value::Null)) else {
        return vec![format!("{method} {t} {status}: content type {media} is not documented")];
    };
    if !media.ends_with("json") || schema.is_null() {
        return Vec::new();
    }
    let instance: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => return vec![format!("{method} {t} {status}: the {media} body is not JSON: {e}")],
    };
    let pointer = format!("{t} {method} {key} {media}");
    let validator = {
        let mut cache = d.validators.lock().unwrap();
        cache
            .entry(pointer)
            .or_insert_with(|| {
                let mut root = match schema {
                    Value::Object(m) => m,
                    other => serde_json::Map::from_iter([("allOf".to_owned(), Value::Array(vec![other]))]),
                };
                root.insert("components".into(), d.doc["components"].clone());
                Arc::new(jsonschema::validator_for(&Value::Object(root)).expect("the document's schema compiles"))
            })
            .clone()
    };
    validator.iter_errors(&instance).map(|e| format!("{method} {t} {status}: {e} at {}", e.instance_path())).collect()
}

/// Fails the calling test when the response breaks the document.
#[track_caller]
pub fn check(method: &str, uri: &str, status: u16, content_type: Option<&str>, body: &[u8]) {
    let found = violations(method, uri, status, content_type, body);
    assert!(
        found.is_empty(),
        "the response does not conform to the OpenAPI document:\n{}\nbody: {}",
        found.join("\n"),
        String::from_utf8_lossy(body)
    );
}

#[test]
fn a_response_whose_body_breaks_its_schema_is_caught() {
    let id = "acc_00000000000000000000000000";
    let body = br#"{"id":"acc_00000000000000000000000000","name":"A","slug":"a","status":"Active","created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z"}"#;
    let found = violations("GET", &format!("/v1/accounts/{id}"), 200, Some("application/json"), body);
    assert!(found.iter().any(|v| v.contains("Active")), "{found:?}");
}

#[test]
fn an_undocumented_status_or_content_type_is_caught() {
    let found = violations("GET", "/v1/health/live", 201, Some("application/json"), b"{}");
    assert_eq!(found.len(), 1, "{found:?}");
    let found = violations("GET", "/v1/health/live", 200, Some("text/html"), b"<p>");
    assert_eq!(found.len(), 1, "{found:?}");
}
