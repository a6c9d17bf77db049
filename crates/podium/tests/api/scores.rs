//! Score events and ranked entries: board semantics, validation, queries in rank order,
//! windows around an entry or a value, and rankings rebuilt from the store at start-up.

use axum::http::Method;
use serde_json::{Value, json};

use crate::helpers::{Response, SUPERADMIN_KEY, Tenant, TestApp};

async fn setup(board: Value) -> (TestApp, Tenant, String) {
    let app = TestApp::spawn().await;
    let t = app.tenant("acme").await;
    let game = app.game(&t, "Space Race").await;
    let board = app.board(&t, &game, board).await;
    board.assert(201);
    (app, t, board.id())
}

async fn submit(app: &TestApp, t: &Tenant, board: &str, player: &str, value: f64) -> Response {
    app.post(
        "/v1/score-events",
        &t.key,
        json!({"board_id": board, "player_key": player, "player_name": player, "value": value}),
    )
    .await
}

fn values(r: &Response) -> Vec<f64> {
    r.body["data"].as_array().unwrap().iter().map(|s| s["value"].as_f64().unwrap()).collect()
}

fn ranks(r: &Response) -> Vec<u64> {
    r.body["data"].as_array().unwrap().iter().map(|s| s["rank"].as_u64().unwrap()).collect()
}

