//! Activity scores through the router (activity spec): the policy document, event batches and
//! their outcomes, the seed's three scenarios, idempotency, the time window, users' days, the
//! live rankings and the history.

use axum::http::Method;
use chrono::{Duration, Utc};
use serde_json::{Value, json};

use crate::helpers::{Response, Tenant, TestApp};

struct Site {
    app: TestApp,
    t: Tenant,
    game: String,
}

impl Site {
    async fn new() -> Self {
        let app = TestApp::spawn().await;
        let t = app.tenant("acme").await;
        let game = app.game(&t, "Divan").await;
        Self { app, t, game }
    }

    async fn send(&self, events: Value) -> Response {
        self.app.post("/v1/activity/events", &self.t.key, json!({"game_id": self.game, "events": events})).await
    }

    /// Sends events and returns their results.
    async fn results(&self, events: Value) -> Vec<Value> {
        let r = self.send(events).await;
        r.assert(200);
        r.body["results"].as_array().unwrap().clone()
    }

    async fn get(&self, path: &str) -> Response {
        self.app.get(path, &self.t.key).await
    }
}

/// `minutes` ago, RFC 3339.
/// A fixed-offset zone (`Etc/GMT±N`) whose local time is now between 11:00 and 13:00, so that
/// events of the last two hours fall on one open day whenever the test runs.
fn midday_zone() -> String {
    use chrono::Timelike;
    let offset = 12 - i64::from(Utc::now().hour());
    // IANA's Etc zones count the other way: Etc/GMT-5 is five hours ahead of UTC.
    if offset >= 0 { format!("Etc/GMT-{offset}") } else { format!("Etc/GMT+{}", -offset) }
}

fn ago(minutes: i64) -> String {
    (Utc::now() - Duration::minutes(minutes)).to_rfc3339()
}

fn game(id: &str, at: &str, a: &str, b: &str, winner: Option<&str>, duration: u32, moves: u32) -> Value {
    json!({"event_id": id, "type": "game_completed", "at": at, "players": [a, b], "winner": winner,
        "duration_s": duration, "moves": moves})
}

#[tokio::test]
async fn scenario_1_alice_and_bob_alice_wins_200_to_50() {
    let site = Site::new().await;
    let results = site.results(json!([game("g1", &ago(1), "alice", "bob", Some("alice"), 120, 9)])).await;
    assert_eq!(results[0]["outcome"], "counted");
    assert_eq!(results[0]["points"], json!({"alice": 200, "bob": 50}));
    let alice = site.get(&format!("/v1/activity/users/alice?game_id={}", site.game)).await;
    alice.assert(200);
    assert_eq!(alice.body["points"]["games"], 200);
    assert_eq!((alice.body["total"].as_i64(), alice.body["streak_days"].as_u64()), (Some(200), Some(1)));
    let board = site.get(&format!("/v1/activity/leaderboard?game_id={}&category=games", site.game)).await;
    board.assert(200);
    assert_eq!(
        board.body["data"],
        json!([{"rank": 1, "user": "alice", "points": 200}, {"rank": 2, "user": "bob", "points": 50}])
    );
}

#[tokio::test]
async fn scenario_2_charlie_and_dave_first_two_games_count_the_other_three_are_capped() {
    let site = Site::new().await;
    // Five games within one hour, the second 31 minutes after the first.
    let games = json!([
        game("c1", &ago(60), "charlie", "dave", Some("charlie"), 45, 10),
        game("c2", &ago(29), "dave", "charlie", None, 50, 10),
        game("c3", &ago(20), "charlie", "dave", None, 40, 10),
        game("c4", &ago(10), "charlie", "dave", None, 35, 10),
        game("c5", &ago(1), "charlie", "dave", None, 55, 10),
    ]);
    let outcomes: Vec<Value> = site.results(games).await.iter().map(|r| r["outcome"].clone()).collect();
    assert_eq!(outcomes, [json!("counted"), json!("counted"), json!("capped"), json!("capped"), json!("capped")]);
}

