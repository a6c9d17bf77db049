//! The conventions every route shares: problem documents, body and ID handling, and the list
//! envelope with its cursors, limits and sort syntax.

use axum::body::Body;
use axum::http::{Method, Request};
use podium_api::ApiConfig;
use proptest::prelude::*;
use serde_json::{Value, json};

use crate::helpers::{SUPERADMIN_KEY, Tenant, TestApp};

fn json_request(method: Method, path: &str, key: &str, body: impl Into<Body>) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(path)
        .header("leadr-api-key", key)
        .header("content-type", "application/json")
        .body(body.into())
        .unwrap()
}

#[tokio::test]
async fn malformed_json_is_400() {
    let app = TestApp::spawn().await;
    for body in ["{", "{\"name\": }", "nul", "\u{feff}{}", "{\"name\": \"x\"} trailing"] {
        let r = app.raw(json_request(Method::POST, "/v1/accounts", SUPERADMIN_KEY, body)).await;
        r.assert_problem(400, "invalid_json");
    }
}

#[tokio::test]
async fn wrong_types_missing_fields_and_unknown_fields_are_422_per_field() {
    let app = TestApp::spawn().await;
    let cases: [(Value, &str, &str); 5] = [
        (json!({}), "name", "required"),
        (json!({"name": 5}), "name", "invalid_type"),
        (json!({"name": "x", "nmae": "typo"}), "nmae", "unknown_field"),
        (json!({"name": "x", "status": "closed"}), "status", "invalid_enum"),
        (json!([1, 2]), "body", "invalid_type"),
    ];
    for (body, field, code) in cases {
        let r = app.post("/v1/accounts", SUPERADMIN_KEY, body.clone()).await;
        r.assert_problem(422, "validation_failed");
        assert_eq!(r.field_errors(field), [code], "{body}");
    }
}

#[tokio::test]
async fn a_nested_field_error_names_its_path() {
    let app = TestApp::spawn().await;
    let t = app.tenant("acme").await;
    let game = app.game(&t, "G").await;
    let r = app
        .board(&t, &game, json!({"name": "X", "board_type": "RATIO", "ratio_config": {"numerator_board_id": "brd_x"}}))
        .await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.field_errors("ratio_config.numerator_board_id"), ["invalid_id"]);
}

#[tokio::test]
async fn a_non_json_content_type_is_415() {
    let app = TestApp::spawn().await;
    let request = Request::post("/v1/accounts")
        .header("leadr-api-key", SUPERADMIN_KEY)
        .header("content-type", "text/plain")
        .body(Body::from("{\"name\": \"x\"}"))
        .unwrap();
    app.raw(request).await.assert_problem(415, "unsupported_media_type");
    let no_type = Request::post("/v1/accounts")
        .header("leadr-api-key", SUPERADMIN_KEY)
        .body(Body::from("{\"name\": \"x\"}"))
        .unwrap();
    app.raw(no_type).await.assert(201);
}

#[tokio::test]
async fn a_body_over_the_limit_is_413() {
    let app = TestApp::spawn_with(ApiConfig { body_limit_bytes: 1024 }).await;
    let big = json!({"name": "x".repeat(2000)}).to_string();
    app.raw(json_request(Method::POST, "/v1/accounts", SUPERADMIN_KEY, big))
        .await
        .assert_problem(413, "payload_too_large");
    let default_app = TestApp::spawn().await;
    let huge = json!({"name": "x".repeat(70 * 1024)}).to_string();
    default_app
        .raw(json_request(Method::POST, "/v1/accounts", SUPERADMIN_KEY, huge))
        .await
        .assert_problem(413, "payload_too_large");
}

#[tokio::test]
async fn malformed_ids_in_paths_are_404() {
    let app = TestApp::spawn().await;
    for path in [
        "/v1/accounts/nope",
        "/v1/users/acc_01jd8x3n5q4z7k2m9v6w8t1r0c",
        "/v1/api-keys/key_",
        "/v1/games/gam_%F0%9F%92%A9",
        "/v1/boards/brd_zzzzzzzzzzzzzzzzzzzzzzzzzz",
        "/v1/boards/brd_01jd8x3n5q4z7k2m9v6w8t1r0c",
    ] {
        app.get(path, SUPERADMIN_KEY).await.assert_problem(404, "not_found");
        app.patch(path, SUPERADMIN_KEY, json!({})).await.assert_problem(404, "not_found");
        app.delete(path, SUPERADMIN_KEY).await.assert_problem(404, "not_found");
    }
}

