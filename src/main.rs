//! The `darkscope` binary: everything lives in the library; see `cli`.

fn main() -> std::process::ExitCode {
    darkscope::cli::main()
}
