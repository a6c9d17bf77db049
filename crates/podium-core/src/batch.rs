//! Group commit, written once. A [`Batcher`] is one task that drains a channel of jobs and
//! hands whatever has queued up (at most `max_batch`, optionally lingering a little for more)
//! to a [`Commit`] as one batch — one transaction, one fsync — then answers every job. A caller
//! is answered only after its batch was committed, so an acknowledged job is durable, and many
//! concurrent callers share one commit, which is where the throughput comes from.
//!
//! The score writer, the identity writer and the nonce-claim writer are each a [`Commit`]; the
//! behaviour they share — batch size, linger, failure of one job versus the whole batch,
//! draining on shutdown — lives and is tested here.

use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::{mpsc, oneshot};

use crate::error::{ErrorCode, ServiceError, ServiceResult};

/// How a batcher groups jobs.
#[derive(Debug, Clone, Copy)]
pub struct BatchConfig {
    /// What the writer is called in errors and logs (`score writer`, …).
    pub name: &'static str,
    /// Most jobs in one batch.
    pub max_batch: usize,
    /// How long a batch waits for more jobs once the first arrived (zero: commit what is
    /// queued at once, which is what a busy writer wants — the queue fills while it commits).
    pub linger: Duration,
    /// Calls [`Commit::tick`] this often (between batches), if set.
    pub tick: Option<Duration>,
}

impl BatchConfig {
    /// A batcher of up to `max_batch` jobs, no linger, no tick.
    pub const fn new(name: &'static str, max_batch: usize) -> Self {
        Self { name, max_batch, linger: Duration::ZERO, tick: None }
    }
}

/// What one batch of jobs is committed by.
#[async_trait]
pub trait Commit: Send + 'static {
    /// A job.
    type Job: Send + 'static;
    /// What a committed job answers.
    type Done: Send + 'static;

    /// Commits `jobs` (in arrival order) as one unit. `Ok` carries one result per job, in the
    /// same order — a job can fail on its own while the others commit. `Err` fails the whole
    /// batch: every job is answered with that error.
    async fn commit(&mut self, jobs: Vec<Self::Job>) -> ServiceResult<Vec<ServiceResult<Self::Done>>>;

    /// Periodic work between batches (see [`BatchConfig::tick`]).
    async fn tick(&mut self) {}

    /// Called once when every sender is gone and the last batch was committed.
    async fn drained(&mut self) {}
}

type Envelope<C> = (<C as Commit>::Job, oneshot::Sender<ServiceResult<<C as Commit>::Done>>);

/// The sending side of a running batcher; cheap to clone. The task stops once every clone is
/// dropped and the queued jobs are committed.
pub struct Batcher<J, D> {
    tx: mpsc::Sender<(J, oneshot::Sender<ServiceResult<D>>)>,
    name: &'static str,
}

impl<J, D> Clone for Batcher<J, D> {
    fn clone(&self) -> Self {
        Self { tx: self.tx.clone(), name: self.name }
    }
}

impl<J: Send + 'static, D: Send + 'static> Batcher<J, D> {
    /// Starts the batching task over `commit`.
    pub fn spawn<C: Commit<Job = J, Done = D>>(commit: C, config: BatchConfig) -> Self {
        let max = config.max_batch.max(1);
        let (tx, rx) = mpsc::channel::<Envelope<C>>(max * 4);
        tokio::spawn(run(commit, rx, BatchConfig { max_batch: max, ..config }));
        Self { tx, name: config.name }
    }

    /// Queues `job` and waits until its batch was committed.
    pub async fn submit(&self, job: J) -> ServiceResult<D> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send((job, reply))
            .await
            .map_err(|_| ServiceError::new(ErrorCode::StoreUnavailable, "the server is shutting down"))?;
        answer
            .await
            .map_err(|_| ServiceError::new(ErrorCode::StoreUnavailable, format!("the {} stopped", self.name)))?
    }
}

