//! The community site's members and roles (community spec, "Members and roles" and its
//! Decisions): registration, login and its limits, tokens, `me`, public profiles, account
//! deletion, the owner's site admins, and that no secret reaches the logs.

use std::sync::{Arc, Mutex};

use axum::http::Method;
use serde_json::{Value, json};

use crate::helpers::{Response, SUPERADMIN_KEY, TestApp};

fn registration(name: &str, email: &str) -> Value {
    json!({"name": name, "email": email, "password": "Secret123", "password_confirmation": "Secret123"})
}

async fn register(app: &TestApp, name: &str, email: &str) -> Response {
    app.call(Method::POST, "/v1/community/register", None, Some(registration(name, email))).await
}

async fn login(app: &TestApp, who: &str, password: &str) -> Response {
    login_from(app, "203.0.113.7:40000", who, password).await
}

async fn login_from(app: &TestApp, peer: &str, who: &str, password: &str) -> Response {
    let body = json!({"name_or_email": who, "password": password});
    app.client_from(peer, Method::POST, "/v1/community/login", None, Some(body), &[]).await
}

/// Registers `name` and logs in: (member id, token).
async fn member(app: &TestApp, name: &str) -> (String, String) {
    let r = register(app, name, &format!("{}@example.test", name.to_lowercase())).await;
    r.assert(201);
    let l = login(app, name, "Secret123").await;
    l.assert(200);
    (r.id(), l.body["access_token"].as_str().unwrap().to_owned())
}

async fn me(app: &TestApp, token: &str) -> Response {
    app.client(Method::GET, "/v1/community/me", Some(token), None, &[]).await
}

#[tokio::test]
async fn registering_answers_the_member_and_names_are_unique_ignoring_case() {
    let app = TestApp::spawn().await;
    let r = register(&app, "Ada_Lovelace", "ada@example.test").await;
    r.assert(201);
    assert!(r.body["id"].as_str().unwrap().starts_with("mbr_"));
    assert_eq!(r.body["name"], "Ada_Lovelace");
    assert_eq!(r.body["admin"], false);
    assert_eq!(r.body["about"], "");
    assert!(r.body.get("email").is_none() && r.body.get("password").is_none());
    register(&app, "ada_lovelace", "other@example.test").await.assert_problem(409, "name_taken");
    register(&app, "ÄDA", "a1@example.test").await.assert(201);
    register(&app, "äda", "a2@example.test").await.assert_problem(409, "name_taken");
}

#[tokio::test]
async fn registration_refuses_bad_names_passwords_and_confirmations_field_by_field() {
    let app = TestApp::spawn().await;
    let bad = json!({"name": "_ada", "email": "nope", "password": "alllower1", "password_confirmation": "x"});
    let r = app.call(Method::POST, "/v1/community/register", None, Some(bad)).await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.field_errors("name"), ["invalid_format"]);
    assert_eq!(r.field_errors("email"), ["invalid_format"]);
    assert_eq!(r.field_errors("password"), ["password_format"]);
    assert_eq!(r.field_errors("password_confirmation"), ["confirmation_mismatch"]);
    let r = app.call(Method::POST, "/v1/community/register", None, Some(json!({}))).await;
    r.assert_problem(422, "validation_failed");
    for field in ["name", "email", "password", "password_confirmation"] {
        assert_eq!(r.field_errors(field), ["required"], "{field}");
    }
    let short = json!({"name": "a", "email": "a@b.test", "password": "Sh0rt", "password_confirmation": "Sh0rt"});
    let r = app.call(Method::POST, "/v1/community/register", None, Some(short)).await;
    assert_eq!(r.field_errors("name"), ["too_short"]);
    assert_eq!(r.field_errors("password"), ["too_short"]);
    let extra = json!({"name": "ada", "email": "a@b.test", "password": "Secret123",
        "password_confirmation": "Secret123", "admin": true});
    let r = app.call(Method::POST, "/v1/community/register", None, Some(extra)).await;
    assert_eq!(r.field_errors("admin"), ["unknown_field"]);
}

#[tokio::test]
async fn a_taken_email_gets_the_same_answer_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    register(&app, "ada", "ada@example.test").await.assert(201);
    let body = json!({"name": "bob", "email": "ADA@example.test", "password": "Other1234",
        "password_confirmation": "Other1234"});
    let again = app.call(Method::POST, "/v1/community/register", None, Some(body)).await;
    again.assert(201);
    assert_eq!(again.body["name"], "bob");
    let path = format!("/v1/community/users/{}", again.id());
    app.call(Method::GET, &path, None, None).await.assert_problem(404, "not_found");
    app.call(Method::GET, "/v1/community/users/by-name/bob", None, None).await.assert_problem(404, "not_found");
    login(&app, "bob", "Other1234").await.assert_problem(401, "unauthorized");
    login(&app, "ada@example.test", "Other1234").await.assert_problem(401, "unauthorized");
    login(&app, "ada@example.test", "Secret123").await.assert(200);
}

