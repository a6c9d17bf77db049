//! The shared-state seam (docs/ARCHITECTURE.md, "State a node keeps in memory"): two nodes over
//! one database that share one shared state answer alike — whatever one commits reaches the
//! other's rankings and caches through the change feed at once, and the rate buckets and nonce
//! claims are one. A node with a shared state of its own (today's separate process) is the
//! control: it learns of the same writes only when its caches expire or it restarts. (Nodes
//! with shared states of their own that follow each other through the change log are
//! `several_nodes`.)

use axum::http::Method;
use podium::app::ClientSettings;
use podium_api::ApiConfig;
use podium_api::edge::EdgeConfig;
use serde_json::json;

use crate::helpers::{Tenant, TestApp};

const FP: &str = "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";

pub(crate) async fn setup(app: &TestApp) -> (Tenant, String, String) {
    let t = app.tenant("acme").await;
    let game = app.game(&t, "Space Race").await;
    let board = app.board(&t, &game, json!({"name": "High Scores", "is_published": true})).await;
    board.assert(201);
    (t, game, board.id())
}

pub(crate) fn ranked_players(r: &crate::helpers::Response) -> Vec<(String, u64)> {
    r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| Some((s["player_name"].as_str()?.to_owned(), s["rank"].as_u64()?)))
        .collect()
}

#[tokio::test]
async fn a_score_submitted_through_one_node_is_ranked_on_the_other_at_once() {
    let a = TestApp::spawn().await;
    let (t, _, board) = setup(&a).await;
    let b = a.second_node(ClientSettings::default()).await;
    let alone = a.alone().await;
    for (player, value) in [("ada", 30.0), ("bob", 20.0)] {
        let body = json!({"board_id": board, "player_key": player, "player_name": player, "value": value});
        a.post("/v1/score-events", &t.key, body).await.assert(201);
    }
    let body = json!({"board_id": board, "player_key": "cy", "player_name": "cy", "value": 25.0});
    b.post("/v1/score-events", &t.key, body).await.assert(201);
    let path = format!("/v1/scores?board_id={board}");
    let expected = vec![("ada".to_owned(), 1), ("cy".to_owned(), 2), ("bob".to_owned(), 3)];
    assert_eq!(ranked_players(&a.get(&path, &t.key).await), expected);
    assert_eq!(ranked_players(&b.get(&path, &t.key).await), expected);
    // The control: its rankings were loaded before these writes and nothing feeds them.
    assert_ne!(ranked_players(&alone.get(&path, &t.key).await), expected);
}

#[tokio::test]
async fn a_key_revoked_through_one_node_is_refused_by_the_other_at_once() {
    let a = TestApp::spawn().await;
    let t = a.tenant("acme").await;
    let b = a.second_node(ClientSettings::default()).await;
    let alone = a.alone().await;
    let extra = a.post("/v1/api-keys", &t.key, json!({"name": "ci", "user_id": t.user_id})).await;
    extra.assert(201);
    let key = extra.body["key"].as_str().unwrap().to_owned();
    // Both nodes have verified (and cached) the key.
    b.get("/v1/games", &key).await.assert(200);
    alone.get("/v1/games", &key).await.assert(200);
    a.patch(&format!("/v1/api-keys/{}", extra.id()), &t.key, json!({"status": "revoked"})).await.assert(200);
    b.get("/v1/games", &key).await.assert_problem(401, "unauthorized");
    // The control still serves its cached grant (for up to CACHE_TTL).
    alone.get("/v1/games", &key).await.assert(200);
}

#[tokio::test]
async fn a_player_banned_through_one_node_leaves_the_other_nodes_rankings_and_sessions_at_once() {
    let a = TestApp::spawn().await;
    let (t, game, board) = setup(&a).await;
    let b = a.second_node(ClientSettings::default()).await;
    let s = a.session(&game, FP).await;
    let access = s.body["access_token"].as_str().unwrap().to_owned();
    let identity = s.body["identity_id"].as_str().unwrap().to_owned();
    a.client_submit(&access, &board, "Ada", 10.0).await.assert(201);
    let path = format!("/v1/scores?board_id={board}");
    assert_eq!(ranked_players(&b.get(&path, &t.key).await), vec![("Ada".to_owned(), 1)]);
    // The other node has verified (and cached) the player's token.
    b.client(Method::GET, "/v1/client/nonce", Some(&access), None, &[]).await.assert(200);
    a.patch(&format!("/v1/identities/{identity}"), &t.key, json!({"status": "banned"})).await.assert(200);
    assert_eq!(ranked_players(&b.get(&path, &t.key).await), vec![]);
    b.client(Method::GET, "/v1/client/nonce", Some(&access), None, &[]).await.assert_problem(401, "unauthorized");
    // Lifting the ban ranks the entry again on both.
    a.patch(&format!("/v1/identities/{identity}"), &t.key, json!({"status": "active"})).await.assert(200);
    assert_eq!(ranked_players(&b.get(&path, &t.key).await), vec![("Ada".to_owned(), 1)]);
}

#[tokio::test]
async fn the_session_start_limit_and_nonce_single_use_hold_across_nodes_sharing_one_state() {
    let settings = || ClientSettings {
        edge: EdgeConfig { session_starts_per_minute: 3, ..EdgeConfig::default() },
        ..ClientSettings::default()
    };
    let a = TestApp::spawn_with_settings(ApiConfig::default(), settings()).await;
    let (_, game, board) = setup(&a).await;
    let b = a.second_node(settings()).await;
    start(&a, &game).await.assert(201);
    start(&b, &game).await.assert(201);
    let s = start(&a, &game).await;
    s.assert(201);
    start(&b, &game).await.assert_problem(429, "rate_limited");
    // A nonce spent through one node is spent for the other.
    let access = s.body["access_token"].as_str().unwrap().to_owned();
    let nonce = a.nonce(&access).await;
    send(&a, &access, &nonce, &board).await.assert(201);
    send(&b, &access, &nonce, &board).await.assert_problem(412, "nonce_used");
}

async fn start(node: &TestApp, game: &str) -> crate::helpers::Response {
    let body = json!({"game_id": game, "client_fingerprint": FP});
    node.client_from("198.51.100.9:1", Method::POST, "/v1/client/sessions", None, Some(body), &[]).await
}

async fn send(node: &TestApp, access: &str, nonce: &str, board: &str) -> crate::helpers::Response {
    let body = json!({"board_id": board, "player_name": "Ada", "value": 1.0});
    node.client(Method::POST, "/v1/client/scores", Some(access), Some(body), &[("leadr-client-nonce", nonce)]).await
}
