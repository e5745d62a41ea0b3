//! The SQLite backend: one file, WAL journal, foreign keys on.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::PoolOptions;

type Db = sqlx::Sqlite;
const BACKEND: Backend = Backend::Sqlite;

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
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .connect_with(connect)
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        Ok(Self { pool, keys })
    }
}
