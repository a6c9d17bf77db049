//! `/v1/games`: defaults, per-account slugs, anti-cheat settings, cascading delete.

use serde_json::json;

use crate::helpers::{SUPERADMIN_KEY, TestApp};

#[tokio::test]
async fn a_game_has_anti_cheat_on_and_no_overrides_by_default() {
    let app = TestApp::spawn().await;
    let t = app.tenant("acme").await;
    let r = app.post("/v1/games", &t.key, json!({"name": "Space Race"})).await;
    r.assert(201);
    assert!(r.id().starts_with("gam_"));
    assert_eq!(r.body["account_id"], t.account_id);
    assert_eq!(r.body["slug"], "space-race");
    assert_eq!(r.body["anti_cheat_enabled"], true);
    assert_eq!(r.body["anti_cheat"], json!({}));
}

#[tokio::test]
async fn slugs_are_unique_per_account_only() {
    let app = TestApp::spawn().await;
    let a = app.tenant("acme").await;
    let b = app.tenant("globex").await;
    app.post("/v1/games", &a.key, json!({"name": "X", "slug": "space"})).await.assert(201);
    app.post("/v1/games", &b.key, json!({"name": "X", "slug": "space"})).await.assert(201);
    app.post("/v1/games", &a.key, json!({"name": "Y", "slug": "space"})).await.assert_problem(409, "slug_taken");
    let other = app.post("/v1/games", &a.key, json!({"name": "Y"})).await;
    app.patch(&format!("/v1/games/{}", other.id()), &a.key, json!({"slug": "space"}))
        .await
        .assert_problem(409, "slug_taken");
}

#[tokio::test]
async fn anti_cheat_overrides_are_validated() {
    let app = TestApp::spawn().await;
    let t = app.tenant("acme").await;
    let r = app.post("/v1/games", &t.key, json!({"name": "X", "anti_cheat": {"rate_limit_per_hour": {"c": 0}}})).await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.field_errors("anti_cheat.rate_limit_per_hour.c"), ["out_of_range"]);
    let r = app.post("/v1/games", &t.key, json!({"name": "X", "anti_cheat": {"not_a_threshold": 1}})).await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.field_errors("anti_cheat.not_a_threshold"), ["unknown_field"]);
    let ok = app.post("/v1/games", &t.key, json!({"name": "X", "anti_cheat": {"duplicate_window_seconds": 60}})).await;
    ok.assert(201);
    assert_eq!(ok.body["anti_cheat"], json!({"duplicate_window_seconds": 60.0}));
    let reset = app
        .patch(&format!("/v1/games/{}", ok.id()), &t.key, json!({"anti_cheat": null, "anti_cheat_enabled": false}))
        .await;
    reset.assert(200);
    assert_eq!(reset.body["anti_cheat"], json!({}));
    assert_eq!(reset.body["anti_cheat_enabled"], false);
}

#[tokio::test]
async fn another_accounts_game_is_not_found() {
    let app = TestApp::spawn().await;
    let a = app.tenant("acme").await;
    let b = app.tenant("globex").await;
    let game = app.game(&b, "Theirs").await;
    for r in [
        app.get(&format!("/v1/games/{game}"), &a.key).await,
        app.patch(&format!("/v1/games/{game}"), &a.key, json!({"name": "Mine"})).await,
        app.delete(&format!("/v1/games/{game}"), &a.key).await,
    ] {
        r.assert_problem(404, "not_found");
    }
    app.get(&format!("/v1/games/{game}"), SUPERADMIN_KEY).await.assert(200);
}

#[tokio::test]
async fn a_superadmin_lists_games_of_the_account_it_names() {
    let app = TestApp::spawn().await;
    let t = app.tenant("acme").await;
    app.game(&t, "One").await;
    app.get("/v1/games", SUPERADMIN_KEY).await.assert_problem(400, "account_id_required");
    let r = app.get(&format!("/v1/games?account_id={}", t.account_id), SUPERADMIN_KEY).await;
    r.assert(200);
    assert_eq!(r.body["pagination"]["count"], 1);
    let r = app.post("/v1/games", SUPERADMIN_KEY, json!({"name": "Two", "account_id": t.account_id})).await;
    r.assert(201);
    assert_eq!(r.body["account_id"], t.account_id);
}

#[tokio::test]
async fn deleting_a_game_deletes_its_boards() {
    let app = TestApp::spawn().await;
    let t = app.tenant("acme").await;
    let game = app.game(&t, "Space Race").await;
    let board = app.board(&t, &game, json!({"name": "Laps"})).await.id();
    app.delete(&format!("/v1/games/{game}"), &t.key).await.assert(204);
    app.get(&format!("/v1/games/{game}"), &t.key).await.assert_problem(404, "not_found");
    app.get(&format!("/v1/boards/{board}"), &t.key).await.assert_problem(404, "not_found");
    // The slug is free again.
    app.post("/v1/games", &t.key, json!({"name": "Space Race", "slug": "space-race"})).await.assert(201);
}

#[tokio::test]
async fn null_on_a_required_field_is_refused() {
    let app = TestApp::spawn().await;
    let t = app.tenant("acme").await;
    let game = app.game(&t, "X").await;
    let r = app.patch(&format!("/v1/games/{game}"), &t.key, json!({"name": null})).await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.field_errors("name"), ["null_not_allowed"]);
}
