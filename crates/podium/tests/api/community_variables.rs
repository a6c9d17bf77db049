//! Variables of community categories and their values (community spec, "Variables" and the
//! Decisions on values): created with two or more values and at least one category, renamed,
//! assigned and unassigned (deleted with their last category), values added, renamed and
//! deleted, every rule a per-field 422 or a 409.

use axum::http::Method;
use serde_json::{Value, json};

use crate::helpers::{Response, SUPERADMIN_KEY, TestApp};

async fn get(app: &TestApp, path: &str) -> Response {
    app.call(Method::GET, path, None, None).await
}

/// A moderator (a site admin), a plain member, a leaderboard with two categories.
async fn setup(app: &TestApp) -> (String, String, String, String, String) {
    let (boss_id, boss) = app.community_member("Boss").await;
    app.post("/v1/community/admins", SUPERADMIN_KEY, json!({"user_id": boss_id})).await.assert(201);
    let (_, runner) = app.community_member("Runner").await;
    let lb =
        app.as_member(Method::POST, "/v1/community/leaderboards", &boss, Some(json!({"name": "Celeste"}))).await.id();
    let category =
        |name: &str| json!({"leaderboard_id": lb, "name": name, "metrics": [{"name": "Time", "kind": "time"}]});
    let any = app.as_member(Method::POST, "/v1/community/categories", &boss, Some(category("Any%"))).await.id();
    let full = app.as_member(Method::POST, "/v1/community/categories", &boss, Some(category("100%"))).await.id();
    (boss, runner, lb, any, full)
}

fn platform(lb: &str, any: &str) -> Value {
    json!({"leaderboard_id": lb, "name": "Platform", "values": [{"name": "PC"}, {"name": "Switch"}],
        "categories": [{"category_id": any, "required": true, "obsoleting": true, "default": "pc"}]})
}

#[tokio::test]
async fn moderators_create_variables_that_anyone_reads() {
    let app = TestApp::spawn().await;
    let (boss, runner, lb, any, full) = setup(&app).await;
    let created = app.as_member(Method::POST, "/v1/community/variables", &boss, Some(platform(&lb, &any))).await;
    created.assert(201);
    let v = &created.body;
    assert!(v["id"].as_str().unwrap().starts_with("var_"));
    assert_eq!(v["slug"], "platform");
    assert_eq!(v["values"][0]["slug"], "pc");
    assert!(v["values"][1]["id"].as_str().unwrap().starts_with("val_"));
    assert_eq!(v["categories"], json!([{"category_id": any, "required": true, "obsoleting": true}]));
    let id = created.id();
    assert_eq!(get(&app, &format!("/v1/community/variables/{id}")).await.body, created.body);
    assert_eq!(get(&app, &format!("/v1/community/categories/{any}/variables")).await.body, json!([created.body]));
    assert_eq!(get(&app, &format!("/v1/community/categories/{full}/variables")).await.body, json!([]));
    let value = v["values"][1]["id"].as_str().unwrap();
    let read = get(&app, &format!("/v1/community/variable-values/{value}")).await;
    assert_eq!((read.body["name"].as_str(), read.body["variable_id"].as_str()), (Some("Switch"), Some(id.as_str())));
    app.as_member(Method::POST, "/v1/community/variables", &runner, Some(platform(&lb, &any)))
        .await
        .assert_problem(403, "forbidden");
    app.as_member(Method::POST, "/v1/community/variables", &boss, Some(platform(&lb, &any)))
        .await
        .assert_problem(409, "slug_taken");
}

