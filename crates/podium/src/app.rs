//! Assembling a node: connect and migrate the store, bootstrap the superadmin, build the
//! router, serve until told to stop, then drain in-flight requests and flush what is kept in
//! memory. Tests start the same `Application` on port 0.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use podium_api::edge::{Cidr, Edge, EdgeConfig, GeoLookup, NoGeo};
use podium_api::{ApiConfig, AppState};
use podium_core::service::community::{Community, CommunityConfig};
use podium_core::service::{Admin, BootstrapOutcome, ClientConfig, Clients, Scores};
use podium_core::shared::{SharedState, Signal};
use podium_store::Backend;
use tokio::net::TcpListener;

use crate::config::Config;

/// How often a node runs the board templates' schedules (each run is idempotent: several nodes
/// may run them at once).
const SCHEDULE_EVERY: Duration = Duration::from_secs(1);

/// A node ready to serve.
pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    admin: Admin,
    backend: Backend,
    /// Held while this node serves an SQLite file (one node per file).
    _lock: Option<crate::node_lock::NodeLock>,
    flush_every: Duration,
    shutdown_timeout: Duration,
}

/// Connects to the configured store and applies pending migrations.
pub async fn open_store(config: &Config) -> anyhow::Result<Backend> {
    let url = podium_store::redact(&config.store.database_url);
    let backend = Backend::connect(&config.store.database_url)
        .await
        .with_context(|| format!("cannot open the store at {url}"))?;
    backend.migrate().await.with_context(|| format!("cannot migrate the store at {url}"))?;
    Ok(backend)
}

/// What clients meet — game clients and community members: token lifetimes, the network
/// edge, GeoIP.
#[derive(Clone)]
pub struct ClientSettings {
    /// Token and nonce lifetimes.
    pub client: ClientConfig,
    /// Trusted proxies and rate limits.
    pub edge: EdgeConfig,
    /// Client geography.
    pub geo: Arc<dyn GeoLookup>,
    /// Community members' tokens and password hashing.
    pub community: CommunityConfig,
    /// On PostgreSQL, the longest a node goes without reading the change log.
    pub change_poll: Duration,
    /// On PostgreSQL, whether the change log carries changes between nodes.
    pub change_log: bool,
    /// What wakes the other nodes when this one logs changes (Redis), instead of the store's
    /// own doorbell; see [`open_signal`].
    pub signal: Option<Arc<dyn Signal>>,
}

impl Default for ClientSettings {
    fn default() -> Self {
        Self {
            client: ClientConfig::default(),
            edge: EdgeConfig::default(),
            geo: Arc::new(NoGeo),
            community: CommunityConfig::default(),
            change_poll: Duration::from_millis(500),
            change_log: true,
            signal: None,
        }
    }
}

impl ClientSettings {
    /// The settings a configuration names (opens the GeoIP database if one is given).
    pub fn from_config(config: &Config) -> anyhow::Result<Self> {
        let trusted_proxies = config
            .clients
            .trusted_proxies
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| p.parse::<Cidr>().map_err(|e| anyhow::anyhow!("PODIUM_TRUSTED_PROXIES: {e}")))
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Self {
            client: ClientConfig {
                access_ttl: Duration::from_secs(config.clients.access_token_ttl_seconds.max(1)),
                refresh_ttl: Duration::from_secs(config.clients.refresh_token_ttl_seconds.max(1)),
                ..ClientConfig::default()
            },
            edge: EdgeConfig {
                trusted_proxies,
                session_starts_per_minute: config.limits.session_starts_per_minute,
                nonces_per_minute: config.limits.nonces_per_minute,
            },
            geo: crate::geoip::from_config(config.clients.geoip_db.as_deref())?,
            community: CommunityConfig {
                token_ttl: Duration::from_secs(config.community.member_token_ttl_seconds.max(1)),
                ..CommunityConfig::default()
            },
            change_poll: Duration::from_millis(config.store.change_poll_ms.max(10)),
            change_log: config.store.change_log,
            signal: None,
        })
    }
}

