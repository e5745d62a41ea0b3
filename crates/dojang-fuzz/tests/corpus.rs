//! Replays every input kept for the fuzz targets (`fuzz/corpus/<target>/` and
//! `fuzz/regressions/<target>/`) through the target's body, on stable, as part of
//! `cargo test --workspace`: what the fuzzer found once stays fixed.

use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

fn inputs(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.is_file());
    files.sort();
    files
}

/// Runs every input of `kind` through its target: how many ran, and which failed (and why).
fn replay(kind: &str) -> (usize, Vec<String>) {
    let (mut count, mut failures) = (0, Vec::new());
    for (name, body) in dojang_fuzz::TARGETS {
        for file in inputs(&fuzz_dir().join(kind).join(name)) {
            let outcome = std::fs::read(&file)
                .map_err(|e| e.to_string())
                .and_then(|data| {
                    std::panic::catch_unwind(|| body(&data)).map_err(|_| "panicked".to_owned())
                });
            if let Err(why) = outcome {
                failures.push(format!("{name}: {}: {why}", file.display()));
            }
            count += 1;
        }
    }
    (count, failures)
}

#[test]
fn every_target_has_a_seed_corpus_and_it_replays() {
    for (name, _) in dojang_fuzz::TARGETS {
        let dir = fuzz_dir().join("corpus").join(name);
        assert!(!inputs(&dir).is_empty(), "no seeds in {}", dir.display());
    }
    let (n, failures) = replay("corpus");
    assert_eq!(failures, Vec::<String>::new());
    assert!(n >= dojang_fuzz::TARGETS.len());
}

#[test]
fn the_regressions_replay() {
    let (_, failures) = replay("regressions");
    assert_eq!(failures, Vec::<String>::new());
}

#[test]
fn every_target_has_a_cargo_fuzz_binary() {
    let manifest = std::fs::read_to_string(fuzz_dir().join("Cargo.toml")).unwrap();
    for (name, _) in dojang_fuzz::TARGETS {
        assert!(manifest.contains(&format!("name = \"{name}\"")), "{name}");
        let bin = fuzz_dir().join("fuzz_targets").join(format!("{name}.rs"));
        let text = std::fs::read_to_string(&bin).unwrap();
        assert!(
            text.contains(&format!("dojang_fuzz::target(\"{name}\")")),
            "{bin:?}"
        );
    }
}
