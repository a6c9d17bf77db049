//! Identities, score events and ranked entries. Events are only ever inserted. A batch of
//! submissions is one transaction: read the entries it touches (locked on PostgreSQL with
//! `FOR UPDATE`; SQLite's `BEGIN IMMEDIATE` already serialises writers), plan, write.
//!
//! Longer than our usual ~400 lines for a reason: it is one trait implementation written as one
//! macro (instantiated per backend), and an `impl` block cannot be split across files.

#[doc(hidden)]
#[macro_export]
macro_rules! identity_cols {
    () => {
        "id, account_id, game_id, player_key, display_name, kind, trust_tier, status, created_at, updated_at"
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! event_cols {
    () => {
        "id, account_id, game_id, board_id, identity_id, value, event_payload, is_test, timezone, country, city, status, created_at"
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! score_cols {
    () => {
        concat!(
            "id, account_id, game_id, board_id, identity_id, slot, is_test, player_name, value, value_display, metadata, ",
            "status, timezone, country, city, event_id, created_at, updated_at, value_bits, name_key"
        )
    };
}

macro_rules! impl_score_store {
    ($store:ty, $db:ty, $name:literal, $begin:literal, $for_update:literal) => {
        pub(crate) fn identity_from_row(
            row: &<$db as sqlx::Database>::Row,
        ) -> podium_core::store::StoreResult<podium_core::model::Identity> {
            use podium_core::model::*;
            use podium_core::time::from_micros;
            use sqlx::Row;
            use $crate::sql::{corrupt, map_err};
            let id: String = row.try_get(0).map_err(map_err)?;
            let account_id: String = row.try_get(1).map_err(map_err)?;
            let game_id: String = row.try_get(2).map_err(map_err)?;
            let kind: String = row.try_get(5).map_err(map_err)?;
            let tier: Option<String> = row.try_get(6).map_err(map_err)?;
            let status: String = row.try_get(7).map_err(map_err)?;
            Ok(Identity {
                id: id.parse().map_err(|_| corrupt("identity id"))?,
                account_id: account_id.parse().map_err(|_| corrupt("account id"))?,
                game_id: game_id.parse().map_err(|_| corrupt("game id"))?,
                player_key: row.try_get(3).map_err(map_err)?,
                display_name: row.try_get(4).map_err(map_err)?,
                kind: IdentityKind::parse(&kind).ok_or_else(|| corrupt("identity kind"))?,
                trust_tier: match tier {
                    Some(t) => Some(TrustTier::parse(&t).ok_or_else(|| corrupt("trust tier"))?),
                    None => None,
                },
                status: IdentityStatus::parse(&status).ok_or_else(|| corrupt("identity status"))?,
                created_at: from_micros(row.try_get(8).map_err(map_err)?),
                updated_at: from_micros(row.try_get(9).map_err(map_err)?),
            })
        }

        pub(crate) fn event_from_row(
            row: &<$db as sqlx::Database>::Row,
        ) -> podium_core::store::StoreResult<podium_core::model::ScoreEvent> {
            use podium_core::model::*;
            use sqlx::Row;
            use $crate::sql::{corrupt, map_err};
            let id: String = row.try_get(0).map_err(map_err)?;
            let account_id: String = row.try_get(1).map_err(map_err)?;
            let game_id: String = row.try_get(2).map_err(map_err)?;
            let board_id: String = row.try_get(3).map_err(map_err)?;
            let identity_id: String = row.try_get(4).map_err(map_err)?;
            let payload: String = row.try_get(6).map_err(map_err)?;
            let status: String = row.try_get(11).map_err(map_err)?;
            Ok(ScoreEvent {
                id: id.parse().map_err(|_| corrupt("event id"))?,
                account_id: account_id.parse().map_err(|_| corrupt("account id"))?,
                game_id: game_id.parse().map_err(|_| corrupt("game id"))?,
                board_id: board_id.parse().map_err(|_| corrupt("board id"))?,
                identity_id: identity_id.parse().map_err(|_| corrupt("identity id"))?,
                event_payload: serde_json::from_str(&payload).map_err(|_| corrupt("event payload"))?,
                is_test: row.try_get(7).map_err(map_err)?,
                timezone: row.try_get(8).map_err(map_err)?,
                country: row.try_get(9).map_err(map_err)?,
                city: row.try_get(10).map_err(map_err)?,
                status: EventStatus::parse(&status).ok_or_else(|| corrupt("event status"))?,
                created_at: podium_core::time::from_micros(row.try_get(12).map_err(map_err)?),
            })
        }

        pub(crate) fn score_from_row(
            row: &<$db as sqlx::Database>::Row,
        ) -> podium_core::store::StoreResult<podium_core::model::Score> {
            use podium_core::model::*;
            use sqlx::Row;
            use $crate::sql::{corrupt, map_err};
            let id: String = row.try_get(0).map_err(map_err)?;
            let account_id: String = row.try_get(1).map_err(map_err)?;
            let game_id: String = row.try_get(2).map_err(map_err)?;
            let board_id: String = row.try_get(3).map_err(map_err)?;
            let identity_id: String = row.try_get(4).map_err(map_err)?;
            let slot: Option<String> = row.try_get(5).map_err(map_err)?;
            let metadata: Option<String> = row.try_get(10).map_err(map_err)?;
            let status: String = row.try_get(11).map_err(map_err)?;
            let event_id: String = row.try_get(15).map_err(map_err)?;
            Ok(Score {
                id: id.parse().map_err(|_| corrupt("score id"))?,
                account_id: account_id.parse().map_err(|_| corrupt("account id"))?,
                game_id: game_id.parse().map_err(|_| corrupt("game id"))?,
                board_id: board_id.parse().map_err(|_| corrupt("board id"))?,
                identity_id: identity_id.parse().map_err(|_| corrupt("identity id"))?,
                is_test: row.try_get(6).map_err(map_err)?,
                one_per_player: slot.is_some(),
                player_name: row.try_get(7).map_err(map_err)?,
                value: row.try_get(8).map_err(map_err)?,
                value_display: row.try_get(9).map_err(map_err)?,
                metadata: match metadata {
                    Some(m) => Some(serde_json::from_str(&m).map_err(|_| corrupt("metadata"))?),
                    None => None,
                },
                status: ScoreStatus::parse(&status).ok_or_else(|| corrupt("score status"))?,
                timezone: row.try_get(12).map_err(map_err)?,
                country: row.try_get(13).map_err(map_err)?,
                city: row.try_get(14).map_err(map_err)?,
                event_id: event_id.parse().map_err(|_| corrupt("event id"))?,
                created_at: podium_core::time::from_micros(row.try_get(16).map_err(map_err)?),
                updated_at: podium_core::time::from_micros(row.try_get(17).map_err(map_err)?),
            })
        }

        /// The statement inserting one identity (alone, or with a client's device).
        pub(crate) fn insert_identity_query(
            i: &podium_core::model::Identity,
        ) -> sqlx::query::Query<'_, $db, <$db as sqlx::Database>::Arguments> {
            use podium_core::time::to_micros;
            sqlx::query(concat!(
                "INSERT INTO identities (",
                $crate::identity_cols!(),
                ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
            ))
            .bind(i.id.to_string())
            .bind(i.account_id.to_string())
            .bind(i.game_id.to_string())
            .bind(i.player_key.as_deref())
            .bind(i.display_name.as_deref())
            .bind(i.kind.as_str())
            .bind(i.trust_tier.map(|t| t.as_str()))
            .bind(i.status.as_str())
            .bind(to_micros(i.created_at))
            .bind(to_micros(i.updated_at))
        }

        fn push_event_rows(
            qb: &mut sqlx::QueryBuilder<$db>,
            events: &[podium_core::model::ScoreEvent],
        ) -> podium_core::store::StoreResult<()> {
            let mut payloads = Vec::with_capacity(events.len());
            for e in events {
                payloads.push(
                    serde_json::to_string(&e.event_payload)
                        .map_err(|err| podium_core::store::StoreError::Backend(err.to_string()))?,
                );
            }
            qb.push_values(events.iter().zip(payloads), |mut b, (e, payload)| {
                b.push_bind(e.id.to_string())
                    .push_bind(e.account_id.to_string())
                    .push_bind(e.game_id.to_string())
                    .push_bind(e.board_id.to_string())
                    .push_bind(e.identity_id.to_string())
                    .push_bind(e.event_payload.value)
                    .push_bind(payload)
                    .push_bind(e.is_test)
                    .push_bind(e.timezone.clone())
                    .push_bind(e.country.clone())
                    .push_bind(e.city.clone())
                    .push_bind(e.status.as_str().to_owned())
                    .push_bind(podium_core::time::to_micros(e.created_at));
            });
            Ok(())
        }

        fn push_score_rows(
            qb: &mut sqlx::QueryBuilder<$db>,
            scores: &[&podium_core::model::Score],
        ) -> podium_core::store::StoreResult<()> {
            let mut metas = Vec::with_capacity(scores.len());
            for s in scores {
                metas.push(match &s.metadata {
                    Some(m) => Some(
                        serde_json::to_string(m)
                            .map_err(|err| podium_core::store::StoreError::Backend(err.to_string()))?,
                    ),
                    None => None,
                });
            }
            qb.push_values(scores.iter().zip(metas), |mut b, (s, meta)| {
                b.push_bind(s.id.to_string())
                    .push_bind(s.account_id.to_string())
                    .push_bind(s.game_id.to_string())
                    .push_bind(s.board_id.to_string())
                    .push_bind(s.identity_id.to_string())
                    .push_bind(s.one_per_player.then(|| s.identity_id.to_string()))
                    .push_bind(s.is_test)
                    .push_bind(s.player_name.clone())
                    .push_bind(s.value)
                    .push_bind(s.value_display.clone())
                    .push_bind(meta)
                    .push_bind(s.status.as_str().to_owned())
                    .push_bind(s.timezone.clone())
                    .push_bind(s.country.clone())
                    .push_bind(s.city.clone())
                    .push_bind(s.event_id.to_string())
                    .push_bind(podium_core::time::to_micros(s.created_at))
                    .push_bind(podium_core::time::to_micros(s.updated_at))
                    .push_bind(s.value.to_bits() as i64)
                    .push_bind(podium_core::service::name_key(&s.player_name));
            });
            Ok(())
        }

        async fn insert_scores(
            conn: &mut <$db as sqlx::Database>::Connection,
            scores: &[&podium_core::model::Score],
        ) -> podium_core::store::StoreResult<()> {
            for chunk in scores.chunks($crate::sql::CHUNK) {
                let mut qb =
                    sqlx::QueryBuilder::<$db>::new(concat!("INSERT INTO scores (", $crate::score_cols!(), ") "));
                push_score_rows(&mut qb, chunk)?;
                qb.build().execute(&mut *conn).await.map_err($crate::sql::map_err)?;
            }
            Ok(())
        }

        async fn upsert_scores(
            conn: &mut <$db as sqlx::Database>::Connection,
            scores: &[&podium_core::model::Score],
        ) -> podium_core::store::StoreResult<()> {
            for chunk in scores.chunks($crate::sql::CHUNK) {
                let mut qb =
                    sqlx::QueryBuilder::<$db>::new(concat!("INSERT INTO scores (", $crate::score_cols!(), ") "));
                push_score_rows(&mut qb, chunk)?;
                qb.push(concat!(
                    " ON CONFLICT (id) DO UPDATE SET player_name = excluded.player_name, value = excluded.value, ",
                    "value_display = excluded.value_display, metadata = excluded.metadata, status = excluded.status, ",
                    "timezone = excluded.timezone, country = excluded.country, city = excluded.city, ",
                    "event_id = excluded.event_id, updated_at = excluded.updated_at, value_bits = excluded.value_bits, ",
                    "name_key = excluded.name_key"
                ));
                qb.build().execute(&mut *conn).await.map_err($crate::sql::map_err)?;
            }
            Ok(())
        }

        #[async_trait::async_trait]
        impl podium_core::store::ScoreStore for $store {
            async fn insert_identity(&self, i: &podium_core::model::Identity) -> podium_core::store::StoreResult<()> {
                insert_identity_query(i).execute(&self.pool).await.map_err($crate::sql::map_err)?;
                Ok(())
            }

            async fn insert_identities(
                &self,
                identities: &[podium_core::model::Identity],
            ) -> podium_core::store::StoreResult<Vec<podium_core::model::Identity>> {
                use podium_core::time::to_micros;
                if identities.is_empty() {
                    return Ok(Vec::new());
                }
                let mut tx = self.pool.begin_with($begin).await.map_err($crate::sql::map_err)?;
                let mut found = Vec::with_capacity(identities.len());
                for chunk in identities.chunks($crate::sql::CHUNK) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(concat!(
                        "INSERT INTO identities (",
                        $crate::identity_cols!(),
                        ") "
                    ));
                    qb.push_values(chunk, |mut b, i| {
                        b.push_bind(i.id.to_string())
                            .push_bind(i.account_id.to_string())
                            .push_bind(i.game_id.to_string())
                            .push_bind(i.player_key.clone())
                            .push_bind(i.display_name.clone())
                            .push_bind(i.kind.as_str().to_owned())
                            .push_bind(i.trust_tier.map(|t| t.as_str().to_owned()))
                            .push_bind(i.status.as_str().to_owned())
                            .push_bind(to_micros(i.created_at))
                            .push_bind(to_micros(i.updated_at));
                    });
                    qb.push(" ON CONFLICT DO NOTHING");
                    qb.build().execute(&mut *tx).await.map_err($crate::sql::map_err)?;
                    let mut qb = sqlx::QueryBuilder::<$db>::new(concat!(
                        "SELECT ",
                        $crate::identity_cols!(),
                        " FROM identities WHERE (game_id, player_key) IN "
                    ));
                    qb.push_tuples(chunk, |mut b, i| {
                        b.push_bind(i.game_id.to_string()).push_bind(i.player_key.clone());
                    });
                    for row in qb.build().fetch_all(&mut *tx).await.map_err($crate::sql::map_err)? {
                        found.push(identity_from_row(&row)?);
                    }
                }
                tx.commit().await.map_err($crate::sql::map_err)?;
                Ok(found)
            }

            async fn get_identity(
                &self,
                id: podium_core::id::IdentityId,
            ) -> podium_core::store::StoreResult<Option<podium_core::model::Identity>> {
                $crate::sql::fetch_optional!(
                    &self.pool,
                    concat!("SELECT ", $crate::identity_cols!(), " FROM identities WHERE id = $1"),
                    identity_from_row,
                    id.to_string()
                )
            }

            async fn find_identity_by_player_key(
                &self,
                game: podium_core::id::GameId,
                key: &str,
            ) -> podium_core::store::StoreResult<Option<podium_core::model::Identity>> {
                $crate::sql::fetch_optional!(
                    &self.pool,
                    concat!(
                        "SELECT ",
                        $crate::identity_cols!(),
                        " FROM identities WHERE game_id = $1 AND player_key = $2"
                    ),
                    identity_from_row,
                    game.to_string(),
                    key
                )
            }

            async fn get_score_event(
                &self,
                id: podium_core::id::ScoreEventId,
            ) -> podium_core::store::StoreResult<Option<podium_core::model::ScoreEvent>> {
                $crate::sql::fetch_optional!(
                    &self.pool,
                    concat!("SELECT ", $crate::event_cols!(), " FROM score_events WHERE id = $1"),
                    event_from_row,
                    id.to_string()
                )
            }

            async fn list_score_events(
                &self,
                f: &podium_core::store::ScoreEventFilter,
                page: &podium_core::page::PageRequest,
            ) -> podium_core::store::StoreResult<Vec<podium_core::model::ScoreEvent>> {
                let mut qb = sqlx::QueryBuilder::<$db>::new(concat!(
                    "SELECT ",
                    $crate::event_cols!(),
                    " FROM score_events WHERE account_id = "
                ));
                qb.push_bind(f.account_id.to_string());
                if let Some(b) = f.board_id {
                    qb.push(" AND board_id = ").push_bind(b.to_string());
                }
                if let Some(i) = f.identity_id {
                    qb.push(" AND identity_id = ").push_bind(i.to_string());
                }
                if let Some(t) = f.is_test {
                    qb.push(" AND is_test = ").push_bind(t);
                }
                $crate::sql::fetch_page!(&self.pool, qb, page, event_from_row)
            }

            async fn get_score(
                &self,
                id: podium_core::id::ScoreId,
            ) -> podium_core::store::StoreResult<Option<podium_core::model::Score>> {
                $crate::sql::fetch_optional!(
                    &self.pool,
                    concat!("SELECT ", $crate::score_cols!(), " FROM scores WHERE id = $1"),
                    score_from_row,
                    id.to_string()
                )
            }

            async fn get_scores(
                &self,
                ids: &[podium_core::id::ScoreId],
            ) -> podium_core::store::StoreResult<Vec<podium_core::model::Score>> {
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                let mut qb = sqlx::QueryBuilder::<$db>::new(concat!(
                    "SELECT ",
                    $crate::score_cols!(),
                    " FROM scores WHERE id IN ("
                ));
                let mut sep = qb.separated(", ");
                for id in ids {
                    sep.push_bind(id.to_string());
                }
                qb.push(")");
                let rows = qb.build().fetch_all(&self.pool).await.map_err($crate::sql::map_err)?;
                rows.iter().map(score_from_row).collect()
            }

            async fn list_scores(
                &self,
                f: &podium_core::store::ScoreFilter,
                page: &podium_core::page::PageRequest,
            ) -> podium_core::store::StoreResult<Vec<podium_core::model::Score>> {
                let mut qb = sqlx::QueryBuilder::<$db>::new(concat!(
                    "SELECT ",
                    $crate::score_cols!(),
                    " FROM scores WHERE status <> 'rejected' ",
                    "AND identity_id NOT IN (SELECT id FROM identities WHERE status = 'banned') AND board_id = "
                ));
                qb.push_bind(f.board_id.to_string());
                if let Some(t) = f.is_test {
                    qb.push(" AND is_test = ").push_bind(t);
                }
                if let Some(i) = f.identity_id {
                    qb.push(" AND identity_id = ").push_bind(i.to_string());
                }
                $crate::sql::fetch_page!(&self.pool, qb, page, score_from_row)
            }

            async fn commit_events(
                &self,
                events: &[podium_core::model::ScoreEvent],
                slots: &[podium_core::scoring::Slot],
                plan: podium_core::store::Planner<'_>,
            ) -> podium_core::store::StoreResult<podium_core::scoring::Plan> {
                use podium_core::scoring::EntryChange;
                let mut tx = self.pool.begin_with($begin).await.map_err($crate::sql::map_err)?;
                let mut current = Vec::new();
                for chunk in slots.chunks($crate::sql::CHUNK) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(concat!(
                        "SELECT ",
                        $crate::score_cols!(),
                        " FROM scores WHERE (board_id, is_test, slot) IN "
                    ));
                    qb.push_tuples(chunk, |mut b, s| {
                        b.push_bind(s.board_id.to_string()).push_bind(s.is_test).push_bind(s.identity_id.to_string());
                    });
                    qb.push($for_update);
                    let rows = qb.build().fetch_all(&mut *tx).await.map_err($crate::sql::map_err)?;
                    for row in &rows {
                        current.push(score_from_row(row)?);
                    }
                }
                let planned = plan(current);
                for chunk in events.chunks($crate::sql::CHUNK) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(concat!(
                        "INSERT INTO score_events (",
                        $crate::event_cols!(),
                        ") "
                    ));
                    push_event_rows(&mut qb, chunk)?;
                    qb.build().execute(&mut *tx).await.map_err($crate::sql::map_err)?;
                }
                // Net effect per entry: its final state is upserted once, whatever happened to it
                // in the batch; entries that ended deleted are deleted.
                let mut order: Vec<podium_core::id::ScoreId> = Vec::new();
                let mut last: std::collections::HashMap<podium_core::id::ScoreId, Option<&podium_core::model::Score>> =
                    std::collections::HashMap::new();
                for change in &planned.changes {
                    let (id, state) = match change {
                        EntryChange::Insert(s) | EntryChange::Update { new: s, .. } => (s.id, Some(s)),
                        EntryChange::Delete(s) => (s.id, None),
                    };
                    if last.insert(id, state).is_none() {
                        order.push(id);
                    }
                }
                let mut upserts: Vec<&podium_core::model::Score> = Vec::new();
                for id in &order {
                    match last.get(id).copied().flatten() {
                        Some(s) => upserts.push(s),
                        None => {
                            sqlx::query("DELETE FROM scores WHERE id = $1")
                                .bind(id.to_string())
                                .execute(&mut *tx)
                                .await
                                .map_err($crate::sql::map_err)?;
                        }
                    }
                }
                upsert_scores(&mut *tx, &upserts).await?;
                write_flags(&mut *tx, &planned.flags).await?;
                let mut planned = planned;
                // The moves go into the change log in the data's own transaction: every node
                // applies them in commit order, and none is lost to a crash after the commit.
                // They are the first body; shared counts may follow.
                planned.logged = $crate::sql::changes::append_logged!(tx, $db, $name, &planned.log, self.rings_doorbell());
                tx.commit().await.map_err($crate::sql::map_err)?;
                Ok(planned)
            }

            async fn for_each_ranked(
                &self,
                f: &mut (dyn FnMut(podium_core::store::RankedRow) + Send),
            ) -> podium_core::store::StoreResult<u64> {
                self.load_ranked(f).await
            }

            async fn for_each_event(
                &self,
                f: &mut (dyn FnMut(podium_core::model::ScoreEvent) + Send),
            ) -> podium_core::store::StoreResult<u64> {
                use futures_util::TryStreamExt;
                let mut rows = sqlx::query(concat!(
                    "SELECT ",
                    $crate::event_cols!(),
                    " FROM score_events ORDER BY created_at, id"
                ))
                .fetch(&self.pool);
                let mut n = 0;
                while let Some(row) = rows.try_next().await.map_err($crate::sql::map_err)? {
                    f(event_from_row(&row)?);
                    n += 1;
                }
                Ok(n)
            }

            async fn replace_scores(
                &self,
                scores: &[podium_core::model::Score],
            ) -> podium_core::store::StoreResult<()> {
                let mut tx = self.pool.begin_with($begin).await.map_err($crate::sql::map_err)?;
                sqlx::query("DELETE FROM scores").execute(&mut *tx).await.map_err($crate::sql::map_err)?;
                let refs: Vec<&podium_core::model::Score> = scores.iter().collect();
                insert_scores(&mut *tx, &refs).await?;
                tx.commit().await.map_err($crate::sql::map_err)
            }

            async fn all_boards(&self) -> podium_core::store::StoreResult<Vec<podium_core::model::Board>> {
                let rows = sqlx::query(concat!("SELECT ", $crate::board_cols!(), " FROM boards"))
                    .fetch_all(&self.pool)
                    .await
                    .map_err($crate::sql::map_err)?;
                rows.iter().map(board_from_row).collect()
            }

            async fn ratio_boards(
                &self,
                game: podium_core::id::GameId,
            ) -> podium_core::store::StoreResult<Vec<podium_core::model::Board>> {
                let rows = sqlx::query(concat!(
                    "SELECT ",
                    $crate::board_cols!(),
                    " FROM boards WHERE game_id = $1 AND board_type = 'RATIO' AND deleted_at IS NULL"
                ))
                .bind(game.to_string())
                .fetch_all(&self.pool)
                .await
                .map_err($crate::sql::map_err)?;
                rows.iter().map(board_from_row).collect()
            }
        }
    };
}
pub(crate) use impl_score_store;
