//! One body of SQL for both backends. The statements use only what SQLite and PostgreSQL
//! share (`$n` placeholders, partial unique indexes, `ON CONFLICT`, integer timestamps, JSON as
//! text), so each resource's implementation is written once as a macro and instantiated for
//! `sqlx::Sqlite` and `sqlx::Postgres` (sqlx's generic bounds would be longer than the code).
//!
//! Rows are decoded by column position; each resource module keeps its column list and its
//! decoder side by side.
//!
//! One folder per surface, as in `podium_core::store`: [`admin`] (accounts, users, API keys,
//! games, boards), `scores` (identities, events, entries, flags), `clients` (devices,
//! sessions, nonces), `community` (members and their tokens), `activity` (policies, judged
//! events, days, sums, history and flags), `changes` (the log that carries each node's
//! committed changes to the others).

pub(crate) mod activity;
pub(crate) mod admin;
pub(crate) mod changes;
mod clients;
mod community;
mod scores;
mod system;

pub(crate) use activity::impl_activity_store;
pub(crate) use admin::{
    impl_account_store, impl_api_key_store, impl_board_store, impl_game_store, impl_template_store, impl_user_store,
};
pub(crate) use changes::impl_change_store;
pub(crate) use clients::{impl_client_store, impl_device_store};
pub(crate) use community::{
    impl_ban_store, impl_category_store, impl_leaderboard_store, impl_member_store, impl_run_store, impl_variable_store,
};
pub(crate) use scores::{
    flag_sort_column, impl_flag_store, impl_score_store, meta_sort_column, read_review_inputs, write_review,
};
pub(crate) use system::impl_system_store;

/// Rows per multi-row INSERT (well under both backends' bind-parameter limits).
pub(crate) const CHUNK: usize = 1000;

use podium_core::page::{Direction, PageRequest, SortValue, Traversal};
use podium_core::store::StoreError;
use sqlx::{Database, Encode, QueryBuilder, Type};

/// Runs a query expected to return at most one row and decodes it:
/// `fetch_optional!(pool, sql, decode, bind, …)`.
macro_rules! fetch_optional {
    ($pool:expr, $sql:expr, $decode:expr, $($bind:expr),+ $(,)?) => {{
        let row = sqlx::query($sql)$(.bind($bind))+.fetch_optional($pool).await.map_err($crate::sql::map_err)?;
        row.map(|r| $decode(&r)).transpose()
    }};
}
pub(crate) use fetch_optional;

/// Finishes an open list query with the page's keyset, order and limit, runs it and decodes
/// the rows: `fetch_page!(pool, query_builder, page, decode)`.
macro_rules! fetch_page {
    ($pool:expr, $qb:ident, $page:expr, $decode:expr) => {{
        $crate::sql::push_page(&mut $qb, $page);
        let rows = $qb.build().fetch_all($pool).await.map_err($crate::sql::map_err)?;
        rows.iter().map($decode).collect()
    }};
}
pub(crate) use fetch_page;

/// [`fetch_page!`] with sort fields mapped to expressions (see [`push_page_of`]):
/// `fetch_page_of!(pool, query_builder, page, decode, column)`.
macro_rules! fetch_page_of {
    ($pool:expr, $qb:ident, $page:expr, $decode:expr, $column:expr) => {{
        $crate::sql::push_page_of(&mut $qb, $page, $column);
        let rows = $qb.build().fetch_all($pool).await.map_err($crate::sql::map_err)?;
        rows.iter().map($decode).collect()
    }};
}
pub(crate) use fetch_page_of;

/// Claims a row for an edit made from a copy read at `read_micros`: bumps its `updated_at` to
/// `at_micros` only if it still has the one read (which also locks the row until the
/// transaction ends). `NotFound` when the row is gone, `Conflict { constraint: "stale" }` when
/// someone changed it meanwhile. `$table` is a literal table name.
macro_rules! claim_row {
    ($tx:expr, $table:literal, $id:expr, $read_micros:expr, $at_micros:expr) => {{
        let done = sqlx::query(concat!("UPDATE ", $table, " SET updated_at = $3 WHERE id = $1 AND updated_at = $2"))
            .bind($id)
            .bind($read_micros)
            .bind($at_micros)
            .execute(&mut *$tx)
            .await
            .map_err($crate::sql::map_err)?;
        if done.rows_affected() == 0 {
            let exists = sqlx::query(concat!("SELECT 1 FROM ", $table, " WHERE id = $1"))
                .bind($id)
                .fetch_optional(&mut *$tx)
                .await
                .map_err($crate::sql::map_err)?;
            return Err(match exists {
                Some(_) => podium_core::store::StoreError::Conflict { constraint: "stale".to_owned() },
                None => podium_core::store::StoreError::NotFound,
            });
        }
    }};
}
pub(crate) use claim_row;

/// Decodes `(id, count)` rows (an id column, then a BIGINT count), naming `what` when an id
/// does not parse.
pub(crate) fn id_counts<R, I>(rows: &[R], what: &str) -> podium_core::store::StoreResult<Vec<(I, u64)>>
where
    R: sqlx::Row,
    I: std::str::FromStr,
    usize: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    rows.iter()
        .map(|row| {
            let id: String = row.try_get(0).map_err(map_err)?;
            let n: i64 = row.try_get(1).map_err(map_err)?;
            Ok((id.parse().map_err(|_| corrupt(what))?, n.max(0) as u64))
        })
        .collect()
}

