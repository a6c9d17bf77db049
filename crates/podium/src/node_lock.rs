//! SQLite is one node: the rankings, counters and caches a node keeps in memory follow only its
//! own writes, so a second `serve` on the same file would answer from state that the first one's
//! writes leave behind. `serve` therefore holds an exclusive lock on a file beside the database
//! (`<file>.lock`) for as long as it runs, and a second one is refused at start-up. The lock is
//! the operating system's (`flock`): it goes with the process, however it ends, so a node killed
//! with SIGKILL leaves nothing to clean up. `migrate` and `bootstrap` take no lock: they are
//! safe beside a running node.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::PathBuf;

use anyhow::Context;

/// Held by the one node serving an SQLite file; released when dropped or when the process ends.
#[derive(Debug)]
pub struct NodeLock {
    _file: File,
    path: PathBuf,
}

impl NodeLock {
    /// Takes the lock of the SQLite file `database_url` names; `None` for PostgreSQL (several
    /// nodes share it) and in-memory databases. Fails if another process holds it.
    pub fn acquire(database_url: &str) -> anyhow::Result<Option<Self>> {
        if !database_url.starts_with("sqlite:") {
            return Ok(None);
        }
        let Some(db) = podium_store::SqliteStore::file_of(database_url) else { return Ok(None) };
        let mut path = db.clone().into_os_string();
        path.push(".lock");
        let path = PathBuf::from(path);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot open the node lock {}", path.display()))?;
        match file.try_lock() {
            Ok(()) => Ok(Some(Self { _file: file, path })),
            Err(TryLockError::WouldBlock) => anyhow::bail!(
                "another podium node is already serving {}: SQLite is one node (its lock {} is held). \
                 Stop that node first, or run several nodes on PostgreSQL (docs/OPERATIONS.md)",
                db.display(),
                path.display()
            ),
            Err(TryLockError::Error(e)) => {
                Err(e).with_context(|| format!("cannot lock the node lock {}", path.display()))
            }
        }
    }

    /// The lock file.
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_node_on_the_same_sqlite_file_is_refused_until_the_first_stops() {
        let dir = std::env::temp_dir().join(format!("podium-lock-{}", podium_core::id::GameId::generate()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}", dir.join("podium.db").display());
        let first = NodeLock::acquire(&url).unwrap().expect("an SQLite file is locked");
        assert_eq!(first.path(), dir.join("podium.db.lock"));
        let refused = NodeLock::acquire(&url).unwrap_err().to_string();
        assert!(refused.contains("another podium node is already serving"), "{refused}");
        assert!(refused.contains("SQLite is one node"), "{refused}");
        drop(first);
        assert!(NodeLock::acquire(&url).unwrap().is_some(), "the lock goes with the node that held it");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn postgres_and_in_memory_databases_take_no_lock() {
        assert!(NodeLock::acquire("postgres://u@h/db").unwrap().is_none());
        assert!(NodeLock::acquire("sqlite::memory:").unwrap().is_none());
    }
}
