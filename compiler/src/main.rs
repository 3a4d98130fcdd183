//! The `ecgc` binary: see `ecgc --help` and `cli`.

fn main() {
    std::process::exit(ecgc::cli::main());
}
