//! Bans (community spec, "Bans" and the Decisions on bans): who may ban whom, a site ban's
//! cascade (modships, tokens, rejecting judgements), a leaderboard ban's, what a banned member
//! can no longer do, lifting, and the lists.

use axum::http::Method;
use serde_json::{Value, json};

use crate::community_runs::Site;
use crate::helpers::{Response, TestApp};

async fn get(app: &TestApp, path: &str) -> Response {
    app.call(Method::GET, path, None, None).await
}

async fn ban(app: &TestApp, who: &str, body: Value) -> Response {
    app.as_member(Method::POST, "/v1/community/bans", who, Some(body)).await
}

#[tokio::test]
async fn a_site_ban_rejects_every_run_removes_modships_and_ends_the_members_tokens() {
    let app = TestApp::spawn().await;
    let site = Site::new(&app).await;
    let (mod_id, mod_token) = site.moderator.clone();
    let created = site.submit(&app, &mod_token, site.run(&[&site.ann.0], &site.pc, 400_000)).await.id();
    let submitted = site.submitted(&app, &mod_token, site.run(&[], &site.pc, 300_000)).await;

    let given = ban(&app, &site.boss.1, json!({"user_id": mod_id, "reason": "cheating"})).await;
    given.assert(201);
    let id = given.id();
    assert!(id.starts_with("ban_"));
    assert_eq!(
        (given.body["leaderboard_id"].is_null(), given.body["banned_by"].as_str(), given.body["lifted_at"].is_null()),
        (true, Some(&*site.boss.0), true)
    );
    for run in [&created, &submitted] {
        assert_eq!(get(&app, &format!("/v1/community/runs/{run}")).await.body["status"], "rejected");
        let judgements = get(&app, &format!("/v1/community/runs/{run}/judgements")).await;
        assert_eq!(judgements.body[0]["judge_id"], json!(site.boss.0));
        assert_eq!(
            (judgements.body[0]["approved"].as_bool(), judgements.body[0]["note"].as_str()),
            (Some(false), Some("cheating"))
        );
    }
    assert_eq!(get(&app, &format!("/v1/community/users/{mod_id}/moderates")).await.body, json!([]));
    app.as_member(Method::GET, "/v1/community/me", &mod_token, None).await.assert_problem(401, "unauthorized");
    let login = json!({"name_or_email": "Moddy", "password": "Secret123"});
    app.call(Method::POST, "/v1/community/login", None, Some(login.clone())).await.assert_problem(403, "member_banned");
    let wrong = json!({"name_or_email": "Moddy", "password": "Wrong1234"});
    app.call(Method::POST, "/v1/community/login", None, Some(wrong)).await.assert_problem(401, "unauthorized");
    // Nobody may approve a run a banned member runs in.
    site.judge(&app, &site.boss.1, &created, json!(true), None).await.assert_problem(409, "run_not_submitted");
    site.judge(&app, &site.boss.1, &submitted, json!(true), None).await.assert_problem(409, "runner_banned");
    // Nor run with them.
    site.submit(&app, &site.ann.1, site.run(&[&mod_id], &site.pc, 200_000)).await.assert_problem(409, "runner_banned");
    ban(&app, &site.boss.1, json!({"user_id": mod_id, "reason": "again"})).await.assert_problem(409, "conflict");

    // The lists show bans in force unless asked for lifted ones.
    let listed = get(&app, &format!("/v1/community/bans?user_id={mod_id}")).await;
    assert_eq!(listed.body["data"][0]["id"], json!(id));
    assert_eq!(get(&app, &format!("/v1/community/users/{mod_id}/bans")).await.body["data"][0]["id"], json!(id));
    assert_eq!(get(&app, &format!("/v1/community/bans/{id}")).await.body, given.body);
    site.judge(&app, &site.moderator.1, &submitted, json!(true), None).await.assert_problem(401, "unauthorized");
    let path = format!("/v1/community/bans/{id}");
    app.as_member(Method::DELETE, &path, &site.ann.1, None).await.assert_problem(403, "forbidden");
    let lifted = app.as_member(Method::DELETE, &path, &site.boss.1, None).await;
    lifted.assert(200);
    assert_eq!((lifted.body["lifted_by"].as_str(), lifted.body["lifted_at"].is_string()), (Some(&*site.boss.0), true));
    app.as_member(Method::DELETE, &path, &site.boss.1, None).await.assert_problem(409, "ban_lifted");
    assert_eq!(get(&app, &format!("/v1/community/bans?user_id={mod_id}")).await.body["data"], json!([]));
    let all = get(&app, &format!("/v1/community/bans?user_id={mod_id}&include_lifted=true")).await;
    assert_eq!(all.body["data"][0]["id"], json!(id));
    // Lifting restores neither runs nor modships; the member may log in again.
    assert_eq!(get(&app, &format!("/v1/community/runs/{submitted}")).await.body["status"], "rejected");
    assert_eq!(get(&app, &format!("/v1/community/users/{mod_id}/moderates")).await.body, json!([]));
    app.call(Method::POST, "/v1/community/login", None, Some(login)).await.assert(200);
    get(&app, "/v1/community/bans/ban_nope").await.assert_problem(404, "not_found");
}

