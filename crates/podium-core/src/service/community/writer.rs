//! The run writer: submissions are committed in groups (a [`Commit`] for the shared
//! [`Batcher`]): whatever has queued up while the previous group committed goes into one
//! transaction, checked in order, so many submissions share one fsync and each still gets its
//! own answer (a refused run leaves nothing behind; a group the database refuses as a whole is
//! retried run by run). A submission is answered only
//! after its group committed.

use std::sync::Arc;

use async_trait::async_trait;

use super::runs::run_conflict;
use crate::batch::{BatchConfig, Batcher, Commit};
use crate::error::ServiceResult;
use crate::store::{NewRun, Store, StoreError};

/// Most runs in one transaction.
const MAX_BATCH: usize = 256;

/// The sending side of the run writer.
pub(super) type RunWriter = Batcher<NewRun, ()>;

struct Runs(Arc<dyn Store>);

#[async_trait]
impl Commit for Runs {
    type Job = NewRun;
    type Done = ();

    async fn commit(&mut self, jobs: Vec<NewRun>) -> ServiceResult<Vec<ServiceResult<()>>> {
        let started = std::time::Instant::now();
        let results = match self.0.insert_runs(&jobs).await {
            Ok(results) => results,
            // A group the database refused as a whole (what validation should never let
            // through): each run alone, so one bad run fails only itself.
            Err(e) if jobs.len() > 1 && !matches!(e, StoreError::Unavailable(_)) => {
                tracing::warn!(runs = jobs.len(), error = %e, "a run batch failed; committing its runs one by one");
                let mut one_by_one = Vec::with_capacity(jobs.len());
                for job in &jobs {
                    let answer = self.0.insert_runs(std::slice::from_ref(job)).await;
                    one_by_one.push(answer.and_then(|mut a| a.pop().unwrap_or(Err(StoreError::NotFound))));
                }
                one_by_one
            }
            Err(e) => return Err(e.into()),
        };
        tracing::debug!(runs = jobs.len(), elapsed_ms = started.elapsed().as_secs_f64() * 1e3, "run batch committed");
        Ok(results.into_iter().map(|r| r.map_err(run_conflict)).collect())
    }
}

/// Starts the run writer over `store`.
pub(super) fn spawn(store: Arc<dyn Store>) -> RunWriter {
    Batcher::spawn(Runs(store), BatchConfig::new("run writer", MAX_BATCH))
}
