//! Anti-cheat in the submission pipeline (game-boards spec §5): refusals, flags that put an
//! entry under review, per-game thresholds, bounded evidence, counters that survive restarts.

use serde_json::{Value, json};

use crate::helpers::{Tenant, TestApp};

async fn setup(app: &TestApp, anti_cheat: Value) -> (Tenant, String, String) {
    let t = app.tenant("ac").await;
    let game = app.game_with_anti_cheat(&t, "Guarded", anti_cheat).await;
    let board = app.board(&t, &game, json!({"name": "B", "max_value": 1000, "is_published": true})).await;
    board.assert(201);
    (t, game, board.id())
}

async fn submit(app: &TestApp, t: &Tenant, board: &str, player: &str, value: f64) -> crate::helpers::Response {
    app.post(
        "/v1/score-events",
        &t.key,
        json!({"board_id": board, "player_key": player, "player_name": player, "value": value}),
    )
    .await
}

fn flags(r: &crate::helpers::Response) -> Vec<Value> {
    r.body["data"].as_array().unwrap().clone()
}

#[tokio::test]
async fn an_impossible_value_is_refused_with_the_detection_and_counted() {
    let app = TestApp::spawn().await;
    let (t, _, board) = setup(&app, json!({})).await;
    let r = submit(&app, &t, &board, "p1", 5000.0).await;
    r.assert_problem(403, "rejected_by_anti_cheat");
    let detections = r.body["detections"].as_array().unwrap();
    assert_eq!(detections[0]["flag_type"], "impossible_value");
    assert_eq!(detections[0]["confidence"], "HIGH");
    assert_eq!(detections[0]["evidence"]["max_value"], 1000.0);
    // Nothing was ranked or stored as an event.
    let scores = app.get(&format!("/v1/scores?board_id={board}"), &t.key).await;
    assert_eq!(scores.body["data"].as_array().unwrap().len(), 0);
    let events = app.get(&format!("/v1/score-events?board_id={board}"), &t.key).await;
    assert_eq!(events.body["data"].as_array().unwrap().len(), 0);
    let f = app.get(&format!("/v1/score-flags?board_id={board}"), &t.key).await;
    f.assert(200);
    let f = flags(&f);
    assert_eq!(f.len(), 1);
    assert_eq!((f[0]["flag_type"].clone(), f[0]["status"].clone()), (json!("impossible_value"), json!("pending")));
    assert!(f[0]["score_event_id"].is_null() && f[0]["score_id"].is_null());
    let m = app.get(&format!("/v1/score-submission-metadata?board_id={board}"), &t.key).await;
    m.assert(200);
    assert_eq!(m.body["data"][0]["rejected_count"], 1);
    assert_eq!(m.body["data"][0]["submission_count"], 0);
    let id = m.body["data"][0]["id"].as_str().unwrap();
    app.get(&format!("/v1/score-submission-metadata/{id}"), &t.key).await.assert(200);
    let flag = f[0]["id"].as_str().unwrap();
    app.get(&format!("/v1/score-flags/{flag}"), &t.key).await.assert(200);
    let other = app.tenant("other").await;
    app.get(&format!("/v1/score-flags/{flag}"), &other.key).await.assert_problem(404, "not_found");
}

#[tokio::test]
async fn a_medium_detection_puts_the_entry_under_review_and_records_a_pending_flag() {
    let app = TestApp::spawn().await;
    let (t, _, board) = setup(&app, json!({})).await;
    submit(&app, &t, &board, "p1", 10.0).await.assert(201);
    // Again within two seconds (velocity) with a better value: accepted, under review.
    let r = submit(&app, &t, &board, "p1", 20.0).await;
    r.assert(201);
    assert_eq!(r.body["score"]["status"], "under_review");
    assert_eq!(r.body["score"]["rank"], 1, "flagged entries stay ranked");
    let f = flags(&app.get(&format!("/v1/score-flags?board_id={board}&flag_type=velocity"), &t.key).await);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["score_event_id"], r.body["id"]);
    assert_eq!(f[0]["score_id"], r.body["score"]["id"]);
    assert_eq!(f[0]["confidence"], "MEDIUM");
    assert!(f[0]["metadata"]["seconds_since_previous"].as_f64().unwrap() < 2.0);
    let pending = app
        .get(&format!("/v1/score-flags?status=pending&identity_id={}", r.body["identity_id"].as_str().unwrap()), &t.key)
        .await;
    assert_eq!(flags(&pending).len(), 1);
    let meta = app.get(&format!("/v1/score-submission-metadata?board_id={board}"), &t.key).await;
    assert_eq!(meta.body["data"][0]["submission_count"], 2);
    assert_eq!(meta.body["data"][0]["last_score_value"], 20.0);
}