async fn run<C: Commit>(mut commit: C, mut rx: mpsc::Receiver<Envelope<C>>, config: BatchConfig) {
    let mut queued: Vec<Envelope<C>> = Vec::with_capacity(config.max_batch);
    let mut tick = config.tick.map(|every| {
        let mut t = tokio::time::interval(every);
        t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        t
    });
    loop {
        let received = match tick.as_mut() {
            Some(t) => tokio::select! {
                n = rx.recv_many(&mut queued, config.max_batch) => n,
                _ = t.tick() => {
                    commit.tick().await;
                    continue;
                }
            },
            None => rx.recv_many(&mut queued, config.max_batch).await,
        };
        if received == 0 {
            break;
        }
        if !config.linger.is_zero() {
            let deadline = tokio::time::Instant::now() + config.linger;
            while queued.len() < config.max_batch {
                let room = config.max_batch - queued.len();
                match tokio::time::timeout_at(deadline, rx.recv_many(&mut queued, room)).await {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
            }
        }
        let (jobs, replies): (Vec<C::Job>, Vec<_>) = queued.drain(..).unzip();
        let count = replies.len();
        match commit.commit(jobs).await {
            Ok(results) => {
                if results.len() != count {
                    tracing::error!(
                        writer = config.name,
                        jobs = count,
                        results = results.len(),
                        "a batch answered the wrong number of jobs"
                    );
                }
                let mut results = results.into_iter();
                for reply in replies {
                    let answer = results.next().unwrap_or_else(|| {
                        Err(ServiceError::new(ErrorCode::Internal, "the batch did not answer this job"))
                    });
                    let _ = reply.send(answer);
                }
            }
            Err(e) => {
                for reply in replies {
                    let _ = reply.send(Err(e.clone()));
                }
            }
        }
    }
    commit.drained().await;
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// Records each batch; fails jobs that are odd when `odd_fails`, and every batch holding
    /// a 13 when `unlucky`.
    #[derive(Default, Clone)]
    struct Recorder {
        batches: Arc<Mutex<Vec<Vec<u32>>>>,
        ticks: Arc<Mutex<u32>>,
        drained: Arc<Mutex<bool>>,
        odd_fails: bool,
        unlucky: bool,
        pause: Option<Duration>,
    }

    #[async_trait]
    impl Commit for Recorder {
        type Job = u32;
        type Done = u32;

        async fn commit(&mut self, jobs: Vec<u32>) -> ServiceResult<Vec<ServiceResult<u32>>> {
            if let Some(p) = self.pause {
                tokio::time::sleep(p).await;
            }
            self.batches.lock().unwrap().push(jobs.clone());
            if self.unlucky && jobs.contains(&13) {
                return Err(ServiceError::new(ErrorCode::StoreUnavailable, "unlucky batch"));
            }
            Ok(jobs
                .into_iter()
                .map(|j| {
                    if self.odd_fails && j % 2 == 1 {
                        Err(ServiceError::field("job", crate::error::FieldCode::InvalidValue))
                    } else {
                        Ok(j * 10)
                    }
                })
                .collect())
        }

        async fn tick(&mut self) {
            *self.ticks.lock().unwrap() += 1;
        }

        async fn drained(&mut self) {
            *self.drained.lock().unwrap() = true;
        }
    }

    /// Submits every job from its own task (so they queue together) and collects the answers
    /// in job order.
    async fn submit_all(b: &Batcher<u32, u32>, jobs: impl IntoIterator<Item = u32>) -> Vec<ServiceResult<u32>> {
        let tasks: Vec<_> = jobs
            .into_iter()
            .map(|j| {
                let b = b.clone();
                tokio::spawn(async move { b.submit(j).await })
            })
            .collect();
        let mut answers = Vec::with_capacity(tasks.len());
        for t in tasks {
            answers.push(t.await.unwrap());
        }
        answers
    }

    #[tokio::test]
    async fn every_job_is_answered_with_its_own_result_after_its_batch_committed() {
        let r = Recorder::default();
        let b = Batcher::spawn(r.clone(), BatchConfig::new("test writer", 100));
        let answers = submit_all(&b, [1, 2, 3]).await;
        assert_eq!(answers, vec![Ok(10), Ok(20), Ok(30)]);
        let committed: Vec<u32> = r.batches.lock().unwrap().concat();
        assert_eq!(committed, vec![1, 2, 3]);
    }

    #[tokio::test]
    async fn concurrent_jobs_share_a_batch_and_no_batch_exceeds_the_maximum() {
        let r = Recorder { pause: Some(Duration::from_millis(20)), ..Recorder::default() };
        let b = Batcher::spawn(r.clone(), BatchConfig::new("test writer", 8));
        let tasks: Vec<_> = (0..50u32)
            .map(|j| {
                let b = b.clone();
                tokio::spawn(async move { b.submit(j).await })
            })
            .collect();
        for (j, t) in tasks.into_iter().enumerate() {
            assert_eq!(t.await.unwrap(), Ok(j as u32 * 10));
        }
        let batches = r.batches.lock().unwrap().clone();
        assert!(batches.iter().all(|b| b.len() <= 8), "{batches:?}");
        assert!(batches.len() < 50, "jobs queued during a commit share the next batch: {batches:?}");
        let mut all: Vec<u32> = batches.concat();
        all.sort_unstable();
        assert_eq!(all, (0..50).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn one_failing_job_fails_alone() {
        let r = Recorder { odd_fails: true, ..Recorder::default() };
        let b = Batcher::spawn(r.clone(), BatchConfig::new("test writer", 100));
        let answers = submit_all(&b, [2, 3, 4]).await;
        assert_eq!(answers[0], Ok(20));
        assert_eq!(answers[1].as_ref().unwrap_err().code, ErrorCode::ValidationFailed);
        assert_eq!(answers[2], Ok(40));
    }

    #[tokio::test(start_paused = true)]
    async fn a_failing_batch_fails_every_job_in_it_and_only_those() {
        let r = Recorder { unlucky: true, ..Recorder::default() };
        let config = BatchConfig { linger: Duration::from_millis(50), ..BatchConfig::new("test writer", 100) };
        let b = Batcher::spawn(r.clone(), config);
        let first = submit_all(&b, [12, 13, 14]).await;
        assert!(first.iter().all(|a| a.as_ref().is_err_and(|e| e.code == ErrorCode::StoreUnavailable)), "{first:?}");
        let second = submit_all(&b, [15]).await;
        assert_eq!(second, vec![Ok(150)]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_lingering_batch_waits_for_jobs_that_arrive_within_the_linger() {
        let r = Recorder::default();
        let config = BatchConfig { linger: Duration::from_millis(100), ..BatchConfig::new("test writer", 100) };
        let b = Batcher::spawn(r.clone(), config);
        let early = {
            let b = b.clone();
            tokio::spawn(async move { b.submit(1).await })
        };
        tokio::time::sleep(Duration::from_millis(40)).await;
        let late = {
            let b = b.clone();
            tokio::spawn(async move { b.submit(2).await })
        };
        assert_eq!(early.await.unwrap(), Ok(10));
        assert_eq!(late.await.unwrap(), Ok(20));
        assert_eq!(r.batches.lock().unwrap().clone(), vec![vec![1, 2]]);
        // A job after the linger expired goes into a batch of its own.
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(b.submit(3).await, Ok(30));
        assert_eq!(r.batches.lock().unwrap().len(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_batch_without_linger_does_not_wait() {
        let r = Recorder::default();
        let b = Batcher::spawn(r.clone(), BatchConfig::new("test writer", 100));
        let started = tokio::time::Instant::now();
        assert_eq!(b.submit(1).await, Ok(10));
        assert!(started.elapsed() < Duration::from_millis(1));
    }

    #[tokio::test(start_paused = true)]
    async fn ticks_run_between_batches() {
        let r = Recorder::default();
        let config = BatchConfig { tick: Some(Duration::from_secs(1)), ..BatchConfig::new("test writer", 100) };
        let b = Batcher::spawn(r.clone(), config);
        tokio::time::sleep(Duration::from_millis(3500)).await;
        assert_eq!(b.submit(1).await, Ok(10));
        assert!(*r.ticks.lock().unwrap() >= 3, "ticks: {}", r.ticks.lock().unwrap());
    }

    #[tokio::test]
    async fn on_shutdown_queued_jobs_are_committed_and_answered_before_the_writer_stops() {
        let r = Recorder { pause: Some(Duration::from_millis(10)), ..Recorder::default() };
        let b = Batcher::spawn(r.clone(), BatchConfig::new("test writer", 4));
        let tasks: Vec<_> = (0..20u32)
            .map(|j| {
                let b = b.clone();
                tokio::spawn(async move { b.submit(j).await })
            })
            .collect();
        drop(b);
        for (j, t) in tasks.into_iter().enumerate() {
            assert_eq!(t.await.unwrap(), Ok(j as u32 * 10));
        }
        for _ in 0..100 {
            if *r.drained.lock().unwrap() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(*r.drained.lock().unwrap(), "drained once every sender was gone");
        assert_eq!(r.batches.lock().unwrap().concat().len(), 20);
    }
}
