//! The admin side of the devices table: listing devices, and banning or unbanning one (a ban
//! revokes its sessions in the same transaction). Rows are decoded by the session store's
//! `device_from_row`, expanded beside this in each backend's module.

macro_rules! impl_device_store {
    ($store:ty, $db:ty, $begin:literal) => {
        #[async_trait::async_trait]
        impl podium_core::store::DeviceStore for $store {
            async fn list_devices(
                &self,
                filter: &podium_core::store::DeviceFilter,
                page: &podium_core::page::PageRequest,
            ) -> podium_core::store::StoreResult<Vec<podium_core::model::Device>> {
                let mut qb = sqlx::QueryBuilder::<$db>::new(concat!(
                    "SELECT ",
                    $crate::device_cols!(),
                    " FROM devices WHERE account_id = "
                ));
                qb.push_bind(filter.account_id.to_string());
                if let Some(g) = filter.game_id {
                    qb.push(" AND game_id = ").push_bind(g.to_string());
                }
                if let Some(i) = filter.identity_id {
                    qb.push(" AND identity_id = ").push_bind(i.to_string());
                }
                if let Some(s) = filter.status {
                    qb.push(" AND status = ").push_bind(s.as_str().to_owned());
                }
                $crate::sql::fetch_page!(&self.pool, qb, page, device_from_row)
            }

            async fn set_device_status(
                &self,
                id: podium_core::id::DeviceId,
                status: podium_core::model::DeviceStatus,
                at: podium_core::time::Timestamp,
            ) -> podium_core::store::StoreResult<u64> {
                let at = podium_core::time::to_micros(at);
                let mut tx = self.pool.begin_with($begin).await.map_err($crate::sql::map_err)?;
                let done = sqlx::query("UPDATE devices SET status = $2 WHERE id = $1")
                    .bind(id.to_string())
                    .bind(status.as_str())
                    .execute(&mut *tx)
                    .await
                    .map_err($crate::sql::map_err)?;
                $crate::sql::one_row_updated(done.rows_affected())?;
                let revoked = if status == podium_core::model::DeviceStatus::Banned {
                    sqlx::query(
                        "UPDATE identity_sessions SET revoked_at = $1, updated_at = $1 WHERE device_id = $2 AND revoked_at IS NULL",
                    )
                    .bind(at)
                    .bind(id.to_string())
                    .execute(&mut *tx)
                    .await
                    .map_err($crate::sql::map_err)?
                    .rows_affected()
                } else {
                    0
                };
                tx.commit().await.map_err($crate::sql::map_err)?;
                Ok(revoked)
            }
        }
    };
}
pub(crate) use impl_device_store;
