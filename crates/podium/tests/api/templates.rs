//! `/v1/board-templates` and the scheduler: defaults and field rules, tenancy, each period's
//! board stamped out on a simulated clock (on time, once, after downtime, across month ends,
//! leap days and daylight-saving changes), and seasons: a template's boards newest first,
//! the current one by the template's slug, closed boards readable and exported.

use axum::http::Method;
use chrono::{DateTime, Duration, DurationRound, Utc};
use serde_json::{Value, json};

use crate::helpers::{SUPERADMIN_KEY, Tenant, TestApp};

async fn setup() -> (TestApp, Tenant, String) {
    let app = TestApp::spawn().await;
    let t = app.tenant("acme").await;
    let game = app.game(&t, "Space Race").await;
    (app, t, game)
}

async fn template(app: &TestApp, t: &Tenant, game: &str, body: Value) -> Value {
    let mut body = body;
    body["game_id"] = json!(game);
    let r = app.post("/v1/board-templates", &t.key, body).await;
    r.assert(201);
    r.body
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// Runs the scheduler as if the clock read `now`.
async fn run(app: &TestApp, now: &str) -> u64 {
    app.state.admin.run_schedules(at(now)).await.unwrap().created
}

/// The template's boards, newest period first.
async fn seasons(app: &TestApp, t: &Tenant, template_id: &str) -> Vec<Value> {
    let r = app.get(&format!("/v1/boards?template_id={template_id}&limit=100"), &t.key).await;
    r.assert(200);
    r.body["data"].as_array().unwrap().clone()
}

fn window(b: &Value) -> (String, String) {
    (b["starts_at"].as_str().unwrap().to_owned(), b["ends_at"].as_str().unwrap_or("open").to_owned())
}

#[tokio::test]
async fn a_template_gets_the_documented_defaults_and_every_field_round_trips() {
    let (app, t, game) = setup().await;
    let before = Utc::now();
    let tpl = template(&app, &t, &game, json!({"name": "Weekly Cup", "schedule": "weekly"})).await;
    assert!(tpl["id"].as_str().unwrap().starts_with("tpl_"));
    assert_eq!(tpl["account_id"], t.account_id);
    assert_eq!(tpl["slug"], "weekly-cup");
    assert_eq!(tpl["name_pattern"], "Weekly Cup #{series}");
    assert_eq!(tpl["slug_pattern"], "weekly-cup-{series}");
    assert_eq!(tpl["schedule"], "weekly");
    assert_eq!(tpl["time_zone"], "UTC");
    assert!(tpl["duration_seconds"].is_null() && tpl["ends_at"].is_null());
    assert_eq!(tpl["is_active"], true);
    assert!(at(tpl["starts_at"].as_str().unwrap()) >= before - Duration::seconds(1));
    let board = &tpl["board"];
    assert_eq!(board["board_type"], "RUN_IDENTITY");
    assert_eq!(board["sort_direction"], "DESCENDING");
    assert_eq!(board["keep_strategy"], "BEST");
    assert_eq!(board["is_published"], true);
    assert_eq!(board["tags"], json!([]));

    let full = json!({
        "name": "Daily Dash", "slug": "dash", "name_pattern": "Dash {year}-{month}-{day}",
        "slug_pattern": "dash-{year}-{month}-{day}", "schedule": "30 6 * * MON-FRI", "time_zone": "Europe/Berlin",
        "duration_seconds": 3600, "is_active": false, "starts_at": "2031-01-01T00:00:00Z", "ends_at": "2032-01-01T00:00:00Z",
        "board": {"description": "A sprint", "icon": "bolt", "unit": "ms", "tags": ["daily"], "board_type": "RUN_RUNS",
            "sort_direction": "ASCENDING", "is_published": false, "unique_player_names": true, "min_value": 1, "max_value": 9000}
    });
    let tpl = template(&app, &t, &game, full.clone()).await;
    let id = tpl["id"].as_str().unwrap();
    let fetched = app.get(&format!("/v1/board-templates/{id}"), &t.key).await;
    fetched.assert(200);
    assert_eq!(fetched.body, tpl);
    for k in ["name", "slug", "name_pattern", "slug_pattern", "schedule", "time_zone", "duration_seconds", "is_active"]
    {
        assert_eq!(tpl[k], full[k], "{k}");
    }
    assert_eq!(tpl["starts_at"], "2031-01-01T00:00:00Z");
    assert_eq!(tpl["board"]["keep_strategy"], "NA");
    assert_eq!(tpl["board"]["max_value"], 9000.0);
    assert_eq!(tpl["board"]["tags"], json!(["daily"]));

    let patched = app
        .patch(
            &format!("/v1/board-templates/{id}"),
            &t.key,
            json!({"name": "Dash", "schedule": "daily", "duration_seconds": null, "board": {"unit": "s"}}),
        )
        .await;
    patched.assert(200);
    assert_eq!(patched.body["name"], "Dash");
    assert_eq!(patched.body["schedule"], "daily");
    assert!(patched.body["duration_seconds"].is_null());
    assert_eq!(patched.body["board"]["unit"], "s");
    assert_eq!(patched.body["board"]["board_type"], "RUN_IDENTITY", "the board defaults are replaced as a whole");

    let list = app.get(&format!("/v1/board-templates?game_id={game}"), &t.key).await;
    list.assert(200);
    assert_eq!(list.body["data"].as_array().unwrap().len(), 2);
    let by_slug = app.get("/v1/board-templates?slug=weekly-cup", &t.key).await;
    assert_eq!(by_slug.body["data"][0]["name"], "Weekly Cup");

    app.delete(&format!("/v1/board-templates/{id}"), &t.key).await.assert(204);
    app.get(&format!("/v1/board-templates/{id}"), &t.key).await.assert_problem(404, "not_found");
}

#[tokio::test]
async fn malformed_schedules_zones_patterns_windows_and_board_defaults_are_refused_by_field() {
    let (app, t, game) = setup().await;
    let cases: Vec<(Value, &str, &str)> = vec![
        (json!({"schedule": "0 0 0 * * *"}), "schedule", "invalid_format"),
        (json!({"schedule": "@daily"}), "schedule", "invalid_format"),
        (json!({"schedule": "hourly"}), "schedule", "invalid_format"),
        (json!({"schedule": "0 0 30 2 *"}), "schedule", "invalid_value"),
        (json!({"schedule": ""}), "schedule", "blank"),
        (json!({"schedule": "daily", "time_zone": "Mars/Olympus"}), "time_zone", "invalid_value"),
        (json!({"schedule": "daily", "name_pattern": "Cup {season}"}), "name_pattern", "unknown_placeholder"),
        (json!({"schedule": "daily", "name_pattern": "Cup {year"}), "name_pattern", "invalid_format"),
        (json!({"schedule": "daily", "slug_pattern": "Cup {year}"}), "slug_pattern", "invalid_format"),
        (json!({"schedule": "daily", "duration_seconds": 10}), "duration_seconds", "out_of_range"),
        (
            json!({"schedule": "daily", "starts_at": "2030-01-02T00:00:00Z", "ends_at": "2030-01-01T00:00:00Z"}),
            "ends_at",
            "not_after_starts_at",
        ),
        (json!({"schedule": "* * * * *", "starts_at": "2026-01-01T00:00:00Z"}), "starts_at", "out_of_range"),
        (json!({"schedule": "daily", "board": {"board_type": "RATIO"}}), "board.board_type", "not_for_templates"),
        (
            json!({"schedule": "daily", "board": {"board_type": "COUNTER", "keep_strategy": "BEST"}}),
            "board.keep_strategy",
            "invalid_for_board_type",
        ),
        (
            json!({"schedule": "daily", "board": {"min_value": 5, "max_value": 1}}),
            "board.max_value",
            "less_than_min_value",
        ),
        (json!({"schedule": "daily", "board": {"tags": [""]}}), "board.tags[0]", "blank"),
    ];
    for (body, field, code) in cases {
        let mut body = body;
        body["name"] = json!("Cup");
        body["game_id"] = json!(game);
        let r = app.post("/v1/board-templates", &t.key, body.clone()).await;
        r.assert_problem(422, "validation_failed");
        assert!(r.field_errors(field).contains(&code.to_owned()), "{body}: {}", r.text);
    }
    let r = app
        .post("/v1/board-templates", &t.key, json!({"name": "Cup", "game_id": game, "schedule": "daily", "colour": 1}))
        .await;
    assert!(r.status.is_client_error(), "{}", r.text);
    let tpl = template(&app, &t, &game, json!({"name": "Cup", "schedule": "daily"})).await;
    let r = app
        .patch(&format!("/v1/board-templates/{}", tpl["id"].as_str().unwrap()), &t.key, json!({"schedule": "0 0"}))
        .await;
    assert!(r.field_errors("schedule").contains(&"invalid_format".to_owned()), "{}", r.text);
    let back = json!({"schedule": "* * * * *", "starts_at": "2026-01-01T00:00:00Z"});
    let r = app.patch(&format!("/v1/board-templates/{}", tpl["id"].as_str().unwrap()), &t.key, back).await;
    assert!(r.field_errors("starts_at").contains(&"out_of_range".to_owned()), "{}", r.text);
    let r = app
        .patch(&format!("/v1/board-templates/{}", tpl["id"].as_str().unwrap()), &t.key, json!({"name": "Cup 2"}))
        .await;
    r.assert(200);
    let r = app
        .post(
            "/v1/board-templates",
            &t.key,
            json!({"name": "Cup", "slug": "cup", "game_id": game, "schedule": "daily"}),
        )
        .await;
    r.assert_problem(409, "slug_taken");
}

#[tokio::test]
async fn templates_have_the_tenancy_of_boards() {
    let (app, t, game) = setup().await;
    let other = app.tenant("rival").await;
    let tpl = template(&app, &t, &game, json!({"name": "Cup", "schedule": "daily"})).await;
    let id = tpl["id"].as_str().unwrap();
    app.get(&format!("/v1/board-templates/{id}"), &other.key).await.assert_problem(404, "not_found");
    app.patch(&format!("/v1/board-templates/{id}"), &other.key, json!({"name": "Mine"}))
        .await
        .assert_problem(404, "not_found");
    app.get(&format!("/v1/board-templates/{id}/current"), &other.key).await.assert_problem(404, "not_found");
    let r =
        app.post("/v1/board-templates", &other.key, json!({"name": "Cup", "game_id": game, "schedule": "daily"})).await;
    r.assert_problem(404, "not_found");
    assert!(app.get("/v1/board-templates", &other.key).await.body["data"].as_array().unwrap().is_empty());
    app.get("/v1/board-templates", SUPERADMIN_KEY).await.assert_problem(400, "account_id_required");
    let all = app.get(&format!("/v1/board-templates?account_id={}", t.account_id), SUPERADMIN_KEY).await;
    assert_eq!(all.body["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn the_scheduler_stamps_out_each_period_on_time_once_and_closes_the_previous_one() {
    let (app, t, game) = setup().await;
    let tpl = template(
        &app,
        &t,
        &game,
        json!({"name": "Daily", "schedule": "daily", "starts_at": "2030-01-01T00:00:00Z",
            "name_pattern": "Daily {year}-{month}-{day}", "slug_pattern": "daily-{year}-{month}-{day}",
            "board": {"unit": "ms", "tags": ["daily"], "sort_direction": "ASCENDING"}}),
    )
    .await;
    let id = tpl["id"].as_str().unwrap();
    assert_eq!(run(&app, "2029-12-31T23:59:59Z").await, 0, "nothing before the template starts");
    app.get(&format!("/v1/board-templates/{id}/current"), &t.key).await.assert_problem(404, "not_found");

    assert_eq!(run(&app, "2030-01-01T00:00:00Z").await, 1);
    assert_eq!(run(&app, "2030-01-01T12:00:00Z").await, 0, "a period is stamped out once");
    let first = &seasons(&app, &t, id).await[0];
    assert_eq!(first["name"], "Daily 2030-01-01");
    assert_eq!(first["slug"], "daily-2030-01-01");
    assert_eq!(first["series"], 1);
    assert_eq!(first["template_id"], id);
    assert_eq!(first["game_id"], game);
    assert_eq!(first["unit"], "ms");
    assert_eq!(first["tags"], json!(["daily"]));
    assert_eq!(first["sort_direction"], "ASCENDING");
    assert_eq!(first["is_active"], true);
    assert_eq!(window(first), ("2030-01-01T00:00:00Z".into(), "2030-01-02T00:00:00Z".into()));

    assert_eq!(run(&app, "2030-01-02T00:00:00.5Z").await, 1);
    let boards = seasons(&app, &t, id).await;
    assert_eq!(boards.iter().map(|b| b["series"].as_i64().unwrap()).collect::<Vec<_>>(), vec![2, 1], "newest first");
    assert_eq!(boards[0]["name"], "Daily 2030-01-02");
    assert_eq!(boards[0]["is_active"], true);
    assert_eq!(boards[1]["is_active"], false, "the previous period's board is closed");
    let current = app.get(&format!("/v1/board-templates/{id}/current"), &t.key).await;
    current.assert(200);
    assert_eq!(current.body["id"], boards[0]["id"]);

    // An inactive template stamps out nothing; reactivated, it catches up.
    app.patch(&format!("/v1/board-templates/{id}"), &t.key, json!({"is_active": false})).await.assert(200);
    assert_eq!(run(&app, "2030-01-03T00:00:00Z").await, 0);
    app.patch(&format!("/v1/board-templates/{id}"), &t.key, json!({"is_active": true})).await.assert(200);
    assert_eq!(run(&app, "2030-01-03T00:00:00Z").await, 1);
    // A deleted board's period is not stamped out again.
    let third = seasons(&app, &t, id).await[0]["id"].as_str().unwrap().to_owned();
    app.delete(&format!("/v1/boards/{third}"), &t.key).await.assert(204);
    assert_eq!(run(&app, "2030-01-03T06:00:00Z").await, 0);
    assert_eq!(seasons(&app, &t, id).await.len(), 2);
}

#[tokio::test]
async fn after_downtime_every_missed_period_is_stamped_out_once_with_its_own_window() {
    let (app, t, game) = setup().await;
    let tpl = template(
        &app,
        &t,
        &game,
        json!({"name": "Weekly", "schedule": "weekly", "starts_at": "2030-01-07T00:00:00Z",
            "name_pattern": "Week {week_year}-W{week}", "slug_pattern": "week-{week_year}-{week}"}),
    )
    .await;
    let id = tpl["id"].as_str().unwrap();
    // Down from before the first period until a Tuesday five weeks on: one run stamps out all five.
    assert_eq!(run(&app, "2030-02-05T09:00:00Z").await, 5);
    assert_eq!(run(&app, "2030-02-05T09:00:01Z").await, 0);
    let boards = seasons(&app, &t, id).await;
    let windows: Vec<(String, String)> = boards.iter().rev().map(window).collect();
    let expected: Vec<(String, String)> = ["01-07", "01-14", "01-21", "01-28", "02-04", "02-11"]
        .windows(2)
        .map(|w| (format!("2030-{}T00:00:00Z", w[0]), format!("2030-{}T00:00:00Z", w[1])))
        .collect();
    assert_eq!(windows, expected);
    let names: Vec<&str> = boards.iter().rev().map(|b| b["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Week 2030-W02", "Week 2030-W03", "Week 2030-W04", "Week 2030-W05", "Week 2030-W06"]);
    let active: Vec<bool> = boards.iter().rev().map(|b| b["is_active"].as_bool().unwrap()).collect();
    assert_eq!(active, [false, false, false, false, true], "only the period in progress is open");
}

#[tokio::test]
async fn month_ends_and_leap_days_land_right() {
    let (app, t, game) = setup().await;
    // Starting mid-month: the first board covers the rest of the month it starts in.
    let monthly = template(
        &app,
        &t,
        &game,
        json!({"name": "Monthly", "schedule": "monthly", "starts_at": "2028-01-15T12:00:00Z", "slug_pattern": "m-{year}-{month}"}),
    )
    .await;
    let last_day = template(
        &app,
        &t,
        &game,
        json!({"name": "Last day", "schedule": "0 0 L * *", "starts_at": "2028-01-31T00:00:00Z", "duration_seconds": 86400}),
    )
    .await;
    assert_eq!(run(&app, "2028-03-31T00:00:00Z").await, 3 + 3);
    let windows: Vec<(String, String)> =
        seasons(&app, &t, monthly["id"].as_str().unwrap()).await.iter().rev().map(window).collect();
    assert_eq!(
        windows,
        vec![
            ("2028-01-15T12:00:00Z".into(), "2028-02-01T00:00:00Z".into()),
            ("2028-02-01T00:00:00Z".into(), "2028-03-01T00:00:00Z".into()),
            ("2028-03-01T00:00:00Z".into(), "2028-04-01T00:00:00Z".into()),
        ]
    );
    let windows: Vec<(String, String)> =
        seasons(&app, &t, last_day["id"].as_str().unwrap()).await.iter().rev().map(window).collect();
    assert_eq!(
        windows,
        vec![
            ("2028-01-31T00:00:00Z".into(), "2028-02-01T00:00:00Z".into()),
            ("2028-02-29T00:00:00Z".into(), "2028-03-01T00:00:00Z".into()),
            ("2028-03-31T00:00:00Z".into(), "2028-04-01T00:00:00Z".into()),
        ],
        "the last day of a leap February is the 29th; each board closes after its one-day window"
    );
}

#[tokio::test]
async fn daylight_saving_changes_land_right() {
    let (app, t, game) = setup().await;
    let spring = template(
        &app,
        &t,
        &game,
        json!({"name": "Berlin spring", "schedule": "daily", "time_zone": "Europe/Berlin", "starts_at": "2026-03-28T00:00:00+01:00",
            "name_pattern": "Day {year}-{month}-{day}"}),
    )
    .await;
    let autumn = template(
        &app,
        &t,
        &game,
        json!({"name": "Berlin autumn", "schedule": "30 2 * * *", "time_zone": "Europe/Berlin", "starts_at": "2026-10-24T02:30:00+02:00"}),
    )
    .await;
    run(&app, "2026-03-30T12:00:00Z").await;
    let boards: Vec<Value> = seasons(&app, &t, spring["id"].as_str().unwrap()).await.into_iter().rev().collect();
    let windows: Vec<(String, String)> = boards.iter().map(window).collect();
    assert_eq!(
        windows,
        vec![
            ("2026-03-27T23:00:00Z".into(), "2026-03-28T23:00:00Z".into()),
            ("2026-03-28T23:00:00Z".into(), "2026-03-29T22:00:00Z".into()),
            ("2026-03-29T22:00:00Z".into(), "2026-03-30T22:00:00Z".into()),
        ],
        "local midnights: the day the clocks go forward is 23 hours long"
    );
    let names: Vec<&str> = boards.iter().map(|b| b["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Day 2026-03-28", "Day 2026-03-29", "Day 2026-03-30"], "named by the local date");

    run(&app, "2026-10-26T12:00:00Z").await;
    let windows: Vec<(String, String)> =
        seasons(&app, &t, autumn["id"].as_str().unwrap()).await.iter().rev().map(window).collect();
    assert_eq!(
        windows,
        vec![
            ("2026-10-24T00:30:00Z".into(), "2026-10-25T00:30:00Z".into()),
            ("2026-10-25T00:30:00Z".into(), "2026-10-26T01:30:00Z".into()),
            ("2026-10-26T01:30:00Z".into(), "2026-10-27T01:30:00Z".into()),
        ],
        "02:30 happens twice when the clocks go back: one period, from its first pass"
    );
}

#[tokio::test]
async fn a_template_ends_and_its_boards_keep_their_tournament_window() {
    let (app, t, game) = setup().await;
    let tpl = template(
        &app,
        &t,
        &game,
        json!({"name": "Cup", "schedule": "0 18 * * SAT", "starts_at": "2030-01-01T00:00:00Z", "ends_at": "2030-01-13T00:00:00Z",
            "duration_seconds": 7200}),
    )
    .await;
    assert_eq!(run(&app, "2030-03-01T00:00:00Z").await, 2, "no period begins after the template ends");
    let windows: Vec<(String, String)> =
        seasons(&app, &t, tpl["id"].as_str().unwrap()).await.iter().rev().map(window).collect();
    assert_eq!(
        windows,
        vec![
            ("2030-01-05T18:00:00Z".into(), "2030-01-05T20:00:00Z".into()),
            ("2030-01-12T18:00:00Z".into(), "2030-01-12T20:00:00Z".into()),
        ]
    );
}

#[tokio::test]
async fn a_closed_season_keeps_its_standings_readable_and_exportable_and_clients_find_the_current_one_by_slug() {
    let (app, t, game) = setup().await;
    let tpl = template(&app, &t, &game, json!({"name": "Season", "slug": "season", "schedule": "daily"})).await;
    let now = Utc::now();
    let id = tpl["id"].as_str().unwrap();
    assert_eq!(run(&app, &now.to_rfc3339()).await, 1, "the period in progress gets its board at once");
    let first = seasons(&app, &t, id).await[0]["id"].as_str().unwrap().to_owned();
    for (player, value) in [("ann", 30.0), ("=cmd|' /C calc'!A0", 50.0), ("bob, jr", 10.0), ("cid", 40.0)] {
        app.post(
            "/v1/score-events",
            &t.key,
            json!({"board_id": first, "player_key": player, "player_name": player, "value": value}),
        )
        .await
        .assert(201);
    }
    // The next day begins: a new season opens and this one closes.
    let tomorrow = now.duration_trunc(Duration::days(1)).unwrap() + Duration::days(1);
    assert_eq!(run(&app, &tomorrow.to_rfc3339()).await, 1);
    let boards = seasons(&app, &t, id).await;
    let second = boards[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(boards[1]["id"], first);
    assert_eq!(boards[1]["is_active"], false);
    let r = app
        .post(
            "/v1/score-events",
            &t.key,
            json!({"board_id": first, "player_key": "late", "player_name": "late", "value": 99}),
        )
        .await;
    r.assert_problem(409, "board_closed");

    // Its final standings stay readable, with ranks and around queries.
    let standings = app.get(&format!("/v1/scores?board_id={first}"), &t.key).await;
    standings.assert(200);
    let ranked: Vec<(u64, f64)> = standings.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["rank"].as_u64().unwrap(), s["value"].as_f64().unwrap()))
        .collect();
    assert_eq!(ranked, vec![(1, 50.0), (2, 40.0), (3, 30.0), (4, 10.0)]);
    let ann = standings.body["data"][2]["id"].as_str().unwrap().to_owned();
    let around = app.get(&format!("/v1/scores?board_id={first}&around_score_id={ann}&limit=3"), &t.key).await;
    around.assert(200);
    let names: Vec<&str> =
        around.body["data"].as_array().unwrap().iter().map(|s| s["player_name"].as_str().unwrap()).collect();
    assert_eq!(names, ["cid", "ann", "bob, jr"]);

    // Its top N exports as JSON and as CSV.
    let json_export = app.get(&format!("/v1/boards/{first}/export?limit=3"), &t.key).await;
    json_export.assert(200);
    assert_eq!(json_export.body["board"]["id"], first);
    let exported: Vec<(u64, f64)> = json_export.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["rank"].as_u64().unwrap(), s["value"].as_f64().unwrap()))
        .collect();
    assert_eq!(exported, vec![(1, 50.0), (2, 40.0), (3, 30.0)]);
    let csv = app.get(&format!("/v1/boards/{first}/export?format=csv&limit=4"), &t.key).await;
    csv.assert(200);
    assert_eq!(csv.headers["content-type"], "text/csv; charset=utf-8");
    assert!(csv.headers["content-disposition"].to_str().unwrap().contains("season-1.csv"));
    let lines: Vec<&str> = csv.text.lines().collect();
    assert_eq!(lines[0], "rank,player_name,value,value_display,identity_id,score_id,updated_at");
    assert_eq!(lines.len(), 5);
    assert!(lines[1].starts_with("1,'=cmd|' /C calc'!A0,50,"), "a formula-like name is defused: {}", lines[1]);
    assert!(lines[2].starts_with("2,cid,40,"), "{}", lines[2]);
    assert!(lines[4].starts_with("4,\"bob, jr\",10,"), "a comma is quoted: {}", lines[4]);
    for bad in ["format=xml", "limit=0", "limit=10001", "limit=ten"] {
        let r = app.get(&format!("/v1/boards/{first}/export?{bad}"), &t.key).await;
        r.assert_problem(422, "validation_failed");
    }
    let other = app.tenant("rival").await;
    app.get(&format!("/v1/boards/{first}/export"), &other.key).await.assert_problem(404, "not_found");

    // Clients get the current season by the template's slug.
    let session = app.session(&game, "device-one").await;
    let access = session.body["access_token"].as_str().unwrap().to_owned();
    let current = app.client(Method::GET, "/v1/client/board-templates/season/current", Some(&access), None, &[]).await;
    current.assert(200);
    assert_eq!(current.body["id"], second);
    let missing = app.client(Method::GET, "/v1/client/board-templates/nope/current", Some(&access), None, &[]).await;
    missing.assert_problem(404, "not_found");
    app.patch(&format!("/v1/boards/{second}"), &t.key, json!({"is_published": false})).await.assert(200);
    let hidden = app.client(Method::GET, "/v1/client/board-templates/season/current", Some(&access), None, &[]).await;
    hidden.assert_problem(404, "not_found");
}
