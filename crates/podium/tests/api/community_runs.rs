//! Runs, participations and judgements (community spec, "Runs, participations, judgements" and
//! the Decisions on runs and metric values): submitting with co-runners, every field rule, the
//! identical and must-improve rules, statuses from participations and judgements, who judges,
//! the reads (anonymous) and the run list's filters.

use axum::body::Body;
use axum::http::{Method, Request};
use serde_json::{Value, json};

use crate::helpers::{Response, TestApp};

/// A community with a site admin, a moderator of one leaderboard and three runners; the
/// leaderboard has a category for one or two players with a required `time` (ascending) and an
/// optional `berries` count (descending), and a required, obsoleting `platform` variable.
pub struct Site {
    pub boss: (String, String),
    pub moderator: (String, String),
    pub ann: (String, String),
    pub bea: (String, String),
    pub cid: (String, String),
    pub leaderboard: String,
    pub category: String,
    pub time: String,
    pub berries: String,
    pub platform: String,
    pub pc: String,
    pub switch: String,
}

impl Site {
    pub async fn new(app: &TestApp) -> Self {
        let boss = app.community_admin("Boss").await;
        let moderator = app.community_member("Moddy").await;
        let ann = app.community_member("Ann").await;
        let bea = app.community_member("Bea").await;
        let cid = app.community_member("Cid").await;
        let lb = app.as_member(Method::POST, "/v1/community/leaderboards", &boss.1, Some(json!({"name": "Celeste"})));
        let leaderboard = lb.await.id();
        app.as_member(
            Method::POST,
            "/v1/community/modships",
            &boss.1,
            Some(json!({"user_id": moderator.0, "leaderboard_id": leaderboard})),
        )
        .await
        .assert(201);
        let category = app
            .as_member(
                Method::POST,
                "/v1/community/categories",
                &boss.1,
                Some(json!({"leaderboard_id": leaderboard, "name": "Any%", "players_min": 1, "players_max": 2,
                    "metrics": [{"name": "Time", "kind": "time", "sort": "asc"},
                                {"name": "Berries", "kind": "count", "sort": "desc", "required": false}]})),
            )
            .await;
        category.assert(201);
        let metric = |i: usize| category.body["metrics"][i]["id"].as_str().unwrap().to_owned();
        let (time, berries) = (metric(0), metric(1));
        let variable = app
            .as_member(
                Method::POST,
                "/v1/community/variables",
                &boss.1,
                Some(json!({"leaderboard_id": leaderboard, "name": "Platform", "values": [{"name": "PC"}, {"name": "Switch"}],
                    "categories": [{"category_id": category.id(), "required": true, "obsoleting": true, "default": "pc"}]})),
            )
            .await;
        variable.assert(201);
        let value = |i: usize| variable.body["values"][i]["id"].as_str().unwrap().to_owned();
        Site {
            boss,
            moderator,
            ann,
            bea,
            cid,
            leaderboard,
            category: category.id(),
            time,
            berries,
            platform: variable.id(),
            pc: value(0),
            switch: value(1),
        }
    }

    /// A run body: `runners` besides the submitter, on `platform`, in `time` ms.
    pub fn run(&self, runners: &[&str], platform: &str, time: u64) -> Value {
        json!({"category_id": self.category, "played_on": "2026-11-30", "participation": {"vod_url": "https://youtu.be/x"},
            "runners": runners, "variables": {&self.platform: platform}, "metrics": {&self.time: time}})
    }

    /// Submits a run as `who` and returns the answer.
    pub async fn submit(&self, app: &TestApp, who: &str, body: Value) -> Response {
        app.as_member(Method::POST, "/v1/community/runs", who, Some(body)).await
    }

    /// Submits a run that must be accepted and returns its id.
    pub async fn submitted(&self, app: &TestApp, who: &str, body: Value) -> String {
        let r = self.submit(app, who, body).await;
        r.assert(201);
        r.id()
    }

    /// A judgement by `who`.
    pub async fn judge(&self, app: &TestApp, who: &str, run: &str, approved: Value, note: Option<&str>) -> Response {
        let mut body = json!({"run_id": run, "approved": approved});
        if let Some(note) = note {
            body["note"] = json!(note);
        }
        app.as_member(Method::POST, "/v1/community/judgements", who, Some(body)).await
    }
}