#[tokio::test]
async fn admins_ban_site_wide_and_moderators_on_their_leaderboard_but_never_a_moderator_or_an_admin() {
    let app = TestApp::spawn().await;
    let site = Site::new(&app).await;
    let lb = site.leaderboard.clone();
    let (other_admin, _) = app.community_admin("Root").await;
    let (second_mod, _) = app.community_member("Helper").await;
    let appoint = json!({"user_id": second_mod, "leaderboard_id": lb});
    app.as_member(Method::POST, "/v1/community/modships", &site.boss.1, Some(appoint)).await.assert(201);
    let other_lb = app
        .as_member(Method::POST, "/v1/community/leaderboards", &site.boss.1, Some(json!({"name": "Madeline"})))
        .await
        .id();

    let r = ban(&app, &site.boss.1, json!({})).await;
    assert_eq!(
        (r.field_errors("user_id"), r.field_errors("reason")),
        (vec!["required".to_owned()], vec!["required".to_owned()])
    );
    let r = ban(&app, &site.boss.1, json!({"user_id": "mbr_01JAAAAAAAAAAAAAAAAAAAAAAA", "reason": "x"})).await;
    assert_eq!(r.field_errors("user_id"), ["not_found"]);
    let r = ban(
        &app,
        &site.moderator.1,
        json!({"user_id": site.ann.0, "reason": "x", "leaderboard_id": "lbd_01JAAAAAAAAAAAAAAAAAAAAAAA"}),
    )
    .await;
    assert_eq!(r.field_errors("leaderboard_id"), ["not_found"]);
    let refused = [
        (&site.ann.1, json!({"user_id": site.bea.0, "reason": "x"})),
        (&site.moderator.1, json!({"user_id": site.bea.0, "reason": "x"})),
        (&site.boss.1, json!({"user_id": other_admin, "reason": "x"})),
        (&site.boss.1, json!({"user_id": site.bea.0, "reason": "x", "leaderboard_id": lb})),
        (&site.moderator.1, json!({"user_id": second_mod, "reason": "x", "leaderboard_id": lb})),
        (&site.moderator.1, json!({"user_id": other_admin, "reason": "x", "leaderboard_id": lb})),
        (&site.moderator.1, json!({"user_id": site.bea.0, "reason": "x", "leaderboard_id": other_lb})),
    ];
    for (who, body) in refused {
        ban(&app, who, body.clone()).await.assert_problem(403, "forbidden");
    }

    // A leaderboard ban: the member's runs there are rejected by the moderator, other
    // leaderboards' runs stay, and they cannot submit there.
    let there = site.submitted(&app, &site.bea.1, site.run(&[], &site.pc, 400_000)).await;
    let cat_elsewhere = app
        .as_member(
            Method::POST,
            "/v1/community/categories",
            &site.boss.1,
            Some(json!({"leaderboard_id": other_lb, "name": "Any%", "metrics": [{"name": "Time", "kind": "time"}]})),
        )
        .await
        .id();
    let run_elsewhere = json!({"category_id": cat_elsewhere, "played_on": "2026-11-30",
        "participation": {"comment": "pb"}, "metrics": {}});
    let elsewhere = app.as_member(Method::POST, "/v1/community/runs", &site.bea.1, Some(run_elsewhere.clone())).await;
    assert_eq!(elsewhere.status, 422, "{}", elsewhere.text);
    let time =
        app.call(Method::GET, &format!("/v1/community/categories/{cat_elsewhere}"), None, None).await.body["metrics"]
            [0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
    let mut body = run_elsewhere;
    body["metrics"] = json!({&time: 1000});
    let elsewhere = app.as_member(Method::POST, "/v1/community/runs", &site.bea.1, Some(body)).await;
    elsewhere.assert(201);

    let given =
        ban(&app, &site.moderator.1, json!({"user_id": site.bea.0, "reason": "alt account", "leaderboard_id": lb}))
            .await;
    given.assert(201);
    assert_eq!(given.body["leaderboard_id"], json!(lb));
    assert_eq!(get(&app, &format!("/v1/community/runs/{there}")).await.body["status"], "rejected");
    assert_eq!(get(&app, &format!("/v1/community/runs/{}", elsewhere.id())).await.body["status"], "submitted");
    site.submit(&app, &site.bea.1, site.run(&[], &site.pc, 300_000)).await.assert_problem(403, "member_banned");
    site.submit(&app, &site.ann.1, site.run(&[&site.bea.0], &site.pc, 300_000))
        .await
        .assert_problem(409, "runner_banned");
    app.as_member(Method::GET, "/v1/community/me", &site.bea.1, None).await.assert(200);
    let on_lb = get(&app, &format!("/v1/community/bans?leaderboard_id={lb}")).await;
    assert_eq!(on_lb.body["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(get(&app, &format!("/v1/community/bans?leaderboard_id={other_lb}")).await.body["data"], json!([]));

    // Lifting: this leaderboard's moderators and site admins, nobody else.
    let path = format!("/v1/community/bans/{}", given.id());
    app.as_member(Method::DELETE, &path, &site.cid.1, None).await.assert_problem(403, "forbidden");
    app.as_member(Method::DELETE, &path, &site.moderator.1, None).await.assert(200);
    site.submitted(&app, &site.bea.1, site.run(&[], &site.pc, 300_000)).await;
}
