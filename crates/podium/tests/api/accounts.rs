//! `/v1/accounts`: superadmin-only creation, suspension and deletion; tenants see their own.

use serde_json::json;

use crate::helpers::{SUPERADMIN_KEY, TestApp};

#[tokio::test]
async fn a_superadmin_creates_an_account_with_a_slug_derived_from_its_name() {
    let app = TestApp::spawn().await;
    let r = app.post("/v1/accounts", SUPERADMIN_KEY, json!({"name": "Acme Games!"})).await;
    r.assert(201);
    assert!(r.id().starts_with("acc_"));
    assert_eq!(r.body["slug"], "acme-games");
    assert_eq!(r.body["status"], "active");
    assert!(r.body["created_at"].as_str().unwrap().ends_with('Z'));
    let again = app.post("/v1/accounts", SUPERADMIN_KEY, json!({"name": "Acme Games!"})).await;
    again.assert(201);
    assert_eq!(again.body["slug"], "acme-games-2");
}

#[tokio::test]
async fn an_explicit_slug_that_is_taken_is_a_conflict() {
    let app = TestApp::spawn().await;
    app.post("/v1/accounts", SUPERADMIN_KEY, json!({"name": "A", "slug": "acme"})).await.assert(201);
    app.post("/v1/accounts", SUPERADMIN_KEY, json!({"name": "B", "slug": "acme"}))
        .await
        .assert_problem(409, "slug_taken");
}

#[tokio::test]
async fn a_malformed_slug_is_a_validation_error() {
    let app = TestApp::spawn().await;
    let r = app.post("/v1/accounts", SUPERADMIN_KEY, json!({"name": "A", "slug": "Not A Slug"})).await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.field_errors("slug"), ["invalid_format"]);
}

#[tokio::test]
async fn a_regular_key_cannot_create_accounts_but_sees_its_own() {
    let app = TestApp::spawn().await;
    let t = app.tenant("acme").await;
    app.post("/v1/accounts", &t.key, json!({"name": "Other"})).await.assert_problem(403, "forbidden");
    let list = app.get("/v1/accounts", &t.key).await;
    list.assert(200);
    assert_eq!(list.body["data"].as_array().unwrap().len(), 1);
    assert_eq!(list.body["data"][0]["id"], t.account_id);
    app.get(&format!("/v1/accounts/{}", t.account_id), &t.key).await.assert(200);
}

#[tokio::test]
async fn another_accounts_record_is_not_found_for_a_regular_key() {
    let app = TestApp::spawn().await;
    let a = app.tenant("acme").await;
    let b = app.tenant("globex").await;
    app.get(&format!("/v1/accounts/{}", b.account_id), &a.key).await.assert_problem(404, "not_found");
    app.patch(&format!("/v1/accounts/{}", b.account_id), &a.key, json!({"name": "x"}))
        .await
        .assert_problem(404, "not_found");
}

#[tokio::test]
async fn a_regular_key_renames_its_account_but_cannot_suspend_it() {
    let app = TestApp::spawn().await;
    let t = app.tenant("acme").await;
    let path = format!("/v1/accounts/{}", t.account_id);
    let r = app.patch(&path, &t.key, json!({"name": "Acme Interactive"})).await;
    r.assert(200);
    assert_eq!(r.body["name"], "Acme Interactive");
    app.patch(&path, &t.key, json!({"status": "suspended"})).await.assert_problem(403, "forbidden");
}

#[tokio::test]
async fn a_suspended_accounts_keys_get_403_until_it_is_reactivated() {
    let app = TestApp::spawn().await;
    let t = app.tenant("acme").await;
    let path = format!("/v1/accounts/{}", t.account_id);
    app.patch(&path, SUPERADMIN_KEY, json!({"status": "suspended"})).await.assert(200);
    app.get("/v1/games", &t.key).await.assert_problem(403, "account_suspended");
    app.patch(&path, SUPERADMIN_KEY, json!({"status": "active"})).await.assert(200);
    app.get("/v1/games", &t.key).await.assert(200);
}

#[tokio::test]
async fn deleting_an_account_hides_it_and_its_keys_stop_working() {
    let app = TestApp::spawn().await;
    let t = app.tenant("acme").await;
    let path = format!("/v1/accounts/{}", t.account_id);
    app.delete(&path, &t.key).await.assert_problem(403, "forbidden");
    let r = app.delete(&path, SUPERADMIN_KEY).await;
    r.assert(204);
    assert!(r.text.is_empty());
    app.get(&path, SUPERADMIN_KEY).await.assert_problem(404, "not_found");
    app.get("/v1/games", &t.key).await.assert_problem(401, "unauthorized");
    let list = app.get("/v1/accounts", SUPERADMIN_KEY).await;
    assert!(list.body["data"].as_array().unwrap().iter().all(|a| a["id"] != t.account_id.as_str()));
}

#[tokio::test]
async fn patching_deleted_true_answers_200_with_the_entity_and_then_it_is_gone() {
    let app = TestApp::spawn().await;
    let t = app.tenant("acme").await;
    let path = format!("/v1/accounts/{}", t.account_id);
    let r = app.patch(&path, SUPERADMIN_KEY, json!({"deleted": true})).await;
    r.assert(200);
    assert_eq!(r.body["id"], t.account_id);
    assert!(r.body["deleted_at"].is_string());
    app.get(&path, SUPERADMIN_KEY).await.assert_problem(404, "not_found");
}

#[tokio::test]
async fn a_superadmin_cannot_delete_its_own_account() {
    let app = TestApp::spawn().await;
    let own = app.get("/v1/accounts", SUPERADMIN_KEY).await.body["data"][0]["id"].as_str().unwrap().to_owned();
    app.delete(&format!("/v1/accounts/{own}"), SUPERADMIN_KEY).await.assert_problem(400, "bad_request");
}