fn names(r: &Response) -> Vec<String> {
    r.body["data"].as_array().unwrap().iter().map(|s| s["player_name"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn a_submission_answers_the_event_and_the_ranked_entry() {
    let (app, t, board) = setup(json!({"name": "Laps"})).await;
    let r = app
        .post(
            "/v1/score-events",
            &t.key,
            json!({"board_id": board, "player_key": "p-1", "player_name": "  Ada ", "value": 42.5,
                   "value_display": "42.5 pts", "metadata": {"level": 3}, "country": "FR", "city": "Lyon", "timezone": "Europe/Paris"}),
        )
        .await;
    r.assert(201);
    assert!(r.id().starts_with("sev_"));
    assert_eq!(r.body["board_id"], board);
    assert_eq!(r.body["account_id"], t.account_id);
    assert_eq!(r.body["event_payload"]["value"], 42.5);
    assert_eq!(r.body["is_test"], false);
    assert_eq!(r.body["country"], "FR");
    let s = &r.body["score"];
    assert!(s["id"].as_str().unwrap().starts_with("scr_"));
    assert_eq!(s["rank"], 1);
    assert_eq!(s["player_name"], "Ada");
    assert_eq!(s["value"], 42.5);
    assert_eq!(s["value_display"], "42.5 pts");
    assert_eq!(s["metadata"], json!({"level": 3}));
    assert_eq!(s["status"], "active");
    assert_eq!(s["is_placeholder"], false);
    assert_eq!(s["city"], "Lyon");
    assert_eq!(s["identity_id"], r.body["identity_id"]);
    // The same player_key is the same identity.
    let again = submit(&app, &t, &board, "p-1", 50.0).await;
    assert_eq!(again.body["identity_id"], r.body["identity_id"]);
    assert_eq!(again.body["score"]["id"], s["id"]);
}

#[tokio::test]
async fn best_keeps_the_strictly_better_value_in_the_boards_direction() {
    let (app, t, board) = setup(json!({"name": "Laps", "sort_direction": "ASCENDING"})).await;
    assert_eq!(submit(&app, &t, &board, "a", 60.0).await.body["score"]["value"], 60.0);
    assert_eq!(submit(&app, &t, &board, "a", 70.0).await.body["score"]["value"], 60.0);
    assert_eq!(submit(&app, &t, &board, "a", 55.0).await.body["score"]["value"], 55.0);
}

#[tokio::test]
async fn first_keeps_the_first_value_and_latest_the_newest() {
    let (app, t, first) = setup(json!({"name": "First", "keep_strategy": "FIRST"})).await;
    submit(&app, &t, &first, "a", 10.0).await.assert(201);
    assert_eq!(submit(&app, &t, &first, "a", 99.0).await.body["score"]["value"], 10.0);
    let game = app.get(&format!("/v1/boards/{first}"), &t.key).await.body["game_id"].as_str().unwrap().to_owned();
    let latest = app.board(&t, &game, json!({"name": "Latest", "keep_strategy": "LATEST"})).await.id();
    submit(&app, &t, &latest, "a", 10.0).await.assert(201);
    assert_eq!(submit(&app, &t, &latest, "a", 3.0).await.body["score"]["value"], 3.0);
}

#[tokio::test]
async fn run_runs_ranks_every_submission() {
    let (app, t, board) = setup(json!({"name": "Runs", "board_type": "RUN_RUNS"})).await;
    let a = submit(&app, &t, &board, "a", 10.0).await;
    let b = submit(&app, &t, &board, "a", 20.0).await;
    assert_ne!(a.body["score"]["id"], b.body["score"]["id"]);
    let list = app.get(&format!("/v1/scores?board_id={board}"), &t.key).await;
    assert_eq!(values(&list), [20.0, 10.0]);
    assert_eq!(ranks(&list), [1, 2]);
}

#[tokio::test]
async fn a_counter_sums_deltas() {
    let (app, t, board) = setup(json!({"name": "Kills", "board_type": "COUNTER"})).await;
    submit(&app, &t, &board, "a", 5.0).await.assert(201);
    let r = submit(&app, &t, &board, "a", 3.0).await;
    assert_eq!(r.body["score"]["value"], 8.0);
    assert_eq!(r.body["event_payload"]["value"], 3.0);
}

#[tokio::test]
async fn a_ratio_board_is_recomputed_before_the_source_submission_answers() {
    let (app, t, kills) = setup(json!({"name": "Kills", "board_type": "COUNTER"})).await;
    let game = app.get(&format!("/v1/boards/{kills}"), &t.key).await.body["game_id"].as_str().unwrap().to_owned();
    let deaths = app.board(&t, &game, json!({"name": "Deaths", "board_type": "COUNTER"})).await.id();
    let kd = app
        .board(&t, &game, json!({"name": "KD", "board_type": "RATIO", "ratio_config": {
            "numerator_board_id": kills, "denominator_board_id": deaths, "zero_denominator": "INFINITY", "display": "PERCENT", "decimals": 0}}))
        .await
        .id();
    submit(&app, &t, &kills, "a", 6.0).await.assert(201);
    let list = app.get(&format!("/v1/scores?board_id={kd}"), &t.key).await;
    assert_eq!(list.body["data"][0]["value_display"], "∞");
    submit(&app, &t, &deaths, "a", 4.0).await.assert(201);
    let list = app.get(&format!("/v1/scores?board_id={kd}"), &t.key).await;
    assert_eq!(values(&list), [1.5]);
    assert_eq!(list.body["data"][0]["value_display"], "150%");
    submit(&app, &t, &kills, "b", 1.0).await.assert(201);
    submit(&app, &t, &deaths, "b", 1.0).await.assert(201);
    let list = app.get(&format!("/v1/scores?board_id={kd}"), &t.key).await;
    assert_eq!(names(&list), ["a", "b"]);
    let direct = submit(&app, &t, &kd, "a", 1.0).await;
    direct.assert_problem(400, "ratio_board_read_only");
}

#[tokio::test]
async fn a_closed_board_refuses_submissions_with_409() {
    let (app, t, board) = setup(json!({"name": "Laps"})).await;
    let path = format!("/v1/boards/{board}");
    app.patch(&path, &t.key, json!({"is_active": false})).await.assert(200);
    submit(&app, &t, &board, "a", 1.0).await.assert_problem(409, "board_closed");
    app.patch(&path, &t.key, json!({"is_active": true, "starts_at": "2999-01-01T00:00:00Z"})).await.assert(200);
    submit(&app, &t, &board, "a", 1.0).await.assert_problem(409, "board_closed");
    app.patch(&path, &t.key, json!({"starts_at": null, "ends_at": "2001-01-01T00:00:00Z"})).await.assert(200);
    submit(&app, &t, &board, "a", 1.0).await.assert_problem(409, "board_closed");
}

#[tokio::test]
async fn bad_values_names_and_metadata_are_422() {
    let (app, t, board) = setup(json!({"name": "Laps"})).await;
    let cases = [
        (json!({"value": 1e300}), "value", "out_of_range"),
        (json!({"value": "NaN"}), "value", "invalid_type"),
        (json!({"value": 1, "metadata": {"blob": "x".repeat(1100)}}), "metadata", "too_large"),
        (json!({"value": 1, "player_name": "   "}), "player_name", "blank"),
        (json!({"value": 1, "player_name": "x".repeat(65)}), "player_name", "too_long"),
    ];
    for (mut body, field, code) in cases {
        body["board_id"] = json!(board);
        body["player_key"] = json!("p");
        if body.get("player_name").is_none() {
            body["player_name"] = json!("P");
        }
        let r = app.post("/v1/score-events", &t.key, body.clone()).await;
        r.assert_problem(422, "validation_failed");
        assert_eq!(r.field_errors(field), [code], "{body}");
    }
    let huge = format!(r#"{{"board_id": "{board}", "player_key": "p", "player_name": "P", "value": 1e400}}"#);
    let request = axum::http::Request::post("/v1/score-events")
        .header("leadr-api-key", &t.key)
        .header("content-type", "application/json")
        .body(axum::body::Body::from(huge))
        .unwrap();
    let r = app.raw(request).await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.field_errors("value"), ["out_of_range"]);
    let r = app.post("/v1/score-events", &t.key, json!({"board_id": board, "value": 1, "player_name": "x"})).await;
    assert_eq!(r.field_errors("identity_id"), ["required"]);
    let r = app.post("/v1/score-events", &t.key, json!({"board_id": board, "value": 1, "player_key": "new"})).await;
    assert_eq!(r.field_errors("player_name"), ["required"]);
}

#[tokio::test]
async fn events_are_listed_fetched_and_immutable() {
    let (app, t, board) = setup(json!({"name": "Laps"})).await;
    let first = submit(&app, &t, &board, "a", 1.0).await.id();
    submit(&app, &t, &board, "b", 2.0).await.assert(201);
    let list = app.get(&format!("/v1/score-events?board_id={board}"), &t.key).await;
    list.assert(200);
    assert_eq!(list.body["pagination"]["count"], 2);
    let path = format!("/v1/score-events/{first}");
    let one = app.get(&path, &t.key).await;
    one.assert(200);
    assert_eq!(one.body["event_payload"]["value"], 1.0);
    app.patch(&path, &t.key, json!({"is_test": true})).await.assert_problem(405, "method_not_allowed");
    app.delete(&path, &t.key).await.assert_problem(405, "method_not_allowed");
    let other = app.tenant("globex").await;
    app.get(&path, &other.key).await.assert_problem(404, "not_found");
}

#[tokio::test]
async fn ranks_are_absolute_across_pages_in_both_directions_and_ties_go_to_the_earlier() {
    let (app, t, board) = setup(json!({"name": "Laps"})).await;
    for (i, v) in [50.0, 70.0, 70.0, 10.0, 90.0, 30.0, 70.0].iter().enumerate() {
        submit(&app, &t, &board, &format!("p{i}"), *v).await.assert(201);
    }
    let p1 = app.get(&format!("/v1/scores?board_id={board}&limit=3"), &t.key).await;
    assert_eq!(values(&p1), [90.0, 70.0, 70.0]);
    assert_eq!(names(&p1), ["p4", "p1", "p2"]);
    assert_eq!(ranks(&p1), [1, 2, 3]);
    let next = p1.body["pagination"]["next_cursor"].as_str().unwrap();
    let p2 = app.get(&format!("/v1/scores?board_id={board}&limit=3&cursor={next}"), &t.key).await;
    assert_eq!(names(&p2), ["p6", "p0", "p5"]);
    assert_eq!(ranks(&p2), [4, 5, 6]);
    let next = p2.body["pagination"]["next_cursor"].as_str().unwrap();
    let p3 = app.get(&format!("/v1/scores?board_id={board}&limit=3&cursor={next}"), &t.key).await;
    assert_eq!(ranks(&p3), [7]);
    assert_eq!(p3.body["pagination"]["has_next"], false);
    assert!(p3.body["pagination"]["next_cursor"].is_null());
    let prev = p3.body["pagination"]["prev_cursor"].as_str().unwrap();
    let back = app.get(&format!("/v1/scores?board_id={board}&limit=3&cursor={prev}"), &t.key).await;
    assert_eq!(back.body["data"], p2.body["data"]);
    let prev = back.body["pagination"]["prev_cursor"].as_str().unwrap();
    let back = app.get(&format!("/v1/scores?board_id={board}&limit=3&cursor={prev}"), &t.key).await;
    assert_eq!(back.body["data"], p1.body["data"]);
    assert_eq!(back.body["pagination"]["has_prev"], false);
    // Another sort still carries each entry's rank.
    let by_name = app.get(&format!("/v1/scores?board_id={board}&sort=player_name:asc&limit=2"), &t.key).await;
    assert_eq!(names(&by_name), ["p0", "p1"]);
    assert_eq!(ranks(&by_name), [5, 2]);
}

#[tokio::test]
async fn around_an_entry_is_a_centred_window_shifted_at_the_edges() {
    let (app, t, board) = setup(json!({"name": "Laps"})).await;
    let mut ids = Vec::new();
    for i in 0..10 {
        ids.push(
            submit(&app, &t, &board, &format!("p{i}"), f64::from(100 - i)).await.body["score"]["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let r = app.get(&format!("/v1/scores?board_id={board}&around_score_id={}&limit=5", ids[5]), &t.key).await;
    assert_eq!(ranks(&r), [4, 5, 6, 7, 8]);
    let r = app.get(&format!("/v1/scores?board_id={board}&around_score_id={}&limit=5", ids[0]), &t.key).await;
    assert_eq!(ranks(&r), [1, 2, 3, 4, 5]);
    let r = app.get(&format!("/v1/scores?board_id={board}&around_score_id={}&limit=5", ids[9]), &t.key).await;
    assert_eq!(ranks(&r), [6, 7, 8, 9, 10]);
    assert_eq!(r.body["pagination"]["has_next"], false);
    let prev = r.body["pagination"]["prev_cursor"].as_str().unwrap();
    let before = app.get(&format!("/v1/scores?board_id={board}&limit=5&cursor={prev}"), &t.key).await;
    assert_eq!(ranks(&before), [1, 2, 3, 4, 5]);
    let unknown = "scr_01jd8x3n5q4z7k2m9v6w8t1r0c";
    app.get(&format!("/v1/scores?board_id={board}&around_score_id={unknown}"), &t.key)
        .await
        .assert_problem(404, "not_found");
    app.get(&format!("/v1/scores?board_id={board}&around_score_id={}&around_score_value=3", ids[0]), &t.key)
        .await
        .assert_problem(400, "around_conflict");
    let cursor = before.body["pagination"]["next_cursor"].as_str().unwrap();
    app.get(&format!("/v1/scores?board_id={board}&around_score_value=3&cursor={cursor}"), &t.key)
        .await
        .assert_problem(400, "around_conflict");
}

#[tokio::test]
async fn around_a_value_inserts_a_placeholder_where_it_would_rank() {
    let (app, t, board) = setup(json!({"name": "Laps"})).await;
    let empty = app.get(&format!("/v1/scores?board_id={board}&around_score_value=5"), &t.key).await;
    empty.assert(200);
    assert_eq!(empty.body["data"].as_array().unwrap().len(), 1);
    assert_eq!(empty.body["data"][0]["is_placeholder"], true);
    assert_eq!(empty.body["data"][0]["rank"], 1);
    assert_eq!(empty.body["data"][0]["player_name"], "");
    for i in 0..10 {
        submit(&app, &t, &board, &format!("p{i}"), f64::from(10 * (10 - i))).await.assert(201);
    }
    // 100, 90, …, 10: 55 ranks 6th.
    let r = app.get(&format!("/v1/scores?board_id={board}&around_score_value=55&limit=5"), &t.key).await;
    assert_eq!(values(&r), [70.0, 60.0, 55.0, 50.0, 40.0]);
    let placeholder: Vec<bool> =
        r.body["data"].as_array().unwrap().iter().map(|s| s["is_placeholder"].as_bool().unwrap()).collect();
    assert_eq!(placeholder, [false, false, true, false, false]);
    assert_eq!(r.body["data"][2]["rank"], 6);
    // A tie goes after the entries that reached the value first.
    let r = app.get(&format!("/v1/scores?board_id={board}&around_score_value=100&limit=3"), &t.key).await;
    assert_eq!(values(&r), [100.0, 100.0, 90.0]);
    assert_eq!(r.body["data"][1]["is_placeholder"], true);
    assert_eq!(r.body["data"][1]["rank"], 2);
    let r = app.get(&format!("/v1/scores?board_id={board}&around_score_value=1&limit=3"), &t.key).await;
    assert_eq!(values(&r), [20.0, 10.0, 1.0]);
}

#[tokio::test]
async fn listing_scores_needs_a_board_and_keeps_test_entries_apart() {
    let (app, t, board) = setup(json!({"name": "Laps"})).await;
    app.get("/v1/scores", &t.key).await.assert_problem(400, "board_id_required");
    submit(&app, &t, &board, "live", 1.0).await.assert(201);
    let test = app
        .post(
            "/v1/score-events",
            &t.key,
            json!({"board_id": board, "player_key": "tester", "player_name": "T", "value": 5, "is_test": true}),
        )
        .await;
    test.assert(201);
    assert_eq!(test.body["score"]["rank"], 1);
    assert_eq!(names(&app.get(&format!("/v1/scores?board_id={board}"), &t.key).await), ["live"]);
    assert_eq!(names(&app.get(&format!("/v1/scores?board_id={board}&is_test=true"), &t.key).await), ["T"]);
    let all = app.get(&format!("/v1/scores?board_id={board}&is_test=all"), &t.key).await;
    assert_eq!(names(&all), ["T", "live"]);
    assert_eq!(ranks(&all), [1, 1]);
    app.get(&format!("/v1/scores?board_id={board}&is_test=maybe"), &t.key)
        .await
        .assert_problem(422, "validation_failed");
    let other = app.tenant("globex").await;
    app.get(&format!("/v1/scores?board_id={board}"), &other.key).await.assert_problem(404, "not_found");
}

#[tokio::test]
async fn a_score_is_fetched_by_id_with_its_rank_and_geography() {
    let (app, t, board) = setup(json!({"name": "Laps"})).await;
    submit(&app, &t, &board, "a", 5.0).await.assert(201);
    let b = submit(&app, &t, &board, "b", 1.0).await;
    let id = b.body["score"]["id"].as_str().unwrap();
    let r = app.get(&format!("/v1/scores/{id}"), &t.key).await;
    r.assert(200);
    assert_eq!(r.body["rank"], 2);
    assert!(r.body.as_object().unwrap().contains_key("country"));
    app.call(Method::DELETE, &format!("/v1/scores/{id}"), Some(&t.key), None)
        .await
        .assert_problem(405, "method_not_allowed");
}

#[tokio::test]
async fn rankings_are_rebuilt_from_the_store_at_start_up() {
    let (app, t, board) = setup(json!({"name": "Laps"})).await;
    for (i, v) in [3.0, 9.0, 6.0].iter().enumerate() {
        submit(&app, &t, &board, &format!("p{i}"), *v).await.assert(201);
    }
    let before = app.get(&format!("/v1/scores?board_id={board}"), &t.key).await;
    let restarted = app.restart().await;
    let after = restarted.get(&format!("/v1/scores?board_id={board}"), &t.key).await;
    assert_eq!(after.body["data"], before.body["data"]);
    assert_eq!(ranks(&after), [1, 2, 3]);
}

#[tokio::test]
async fn rebuild_from_the_events_alone_reproduces_every_entry_and_rank() {
    let app = TestApp::spawn().await;
    let t = app.tenant("acme").await;
    let game = app.game(&t, "Space Race").await;
    let mut boards = Vec::new();
    for body in [
        json!({"name": "Best"}),
        json!({"name": "Asc", "sort_direction": "ASCENDING"}),
        json!({"name": "First", "keep_strategy": "FIRST"}),
        json!({"name": "Latest", "keep_strategy": "LATEST"}),
        json!({"name": "Runs", "board_type": "RUN_RUNS"}),
        json!({"name": "Kills", "board_type": "COUNTER"}),
        json!({"name": "Deaths", "board_type": "COUNTER"}),
    ] {
        boards.push(app.board(&t, &game, body).await.id());
    }
    let kd = app
        .board(&t, &game, json!({"name": "KD", "board_type": "RATIO", "ratio_config": {"numerator_board_id": boards[5], "denominator_board_id": boards[6]}}))
        .await
        .id();
    boards.push(kd);
    for round in 0..4 {
        for (b, board) in boards.iter().take(7).enumerate() {
            for player in 0..3 {
                let value = f64::from((round * 7 + b as i32 * 3 + player * 5) % 11);
                let is_test = player == 2 && round % 2 == 0;
                app.post(
                    "/v1/score-events",
                    &t.key,
                    json!({"board_id": board, "player_key": format!("p{player}"), "player_name": format!("P{player}"), "value": value, "is_test": is_test}),
                )
                .await
                .assert(201);
            }
        }
    }
    async fn snapshot(app: &TestApp, key: &str, boards: &[String]) -> Vec<Value> {
        let mut out = Vec::new();
        for board in boards {
            for pool in ["false", "true"] {
                out.push(
                    app.get(&format!("/v1/scores?board_id={board}&is_test={pool}&limit=100"), key).await.body["data"]
                        .clone(),
                );
            }
        }
        out
    }
    let before = snapshot(&app, &t.key, &boards).await;
    assert!(before.iter().all(|d| d.is_array()));
    // Wipe every entry: only the events are left.
    app.state.store.replace_scores(&[]).await.unwrap();
    let wiped = app.get(&format!("/v1/scores?board_id={}&sort=value:desc", boards[0]), &t.key).await;
    assert_eq!(wiped.body["pagination"]["count"], 0);
    let report = app.state.scores.rebuild(&|_| {}).await.unwrap();
    assert_eq!(report.events, 4 * 7 * 3);
    let after = snapshot(&app, &t.key, &boards).await;
    assert_eq!(after, before);
}

#[tokio::test]
async fn scores_filter_by_account_and_game_and_a_superadmin_must_name_the_account() {
    let (app, t, board) = setup(json!({"name": "Laps"})).await;
    submit(&app, &t, &board, "ada", 10.0).await.assert(201);
    let game = app.get(&format!("/v1/boards/{board}"), &t.key).await.body["game_id"].as_str().unwrap().to_owned();
    let other_game = app.game(&t, "Other").await;
    let path = format!("/v1/scores?board_id={board}");
    app.get(&path, SUPERADMIN_KEY).await.assert_problem(400, "account_id_required");
    let named = app.get(&format!("{path}&account_id={}", t.account_id), SUPERADMIN_KEY).await;
    assert_eq!(values(&named), vec![10.0]);
    assert_eq!(values(&app.get(&format!("{path}&game_id={game}"), &t.key).await), vec![10.0]);
    let elsewhere = app.get(&format!("{path}&game_id={other_game}"), &t.key).await;
    elsewhere.assert(200);
    assert!(values(&elsewhere).is_empty(), "another game's filter matches none of this board's entries");
    let rival = app.tenant("rival").await;
    let other_account = app.get(&format!("{path}&account_id={}", rival.account_id), SUPERADMIN_KEY).await;
    other_account.assert(200);
    assert!(values(&other_account).is_empty());
    app.get(&format!("{path}&account_id={}", rival.account_id), &t.key).await.assert_problem(403, "forbidden");
    let bad = app.get(&format!("{path}&game_id=brd_nope"), &t.key).await;
    assert!(bad.status.is_client_error(), "{}", bad.text);
}
