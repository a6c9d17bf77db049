//! Several nodes on one PostgreSQL database, each with its own services and shared state as
//! separate processes have: what one commits reaches the others' rankings and caches through
//! the change log within the documented bound (docs/ARCHITECTURE.md, "Several nodes"). A node
//! that follows nobody (`alone`) is the control. Skipped, with the reason printed, without
//! PostgreSQL (and Redis, for the tests of the signal); CI runs them, once with the nodes woken
//! by PostgreSQL's `NOTIFY` and once through Redis (`PODIUM_TEST_SIGNAL=redis`).

use std::future::Future;
use std::time::{Duration, Instant};

use axum::http::Method;
use serde_json::json;

use podium::app::ClientSettings;
use podium_testkit::proxy::CutProxy;
use podium_testkit::redis::TestRedis;

use crate::helpers::TestApp;
use crate::shared_state::{ranked_players, setup};

/// The bound docs/ARCHITECTURE.md promises.
const BOUND: Duration = Duration::from_secs(1);

/// Waits until `check` holds, failing after [`BOUND`]; returns how long it took.
async fn within<F, Fut>(what: &str, mut check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let start = Instant::now();
    loop {
        if check().await {
            return start.elapsed();
        }
        assert!(start.elapsed() < BOUND, "{what}: not within {BOUND:?}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn mixed_writes_through_three_nodes_reach_every_node_within_a_second() {
    let Some(a) = TestApp::spawn_postgres().await else { return };
    let (t, _, board) = setup(&a).await;
    let (b, c) = (a.node().await, a.node().await);
    let alone = a.alone().await;
    let nodes = [&a, &b, &c];
    for i in 0..30 {
        let player = format!("p{}", i % 10);
        let body =
            json!({"board_id": board, "player_key": player, "player_name": player, "value": (i * 7 % 23) as f64});
        nodes[i % 3].post("/v1/score-events", &t.key, body).await.assert(201);
    }
    let path = format!("/v1/scores?board_id={board}&limit=20");
    // The truth: a node loaded from the database after every write.
    let truth = ranked_players(&a.restart().await.get(&path, &t.key).await);
    assert_eq!(truth.len(), 10);
    for node in nodes {
        within("every node ranks every write", || async { ranked_players(&node.get(&path, &t.key).await) == truth })
            .await;
    }
    assert_ne!(ranked_players(&alone.get(&path, &t.key).await), truth, "the control follows nobody");
}

#[tokio::test]
async fn one_player_submitting_through_two_nodes_at_once_has_one_entry_on_every_node() {
    let Some(a) = TestApp::spawn_postgres().await else { return };
    let (t, _, board) = setup(&a).await;
    let (b, c) = (a.node().await, a.node().await);
    // Both nodes move the same entry concurrently: each move names the place before and after,
    // so a follower applying them out of commit order would rank the player twice.
    let sends = (0..40).map(|i| {
        let (node, key, board) = (if i % 2 == 0 { &a } else { &b }, &t.key, &board);
        async move {
            let body = json!({"board_id": board, "player_key": "ada", "player_name": "ada", "value": f64::from(i)});
            node.post("/v1/score-events", key, body).await.assert(201);
        }
    });
    futures_util::future::join_all(sends).await;
    let path = format!("/v1/scores?board_id={board}");
    let truth = ranked_players(&a.restart().await.get(&path, &t.key).await);
    assert_eq!(truth, vec![("ada".to_owned(), 1)]);
    for node in [&a, &b, &c] {
        within("one entry everywhere", || async { ranked_players(&node.get(&path, &t.key).await) == truth }).await;
        let page = node.get(&path, &t.key).await;
        assert_eq!(page.body["data"][0]["value"], json!(39.0), "the best value everywhere: {}", page.text);
    }
}

#[tokio::test]
async fn a_revoked_key_and_a_ban_through_one_node_reach_the_others_within_a_second() {
    let Some(a) = TestApp::spawn_postgres().await else { return };
    let (t, game, board) = setup(&a).await;
    let b = a.node().await;
    let alone = a.alone().await;
    let extra = a.post("/v1/api-keys", &t.key, json!({"name": "ci", "user_id": t.user_id})).await;
    extra.assert(201);
    let key = extra.body["key"].as_str().unwrap().to_owned();
    b.get("/v1/games", &key).await.assert(200);
    alone.get("/v1/games", &key).await.assert(200);
    a.patch(&format!("/v1/api-keys/{}", extra.id()), &t.key, json!({"status": "revoked"})).await.assert(200);
    within("the revoked key is refused", || async { b.get("/v1/games", &key).await.status.as_u16() == 401 }).await;
    alone.get("/v1/games", &key).await.assert(200); // its cached grant, for up to 5 s

    // A player's session and entry: banned through `a`, gone from `b`'s rankings and sessions.
    let s = a.session(&game, "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd").await;
    let access = s.body["access_token"].as_str().unwrap().to_owned();
    let identity = s.body["identity_id"].as_str().unwrap().to_owned();
    a.client_submit(&access, &board, "Ada", 10.0).await.assert(201);
    let path = format!("/v1/scores?board_id={board}");
    within("the entry is ranked", || async { ranked_players(&b.get(&path, &t.key).await).len() == 1 }).await;
    b.client(Method::GET, "/v1/client/nonce", Some(&access), None, &[]).await.assert(200);
    a.patch(&format!("/v1/identities/{identity}"), &t.key, json!({"status": "banned"})).await.assert(200);
    within("the banned player's entry is gone", || async { ranked_players(&b.get(&path, &t.key).await).is_empty() })
        .await;
    within("the banned player's token is refused", || async {
        b.client(Method::GET, "/v1/client/nonce", Some(&access), None, &[]).await.status.as_u16() == 401
    })
    .await;
    a.patch(&format!("/v1/identities/{identity}"), &t.key, json!({"status": "active"})).await.assert(200);
    within("the lifted ban ranks the entry again", || async {
        ranked_players(&b.get(&path, &t.key).await) == vec![("Ada".to_owned(), 1)]
    })
    .await;
}

#[tokio::test]
async fn a_node_started_after_the_writes_serves_them_from_its_first_answer() {
    let Some(a) = TestApp::spawn_postgres().await else { return };
    let (t, _, board) = setup(&a).await;
    for (player, value) in [("ada", 30.0), ("bob", 20.0)] {
        let body = json!({"board_id": board, "player_key": player, "player_name": player, "value": value});
        a.post("/v1/score-events", &t.key, body).await.assert(201);
    }
    let late = a.node().await;
    let path = format!("/v1/scores?board_id={board}");
    let expected = vec![("ada".to_owned(), 1), ("bob".to_owned(), 2)];
    assert_eq!(ranked_players(&late.get(&path, &t.key).await), expected);
    // And it follows what comes after.
    let body = json!({"board_id": board, "player_key": "cy", "player_name": "cy", "value": 25.0});
    a.post("/v1/score-events", &t.key, body).await.assert(201);
    within("the late node follows", || async { ranked_players(&late.get(&path, &t.key).await).len() == 3 }).await;
}

#[tokio::test]
async fn a_change_logged_without_a_notification_is_read_by_the_next_poll() {
    let Some(a) = TestApp::spawn_postgres().await else { return };
    let t = a.tenant("acme").await;
    let b = a.node().await;
    let extra = a.post("/v1/api-keys", &t.key, json!({"name": "ci", "user_id": t.user_id})).await;
    extra.assert(201);
    let key = extra.body["key"].as_str().unwrap().to_owned();
    b.get("/v1/games", &key).await.assert(200);
    // Revoke the key behind every node's back and log the invalidation as a node would, but
    // without the NOTIFY: only the poll (every 500 ms by default) can find it.
    a.db.execute(&format!("UPDATE api_keys SET status = 'revoked' WHERE id = '{}'", extra.id())).await;
    a.db.execute(
        "INSERT INTO node_changes (seq, node, committer_applied, at, body) \
         SELECT COALESCE(MAX(seq), 0) + 1, 'elsewhere', TRUE, 0, '{\"kind\":\"invalidate\",\"what\":{\"what\":\"key_grants\"}}' FROM node_changes",
    )
    .await;
    let took =
        within("the poll finds the change", || async { b.get("/v1/games", &key).await.status.as_u16() == 401 }).await;
    assert!(took < Duration::from_millis(900), "{took:?}");
}

#[tokio::test]
async fn health_says_degraded_while_the_change_log_cannot_be_read_and_ok_once_it_can() {
    let Some(a) = TestApp::spawn_postgres().await else { return };
    let health = || async { a.call(Method::GET, "/v1/health", None, None).await };
    let ok = health().await;
    ok.assert(200);
    assert_eq!(
        (
            ok.body["status"].as_str(),
            ok.body["shared_state"].as_str().map(|s| s.starts_with("change log (several nodes)"))
        ),
        (Some("ok"), Some(true))
    );
    a.db.execute("ALTER TABLE node_changes RENAME TO node_changes_away").await;
    within("degraded", || async { health().await.body["status"] == "degraded" }).await;
    let degraded = health().await;
    degraded.assert(200);
    assert!(degraded.body["degraded"].as_str().unwrap().contains("change log"), "{}", degraded.text);
    a.db.execute("ALTER TABLE node_changes_away RENAME TO node_changes").await;
    within("ok again", || async { health().await.body["status"] == "ok" }).await;
}

#[tokio::test]
async fn a_community_judgement_and_a_site_ban_through_one_node_reach_the_others_leaderboards_within_a_second() {
    let Some(a) = TestApp::spawn_postgres().await else { return };
    let site = crate::community_runs::Site::new(&a).await;
    let b = a.node().await;
    let alone = a.alone().await;
    let path = format!("/v1/community/categories/{}/leaderboard", site.category);
    // Every node has indexed the category (first read) before the writes.
    for node in [&a, &b, &alone] {
        assert!(runners_on(node, &path).await.is_empty());
    }
    let ann = site.submitted(&a, &site.ann.1, site.run(&[], &site.pc, 400_000)).await;
    let moddy = site.submitted(&a, &site.moderator.1, site.run(&[], &site.pc, 300_000)).await;
    for run in [&ann, &moddy] {
        site.judge(&a, &site.boss.1, run, json!(true), None).await.assert(201);
    }
    let both = vec!["Moddy".to_owned(), "Ann".to_owned()];
    within("the approved runs rank on the other node", || async { runners_on(&b, &path).await == both }).await;
    // A site ban through `a` rejects the banned member's runs on every node, and ends their
    // token there too.
    b.as_member(Method::GET, "/v1/community/me", &site.moderator.1, None).await.assert(200);
    let ban = json!({"user_id": site.moderator.0, "reason": "cheating"});
    a.as_member(Method::POST, "/v1/community/bans", &site.boss.1, Some(ban)).await.assert(201);
    within("the banned member's run leaves the other node", || async {
        runners_on(&b, &path).await == vec!["Ann".to_owned()]
    })
    .await;
    within("the banned member's token is refused on the other node", || async {
        b.as_member(Method::GET, "/v1/community/me", &site.moderator.1, None).await.status.as_u16() == 401
    })
    .await;
    assert!(runners_on(&alone, &path).await.is_empty(), "the control follows nobody");
}

/// The first runner's name of each ranked run on a node's community leaderboard page.
async fn runners_on(node: &TestApp, path: &str) -> Vec<String> {
    let page = node.call(Method::GET, path, None, None).await;
    page.assert(200);
    page.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["run"]["runners"][0]["name"].as_str().unwrap_or("deleted").to_owned())
        .collect()
}

#[tokio::test]
async fn a_player_spreading_submissions_over_three_nodes_gets_the_hourly_limit_of_one() {
    let Some(a) = TestApp::spawn_postgres().await else { return };
    let t = a.tenant("ac").await;
    let limits = json!({"rate_limit_per_hour": {"c": 3}, "velocity_min_seconds": {"c": 0.000001}});
    let game = a.game_with_anti_cheat(&t, "Guarded", limits).await;
    let board = a.board(&t, &game, json!({"name": "B", "max_value": 1000, "is_published": true})).await.id();
    let (b, c) = (a.node().await, a.node().await);
    let alone = a.alone().await;
    // Two through `a` (a node that counted its own attempts twice, once when judging and once
    // from the log, would refuse the third), one through `b`.
    for (i, node) in [&a, &a, &b].into_iter().enumerate() {
        submit_p1(node, &t.key, &board, i as f64 + 1.0).await.assert(201);
        // Far beyond the feed's lag (p99 under 10 ms in BENCHMARKS.md).
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for node in [&a, &b, &c] {
        let r = submit_p1(node, &t.key, &board, 9.0).await;
        r.assert_problem(403, "rejected_by_anti_cheat");
        assert_eq!(r.body["detections"][0]["flag_type"], "rate_limit", "{}", r.text);
    }
    // The control counts only what it judged itself.
    submit_p1(&alone, &t.key, &board, 9.0).await.assert(201);
}

async fn submit_p1(node: &TestApp, key: &str, board: &str, value: f64) -> crate::helpers::Response {
    let body = json!({"board_id": board, "player_key": "p1", "player_name": "p1", "value": value});
    node.post("/v1/score-events", key, body).await
}

#[tokio::test]
async fn an_address_spreading_session_starts_over_nodes_gets_the_limit_of_one_and_a_nonce_is_spent_everywhere() {
    let settings = || podium::app::ClientSettings {
        edge: podium_api::edge::EdgeConfig { session_starts_per_minute: 3, ..Default::default() },
        ..Default::default()
    };
    let Some(a) = TestApp::spawn_postgres_with(settings()).await else { return };
    let (_, game, board) = setup(&a).await;
    let (b, c) = (a.node_with(settings()).await, a.node_with(settings()).await);
    let mut sessions = Vec::new();
    for node in [&a, &b, &c] {
        let s = start_session(node, &game).await;
        s.assert(201);
        sessions.push(s.body["access_token"].as_str().unwrap().to_owned());
        tokio::time::sleep(Duration::from_millis(200)).await; // far beyond the feed's lag
    }
    for node in [&a, &b, &c] {
        start_session(node, &game).await.assert_problem(429, "rate_limited");
    }
    // A nonce spent through one node is spent on every other (the database decides).
    let nonce = a.nonce(&sessions[0]).await;
    let body = json!({"board_id": board, "player_name": "Ada", "value": 1.0});
    send_with(&b, &sessions[0], &nonce, &body).await.assert(201);
    send_with(&c, &sessions[0], &nonce, &body).await.assert_problem(412, "nonce_used");
    send_with(&a, &sessions[0], &nonce, &body).await.assert_problem(412, "nonce_used");
}

async fn start_session(node: &TestApp, game: &str) -> crate::helpers::Response {
    let body = json!({"game_id": game, "client_fingerprint": "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"});
    node.client_from("198.51.100.9:1", Method::POST, "/v1/client/sessions", None, Some(body), &[]).await
}

async fn send_with(node: &TestApp, access: &str, nonce: &str, body: &serde_json::Value) -> crate::helpers::Response {
    node.client(Method::POST, "/v1/client/scores", Some(access), Some(body.clone()), &[("leadr-client-nonce", nonce)])
        .await
}

#[tokio::test]
async fn a_flag_reviewed_through_one_node_moves_the_entry_on_the_others_within_a_second() {
    use crate::anticheat::{flag_on, only_value_checks, ranking, setup, submit};
    let Some(a) = TestApp::spawn_postgres().await else { return };
    let (t, _, board) = setup(&a, only_value_checks()).await;
    let b = a.node().await;
    submit(&a, &t, &board, "ada", 50.0).await.assert(201);
    let cheat = submit(&a, &t, &board, "ada", 900.0).await;
    assert_eq!(cheat.body["score"]["status"], "under_review");
    submit(&b, &t, &board, "bob", 100.0).await.assert(201);
    let flagged =
        vec![("ada".to_owned(), 900.0, "under_review".to_owned()), ("bob".to_owned(), 100.0, "active".to_owned())];
    for node in [&a, &b] {
        within("the flagged entry ranks everywhere", || async { ranking(node, &t, &board).await == flagged }).await;
    }
    let flag = flag_on(&a, &t, &cheat.body, "progression").await;
    a.patch(&format!("/v1/score-flags/{flag}"), &t.key, json!({"status": "confirmed_cheat"})).await.assert(200);
    let confirmed = vec![("bob".to_owned(), 100.0, "active".to_owned()), ("ada".to_owned(), 50.0, "active".to_owned())];
    within("the confirmed cheat leaves the other node's ranking", || async {
        ranking(&b, &t, &board).await == confirmed
    })
    .await;
    // Taken back through the other node: under review again on the first.
    b.patch(&format!("/v1/score-flags/{flag}"), &t.key, json!({"status": "pending"})).await.assert(200);
    within("the value is back on the first node", || async { ranking(&a, &t, &board).await == flagged }).await;
}

#[tokio::test]
async fn failed_logins_spread_over_two_nodes_are_limited_as_on_one() {
    let Some(a) = TestApp::spawn_postgres().await else { return };
    let b = a.node().await;
    a.community_member("Ada").await;
    // Ten failures for one member, five through each node, from ten addresses: the eleventh
    // try is refused on both, even with the right password.
    for i in 0..10 {
        let node = if i % 2 == 0 { &a } else { &b };
        login_from(node, &format!("198.51.100.{i}:1"), "ada", "Wrong1234").await.assert_problem(401, "unauthorized");
        tokio::time::sleep(Duration::from_millis(50)).await; // far beyond the feed's lag
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    for node in [&a, &b] {
        login_from(node, "198.51.100.77:1", "ada", "Secret123").await.assert_problem(429, "rate_limited");
    }
}

async fn login_from(node: &TestApp, peer: &str, who: &str, password: &str) -> crate::helpers::Response {
    let body = json!({"name_or_email": who, "password": password});
    node.client_from(peer, Method::POST, "/v1/community/login", None, Some(body), &[]).await
}

async fn health(node: &TestApp) -> crate::helpers::Response {
    node.call(Method::GET, "/v1/health", None, None).await
}

#[tokio::test]
async fn nodes_woken_through_redis_converge_within_a_second_and_postgres_is_never_notified() {
    let Some(redis) = TestRedis::get() else { return };
    // A poll a minute apart: only the signal can bring a change within the bound.
    let slow = || ClientSettings { change_poll: Duration::from_secs(60), ..ClientSettings::default() };
    let Some(a) = TestApp::spawn_postgres_on_redis(slow(), redis).await else { return };
    let mut notifications = sqlx::postgres::PgListener::connect(a.db.url()).await.unwrap();
    notifications.listen("podium_changes").await.unwrap();
    let (t, _, board) = setup(&a).await;
    let b = a.node_with(slow()).await;
    let shown = health(&b).await;
    assert_eq!(shown.body["shared_state"], "change log (several nodes), woken by Redis", "{}", shown.text);
    assert_eq!(shown.body["status"], "ok");
    for i in 0..12 {
        let player = format!("p{}", i % 4);
        let body = json!({"board_id": board, "player_key": player, "player_name": player, "value": f64::from(i)});
        [&a, &b][i as usize % 2].post("/v1/score-events", &t.key, body).await.assert(201);
    }
    let path = format!("/v1/scores?board_id={board}");
    let truth = ranked_players(&a.alone().await.get(&path, &t.key).await);
    assert_eq!(truth.len(), 4);
    for node in [&a, &b] {
        within("woken through Redis", || async { ranked_players(&node.get(&path, &t.key).await) == truth }).await;
    }
    let heard = tokio::time::timeout(Duration::from_millis(300), notifications.recv()).await;
    assert!(heard.is_err(), "PostgreSQL notified although Redis carries the signal: {heard:?}");
}

#[tokio::test]
async fn with_redis_cut_off_nodes_keep_accepting_say_degraded_converge_by_polling_and_recover_when_it_returns() {
    let Some(redis) = TestRedis::get() else { return };
    let proxy = CutProxy::start(redis.address()).await;
    let through_proxy = TestRedis { url: redis.url_via(proxy.addr()), ..redis.clone() };
    let polling = || ClientSettings { change_poll: Duration::from_millis(300), ..ClientSettings::default() };
    let Some(a) = TestApp::spawn_postgres_on_redis(polling(), through_proxy).await else { return };
    let (t, _, board) = setup(&a).await;
    let b = a.node_with(polling()).await;
    for node in [&a, &b] {
        assert_eq!(health(node).await.body["status"], "ok");
    }
    let path = format!("/v1/scores?board_id={board}");
    proxy.cut();
    for (i, player) in ["ada", "bob", "cyd"].into_iter().enumerate() {
        let body = json!({"board_id": board, "player_key": player, "player_name": player, "value": i as f64});
        a.post("/v1/score-events", &t.key, body).await.assert(201);
    }
    let truth = ranked_players(&a.alone().await.get(&path, &t.key).await);
    assert_eq!(truth.len(), 3);
    within("converged by polling while Redis is away", || async {
        ranked_players(&b.get(&path, &t.key).await) == truth
    })
    .await;
    for node in [&a, &b] {
        within("degraded while Redis is away", || async { health(node).await.body["status"] == "degraded" }).await;
        let shown = health(node).await;
        shown.assert(200);
        let why = shown.body["degraded"].as_str().unwrap();
        assert!(why.contains("Redis") && why.contains("every 300 ms"), "{why}");
    }

    proxy.mend();
    for node in [&a, &b] {
        within("ok once Redis is back", || async { health(node).await.body["status"] == "ok" }).await;
    }
    // The signal carries again: a watcher on the deployment's channel hears A's next write.
    let watcher = podium_store::RedisSignal::connect(&redis.url, &redis.prefix).await.unwrap();
    let mut bell = podium_core::shared::Signal::listen(&*watcher, "watcher").await.unwrap();
    let body = json!({"board_id": board, "player_key": "dee", "player_name": "dee", "value": 9.0});
    a.post("/v1/score-events", &t.key, body).await.assert(201);
    tokio::time::timeout(BOUND, bell.rung()).await.expect("A signals through Redis again").unwrap();
    within("and B ranks it", || async { ranked_players(&b.get(&path, &t.key).await).len() == 4 }).await;
}

/// Every node's ranking of `board`, once each equals a node loaded afresh from the database.
async fn every_node_agrees_with_the_database(nodes: &[&TestApp], t: &crate::helpers::Tenant, board: &str) {
    use crate::anticheat::ranking;
    let truth = ranking(&nodes[0].alone().await, t, board).await;
    for node in nodes {
        within("every node ranks as the database", || async { ranking(node, t, board).await == truth }).await;
    }
}

#[tokio::test]
async fn reviews_racing_submissions_of_the_same_player_through_another_node_leave_every_node_as_the_database() {
    use crate::anticheat::{flag_on, only_value_checks, setup, submit};
    let Some(a) = TestApp::spawn_postgres().await else { return };
    let (t, _, board) = setup(&a, only_value_checks()).await;
    let (b, c) = (a.node().await, a.node().await);
    submit(&a, &t, &board, "ada", 50.0).await.assert(201);
    let cheat = submit(&a, &t, &board, "ada", 900.0).await;
    let flag = flag_on(&a, &t, &cheat.body, "progression").await;
    // A review re-reads the player's events and replaces the entry; a submission of the same
    // player committing through another node in between would be lost from the replay, and
    // its move applied out of order elsewhere, if the review did not run in the log's order.
    let reviews = async {
        for i in 0..8 {
            let status = if i % 2 == 0 { "confirmed_cheat" } else { "pending" };
            a.patch(&format!("/v1/score-flags/{flag}"), &t.key, json!({"status": status})).await.assert(200);
        }
    };
    let submissions = async {
        for i in 0..16 {
            submit(&b, &t, &board, "ada", 51.0 + f64::from(i)).await.assert(201);
        }
    };
    tokio::join!(reviews, submissions);
    every_node_agrees_with_the_database(&[&a, &b, &c], &t, &board).await;
    let ranked = crate::anticheat::ranking(&c, &t, &board).await;
    assert_eq!(ranked.len(), 1, "one entry for the player: {ranked:?}");
}

#[tokio::test]
async fn bans_racing_submissions_of_the_same_player_through_another_node_leave_every_node_as_the_database() {
    use crate::anticheat::{only_value_checks, setup, submit};
    let Some(a) = TestApp::spawn_postgres().await else { return };
    let (t, _, board) = setup(&a, only_value_checks()).await;
    let (b, c) = (a.node().await, a.node().await);
    let first = submit(&a, &t, &board, "ada", 50.0).await;
    first.assert(201);
    let identity = first.body["identity_id"].as_str().unwrap().to_owned();
    let bans = async {
        for i in 0..8 {
            let status = if i % 2 == 0 { "banned" } else { "active" };
            a.patch(&format!("/v1/identities/{identity}"), &t.key, json!({"status": status})).await.assert(200);
        }
    };
    let submissions = async {
        for i in 0..16 {
            // A banned player's submission may be refused; either way it must not split nodes.
            let r = submit(&b, &t, &board, "ada", 51.0 + f64::from(i)).await;
            assert!(r.status.is_success() || r.status.is_client_error(), "{}", r.text);
        }
    };
    tokio::join!(bans, submissions);
    every_node_agrees_with_the_database(&[&a, &b, &c], &t, &board).await;
}

/// One activity event: a game `id` between alice and bob a minute ago, alice winning.
fn activity_game(id: &str) -> serde_json::Value {
    let at = (chrono::Utc::now() - chrono::Duration::minutes(1)).to_rfc3339();
    json!({"event_id": id, "type": "game_completed", "at": at, "players": ["alice", "bob"], "winner": "alice",
        "duration_s": 120, "moves": 9})
}

#[tokio::test]
async fn activity_scores_are_written_by_the_lease_holder_read_everywhere_and_taken_over_when_it_ends() {
    let Some(a) = TestApp::spawn_postgres().await else { return };
    let t = a.tenant("acme").await;
    let game = a.game(&t, "Divan").await;
    let b = a.node().await;
    async fn send_on(node: &TestApp, key: &str, game: &str, id: &str) -> crate::helpers::Response {
        node.post("/v1/activity/events", key, json!({"game_id": game, "events": [activity_game(id)]})).await
    }
    let send = |node, id| send_on(node, &t.key, &game, id);
    let alice = format!("/v1/activity/users/alice?game_id={game}");
    // The first node took the lease at start-up: it writes activity, the other refuses writes
    // (and counts nothing), so a game's counts and days are never two nodes' memories; it
    // answers reads from the database, loading the game afresh once it changed.
    send(&a, "g1").await.assert(200);
    send(&b, "g2").await.assert_problem(503, "activity_elsewhere");
    assert_eq!(a.get(&alice, &t.key).await.body["total"], 200);
    let board = format!("/v1/activity/leaderboard?game_id={game}&period=all_time");
    for node in [&a, &b] {
        let day = node.get(&alice, &t.key).await;
        day.assert(200);
        assert_eq!(
            (day.body["total"].as_i64(), day.body["streak_days"].as_u64()),
            (Some(200), Some(1)),
            "{}",
            day.text
        );
        let ranked = node.get(&board, &t.key).await;
        assert_eq!(ranked.body["data"][0], json!({"rank": 1, "user": "alice", "points": 200}), "{}", ranked.text);
    }
    // A later write through the holder: the reading node follows it.
    let bob = format!("/v1/activity/users/bob?game_id={game}");
    let before = b.get(&bob, &t.key).await.body["total"].clone();
    let later = json!({"event_id": "g1b", "type": "game_completed",
        "at": (chrono::Utc::now() - chrono::Duration::minutes(1)).to_rfc3339(),
        "players": ["bob", "cyd"], "winner": "bob", "duration_s": 120, "moves": 9});
    a.post("/v1/activity/events", &t.key, json!({"game_id": game, "events": [later]})).await.assert(200);
    let after = a.get(&bob, &t.key).await.body["total"].clone();
    assert_ne!(after, before);
    assert_eq!(b.get(&bob, &t.key).await.body["total"], after, "the reading node follows the holder's writes");

    // The holder's database connection ends (a node lost, or cut off): the server releases
    // the lease, the holder stops serving within a second, and the other node takes over with
    // everything the first one acknowledged, loaded afresh from the database.
    a.db.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' \
         AND classid::bigint = (112111100105118 >> 32) AND objid::bigint = (112111100105118 & 4294967295)",
    )
    .await;
    // At once, before it notices: its write is refused in its transaction (the lease fences
    // every activity write), so nothing it could still acknowledge escapes the next holder.
    let late = send(&a, "g-late").await;
    assert_eq!(late.status.as_u16(), 503, "{}", late.text);
    let start = Instant::now();
    let third = loop {
        let r = send(&b, "g3").await;
        if r.status.as_u16() == 200 {
            break r;
        }
        r.assert_problem(503, "activity_elsewhere"); // refused, nothing counted: safe to retry
        assert!(start.elapsed() < Duration::from_secs(5), "no node took over");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let earned = third.body["results"][0]["points"]["alice"].as_i64().unwrap_or(0);
    assert_eq!(b.get(&alice, &t.key).await.body["total"], 200 + earned, "{}", third.text);
    send(&a, "g4").await.assert_problem(503, "activity_elsewhere");
    assert_eq!(a.get(&alice, &t.key).await.body["total"], 200 + earned, "and the former holder reads it");
}

#[tokio::test]
async fn nodes_starting_at_once_with_one_bootstrap_key_all_start_and_one_creates_the_superadmin() {
    use podium_core::service::BootstrapOutcome;
    let Some(db) = podium_testkit::TestDb::postgres().await else { return };
    let states =
        futures_util::future::join_all((0..4).map(|_| async { podium::app::state(db.store()).await.unwrap() })).await;
    let outcomes = futures_util::future::join_all(
        states.iter().map(|s| s.admin.bootstrap(Some(crate::helpers::SUPERADMIN_KEY), false)),
    )
    .await;
    let outcomes: Vec<BootstrapOutcome> = outcomes.into_iter().map(|o| o.expect("every node starts")).collect();
    let created = outcomes.iter().filter(|o| matches!(o, BootstrapOutcome::Created { .. })).count();
    assert_eq!(created, 1, "{outcomes:?}");
    assert!(outcomes.iter().all(|o| matches!(o, BootstrapOutcome::Created { .. } | BootstrapOutcome::AlreadyPresent)));
    for s in &states {
        assert!(s.admin.authenticate(crate::helpers::SUPERADMIN_KEY).await.unwrap().super_admin);
    }
}

#[tokio::test]
async fn a_board_closed_and_reopened_through_one_node_is_closed_and_reopened_on_the_others_within_a_second() {
    let Some(a) = TestApp::spawn_postgres().await else { return };
    let (t, _, board) = setup(&a).await;
    let b = a.node().await;
    async fn status_of(node: &TestApp, key: &str, board: &str, value: f64) -> u16 {
        let body = json!({"board_id": board, "player_key": "ada", "player_name": "ada", "value": value});
        node.post("/v1/score-events", key, body).await.status.as_u16()
    }
    let submit = |node, value| status_of(node, &t.key, &board, value);
    assert_eq!(submit(&b, 1.0).await, 201, "open, and cached as open on the other node");
    let path = format!("/v1/boards/{board}");
    a.patch(&path, &t.key, json!({"is_active": false})).await.assert(200);
    within("closed on the other node", || async { submit(&b, 2.0).await == 409 }).await;
    a.patch(&path, &t.key, json!({"is_active": true})).await.assert(200);
    within("open again on the other node", || async { submit(&b, 3.0).await == 201 }).await;
    // Renamed through the other node: the first shows the new name at once.
    b.patch(&path, &t.key, json!({"name": "Laps"})).await.assert(200);
    within("renamed everywhere", || async { a.get(&path, &t.key).await.body["name"] == "Laps" }).await;
}

#[tokio::test]
async fn three_nodes_running_the_schedule_at_once_stamp_each_period_out_once() {
    let Some(a) = TestApp::spawn_postgres().await else { return };
    let (b, c) = (a.node().await, a.node().await);
    let t = a.tenant("acme").await;
    let game = a.game(&t, "Space Race").await;
    let body = json!({"name": "Daily", "game_id": game, "schedule": "daily", "starts_at": "2030-01-01T00:00:00Z"});
    let tpl = a.post("/v1/board-templates", &t.key, body).await;
    tpl.assert(201);
    let at: chrono::DateTime<chrono::Utc> = "2030-01-20T12:00:00Z".parse().unwrap();
    for _ in 0..3 {
        let (ra, rb, rc) = tokio::join!(
            a.state.admin.run_schedules(at),
            b.state.admin.run_schedules(at),
            c.state.admin.run_schedules(at)
        );
        let created = ra.unwrap().created + rb.unwrap().created + rc.unwrap().created;
        assert!(created <= 20, "{created} boards stamped out for 20 periods");
    }
    let boards = a.get(&format!("/v1/boards?template_id={}&limit=100", tpl.id()), &t.key).await;
    let series: Vec<i64> =
        boards.body["data"].as_array().unwrap().iter().map(|b| b["series"].as_i64().unwrap()).collect();
    assert_eq!(series, (1..=20).rev().collect::<Vec<_>>(), "every period once, none twice");
    let active = boards.body["data"].as_array().unwrap().iter().filter(|b| b["is_active"] == true).count();
    assert_eq!(active, 1, "only the period in progress is open");
}
