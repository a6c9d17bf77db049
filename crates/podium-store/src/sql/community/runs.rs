//! `community_runs` with their `community_run_runners`, `community_participations`,
//! `community_run_values`, `community_run_metrics` and `community_judgements`. A run's status is
//! derived (`RunStatus::derive`) and written by [`set_run_status`] in the transaction of every
//! change that can move it — a filled participation, a judgement, a ban, a deleted account.

macro_rules! impl_run_store {
    ($store:ty, $db:ty, $name:literal, $begin:literal, $for_update:literal) => {
        /// Writes a run's status as its participations and judgements now give it.
        pub(crate) async fn set_run_status<'c>(
            tx: &mut sqlx::Transaction<'c, $db>,
            run: &str,
            at: i64,
        ) -> podium_core::store::StoreResult<()> {
            use podium_core::model::community::RunStatus;
            use sqlx::Row;
            use $crate::sql::map_err;
            let verdict = sqlx::query(
                "SELECT approved FROM community_judgements WHERE run_id = $1 AND approved IS NOT NULL \
                 ORDER BY created_at DESC, id DESC LIMIT 1",
            )
            .bind(run)
            .fetch_optional(&mut **tx)
            .await
            .map_err(map_err)?;
            let verdict: Option<bool> = match verdict {
                Some(r) => Some(r.try_get(0).map_err(map_err)?),
                None => None,
            };
            let empty = sqlx::query("SELECT 1 FROM community_participations WHERE run_id = $1 AND filled_at IS NULL LIMIT 1")
                .bind(run)
                .fetch_optional(&mut **tx)
                .await
                .map_err(map_err)?
                .is_some();
            // `updated_at` only grows (a clock that steps back still orders a run's states, which
            // the rankings rely on to ignore late copies).
            sqlx::query(
                "UPDATE community_runs SET status = $2, \
                 updated_at = CASE WHEN updated_at >= $3 THEN updated_at + 1 ELSE $3 END WHERE id = $1",
            )
                .bind(run)
                .bind(RunStatus::derive(empty, verdict).as_str())
                .bind(at)
                .execute(&mut **tx)
                .await
                .map_err(map_err)?;
            Ok(())
        }

        /// Decodes a run's own row (`id, category_id, leaderboard_id, submitted_by, played_on,
        /// submitted_at, status, updated_at`), without its parts.
        fn run_base(row: &<$db as sqlx::Database>::Row) -> podium_core::store::StoreResult<podium_core::model::community::Run> {
            use podium_core::model::community::{Run, RunStatus};
            use sqlx::Row;
            use $crate::sql::{corrupt, map_err};
            let id: String = row.try_get(0).map_err(map_err)?;
            let category: String = row.try_get(1).map_err(map_err)?;
            let leaderboard: String = row.try_get(2).map_err(map_err)?;
            let by: String = row.try_get(3).map_err(map_err)?;
            let status: String = row.try_get(6).map_err(map_err)?;
            Ok(Run {
                id: id.parse().map_err(|_| corrupt("run id"))?,
                category_id: category.parse().map_err(|_| corrupt("category id"))?,
                leaderboard_id: leaderboard.parse().map_err(|_| corrupt("leaderboard id"))?,
                submitted_by: by.parse().map_err(|_| corrupt("member id"))?,
                runners: Vec::new(),
                played_on: podium_core::time::from_day_number(row.try_get(4).map_err(map_err)?)
                    .ok_or_else(|| corrupt("played_on"))?,
                submitted_at: podium_core::time::from_micros(row.try_get(5).map_err(map_err)?),
                status: RunStatus::parse(&status).ok_or_else(|| corrupt("run status"))?,
                variables: Vec::new(),
                metrics: Vec::new(),
                video: false,
                updated_at: podium_core::time::from_micros(row.try_get(7).map_err(map_err)?),
            })
        }

        /// Fills in the runners, values, metrics and video flag of runs read by [`run_base`].
        async fn load_run_parts(
            pool: &sqlx::Pool<$db>,
            runs: &mut [podium_core::model::community::Run],
        ) -> podium_core::store::StoreResult<()> {
            use podium_core::model::community::Runner;
            use sqlx::Row;
            use std::collections::HashMap;
            use $crate::sql::{corrupt, map_err};
            for chunk in runs.chunks_mut($crate::sql::CHUNK) {
                let at: HashMap<String, usize> = chunk.iter().enumerate().map(|(i, r)| (r.id.to_string(), i)).collect();
                let part = |sql: &'static str| {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(sql);
                    let mut list = qb.separated(", ");
                    for id in at.keys() {
                        list.push_bind(id.clone());
                    }
                    qb.push(")");
                    qb
                };
                let mut qb = part(
                    "SELECT rr.run_id, rr.member_id, m.name, m.deleted_at FROM community_run_runners rr \
                     JOIN community_members m ON m.id = rr.member_id WHERE rr.run_id IN (",
                );
                qb.push(" ORDER BY rr.position");
                for row in qb.build().fetch_all(pool).await.map_err(map_err)? {
                    let run: String = row.try_get(0).map_err(map_err)?;
                    let member: String = row.try_get(1).map_err(map_err)?;
                    let deleted: Option<i64> = row.try_get(3).map_err(map_err)?;
                    if let Some(&i) = at.get(&run) {
                        chunk[i].runners.push(Runner {
                            id: member.parse().map_err(|_| corrupt("member id"))?,
                            name: row.try_get(2).map_err(map_err)?,
                            deleted: deleted.is_some(),
                        });
                    }
                }
                let mut qb = part("SELECT run_id, variable_id, value_id FROM community_run_values WHERE run_id IN (");
                for row in qb.build().fetch_all(pool).await.map_err(map_err)? {
                    let run: String = row.try_get(0).map_err(map_err)?;
                    let variable: String = row.try_get(1).map_err(map_err)?;
                    let value: String = row.try_get(2).map_err(map_err)?;
                    if let Some(&i) = at.get(&run) {
                        chunk[i].variables.push((
                            variable.parse().map_err(|_| corrupt("variable id"))?,
                            value.parse().map_err(|_| corrupt("value id"))?,
                        ));
                    }
                }
                let mut qb = part("SELECT run_id, metric_id, value FROM community_run_metrics WHERE run_id IN (");
                for row in qb.build().fetch_all(pool).await.map_err(map_err)? {
                    let run: String = row.try_get(0).map_err(map_err)?;
                    let metric: String = row.try_get(1).map_err(map_err)?;
                    if let Some(&i) = at.get(&run) {
                        chunk[i].metrics.push((metric.parse().map_err(|_| corrupt("metric id"))?, row.try_get(2).map_err(map_err)?));
                    }
                }
                let mut qb = part("SELECT DISTINCT run_id FROM community_participations WHERE vod_url IS NOT NULL AND run_id IN (");
                for row in qb.build().fetch_all(pool).await.map_err(map_err)? {
                    let run: String = row.try_get(0).map_err(map_err)?;
                    if let Some(&i) = at.get(&run) {
                        chunk[i].video = true;
                    }
                }
            }
            for run in runs.iter_mut() {
                run.variables.sort_unstable();
                run.metrics.sort_unstable_by_key(|(m, _)| *m);
            }
            Ok(())
        }

        /// Reads one run with its parts.
        async fn load_run(
            pool: &sqlx::Pool<$db>,
            id: &str,
        ) -> podium_core::store::StoreResult<Option<podium_core::model::community::Run>> {
            let row = sqlx::query(concat!("SELECT ", $crate::run_cols!(), " FROM community_runs WHERE id = $1"))
                .bind(id)
                .fetch_optional(pool)
                .await
                .map_err($crate::sql::map_err)?;
            let Some(row) = row else { return Ok(None) };
            let mut runs = [run_base(&row)?];
            load_run_parts(pool, &mut runs).await?;
            let [run] = runs;
            Ok(Some(run))
        }

        fn participation_from_row(
            row: &<$db as sqlx::Database>::Row,
        ) -> podium_core::store::StoreResult<podium_core::model::community::Participation> {
            use podium_core::model::Text;
            use podium_core::model::community::{Participation, VodUrl};
            use sqlx::Row;
            use $crate::sql::{corrupt, map_err};
            let id: String = row.try_get(0).map_err(map_err)?;
            let run: String = row.try_get(1).map_err(map_err)?;
            let member: String = row.try_get(2).map_err(map_err)?;
            let comment: Option<String> = row.try_get(3).map_err(map_err)?;
            let vod: Option<String> = row.try_get(4).map_err(map_err)?;
            let filled: Option<i64> = row.try_get(5).map_err(map_err)?;
            Ok(Participation {
                id: id.parse().map_err(|_| corrupt("participation id"))?,
                run_id: run.parse().map_err(|_| corrupt("run id"))?,
                user_id: member.parse().map_err(|_| corrupt("member id"))?,
                comment: comment.map(Text::from_trusted),
                vod_url: vod.map(VodUrl::from_trusted),
                filled_at: filled.map(podium_core::time::from_micros),
            })
        }

        fn judgement_from_row(
            row: &<$db as sqlx::Database>::Row,
        ) -> podium_core::store::StoreResult<podium_core::model::community::Judgement> {
            use podium_core::model::Text;
            use podium_core::model::community::Judgement;
            use sqlx::Row;
            use $crate::sql::{corrupt, map_err};
            let id: String = row.try_get(0).map_err(map_err)?;
            let run: String = row.try_get(1).map_err(map_err)?;
            let judge: String = row.try_get(2).map_err(map_err)?;
            Ok(Judgement {
                id: id.parse().map_err(|_| corrupt("judgement id"))?,
                run_id: run.parse().map_err(|_| corrupt("run id"))?,
                judge_id: judge.parse().map_err(|_| corrupt("member id"))?,
                note: Text::from_trusted(row.try_get(3).map_err(map_err)?),
                approved: row.try_get(4).map_err(map_err)?,
                created_at: podium_core::time::from_micros(row.try_get(5).map_err(map_err)?),
            })
        }

        /// Inserts a judgement row.
        pub(crate) async fn insert_judgement_row<'c>(
            tx: &mut sqlx::Transaction<'c, $db>,
            j: &podium_core::model::community::Judgement,
        ) -> podium_core::store::StoreResult<()> {
            // Stamped after every judgement the run already has (callers hold the run's lock), so
            // "the newest" is the order of commits even when clocks disagree.
            sqlx::query(
                "INSERT INTO community_judgements (id, run_id, judge_id, note, approved, created_at) VALUES ($1, $2, $3, $4, $5, \
                 (SELECT CASE WHEN MAX(created_at) >= $6 THEN MAX(created_at) + 1 ELSE $6 END FROM community_judgements WHERE run_id = $2))",
            )
            .bind(j.id.to_string())
            .bind(j.run_id.to_string())
            .bind(j.judge_id.to_string())
            .bind(j.note.as_str())
            .bind(j.approved)
            .bind(podium_core::time::to_micros(j.created_at))
            .execute(&mut **tx)
            .await
            .map_err($crate::sql::map_err)?;
            Ok(())
        }

        /// Deletes a category's runs and everything they hold.
        pub(crate) async fn delete_category_runs<'c>(
            tx: &mut sqlx::Transaction<'c, $db>,
            category: &str,
        ) -> podium_core::store::StoreResult<()> {
            for sql in [
                "DELETE FROM community_run_runners WHERE run_id IN (SELECT id FROM community_runs WHERE category_id = $1)",
                "DELETE FROM community_participations WHERE run_id IN (SELECT id FROM community_runs WHERE category_id = $1)",
                "DELETE FROM community_run_values WHERE run_id IN (SELECT id FROM community_runs WHERE category_id = $1)",
                "DELETE FROM community_run_metrics WHERE run_id IN (SELECT id FROM community_runs WHERE category_id = $1)",
                "DELETE FROM community_judgements WHERE run_id IN (SELECT id FROM community_runs WHERE category_id = $1)",
                "DELETE FROM community_runs WHERE category_id = $1",
            ] {
                sqlx::query(sql).bind(category).execute(&mut **tx).await.map_err($crate::sql::map_err)?;
            }
            Ok(())
        }

        /// A run's variable values as the `value_key` column holds them: `variable=value` pairs
        /// in the text order of the variable ids, comma-joined (what the migration's
        /// `string_agg` computes).
        fn value_key(variables: &[(podium_core::id::VariableId, podium_core::id::VariableValueId)]) -> String {
            pairs_key(variables)
        }

        /// `key=value` pairs in text order, comma-joined (ids sort as their text does).
        fn pairs_key<K: std::fmt::Display, V: std::fmt::Display>(pairs: &[(K, V)]) -> String {
            let mut pairs: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
            pairs.sort_unstable();
            pairs.join(",")
        }

        /// A run's metric values as the `metric_key` column holds them: `metric=value` pairs in
        /// the text order of the metric ids, comma-joined, each value in Rust's shortest form that
        /// parses back to the same double.
        fn metric_key(metrics: &[(podium_core::id::MetricId, f64)]) -> String {
            pairs_key(metrics)
        }

        /// The metric values a `metric_key` holds, sorted by metric id (`None`: malformed).
        fn parse_metric_key(key: &str) -> Option<Vec<(podium_core::id::MetricId, f64)>> {
            let mut metrics = key
                .split(',')
                .filter(|pair| !pair.is_empty())
                .map(|pair| {
                    let (metric, value) = pair.split_once('=')?;
                    Some((metric.parse().ok()?, value.parse().ok()?))
                })
                .collect::<Option<Vec<(podium_core::id::MetricId, f64)>>>()?;
            metrics.sort_unstable_by_key(|(m, _)| *m);
            Some(metrics)
        }

        /// Inserts a batch of runs inside `tx` (see `RunStore::insert_runs`), set by set: the
        /// categories are locked one by one, the runners' and submitters' rows in one locking
        /// read (in id order), their bans, the stored runs of the same categories, runner sets
        /// and values in one statement per 200 of those (with the metrics of any run stored
        /// before `metric_key` in one more); every rule is then checked in memory, in order
        /// (each run sees the accepted ones before it), and the accepted runs are written with
        /// multi-row inserts. A refused run writes nothing.
        async fn insert_runs_in<'c>(
            tx: &mut sqlx::Transaction<'c, $db>,
            jobs: &[podium_core::store::NewRun],
        ) -> podium_core::store::StoreResult<Vec<podium_core::store::StoreResult<()>>> {
            use std::collections::{BTreeMap, BTreeSet, HashMap};
            use podium_core::model::community::{Run, RunStatus};
            use podium_core::store::StoreError;
            use podium_core::time::to_micros;
            use sqlx::Row;
            use $crate::sql::map_err;
            let conflict = |c: &str| Err(StoreError::Conflict { constraint: c.to_owned() });
            // Categories, in id order: their version (absent: deleted).
            let categories: BTreeSet<String> = jobs.iter().map(|j| j.run.category_id.to_string()).collect();
            let mut versions: HashMap<String, i64> = HashMap::new();
            for category in &categories {
                let row = sqlx::query(concat!("SELECT updated_at FROM community_categories WHERE id = $1", $for_update))
                    .bind(category)
                    .fetch_optional(&mut **tx)
                    .await
                    .map_err(map_err)?;
                if let Some(row) = row {
                    versions.insert(category.clone(), row.try_get(0).map_err(map_err)?);
                }
            }
            // Runners: live ones (rows locked in id order, so a ban or a deletion of one waits
            // for this batch or is seen by it), and the bans in force on them.
            let members: BTreeSet<String> = jobs
                .iter()
                .flat_map(|j| j.run.runners.iter().map(|r| r.id).chain([j.run.submitted_by]))
                .map(|id| id.to_string())
                .collect();
            let mut live: BTreeSet<String> = BTreeSet::new();
            let mut bans: Vec<(String, Option<String>)> = Vec::new();
            if !members.is_empty() {
                let mut qb = sqlx::QueryBuilder::<$db>::new("SELECT id FROM community_members WHERE deleted_at IS NULL AND id IN (");
                let mut list = qb.separated(", ");
                for m in &members {
                    list.push_bind(m.clone());
                }
                qb.push(concat!(") ORDER BY id", $for_update));
                for row in qb.build().fetch_all(&mut **tx).await.map_err(map_err)? {
                    live.insert(row.try_get(0).map_err(map_err)?);
                }
                let mut qb = sqlx::QueryBuilder::<$db>::new(
                    "SELECT member_id, leaderboard_id FROM community_bans WHERE lifted_at IS NULL AND member_id IN (",
                );
                let mut list = qb.separated(", ");
                for m in &members {
                    list.push_bind(m.clone());
                }
                qb.push(")");
                for row in qb.build().fetch_all(&mut **tx).await.map_err(map_err)? {
                    bans.push((row.try_get(0).map_err(map_err)?, row.try_get(1).map_err(map_err)?));
                }
            }
            // The stored runs that the rules compare with: same category, runner set and
            // variable values (the database matches them, so a runner's other runs are never
            // read), 200 sets to a statement, each an index range of `community_runs_rules`
            // that holds their status and metrics, packed into one row per set (`status|metrics`
            // joined by `;`: rows cost more to hand over than to read). Runs stored before
            // `metric_key` existed come as `status|?id` and have their metrics read from
            // `community_run_metrics`.
            type Key = (String, String, Vec<(podium_core::id::VariableId, podium_core::id::VariableValueId)>);
            let keys: BTreeSet<Key> = jobs
                .iter()
                .map(|j| (j.run.category_id.to_string(), j.run.runner_key(), j.run.variables.clone()))
                .collect();
            let by_text: HashMap<(String, String, String), &Key> =
                keys.iter().map(|k| ((k.0.clone(), k.1.clone(), value_key(&k.2)), k)).collect();
            let mut existing: BTreeMap<Key, Vec<(bool, Run)>> = BTreeMap::new();
            let mut unkeyed: HashMap<String, (Key, usize)> = HashMap::new();
            let texts: Vec<&(String, String, String)> = by_text.keys().collect();
            let malformed = || StoreError::Backend("a stored run has a malformed metric_key".to_owned());
            for chunk in texts.chunks(200) {
                let mut qb = sqlx::QueryBuilder::<$db>::new(
                    "SELECT k.column1, k.column2, k.column3, \
                     string_agg(c.status || '|' || COALESCE(c.metric_key, '?' || c.id), ';') FROM (",
                );
                qb.push_values(chunk, |mut b, (category, runners, values)| {
                    b.push_bind(category.clone()).push_bind(runners.clone()).push_bind(values.clone());
                });
                qb.push(") AS k JOIN community_runs c ON c.category_id = k.column1 AND c.runner_key = k.column2 AND c.value_key = k.column3");
                if $name == "postgres" {
                    // PostgreSQL's B-tree entries stop at 2 704 bytes, which a hundred runners'
                    // key passes: its index holds the keys' digests (see the migration).
                    qb.push(
                        " AND sha256(c.runner_key::bytea) = sha256(k.column2::bytea) \
                         AND sha256(c.value_key::bytea) = sha256(k.column3::bytea)",
                    );
                }
                qb.push(" GROUP BY k.column1, k.column2, k.column3");
                for row in qb.build().fetch_all(&mut **tx).await.map_err(map_err)? {
                    let text: (String, String, String) =
                        (row.try_get(0).map_err(map_err)?, row.try_get(1).map_err(map_err)?, row.try_get(2).map_err(map_err)?);
                    let packed: String = row.try_get(3).map_err(map_err)?;
                    let Some(&key) = by_text.get(&text) else { continue };
                    let Some(template) = jobs.iter().find(|j| j.run.category_id.to_string() == key.0) else { continue };
                    let list = existing.entry(key.clone()).or_default();
                    for stored in packed.split(';') {
                        let (status, metrics) = stored.split_once('|').ok_or_else(malformed)?;
                        let metrics = match metrics.strip_prefix('?') {
                            Some(id) => {
                                unkeyed.insert(id.to_owned(), (key.clone(), list.len()));
                                Vec::new()
                            }
                            None => parse_metric_key(metrics).ok_or_else(malformed)?,
                        };
                        let other = Run { variables: key.2.clone(), metrics, ..template.run.clone() };
                        list.push((status == RunStatus::Rejected.as_str(), other));
                    }
                }
            }
            let ids: Vec<String> = unkeyed.keys().cloned().collect();
            for chunk in ids.chunks(500) {
                let mut qb = sqlx::QueryBuilder::<$db>::new(
                    "SELECT run_id, metric_id, value FROM community_run_metrics WHERE run_id IN (",
                );
                let mut list = qb.separated(", ");
                for id in chunk {
                    list.push_bind(id.clone());
                }
                qb.push(")");
                for r in qb.build().fetch_all(&mut **tx).await.map_err(map_err)? {
                    let (id, metric): (String, String) = (r.try_get(0).map_err(map_err)?, r.try_get(1).map_err(map_err)?);
                    let value: f64 = r.try_get(2).map_err(map_err)?;
                    if let (Some((key, i)), Ok(metric)) = (unkeyed.get(&id), metric.parse()) {
                        if let Some((_, run)) = existing.get_mut(key).and_then(|l| l.get_mut(*i)) {
                            run.metrics.push((metric, value));
                        }
                    }
                }
            }
            for list in existing.values_mut() {
                for (_, run) in list.iter_mut() {
                    run.metrics.sort_unstable_by_key(|(m, _)| *m);
                }
            }
            // The rules, in order; an accepted run is seen by the ones after it.
            let mut answers = Vec::with_capacity(jobs.len());
            let mut accepted: Vec<&podium_core::store::NewRun> = Vec::new();
            for job in jobs {
                let run = &job.run;
                let category = run.category_id.to_string();
                let leaderboard = run.leaderboard_id.to_string();
                let banned =
                    |member: &str| bans.iter().any(|(m, l)| m == member && l.as_ref().is_none_or(|l| *l == leaderboard));
                let answer = match versions.get(&category) {
                    None => Err(StoreError::NotFound),
                    Some(v) if *v != to_micros(job.category_read_at) => conflict("stale"),
                    Some(_) if run.runners.iter().any(|r| !live.contains(&r.id.to_string())) => conflict("reference"),
                    Some(_) if banned(&run.submitted_by.to_string()) => conflict("submitter_banned"),
                    Some(_) if run.runners.iter().any(|r| banned(&r.id.to_string())) => conflict("runner_banned"),
                    Some(_) => {
                        let others = existing.entry((category, run.runner_key(), run.variables.clone())).or_default();
                        if others.iter().any(|(_, other)| run.same_values(other)) {
                            conflict("identical")
                        } else if others
                            .iter()
                            .any(|(rejected, other)| !rejected && run.variables == other.variables && !run.beats(other, &job.metrics))
                        {
                            conflict("not_an_improvement")
                        } else {
                            others.push((false, run.clone()));
                            accepted.push(job);
                            Ok(())
                        }
                    }
                };
                answers.push(answer);
            }
            // The accepted runs, in multi-row inserts (chunked under the bind limits).
            for chunk in accepted.chunks(200) {
                let mut qb = sqlx::QueryBuilder::<$db>::new(
                    "INSERT INTO community_runs (id, category_id, leaderboard_id, submitted_by, runner_key, value_key, metric_key, played_on, submitted_at, status, updated_at) ",
                );
                qb.push_values(chunk, |mut b, job| {
                    let run = &job.run;
                    b.push_bind(run.id.to_string())
                        .push_bind(run.category_id.to_string())
                        .push_bind(run.leaderboard_id.to_string())
                        .push_bind(run.submitted_by.to_string())
                        .push_bind(run.runner_key())
                        .push_bind(value_key(&run.variables))
                        .push_bind(metric_key(&run.metrics))
                        .push_bind(podium_core::time::to_day_number(run.played_on))
                        .push_bind(to_micros(run.submitted_at))
                        .push_bind(run.status.as_str())
                        .push_bind(to_micros(run.updated_at));
                });
                qb.build().execute(&mut **tx).await.map_err(map_err)?;
            }
            let runners: Vec<(String, String, i64)> = accepted
                .iter()
                .flat_map(|j| j.run.runners.iter().enumerate().map(|(i, r)| (j.run.id.to_string(), r.id.to_string(), i as i64)))
                .collect();
            for chunk in runners.chunks(2000) {
                let mut qb = sqlx::QueryBuilder::<$db>::new("INSERT INTO community_run_runners (run_id, member_id, position) ");
                qb.push_values(chunk, |mut b, (run, member, position)| {
                    b.push_bind(run.clone()).push_bind(member.clone()).push_bind(*position);
                });
                qb.build().execute(&mut **tx).await.map_err(map_err)?;
            }
            let parts: Vec<&podium_core::model::community::Participation> =
                accepted.iter().flat_map(|j| j.participations.iter()).collect();
            for chunk in parts.chunks(1000) {
                let mut qb = sqlx::QueryBuilder::<$db>::new(
                    "INSERT INTO community_participations (id, run_id, member_id, comment, vod_url, filled_at) ",
                );
                qb.push_values(chunk, |mut b, p| {
                    b.push_bind(p.id.to_string())
                        .push_bind(p.run_id.to_string())
                        .push_bind(p.user_id.to_string())
                        .push_bind(p.comment.as_ref().map(|c| c.as_str().to_owned()))
                        .push_bind(p.vod_url.as_ref().map(|v| v.as_str().to_owned()))
                        .push_bind(p.filled_at.map(to_micros));
                });
                qb.build().execute(&mut **tx).await.map_err(map_err)?;
            }
            let values: Vec<(String, String, String, String)> = accepted
                .iter()
                .flat_map(|j| {
                    j.run.variables.iter().map(|(v, x)| {
                        (j.run.id.to_string(), j.run.category_id.to_string(), v.to_string(), x.to_string())
                    })
                })
                .collect();
            for chunk in values.chunks(1000) {
                let mut qb = sqlx::QueryBuilder::<$db>::new(
                    "INSERT INTO community_run_values (run_id, category_id, variable_id, value_id) ",
                );
                qb.push_values(chunk, |mut b, (run, category, variable, value)| {
                    b.push_bind(run.clone()).push_bind(category.clone()).push_bind(variable.clone()).push_bind(value.clone());
                });
                qb.build().execute(&mut **tx).await.map_err(map_err)?;
            }
            let metrics: Vec<(String, String, f64)> = accepted
                .iter()
                .flat_map(|j| j.run.metrics.iter().map(|(m, v)| (j.run.id.to_string(), m.to_string(), *v)))
                .collect();
            for chunk in metrics.chunks(2000) {
                let mut qb = sqlx::QueryBuilder::<$db>::new("INSERT INTO community_run_metrics (run_id, metric_id, value) ");
                qb.push_values(chunk, |mut b, (run, metric, value)| {
                    b.push_bind(run.clone()).push_bind(metric.clone()).push_bind(*value);
                });
                qb.build().execute(&mut **tx).await.map_err(map_err)?;
            }
            Ok(answers)
        }

        #[async_trait::async_trait]
        impl podium_core::store::RunStore for $store {
            async fn insert_run(
                &self,
                run: &podium_core::model::community::Run,
                participations: &[podium_core::model::community::Participation],
                metrics: &[podium_core::model::community::Metric],
                category_read_at: chrono::DateTime<chrono::Utc>,
            ) -> podium_core::store::StoreResult<()> {
                let job = podium_core::store::NewRun {
                    run: run.clone(),
                    participations: participations.to_vec(),
                    metrics: metrics.to_vec(),
                    category_read_at,
                };
                let mut answers = self.insert_runs(std::slice::from_ref(&job)).await?;
                answers.pop().unwrap_or(Err(podium_core::store::StoreError::NotFound))
            }

            async fn insert_runs(
                &self,
                runs: &[podium_core::store::NewRun],
            ) -> podium_core::store::StoreResult<Vec<podium_core::store::StoreResult<()>>> {
                if runs.is_empty() {
                    return Ok(Vec::new());
                }
                let mut tx = self.pool.begin_with($begin).await.map_err($crate::sql::map_err)?;
                let answers = insert_runs_in(&mut tx, runs).await?;
                tx.commit().await.map_err($crate::sql::map_err)?;
                Ok(answers)
            }

            async fn get_run(
                &self,
                id: podium_core::id::RunId,
            ) -> podium_core::store::StoreResult<Option<podium_core::model::community::Run>> {
                load_run(&self.pool, &id.to_string()).await
            }

            async fn list_runs(
                &self,
                filter: &podium_core::store::RunFilter,
                page: &podium_core::page::PageRequest,
            ) -> podium_core::store::StoreResult<Vec<podium_core::model::community::Run>> {
                let mut qb = sqlx::QueryBuilder::<$db>::new(concat!("SELECT ", $crate::run_cols!(), " FROM community_runs WHERE "));
                match filter.scope {
                    podium_core::store::RunScope::Category(c) => qb.push("category_id = ").push_bind(c.to_string()),
                    podium_core::store::RunScope::Leaderboard(l) => qb.push("leaderboard_id = ").push_bind(l.to_string()),
                };
                if let Some(status) = filter.status {
                    qb.push(" AND status = ").push_bind(status.as_str());
                }
                for (variable, values) in &filter.variables {
                    if values.is_empty() {
                        qb.push(" AND 1 = 0");
                        continue;
                    }
                    qb.push(" AND id IN (SELECT run_id FROM community_run_values WHERE variable_id = ");
                    qb.push_bind(variable.to_string());
                    qb.push(" AND value_id IN (");
                    let mut list = qb.separated(", ");
                    for v in values {
                        list.push_bind(v.to_string());
                    }
                    qb.push("))");
                }
                let fetched: podium_core::store::StoreResult<Vec<podium_core::model::community::Run>> =
                    $crate::sql::fetch_page!(&self.pool, qb, page, run_base);
                let mut runs = fetched?;
                load_run_parts(&self.pool, &mut runs).await?;
                Ok(runs)
            }

            async fn count_runs(
                &self,
                leaderboard: podium_core::id::LeaderboardId,
                status: podium_core::model::community::RunStatus,
            ) -> podium_core::store::StoreResult<Vec<(podium_core::id::CategoryId, u64)>> {
                let rows = sqlx::query(
                    "SELECT category_id, COUNT(*) FROM community_runs WHERE leaderboard_id = $1 AND status = $2 \
                     GROUP BY category_id ORDER BY category_id",
                )
                .bind(leaderboard.to_string())
                .bind(status.as_str())
                .fetch_all(&self.pool)
                .await
                .map_err($crate::sql::map_err)?;
                $crate::sql::id_counts(&rows, "community_runs.category_id")
            }

            async fn approved_runs(
                &self,
                category: podium_core::id::CategoryId,
            ) -> podium_core::store::StoreResult<Vec<podium_core::model::community::Run>> {
                let rows = sqlx::query(concat!(
                    "SELECT ",
                    $crate::run_cols!(),
                    " FROM community_runs WHERE category_id = $1 AND status = 'approved'"
                ))
                .bind(category.to_string())
                .fetch_all(&self.pool)
                .await
                .map_err($crate::sql::map_err)?;
                let mut runs = rows.iter().map(run_base).collect::<podium_core::store::StoreResult<Vec<_>>>()?;
                load_run_parts(&self.pool, &mut runs).await?;
                Ok(runs)
            }

            async fn category_ids(&self) -> podium_core::store::StoreResult<Vec<podium_core::id::CategoryId>> {
                use sqlx::Row;
                let rows = sqlx::query("SELECT id FROM community_categories ORDER BY created_at, id")
                    .fetch_all(&self.pool)
                    .await
                    .map_err($crate::sql::map_err)?;
                rows.iter()
                    .map(|r| {
                        let id: String = r.try_get(0).map_err($crate::sql::map_err)?;
                        id.parse().map_err(|_| $crate::sql::corrupt("category id"))
                    })
                    .collect()
            }

            async fn participations_of(
                &self,
                run: podium_core::id::RunId,
            ) -> podium_core::store::StoreResult<Vec<podium_core::model::community::Participation>> {
                let rows = sqlx::query(concat!(
                    "SELECT ",
                    $crate::participation_cols!(),
                    " FROM community_participations p JOIN community_run_runners rr ON rr.run_id = p.run_id AND rr.member_id = p.member_id \
                     WHERE p.run_id = $1 ORDER BY rr.position"
                ))
                .bind(run.to_string())
                .fetch_all(&self.pool)
                .await
                .map_err($crate::sql::map_err)?;
                rows.iter().map(participation_from_row).collect()
            }

            async fn get_participation(
                &self,
                id: podium_core::id::ParticipationId,
            ) -> podium_core::store::StoreResult<Option<podium_core::model::community::Participation>> {
                $crate::sql::fetch_optional!(
                    &self.pool,
                    concat!("SELECT ", $crate::participation_cols!(), " FROM community_participations p WHERE p.id = $1"),
                    participation_from_row,
                    id.to_string()
                )
            }

            async fn member_participations(
                &self,
                member: podium_core::id::MemberId,
                empty_only: bool,
            ) -> podium_core::store::StoreResult<Vec<podium_core::model::community::Participation>> {
                let sql = if empty_only {
                    concat!(
                        "SELECT ",
                        $crate::participation_cols!(),
                        " FROM community_participations p WHERE p.member_id = $1 AND p.filled_at IS NULL ORDER BY p.run_id DESC LIMIT 1000"
                    )
                } else {
                    concat!(
                        "SELECT ",
                        $crate::participation_cols!(),
                        " FROM community_participations p WHERE p.member_id = $1 ORDER BY p.run_id DESC LIMIT 1000"
                    )
                };
                let rows = sqlx::query(sql).bind(member.to_string()).fetch_all(&self.pool).await.map_err($crate::sql::map_err)?;
                rows.iter().map(participation_from_row).collect()
            }

            async fn fill_participation(
                &self,
                p: &podium_core::model::community::Participation,
            ) -> podium_core::store::StoreResult<podium_core::model::community::Run> {
                use podium_core::store::StoreError;
                use $crate::sql::map_err;
                let Some(at) = p.filled_at.map(podium_core::time::to_micros) else {
                    return Err(StoreError::Backend("a filled participation needs filled_at".to_owned()));
                };
                let run = p.run_id.to_string();
                let mut tx = self.pool.begin_with($begin).await.map_err(map_err)?;
                // The run is locked before its status is re-derived (two co-runners filling at
                // once, or a fill racing a judgement, each see the other's write).
                sqlx::query(concat!("SELECT id FROM community_runs WHERE id = $1", $for_update))
                    .bind(&run)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(map_err)?
                    .ok_or(StoreError::NotFound)?;
                let done = sqlx::query(
                    "UPDATE community_participations SET comment = $2, vod_url = $3, filled_at = $4 WHERE id = $1 AND filled_at IS NULL",
                )
                .bind(p.id.to_string())
                .bind(p.comment.as_ref().map(|c| c.as_str().to_owned()))
                .bind(p.vod_url.as_ref().map(|v| v.as_str().to_owned()))
                .bind(at)
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::Conflict { constraint: "filled".to_owned() });
                }
                set_run_status(&mut tx, &run, at).await?;
                tx.commit().await.map_err(map_err)?;
                load_run(&self.pool, &run).await?.ok_or(StoreError::NotFound)
            }

            async fn insert_judgement(
                &self,
                j: &podium_core::model::community::Judgement,
            ) -> podium_core::store::StoreResult<podium_core::model::community::Run> {
                use podium_core::model::community::RunStatus;
                use podium_core::store::StoreError;
                use sqlx::Row;
                use $crate::sql::map_err;
                let run = j.run_id.to_string();
                let mut tx = self.pool.begin_with($begin).await.map_err(map_err)?;
                let row = sqlx::query(concat!("SELECT status, leaderboard_id FROM community_runs WHERE id = $1", $for_update))
                    .bind(&run)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(map_err)?
                    .ok_or(StoreError::NotFound)?;
                let status: String = row.try_get(0).map_err(map_err)?;
                let leaderboard: String = row.try_get(1).map_err(map_err)?;
                let empty = sqlx::query("SELECT 1 FROM community_participations WHERE run_id = $1 AND filled_at IS NULL LIMIT 1")
                    .bind(&run)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(map_err)?;
                // Not on a run with an empty participation, even one a ban already rejected.
                if status == RunStatus::Created.as_str() || empty.is_some() {
                    return Err(StoreError::Conflict { constraint: "not_submitted".to_owned() });
                }
                if j.approved == Some(true) {
                    let banned = sqlx::query(
                        "SELECT 1 FROM community_bans b JOIN community_run_runners rr ON rr.member_id = b.member_id \
                         WHERE rr.run_id = $1 AND b.lifted_at IS NULL AND (b.leaderboard_id IS NULL OR b.leaderboard_id = $2) LIMIT 1",
                    )
                    .bind(&run)
                    .bind(&leaderboard)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(map_err)?;
                    if banned.is_some() {
                        return Err(StoreError::Conflict { constraint: "runner_banned".to_owned() });
                    }
                }
                insert_judgement_row(&mut tx, j).await?;
                set_run_status(&mut tx, &run, podium_core::time::to_micros(j.created_at)).await?;
                tx.commit().await.map_err(map_err)?;
                load_run(&self.pool, &run).await?.ok_or(StoreError::NotFound)
            }

            async fn get_judgement(
                &self,
                id: podium_core::id::JudgementId,
            ) -> podium_core::store::StoreResult<Option<podium_core::model::community::Judgement>> {
                $crate::sql::fetch_optional!(
                    &self.pool,
                    "SELECT id, run_id, judge_id, note, approved, created_at FROM community_judgements WHERE id = $1",
                    judgement_from_row,
                    id.to_string()
                )
            }

            async fn judgements_of(
                &self,
                run: podium_core::id::RunId,
            ) -> podium_core::store::StoreResult<Vec<podium_core::model::community::Judgement>> {
                let rows = sqlx::query(
                    "SELECT id, run_id, judge_id, note, approved, created_at FROM community_judgements WHERE run_id = $1 ORDER BY created_at, id",
                )
                .bind(run.to_string())
                .fetch_all(&self.pool)
                .await
                .map_err($crate::sql::map_err)?;
                rows.iter().map(judgement_from_row).collect()
            }
        }
    };
}
pub(crate) use impl_run_store;

#[doc(hidden)]
#[macro_export]
macro_rules! run_cols {
    () => {
        "id, category_id, leaderboard_id, submitted_by, played_on, submitted_at, status, updated_at"
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! participation_cols {
    () => {
        "p.id, p.run_id, p.member_id, p.comment, p.vod_url, p.filled_at"
    };
}
