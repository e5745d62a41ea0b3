//! Compiles the PostgreSQL leg only when `DOJANG_TEST_PG_URL` names a server: without it the
//! test binary holds one ignored test whose reason says the leg was skipped, and under
//! `CI=true` the build stops instead (a leg that silently skips would hide a broken CI set-up).
//! Cargo rebuilds this crate when either variable changes.

fn main() {
    println!("cargo::rerun-if-env-changed=DOJANG_TEST_PG_URL");
    println!("cargo::rerun-if-env-changed=CI");
    println!("cargo::rustc-check-cfg=cfg(pg_url_unset)");
    // Marks the suite's SQLite-only tests `ignore`d here (`#[cfg_attr(backend_postgres, …)]`).
    println!("cargo::rustc-cfg=backend_postgres");
    let set = std::env::var("DOJANG_TEST_PG_URL").is_ok_and(|v| !v.is_empty());
    if !set {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            eprintln!("CI=true but DOJANG_TEST_PG_URL is not set: .ci/run must start PostgreSQL");
            std::process::exit(1);
        }
        println!(
            "cargo::warning=DOJANG_TEST_PG_URL not set: the server's integration suite will not run on PostgreSQL"
        );
        println!("cargo::rustc-cfg=pg_url_unset");
    }
}