#[tokio::test]
async fn thresholds_follow_the_game_and_apply_to_client_and_admin_submissions_alike() {
    let app = TestApp::spawn().await;
    let (t, game, board) =
        setup(&app, json!({"rate_limit_per_hour": {"c": 2}, "velocity_min_seconds": {"c": 0.000001}})).await;
    submit(&app, &t, &board, "p1", 1.0).await.assert(201);
    submit(&app, &t, &board, "p1", 2.0).await.assert(201);
    let r = submit(&app, &t, &board, "p1", 3.0).await;
    r.assert_problem(403, "rejected_by_anti_cheat");
    assert_eq!(r.body["detections"][0]["flag_type"], "rate_limit");
    // A game client is held to the same rule.
    let s = app.session(&game, &"c".repeat(64)).await;
    let access = s.body["access_token"].as_str().unwrap().to_owned();
    app.client_submit(&access, &board, "Cli", 1.0).await.assert(201);
    app.client_submit(&access, &board, "Cli", 2.0).await.assert(201);
    let refused = app.client_submit(&access, &board, "Cli", 3.0).await;
    refused.assert_problem(403, "rejected_by_anti_cheat");
    // Bad overrides are refused when the game is saved.
    let bad = app
        .patch(&format!("/v1/games/{game}"), &t.key, json!({"anti_cheat": {"rate_limit_per_hour": {"c": -1}}}))
        .await;
    bad.assert_problem(422, "validation_failed");
}

#[tokio::test]
async fn a_game_without_anti_cheat_accepts_everything_in_range() {
    let app = TestApp::spawn().await;
    let t = app.tenant("free").await;
    let game = app.game(&t, "Free").await;
    let board = app.board(&t, &game, json!({"name": "B"})).await.id();
    for i in 0..30 {
        submit(&app, &t, &board, "p1", f64::from(i)).await.assert(201);
    }
    let f = app.get(&format!("/v1/score-flags?game_id={game}"), &t.key).await;
    assert_eq!(flags(&f).len(), 0);
}

#[tokio::test]
async fn a_flood_of_refused_submissions_does_not_grow_storage() {
    let app = TestApp::spawn().await;
    let (t, _, board) = setup(&app, json!({})).await;
    for _ in 0..1000 {
        submit(&app, &t, &board, "flooder", 1e6).await.assert(403);
    }
    let f = flags(&app.get(&format!("/v1/score-flags?board_id={board}&limit=100"), &t.key).await);
    // One flag per detection that fired (impossible value; velocity from the second attempt
    // on), each counting its attempts.
    assert!(f.len() <= 8, "{} flags", f.len());
    let impossible = f.iter().find(|x| x["flag_type"] == "impossible_value").unwrap();
    assert_eq!(impossible["attempts"], 1000, "{f:?}");
    let meta = app.get(&format!("/v1/score-submission-metadata?board_id={board}"), &t.key).await;
    assert_eq!(meta.body["data"].as_array().unwrap().len(), 1);
    assert_eq!(meta.body["data"][0]["rejected_count"], 1000);
    let events = app.get(&format!("/v1/score-events?board_id={board}"), &t.key).await;
    assert_eq!(events.body["data"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn the_counters_survive_a_restart() {
    let app = TestApp::spawn().await;
    let (t, _, board) =
        setup(&app, json!({"rate_limit_per_hour": {"c": 2}, "velocity_min_seconds": {"c": 0.000001}})).await;
    submit(&app, &t, &board, "p1", 1.0).await.assert(201);
    submit(&app, &t, &board, "p1", 2.0).await.assert(201);
    let restarted = app.restart().await;
    let r = submit(&restarted, &t, &board, "p1", 3.0).await;
    r.assert_problem(403, "rejected_by_anti_cheat");
}
