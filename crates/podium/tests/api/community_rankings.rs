//! Community rankings (community spec, "Ranking"): approved runs only, the best per runner set
//! and obsoleting values (obsolete ones on request), shared ranks for ties, several values per
//! variable filter, cursor pages with absolute ranks, kept current by judgements, bans, value
//! replacements and account deletions, and rebuilt from the store at start-up.

use axum::http::Method;
use serde_json::{Value, json};

use crate::community_runs::Site;
use crate::helpers::{Response, TestApp};

/// (runner name or "deleted", rank, value, obsolete) of each listed run.
fn rows(r: &Response) -> Vec<(String, u64, f64, bool)> {
    r.assert(200);
    r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let runner = &e["run"]["runners"][0];
            let name = runner["name"].as_str().map_or_else(|| "deleted".to_owned(), str::to_owned);
            (name, e["rank"].as_u64().unwrap(), e["value"].as_f64().unwrap(), e["obsolete"].as_bool().unwrap())
        })
        .collect()
}

/// (first runner's name, value, previous record, improvement) of a record history entry.
type Record<'a> = (Option<&'a str>, f64, Option<f64>, Option<f64>);

fn row(name: &str, rank: u64, value: f64, obsolete: bool) -> (String, u64, f64, bool) {
    (name.to_owned(), rank, value, obsolete)
}

async fn approve(app: &TestApp, site: &Site, run: &str) {
    site.judge(app, &site.moderator.1, run, json!(true), None).await.assert(201);
}

async fn approved(app: &TestApp, site: &Site, who: &str, body: Value) -> String {
    let id = site.submitted(app, who, body).await;
    approve(app, site, &id).await;
    id
}

