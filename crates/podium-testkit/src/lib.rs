//! Throwaway databases for podium's test suites, and the test Redis ([`redis::TestRedis`])
//! with a proxy that can cut it off ([`proxy::CutProxy`]).
//!
//! [`TestDb::sqlite`] makes a fresh SQLite file in a temporary directory. [`TestDb::postgres`]
//! creates a fresh database on the server named by `PODIUM_TEST_POSTGRES_URL` and drops it when
//! the `TestDb` is dropped. Without that variable (or with the server unreachable) it returns
//! `None` after printing why, so the suite skips, unless `CI` is set, in which case it panics:
//! CI must never pass by skipping.

#![allow(clippy::expect_used, clippy::panic, missing_docs)]

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use podium_core::store::Store;
use podium_store::Backend;
use sqlx::Connection;

pub mod mmdb;
pub mod proxy;
pub mod redis;

/// The variable naming the PostgreSQL server for tests (a URL to any existing database, e.g.
/// `postgres://postgres@127.0.0.1:5432/postgres`).
pub const POSTGRES_ENV: &str = "PODIUM_TEST_POSTGRES_URL";

/// A database that lives as long as this value.
pub struct TestDb {
    backend: Backend,
    url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    /// Another `TestDb` owns the database.
    Shared,
    Dir(PathBuf),
    PgDatabase {
        admin_url: String,
        name: String,
    },
}

fn say(msg: &str) {
    // Written to the process's stderr directly so that the test harness does not capture it:
    // a skipped suite must be visible in the output.
    let _ = writeln!(std::io::stderr(), "{msg}");
}

fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0")
}

impl TestDb {
    /// A fresh, migrated SQLite database in its own temporary directory.
    pub async fn sqlite() -> Self {
        let dir = std::env::temp_dir().join(format!("podium-test-{}", ulid_string()));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        let url = format!("sqlite://{}", dir.join("podium.db").display());
        let backend = Backend::connect(&url).await.expect("open sqlite");
        backend.migrate().await.expect("migrate sqlite");
        Self { backend, url, cleanup: Cleanup::Dir(dir) }
    }

    /// A fresh, migrated PostgreSQL database, or `None` (with the reason printed) when no
    /// server is configured or reachable outside CI.
    pub async fn postgres() -> Option<Self> {
        let Ok(admin_url) = std::env::var(POSTGRES_ENV) else {
            if in_ci() {
                panic!("CI is set but {POSTGRES_ENV} is not: the PostgreSQL suite must run in CI");
            }
            say(&format!("skipping PostgreSQL test: {POSTGRES_ENV} is not set"));
            return None;
        };
        let mut admin = match sqlx::PgConnection::connect(&admin_url).await {
            Ok(c) => c,
            Err(e) if !in_ci() => {
                say(&format!("skipping PostgreSQL test: cannot reach {}: {e}", podium_store::redact(&admin_url)));
                return None;
            }
            Err(e) => panic!("CI is set but PostgreSQL is unreachable at {}: {e}", podium_store::redact(&admin_url)),
        };
        let name = format!("podium_test_{}", ulid_string().to_lowercase());
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .expect("create test database");
        let _ = admin.close().await;
        let url = replace_database(&admin_url, &name);
        let backend = Backend::connect(&url).await.expect("connect to test database");
        backend.migrate().await.expect("migrate postgres");
        Some(Self { backend, url, cleanup: Cleanup::PgDatabase { admin_url, name } })
    }

    /// A second handle on the same database; the original still owns (and drops) it.
    pub fn share(&self) -> Self {
        Self { backend: self.backend.clone(), url: self.url.clone(), cleanup: Cleanup::Shared }
    }

    /// The store, as services use it.
    pub fn store(&self) -> Arc<dyn Store> {
        self.backend.clone().into_store()
    }

    /// The connected backend.
    pub fn backend(&self) -> &Backend {
        &self.backend
    }

    /// The database URL (for starting a server process on the same database).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Runs raw SQL on the database over a connection of its own, as an operator's tool or
    /// an older release would (tests make rows as earlier versions left them this way).
    pub async fn execute(&self, sql: &str) {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        if self.url.starts_with("sqlite:") {
            let mut c = sqlx::SqliteConnection::connect(&self.url).await.expect("open sqlite");
            sqlx::raw_sql(sql).execute(&mut c).await.expect("run sql");
            let _ = c.close().await;
        } else {
            let mut c = sqlx::PgConnection::connect(&self.url).await.expect("connect to postgres");
            sqlx::raw_sql(sql).execute(&mut c).await.expect("run sql");
            let _ = c.close().await;
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::Shared => {}
            Cleanup::Dir(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::PgDatabase { admin_url, name } => {
                // Drop may run inside a runtime, whose thread is blocked here: use a thread with
                // a runtime of its own, and let `WITH (FORCE)` end the pool's connections
                // server-side (closing the pool would need the blocked runtime).
                let (admin_url, name) = (admin_url.clone(), name.clone());
                let _ = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build();
                    if let Ok(rt) = rt {
                        rt.block_on(async move {
                            if let Ok(mut admin) = sqlx::PgConnection::connect(&admin_url).await {
                                let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                                let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut admin).await;
                                let _ = admin.close().await;
                            }
                        });
                    }
                })
                .join();
            }
        }
    }
}

fn ulid_string() -> String {
    // A fresh random ID's opaque part: unique across concurrent test processes.
    podium_core::id::AccountId::generate().to_string()[4..].to_owned()
}

/// `url` with its database name replaced.
fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}
