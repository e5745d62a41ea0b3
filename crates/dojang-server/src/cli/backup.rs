//! `dojang backup` and `dojang restore` (docs/operations.md, "Backup and restore"): the SQLite
//! database copied online with SQLite's backup API while the server runs, with the CA and the
//! data key beside it, and a manifest of every file's SHA-256; restore checks the manifest and the
//! database before it writes anything, and only into a data directory that holds no instance.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use serde::{Deserialize, Serialize};

use super::{InstanceArgs, say};

/// The manifest's file name inside a backup.
const MANIFEST: &str = "manifest.json";
/// What a backup holds beside the database: every file under these data-directory folders.
const FOLDERS: [&str; 2] = ["ca", "keys"];
/// The database's name inside a backup.
const DATABASE: &str = "dojang.db";

/// Options of `dojang backup`.
#[derive(Debug, Args)]
pub struct BackupArgs {
    #[command(flatten)]
    instance: InstanceArgs,
    /// The directory to write the backup into: new, or empty.
    #[arg(long, value_name = "DIR")]
    to: PathBuf,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Options of `dojang restore`.
#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The instance to restore into (its data directory must hold no CA, key or database yet).
    #[command(flatten)]
    instance: InstanceArgs,
    /// A directory `dojang backup` wrote.
    #[arg(long, value_name = "DIR")]
    from: PathBuf,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Manifest {
    /// The dojang version that wrote it.
    dojang: String,
    created_at: String,
    /// `sqlite`.
    database: String,
    /// The newest migration in the copied database.
    schema_version: i64,
    /// Path inside the backup → SHA-256, hex.
    files: std::collections::BTreeMap<String, String>,
}

fn sha256_hex(path: &Path) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let digest = ring::digest::digest(&ring::digest::SHA256, &bytes);
    Ok(digest.as_ref().iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(unix)]
fn private_dir(dir: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .map_err(|e| format!("{}: {e}", dir.display()))
}

#[cfg(not(unix))]
fn private_dir(dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))
}

