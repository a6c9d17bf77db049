//! Anti-cheat flags and submission metadata. Both are written in the score writer's batch
//! transaction (`write_flags`, `write_submission_meta`, called from `commit_events`); refused
//! attempts merge into one flag per player, board and detection.
//!
//! Longer than our usual ~400 lines for a reason: it is one trait implementation written as one
//! macro (instantiated per backend), and an `impl` block cannot be split across files.

/// The flag list's sort fields as SQL: a flag raised before its event was stored has no
/// `score_event_id` (sorted as the empty text, first ascending), and confidence sorts by
/// meaning, `LOW` < `MEDIUM` < `HIGH` (as `ScoreFlag::sort_value` gives them).
pub(crate) fn flag_sort_column(field: &str) -> &str {
    match field {
        "score_event_id" => "COALESCE(score_event_id, '')",
        "confidence" => "(CASE confidence WHEN 'LOW' THEN 0 WHEN 'MEDIUM' THEN 1 ELSE 2 END)",
        other => other,
    }
}

/// The submission counts' sort fields as SQL: a player with no accepted submission has no
/// `last_score_value` (sorted as the lowest number, first ascending).
pub(crate) fn meta_sort_column(field: &str) -> &str {
    match field {
        "last_score_value" => "COALESCE(last_score_value, -1.7976931348623157e308)",
        other => other,
    }
}