#[tokio::test]
async fn unknown_routes_and_methods_get_problem_documents() {
    let app = TestApp::spawn().await;
    app.get("/v1/nothing-here", SUPERADMIN_KEY).await.assert_problem(404, "not_found");
    app.call(Method::PUT, "/v1/accounts", Some(SUPERADMIN_KEY), Some(json!({})))
        .await
        .assert_problem(405, "method_not_allowed");
}

async fn games(app: &TestApp, t: &Tenant, n: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n {
        ids.push(app.post("/v1/games", &t.key, json!({"name": format!("Game {i:02}")})).await.id());
    }
    ids
}

fn ids(r: &crate::helpers::Response) -> Vec<String> {
    r.body["data"].as_array().unwrap().iter().map(|v| v["id"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn lists_default_to_twenty_newest_first_in_the_envelope() {
    let app = TestApp::spawn().await;
    let t = app.tenant("acme").await;
    let created = games(&app, &t, 25).await;
    let r = app.get("/v1/games", &t.key).await;
    r.assert(200);
    assert_eq!(r.body.as_object().unwrap().keys().collect::<Vec<_>>(), ["data", "pagination"]);
    let p = &r.body["pagination"];
    assert_eq!(p["count"], 20);
    assert_eq!(p["has_next"], true);
    assert_eq!(p["has_prev"], false);
    assert!(p["prev_cursor"].is_null());
    let newest: Vec<String> = created.iter().rev().take(20).cloned().collect();
    assert_eq!(ids(&r), newest);
}

#[tokio::test]
async fn cursors_walk_both_ways_without_overlap() {
    let app = TestApp::spawn().await;
    let t = app.tenant("acme").await;
    games(&app, &t, 23).await;
    let mut pages: Vec<Vec<String>> = Vec::new();
    let mut cursors = Vec::new();
    let mut url = "/v1/games?limit=10&sort=name:asc".to_owned();
    loop {
        let r = app.get(&url, &t.key).await;
        r.assert(200);
        pages.push(ids(&r));
        cursors.push(r.body["pagination"].clone());
        match r.body["pagination"]["next_cursor"].as_str() {
            Some(c) => url = format!("/v1/games?limit=10&sort=name:asc&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [10, 10, 3]);
    let all: Vec<String> = pages.concat();
    let mut dedup = all.clone();
    dedup.sort();
    dedup.dedup();
    assert_eq!(dedup.len(), 23, "pages overlap");
    let last = cursors.last().unwrap();
    assert_eq!(last["has_next"], false);
    assert!(last["next_cursor"].is_null());
    // From page 3 back to page 2, then page 1: exactly the same pages.
    let prev = cursors[2]["prev_cursor"].as_str().unwrap();
    let back2 = app.get(&format!("/v1/games?limit=10&sort=name:asc&cursor={prev}"), &t.key).await;
    assert_eq!(ids(&back2), pages[1]);
    let prev = back2.body["pagination"]["prev_cursor"].as_str().unwrap();
    let back1 = app.get(&format!("/v1/games?limit=10&sort=name:asc&cursor={prev}"), &t.key).await;
    assert_eq!(ids(&back1), pages[0]);
    assert_eq!(back1.body["pagination"]["has_prev"], false);
    assert!(back1.body["pagination"]["prev_cursor"].is_null());
    assert_eq!(back1.body["pagination"]["has_next"], true);
    // Sorted by name ascending.
    let names: Vec<String> = app.get("/v1/games?limit=100&sort=name:asc", &t.key).await.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap().to_owned())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
}

#[tokio::test]
async fn limit_outside_one_to_a_hundred_is_422() {
    let app = TestApp::spawn().await;
    let t = app.tenant("acme").await;
    for bad in ["0", "101", "-5", "ten"] {
        let r = app.get(&format!("/v1/games?limit={bad}"), &t.key).await;
        r.assert_problem(422, "validation_failed");
        assert!(!r.field_errors("limit").is_empty());
    }
    app.get("/v1/games?limit=1", &t.key).await.assert(200);
    app.get("/v1/games?limit=100", &t.key).await.assert(200);
}

#[tokio::test]
async fn an_unknown_sort_field_or_direction_is_400() {
    let app = TestApp::spawn().await;
    let t = app.tenant("acme").await;
    for bad in ["password:asc", "name:sideways", "name:asc,name:desc", "anti_cheat"] {
        app.get(&format!("/v1/games?sort={bad}"), &t.key).await.assert_problem(400, "invalid_sort");
    }
    app.get("/v1/games?sort=slug:desc,created_at:asc", &t.key).await.assert(200);
}

#[tokio::test]
async fn a_tampered_cursor_is_400() {
    let app = TestApp::spawn().await;
    let t = app.tenant("acme").await;
    games(&app, &t, 3).await;
    let r = app.get("/v1/games?limit=1", &t.key).await;
    let cursor = r.body["pagination"]["next_cursor"].as_str().unwrap().to_owned();
    let mut chars: Vec<char> = cursor.chars().collect();
    chars[5] = if chars[5] == 'A' { 'B' } else { 'A' };
    let tampered: String = chars.into_iter().collect();
    app.get(&format!("/v1/games?limit=1&cursor={tampered}"), &t.key).await.assert_problem(400, "invalid_cursor");
    app.get("/v1/games?limit=1&cursor=garbage", &t.key).await.assert_problem(400, "invalid_cursor");
}

#[tokio::test]
async fn a_cursor_reused_with_another_sort_or_filter_is_400() {
    let app = TestApp::spawn().await;
    let t = app.tenant("acme").await;
    let g1 = app.game(&t, "One").await;
    let g2 = app.game(&t, "Two").await;
    for i in 0..3 {
        app.board(&t, &g1, json!({"name": format!("B{i}")})).await.assert(201);
    }
    let r = app.get(&format!("/v1/boards?game_id={g1}&limit=1"), &t.key).await;
    let cursor = r.body["pagination"]["next_cursor"].as_str().unwrap().to_owned();
    app.get(&format!("/v1/boards?game_id={g1}&limit=1&cursor={cursor}"), &t.key).await.assert(200);
    app.get(&format!("/v1/boards?game_id={g1}&limit=1&sort=name:asc&cursor={cursor}"), &t.key)
        .await
        .assert_problem(400, "cursor_mismatch");
    app.get(&format!("/v1/boards?game_id={g2}&limit=1&cursor={cursor}"), &t.key)
        .await
        .assert_problem(400, "cursor_mismatch");
    // A cursor of one resource is no good for another.
    app.get(&format!("/v1/games?limit=1&cursor={cursor}"), &t.key).await.assert_problem(400, "cursor_mismatch");
    // A changed page size keeps the same walk.
    app.get(&format!("/v1/boards?game_id={g1}&limit=5&cursor={cursor}"), &t.key).await.assert(200);
}

fn hostile_requests() -> impl Strategy<Value = (&'static str, Method, Vec<u8>)> {
    let path = prop::sample::select(vec![
        "/v1/accounts",
        "/v1/users",
        "/v1/api-keys",
        "/v1/games",
        "/v1/boards",
        "/v1/boards/brd_01jd8x3n5q4z7k2m9v6w8t1r0c",
        "/v1/games?limit=%FF%FE",
        "/v1/boards?sort=%00:asc",
    ]);
    let method = prop::sample::select(vec![Method::GET, Method::POST, Method::PATCH, Method::DELETE]);
    let body = prop_oneof![
        any::<Vec<u8>>(),
        "\\PC{0,200}".prop_map(String::into_bytes),
        Just(b"{\"name\": 1e400}".to_vec()),
        Just(b"{\"name\": \"x\", \"game_id\": \"gam_01jd8x3n5q4z7k2m9v6w8t1r0c\", \"min_value\": 1e308, \"max_value\": -1e308}".to_vec()),
        Just(format!("{}{}", "[".repeat(200), "]".repeat(200)).into_bytes()),
        Just(format!("{}{}", "{\"a\":".repeat(200), "}".repeat(200)).into_bytes()),
    ];
    (path, method, body)
}

/// Whatever arrives, the answer is never a 5xx.
#[test]
fn no_request_makes_the_server_answer_5xx() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let app = rt.block_on(TestApp::spawn());
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig { cases: 64, ..ProptestConfig::default() });
    let result = runner.run(&hostile_requests(), |(path, method, body)| {
        let r = rt.block_on(app.raw(json_request(method, path, SUPERADMIN_KEY, body)));
        prop_assert!(r.status.as_u16() < 500, "{} {}: {}", r.status, path, r.text);
        Ok(())
    });
    rt.block_on(async move { drop(app) });
    result.unwrap();
}
