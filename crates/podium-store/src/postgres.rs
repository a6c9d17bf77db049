//! The production backend: PostgreSQL, shared by every node.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use podium_core::store::StoreError;
use sqlx::postgres::{PgPool, PgPoolOptions};

use crate::sql::map_err;

/// The PostgreSQL store.
#[derive(Clone, Debug)]
pub struct PgStore {
    pub(crate) pool: PgPool,
    /// Whether appending to the change log rings `NOTIFY` (off when another signal wakes the
    /// nodes); shared by the store's clones.
    notify: Arc<AtomicBool>,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl PgStore {
    /// Connects a pool to the server named by `url`.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await
            .map_err(map_err)?;
        Ok(Self { pool, notify: Arc::new(AtomicBool::new(true)) })
    }

    /// Applies pending migrations (sqlx takes an advisory lock, so several nodes starting at
    /// once apply each migration exactly once).
    pub async fn migrate(&self) -> Result<(), StoreError> {
        MIGRATOR.run(&self.pool).await.map_err(|e| StoreError::Backend(format!("migration failed: {e}")))
    }

    /// Closes the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

crate::sql::impl_store!(PgStore, sqlx::Postgres, "postgres", "BEGIN", " FOR UPDATE");

/// PostgreSQL's doorbell for the change log: a `LISTEN` connection of its own.
struct PgDoorbell(sqlx::postgres::PgListener);

#[async_trait::async_trait]
impl podium_core::store::Doorbell for PgDoorbell {
    async fn rung(&mut self) -> podium_core::store::StoreResult<()> {
        // `try_recv` gives `None` when the connection was lost (it reconnects on the next
        // call): notifications may have been missed, so the caller reads the log either way.
        self.0.try_recv().await.map_err(map_err)?;
        while self.0.next_buffered().is_some() {}
        Ok(())
    }
}

/// A session advisory lock held on a connection of its own.
struct PgLease(sqlx::postgres::PgConnection, podium_core::store::Fence);

#[async_trait::async_trait]
impl podium_core::store::Lease for PgLease {
    fn fence(&self) -> Option<podium_core::store::Fence> {
        Some(self.1)
    }

    async fn held(&mut self) -> bool {
        let alive = sqlx::query("SELECT 1").execute(&mut self.0);
        matches!(tokio::time::timeout(Duration::from_secs(2), alive).await, Ok(Ok(_)))
    }

    async fn release(&mut self) {
        let unlock = sqlx::query("SELECT pg_advisory_unlock($1)").bind(self.1.key).execute(&mut self.0);
        let _ = tokio::time::timeout(Duration::from_secs(2), unlock).await;
    }
}

impl PgStore {
    async fn lease(&self, key: i64) -> podium_core::store::StoreResult<Option<Box<dyn podium_core::store::Lease>>> {
        use sqlx::Connection;
        let options = self.pool.connect_options();
        let mut connection = sqlx::postgres::PgConnection::connect_with(&options).await.map_err(map_err)?;
        let (taken,): (bool,) = sqlx::query_as("SELECT pg_try_advisory_lock($1)")
            .bind(key)
            .fetch_one(&mut connection)
            .await
            .map_err(map_err)?;
        if taken {
            // Writes fenced by the previous holder hold `key + 1` shared until they commit:
            // taking it alone waits for them, so what this node loads next includes them.
            sqlx::query("SELECT pg_advisory_lock($1 + 1)").bind(key).execute(&mut connection).await.map_err(map_err)?;
            sqlx::query("SELECT pg_advisory_unlock($1 + 1)")
                .bind(key)
                .execute(&mut connection)
                .await
                .map_err(map_err)?;
            let (holder,): (i32,) =
                sqlx::query_as("SELECT pg_backend_pid()").fetch_one(&mut connection).await.map_err(map_err)?;
            let fence = podium_core::store::Fence { key, holder };
            Ok(Some(Box::new(PgLease(connection, fence))))
        } else {
            let _ = connection.close().await;
            Ok(None)
        }
    }

    fn rings_doorbell(&self) -> bool {
        self.notify.load(Ordering::Relaxed)
    }

    fn ring_doorbell(&self, ring: bool) {
        self.notify.store(ring, Ordering::Relaxed);
    }

    async fn doorbell(&self) -> podium_core::store::StoreResult<Option<Box<dyn podium_core::store::Doorbell>>> {
        let mut listener = sqlx::postgres::PgListener::connect_with(&self.pool).await.map_err(map_err)?;
        listener.listen(crate::sql::changes::CHANNEL).await.map_err(map_err)?;
        Ok(Some(Box::new(PgDoorbell(listener))))
    }
}

impl PgStore {
    /// Streams the key material of every ranked entry.
    pub(crate) async fn load_ranked(
        &self,
        f: &mut (dyn FnMut(podium_core::store::RankedRow) + Send),
    ) -> Result<u64, StoreError> {
        use futures_util::TryStreamExt;
        use sqlx::Row;
        let corrupt = |what| StoreError::Backend(format!("stored {what} is not valid"));
        let mut rows =
            sqlx::query("SELECT board_id, is_test, value, updated_at, id FROM scores WHERE status <> 'rejected'")
                .fetch(&self.pool);
        let mut n = 0;
        let mut last_board: Option<(String, podium_core::id::BoardId)> = None;
        while let Some(row) = rows.try_next().await.map_err(map_err)? {
            let board_text: &str = row.try_get(0).map_err(map_err)?;
            let board_id = match &last_board {
                Some((text, id)) if text == board_text => *id,
                _ => {
                    let id: podium_core::id::BoardId = board_text.parse().map_err(|_| corrupt("board id"))?;
                    last_board = Some((board_text.to_owned(), id));
                    id
                }
            };
            let id: &str = row.try_get(4).map_err(map_err)?;
            f(podium_core::store::RankedRow {
                board_id,
                is_test: row.try_get(1).map_err(map_err)?,
                value: row.try_get(2).map_err(map_err)?,
                updated_at: row.try_get(3).map_err(map_err)?,
                id: id.parse().map_err(|_| corrupt("score id"))?,
            });
            n += 1;
        }
        Ok(n)
    }
}
