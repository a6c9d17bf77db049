//! `/v1/api-keys`: secrets shown once and stored hashed, revocation, expiry, `last_used_at`.

use axum::body::Body;
use axum::http::Request;
use podium_core::auth::hash_secret;
use podium_core::id::ApiKeyId;
use serde_json::json;

use crate::helpers::{SUPERADMIN_KEY, TestApp};

#[tokio::test]
async fn a_key_is_shown_once_and_stored_only_as_a_hash() {
    let app = TestApp::spawn().await;
    let t = app.tenant("acme").await;
    let created = app.post("/v1/api-keys", &t.key, json!({"name": "ci"})).await;
    created.assert(201);
    let secret = created.body["key"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("pdm_"));
    assert_eq!(created.body["prefix"], secret[..12]);
    assert_eq!(created.body["user_id"], t.user_id);
    assert_eq!(created.body["status"], "active");

    let fetched = app.get(&format!("/v1/api-keys/{}", created.id()), &t.key).await;
    fetched.assert(200);
    assert!(fetched.body.get("key").is_none());
    assert!(!fetched.text.contains(&secret));
    let listed = app.get("/v1/api-keys", &t.key).await;
    assert!(!listed.text.contains(&secret));

    let stored = app.state.store.get_api_key(ApiKeyId::parse(&created.id()).unwrap()).await.unwrap().unwrap();
    assert_eq!(stored.key_hash, hash_secret(&secret));
    assert_ne!(stored.key_hash, secret);
}

#[tokio::test]
async fn the_key_authenticates_in_either_header() {
    let app = TestApp::spawn().await;
    let t = app.tenant("acme").await;
    app.get("/v1/games", &t.key).await.assert(200);
    let bearer =
        Request::get("/v1/games").header("authorization", format!("Bearer {}", t.key)).body(Body::empty()).unwrap();
    app.raw(bearer).await.assert(200);
}

#[tokio::test]
async fn a_missing_or_unknown_key_is_401() {
    let app = TestApp::spawn().await;
    app.raw(Request::get("/v1/games").body(Body::empty()).unwrap()).await.assert_problem(401, "unauthorized");
    app.get("/v1/games", "pdm_not_a_real_key").await.assert_problem(401, "unauthorized");
    let basic = Request::get("/v1/games").header("authorization", "Basic abc").body(Body::empty()).unwrap();
    app.raw(basic).await.assert_problem(401, "unauthorized");
}

#[tokio::test]
async fn a_revoked_key_is_401_and_cannot_be_reactivated() {
    let app = TestApp::spawn().await;
    let t = app.tenant("acme").await;
    let k = app.post("/v1/api-keys", &t.key, json!({"name": "ci"})).await;
    let secret = k.body["key"].as_str().unwrap().to_owned();
    let path = format!("/v1/api-keys/{}", k.id());
    let r = app.patch(&path, &t.key, json!({"status": "revoked"})).await;
    r.assert(200);
    assert_eq!(r.body["status"], "revoked");
    app.get("/v1/games", &secret).await.assert_problem(401, "unauthorized");
    app.patch(&path, &t.key, json!({"status": "active"})).await.assert_problem(400, "invalid_transition");
}

#[tokio::test]
async fn an_expired_key_is_401() {
    let app = TestApp::spawn().await;
    let t = app.tenant("acme").await;
    let soon = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let k = app.post("/v1/api-keys", &t.key, json!({"name": "ci", "expires_at": soon})).await;
    k.assert(201);
    let secret = k.body["key"].as_str().unwrap().to_owned();
    // Let the expiry pass (moved into the past in the store: the API refuses past expiries).
    let id = ApiKeyId::parse(&k.id()).unwrap();
    let mut stored = app.state.store.get_api_key(id).await.unwrap().unwrap();
    stored.expires_at = Some(chrono::Utc::now() - chrono::Duration::seconds(1));
    app.state.store.update_api_key(&stored).await.unwrap();
    app.get("/v1/games", &secret).await.assert_problem(401, "unauthorized");
}

