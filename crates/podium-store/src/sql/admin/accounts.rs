//! Accounts table.

#[doc(hidden)]
#[macro_export]
macro_rules! account_cols {
    ($p:literal) => {
        concat!(
            $p,
            "id, ",
            $p,
            "name, ",
            $p,
            "slug, ",
            $p,
            "status, ",
            $p,
            "created_at, ",
            $p,
            "updated_at, ",
            $p,
            "deleted_at"
        )
    };
}

macro_rules! impl_account_store {
    ($store:ty, $db:ty) => {
        pub(crate) fn account_from_row(row: &<$db as sqlx::Database>::Row, at: usize) -> podium_core::store::StoreResult<podium_core::model::Account> {
            use podium_core::model::*;
            use sqlx::Row;
            use $crate::sql::{corrupt, map_err};
            let id: String = row.try_get(at).map_err(map_err)?;
            let name: String = row.try_get(at + 1).map_err(map_err)?;
            let slug: String = row.try_get(at + 2).map_err(map_err)?;
            let status: String = row.try_get(at + 3).map_err(map_err)?;
            let deleted_at: Option<i64> = row.try_get(at + 6).map_err(map_err)?;
            Ok(Account {
                id: id.parse().map_err(|_| corrupt("account id"))?,
                name: Name::from_trusted(name),
                slug: Slug::from_trusted(slug),
                status: AccountStatus::parse(&status).ok_or_else(|| corrupt("account status"))?,
                created_at: podium_core::time::from_micros(row.try_get(at + 4).map_err(map_err)?),
                updated_at: podium_core::time::from_micros(row.try_get(at + 5).map_err(map_err)?),
                deleted_at: deleted_at.map(podium_core::time::from_micros),
            })
        }

        pub(crate) fn bind_account<'q>(
            q: sqlx::query::Query<'q, $db, <$db as sqlx::Database>::Arguments>,
            a: &'q podium_core::model::Account,
        ) -> sqlx::query::Query<'q, $db, <$db as sqlx::Database>::Arguments> {
            use podium_core::time::to_micros;
            q.bind(a.id.to_string())
                .bind(a.name.as_str())
                .bind(a.slug.as_str())
                .bind(a.status.as_str())
                .bind(to_micros(a.created_at))
                .bind(to_micros(a.updated_at))
                .bind(a.deleted_at.map(to_micros))
        }

        const INSERT_ACCOUNT: &str = concat!("INSERT INTO accounts (", $crate::account_cols!(""), ") VALUES ($1, $2, $3, $4, $5, $6, $7)");

        #[async_trait::async_trait]
        impl podium_core::store::AccountStore for $store {
            async fn insert_account(&self, a: &podium_core::model::Account) -> podium_core::store::StoreResult<()> {
                bind_account(sqlx::query(INSERT_ACCOUNT), a).execute(&self.pool).await.map_err($crate::sql::map_err)?;
                Ok(())
            }

            async fn get_account(&self, id: podium_core::id::AccountId) -> podium_core::store::StoreResult<Option<podium_core::model::Account>> {
                $crate::sql::fetch_optional!(&self.pool, concat!("SELECT ", $crate::account_cols!(""), " FROM accounts WHERE id = $1 AND deleted_at IS NULL"), |r| account_from_row(r, 0), id.to_string())
            }

            async fn update_account(&self, a: &podium_core::model::Account) -> podium_core::store::StoreResult<()> {
                let q = sqlx::query("UPDATE accounts SET name = $2, slug = $3, status = $4, created_at = $5, updated_at = $6, deleted_at = $7 WHERE id = $1 AND deleted_at IS NULL");
                let done = bind_account(q, a).execute(&self.pool).await.map_err($crate::sql::map_err)?;
                $crate::sql::one_row_updated(done.rows_affected())
            }

            async fn list_accounts(&self, only: Option<podium_core::id::AccountId>, page: &podium_core::page::PageRequest) -> podium_core::store::StoreResult<Vec<podium_core::model::Account>> {
                let mut qb = sqlx::QueryBuilder::<$db>::new(concat!("SELECT ", $crate::account_cols!(""), " FROM accounts WHERE deleted_at IS NULL"));
                if let Some(id) = only {
                    qb.push(" AND id = ").push_bind(id.to_string());
                }
                $crate::sql::fetch_page!(&self.pool, qb, page, |r| account_from_row(r, 0))
            }
        }
    };
}
pub(crate) use impl_account_store;
