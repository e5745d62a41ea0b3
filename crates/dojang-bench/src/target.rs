//! The server under test: started here on a temporary database, or already running.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use dojang_client::Credentials;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::{BenchError, Result, fail};

/// A `dojang serve` started for a benchmark, with a fresh data directory and one relying party.
#[derive(Debug)]
pub struct LocalServer {
    child: Child,
    /// Base URL.
    pub url: String,
    /// Process id (for CPU and memory readings).
    pub pid: u32,
    /// The relying party registered for the run.
    pub credentials: Credentials,
    _dir: tempfile::TempDir,
}

/// The release `dojang` next to this executable (`target/release/`), if any.
pub fn default_server_bin() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let p = exe
        .parent()?
        .join(format!("dojang{}", std::env::consts::EXE_SUFFIX));
    p.exists().then_some(p)
}

/// The generator's devices are scripts: they need the binding code on the card, and one person
/// receives many requests a minute (each worker drives its own persons one flow at a time, so
/// the one-waiting-request-per-relying-party rule still holds).
const BENCH_POLICY: &str =
    "[policy]\nperson_requests_per_minute = 0\ndev_reveal_binding_code = true\n";

/// The `[hsm]` section for a started server: SoftHSM2 or any PKCS#11 `module`, the token's
/// label and a file holding its user PIN (cloud certificates need it, docs/cloud.md).
pub fn hsm_config(module: &str, token: &str, pin_file: &Path) -> String {
    format!(
        "[hsm]\nmodule = {module:?}\ntoken = {token:?}\npin_file = {:?}\n",
        pin_file.display().to_string()
    )
}

impl LocalServer {
    /// Start `server_bin serve` on 127.0.0.1 with a temporary SQLite database (or
    /// `database_url`), sending SMS to `sms_url`; `extra_config` is appended to the TOML.
    pub async fn start(
        server_bin: &Path,
        sms_url: &str,
        database_url: Option<&str>,
        extra_config: &str,
    ) -> Result<Self> {
        let dir = tempfile::tempdir()?;
        let config = dir.path().join("dojang.toml");
        let data = dir.path().join("data");
        let db = database_url
            .map(|u| format!("database_url = {u:?}\n"))
            .unwrap_or_default();
        std::fs::write(
            &config,
            format!(
                "data_dir = {:?}\nlisten = \"127.0.0.1:0\"\nlog = \"warn\"\n{db}{extra_config}\n[sms]\ngateway = \"http\"\nurl = {sms_url:?}\n{BENCH_POLICY}",
                data.display().to_string()
            ),
        )?;
        let config = config.display().to_string();
        let (ok, out) = run(
            server_bin,
            &[
                "admin",
                "--config",
                &config,
                "rp",
                "add",
                "--name",
                "dojang-bench",
                "--json",
            ],
        )
        .await?;
        if !ok {
            return fail(format!("dojang admin rp add failed: {out}"));
        }
        let rp: serde_json::Value = serde_json::from_str(&out)
            .map_err(|e| BenchError(format!("rp add printed {out:?}: {e}")))?;
        let field = |k: &str| {
            rp.get(k)
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| BenchError(format!("rp add: no {k}")))
        };
        let credentials =
            Credentials::new(field("clientCode")?, field("linkID")?, field("secretKey")?);

        let mut child = Command::new(server_bin)
            .args(["serve", "--config", &config])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| BenchError(format!("cannot start {}: {e}", server_bin.display())))?;
        let pid = child
            .id()
            .ok_or_else(|| BenchError("server exited at once".into()))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| BenchError("no stdout".into()))?;
        let mut lines = BufReader::new(stdout).lines();
        let url = tokio::time::timeout(Duration::from_secs(60), async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(url) = line.strip_prefix("dojang listening on ") {
                    return Some(url.to_owned());
                }
            }
            None
        })
        .await
        .ok()
        .flatten()
        .ok_or_else(|| BenchError("the server did not start listening within 60 s".into()))?;
        // Keep draining stdout so the server never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Self {
            child,
            url,
            pid,
            credentials,
            _dir: dir,
        })
    }

    /// Stop with SIGTERM and wait (killing after 15 s).
    pub async fn stop(mut self) -> Result<()> {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status();
        match tokio::time::timeout(Duration::from_secs(15), self.child.wait()).await {
            Ok(Ok(s)) if s.success() => Ok(()),
            Ok(Ok(s)) => fail(format!("server exited with {s}")),
            Ok(Err(e)) => Err(e.into()),
            Err(_) => {
                let _ = self.child.kill().await;
                fail("server did not stop within 15 s")
            }
        }
    }
}

async fn run(bin: &Path, args: &[&str]) -> Result<(bool, String)> {
    let out = Command::new(bin).args(args).output().await?;
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        text.push_str(&String::from_utf8_lossy(&out.stderr));
    }
    Ok((out.status.success(), text))
}
