//! Repository automation, as Rust instead of shell scripts: `cargo xtask <task>`.
//!
//! * `docs` — regenerate the generated documents (`docs/errors.md` from the error catalogue).
//!   A test fails when a generated document and the code disagree.

use std::path::PathBuf;
use std::process::ExitCode;

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
        _ => {
            eprintln!("usage: cargo xtask docs    # regenerate docs/errors.md");
            ExitCode::from(2)
        }
    }
}
