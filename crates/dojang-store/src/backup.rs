//! Online copies of a SQLite database (`dojang backup`, docs/operations.md): SQLite's own backup
//! API, which copies every page under one read transaction, so the copy is the database as it
//! was at one moment even while the server keeps writing (the write-ahead log lets the writer go
//! on). PostgreSQL has its own tools (`pg_dump`, base backups); this module is SQLite's.

use std::path::{Path, PathBuf};
use std::str::FromStr as _;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};
use sqlx::sqlite::SqliteConnectOptions;

use crate::StoreError;

/// The file a `sqlite://` URL names; `None` for any other URL.
pub fn sqlite_path(url: &str) -> Option<PathBuf> {
    if !url.starts_with("sqlite:") || url.contains(":memory:") {
        return None;
    }
    let options = SqliteConnectOptions::from_str(url).ok()?;
    let path = options.get_filename();
    (!path.as_os_str().is_empty() && !path.to_string_lossy().contains(":memory:"))
        .then(|| path.to_owned())
}

/// What a copy holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copied {
    /// Pages copied.
    pub pages: i64,
    /// The newest migration applied in the copy.
    pub schema_version: i64,
}

/// Copy the database at `source` to a new file `dest` while others may be using it, then check
/// the copy (`PRAGMA integrity_check`). `dest` must not exist.
pub fn backup_sqlite(source: &Path, dest: &Path) -> Result<Copied, StoreError> {
    if dest.exists() {
        return Err(StoreError::Unavailable(format!(
            "{} exists already",
            dest.display()
        )));
    }
    let src = Connection::open_with_flags(
        source,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    src.busy_timeout(Duration::from_secs(10))?;
    let mut out = Connection::open(dest)?;
    {
        let backup = rusqlite::backup::Backup::new(&src, &mut out)?;
        // All pages in one step: one read transaction, so one moment of the database. (Small
        // steps would restart whenever the server writes between them, and never end under load.)
        backup.step(-1)?;
    }
    let pages: i64 = out.query_row("PRAGMA page_count", [], |r| r.get(0))?;
    check_sqlite_conn(&out)?;
    let schema_version = out.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success",
        [],
        |r| r.get(0),
    )?;
    Ok(Copied {
        pages,
        schema_version,
    })
}

/// `PRAGMA integrity_check` of the database file at `path`: `Ok` when SQLite finds it sound.
pub fn check_sqlite(path: &Path) -> Result<(), StoreError> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    check_sqlite_conn(&conn)
}

fn check_sqlite_conn(conn: &Connection) -> Result<(), StoreError> {
    let verdict: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    if verdict == "ok" {
        Ok(())
    } else {
        Err(StoreError::Corrupt(format!("integrity check: {verdict}")))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn urls_name_their_file() {
        assert_eq!(
            sqlite_path("sqlite:///var/lib/dojang/dojang.db"),
            Some(PathBuf::from("/var/lib/dojang/dojang.db"))
        );
        assert_eq!(
            sqlite_path("sqlite://./d/dojang.db"),
            Some(PathBuf::from("./d/dojang.db"))
        );
        assert_eq!(sqlite_path("sqlite::memory:"), None);
        assert_eq!(sqlite_path("postgres://u@h/db"), None);
    }

    #[test]
    fn a_copy_made_while_another_connection_writes_is_whole() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("a.db");
        let w = Connection::open(&db).unwrap();
        w.pragma_update(None, "journal_mode", "wal").unwrap();
        w.execute_batch(
            "CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, success BOOLEAN);
             INSERT INTO _sqlx_migrations VALUES (1, 1), (2, 1);
             CREATE TABLE t (n INTEGER);",
        )
        .unwrap();
        w.execute_batch("BEGIN").unwrap();
        for n in 0..1000 {
            w.execute("INSERT INTO t VALUES (?1)", [n]).unwrap();
        }
        w.execute_batch("COMMIT").unwrap();
        // A transaction left open by the writer: the copy sees only what was committed.
        w.execute_batch("BEGIN; INSERT INTO t VALUES (-1);")
            .unwrap();
        let copy = dir.path().join("b.db");
        let copied = backup_sqlite(&db, &copy).unwrap();
        assert_eq!(copied.schema_version, 2);
        assert!(copied.pages > 1);
        let c = Connection::open(&copy).unwrap();
        let n: i64 = c
            .query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1000);
        assert!(
            backup_sqlite(&db, &copy).is_err(),
            "never over an existing file"
        );
        // A damaged copy fails its check: the header of every page after the first broken.
        drop(c);
        let page: usize = 4096;
        let mut bytes = std::fs::read(&copy).unwrap();
        assert_eq!(bytes.len() % page, 0);
        for start in (page..bytes.len()).step_by(page) {
            bytes[start] = 0x42;
        }
        std::fs::write(&copy, bytes).unwrap();
        assert!(check_sqlite(&copy).is_err());
    }
}
