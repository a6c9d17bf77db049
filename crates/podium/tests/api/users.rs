//! `/v1/users`: unique e-mails, tenancy, and superadmin grants.

use serde_json::json;

use crate::helpers::{SUPERADMIN_KEY, TestApp};

#[tokio::test]
async fn a_regular_key_creates_users_in_its_own_account_by_default() {
    let app = TestApp::spawn().await;
    let t = app.tenant("acme").await;
    let r = app.post("/v1/users", &t.key, json!({"email": " Ada@Example.com ", "display_name": "Ada"})).await;
    r.assert(201);
    assert!(r.id().starts_with("usr_"));
    assert_eq!(r.body["account_id"], t.account_id);
    assert_eq!(r.body["email"], "ada@example.com");
    assert_eq!(r.body["super_admin"], false);
}

#[tokio::test]
async fn an_email_in_use_is_a_conflict_regardless_of_case() {
    let app = TestApp::spawn().await;
    let t = app.tenant("acme").await;
    app.post("/v1/users", &t.key, json!({"email": "ada@example.com", "display_name": "Ada"})).await.assert(201);
    app.post("/v1/users", &t.key, json!({"email": "ADA@example.com", "display_name": "Ada 2"}))
        .await
        .assert_problem(409, "email_taken");
}

#[tokio::test]
async fn a_foreign_account_id_in_the_body_is_forbidden() {
    let app = TestApp::spawn().await;
    let a = app.tenant("acme").await;
    let b = app.tenant("globex").await;
    app.post("/v1/users", &a.key, json!({"account_id": b.account_id, "email": "x@y.com", "display_name": "X"}))
        .await
        .assert_problem(403, "forbidden");
}

#[tokio::test]
async fn a_superadmin_must_name_the_account_when_creating_or_listing() {
    let app = TestApp::spawn().await;
    let r = app.post("/v1/users", SUPERADMIN_KEY, json!({"email": "x@y.com", "display_name": "X"})).await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.field_errors("account_id"), ["required"]);
    app.get("/v1/users", SUPERADMIN_KEY).await.assert_problem(400, "account_id_required");
    let t = app.tenant("acme").await;
    let list = app.get(&format!("/v1/users?account_id={}", t.account_id), SUPERADMIN_KEY).await;
    list.assert(200);
    assert_eq!(list.body["data"][0]["id"], t.user_id);
}

#[tokio::test]
async fn a_foreign_account_id_in_a_list_query_is_forbidden() {
    let app = TestApp::spawn().await;
    let a = app.tenant("acme").await;
    let b = app.tenant("globex").await;
    app.get(&format!("/v1/users?account_id={}", b.account_id), &a.key).await.assert_problem(403, "forbidden");
    app.get(&format!("/v1/users?account_id={}", a.account_id), &a.key).await.assert(200);
}

#[tokio::test]
async fn only_a_superadmin_grants_super_admin() {
    let app = TestApp::spawn().await;
    let t = app.tenant("acme").await;
    app.post("/v1/users", &t.key, json!({"email": "x@y.com", "display_name": "X", "super_admin": true}))
        .await
        .assert_problem(403, "forbidden");
    let u = app.post("/v1/users", &t.key, json!({"email": "x@y.com", "display_name": "X"})).await;
    let path = format!("/v1/users/{}", u.id());
    app.patch(&path, &t.key, json!({"super_admin": true})).await.assert_problem(403, "forbidden");
    let r = app.patch(&path, SUPERADMIN_KEY, json!({"super_admin": true})).await;
    r.assert(200);
    assert_eq!(r.body["super_admin"], true);
}

#[tokio::test]
async fn a_deleted_users_keys_stop_working() {
    let app = TestApp::spawn().await;
    let t = app.tenant("acme").await;
    let u = app.post("/v1/users", &t.key, json!({"email": "x@y.com", "display_name": "X"})).await;
    let k = app.post("/v1/api-keys", &t.key, json!({"name": "x", "user_id": u.id()})).await;
    let key = k.body["key"].as_str().unwrap().to_owned();
    app.get("/v1/games", &key).await.assert(200);
    app.delete(&format!("/v1/users/{}", u.id()), &t.key).await.assert(204);
    app.get("/v1/games", &key).await.assert_problem(401, "unauthorized");
    app.get(&format!("/v1/users/{}", u.id()), &t.key).await.assert_problem(404, "not_found");
}

#[tokio::test]
async fn a_key_cannot_delete_its_own_user() {
    let app = TestApp::spawn().await;
    let t = app.tenant("acme").await;
    app.delete(&format!("/v1/users/{}", t.user_id), &t.key).await.assert_problem(400, "bad_request");
}

#[tokio::test]
async fn a_bad_email_and_a_blank_name_are_reported_together() {
    let app = TestApp::spawn().await;
    let t = app.tenant("acme").await;
    let r = app.post("/v1/users", &t.key, json!({"email": "not-an-email", "display_name": "  "})).await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.field_errors("email"), ["invalid_format"]);
    assert_eq!(r.field_errors("display_name"), ["blank"]);
}
