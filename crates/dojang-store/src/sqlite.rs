//! The SQLite backend: one file, WAL journal, foreign keys on.
//!
//! Checkpoints (copying the write-ahead log back into the database file, with an fsync) run in a
//! background task every [`CHECKPOINT_EVERY`] instead of inline on whichever request happens to
//! commit the 1000th page: that keeps the work off the request path and copies each hot page
//! once per interval rather than once per 1000 pages. A high automatic threshold remains as a
//! backstop, so the log stays bounded even if the task stopped.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::PoolOptions;

type Db = sqlx::Sqlite;
const BACKEND: Backend = Backend::Sqlite;

/// How often the background task checkpoints the write-ahead log.
pub const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);
/// WAL pages after which a commit checkpoints by itself (the backstop; about 80 MB).
const AUTOCHECKPOINT_PAGES: &str = "20000";

/// Stops the checkpoint task when the last clone of the store is dropped.
#[derive(Debug)]
struct Checkpointer(tokio::task::JoinHandle<()>);

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.0.abort();
    }
}

include!("sql.rs");

impl SqlStore {
    /// Open (creating the file if needed) and migrate.
    pub async fn open(
        url: &str,
        keys: Arc<DataKeys>,
        options: &PoolOptions,
    ) -> Result<Self, StoreError> {
        let connect = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true)
            .pragma("wal_autocheckpoint", AUTOCHECKPOINT_PAGES);
        let pool = SqlitePoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .connect_with(connect)
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        let background = pool.clone();
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if background.is_closed() {
                    break;
                }
                if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                    .execute(&background)
                    .await
                {
                    tracing::warn!(error = %e, "WAL checkpoint failed; the automatic backstop still bounds the log");
                }
            }
        });
        Ok(Self {
            pool,
            keys,
            _checkpointer: Some(Arc::new(Checkpointer(task))),
        })
    }
}