#[doc(hidden)]
#[macro_export]
macro_rules! flag_cols {
    () => {
        concat!(
            "id, account_id, game_id, board_id, identity_id, score_event_id, score_id, flag_type, confidence, status, ",
            "metadata, attempts, reviewer_id, reviewer_decision, reviewed_at, created_at, updated_at, deleted_at"
        )
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! meta_cols {
    () => {
        concat!(
            "id, account_id, game_id, board_id, identity_id, submission_count, rejected_count, last_submission_at, ",
            "last_score_value, score_event_id, created_at, updated_at"
        )
    };
}

/// Reads what a review recomputes from on `$exec` (the pool, or `&mut *tx`); evaluates to the
/// `ReviewInputs`.
macro_rules! read_review_inputs {
    ($db:ty, $exec:expr, $identity:expr, $boards:expr, $is_test:expr) => {{
        let bind_boards = |qb: &mut sqlx::QueryBuilder<$db>| {
            qb.push(" AND board_id IN (");
            let mut list = qb.separated(", ");
            for b in $boards {
                list.push_bind(b.to_string());
            }
            qb.push(")");
        };
        let mut qb = sqlx::QueryBuilder::<$db>::new(concat!(
            "SELECT ",
            $crate::event_cols!(),
            " FROM score_events WHERE identity_id = "
        ));
        qb.push_bind($identity.to_string()).push(" AND is_test = ").push_bind($is_test);
        bind_boards(&mut qb);
        qb.push(" ORDER BY created_at, id");
        let rows = qb.build().fetch_all($exec).await.map_err($crate::sql::map_err)?;
        let events = rows.iter().map(event_from_row).collect::<podium_core::store::StoreResult<Vec<_>>>()?;
        let mut qb = sqlx::QueryBuilder::<$db>::new(concat!(
            "SELECT ",
            $crate::score_cols!(),
            " FROM scores WHERE identity_id = "
        ));
        qb.push_bind($identity.to_string()).push(" AND is_test = ").push_bind($is_test);
        bind_boards(&mut qb);
        let rows = qb.build().fetch_all($exec).await.map_err($crate::sql::map_err)?;
        let entries = rows.iter().map(score_from_row).collect::<podium_core::store::StoreResult<Vec<_>>>()?;
        let mut qb = sqlx::QueryBuilder::<$db>::new(concat!(
            "SELECT ",
            $crate::flag_cols!(),
            " FROM score_flags WHERE deleted_at IS NULL AND score_event_id IS NOT NULL AND identity_id = "
        ));
        qb.push_bind($identity.to_string());
        bind_boards(&mut qb);
        let rows = qb.build().fetch_all($exec).await.map_err($crate::sql::map_err)?;
        let flags = rows.iter().map(flag_from_row).collect::<podium_core::store::StoreResult<Vec<_>>>()?;
        podium_core::store::ReviewInputs { events, entries, flags }
    }};
}
pub(crate) use read_review_inputs;

/// Writes a reviewed flag, its player's event statuses and (when given) recomputed entries in
/// the open transaction `$tx`.
macro_rules! write_review {
    ($db:ty, $tx:ident, $review:expr) => {{
        let done = sqlx::query(concat!(
            "UPDATE score_flags SET status = $1, reviewer_id = $2, reviewer_decision = $3, reviewed_at = $4, ",
            "updated_at = $5, deleted_at = $6 WHERE id = $7"
        ))
        .bind($review.flag.status.as_str())
        .bind($review.flag.reviewer_id.map(|u| u.to_string()))
        .bind($review.flag.reviewer_decision.as_deref())
        .bind($review.flag.reviewed_at.map(podium_core::time::to_micros))
        .bind(podium_core::time::to_micros($review.flag.updated_at))
        .bind($review.flag.deleted_at.map(podium_core::time::to_micros))
        .bind($review.flag.id.to_string())
        .execute(&mut *$tx)
        .await
        .map_err($crate::sql::map_err)?;
        $crate::sql::one_row_updated(done.rows_affected())?;
        for (status, ids) in [("rejected", &$review.rejected_events), ("accepted", &$review.accepted_events)] {
            for chunk in ids.chunks($crate::sql::CHUNK) {
                let mut qb = sqlx::QueryBuilder::<$db>::new("UPDATE score_events SET status = ");
                qb.push_bind(status).push(" WHERE id IN (");
                let mut list = qb.separated(", ");
                for id in chunk {
                    list.push_bind(id.to_string());
                }
                qb.push(")");
                qb.build().execute(&mut *$tx).await.map_err($crate::sql::map_err)?;
            }
        }
        if let Some(entries) = &$review.entries {
            let mut qb = sqlx::QueryBuilder::<$db>::new("DELETE FROM scores WHERE identity_id = ");
            qb.push_bind($review.identity_id.to_string()).push(" AND is_test = ").push_bind($review.is_test);
            qb.push(" AND board_id IN (");
            let mut list = qb.separated(", ");
            for b in &$review.boards {
                list.push_bind(b.to_string());
            }
            qb.push(")");
            qb.build().execute(&mut *$tx).await.map_err($crate::sql::map_err)?;
            let refs: Vec<&podium_core::model::Score> = entries.iter().collect();
            insert_scores(&mut *$tx, &refs).await?;
        }
    }};
}
pub(crate) use write_review;

macro_rules! impl_flag_store {
    ($store:ty, $db:ty, $name:literal, $begin:literal, $for_update:literal) => {
        pub(crate) fn flag_from_row(
            row: &<$db as sqlx::Database>::Row,
        ) -> podium_core::store::StoreResult<podium_core::model::ScoreFlag> {
            use podium_core::anticheat::{Confidence, FlagType};
            use podium_core::model::FlagStatus;
            use podium_core::time::from_micros;
            use sqlx::Row;
            use $crate::sql::{corrupt, map_err};
            let text = |i: usize| -> podium_core::store::StoreResult<String> { row.try_get(i).map_err(map_err) };
            let opt = |i: usize| -> podium_core::store::StoreResult<Option<String>> { row.try_get(i).map_err(map_err) };
            let reviewed_at: Option<i64> = row.try_get(14).map_err(map_err)?;
            let attempts: i64 = row.try_get(11).map_err(map_err)?;
            Ok(podium_core::model::ScoreFlag {
                id: text(0)?.parse().map_err(|_| corrupt("flag id"))?,
                account_id: text(1)?.parse().map_err(|_| corrupt("account id"))?,
                game_id: text(2)?.parse().map_err(|_| corrupt("game id"))?,
                board_id: text(3)?.parse().map_err(|_| corrupt("board id"))?,
                identity_id: text(4)?.parse().map_err(|_| corrupt("identity id"))?,
                score_event_id: opt(5)?.map(|s| s.parse()).transpose().map_err(|_| corrupt("event id"))?,
                score_id: opt(6)?.map(|s| s.parse()).transpose().map_err(|_| corrupt("score id"))?,
                flag_type: FlagType::parse(&text(7)?).ok_or_else(|| corrupt("flag type"))?,
                confidence: Confidence::parse(&text(8)?).ok_or_else(|| corrupt("confidence"))?,
                status: FlagStatus::parse(&text(9)?).ok_or_else(|| corrupt("flag status"))?,
                metadata: serde_json::from_str(&text(10)?).map_err(|_| corrupt("flag metadata"))?,
                attempts: attempts.max(0) as u64,
                reviewer_id: opt(12)?.map(|s| s.parse()).transpose().map_err(|_| corrupt("user id"))?,
                reviewer_decision: opt(13)?,
                reviewed_at: reviewed_at.map(from_micros),
                created_at: from_micros(row.try_get(15).map_err(map_err)?),
                updated_at: from_micros(row.try_get(16).map_err(map_err)?),
                deleted_at: {
                    let d: Option<i64> = row.try_get(17).map_err(map_err)?;
                    d.map(from_micros)
                },
            })
        }

        pub(crate) fn meta_from_row(
            row: &<$db as sqlx::Database>::Row,
        ) -> podium_core::store::StoreResult<podium_core::model::SubmissionMeta> {
            use podium_core::time::from_micros;
            use sqlx::Row;
            use $crate::sql::{corrupt, map_err};
            let text = |i: usize| -> podium_core::store::StoreResult<String> { row.try_get(i).map_err(map_err) };
            let count = |i: usize| -> podium_core::store::StoreResult<u64> {
                let v: i64 = row.try_get(i).map_err(map_err)?;
                Ok(v.max(0) as u64)
            };
            let event: Option<String> = row.try_get(9).map_err(map_err)?;
            Ok(podium_core::model::SubmissionMeta {
                id: text(0)?.parse().map_err(|_| corrupt("submission metadata id"))?,
                account_id: text(1)?.parse().map_err(|_| corrupt("account id"))?,
                game_id: text(2)?.parse().map_err(|_| corrupt("game id"))?,
                board_id: text(3)?.parse().map_err(|_| corrupt("board id"))?,
                identity_id: text(4)?.parse().map_err(|_| corrupt("identity id"))?,
                submission_count: count(5)?,
                rejected_count: count(6)?,
                last_submission_at: from_micros(row.try_get(7).map_err(map_err)?),
                last_score_value: row.try_get(8).map_err(map_err)?,
                score_event_id: event.map(|s| s.parse()).transpose().map_err(|_| corrupt("event id"))?,
                created_at: from_micros(row.try_get(10).map_err(map_err)?),
                updated_at: from_micros(row.try_get(11).map_err(map_err)?),
            })
        }

        /// Inserts flags; a refused attempt's flag merges into the player's open one for that
        /// board and detection (`attempts` grows, the evidence is the latest).
        pub(crate) async fn write_flags(
            conn: &mut <$db as sqlx::Database>::Connection,
            flags: &[podium_core::model::ScoreFlag],
        ) -> podium_core::store::StoreResult<()> {
            use podium_core::time::to_micros;
            for chunk in flags.chunks($crate::sql::CHUNK) {
                let mut metas = Vec::with_capacity(chunk.len());
                for f in chunk {
                    metas.push(
                        serde_json::to_string(&f.metadata)
                            .map_err(|e| podium_core::store::StoreError::Backend(e.to_string()))?,
                    );
                }
                let mut qb = sqlx::QueryBuilder::<$db>::new(concat!("INSERT INTO score_flags (", $crate::flag_cols!(), ") "));
                qb.push_values(chunk.iter().zip(metas), |mut b, (f, meta)| {
                    b.push_bind(f.id.to_string())
                        .push_bind(f.account_id.to_string())
                        .push_bind(f.game_id.to_string())
                        .push_bind(f.board_id.to_string())
                        .push_bind(f.identity_id.to_string())
                        .push_bind(f.score_event_id.map(|e| e.to_string()))
                        .push_bind(f.score_id.map(|s| s.to_string()))
                        .push_bind(f.flag_type.as_str().to_owned())
                        .push_bind(f.confidence.as_str().to_owned())
                        .push_bind(f.status.as_str().to_owned())
                        .push_bind(meta)
                        .push_bind(f.attempts as i64)
                        .push_bind(f.reviewer_id.map(|u| u.to_string()))
                        .push_bind(f.reviewer_decision.clone())
                        .push_bind(f.reviewed_at.map(to_micros))
                        .push_bind(to_micros(f.created_at))
                        .push_bind(to_micros(f.updated_at))
                        .push_bind(f.deleted_at.map(to_micros));
                });
                qb.push(concat!(
                    " ON CONFLICT (identity_id, board_id, flag_type) WHERE score_event_id IS NULL DO UPDATE SET ",
                    "attempts = score_flags.attempts + excluded.attempts, metadata = excluded.metadata, ",
                    "updated_at = excluded.updated_at"
                ));
                qb.build().execute(&mut *conn).await.map_err($crate::sql::map_err)?;
            }
            Ok(())
        }

        /// Adds submission counts per player and board.
        pub(crate) async fn write_submission_meta(
            conn: &mut <$db as sqlx::Database>::Connection,
            metas: &[podium_core::model::SubmissionMeta],
        ) -> podium_core::store::StoreResult<()> {
            use podium_core::time::to_micros;
            for chunk in metas.chunks($crate::sql::CHUNK) {
                let mut qb = sqlx::QueryBuilder::<$db>::new(concat!(
                    "INSERT INTO score_submission_metadata (",
                    $crate::meta_cols!(),
                    ") "
                ));
                qb.push_values(chunk, |mut b, m| {
                    b.push_bind(m.id.to_string())
                        .push_bind(m.account_id.to_string())
                        .push_bind(m.game_id.to_string())
                        .push_bind(m.board_id.to_string())
                        .push_bind(m.identity_id.to_string())
                        .push_bind(m.submission_count as i64)
                        .push_bind(m.rejected_count as i64)
                        .push_bind(to_micros(m.last_submission_at))
                        .push_bind(m.last_score_value)
                        .push_bind(m.score_event_id.map(|e| e.to_string()))
                        .push_bind(to_micros(m.created_at))
                        .push_bind(to_micros(m.updated_at));
                });
                qb.push(concat!(
                    " ON CONFLICT (identity_id, board_id) DO UPDATE SET ",
                    "submission_count = score_submission_metadata.submission_count + excluded.submission_count, ",
                    "rejected_count = score_submission_metadata.rejected_count + excluded.rejected_count, ",
                    "last_submission_at = excluded.last_submission_at, ",
                    "last_score_value = COALESCE(excluded.last_score_value, score_submission_metadata.last_score_value), ",
                    "score_event_id = COALESCE(excluded.score_event_id, score_submission_metadata.score_event_id), ",
                    "updated_at = excluded.updated_at"
                ));
                qb.build().execute(&mut *conn).await.map_err($crate::sql::map_err)?;
            }
            Ok(())
        }

        #[async_trait::async_trait]
        impl podium_core::store::FlagStore for $store {
            async fn list_flags(
                &self,
                filter: &podium_core::store::FlagFilter,
                page: &podium_core::page::PageRequest,
            ) -> podium_core::store::StoreResult<Vec<podium_core::model::ScoreFlag>> {
                let mut qb = sqlx::QueryBuilder::<$db>::new(concat!(
                    "SELECT ",
                    $crate::flag_cols!(),
                    " FROM score_flags WHERE deleted_at IS NULL AND account_id = "
                ));
                qb.push_bind(filter.account_id.to_string());
                if let Some(b) = filter.board_id {
                    qb.push(" AND board_id = ").push_bind(b.to_string());
                }
                if let Some(g) = filter.game_id {
                    qb.push(" AND game_id = ").push_bind(g.to_string());
                }
                if let Some(i) = filter.identity_id {
                    qb.push(" AND identity_id = ").push_bind(i.to_string());
                }
                if let Some(s) = filter.status {
                    qb.push(" AND status = ").push_bind(s.as_str().to_owned());
                }
                if let Some(t) = filter.flag_type {
                    qb.push(" AND flag_type = ").push_bind(t.as_str().to_owned());
                }
                $crate::sql::fetch_page_of!(&self.pool, qb, page, flag_from_row, $crate::sql::flag_sort_column)
            }

            async fn get_flag(
                &self,
                id: podium_core::id::FlagId,
            ) -> podium_core::store::StoreResult<Option<podium_core::model::ScoreFlag>> {
                $crate::sql::fetch_optional!(
                    &self.pool,
                    concat!("SELECT ", $crate::flag_cols!(), " FROM score_flags WHERE id = $1 AND deleted_at IS NULL"),
                    flag_from_row,
                    id.to_string()
                )
            }

            async fn get_flag_even_deleted(
                &self,
                id: podium_core::id::FlagId,
            ) -> podium_core::store::StoreResult<Option<podium_core::model::ScoreFlag>> {
                $crate::sql::fetch_optional!(
                    &self.pool,
                    concat!("SELECT ", $crate::flag_cols!(), " FROM score_flags WHERE id = $1"),
                    flag_from_row,
                    id.to_string()
                )
            }

            async fn apply_review(
                &self,
                review: &podium_core::store::ReviewWrite,
            ) -> podium_core::store::StoreResult<()> {
                let mut tx = self.pool.begin().await.map_err($crate::sql::map_err)?;
                $crate::sql::write_review!($db, tx, review);
                tx.commit().await.map_err($crate::sql::map_err)
            }

            async fn review_in_log_order(
                &self,
                identity: podium_core::id::IdentityId,
                boards: &[podium_core::id::BoardId],
                is_test: bool,
                plan: podium_core::store::ReviewPlanner<'_>,
            ) -> podium_core::store::StoreResult<Option<i64>> {
                let mut tx = self.pool.begin_with($begin).await.map_err($crate::sql::map_err)?;
                $crate::sql::changes::lock_player_then_log!(tx, $name, $for_update, identity);
                let inputs = $crate::sql::read_review_inputs!($db, &mut *tx, identity, boards, is_test);
                let status: Option<(String,)> = sqlx::query_as("SELECT status FROM identities WHERE id = $1")
                    .bind(identity.to_string())
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err($crate::sql::map_err)?;
                let banned = status.is_some_and(|(s,)| s == "banned");
                let (review, log) = plan(inputs, banned);
                $crate::sql::write_review!($db, tx, review);
                let seq = $crate::sql::changes::append_logged!(tx, $db, $name, &log, self.rings_doorbell());
                tx.commit().await.map_err($crate::sql::map_err)?;
                Ok(seq)
            }

            async fn visibility_in_log_order(
                &self,
                identity: podium_core::id::IdentityId,
                plan: podium_core::store::VisibilityPlanner<'_>,
            ) -> podium_core::store::StoreResult<Option<i64>> {
                let mut tx = self.pool.begin_with($begin).await.map_err($crate::sql::map_err)?;
                $crate::sql::changes::lock_player_then_log!(tx, $name, $for_update, identity);
                let rows = sqlx::query(concat!("SELECT ", $crate::score_cols!(), " FROM scores WHERE identity_id = $1"))
                    .bind(identity.to_string())
                    .fetch_all(&mut *tx)
                    .await
                    .map_err($crate::sql::map_err)?;
                let entries = rows.iter().map(score_from_row).collect::<podium_core::store::StoreResult<Vec<_>>>()?;
                let log = plan(entries);
                let seq = $crate::sql::changes::append_logged!(tx, $db, $name, &log, self.rings_doorbell());
                tx.commit().await.map_err($crate::sql::map_err)?;
                Ok(seq)
            }

            async fn review_inputs(
                &self,
                identity: podium_core::id::IdentityId,
                boards: &[podium_core::id::BoardId],
                is_test: bool,
            ) -> podium_core::store::StoreResult<podium_core::store::ReviewInputs> {
                Ok($crate::sql::read_review_inputs!($db, &self.pool, identity, boards, is_test))
            }

            async fn add_submission_meta(
                &self,
                metas: &[podium_core::model::SubmissionMeta],
            ) -> podium_core::store::StoreResult<()> {
                if metas.is_empty() {
                    return Ok(());
                }
                let mut tx = self.pool.begin().await.map_err($crate::sql::map_err)?;
                write_submission_meta(&mut *tx, metas).await?;
                tx.commit().await.map_err($crate::sql::map_err)
            }

            async fn list_submission_meta(
                &self,
                filter: &podium_core::store::SubmissionMetaFilter,
                page: &podium_core::page::PageRequest,
            ) -> podium_core::store::StoreResult<Vec<podium_core::model::SubmissionMeta>> {
                let mut qb = sqlx::QueryBuilder::<$db>::new(concat!(
                    "SELECT ",
                    $crate::meta_cols!(),
                    " FROM score_submission_metadata WHERE account_id = "
                ));
                qb.push_bind(filter.account_id.to_string());
                if let Some(b) = filter.board_id {
                    qb.push(" AND board_id = ").push_bind(b.to_string());
                }
                if let Some(i) = filter.identity_id {
                    qb.push(" AND identity_id = ").push_bind(i.to_string());
                }
                $crate::sql::fetch_page_of!(&self.pool, qb, page, meta_from_row, $crate::sql::meta_sort_column)
            }

            async fn get_submission_meta(
                &self,
                id: podium_core::id::SubmissionMetaId,
            ) -> podium_core::store::StoreResult<Option<podium_core::model::SubmissionMeta>> {
                $crate::sql::fetch_optional!(
                    &self.pool,
                    concat!("SELECT ", $crate::meta_cols!(), " FROM score_submission_metadata WHERE id = $1"),
                    meta_from_row,
                    id.to_string()
                )
            }

            async fn accepted_totals(
                &self,
            ) -> podium_core::store::StoreResult<Vec<(podium_core::id::IdentityId, u64)>> {
                let rows = sqlx::query(
                    "SELECT identity_id, CAST(SUM(submission_count) AS BIGINT) FROM score_submission_metadata GROUP BY identity_id",
                )
                .fetch_all(&self.pool)
                .await
                .map_err($crate::sql::map_err)?;
                $crate::sql::id_counts(&rows, "identity id")
            }

            async fn review_state(
                &self,
            ) -> podium_core::store::StoreResult<(
                Vec<podium_core::id::ScoreEventId>,
                Vec<podium_core::id::ScoreEventId>,
            )> {
                use sqlx::Row;
                let ids = |rows: Vec<<$db as sqlx::Database>::Row>| -> podium_core::store::StoreResult<Vec<podium_core::id::ScoreEventId>> {
                    rows.iter()
                        .map(|r| {
                            let id: String = r.try_get(0).map_err($crate::sql::map_err)?;
                            id.parse().map_err(|_| $crate::sql::corrupt("event id"))
                        })
                        .collect()
                };
                let held = sqlx::query(
                    "SELECT DISTINCT score_event_id FROM score_flags WHERE status = 'pending' AND confidence = 'MEDIUM' AND score_event_id IS NOT NULL AND deleted_at IS NULL",
                )
                .fetch_all(&self.pool)
                .await
                .map_err($crate::sql::map_err)?;
                let rejected = sqlx::query("SELECT id FROM score_events WHERE status = 'rejected'")
                    .fetch_all(&self.pool)
                    .await
                    .map_err($crate::sql::map_err)?;
                Ok((ids(held)?, ids(rejected)?))
            }

            async fn scores_of_identity(
                &self,
                identity: Option<podium_core::id::IdentityId>,
            ) -> podium_core::store::StoreResult<Vec<podium_core::model::Score>> {
                let rows = match identity {
                    Some(i) => sqlx::query(concat!("SELECT ", $crate::score_cols!(), " FROM scores WHERE identity_id = $1"))
                        .bind(i.to_string())
                        .fetch_all(&self.pool)
                        .await,
                    None => sqlx::query(concat!(
                        "SELECT ",
                        $crate::score_cols!(),
                        " FROM scores WHERE identity_id IN (SELECT id FROM identities WHERE status = 'banned')"
                    ))
                    .fetch_all(&self.pool)
                    .await,
                }
                .map_err($crate::sql::map_err)?;
                rows.iter().map(score_from_row).collect()
            }

            async fn events_since(
                &self,
                since_micros: i64,
            ) -> podium_core::store::StoreResult<Vec<podium_core::model::ScoreEvent>> {
                let rows = sqlx::query(concat!(
                    "SELECT ",
                    $crate::event_cols!(),
                    " FROM score_events WHERE created_at >= $1 ORDER BY created_at, id"
                ))
                .bind(since_micros)
                .fetch_all(&self.pool)
                .await
                .map_err($crate::sql::map_err)?;
                rows.iter().map(event_from_row).collect()
            }
        }
    };
}
pub(crate) use impl_flag_store;