#[tokio::test]
async fn a_ranking_keeps_the_best_approved_run_of_each_runner_set_and_ties_share_a_rank() {
    let app = TestApp::spawn().await;
    let site = Site::new(&app).await;
    let board = |query: &str| {
        let (app, path) = (&app, format!("/v1/community/categories/{}/leaderboard{query}", site.category));
        async move { app.call(Method::GET, &path, None, None).await }
    };
    approved(&app, &site, &site.ann.1, site.run(&[], &site.pc, 400_000)).await;
    let ann_pc = approved(&app, &site, &site.ann.1, site.run(&[], &site.pc, 390_000)).await;
    let mut earlier = site.run(&[], &site.pc, 390_000);
    earlier["played_on"] = json!("2026-11-29");
    approved(&app, &site, &site.bea.1, earlier).await;
    approved(&app, &site, &site.cid.1, site.run(&[], &site.pc, 400_000)).await;
    approved(&app, &site, &site.ann.1, site.run(&[], &site.switch, 300_000)).await;
    // Not approved: not ranked.
    site.submitted(&app, &site.cid.1, site.run(&[], &site.pc, 100_000)).await;
    let mut with_berries = site.run(&[], &site.switch, 350_000);
    with_berries["metrics"][&site.berries] = json!(12);
    approved(&app, &site, &site.bea.1, with_berries).await;

    assert_eq!(
        rows(&board("?var.platform=pc").await),
        [row("Bea", 1, 390_000.0, false), row("Ann", 1, 390_000.0, false), row("Cid", 3, 400_000.0, false)]
    );
    assert_eq!(
        rows(&board("?var.platform=pc&include_obsolete=true").await),
        [
            row("Bea", 1, 390_000.0, false),
            row("Ann", 1, 390_000.0, false),
            row("Ann", 3, 400_000.0, true),
            row("Cid", 3, 400_000.0, false)
        ]
    );
    // Different values of an obsoleting variable rank apart; filters take several values.
    let everything = rows(&board("").await);
    assert_eq!(everything, rows(&board("?var.platform=pc,switch").await));
    assert_eq!(everything.len(), 5);
    assert_eq!(everything[0], row("Ann", 1, 300_000.0, false));
    assert_eq!(rows(&board(&format!("?metric={}", site.berries)).await), [row("Bea", 1, 12.0, false)]);
    assert_eq!(rows(&board("?metric=berries").await), [row("Bea", 1, 12.0, false)]);
    assert_eq!(board("?metric=deaths").await.field_errors("metric"), ["not_in_category"]);
    assert_eq!(board("?var.platform=ps5").await.field_errors("var.platform"), ["not_in_category"]);
    board("?sort=rank:desc").await.assert_problem(400, "invalid_sort");

    // Pages keep absolute ranks, both ways.
    let first = board("?var.platform=pc&limit=2").await;
    assert_eq!(rows(&first), [row("Bea", 1, 390_000.0, false), row("Ann", 1, 390_000.0, false)]);
    let next = first.body["pagination"]["next_cursor"].as_str().unwrap().to_owned();
    let second = board(&format!("?var.platform=pc&limit=2&cursor={next}")).await;
    assert_eq!(rows(&second), [row("Cid", 3, 400_000.0, false)]);
    assert_eq!(second.body["pagination"]["has_next"], false);
    let prev = second.body["pagination"]["prev_cursor"].as_str().unwrap().to_owned();
    assert_eq!(rows(&board(&format!("?var.platform=pc&limit=2&cursor={prev}")).await), rows(&first));
    board(&format!("?limit=2&cursor={next}")).await.assert_problem(400, "cursor_mismatch");

    // A rejection takes a run out at once; the runner's older run is current again.
    site.judge(&app, &site.moderator.1, &ann_pc, json!(false), Some("timer")).await.assert(201);
    assert_eq!(
        rows(&board("?var.platform=pc").await),
        [row("Bea", 1, 390_000.0, false), row("Ann", 2, 400_000.0, false), row("Cid", 2, 400_000.0, false)]
    );
    approve(&app, &site, &ann_pc).await;
    // A ban rejects every run of the member.
    app.as_member(
        Method::POST,
        "/v1/community/bans",
        &site.boss.1,
        Some(json!({"user_id": site.cid.0, "reason": "alt"})),
    )
    .await
    .assert(201);
    assert_eq!(
        rows(&board("?var.platform=pc").await),
        [row("Bea", 1, 390_000.0, false), row("Ann", 1, 390_000.0, false)]
    );
    // A value deleted with a replacement moves its runs: Ann's Switch 300 is now her PC best.
    let path = format!("/v1/community/variable-values/{}?replacement={}", site.switch, site.pc);
    let deleted = app.as_member(Method::DELETE, &path, &site.boss.1, None).await;
    assert_eq!(deleted.status, 409, "a variable keeps two values: {}", deleted.text);
    app.as_member(
        Method::POST,
        &format!("/v1/community/variables/{}/values", site.platform),
        &site.boss.1,
        Some(json!({"name": "PS5"})),
    )
    .await
    .assert(201);
    app.as_member(Method::DELETE, &path, &site.boss.1, None).await.assert(204);
    assert_eq!(
        rows(&board("?var.platform=pc&include_obsolete=true").await),
        [
            row("Ann", 1, 300_000.0, false),
            row("Bea", 2, 350_000.0, false),
            row("Bea", 3, 390_000.0, true),
            row("Ann", 3, 390_000.0, true),
            row("Ann", 3, 400_000.0, true)
        ]
    );
    // A deleted account's runs still rank, shown as deleted, unless every runner is deleted.
    let duo = site.submitted(&app, &site.ann.1, site.run(&[&site.bea.0], &site.pc, 380_000)).await;
    let parts = app.call(Method::GET, &format!("/v1/community/runs/{duo}/participations"), None, None).await;
    let beas = parts.body[1]["id"].as_str().unwrap().to_owned();
    let fill = Some(json!({"comment": "gg"}));
    app.as_member(Method::PATCH, &format!("/v1/community/participations/{beas}"), &site.bea.1, fill).await.assert(200);
    approve(&app, &site, &duo).await;
    app.as_member(Method::DELETE, "/v1/community/me", &site.bea.1, None).await.assert(204);
    let listed = board("?var.platform=pc").await;
    let after = rows(&listed);
    assert_eq!(after, [row("Ann", 1, 300_000.0, false), row("Ann", 2, 380_000.0, false)]);
    assert_eq!(listed.body["data"][1]["run"]["runners"], json!([{"id": site.ann.0, "name": "Ann"}, {"deleted": true}]));

    // Rebuilt from the stored runs at start-up: the same answers.
    let restarted = app.restart().await;
    let path = format!("/v1/community/categories/{}/leaderboard?var.platform=pc&include_obsolete=true", site.category);
    let again = restarted.call(Method::GET, &path, None, None).await;
    let again = rows(&again);
    assert_eq!(again.len(), 4, "Ann's 300, the duo's 380, Ann's obsolete 390 and 400: {again:?}");
    assert_eq!(again[..2], after[..]);
    app.call(Method::GET, "/v1/community/categories/cat_01JAAAAAAAAAAAAAAAAAAAAAAA/leaderboard", None, None)
        .await
        .assert_problem(404, "not_found");
}

