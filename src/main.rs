fn main() {
    // Lab packages ship hotplay itself as `lib/hotdb-sim`: called by that name, it is the
    // simulator.
    let argv0 = std::env::args().next().unwrap_or_default();
    if std::path::Path::new(&argv0)
        .file_name()
        .is_some_and(|n| n == "hotdb-sim")
    {
        let args: Vec<String> = std::env::args().skip(1).collect();
        std::process::exit(hotdb_sim::cli::main(&args));
    }
    std::process::exit(hotplay::cli::main());
}
