//! LEADR SDK compatibility: replays, call by call, what LEADR's Unity and Godot SDKs send, and
//! checks every field they read (the list is in docs/compat-leadr.md) and its value: what was
//! sent comes back (`12,5` is 12.5), `sort=ascending|descending` orders, `session_id` names
//! the session.

use axum::body::Body;
use axum::http::{Method, Request};
use serde_json::{Value, json};

use crate::helpers::{Response, TestApp};

/// What LEADR's Godot SDK sends as a fingerprint (SHA-256 hex) and what its Unity SDK sends
/// (a hyphenated UUID).
const GODOT_FP: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
const UNITY_FP: &str = "6c1f4a52-0b7e-4d7c-9a31-58e2f0c9b1d4";

/// Unity's HTTP client labels every request `content-type: application/json`, bodies or not.
const UNITY_HEADERS: &[(&str, &str)] = &[("content-type", "application/json")];

fn assert_fields(v: &Value, fields: &[&str], what: &str) {
    for f in fields {
        assert!(v.get(*f).is_some(), "{what} lacks `{f}`: {v}");
    }
}

fn assert_session(r: &Response) {
    r.assert(201);
    let b = &r.body;
    // Unity reads id, game_id, account_id, status, expires_in (an integer), both tokens.
    assert_fields(
        b,
        &["id", "game_id", "account_id", "status", "expires_in", "access_token", "refresh_token"],
        "session",
    );
    assert!(b["expires_in"].is_u64());
    // Godot (newer) reads these flat; older Godot reads the nested device.
    assert_fields(b, &["identity_id", "test_mode", "kind", "display_name"], "session");
    assert_fields(
        &b["device"],
        &["id", "client_fingerprint", "platform", "status", "first_seen_at", "last_seen_at"],
        "device",
    );
    assert!(b["access_token"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(b["refresh_token"].as_str().is_some_and(|t| !t.is_empty()));
}

fn assert_board(b: &Value) {
    assert_fields(
        b,
        &[
            "id",
            "account_id",
            "game_id",
            "name",
            "slug",
            "short_code",
            "icon",
            "unit",
            "is_active",
            "is_published",
            "sort_direction",
            "keep_strategy",
            "tags",
            "description",
            "starts_at",
            "ends_at",
            "created_at",
            "updated_at",
            "board_type",
            "ratio_config",
        ],
        "board",
    );
    assert!(b["is_active"].is_boolean() && b["is_published"].is_boolean() && b["tags"].is_array());
}

fn assert_score(s: &Value) {
    assert_fields(
        s,
        &[
            "id",
            "account_id",
            "game_id",
            "board_id",
            "identity_id",
            "player_name",
            "value",
            "value_display",
            "metadata",
            "created_at",
            "updated_at",
            "rank",
            "is_placeholder",
            "is_test",
        ],
        "score",
    );
    assert!(s["is_placeholder"].is_boolean() && s["is_test"].is_boolean() && s["value"].is_number());
    for hidden in ["timezone", "country", "city"] {
        assert!(s.get(hidden).is_none(), "client score shows `{hidden}`");
    }
}

fn assert_page(r: &Response) {
    r.assert(200);
    let p = &r.body["pagination"];
    assert!(r.body["data"].is_array());
    assert!(p["count"].is_u64() && p["has_next"].is_boolean() && p["has_prev"].is_boolean());
    assert!(p["next_cursor"].is_string() || p["next_cursor"].is_null());
    assert!(p["prev_cursor"].is_string() || p["prev_cursor"].is_null());
}

#[tokio::test]
async fn leadr_sdk_calls_replayed_call_by_call_get_every_field_they_read_with_the_values_they_sent() {
    let app = TestApp::spawn().await;
    let t = app.tenant("sdk").await;
    let game = app.game(&t, "SDK Game").await;
    let board = app
        .board(&t, &game, json!({"name": "Weekly", "slug": "weekly", "is_published": true, "unit": "pts"}))
        .await
        .id();

    // 1. Session start, as Godot sends it and as Unity sends it (older Unity: `device_id`).
    let godot = app
        .client(
            Method::POST,
            "/v1/client/sessions",
            None,
            Some(json!({"game_id": game, "client_fingerprint": GODOT_FP, "platform": "Linux", "test_mode": false})),
            &[],
        )
        .await;
    assert_session(&godot);
    let unity = app
        .client(
            Method::POST,
            "/v1/client/sessions",
            None,
            Some(json!({"game_id": game, "client_fingerprint": UNITY_FP})),
            &[],
        )
        .await;
    assert_session(&unity);
    // The values, not only the fields: the device's id at the top level, the session named.
    let u = &unity.body;
    assert_eq!(u["id"], u["device"]["id"]);
    assert_eq!((u["game_id"].as_str(), u["account_id"].as_str()), (Some(game.as_str()), Some(t.account_id.as_str())));
    assert_eq!(
        (u["status"].as_str(), u["expires_in"].as_u64(), u["test_mode"].as_bool()),
        (Some("active"), Some(3600), Some(false))
    );
    assert_eq!(u["device"]["client_fingerprint"], UNITY_FP);
    assert_eq!(godot.body["device"]["platform"], "Linux");
    let session_id = u["session_id"].as_str().expect("session_id");
    let listed = app.get(&format!("/v1/identity-sessions/{session_id}"), &t.key).await;
    listed.assert(200);
    assert_eq!(listed.body["device_id"], u["device"]["id"]);
    assert_eq!(listed.body["identity_id"], u["identity_id"]);
    let old_unity = app
        .client(Method::POST, "/v1/client/sessions", None, Some(json!({"game_id": game, "device_id": UNITY_FP})), &[])
        .await;
    assert_session(&old_unity);
    assert_eq!(old_unity.body["identity_id"], unity.body["identity_id"]);

    // 2. Refresh: the refresh token as Bearer and an empty JSON body (Unity), or `null`.
    let refresh = unity.body["refresh_token"].as_str().unwrap().to_owned();
    let r = app.client(Method::POST, "/v1/client/sessions/refresh", Some(&refresh), None, UNITY_HEADERS).await;
    r.assert(200);
    assert_fields(&r.body, &["access_token", "refresh_token", "expires_in"], "refresh");
    let refresh = r.body["refresh_token"].as_str().unwrap().to_owned();
    let request = Request::post("/v1/client/sessions/refresh")
        .header("authorization", format!("Bearer {refresh}"))
        .header("content-type", "application/json")
        .body(Body::from("null"))
        .unwrap();
    let r = app.raw(request).await;
    r.assert(200);
    // Newer Godot: `{"refresh_token": …}` in the body, no Authorization header.
    let godot_refresh = godot.body["refresh_token"].as_str().unwrap();
    let g = app
        .client(Method::POST, "/v1/client/sessions/refresh", None, Some(json!({"refresh_token": godot_refresh})), &[])
        .await;
    g.assert(200);
    let access = r.body["access_token"].as_str().unwrap().to_owned();

    // 3. Nonce: Unity reads `nonce_value`, older Godot `nonce`.
    let n = app.client(Method::GET, "/v1/client/nonce", Some(&access), None, UNITY_HEADERS).await;
    n.assert(200);
    assert_eq!(n.body["nonce"], n.body["nonce_value"]);
    assert!(n.body["expires_at"].is_string());
    let nonce = n.body["nonce_value"].as_str().unwrap().to_owned();

    // 4. Submit with `leadr-client-nonce`: Unity sends an integer value, newer Godot a float.
    let unity_score =
        json!({"board_id": board, "value": 1500, "player_name": "UnityPlayer", "value_display": "1,500 pts"});
    let s = app
        .client(
            Method::POST,
            "/v1/client/scores",
            Some(&access),
            Some(unity_score.clone()),
            &[("leadr-client-nonce", &nonce)],
        )
        .await;
    s.assert(201);
    assert_score(&s.body);
    assert_eq!(s.body["rank"], 1);
    assert_eq!(s.body["value"].as_f64(), Some(1500.0));
    assert_eq!(
        (s.body["player_name"].as_str(), s.body["value_display"].as_str()),
        (Some("UnityPlayer"), Some("1,500 pts"))
    );
    assert_eq!((s.body["board_id"].as_str(), s.body["game_id"].as_str()), (Some(board.as_str()), Some(game.as_str())));
    assert_eq!(s.body["identity_id"], unity.body["identity_id"]);
    let unity_score_id = s.body["id"].as_str().unwrap().to_owned();

    // 5. A reused nonce is 412; the SDK fetches a fresh one and retries once.
    let again = app
        .client(Method::POST, "/v1/client/scores", Some(&access), Some(unity_score), &[("leadr-client-nonce", &nonce)])
        .await;
    again.assert(412);
    assert!(again.body["detail"].is_string(), "Godot shows `detail`");
    let godot_access = g.body["access_token"].as_str().unwrap().to_owned();
    let fresh = app.nonce(&godot_access).await;
    let godot_score =
        json!({"board_id": board, "value": 1000.0, "player_name": "GodotPlayer", "metadata": {"level": 2}});
    let s = app
        .client(
            Method::POST,
            "/v1/client/scores",
            Some(&godot_access),
            Some(godot_score),
            &[("leadr-client-nonce", &fresh)],
        )
        .await;
    s.assert(201);
    assert_score(&s.body);
    assert_eq!(s.body["rank"], 2);
    assert_eq!(s.body["value"].as_f64(), Some(1000.0));
    assert_eq!(s.body["metadata"], json!({"level": 2}));

    // 6. Board by slug, the three ways the SDKs ask.
    let unity_slug = app
        .client(
            Method::GET,
            &format!("/v1/client/boards/?slug=weekly&game_id={game}"),
            Some(&access),
            None,
            UNITY_HEADERS,
        )
        .await;
    assert_page(&unity_slug);
    assert_board(&unity_slug.body["data"][0]);
    let b = &unity_slug.body["data"][0];
    assert_eq!(
        (b["id"].as_str(), b["slug"].as_str(), b["name"].as_str()),
        (Some(board.as_str()), Some("weekly"), Some("Weekly"))
    );
    assert_eq!(
        (b["unit"].as_str(), b["is_published"].as_bool(), b["is_active"].as_bool()),
        (Some("pts"), Some(true), Some(true))
    );
    assert_eq!((b["sort_direction"].as_str(), b["keep_strategy"].as_str()), (Some("DESCENDING"), Some("BEST")));
    assert_eq!((b["board_type"].as_str(), b["tags"].clone()), (Some("RUN_IDENTITY"), json!([])));
    let old_godot =
        app.client(Method::GET, &format!("/v1/client/boards/weekly?game_id={game}"), Some(&access), None, &[]).await;
    old_godot.assert(200);
    assert_board(&old_godot.body);
    assert_eq!(old_godot.body["id"], board.as_str());
    let new_godot = app
        .client(Method::GET, &format!("/v1/client/boards?game_id={game}&slug=weekly"), Some(&access), None, &[])
        .await;
    assert_page(&new_godot);
    assert_eq!(new_godot.body["data"][0]["id"], board.as_str());
    let list =
        app.client(Method::GET, &format!("/v1/client/boards?game_id={game}&limit=100"), Some(&access), None, &[]).await;
    assert_page(&list);

    // 7. Scores: limit and cursor, around an entry, around a value (`1000.0`, or `12,5` from
    // Unity under a decimal-comma culture), and the player's own.
    for i in 0..4 {
        let (tok, _) = {
            let s = app.session(&game, &format!("{:064x}", i + 1)).await;
            (s.body["access_token"].as_str().unwrap().to_owned(), ())
        };
        app.client_submit(&tok, &board, &format!("P{i}"), f64::from(i * 100)).await.assert(201);
    }
    let page1 = app
        .client(Method::GET, &format!("/v1/client/scores?board_id={board}&limit=2"), Some(&access), None, UNITY_HEADERS)
        .await;
    assert_page(&page1);
    assert_eq!(page1.body["pagination"]["has_next"], true);
    page1.body["data"].as_array().unwrap().iter().for_each(assert_score);
    let values = |r: &Response| -> Vec<f64> {
        r.body["data"].as_array().unwrap().iter().map(|s| s["value"].as_f64().unwrap()).collect()
    };
    assert_eq!(values(&page1), [1500.0, 1000.0]);
    let cursor = page1.body["pagination"]["next_cursor"].as_str().unwrap();
    let page2 = app
        .client(
            Method::GET,
            &format!("/v1/client/scores?board_id={board}&limit=2&cursor={}", urlencode(cursor)),
            Some(&access),
            None,
            &[],
        )
        .await;
    assert_page(&page2);
    let ranks: Vec<i64> = page2.body["data"].as_array().unwrap().iter().map(|s| s["rank"].as_i64().unwrap()).collect();
    assert_eq!(ranks, [3, 4]);
    assert_eq!(values(&page2), [300.0, 200.0]);
    // Godot's documented `sort=ascending|descending`: the values' order.
    for (sort, expected) in [("ascending", [0.0, 100.0, 200.0]), ("descending", [1500.0, 1000.0, 300.0])] {
        let sorted = app
            .client(
                Method::GET,
                &format!("/v1/client/scores?board_id={board}&limit=3&sort={sort}"),
                Some(&access),
                None,
                &[],
            )
            .await;
        assert_page(&sorted);
        assert_eq!(values(&sorted), expected, "sort={sort}");
    }
    let around = app
        .client(
            Method::GET,
            &format!("/v1/client/scores?board_id={board}&around_score_id={unity_score_id}&limit=3"),
            Some(&access),
            None,
            &[],
        )
        .await;
    assert_page(&around);
    assert_eq!(around.body["data"][0]["id"], unity_score_id.as_str());
    assert_eq!(values(&around), [1500.0, 1000.0, 300.0]);
    for (value, parsed) in [("1000.0", 1000.0), ("12,5", 12.5)] {
        let w = app
            .client(
                Method::GET,
                &format!("/v1/client/scores?board_id={board}&around_score_value={value}&limit=5"),
                Some(&access),
                None,
                &[],
            )
            .await;
        assert_page(&w);
        let placeholder = w.body["data"].as_array().unwrap().iter().find(|s| s["is_placeholder"] == true).cloned();
        let placeholder = placeholder.unwrap_or_else(|| panic!("no placeholder around {value}: {}", w.text));
        assert_eq!(placeholder["value"].as_f64(), Some(parsed), "`{value}` read as {parsed}");
    }
    let mine = app
        .client(Method::GET, &format!("/v1/client/scores?board_id={board}&identity_id=me"), Some(&access), None, &[])
        .await;
    assert_page(&mine);
    assert_eq!(mine.body["data"][0]["player_name"], "UnityPlayer");
    assert_eq!(mine.body["data"][0]["value"].as_f64(), Some(1500.0));
    assert_eq!(mine.body["data"].as_array().unwrap().len(), 1);
    let one = app
        .client(Method::GET, &format!("/v1/client/scores/{unity_score_id}"), Some(&access), None, UNITY_HEADERS)
        .await;
    one.assert(200);
    assert_score(&one.body);
    assert_eq!((one.body["id"].as_str(), one.body["rank"].as_u64()), (Some(unity_score_id.as_str()), Some(1)));

    // 8. A dead access token is 401 (the SDKs then refresh and retry once).
    let dead = app.client(Method::GET, "/v1/client/nonce", Some("pdc_not_a_token"), None, &[]).await;
    dead.assert(401);
    assert!(dead.body["detail"].is_string());
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
