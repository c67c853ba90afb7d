//! The `hotdb-sim` binary: the package generator and every simulated program.

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    std::process::exit(hotdb_sim::cli::main(&args));
}
