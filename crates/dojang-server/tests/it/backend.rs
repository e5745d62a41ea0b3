//! The suite runs on the backend its binary names (`it`: SQLite; `it_pg`: PostgreSQL), for the
//! server in this process and for `dojang` processes given its data directory: a PostgreSQL leg
//! that quietly ran on SQLite would prove nothing.

use dojang_testkit::{TestServer, binary, json, postgres_leg, run};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn servers_and_processes_use_this_binarys_backend() {
    let s = TestServer::start().await;
    let party = s.add_party("백엔드 확인").await;
    let sqlite_file = s.data_dir().join("dojang.db");
    match postgres_leg() {
        None => assert!(sqlite_file.exists(), "the SQLite leg writes dojang.db"),
        Some(_) => {
            assert!(
                !sqlite_file.exists(),
                "the PostgreSQL leg writes no dojang.db"
            );
            let db = dojang_testkit::pg_database_for(&s.data_dir()).unwrap();
            assert!(db.url.starts_with("postgres://"), "{}", db.url);
        }
    }
    // A `dojang` process on the same data directory sees what the server wrote, and on the
    // PostgreSQL leg leaves no SQLite file behind either.
    let data = s.data_dir();
    let args = [
        "admin",
        "--data-dir",
        data.to_str().unwrap(),
        "rp",
        "list",
        "--json",
    ];
    let (status, out) = tokio::task::block_in_place(|| run(&binary("dojang"), &args, &[]));
    assert!(status.success(), "{out}");
    assert!(out.contains(&party.client_code), "{}", json(&out));
    assert_eq!(sqlite_file.exists(), postgres_leg().is_none());
    s.stop().await;
}