/// The signal between nodes a configuration names: Redis when `PODIUM_REDIS_URL` is set (a
/// malformed URL, SQLite — one node — or the change log switched off are refused; an
/// unreachable server is not: the node starts degraded and polls until it is back).
pub async fn open_signal(config: &Config, backend: &Backend) -> anyhow::Result<Option<Arc<dyn Signal>>> {
    let Some(url) = config.store.redis_url.as_deref().filter(|u| !u.is_empty()) else { return Ok(None) };
    if !matches!(backend, Backend::Postgres(_)) {
        anyhow::bail!(
            "PODIUM_REDIS_URL is set, but the database is SQLite, which is one node: Redis is for several nodes on PostgreSQL"
        );
    }
    if !config.store.change_log {
        anyhow::bail!(
            "PODIUM_REDIS_URL is set, but PODIUM_CHANGE_LOG is false: Redis wakes nodes that follow the change log"
        );
    }
    let signal = podium_store::RedisSignal::connect(url, &config.store.redis_prefix).await?;
    Ok(Some(signal))
}

/// The state handlers share, over a store, with default client settings.
pub async fn state(store: Arc<dyn podium_core::store::Store>) -> anyhow::Result<AppState> {
    state_with(store, ClientSettings::default()).await
}

/// The shared state a node runs with — what it keeps in memory that other nodes' writes can
/// change — chosen here the way the storage backend is: on PostgreSQL the change feed goes
/// through the store's change log, so several nodes follow each other's writes; on SQLite (one
/// node) everything stays in this process.
pub fn shared_state(store: Arc<dyn podium_core::store::Store>, settings: &ClientSettings) -> SharedState {
    if store.backend() == "postgres" && settings.change_log {
        SharedState::on_store(store, settings.edge.limits(), settings.change_poll, settings.signal.clone())
    } else {
        SharedState::in_memory(store, settings.edge.limits())
    }
}

/// The state handlers share, over a store: the services, with the rankings loaded from the
/// stored entries (progress is logged) before anything is served.
pub async fn state_with(
    store: Arc<dyn podium_core::store::Store>,
    settings: ClientSettings,
) -> anyhow::Result<AppState> {
    let shared = shared_state(store.clone(), &settings);
    state_on(store, settings, shared).await
}

/// The state handlers share, over a store and a given shared state (several nodes in one
/// process share one, as the tests of the seam do).
pub async fn state_on(
    store: Arc<dyn podium_core::store::Store>,
    settings: ClientSettings,
    shared: SharedState,
) -> anyhow::Result<AppState> {
    tracing::debug!(shared_state = shared.name(), "shared state chosen");
    shared.changes.open().await.context("cannot read the change log")?;
    let admin = Admin::new(store.clone(), shared.clone()).await.context("cannot initialise the services")?;
    let scores = Scores::start(admin.clone());
    scores.load_rankings().await.context("cannot load the rankings")?;
    scores.load_anticheat().await.context("cannot rebuild the anti-cheat counters")?;
    let clients = Clients::start(admin.clone(), scores.clone(), settings.client)
        .await
        .context("cannot initialise the client service")?;
    let community =
        Community::start(admin.clone(), settings.community).context("cannot initialise the community service")?;
    community.load_rankings().await.context("cannot load the community rankings")?;
    let activity = podium_core::service::activity::Activity::start(admin.clone());
    activity.load_all().await.context("cannot load the activity scores")?;
    // Every copy is loaded and subscribed: apply what other nodes committed meanwhile, then
    // keep following them (before the node listens, so it never answers from behind).
    shared.changes.clone().follow().await.context("cannot catch up with the change log")?;
    let edge = Arc::new(Edge::new(&settings.edge, settings.geo, shared.rates.clone()));
    Ok(AppState::new(podium_api::state::Services {
        admin,
        scores,
        clients,
        community,
        activity,
        edge,
        store,
        metrics: podium_api::metrics_handle(),
        first_pages: podium_api::state::first_pages(),
        community_pages: podium_api::state::community_pages(),
    }))
}

