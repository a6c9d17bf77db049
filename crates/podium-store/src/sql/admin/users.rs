//! Users table.

#[doc(hidden)]
#[macro_export]
macro_rules! user_cols {
    ($p:literal) => {
        concat!(
            $p,
            "id, ",
            $p,
            "account_id, ",
            $p,
            "email, ",
            $p,
            "display_name, ",
            $p,
            "super_admin, ",
            $p,
            "created_at, ",
            $p,
            "updated_at, ",
            $p,
            "deleted_at"
        )
    };
}

/// Number of columns in `user_cols!`.
pub(crate) const USER_COLS: usize = 8;

macro_rules! impl_user_store {
    ($store:ty, $db:ty) => {
        pub(crate) fn user_from_row(row: &<$db as sqlx::Database>::Row, at: usize) -> podium_core::store::StoreResult<podium_core::model::User> {
            use podium_core::model::*;
            use sqlx::Row;
            use $crate::sql::{corrupt, map_err};
            let id: String = row.try_get(at).map_err(map_err)?;
            let account_id: String = row.try_get(at + 1).map_err(map_err)?;
            let deleted_at: Option<i64> = row.try_get(at + 7).map_err(map_err)?;
            Ok(User {
                id: id.parse().map_err(|_| corrupt("user id"))?,
                account_id: account_id.parse().map_err(|_| corrupt("account id"))?,
                email: Email::from_trusted(row.try_get(at + 2).map_err(map_err)?),
                display_name: Name::from_trusted(row.try_get(at + 3).map_err(map_err)?),
                super_admin: row.try_get(at + 4).map_err(map_err)?,
                created_at: podium_core::time::from_micros(row.try_get(at + 5).map_err(map_err)?),
                updated_at: podium_core::time::from_micros(row.try_get(at + 6).map_err(map_err)?),
                deleted_at: deleted_at.map(podium_core::time::from_micros),
            })
        }

        pub(crate) fn bind_user<'q>(
            q: sqlx::query::Query<'q, $db, <$db as sqlx::Database>::Arguments>,
            u: &'q podium_core::model::User,
        ) -> sqlx::query::Query<'q, $db, <$db as sqlx::Database>::Arguments> {
            use podium_core::time::to_micros;
            q.bind(u.id.to_string())
                .bind(u.account_id.to_string())
                .bind(u.email.as_str())
                .bind(u.display_name.as_str())
                .bind(u.super_admin)
                .bind(to_micros(u.created_at))
                .bind(to_micros(u.updated_at))
                .bind(u.deleted_at.map(to_micros))
        }

        const INSERT_USER: &str = concat!("INSERT INTO users (", $crate::user_cols!(""), ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)");

        #[async_trait::async_trait]
        impl podium_core::store::UserStore for $store {
            async fn insert_user(&self, u: &podium_core::model::User) -> podium_core::store::StoreResult<()> {
                bind_user(sqlx::query(INSERT_USER), u).execute(&self.pool).await.map_err($crate::sql::map_err)?;
                Ok(())
            }

            async fn get_user(&self, id: podium_core::id::UserId) -> podium_core::store::StoreResult<Option<podium_core::model::User>> {
                $crate::sql::fetch_optional!(&self.pool, concat!("SELECT ", $crate::user_cols!(""), " FROM users WHERE id = $1 AND deleted_at IS NULL"), |r| user_from_row(r, 0), id.to_string())
            }

            async fn update_user(&self, u: &podium_core::model::User) -> podium_core::store::StoreResult<()> {
                let q = sqlx::query("UPDATE users SET account_id = $2, email = $3, display_name = $4, super_admin = $5, created_at = $6, updated_at = $7, deleted_at = $8 WHERE id = $1 AND deleted_at IS NULL");
                let done = bind_user(q, u).execute(&self.pool).await.map_err($crate::sql::map_err)?;
                $crate::sql::one_row_updated(done.rows_affected())
            }

            async fn list_users(&self, filter: &podium_core::store::UserFilter, page: &podium_core::page::PageRequest) -> podium_core::store::StoreResult<Vec<podium_core::model::User>> {
                let mut qb = sqlx::QueryBuilder::<$db>::new(concat!("SELECT ", $crate::user_cols!(""), " FROM users WHERE deleted_at IS NULL"));
                qb.push(" AND account_id = ").push_bind(filter.account_id.to_string());
                $crate::sql::fetch_page!(&self.pool, qb, page, |r| user_from_row(r, 0))
            }

            async fn first_super_admin(&self) -> podium_core::store::StoreResult<Option<podium_core::model::User>> {
                let row = sqlx::query(concat!(
                    "SELECT ", $crate::user_cols!("u."),
                    " FROM users u JOIN accounts a ON a.id = u.account_id",
                    " WHERE u.super_admin = TRUE AND u.deleted_at IS NULL AND a.deleted_at IS NULL",
                    " ORDER BY u.created_at, u.id LIMIT 1"
                ))
                .fetch_optional(&self.pool)
                .await
                .map_err($crate::sql::map_err)?;
                row.map(|r| user_from_row(&r, 0)).transpose()
            }
        }
    };
}
pub(crate) use impl_user_store;
