//! Several nodes on one database: [`StoreFeed`] carries what each node commits to the others
//! through the store's change log (`store::ChangeStore`).
//!
//! - **Publishing, in the data's transaction.** Ranking moves of score submissions depend on
//!   order (each names an entry's place before and after). They are written to the log in the
//!   transaction that commits them, numbered in commit order, and every node — the committing
//!   one included — applies them in that order ([`ChangeFeed::committed`] waits until this node
//!   has): two nodes moving one entry at once cannot leave a third with both places.
//! - **Publishing after the commit.** Other changes (cache invalidations, reviews' and bans'
//!   moves) are applied by the committing node at once, then queued; one task appends the queue
//!   to the log in batches. Counts shared for the limits (anti-cheat attempts, rate-limit
//!   tokens, failed logins) ride in the next score batch's transaction, or are appended alone
//!   after [`SHARE_EVERY`]; answers never wait for them. A write is answered only once what it published is in the log
//!   ([`ChangeFeed::settle`], awaited by the HTTP layer), so a node killed after answering has
//!   handed every acknowledged change to the others.
//! - **Following.** Another task reads the log above the last number it applied whenever the
//!   doorbell rings — a [`Signal`] such as Redis pub/sub when the node has one, the store's own
//!   (PostgreSQL `LISTEN`/`NOTIFY`) otherwise — and at least every poll interval,
//!   applies the other nodes' changes to this node's copies in order and skips its own. A lost
//!   notification, a dropped doorbell connection or a restart therefore delays a change by at
//!   most one interval and loses nothing: the log, not the notification, is the truth.
//! - **Starting.** [`ChangeFeed::open`] notes where the log stands before the node loads its
//!   copies; [`ChangeFeed::follow`] applies everything committed since, before the node
//!   listens. Applying a change the load already saw is harmless: invalidations drop caches,
//!   rankings are sets and later moves of an entry follow in order. Only shared anti-cheat
//!   counts of those few moments may be counted twice (once by the start-up replay of the
//!   stored events): a node just started is, for a moment, slightly stricter.
//!
//! What travels is decided by [`super::wire`]: most changes whole, community runs and
//! categories as references that the follower resolves against the store (a [`Resolver`] per
//! service). The log is pruned an hour behind.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::{Notify, watch};

use super::changes::{Change, ChangeFeed, LocalFeed, Resolver, Subscriber};
use super::signal::Signal;
use super::wire::Decoded;
use crate::store::{Doorbell, Store, StoreResult};

/// How long the log keeps changes: a node that was cut off for longer loads afresh.
const KEEP: Duration = Duration::from_secs(3600);
/// How many logged changes one read takes.
const READ: u32 = 1000;
/// How long a write waits for its changes to reach the log before it is answered anyway (the
/// appender keeps retrying; the other nodes then see the change when the store is back).
const SETTLE_WAIT: Duration = Duration::from_secs(5);
/// How long shared counts wait for a commit to carry them before they are appended alone.
const SHARE_EVERY: Duration = Duration::from_millis(20);

/// Counts shared with the other nodes, gathered between two appends.
#[derive(Default)]
struct Shares {
    attempts: Vec<crate::anticheat::Attempt>,
    taken: Vec<(super::Bucket, std::net::IpAddr)>,
    failures: Vec<super::FailureCount>,
}

/// The change feed over the store's change log.
pub struct StoreFeed {
    node: String,
    store: Arc<dyn Store>,
    /// What wakes the other nodes, when it is not the store's own doorbell.
    signal: Option<Arc<dyn Signal>>,
    local: LocalFeed,
    resolvers: std::sync::RwLock<Vec<Arc<dyn Resolver>>>,
    poll: Duration,
    outbox: Mutex<Vec<String>>,
    queued: AtomicU64,
    /// What [`ChangeFeed::share`] was given since the last append, merged into one change per
    /// kind (answers do not wait for these).
    shares: Mutex<Shares>,
    appended: watch::Sender<u64>,
    wake: Notify,
    applied: AtomicI64,
    /// Changes this node logged in their transaction, by number, until the reader reaches
    /// them (it applies these instead of decoding their text).
    own: Mutex<std::collections::HashMap<i64, Change>>,
    pulling: tokio::sync::Mutex<()>,
    following: std::sync::atomic::AtomicBool,
    /// Why the feed cannot reach the other nodes right now (for `/v1/health`), if it cannot.
    degraded: Mutex<Option<String>>,
}