async fn get(app: &TestApp, path: &str) -> Response {
    app.call(Method::GET, path, None, None).await
}

#[tokio::test]
async fn a_run_with_a_co_runner_waits_for_their_participation_then_takes_the_newest_verdict() {
    let app = TestApp::spawn().await;
    let site = Site::new(&app).await;
    let created = site.submit(&app, &site.ann.1, site.run(&[&site.bea.0], &site.pc, 390_000)).await;
    created.assert(201);
    let run = created.id();
    assert!(run.starts_with("run_"));
    assert_eq!(created.body["status"], "created");
    assert_eq!(created.body["submitted_by"], json!(site.ann.0));
    assert_eq!(created.body["runners"], json!([{"id": site.ann.0, "name": "Ann"}, {"id": site.bea.0, "name": "Bea"}]));
    assert_eq!(created.body["variables"], json!({&site.platform: site.pc}));
    assert_eq!(created.body["metrics"], json!({&site.time: 390_000.0}));
    assert_eq!(created.body["video"], true);
    assert_eq!(get(&app, &format!("/v1/community/runs/{run}")).await.body, created.body);

    let parts = get(&app, &format!("/v1/community/runs/{run}/participations")).await;
    parts.assert(200);
    assert_eq!(parts.body[0]["user_id"], json!(site.ann.0));
    assert_eq!(parts.body[0]["vod_url"], "https://youtu.be/x");
    assert_eq!((parts.body[1]["user_id"].as_str(), parts.body[1]["filled_at"].is_null()), (Some(&*site.bea.0), true));
    let beas = parts.body[1]["id"].as_str().unwrap().to_owned();
    let todo = app.as_member(Method::GET, "/v1/community/me/participations?empty=true", &site.bea.1, None).await;
    assert_eq!(todo.body.as_array().map(|a| a.len()), Some(1));
    let none = app.as_member(Method::GET, "/v1/community/me/participations?empty=true", &site.ann.1, None).await;
    assert_eq!(none.body, json!([]));
    let all = app.as_member(Method::GET, "/v1/community/me/participations", &site.ann.1, None).await;
    assert_eq!(all.body.as_array().map(|a| a.len()), Some(1));

    // Nobody judges a created run; only the runner fills their participation, once.
    site.judge(&app, &site.moderator.1, &run, json!(true), None).await.assert_problem(409, "run_not_submitted");
    let path = format!("/v1/community/participations/{beas}");
    let fill = |token: &str, body: Value| {
        let (app, path, token) = (&app, path.clone(), token.to_owned());
        async move { app.as_member(Method::PATCH, &path, &token, Some(body)).await }
    };
    fill(&site.ann.1, json!({"comment": "gg"})).await.assert_problem(403, "forbidden");
    let r = fill(&site.bea.1, json!({"vod_url": "ftp://example.com/x"})).await;
    assert_eq!(r.field_errors("vod_url"), ["invalid_format"]);
    assert_eq!(fill(&site.bea.1, json!({"comment": "  "})).await.field_errors("comment"), ["required"]);
    let filled = fill(&site.bea.1, json!({"comment": "gg"})).await;
    filled.assert(200);
    assert_eq!(filled.body["comment"], "gg");
    assert!(filled.body["filled_at"].is_string());
    fill(&site.bea.1, json!({"comment": "again"})).await.assert_problem(409, "participation_filled");
    assert_eq!(get(&app, &format!("/v1/community/runs/{run}")).await.body["status"], "submitted");
    assert_eq!(get(&app, &path).await.body, filled.body);

    // Judges: moderators and admins, never a runner of the run; a note unless approving.
    site.judge(&app, &site.cid.1, &run, json!(true), None).await.assert_problem(403, "forbidden");
    let r = site.judge(&app, &site.moderator.1, &run, json!(null), None).await;
    assert_eq!(r.field_errors("note"), ["required"]);
    let r = site.judge(&app, &site.moderator.1, &run, json!(false), Some("")).await;
    assert_eq!(r.field_errors("note"), ["blank"]);
    let comment = site.judge(&app, &site.moderator.1, &run, json!(null), Some("checking the timer")).await;
    comment.assert(201);
    assert_eq!(
        (comment.body["run"]["status"].as_str(), comment.body["judgement"]["approved"].is_null()),
        (Some("submitted"), true)
    );
    let approved = site.judge(&app, &site.moderator.1, &run, json!(true), None).await;
    approved.assert(201);
    assert_eq!(approved.body["run"]["status"], "approved");
    let rejected = site.judge(&app, &site.boss.1, &run, json!(false), Some("wrong version")).await;
    assert_eq!(rejected.body["run"]["status"], "rejected");
    let judgements = get(&app, &format!("/v1/community/runs/{run}/judgements")).await;
    let verdicts: Vec<&Value> = judgements.body.as_array().unwrap().iter().map(|j| &j["approved"]).collect();
    assert_eq!(verdicts, [&json!(null), &json!(true), &json!(false)]);
    let id = rejected.body["judgement"]["id"].as_str().unwrap();
    let one = get(&app, &format!("/v1/community/judgements/{id}")).await;
    assert_eq!(
        (one.body["judge_id"].as_str(), one.body["note"].as_str()),
        (Some(&*site.boss.0), Some("wrong version"))
    );

    let own = site.submitted(&app, &site.moderator.1, site.run(&[], &site.pc, 500_000)).await;
    site.judge(&app, &site.moderator.1, &own, json!(true), None).await.assert_problem(403, "own_run");

    // A deleted runner stays in the run, shown as deleted.
    app.as_member(Method::DELETE, "/v1/community/me", &site.bea.1, None).await.assert(204);
    let after = get(&app, &format!("/v1/community/runs/{run}")).await;
    assert_eq!(after.body["runners"], json!([{"id": site.ann.0, "name": "Ann"}, {"deleted": true}]));
    get(&app, "/v1/community/runs/run_nope").await.assert_problem(404, "not_found");
}

