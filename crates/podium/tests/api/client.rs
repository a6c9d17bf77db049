//! The client API (game-boards spec §3): sessions, token rotation, nonces, client boards and
//! scores, the player-name check, and the admin side of identities and sessions.

use std::sync::Arc;
use std::time::Duration;

use axum::http::Method;
use podium::app::ClientSettings;
use podium_api::ApiConfig;
use podium_api::edge::EdgeConfig;
use podium_testkit::mmdb::{CityRecord, city_database};
use serde_json::{Value, json};

use crate::helpers::{SUPERADMIN_KEY, Tenant, TestApp};

const FP_A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const FP_B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

async fn setup(app: &TestApp) -> (Tenant, String, String) {
    let t = app.tenant("acme").await;
    let game = app.game(&t, "Space Race").await;
    let board = app.board(&t, &game, json!({"name": "High Scores", "is_published": true})).await;
    board.assert(201);
    (t, game, board.id())
}

fn tokens(r: &crate::helpers::Response) -> (String, String) {
    (r.body["access_token"].as_str().unwrap().to_owned(), r.body["refresh_token"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn the_same_game_and_fingerprint_are_the_same_device_and_identity() {
    let app = TestApp::spawn().await;
    let (_, game, _) = setup(&app).await;
    let first = app.session(&game, FP_A).await;
    let b = &first.body;
    assert_eq!(b["token_type"], "bearer");
    assert_eq!(b["expires_in"], 3600);
    assert_eq!(b["game_id"], game.as_str());
    assert_eq!(b["test_mode"], false);
    assert!(b["access_token"].as_str().unwrap().starts_with("pdc_"));
    assert!(b["refresh_token"].as_str().unwrap().starts_with("pdr_"));
    assert!(b["identity_id"].as_str().unwrap().starts_with("ide_"));
    assert!(b["account_id"].as_str().unwrap().starts_with("acc_"));
    let device = &b["device"];
    assert!(device["id"].as_str().unwrap().starts_with("dev_"));
    assert_eq!(device["client_fingerprint"], FP_A);
    assert_eq!(device["platform"], "linux");
    assert_eq!(device["status"], "active");
    assert!(device["first_seen_at"].is_string() && device["last_seen_at"].is_string());
    let again = app.session(&game, FP_A).await;
    assert_eq!(again.body["identity_id"], b["identity_id"]);
    assert_eq!(again.body["device"]["id"], device["id"]);
    assert_ne!(again.body["access_token"], b["access_token"]);
    // `device_id` is an alias of `client_fingerprint`.
    let alias = app
        .client(Method::POST, "/v1/client/sessions", None, Some(json!({"game_id": game, "device_id": FP_A})), &[])
        .await;
    alias.assert(201);
    assert_eq!(alias.body["identity_id"], b["identity_id"]);
    let other = app.session(&game, FP_B).await;
    assert_ne!(other.body["identity_id"], b["identity_id"]);
}

#[tokio::test]
async fn session_starts_refuse_unknown_games_and_malformed_fingerprints() {
    let app = TestApp::spawn().await;
    let (t, game, _) = setup(&app).await;
    let unknown = json!({"game_id": "gam_01jaaaaaaaaaaaaaaaaaaaaaaa", "client_fingerprint": FP_A});
    app.client(Method::POST, "/v1/client/sessions", None, Some(unknown), &[]).await.assert_problem(404, "not_found");
    for bad in ["", "has space", "x".repeat(129).as_str(), "semi;colon"] {
        let body = json!({"game_id": game, "client_fingerprint": bad});
        let r = app.client(Method::POST, "/v1/client/sessions", None, Some(body), &[]).await;
        r.assert_problem(422, "validation_failed");
    }
    let missing = app.client(Method::POST, "/v1/client/sessions", None, Some(json!({"game_id": game})), &[]).await;
    assert_eq!(missing.field_errors("client_fingerprint"), ["required"]);
    // A UUID (what LEADR's Unity SDK sends) is a valid fingerprint.
    let uuid = json!({"game_id": game, "client_fingerprint": "3f2b8c1e-8d4a-4c6b-9f0e-2a1b3c4d5e6f"});
    app.client(Method::POST, "/v1/client/sessions", None, Some(uuid), &[]).await.assert(201);
    // A deleted game is gone for clients too.
    app.delete(&format!("/v1/games/{game}"), &t.key).await.assert(204);
    let body = json!({"game_id": game, "client_fingerprint": FP_A});
    app.client(Method::POST, "/v1/client/sessions", None, Some(body), &[]).await.assert_problem(404, "not_found");
}

#[tokio::test]
async fn refreshing_rotates_both_tokens_and_kills_the_old_pair() {
    let app = TestApp::spawn().await;
    let (_, game, board) = setup(&app).await;
    let (access, refresh) = tokens(&app.session(&game, FP_A).await);
    // LEADR's SDKs: the refresh token as Bearer and an empty JSON body.
    let r = app
        .client(
            Method::POST,
            "/v1/client/sessions/refresh",
            Some(&refresh),
            None,
            &[("content-type", "application/json")],
        )
        .await;
    r.assert(200);
    let (access2, refresh2) = tokens(&r);
    assert_ne!(access2, access);
    assert_ne!(refresh2, refresh);
    app.client(Method::GET, "/v1/client/nonce", Some(&access), None, &[]).await.assert_problem(401, "unauthorized");
    let old = app.client(Method::POST, "/v1/client/sessions/refresh", Some(&refresh), None, &[]).await;
    old.assert_problem(401, "unauthorized");
    app.client_submit(&access2, &board, "Ada", 10.0).await.assert(201);
    // The body form works too, and an access token is no refresh token.
    let body = json!({"refresh_token": refresh2});
    let r = app.client(Method::POST, "/v1/client/sessions/refresh", None, Some(body), &[]).await;
    r.assert(200);
    let (access3, _) = tokens(&r);
    let wrong = app.client(Method::POST, "/v1/client/sessions/refresh", Some(&access3), None, &[]).await;
    wrong.assert_problem(401, "unauthorized");
    let none = app.client(Method::POST, "/v1/client/sessions/refresh", None, None, &[]).await;
    none.assert_problem(401, "unauthorized");
}

#[tokio::test]
async fn token_lifetimes_are_configurable_and_expired_tokens_are_refused() {
    let mut settings = ClientSettings::default();
    settings.client.access_ttl = Duration::from_millis(300);
    settings.client.refresh_ttl = Duration::from_secs(3600);
    let app = TestApp::spawn_with_settings(ApiConfig::default(), settings).await;
    let (_, game, _) = setup(&app).await;
    let s = app.session(&game, FP_A).await;
    assert_eq!(s.body["expires_in"], 0);
    assert_eq!(s.body["refresh_expires_in"], 3600);
    let (access, refresh) = tokens(&s);
    app.nonce(&access).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    app.client(Method::GET, "/v1/client/nonce", Some(&access), None, &[]).await.assert_problem(401, "unauthorized");
    let r = app.client(Method::POST, "/v1/client/sessions/refresh", Some(&refresh), None, &[]).await;
    r.assert(200);
}

#[tokio::test]
async fn a_nonce_is_single_use_bound_to_its_device_and_every_failure_has_its_code() {
    let app = TestApp::spawn().await;
    let (_, game, board) = setup(&app).await;
    let (access, _) = tokens(&app.session(&game, FP_A).await);
    let (other, _) = tokens(&app.session(&game, FP_B).await);
    let r = app.client(Method::GET, "/v1/client/nonce", Some(&access), None, &[]).await;
    r.assert(200);
    assert_eq!(r.body["nonce"], r.body["nonce_value"]);
    let expires: chrono::DateTime<chrono::Utc> = r.body["expires_at"].as_str().unwrap().parse().unwrap();
    let left = expires - chrono::Utc::now();
    assert!(left > chrono::Duration::seconds(55) && left <= chrono::Duration::seconds(60), "{left}");
    let body = json!({"board_id": board, "player_name": "Ada", "value": 5});
    let post = |token: String, nonce: Option<String>| {
        let body = body.clone();
        let app = &app;
        async move {
            let headers: Vec<(&str, &str)> = match &nonce {
                Some(n) => vec![("leadr-client-nonce", n.as_str())],
                None => vec![],
            };
            app.client(Method::POST, "/v1/client/scores", Some(&token), Some(body), &headers).await
        }
    };
    post(access.clone(), None).await.assert_problem(412, "nonce_required");
    post(access.clone(), Some("nnc_garbage".into())).await.assert_problem(412, "nonce_invalid");
    let nonce = app.nonce(&access).await;
    let mut tampered = nonce.clone().into_bytes();
    let last = tampered.len() - 1;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    post(access.clone(), Some(String::from_utf8(tampered).unwrap())).await.assert_problem(412, "nonce_invalid");
    post(other.clone(), Some(nonce.clone())).await.assert_problem(412, "nonce_wrong_device");
    post(access.clone(), Some(nonce.clone())).await.assert(201);
    post(access.clone(), Some(nonce.clone())).await.assert_problem(412, "nonce_used");
    // After a restart (nothing in memory) the spent nonce is still spent.
    let restarted = app.restart().await;
    let headers = [("leadr-client-nonce", nonce.as_str())];
    let r = restarted.client(Method::POST, "/v1/client/scores", Some(&access), Some(body.clone()), &headers).await;
    r.assert_problem(412, "nonce_used");
}

#[tokio::test]
async fn an_expired_nonce_is_refused_and_purged() {
    let mut settings = ClientSettings::default();
    settings.client.nonce_ttl = Duration::from_millis(200);
    let app = TestApp::spawn_with_settings(ApiConfig::default(), settings).await;
    let (_, game, board) = setup(&app).await;
    let (access, _) = tokens(&app.session(&game, FP_A).await);
    let spent = app.nonce(&access).await;
    let body = json!({"board_id": board, "player_name": "Ada", "value": 5});
    app.client(Method::POST, "/v1/client/scores", Some(&access), Some(body.clone()), &[("leadr-client-nonce", &spent)])
        .await
        .assert(201);
    let stale = app.nonce(&access).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let r = app
        .client(Method::POST, "/v1/client/scores", Some(&access), Some(body), &[("leadr-client-nonce", &stale)])
        .await;
    r.assert_problem(412, "nonce_expired");
    assert_eq!(app.state.clients.spent_nonces_in_memory(), 1);
    let purged = app.state.clients.purge_expired_nonces().await.unwrap();
    assert_eq!(purged, 1, "the spent, now expired nonce leaves the store");
    assert_eq!(app.state.clients.spent_nonces_in_memory(), 0);
}

#[tokio::test]
async fn clients_see_the_published_boards_of_their_own_game_only() {
    let app = TestApp::spawn().await;
    let (t, game, board) = setup(&app).await;
    let hidden = app.board(&app.tenant("acme2").await, &app.game(&t, "Other").await, json!({"name": "x"})).await;
    assert_eq!(hidden.status.as_u16(), 404, "a board for another account's game");
    let draft = app.board(&t, &game, json!({"name": "Draft", "is_published": false})).await.id();
    let other_game = app.game(&t, "Other Game").await;
    let foreign = app.board(&t, &other_game, json!({"name": "Foreign", "is_published": true})).await.id();
    let (access, _) = tokens(&app.session(&game, FP_A).await);
    let list = app.client(Method::GET, &format!("/v1/client/boards?game_id={game}"), Some(&access), None, &[]).await;
    list.assert(200);
    let ids: Vec<&str> = list.body["data"].as_array().unwrap().iter().map(|b| b["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [board.as_str()]);
    let slug = app.client(Method::GET, "/v1/client/boards/high-scores", Some(&access), None, &[]).await;
    slug.assert(200);
    assert_eq!(slug.body["id"], board.as_str());
    let by_id =
        app.client(Method::GET, &format!("/v1/client/boards/{board}?game_id={game}"), Some(&access), None, &[]).await;
    assert_eq!(by_id.body["slug"], "high-scores");
    let query = format!("/v1/client/boards/?slug=high-scores&game_id={game}");
    let r = app.client(Method::GET, &query, Some(&access), None, &[]).await;
    r.assert(200);
    assert_eq!(r.body["data"][0]["id"], board.as_str());
    for path in [
        format!("/v1/client/boards/{draft}"),
        format!("/v1/client/boards/{foreign}"),
        format!("/v1/client/boards/{board}?game_id={other_game}"),
        format!("/v1/client/boards?game_id={other_game}"),
        "/v1/client/boards/no-such-board".to_owned(),
    ] {
        app.client(Method::GET, &path, Some(&access), None, &[]).await.assert_problem(404, "not_found");
    }
    app.client(Method::GET, "/v1/client/boards", None, None, &[]).await.assert_problem(401, "unauthorized");
    let admin_key = app.client(Method::GET, "/v1/client/boards", Some(SUPERADMIN_KEY), None, &[]).await;
    admin_key.assert_problem(401, "unauthorized");
}

#[tokio::test]
async fn client_scores_are_ranked_listed_and_never_show_geography() {
    let app = TestApp::spawn().await;
    let (t, game, board) = setup(&app).await;
    let (ada, _) = tokens(&app.session(&game, FP_A).await);
    let (bob, _) = tokens(&app.session(&game, FP_B).await);
    let a = app.client_submit(&ada, &board, "Ada", 50.0).await;
    a.assert(201);
    assert_eq!(a.body["rank"], 1);
    for field in ["timezone", "country", "city"] {
        assert!(a.body.get(field).is_none(), "{field} leaked: {}", a.text);
    }
    let b = app.client_submit(&bob, &board, "  Bob  ", 70.0).await;
    assert_eq!((b.body["rank"].clone(), b.body["player_name"].clone()), (json!(1), json!("Bob")));
    let list =
        app.client(Method::GET, &format!("/v1/client/scores?board_id={board}&limit=10"), Some(&ada), None, &[]).await;
    list.assert(200);
    let names: Vec<&str> =
        list.body["data"].as_array().unwrap().iter().map(|s| s["player_name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Bob", "Ada"]);
    assert!(list.body["data"][0].get("country").is_none());
    let me = app
        .client(Method::GET, &format!("/v1/client/scores?board_id={board}&identity_id=me"), Some(&ada), None, &[])
        .await;
    assert_eq!(me.body["data"].as_array().unwrap().len(), 1);
    assert_eq!(me.body["data"][0]["player_name"], "Ada");
    assert_eq!(me.body["data"][0]["rank"], 2);
    let around = format!("/v1/client/scores?board_id={board}&around_score_value=60,5&limit=3");
    let w = app.client(Method::GET, &around, Some(&ada), None, &[]).await;
    w.assert(200);
    let ranks: Vec<(i64, bool)> = w.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["rank"].as_i64().unwrap(), s["is_placeholder"].as_bool().unwrap()))
        .collect();
    // Real entries keep their absolute ranks; the placeholder takes the rank the value would.
    assert_eq!(ranks, [(1, false), (2, true), (2, false)]);
    let id = a.body["id"].as_str().unwrap();
    let one = app.client(Method::GET, &format!("/v1/client/scores/{id}"), Some(&bob), None, &[]).await;
    one.assert(200);
    assert_eq!(one.body["rank"], 2);
    // The admin view of the same entry carries the geography fields.
    let admin = app.get(&format!("/v1/scores/{id}"), &t.key).await;
    assert!(admin.body.get("country").is_some());
    // Another game's session sees neither the board nor the score.
    let other_game = app.game(&t, "Other Game").await;
    let (stranger, _) = tokens(&app.session(&other_game, FP_A).await);
    app.client(Method::GET, &format!("/v1/client/scores/{id}"), Some(&stranger), None, &[])
        .await
        .assert_problem(404, "not_found");
    let r = app.client(Method::GET, &format!("/v1/client/scores?board_id={board}"), Some(&stranger), None, &[]).await;
    r.assert_problem(404, "not_found");
    app.client_submit(&stranger, &board, "Eve", 1.0).await.assert_problem(404, "not_found");
}

#[tokio::test]
async fn client_submissions_follow_the_scores_rules() {
    let app = TestApp::spawn().await;
    let (t, game, board) = setup(&app).await;
    let (access, _) = tokens(&app.session(&game, FP_A).await);
    let submit = |body: Value| {
        let app = &app;
        let access = access.clone();
        async move {
            let nonce = app.nonce(&access).await;
            app.client(Method::POST, "/v1/client/scores", Some(&access), Some(body), &[("leadr-client-nonce", &nonce)])
                .await
        }
    };
    let missing = submit(json!({"board_id": board, "value": 1})).await;
    assert_eq!(missing.field_errors("player_name"), ["required"]);
    let blank = submit(json!({"board_id": board, "value": 1, "player_name": "   "})).await;
    assert_eq!(blank.field_errors("player_name"), ["blank"]);
    let long = submit(json!({"board_id": board, "value": 1, "player_name": "x".repeat(65)})).await;
    assert_eq!(long.field_errors("player_name"), ["too_long"]);
    let big =
        submit(json!({"board_id": board, "value": 1, "player_name": "A", "metadata": {"x": "y".repeat(1100)}})).await;
    assert_eq!(big.field_errors("metadata"), ["too_large"]);
    let closed = app.board(&t, &game, json!({"name": "Closed", "is_active": false, "is_published": true})).await.id();
    submit(json!({"board_id": closed, "value": 1, "player_name": "A"})).await.assert_problem(409, "board_closed");
    let ok = submit(json!({"board_id": board, "value": 1, "player_name": "A", "metadata": {"level": 3}})).await;
    ok.assert(201);
    assert_eq!(ok.body["metadata"]["level"], 3);
}

#[tokio::test]
async fn test_mode_sessions_write_and_read_test_entries_only() {
    let app = TestApp::spawn().await;
    let (t, game, board) = setup(&app).await;
    let (live, _) = tokens(&app.session(&game, FP_A).await);
    let body = json!({"game_id": game, "client_fingerprint": FP_B, "test_mode": true});
    let s = app.client(Method::POST, "/v1/client/sessions", None, Some(body), &[]).await;
    s.assert(201);
    assert_eq!(s.body["test_mode"], true);
    let (test, _) = tokens(&s);
    app.client_submit(&live, &board, "Live", 10.0).await.assert(201);
    let t1 = app.client_submit(&test, &board, "Tester", 99.0).await;
    assert_eq!((t1.body["is_test"].clone(), t1.body["rank"].clone()), (json!(true), json!(1)));
    let path = format!("/v1/client/scores?board_id={board}");
    let live_list = app.client(Method::GET, &path, Some(&live), None, &[]).await;
    let test_list = app.client(Method::GET, &path, Some(&test), None, &[]).await;
    assert_eq!(live_list.body["data"].as_array().unwrap().len(), 1);
    assert_eq!(live_list.body["data"][0]["player_name"], "Live");
    assert_eq!(test_list.body["data"][0]["player_name"], "Tester");
    let admin = app.get(&format!("/v1/scores?board_id={board}&is_test=true"), &t.key).await;
    assert_eq!(admin.body["data"][0]["player_name"], "Tester");
}

#[tokio::test]
async fn the_player_name_check_reports_other_players_on_unique_name_boards() {
    let app = TestApp::spawn().await;
    let (t, game, board) = setup(&app).await;
    let unique =
        app.board(&t, &game, json!({"name": "Unique", "is_published": true, "unique_player_names": true})).await.id();
    let (ada, _) = tokens(&app.session(&game, FP_A).await);
    let (bob, _) = tokens(&app.session(&game, FP_B).await);
    app.client_submit(&ada, &unique, "Ada  Lovelace", 5.0).await.assert(201);
    app.client_submit(&ada, &board, "Ada  Lovelace", 5.0).await.assert(201);
    let path = "/v1/client/player-names/check?name=ada%20lovelace";
    let r = app.client(Method::GET, path, Some(&bob), None, &[]).await;
    r.assert(200);
    assert_eq!(r.body["name"], "ada lovelace");
    assert_eq!(r.body["normalised_name"], "ada lovelace");
    assert_eq!(r.body["available"], false);
    assert_eq!(r.body["conflicts"], json!([{"board_id": unique, "board_name": "Unique"}]));
    // The caller never conflicts with itself; boards without the rule never count.
    let mine = app.client(Method::GET, path, Some(&ada), None, &[]).await;
    assert_eq!(mine.body["available"], true);
    let only_board = app.client(Method::GET, &format!("{path}&board_ids={board}"), Some(&bob), None, &[]).await;
    assert_eq!(only_board.body["available"], true);
    let blank = app.client(Method::GET, "/v1/client/player-names/check?name=%20", Some(&bob), None, &[]).await;
    assert_eq!(blank.field_errors("name"), ["blank"]);
    let bad = app.client(Method::GET, &format!("{path}&board_ids=nope"), Some(&bob), None, &[]).await;
    assert_eq!(bad.field_errors("board_ids"), ["invalid_id"]);
}

#[tokio::test]
async fn admins_list_and_edit_identities_and_a_ban_kills_tokens_at_once() {
    let app = TestApp::spawn().await;
    let (t, game, board) = setup(&app).await;
    let s = app.session(&game, FP_A).await;
    let (access, refresh) = tokens(&s);
    let identity = s.body["identity_id"].as_str().unwrap().to_owned();
    app.client_submit(&access, &board, "Ada", 1.0).await.assert(201);
    let list = app.get(&format!("/v1/identities?game_id={game}"), &t.key).await;
    list.assert(200);
    assert_eq!(list.body["data"][0]["id"], identity.as_str());
    assert_eq!(list.body["data"][0]["kind"], "device");
    let patched = app
        .patch(&format!("/v1/identities/{identity}"), &t.key, json!({"display_name": "Ada L", "trust_tier": "A"}))
        .await;
    patched.assert(200);
    assert_eq!(
        (patched.body["display_name"].clone(), patched.body["trust_tier"].clone()),
        (json!("Ada L"), json!("A"))
    );
    let bad = app.patch(&format!("/v1/identities/{identity}"), &t.key, json!({"trust_tier": "Z"})).await;
    bad.assert_problem(422, "validation_failed");
    let other = app.tenant("other").await;
    app.get(&format!("/v1/identities/{identity}"), &other.key).await.assert_problem(404, "not_found");
    // Ban: the tokens die at once and new sessions are refused.
    let banned = app.patch(&format!("/v1/identities/{identity}"), &t.key, json!({"status": "banned"})).await;
    assert_eq!(banned.body["status"], "banned");
    app.client(Method::GET, "/v1/client/nonce", Some(&access), None, &[]).await.assert_problem(401, "unauthorized");
    let r = app.client(Method::POST, "/v1/client/sessions/refresh", Some(&refresh), None, &[]).await;
    r.assert_problem(401, "unauthorized");
    let body = json!({"game_id": game, "client_fingerprint": FP_A});
    app.client(Method::POST, "/v1/client/sessions", None, Some(body.clone()), &[])
        .await
        .assert_problem(403, "device_banned");
    let listed = app.get(&format!("/v1/identities?status=banned&game_id={game}"), &t.key).await;
    assert_eq!(listed.body["data"].as_array().unwrap().len(), 1);
    // Lifting the ban lets the device start a new session.
    app.patch(&format!("/v1/identities/{identity}"), &t.key, json!({"status": "active"})).await.assert(200);
    app.client(Method::POST, "/v1/client/sessions", None, Some(body), &[]).await.assert(201);
}

#[tokio::test]
async fn a_revoked_session_answers_401_at_once() {
    let app = TestApp::spawn().await;
    let (t, game, _) = setup(&app).await;
    let s = app.session(&game, FP_A).await;
    let (access, refresh) = tokens(&s);
    let keep = tokens(&app.session(&game, FP_B).await).0;
    app.nonce(&access).await; // cached now
    let sessions = app
        .get(&format!("/v1/identity-sessions?identity_id={}", s.body["identity_id"].as_str().unwrap()), &t.key)
        .await;
    sessions.assert(200);
    let session = &sessions.body["data"][0];
    assert_eq!(session["revoked"], false);
    assert!(session.get("access_hash").is_none() && session.get("access_token").is_none());
    let id = session["id"].as_str().unwrap();
    let r = app.patch(&format!("/v1/identity-sessions/{id}"), &t.key, json!({"revoked": true})).await;
    r.assert(200);
    assert_eq!(r.body["revoked"], true);
    assert!(r.body["revoked_at"].is_string());
    app.client(Method::GET, "/v1/client/nonce", Some(&access), None, &[]).await.assert_problem(401, "unauthorized");
    let refreshed = app.client(Method::POST, "/v1/client/sessions/refresh", Some(&refresh), None, &[]).await;
    refreshed.assert_problem(401, "unauthorized");
    app.nonce(&keep).await;
    let undo = app.patch(&format!("/v1/identity-sessions/{id}"), &t.key, json!({"revoked": false})).await;
    undo.assert_problem(400, "invalid_transition");
    let revoked = app.get(&format!("/v1/identity-sessions?game_id={game}&revoked=true"), &t.key).await;
    assert_eq!(revoked.body["data"].as_array().unwrap().len(), 1);
    let other = app.tenant("other").await;
    app.get(&format!("/v1/identity-sessions/{id}"), &other.key).await.assert_problem(404, "not_found");
}

fn geo_settings(trusted: &str) -> ClientSettings {
    let db = city_database(&[
        CityRecord {
            network: "203.0.113.0".parse().unwrap(),
            prefix: 24,
            country: "NZ",
            city: "Wellington",
            time_zone: "Pacific/Auckland",
        },
        CityRecord {
            network: "198.51.100.0".parse().unwrap(),
            prefix: 24,
            country: "FR",
            city: "Lyon",
            time_zone: "Europe/Paris",
        },
    ]);
    let path = std::env::temp_dir().join(format!("podium-geo-{}-{}.mmdb", std::process::id(), rand_suffix()));
    std::fs::write(&path, db).unwrap();
    let geo = podium::geoip::MaxMind::open(path.to_str().unwrap()).unwrap();
    std::fs::remove_file(&path).unwrap();
    ClientSettings {
        edge: EdgeConfig { trusted_proxies: vec![trusted.parse().unwrap()], ..EdgeConfig::default() },
        geo: Arc::new(geo),
        ..ClientSettings::default()
    }
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
}

#[tokio::test]
async fn geoip_fills_the_admin_view_and_forwarded_for_is_believed_only_from_trusted_proxies() {
    let app = TestApp::spawn_with_settings(ApiConfig::default(), geo_settings("10.0.0.0/8")).await;
    let (t, game, board) = setup(&app).await;
    let (access, _) = tokens(&app.session(&game, FP_A).await);
    // Each submission is a new best, so the entry carries its geography.
    let submit = |peer: &'static str, forwarded: Option<&'static str>, value: f64| {
        let app = &app;
        let access = access.clone();
        let board = board.clone();
        async move {
            let nonce = app.nonce(&access).await;
            let mut headers = vec![("leadr-client-nonce", nonce.as_str())];
            if let Some(f) = forwarded {
                headers.push(("x-forwarded-for", f));
            }
            let body = json!({"board_id": board, "player_name": "Ada", "value": value});
            let r = app.client_from(peer, Method::POST, "/v1/client/scores", Some(&access), Some(body), &headers).await;
            r.assert(201);
            assert!(r.body.get("country").is_none(), "client view shows no geography");
            let admin = app.get(&format!("/v1/scores/{}", r.body["id"].as_str().unwrap()), SUPERADMIN_KEY).await;
            (admin.body["country"].clone(), admin.body["city"].clone(), admin.body["timezone"].clone())
        }
    };
    let direct = submit("203.0.113.50:1234", None, 1.0).await;
    assert_eq!(direct, (json!("NZ"), json!("Wellington"), json!("Pacific/Auckland")));
    // An untrusted peer cannot claim another address.
    let spoofed = submit("203.0.113.50:1234", Some("198.51.100.20"), 2.0).await;
    assert_eq!(spoofed.0, json!("NZ"));
    // Through a trusted proxy, the forwarded address counts.
    let proxied = submit("10.1.2.3:443", Some("198.51.100.20, 10.9.9.9"), 3.0).await;
    assert_eq!(proxied, (json!("FR"), json!("Lyon"), json!("Europe/Paris")));
    // An address the database does not know leaves the fields null.
    let unknown = submit("192.0.2.1:1", None, 4.0).await;
    assert_eq!(unknown, (Value::Null, Value::Null, Value::Null));
    let events = app.get(&format!("/v1/score-events?board_id={board}&limit=100"), &t.key).await;
    let countries: Vec<Value> = events.body["data"].as_array().unwrap().iter().map(|e| e["country"].clone()).collect();
    assert!(countries.contains(&json!("FR")) && countries.contains(&json!("NZ")), "stored on the event");
}

#[tokio::test]
async fn session_starts_and_nonces_are_rate_limited_per_address() {
    let settings = ClientSettings {
        edge: EdgeConfig { session_starts_per_minute: 3, nonces_per_minute: 60, ..EdgeConfig::default() },
        ..ClientSettings::default()
    };
    let app = TestApp::spawn_with_settings(ApiConfig::default(), settings).await;
    let (_, game, _) = setup(&app).await;
    let body = json!({"game_id": game, "client_fingerprint": FP_A});
    let start =
        |peer: &'static str| app.client_from(peer, Method::POST, "/v1/client/sessions", None, Some(body.clone()), &[]);
    for _ in 0..3 {
        start("198.51.100.1:1").await.assert(201);
    }
    let limited = start("198.51.100.1:2").await;
    limited.assert_problem(429, "rate_limited");
    let retry: u64 = limited.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=20).contains(&retry), "{retry}");
    let s = start("198.51.100.2:1").await;
    s.assert(201);
    let access = s.body["access_token"].as_str().unwrap().to_owned();
    let mut statuses = Vec::new();
    for _ in 0..25 {
        let r = app.client_from("198.51.100.2:1", Method::GET, "/v1/client/nonce", Some(&access), None, &[]).await;
        statuses.push(r.status.as_u16());
    }
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 20, "burst of 20: {statuses:?}");
    assert_eq!(statuses.last(), Some(&429));
}

