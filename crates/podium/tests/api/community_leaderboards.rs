//! Community leaderboards and their moderators (community spec, "Leaderboards" and "Roles"):
//! site admins create leaderboards and appoint moderators, anyone reads them, moderators edit
//! the rules, and every role change applies to existing tokens at once.

use axum::http::Method;
use serde_json::json;

use crate::helpers::{Response, SUPERADMIN_KEY, TestApp};

async fn anonymous(app: &TestApp, path: &str) -> Response {
    app.call(Method::GET, path, None, None).await
}

#[tokio::test]
async fn site_admins_create_leaderboards_that_anyone_reads_by_id_or_slug() {
    let app = TestApp::spawn().await;
    let (_, boss) = app.community_admin("Boss").await;
    let (_, runner) = app.community_member("Runner").await;
    let body = json!({"name": "Celeste", "rules": "Real time, no turbo."});
    let created = app.as_member(Method::POST, "/v1/community/leaderboards", &boss, Some(body)).await;
    created.assert(201);
    assert!(created.body["id"].as_str().unwrap().starts_with("lbd_"));
    assert_eq!(
        (created.body["slug"].as_str(), created.body["rules"].as_str()),
        (Some("celeste"), Some("Real time, no turbo."))
    );
    let id = created.id();
    // Members without the role cannot; nor can anyone without a token.
    let denied =
        app.as_member(Method::POST, "/v1/community/leaderboards", &runner, Some(json!({"name": "Mine"}))).await;
    denied.assert_problem(403, "forbidden");
    app.call(Method::POST, "/v1/community/leaderboards", None, Some(json!({"name": "X"})))
        .await
        .assert_problem(401, "unauthorized");
    // A derived slug steps aside; a given one that is taken is 409.
    let again =
        app.as_member(Method::POST, "/v1/community/leaderboards", &boss, Some(json!({"name": "Celeste"}))).await;
    assert_eq!(again.body["slug"], "celeste-2");
    let taken = json!({"name": "Other", "slug": "celeste"});
    app.as_member(Method::POST, "/v1/community/leaderboards", &boss, Some(taken))
        .await
        .assert_problem(409, "slug_taken");
    let bad =
        app.as_member(Method::POST, "/v1/community/leaderboards", &boss, Some(json!({"slug": "Not A Slug"}))).await;
    bad.assert_problem(422, "validation_failed");
    assert_eq!(
        (bad.field_errors("name"), bad.field_errors("slug")),
        (vec!["required".to_owned()], vec!["invalid_format".to_owned()])
    );
    // Anonymous reads.
    assert_eq!(anonymous(&app, &format!("/v1/community/leaderboards/{id}")).await.body["name"], "Celeste");
    assert_eq!(anonymous(&app, "/v1/community/leaderboards/celeste").await.body["id"], id.as_str());
    anonymous(&app, "/v1/community/leaderboards/nope").await.assert_problem(404, "not_found");
    let list = anonymous(&app, "/v1/community/leaderboards?limit=1").await;
    list.assert(200);
    assert_eq!(list.body["data"][0]["slug"], "celeste");
    let next = list.body["pagination"]["next_cursor"].as_str().unwrap().to_owned();
    let page2 = anonymous(&app, &format!("/v1/community/leaderboards?limit=1&cursor={next}")).await;
    assert_eq!(page2.body["data"][0]["slug"], "celeste-2");
}

#[tokio::test]
async fn moderators_edit_the_rules_and_only_site_admins_rename() {
    let app = TestApp::spawn().await;
    let (_, boss) = app.community_admin("Boss").await;
    let (mod_id, moderator) = app.community_member("Mod").await;
    let (_, runner) = app.community_member("Runner").await;
    let lb =
        app.as_member(Method::POST, "/v1/community/leaderboards", &boss, Some(json!({"name": "Celeste"}))).await.id();
    let path = format!("/v1/community/leaderboards/{lb}");
    let rules = json!({"rules": "Any% only"});
    app.as_member(Method::PATCH, &path, &moderator, Some(rules.clone())).await.assert_problem(403, "forbidden");
    let appointed = app
        .as_member(
            Method::POST,
            "/v1/community/modships",
            &boss,
            Some(json!({"user_id": mod_id, "leaderboard_id": lb})),
        )
        .await;
    appointed.assert(201);
    assert!(appointed.body["id"].as_str().unwrap().starts_with("mod_"));
    // The existing token has the role at once.
    let edited = app.as_member(Method::PATCH, "/v1/community/leaderboards/celeste", &moderator, Some(rules)).await;
    edited.assert(200);
    assert_eq!(edited.body["rules"], "Any% only");
    let rename = json!({"name": "Celeste Classic"});
    app.as_member(Method::PATCH, &path, &moderator, Some(rename.clone())).await.assert_problem(403, "forbidden");
    app.as_member(Method::PATCH, &path, &runner, Some(json!({"rules": "x"}))).await.assert_problem(403, "forbidden");
    let renamed = app.as_member(Method::PATCH, &path, &boss, Some(rename)).await;
    renamed.assert(200);
    assert_eq!(renamed.body["name"], "Celeste Classic");
    let null = app.as_member(Method::PATCH, &path, &boss, Some(json!({"name": null}))).await;
    assert_eq!(null.field_errors("name"), ["null_not_allowed"]);
}

