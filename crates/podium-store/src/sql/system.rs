//! Node-wide settings and health.

macro_rules! impl_system_store {
    ($store:ty, $db:ty, $name:literal) => {
        #[async_trait::async_trait]
        impl podium_core::store::SystemStore for $store {
            async fn ping(&self) -> podium_core::store::StoreResult<()> {
                sqlx::query("SELECT 1").execute(&self.pool).await.map_err($crate::sql::map_err)?;
                Ok(())
            }

            async fn cursor_secret(&self) -> podium_core::store::StoreResult<Vec<u8>> {
                let fresh: String = podium_core::auth::random_bytes(32).iter().map(|b| format!("{b:02x}")).collect();
                sqlx::query(
                    "INSERT INTO settings (name, value) VALUES ('cursor_secret', $1) ON CONFLICT (name) DO NOTHING",
                )
                .bind(fresh)
                .execute(&self.pool)
                .await
                .map_err($crate::sql::map_err)?;
                let (hex,): (String,) = sqlx::query_as("SELECT value FROM settings WHERE name = 'cursor_secret'")
                    .fetch_one(&self.pool)
                    .await
                    .map_err($crate::sql::map_err)?;
                Ok(hex.into_bytes())
            }

            fn backend(&self) -> &'static str {
                $name
            }
        }
    };
}
pub(crate) use impl_system_store;
