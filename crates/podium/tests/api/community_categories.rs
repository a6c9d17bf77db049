//! Categories of a community leaderboard and their metrics (community spec, "Categories" and
//! the Decisions on metrics): the leaderboard's moderators and site admins create, edit and
//! delete them, anyone reads them, and every rule is a per-field 422.

use axum::http::Method;
use serde_json::{Value, json};

use crate::helpers::{SUPERADMIN_KEY, TestApp};

/// A site admin, a moderator of a fresh leaderboard, a plain member, and the leaderboard id.
async fn setup(app: &TestApp) -> (String, String, String, String) {
    let (boss_id, boss) = app.community_member("Boss").await;
    app.post("/v1/community/admins", SUPERADMIN_KEY, json!({"user_id": boss_id})).await.assert(201);
    let (mod_id, moderator) = app.community_member("Mod").await;
    let (_, runner) = app.community_member("Runner").await;
    let lb =
        app.as_member(Method::POST, "/v1/community/leaderboards", &boss, Some(json!({"name": "Celeste"}))).await.id();
    let appoint = json!({"user_id": mod_id, "leaderboard_id": lb});
    app.as_member(Method::POST, "/v1/community/modships", &boss, Some(appoint)).await.assert(201);
    (boss, moderator, runner, lb)
}

fn any_percent(lb: &str) -> Value {
    json!({"leaderboard_id": lb, "name": "Any%", "rules": "Reach the summit.", "players_min": 1, "players_max": 2,
        "metrics": [{"name": "Real time", "kind": "time"}, {"name": "Berries", "kind": "count", "required": false}]})
}

#[tokio::test]
async fn moderators_create_categories_with_metrics_that_anyone_reads() {
    let app = TestApp::spawn().await;
    let (_, moderator, runner, lb) = setup(&app).await;
    let created = app.as_member(Method::POST, "/v1/community/categories", &moderator, Some(any_percent(&lb))).await;
    created.assert(201);
    let c = &created.body;
    assert!(c["id"].as_str().unwrap().starts_with("cat_"));
    assert_eq!(
        (c["slug"].as_str(), c["players_min"].as_u64(), c["players_max"].as_u64()),
        (Some("any"), Some(1), Some(2))
    );
    let metrics = c["metrics"].as_array().unwrap();
    assert_eq!(metrics.len(), 2);
    assert!(metrics[0]["id"].as_str().unwrap().starts_with("met_"));
    // Defaults: a time sorts ascending, a count descending; metrics are required unless said.
    assert_eq!(
        (metrics[0]["slug"].as_str(), metrics[0]["sort"].as_str(), metrics[0]["required"].as_bool()),
        (Some("real-time"), Some("asc"), Some(true))
    );
    assert_eq!((metrics[1]["sort"].as_str(), metrics[1]["required"].as_bool()), (Some("desc"), Some(false)));
    let id = created.id();
    let read = app.call(Method::GET, &format!("/v1/community/categories/{id}"), None, None).await;
    read.assert(200);
    assert_eq!(read.body, created.body);
    let listed = app.call(Method::GET, "/v1/community/leaderboards/celeste/categories", None, None).await;
    assert_eq!(listed.body, json!([created.body]));
    // A plain member cannot; a slug given twice in one leaderboard is 409.
    app.as_member(Method::POST, "/v1/community/categories", &runner, Some(any_percent(&lb)))
        .await
        .assert_problem(403, "forbidden");
    let mut again = any_percent(&lb);
    again["slug"] = json!("any");
    app.as_member(Method::POST, "/v1/community/categories", &moderator, Some(again))
        .await
        .assert_problem(409, "slug_taken");
    let derived = app.as_member(Method::POST, "/v1/community/categories", &moderator, Some(any_percent(&lb))).await;
    assert_eq!(derived.body["slug"], "any-2");
}

