//! The production backend: PostgreSQL, shared by every node.

use std::time::Duration;

use podium_core::store::StoreError;
use sqlx::postgres::{PgPool, PgPoolOptions};

use crate::sql::map_err;

/// The PostgreSQL store.
#[derive(Clone, Debug)]
pub struct PgStore {
    pub(crate) pool: PgPool,
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
        Ok(Self { pool })
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
