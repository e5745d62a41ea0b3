//! Repository automation, as Rust instead of shell scripts: `cargo xtask <task>`.
//!
//! * `docs` — regenerate the generated documents (`docs/errors.md` from the error catalogue).
//!   A test fails when a generated document and the code disagree.
//! * `bench <dojang-bench arguments>` — build the server and the load generator in release mode,
//!   then run `dojang-bench` (e.g. `cargo xtask bench flows -c 1,16,64 -n 2000`). See
//!   docs/performance.md. `bench cloud …` first makes the SoftHSM2 token the cloud flow needs
//!   (`.ci/start-softhsm.sh`) unless `DOJANG_TEST_HSM_TOKEN` is already set.

use std::path::PathBuf;
use std::process::{Command, ExitCode};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn main() -> ExitCode {
    let task = std::env::args().nth(1);
    match task.as_deref() {
        Some("docs") => {
            let path = root().join("docs/errors.md");
            match std::fs::write(&path, dojang_server::http::error::catalogue_markdown()) {
                Ok(()) => {
                    println!("wrote {}", path.display());
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("xtask: {}: {e}", path.display());
                    ExitCode::FAILURE
                }
            }
        }
        Some("bench") => bench(std::env::args().skip(2).collect()),
        _ => {
            eprintln!("usage: cargo xtask docs                # regenerate docs/errors.md");
            eprintln!(
                "       cargo xtask bench <arguments>   # release build, then dojang-bench <arguments>"
            );
            ExitCode::from(2)
        }
    }
}

fn bench(args: Vec<String>) -> ExitCode {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let built = Command::new(&cargo)
        .current_dir(root())
        .args([
            "build",
            "--release",
            "--bin",
            "dojang",
            "--bin",
            "dojang-bench",
        ])
        .status();
    if !built.is_ok_and(|s| s.success()) {
        eprintln!("xtask: release build failed");
        return ExitCode::FAILURE;
    }
    let target =
        std::env::var("CARGO_TARGET_DIR").map_or_else(|_| root().join("target"), PathBuf::from);
    let bin = target.join("release").join("dojang-bench");
    let mut cmd = Command::new(&bin);
    cmd.args(&args);
    if args.first().is_some_and(|a| a == "cloud")
        && std::env::var_os("DOJANG_TEST_HSM_TOKEN").is_none()
    {
        match softhsm_env() {
            Ok(vars) => {
                cmd.envs(vars);
            }
            Err(e) => {
                eprintln!("xtask: .ci/start-softhsm.sh: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    match cmd.status() {
        Ok(s) => ExitCode::from(u8::try_from(s.code().unwrap_or(1)).unwrap_or(1)),
        Err(e) => {
            eprintln!("xtask: {}: {e}", bin.display());
            ExitCode::FAILURE
        }
    }
}

/// The `export NAME='value'` lines `.ci/start-softhsm.sh` prints (it installs SoftHSM2 if
/// missing and makes a throwaway test token).
fn softhsm_env() -> Result<Vec<(String, String)>, String> {
    let out = Command::new(root().join(".ci/start-softhsm.sh"))
        .current_dir(root())
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let (k, v) = l.strip_prefix("export ")?.split_once('=')?;
            Some((k.to_owned(), v.trim_matches('\'').to_owned()))
        })
        .collect())
}
