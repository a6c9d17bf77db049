//! Redis as the signal between nodes (`PODIUM_REDIS_URL`): a node that appended to the change
//! log publishes its name on `<prefix>changes`; every other node subscribed there reads the
//! log at once. It replaces PostgreSQL's `NOTIFY`, whose queue lock every committing
//! transaction waits for, and it is only a wake-up: the changes themselves are read from the
//! log, so Redis stopping or restarting leaves the nodes serving, accepting and converging at
//! the poll interval until it is back (`/v1/health` says `degraded` meanwhile).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{FutureExt, StreamExt};
use podium_core::shared::Signal;
use podium_core::store::{Doorbell, StoreError, StoreResult};
use tokio::sync::mpsc;

/// How long a connection, a subscription or a publish may take before Redis counts as down.
const TIMEOUT: Duration = Duration::from_secs(2);
/// How long a failed publish keeps the ringer from trying again (rings meanwhile wait and go
/// as one).
const BACKOFF: Duration = Duration::from_millis(500);

/// The change-log signal over Redis pub/sub.
pub struct RedisSignal {
    client: redis::Client,
    channel: String,
    /// The URL without its password, for messages.
    shown: String,
    rings: mpsc::UnboundedSender<String>,
    degraded: Arc<Mutex<Option<String>>>,
}

impl RedisSignal {
    /// A signal through the Redis server at `url` (`redis://[:password@]host[:port][/db]`) on
    /// the channel `<prefix>changes`. A malformed URL is refused; an unreachable server is not
    /// (the node starts degraded and keeps trying). Its publisher runs on the current Tokio
    /// runtime until the signal is dropped.
    pub async fn connect(url: &str, prefix: &str) -> Result<Arc<Self>, StoreError> {
        let shown = crate::redact(url);
        let client = redis::Client::open(url)
            .map_err(|e| StoreError::Unavailable(format!("invalid Redis URL `{shown}`: {e}")))?;
        let (rings, waiting) = mpsc::unbounded_channel();
        let signal = Arc::new(Self {
            client: client.clone(),
            channel: format!("{prefix}changes"),
            shown: shown.clone(),
            rings,
            degraded: Arc::new(Mutex::new(None)),
        });
        let ringer = Ringer {
            client,
            channel: signal.channel.clone(),
            shown,
            degraded: signal.degraded.clone(),
            connection: None,
            failed_at: None,
        };
        tokio::spawn(ringer.run(waiting));
        if let Err(e) = publisher(&signal.client, &signal.shown).await {
            tracing::warn!(error = %e, "Redis is unreachable at start-up; following the change log by polling until it is back");
            signal.set_degraded(Some(e.to_string()));
        }
        Ok(signal)
    }

    fn set_degraded(&self, why: Option<String>) {
        *self.degraded.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = why;
    }
}

fn unavailable(shown: &str, what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("Redis at {shown} is unreachable ({what}: {e})"))
}

/// A connection for publishing, within [`TIMEOUT`].
async fn publisher(client: &redis::Client, shown: &str) -> StoreResult<redis::aio::MultiplexedConnection> {
    match tokio::time::timeout(TIMEOUT, client.get_multiplexed_async_connection()).await {
        Ok(Ok(c)) => Ok(c),
        Ok(Err(e)) => Err(unavailable(shown, "connecting", e)),
        Err(_) => Err(unavailable(shown, "connecting", "timed out")),
    }
}

/// Publishes rings one at a time, rings queued meanwhile as one.
struct Ringer {
    client: redis::Client,
    channel: String,
    shown: String,
    degraded: Arc<Mutex<Option<String>>>,
    connection: Option<redis::aio::MultiplexedConnection>,
    failed_at: Option<Instant>,
}

impl Ringer {
    async fn run(mut self, mut waiting: mpsc::UnboundedReceiver<String>) {
        while let Some(mut from) = waiting.recv().await {
            if let Some(failed) = self.failed_at {
                // Not again at once: this ring, and any arriving meanwhile, wait out the pause.
                tokio::time::sleep(BACKOFF.saturating_sub(failed.elapsed())).await;
            }
            while let Ok(later) = waiting.try_recv() {
                from = later;
            }
            let outcome = self.publish(&from).await;
            let mut degraded = self.degraded.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            match outcome {
                Ok(()) => {
                    self.failed_at = None;
                    *degraded = None;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "could not signal the other nodes through Redis; they will poll");
                    self.connection = None;
                    self.failed_at = Some(Instant::now());
                    *degraded = Some(e.to_string());
                }
            }
        }
    }

    async fn publish(&mut self, from: &str) -> StoreResult<()> {
        if self.connection.is_none() {
            self.connection = Some(publisher(&self.client, &self.shown).await?);
        }
        let Some(connection) = self.connection.as_mut() else { return Ok(()) };
        let mut publish = redis::cmd("PUBLISH");
        publish.arg(&self.channel).arg(from);
        match tokio::time::timeout(TIMEOUT, publish.query_async::<i64>(connection)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(unavailable(&self.shown, "publishing", e)),
            Err(_) => Err(unavailable(&self.shown, "publishing", "timed out")),
        }
    }
}

/// Rings when another node published on the channel.
struct RedisDoorbell {
    messages: redis::aio::PubSubStream,
    me: String,
    shown: String,
    degraded: Arc<Mutex<Option<String>>>,
}

#[async_trait::async_trait]
impl Doorbell for RedisDoorbell {
    async fn rung(&mut self) -> StoreResult<()> {
        loop {
            let Some(message) = self.messages.next().await else {
                let e = unavailable(&self.shown, "subscription", "connection lost");
                *self.degraded.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(e.to_string());
                return Err(e);
            };
            let from: String = message.get_payload().unwrap_or_default();
            if from != self.me {
                // One read of the log covers every ring already here.
                while let Some(Some(_)) = self.messages.next().now_or_never() {}
                return Ok(());
            }
        }
    }
}

#[async_trait::async_trait]
impl Signal for RedisSignal {
    fn ring(&self, from: &str) {
        // Fails only when the ringer stopped, which it does when the signal is dropped.
        let _ = self.rings.send(from.to_owned());
    }

    async fn listen(&self, me: &str) -> StoreResult<Box<dyn Doorbell>> {
        let subscribed = async {
            let mut pubsub =
                self.client.get_async_pubsub().await.map_err(|e| unavailable(&self.shown, "subscribing", e))?;
            pubsub.subscribe(&self.channel).await.map_err(|e| unavailable(&self.shown, "subscribing", e))?;
            Ok::<_, StoreError>(pubsub)
        };
        let pubsub = match tokio::time::timeout(TIMEOUT, subscribed).await {
            Ok(Ok(p)) => p,
            Ok(Err(e)) => {
                self.set_degraded(Some(e.to_string()));
                return Err(e);
            }
            Err(_) => {
                let e = unavailable(&self.shown, "subscribing", "timed out");
                self.set_degraded(Some(e.to_string()));
                return Err(e);
            }
        };
        self.set_degraded(None);
        Ok(Box::new(RedisDoorbell {
            messages: pubsub.into_on_message(),
            me: me.to_owned(),
            shown: self.shown.clone(),
            degraded: self.degraded.clone(),
        }))
    }

    fn degraded(&self) -> Option<String> {
        self.degraded.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    fn name(&self) -> &'static str {
        "change log (several nodes), woken by Redis"
    }
}
