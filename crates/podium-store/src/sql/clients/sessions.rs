//! Devices, client sessions (token hashes, rotated in place), spent nonces, and the admin side
//! of identities. A session's grant is read with the statuses of its device, identity, account
//! and game in one query, so authenticating a token is one round trip when it is not cached.
//!
//! Longer than our usual ~400 lines for a reason: it is one trait implementation written as one
//! macro (instantiated per backend), and an `impl` block cannot be split across files.

#[doc(hidden)]
#[macro_export]
macro_rules! device_cols {
    () => {
        "id, account_id, game_id, identity_id, client_fingerprint, platform, status, first_seen_at, last_seen_at"
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! session_cols {
    ($p:literal) => {
        concat!(
            $p,
            "id, ",
            $p,
            "account_id, ",
            $p,
            "game_id, ",
            $p,
            "identity_id, ",
            $p,
            "device_id, ",
            $p,
            "test_mode, ",
            $p,
            "access_hash, ",
            $p,
            "refresh_hash, ",
            $p,
            "access_expires_at, ",
            $p,
            "refresh_expires_at, ",
            $p,
            "revoked_at, ",
            $p,
            "created_at, ",
            $p,
            "updated_at"
        )
    };
}

/// A session with the statuses of its device, identity, account and game; `WHERE` is open.
#[doc(hidden)]
#[macro_export]
macro_rules! grant_select {
    () => {
        concat!(
            "SELECT ",
            $crate::session_cols!("s."),
            ", d.status, i.status, a.status, a.deleted_at, g.deleted_at FROM identity_sessions s ",
            "JOIN devices d ON d.id = s.device_id JOIN identities i ON i.id = s.identity_id ",
            "JOIN accounts a ON a.id = s.account_id JOIN games g ON g.id = s.game_id WHERE "
        )
    };
}

macro_rules! impl_client_store {
    ($store:ty, $db:ty, $begin:literal) => {
        pub(crate) fn device_from_row(
            row: &<$db as sqlx::Database>::Row,
        ) -> podium_core::store::StoreResult<podium_core::model::Device> {
            use podium_core::model::*;
            use podium_core::time::from_micros;
            use sqlx::Row;
            use $crate::sql::{corrupt, map_err};
            let id: String = row.try_get(0).map_err(map_err)?;
            let account_id: String = row.try_get(1).map_err(map_err)?;
            let game_id: String = row.try_get(2).map_err(map_err)?;
            let identity_id: String = row.try_get(3).map_err(map_err)?;
            let status: String = row.try_get(6).map_err(map_err)?;
            Ok(Device {
                id: id.parse().map_err(|_| corrupt("device id"))?,
                account_id: account_id.parse().map_err(|_| corrupt("account id"))?,
                game_id: game_id.parse().map_err(|_| corrupt("game id"))?,
                identity_id: identity_id.parse().map_err(|_| corrupt("identity id"))?,
                client_fingerprint: row.try_get(4).map_err(map_err)?,
                platform: row.try_get(5).map_err(map_err)?,
                status: DeviceStatus::parse(&status).ok_or_else(|| corrupt("device status"))?,
                first_seen_at: from_micros(row.try_get(7).map_err(map_err)?),
                last_seen_at: from_micros(row.try_get(8).map_err(map_err)?),
            })
        }

        pub(crate) fn session_from_row(
            row: &<$db as sqlx::Database>::Row,
        ) -> podium_core::store::StoreResult<podium_core::model::IdentitySession> {
            use podium_core::model::*;
            use podium_core::time::from_micros;
            use sqlx::Row;
            use $crate::sql::{corrupt, map_err};
            let id: String = row.try_get(0).map_err(map_err)?;
            let account_id: String = row.try_get(1).map_err(map_err)?;
            let game_id: String = row.try_get(2).map_err(map_err)?;
            let identity_id: String = row.try_get(3).map_err(map_err)?;
            let device_id: String = row.try_get(4).map_err(map_err)?;
            let revoked_at: Option<i64> = row.try_get(10).map_err(map_err)?;
            Ok(IdentitySession {
                id: id.parse().map_err(|_| corrupt("session id"))?,
                account_id: account_id.parse().map_err(|_| corrupt("account id"))?,
                game_id: game_id.parse().map_err(|_| corrupt("game id"))?,
                identity_id: identity_id.parse().map_err(|_| corrupt("identity id"))?,
                device_id: device_id.parse().map_err(|_| corrupt("device id"))?,
                test_mode: row.try_get(5).map_err(map_err)?,
                access_hash: row.try_get(6).map_err(map_err)?,
                refresh_hash: row.try_get(7).map_err(map_err)?,
                access_expires_at: from_micros(row.try_get(8).map_err(map_err)?),
                refresh_expires_at: from_micros(row.try_get(9).map_err(map_err)?),
                revoked: revoked_at.is_some(),
                revoked_at: revoked_at.map(from_micros),
                created_at: from_micros(row.try_get(11).map_err(map_err)?),
                updated_at: from_micros(row.try_get(12).map_err(map_err)?),
            })
        }

        fn grant_from_row(
            row: &<$db as sqlx::Database>::Row,
        ) -> podium_core::store::StoreResult<podium_core::store::SessionGrant> {
            use podium_core::model::*;
            use sqlx::Row;
            use $crate::sql::{corrupt, map_err};
            let device: String = row.try_get(13).map_err(map_err)?;
            let identity: String = row.try_get(14).map_err(map_err)?;
            let account: String = row.try_get(15).map_err(map_err)?;
            let account_deleted: Option<i64> = row.try_get(16).map_err(map_err)?;
            let game_deleted: Option<i64> = row.try_get(17).map_err(map_err)?;
            Ok(podium_core::store::SessionGrant {
                session: session_from_row(row)?,
                device_status: DeviceStatus::parse(&device).ok_or_else(|| corrupt("device status"))?,
                identity_status: IdentityStatus::parse(&identity).ok_or_else(|| corrupt("identity status"))?,
                account_active: account == AccountStatus::Active.as_str() && account_deleted.is_none(),
                game_live: game_deleted.is_none(),
            })
        }


        #[async_trait::async_trait]
        impl podium_core::store::ClientStore for $store {
            async fn find_device(
                &self,
                game: podium_core::id::GameId,
                fingerprint: &str,
            ) -> podium_core::store::StoreResult<Option<podium_core::model::Device>> {
                $crate::sql::fetch_optional!(
                    &self.pool,
                    concat!(
                        "SELECT ",
                        $crate::device_cols!(),
                        " FROM devices WHERE game_id = $1 AND client_fingerprint = $2"
                    ),
                    device_from_row,
                    game.to_string(),
                    fingerprint
                )
            }

            async fn get_device(
                &self,
                id: podium_core::id::DeviceId,
            ) -> podium_core::store::StoreResult<Option<podium_core::model::Device>> {
                $crate::sql::fetch_optional!(
                    &self.pool,
                    concat!("SELECT ", $crate::device_cols!(), " FROM devices WHERE id = $1"),
                    device_from_row,
                    id.to_string()
                )
            }

            async fn insert_device(
                &self,
                d: &podium_core::model::Device,
                i: &podium_core::model::Identity,
            ) -> podium_core::store::StoreResult<()> {
                use podium_core::time::to_micros;
                let mut tx = self.pool.begin_with($begin).await.map_err($crate::sql::map_err)?;
                insert_identity_query(i).execute(&mut *tx).await.map_err($crate::sql::map_err)?;
                sqlx::query(concat!(
                    "INSERT INTO devices (",
                    $crate::device_cols!(),
                    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
                ))
                .bind(d.id.to_string())
                .bind(d.account_id.to_string())
                .bind(d.game_id.to_string())
                .bind(d.identity_id.to_string())
                .bind(d.client_fingerprint.as_str())
                .bind(d.platform.as_deref())
                .bind(d.status.as_str())
                .bind(to_micros(d.first_seen_at))
                .bind(to_micros(d.last_seen_at))
                .execute(&mut *tx)
                .await
                .map_err($crate::sql::map_err)?;
                tx.commit().await.map_err($crate::sql::map_err)?;
                Ok(())
            }

            async fn touch_device(
                &self,
                id: podium_core::id::DeviceId,
                platform: Option<&str>,
                at: podium_core::time::Timestamp,
            ) -> podium_core::store::StoreResult<()> {
                let done = sqlx::query(
                    "UPDATE devices SET last_seen_at = $1, platform = COALESCE($2, platform) WHERE id = $3",
                )
                .bind(podium_core::time::to_micros(at))
                .bind(platform)
                .bind(id.to_string())
                .execute(&self.pool)
                .await
                .map_err($crate::sql::map_err)?;
                $crate::sql::one_row_updated(done.rows_affected())
            }

            async fn insert_session(
                &self,
                s: &podium_core::model::IdentitySession,
            ) -> podium_core::store::StoreResult<()> {
                use podium_core::time::to_micros;
                sqlx::query(concat!(
                    "INSERT INTO identity_sessions (",
                    $crate::session_cols!(""),
                    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
                ))
                .bind(s.id.to_string())
                .bind(s.account_id.to_string())
                .bind(s.game_id.to_string())
                .bind(s.identity_id.to_string())
                .bind(s.device_id.to_string())
                .bind(s.test_mode)
                .bind(s.access_hash.as_str())
                .bind(s.refresh_hash.as_str())
                .bind(to_micros(s.access_expires_at))
                .bind(to_micros(s.refresh_expires_at))
                .bind(s.revoked_at.map(to_micros))
                .bind(to_micros(s.created_at))
                .bind(to_micros(s.updated_at))
                .execute(&self.pool)
                .await
                .map_err($crate::sql::map_err)?;
                Ok(())
            }

            async fn get_session(
                &self,
                id: podium_core::id::SessionId,
            ) -> podium_core::store::StoreResult<Option<podium_core::model::IdentitySession>> {
                $crate::sql::fetch_optional!(
                    &self.pool,
                    concat!("SELECT ", $crate::session_cols!(""), " FROM identity_sessions WHERE id = $1"),
                    session_from_row,
                    id.to_string()
                )
            }

            async fn find_session_by_access(
                &self,
                access_hash: &str,
            ) -> podium_core::store::StoreResult<Option<podium_core::store::SessionGrant>> {
                $crate::sql::fetch_optional!(
                    &self.pool,
                    concat!($crate::grant_select!(), "s.access_hash = $1"),
                    grant_from_row,
                    access_hash
                )
            }

            async fn find_session_by_refresh(
                &self,
                refresh_hash: &str,
            ) -> podium_core::store::StoreResult<Option<podium_core::store::SessionGrant>> {
                $crate::sql::fetch_optional!(
                    &self.pool,
                    concat!($crate::grant_select!(), "s.refresh_hash = $1"),
                    grant_from_row,
                    refresh_hash
                )
            }

            async fn rotate_session(
                &self,
                r: &podium_core::store::Rotation,
            ) -> podium_core::store::StoreResult<()> {
                use podium_core::time::to_micros;
                let done = sqlx::query(concat!(
                    "UPDATE identity_sessions SET access_hash = $1, refresh_hash = $2, access_expires_at = $3, ",
                    "refresh_expires_at = $4, updated_at = $5 WHERE id = $6 AND refresh_hash = $7 AND revoked_at IS NULL"
                ))
                .bind(r.access_hash.as_str())
                .bind(r.refresh_hash.as_str())
                .bind(to_micros(r.access_expires_at))
                .bind(to_micros(r.refresh_expires_at))
                .bind(to_micros(r.at))
                .bind(r.session_id.to_string())
                .bind(r.old_refresh_hash.as_str())
                .execute(&self.pool)
                .await
                .map_err($crate::sql::map_err)?;
                $crate::sql::one_row_updated(done.rows_affected())
            }

            async fn revoke_sessions(
                &self,
                session: Option<podium_core::id::SessionId>,
                identity: Option<podium_core::id::IdentityId>,
                at: podium_core::time::Timestamp,
            ) -> podium_core::store::StoreResult<u64> {
                let at = podium_core::time::to_micros(at);
                let done = sqlx::query(concat!(
                    "UPDATE identity_sessions SET revoked_at = $1, updated_at = $2 ",
                    "WHERE revoked_at IS NULL AND (id = $3 OR identity_id = $4)"
                ))
                .bind(at)
                .bind(at)
                .bind(session.map(|s| s.to_string()))
                .bind(identity.map(|i| i.to_string()))
                .execute(&self.pool)
                .await
                .map_err($crate::sql::map_err)?;
                Ok(done.rows_affected())
            }

            async fn list_sessions(
                &self,
                filter: &podium_core::store::SessionFilter,
                page: &podium_core::page::PageRequest,
            ) -> podium_core::store::StoreResult<Vec<podium_core::model::IdentitySession>> {
                let mut qb = sqlx::QueryBuilder::<$db>::new(concat!(
                    "SELECT ",
                    $crate::session_cols!(""),
                    " FROM identity_sessions WHERE account_id = "
                ));
                qb.push_bind(filter.account_id.to_string());
                if let Some(g) = filter.game_id {
                    qb.push(" AND game_id = ").push_bind(g.to_string());
                }
                if let Some(i) = filter.identity_id {
                    qb.push(" AND identity_id = ").push_bind(i.to_string());
                }
                if let Some(d) = filter.device_id {
                    qb.push(" AND device_id = ").push_bind(d.to_string());
                }
                match filter.revoked {
                    Some(true) => {
                        qb.push(" AND revoked_at IS NOT NULL");
                    }
                    Some(false) => {
                        qb.push(" AND revoked_at IS NULL");
                    }
                    None => {}
                }
                $crate::sql::fetch_page!(&self.pool, qb, page, session_from_row)
            }

            async fn list_identities(
                &self,
                filter: &podium_core::store::IdentityFilter,
                page: &podium_core::page::PageRequest,
            ) -> podium_core::store::StoreResult<Vec<podium_core::model::Identity>> {
                let mut qb = sqlx::QueryBuilder::<$db>::new(concat!(
                    "SELECT ",
                    $crate::identity_cols!(),
                    " FROM identities WHERE account_id = "
                ));
                qb.push_bind(filter.account_id.to_string());
                if let Some(g) = filter.game_id {
                    qb.push(" AND game_id = ").push_bind(g.to_string());
                }
                if let Some(s) = filter.status {
                    qb.push(" AND status = ").push_bind(s.as_str().to_owned());
                }
                $crate::sql::fetch_page!(&self.pool, qb, page, identity_from_row)
            }

            async fn update_identity(
                &self,
                i: &podium_core::model::Identity,
            ) -> podium_core::store::StoreResult<()> {
                let done = sqlx::query(
                    "UPDATE identities SET display_name = $1, trust_tier = $2, status = $3, updated_at = $4 WHERE id = $5",
                )
                .bind(i.display_name.as_deref())
                .bind(i.trust_tier.map(|t| t.as_str()))
                .bind(i.status.as_str())
                .bind(podium_core::time::to_micros(i.updated_at))
                .bind(i.id.to_string())
                .execute(&self.pool)
                .await
                .map_err($crate::sql::map_err)?;
                $crate::sql::one_row_updated(done.rows_affected())
            }

            async fn claim_nonces(
                &self,
                claims: &[podium_core::store::NonceClaim],
            ) -> podium_core::store::StoreResult<Vec<bool>> {
                use sqlx::Row;
                // The same nonce twice in one batch: only its first claim can win.
                let mut first = std::collections::HashSet::new();
                let unique: Vec<&podium_core::store::NonceClaim> =
                    claims.iter().filter(|c| first.insert(c.id.as_str())).collect();
                let mut won = std::collections::HashSet::new();
                for chunk in unique.chunks($crate::sql::CHUNK) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new("INSERT INTO spent_nonces (id, expires_at) ");
                    qb.push_values(chunk, |mut b, c| {
                        b.push_bind(c.id.clone()).push_bind(c.expires_micros);
                    });
                    qb.push(" ON CONFLICT DO NOTHING RETURNING id");
                    for row in qb.build().fetch_all(&self.pool).await.map_err($crate::sql::map_err)? {
                        let id: String = row.try_get(0).map_err($crate::sql::map_err)?;
                        won.insert(id);
                    }
                }
                Ok(claims.iter().map(|c| won.remove(&c.id)).collect())
            }

            async fn purge_nonces(&self, before_micros: i64) -> podium_core::store::StoreResult<u64> {
                let done = sqlx::query("DELETE FROM spent_nonces WHERE expires_at < $1")
                    .bind(before_micros)
                    .execute(&self.pool)
                    .await
                    .map_err($crate::sql::map_err)?;
                Ok(done.rows_affected())
            }

            async fn name_conflicts(
                &self,
                boards: &[podium_core::id::BoardId],
                name_key: &str,
                except: podium_core::id::IdentityId,
            ) -> podium_core::store::StoreResult<Vec<podium_core::id::BoardId>> {
                use sqlx::Row;
                let mut qb = sqlx::QueryBuilder::<$db>::new(
                    "SELECT DISTINCT board_id FROM scores WHERE status <> 'rejected' AND name_key = ",
                );
                qb.push_bind(name_key.to_owned());
                qb.push(" AND identity_id <> ").push_bind(except.to_string());
                qb.push(" AND board_id IN (");
                let mut ids = qb.separated(", ");
                for b in boards {
                    ids.push_bind(b.to_string());
                }
                qb.push(")");
                let rows = qb.build().fetch_all(&self.pool).await.map_err($crate::sql::map_err)?;
                rows.iter()
                    .map(|r| {
                        let id: String = r.try_get(0).map_err($crate::sql::map_err)?;
                        id.parse().map_err(|_| $crate::sql::corrupt("board id"))
                    })
                    .collect()
            }
        }
    };
}
pub(crate) use impl_client_store;
