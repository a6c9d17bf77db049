//! Anti-cheat in the submission pipeline (game-boards spec §5): refusals, flags that put an
//! entry under review, per-game thresholds, bounded evidence, counters that survive restarts.

use axum::http::Method;
use serde_json::{Value, json};

use crate::helpers::{Tenant, TestApp};

pub(crate) async fn setup(app: &TestApp, anti_cheat: Value) -> (Tenant, String, String) {
    let t = app.tenant("ac").await;
    let game = app.game_with_anti_cheat(&t, "Guarded", anti_cheat).await;
    let board = app.board(&t, &game, json!({"name": "B", "max_value": 1000, "is_published": true})).await;
    board.assert(201);
    (t, game, board.id())
}

pub(crate) async fn submit(
    app: &TestApp,
    t: &Tenant,
    board: &str,
    player: &str,
    value: f64,
) -> crate::helpers::Response {
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

pub(crate) async fn flag_on(app: &TestApp, t: &Tenant, event: &Value, flag_type: &str) -> String {
    let r = app
        .get(
            &format!("/v1/score-flags?identity_id={}&flag_type={flag_type}", event["identity_id"].as_str().unwrap()),
            &t.key,
        )
        .await;
    let f = flags(&r);
    let f = f
        .iter()
        .find(|f| f["score_event_id"] == event["id"])
        .unwrap_or_else(|| panic!("no {flag_type} flag: {}", r.text));
    f["id"].as_str().unwrap().to_owned()
}

pub(crate) async fn ranking(app: &TestApp, t: &Tenant, board: &str) -> Vec<(String, f64, String)> {
    let r = app.get(&format!("/v1/scores?board_id={board}&limit=100"), &t.key).await;
    r.assert(200);
    r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["player_name"].as_str().unwrap().to_owned(),
                s["value"].as_f64().unwrap(),
                s["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Thresholds that leave only the detection under test: no velocity, no rate limit.
pub(crate) fn only_value_checks() -> Value {
    json!({"velocity_min_seconds": {"a": 0.000001, "b": 0.000001, "c": 0.000001}, "rate_limit_per_hour": {"c": 1000}})
}

#[tokio::test]
async fn confirming_a_cheat_puts_the_best_remaining_value_back_and_reviews_are_recorded() {
    let app = TestApp::spawn().await;
    let (t, _, board) = setup(&app, only_value_checks()).await;
    submit(&app, &t, &board, "ada", 50.0).await.assert(201);
    let cheat = submit(&app, &t, &board, "ada", 900.0).await;
    cheat.assert(201);
    assert_eq!(cheat.body["score"]["status"], "under_review");
    submit(&app, &t, &board, "bob", 100.0).await.assert(201);
    assert_eq!(
        ranking(&app, &t, &board).await,
        [("ada".into(), 900.0, "under_review".into()), ("bob".into(), 100.0, "active".into())]
    );
    let flag = flag_on(&app, &t, &cheat.body, "progression").await;
    let reviewed = app
        .patch(
            &format!("/v1/score-flags/{flag}"),
            &t.key,
            json!({"status": "confirmed_cheat", "reviewer_decision": "impossible jump"}),
        )
        .await;
    reviewed.assert(200);
    assert_eq!(reviewed.body["status"], "confirmed_cheat");
    assert_eq!(reviewed.body["reviewer_decision"], "impossible jump");
    assert_eq!(reviewed.body["reviewer_id"], app.state.admin.authenticate(&t.key).await.unwrap().user_id.to_string());
    assert!(reviewed.body["reviewed_at"].is_string());
    assert_eq!(
        ranking(&app, &t, &board).await,
        [("bob".into(), 100.0, "active".into()), ("ada".into(), 50.0, "active".into())]
    );
    let event = app.get(&format!("/v1/score-events/{}", cheat.body["id"].as_str().unwrap()), &t.key).await;
    assert_eq!(event.body["status"], "rejected");
    // Taking it back restores the value, under review again while pending.
    app.patch(&format!("/v1/score-flags/{flag}"), &t.key, json!({"status": "pending"})).await.assert(200);
    assert_eq!(ranking(&app, &t, &board).await[0], ("ada".into(), 900.0, "under_review".into()));
    app.patch(&format!("/v1/score-flags/{flag}"), &t.key, json!({"status": "false_positive"})).await.assert(200);
    assert_eq!(ranking(&app, &t, &board).await[0], ("ada".into(), 900.0, "active".into()));
    // The rankings after reviews are what the events and flags say: a rebuild agrees.
    let before = ranking(&app, &t, &board).await;
    app.state.scores.rebuild(&|_| {}).await.unwrap();
    assert_eq!(ranking(&app, &t, &board).await, before);
    let bad = app.patch(&format!("/v1/score-flags/{flag}"), &t.key, json!({"status": "guilty"})).await;
    bad.assert_problem(422, "validation_failed");
    app.patch(&format!("/v1/score-flags/{flag}"), &t.key, json!({"deleted": true})).await.assert(200);
    app.get(&format!("/v1/score-flags/{flag}"), &t.key).await.assert_problem(404, "not_found");
}

#[tokio::test]
async fn an_entry_stays_under_review_while_another_pending_flag_holds_it() {
    let app = TestApp::spawn().await;
    let (t, _, board) = setup(&app, json!({"rate_limit_per_hour": {"c": 1000}})).await;
    submit(&app, &t, &board, "ada", 50.0).await.assert(201);
    // Within 5 s (velocity, tier C) and a 1700% jump (progression): two flags.
    let r = submit(&app, &t, &board, "ada", 900.0).await;
    let velocity = flag_on(&app, &t, &r.body, "velocity").await;
    let progression = flag_on(&app, &t, &r.body, "progression").await;
    app.patch(&format!("/v1/score-flags/{velocity}"), &t.key, json!({"status": "dismissed"})).await.assert(200);
    assert_eq!(ranking(&app, &t, &board).await[0].2, "under_review");
    app.patch(&format!("/v1/score-flags/{progression}"), &t.key, json!({"status": "false_positive"})).await.assert(200);
    assert_eq!(ranking(&app, &t, &board).await[0], ("ada".into(), 900.0, "active".into()));
}

#[tokio::test]
async fn confirmed_cheats_leave_counters_runs_and_ratios() {
    let app = TestApp::spawn().await;
    let t = app.tenant("ac").await;
    let game = app.game_with_anti_cheat(&t, "G", json!({"rate_limit_per_hour": {"c": 1000}})).await;
    let kills = app.board(&t, &game, json!({"name": "Kills", "board_type": "COUNTER"})).await.id();
    let deaths = app.board(&t, &game, json!({"name": "Deaths", "board_type": "COUNTER"})).await.id();
    let kd = app
        .board(&t, &game, json!({"name": "KD", "board_type": "RATIO", "ratio_config": {"numerator_board_id": kills, "denominator_board_id": deaths}}))
        .await
        .id();
    let runs = app.board(&t, &game, json!({"name": "Runs", "board_type": "RUN_RUNS"})).await.id();
    submit(&app, &t, &deaths, "ada", 2.0).await.assert(201);
    submit(&app, &t, &kills, "ada", 6.0).await.assert(201);
    let padded = submit(&app, &t, &kills, "ada", 100.0).await; // within 5 s: velocity
    assert_eq!(padded.body["score"]["status"], "under_review");
    assert_eq!(ranking(&app, &t, &kills).await[0].1, 106.0);
    assert_eq!(ranking(&app, &t, &kd).await[0].1, 53.0);
    let flag = flag_on(&app, &t, &padded.body, "velocity").await;
    app.patch(&format!("/v1/score-flags/{flag}"), &t.key, json!({"status": "confirmed_cheat"})).await.assert(200);
    assert_eq!(ranking(&app, &t, &kills).await, [("ada".into(), 6.0, "active".into())]);
    assert_eq!(ranking(&app, &t, &kd).await[0].1, 3.0);
    submit(&app, &t, &runs, "bob", 10.0).await.assert(201);
    let run = submit(&app, &t, &runs, "bob", 20.0).await;
    assert_eq!(ranking(&app, &t, &runs).await.len(), 2);
    let flag = flag_on(&app, &t, &run.body, "velocity").await;
    app.patch(&format!("/v1/score-flags/{flag}"), &t.key, json!({"status": "confirmed_cheat"})).await.assert(200);
    assert_eq!(ranking(&app, &t, &runs).await, [("bob".into(), 10.0, "active".into())]);
}

#[tokio::test]
async fn banning_hides_every_entry_at_once_and_unbanning_restores_them() {
    let app = TestApp::spawn().await;
    let t = app.tenant("ban").await;
    let game = app.game(&t, "G").await;
    let a = app.board(&t, &game, json!({"name": "A"})).await.id();
    let b = app.board(&t, &game, json!({"name": "B"})).await.id();
    let cheat = submit(&app, &t, &a, "cheater", 1000.0).await;
    submit(&app, &t, &b, "cheater", 1000.0).await.assert(201);
    submit(&app, &t, &a, "honest", 10.0).await.assert(201);
    let identity = cheat.body["identity_id"].as_str().unwrap().to_owned();
    app.patch(&format!("/v1/identities/{identity}"), &t.key, json!({"status": "banned"})).await.assert(200);
    assert_eq!(ranking(&app, &t, &a).await, [("honest".into(), 10.0, "active".into())]);
    assert!(ranking(&app, &t, &b).await.is_empty());
    let by_name = app.get(&format!("/v1/scores?board_id={a}&sort=player_name:asc"), &t.key).await;
    assert_eq!(by_name.body["data"].as_array().unwrap().len(), 1, "hidden from every order");
    let refused = submit(&app, &t, &a, "cheater", 5.0).await;
    refused.assert_problem(403, "device_banned");
    // Still hidden after a restart.
    let restarted = app.restart().await;
    assert_eq!(ranking(&restarted, &t, &a).await.len(), 1);
    restarted.patch(&format!("/v1/identities/{identity}"), &t.key, json!({"status": "active"})).await.assert(200);
    assert_eq!(ranking(&restarted, &t, &a).await[0], ("cheater".into(), 1000.0, "active".into()));
    assert_eq!(ranking(&restarted, &t, &b).await.len(), 1);
}

/// The spec's example: 100 000 refused submissions from one player. Sent through the service
/// (HTTP adds nothing to what is stored), 1 000 at a time.
#[tokio::test]
async fn a_hundred_thousand_refused_submissions_leave_one_flag_per_detection() {
    let app = TestApp::spawn().await;
    let (t, _, board) = setup(&app, json!({})).await;
    let p = app.state.admin.authenticate(&t.key).await.unwrap();
    let board_id: podium_core::id::BoardId = board.parse().unwrap();
    let cmd = |v: f64| podium_core::service::SubmitScore {
        board_id,
        identity_id: None,
        player_key: Some("flooder".into()),
        player_name: Some("F".into()),
        value: v,
        value_display: None,
        metadata: None,
        is_test: None,
        timezone: None,
        country: None,
        city: None,
    };
    for _ in 0..100 {
        let round: Vec<_> = (0..1000).map(|_| app.state.scores.submit(&p, cmd(1e9))).collect();
        for r in futures_util::future::join_all(round).await {
            assert_eq!(r.unwrap_err().code, podium_core::error::ErrorCode::RejectedByAntiCheat);
        }
    }
    let f = flags(&app.get(&format!("/v1/score-flags?board_id={board}&limit=100"), &t.key).await);
    assert!(f.len() <= 8, "{} flags", f.len());
    let total: u64 =
        f.iter().filter(|x| x["flag_type"] == "impossible_value").map(|x| x["attempts"].as_u64().unwrap()).sum();
    assert_eq!(total, 100_000);
    let meta = app.get(&format!("/v1/score-submission-metadata?board_id={board}"), &t.key).await;
    assert_eq!(meta.body["data"].as_array().unwrap().len(), 1);
    assert_eq!(meta.body["data"][0]["rejected_count"], 100_000);
}

#[tokio::test]
async fn an_admin_set_trust_tier_selects_that_tiers_thresholds() {
    let app = TestApp::spawn().await;
    let (t, _, board) = setup(
        &app,
        json!({"rate_limit_per_hour": {"a": 3, "c": 1}, "velocity_min_seconds": {"a": 0.000001, "c": 0.000001}}),
    )
    .await;
    // A new player is tier C: one submission an hour.
    let first = submit(&app, &t, &board, "newbie", 1.0).await;
    first.assert(201);
    submit(&app, &t, &board, "newbie", 2.0).await.assert_problem(403, "rejected_by_anti_cheat");
    // Trusted by an admin (tier A): three.
    let identity = first.body["identity_id"].as_str().unwrap();
    app.patch(&format!("/v1/identities/{identity}"), &t.key, json!({"trust_tier": "A"})).await.assert(200);
    submit(&app, &t, &board, "newbie", 3.0).await.assert(201);
    submit(&app, &t, &board, "newbie", 4.0).await.assert(201);
    let r = submit(&app, &t, &board, "newbie", 5.0).await;
    r.assert_problem(403, "rejected_by_anti_cheat");
    assert_eq!(r.body["detections"][0]["evidence"]["threshold"], 3);
}

#[tokio::test]
async fn extreme_scores_right_after_a_new_boards_first_honest_ones_are_every_one_flagged_as_outliers() {
    let app = TestApp::spawn().await;
    let (t, _, board) = setup(&app, only_value_checks()).await;
    // Forty honest players at once, then four far-out ones at once, within a few milliseconds:
    // board statistics reused from the moment the board was empty (or had a handful of
    // entries) would let every one of them through.
    let honest = (0..40).map(|i| {
        let (app, t, board) = (&app, &t, &board);
        async move {
            submit(app, t, board, &format!("h{i}"), 100.0 + f64::from(i)).await.assert(201);
        }
    });
    futures_util::future::join_all(honest).await;
    let extreme = (0..4).map(|i| {
        let (app, t, board) = (&app, &t, &board);
        async move { submit(app, t, board, &format!("x{i}"), 900.0 + f64::from(i)).await }
    });
    for r in futures_util::future::join_all(extreme).await {
        r.assert(201);
        assert_eq!(r.body["score"]["status"], "under_review", "{}", r.text);
        flag_on(&app, &t, &r.body, "outlier").await;
    }
}

#[tokio::test]
async fn a_flag_deleted_releases_what_it_held_leaves_the_lists_and_a_restore_holds_it_again() {
    let app = TestApp::spawn().await;
    let (t, _, board) = setup(&app, only_value_checks()).await;
    submit(&app, &t, &board, "ada", 50.0).await.assert(201);
    let cheat = submit(&app, &t, &board, "ada", 900.0).await;
    let flag = flag_on(&app, &t, &cheat.body, "progression").await;
    let path = format!("/v1/score-flags/{flag}");
    let listed = || async {
        let r = app.get(&format!("/v1/score-flags?board_id={board}"), &t.key).await;
        flags(&r).iter().any(|f| f["id"] == flag.as_str())
    };
    assert_eq!(ranking(&app, &t, &board).await[0], ("ada".into(), 900.0, "under_review".into()));
    assert!(listed().await);

    // DELETE: 204; gone from GET and lists; the entry it held is released.
    let r = app.call(Method::DELETE, &path, Some(&t.key), None).await;
    assert_eq!(r.status.as_u16(), 204, "{}", r.text);
    app.get(&path, &t.key).await.assert_problem(404, "not_found");
    assert!(!listed().await);
    assert_eq!(ranking(&app, &t, &board).await[0], ("ada".into(), 900.0, "active".into()));
    app.call(Method::DELETE, &path, Some(&t.key), None).await.assert_problem(404, "not_found");

    // PATCH {"deleted": false}: back, pending as it was, holding the entry under review again.
    let restored = app.patch(&path, &t.key, json!({"deleted": false})).await;
    restored.assert(200);
    assert_eq!((restored.body["status"].as_str(), restored.body["deleted_at"].is_null()), (Some("pending"), true));
    app.get(&path, &t.key).await.assert(200);
    assert!(listed().await);
    assert_eq!(ranking(&app, &t, &board).await[0], ("ada".into(), 900.0, "under_review".into()));
    // Restoring a live flag changes nothing; another account cannot restore or delete it.
    app.patch(&path, &t.key, json!({"deleted": false})).await.assert(200);
    let other = app.tenant("other").await;
    app.patch(&path, &other.key, json!({"deleted": false})).await.assert_problem(404, "not_found");
    app.call(Method::DELETE, &path, Some(&other.key), None).await.assert_problem(404, "not_found");
    app.patch(&path, &t.key, json!({"deleted": null})).await.assert_problem(422, "validation_failed");
}

/// Every page of `path` (sorted by `sort`) one entry at a time, then all in one page: the ids in
/// order, both ways.
async fn paged_both_ways(app: &TestApp, t: &Tenant, path: &str, sort: &str) -> (Vec<Value>, Vec<String>) {
    let whole = app.get(&format!("{path}&sort={sort}&limit=100"), &t.key).await;
    whole.assert(200);
    let rows = flags(&whole);
    let mut one_by_one = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            None => format!("{path}&sort={sort}&limit=1"),
            Some(c) => format!("{path}&sort={sort}&limit=1&cursor={c}"),
        };
        let page = app.get(&url, &t.key).await;
        page.assert(200);
        one_by_one.extend(flags(&page).iter().map(|r| r["id"].as_str().unwrap().to_owned()));
        match page.body["pagination"]["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
        assert!(one_by_one.len() <= rows.len(), "paging does not end");
    }
    (rows, one_by_one)
}

/// The sort key of a row as the documented order reads it.
fn key_of(row: &Value, field: &str) -> (i64, f64, String) {
    let v = &row[field];
    match field {
        "confidence" => (["LOW", "MEDIUM", "HIGH"].iter().position(|c| v == c).unwrap() as i64, 0.0, String::new()),
        "submission_count" => (v.as_i64().unwrap(), 0.0, String::new()),
        "last_score_value" => (0, v.as_f64().unwrap_or(f64::MIN), String::new()),
        _ => (0, 0.0, v.as_str().unwrap_or("").to_owned()),
    }
}

fn assert_sorted(rows: &[Value], field: &str, descending: bool) {
    let keys: Vec<(i64, f64, String)> = rows.iter().map(|r| key_of(r, field)).collect();
    for pair in keys.windows(2) {
        let ordered = if descending { pair[0] >= pair[1] } else { pair[0] <= pair[1] };
        assert!(ordered, "{field} {}: {:?} before {:?}", if descending { "desc" } else { "asc" }, pair[0], pair[1]);
    }
}

#[tokio::test]
async fn flags_and_submission_counts_sort_by_every_documented_field_missing_values_and_meanings_included() {
    let app = TestApp::spawn().await;
    let (t, _, board) = setup(&app, json!({})).await;
    // Refused (HIGH, no event), velocity on an accepted one (MEDIUM, with an event), progression.
    submit(&app, &t, &board, "refused", 5000.0).await.assert_problem(403, "rejected_by_anti_cheat");
    for (player, values) in [("quick", [10.0, 11.0]), ("jumper", [5.0, 900.0]), ("slow", [20.0, 21.0])] {
        for v in values {
            submit(&app, &t, &board, player, v).await.assert(201);
        }
    }
    let f = flags(&app.get(&format!("/v1/score-flags?board_id={board}&limit=100"), &t.key).await);
    assert!(f.len() >= 4, "{f:?}");
    assert!(f.iter().any(|x| x["score_event_id"].is_null()) && f.iter().any(|x| x["score_event_id"].is_string()));
    let reviewed = f.iter().find(|x| x["flag_type"] == "velocity").unwrap()["id"].as_str().unwrap().to_owned();
    app.patch(&format!("/v1/score-flags/{reviewed}"), &t.key, json!({"status": "dismissed"})).await.assert(200);

    let path = format!("/v1/score-flags?board_id={board}");
    for field in ["score_event_id", "flag_type", "confidence", "status", "created_at", "updated_at"] {
        for direction in ["asc", "desc"] {
            let (rows, one_by_one) = paged_both_ways(&app, &t, &path, &format!("{field}:{direction}")).await;
            assert_eq!(rows.len(), f.len());
            assert_sorted(&rows, field, direction == "desc");
            let ids: Vec<String> = rows.iter().map(|r| r["id"].as_str().unwrap().to_owned()).collect();
            assert_eq!(one_by_one, ids, "{field}:{direction} pages one by one as in one page");
        }
    }
    let by_confidence = flags(&app.get(&format!("{path}&sort=confidence:desc&limit=1"), &t.key).await);
    assert_eq!(by_confidence[0]["confidence"], "HIGH", "HIGH ranks above MEDIUM, not alphabetically below");

    let meta = flags(&app.get(&format!("/v1/score-submission-metadata?board_id={board}"), &t.key).await);
    assert_eq!(meta.len(), 4);
    for m in &meta {
        let (created, updated) = (m["created_at"].as_str().unwrap(), m["updated_at"].as_str().unwrap());
        assert!(created <= updated && updated <= m["last_submission_at"].as_str().unwrap(), "{m}");
    }
    let quick = meta.iter().find(|m| m["submission_count"] == 2 && m["last_score_value"] == 11.0).unwrap();
    assert!(
        quick["created_at"].as_str().unwrap() < quick["updated_at"].as_str().unwrap(),
        "the counts changed since: {quick}"
    );
    let path = format!("/v1/score-submission-metadata?board_id={board}");
    for field in [
        "identity_id",
        "board_id",
        "submission_count",
        "last_submission_at",
        "last_score_value",
        "created_at",
        "updated_at",
    ] {
        for direction in ["asc", "desc"] {
            let (rows, one_by_one) = paged_both_ways(&app, &t, &path, &format!("{field}:{direction}")).await;
            assert_eq!(rows.len(), 4);
            assert_sorted(&rows, field, direction == "desc");
            let ids: Vec<String> = rows.iter().map(|r| r["id"].as_str().unwrap().to_owned()).collect();
            assert_eq!(one_by_one, ids, "{field}:{direction} pages one by one as in one page");
        }
    }
    let lowest = flags(&app.get(&format!("{path}&sort=last_score_value:asc&limit=1"), &t.key).await);
    assert!(lowest[0]["last_score_value"].is_null(), "no accepted value sorts lowest: {lowest:?}");
    app.get(&format!("{path}&sort=rejected_count:asc"), &t.key).await.assert_problem(400, "invalid_sort");
}

/// The flag types raised on one accepted submission's event.
async fn flag_types_of(app: &TestApp, t: &Tenant, event: &Value) -> Vec<String> {
    let r = app
        .get(&format!("/v1/score-flags?identity_id={}&limit=100", event["identity_id"].as_str().unwrap()), &t.key)
        .await;
    flags(&r)
        .iter()
        .filter(|f| f["score_event_id"] == event["id"])
        .map(|f| f["flag_type"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn every_detection_with_state_judges_alike_after_a_restart_with_the_games_own_windows() {
    let app = TestApp::spawn().await;
    let t = app.tenant("ac").await;
    // Windows wider than the defaults: a restart that replayed with the defaults would keep
    // 5 values of history instead of 8 and 3 identities per value instead of 5.
    let wide = app
        .game_with_anti_cheat(
            &t,
            "Wide",
            json!({"velocity_min_seconds": {"c": 0.000001}, "pattern_history": 8, "cluster_min_identities": 5,
                "duplicate_window_seconds": 7200, "progression_max_percent": {"c": 200}}),
        )
        .await;
    let strict = app.game_with_anti_cheat(&t, "Strict", json!({"rate_limit_per_hour": {"c": 2}})).await;
    let board = |game: String, name: &'static str| {
        let app = &app;
        let t = &t;
        async move {
            let r = app.board(t, &game, json!({"name": name, "max_value": 1e9})).await;
            r.assert(201);
            r.id()
        }
    };
    let (dup, prog, pat, clu, out) = (
        board(wide.clone(), "Dup").await,
        board(wide.clone(), "Prog").await,
        board(wide.clone(), "Pat").await,
        board(wide.clone(), "Clu").await,
        board(wide.clone(), "Out").await,
    );
    let (vel, rate) = (board(strict.clone(), "Vel").await, board(strict.clone(), "Rate").await);

    submit(&app, &t, &dup, "dup", 50.0).await.assert(201);
    submit(&app, &t, &prog, "prog", 10.0).await.assert(201);
    for i in 0..7 {
        submit(&app, &t, &pat, "pat", 100.0 + 10.0 * f64::from(i)).await.assert(201);
    }
    for p in ["c1", "c2", "c3", "c4"] {
        submit(&app, &t, &clu, p, 777.0).await.assert(201);
    }
    for i in 0..40 {
        submit(&app, &t, &out, &format!("honest{i}"), 100.0 + f64::from(i % 10)).await.assert(201);
    }
    submit(&app, &t, &vel, "fast", 1.0).await.assert(201);
    submit(&app, &t, &rate, "rate", 1.0).await.assert(201);
    submit(&app, &t, &rate, "rate", 2.0).await.assert(201);

    let app = app.restart().await;
    let cases = [
        (&dup, "dup", 50.0, "duplicate"),
        (&prog, "prog", 1000.0, "progression"),
        (&pat, "pat", 170.0, "pattern"),
        (&clu, "c5", 777.0, "cluster"),
        (&out, "far", 100_000.0, "outlier"),
        (&vel, "fast", 2.0, "velocity"),
    ];
    for (board, player, value, detection) in cases {
        let r = submit(&app, &t, board, player, value).await;
        r.assert(201);
        let raised = flag_types_of(&app, &t, &r.body).await;
        assert!(raised.contains(&detection.to_owned()), "{detection} after the restart: raised {raised:?}");
    }
    let r = submit(&app, &t, &rate, "rate", 3.0).await;
    r.assert_problem(403, "rejected_by_anti_cheat");
    assert_eq!(r.body["detections"][0]["flag_type"], "rate_limit");
    let r = submit(&app, &t, &out, "high", 5000.0).await;
    assert!(r.status.is_success());
    let r = submit(&app, &t, &out, "liar", 2e9).await;
    r.assert_problem(403, "rejected_by_anti_cheat");
    assert_eq!(r.body["detections"][0]["flag_type"], "impossible_value");
}
