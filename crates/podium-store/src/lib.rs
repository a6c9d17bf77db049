//! podium's storage backends: SQLite (the embedded default: bundled, WAL, one file) and
//! PostgreSQL (production, several nodes). Both implement the storage traits of
//! `podium_core::store` from one body of SQL (see [`sql`]), and each carries its own embedded
//! migrations. Beside them, [`RedisSignal`]: Redis pub/sub as the signal that wakes several
//! nodes when one of them logged changes (`podium_core::shared::Signal`).

mod postgres;
mod signal;
mod sql;
mod sqlite;

use std::sync::Arc;

use podium_core::store::{Store, StoreError};

pub use postgres::PgStore;
pub use signal::RedisSignal;
pub use sqlite::SqliteStore;

/// A connected store of either kind.
#[derive(Clone)]
pub enum Backend {
    /// The embedded SQLite file.
    Sqlite(SqliteStore),
    /// A PostgreSQL server.
    Postgres(PgStore),
}

impl Backend {
    /// Connects to `url`: `sqlite://path` (the file is created if missing) or
    /// `postgres://…` / `postgresql://…`.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres(PgStore::connect(url).await?))
        } else if url.starts_with("sqlite:") {
            Ok(Self::Sqlite(SqliteStore::connect(url).await?))
        } else {
            Err(StoreError::Unavailable(format!(
                "unsupported database URL scheme in `{}`: use sqlite://… or postgres://…",
                redact(url)
            )))
        }
    }

    /// Applies the embedded migrations that have not run yet.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self {
            Self::Sqlite(s) => s.migrate().await,
            Self::Postgres(s) => s.migrate().await,
        }
    }

    /// The store as the services use it.
    pub fn into_store(self) -> Arc<dyn Store> {
        match self {
            Self::Sqlite(s) => Arc::new(s),
            Self::Postgres(s) => Arc::new(s),
        }
    }

    /// Closes every pooled connection.
    pub async fn close(&self) {
        match self {
            Self::Sqlite(s) => s.close().await,
            Self::Postgres(s) => s.close().await,
        }
    }
}

/// A database URL with any password replaced by `***`, safe to log.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_never_appear_in_redacted_urls() {
        assert_eq!(super::redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(super::redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(super::redact("sqlite://podium.db"), "sqlite://podium.db");
    }
}