#[tokio::test]
async fn an_expiry_in_the_past_is_refused() {
    let app = TestApp::spawn().await;
    let t = app.tenant("acme").await;
    let r = app.post("/v1/api-keys", &t.key, json!({"name": "ci", "expires_at": "2001-01-01T00:00:00Z"})).await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.field_errors("expires_at"), ["in_past"]);
}

#[tokio::test]
async fn last_used_at_is_shown_at_once_but_written_only_when_flushed() {
    let app = TestApp::spawn().await;
    let t = app.tenant("acme").await;
    let k = app.post("/v1/api-keys", &t.key, json!({"name": "ci"})).await;
    assert!(k.body["last_used_at"].is_null());
    let secret = k.body["key"].as_str().unwrap().to_owned();
    for _ in 0..5 {
        app.get("/v1/games", &secret).await.assert(200);
    }
    let id = ApiKeyId::parse(&k.id()).unwrap();
    // Five authenticated requests, no write: the stored row still has no last use...
    assert_eq!(app.state.store.get_api_key(id).await.unwrap().unwrap().last_used_at, None);
    // ...but the API shows it from memory.
    let shown = app.get(&format!("/v1/api-keys/{}", k.id()), &t.key).await;
    assert!(shown.body["last_used_at"].is_string());
    // One flush writes every pending use in a batch.
    assert!(app.state.admin.flush_key_uses().await.unwrap() >= 2);
    assert!(app.state.store.get_api_key(id).await.unwrap().unwrap().last_used_at.is_some());
}

#[tokio::test]
async fn a_superadmin_issues_keys_for_another_accounts_user() {
    let app = TestApp::spawn().await;
    let t = app.tenant("acme").await;
    let r = app.post("/v1/api-keys", SUPERADMIN_KEY, json!({"name": "x", "account_id": t.account_id})).await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.field_errors("user_id"), ["required"]);
    let r = app.post("/v1/api-keys", SUPERADMIN_KEY, json!({"name": "x", "user_id": t.user_id})).await;
    r.assert(201);
    assert_eq!(r.body["account_id"], t.account_id);
}

#[tokio::test]
async fn a_regular_key_cannot_issue_keys_for_another_accounts_user() {
    let app = TestApp::spawn().await;
    let a = app.tenant("acme").await;
    let b = app.tenant("globex").await;
    app.post("/v1/api-keys", &a.key, json!({"name": "x", "user_id": b.user_id})).await.assert_problem(404, "not_found");
    app.post("/v1/api-keys", &a.key, json!({"name": "x", "account_id": b.account_id}))
        .await
        .assert_problem(403, "forbidden");
}

#[tokio::test]
async fn list_filters_by_user_and_status() {
    let app = TestApp::spawn().await;
    let t = app.tenant("acme").await;
    let k = app.post("/v1/api-keys", &t.key, json!({"name": "old"})).await;
    app.patch(&format!("/v1/api-keys/{}", k.id()), &t.key, json!({"status": "revoked"})).await.assert(200);
    let revoked = app.get("/v1/api-keys?status=revoked", &t.key).await;
    revoked.assert(200);
    assert_eq!(revoked.body["pagination"]["count"], 1);
    assert_eq!(revoked.body["data"][0]["id"], k.id());
    let mine = app.get(&format!("/v1/api-keys?user_id={}&status=active", t.user_id), &t.key).await;
    assert_eq!(mine.body["pagination"]["count"], 1);
    app.get("/v1/api-keys?status=expired", &t.key).await.assert_problem(422, "validation_failed");
}

#[tokio::test]
async fn a_deleted_key_stops_working_and_disappears() {
    let app = TestApp::spawn().await;
    let t = app.tenant("acme").await;
    let k = app.post("/v1/api-keys", &t.key, json!({"name": "x"})).await;
    let secret = k.body["key"].as_str().unwrap().to_owned();
    app.delete(&format!("/v1/api-keys/{}", k.id()), &t.key).await.assert(204);
    app.get("/v1/games", &secret).await.assert_problem(401, "unauthorized");
    app.get(&format!("/v1/api-keys/{}", k.id()), &t.key).await.assert_problem(404, "not_found");
}