#[tokio::test]
async fn scenario_3_eve_rejoins_on_cooldown_then_is_blocked() {
    let site = Site::new().await;
    let results = site
        .results(json!([
            {"event_id": "m0", "type": "room_created", "at": ago(30), "host": "hana", "room": "r1"},
            {"event_id": "m1", "type": "room_joined", "at": ago(20), "user": "eve", "room": "r1"},
            {"event_id": "m2", "type": "room_left", "at": ago(18), "user": "eve", "room": "r1"},
            {"event_id": "m3", "type": "room_joined", "at": ago(17), "user": "eve", "room": "r1"},
            {"event_id": "m4", "type": "room_joined", "at": ago(16), "user": "eve", "room": "r1"},
        ]))
        .await;
    let outcomes: Vec<&str> = results.iter().map(|r| r["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, ["counted", "counted", "invalid", "cooldown", "blocked"]);
    assert_eq!(results[2]["points"], json!({}), "a two-minute stay earns nothing");
    assert!(results[2]["reasons"].as_array().unwrap().contains(&json!("stay_too_short")));
    assert!(results[4]["reasons"].as_array().unwrap().contains(&json!("rapid_join_leave")));
}

#[tokio::test]
async fn a_retried_batch_counts_nothing_twice_and_repeats_in_one_batch_are_duplicates() {
    let site = Site::new().await;
    let batch = json!([
        {"event_id": "d1", "type": "dm_sent", "at": ago(1), "from": "ann", "to": "bo"},
        {"event_id": "d1", "type": "dm_sent", "at": ago(1), "from": "ann", "to": "bo"},
    ]);
    let first = site.results(batch.clone()).await;
    assert_eq!((first[0]["outcome"].as_str(), first[1]["outcome"].as_str()), (Some("counted"), Some("duplicate")));
    let again = site.results(batch).await;
    assert!(
        again
            .iter()
            .all(|r| r["outcome"] == "duplicate" && r["points"] == json!({}) && r["reasons"] == json!(["duplicate"]))
    );
    let ann = site.get(&format!("/v1/activity/users/ann?game_id={}", site.game)).await;
    assert_eq!(ann.body["points"]["friends"], 2);
    assert_eq!(ann.body["counters"]["dms"], json!({"count": 1, "cap": 50}));
}

#[tokio::test]
async fn events_outside_the_time_window_or_malformed_are_invalid_and_a_batch_without_ids_is_refused() {
    let site = Site::new().await;
    let ahead = (Utc::now() + Duration::minutes(10)).to_rfc3339();
    let results = site
        .results(json!([
            {"event_id": "old", "type": "room_message", "at": ago(25 * 60), "user": "u", "room": "r"},
            {"event_id": "ahead", "type": "room_message", "at": ahead, "user": "u", "room": "r"},
            {"event_id": "bad", "type": "game_completed", "players": ["a"], "duration_s": 60, "moves": 5},
            {"event_id": "short", "type": "game_completed", "players": ["a", "b"], "duration_s": 10, "moves": 5},
            {"event_id": "now", "type": "room_message", "user": "u", "room": "r"},
        ]))
        .await;
    assert_eq!(results[0]["reasons"], json!(["too_old"]));
    assert_eq!(results[1]["reasons"], json!(["in_future"]));
    assert_eq!(results[2]["outcome"], "invalid");
    assert_eq!(results[2]["errors"]["players"], json!(["too_few"]));
    assert_eq!(
        (results[3]["outcome"].as_str(), results[3]["reasons"][0].as_str()),
        (Some("invalid"), Some("game_too_short"))
    );
    assert_eq!(results[4]["outcome"], "counted", "`at` defaults to now");
    let refused = site.send(json!([{"type": "dm_sent", "from": "a", "to": "b"}])).await;
    refused.assert_problem(422, "validation_failed");
    assert_eq!(refused.field_errors("events[0].event_id"), ["required"]);
    site.send(json!([])).await.assert_problem(422, "validation_failed");
    let many: Vec<Value> = (0..1001)
        .map(|i| json!({"event_id": format!("e{i}"), "type": "room_message", "user": "u", "room": "r"}))
        .collect();
    let r = site.send(Value::Array(many)).await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.field_errors("events"), ["too_many"]);
    let other = site.app.tenant("other").await;
    let foreign = site
        .app
        .post(
            "/v1/activity/events",
            &other.key,
            json!({"game_id": site.game, "events": [{"event_id": "x", "type": "dm_sent", "from": "a", "to": "b"}]}),
        )
        .await;
    foreign.assert_problem(404, "not_found");
}

#[tokio::test]
async fn the_policy_defaults_to_the_seed_is_validated_as_a_whole_and_applies_to_later_events() {
    let site = Site::new().await;
    let path = format!("/v1/activity/policy?game_id={}", site.game);
    let policy = site.get(&path).await;
    policy.assert(200);
    assert_eq!(policy.body["daily_caps"]["room_messages"], 50);
    assert_eq!(policy.body["time_zone"], "UTC");
    let bad = site
        .app
        .call(
            Method::PUT,
            &path,
            Some(&site.t.key),
            Some(json!({"daily_caps": {"dms": -1, "x": 1}, "time_zone": "Nowhere/Else"})),
        )
        .await;
    bad.assert_problem(422, "validation_failed");
    assert_eq!(bad.field_errors("daily_caps.dms"), ["out_of_range"]);
    assert_eq!(bad.field_errors("daily_caps.x"), ["unknown_field"]);
    assert_eq!(bad.field_errors("time_zone"), ["invalid_value"]);
    let first = site.results(json!([{"event_id": "a1", "type": "room_message", "user": "u", "room": "r"}])).await;
    assert_eq!(first[0]["points"], json!({"u": 1}));
    let put = site
        .app
        .call(
            Method::PUT,
            &path,
            Some(&site.t.key),
            Some(json!({"weights": {"room_message": 7}, "daily_caps": {"room_messages": 2}})),
        )
        .await;
    put.assert(200);
    assert_eq!(put.body["weights"]["room_message"], 7);
    let later = site
        .results(json!([
            {"event_id": "a2", "type": "room_message", "user": "u", "room": "r"},
            {"event_id": "a3", "type": "room_message", "user": "u", "room": "r2"},
        ]))
        .await;
    assert_eq!(later[0]["points"], json!({"u": 7}));
    assert_eq!(later[1]["outcome"], "capped", "the cap of 2 counts the message before the change");
    assert_eq!(site.get(&path).await.body["weights"]["room_message"], 7);
}

#[tokio::test]
async fn the_leaderboard_pages_with_cursors_shares_ranks_and_centres_on_a_user() {
    let site = Site::new().await;
    let mut events = Vec::new();
    for i in 0..7 {
        // u0 and u1 tie: one game each against a distinct opponent.
        events.push(game(&format!("g{i}"), &ago(5), &format!("u{i}"), &format!("x{i}"), Some(&format!("u{i}")), 60, 5));
    }
    site.results(Value::Array(events)).await;
    let base = format!("/v1/activity/leaderboard?game_id={}&period=all_time&limit=5", site.game);
    let first = site.get(&base).await;
    first.assert(200);
    let ranks: Vec<u64> = first.body["data"].as_array().unwrap().iter().map(|r| r["rank"].as_u64().unwrap()).collect();
    assert_eq!(ranks, [1, 1, 1, 1, 1], "seven winners tie at 200");
    let next = first.body["pagination"]["next_cursor"].as_str().unwrap();
    let second = site.get(&format!("{base}&cursor={next}")).await;
    second.assert(200);
    let users: Vec<String> = [&first, &second]
        .iter()
        .flat_map(|r| r.body["data"].as_array().unwrap().iter().map(|x| x["user"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(users.len(), 10);
    assert_eq!(users.iter().collect::<std::collections::HashSet<_>>().len(), 10, "pages never overlap");
    assert_eq!(second.body["data"][4]["rank"], 8);
    let around = site.get(&format!("{base}&around_user=x3")).await;
    assert!(around.body["data"].as_array().unwrap().iter().any(|r| r["user"] == "x3"));
    site.get(&format!("{base}&category=fame")).await.assert_problem(422, "validation_failed");
    site.get(&format!("{base}&cursor=garbage")).await.assert_problem(400, "invalid_cursor");
}

#[tokio::test]
async fn the_history_lists_a_users_judged_events_newest_first_refused_ones_included() {
    let site = Site::new().await;
    site.results(json!([
        game("h1", &ago(40), "ann", "bo", Some("ann"), 60, 5),
        game("h2", &ago(39), "ann", "bo", Some("bo"), 60, 5),
        {"event_id": "h3", "type": "dm_sent", "from": "ann", "to": "cy"},
    ]))
    .await;
    let path = format!("/v1/activity/events?game_id={}&user=ann&limit=2", site.game);
    let page = site.get(&path).await;
    page.assert(200);
    let ids: Vec<&str> =
        page.body["data"].as_array().unwrap().iter().map(|e| e["event_id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["h3", "h2"]);
    assert_eq!(page.body["data"][1]["outcome"], "cooldown");
    let next = page.body["pagination"]["next_cursor"].as_str().unwrap();
    let rest = site.get(&format!("{path}&cursor={next}")).await;
    assert_eq!(rest.body["data"][0]["event_id"], "h1");
    assert_eq!(rest.body["data"][0]["result"]["points"]["ann"], 200);
    site.get(&format!("/v1/activity/events?game_id={}", site.game)).await.assert_problem(422, "validation_failed");
}

#[tokio::test]
async fn days_and_rankings_come_back_after_a_restart_and_the_counts_go_on() {
    let site = Site::new().await;
    site.results(json!([
        game("r1", &ago(50), "ann", "bo", Some("ann"), 60, 5),
        game("r2", &ago(10), "ann", "bo", Some("ann"), 60, 5),
    ]))
    .await;
    let restarted = site.app.restart().await;
    let ann = restarted.get(&format!("/v1/activity/users/ann?game_id={}", site.game), &site.t.key).await;
    assert_eq!(ann.body["points"]["games"], 400);
    let board = restarted.get(&format!("/v1/activity/leaderboard?game_id={}", site.game), &site.t.key).await;
    assert_eq!(board.body["data"][0], json!({"rank": 1, "user": "ann", "points": 400}));
    // The pair's two games of the day were rebuilt from the stored events: a third is capped.
    let third = restarted
        .post(
            "/v1/activity/events",
            &site.t.key,
            json!({"game_id": site.game, "events": [game("r3", &ago(1), "bo", "ann", None, 60, 5)]}),
        )
        .await;
    assert_eq!(third.body["results"][0]["outcome"], "capped");
}

#[tokio::test]
async fn days_sums_and_history_are_written_a_second_or_two_later_and_a_restart_replays_the_events_they_lack() {
    let site = Site::new().await;
    let store = site.app.db.store();
    let gid: podium_core::id::GameId = site.game.parse().unwrap();
    let oldest = (Utc::now() - Duration::days(3)).date_naive();
    site.results(json!([game("w1", &ago(30), "ann", "bo", Some("ann"), 60, 5)])).await;
    // The event is stored with its batch; its days, sums and history entries are not yet.
    assert_eq!(store.activity_flushed_seq(gid).await.unwrap(), 0);
    assert!(store.activity_days(gid, oldest).await.unwrap().is_empty());
    assert!(
        store
            .user_activity_events(gid, &key("ann"), Utc::now() - Duration::days(1), None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let history = |user: &str| format!("/v1/activity/events?game_id={}&user={user}", site.game);
    let ids = |r: &Response| -> Vec<String> {
        r.body["data"].as_array().unwrap().iter().map(|e| e["event_id"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(ids(&site.get(&history("ann")).await), ["w1"], "read from memory meanwhile");
    // A second or two later the idle writer writes them, up to its watermark.
    let mut waited = 0;
    while store.activity_flushed_seq(gid).await.unwrap() < 1 {
        assert!(waited < 50, "written within five seconds");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        waited += 1;
    }
    assert!(waited >= 5, "not before a second has passed");
    let days = store.activity_days(gid, oldest).await.unwrap();
    let ann_day = days.iter().find(|d| d.user.as_str() == "ann").unwrap();
    assert_eq!(ann_day.value.points[2], 200, "ann's game");
    let since = Utc::now() - Duration::days(1);
    assert_eq!(store.user_activity_events(gid, &key("ann"), since, None, 10).await.unwrap().len(), 1);
    // A busy game's groups write them in flushes 30 seconds apart: the next batch's are not due.
    site.results(json!([{"event_id": "w2", "type": "dm_sent", "from": "ann", "to": "cy"}])).await;
    assert_eq!(store.activity_flushed_seq(gid).await.unwrap(), 1, "w2 is not due yet");
    assert_eq!(ids(&site.get(&history("ann")).await), ["w2", "w1"], "stored and in memory, merged");
    // The next batch is above the watermark when the node stops.
    site.results(json!([
        {"event_id": "w3", "type": "dm_sent", "from": "bo", "to": "ann"},
        game("w4", &ago(5), "bo", "cy", Some("bo"), 60, 5),
    ]))
    .await;
    assert!(store.activity_flushed_seq(gid).await.unwrap() < 4, "w4 is not written yet");
    let users = ["ann", "bo", "cy"];
    let mut before = Vec::new();
    for user in users {
        before.push(site.get(&format!("/v1/activity/users/{user}?game_id={}", site.game)).await.body);
    }
    let board = format!("/v1/activity/leaderboard?game_id={}", site.game);
    let board_before = site.get(&board).await.body;
    let restarted = site.app.restart().await;
    for (user, was) in users.iter().zip(before) {
        let now = restarted.get(&format!("/v1/activity/users/{user}?game_id={}", site.game), &site.t.key).await;
        assert_eq!(now.body, was, "{user}: the replay adds what the stored days lacked, once");
    }
    assert_eq!(restarted.get(&board, &site.t.key).await.body, board_before);
    let bo = restarted.get(&history("bo"), &site.t.key).await;
    assert_eq!(ids(&bo), ["w4", "w3", "w1"]);
    assert_eq!(ids(&restarted.get(&history("ann"), &site.t.key).await), ["w3", "w2", "w1"]);
}

#[tokio::test]
async fn a_group_that_fails_to_commit_fails_the_groups_judged_on_top_of_it_and_counts_none_of_them() {
    let site = Site::new().await;
    // The store refuses any write holding the event `boom` (as a full disk or a lost
    // connection would refuse one), while batches keep arriving.
    if site.app.db.url().starts_with("sqlite:") {
        site.app
            .db
            .execute(
                "CREATE TRIGGER boom BEFORE INSERT ON activity_events WHEN NEW.event_id = 'boom' \
                 BEGIN SELECT RAISE(ABORT, 'boom'); END;",
            )
            .await;
    } else {
        site.app
            .db
            .execute(
                "CREATE FUNCTION boom() RETURNS trigger AS $$ BEGIN IF NEW.event_id = 'boom' THEN \
                 RAISE EXCEPTION 'boom'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql; \
                 CREATE TRIGGER boom BEFORE INSERT ON activity_events FOR EACH ROW EXECUTE FUNCTION boom();",
            )
            .await;
    }
    let users: Vec<String> = (0..6).map(|u| format!("u{u}")).collect();
    let batch = |b: usize| -> Value {
        let events: Vec<Value> = (0..4)
            .map(|k| {
                if b % 8 == 3 && k == 1 {
                    json!({"event_id": "boom", "type": "dm_sent", "from": "u0", "to": "u1"})
                } else {
                    let (from, to) = (&users[(b + k) % 6], &users[(b + 2 * k + 1) % 6]);
                    if from == to {
                        json!({"event_id": format!("c{b}-{k}"), "type": "room_message", "user": from, "room": "r"})
                    } else {
                        json!({"event_id": format!("c{b}-{k}"), "type": "dm_sent", "from": from, "to": to})
                    }
                }
            })
            .collect();
        Value::Array(events)
    };
    let batches: Vec<Value> = (0..40).map(batch).collect();
    let answers = futures_util::future::join_all(batches.iter().map(|b| site.send(b.clone()))).await;
    let mut earned: std::collections::HashMap<String, i64> = std::collections::HashMap::new();
    let mut failed = Vec::new();
    for (b, r) in answers.iter().enumerate() {
        if r.status == 200 {
            for result in r.body["results"].as_array().unwrap() {
                for (user, points) in result["points"].as_object().unwrap() {
                    *earned.entry(user.clone()).or_default() += points.as_i64().unwrap();
                }
            }
        } else {
            assert!(r.status.as_u16() >= 500, "{}", r.body);
            failed.push(b);
        }
    }
    assert!(failed.contains(&3) && failed.contains(&11), "the batches holding `boom` failed: {failed:?}");
    // Every acknowledged point is counted, and nothing of a failed batch: now, and after a
    // restart rebuilt the counts from the store.
    let day_points = |body: &Value| -> i64 {
        body["points"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(k, _)| *k != "total")
            .map(|(_, v)| v.as_i64().unwrap())
            .sum()
    };
    for user in &users {
        let day = site.get(&format!("/v1/activity/users/{user}?game_id={}", site.game)).await;
        assert_eq!(day_points(&day.body), earned.get(user).copied().unwrap_or(0), "{user}");
    }
    let restarted = site.app.restart().await;
    for user in &users {
        let day = restarted.get(&format!("/v1/activity/users/{user}?game_id={}", site.game), &site.t.key).await;
        assert_eq!(day_points(&day.body), earned.get(user).copied().unwrap_or(0), "{user} after a restart");
    }
    // The failed batches were never stored: sent again once the store takes them, they count.
    let sqlite = site.app.db.url().starts_with("sqlite:");
    site.app.db.execute(if sqlite { "DROP TRIGGER boom" } else { "DROP TRIGGER boom ON activity_events" }).await;
    for b in &failed {
        let r = restarted
            .post("/v1/activity/events", &site.t.key, json!({"game_id": site.game, "events": batches[*b]}))
            .await;
        r.assert(200);
        let results = r.body["results"].as_array().unwrap();
        assert!(results.iter().filter(|x| x["event_id"] != "boom").all(|x| x["outcome"] != "duplicate"));
        for result in results {
            for (user, points) in result["points"].as_object().unwrap() {
                *earned.entry(user.clone()).or_default() += points.as_i64().unwrap();
            }
        }
    }
    for user in &users {
        let day = restarted.get(&format!("/v1/activity/users/{user}?game_id={}", site.game), &site.t.key).await;
        assert_eq!(day_points(&day.body), earned.get(user).copied().unwrap_or(0), "{user} at the end");
    }
}

fn key(user: &str) -> podium_core::model::activity::Key {
    podium_core::model::activity::Key::parse(user).unwrap()
}

async fn all_time_games(site: &Site, user: &str) -> i64 {
    site.get(&format!("/v1/activity/users/{user}?game_id={}", site.game)).await.body["all_time"]["games"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn win_trading_raises_flags_that_a_confirmed_review_empties_and_a_dismissed_one_keeps() {
    let site = Site::new().await;
    // Four games over four days would be the seed's pattern; within the 24 h window, four
    // games a minute apart (the pair cooldown lowered to 30 s): two pairs of players alternate
    // winners. Minutes ago, not hours: at any time of day they fall on a day still open.
    let mut events = Vec::new();
    for (pair, (a, b)) in [("p", ("ann", "bo")), ("q", ("cy", "di"))] {
        for (i, w) in [a, b, a, b].into_iter().enumerate() {
            let minutes = 5 - i as i64;
            events.push(game(&format!("{pair}{i}"), &ago(minutes), a, b, Some(w), 60, 5));
        }
    }
    // Each pair may count two games a day: lift the cap so all four count.
    let path = format!("/v1/activity/policy?game_id={}", site.game);
    let lifted = json!({"pair_limits": {"games_per_opponent": 10}, "cooldowns": {"game_opponent_s": 30}});
    site.app.call(Method::PUT, &path, Some(&site.t.key), Some(lifted)).await.assert(200);
    let results = site.results(Value::Array(events)).await;
    assert!(results.iter().all(|r| r["outcome"] == "counted"), "{results:?}");
    let flags = site.get(&format!("/v1/activity/flags?game_id={}&flag_type=win_trading", site.game)).await;
    flags.assert(200);
    assert_eq!(flags.body["data"].as_array().unwrap().len(), 4, "one per player");
    let ann_flag = site.get(&format!("/v1/activity/flags?game_id={}&user=ann", site.game)).await;
    let flag = ann_flag.body["data"][0].clone();
    assert_eq!((flag["status"].as_str(), flag["events"].as_array().unwrap().len()), (Some("pending"), 4));
    assert_eq!(all_time_games(&site, "ann").await, 4 * 50 + 2 * 150);
    let id = flag["id"].as_str().unwrap();
    // A later time-zone change moves no day: the points come off the day they fell on.
    let day = results[0]["day"].as_str().unwrap().to_owned();
    let zone = json!({"pair_limits": {"games_per_opponent": 10}, "cooldowns": {"game_opponent_s": 30},
        "time_zone": "Pacific/Kiritimati"});
    site.app.call(Method::PUT, &path, Some(&site.t.key), Some(zone)).await.assert(200);
    let confirmed = site
        .app
        .patch(
            &format!("/v1/activity/flags/{id}"),
            &site.t.key,
            json!({"status": "confirmed_cheat", "reviewer_decision": "traded"}),
        )
        .await;
    confirmed.assert(200);
    assert_eq!(confirmed.body["reviewer_id"], json!(site.t.user_id));
    let on_the_day = site.get(&format!("/v1/activity/users/ann?game_id={}&day={day}", site.game)).await;
    assert_eq!(on_the_day.body["points"]["games"], 0, "{}", on_the_day.body);
    assert_eq!(all_time_games(&site, "ann").await, 0, "every point the four games earned ann is gone");
    let board =
        site.get(&format!("/v1/activity/leaderboard?game_id={}&category=games&period=all_time", site.game)).await;
    assert_eq!(board.body["data"].as_array().unwrap().last().unwrap()["user"], "ann");
    // Confirmed is final; bo's own flag dismissed keeps bo's points.
    site.app
        .patch(&format!("/v1/activity/flags/{id}"), &site.t.key, json!({"status": "dismissed"}))
        .await
        .assert_problem(400, "invalid_transition");
    let bo_flag = site.get(&format!("/v1/activity/flags?game_id={}&user=bo", site.game)).await.body["data"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    site.app
        .patch(&format!("/v1/activity/flags/{bo_flag}"), &site.t.key, json!({"status": "dismissed"}))
        .await
        .assert(200);
    let bo = site.get(&format!("/v1/activity/users/bo?game_id={}", site.game)).await;
    assert_eq!(bo.body["all_time"]["games"], 4 * 50 + 2 * 150);
    // Another account's key sees no flag.
    let other = site.app.tenant("other").await;
    site.app.get(&format!("/v1/activity/flags/{id}"), &other.key).await.assert_problem(404, "not_found");
    site.app.get("/v1/activity/flags/afl_nope", &site.t.key).await.assert_problem(404, "not_found");
}

#[tokio::test]
async fn rapid_join_leave_and_create_cancel_raise_flags_for_review() {
    let site = Site::new().await;
    let path = format!("/v1/activity/policy?game_id={}", site.game);
    // The events reach 100 minutes back and must share one open day whatever the hour: the
    // policy's day runs in a zone where it is about noon now.
    let policy = json!({"daily_caps": {"room_creations": 10}, "time_zone": midday_zone()});
    site.app.call(Method::PUT, &path, Some(&site.t.key), Some(policy)).await.assert(200);
    let mut events =
        vec![json!({"event_id": "c", "type": "room_created", "at": ago(100), "host": "hana", "room": "main"})];
    for (i, minutes) in [90, 80, 70].into_iter().enumerate() {
        events.push(json!({"event_id": format!("j{i}"), "type": "room_joined", "at": ago(minutes), "user": "eve", "room": "main"}));
        events.push(json!({"event_id": format!("l{i}"), "type": "room_left", "at": ago(minutes - 1), "user": "eve", "room": "main"}));
    }
    for i in 0..4 {
        let room = format!("fake{i}");
        events.push(json!({"event_id": format!("fc{i}"), "type": "room_created", "at": ago(60 - i), "host": "mo", "room": room}));
        if i != 0 {
            events.push(json!({"event_id": format!("fx{i}"), "type": "room_cancelled", "at": ago(59 - i), "host": "mo", "room": room}));
        }
    }
    site.results(Value::Array(events)).await;
    let flags = site.get(&format!("/v1/activity/flags?game_id={}", site.game)).await;
    let kinds: Vec<(String, String)> = flags.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["user"].as_str().unwrap().to_owned(), f["flag_type"].as_str().unwrap().to_owned()))
        .collect();
    assert!(kinds.contains(&("eve".into(), "rapid_join_leave".into())), "{kinds:?}");
    assert!(kinds.contains(&("mo".into(), "create_cancel".into())), "{kinds:?}");
    let pending =
        site.get(&format!("/v1/activity/flags?game_id={}&status=pending&flag_type=create_cancel", site.game)).await;
    assert_eq!(pending.body["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn the_day_end_job_freezes_closed_days_once_awards_badges_and_catches_up() {
    let site = Site::new().await;
    let mut events = Vec::new();
    // Scores today: ann 200, bo 200 (a tie at 1), cy 50, di 50, eve 10 (a DM pair).
    events.push(game("b1", &ago(3), "ann", "cy", Some("ann"), 60, 5));
    events.push(game("b2", &ago(3), "bo", "di", Some("bo"), 60, 5));
    events.push(json!({"event_id": "b3", "type": "dm_sent", "at": ago(2), "from": "fay", "to": "eve"}));
    site.results(Value::Array(events)).await;
    let activity = &site.app.state.activity;
    let now = Utc::now();
    // Before the day closes nothing freezes.
    assert_eq!(activity.freeze_due(now).await.unwrap(), 0);
    // Two days later (simulated clock): today and tomorrow froze, once.
    let later = now + Duration::days(2);
    assert_eq!(activity.freeze_due(later).await.unwrap(), 2);
    assert_eq!(activity.freeze_due(later).await.unwrap(), 0, "idempotent");
    let badges = site.get(&format!("/v1/activity/badges?game_id={}&limit=100", site.game)).await;
    badges.assert(200);
    let got: Vec<(String, String, u64)> = badges.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["category"].as_str().unwrap().to_owned(),
                b["user"].as_str().unwrap().to_owned(),
                b["rank"].as_u64().unwrap(),
            )
        })
        .collect();
    for expected in [
        ("total", "ann", 1),
        ("total", "bo", 1),
        ("total", "cy", 3),
        ("total", "di", 3),
        ("games", "ann", 1),
        ("popularity", "eve", 1),
        ("friends", "fay", 1),
    ] {
        assert!(got.contains(&(expected.0.into(), expected.1.into(), expected.2)), "{expected:?} in {got:?}");
    }
    assert!(!got.iter().any(|(c, u, _)| c == "total" && (u == "eve" || u == "fay")), "rank 5 and 6 earn nothing");
    let ann = site.get(&format!("/v1/activity/badges?game_id={}&user=ann", site.game)).await;
    assert_eq!(ann.body["data"].as_array().unwrap().len(), 2, "total and games");
    // A frozen day takes no more events.
    let late = site.results(json!([{"event_id": "b4", "type": "room_message", "user": "ann", "room": "r"}])).await;
    assert_eq!((late[0]["outcome"].as_str(), late[0]["reasons"][0].as_str()), (Some("invalid"), Some("day_closed")));
    // Days missed while nothing ran are caught up one by one.
    assert_eq!(activity.freeze_due(now + Duration::days(6)).await.unwrap(), 4);
}

#[tokio::test]
async fn the_day_end_job_follows_a_time_zone_with_a_daylight_saving_change() {
    let site = Site::new().await;
    let path = format!("/v1/activity/policy?game_id={}", site.game);
    site.app
        .call(Method::PUT, &path, Some(&site.t.key), Some(json!({"time_zone": "America/New_York"})))
        .await
        .assert(200);
    site.results(json!([{"event_id": "n1", "type": "room_message", "user": "ann", "room": "r"}])).await;
    let activity = &site.app.state.activity;
    // New York moves to summer time on 2027-03-14. At 04:30 UTC on the 20th (00:30 EDT) the
    // 19th has ended but its grace hour has not: it freezes at 05:00 UTC, not at 06:00 (EST)
    // nor 01:00 (UTC).
    let frozen = activity.freeze_due("2027-03-20T04:30:00Z".parse().unwrap()).await.unwrap();
    let first = activity.freeze_due("2027-03-20T05:00:00Z".parse().unwrap()).await.unwrap();
    assert_eq!(first, 1, "the 19th froze at 05:00 UTC");
    let ny = podium_core::model::activity::Policy::parse(&json!({"time_zone": "America/New_York"})).unwrap();
    let today = podium_core::service::activity::day_of(&ny, Utc::now());
    let expected = (chrono::NaiveDate::from_ymd_opt(2027, 3, 18).unwrap() - today).num_days() as usize + 1;
    assert_eq!(frozen, expected, "every day from today to the 18th, the change day included, froze once");
}

#[test]
fn every_policy_field_is_documented_with_its_default_and_range() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/activity.md")).unwrap();
    for (group, fields) in podium_core::model::activity::Policy::groups() {
        for (name, default, min, max) in fields {
            let key = format!("| `{group}.{name}` |");
            let row = doc.lines().find(|l| l.starts_with(&key)).unwrap_or_else(|| panic!("{key} is not documented"));
            let cells: Vec<String> = row.split('|').map(|c| c.trim().replace([' ', '\u{202f}'], "")).collect();
            assert_eq!(cells[2].parse::<f64>().unwrap(), default, "{key} default");
            let range = format!("{}–{}", min, max).replace(".0", "");
            assert_eq!(cells[3], range.replace(' ', ""), "{key} range");
        }
    }
}

fn outcome_of(results: &[Value], id: &str) -> (String, Value) {
    let r = results.iter().find(|r| r["event_id"] == id).unwrap();
    (r["outcome"].as_str().unwrap().to_owned(), r["points"].clone())
}

#[tokio::test]
async fn every_rule_answers_through_the_router() {
    let site = Site::new().await;
    let path = format!("/v1/activity/policy?game_id={}", site.game);
    let policy = json!({"daily_caps": {"new_friends": 1, "invites_accepted": 1, "unique_senders": 1, "room_joins": 1}});
    site.app.call(Method::PUT, &path, Some(&site.t.key), Some(policy)).await.assert(200);
    let mut events = vec![
        // Meetup: created, joined, a long stay: the leaver earns 30 and the host 100.
        json!({"event_id": "rc", "type": "room_created", "at": ago(60), "host": "hana", "room": "r"}),
        json!({"event_id": "rj", "type": "room_joined", "at": ago(58), "user": "ivo", "room": "r"}),
        json!({"event_id": "rj2", "type": "room_joined", "at": ago(57), "user": "ivo", "room": "other"}),
        json!({"event_id": "rl", "type": "room_left", "at": ago(40), "user": "ivo", "room": "r"}),
        json!({"event_id": "rx", "type": "room_left", "at": ago(39), "user": "ivo", "room": "r"}),
        json!({"event_id": "re", "type": "room_ended", "at": ago(38), "host": "ivo", "room": "r"}),
        // Friendships: the cap of one applies to each user on their own.
        json!({"event_id": "f1", "type": "friendship_created", "at": ago(30), "user_a": "ann", "user_b": "bo"}),
        json!({"event_id": "f2", "type": "friendship_created", "at": ago(30), "user_a": "ann", "user_b": "cy"}),
        json!({"event_id": "f3", "type": "friendship_created", "at": ago(30), "user_a": "bo", "user_b": "di"}),
        // Invites: 30 to the accepter, 20 to the inviter for a new accepter; caps.
        json!({"event_id": "i1", "type": "invite_accepted", "at": ago(29), "inviter": "ann", "accepter": "eve"}),
        json!({"event_id": "i2", "type": "invite_accepted", "at": ago(29), "inviter": "ann", "accepter": "eve"}),
        // Popularity: one unique sender a day earns the recipient.
        json!({"event_id": "d1", "type": "dm_sent", "at": ago(28), "from": "x1", "to": "star"}),
        json!({"event_id": "d2", "type": "dm_sent", "at": ago(28), "from": "x2", "to": "star"}),
        // A game too short.
        game("g1", &ago(27), "ann", "bo", Some("ann"), 10, 9),
        game("g2", &ago(27), "ann", "bo", Some("ann"), 60, 2),
    ];
    // A burst: seven room messages within one second.
    for i in 0..7 {
        events.push(
            json!({"event_id": format!("m{i}"), "type": "room_message", "at": ago(20), "user": "spam", "room": "chat"}),
        );
    }
    let results = site.results(Value::Array(events)).await;
    assert_eq!(outcome_of(&results, "rc"), ("counted".into(), json!({})));
    assert_eq!(outcome_of(&results, "rj").0, "counted");
    assert_eq!(outcome_of(&results, "rj2").0, "invalid", "unknown room");
    assert_eq!(outcome_of(&results, "rl"), ("counted".into(), json!({"ivo": 30, "hana": 100})));
    assert_eq!(outcome_of(&results, "rx").0, "invalid", "not in the room any more");
    assert_eq!(outcome_of(&results, "re").0, "invalid", "only the host ends a meetup");
    assert_eq!(outcome_of(&results, "f1"), ("counted".into(), json!({"ann": 50, "bo": 50})));
    assert_eq!(outcome_of(&results, "f2"), ("counted".into(), json!({"cy": 50})), "ann is capped, cy is not");
    let f2 = results.iter().find(|r| r["event_id"] == "f2").unwrap();
    assert_eq!(f2["users"]["ann"]["outcome"], "capped");
    assert_eq!(outcome_of(&results, "f3"), ("counted".into(), json!({"di": 50})));
    assert_eq!(outcome_of(&results, "i1"), ("counted".into(), json!({"eve": 30, "ann": 20})));
    assert_eq!(outcome_of(&results, "i2").0, "capped");
    assert_eq!(outcome_of(&results, "d1"), ("counted".into(), json!({"x1": 2, "star": 10})));
    let d2 = results.iter().find(|r| r["event_id"] == "d2").unwrap();
    assert_eq!((d2["points"].clone(), d2["users"]["star"]["outcome"].as_str()), (json!({"x2": 2}), Some("capped")));
    assert_eq!(outcome_of(&results, "g1").0, "invalid");
    assert_eq!(outcome_of(&results, "g2").0, "invalid");
    let messages: Vec<String> = (0..7).map(|i| outcome_of(&results, &format!("m{i}")).0).collect();
    assert_eq!(messages, ["counted", "counted", "counted", "counted", "counted", "muted", "muted"]);
    // The day's categories add up.
    let hana = site.get(&format!("/v1/activity/users/hana?game_id={}", site.game)).await;
    assert_eq!((hana.body["points"]["meetups"].as_i64(), hana.body["total"].as_i64()), (Some(100), Some(100)));
    let board = site.get(&format!("/v1/activity/leaderboard?game_id={}&category=meetups", site.game)).await;
    assert_eq!(board.body["data"][0], json!({"rank": 1, "user": "hana", "points": 100}));
}

#[tokio::test]
async fn an_event_refused_as_a_whole_changes_nothing_after_a_restart_either() {
    let site = Site::new().await;
    let ahead = (Utc::now() + Duration::minutes(6)).to_rfc3339();
    let first = site
        .results(json!([
            {"event_id": "c", "type": "room_created", "at": ago(30), "host": "hana", "room": "r"},
            {"event_id": "j", "type": "room_joined", "at": ago(25), "user": "ivo", "room": "r"},
            {"event_id": "e", "type": "room_ended", "at": ahead, "host": "hana", "room": "r"},
        ]))
        .await;
    assert_eq!(first[2]["reasons"], json!(["in_future"]));
    let restarted = site.app.restart().await;
    let left = restarted
        .post("/v1/activity/events", &site.t.key, json!({"game_id": site.game, "events": [{"event_id": "l", "type": "room_left", "user": "ivo", "room": "r"}]}))
        .await;
    assert_eq!(
        left.body["results"][0]["points"],
        json!({"ivo": 30, "hana": 100}),
        "the meetup is still open: {}",
        left.body
    );
}