/// Copy one file, readable by the owner only.
fn copy_private(from: &Path, to: &Path) -> Result<(), String> {
    if let Some(parent) = to.parent() {
        private_dir(parent)?;
    }
    std::fs::copy(from, to).map_err(|e| format!("{} → {}: {e}", from.display(), to.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(to, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| format!("{}: {e}", to.display()))?;
    }
    Ok(())
}

/// Every file under `root/folder`, as paths relative to `root` (`/`-separated), sorted.
fn files_under(root: &Path, folder: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::from(folder)];
    while let Some(rel) = stack.pop() {
        let dir = root.join(&rel);
        if !dir.exists() {
            continue;
        }
        for entry in std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))? {
            let entry = entry.map_err(|e| format!("{}: {e}", dir.display()))?;
            let kind = entry
                .file_type()
                .map_err(|e| format!("{}: {e}", entry.path().display()))?;
            let child = rel.join(entry.file_name());
            if kind.is_dir() {
                stack.push(child);
            } else if kind.is_file() {
                out.push(child.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out.sort();
    Ok(out)
}

fn sqlite_file(config: &crate::Config, verb: &str) -> Result<PathBuf, String> {
    let url = config.database_url();
    dojang_store::backup::sqlite_path(&url).ok_or_else(|| {
        format!(
            "dojang {verb} handles SQLite; this instance uses {} — back PostgreSQL up with its own \
             tools (pg_dump, or a base backup with WAL archiving; docs/operations.md) and copy \
             ca/ and keys/ of the data directory with it",
            dojang_store::redact_url(&url)
        )
    })
}

fn is_empty_dir(dir: &Path) -> Result<bool, String> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => Ok(entries.next().is_none()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(e) => Err(format!("{}: {e}", dir.display())),
    }
}

pub async fn backup(args: BackupArgs) -> Result<ExitCode, String> {
    let config = args.instance.load()?;
    let db = sqlite_file(&config, "backup")?;
    if !db.exists() {
        return Err(format!("no database at {}", db.display()));
    }
    if !is_empty_dir(&args.to)? {
        return Err(format!(
            "{} is not empty: a backup goes into a new or empty directory",
            args.to.display()
        ));
    }
    private_dir(&args.to)?;
    let to = args.to.clone();
    let copy = to.join(DATABASE);
    let copied = tokio::task::spawn_blocking(move || {
        dojang_store::backup::backup_sqlite(&db, &copy).map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| e.to_string())??;
    // SQLite created the copy with the process's umask; the directory was 0700 meanwhile.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(to.join(DATABASE), std::fs::Permissions::from_mode(0o600))
            .map_err(|e| e.to_string())?;
    }
    let mut files = std::collections::BTreeMap::new();
    files.insert(DATABASE.to_owned(), sha256_hex(&to.join(DATABASE))?);
    for folder in FOLDERS {
        for rel in files_under(&config.data_dir, folder)? {
            copy_private(&config.data_dir.join(&rel), &to.join(&rel))?;
            files.insert(rel.clone(), sha256_hex(&to.join(&rel))?);
        }
    }
    if !files.keys().any(|f| f.starts_with("keys/")) {
        return Err(format!(
            "{} has no keys/: without the data key the copied personal data cannot be read",
            config.data_dir.display()
        ));
    }
    let manifest = Manifest {
        dojang: env!("CARGO_PKG_VERSION").to_owned(),
        created_at: dojang_proto::datetime::format_rfc3339(time::OffsetDateTime::now_utc()),
        database: "sqlite".into(),
        schema_version: copied.schema_version,
        files,
    };
    let text = serde_json::to_string_pretty(&manifest).map_err(|e| e.to_string())?;
    std::fs::write(to.join(MANIFEST), text).map_err(|e| e.to_string())?;
    if args.json {
        say(serde_json::json!({
            "to": to,
            "pages": copied.pages,
            "schemaVersion": copied.schema_version,
            "files": manifest.files.len(),
        }));
    } else {
        say(format!(
            "backup written to {}: the database ({} pages, schema {}) and {} files of ca/ and keys/; \
             keep it as safe as the data directory (it holds the data key)",
            to.display(),
            copied.pages,
            copied.schema_version,
            manifest.files.len() - 1
        ));
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn restore(args: RestoreArgs) -> Result<ExitCode, String> {
    let config = args.instance.load()?;
    let db = sqlite_file(&config, "restore")?;
    let text = std::fs::read_to_string(args.from.join(MANIFEST))
        .map_err(|e| format!("{}: {e} (not a dojang backup?)", args.from.display()))?;
    let manifest: Manifest = serde_json::from_str(&text).map_err(|e| format!("{MANIFEST}: {e}"))?;
    if manifest.database != "sqlite" || !manifest.files.contains_key(DATABASE) {
        return Err(format!("{MANIFEST}: not a SQLite backup"));
    }
    // Everything is checked before anything is written.
    for (rel, want) in &manifest.files {
        if rel.split('/').any(|part| part == ".." || part.is_empty())
            || !(rel == DATABASE || FOLDERS.iter().any(|f| rel.starts_with(&format!("{f}/"))))
        {
            return Err(format!("{MANIFEST}: refusing the path {rel}"));
        }
        let got = sha256_hex(&args.from.join(rel))?;
        if &got != want {
            return Err(format!(
                "the backup is damaged: {rel} does not match its SHA-256 in {MANIFEST}"
            ));
        }
    }
    let copy = args.from.join(DATABASE);
    tokio::task::spawn_blocking(move || dojang_store::backup::check_sqlite(&copy))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("the backup's database: {e}"))?;
    for folder in FOLDERS {
        if !is_empty_dir(&config.data_dir.join(folder))? {
            return Err(format!(
                "{} already holds {folder}/: restore into a data directory without an instance",
                config.data_dir.display()
            ));
        }
    }
    if db.exists() {
        return Err(format!(
            "{} exists: restore into a data directory without a database",
            db.display()
        ));
    }
    private_dir(&config.data_dir)?;
    for rel in manifest.files.keys() {
        let target = if rel == DATABASE {
            db.clone()
        } else {
            config.data_dir.join(rel)
        };
        copy_private(&args.from.join(rel), &target)?;
    }
    say(format!(
        "restored {} (schema {}, written {}) into {}; start it with dojang serve --data-dir {}",
        args.from.display(),
        manifest.schema_version,
        manifest.created_at,
        config.data_dir.display(),
        config.data_dir.display()
    ));
    Ok(ExitCode::SUCCESS)
}