#[tokio::test]
async fn category_rules_are_checked_field_by_field() {
    let app = TestApp::spawn().await;
    let (boss, _, _, lb) = setup(&app).await;
    let post = |body: Value| {
        let (app, boss) = (&app, boss.clone());
        async move { app.as_member(Method::POST, "/v1/community/categories", &boss, Some(body)).await }
    };
    let r = post(json!({"leaderboard_id": lb, "name": "X", "players_min": 0, "players_max": 101, "metrics": []})).await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.field_errors("players_min"), ["out_of_range"]);
    assert_eq!(r.field_errors("players_max"), ["out_of_range"]);
    assert_eq!(r.field_errors("metrics"), ["too_few"]);
    let r = post(json!({"leaderboard_id": lb, "name": "X", "players_min": 3, "players_max": 2,
        "metrics": [{"name": "T", "kind": "time"}]}))
    .await;
    assert_eq!(r.field_errors("players_max"), ["out_of_range"]);
    let r = post(json!({"leaderboard_id": lb, "name": "X", "metrics": [
        {"name": "Time", "kind": "time", "required": false}, {"name": "Score", "kind": "score", "required": false}]}))
    .await;
    assert_eq!(r.field_errors("metrics"), ["no_required_metric"]);
    let r = post(json!({"leaderboard_id": lb, "name": "X", "metrics": [
        {"name": "Time", "kind": "time"}, {"name": "time", "kind": "score"}, {"slug": "x"}]}))
    .await;
    assert_eq!(r.field_errors("metrics[1].slug"), ["duplicate"]);
    assert_eq!(r.field_errors("metrics[2].name"), ["required"]);
    assert_eq!(r.field_errors("metrics[2].kind"), ["required"]);
    let r = post(json!({"leaderboard_id": lb, "name": "X", "metrics": [{"name": "T", "kind": "lap"}]})).await;
    assert_eq!(r.field_errors("metrics[0].kind"), ["invalid_enum"]);
    let eleven: Vec<Value> = (0..11).map(|i| json!({"name": format!("M{i}"), "kind": "score"})).collect();
    let r = post(json!({"leaderboard_id": lb, "name": "X", "metrics": eleven})).await;
    assert_eq!(r.field_errors("metrics"), ["too_many"]);
    let r = post(json!({"name": "X", "metrics": [{"name": "T", "kind": "time"}]})).await;
    assert_eq!(r.field_errors("leaderboard_id"), ["required"]);
    let r = post(json!({"leaderboard_id": "lbd_01h00000000000000000000000", "name": "X",
        "metrics": [{"name": "T", "kind": "time"}]}))
    .await;
    assert_eq!(r.field_errors("leaderboard_id"), ["not_found"]);
}

#[tokio::test]
async fn editing_a_category_keeps_metrics_by_id_and_replaces_the_rest() {
    let app = TestApp::spawn().await;
    let (_, moderator, runner, lb) = setup(&app).await;
    let created = app.as_member(Method::POST, "/v1/community/categories", &moderator, Some(any_percent(&lb))).await;
    let (id, time_id) = (created.id(), created.body["metrics"][0]["id"].as_str().unwrap().to_owned());
    let path = format!("/v1/community/categories/{id}");
    let patch = json!({"name": "Any% (glitched)", "players_max": 4,
        "metrics": [{"id": time_id, "name": "RTA"}, {"name": "Deaths", "kind": "count", "sort": "asc", "required": false}]});
    let edited = app.as_member(Method::PATCH, &path, &moderator, Some(patch)).await;
    edited.assert(200);
    let m = edited.body["metrics"].as_array().unwrap();
    assert_eq!(edited.body["players_max"], 4);
    assert_eq!(
        (m[0]["id"].as_str(), m[0]["name"].as_str(), m[0]["slug"].as_str(), m[0]["kind"].as_str()),
        (Some(time_id.as_str()), Some("RTA"), Some("real-time"), Some("time"))
    );
    assert_eq!((m[1]["slug"].as_str(), m[1]["sort"].as_str()), (Some("deaths"), Some("asc")));
    assert_eq!(app.call(Method::GET, &path, None, None).await.body, edited.body);
    let foreign = json!({"metrics": [{"id": "met_01h00000000000000000000000", "name": "X"}]});
    let r = app.as_member(Method::PATCH, &path, &moderator, Some(foreign)).await;
    assert_eq!(r.field_errors("metrics[0].id"), ["not_found"]);
    let r = app.as_member(Method::PATCH, &path, &moderator, Some(json!({"players_min": 5}))).await;
    assert_eq!(r.field_errors("players_max"), ["out_of_range"]);
    app.as_member(Method::PATCH, &path, &runner, Some(json!({"rules": "x"}))).await.assert_problem(403, "forbidden");
    // Delete: gone for everyone.
    app.as_member(Method::DELETE, &path, &runner, None).await.assert_problem(403, "forbidden");
    app.as_member(Method::DELETE, &path, &moderator, None).await.assert(204);
    app.call(Method::GET, &path, None, None).await.assert_problem(404, "not_found");
    let listed = app.call(Method::GET, &format!("/v1/community/leaderboards/{lb}/categories"), None, None).await;
    assert_eq!(listed.body, json!([]));
}
