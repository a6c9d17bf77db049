//! The embedded backend: one SQLite file, bundled with the binary, in WAL mode with
//! `synchronous = FULL` so that a committed transaction survives a crash or power loss.

use std::str::FromStr;
use std::time::Duration;

use podium_core::store::StoreError;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

use crate::sql::map_err;

/// The SQLite store.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    pub(crate) pool: SqlitePool,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

impl SqliteStore {
    /// The file an `sqlite:` URL names: `None` for an in-memory database (or a URL that does
    /// not parse, which [`Self::connect`] refuses with its reason).
    pub fn file_of(url: &str) -> Option<std::path::PathBuf> {
        let memory = url.contains(":memory:") || url.contains("mode=memory");
        let options = SqliteConnectOptions::from_str(url).ok()?;
        (!memory).then(|| options.get_filename().to_path_buf())
    }

    /// Opens (creating if missing) the database file named by `url`.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Unavailable(format!("bad SQLite URL: {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            // 32 MiB of page cache per connection (SQLite's default is 2 MiB): the indexes of a
            // community category with 100 000 runs stay in memory instead of being re-read.
            .pragma("cache_size", "-32768")
            // Checkpoints mostly run beside the writers (`checkpoints`), not inside whichever
            // commit crosses SQLite's default 1 000-page mark: that commit would copy the pages
            // into the database file and sync it before it could answer. The WAL only starts
            // over after a checkpoint with no write behind it, which a pass beside steady
            // writes never is, so the automatic one stays, at 16 384 pages (64 MiB): it copies
            // what the task has not and lets the WAL start over; the file is kept at 64 MiB.
            .pragma("wal_autocheckpoint", "16384")
            .pragma("journal_size_limit", "67108864");
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(map_err)?;
        tokio::spawn(checkpoints(pool.clone()));
        Ok(Self { pool })
    }

    /// Applies pending migrations.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        MIGRATOR.run(&self.pool).await.map_err(|e| StoreError::Backend(format!("migration failed: {e}")))
    }

    /// Closes the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// How often the WAL is copied back into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

/// Copies committed WAL frames into the database file every [`CHECKPOINT_EVERY`] until the pool
/// closes, in SQLite's `PASSIVE` mode: it never waits for a reader or a writer, so the commit
/// that runs the automatic checkpoint finds little left to copy.
async fn checkpoints(pool: SqlitePool) {
    let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while !pool.is_closed() {
        tick.tick().await;
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&pool).await
            && !pool.is_closed()
        {
            tracing::warn!(error = %e, "WAL checkpoint failed");
        }
    }
}

crate::sql::impl_store!(SqliteStore, sqlx::Sqlite, "sqlite", "BEGIN IMMEDIATE", "");

impl SqliteStore {
    fn rings_doorbell(&self) -> bool {
        false
    }

    fn ring_doorbell(&self, _ring: bool) {}

    /// SQLite is one node: it always holds every lease.
    async fn lease(&self, _key: i64) -> podium_core::store::StoreResult<Option<Box<dyn podium_core::store::Lease>>> {
        Ok(Some(Box::new(OneNode)))
    }

    /// SQLite has no doorbell: it is one node (a reader would poll).
    async fn doorbell(&self) -> podium_core::store::StoreResult<Option<Box<dyn podium_core::store::Doorbell>>> {
        Ok(None)
    }
}

/// The lease of a store that is one node.
struct OneNode;

#[async_trait::async_trait]
impl podium_core::store::Lease for OneNode {
    fn fence(&self) -> Option<podium_core::store::Fence> {
        None
    }

    async fn held(&mut self) -> bool {
        true
    }

    async fn release(&mut self) {}
}

/// Rows per chunk when loading the rankings.
const RANKED_CHUNK: i64 = 50_000;

impl SqliteStore {
    /// Streams the key material of every ranked entry. sqlx hands SQLite rows over one by one
    /// from its worker thread (~2.5 µs a row), so the rows are packed in SQL instead: one
    /// `group_concat` per range of 50 000 rowids, read in rowid (scan) order with no sort, and
    /// split here. Values travel as their IEEE-754 bits (`value_bits`), integers whose text form
    /// is exact (SQLite's text form of a double is not always).
    pub(crate) async fn load_ranked(
        &self,
        f: &mut (dyn FnMut(podium_core::store::RankedRow) + Send),
    ) -> Result<u64, StoreError> {
        let corrupt = |what| StoreError::Backend(format!("stored {what} is not valid"));
        let (max_rowid,): (Option<i64>,) =
            sqlx::query_as("SELECT MAX(rowid) FROM scores").fetch_one(&self.pool).await.map_err(map_err)?;
        let mut n = 0u64;
        let mut last_board: Option<(String, podium_core::id::BoardId)> = None;
        let mut start = 0i64;
        while start <= max_rowid.unwrap_or(-1) {
            let (packed,): (Option<String>,) = sqlx::query_as(
                "SELECT group_concat(board_id || ',' || is_test || ',' || value_bits || ',' || updated_at \
                 || ',' || id, ';') FROM scores WHERE rowid >= $1 AND rowid < $2 AND status <> 'rejected'",
            )
            .bind(start)
            .bind(start + RANKED_CHUNK)
            .fetch_one(&self.pool)
            .await
            .map_err(map_err)?;
            start += RANKED_CHUNK;
            for item in packed.as_deref().unwrap_or_default().split(';').filter(|s| !s.is_empty()) {
                let mut parts = item.split(',');
                let (Some(board), Some(is_test), Some(value), Some(at), Some(id), None) =
                    (parts.next(), parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
                else {
                    return Err(corrupt("ranked row"));
                };
                let board_id = match &last_board {
                    Some((text, id)) if text == board => *id,
                    _ => {
                        let id: podium_core::id::BoardId = board.parse().map_err(|_| corrupt("board id"))?;
                        last_board = Some((board.to_owned(), id));
                        id
                    }
                };
                let value = f64::from_bits(value.parse::<i64>().map_err(|_| corrupt("value"))? as u64);
                f(podium_core::store::RankedRow {
                    board_id,
                    is_test: is_test == "1",
                    value,
                    updated_at: at.parse().map_err(|_| corrupt("updated_at"))?,
                    id: id.parse().map_err(|_| corrupt("score id"))?,
                });
                n += 1;
            }
        }
        Ok(n)
    }
}
