//! Board templates table, and the queries the scheduler makes of the boards they stamped out.

#[doc(hidden)]
#[macro_export]
macro_rules! template_cols {
    () => {
        concat!(
            "id, account_id, game_id, name, slug, name_pattern, slug_pattern, schedule, time_zone, duration_seconds, ",
            "board_defaults, is_active, starts_at, ends_at, created_at, updated_at, deleted_at"
        )
    };
}

macro_rules! impl_template_store {
    ($store:ty, $db:ty) => {
        pub(crate) fn template_from_row(
            row: &<$db as sqlx::Database>::Row,
        ) -> podium_core::store::StoreResult<podium_core::model::BoardTemplate> {
            use podium_core::model::*;
            use podium_core::time::from_micros;
            use sqlx::Row;
            use $crate::sql::{corrupt, map_err};
            let text = |i: usize| -> podium_core::store::StoreResult<String> { row.try_get(i).map_err(map_err) };
            let time = |i: usize| -> podium_core::store::StoreResult<Option<i64>> { row.try_get(i).map_err(map_err) };
            let defaults: BoardDefaultsInput =
                serde_json::from_str(&text(10)?).map_err(|_| corrupt("template board defaults"))?;
            Ok(BoardTemplate {
                id: text(0)?.parse().map_err(|_| corrupt("template id"))?,
                account_id: text(1)?.parse().map_err(|_| corrupt("account id"))?,
                game_id: text(2)?.parse().map_err(|_| corrupt("game id"))?,
                name: Name::from_trusted(text(3)?),
                slug: Slug::from_trusted(text(4)?),
                name_pattern: Pattern::from_trusted(text(5)?),
                slug_pattern: Pattern::from_trusted(text(6)?),
                schedule: Schedule::parse(&text(7)?).map_err(|_| corrupt("template schedule"))?,
                time_zone: TimeZone::parse(&text(8)?).map_err(|_| corrupt("template time zone"))?,
                duration_seconds: row.try_get(9).map_err(map_err)?,
                board: BoardDefaults::from_trusted(defaults),
                is_active: row.try_get(11).map_err(map_err)?,
                starts_at: from_micros(row.try_get(12).map_err(map_err)?),
                ends_at: time(13)?.map(from_micros),
                created_at: from_micros(row.try_get(14).map_err(map_err)?),
                updated_at: from_micros(row.try_get(15).map_err(map_err)?),
                deleted_at: time(16)?.map(from_micros),
            })
        }

        pub(crate) fn bind_template<'q>(
            q: sqlx::query::Query<'q, $db, <$db as sqlx::Database>::Arguments>,
            t: &'q podium_core::model::BoardTemplate,
        ) -> podium_core::store::StoreResult<sqlx::query::Query<'q, $db, <$db as sqlx::Database>::Arguments>> {
            use podium_core::time::to_micros;
            let defaults = podium_core::model::BoardDefaultsInput::from(&t.board);
            let defaults = serde_json::to_string(&defaults)
                .map_err(|e| podium_core::store::StoreError::Backend(e.to_string()))?;
            Ok(q.bind(t.id.to_string())
                .bind(t.account_id.to_string())
                .bind(t.game_id.to_string())
                .bind(t.name.as_str())
                .bind(t.slug.as_str())
                .bind(t.name_pattern.as_str())
                .bind(t.slug_pattern.as_str())
                .bind(t.schedule.as_str())
                .bind(t.time_zone.name())
                .bind(t.duration_seconds)
                .bind(defaults)
                .bind(t.is_active)
                .bind(to_micros(t.starts_at))
                .bind(t.ends_at.map(to_micros))
                .bind(to_micros(t.created_at))
                .bind(to_micros(t.updated_at))
                .bind(t.deleted_at.map(to_micros)))
        }

        #[async_trait::async_trait]
        impl podium_core::store::TemplateStore for $store {
            async fn insert_template(&self, t: &podium_core::model::BoardTemplate) -> podium_core::store::StoreResult<()> {
                let q = sqlx::query(concat!(
                    "INSERT INTO board_templates (", $crate::template_cols!(), ") VALUES ",
                    "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
                ));
                bind_template(q, t)?.execute(&self.pool).await.map_err($crate::sql::map_err)?;
                Ok(())
            }

            async fn get_template(
                &self,
                id: podium_core::id::TemplateId,
            ) -> podium_core::store::StoreResult<Option<podium_core::model::BoardTemplate>> {
                $crate::sql::fetch_optional!(
                    &self.pool,
                    concat!("SELECT ", $crate::template_cols!(), " FROM board_templates WHERE id = $1 AND deleted_at IS NULL"),
                    template_from_row,
                    id.to_string()
                )
            }

            async fn update_template(&self, t: &podium_core::model::BoardTemplate) -> podium_core::store::StoreResult<()> {
                let q = sqlx::query(concat!(
                    "UPDATE board_templates SET account_id = $2, game_id = $3, name = $4, slug = $5, name_pattern = $6, ",
                    "slug_pattern = $7, schedule = $8, time_zone = $9, duration_seconds = $10, board_defaults = $11, ",
                    "is_active = $12, starts_at = $13, ends_at = $14, created_at = $15, updated_at = $16, deleted_at = $17 ",
                    "WHERE id = $1 AND deleted_at IS NULL"
                ));
                let done = bind_template(q, t)?.execute(&self.pool).await.map_err($crate::sql::map_err)?;
                $crate::sql::one_row_updated(done.rows_affected())
            }

            async fn list_templates(
                &self,
                filter: &podium_core::store::TemplateFilter,
                page: &podium_core::page::PageRequest,
            ) -> podium_core::store::StoreResult<Vec<podium_core::model::BoardTemplate>> {
                let mut qb = sqlx::QueryBuilder::<$db>::new(concat!(
                    "SELECT ", $crate::template_cols!(), " FROM board_templates WHERE deleted_at IS NULL"
                ));
                qb.push(" AND account_id = ").push_bind(filter.account_id.to_string());
                if let Some(game) = filter.game_id {
                    qb.push(" AND game_id = ").push_bind(game.to_string());
                }
                if let Some(slug) = &filter.slug {
                    qb.push(" AND slug = ").push_bind(slug.clone());
                }
                $crate::sql::fetch_page!(&self.pool, qb, page, template_from_row)
            }

            async fn active_templates(&self) -> podium_core::store::StoreResult<Vec<podium_core::model::BoardTemplate>> {
                let rows = sqlx::query(concat!(
                    "SELECT ", $crate::template_cols!(), " FROM board_templates WHERE deleted_at IS NULL AND is_active ORDER BY id"
                ))
                .fetch_all(&self.pool)
                .await
                .map_err($crate::sql::map_err)?;
                rows.iter().map(template_from_row).collect()
            }

            async fn last_period(
                &self,
                id: podium_core::id::TemplateId,
            ) -> podium_core::store::StoreResult<Option<podium_core::store::LastPeriod>> {
                use sqlx::Row;
                let row = sqlx::query(
                    "SELECT series, period_start FROM boards WHERE template_id = $1 ORDER BY series DESC LIMIT 1",
                )
                .bind(id.to_string())
                .fetch_optional(&self.pool)
                .await
                .map_err($crate::sql::map_err)?;
                let Some(row) = row else { return Ok(None) };
                let series: Option<i64> = row.try_get(0).map_err($crate::sql::map_err)?;
                let start: Option<i64> = row.try_get(1).map_err($crate::sql::map_err)?;
                match (series, start) {
                    (Some(series), Some(start)) => Ok(Some(podium_core::store::LastPeriod {
                        series,
                        period_start: podium_core::time::from_micros(start),
                    })),
                    _ => Err($crate::sql::corrupt("template board period")),
                }
            }

            async fn close_boards_before(
                &self,
                id: podium_core::id::TemplateId,
                series: i64,
                at: podium_core::time::Timestamp,
            ) -> podium_core::store::StoreResult<u64> {
                let done = sqlx::query(
                    "UPDATE boards SET is_active = false, updated_at = $3 WHERE template_id = $1 AND series < $2 AND is_active AND deleted_at IS NULL",
                )
                .bind(id.to_string())
                .bind(series)
                .bind(podium_core::time::to_micros(at))
                .execute(&self.pool)
                .await
                .map_err($crate::sql::map_err)?;
                Ok(done.rows_affected())
            }
        }
    };
}
pub(crate) use impl_template_store;
