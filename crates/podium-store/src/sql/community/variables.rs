//! `community_variables`, `community_variable_values` and `community_variable_categories` (a
//! variable's values and assignments are rewritten with it, keeping their ids), and what an edit
//! does to `community_run_values` in the same transaction.

macro_rules! impl_variable_store {
    ($store:ty, $db:ty, $begin:literal, $for_update:literal) => {
        /// Loads a variable with its values and assignments.
        async fn load_variable<'e, E>(
            db: E,
            id: &str,
        ) -> podium_core::store::StoreResult<Option<podium_core::model::community::Variable>>
        where
            E: sqlx::Executor<'e, Database = $db> + Copy,
        {
            use podium_core::model::community::{Assignment, Variable, VariableSlug, VariableValue};
            use podium_core::model::{Name, Slug};
            use sqlx::Row;
            use $crate::sql::{corrupt, map_err};
            let row = sqlx::query(
                "SELECT id, leaderboard_id, name, slug, created_at, updated_at FROM community_variables WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(db)
            .await
            .map_err(map_err)?;
            let Some(row) = row else { return Ok(None) };
            let leaderboard: String = row.try_get(1).map_err(map_err)?;
            let variable_id: podium_core::id::VariableId = id.parse().map_err(|_| corrupt("variable id"))?;
            let mut variable = Variable {
                id: variable_id,
                leaderboard_id: leaderboard.parse().map_err(|_| corrupt("leaderboard id"))?,
                name: Name::from_trusted(row.try_get(2).map_err(map_err)?),
                slug: VariableSlug::from_trusted(row.try_get(3).map_err(map_err)?),
                values: Vec::new(),
                categories: Vec::new(),
                created_at: podium_core::time::from_micros(row.try_get(4).map_err(map_err)?),
                updated_at: podium_core::time::from_micros(row.try_get(5).map_err(map_err)?),
            };
            let rows = sqlx::query("SELECT id, name, slug FROM community_variable_values WHERE variable_id = $1 ORDER BY position")
                .bind(id)
                .fetch_all(db)
                .await
                .map_err(map_err)?;
            for r in &rows {
                let value_id: String = r.try_get(0).map_err(map_err)?;
                variable.values.push(VariableValue {
                    id: value_id.parse().map_err(|_| corrupt("value id"))?,
                    variable_id,
                    name: Name::from_trusted(r.try_get(1).map_err(map_err)?),
                    slug: Slug::from_trusted(r.try_get(2).map_err(map_err)?),
                });
            }
            let rows = sqlx::query(
                "SELECT a.category_id, a.required, a.obsoleting FROM community_variable_categories a \
                 JOIN community_categories c ON c.id = a.category_id WHERE a.variable_id = $1 ORDER BY c.created_at, c.id",
            )
            .bind(id)
            .fetch_all(db)
            .await
            .map_err(map_err)?;
            for r in &rows {
                let category: String = r.try_get(0).map_err(map_err)?;
                variable.categories.push(Assignment {
                    category_id: category.parse().map_err(|_| corrupt("category id"))?,
                    required: r.try_get(1).map_err(map_err)?,
                    obsoleting: r.try_get(2).map_err(map_err)?,
                });
            }
            Ok(Some(variable))
        }

        /// Writes a variable's values and assignments (after the old ones were deleted).
        /// Marks the categories a variable is assigned to as changed (their `updated_at`), which
        /// also locks them: a run submitted against a category read before a variable edit is
        /// refused as stale.
        async fn touch_categories<'c>(
            tx: &mut sqlx::Transaction<'c, $db>,
            variable: &str,
            at_micros: i64,
        ) -> podium_core::store::StoreResult<()> {
            // Locked in id order first (the order a batch of runs locks categories in).
            sqlx::query(concat!(
                "SELECT id FROM community_categories WHERE id IN \
                 (SELECT category_id FROM community_variable_categories WHERE variable_id = $1) ORDER BY id",
                $for_update
            ))
            .bind(variable)
            .fetch_all(&mut **tx)
            .await
            .map_err($crate::sql::map_err)?;
            sqlx::query(
                "UPDATE community_categories SET updated_at = $2 WHERE id IN \
                 (SELECT category_id FROM community_variable_categories WHERE variable_id = $1)",
            )
            .bind(variable)
            .bind(at_micros)
            .execute(&mut **tx)
            .await
            .map_err($crate::sql::map_err)?;
            Ok(())
        }

        async fn insert_variable_parts<'c>(
            tx: &mut sqlx::Transaction<'c, $db>,
            v: &podium_core::model::community::Variable,
        ) -> podium_core::store::StoreResult<()> {
            for (position, value) in v.values.iter().enumerate() {
                sqlx::query("INSERT INTO community_variable_values (id, variable_id, position, name, slug) VALUES ($1, $2, $3, $4, $5)")
                    .bind(value.id.to_string())
                    .bind(v.id.to_string())
                    .bind(position as i64)
                    .bind(value.name.as_str())
                    .bind(value.slug.as_str())
                    .execute(&mut **tx)
                    .await
                    .map_err($crate::sql::map_err)?;
            }
            for a in &v.categories {
                sqlx::query(
                    "INSERT INTO community_variable_categories (variable_id, category_id, required, obsoleting) VALUES ($1, $2, $3, $4)",
                )
                .bind(v.id.to_string())
                .bind(a.category_id.to_string())
                .bind(a.required)
                .bind(a.obsoleting)
                .execute(&mut **tx)
                .await
                .map_err($crate::sql::map_err)?;
            }
            touch_categories(tx, &v.id.to_string(), podium_core::time::to_micros(v.updated_at)).await
        }

        /// Recomputes the value key of every run of the variable's leaderboard (after its values
        /// on runs changed); one statement, for an edit that is rare.
        async fn refresh_value_keys<'c>(tx: &mut sqlx::Transaction<'c, $db>, variable: &str) -> podium_core::store::StoreResult<()> {
            // The runs locked in id order first (the order a ban and an account deletion lock
            // them in), then rewritten.
            sqlx::query(concat!(
                "SELECT id FROM community_runs WHERE leaderboard_id = \
                 (SELECT leaderboard_id FROM community_variables WHERE id = $1) ORDER BY id",
                $for_update
            ))
            .bind(variable)
            .fetch_all(&mut **tx)
            .await
            .map_err($crate::sql::map_err)?;
            sqlx::query(
                "UPDATE community_runs SET value_key = COALESCE((\
                 SELECT string_agg(v.variable_id || '=' || v.value_id, ',' ORDER BY v.variable_id) \
                 FROM community_run_values v WHERE v.run_id = community_runs.id), '') \
                 WHERE leaderboard_id = (SELECT leaderboard_id FROM community_variables WHERE id = $1)",
            )
            .bind(variable)
            .execute(&mut **tx)
            .await
            .map_err($crate::sql::map_err)?;
            Ok(())
        }

        /// Applies a variable edit to the runs: values of categories it left cleared, deleted
        /// values replaced (or cleared, unless required where runs use them), defaults filled.
        async fn apply_run_edits<'c>(
            tx: &mut sqlx::Transaction<'c, $db>,
            id: &str,
            edits: &podium_core::store::RunEdits,
        ) -> podium_core::store::StoreResult<()> {
            use $crate::sql::map_err;
            sqlx::query(
                "DELETE FROM community_run_values WHERE variable_id = $1 AND category_id NOT IN \
                 (SELECT category_id FROM community_variable_categories WHERE variable_id = $1)",
            )
            .bind(id)
            .execute(&mut **tx)
            .await
            .map_err(map_err)?;
            for (old, new) in &edits.replace {
                match new {
                    Some(new) => {
                        sqlx::query("UPDATE community_run_values SET value_id = $2 WHERE value_id = $1")
                            .bind(old.to_string())
                            .bind(new.to_string())
                            .execute(&mut **tx)
                            .await
                            .map_err(map_err)?;
                    }
                    None => {
                        // Required anywhere, and used by runs: a replacement is mandatory.
                        let required = sqlx::query(
                            "SELECT 1 FROM community_run_values r WHERE r.value_id = $1 AND EXISTS \
                             (SELECT 1 FROM community_variable_categories a WHERE a.variable_id = r.variable_id AND a.required) LIMIT 1",
                        )
                        .bind(old.to_string())
                        .fetch_optional(&mut **tx)
                        .await
                        .map_err(map_err)?;
                        if required.is_some() {
                            return Err(podium_core::store::StoreError::Conflict { constraint: "value_in_use".to_owned() });
                        }
                        sqlx::query("DELETE FROM community_run_values WHERE value_id = $1")
                            .bind(old.to_string())
                            .execute(&mut **tx)
                            .await
                            .map_err(map_err)?;
                    }
                }
            }
            for (category, value) in &edits.fill {
                sqlx::query(
                    "INSERT INTO community_run_values (run_id, category_id, variable_id, value_id) \
                     SELECT r.id, r.category_id, $2, $3 FROM community_runs r WHERE r.category_id = $1 \
                     AND NOT EXISTS (SELECT 1 FROM community_run_values v WHERE v.run_id = r.id AND v.variable_id = $2)",
                )
                .bind(category.to_string())
                .bind(id)
                .bind(value.to_string())
                .execute(&mut **tx)
                .await
                .map_err(map_err)?;
            }
            refresh_value_keys(tx, id).await
        }

        /// Deletes a variable's rows in a transaction.
        async fn delete_variable_rows<'c>(tx: &mut sqlx::Transaction<'c, $db>, id: &str) -> podium_core::store::StoreResult<u64> {
            sqlx::query("DELETE FROM community_run_values WHERE variable_id = $1")
                .bind(id)
                .execute(&mut **tx)
                .await
                .map_err($crate::sql::map_err)?;
            refresh_value_keys(tx, id).await?;
            for sql in [
                "DELETE FROM community_variable_values WHERE variable_id = $1",
                "DELETE FROM community_variable_categories WHERE variable_id = $1",
            ] {
                sqlx::query(sql).bind(id).execute(&mut **tx).await.map_err($crate::sql::map_err)?;
            }
            let done = sqlx::query("DELETE FROM community_variables WHERE id = $1")
                .bind(id)
                .execute(&mut **tx)
                .await
                .map_err($crate::sql::map_err)?;
            Ok(done.rows_affected())
        }

        #[async_trait::async_trait]
        impl podium_core::store::VariableStore for $store {
            async fn insert_variable(
                &self,
                v: &podium_core::model::community::Variable,
                edits: &podium_core::store::RunEdits,
            ) -> podium_core::store::StoreResult<()> {
                use podium_core::time::to_micros;
                let mut tx = self.pool.begin_with($begin).await.map_err($crate::sql::map_err)?;
                sqlx::query(
                    "INSERT INTO community_variables (id, leaderboard_id, name, slug, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(v.id.to_string())
                .bind(v.leaderboard_id.to_string())
                .bind(v.name.as_str())
                .bind(v.slug.as_str())
                .bind(to_micros(v.created_at))
                .bind(to_micros(v.updated_at))
                .execute(&mut *tx)
                .await
                .map_err($crate::sql::map_err)?;
                insert_variable_parts(&mut tx, v).await?;
                apply_run_edits(&mut tx, &v.id.to_string(), edits).await?;
                tx.commit().await.map_err($crate::sql::map_err)?;
                Ok(())
            }

            async fn get_variable(
                &self,
                id: podium_core::id::VariableId,
            ) -> podium_core::store::StoreResult<Option<podium_core::model::community::Variable>> {
                load_variable(&self.pool, &id.to_string()).await
            }

            async fn variable_of_value(
                &self,
                value: podium_core::id::VariableValueId,
            ) -> podium_core::store::StoreResult<Option<podium_core::model::community::Variable>> {
                use sqlx::Row;
                let row = sqlx::query("SELECT variable_id FROM community_variable_values WHERE id = $1")
                    .bind(value.to_string())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err($crate::sql::map_err)?;
                let Some(row) = row else { return Ok(None) };
                let id: String = row.try_get(0).map_err($crate::sql::map_err)?;
                load_variable(&self.pool, &id).await
            }

            async fn variables_of(
                &self,
                category: podium_core::id::CategoryId,
            ) -> podium_core::store::StoreResult<Vec<podium_core::model::community::Variable>> {
                use sqlx::Row;
                let rows = sqlx::query(
                    "SELECT v.id FROM community_variables v JOIN community_variable_categories a ON a.variable_id = v.id \
                     WHERE a.category_id = $1 ORDER BY v.created_at, v.id",
                )
                .bind(category.to_string())
                .fetch_all(&self.pool)
                .await
                .map_err($crate::sql::map_err)?;
                let mut out = Vec::with_capacity(rows.len());
                for r in &rows {
                    let id: String = r.try_get(0).map_err($crate::sql::map_err)?;
                    if let Some(v) = load_variable(&self.pool, &id).await? {
                        out.push(v);
                    }
                }
                Ok(out)
            }

            async fn update_variable(
                &self,
                v: &podium_core::model::community::Variable,
                read_at: chrono::DateTime<chrono::Utc>,
                edits: &podium_core::store::RunEdits,
            ) -> podium_core::store::StoreResult<()> {
                use podium_core::time::to_micros;
                let id = v.id.to_string();
                let mut tx = self.pool.begin_with($begin).await.map_err($crate::sql::map_err)?;
                // The categories first (the order a category's deletion locks them in).
                touch_categories(&mut tx, &id, to_micros(v.updated_at)).await?;
                $crate::sql::claim_row!(tx, "community_variables", &id, to_micros(read_at), to_micros(v.updated_at));
                if v.categories.is_empty() {
                    let n = delete_variable_rows(&mut tx, &id).await?;
                    $crate::sql::one_row_updated(n)?;
                } else {
                    let done = sqlx::query("UPDATE community_variables SET name = $2, slug = $3, updated_at = $4 WHERE id = $1")
                        .bind(&id)
                        .bind(v.name.as_str())
                        .bind(v.slug.as_str())
                        .bind(podium_core::time::to_micros(v.updated_at))
                        .execute(&mut *tx)
                        .await
                        .map_err($crate::sql::map_err)?;
                    $crate::sql::one_row_updated(done.rows_affected())?;
                    for sql in [
                        "DELETE FROM community_variable_values WHERE variable_id = $1",
                        "DELETE FROM community_variable_categories WHERE variable_id = $1",
                    ] {
                        sqlx::query(sql).bind(&id).execute(&mut *tx).await.map_err($crate::sql::map_err)?;
                    }
                    insert_variable_parts(&mut tx, v).await?;
                    apply_run_edits(&mut tx, &id, edits).await?;
                }
                tx.commit().await.map_err($crate::sql::map_err)?;
                Ok(())
            }

            async fn delete_variable(&self, id: podium_core::id::VariableId) -> podium_core::store::StoreResult<()> {
                let mut tx = self.pool.begin_with($begin).await.map_err($crate::sql::map_err)?;
                touch_categories(&mut tx, &id.to_string(), podium_core::time::to_micros(podium_core::time::now())).await?;
                let n = delete_variable_rows(&mut tx, &id.to_string()).await?;
                $crate::sql::one_row_updated(n)?;
                tx.commit().await.map_err($crate::sql::map_err)?;
                Ok(())
            }
        }
    };
}
pub(crate) use impl_variable_store;