impl StoreFeed {
    /// A feed for a new node over `store`, reading the log at least every `poll` and woken by
    /// `signal` when given (the store's doorbell is then switched off), by the store's doorbell
    /// otherwise; its appender runs on the current Tokio runtime until the feed is dropped.
    pub fn start(store: Arc<dyn Store>, poll: Duration, signal: Option<Arc<dyn Signal>>) -> Arc<Self> {
        let node = crate::auth::random_bytes(8).iter().map(|b| format!("{b:02x}")).collect();
        store.set_doorbell(signal.is_none());
        let feed = Arc::new(Self {
            node,
            store,
            signal,
            local: LocalFeed::default(),
            resolvers: std::sync::RwLock::new(Vec::new()),
            poll,
            outbox: Mutex::new(Vec::new()),
            queued: AtomicU64::new(0),
            shares: Mutex::new(Shares::default()),
            appended: watch::channel(0).0,
            wake: Notify::new(),
            applied: AtomicI64::new(0),
            own: Mutex::new(std::collections::HashMap::new()),
            pulling: tokio::sync::Mutex::new(()),
            following: std::sync::atomic::AtomicBool::new(false),
            degraded: Mutex::new(None),
        });
        tokio::spawn(append_loop(Arc::downgrade(&feed)));
        feed
    }

    /// A doorbell for what other nodes append from now on: the signal's, or the store's.
    async fn doorbell(&self) -> StoreResult<Option<Box<dyn Doorbell>>> {
        match &self.signal {
            Some(signal) => signal.listen(&self.node).await.map(Some),
            None => self.store.change_doorbell().await,
        }
    }

    /// Wakes the other nodes after this node appended (the store's doorbell rang in the
    /// append's transaction when there is no signal).
    fn ring(&self) {
        if let Some(signal) = &self.signal {
            signal.ring(&self.node);
        }
    }

    fn set_degraded(&self, why: Option<String>) {
        *self.degraded.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = why;
    }

