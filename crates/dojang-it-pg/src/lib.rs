//! No code: this crate exists for its test target `it_pg`, which compiles the server's
//! integration suite (`crates/dojang-server/tests/it/`) a second time and runs every test on
//! PostgreSQL. See docs/testing.md, "Backends".