#[tokio::test]
async fn variable_rules_are_checked_field_by_field() {
    let app = TestApp::spawn().await;
    let (boss, _, lb, any, _) = setup(&app).await;
    let post = |body: Value| {
        let (app, boss) = (&app, boss.clone());
        async move { app.as_member(Method::POST, "/v1/community/variables", &boss, Some(body)).await }
    };
    let r = post(json!({"leaderboard_id": lb, "name": "Platform", "slug": "Plat-form", "values": [{"name": "PC"}], "categories": []})).await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.field_errors("slug"), ["invalid_format"]);
    assert_eq!(r.field_errors("values"), ["too_few"]);
    assert_eq!(r.field_errors("categories"), ["too_few"]);
    let r = post(
        json!({"leaderboard_id": lb, "name": "Platform", "values": [{"name": "PC"}, {"name": "pc", "slug": "pc"}, {}],
        "categories": [{"category_id": any, "required": true}, {"category_id": any}]}),
    )
    .await;
    assert_eq!(r.field_errors("values[1].slug"), ["duplicate"]);
    assert_eq!(r.field_errors("values[2].name"), ["required"]);
    assert_eq!(r.field_errors("categories[0].default"), ["required"]);
    assert_eq!(r.field_errors("categories[1].category_id"), ["duplicate"]);
    let r = post(json!({"leaderboard_id": lb, "name": "Platform", "values": [{"name": "PC"}, {"name": "Switch"}],
        "categories": [{"category_id": any, "required": true, "default": "xbox"},
                       {"category_id": "cat_01h00000000000000000000000"}]}))
    .await;
    assert_eq!(r.field_errors("categories[0].default"), ["not_found"]);
    assert_eq!(r.field_errors("categories[1].category_id"), ["not_found"]);
    // A slug nobody gave steps aside instead of failing.
    let r = post(json!({"leaderboard_id": lb, "name": "Region", "values": [{"name": "EU"}, {"name": "eu"}],
        "categories": [{"category_id": any}]}))
    .await;
    r.assert(201);
    assert_eq!(
        (r.body["values"][0]["slug"].as_str(), r.body["values"][1]["slug"].as_str()),
        (Some("eu"), Some("eu-2"))
    );
    // A category of another leaderboard is not one of this leaderboard's.
    let other =
        app.as_member(Method::POST, "/v1/community/leaderboards", &boss, Some(json!({"name": "Other"}))).await.id();
    let r = post(platform(&other, &any)).await;
    assert_eq!(r.field_errors("categories[0].category_id"), ["not_found"]);
}

#[tokio::test]
async fn assigning_and_unassigning_and_the_last_unassignment_deletes_the_variable() {
    let app = TestApp::spawn().await;
    let (boss, runner, lb, any, full) = setup(&app).await;
    let id = app.as_member(Method::POST, "/v1/community/variables", &boss, Some(platform(&lb, &any))).await.id();
    let assign = format!("/v1/community/variables/{id}/categories");
    let r = app.as_member(Method::POST, &assign, &boss, Some(json!({"category_id": full, "required": true}))).await;
    assert_eq!(r.field_errors("default"), ["required"]);
    let r = app.as_member(Method::POST, &assign, &boss, Some(json!({"category_id": full, "obsoleting": true}))).await;
    r.assert(200);
    assert_eq!(r.body["categories"].as_array().unwrap().len(), 2);
    // Assigning again changes the flags.
    let r = app
        .as_member(
            Method::POST,
            &assign,
            &boss,
            Some(json!({"category_id": full, "required": true, "default": "switch"})),
        )
        .await;
    assert_eq!(r.body["categories"][1], json!({"category_id": full, "required": true, "obsoleting": false}));
    app.as_member(Method::POST, &assign, &runner, Some(json!({"category_id": full})))
        .await
        .assert_problem(403, "forbidden");
    app.as_member(Method::DELETE, &format!("{assign}/{any}"), &boss, None).await.assert(204);
    app.as_member(Method::DELETE, &format!("{assign}/{any}"), &boss, None).await.assert_problem(404, "not_found");
    assert_eq!(
        get(&app, &format!("/v1/community/variables/{id}")).await.body["categories"].as_array().unwrap().len(),
        1
    );
    app.as_member(Method::DELETE, &format!("{assign}/{full}"), &boss, None).await.assert(204);
    get(&app, &format!("/v1/community/variables/{id}")).await.assert_problem(404, "not_found");
}

