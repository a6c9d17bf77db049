//! API keys table, and the one-read join that authenticates a key.

#[doc(hidden)]
#[macro_export]
macro_rules! api_key_cols {
    ($p:literal) => {
        concat!(
            $p,
            "id, ",
            $p,
            "account_id, ",
            $p,
            "user_id, ",
            $p,
            "name, ",
            $p,
            "prefix, ",
            $p,
            "key_hash, ",
            $p,
            "status, ",
            $p,
            "expires_at, ",
            $p,
            "last_used_at, ",
            $p,
            "created_at, ",
            $p,
            "updated_at, ",
            $p,
            "deleted_at"
        )
    };
}

/// Number of columns in `api_key_cols!`.
pub(crate) const API_KEY_COLS: usize = 12;

macro_rules! impl_api_key_store {
    ($store:ty, $db:ty) => {
        pub(crate) fn api_key_from_row(row: &<$db as sqlx::Database>::Row, at: usize) -> podium_core::store::StoreResult<podium_core::model::ApiKey> {
            use podium_core::model::*;
            use podium_core::time::from_micros;
            use sqlx::Row;
            use $crate::sql::{corrupt, map_err};
            let id: String = row.try_get(at).map_err(map_err)?;
            let account_id: String = row.try_get(at + 1).map_err(map_err)?;
            let user_id: String = row.try_get(at + 2).map_err(map_err)?;
            let status: String = row.try_get(at + 6).map_err(map_err)?;
            let expires_at: Option<i64> = row.try_get(at + 7).map_err(map_err)?;
            let last_used_at: Option<i64> = row.try_get(at + 8).map_err(map_err)?;
            let deleted_at: Option<i64> = row.try_get(at + 11).map_err(map_err)?;
            Ok(ApiKey {
                id: id.parse().map_err(|_| corrupt("api key id"))?,
                account_id: account_id.parse().map_err(|_| corrupt("account id"))?,
                user_id: user_id.parse().map_err(|_| corrupt("user id"))?,
                name: Name::from_trusted(row.try_get(at + 3).map_err(map_err)?),
                prefix: row.try_get(at + 4).map_err(map_err)?,
                key_hash: row.try_get(at + 5).map_err(map_err)?,
                status: ApiKeyStatus::parse(&status).ok_or_else(|| corrupt("api key status"))?,
                expires_at: expires_at.map(from_micros),
                last_used_at: last_used_at.map(from_micros),
                created_at: from_micros(row.try_get(at + 9).map_err(map_err)?),
                updated_at: from_micros(row.try_get(at + 10).map_err(map_err)?),
                deleted_at: deleted_at.map(from_micros),
            })
        }

        pub(crate) fn bind_api_key<'q>(
            q: sqlx::query::Query<'q, $db, <$db as sqlx::Database>::Arguments>,
            k: &'q podium_core::model::ApiKey,
        ) -> sqlx::query::Query<'q, $db, <$db as sqlx::Database>::Arguments> {
            use podium_core::time::to_micros;
            q.bind(k.id.to_string())
                .bind(k.account_id.to_string())
                .bind(k.user_id.to_string())
                .bind(k.name.as_str())
                .bind(k.prefix.as_str())
                .bind(k.key_hash.as_str())
                .bind(k.status.as_str())
                .bind(k.expires_at.map(to_micros))
                .bind(k.last_used_at.map(to_micros))
                .bind(to_micros(k.created_at))
                .bind(to_micros(k.updated_at))
                .bind(k.deleted_at.map(to_micros))
        }

        const INSERT_API_KEY: &str = concat!("INSERT INTO api_keys (", $crate::api_key_cols!(""), ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)");

        #[async_trait::async_trait]
        impl podium_core::store::ApiKeyStore for $store {
            async fn insert_api_key(&self, k: &podium_core::model::ApiKey) -> podium_core::store::StoreResult<()> {
                bind_api_key(sqlx::query(INSERT_API_KEY), k).execute(&self.pool).await.map_err($crate::sql::map_err)?;
                Ok(())
            }

            async fn get_api_key(&self, id: podium_core::id::ApiKeyId) -> podium_core::store::StoreResult<Option<podium_core::model::ApiKey>> {
                $crate::sql::fetch_optional!(&self.pool, concat!("SELECT ", $crate::api_key_cols!(""), " FROM api_keys WHERE id = $1 AND deleted_at IS NULL"), |r| api_key_from_row(r, 0), id.to_string())
            }

            async fn update_api_key(&self, k: &podium_core::model::ApiKey) -> podium_core::store::StoreResult<()> {
                let q = sqlx::query("UPDATE api_keys SET account_id = $2, user_id = $3, name = $4, prefix = $5, key_hash = $6, status = $7, expires_at = $8, last_used_at = $9, created_at = $10, updated_at = $11, deleted_at = $12 WHERE id = $1 AND deleted_at IS NULL");
                let done = bind_api_key(q, k).execute(&self.pool).await.map_err($crate::sql::map_err)?;
                $crate::sql::one_row_updated(done.rows_affected())
            }

            async fn list_api_keys(&self, filter: &podium_core::store::ApiKeyFilter, page: &podium_core::page::PageRequest) -> podium_core::store::StoreResult<Vec<podium_core::model::ApiKey>> {
                let mut qb = sqlx::QueryBuilder::<$db>::new(concat!("SELECT ", $crate::api_key_cols!(""), " FROM api_keys WHERE deleted_at IS NULL"));
                qb.push(" AND account_id = ").push_bind(filter.account_id.to_string());
                if let Some(user) = filter.user_id {
                    qb.push(" AND user_id = ").push_bind(user.to_string());
                }
                if let Some(status) = filter.status {
                    qb.push(" AND status = ").push_bind(status.as_str().to_owned());
                }
                $crate::sql::fetch_page!(&self.pool, qb, page, |r| api_key_from_row(r, 0))
            }

            async fn find_key_grant(&self, key_hash: &str) -> podium_core::store::StoreResult<Option<podium_core::store::KeyGrant>> {
                use $crate::sql::admin::api_keys::API_KEY_COLS;
                use $crate::sql::admin::users::USER_COLS;
                let row = sqlx::query(concat!(
                    "SELECT ", $crate::api_key_cols!("k."), ", ", $crate::user_cols!("u."), ", ",
                    $crate::account_cols!("a."),
                    " FROM api_keys k JOIN users u ON u.id = k.user_id JOIN accounts a ON a.id = k.account_id",
                    " WHERE k.key_hash = $1 AND k.deleted_at IS NULL AND u.deleted_at IS NULL AND a.deleted_at IS NULL"
                ))
                .bind(key_hash)
                .fetch_optional(&self.pool)
                .await
                .map_err($crate::sql::map_err)?;
                let Some(row) = row else { return Ok(None) };
                Ok(Some(podium_core::store::KeyGrant {
                    key: api_key_from_row(&row, 0)?,
                    user: user_from_row(&row, API_KEY_COLS)?,
                    account: account_from_row(&row, API_KEY_COLS + USER_COLS)?,
                }))
            }

            async fn touch_api_keys(&self, uses: &[(podium_core::id::ApiKeyId, podium_core::time::Timestamp)]) -> podium_core::store::StoreResult<()> {
                let mut tx = self.pool.begin().await.map_err($crate::sql::map_err)?;
                for (id, at) in uses {
                    sqlx::query("UPDATE api_keys SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2)")
                        .bind(id.to_string())
                        .bind(podium_core::time::to_micros(*at))
                        .execute(&mut *tx)
                        .await
                        .map_err($crate::sql::map_err)?;
                }
                tx.commit().await.map_err($crate::sql::map_err)
            }

            async fn insert_account_user_key(
                &self,
                account: &podium_core::model::Account,
                user: &podium_core::model::User,
                key: &podium_core::model::ApiKey,
            ) -> podium_core::store::StoreResult<()> {
                let mut tx = self.pool.begin().await.map_err($crate::sql::map_err)?;
                bind_account(sqlx::query(INSERT_ACCOUNT), account).execute(&mut *tx).await.map_err($crate::sql::map_err)?;
                bind_user(sqlx::query(INSERT_USER), user).execute(&mut *tx).await.map_err($crate::sql::map_err)?;
                bind_api_key(sqlx::query(INSERT_API_KEY), key).execute(&mut *tx).await.map_err($crate::sql::map_err)?;
                tx.commit().await.map_err($crate::sql::map_err)
            }
        }
    };
}
pub(crate) use impl_api_key_store;