    /// Applies every change above the last one applied, in order; other nodes' to this node's
    /// copies, this node's skipped (applied when published).
    pub async fn pull(&self) -> StoreResult<()> {
        let _one = self.pulling.lock().await;
        loop {
            let after = self.applied.load(Ordering::Acquire);
            let batch = self.store.changes_after(after, READ).await?;
            if let Some(first) = batch.first()
                && first.seq > after + 1
                && after > 0
            {
                tracing::warn!(
                    from = after + 1,
                    to = first.seq - 1,
                    "changes were pruned before this node applied them; restart it to load afresh"
                );
            }
            for c in &batch {
                let mine = c.node == self.node;
                if !(mine && c.committer_applied) {
                    let held = if mine {
                        self.own.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&c.seq)
                    } else {
                        None
                    };
                    match held.map_or_else(|| super::wire::decode_any(&c.body), |h| Ok(Decoded::Change(h))) {
                        // Counts this node shared were applied here when it judged them.
                        Ok(Decoded::Change(Change::Attempts(_) | Change::Taken(_) | Change::Failures(_))) if mine => {}
                        Ok(Decoded::Change(change)) => self.local.publish(change),
                        Ok(Decoded::Reference(reference)) => {
                            // Read now; a failure leaves this number unapplied, to be read again.
                            let resolvers: Vec<Arc<dyn Resolver>> =
                                self.resolvers.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
                            for r in resolvers {
                                for change in r.resolve(&reference).await? {
                                    self.local.publish(change);
                                }
                            }
                        }
                        Err(e) => tracing::warn!(seq = c.seq, error = %e, "a logged change could not be read; skipped"),
                    }
                }
                self.applied.store(c.seq, Ordering::Release);
            }
            if batch.len() < READ as usize {
                return Ok(());
            }
        }
    }

    /// Queues a change's wire form for the appender.
    fn queue(&self, body: String) {
        self.outbox.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(body);
        self.queued.fetch_add(1, Ordering::AcqRel);
        self.wake.notify_one();
    }

    /// The shared counts gathered since the last append, as wire forms (one per kind).
    fn shared_bodies(&self) -> Vec<String> {
        let shares = std::mem::take(&mut *self.shares.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
        let mut bodies = Vec::new();
        if !shares.attempts.is_empty() {
            bodies.extend(super::wire::encode(&Change::Attempts(Arc::new(shares.attempts))));
        }
        if !shares.taken.is_empty() {
            bodies.extend(super::wire::encode(&Change::Taken(Arc::new(shares.taken))));
        }
        if !shares.failures.is_empty() {
            bodies.extend(super::wire::encode(&Change::Failures(Arc::new(shares.failures))));
        }
        bodies
    }

    fn has_shares(&self) -> bool {
        let shares = self.shares.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        !shares.attempts.is_empty() || !shares.taken.is_empty() || !shares.failures.is_empty()
    }

    fn outbox_is_empty(&self) -> bool {
        self.outbox.lock().unwrap_or_else(std::sync::PoisonError::into_inner).is_empty()
    }

    /// Appends what is queued and shared; false when the store refused (the queue is kept; the
    /// shared counts go, as a node's counts of a moment it could not reach the log).
    async fn append_queued(&self) -> bool {
        let mut bodies = std::mem::take(&mut *self.outbox.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
        let n = bodies.len();
        bodies.extend(self.shared_bodies());
        if bodies.is_empty() {
            return true;
        }
        match self.store.append_changes(&self.node, crate::time::to_micros(crate::time::now()), &bodies).await {
            Ok(_) => {
                self.ring();
                self.appended.send_modify(|a| *a += n as u64);
                self.set_degraded(None);
                true
            }
            Err(e) => {
                tracing::warn!(error = %e, changes = n, "could not log committed changes for the other nodes; will retry");
                self.set_degraded(Some(format!("the change log is unreachable: {e}")));
                bodies.truncate(n);
                let mut outbox = self.outbox.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                let later = std::mem::replace(&mut *outbox, bodies);
                outbox.extend(later);
                false
            }
        }
    }
}

async fn append_loop(feed: Weak<StoreFeed>) {
    let mut pruned_at = std::time::Instant::now();
    loop {
        let Some(f) = feed.upgrade() else { return };
        // Wait for something to append, or look again now and then (to prune, and to notice
        // the feed was dropped).
        let _ = tokio::time::timeout(Duration::from_secs(1), f.wake.notified()).await;
        if f.outbox_is_empty() && f.has_shares() {
            // Only shared counts: give a commit the chance to carry them in its own transaction
            // (`take_shared`); at most SHARE_EVERY late otherwise.
            tokio::time::sleep(SHARE_EVERY).await;
        }
        if !f.append_queued().await {
            drop(f);
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        }
        if pruned_at.elapsed() > Duration::from_secs(60) {
            pruned_at = std::time::Instant::now();
            let before = crate::time::to_micros(crate::time::now()) - KEEP.as_micros() as i64;
            if let Err(e) = f.store.prune_changes(before).await {
                tracing::debug!(error = %e, "could not prune the change log; will retry");
            }
        }
    }
}

async fn follow_loop(feed: Weak<StoreFeed>, mut bell: Option<Box<dyn Doorbell>>) {
    loop {
        let poll = match feed.upgrade() {
            Some(f) => f.poll,
            None => return,
        };
        let rang = async {
            match bell.as_mut() {
                Some(b) => b.rung().await,
                None => std::future::pending().await,
            }
        };
        let dropped = tokio::select! {
            r = rang => r.is_err(),
            _ = tokio::time::sleep(poll) => false,
        };
        let Some(f) = feed.upgrade() else { return };
        let mut result = f.pull().await;
        if dropped || bell.is_none() {
            // After this read, so that a doorbell slow to answer never delays it; what was
            // appended between the two is read at once when a doorbell is had again.
            bell = match f.doorbell().await {
                Ok(b) => {
                    result = f.pull().await;
                    b
                }
                Err(e) => {
                    tracing::debug!(error = %e, "no doorbell for the change log; polling");
                    None
                }
            };
        }
        match result {
            Ok(()) => {
                let mut degraded = f.degraded.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                if degraded.as_deref().is_some_and(|d| d.starts_with("reading")) {
                    *degraded = None;
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "could not read the change log; will retry");
                f.set_degraded(Some(format!("reading the change log failed: {e}")));
            }
        }
    }
}

#[async_trait]
impl ChangeFeed for StoreFeed {
    fn publish(&self, change: Change) {
        let body = super::wire::encode(&change);
        self.local.publish(change);
        if let Some(body) = body {
            self.queue(body);
        }
    }

    fn share(&self, change: Change) {
        {
            let mut shares = self.shares.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            match change {
                Change::Attempts(a) => shares.attempts.extend(a.iter().cloned()),
                Change::Taken(t) => shares.taken.extend(t.iter().copied()),
                Change::Failures(f) => shares.failures.extend(f.iter().cloned()),
                other => {
                    drop(shares);
                    if let Some(body) = super::wire::encode(&other) {
                        self.queue(body);
                    }
                    return;
                }
            }
        }
        self.wake.notify_one();
    }

    fn subscribe(&self, subscriber: Arc<dyn Subscriber>) {
        self.local.subscribe(subscriber);
    }

    fn resolve_with(&self, resolver: Arc<dyn Resolver>) {
        self.resolvers.write().unwrap_or_else(std::sync::PoisonError::into_inner).push(resolver);
    }

    fn name(&self) -> &'static str {
        self.signal.as_ref().map_or("change log (several nodes)", |s| s.name())
    }

    async fn open(&self) -> StoreResult<()> {
        let last = self.store.last_change().await?;
        self.applied.store(last, Ordering::Release);
        Ok(())
    }

    async fn follow(self: Arc<Self>) -> StoreResult<()> {
        // The doorbell first, so that nothing appended between the catch-up and the first wait
        // goes unnoticed (the poll would find it anyway, one interval later).
        let bell = match self.doorbell().await {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(error = %e, "no doorbell for the change log; polling");
                None
            }
        };
        self.pull().await?;
        // Nodes sharing one feed (tests of the seam) follow it once.
        if !self.following.swap(true, Ordering::AcqRel) {
            tokio::spawn(follow_loop(Arc::downgrade(&self), bell));
        }
        Ok(())
    }

    async fn settle(&self) {
        let target = self.queued.load(Ordering::Acquire);
        let mut appended = self.appended.subscribe();
        let reached = tokio::time::timeout(SETTLE_WAIT, appended.wait_for(|a| *a >= target)).await;
        if reached.is_err() {
            tracing::warn!("answered before this node's changes reached the change log; they will follow");
        }
    }

    fn degraded(&self) -> Option<String> {
        let own = self.degraded.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
        own.or_else(|| {
            let signal = self.signal.as_ref()?;
            signal
                .degraded()
                .map(|why| format!("{why}; other nodes' changes are read every {} ms", self.poll.as_millis()))
        })
    }

    fn log_node(&self) -> Option<&str> {
        Some(&self.node)
    }

    fn take_shared(&self) -> Vec<String> {
        self.shared_bodies()
    }

    async fn committed(&self, seq: i64, change: Change) {
        self.ring();
        if self.applied.load(Ordering::Acquire) >= seq {
            return; // the reader got there first, from the logged text
        }
        self.own.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(seq, change);
        // Usually one read: the changes other nodes logged since the last one, then this one.
        while self.applied.load(Ordering::Acquire) < seq {
            if let Err(e) = self.pull().await {
                tracing::warn!(error = %e, seq, "could not read the change log to apply this node's own change; will retry");
                self.set_degraded(Some(format!("reading the change log failed: {e}")));
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        // The reader may have applied it from the logged text before it was held here.
        self.own.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&seq);
    }
}
