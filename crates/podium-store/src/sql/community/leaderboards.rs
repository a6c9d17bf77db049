//! `community_leaderboards` and `community_modships`.

#[doc(hidden)]
#[macro_export]
macro_rules! leaderboard_cols {
    () => {
        "l.id, l.name, l.slug, l.rules, l.created_at, l.updated_at"
    };
}

macro_rules! impl_leaderboard_store {
    ($store:ty, $db:ty) => {
        pub(crate) fn leaderboard_from_row(
            row: &<$db as sqlx::Database>::Row,
        ) -> podium_core::store::StoreResult<podium_core::model::community::Leaderboard> {
            use podium_core::model::{Name, Slug, Text};
            use sqlx::Row;
            use $crate::sql::{corrupt, map_err};
            let id: String = row.try_get(0).map_err(map_err)?;
            Ok(podium_core::model::community::Leaderboard {
                id: id.parse().map_err(|_| corrupt("leaderboard id"))?,
                name: Name::from_trusted(row.try_get(1).map_err(map_err)?),
                slug: Slug::from_trusted(row.try_get(2).map_err(map_err)?),
                rules: Text::from_trusted(row.try_get(3).map_err(map_err)?),
                created_at: podium_core::time::from_micros(row.try_get(4).map_err(map_err)?),
                updated_at: podium_core::time::from_micros(row.try_get(5).map_err(map_err)?),
            })
        }

        pub(crate) fn modship_from_row(
            row: &<$db as sqlx::Database>::Row,
        ) -> podium_core::store::StoreResult<podium_core::model::community::Modship> {
            use sqlx::Row;
            use $crate::sql::{corrupt, map_err};
            let id: String = row.try_get(0).map_err(map_err)?;
            let member: String = row.try_get(1).map_err(map_err)?;
            let leaderboard: String = row.try_get(2).map_err(map_err)?;
            Ok(podium_core::model::community::Modship {
                id: id.parse().map_err(|_| corrupt("modship id"))?,
                user_id: member.parse().map_err(|_| corrupt("member id"))?,
                leaderboard_id: leaderboard.parse().map_err(|_| corrupt("leaderboard id"))?,
                created_at: podium_core::time::from_micros(row.try_get(3).map_err(map_err)?),
            })
        }

        #[async_trait::async_trait]
        impl podium_core::store::LeaderboardStore for $store {
            async fn insert_leaderboard(
                &self,
                l: &podium_core::model::community::Leaderboard,
            ) -> podium_core::store::StoreResult<()> {
                use podium_core::time::to_micros;
                sqlx::query(
                    "INSERT INTO community_leaderboards (id, name, slug, rules, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(l.id.to_string())
                .bind(l.name.as_str())
                .bind(l.slug.as_str())
                .bind(l.rules.as_str())
                .bind(to_micros(l.created_at))
                .bind(to_micros(l.updated_at))
                .execute(&self.pool)
                .await
                .map_err($crate::sql::map_err)?;
                Ok(())
            }

            async fn get_leaderboard(
                &self,
                id: podium_core::id::LeaderboardId,
            ) -> podium_core::store::StoreResult<Option<podium_core::model::community::Leaderboard>> {
                $crate::sql::fetch_optional!(
                    &self.pool,
                    concat!("SELECT ", $crate::leaderboard_cols!(), " FROM community_leaderboards l WHERE l.id = $1"),
                    leaderboard_from_row,
                    id.to_string()
                )
            }

            async fn leaderboard_by_slug(
                &self,
                slug: &str,
            ) -> podium_core::store::StoreResult<Option<podium_core::model::community::Leaderboard>> {
                $crate::sql::fetch_optional!(
                    &self.pool,
                    concat!("SELECT ", $crate::leaderboard_cols!(), " FROM community_leaderboards l WHERE l.slug = $1"),
                    leaderboard_from_row,
                    slug
                )
            }

            async fn update_leaderboard(
                &self,
                l: &podium_core::model::community::Leaderboard,
                read_at: chrono::DateTime<chrono::Utc>,
            ) -> podium_core::store::StoreResult<()> {
                let done = sqlx::query(
                    "UPDATE community_leaderboards SET name = $2, slug = $3, rules = $4, updated_at = $5 WHERE id = $1 AND updated_at = $6",
                )
                    .bind(l.id.to_string())
                    .bind(l.name.as_str())
                    .bind(l.slug.as_str())
                    .bind(l.rules.as_str())
                    .bind(podium_core::time::to_micros(l.updated_at))
                    .bind(podium_core::time::to_micros(read_at))
                    .execute(&self.pool)
                    .await
                    .map_err($crate::sql::map_err)?;
                if done.rows_affected() == 0 {
                    return Err(match self.get_leaderboard(l.id).await? {
                        Some(_) => podium_core::store::StoreError::Conflict { constraint: "stale".to_owned() },
                        None => podium_core::store::StoreError::NotFound,
                    });
                }
                Ok(())
            }

            async fn list_leaderboards(
                &self,
                page: &podium_core::page::PageRequest,
            ) -> podium_core::store::StoreResult<Vec<podium_core::model::community::Leaderboard>> {
                let mut qb = sqlx::QueryBuilder::<$db>::new(
                    "SELECT id, name, slug, rules, created_at, updated_at FROM community_leaderboards WHERE 1 = 1",
                );
                $crate::sql::fetch_page!(&self.pool, qb, page, leaderboard_from_row)
            }

            async fn insert_modship(&self, m: &podium_core::model::community::Modship) -> podium_core::store::StoreResult<()> {
                sqlx::query("INSERT INTO community_modships (id, member_id, leaderboard_id, created_at) VALUES ($1, $2, $3, $4)")
                    .bind(m.id.to_string())
                    .bind(m.user_id.to_string())
                    .bind(m.leaderboard_id.to_string())
                    .bind(podium_core::time::to_micros(m.created_at))
                    .execute(&self.pool)
                    .await
                    .map_err($crate::sql::map_err)?;
                Ok(())
            }

            async fn get_modship(
                &self,
                id: podium_core::id::ModshipId,
            ) -> podium_core::store::StoreResult<Option<podium_core::model::community::Modship>> {
                $crate::sql::fetch_optional!(
                    &self.pool,
                    "SELECT id, member_id, leaderboard_id, created_at FROM community_modships WHERE id = $1",
                    modship_from_row,
                    id.to_string()
                )
            }

            async fn modship_of(
                &self,
                member: podium_core::id::MemberId,
                leaderboard: podium_core::id::LeaderboardId,
            ) -> podium_core::store::StoreResult<Option<podium_core::model::community::Modship>> {
                $crate::sql::fetch_optional!(
                    &self.pool,
                    "SELECT id, member_id, leaderboard_id, created_at FROM community_modships WHERE member_id = $1 AND leaderboard_id = $2",
                    modship_from_row,
                    member.to_string(),
                    leaderboard.to_string()
                )
            }

            async fn delete_modship(&self, id: podium_core::id::ModshipId) -> podium_core::store::StoreResult<()> {
                let done = sqlx::query("DELETE FROM community_modships WHERE id = $1")
                    .bind(id.to_string())
                    .execute(&self.pool)
                    .await
                    .map_err($crate::sql::map_err)?;
                $crate::sql::one_row_updated(done.rows_affected())
            }

            async fn moderators_of(
                &self,
                leaderboard: podium_core::id::LeaderboardId,
            ) -> podium_core::store::StoreResult<Vec<podium_core::model::community::Member>> {
                let rows = sqlx::query(concat!(
                    "SELECT ", $crate::member_cols!(), " FROM community_modships x JOIN community_members m ON m.id = x.member_id \
                     WHERE x.leaderboard_id = $1 AND m.deleted_at IS NULL ORDER BY x.created_at, x.id"
                ))
                .bind(leaderboard.to_string())
                .fetch_all(&self.pool)
                .await
                .map_err($crate::sql::map_err)?;
                rows.iter().map(member_from_row).collect()
            }

            async fn moderated_by(
                &self,
                member: podium_core::id::MemberId,
            ) -> podium_core::store::StoreResult<Vec<podium_core::model::community::Leaderboard>> {
                let rows = sqlx::query(concat!(
                    "SELECT ", $crate::leaderboard_cols!(), " FROM community_modships x JOIN community_leaderboards l ON l.id = x.leaderboard_id \
                     WHERE x.member_id = $1 ORDER BY x.created_at, x.id"
                ))
                .bind(member.to_string())
                .fetch_all(&self.pool)
                .await
                .map_err($crate::sql::map_err)?;
                rows.iter().map(leaderboard_from_row).collect()
            }
        }
    };
}
pub(crate) use impl_leaderboard_store;