#[tokio::test]
async fn run_submissions_are_checked_field_by_field() {
    let app = TestApp::spawn().await;
    let site = Site::new(&app).await;
    let ann = &site.ann.1;
    let r = site.submit(&app, ann, json!({})).await;
    assert_eq!(r.field_errors("category_id"), ["required"]);
    let r = site.submit(&app, ann, json!({"category_id": "cat_01JAAAAAAAAAAAAAAAAAAAAAAA"})).await;
    assert_eq!(r.field_errors("category_id"), ["not_found"]);

    let r = site.submit(&app, ann, json!({"category_id": site.category})).await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.field_errors("played_on"), ["required"]);
    assert_eq!(r.field_errors("participation"), ["required"]);
    assert_eq!(r.field_errors(&format!("variables.{}", site.platform)), ["required"]);
    assert_eq!(r.field_errors(&format!("metrics.{}", site.time)), ["required"]);

    let with = |patch: Value| {
        let mut body = site.run(&[], &site.pc, 1000);
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    let tomorrow = (chrono::Utc::now().date_naive() + chrono::Days::new(1)).to_string();
    let later = (chrono::Utc::now().date_naive() + chrono::Days::new(2)).to_string();
    let cases = [
        (json!({"played_on": "2026-13-01"}), "played_on", "invalid_format"),
        (json!({"played_on": later}), "played_on", "in_future"),
        (json!({"participation": {"vod_url": "javascript:alert(1)"}}), "participation.vod_url", "invalid_format"),
        (json!({"participation": {"comment": ""}}), "participation", "required"),
        (json!({"runners": [site.bea.0, site.bea.0]}), "runners[1]", "duplicate"),
        (json!({"runners": [site.bea.0, site.cid.0]}), "runners", "too_many"),
        (json!({"runners": ["mbr_01JAAAAAAAAAAAAAAAAAAAAAAA"]}), "runners[0]", "not_found"),
        (
            json!({"variables": {"var_01JAAAAAAAAAAAAAAAAAAAAAAA": site.pc}}),
            "variables.var_01JAAAAAAAAAAAAAAAAAAAAAAA",
            "not_in_category",
        ),
        (json!({"variables": {"platform": site.pc}}), "variables.platform", "invalid_id"),
        (
            json!({"variables": {&site.platform: "val_01JAAAAAAAAAAAAAAAAAAAAAAA"}}),
            &format!("variables.{}", site.platform),
            "not_in_category",
        ),
        (json!({"metrics": {&site.time: 1.5}}), &format!("metrics.{}", site.time), "invalid_value"),
        (json!({"metrics": {&site.time: -1}}), &format!("metrics.{}", site.time), "out_of_range"),
        (
            json!({"metrics": {&site.time: 10, &site.berries: 0.5}}),
            &format!("metrics.{}", site.berries),
            "invalid_value",
        ),
        (
            json!({"metrics": {&site.time: 10, "met_01JAAAAAAAAAAAAAAAAAAAAAAA": 1}}),
            "metrics.met_01JAAAAAAAAAAAAAAAAAAAAAAA",
            "not_in_category",
        ),
        (json!({"metrics": {&site.time: "fast"}}), &format!("metrics.{}", site.time), "invalid_type"),
    ];
    // Ids parse ignoring case: one metric named twice in two casings is a duplicate too.
    let shouting = format!("met_{}", site.time[4..].to_uppercase());
    let r = site.submit(&app, ann, with(json!({"metrics": {&site.time: 10, shouting: 20}}))).await;
    assert_eq!(r.field_errors(&format!("metrics.{}", site.time)), ["duplicate"], "{}", r.text);
    for (patch, field, code) in cases {
        let r = site.submit(&app, ann, with(patch.clone())).await;
        r.assert_problem(422, "validation_failed");
        assert_eq!(r.field_errors(field), [code], "{patch}: {}", r.text);
    }

    // A key given twice in `metrics` is refused by the parser, not resolved "last one wins".
    let text = format!(
        r#"{{"category_id": "{}", "played_on": "2026-11-30", "participation": {{"comment": "pb"}},
            "variables": {{"{}": "{}"}}, "metrics": {{"{t}": 1000, "{t}": 900}}}}"#,
        site.category,
        site.platform,
        site.pc,
        t = site.time
    );
    let request = Request::builder()
        .method(Method::POST)
        .uri("/v1/community/runs")
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {ann}"))
        .body(Body::from(text))
        .unwrap();
    let r = app.raw(request).await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.field_errors(&format!("metrics.{}", site.time)), ["duplicate"]);

    // Listing yourself is allowed (you are a runner anyway); tomorrow is the latest day.
    let me = site.submit(&app, ann, with(json!({"runners": [site.ann.0], "played_on": tomorrow}))).await;
    me.assert(201);
    assert_eq!((me.body["runners"].as_array().map(Vec::len), me.body["status"].as_str()), (Some(1), Some("submitted")));
    let negative_zero =
        with(json!({"metrics": {&site.time: 2000, &site.berries: -0.0}, "participation": {"comment": "pb"}}));
    let r = site.submit(&app, &site.cid.1, negative_zero).await;
    assert_eq!((r.body["metrics"][&site.berries].as_f64(), r.body["video"].as_bool()), (Some(0.0), Some(false)));
    app.call(Method::POST, "/v1/community/runs", None, Some(with(json!({})))).await.assert_problem(401, "unauthorized");
}

