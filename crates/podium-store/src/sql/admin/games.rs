//! Games table. Deleting a game soft-deletes its boards and board templates in the same
//! transaction.

#[doc(hidden)]
#[macro_export]
macro_rules! game_cols {
    () => {
        "id, account_id, name, slug, anti_cheat_enabled, anti_cheat, created_at, updated_at, deleted_at"
    };
}

macro_rules! impl_game_store {
    ($store:ty, $db:ty) => {
        pub(crate) fn game_from_row(row: &<$db as sqlx::Database>::Row) -> podium_core::store::StoreResult<podium_core::model::Game> {
            use podium_core::model::*;
            use podium_core::time::from_micros;
            use sqlx::Row;
            use $crate::sql::{corrupt, map_err};
            let id: String = row.try_get(0).map_err(map_err)?;
            let account_id: String = row.try_get(1).map_err(map_err)?;
            let anti_cheat: String = row.try_get(5).map_err(map_err)?;
            let deleted_at: Option<i64> = row.try_get(8).map_err(map_err)?;
            Ok(Game {
                id: id.parse().map_err(|_| corrupt("game id"))?,
                account_id: account_id.parse().map_err(|_| corrupt("account id"))?,
                name: Name::from_trusted(row.try_get(2).map_err(map_err)?),
                slug: Slug::from_trusted(row.try_get(3).map_err(map_err)?),
                anti_cheat_enabled: row.try_get(4).map_err(map_err)?,
                anti_cheat: serde_json::from_str(&anti_cheat).map_err(|_| corrupt("anti_cheat settings"))?,
                created_at: from_micros(row.try_get(6).map_err(map_err)?),
                updated_at: from_micros(row.try_get(7).map_err(map_err)?),
                deleted_at: deleted_at.map(from_micros),
            })
        }

        pub(crate) fn bind_game<'q>(
            q: sqlx::query::Query<'q, $db, <$db as sqlx::Database>::Arguments>,
            g: &'q podium_core::model::Game,
        ) -> podium_core::store::StoreResult<sqlx::query::Query<'q, $db, <$db as sqlx::Database>::Arguments>> {
            use podium_core::time::to_micros;
            let anti_cheat = serde_json::to_string(&g.anti_cheat).map_err(|e| podium_core::store::StoreError::Backend(e.to_string()))?;
            Ok(q.bind(g.id.to_string())
                .bind(g.account_id.to_string())
                .bind(g.name.as_str())
                .bind(g.slug.as_str())
                .bind(g.anti_cheat_enabled)
                .bind(anti_cheat)
                .bind(to_micros(g.created_at))
                .bind(to_micros(g.updated_at))
                .bind(g.deleted_at.map(to_micros)))
        }

        #[async_trait::async_trait]
        impl podium_core::store::GameStore for $store {
            async fn insert_game(&self, g: &podium_core::model::Game) -> podium_core::store::StoreResult<()> {
                let q = sqlx::query(concat!("INSERT INTO games (", $crate::game_cols!(), ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"));
                bind_game(q, g)?.execute(&self.pool).await.map_err($crate::sql::map_err)?;
                Ok(())
            }

            async fn get_game(&self, id: podium_core::id::GameId) -> podium_core::store::StoreResult<Option<podium_core::model::Game>> {
                $crate::sql::fetch_optional!(&self.pool, concat!("SELECT ", $crate::game_cols!(), " FROM games WHERE id = $1 AND deleted_at IS NULL"), game_from_row, id.to_string())
            }

            async fn update_game(&self, g: &podium_core::model::Game) -> podium_core::store::StoreResult<()> {
                let mut tx = self.pool.begin().await.map_err($crate::sql::map_err)?;
                let q = sqlx::query("UPDATE games SET account_id = $2, name = $3, slug = $4, anti_cheat_enabled = $5, anti_cheat = $6, created_at = $7, updated_at = $8, deleted_at = $9 WHERE id = $1 AND deleted_at IS NULL");
                let done = bind_game(q, g)?.execute(&mut *tx).await.map_err($crate::sql::map_err)?;
                if done.rows_affected() == 0 {
                    return Err(podium_core::store::StoreError::NotFound);
                }
                if let Some(at) = g.deleted_at {
                    sqlx::query("UPDATE boards SET deleted_at = $2, updated_at = $2 WHERE game_id = $1 AND deleted_at IS NULL")
                        .bind(g.id.to_string())
                        .bind(podium_core::time::to_micros(at))
                        .execute(&mut *tx)
                        .await
                        .map_err($crate::sql::map_err)?;
                    // Its templates go with it: nothing stamps boards out into a deleted game.
                    sqlx::query("UPDATE board_templates SET deleted_at = $2, updated_at = $2 WHERE game_id = $1 AND deleted_at IS NULL")
                        .bind(g.id.to_string())
                        .bind(podium_core::time::to_micros(at))
                        .execute(&mut *tx)
                        .await
                        .map_err($crate::sql::map_err)?;
                }
                tx.commit().await.map_err($crate::sql::map_err)
            }

            async fn list_games(&self, filter: &podium_core::store::GameFilter, page: &podium_core::page::PageRequest) -> podium_core::store::StoreResult<Vec<podium_core::model::Game>> {
                let mut qb = sqlx::QueryBuilder::<$db>::new(concat!("SELECT ", $crate::game_cols!(), " FROM games WHERE deleted_at IS NULL"));
                qb.push(" AND account_id = ").push_bind(filter.account_id.to_string());
                $crate::sql::fetch_page!(&self.pool, qb, page, game_from_row)
            }
        }
    };
}
pub(crate) use impl_game_store;