#[tokio::test]
async fn login_by_name_or_email_gives_a_token_and_wrong_credentials_do_not_say_which_part() {
    let app = TestApp::spawn().await;
    let (id, token) = member(&app, "Ada").await;
    assert!(token.starts_with("pcm_"));
    let by_email = login(&app, "ADA@example.test", "Secret123").await;
    by_email.assert(200);
    assert_eq!(by_email.body["token_type"], "bearer");
    assert_eq!(by_email.body["expires_in"], 7 * 24 * 3600);
    let m = me(&app, &token).await;
    m.assert(200);
    assert_eq!(m.body["id"], id.as_str());
    assert_eq!(m.body["email"], "ada@example.test");
    let wrong = login(&app, "ada", "Secret124").await;
    wrong.assert_problem(401, "unauthorized");
    let nobody = login(&app, "nobody", "Secret123").await;
    nobody.assert_problem(401, "unauthorized");
    assert_eq!(wrong.body["detail"], nobody.body["detail"]);
    let r = app.client(Method::POST, "/v1/community/login", None, Some(json!({"name_or_email": "ada"})), &[]).await;
    assert_eq!(r.field_errors("password"), ["required"]);
    me(&app, "pcm_not_a_token").await.assert_problem(401, "unauthorized");
    app.client(Method::GET, "/v1/community/me", None, None, &[]).await.assert_problem(401, "unauthorized");
    // An API key is not a member token.
    me(&app, SUPERADMIN_KEY).await.assert_problem(401, "unauthorized");
}

#[tokio::test]
async fn profiles_are_public_without_the_email_and_me_can_change_about() {
    let app = TestApp::spawn().await;
    let (id, token) = member(&app, "Ada").await;
    let by_id = app.call(Method::GET, &format!("/v1/community/users/{id}"), None, None).await;
    by_id.assert(200);
    assert!(by_id.body.get("email").is_none());
    let by_name = app.call(Method::GET, "/v1/community/users/by-name/aDa", None, None).await;
    by_name.assert(200);
    assert_eq!(by_name.body["id"], id.as_str());
    let about = json!({"about": "  speedruns  "});
    let patched = app.client(Method::PATCH, "/v1/community/me", Some(&token), Some(about), &[]).await;
    patched.assert(200);
    assert_eq!(patched.body["about"], "speedruns");
    let long = json!({"about": "x".repeat(1001)});
    let r = app.client(Method::PATCH, "/v1/community/me", Some(&token), Some(long), &[]).await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.field_errors("about"), ["too_long"]);
    let shown = app.call(Method::GET, &format!("/v1/community/users/{id}"), None, None).await;
    assert_eq!(shown.body["about"], "speedruns");
    app.call(Method::GET, "/v1/community/users/mbr_nope", None, None).await.assert_problem(404, "not_found");
}

#[tokio::test]
async fn logout_and_account_deletion_end_tokens_at_once_and_deletion_frees_the_name() {
    let app = TestApp::spawn().await;
    let (id, first) = member(&app, "Ada").await;
    let second = login(&app, "ada", "Secret123").await.body["access_token"].as_str().unwrap().to_owned();
    app.client(Method::POST, "/v1/community/logout", Some(&first), None, &[]).await.assert(204);
    me(&app, &first).await.assert_problem(401, "unauthorized");
    me(&app, &second).await.assert(200);
    app.client(Method::DELETE, "/v1/community/me", Some(&second), None, &[]).await.assert(204);
    me(&app, &second).await.assert_problem(401, "unauthorized");
    app.call(Method::GET, &format!("/v1/community/users/{id}"), None, None).await.assert_problem(404, "not_found");
    login(&app, "ada", "Secret123").await.assert_problem(401, "unauthorized");
    register(&app, "ADA", "ada@example.test").await.assert(201);
}

#[tokio::test]
async fn a_token_used_on_two_nodes_sharing_their_state_ends_on_both_at_once() {
    let a = TestApp::spawn().await;
    let (id, token) = member(&a, "Ada").await;
    let b = a.second_node(podium::app::ClientSettings::default()).await;
    // Both nodes now hold the token's member.
    assert_eq!(me(&a, &token).await.body["admin"], false);
    assert_eq!(me(&b, &token).await.body["admin"], false);
    a.post("/v1/community/admins", SUPERADMIN_KEY, json!({"user_id": id})).await.assert(201);
    assert_eq!(me(&b, &token).await.body["admin"], true);
    b.client(Method::POST, "/v1/community/logout", Some(&token), None, &[]).await.assert(204);
    me(&a, &token).await.assert_problem(401, "unauthorized");
    me(&b, &token).await.assert_problem(401, "unauthorized");
}

