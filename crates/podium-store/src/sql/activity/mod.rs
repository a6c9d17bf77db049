//! The activity surface's tables: policies, judged events with their users, days and all-time
//! sums. A group of batches is one transaction of multi-row inserts (chunked under the bind
//! limits); days and sums are upserts of their current values, written with the history index
//! and the game's watermark (`activity_flushed`) when the service flushes them.

#[doc(hidden)]
#[macro_export]
macro_rules! activity_event_cols {
    () => {
        "e.game_id, e.event_id, e.seq, e.event_type, e.at, e.received_at, e.fields, e.outcome, e.result"
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! activity_flag_cols {
    () => {
        "id, game_id, user_id, flag_type, status, events, metadata, reviewer_id, reviewer_decision, reviewed_at, created_at, updated_at"
    };
}

/// A game's id as query text, made once per write rather than once per row (a write's rows
/// nearly all belong to one game).
#[derive(Default)]
pub(crate) struct GameText(Option<(podium_core::id::GameId, std::sync::Arc<str>)>);

impl GameText {
    /// The text of `game`.
    pub(crate) fn of(&mut self, game: podium_core::id::GameId) -> std::sync::Arc<str> {
        match &self.0 {
            Some((g, text)) if *g == game => text.clone(),
            _ => {
                let text: std::sync::Arc<str> = game.to_string().into();
                self.0 = Some((game, text.clone()));
                text
            }
        }
    }
}

/// Refuses, inside the open transaction `$tx`, a write whose node no longer holds the lease it
/// names (PostgreSQL; SQLite is one node and names none). The write holds `key + 1` shared
/// until it commits, so a node taking the lease over waits for it before loading.
macro_rules! check_fence {
    ($tx:ident, $name:literal, $fence:expr) => {
        if let Some(fence) = $fence
            && $name == "postgres"
        {
            use $crate::sql::map_err;
            sqlx::query("SELECT pg_advisory_xact_lock_shared($1 + 1)")
                .bind(fence.key)
                .execute(&mut *$tx)
                .await
                .map_err(map_err)?;
            let (held,): (bool,) = sqlx::query_as(
                "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = $1 \
                 AND classid::bigint = ($2 >> 32) AND objid::bigint = ($2 & 4294967295) AND objsubid = 1)",
            )
            .bind(fence.holder)
            .bind(fence.key)
            .fetch_one(&mut *$tx)
            .await
            .map_err(map_err)?;
            if !held {
                return Err(podium_core::store::StoreError::Unavailable(
                    "this node no longer holds the activity lease: another node serves activity scores".to_owned(),
                ));
            }
        }
    };
}
pub(crate) use check_fence;

macro_rules! impl_activity_store {
    ($store:ty, $db:ty, $name:literal, $begin:literal) => {
        fn activity_event_from_row(
            row: &<$db as sqlx::Database>::Row,
        ) -> podium_core::store::StoreResult<podium_core::store::StoredActivityEvent> {
            use podium_core::model::activity::{Key, Outcome};
            use sqlx::Row;
            use $crate::sql::{corrupt, map_err};
            let game: String = row.try_get(0).map_err(map_err)?;
            let outcome: String = row.try_get(7).map_err(map_err)?;
            let fields: String = row.try_get(6).map_err(map_err)?;
            let result: String = row.try_get(8).map_err(map_err)?;
            let at: Option<i64> = row.try_get(4).map_err(map_err)?;
            let result: serde_json::Value = serde_json::from_str(&result).map_err(|_| corrupt("activity result"))?;
            let users = result["users"]
                .as_object()
                .map(|m| m.keys().map(|k| Key::from_trusted(k.clone())).collect())
                .unwrap_or_default();
            Ok(podium_core::store::StoredActivityEvent {
                game_id: game.parse().map_err(|_| corrupt("game id"))?,
                event_id: Key::from_trusted(row.try_get(1).map_err(map_err)?),
                seq: row.try_get(2).map_err(map_err)?,
                event_type: row.try_get(3).map_err(map_err)?,
                at: at.map(podium_core::time::from_micros),
                received_at: podium_core::time::from_micros(row.try_get(5).map_err(map_err)?),
                fields: serde_json::from_str(&fields).map_err(|_| corrupt("activity fields"))?,
                outcome: Outcome::parse(&outcome).ok_or_else(|| corrupt("activity outcome"))?,
                users,
                result,
            })
        }

        fn activity_day_from_row(
            row: &<$db as sqlx::Database>::Row,
        ) -> podium_core::store::StoreResult<podium_core::store::ActivityDayRow> {
            use sqlx::Row;
            use $crate::sql::{corrupt, map_err};
            let game: String = row.try_get(0).map_err(map_err)?;
            let day: i64 = row.try_get(2).map_err(map_err)?;
            let streak: i64 = row.try_get(8).map_err(map_err)?;
            Ok(podium_core::store::ActivityDayRow {
                game_id: game.parse().map_err(|_| corrupt("game id"))?,
                user: podium_core::model::activity::Key::from_trusted(row.try_get(1).map_err(map_err)?),
                day: podium_core::time::from_day_number(day).ok_or_else(|| corrupt("activity day"))?,
                value: podium_core::activity::UserDay {
                    points: [
                        row.try_get(3).map_err(map_err)?,
                        row.try_get(4).map_err(map_err)?,
                        row.try_get(5).map_err(map_err)?,
                        row.try_get(6).map_err(map_err)?,
                    ],
                    active: row.try_get(7).map_err(map_err)?,
                    streak: u32::try_from(streak).map_err(|_| corrupt("activity streak"))?,
                    multiplier: row.try_get(9).map_err(map_err)?,
                    total: row.try_get(10).map_err(map_err)?,
                },
            })
        }

        fn activity_flag_from_row(
            row: &<$db as sqlx::Database>::Row,
        ) -> podium_core::store::StoreResult<podium_core::model::activity::ActivityFlag> {
            use podium_core::time::from_micros;
            use sqlx::Row;
            use $crate::sql::{corrupt, map_err};
            let id: String = row.try_get(0).map_err(map_err)?;
            let game: String = row.try_get(1).map_err(map_err)?;
            let flag_type: String = row.try_get(3).map_err(map_err)?;
            let status: String = row.try_get(4).map_err(map_err)?;
            let events: String = row.try_get(5).map_err(map_err)?;
            let metadata: String = row.try_get(6).map_err(map_err)?;
            let reviewer: Option<String> = row.try_get(7).map_err(map_err)?;
            let reviewed_at: Option<i64> = row.try_get(9).map_err(map_err)?;
            Ok(podium_core::model::activity::ActivityFlag {
                id: id.parse().map_err(|_| corrupt("activity flag id"))?,
                game_id: game.parse().map_err(|_| corrupt("game id"))?,
                user: row.try_get(2).map_err(map_err)?,
                flag_type: podium_core::activity::ActivityFlagType::parse(&flag_type).ok_or_else(|| corrupt("flag type"))?,
                status: podium_core::model::FlagStatus::parse(&status).ok_or_else(|| corrupt("flag status"))?,
                events: serde_json::from_str(&events).map_err(|_| corrupt("flag events"))?,
                metadata: serde_json::from_str(&metadata).map_err(|_| corrupt("flag metadata"))?,
                reviewer_id: reviewer.map(|r| r.parse()).transpose().map_err(|_| corrupt("user id"))?,
                reviewer_decision: row.try_get(8).map_err(map_err)?,
                reviewed_at: reviewed_at.map(from_micros),
                created_at: from_micros(row.try_get(10).map_err(map_err)?),
                updated_at: from_micros(row.try_get(11).map_err(map_err)?),
            })
        }

        /// Upserts days and sums inside a transaction.
        async fn upsert_activity_days<'c>(
            tx: &mut sqlx::Transaction<'c, $db>,
            days: &[podium_core::store::ActivityDayRow],
            totals: &[podium_core::store::ActivityTotalRow],
            game_text: &mut $crate::sql::activity::GameText,
        ) -> podium_core::store::StoreResult<()> {
            use podium_core::time::to_day_number;
            use $crate::sql::map_err;
            for chunk in days.chunks(500) {
                let mut qb = sqlx::QueryBuilder::<$db>::new(
                    "INSERT INTO activity_days (game_id, user_id, day, friends, meetups, games, popularity, active, streak, multiplier, total) ",
                );
                qb.push_values(chunk, |mut b, d| {
                    b.push_bind(game_text.of(d.game_id))
                        .push_bind(d.user.shared())
                        .push_bind(to_day_number(d.day))
                        .push_bind(d.value.points[0])
                        .push_bind(d.value.points[1])
                        .push_bind(d.value.points[2])
                        .push_bind(d.value.points[3])
                        .push_bind(d.value.active)
                        .push_bind(i64::from(d.value.streak))
                        .push_bind(d.value.multiplier)
                        .push_bind(d.value.total);
                });
                qb.push(
                    " ON CONFLICT (game_id, day, user_id) DO UPDATE SET friends = excluded.friends, meetups = excluded.meetups, \
                     games = excluded.games, popularity = excluded.popularity, active = excluded.active, \
                     streak = excluded.streak, multiplier = excluded.multiplier, total = excluded.total",
                );
                qb.build().execute(&mut **tx).await.map_err(map_err)?;
            }
            for chunk in totals.chunks(500) {
                let mut qb = sqlx::QueryBuilder::<$db>::new(
                    "INSERT INTO activity_totals (game_id, user_id, friends, meetups, games, popularity, total) ",
                );
                qb.push_values(chunk, |mut b, t| {
                    b.push_bind(game_text.of(t.game_id)).push_bind(t.user.shared());
                    for v in t.sums {
                        b.push_bind(v);
                    }
                });
                qb.push(
                    " ON CONFLICT (game_id, user_id) DO UPDATE SET friends = excluded.friends, meetups = excluded.meetups, \
                     games = excluded.games, popularity = excluded.popularity, total = excluded.total",
                );
                qb.build().execute(&mut **tx).await.map_err(map_err)?;
            }
            Ok(())
        }

        fn activity_badge_from_row(
            row: &<$db as sqlx::Database>::Row,
        ) -> podium_core::store::StoreResult<podium_core::model::activity::ActivityBadge> {
            use sqlx::Row;
            use $crate::sql::{corrupt, map_err};
            let game: String = row.try_get(0).map_err(map_err)?;
            let day: i64 = row.try_get(1).map_err(map_err)?;
            let rank: i64 = row.try_get(4).map_err(map_err)?;
            Ok(podium_core::model::activity::ActivityBadge {
                game_id: game.parse().map_err(|_| corrupt("game id"))?,
                day: podium_core::time::from_day_number(day).ok_or_else(|| corrupt("badge day"))?,
                category: row.try_get(2).map_err(map_err)?,
                user: row.try_get(3).map_err(map_err)?,
                rank: u32::try_from(rank).map_err(|_| corrupt("badge rank"))?,
                points: row.try_get(5).map_err(map_err)?,
            })
        }

        /// Inserts badges inside a transaction.
        async fn insert_activity_badges<'c>(
            tx: &mut sqlx::Transaction<'c, $db>,
            badges: &[podium_core::model::activity::ActivityBadge],
        ) -> podium_core::store::StoreResult<()> {
            for chunk in badges.chunks(500) {
                let mut qb = sqlx::QueryBuilder::<$db>::new("INSERT INTO activity_badges (game_id, id, day, category, user_id, rank, points) ");
                qb.push_values(chunk, |mut b, x| {
                    b.push_bind(x.game_id.to_string())
                        .push_bind(x.key())
                        .push_bind(podium_core::time::to_day_number(x.day))
                        .push_bind(x.category.clone())
                        .push_bind(x.user.clone())
                        .push_bind(i64::from(x.rank))
                        .push_bind(x.points);
                });
                qb.build().execute(&mut **tx).await.map_err($crate::sql::map_err)?;
            }
            Ok(())
        }

        #[async_trait::async_trait]
        impl podium_core::store::ActivityStore for $store {
            async fn get_activity_policy(
                &self,
                game: podium_core::id::GameId,
            ) -> podium_core::store::StoreResult<Option<(serde_json::Value, chrono::DateTime<chrono::Utc>)>> {
                use sqlx::Row;
                let row = sqlx::query("SELECT document, updated_at FROM activity_policies WHERE game_id = $1")
                    .bind(game.to_string())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err($crate::sql::map_err)?;
                let Some(row) = row else { return Ok(None) };
                let document: String = row.try_get(0).map_err($crate::sql::map_err)?;
                let at: i64 = row.try_get(1).map_err($crate::sql::map_err)?;
                let document = serde_json::from_str(&document).map_err(|_| $crate::sql::corrupt("activity policy"))?;
                Ok(Some((document, podium_core::time::from_micros(at))))
            }

            async fn put_activity_policy(
                &self,
                game: podium_core::id::GameId,
                document: &serde_json::Value,
                at: chrono::DateTime<chrono::Utc>,
            ) -> podium_core::store::StoreResult<()> {
                sqlx::query(
                    "INSERT INTO activity_policies (game_id, document, updated_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (game_id) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at",
                )
                .bind(game.to_string())
                .bind(document.to_string())
                .bind(podium_core::time::to_micros(at))
                .execute(&self.pool)
                .await
                .map_err($crate::sql::map_err)?;
                Ok(())
            }

            async fn known_activity_events(
                &self,
                game: podium_core::id::GameId,
                ids: &[&str],
            ) -> podium_core::store::StoreResult<Vec<String>> {
                use sqlx::Row;
                let mut known = Vec::new();
                for chunk in ids.chunks(500) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new("SELECT event_id FROM activity_events WHERE game_id = ");
                    qb.push_bind(game.to_string()).push(" AND event_id IN (");
                    let mut list = qb.separated(", ");
                    for id in chunk {
                        list.push_bind(id.to_string());
                    }
                    qb.push(")");
                    for row in qb.build().fetch_all(&self.pool).await.map_err($crate::sql::map_err)? {
                        known.push(row.try_get(0).map_err($crate::sql::map_err)?);
                    }
                }
                Ok(known)
            }

            async fn insert_activity_batch(
                &self,
                write: &podium_core::store::ActivityWrite,
            ) -> podium_core::store::StoreResult<()> {
                use podium_core::time::to_micros;
                use $crate::sql::map_err;
                let mut tx = self.pool.begin_with($begin).await.map_err(map_err)?;
                $crate::sql::activity::check_fence!(tx, $name, write.fence);
                let mut game_text = $crate::sql::activity::GameText::default();
                for chunk in write.events.chunks(500) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO activity_events (game_id, event_id, seq, event_type, at, received_at, fields, outcome, result) ",
                    );
                    qb.push_values(chunk, |mut b, e| {
                        b.push_bind(game_text.of(e.game_id))
                            .push_bind(e.event_id.shared())
                            .push_bind(e.seq)
                            .push_bind(e.event_type.clone())
                            .push_bind(e.at.map(to_micros))
                            .push_bind(to_micros(e.received_at))
                            .push_bind(e.fields.clone())
                            .push_bind(e.outcome.as_str())
                            .push_bind(e.result.clone());
                    });
                    qb.build().execute(&mut *tx).await.map_err(map_err)?;
                }
                for chunk in write.history.chunks(1000) {
                    let mut qb =
                        sqlx::QueryBuilder::<$db>::new("INSERT INTO activity_event_users (game_id, user_id, seq, event_id) ");
                    qb.push_values(chunk, |mut b, h| {
                        b.push_bind(game_text.of(h.game_id))
                            .push_bind(h.user.shared())
                            .push_bind(h.seq)
                            .push_bind(h.event_id.shared());
                    });
                    qb.push(" ON CONFLICT DO NOTHING");
                    qb.build().execute(&mut *tx).await.map_err(map_err)?;
                }
                for chunk in write.flags.chunks(500) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(concat!("INSERT INTO activity_flags (", $crate::activity_flag_cols!(), ") "));
                    qb.push_values(chunk, |mut b, f| {
                        b.push_bind(f.id.to_string())
                            .push_bind(f.game_id.to_string())
                            .push_bind(f.user.clone())
                            .push_bind(f.flag_type.as_str())
                            .push_bind(f.status.as_str())
                            .push_bind(serde_json::Value::from(f.events.clone()).to_string())
                            .push_bind(f.metadata.to_string())
                            .push_bind(f.reviewer_id.map(|r| r.to_string()))
                            .push_bind(f.reviewer_decision.clone())
                            .push_bind(f.reviewed_at.map(to_micros))
                            .push_bind(to_micros(f.created_at))
                            .push_bind(to_micros(f.updated_at));
                    });
                    qb.build().execute(&mut *tx).await.map_err(map_err)?;
                }
                upsert_activity_days(&mut tx, &write.days, &write.totals, &mut game_text).await?;
                // A game with events has a watermark row (0 until its first flush): the list
                // of games with activity reads it.
                let mut games: Vec<podium_core::id::GameId> = write.events.iter().map(|e| e.game_id).collect();
                games.sort();
                games.dedup();
                for game in games {
                    sqlx::query("INSERT INTO activity_flushed (game_id, seq) VALUES ($1, 0) ON CONFLICT (game_id) DO NOTHING")
                        .bind(game.to_string())
                        .execute(&mut *tx)
                        .await
                        .map_err(map_err)?;
                }
                for (game, seq) in &write.flushed {
                    sqlx::query(
                        "INSERT INTO activity_flushed (game_id, seq) VALUES ($1, $2) \
                         ON CONFLICT (game_id) DO UPDATE SET seq = excluded.seq WHERE activity_flushed.seq < excluded.seq",
                    )
                    .bind(game.to_string())
                    .bind(*seq)
                    .execute(&mut *tx)
                    .await
                    .map_err(map_err)?;
                }
                tx.commit().await.map_err(map_err)?;
                Ok(())
            }

            async fn activity_flushed_seq(&self, game: podium_core::id::GameId) -> podium_core::store::StoreResult<i64> {
                use sqlx::Row;
                let row = sqlx::query("SELECT seq FROM activity_flushed WHERE game_id = $1")
                    .bind(game.to_string())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err($crate::sql::map_err)?;
                match row {
                    Some(row) => row.try_get(0).map_err($crate::sql::map_err),
                    None => Ok(0),
                }
            }

            async fn last_activity_seq(&self, game: podium_core::id::GameId) -> podium_core::store::StoreResult<i64> {
                use sqlx::Row;
                let row = sqlx::query("SELECT MAX(seq) FROM activity_events WHERE game_id = $1")
                    .bind(game.to_string())
                    .fetch_one(&self.pool)
                    .await
                    .map_err($crate::sql::map_err)?;
                let max: Option<i64> = row.try_get(0).map_err($crate::sql::map_err)?;
                Ok(max.unwrap_or(0))
            }

            async fn activity_version(
                &self,
                game: podium_core::id::GameId,
            ) -> podium_core::store::StoreResult<(i64, i64, i64)> {
                let version: (i64, i64, i64) = sqlx::query_as(
                    "SELECT COALESCE((SELECT MAX(seq) FROM activity_events WHERE game_id = $1), 0), \
                     COALESCE((SELECT MAX(updated_at) FROM activity_flags WHERE game_id = $1), 0), \
                     COALESCE((SELECT updated_at FROM activity_policies WHERE game_id = $1), 0)",
                )
                .bind(game.to_string())
                .fetch_one(&self.pool)
                .await
                .map_err($crate::sql::map_err)?;
                Ok(version)
            }

            async fn activity_events_since(
                &self,
                game: podium_core::id::GameId,
                since: chrono::DateTime<chrono::Utc>,
                after_seq: i64,
            ) -> podium_core::store::StoreResult<Vec<podium_core::store::StoredActivityEvent>> {
                let rows = sqlx::query(concat!(
                    "SELECT ",
                    $crate::activity_event_cols!(),
                    " FROM activity_events e WHERE e.game_id = $1 AND (e.received_at >= $2 OR e.seq > $3) ORDER BY e.seq"
                ))
                    .bind(game.to_string())
                    .bind(podium_core::time::to_micros(since))
                    .bind(after_seq)
                    .fetch_all(&self.pool)
                    .await
                    .map_err($crate::sql::map_err)?;
                rows.iter().map(activity_event_from_row).collect()
            }

            async fn user_activity_events(
                &self,
                game: podium_core::id::GameId,
                user: &podium_core::model::activity::Key,
                since: chrono::DateTime<chrono::Utc>,
                before_seq: Option<i64>,
                limit: usize,
            ) -> podium_core::store::StoreResult<Vec<podium_core::store::StoredActivityEvent>> {
                let rows = sqlx::query(concat!(
                    "SELECT ",
                    $crate::activity_event_cols!(),
                    " FROM activity_event_users u \
                     JOIN activity_events e ON e.game_id = u.game_id AND e.event_id = u.event_id \
                     WHERE u.game_id = $1 AND u.user_id = $2 AND u.seq < $3 AND e.received_at >= $4 \
                     ORDER BY u.seq DESC LIMIT $5"
                ))
                    .bind(game.to_string())
                    .bind(user.as_str().to_owned())
                    .bind(before_seq.unwrap_or(i64::MAX))
                    .bind(podium_core::time::to_micros(since))
                    .bind(i64::try_from(limit).unwrap_or(i64::MAX))
                    .fetch_all(&self.pool)
                    .await
                    .map_err($crate::sql::map_err)?;
                rows.iter().map(activity_event_from_row).collect()
            }

            async fn activity_days(
                &self,
                game: podium_core::id::GameId,
                since: chrono::NaiveDate,
            ) -> podium_core::store::StoreResult<Vec<podium_core::store::ActivityDayRow>> {
                let rows = sqlx::query(
                    "SELECT game_id, user_id, day, friends, meetups, games, popularity, active, streak, multiplier, total \
                     FROM activity_days WHERE game_id = $1 AND day >= $2 ORDER BY day",
                )
                .bind(game.to_string())
                .bind(podium_core::time::to_day_number(since))
                .fetch_all(&self.pool)
                .await
                .map_err($crate::sql::map_err)?;
                rows.iter().map(activity_day_from_row).collect()
            }

            async fn activity_day(
                &self,
                game: podium_core::id::GameId,
                day: chrono::NaiveDate,
            ) -> podium_core::store::StoreResult<Vec<podium_core::store::ActivityDayRow>> {
                let rows = sqlx::query(
                    "SELECT game_id, user_id, day, friends, meetups, games, popularity, active, streak, multiplier, total \
                     FROM activity_days WHERE game_id = $1 AND day = $2",
                )
                .bind(game.to_string())
                .bind(podium_core::time::to_day_number(day))
                .fetch_all(&self.pool)
                .await
                .map_err($crate::sql::map_err)?;
                rows.iter().map(activity_day_from_row).collect()
            }

            async fn activity_totals(
                &self,
                game: podium_core::id::GameId,
            ) -> podium_core::store::StoreResult<Vec<podium_core::store::ActivityTotalRow>> {
                use sqlx::Row;
                use $crate::sql::map_err;
                let rows = sqlx::query(
                    "SELECT user_id, friends, meetups, games, popularity, total FROM activity_totals WHERE game_id = $1",
                )
                .bind(game.to_string())
                .fetch_all(&self.pool)
                .await
                .map_err(map_err)?;
                rows.iter()
                    .map(|r| {
                        Ok(podium_core::store::ActivityTotalRow {
                            game_id: game,
                            user: podium_core::model::activity::Key::from_trusted(r.try_get(0).map_err(map_err)?),
                            sums: [
                                r.try_get(1).map_err(map_err)?,
                                r.try_get(2).map_err(map_err)?,
                                r.try_get(3).map_err(map_err)?,
                                r.try_get(4).map_err(map_err)?,
                                r.try_get(5).map_err(map_err)?,
                            ],
                        })
                    })
                    .collect()
            }

            async fn activity_games(&self) -> podium_core::store::StoreResult<Vec<podium_core::id::GameId>> {
                use sqlx::Row;
                let rows = sqlx::query(
                    "SELECT game_id FROM activity_policies UNION SELECT game_id FROM activity_flushed",
                )
                .fetch_all(&self.pool)
                .await
                .map_err($crate::sql::map_err)?;
                rows.iter()
                    .map(|r| {
                        let id: String = r.try_get(0).map_err($crate::sql::map_err)?;
                        id.parse().map_err(|_| $crate::sql::corrupt("game id"))
                    })
                    .collect()
            }

            async fn get_activity_flag(
                &self,
                id: podium_core::id::ActivityFlagId,
            ) -> podium_core::store::StoreResult<Option<podium_core::model::activity::ActivityFlag>> {
                $crate::sql::fetch_optional!(
                    &self.pool,
                    concat!("SELECT ", $crate::activity_flag_cols!(), " FROM activity_flags WHERE id = $1"),
                    activity_flag_from_row,
                    id.to_string()
                )
            }

            async fn list_activity_flags(
                &self,
                filter: &podium_core::store::ActivityFlagFilter,
                page: &podium_core::page::PageRequest,
            ) -> podium_core::store::StoreResult<Vec<podium_core::model::activity::ActivityFlag>> {
                let mut qb = sqlx::QueryBuilder::<$db>::new(concat!("SELECT ", $crate::activity_flag_cols!(), " FROM activity_flags WHERE 1 = 1"));
                if let Some(g) = filter.game_id {
                    qb.push(" AND game_id = ").push_bind(g.to_string());
                }
                if let Some(u) = &filter.user {
                    qb.push(" AND user_id = ").push_bind(u.as_str().to_owned());
                }
                if let Some(s) = filter.status {
                    qb.push(" AND status = ").push_bind(s.as_str());
                }
                if let Some(t) = filter.flag_type {
                    qb.push(" AND flag_type = ").push_bind(t.as_str());
                }
                $crate::sql::fetch_page!(&self.pool, qb, page, activity_flag_from_row)
            }

            async fn activity_events_by_id(
                &self,
                game: podium_core::id::GameId,
                ids: &[&str],
            ) -> podium_core::store::StoreResult<Vec<podium_core::store::StoredActivityEvent>> {
                let mut out = Vec::new();
                for chunk in ids.chunks(500) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(concat!(
                        "SELECT ",
                        $crate::activity_event_cols!(),
                        " FROM activity_events e WHERE e.game_id = "
                    ));
                    qb.push_bind(game.to_string()).push(" AND e.event_id IN (");
                    let mut list = qb.separated(", ");
                    for id in chunk {
                        list.push_bind(id.to_string());
                    }
                    qb.push(") ORDER BY e.seq");
                    for row in qb.build().fetch_all(&self.pool).await.map_err($crate::sql::map_err)? {
                        out.push(activity_event_from_row(&row)?);
                    }
                }
                Ok(out)
            }

            async fn activity_removed(
                &self,
                game: podium_core::id::GameId,
                user: &podium_core::model::activity::Key,
                ids: &[&str],
            ) -> podium_core::store::StoreResult<Vec<String>> {
                use sqlx::Row;
                let mut out = Vec::new();
                for chunk in ids.chunks(500) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new("SELECT event_id FROM activity_removals WHERE game_id = ");
                    qb.push_bind(game.to_string()).push(" AND user_id = ").push_bind(user.as_str().to_owned()).push(" AND event_id IN (");
                    let mut list = qb.separated(", ");
                    for id in chunk {
                        list.push_bind(id.to_string());
                    }
                    qb.push(")");
                    for row in qb.build().fetch_all(&self.pool).await.map_err($crate::sql::map_err)? {
                        out.push(row.try_get(0).map_err($crate::sql::map_err)?);
                    }
                }
                Ok(out)
            }

            async fn review_activity_flag(
                &self,
                review: &podium_core::store::ActivityReview,
            ) -> podium_core::store::StoreResult<()> {
                use podium_core::time::to_micros;
                use $crate::sql::map_err;
                let f = &review.flag;
                let mut tx = self.pool.begin_with($begin).await.map_err(map_err)?;
                $crate::sql::activity::check_fence!(tx, $name, review.fence);
                sqlx::query(
                    "UPDATE activity_flags SET status = $2, reviewer_id = $3, reviewer_decision = $4, reviewed_at = $5, updated_at = $6 WHERE id = $1",
                )
                .bind(f.id.to_string())
                .bind(f.status.as_str())
                .bind(f.reviewer_id.map(|r| r.to_string()))
                .bind(f.reviewer_decision.clone())
                .bind(f.reviewed_at.map(to_micros))
                .bind(to_micros(f.updated_at))
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
                for event in &review.removed {
                    sqlx::query("INSERT INTO activity_removals (game_id, event_id, user_id, flag_id) VALUES ($1, $2, $3, $4)")
                        .bind(f.game_id.to_string())
                        .bind(event.as_str().to_owned())
                        .bind(f.user.clone())
                        .bind(f.id.to_string())
                        .execute(&mut *tx)
                        .await
                        .map_err(map_err)?;
                }
                upsert_activity_days(&mut tx, &review.days, &review.totals, &mut $crate::sql::activity::GameText::default()).await?;
                tx.commit().await.map_err(map_err)?;
                Ok(())
            }

            async fn last_frozen_activity_day(
                &self,
                game: podium_core::id::GameId,
            ) -> podium_core::store::StoreResult<Option<chrono::NaiveDate>> {
                use sqlx::Row;
                let row = sqlx::query("SELECT MAX(day) FROM activity_frozen_days WHERE game_id = $1")
                    .bind(game.to_string())
                    .fetch_one(&self.pool)
                    .await
                    .map_err($crate::sql::map_err)?;
                let day: Option<i64> = row.try_get(0).map_err($crate::sql::map_err)?;
                Ok(day.and_then(podium_core::time::from_day_number))
            }

            async fn freeze_activity_day(
                &self,
                game: podium_core::id::GameId,
                day: chrono::NaiveDate,
                badges: &[podium_core::model::activity::ActivityBadge],
                at: chrono::DateTime<chrono::Utc>,
            ) -> podium_core::store::StoreResult<bool> {
                use $crate::sql::map_err;
                let mut tx = self.pool.begin_with($begin).await.map_err(map_err)?;
                let done = sqlx::query(
                    "INSERT INTO activity_frozen_days (game_id, day, frozen_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                )
                .bind(game.to_string())
                .bind(podium_core::time::to_day_number(day))
                .bind(podium_core::time::to_micros(at))
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
                if done.rows_affected() == 0 {
                    return Ok(false);
                }
                insert_activity_badges(&mut tx, badges).await?;
                tx.commit().await.map_err(map_err)?;
                Ok(true)
            }

            async fn replace_activity_badges(
                &self,
                game: podium_core::id::GameId,
                day: chrono::NaiveDate,
                badges: &[podium_core::model::activity::ActivityBadge],
            ) -> podium_core::store::StoreResult<()> {
                use $crate::sql::map_err;
                let mut tx = self.pool.begin_with($begin).await.map_err(map_err)?;
                sqlx::query("DELETE FROM activity_badges WHERE game_id = $1 AND day = $2")
                    .bind(game.to_string())
                    .bind(podium_core::time::to_day_number(day))
                    .execute(&mut *tx)
                    .await
                    .map_err(map_err)?;
                insert_activity_badges(&mut tx, badges).await?;
                tx.commit().await.map_err(map_err)?;
                Ok(())
            }

            async fn frozen_activity_days(
                &self,
                game: podium_core::id::GameId,
                days: &[chrono::NaiveDate],
            ) -> podium_core::store::StoreResult<Vec<chrono::NaiveDate>> {
                use sqlx::Row;
                if days.is_empty() {
                    return Ok(Vec::new());
                }
                let mut qb = sqlx::QueryBuilder::<$db>::new("SELECT day FROM activity_frozen_days WHERE game_id = ");
                qb.push_bind(game.to_string()).push(" AND day IN (");
                let mut list = qb.separated(", ");
                for d in days {
                    list.push_bind(podium_core::time::to_day_number(*d));
                }
                qb.push(")");
                let rows = qb.build().fetch_all(&self.pool).await.map_err($crate::sql::map_err)?;
                rows.iter()
                    .map(|r| {
                        let d: i64 = r.try_get(0).map_err($crate::sql::map_err)?;
                        podium_core::time::from_day_number(d).ok_or_else(|| $crate::sql::corrupt("frozen day"))
                    })
                    .collect()
            }

            async fn list_activity_badges(
                &self,
                game: podium_core::id::GameId,
                user: Option<&podium_core::model::activity::Key>,
                page: &podium_core::page::PageRequest,
            ) -> podium_core::store::StoreResult<Vec<podium_core::model::activity::ActivityBadge>> {
                let mut qb = sqlx::QueryBuilder::<$db>::new(
                    "SELECT game_id, day, category, user_id, rank, points FROM activity_badges WHERE game_id = ",
                );
                qb.push_bind(game.to_string());
                if let Some(u) = user {
                    qb.push(" AND user_id = ").push_bind(u.as_str().to_owned());
                }
                $crate::sql::fetch_page!(&self.pool, qb, page, activity_badge_from_row)
            }
        }
    };
}
pub(crate) use impl_activity_store;