#[tokio::test]
async fn a_first_page_read_again_after_a_submission_shows_it_at_once() {
    let app = TestApp::spawn().await;
    let (_, game, board) = setup(&app).await;
    let (ada, _) = tokens(&app.session(&game, FP_A).await);
    let (bob, _) = tokens(&app.session(&game, FP_B).await);
    app.client_submit(&ada, &board, "Ada", 10.0).await.assert(201);
    let path = format!("/v1/client/scores?board_id={board}&limit=5");
    let names = |r: &crate::helpers::Response| -> Vec<String> {
        r.body["data"].as_array().unwrap().iter().map(|s| s["player_name"].as_str().unwrap().to_owned()).collect()
    };
    let first = app.client(Method::GET, &path, Some(&bob), None, &[]).await;
    assert_eq!(names(&first), ["Ada"]);
    let again = app.client(Method::GET, &path, Some(&ada), None, &[]).await;
    assert_eq!(again.text, first.text, "the same page twice");
    app.client_submit(&bob, &board, "Bob", 20.0).await.assert(201);
    let after = app.client(Method::GET, &path, Some(&ada), None, &[]).await;
    assert_eq!(names(&after), ["Bob", "Ada"]);
    app.client_submit(&ada, &board, "Ada", 30.0).await.assert(201);
    let last = app.client(Method::GET, &path, Some(&bob), None, &[]).await;
    assert_eq!(names(&last), ["Ada", "Bob"]);
    assert_eq!(last.body["data"][0]["value"], 30.0);
}

