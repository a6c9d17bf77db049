//! `community_bans`, and a ban's cascade in its transaction: the member's runs rejected by
//! recorded judgements, and for a site ban their modships and tokens removed.

macro_rules! impl_ban_store {
    ($store:ty, $db:ty, $begin:literal, $for_update:literal) => {
        fn ban_from_row(row: &<$db as sqlx::Database>::Row) -> podium_core::store::StoreResult<podium_core::model::community::Ban> {
            use podium_core::model::Text;
            use podium_core::model::community::Ban;
            use sqlx::Row;
            use $crate::sql::{corrupt, map_err};
            let id = |i: usize| -> podium_core::store::StoreResult<Option<String>> { row.try_get(i).map_err(map_err) };
            let member = id(1)?.unwrap_or_default();
            let by = id(4)?.unwrap_or_default();
            let lifted_at: Option<i64> = row.try_get(6).map_err(map_err)?;
            Ok(Ban {
                id: id(0)?.unwrap_or_default().parse().map_err(|_| corrupt("ban id"))?,
                user_id: member.parse().map_err(|_| corrupt("member id"))?,
                leaderboard_id: id(2)?.map(|l| l.parse()).transpose().map_err(|_| corrupt("leaderboard id"))?,
                reason: Text::from_trusted(row.try_get(3).map_err(map_err)?),
                banned_by: by.parse().map_err(|_| corrupt("member id"))?,
                created_at: podium_core::time::from_micros(row.try_get(5).map_err(map_err)?),
                lifted_at: lifted_at.map(podium_core::time::from_micros),
                lifted_by: id(7)?.map(|l| l.parse()).transpose().map_err(|_| corrupt("member id"))?,
            })
        }

        #[async_trait::async_trait]
        impl podium_core::store::BanStore for $store {
            async fn insert_ban(
                &self,
                ban: &podium_core::model::community::Ban,
                note: &str,
            ) -> podium_core::store::StoreResult<Vec<podium_core::id::RunId>> {
                use podium_core::id::JudgementId;
                use podium_core::model::Text;
                use podium_core::model::community::{Judgement, RunStatus};
                use podium_core::time::to_micros;
                use sqlx::Row;
                use $crate::sql::{corrupt, map_err};
                let member = ban.user_id.to_string();
                let leaderboard = ban.leaderboard_id.map(|l| l.to_string());
                let at = to_micros(ban.created_at);
                let mut tx = self.pool.begin_with($begin).await.map_err(map_err)?;
                // The member's row first (with the banner's, whose key the ban references, in id
                // order — the order a batch of runs locks runners in): a run being submitted with
                // them locks it too, so it either commits before this cascade (and is rejected by
                // it) or sees the ban.
                let locked = sqlx::query(concat!(
                    "SELECT id FROM community_members WHERE id IN ($1, $2) ORDER BY id",
                    $for_update
                ))
                .bind(&member)
                .bind(ban.banned_by.to_string())
                .fetch_all(&mut *tx)
                .await
                .map_err(map_err)?;
                if !locked.iter().any(|r| r.try_get::<String, _>(0).is_ok_and(|id| id == member)) {
                    return Err(podium_core::store::StoreError::NotFound);
                }
                sqlx::query(
                    "INSERT INTO community_bans (id, member_id, leaderboard_id, reason, banned_by, created_at, lifted_at, lifted_by) \
                     VALUES ($1, $2, $3, $4, $5, $6, NULL, NULL)",
                )
                .bind(ban.id.to_string())
                .bind(&member)
                .bind(leaderboard.clone())
                .bind(ban.reason.as_str())
                .bind(ban.banned_by.to_string())
                .bind(at)
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
                if leaderboard.is_none() {
                    for sql in ["DELETE FROM community_modships WHERE member_id = $1", "DELETE FROM community_tokens WHERE member_id = $1"] {
                        sqlx::query(sql).bind(&member).execute(&mut *tx).await.map_err(map_err)?;
                    }
                }
                // Every run of the member is locked (whatever its status), so an approval racing
                // the ban either commits first and is rejected here, or waits and sees the ban.
                let rows = sqlx::query(concat!(
                    "SELECT id, status FROM community_runs WHERE id IN (SELECT run_id FROM community_run_runners WHERE member_id = $1) \
                     AND ($2 IS NULL OR leaderboard_id = $2) ORDER BY id",
                    $for_update
                ))
                .bind(&member)
                .bind(leaderboard)
                .fetch_all(&mut *tx)
                .await
                .map_err(map_err)?;
                let mut rejected = Vec::new();
                for row in &rows {
                    let id: String = row.try_get(0).map_err(map_err)?;
                    let status: String = row.try_get(1).map_err(map_err)?;
                    if status == RunStatus::Rejected.as_str() {
                        continue;
                    }
                    let run_id = id.parse().map_err(|_| corrupt("run id"))?;
                    let judgement = Judgement {
                        id: JudgementId::generate(),
                        run_id,
                        judge_id: ban.banned_by,
                        note: Text::from_trusted(note.to_owned()),
                        approved: Some(false),
                        created_at: ban.created_at,
                    };
                    insert_judgement_row(&mut tx, &judgement).await?;
                    set_run_status(&mut tx, &id, at).await?;
                    rejected.push(run_id);
                }
                tx.commit().await.map_err(map_err)?;
                Ok(rejected)
            }

            async fn get_ban(
                &self,
                id: podium_core::id::BanId,
            ) -> podium_core::store::StoreResult<Option<podium_core::model::community::Ban>> {
                $crate::sql::fetch_optional!(
                    &self.pool,
                    concat!("SELECT ", $crate::ban_cols!(), " FROM community_bans WHERE id = $1"),
                    ban_from_row,
                    id.to_string()
                )
            }

            async fn list_bans(
                &self,
                member: Option<podium_core::id::MemberId>,
                leaderboard: Option<Option<podium_core::id::LeaderboardId>>,
                include_lifted: bool,
                page: &podium_core::page::PageRequest,
            ) -> podium_core::store::StoreResult<Vec<podium_core::model::community::Ban>> {
                let mut qb = sqlx::QueryBuilder::<$db>::new(concat!("SELECT ", $crate::ban_cols!(), " FROM community_bans WHERE 1 = 1"));
                if let Some(m) = member {
                    qb.push(" AND member_id = ").push_bind(m.to_string());
                }
                match leaderboard {
                    Some(Some(l)) => {
                        qb.push(" AND leaderboard_id = ").push_bind(l.to_string());
                    }
                    Some(None) => {
                        qb.push(" AND leaderboard_id IS NULL");
                    }
                    None => {}
                }
                if !include_lifted {
                    qb.push(" AND lifted_at IS NULL");
                }
                $crate::sql::fetch_page!(&self.pool, qb, page, ban_from_row)
            }

            async fn active_bans(
                &self,
                member: podium_core::id::MemberId,
            ) -> podium_core::store::StoreResult<Vec<podium_core::model::community::Ban>> {
                let rows = sqlx::query(concat!(
                    "SELECT ",
                    $crate::ban_cols!(),
                    " FROM community_bans WHERE member_id = $1 AND lifted_at IS NULL ORDER BY created_at, id"
                ))
                .bind(member.to_string())
                .fetch_all(&self.pool)
                .await
                .map_err($crate::sql::map_err)?;
                rows.iter().map(ban_from_row).collect()
            }

            async fn lift_ban(
                &self,
                id: podium_core::id::BanId,
                by: podium_core::id::MemberId,
                at: chrono::DateTime<chrono::Utc>,
            ) -> podium_core::store::StoreResult<podium_core::model::community::Ban> {
                use podium_core::store::StoreError;
                let done = sqlx::query("UPDATE community_bans SET lifted_at = $2, lifted_by = $3 WHERE id = $1 AND lifted_at IS NULL")
                    .bind(id.to_string())
                    .bind(podium_core::time::to_micros(at))
                    .bind(by.to_string())
                    .execute(&self.pool)
                    .await
                    .map_err($crate::sql::map_err)?;
                let ban = self.get_ban(id).await?.ok_or(StoreError::NotFound)?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::Conflict { constraint: "lifted".to_owned() });
                }
                Ok(ban)
            }
        }
    };
}
pub(crate) use impl_ban_store;

#[doc(hidden)]
#[macro_export]
macro_rules! ban_cols {
    () => {
        "id, member_id, leaderboard_id, reason, banned_by, created_at, lifted_at, lifted_by"
    };
}