#[tokio::test]
async fn identical_runs_are_refused_and_a_new_run_must_beat_every_standing_run_of_its_runners() {
    let app = TestApp::spawn().await;
    let site = Site::new(&app).await;
    let ann = &site.ann.1;
    site.submitted(&app, ann, site.run(&[], &site.pc, 400_000)).await;
    site.submit(&app, ann, site.run(&[], &site.pc, 400_000)).await.assert_problem(409, "duplicate_run");
    site.submit(&app, ann, site.run(&[], &site.pc, 410_000)).await.assert_problem(409, "not_an_improvement");
    site.submitted(&app, ann, site.run(&[], &site.pc, 390_000)).await;
    // 395 beats 400 but not 390, which stands.
    site.submit(&app, ann, site.run(&[], &site.pc, 395_000)).await.assert_problem(409, "not_an_improvement");
    // Another metric counts where both runs give it: more berries beats a faster run.
    let with_berries = |time: u64, berries: u64| {
        let mut body = site.run(&[], &site.pc, time);
        body["metrics"][&site.berries] = json!(berries);
        body
    };
    site.submitted(&app, ann, with_berries(380_000, 5)).await;
    site.submitted(&app, ann, with_berries(385_000, 10)).await;
    site.submit(&app, ann, with_berries(386_000, 10)).await.assert_problem(409, "not_an_improvement");
    // Other variable values and other runner sets (in any order) are other runs.
    site.submitted(&app, ann, site.run(&[], &site.switch, 900_000)).await;
    site.submitted(&app, ann, site.run(&[&site.bea.0], &site.pc, 900_000)).await;
    site.submit(&app, &site.bea.1, site.run(&[&site.ann.0], &site.pc, 900_000))
        .await
        .assert_problem(409, "duplicate_run");
    // A rejected run stands no more, but is still identical to itself.
    let cid = &site.cid.1;
    site.submitted(&app, cid, site.run(&[], &site.pc, 500_000)).await;
    let best = site.submitted(&app, cid, site.run(&[], &site.pc, 490_000)).await;
    site.submit(&app, cid, site.run(&[], &site.pc, 495_000)).await.assert_problem(409, "not_an_improvement");
    site.judge(&app, &site.moderator.1, &best, json!(false), Some("splice")).await.assert(201);
    site.submitted(&app, cid, site.run(&[], &site.pc, 495_000)).await;
    site.submit(&app, cid, site.run(&[], &site.pc, 490_000)).await.assert_problem(409, "duplicate_run");
}

