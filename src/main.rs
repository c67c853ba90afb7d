fn main() {
    std::process::exit(hotplay::cli::main());
}
