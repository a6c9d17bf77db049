//! Operations: health, metrics, the OpenAPI document and the docs page, the error table.

use podium_core::error::ErrorCode;

use crate::helpers::{SUPERADMIN_KEY, TestApp};

#[tokio::test]
async fn health_checks_the_store_and_liveness_needs_nothing() {
    let app = TestApp::spawn().await;
    let r = app.call(axum::http::Method::GET, "/v1/health", None, None).await;
    r.assert(200);
    assert_eq!(r.body["status"], "ok");
    assert!(r.body["store"].is_string());
    assert!(r.body["shared_state"].is_string());
    assert!(r.body.get("degraded").is_none());
    app.call(axum::http::Method::GET, "/v1/health/live", None, None).await.assert(200);
}

#[tokio::test]
async fn health_is_503_when_the_store_is_gone() {
    let app = TestApp::spawn().await;
    app.db.backend().close().await;
    app.call(axum::http::Method::GET, "/v1/health", None, None).await.assert_problem(503, "store_unavailable");
    app.call(axum::http::Method::GET, "/v1/health/live", None, None).await.assert(200);
}

#[tokio::test]
async fn metrics_count_requests_and_time_them_by_route_and_status() {
    let app = TestApp::spawn().await;
    app.get("/v1/games?account_id=acc_01jd8x3n5q4z7k2m9v6w8t1r0c", SUPERADMIN_KEY).await.assert(200);
    app.get("/v1/boards/not-an-id", SUPERADMIN_KEY).await.assert(404);
    let r = app.call(axum::http::Method::GET, "/metrics", None, None).await;
    r.assert(200);
    assert!(r.headers["content-type"].to_str().unwrap().starts_with("text/plain"));
    let text = &r.text;
    assert!(text.contains("# TYPE podium_http_requests_total counter"), "{text}");
    assert!(text.contains(r#"podium_http_requests_total{method="GET",route="/v1/games",status="200"}"#), "{text}");
    assert!(text.contains(r#"route="/v1/boards/{id}",status="404""#), "{text}");
    assert!(text.contains("# TYPE podium_http_request_duration_seconds histogram"), "{text}");
    assert!(text.contains("podium_http_request_duration_seconds_bucket{"), "{text}");
}

#[tokio::test]
async fn the_openapi_document_is_served_and_describes_every_route() {
    let app = TestApp::spawn().await;
    let r = app.call(axum::http::Method::GET, "/openapi.json", None, None).await;
    r.assert(200);
    assert!(r.body["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = r.body["paths"].as_object().unwrap();
    for path in [
        "/v1/accounts",
        "/v1/accounts/{id}",
        "/v1/users",
        "/v1/users/{id}",
        "/v1/api-keys",
        "/v1/api-keys/{id}",
        "/v1/games",
        "/v1/games/{id}",
        "/v1/boards",
        "/v1/boards/{id}",
        "/v1/health",
        "/v1/health/live",
        "/metrics",
    ] {
        assert!(paths.contains_key(path), "{path} missing");
    }
    assert_eq!(r.body["paths"]["/v1/boards"]["post"]["security"][0], serde_json::json!({"api_key": []}));
}

#[test]
fn the_openapi_document_matches_its_snapshot() {
    let doc = serde_json::to_value(podium_api::openapi()).unwrap();
    insta::assert_json_snapshot!("openapi", doc);
}

#[tokio::test]
async fn the_docs_page_is_served_from_vendored_assets() {
    let app = TestApp::spawn().await;
    let page = app.call(axum::http::Method::GET, "/docs/", None, None).await;
    page.assert(200);
    assert!(page.text.contains("swagger-ui"), "{}", page.text);
    assert!(!page.text.contains("https://"), "the page must not load from a CDN: {}", page.text);
    let js = app.call(axum::http::Method::GET, "/docs/swagger-ui-bundle.js", None, None).await;
    js.assert(200);
    assert!(js.text.len() > 100_000);
    let init = app.call(axum::http::Method::GET, "/docs/swagger-initializer.js", None, None).await;
    init.assert(200);
    assert!(init.text.contains("/openapi.json"));
}

#[test]
fn every_error_code_is_in_the_documentation_table() {
    let table = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/errors.md")).unwrap();
    for code in ErrorCode::ALL {
        let row = format!("| `{}` | {} |", code.as_str(), code.status());
        assert!(table.contains(&row), "docs/errors.md lacks the row starting {row}");
    }
}

#[test]
fn the_field_code_table_lists_exactly_the_field_codes() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/errors.md")).unwrap();
    let table = doc.split("## Field codes").nth(1).unwrap();
    let listed: Vec<&str> =
        table.lines().filter_map(|l| l.strip_prefix("| `")).filter_map(|l| l.split('`').next()).collect();
    let mut codes: Vec<&str> = podium_core::error::FieldCode::ALL.iter().map(|c| c.as_str()).collect();
    let mut documented = listed.clone();
    codes.sort_unstable();
    documented.sort_unstable();
    assert_eq!(documented, codes, "docs/errors.md's field-code table and FieldCode differ");
}

#[test]
fn every_schema_reference_in_the_openapi_document_resolves() {
    let doc = serde_json::to_value(podium_api::openapi()).unwrap();
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let mut refs = Vec::new();
    fn walk(v: &serde_json::Value, refs: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(map) => {
                if let Some(serde_json::Value::String(r)) = map.get("$ref") {
                    refs.push(r.clone());
                }
                map.values().for_each(|v| walk(v, refs));
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| walk(v, refs)),
            _ => {}
        }
    }
    walk(&doc, &mut refs);
    assert!(!refs.is_empty());
    for r in refs {
        let name = r.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("unexpected ref {r}"));
        assert!(schemas.contains_key(name), "dangling reference {r}");
    }
}
