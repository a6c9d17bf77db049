//! `community_members` and `community_tokens` (and, when an account is deleted, its
//! `community_modships` and `community_participations`, with the statuses of its runs).

#[doc(hidden)]
#[macro_export]
macro_rules! member_cols {
    () => {
        "m.id, m.name, m.email, m.about, m.admin, m.created_at, m.updated_at, m.deleted_at"
    };
}

macro_rules! impl_member_store {
    ($store:ty, $db:ty, $begin:literal, $for_update:literal) => {
        pub(crate) fn member_from_row(
            row: &<$db as sqlx::Database>::Row,
        ) -> podium_core::store::StoreResult<podium_core::model::community::Member> {
            use podium_core::model::community::{Member, MemberName};
            use podium_core::model::{Email, Text};
            use sqlx::Row;
            use $crate::sql::{corrupt, map_err};
            let id: String = row.try_get(0).map_err(map_err)?;
            let deleted_at: Option<i64> = row.try_get(7).map_err(map_err)?;
            Ok(Member {
                id: id.parse().map_err(|_| corrupt("member id"))?,
                name: MemberName::from_trusted(row.try_get(1).map_err(map_err)?),
                email: Email::from_trusted(row.try_get(2).map_err(map_err)?),
                about: Text::from_trusted(row.try_get(3).map_err(map_err)?),
                admin: row.try_get(4).map_err(map_err)?,
                created_at: podium_core::time::from_micros(row.try_get(5).map_err(map_err)?),
                updated_at: podium_core::time::from_micros(row.try_get(6).map_err(map_err)?),
                deleted_at: deleted_at.map(podium_core::time::from_micros),
            })
        }

        #[async_trait::async_trait]
        impl podium_core::store::MemberStore for $store {
            async fn insert_member(
                &self,
                m: &podium_core::model::community::Member,
                password_hash: &str,
            ) -> podium_core::store::StoreResult<()> {
                use podium_core::time::to_micros;
                sqlx::query(
                    "INSERT INTO community_members (id, name, name_key, email, password_hash, about, admin, created_at, updated_at, deleted_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(m.id.to_string())
                .bind(m.name.as_str())
                .bind(m.name.key())
                .bind(m.email.as_str())
                .bind(password_hash)
                .bind(m.about.as_str())
                .bind(m.admin)
                .bind(to_micros(m.created_at))
                .bind(to_micros(m.updated_at))
                .bind(m.deleted_at.map(to_micros))
                .execute(&self.pool)
                .await
                .map_err($crate::sql::map_err)?;
                Ok(())
            }

            async fn get_member(
                &self,
                id: podium_core::id::MemberId,
            ) -> podium_core::store::StoreResult<Option<podium_core::model::community::Member>> {
                $crate::sql::fetch_optional!(
                    &self.pool,
                    concat!("SELECT ", $crate::member_cols!(), " FROM community_members m WHERE m.id = $1 AND m.deleted_at IS NULL"),
                    member_from_row,
                    id.to_string()
                )
            }

            async fn member_by_name(
                &self,
                name_key: &str,
            ) -> podium_core::store::StoreResult<Option<podium_core::model::community::Member>> {
                $crate::sql::fetch_optional!(
                    &self.pool,
                    concat!("SELECT ", $crate::member_cols!(), " FROM community_members m WHERE m.name_key = $1 AND m.deleted_at IS NULL"),
                    member_from_row,
                    name_key
                )
            }

            async fn member_login(
                &self,
                key: &str,
            ) -> podium_core::store::StoreResult<Option<podium_core::store::MemberLogin>> {
                use sqlx::Row;
                let decode = |r: &<$db as sqlx::Database>::Row| -> podium_core::store::StoreResult<podium_core::store::MemberLogin> {
                    Ok(podium_core::store::MemberLogin {
                        member: member_from_row(r)?,
                        password_hash: r.try_get(8).map_err($crate::sql::map_err)?,
                    })
                };
                $crate::sql::fetch_optional!(
                    &self.pool,
                    concat!(
                        "SELECT ", $crate::member_cols!(), ", m.password_hash FROM community_members m \
                         WHERE (m.name_key = $1 OR m.email = $1) AND m.deleted_at IS NULL"
                    ),
                    decode,
                    key
                )
            }

            async fn set_member_about(
                &self,
                id: podium_core::id::MemberId,
                about: &str,
                at: chrono::DateTime<chrono::Utc>,
            ) -> podium_core::store::StoreResult<()> {
                let done = sqlx::query("UPDATE community_members SET about = $2, updated_at = $3 WHERE id = $1 AND deleted_at IS NULL")
                    .bind(id.to_string())
                    .bind(about)
                    .bind(podium_core::time::to_micros(at))
                    .execute(&self.pool)
                    .await
                    .map_err($crate::sql::map_err)?;
                $crate::sql::one_row_updated(done.rows_affected())
            }

            async fn set_member_admin(
                &self,
                id: podium_core::id::MemberId,
                admin: bool,
                at: chrono::DateTime<chrono::Utc>,
            ) -> podium_core::store::StoreResult<()> {
                let done = sqlx::query("UPDATE community_members SET admin = $2, updated_at = $3 WHERE id = $1 AND deleted_at IS NULL")
                    .bind(id.to_string())
                    .bind(admin)
                    .bind(podium_core::time::to_micros(at))
                    .execute(&self.pool)
                    .await
                    .map_err($crate::sql::map_err)?;
                $crate::sql::one_row_updated(done.rows_affected())
            }

            async fn delete_member(
                &self,
                id: podium_core::id::MemberId,
                at: chrono::DateTime<chrono::Utc>,
            ) -> podium_core::store::StoreResult<Vec<podium_core::id::RunId>> {
                use sqlx::Row;
                let at = podium_core::time::to_micros(at);
                let member = id.to_string();
                let mut tx = self.pool.begin_with($begin).await.map_err($crate::sql::map_err)?;
                let done = sqlx::query(
                    "UPDATE community_members SET deleted_at = $2, updated_at = $2 WHERE id = $1 AND deleted_at IS NULL",
                )
                .bind(&member)
                .bind(at)
                .execute(&mut *tx)
                .await
                .map_err($crate::sql::map_err)?;
                $crate::sql::one_row_updated(done.rows_affected())?;
                // The member's runs are locked (in id order, as a ban locks them) before their
                // statuses are re-derived.
                let rows = sqlx::query(concat!(
                    "SELECT id FROM community_runs WHERE id IN (SELECT run_id FROM community_run_runners WHERE member_id = $1) ORDER BY id",
                    $for_update
                ))
                    .bind(&member)
                    .fetch_all(&mut *tx)
                    .await
                    .map_err($crate::sql::map_err)?;
                for sql in [
                    "DELETE FROM community_tokens WHERE member_id = $1",
                    "DELETE FROM community_modships WHERE member_id = $1",
                    "DELETE FROM community_participations WHERE member_id = $1",
                ] {
                    sqlx::query(sql).bind(&member).execute(&mut *tx).await.map_err($crate::sql::map_err)?;
                }
                let mut runs = Vec::with_capacity(rows.len());
                for row in &rows {
                    let run: String = row.try_get(0).map_err($crate::sql::map_err)?;
                    set_run_status(&mut tx, &run, at).await?;
                    runs.push(run.parse().map_err(|_| $crate::sql::corrupt("run id"))?);
                }
                tx.commit().await.map_err($crate::sql::map_err)?;
                Ok(runs)
            }

            async fn insert_member_token(&self, t: &podium_core::store::MemberToken) -> podium_core::store::StoreResult<()> {
                use podium_core::time::to_micros;
                sqlx::query("INSERT INTO community_tokens (hash, member_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
                    .bind(&t.hash)
                    .bind(t.member_id.to_string())
                    .bind(to_micros(t.created_at))
                    .bind(to_micros(t.expires_at))
                    .execute(&self.pool)
                    .await
                    .map_err($crate::sql::map_err)?;
                Ok(())
            }

            async fn member_by_token(
                &self,
                hash: &str,
                now: chrono::DateTime<chrono::Utc>,
            ) -> podium_core::store::StoreResult<Option<(podium_core::model::community::Member, chrono::DateTime<chrono::Utc>)>> {
                $crate::sql::fetch_optional!(
                    &self.pool,
                    concat!(
                        "SELECT ", $crate::member_cols!(), ", t.expires_at FROM community_tokens t JOIN community_members m ON m.id = t.member_id \
                         WHERE t.hash = $1 AND t.expires_at > $2 AND m.deleted_at IS NULL"
                    ),
                    |row: &<$db as sqlx::Database>::Row| -> podium_core::store::StoreResult<_> {
                        use sqlx::Row;
                        let expires_at: i64 = row.try_get(8).map_err($crate::sql::map_err)?;
                        Ok((member_from_row(row)?, podium_core::time::from_micros(expires_at)))
                    },
                    hash,
                    podium_core::time::to_micros(now)
                )
            }

            async fn delete_member_token(&self, hash: &str) -> podium_core::store::StoreResult<()> {
                sqlx::query("DELETE FROM community_tokens WHERE hash = $1")
                    .bind(hash)
                    .execute(&self.pool)
                    .await
                    .map_err($crate::sql::map_err)?;
                Ok(())
            }
        }
    };
}
pub(crate) use impl_member_store;
