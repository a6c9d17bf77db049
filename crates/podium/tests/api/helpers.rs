//! `TestApp`: a router over a fresh database with a bootstrapped superadmin, and helpers to
//! make tenants and requests.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::BodyExt;
use podium_api::{ApiConfig, AppState};
use podium_core::service::BootstrapOutcome;
use podium_testkit::TestDb;
use podium_testkit::redis::TestRedis;
use serde_json::{Value, json};
use tower::ServiceExt;

pub const SUPERADMIN_KEY: &str = "pdm_test_superadmin_key_0123456789";

pub struct TestApp {
    pub router: Router,
    pub state: AppState,
    pub db: TestDb,
    /// The Redis whose pub/sub wakes this deployment's nodes, if they use one.
    pub redis: Option<TestRedis>,
}

/// A regular (non-superadmin) account with a user and a key.
pub struct Tenant {
    pub account_id: String,
    pub user_id: String,
    pub key: String,
}

pub struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Response {
    #[track_caller]
    pub fn assert(&self, status: u16) -> &Self {
        assert_eq!(self.status.as_u16(), status, "unexpected status; body: {}", self.text);
        self
    }

    #[track_caller]
    pub fn assert_problem(&self, status: u16, code: &str) -> &Self {
        self.assert(status);
        assert_eq!(
            self.headers.get("content-type").and_then(|v| v.to_str().ok()),
            Some("application/problem+json"),
            "problem content type; body: {}",
            self.text
        );
        assert_eq!(self.body["code"], code, "body: {}", self.text);
        assert_eq!(self.body["status"], status);
        assert!(self.body["type"].as_str().unwrap().ends_with(code));
        assert!(self.body["title"].is_string() && self.body["detail"].is_string());
        self
    }

    /// The codes recorded against `field` in a validation problem.
    pub fn field_errors(&self, field: &str) -> Vec<String> {
        self.body["errors"][field]
            .as_array()
            .map(|a| a.iter().map(|v| v.as_str().unwrap().to_owned()).collect())
            .unwrap_or_default()
    }

    pub fn id(&self) -> String {
        self.body["id"].as_str().expect("id").to_owned()
    }
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(ApiConfig::default()).await
    }

    pub async fn spawn_with(config: ApiConfig) -> Self {
        Self::spawn_with_settings(config, podium::app::ClientSettings::default()).await
    }

    /// An app with the given client settings (token lifetimes, rate limits, GeoIP).
    pub async fn spawn_with_settings(config: ApiConfig, settings: podium::app::ClientSettings) -> Self {
        let db = match std::env::var("PODIUM_TEST_BACKEND").as_deref() {
            Ok("postgres") => {
                TestDb::postgres().await.expect("PODIUM_TEST_BACKEND=postgres needs PODIUM_TEST_POSTGRES_URL")
            }
            _ => TestDb::sqlite().await,
        };
        let state = podium::app::state_with(db.store(), settings).await.unwrap();
        let outcome = state.admin.bootstrap(Some(SUPERADMIN_KEY), false).await.unwrap();
        assert_eq!(outcome, BootstrapOutcome::Created { generated_key: None });
        let router = podium_api::router(state.clone(), &config);
        Self { router, state, db, redis: None }
    }

    /// A node over a fresh PostgreSQL database with a shared state of its own, as a separate
    /// process has (the change log carries other nodes' writes to it); `None`, with a printed
    /// reason, when no PostgreSQL is configured (CI fails instead).
    pub async fn spawn_postgres() -> Option<Self> {
        Self::spawn_postgres_with(podium::app::ClientSettings::default()).await
    }

    /// [`Self::spawn_postgres`] with the given client settings. With `PODIUM_TEST_SIGNAL=redis`
    /// (and the test Redis reachable) the nodes are woken through Redis, as
    /// [`Self::spawn_postgres_on_redis`]; `.ci/run` runs the suite both ways.
    pub async fn spawn_postgres_with(settings: podium::app::ClientSettings) -> Option<Self> {
        let redis = match std::env::var("PODIUM_TEST_SIGNAL").as_deref() {
            Ok("redis") => TestRedis::get(),
            _ => None,
        };
        Self::spawn_postgres_signalled(settings, redis).await
    }

    /// A first node over a fresh PostgreSQL database whose nodes are woken through `redis`.
    pub async fn spawn_postgres_on_redis(settings: podium::app::ClientSettings, redis: TestRedis) -> Option<Self> {
        Self::spawn_postgres_signalled(settings, Some(redis)).await
    }

    async fn spawn_postgres_signalled(settings: podium::app::ClientSettings, redis: Option<TestRedis>) -> Option<Self> {
        let db = TestDb::postgres().await?;
        let settings = signalled(settings, redis.as_ref()).await;
        let state = podium::app::state_with(db.store(), settings).await.unwrap();
        let outcome = state.admin.bootstrap(Some(SUPERADMIN_KEY), false).await.unwrap();
        assert_eq!(outcome, BootstrapOutcome::Created { generated_key: None });
        let router = podium_api::router(state.clone(), &ApiConfig::default());
        Some(Self { router, state, db, redis })
    }

    /// Another node over the same database with a shared state of its own, as another process
    /// has: on PostgreSQL it follows the others through the change log (woken through the
    /// deployment's Redis, if it has one).
    pub async fn node(&self) -> TestApp {
        self.node_with(podium::app::ClientSettings::default()).await
    }

    /// [`Self::node`] with the given client settings.
    pub async fn node_with(&self, settings: podium::app::ClientSettings) -> TestApp {
        let settings = signalled(settings, self.redis.as_ref()).await;
        let state = podium::app::state_with(self.db.store(), settings).await.unwrap();
        let router = podium_api::router(state.clone(), &ApiConfig::default());
        TestApp { router, state, db: self.db.share(), redis: self.redis.clone() }
    }

    /// A node over the same database that follows nobody: its copies are loaded once and then
    /// learn only of its own writes (the control of the several-node tests).
    pub async fn alone(&self) -> TestApp {
        let shared = podium_core::shared::SharedState::in_memory(self.db.store(), Default::default());
        let state =
            podium::app::state_on(self.db.store(), podium::app::ClientSettings::default(), shared).await.unwrap();
        let router = podium_api::router(state.clone(), &ApiConfig::default());
        TestApp { router, state, db: self.db.share(), redis: None }
    }

    /// A fresh app (new services, rankings reloaded) over the same database, as after a
    /// restart: this one gives up the activity lease first (with several nodes only the
    /// holder serves activity scores), so the new one serves them.
    pub async fn restart(&self) -> TestApp {
        self.state.activity.release_lease().await;
        self.node().await
    }

    /// Another node over the same database and the same shared state (its own services,
    /// rankings and caches, loaded afresh), as several nodes of one deployment are.
    pub async fn second_node(&self, settings: podium::app::ClientSettings) -> TestApp {
        let shared = self.state.admin.shared().clone();
        let state = podium::app::state_on(self.db.store(), settings, shared).await.unwrap();
        let router = podium_api::router(state.clone(), &ApiConfig::default());
        TestApp { router, state, db: self.db.share(), redis: self.redis.clone() }
    }

    /// Sends a request through the router; the response is checked against the OpenAPI
    /// document (see `conformance`).
    pub async fn raw(&self, request: Request<Body>) -> Response {
        let method = request.method().to_string();
        let uri = request.uri().to_string();
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let content_type = headers.get("content-type").and_then(|v| v.to_str().ok());
        crate::conformance::check(&method, &uri, status.as_u16(), content_type, &bytes);
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Response { status, headers, body, text }
    }

    pub async fn call(&self, method: Method, path: &str, key: Option<&str>, body: Option<Value>) -> Response {
        let mut builder = Request::builder().method(method).uri(path);
        if let Some(key) = key {
            builder = builder.header("leadr-api-key", key);
        }
        let body = match body {
            Some(v) => {
                builder = builder.header("content-type", "application/json");
                Body::from(serde_json::to_vec(&v).unwrap())
            }
            None => Body::empty(),
        };
        self.raw(builder.body(body).unwrap()).await
    }

    pub async fn get(&self, path: &str, key: &str) -> Response {
        self.call(Method::GET, path, Some(key), None).await
    }

    pub async fn post(&self, path: &str, key: &str, body: Value) -> Response {
        self.call(Method::POST, path, Some(key), Some(body)).await
    }

    pub async fn patch(&self, path: &str, key: &str, body: Value) -> Response {
        self.call(Method::PATCH, path, Some(key), Some(body)).await
    }

    pub async fn delete(&self, path: &str, key: &str) -> Response {
        self.call(Method::DELETE, path, Some(key), None).await
    }

    /// A new account with a regular user and key, created by the superadmin.
    pub async fn tenant(&self, slug: &str) -> Tenant {
        let account = self.post("/v1/accounts", SUPERADMIN_KEY, json!({"name": slug, "slug": slug})).await;
        account.assert(201);
        let account_id = account.id();
        let user = self
            .post(
                "/v1/users",
                SUPERADMIN_KEY,
                json!({"account_id": account_id, "email": format!("owner@{slug}.test"), "display_name": "Owner"}),
            )
            .await;
        user.assert(201);
        let user_id = user.id();
        let key = self.post("/v1/api-keys", SUPERADMIN_KEY, json!({"name": "main", "user_id": user_id})).await;
        key.assert(201);
        Tenant { account_id, user_id, key: key.body["key"].as_str().unwrap().to_owned() }
    }

    /// A client request from `peer` with an optional bearer token and extra headers.
    pub async fn client_from(
        &self,
        peer: &str,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Response {
        let mut builder = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            builder = builder.header("authorization", format!("Bearer {token}"));
        }
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let body = match body {
            Some(v) => {
                builder = builder.header("content-type", "application/json");
                Body::from(serde_json::to_vec(&v).unwrap())
            }
            None => Body::empty(),
        };
        let mut request = builder.body(body).unwrap();
        let addr: std::net::SocketAddr = peer.parse().unwrap();
        request.extensions_mut().insert(axum::extract::ConnectInfo(addr));
        self.raw(request).await
    }

    /// A client request from the default peer (203.0.113.7).
    pub async fn client(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Response {
        self.client_from("203.0.113.7:40000", method, path, token, body, headers).await
    }

    /// Starts a client session; returns the response (201 expected).
    pub async fn session(&self, game_id: &str, fingerprint: &str) -> Response {
        let body = json!({"game_id": game_id, "client_fingerprint": fingerprint, "platform": "linux"});
        let r = self.client(Method::POST, "/v1/client/sessions", None, Some(body), &[]).await;
        r.assert(201);
        r
    }

    /// A fresh nonce for the session of `access`.
    pub async fn nonce(&self, access: &str) -> String {
        let r = self.client(Method::GET, "/v1/client/nonce", Some(access), None, &[]).await;
        r.assert(200);
        r.body["nonce_value"].as_str().unwrap().to_owned()
    }

    /// Submits a score as a client (fetching a nonce first).
    pub async fn client_submit(&self, access: &str, board_id: &str, name: &str, value: f64) -> Response {
        let nonce = self.nonce(access).await;
        let body = json!({"board_id": board_id, "player_name": name, "value": value});
        self.client(Method::POST, "/v1/client/scores", Some(access), Some(body), &[("leadr-client-nonce", &nonce)])
            .await
    }

    /// Registers a community member `name` (e-mail `<name>@example.test`, password
    /// `Secret123`) and logs in: (member id, token).
    pub async fn community_member(&self, name: &str) -> (String, String) {
        let body = json!({"name": name, "email": format!("{}@example.test", name.to_lowercase()),
            "password": "Secret123", "password_confirmation": "Secret123"});
        let r = self.call(Method::POST, "/v1/community/register", None, Some(body)).await;
        r.assert(201);
        let login = json!({"name_or_email": name, "password": "Secret123"});
        let l = self.client(Method::POST, "/v1/community/login", None, Some(login), &[]).await;
        l.assert(200);
        (r.id(), l.body["access_token"].as_str().unwrap().to_owned())
    }

    /// A community member the owner made a site admin: (member id, token).
    pub async fn community_admin(&self, name: &str) -> (String, String) {
        let (id, token) = self.community_member(name).await;
        self.post("/v1/community/admins", SUPERADMIN_KEY, json!({"user_id": id})).await.assert(201);
        (id, token)
    }

    /// A request with a community member's token.
    pub async fn as_member(&self, method: Method, path: &str, token: &str, body: Option<Value>) -> Response {
        self.client(method, path, Some(token), body, &[]).await
    }

    /// A game in the tenant's account, with anti-cheat off: these tests are about scoring and
    /// clients, and submit faster than any player could (anti-cheat tests use
    /// [`Self::game_with_anti_cheat`]).
    pub async fn game(&self, tenant: &Tenant, name: &str) -> String {
        let game = self.post("/v1/games", &tenant.key, json!({"name": name, "anti_cheat_enabled": false})).await;
        game.assert(201);
        game.id()
    }

    /// A game with anti-cheat on, with the given threshold overrides.
    pub async fn game_with_anti_cheat(&self, tenant: &Tenant, name: &str, anti_cheat: Value) -> String {
        let game = self.post("/v1/games", &tenant.key, json!({"name": name, "anti_cheat": anti_cheat})).await;
        game.assert(201);
        game.id()
    }

    /// A board in a game.
    pub async fn board(&self, tenant: &Tenant, game_id: &str, body: Value) -> Response {
        let mut body = body;
        body["game_id"] = json!(game_id);
        self.post("/v1/boards", &tenant.key, body).await
    }
}

/// `settings` with a signal through `redis` (a connection of the node's own, as a separate
/// process has), unless they name one or there is no Redis.
async fn signalled(
    mut settings: podium::app::ClientSettings,
    redis: Option<&TestRedis>,
) -> podium::app::ClientSettings {
    if let (None, Some(redis)) = (&settings.signal, redis) {
        let signal = podium_store::RedisSignal::connect(&redis.url, &redis.prefix).await.unwrap();
        settings.signal = Some(signal);
    }
    settings
}
