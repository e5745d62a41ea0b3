//! One SQLite connection on its own thread, fed by a queue.
//!
//! Why: with a pool of connections on their own threads (sqlx's design), every statement costs
//! a thread hand-off each way, and every write invalidates the other connections' page caches.
//! Profiles of the flow benchmark put a third of the server's CPU there. Here the async side
//! queues a job and awaits a one-shot answer; the thread drains the queue in batches, so under
//! load it rarely sleeps and the cache stays warm. Nothing blocks the async runtime.
//!
//! Semantics:
//! * jobs run one at a time, in arrival order, on the one connection: each sees every earlier
//!   job's effects, which is what makes the conditional updates of the store atomic;
//! * a batch with any write runs inside one `BEGIN IMMEDIATE … COMMIT` (group commit), each job
//!   inside its own savepoint, so a failing job is rolled back alone;
//! * answers are released only after the batch committed: a caller never sees a write that a
//!   failed commit then discarded (it gets the commit's error instead);
//! * read-only batches run without an explicit transaction;
//! * a second thread with its own connection checkpoints the write-ahead log every
//!   [`CHECKPOINT_EVERY`]: in WAL mode a passive checkpoint runs beside writers, so its fsync
//!   never holds up a request (on the executor thread it stalled every queued job: a 25 ms p99
//!   at half load).

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use rusqlite::Connection;
use tokio::sync::oneshot;

use crate::StoreError;

/// How often the executor checkpoints the write-ahead log into the database file.
pub const CHECKPOINT_EVERY: Duration = Duration::from_millis(100);
/// Jobs taken from the queue into one batch at most.
const MAX_BATCH: usize = 256;
/// WAL pages after which a commit checkpoints by itself (the backstop; about 80 MB).
const AUTOCHECKPOINT_PAGES: u32 = 20_000;

/// Whether a job writes (and so needs the write transaction).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Only reads.
    Read,
    /// Writes.
    Write,
}

/// Sends a job's answer, once the fate of its batch is known.
type Deliver = Box<dyn FnOnce(Result<(), String>) + Send>;

/// Work for the SQLite thread. Every job is either run (and its answer delivered after the
/// batch's commit) or failed, exactly once.
trait Job: Send {
    fn access(&self) -> Access;
    /// Run on the connection: whether it succeeded (else its savepoint is rolled back), and how
    /// to deliver its answer once the batch's fate is known.
    fn run(self: Box<Self>, conn: &Connection) -> (bool, Deliver);
    /// It will never run.
    fn fail(self: Box<Self>, error: StoreError);
}

struct Typed<T, F> {
    access: Access,
    f: F,
    answer: oneshot::Sender<Result<T, StoreError>>,
}

impl<T, F> Job for Typed<T, F>
where
    T: Send + 'static,
    F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
{
    fn access(&self) -> Access {
        self.access
    }

    fn run(self: Box<Self>, conn: &Connection) -> (bool, Deliver) {
        let Typed { f, answer, .. } = *self;
        let result = f(conn);
        let ok = result.is_ok();
        let deliver: Deliver = Box::new(move |batch| {
            let _ = answer.send(match batch {
                Ok(()) => result,
                // The job succeeded but its batch did not commit: its effects are gone.
                Err(e) if ok => Err(StoreError::Unavailable(e)),
                Err(_) => result,
            });
        });
        (ok, deliver)
    }

    fn fail(self: Box<Self>, error: StoreError) {
        let _ = self.answer.send(Err(error));
    }
}

/// The queue to the SQLite thread. Dropping the last handle ends both threads.
pub struct Executor {
    queue: mpsc::Sender<Box<dyn Job>>,
    /// Jobs sent and not yet taken by the thread.
    queued: Arc<AtomicU64>,
    /// Dropped with the executor: tells the checkpoint thread to stop.
    _stop_checkpoints: mpsc::Sender<()>,
}

impl std::fmt::Debug for Executor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Executor")
    }
}

