//! The PostgreSQL backend.

use std::time::Duration;

use sqlx::postgres::PgPoolOptions;

use crate::PoolOptions;

type Db = sqlx::Postgres;
const BACKEND: Backend = Backend::Postgres;

/// PostgreSQL checkpoints by itself; nothing to stop.
#[derive(Debug)]
struct Checkpointer;

include!("sql.rs");

impl SqlStore {
    /// Connect and migrate.
    pub async fn open(
        url: &str,
        keys: Arc<DataKeys>,
        options: &PoolOptions,
    ) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        Ok(Self {
            pool,
            keys,
            _checkpointer: None,
        })
    }
}
