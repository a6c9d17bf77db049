//! `community_categories` and `community_metrics` (a category's metrics are rewritten with it,
//! in order, keeping their ids).

#[doc(hidden)]
#[macro_export]
macro_rules! category_cols {
    () => {
        "id, leaderboard_id, name, slug, rules, players_min, players_max, created_at, updated_at"
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! metric_cols {
    () => {
        "m.id, m.name, m.slug, m.kind, m.sort, m.required, m.category_id"
    };
}

macro_rules! impl_category_store {
    ($store:ty, $db:ty, $begin:literal, $for_update:literal) => {
        pub(crate) fn category_from_row(
            row: &<$db as sqlx::Database>::Row,
        ) -> podium_core::store::StoreResult<podium_core::model::community::Category> {
            use podium_core::model::{Name, Slug, Text};
            use sqlx::Row;
            use $crate::sql::{corrupt, map_err};
            let id: String = row.try_get(0).map_err(map_err)?;
            let leaderboard: String = row.try_get(1).map_err(map_err)?;
            let players_min: i64 = row.try_get(5).map_err(map_err)?;
            let players_max: i64 = row.try_get(6).map_err(map_err)?;
            Ok(podium_core::model::community::Category {
                id: id.parse().map_err(|_| corrupt("category id"))?,
                leaderboard_id: leaderboard.parse().map_err(|_| corrupt("leaderboard id"))?,
                name: Name::from_trusted(row.try_get(2).map_err(map_err)?),
                slug: Slug::from_trusted(row.try_get(3).map_err(map_err)?),
                rules: Text::from_trusted(row.try_get(4).map_err(map_err)?),
                players_min: u32::try_from(players_min).map_err(|_| corrupt("players_min"))?,
                players_max: u32::try_from(players_max).map_err(|_| corrupt("players_max"))?,
                metrics: Vec::new(),
                created_at: podium_core::time::from_micros(row.try_get(7).map_err(map_err)?),
                updated_at: podium_core::time::from_micros(row.try_get(8).map_err(map_err)?),
            })
        }

        /// A metric row and the id of its category.
        pub(crate) fn metric_from_row(
            row: &<$db as sqlx::Database>::Row,
        ) -> podium_core::store::StoreResult<(String, podium_core::model::community::Metric)> {
            use podium_core::model::community::{Metric, MetricKind, MetricSort};
            use podium_core::model::{Name, Slug};
            use sqlx::Row;
            use $crate::sql::{corrupt, map_err};
            let id: String = row.try_get(0).map_err(map_err)?;
            let kind: String = row.try_get(3).map_err(map_err)?;
            let sort: String = row.try_get(4).map_err(map_err)?;
            Ok((
                row.try_get(6).map_err(map_err)?,
                Metric {
                    id: id.parse().map_err(|_| corrupt("metric id"))?,
                    name: Name::from_trusted(row.try_get(1).map_err(map_err)?),
                    slug: Slug::from_trusted(row.try_get(2).map_err(map_err)?),
                    kind: MetricKind::parse(&kind).ok_or_else(|| corrupt("metric kind"))?,
                    sort: MetricSort::parse(&sort).ok_or_else(|| corrupt("metric sort"))?,
                    required: row.try_get(5).map_err(map_err)?,
                },
            ))
        }

        async fn insert_metrics<'c>(
            tx: &mut sqlx::Transaction<'c, $db>,
            c: &podium_core::model::community::Category,
        ) -> podium_core::store::StoreResult<()> {
            for (position, m) in c.metrics.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO community_metrics (id, category_id, position, name, slug, kind, sort, required) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(m.id.to_string())
                .bind(c.id.to_string())
                .bind(position as i64)
                .bind(m.name.as_str())
                .bind(m.slug.as_str())
                .bind(m.kind.as_str())
                .bind(m.sort.as_str())
                .bind(m.required)
                .execute(&mut **tx)
                .await
                .map_err($crate::sql::map_err)?;
            }
            Ok(())
        }

        #[async_trait::async_trait]
        impl podium_core::store::CategoryStore for $store {
            async fn insert_category(
                &self,
                c: &podium_core::model::community::Category,
            ) -> podium_core::store::StoreResult<()> {
                use podium_core::time::to_micros;
                let mut tx = self.pool.begin_with($begin).await.map_err($crate::sql::map_err)?;
                sqlx::query(
                    "INSERT INTO community_categories (id, leaderboard_id, name, slug, rules, players_min, players_max, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(c.id.to_string())
                .bind(c.leaderboard_id.to_string())
                .bind(c.name.as_str())
                .bind(c.slug.as_str())
                .bind(c.rules.as_str())
                .bind(i64::from(c.players_min))
                .bind(i64::from(c.players_max))
                .bind(to_micros(c.created_at))
                .bind(to_micros(c.updated_at))
                .execute(&mut *tx)
                .await
                .map_err($crate::sql::map_err)?;
                insert_metrics(&mut tx, c).await?;
                tx.commit().await.map_err($crate::sql::map_err)?;
                Ok(())
            }

            async fn get_category(
                &self,
                id: podium_core::id::CategoryId,
            ) -> podium_core::store::StoreResult<Option<podium_core::model::community::Category>> {
                let sql = concat!("SELECT ", $crate::category_cols!(), " FROM community_categories WHERE id = $1");
                let row = sqlx::query(sql).bind(id.to_string()).fetch_optional(&self.pool).await.map_err($crate::sql::map_err)?;
                let Some(row) = row else { return Ok(None) };
                let mut category = category_from_row(&row)?;
                let sql = concat!("SELECT ", $crate::metric_cols!(), " FROM community_metrics m WHERE m.category_id = $1 ORDER BY m.position");
                let rows = sqlx::query(sql).bind(id.to_string()).fetch_all(&self.pool).await.map_err($crate::sql::map_err)?;
                for r in &rows {
                    category.metrics.push(metric_from_row(r)?.1);
                }
                Ok(Some(category))
            }

            async fn categories_of(
                &self,
                leaderboard: podium_core::id::LeaderboardId,
            ) -> podium_core::store::StoreResult<Vec<podium_core::model::community::Category>> {
                let sql = concat!("SELECT ", $crate::category_cols!(), " FROM community_categories WHERE leaderboard_id = $1 ORDER BY created_at, id");
                let rows = sqlx::query(sql).bind(leaderboard.to_string()).fetch_all(&self.pool).await.map_err($crate::sql::map_err)?;
                let mut categories = rows.iter().map(category_from_row).collect::<podium_core::store::StoreResult<Vec<_>>>()?;
                let sql = concat!(
                    "SELECT ", $crate::metric_cols!(), " FROM community_metrics m JOIN community_categories c ON c.id = m.category_id \
                     WHERE c.leaderboard_id = $1 ORDER BY m.position"
                );
                let rows = sqlx::query(sql).bind(leaderboard.to_string()).fetch_all(&self.pool).await.map_err($crate::sql::map_err)?;
                for r in &rows {
                    let (category, metric) = metric_from_row(r)?;
                    if let Some(c) = categories.iter_mut().find(|c| c.id.to_string() == category) {
                        c.metrics.push(metric);
                    }
                }
                Ok(categories)
            }

            async fn update_category(
                &self,
                c: &podium_core::model::community::Category,
                read_at: chrono::DateTime<chrono::Utc>,
            ) -> podium_core::store::StoreResult<()> {
                use podium_core::time::to_micros;
                let id = c.id.to_string();
                let mut tx = self.pool.begin_with($begin).await.map_err($crate::sql::map_err)?;
                $crate::sql::claim_row!(tx, "community_categories", &id, to_micros(read_at), to_micros(c.updated_at));
                let done = sqlx::query(
                    "UPDATE community_categories SET name = $2, slug = $3, rules = $4, players_min = $5, players_max = $6, updated_at = $7 WHERE id = $1",
                )
                .bind(c.id.to_string())
                .bind(c.name.as_str())
                .bind(c.slug.as_str())
                .bind(c.rules.as_str())
                .bind(i64::from(c.players_min))
                .bind(i64::from(c.players_max))
                .bind(podium_core::time::to_micros(c.updated_at))
                .execute(&mut *tx)
                .await
                .map_err($crate::sql::map_err)?;
                $crate::sql::one_row_updated(done.rows_affected())?;
                {
                    // A metric that runs use keeps its kind and sort, and stays.
                    use sqlx::Row;
                    let used = sqlx::query(
                        "SELECT m.id, m.kind, m.sort FROM community_metrics m WHERE m.category_id = $1 \
                         AND EXISTS (SELECT 1 FROM community_run_metrics r WHERE r.metric_id = m.id)",
                    )
                    .bind(&id)
                    .fetch_all(&mut *tx)
                    .await
                    .map_err($crate::sql::map_err)?;
                    for row in &used {
                        let (metric, kind, sort): (String, String, String) = (
                            row.try_get(0).map_err($crate::sql::map_err)?,
                            row.try_get(1).map_err($crate::sql::map_err)?,
                            row.try_get(2).map_err($crate::sql::map_err)?,
                        );
                        let kept = c.metrics.iter().any(|m| {
                            m.id.to_string() == metric && m.kind.as_str() == kind && m.sort.as_str() == sort
                        });
                        if !kept {
                            return Err(podium_core::store::StoreError::Conflict { constraint: "metric_in_use".to_owned() });
                        }
                    }
                }
                sqlx::query("DELETE FROM community_metrics WHERE category_id = $1")
                    .bind(c.id.to_string())
                    .execute(&mut *tx)
                    .await
                    .map_err($crate::sql::map_err)?;
                insert_metrics(&mut tx, c).await?;
                tx.commit().await.map_err($crate::sql::map_err)?;
                Ok(())
            }

            async fn delete_category(&self, id: podium_core::id::CategoryId) -> podium_core::store::StoreResult<()> {
                let mut tx = self.pool.begin_with($begin).await.map_err($crate::sql::map_err)?;
                // Locked first, so no run is submitted to it between deleting its runs and itself.
                let lock = sqlx::query(concat!("SELECT id FROM community_categories WHERE id = $1", $for_update))
                    .bind(id.to_string())
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err($crate::sql::map_err)?;
                if lock.is_none() {
                    return Err(podium_core::store::StoreError::NotFound);
                }
                // Lock (and mark as changed) every variable assigned here first, so that two
                // categories deleted at once cannot each leave a variable to the other, and a
                // concurrent edit of one of them answers 409 instead of undoing this.
                sqlx::query(
                    "UPDATE community_variables SET updated_at = $2 WHERE id IN \
                     (SELECT variable_id FROM community_variable_categories WHERE category_id = $1)",
                )
                .bind(id.to_string())
                .bind(podium_core::time::to_micros(podium_core::time::now()))
                .execute(&mut *tx)
                .await
                .map_err($crate::sql::map_err)?;
                // The variables assigned to this category alone go with it.
                let orphans: Vec<String> = {
                    use sqlx::Row;
                    let rows = sqlx::query(
                        "SELECT a.variable_id FROM community_variable_categories a WHERE a.category_id = $1 \
                         AND NOT EXISTS (SELECT 1 FROM community_variable_categories o \
                         WHERE o.variable_id = a.variable_id AND o.category_id <> $1)",
                    )
                    .bind(id.to_string())
                    .fetch_all(&mut *tx)
                    .await
                    .map_err($crate::sql::map_err)?;
                    rows.iter().map(|r| r.try_get(0)).collect::<Result<_, _>>().map_err($crate::sql::map_err)?
                };
                delete_category_runs(&mut tx, &id.to_string()).await?;
                for sql in ["DELETE FROM community_variable_categories WHERE category_id = $1", "DELETE FROM community_metrics WHERE category_id = $1"] {
                    sqlx::query(sql).bind(id.to_string()).execute(&mut *tx).await.map_err($crate::sql::map_err)?;
                }
                for variable in &orphans {
                    for sql in ["DELETE FROM community_variable_values WHERE variable_id = $1", "DELETE FROM community_variables WHERE id = $1"] {
                        sqlx::query(sql).bind(variable).execute(&mut *tx).await.map_err($crate::sql::map_err)?;
                    }
                }
                let done = sqlx::query("DELETE FROM community_categories WHERE id = $1")
                    .bind(id.to_string())
                    .execute(&mut *tx)
                    .await
                    .map_err($crate::sql::map_err)?;
                $crate::sql::one_row_updated(done.rows_affected())?;
                tx.commit().await.map_err($crate::sql::map_err)?;
                Ok(())
            }
        }
    };
}
pub(crate) use impl_category_store;
