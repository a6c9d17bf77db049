//! `/v1/boards`: defaults, field rules, immutable type, generated slugs and codes, filters.

use serde_json::{Value, json};

use crate::helpers::{SUPERADMIN_KEY, Tenant, TestApp};

async fn setup() -> (TestApp, Tenant, String) {
    let app = TestApp::spawn().await;
    let t = app.tenant("acme").await;
    let game = app.game(&t, "Space Race").await;
    (app, t, game)
}

#[tokio::test]
async fn a_board_gets_the_spec_defaults() {
    let (app, t, game) = setup().await;
    let r = app.board(&t, &game, json!({"name": "Fastest Laps"})).await;
    r.assert(201);
    let b = &r.body;
    assert!(r.id().starts_with("brd_"));
    assert_eq!(b["account_id"], t.account_id);
    assert_eq!(b["game_id"], game);
    assert_eq!(b["slug"], "fastest-laps");
    assert_eq!(b["board_type"], "RUN_IDENTITY");
    assert_eq!(b["sort_direction"], "DESCENDING");
    assert_eq!(b["keep_strategy"], "BEST");
    assert_eq!(b["is_active"], true);
    assert_eq!(b["is_published"], true);
    assert_eq!(b["unique_player_names"], false);
    assert_eq!(b["tags"], json!([]));
    for absent in ["description", "icon", "unit", "starts_at", "ends_at", "min_value", "max_value", "ratio_config"] {
        assert!(b[absent].is_null(), "{absent}");
    }
    let code = b["short_code"].as_str().unwrap();
    assert_eq!(code.len(), 6);
    assert!(code.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()));
}

#[tokio::test]
async fn every_field_round_trips() {
    let (app, t, game) = setup().await;
    let body = json!({
        "name": "Time Trial", "slug": "tt", "description": "Best lap", "icon": "flag", "unit": "ms",
        "tags": ["weekly", "pc"], "board_type": "RUN_RUNS", "sort_direction": "ASCENDING",
        "is_active": false, "is_published": false, "starts_at": "2030-01-01T00:00:00Z", "ends_at": "2030-02-01T00:00:00.5Z",
        "unique_player_names": true, "min_value": 0.5, "max_value": 100000
    });
    let r = app.board(&t, &game, body.clone()).await;
    r.assert(201);
    for (k, v) in body.as_object().unwrap() {
        if k == "ends_at" {
            assert_eq!(r.body[k], "2030-02-01T00:00:00.500Z");
        } else if k == "max_value" {
            assert_eq!(r.body[k], 100000.0);
        } else {
            assert_eq!(&r.body[k], v, "{k}");
        }
    }
    assert_eq!(r.body["keep_strategy"], "NA");
    let fetched = app.get(&format!("/v1/boards/{}", r.id()), &t.key).await;
    assert_eq!(fetched.body, r.body);
}

#[tokio::test]
async fn keep_strategy_applies_to_run_identity_boards_only() {
    let (app, t, game) = setup().await;
    let r = app.board(&t, &game, json!({"name": "C", "board_type": "COUNTER", "keep_strategy": "BEST"})).await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.field_errors("keep_strategy"), ["invalid_for_board_type"]);
    let r = app.board(&t, &game, json!({"name": "I", "keep_strategy": "NA"})).await;
    assert_eq!(r.field_errors("keep_strategy"), ["invalid_for_board_type"]);
    let r = app.board(&t, &game, json!({"name": "L", "keep_strategy": "LATEST"})).await;
    r.assert(201);
    assert_eq!(r.body["keep_strategy"], "LATEST");
}

#[tokio::test]
async fn a_bad_enum_is_a_validation_error_naming_the_field() {
    let (app, t, game) = setup().await;
    let r = app.board(&t, &game, json!({"name": "X", "board_type": "LOTTERY"})).await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.field_errors("board_type"), ["invalid_enum"]);
}

#[tokio::test]
async fn board_type_cannot_change_after_creation() {
    let (app, t, game) = setup().await;
    let id = app.board(&t, &game, json!({"name": "X"})).await.id();
    let path = format!("/v1/boards/{id}");
    app.patch(&path, &t.key, json!({"board_type": "COUNTER"})).await.assert_problem(400, "board_type_immutable");
    app.patch(&path, &t.key, json!({"board_type": "RUN_IDENTITY", "name": "Y"})).await.assert(200);
}

