//! Boards table.

#[doc(hidden)]
#[macro_export]
macro_rules! board_cols {
    () => {
        concat!(
            "id, account_id, game_id, name, slug, short_code, description, icon, unit, tags, board_type, sort_direction, ",
            "keep_strategy, is_active, is_published, starts_at, ends_at, unique_player_names, min_value, max_value, ",
            "ratio_config, created_at, updated_at, deleted_at, template_id, series, period_start"
        )
    };
}

macro_rules! impl_board_store {
    ($store:ty, $db:ty, $name:literal) => {
        pub(crate) fn board_from_row(row: &<$db as sqlx::Database>::Row) -> podium_core::store::StoreResult<podium_core::model::Board> {
            use podium_core::model::*;
            use podium_core::time::from_micros;
            use sqlx::Row;
            use $crate::sql::{corrupt, map_err};
            let text = |i: usize| -> podium_core::store::StoreResult<Option<String>> { row.try_get(i).map_err(map_err) };
            let time = |i: usize| -> podium_core::store::StoreResult<Option<i64>> { row.try_get(i).map_err(map_err) };
            let id: String = row.try_get(0).map_err(map_err)?;
            let account_id: String = row.try_get(1).map_err(map_err)?;
            let game_id: String = row.try_get(2).map_err(map_err)?;
            let tags: String = row.try_get(9).map_err(map_err)?;
            let tags: Vec<String> = serde_json::from_str(&tags).map_err(|_| corrupt("board tags"))?;
            let board_type: String = row.try_get(10).map_err(map_err)?;
            let sort_direction: String = row.try_get(11).map_err(map_err)?;
            let keep_strategy: String = row.try_get(12).map_err(map_err)?;
            let ratio_config = match text(20)? {
                Some(json) => Some(serde_json::from_str(&json).map_err(|_| corrupt("ratio_config"))?),
                None => None,
            };
            Ok(Board {
                id: id.parse().map_err(|_| corrupt("board id"))?,
                account_id: account_id.parse().map_err(|_| corrupt("account id"))?,
                game_id: game_id.parse().map_err(|_| corrupt("game id"))?,
                name: Name::from_trusted(row.try_get(3).map_err(map_err)?),
                slug: Slug::from_trusted(row.try_get(4).map_err(map_err)?),
                short_code: row.try_get(5).map_err(map_err)?,
                description: text(6)?.map(Text::from_trusted),
                icon: text(7)?.map(Text::from_trusted),
                unit: text(8)?.map(Text::from_trusted),
                tags: tags.into_iter().map(Text::from_trusted).collect(),
                board_type: BoardType::parse(&board_type).ok_or_else(|| corrupt("board_type"))?,
                sort_direction: SortDirection::parse(&sort_direction).ok_or_else(|| corrupt("sort_direction"))?,
                keep_strategy: KeepStrategy::parse(&keep_strategy).ok_or_else(|| corrupt("keep_strategy"))?,
                is_active: row.try_get(13).map_err(map_err)?,
                is_published: row.try_get(14).map_err(map_err)?,
                starts_at: time(15)?.map(from_micros),
                ends_at: time(16)?.map(from_micros),
                unique_player_names: row.try_get(17).map_err(map_err)?,
                min_value: row.try_get(18).map_err(map_err)?,
                max_value: row.try_get(19).map_err(map_err)?,
                ratio_config,
                created_at: from_micros(row.try_get(21).map_err(map_err)?),
                updated_at: from_micros(row.try_get(22).map_err(map_err)?),
                deleted_at: time(23)?.map(from_micros),
                template_id: text(24)?.map(|t| t.parse()).transpose().map_err(|_| corrupt("template id"))?,
                series: row.try_get(25).map_err(map_err)?,
                period_start: time(26)?.map(from_micros),
            })
        }

        pub(crate) fn bind_board<'q>(
            q: sqlx::query::Query<'q, $db, <$db as sqlx::Database>::Arguments>,
            b: &'q podium_core::model::Board,
        ) -> podium_core::store::StoreResult<sqlx::query::Query<'q, $db, <$db as sqlx::Database>::Arguments>> {
            use podium_core::time::to_micros;
            let json_err = |e: serde_json::Error| podium_core::store::StoreError::Backend(e.to_string());
            let tags: Vec<&str> = b.tags.iter().map(|t| t.as_str()).collect();
            let tags = serde_json::to_string(&tags).map_err(json_err)?;
            let ratio_config = b.ratio_config.as_ref().map(serde_json::to_string).transpose().map_err(json_err)?;
            Ok(q.bind(b.id.to_string())
                .bind(b.account_id.to_string())
                .bind(b.game_id.to_string())
                .bind(b.name.as_str())
                .bind(b.slug.as_str())
                .bind(b.short_code.as_str())
                .bind(b.description.as_ref().map(|t| t.as_str()))
                .bind(b.icon.as_ref().map(|t| t.as_str()))
                .bind(b.unit.as_ref().map(|t| t.as_str()))
                .bind(tags)
                .bind(b.board_type.as_str())
                .bind(b.sort_direction.as_str())
                .bind(b.keep_strategy.as_str())
                .bind(b.is_active)
                .bind(b.is_published)
                .bind(b.starts_at.map(to_micros))
                .bind(b.ends_at.map(to_micros))
                .bind(b.unique_player_names)
                .bind(b.min_value)
                .bind(b.max_value)
                .bind(ratio_config)
                .bind(to_micros(b.created_at))
                .bind(to_micros(b.updated_at))
                .bind(b.deleted_at.map(to_micros))
                .bind(b.template_id.map(|t| t.to_string()))
                .bind(b.series)
                .bind(b.period_start.map(to_micros)))
        }

        #[async_trait::async_trait]
        impl podium_core::store::BoardStore for $store {
            async fn insert_board(&self, b: &podium_core::model::Board) -> podium_core::store::StoreResult<()> {
                let q = sqlx::query(concat!(
                    "INSERT INTO boards (", $crate::board_cols!(), ") VALUES ",
                    "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27)"
                ));
                bind_board(q, b)?.execute(&self.pool).await.map_err($crate::sql::map_err)?;
                Ok(())
            }

            async fn get_board(&self, id: podium_core::id::BoardId) -> podium_core::store::StoreResult<Option<podium_core::model::Board>> {
                $crate::sql::fetch_optional!(&self.pool, concat!("SELECT ", $crate::board_cols!(), " FROM boards WHERE id = $1 AND deleted_at IS NULL"), board_from_row, id.to_string())
            }

            async fn update_board(&self, b: &podium_core::model::Board) -> podium_core::store::StoreResult<()> {
                let q = sqlx::query(concat!(
                    "UPDATE boards SET account_id = $2, game_id = $3, name = $4, slug = $5, short_code = $6, description = $7, ",
                    "icon = $8, unit = $9, tags = $10, board_type = $11, sort_direction = $12, keep_strategy = $13, is_active = $14, ",
                    "is_published = $15, starts_at = $16, ends_at = $17, unique_player_names = $18, min_value = $19, max_value = $20, ",
                    "ratio_config = $21, created_at = $22, updated_at = $23, deleted_at = $24, template_id = $25, series = $26, ",
                    "period_start = $27 WHERE id = $1 AND deleted_at IS NULL"
                ));
                let done = bind_board(q, b)?.execute(&self.pool).await.map_err($crate::sql::map_err)?;
                $crate::sql::one_row_updated(done.rows_affected())
            }

            async fn list_boards(&self, filter: &podium_core::store::BoardFilter, page: &podium_core::page::PageRequest) -> podium_core::store::StoreResult<Vec<podium_core::model::Board>> {
                let mut qb = sqlx::QueryBuilder::<$db>::new(concat!("SELECT ", $crate::board_cols!(), " FROM boards WHERE deleted_at IS NULL"));
                qb.push(" AND account_id = ").push_bind(filter.account_id.to_string());
                if let Some(game) = filter.game_id {
                    qb.push(" AND game_id = ").push_bind(game.to_string());
                }
                if let Some(slug) = &filter.slug {
                    qb.push(" AND slug = ").push_bind(slug.clone());
                }
                if let Some(code) = &filter.code {
                    qb.push(" AND short_code = ").push_bind(code.clone());
                }
                if let Some(published) = filter.is_published {
                    qb.push(" AND is_published = ").push_bind(published);
                }
                if let Some(active) = filter.is_active {
                    qb.push(" AND is_active = ").push_bind(active);
                }
                if let Some(template) = filter.template_id {
                    qb.push(" AND template_id = ").push_bind(template.to_string());
                }
                if let Some(tag) = &filter.tag {
                    // Tags are stored as a JSON array of strings: one of them equal to `tag`.
                    qb.push(if $name == "postgres" {
                        " AND jsonb_exists(tags::jsonb, "
                    } else {
                        " AND EXISTS (SELECT 1 FROM json_each(boards.tags) WHERE json_each.value = "
                    });
                    qb.push_bind(tag.clone()).push(")");
                }
                $crate::sql::fetch_page!(&self.pool, qb, page, board_from_row)
            }
        }
    };
}
pub(crate) use impl_board_store;