fn open(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "wal")?;
    conn.pragma_update(None, "synchronous", "normal")?;
    conn.pragma_update(None, "foreign_keys", "on")?;
    conn.pragma_update(None, "wal_autocheckpoint", AUTOCHECKPOINT_PAGES)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

impl Executor {
    /// Open the database file and start the thread.
    pub fn start(path: &Path) -> Result<Self, StoreError> {
        let conn = open(path)?;
        let checkpointer = open(path)?;
        let (queue, jobs) = mpsc::channel::<Box<dyn Job>>();
        let queued = Arc::new(AtomicU64::new(0));
        let taken = queued.clone();
        let (stop, stopped) = mpsc::channel::<()>();
        let spawn_err = |e: std::io::Error| {
            StoreError::Unavailable(format!("cannot start a SQLite thread: {e}"))
        };
        std::thread::Builder::new()
            .name("dojang-sqlite".into())
            .spawn(move || run(&conn, &jobs, &taken))
            .map_err(spawn_err)?;
        std::thread::Builder::new()
            .name("dojang-sqlite-checkpoint".into())
            .spawn(move || checkpoints(&checkpointer, &stopped))
            .map_err(spawn_err)?;
        Ok(Self {
            queue,
            queued,
            _stop_checkpoints: stop,
        })
    }

    /// Jobs waiting for the thread now.
    pub fn queued(&self) -> u64 {
        self.queued.load(Ordering::Relaxed)
    }

    /// Run `f` on the connection and await its answer.
    pub async fn run<T, F>(&self, access: Access, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let (answer, rx) = oneshot::channel();
        self.queued.fetch_add(1, Ordering::Relaxed);
        self.queue
            .send(Box::new(Typed { access, f, answer }))
            .map_err(|_| {
                self.queued.fetch_sub(1, Ordering::Relaxed);
                StoreError::Unavailable("the SQLite thread has stopped".into())
            })?;
        rx.await
            .map_err(|_| StoreError::Unavailable("the SQLite thread stopped mid-job".into()))?
    }
}

/// The executor thread: take batches and run them; end when every sender is gone.
fn run(conn: &Connection, jobs: &mpsc::Receiver<Box<dyn Job>>, queued: &AtomicU64) {
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        queued.fetch_sub(batch.len() as u64, Ordering::Relaxed);
        run_batch(conn, batch);
    }
}

/// The checkpoint thread: every [`CHECKPOINT_EVERY`] until the executor is dropped, and once
/// more at the end.
fn checkpoints(conn: &Connection, stop: &mpsc::Receiver<()>) {
    while let Err(RecvTimeoutError::Timeout) = stop.recv_timeout(CHECKPOINT_EVERY) {
        checkpoint(conn);
    }
    checkpoint(conn);
}

fn checkpoint(conn: &Connection) {
    // PASSIVE never waits for readers or writers; the backstop threshold bounds the log if
    // checkpoints keep failing.
    if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
        tracing::warn!(error = %e, "WAL checkpoint failed; the automatic backstop still bounds the log");
    }
}