#[tokio::test]
async fn slugs_are_unique_per_game_among_live_boards() {
    let (app, t, game) = setup().await;
    let first = app.board(&t, &game, json!({"name": "Laps", "slug": "laps"})).await.id();
    app.board(&t, &game, json!({"name": "Laps 2", "slug": "laps"})).await.assert_problem(409, "slug_taken");
    let generated = app.board(&t, &game, json!({"name": "Laps"})).await;
    assert_eq!(generated.body["slug"], "laps-2");
    let other_game = app.game(&t, "Other").await;
    app.board(&t, &other_game, json!({"name": "Laps", "slug": "laps"})).await.assert(201);
    app.delete(&format!("/v1/boards/{first}"), &t.key).await.assert(204);
    app.board(&t, &game, json!({"name": "Laps", "slug": "laps"})).await.assert(201);
}

#[tokio::test]
async fn a_board_for_another_accounts_game_is_not_found() {
    let (app, t, _) = setup().await;
    let other = app.tenant("globex").await;
    let their_game = app.game(&other, "Theirs").await;
    app.board(&t, &their_game, json!({"name": "X"})).await.assert_problem(404, "not_found");
    let r = app
        .post("/v1/boards", &t.key, json!({"name": "X", "game_id": their_game, "account_id": other.account_id}))
        .await;
    r.assert_problem(403, "forbidden");
}

#[tokio::test]
async fn bounds_and_windows_must_be_in_order() {
    let (app, t, game) = setup().await;
    let r = app
        .board(&t, &game, json!({"name": "X", "min_value": 10, "max_value": 1, "starts_at": "2030-01-02T00:00:00Z", "ends_at": "2030-01-01T00:00:00Z"}))
        .await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.field_errors("max_value"), ["less_than_min_value"]);
    assert_eq!(r.field_errors("ends_at"), ["not_after_starts_at"]);
}

#[tokio::test]
async fn ratio_boards_need_two_counter_boards_of_the_same_game() {
    let (app, t, game) = setup().await;
    let kills = app.board(&t, &game, json!({"name": "Kills", "board_type": "COUNTER"})).await.id();
    let deaths = app.board(&t, &game, json!({"name": "Deaths", "board_type": "COUNTER"})).await.id();
    let laps = app.board(&t, &game, json!({"name": "Laps"})).await.id();

    let r = app.board(&t, &game, json!({"name": "KD", "board_type": "RATIO"})).await;
    assert_eq!(r.field_errors("ratio_config"), ["required"]);
    let r = app
        .board(&t, &game, json!({"name": "KD", "board_type": "RATIO", "ratio_config": {"numerator_board_id": kills, "denominator_board_id": laps}}))
        .await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.field_errors("ratio_config.denominator_board_id"), ["not_a_counter_board"]);
    let r = app
        .board(
            &t,
            &game,
            json!({"name": "X", "ratio_config": {"numerator_board_id": kills, "denominator_board_id": deaths}}),
        )
        .await;
    assert_eq!(r.field_errors("ratio_config"), ["invalid_for_board_type"]);

    let r = app
        .board(&t, &game, json!({"name": "KD", "board_type": "RATIO", "ratio_config": {"numerator_board_id": kills, "denominator_board_id": deaths}}))
        .await;
    r.assert(201);
    assert_eq!(r.body["keep_strategy"], "NA");
    assert_eq!(
        r.body["ratio_config"],
        json!({"numerator_board_id": kills, "denominator_board_id": deaths, "scale": 1.0, "min_numerator": 0.0,
               "min_denominator": 0.0, "zero_denominator": "NULL", "display": "RAW", "decimals": 2})
    );
}

#[tokio::test]
async fn tags_and_texts_are_bounded() {
    let (app, t, game) = setup().await;
    let many: Vec<String> = (0..21).map(|i| format!("t{i}")).collect();
    let r = app.board(&t, &game, json!({"name": "X", "tags": many, "unit": "u".repeat(33), "description": ""})).await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.field_errors("tags"), ["too_many"]);
    assert_eq!(r.field_errors("unit"), ["too_long"]);
    assert_eq!(r.field_errors("description"), ["blank"]);
}

#[tokio::test]
async fn optional_fields_are_cleared_with_null() {
    let (app, t, game) = setup().await;
    let id = app.board(&t, &game, json!({"name": "X", "description": "d", "min_value": 1, "tags": ["a"]})).await.id();
    let r = app
        .patch(&format!("/v1/boards/{id}"), &t.key, json!({"description": null, "min_value": null, "tags": null}))
        .await;
    r.assert(200);
    assert!(r.body["description"].is_null() && r.body["min_value"].is_null());
    assert_eq!(r.body["tags"], json!([]));
}

