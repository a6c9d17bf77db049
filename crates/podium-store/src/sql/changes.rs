//! The change log (`node_changes`): appended under a lock held until commit (PostgreSQL: a
//! transaction-scoped advisory lock; SQLite: `BEGIN IMMEDIATE` already serialises writers), so
//! numbers are dense and in commit order; the append's transaction also rings the doorbell
//! (PostgreSQL: `NOTIFY`, delivered at commit).

/// The `NOTIFY` channel of the change log on PostgreSQL.
pub(crate) const CHANNEL: &str = "podium_changes";

/// The statements that take the log's lock and ring its doorbell inside a transaction, per
/// backend (the advisory key is "podium" in ASCII; SQLite's writers are already serialised and
/// it has no doorbell).
pub(crate) fn log_statements(backend: &str) -> (&'static str, &'static str) {
    if backend == "postgres" {
        ("SELECT pg_advisory_xact_lock(112111100105117109)", "SELECT pg_notify('podium_changes', '')")
    } else {
        ("SELECT 1", "SELECT 1")
    }
}

/// Appends `$bodies` to the log inside the open transaction `$tx`, numbered after every change
/// already in it, and rings the doorbell (delivered at commit) when `$ring`; evaluates to the
/// last number. `$applied`: whether the committing node applied them already
/// (`committer_applied`).
macro_rules! append_in_tx {
    ($tx:expr, $db:ty, $name:literal, $node:expr, $at:expr, $bodies:expr, $applied:expr, $ring:expr) => {{
        use $crate::sql::map_err;
        let (lock, ring) = $crate::sql::changes::log_statements($name);
        sqlx::query(lock).execute(&mut *$tx).await.map_err(map_err)?;
        let (mut seq,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(seq), 0) FROM node_changes")
            .fetch_one(&mut *$tx)
            .await
            .map_err(map_err)?;
        for chunk in $bodies.chunks($crate::sql::CHUNK / 5) {
            let mut qb =
                sqlx::QueryBuilder::<$db>::new("INSERT INTO node_changes (seq, node, committer_applied, at, body) ");
            qb.push_values(chunk, |mut b, body| {
                seq += 1;
                b.push_bind(seq).push_bind($node).push_bind($applied).push_bind($at).push_bind(body.as_str());
            });
            qb.build().execute(&mut *$tx).await.map_err(map_err)?;
        }
        if $ring {
            sqlx::query(ring).execute(&mut *$tx).await.map_err(map_err)?;
        }
        seq
    }};
}
pub(crate) use append_in_tx;

/// Appends a change to log with its data (`&Option<LoggedChange>`) inside the open transaction
/// `$tx` (not applied by the committing node yet: every node applies it in number order);
/// evaluates to the number of its first body, or `None` when there is nothing to log.
macro_rules! append_logged {
    ($tx:ident, $db:ty, $name:literal, $log:expr, $ring:expr) => {
        match $log {
            Some(log) => {
                let bodies = &log.bodies;
                let last = $crate::sql::changes::append_in_tx!(
                    $tx,
                    $db,
                    $name,
                    log.node.as_str(),
                    log.at_micros,
                    bodies,
                    false,
                    $ring
                );
                Some(last - (bodies.len() as i64 - 1))
            }
            None => None,
        }
    };
}
pub(crate) use append_logged;

/// Locks a player's entries (`FOR UPDATE` on PostgreSQL), then the change log, in the open
/// transaction `$tx`: a score batch locks entries and takes the log's lock last, so this order
/// cannot deadlock with one, and once both are held every batch of this player logged before
/// has committed and none runs until `$tx` commits.
macro_rules! lock_player_then_log {
    ($tx:ident, $name:literal, $for_update:literal, $identity:expr) => {{
        use $crate::sql::map_err;
        sqlx::query(concat!("SELECT id FROM scores WHERE identity_id = $1", $for_update))
            .bind($identity.to_string())
            .fetch_all(&mut *$tx)
            .await
            .map_err(map_err)?;
        let (lock, _) = $crate::sql::changes::log_statements($name);
        sqlx::query(lock).execute(&mut *$tx).await.map_err(map_err)?;
    }};
}
pub(crate) use lock_player_then_log;

macro_rules! impl_change_store {
    ($store:ty, $db:ty, $name:literal, $begin:literal) => {
        #[async_trait::async_trait]
        impl podium_core::store::ChangeStore for $store {
            async fn append_changes(
                &self,
                node: &str,
                at_micros: i64,
                bodies: &[String],
            ) -> podium_core::store::StoreResult<i64> {
                let mut tx = self.pool.begin_with($begin).await.map_err($crate::sql::map_err)?;
                let seq = $crate::sql::changes::append_in_tx!(tx, $db, $name, node, at_micros, bodies, true, self.rings_doorbell());
                tx.commit().await.map_err($crate::sql::map_err)?;
                Ok(seq)
            }

            async fn changes_after(
                &self,
                after: i64,
                limit: u32,
            ) -> podium_core::store::StoreResult<Vec<podium_core::store::StoredChange>> {
                use $crate::sql::map_err;
                let rows: Vec<(i64, String, bool, i64, String)> = sqlx::query_as(
                    "SELECT seq, node, committer_applied, at, body FROM node_changes WHERE seq > $1 ORDER BY seq LIMIT $2",
                )
                        .bind(after)
                        .bind(i64::from(limit))
                        .fetch_all(&self.pool)
                        .await
                        .map_err(map_err)?;
                Ok(rows
                    .into_iter()
                    .map(|(seq, node, committer_applied, at_micros, body)| podium_core::store::StoredChange {
                        seq,
                        node,
                        committer_applied,
                        at_micros,
                        body,
                    })
                    .collect())
            }

            async fn last_change(&self) -> podium_core::store::StoreResult<i64> {
                let (seq,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(seq), 0) FROM node_changes")
                    .fetch_one(&self.pool)
                    .await
                    .map_err($crate::sql::map_err)?;
                Ok(seq)
            }

            async fn prune_changes(&self, before_micros: i64) -> podium_core::store::StoreResult<u64> {
                let done = sqlx::query(
                    "DELETE FROM node_changes WHERE at < $1 AND seq < (SELECT COALESCE(MAX(seq), 0) FROM node_changes)",
                )
                .bind(before_micros)
                .execute(&self.pool)
                .await
                .map_err($crate::sql::map_err)?;
                Ok(done.rows_affected())
            }

            fn set_doorbell(&self, ring: bool) {
                self.ring_doorbell(ring);
            }

            async fn change_doorbell(
                &self,
            ) -> podium_core::store::StoreResult<Option<Box<dyn podium_core::store::Doorbell>>> {
                self.doorbell().await
            }

            async fn try_lease(
                &self,
                key: i64,
            ) -> podium_core::store::StoreResult<Option<Box<dyn podium_core::store::Lease>>> {
                self.lease(key).await
            }
        }
    };
}
pub(crate) use impl_change_store;