/// `NotFound` when an update touched no row (the row is missing or soft-deleted).
pub(crate) fn one_row_updated(rows_affected: u64) -> podium_core::store::StoreResult<()> {
    if rows_affected == 0 { Err(StoreError::NotFound) } else { Ok(()) }
}

/// Implements every storage trait for `$store` (which has a `pool` field) on database `$db`.
macro_rules! impl_store {
    ($store:ty, $db:ty, $name:literal, $begin:literal, $for_update:literal) => {
        $crate::sql::impl_account_store!($store, $db);
        $crate::sql::impl_user_store!($store, $db);
        $crate::sql::impl_api_key_store!($store, $db);
        $crate::sql::impl_game_store!($store, $db);
        $crate::sql::impl_board_store!($store, $db, $name);
        $crate::sql::impl_template_store!($store, $db);
        $crate::sql::impl_score_store!($store, $db, $name, $begin, $for_update);
        $crate::sql::impl_client_store!($store, $db, $begin);
        $crate::sql::impl_device_store!($store, $db, $begin);
        $crate::sql::impl_flag_store!($store, $db, $name, $begin, $for_update);
        $crate::sql::impl_member_store!($store, $db, $begin, $for_update);
        $crate::sql::impl_leaderboard_store!($store, $db);
        $crate::sql::impl_category_store!($store, $db, $begin, $for_update);
        $crate::sql::impl_variable_store!($store, $db, $begin, $for_update);
        $crate::sql::impl_run_store!($store, $db, $name, $begin, $for_update);
        $crate::sql::impl_ban_store!($store, $db, $begin, $for_update);
        $crate::sql::impl_activity_store!($store, $db, $name, $begin);
        $crate::sql::impl_system_store!($store, $db, $name);
        $crate::sql::impl_change_store!($store, $db, $name, $begin);
    };
}
pub(crate) use impl_store;

/// Maps a driver error to a [`StoreError`], naming the unique field on a clash (index names
/// carry the column: `community_members_name_key_live`, `users_email_live`, …).
pub(crate) fn map_err(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            let text = format!("{} {}", d.constraint().unwrap_or_default(), d.message());
            let constraint = ["short_code", "key_hash", "slug", "name_key", "email", "modship", "series"]
                .into_iter()
                .find(|f| text.contains(f))
                .unwrap_or("unknown");
            StoreError::Conflict { constraint: constraint.to_owned() }
        }
        sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
            StoreError::Conflict { constraint: "reference".to_owned() }
        }
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => StoreError::Unavailable(e.to_string()),
        _ => StoreError::Backend(e.to_string()),
    }
}

/// A stored value that does not parse (only possible if the database was edited by hand).
pub(crate) fn corrupt(what: &str) -> StoreError {
    StoreError::Backend(format!("stored {what} is not valid"))
}

/// Appends the keyset condition, the `ORDER BY` and the `LIMIT` of a page to a query whose
/// `WHERE` clause is open.
pub(crate) fn push_page<DB>(qb: &mut QueryBuilder<DB>, page: &PageRequest)
where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
    for<'t> f64: Encode<'t, DB> + Type<DB>,
    for<'t> bool: Encode<'t, DB> + Type<DB>,
{
    push_page_of(qb, page, |field| field)
}

/// [`push_page`] where a sort field is an expression rather than its column: a nullable column
/// compared through `COALESCE`, an enum in its meaning's order through `CASE` (keyset
/// comparisons with `NULL` match nothing). The resource's `sort_value` must give the same value.
pub(crate) fn push_page_of<DB>(qb: &mut QueryBuilder<DB>, page: &PageRequest, column: fn(&str) -> &str)
where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
    for<'t> f64: Encode<'t, DB> + Type<DB>,
    for<'t> bool: Encode<'t, DB> + Type<DB>,
{
    let keys = page.sort.keys();
    let backward = page.keyset.as_ref().is_some_and(|k| k.traversal == Traversal::Backward);
    let ascending = |d: Direction| (d == Direction::Asc) != backward;
    if let Some(keyset) = &page.keyset {
        qb.push(" AND (");
        for i in 0..keys.len() {
            if i > 0 {
                qb.push(" OR ");
            }
            qb.push("(");
            for (j, key) in keys.iter().enumerate().take(i + 1) {
                if j > 0 {
                    qb.push(" AND ");
                }
                let op = if j < i {
                    " = "
                } else if ascending(key.direction) {
                    " > "
                } else {
                    " < "
                };
                qb.push(column(key.field)).push(op);
                bind(qb, &keyset.values[j]);
            }
            qb.push(")");
        }
        qb.push(")");
    }
    qb.push(" ORDER BY ");
    for (i, key) in keys.iter().enumerate() {
        if i > 0 {
            qb.push(", ");
        }
        qb.push(column(key.field)).push(if ascending(key.direction) { " ASC" } else { " DESC" });
    }
    qb.push(" LIMIT ").push_bind(i64::from(page.fetch_limit()));
}

fn bind<DB>(qb: &mut QueryBuilder<DB>, value: &SortValue)
where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
    for<'t> f64: Encode<'t, DB> + Type<DB>,
    for<'t> bool: Encode<'t, DB> + Type<DB>,
{
    match value {
        SortValue::Text(s) => qb.push_bind(s.clone()),
        SortValue::Int(i) => qb.push_bind(*i),
        SortValue::Float(f) => qb.push_bind(*f),
        SortValue::Bool(b) => qb.push_bind(*b),
    };
}