#[tokio::test]
async fn boards_are_found_by_game_slug_code_and_activity() {
    let (app, t, game) = setup().await;
    let a = app.board(&t, &game, json!({"name": "A"})).await;
    let b = app.board(&t, &game, json!({"name": "B", "is_active": false})).await;
    let other_game = app.game(&t, "Other").await;
    app.board(&t, &other_game, json!({"name": "C"})).await.assert(201);
    let ids = |r: &crate::helpers::Response| -> Vec<Value> {
        r.body["data"].as_array().unwrap().iter().map(|b| b["id"].clone()).collect()
    };

    let r = app.get(&format!("/v1/boards?game_id={game}"), &t.key).await;
    assert_eq!(r.body["pagination"]["count"], 2);
    let r = app.get(&format!("/v1/boards?game_id={game}&slug=a"), &t.key).await;
    assert_eq!(ids(&r), [json!(a.id())]);
    let r = app.get(&format!("/v1/boards?code={}", b.body["short_code"].as_str().unwrap()), &t.key).await;
    assert_eq!(ids(&r), [json!(b.id())]);
    let r = app.get(&format!("/v1/boards?game_id={game}&is_active=false"), &t.key).await;
    assert_eq!(ids(&r), [json!(b.id())]);
    app.get("/v1/boards?is_active=maybe", &t.key).await.assert_problem(422, "validation_failed");
    for (query, field) in
        [("slug=%00", "slug"), ("slug=Not%20A%20Slug", "slug"), ("code=%00", "code"), ("code=", "code")]
    {
        let r = app.get(&format!("/v1/boards?{query}"), &t.key).await;
        r.assert_problem(422, "validation_failed");
        assert_eq!(r.field_errors(field), ["invalid_format"], "{query}");
    }
    let r = app.get("/v1/boards?game_id=gam_nope", &t.key).await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.field_errors("game_id"), ["invalid_id"]);
    app.get(&format!("/v1/boards?account_id={}", t.account_id), SUPERADMIN_KEY).await.assert(200);
}

#[tokio::test]
async fn boards_are_found_by_tag_exactly_and_a_malformed_tag_is_refused() {
    let (app, t, game) = setup().await;
    let ranked = app.board(&t, &game, json!({"name": "Ranked", "tags": ["season 3", "pvp"]})).await;
    let casual = app.board(&t, &game, json!({"name": "Casual", "tags": ["pvp", "100%_fun"]})).await;
    app.board(&t, &game, json!({"name": "Untagged"})).await.assert(201);
    let other_game = app.game(&t, "Other").await;
    let elsewhere = app.board(&t, &other_game, json!({"name": "Elsewhere", "tags": ["pvp"]})).await;
    let names = |r: &crate::helpers::Response| -> Vec<String> {
        let mut n: Vec<String> =
            r.body["data"].as_array().unwrap().iter().map(|b| b["name"].as_str().unwrap().to_owned()).collect();
        n.sort();
        n
    };
    let find = |query: String| {
        let (app, key) = (&app, t.key.clone());
        async move { app.get(&format!("/v1/boards?{query}"), &key).await }
    };
    assert_eq!(names(&find("tag=pvp".into()).await), ["Casual", "Elsewhere", "Ranked"]);
    assert_eq!(names(&find(format!("game_id={game}&tag=pvp")).await), ["Casual", "Ranked"]);
    assert_eq!(names(&find("tag=season%203".into()).await), ["Ranked"]);
    assert_eq!(names(&find("tag=%20season%203%20".into()).await), ["Ranked"], "trimmed as tags are");
    // Exact: no prefix, no other case, and LIKE's wildcards are plain characters.
    assert!(names(&find("tag=season".into()).await).is_empty());
    assert!(names(&find("tag=PvP".into()).await).is_empty());
    assert!(names(&find("tag=%25".into()).await).is_empty());
    assert_eq!(names(&find("tag=100%25_fun".into()).await), ["Casual"]);
    for (query, code) in
        [("tag=", "blank"), (&*format!("tag={}", "t".repeat(33)), "too_long"), ("tag=%01", "invalid_characters")]
    {
        let r = find(query.to_owned()).await;
        r.assert_problem(422, "validation_failed");
        assert_eq!(r.field_errors("tag"), [code], "{query}");
    }
    let _ = (ranked, casual, elsewhere);
}

#[tokio::test]
async fn a_deleted_board_is_gone_from_get_and_lists() {
    let (app, t, game) = setup().await;
    let id = app.board(&t, &game, json!({"name": "X"})).await.id();
    let r = app.patch(&format!("/v1/boards/{id}"), &t.key, json!({"deleted": true})).await;
    r.assert(200);
    assert_eq!(r.body["id"], id);
    app.get(&format!("/v1/boards/{id}"), &t.key).await.assert_problem(404, "not_found");
    let list = app.get(&format!("/v1/boards?game_id={game}"), &t.key).await;
    assert_eq!(list.body["pagination"]["count"], 0);
    app.delete(&format!("/v1/boards/{id}"), &t.key).await.assert_problem(404, "not_found");
}