#[tokio::test]
async fn one_nonce_sent_twice_at_once_is_spent_exactly_once() {
    let app = TestApp::spawn().await;
    let (_, game, board) = setup(&app).await;
    let (access, _) = tokens(&app.session(&game, FP_A).await);
    for _ in 0..5 {
        let nonce = app.nonce(&access).await;
        let body = json!({"board_id": board, "player_name": "Ada", "value": 1});
        let headers = [("leadr-client-nonce", nonce.as_str())];
        let (a, b) = tokio::join!(
            app.client(Method::POST, "/v1/client/scores", Some(&access), Some(body.clone()), &headers),
            app.client(Method::POST, "/v1/client/scores", Some(&access), Some(body.clone()), &headers),
        );
        let mut statuses = [a.status.as_u16(), b.status.as_u16()];
        statuses.sort_unstable();
        assert_eq!(statuses, [201, 412], "{} / {}", a.text, b.text);
    }
}

#[tokio::test]
async fn admins_list_devices_and_a_device_ban_kills_its_tokens_at_once_and_refuses_new_sessions() {
    let app = TestApp::spawn().await;
    let (t, game, board) = setup(&app).await;
    let a = app.session(&game, FP_A).await;
    let b = app.session(&game, FP_B).await;
    let ((access_a, refresh_a), (access_b, _)) = (tokens(&a), tokens(&b));
    app.client_submit(&access_a, &board, "Ada", 5.0).await.assert(201);
    let device_a = a.body["device"]["id"].as_str().unwrap().to_owned();
    let list = app.get(&format!("/v1/devices?game_id={game}&sort=first_seen_at:asc"), &t.key).await;
    list.assert(200);
    let listed: Vec<&str> = list.body["data"].as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap()).collect();
    assert_eq!(listed, [device_a.as_str(), b.body["device"]["id"].as_str().unwrap()]);
    let one = app.get(&format!("/v1/devices/{device_a}"), &t.key).await;
    one.assert(200);
    assert_eq!(one.body["client_fingerprint"], FP_A);
    assert_eq!(one.body["identity_id"], a.body["identity_id"]);
    assert_eq!(one.body["game_id"], game.as_str());
    assert_eq!(one.body["account_id"], t.account_id.as_str());
    assert_eq!(one.body["status"], "active");

    let other = app.tenant("other").await;
    app.get(&format!("/v1/devices/{device_a}"), &other.key).await.assert_problem(404, "not_found");
    app.patch(&format!("/v1/devices/{device_a}"), &other.key, json!({"status": "banned"}))
        .await
        .assert_problem(404, "not_found");
    app.get("/v1/devices", SUPERADMIN_KEY).await.assert_problem(400, "account_id_required");
    let bad = app.patch(&format!("/v1/devices/{device_a}"), &t.key, json!({"status": "gone"})).await;
    assert!(bad.status.is_client_error(), "{}", bad.text);
    app.patch(&format!("/v1/devices/{device_a}"), &t.key, json!({"status": null}))
        .await
        .assert_problem(422, "validation_failed");

    // The ban: this device's tokens die at once and it cannot start again; the other plays on.
    let banned = app.patch(&format!("/v1/devices/{device_a}"), &t.key, json!({"status": "banned"})).await;
    banned.assert(200);
    assert_eq!(banned.body["status"], "banned");
    app.client(Method::GET, "/v1/client/nonce", Some(&access_a), None, &[]).await.assert_problem(401, "unauthorized");
    let r = app.client(Method::POST, "/v1/client/sessions/refresh", Some(&refresh_a), None, &[]).await;
    r.assert_problem(401, "unauthorized");
    let again = json!({"game_id": game, "client_fingerprint": FP_A});
    app.client(Method::POST, "/v1/client/sessions", None, Some(again.clone()), &[])
        .await
        .assert_problem(403, "device_banned");
    app.client(Method::GET, "/v1/client/nonce", Some(&access_b), None, &[]).await.assert(200);
    let sessions = app.get(&format!("/v1/identity-sessions?device_id={device_a}"), &t.key).await;
    assert!(sessions.body["data"].as_array().unwrap().iter().all(|s| s["revoked"] == true), "{}", sessions.text);
    let only_banned = app.get(&format!("/v1/devices?status=banned&game_id={game}"), &t.key).await;
    assert_eq!(only_banned.body["data"].as_array().unwrap().len(), 1);
    let ranked = app.get(&format!("/v1/scores?board_id={board}"), &t.key).await;
    assert_eq!(ranked.body["data"].as_array().unwrap().len(), 1, "a device ban leaves the player's entries");

    // Lifted: the device starts a new session.
    app.patch(&format!("/v1/devices/{device_a}"), &t.key, json!({"status": "active"})).await.assert(200);
    app.client(Method::POST, "/v1/client/sessions", None, Some(again), &[]).await.assert(201);
}