#[tokio::test]
async fn values_are_added_renamed_and_deleted_keeping_at_least_two() {
    let app = TestApp::spawn().await;
    let (boss, runner, lb, any, _) = setup(&app).await;
    let created = app.as_member(Method::POST, "/v1/community/variables", &boss, Some(platform(&lb, &any))).await;
    let id = created.id();
    let (pc, switch) = (
        created.body["values"][0]["id"].as_str().unwrap().to_owned(),
        created.body["values"][1]["id"].as_str().unwrap().to_owned(),
    );
    let values = format!("/v1/community/variables/{id}/values");
    let added = app.as_member(Method::POST, &values, &boss, Some(json!({"name": "PlayStation 5"}))).await;
    added.assert(201);
    assert_eq!(added.body["slug"], "playstation-5");
    let r = app.as_member(Method::POST, &values, &boss, Some(json!({"name": "pc", "slug": "pc"}))).await;
    assert_eq!(r.field_errors("slug"), ["duplicate"]);
    app.as_member(Method::POST, &values, &runner, Some(json!({"name": "Xbox"}))).await.assert_problem(403, "forbidden");
    let ps5 = added.id();
    let renamed = app
        .as_member(
            Method::PATCH,
            &format!("/v1/community/variable-values/{ps5}"),
            &boss,
            Some(json!({"name": "PS5", "slug": "ps5"})),
        )
        .await;
    renamed.assert(200);
    assert_eq!((renamed.body["name"].as_str(), renamed.body["slug"].as_str()), (Some("PS5"), Some("ps5")));
    let r = app
        .as_member(Method::PATCH, &format!("/v1/community/variable-values/{ps5}"), &boss, Some(json!({"slug": "pc"})))
        .await;
    assert_eq!(r.field_errors("slug"), ["duplicate"]);
    // The variable renames too.
    let v = app
        .as_member(
            Method::PATCH,
            &format!("/v1/community/variables/{id}"),
            &boss,
            Some(json!({"name": "System", "slug": "system"})),
        )
        .await;
    assert_eq!((v.body["slug"].as_str(), v.body["values"].as_array().unwrap().len()), (Some("system"), 3));
    // Delete: a replacement must be another value of the variable; two values always stay.
    let del = |value: &str, replacement: &str| format!("/v1/community/variable-values/{value}{replacement}");
    let r = app.as_member(Method::DELETE, &del(&ps5, &format!("?replacement={ps5}")), &boss, None).await;
    assert_eq!(r.field_errors("replacement"), ["not_found"]);
    app.as_member(Method::DELETE, &del(&ps5, &format!("?replacement={pc}")), &boss, None).await.assert(204);
    get(&app, &format!("/v1/community/variable-values/{ps5}")).await.assert_problem(404, "not_found");
    app.as_member(Method::DELETE, &del(&switch, ""), &boss, None).await.assert_problem(409, "conflict");
    assert_eq!(get(&app, &format!("/v1/community/variables/{id}")).await.body["values"].as_array().unwrap().len(), 2);
    app.as_member(Method::DELETE, &format!("/v1/community/variables/{id}"), &boss, None).await.assert(204);
    get(&app, &format!("/v1/community/variable-values/{pc}")).await.assert_problem(404, "not_found");
}

#[tokio::test]
async fn deleting_a_category_deletes_the_variables_assigned_to_it_alone() {
    let app = TestApp::spawn().await;
    let (boss, _, lb, any, full) = setup(&app).await;
    let only_any = app.as_member(Method::POST, "/v1/community/variables", &boss, Some(platform(&lb, &any))).await.id();
    let both = json!({"leaderboard_id": lb, "name": "Version", "values": [{"name": "Old"}, {"name": "New"}],
        "categories": [{"category_id": any}, {"category_id": full}]});
    let shared = app.as_member(Method::POST, "/v1/community/variables", &boss, Some(both)).await.id();
    app.as_member(Method::DELETE, &format!("/v1/community/categories/{any}"), &boss, None).await.assert(204);
    get(&app, &format!("/v1/community/variables/{only_any}")).await.assert_problem(404, "not_found");
    let kept = get(&app, &format!("/v1/community/variables/{shared}")).await;
    kept.assert(200);
    assert_eq!(kept.body["categories"], json!([{"category_id": full, "required": false, "obsoleting": false}]));
}

#[tokio::test]
async fn concurrent_edits_of_one_variable_never_lose_an_acknowledged_value() {
    let app = TestApp::spawn().await;
    let (boss, _, lb, any, _) = setup(&app).await;
    let id = app.as_member(Method::POST, "/v1/community/variables", &boss, Some(platform(&lb, &any))).await.id();
    let values = format!("/v1/community/variables/{id}/values");
    let adds = (0..8).map(|i| {
        let (app, boss, values) = (&app, boss.clone(), values.clone());
        async move { app.as_member(Method::POST, &values, &boss, Some(json!({"name": format!("Console {i}")}))).await }
    });
    let answers = futures_util::future::join_all(adds).await;
    let stored = get(&app, &format!("/v1/community/variables/{id}")).await;
    let kept: Vec<&str> = stored.body["values"].as_array().unwrap().iter().map(|v| v["id"].as_str().unwrap()).collect();
    for a in &answers {
        match a.status.as_u16() {
            201 => assert!(kept.contains(&a.body["id"].as_str().unwrap()), "an acknowledged value was lost"),
            409 => assert_eq!(a.body["code"], "conflict"),
            other => panic!("unexpected status {other}: {}", a.body),
        }
    }
    assert_eq!(kept.len(), 2 + answers.iter().filter(|a| a.status.as_u16() == 201).count());
}