fn run_batch(conn: &Connection, batch: Vec<Box<dyn Job>>) {
    if batch.iter().all(|j| j.access() == Access::Read) {
        for job in batch {
            let (_, deliver) = job.run(conn);
            deliver(Ok(()));
        }
        return;
    }
    if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
        // The write lock could not be had (another process held it past the busy timeout):
        // nothing ran, every job hears why.
        for job in batch {
            job.fail(StoreError::Unavailable(format!(
                "cannot begin a transaction: {e}"
            )));
        }
        return;
    }
    let mut delivers = Vec::with_capacity(batch.len());
    let mut broken = None;
    let mut jobs = batch.into_iter();
    for job in jobs.by_ref() {
        if let Err(e) = conn.execute_batch("SAVEPOINT job") {
            job.fail(StoreError::Unavailable(format!(
                "cannot open a savepoint: {e}"
            )));
            broken = Some(e.to_string());
            break;
        }
        let (ok, deliver) = job.run(conn);
        delivers.push(deliver);
        let closed = if ok {
            conn.execute_batch("RELEASE job")
        } else {
            conn.execute_batch("ROLLBACK TO job; RELEASE job")
        };
        if let Err(e) = closed {
            broken = Some(e.to_string());
            break;
        }
    }
    // Jobs after a broken savepoint never ran.
    for job in jobs {
        job.fail(StoreError::Unavailable(
            "the batch was aborted before this job ran".into(),
        ));
    }
    let committed = match broken {
        Some(e) => Err(format!(
            "a savepoint failed ({e}); the batch was rolled back"
        )),
        None => conn
            .execute_batch("COMMIT")
            .map_err(|e| format!("commit failed: {e}")),
    };
    if committed.is_err() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    for deliver in delivers {
        deliver(committed.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn executor() -> (tempfile::TempDir, Executor) {
        let dir = tempfile::tempdir().unwrap();
        let e = Executor::start(&dir.path().join("x.db")).unwrap();
        (dir, e)
    }

    #[tokio::test]
    async fn jobs_run_in_order_and_a_failing_job_is_rolled_back_alone() {
        let (_d, e) = executor();
        e.run(Access::Write, |c| {
            Ok(c.execute_batch("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)")?)
        })
        .await
        .unwrap();
        // Many writes queued at once land in few batches; one violates the primary key.
        let mut tasks = Vec::new();
        let e = std::sync::Arc::new(e);
        for k in 0..50i64 {
            let e = e.clone();
            tasks.push(tokio::spawn(async move {
                let key = if k == 25 { 24 } else { k };
                e.run(Access::Write, move |c| {
                    c.execute("INSERT INTO t (k, v) VALUES (?1, 'x')", [key])?;
                    Ok(key)
                })
                .await
            }));
        }
        let mut failed = 0;
        for t in tasks {
            if t.await.unwrap().is_err() {
                failed += 1;
            }
        }
        assert_eq!(failed, 1, "only the duplicate fails");
        let n: i64 = e
            .run(Access::Read, |c| {
                Ok(c.query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))?)
            })
            .await
            .unwrap();
        assert_eq!(n, 49);
    }

    #[tokio::test]
    async fn a_job_sees_earlier_jobs_and_errors_come_back() {
        let (_d, e) = executor();
        e.run(Access::Write, |c| {
            Ok(c.execute_batch("CREATE TABLE t (k INTEGER PRIMARY KEY)")?)
        })
        .await
        .unwrap();
        e.run(Access::Write, |c| {
            Ok(c.execute("INSERT INTO t VALUES (1)", [])?)
        })
        .await
        .unwrap();
        let r = e
            .run(Access::Read, |c| {
                Ok(c.query_row("SELECT k FROM nope", [], |r| r.get::<_, i64>(0))?)
            })
            .await;
        assert!(matches!(r, Err(StoreError::Sqlite(_))));
        let k: i64 = e
            .run(Access::Read, |c| {
                Ok(c.query_row("SELECT k FROM t", [], |r| r.get(0))?)
            })
            .await
            .unwrap();
        assert_eq!(k, 1);
    }

    #[tokio::test]
    async fn a_dropped_executor_stops_its_thread_and_keeps_the_data() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.db");
        {
            let e = Executor::start(&path).unwrap();
            e.run(Access::Write, |c| {
                Ok(c.execute_batch("CREATE TABLE t (k INTEGER); INSERT INTO t VALUES (7)")?)
            })
            .await
            .unwrap();
        }
        let e = Executor::start(&path).unwrap();
        let k: i64 = e
            .run(Access::Read, |c| {
                Ok(c.query_row("SELECT k FROM t", [], |r| r.get(0))?)
            })
            .await
            .unwrap();
        assert_eq!(k, 7);
    }
}