#[tokio::test]
async fn the_owner_appoints_and_removes_site_admins_and_existing_tokens_follow_at_once() {
    let app = TestApp::spawn().await;
    let (id, token) = member(&app, "Ada").await;
    let appointed = app.post("/v1/community/admins", SUPERADMIN_KEY, json!({"user_id": id})).await;
    appointed.assert(201);
    assert_eq!(appointed.body["admin"], true);
    assert_eq!(me(&app, &token).await.body["admin"], true);
    app.delete(&format!("/v1/community/admins/{id}"), SUPERADMIN_KEY).await.assert(204);
    assert_eq!(me(&app, &token).await.body["admin"], false);
    // Only the owner: a tenant's key is not the deployment's superadmin key; a member token
    // is no key at all.
    let tenant = app.tenant("acme").await;
    app.post("/v1/community/admins", &tenant.key, json!({"user_id": id})).await.assert_problem(403, "forbidden");
    app.client(Method::POST, "/v1/community/admins", Some(&token), Some(json!({"user_id": id})), &[])
        .await
        .assert_problem(401, "unauthorized");
    let nobody = json!({"user_id": "mbr_01h00000000000000000000000"});
    app.post("/v1/community/admins", SUPERADMIN_KEY, nobody).await.assert_problem(404, "not_found");
}

#[tokio::test]
async fn failed_logins_are_limited_per_member_and_per_address_with_retry_after() {
    let app = TestApp::spawn().await;
    member(&app, "Ada").await;
    // Ten failures for one member, from ten addresses: the eleventh try is refused even with
    // the right password.
    for i in 0..10 {
        login_from(&app, &format!("198.51.100.{i}:1"), "ada", "Wrong1234").await.assert_problem(401, "unauthorized");
    }
    let limited = login_from(&app, "198.51.100.77:1", "ada", "Secret123").await;
    limited.assert_problem(429, "rate_limited");
    let retry: u64 = limited.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=15 * 60).contains(&retry), "{retry}");
    // Thirty failures from one address, for names that do not exist: the address is refused.
    member(&app, "Bob").await;
    for i in 0..30 {
        let r = login_from(&app, "203.0.113.50:1", &format!("ghost{i}"), "Wrong1234").await;
        r.assert_problem(401, "unauthorized");
    }
    login_from(&app, "203.0.113.50:2", "bob", "Secret123").await.assert_problem(429, "rate_limited");
    login_from(&app, "203.0.113.51:1", "bob", "Secret123").await.assert(200);
}

/// Collects everything logged while a test runs.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn no_password_or_token_is_ever_logged() {
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber =
        tracing_subscriber::fmt().with_max_level(tracing::Level::TRACE).with_writer(move || sink.clone()).finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    // Other tests register callsites beside this one; a callsite whose interest was cached
    // while this thread's subscriber was being registered could stay disabled. Recomputing every
    // callsite's interest now, with this subscriber in place, closes that race.
    tracing::callsite::rebuild_interest_cache();
    let app = TestApp::spawn().await;
    let (_, token) = member(&app, "Ada").await;
    login(&app, "ada", "Wrong1234").await.assert_problem(401, "unauthorized");
    me(&app, &token).await.assert(200);
    app.client(Method::POST, "/v1/community/logout", Some(&token), None, &[]).await.assert(204);
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(!logs.is_empty(), "nothing was captured, so the test would prove nothing");
    for secret in ["Secret123", "Wrong1234", &token, &token[4..]] {
        assert!(!logs.contains(secret), "{secret} appears in the logs");
    }
}

#[tokio::test]
async fn parallel_guesses_are_counted_one_by_one_against_the_limit() {
    let app = TestApp::spawn().await;
    member(&app, "Ada").await;
    let guesses = (0..20).map(|i| {
        let app = &app;
        async move { login_from(app, &format!("198.51.100.{i}:1"), "ada", "Wrong1234").await.status.as_u16() }
    });
    let statuses = futures_util::future::join_all(guesses).await;
    assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 10, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 10, "{statuses:?}");
}

#[tokio::test]
async fn a_successful_login_does_not_count_against_the_limits() {
    let app = TestApp::spawn().await;
    member(&app, "Ada").await;
    for _ in 0..12 {
        login_from(&app, "198.51.100.1:1", "ada", "Secret123").await.assert(200);
    }
}

#[tokio::test]
async fn control_characters_in_lookups_are_not_found_on_every_backend() {
    let app = TestApp::spawn().await;
    member(&app, "Ada").await;
    login(&app, "ada\u{0}", "Secret123").await.assert_problem(401, "unauthorized");
    app.call(Method::GET, "/v1/community/users/by-name/ada%00", None, None).await.assert_problem(404, "not_found");
    app.call(Method::GET, "/v1/community/leaderboards/x%00y", None, None).await.assert_problem(404, "not_found");
    app.call(Method::GET, "/v1/community/leaderboards/x%00y/moderators", None, None)
        .await
        .assert_problem(404, "not_found");
}

#[tokio::test]
async fn greek_names_clash_whatever_form_their_sigma_takes() {
    let app = TestApp::spawn().await;
    register(&app, "Οδος", "a@example.test").await.assert(201);
    register(&app, "ΟΔΟΣ", "b@example.test").await.assert_problem(409, "name_taken");
    register(&app, "οδοσ", "c@example.test").await.assert_problem(409, "name_taken");
    assert_eq!(app.call(Method::GET, "/v1/community/users/by-name/ΟΔΟΣ", None, None).await.body["name"], "Οδος");
    login(&app, "οδοσ", "Secret123").await.assert(200);
}