#[tokio::test]
async fn modships_are_listed_both_ways_and_removed_by_id_or_by_pair() {
    let app = TestApp::spawn().await;
    let (_, boss) = app.community_admin("Boss").await;
    let (ada, ada_token) = app.community_member("Ada").await;
    let (bob, _) = app.community_member("Bob").await;
    let create = |name: &'static str| {
        let boss = boss.clone();
        let app = &app;
        async move {
            app.as_member(Method::POST, "/v1/community/leaderboards", &boss, Some(json!({"name": name}))).await.id()
        }
    };
    let (one, two) = (create("One").await, create("Two").await);
    let appoint = |user: String, lb: String| {
        let boss = boss.clone();
        let app = &app;
        async move {
            app.as_member(
                Method::POST,
                "/v1/community/modships",
                &boss,
                Some(json!({"user_id": user, "leaderboard_id": lb})),
            )
            .await
        }
    };
    let first = appoint(ada.clone(), one.clone()).await;
    first.assert(201);
    appoint(ada.clone(), two.clone()).await.assert(201);
    appoint(bob.clone(), one.clone()).await.assert(201);
    appoint(ada.clone(), one.clone()).await.assert_problem(409, "conflict");
    let unknown = appoint("mbr_01h00000000000000000000000".into(), "lbd_01h00000000000000000000000".into()).await;
    unknown.assert_problem(422, "validation_failed");
    assert_eq!(
        (unknown.field_errors("user_id"), unknown.field_errors("leaderboard_id")),
        (vec!["not_found".to_owned()], vec!["not_found".to_owned()])
    );
    // Only site admins appoint.
    let by_member = app
        .as_member(
            Method::POST,
            "/v1/community/modships",
            &ada_token,
            Some(json!({"user_id": bob, "leaderboard_id": two})),
        )
        .await;
    by_member.assert_problem(403, "forbidden");
    let names = |r: &Response| -> Vec<String> {
        r.body.as_array().unwrap().iter().map(|m| m["name"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(names(&anonymous(&app, &format!("/v1/community/leaderboards/{one}/moderators")).await), ["Ada", "Bob"]);
    assert_eq!(names(&anonymous(&app, &format!("/v1/community/users/{ada}/moderates")).await), ["One", "Two"]);
    // By id, then by pair.
    app.as_member(Method::DELETE, &format!("/v1/community/modships/{}", first.id()), &boss, None).await.assert(204);
    app.as_member(Method::DELETE, &format!("/v1/community/modships/{}", first.id()), &boss, None)
        .await
        .assert_problem(404, "not_found");
    let pair = format!("/v1/community/modships?user_id={ada}&leaderboard_id={two}");
    app.as_member(Method::DELETE, &pair, &boss, None).await.assert(204);
    app.as_member(Method::DELETE, &pair, &boss, None).await.assert_problem(404, "not_found");
    assert_eq!(names(&anonymous(&app, &format!("/v1/community/users/{ada}/moderates")).await), Vec::<String>::new());
    assert_eq!(names(&anonymous(&app, &format!("/v1/community/leaderboards/{one}/moderators")).await), ["Bob"]);
}

#[tokio::test]
async fn a_removed_moderator_or_a_deleted_account_loses_the_role_at_once() {
    let app = TestApp::spawn().await;
    let (_, boss) = app.community_admin("Boss").await;
    let (ada, ada_token) = app.community_member("Ada").await;
    let lb =
        app.as_member(Method::POST, "/v1/community/leaderboards", &boss, Some(json!({"name": "Celeste"}))).await.id();
    let appoint = json!({"user_id": ada, "leaderboard_id": lb});
    let modship = app.as_member(Method::POST, "/v1/community/modships", &boss, Some(appoint.clone())).await.id();
    let path = format!("/v1/community/leaderboards/{lb}");
    app.as_member(Method::PATCH, &path, &ada_token, Some(json!({"rules": "a"}))).await.assert(200);
    app.as_member(Method::DELETE, &format!("/v1/community/modships/{modship}"), &boss, None).await.assert(204);
    app.as_member(Method::PATCH, &path, &ada_token, Some(json!({"rules": "b"}))).await.assert_problem(403, "forbidden");
    // Deleting the account removes its modships with it.
    app.as_member(Method::POST, "/v1/community/modships", &boss, Some(appoint)).await.assert(201);
    app.as_member(Method::DELETE, "/v1/community/me", &ada_token, None).await.assert(204);
    let moderators = anonymous(&app, &format!("/v1/community/leaderboards/{lb}/moderators")).await;
    assert_eq!(moderators.body, json!([]));
    // A site admin removed by the owner can no longer create leaderboards.
    let (boss_id, _) = (anonymous(&app, "/v1/community/users/by-name/boss").await.id(), ());
    app.delete(&format!("/v1/community/admins/{boss_id}"), SUPERADMIN_KEY).await.assert(204);
    app.as_member(Method::POST, "/v1/community/leaderboards", &boss, Some(json!({"name": "Late"})))
        .await
        .assert_problem(403, "forbidden");
}