#[tokio::test]
async fn past_rankings_record_histories_top_places_video_only_and_the_moderation_queue() {
    let app = TestApp::spawn().await;
    let site = Site::new(&app).await;
    let board = |query: &str| {
        let (app, path) = (&app, format!("/v1/community/categories/{}/leaderboard{query}", site.category));
        async move { app.call(Method::GET, &path, None, None).await }
    };
    let played = |time: u64, day: &str, video: bool| {
        let mut body = site.run(&[], &site.pc, time);
        body["played_on"] = json!(day);
        if !video {
            body["participation"] = json!({"comment": "no video, trust me"});
        }
        body
    };
    approved(&app, &site, &site.ann.1, played(400_000, "2026-11-01", true)).await;
    approved(&app, &site, &site.bea.1, played(390_000, "2026-11-10", false)).await;
    approved(&app, &site, &site.cid.1, played(370_000, "2026-11-20", true)).await;
    approved(&app, &site, &site.ann.1, played(370_000, "2026-11-25", true)).await;

    assert_eq!(
        rows(&board("").await),
        [row("Cid", 1, 370_000.0, false), row("Ann", 1, 370_000.0, false), row("Bea", 3, 390_000.0, false)]
    );
    // As of a past day: the runs played by then, each runner's best then.
    assert_eq!(rows(&board("?as_of=2026-11-05").await), [row("Ann", 1, 400_000.0, false)]);
    assert_eq!(
        rows(&board("?as_of=2026-11-15").await),
        [row("Bea", 1, 390_000.0, false), row("Ann", 2, 400_000.0, false)]
    );
    assert_eq!(board("?as_of=2026-13-01").await.field_errors("as_of"), ["invalid_value"]);
    // Top places: ties carry it past N.
    assert_eq!(rows(&board("?top=1").await).len(), 2);
    assert_eq!(rows(&board("?top=2").await).len(), 2);
    assert_eq!(rows(&board("?top=3").await).len(), 3);
    let short = board("?top=1&limit=1").await;
    assert_eq!((rows(&short).len(), short.body["pagination"]["has_next"].as_bool()), (1, Some(true)));
    assert_eq!(board("?top=0").await.field_errors("top"), ["out_of_range"]);
    // Video only: ranks among the runs with a video.
    assert_eq!(
        rows(&board("?video_only=true").await),
        [row("Cid", 1, 370_000.0, false), row("Ann", 1, 370_000.0, false)]
    );

    // The record history: each run that beat the record of its day; a tie is no record.
    let records =
        app.call(Method::GET, &format!("/v1/community/categories/{}/records", site.category), None, None).await;
    records.assert(200);
    let history: Vec<Record> = records
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let name = r["run"]["runners"][0]["name"].as_str();
            (name, r["value"].as_f64().unwrap(), r["previous"].as_f64(), r["improvement"].as_f64())
        })
        .collect();
    assert_eq!(
        history,
        [
            (Some("Ann"), 400_000.0, None, None),
            (Some("Bea"), 390_000.0, Some(400_000.0), Some(10_000.0)),
            (Some("Cid"), 370_000.0, Some(390_000.0), Some(20_000.0))
        ]
    );
    let on_switch = format!("/v1/community/categories/{}/records?var.platform=switch", site.category);
    assert_eq!(app.call(Method::GET, &on_switch, None, None).await.body, json!([]));
    let video = format!("/v1/community/categories/{}/records?video_only=true", site.category);
    assert_eq!(app.call(Method::GET, &video, None, None).await.body.as_array().map(Vec::len), Some(2));

    // The moderation queue: submitted runs of every category of the leaderboard, oldest first.
    let other = app
        .as_member(
            Method::POST,
            "/v1/community/categories",
            &site.boss.1,
            Some(json!({"leaderboard_id": site.leaderboard, "name": "100%", "metrics": [{"name": "Time", "kind": "time"}]})),
        )
        .await;
    let time = other.body["metrics"][0]["id"].as_str().unwrap().to_owned();
    let first = site.submitted(&app, &site.ann.1, site.run(&[], &site.pc, 360_000)).await;
    let elsewhere = json!({"category_id": other.id(), "played_on": "2026-11-30", "participation": {"comment": "pb"},
        "metrics": {&time: 1_000_000}});
    let second = site.submitted(&app, &site.bea.1, elsewhere).await;
    site.submit(&app, &site.cid.1, site.run(&[&site.ann.0], &site.pc, 500_000)).await.assert(201);
    let queue = app.call(Method::GET, "/v1/community/leaderboards/celeste/queue", None, None).await;
    queue.assert(200);
    let ids: Vec<&str> = queue.body["data"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [first.as_str(), second.as_str()], "created runs wait for their runners, not for moderators");
    assert_eq!(queue.body["total"], 2);
    assert_eq!(queue.body["by_category"], json!({&site.category: 1, other.id(): 1}));
    let page = app.call(Method::GET, "/v1/community/leaderboards/celeste/queue?limit=1", None, None).await;
    assert_eq!((page.body["data"][0]["id"].as_str(), page.body["total"].as_u64()), (Some(first.as_str()), Some(2)));
    app.call(Method::GET, "/v1/community/leaderboards/nope/queue", None, None).await.assert_problem(404, "not_found");
}
