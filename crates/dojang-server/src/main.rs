//! The `dojang` binary. Everything lives in the library; see `dojang_server::cli`.

fn main() -> std::process::ExitCode {
    dojang_server::cli::main()
}
