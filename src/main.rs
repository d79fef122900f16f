#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    revcast::cli::main()
}