impl Application {
    /// Takes the node lock of an SQLite file (a second node on it is refused), opens the store,
    /// bootstraps a superadmin if none exists, and binds the listener.
    pub async fn build(config: &Config) -> anyhow::Result<(Self, BootstrapOutcome)> {
        let lock = crate::node_lock::NodeLock::acquire(&config.store.database_url)?;
        let backend = open_store(config).await?;
        let mut settings = ClientSettings::from_config(config)?;
        settings.signal = open_signal(config, &backend).await?;
        let state = state_with(backend.clone().into_store(), settings).await?;
        let outcome = state
            .admin
            .bootstrap(config.admin.bootstrap_api_key.as_deref(), false)
            .await
            .context("cannot bootstrap the superadmin")?;
        let admin = state.admin.clone();
        let router = podium_api::router(state, &ApiConfig { body_limit_bytes: config.limits.body_limit_bytes });
        let listener = TcpListener::bind(&config.server.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.server.listen))?;
        let app = Self {
            listener,
            router,
            admin,
            backend,
            _lock: lock,
            flush_every: Duration::from_secs(config.admin.key_use_flush_seconds.max(1)),
            shutdown_timeout: Duration::from_secs(config.server.shutdown_timeout_seconds),
        };
        Ok((app, outcome))
    }

    /// The bound address (useful with port 0).
    pub fn local_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` resolves, then stops accepting connections, lets in-flight
    /// requests finish (up to the shutdown timeout) and flushes pending key-use times.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
        let admin = self.admin.clone();
        let flush_every = self.flush_every;
        let flusher = tokio::spawn(async move {
            let mut tick = tokio::time::interval(flush_every);
            tick.tick().await;
            loop {
                tokio::select! {
                    _ = tick.tick() => {
                        if let Err(e) = admin.flush_key_uses().await {
                            tracing::warn!(error = %e, "could not record API key use; will retry");
                        }
                    }
                    _ = stop_rx.changed() => break,
                }
            }
        });

        // Board templates: each period's board is stamped out within a second of its start.
        let admin = self.admin.clone();
        let mut stop_scheduler = stop_tx.subscribe();
        let scheduler = tokio::spawn(async move {
            let mut tick = tokio::time::interval(SCHEDULE_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = tick.tick() => {
                        if let Err(e) = admin.run_schedules(podium_core::time::now()).await {
                            tracing::warn!(error = %e, "could not run the board templates' schedules; will retry");
                        }
                    }
                    _ = stop_scheduler.changed() => break,
                }
            }
        });

        let (drain_tx, drain_rx) = tokio::sync::oneshot::channel::<()>();
        let service = self.router.into_make_service_with_connect_info::<std::net::SocketAddr>();
        let serve = axum::serve(self.listener, service).with_graceful_shutdown(async move {
            let _ = drain_rx.await;
        });
        let mut server = tokio::spawn(async move { serve.await });
        tokio::select! {
            result = &mut server => {
                result.context("server task failed")?.context("server failed")?;
            }
            () = shutdown => {
                tracing::info!("shutting down: finishing in-flight requests");
                let _ = drain_tx.send(());
                match tokio::time::timeout(self.shutdown_timeout, &mut server).await {
                    Ok(result) => result.context("server task failed")?.context("server failed")?,
                    Err(_) => {
                        tracing::warn!(timeout_s = self.shutdown_timeout.as_secs(), "in-flight requests did not finish in time");
                        server.abort();
                    }
                }
            }
        }
        let _ = stop_tx.send(true);
        let _ = flusher.await;
        let _ = scheduler.await;
        if let Err(e) = self.admin.flush_key_uses().await {
            tracing::warn!(error = %e, "could not record API key use at shutdown");
        }
        self.backend.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// Resolves on Ctrl-C or SIGTERM. The handlers are installed when this is called (not when
/// the future is first polled), so a signal that arrives during start-up is not lost to the
/// default action.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    let ctrl_c = tokio::signal::ctrl_c();
    async move {
        #[cfg(unix)]
        let term = async move {
            match term {
                Some(mut s) => {
                    s.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let term = std::future::pending::<()>();
        tokio::select! {
            _ = ctrl_c => {}
            () = term => {}
        }
    }
}