#[tokio::test]
async fn a_category_lists_its_runs_by_status_and_by_several_values_of_a_variable() {
    let app = TestApp::spawn().await;
    let site = Site::new(&app).await;
    let pc = site.submitted(&app, &site.ann.1, site.run(&[], &site.pc, 400_000)).await;
    let switch = site.submitted(&app, &site.ann.1, site.run(&[], &site.switch, 500_000)).await;
    let duo = site.submitted(&app, &site.bea.1, site.run(&[&site.cid.0], &site.pc, 600_000)).await;
    site.judge(&app, &site.moderator.1, &switch, json!(true), None).await.assert(201);
    let list = |query: &str| {
        let (app, path) = (&app, format!("/v1/community/categories/{}/runs{query}", site.category));
        async move { get(app, &path).await }
    };
    let ids = |r: &Response| -> Vec<String> {
        r.body["data"].as_array().unwrap().iter().map(|run| run["id"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(ids(&list("").await), [duo.clone(), switch.clone(), pc.clone()]);
    assert_eq!(ids(&list("?var.platform=pc").await), [duo.clone(), pc.clone()]);
    assert_eq!(ids(&list("?var.platform=pc,switch").await).len(), 3);
    assert_eq!(ids(&list("?status=approved").await), [switch.as_str()]);
    assert_eq!(ids(&list("?status=created").await), [duo.as_str()]);
    assert_eq!(ids(&list("?status=submitted&var.platform=pc&sort=submitted_at:asc").await), [pc.as_str()]);
    assert_eq!(list("?var.nope=pc").await.field_errors("var.nope"), ["not_in_category"]);
    assert_eq!(list("?var.platform=ps5").await.field_errors("var.platform"), ["not_in_category"]);
    assert_eq!(list("?status=done").await.field_errors("status"), ["invalid_enum"]);
    let first = list("?limit=1").await;
    assert_eq!(ids(&first), [duo]);
    let cursor = first.body["pagination"]["next_cursor"].as_str().unwrap().to_owned();
    assert_eq!(ids(&list(&format!("?limit=1&cursor={cursor}")).await), [switch]);
    list(&format!("?limit=1&cursor={cursor}&var.platform=pc")).await.assert_problem(400, "cursor_mismatch");
    get(&app, "/v1/community/categories/cat_01JAAAAAAAAAAAAAAAAAAAAAAA/runs").await.assert_problem(404, "not_found");
}
