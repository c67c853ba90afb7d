//! The command line: `hotplay run`, `inventory`, `doc`. Ties the layers together;
//! every flag is defined once, here.

mod audit;
mod config;
mod extra_vars;
mod lab;
mod listing;
mod plan;
mod prompt;
mod resume;
mod vault;

use crate::execute::connection::become_wrap::Secret;
use crate::execute::connection::ssh::HostKeyChecking;
use crate::execute::events::Listener;
use crate::execute::options::RunOptions;
use crate::execute::{self, ModuleCatalog};
use crate::parse::inventory::Inventory;
use crate::plan::load::Loader;
use crate::plan::template::Templar;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Parser, Debug)]
#[command(
    name = "hotplay",
    version,
    about = "An Ansible-style playbook interpreter that upgrades HotDB Server clusters safely",
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run playbooks (as ansible-playbook); `hotplay PLAYBOOK` is short for this.
    Run(Box<RunArgs>),
    /// Show the inventory (as ansible-inventory).
    Inventory(InventoryArgs),
    /// Show a module's documentation.
    Doc(DocArgs),
    /// Encrypt and decrypt vault files and strings (as ansible-vault).
    Vault(Box<vault::VaultArgs>),
    /// Show the settings in force from ansible.cfg and ANSIBLE_* variables.
    Config(ConfigArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions { shell: clap_complete::Shell },
    /// The lab: a HotDB cluster of network namespaces on this machine (root).
    Lab(lab::LabArgs),
    /// Past runs from the run journal: who, when, what, outcome; one run's changes.
    Audit(audit::AuditArgs),
    /// Continue a failed, interrupted or killed run from each host's first unfinished task,
    /// with the results of the finished ones restored from the run journal.
    Resume(resume::ResumeArgs),
    /// Preflight: a playbook's `preflight` and `always` tasks in check mode, as a table per
    /// host (OK, WARN, FAIL with the reason); exit 2 on a FAIL. Takes run's options.
    Check(Box<RunArgs>),
    /// Before a change: the hosts by batch, the tasks in order with their step IDs and what
    /// limits them (when, run_once, delegate_to, loops, the HA switch), then the preflight in
    /// check mode: per host the playbook's `plan` messages (versions, SQL route) and any
    /// failed check (exit 2). Nothing on the hosts changes; `--offline` connects to none.
    /// `--check --diff` remains the full dry run. Takes run's options.
    Plan(Box<plan::PlanArgs>),
}

/// What a run reports: the console, `hotplay check`'s table, or `hotplay plan`.
enum Mode {
    Run,
    Check,
    Plan { offline: bool, json: bool },
}

#[derive(Args, Debug)]
pub struct ConfigArgs {
    /// `dump` (the only action).
    #[arg(value_parser = ["dump"])]
    pub action: String,
    /// Only settings that differ from their defaults.
    #[arg(long = "only-changed")]
    pub only_changed: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// Playbook files.
    #[arg(required = true, value_name = "PLAYBOOK")]
    pub playbooks: Vec<PathBuf>,
    /// Inventory file, directory or comma-separated host list (repeatable).
    #[arg(short = 'i', long = "inventory", value_name = "INVENTORY")]
    pub inventory: Vec<String>,
    /// Extra variables: key=value, JSON/YAML, or @file (repeatable; highest precedence).
    #[arg(short = 'e', long = "extra-vars", value_name = "EXTRA_VARS")]
    pub extra_vars: Vec<String>,
    /// Limit to hosts matching this pattern (or @file).
    #[arg(short = 'l', long = "limit", value_name = "SUBSET")]
    pub limit: Option<String>,
    /// Hosts run in parallel.
    #[arg(short = 'f', long = "forks", value_name = "FORKS")]
    pub forks: Option<usize>,
    /// Predict changes without making them.
    #[arg(short = 'C', long = "check")]
    pub check: bool,
    /// Show the differences of changed files.
    #[arg(short = 'D', long = "diff")]
    pub diff: bool,
    /// Only tasks with these tags (comma-separated, repeatable).
    #[arg(short = 't', long = "tags", value_name = "TAGS")]
    pub tags: Vec<String>,
    /// Skip tasks with these tags.
    #[arg(long = "skip-tags", value_name = "SKIP_TAGS")]
    pub skip_tags: Vec<String>,
    /// Start at the task with this name.
    #[arg(long = "start-at-task", value_name = "START_AT_TASK")]
    pub start_at_task: Option<String>,
    /// Confirm each task before running it.
    #[arg(long)]
    pub step: bool,
    /// List the hosts each play would run on, then stop.
    #[arg(long = "list-hosts")]
    pub list_hosts: bool,
    /// List the tasks, then stop.
    #[arg(long = "list-tasks")]
    pub list_tasks: bool,
    /// List the tags, then stop.
    #[arg(long = "list-tags")]
    pub list_tags: bool,
    /// Check the playbook's syntax, then stop.
    #[arg(long = "syntax-check")]
    pub syntax_check: bool,
    /// More output (-v to -vvvv).
    #[arg(short = 'v', long = "verbose", action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Connect as this user.
    #[arg(short = 'u', long = "user", value_name = "REMOTE_USER")]
    pub user: Option<String>,
    /// Run operations with become (sudo by default).
    #[arg(short = 'b', long = "become")]
    pub become_: bool,
    /// The user to become_.
    #[arg(long = "become-user", value_name = "BECOME_USER")]
    pub become_user: Option<String>,
    /// sudo or su.
    #[arg(long = "become-method", value_name = "BECOME_METHOD")]
    pub become_method: Option<String>,
    /// Ask for the become password.
    #[arg(short = 'K', long = "ask-become-pass")]
    pub ask_become_pass: bool,
    /// Ask for the SSH password.
    #[arg(short = 'k', long = "ask-pass")]
    pub ask_pass: bool,
    /// Connection type (local, ssh).
    #[arg(short = 'c', long = "connection", value_name = "CONNECTION")]
    pub connection: Option<String>,
    /// SSH private key file.
    #[arg(
        long = "private-key",
        visible_alias = "key-file",
        value_name = "PRIVATE_KEY_FILE"
    )]
    pub private_key: Option<PathBuf>,
    /// Host keys: strict (unknown or changed keys are errors), accept-new, or off.
    #[arg(long = "host-key-checking", value_name = "MODE", value_parser = ["strict", "accept-new", "off"])]
    pub host_key_checking: Option<String>,
    /// Connection timeout in seconds.
    #[arg(short = 'T', long = "timeout", value_name = "TIMEOUT")]
    pub timeout: Option<u64>,
    /// Run handlers even on hosts that failed.
    #[arg(long = "force-handlers")]
    pub force_handlers: bool,
    /// Accepted for compatibility (hotplay keeps no fact cache).
    #[arg(long = "flush-cache")]
    pub flush_cache: bool,
    /// Output: text (Ansible's) or json (one event per line).
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Where the run journal goes (default: $HOTPLAY_JOURNAL_DIR, else ~/.hotplay/runs).
    #[arg(long, value_name = "DIR")]
    pub journal: Option<PathBuf>,
    /// Write no run journal.
    #[arg(long = "no-journal", conflicts_with = "journal")]
    pub no_journal: bool,
    /// Show no live progress lines for long tasks (on a terminal: a line per host;
    /// piped: a `[progress]` line on stderr now and then).
    #[arg(long = "no-progress")]
    pub no_progress: bool,
    /// The arguments after `run`, for the journal (`hotplay resume` runs them again).
    #[arg(skip)]
    pub argv: Vec<String>,
    /// `hotplay resume`: outcomes to restore, and the run they come from.
    #[arg(skip)]
    pub replay: Option<Arc<crate::execute::resume::ReplayLog>>,
    #[arg(skip)]
    pub resumed_from: Option<String>,
    #[command(flatten)]
    pub vault: vault::VaultOpts,
}

#[derive(Args, Debug)]
pub struct InventoryArgs {
    #[arg(short = 'i', long = "inventory", value_name = "INVENTORY")]
    pub inventory: Vec<String>,
    /// All hosts and groups as JSON.
    #[arg(long)]
    pub list: bool,
    /// The group tree.
    #[arg(long, value_name = "GROUP", num_args = 0..=1, default_missing_value = "all")]
    pub graph: Option<String>,
    /// One host's variables.
    #[arg(long, value_name = "HOST")]
    pub host: Option<String>,
    /// With --graph: show variables.
    #[arg(long)]
    pub vars: bool,
    /// Limit to hosts matching this pattern.
    #[arg(short = 'l', long = "limit")]
    pub limit: Option<String>,
    /// Playbook directory for group_vars/host_vars.
    #[arg(long = "playbook-dir")]
    pub playbook_dir: Option<PathBuf>,
    #[command(flatten)]
    pub vault: vault::VaultOpts,
}

#[derive(Args, Debug)]
pub struct DocArgs {
    /// Module name.
    pub module: Option<String>,
    /// List all modules.
    #[arg(short = 'l', long)]
    pub list: bool,
}

/// Entry point: returns the process exit code.
pub fn main() -> i32 {
    let mut argv: Vec<String> = std::env::args().collect();
    // Installed as ansible-playbook (a symlink or copy), hotplay stands in for it.
    let called = argv
        .first()
        .and_then(|a| std::path::Path::new(a).file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let implied = match called.as_str() {
        "ansible-playbook" => Some("run"),
        "ansible-inventory" => Some("inventory"),
        "ansible-vault" => Some("vault"),
        "ansible-doc" => Some("doc"),
        "ansible-config" => Some("config"),
        _ => None,
    };
    if let Some(sub) = implied {
        argv[0] = "hotplay".into();
        if !matches!(
            argv.get(1).map(String::as_str),
            Some("--version" | "-h" | "--help")
        ) {
            argv.insert(1, sub.into());
        }
    }
    // `hotplay site.yml ...` is `hotplay run site.yml ...`.
    if let Some(first) = argv.get(1)
        && !first.starts_with('-')
        && first != "help"
        && !<Cli as clap::CommandFactory>::command()
            .get_subcommands()
            .any(|c| c.get_name() == first.as_str())
    {
        argv.insert(1, "run".into());
    }
    let cli = match Cli::try_parse_from(&argv) {
        Ok(c) => c,
        Err(e) => {
            let code = match e.kind() {
                clap::error::ErrorKind::DisplayHelp
                | clap::error::ErrorKind::DisplayVersion
                | clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => 0,
                _ => 5,
            };
            let _ = e.print();
            return code;
        }
    };
    if !matches!(&cli.command, Command::Run(a) if !(a.list_hosts || a.list_tasks || a.list_tags || a.syntax_check))
    {
        quiet_on_closed_stdout();
    }
    match cli.command {
        Command::Run(mut args) => {
            args.argv = argv[2..].to_vec();
            run(*args, Mode::Run)
        }
        Command::Resume(args) => resume::main(args),
        Command::Check(mut args) => {
            args.check = true;
            args.tags.push("preflight".into());
            run(*args, Mode::Check)
        }
        Command::Plan(args) => {
            let json = args.json || args.run.format == Format::Json;
            let mode = Mode::Plan {
                offline: args.offline,
                json,
            };
            let mut run_args = args.run;
            run_args.no_journal = true;
            run(run_args, mode)
        }
        Command::Inventory(args) => inventory(args),
        Command::Doc(args) => doc(args),
        Command::Vault(args) => vault::main(*args),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "hotplay",
                &mut std::io::stdout(),
            );
            0
        }
        Command::Config(args) => match config::Config::load() {
            Ok(c) => {
                if let Some(f) = &c.file {
                    println!("# from {}", f.display());
                }
                print!("{}", c.dump(args.only_changed));
                0
            }
            Err(e) => error(&e),
        },
        Command::Lab(args) => lab::main(args),
        Command::Audit(args) => audit::main(args),
    }
}

/// Ctrl-C and SIGTERM during a run: the first lets running tasks finish and fails the
/// next ones (rescue and always still run: the bundled playbooks roll back); a second Ctrl-C
/// aborts at once.
extern "C" fn on_interrupt(_sig: libc::c_int) {
    use std::sync::atomic::Ordering;
    if crate::execute::INTERRUPTED.swap(true, Ordering::SeqCst) {
        const MSG: &[u8] = b"\nInterrupted again: aborting now.\n";
        // SAFETY: write(2) and _exit(2) are async-signal-safe.
        unsafe {
            libc::write(2, MSG.as_ptr().cast(), MSG.len());
            libc::_exit(130);
        }
    }
    const MSG: &[u8] = b"\nInterrupted: the running tasks finish, the next ones fail so the playbook's rescue (its rollback) runs. Ctrl-C again aborts at once.\n";
    // SAFETY: write(2) is async-signal-safe.
    unsafe {
        libc::write(2, MSG.as_ptr().cast(), MSG.len());
    }
}

fn catch_interrupts() {
    // SAFETY: installing a handler that only touches an atomic and calls write/_exit.
    unsafe {
        libc::signal(
            libc::SIGINT,
            on_interrupt as *const () as libc::sighandler_t,
        );
        libc::signal(
            libc::SIGTERM,
            on_interrupt as *const () as libc::sighandler_t,
        );
    }
}

/// Printing commands end quietly when their reader goes away (`hotplay doc | head`),
/// as Unix tools do. Runs keep SIGPIPE ignored: a command that exits early must
/// not kill hotplay while it writes to the command's stdin.
fn quiet_on_closed_stdout() {
    // SAFETY: restoring the default disposition of SIGPIPE before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn error(msg: &str) -> i32 {
    let text = msg.trim_end();
    let text = text.strip_prefix("error: ").unwrap_or(text);
    eprintln!("ERROR! {}", crate::parse::secrets::redact(text));
    1
}

/// Password-like variables of the inventory and extra vars are never shown.
fn remember_secret_vars(inventory: &Inventory, extra: &serde_json::Map<String, serde_json::Value>) {
    use crate::parse::secrets::remember_named;
    remember_named(&serde_json::Value::Object(extra.clone()));
    for h in inventory.hosts.values() {
        remember_named(&serde_json::Value::Object(h.vars.clone()));
    }
    for g in inventory.groups.values() {
        remember_named(&serde_json::Value::Object(g.vars.clone()));
    }
}

fn load_inventory(sources: &[String], cfg: &config::Config) -> Result<Inventory, String> {
    let mut paths: Vec<PathBuf> = sources.iter().map(PathBuf::from).collect();
    if paths.is_empty() {
        paths.extend(cfg.inventory());
    }
    let existing: Vec<PathBuf> = paths.into_iter().collect();
    if existing.is_empty() {
        return Ok(Inventory::empty());
    }
    Inventory::load(&existing).map_err(|d| d.to_string())
}

/// `mode`: the console's output, `hotplay check`'s table, or `hotplay plan`.
/// Live progress goes with the text console of a real run: bars on a terminal,
/// plain lines when stderr is piped (JSON output carries the progress events itself).
fn progress_mode(
    args: &RunArgs,
    mode: &Mode,
    planning: bool,
) -> Option<crate::report::progress::Mode> {
    use crate::report::progress::Mode as P;
    if args.no_progress || planning || !matches!(mode, Mode::Run) {
        return None;
    }
    if !matches!(args.format, Format::Text) {
        return None;
    }
    let dumb = std::env::var("TERM").is_ok_and(|t| t == "dumb");
    Some(if console::Term::stderr().is_term() && !dumb {
        P::Bars
    } else {
        P::Plain
    })
}

fn run(args: RunArgs, mode: Mode) -> i32 {
    let planning = matches!(mode, Mode::Plan { .. });
    let cfg = match config::Config::load() {
        Ok(c) => c,
        Err(e) => return error(&e),
    };
    if args.verbose > 0 && matches!(mode, Mode::Run) {
        // As ansible-playbook's first line at -v.
        match &cfg.file {
            Some(p) => {
                let p = std::fs::canonicalize(p).unwrap_or_else(|_| p.clone());
                println!("Using {} as config file", p.display());
            }
            None => println!("No config file found; using defaults"),
        }
    }
    if let Err(e) = args.vault.install(cfg.vault_password_file()) {
        return error(&e);
    }
    if !cfg.error_on_undefined_vars() {
        eprintln!(
            "[WARNING]: error_on_undefined_vars = False is not supported: undefined variables stay errors"
        );
    }
    let extra = match extra_vars::parse_all(&args.extra_vars) {
        Ok(e) => e,
        Err(msg) => return error(&msg),
    };
    let mut inventory = match load_inventory(&args.inventory, &cfg) {
        Ok(i) => i,
        Err(msg) => return error(&msg),
    };
    inventory.ensure_implicit_localhost();
    remember_secret_vars(&inventory, &extra);
    let limit = match &args.limit {
        Some(l) if l.starts_with('@') => {
            match crate::plan::pattern::read_limit_file(std::path::Path::new(&l[1..])) {
                Ok(s) => Some(s),
                Err(e) => return error(&e.0),
            }
        }
        other => other.clone(),
    };
    let split = |v: &[String]| -> Vec<String> {
        v.iter()
            .flat_map(|t| t.split(','))
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .collect()
    };
    let become_password = if args.ask_become_pass {
        match prompt::secret("BECOME password: ") {
            Ok(p) => Some(Secret(p)),
            Err(e) => return error(&e),
        }
    } else {
        None
    };
    let conn_password = if args.ask_pass {
        match prompt::secret("SSH password: ") {
            Ok(p) => Some(Secret(p)),
            Err(e) => return error(&e),
        }
    } else {
        None
    };
    // A plan's preflight: only the preflight (and always) tasks, in check mode.
    let options = RunOptions {
        check: args.check || planning,
        diff: args.diff,
        forks: args.forks.unwrap_or(cfg.forks()),
        tags: if planning {
            vec!["preflight".into()]
        } else {
            split(&args.tags)
        },
        skip_tags: split(&args.skip_tags),
        limit,
        start_at_task: args.start_at_task.clone(),
        step: args.step,
        verbosity: args.verbose,
        extra_vars: extra,
        become_: args.become_,
        become_user: args.become_user.clone(),
        become_method: args.become_method.clone(),
        become_password,
        conn_password,
        remote_user: args.user.clone().or(cfg.remote_user()),
        connection: args.connection.clone(),
        force_handlers: args.force_handlers || cfg.force_handlers(),
        error_on_missing_handler: cfg.error_on_missing_handler(),
        inventory_sources: args.inventory.iter().map(PathBuf::from).collect(),
        timeout: args.timeout.or(cfg.timeout()),
        private_key: args.private_key.clone().or(cfg.private_key_file()),
        host_key_checking: match args.host_key_checking.as_deref() {
            Some("accept-new") => HostKeyChecking::AcceptNew,
            Some("off") => HostKeyChecking::Off,
            Some(_) => HostKeyChecking::Strict,
            None if !cfg.host_key_checking() => HostKeyChecking::Off,
            None => HostKeyChecking::Strict,
        },
        gather_by_default: cfg.gather_by_default(),
        any_errors_fatal: cfg.any_errors_fatal(),
        host_pattern_mismatch: cfg.host_pattern_mismatch(),
        replay: args.replay.clone(),
    };
    let templar = Arc::new(Templar::new());
    let loader = Loader {
        catalog: &ModuleCatalog,
        templar: &templar,
        extra_vars: &options.extra_vars,
        roles_path: cfg.roles_path(),
    };
    let mut books = Vec::new();
    for path in &args.playbooks {
        if !path.is_file() {
            return error(&format!(
                "the playbook: {} could not be found",
                path.display()
            ));
        }
        match loader.load_playbook(path) {
            Ok(pb) => books.push(pb),
            // ansible-playbook exits 4 on a parser error (AnsibleParserError).
            Err(d) => {
                error(&d.to_string());
                return 4;
            }
        }
    }
    if args.syntax_check {
        for b in &books {
            println!("\nplaybook: {}", b.path.display());
        }
        return 0;
    }
    if args.list_hosts || args.list_tasks || args.list_tags {
        return listing::print(
            &books,
            &inventory,
            &options,
            args.list_hosts,
            args.list_tasks,
            args.list_tags,
            &templar,
        );
    }
    let mut plan_report = None;
    let mut plays = Vec::new();
    if let Mode::Plan { offline, json } = mode {
        plays = match plan::build(
            &books,
            &inventory,
            &options,
            &split(&args.tags),
            &options.skip_tags,
            &templar,
        ) {
            Ok(p) => p,
            Err(e) => return error(&e),
        };
        if !json {
            crate::report::plan::print_static(&plays);
        }
        if offline {
            if json {
                println!(
                    "{}",
                    serde_json::json!({"plays": plays, "hosts": null, "offline": true})
                );
            }
            return 0;
        }
        plan_report = Some(crate::report::plan::PlanReport::new(plan::plan_tasks(
            &books,
        )));
    }
    let listener: Box<dyn Listener> = match args.format {
        _ if planning => Box::new(crate::report::preflight::PreflightTable::new()),
        Format::Text if matches!(mode, Mode::Check) => {
            Box::new(crate::report::preflight::PreflightTable::new())
        }
        Format::Text => Box::new(crate::report::console::Console::new(
            args.verbose,
            crate::report::console::ConsoleSettings {
                colour: cfg.colour(),
                show_skipped: cfg.display_skipped_hosts(),
                show_ok: cfg.display_ok_hosts(),
                yaml: cfg.yaml_results(),
            },
        )),
        Format::Json => Box::new(crate::report::json::JsonLines::new()),
    };
    let listener = match progress_mode(&args, &mode, planning) {
        Some(m) => Box::new(crate::report::progress::LiveProgress::new(listener, m)),
        None => listener,
    };
    // The run journal (report layer): every event, and who ran what, when and how it ended.
    crate::parse::secrets::remember_named(&serde_json::Value::Object(options.extra_vars.clone()));
    let journal = if args.no_journal {
        None
    } else {
        let root = args
            .journal
            .clone()
            .unwrap_or_else(crate::report::journal::default_root);
        let record = crate::report::journal::RunRecord {
            user: audit::user_name(),
            controller: audit::host_name(),
            cwd: std::env::current_dir()
                .map(|d| d.display().to_string())
                .unwrap_or_default(),
            playbooks: args
                .playbooks
                .iter()
                .map(|p| p.display().to_string())
                .collect(),
            inventory: args.inventory.clone(),
            limit: args.limit.clone(),
            tags: args.tags.clone(),
            check: args.check,
            extra_vars: args.extra_vars.clone(),
            argv: args.argv.clone(),
            playbook_sha256: args
                .playbooks
                .iter()
                .map(|p| resume::file_sha256(p).unwrap_or_default())
                .collect(),
            resumed_from: args.resumed_from.clone(),
            ..Default::default()
        };
        match crate::report::journal::Journal::create(&root, record) {
            Ok(j) => Some(j),
            Err(e) => return error(&format!("{e} (--no-journal runs without one)")),
        }
    };
    let mut listeners: Vec<&dyn Listener> = match &plan_report {
        Some(p) => vec![p],
        None => vec![listener.as_ref()],
    };
    let failures = crate::report::failures::FailureSummary::new();
    if matches!(args.format, Format::Text) && matches!(mode, Mode::Run) {
        listeners.push(&failures);
    }
    if let Some(j) = &journal {
        listeners.push(j);
    }
    let listener = crate::report::journal::Tee(listeners);
    catch_interrupts();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return error(&format!("cannot start the runtime: {e}")),
    };
    let code = match rt.block_on(execute::run(
        &books,
        &inventory,
        &options,
        &listener,
        templar.clone(),
        &loader,
    )) {
        Ok(summary) => summary.exit_code(),
        Err(msg) => error(&msg),
    };
    if let (Some(p), Mode::Plan { json, .. }) = (&plan_report, &mode) {
        if *json {
            println!(
                "{}",
                serde_json::json!({"plays": plays, "hosts": p.to_json(), "offline": false})
            );
        } else {
            p.print();
        }
    }
    if let Some(j) = &journal {
        j.finish(code);
        if code != 0 {
            eprintln!(
                "run journal: {} (hotplay audit {})",
                j.dir.display(),
                j.id()
            );
        }
    }
    code
}

fn inventory(args: InventoryArgs) -> i32 {
    let cfg = match config::Config::load() {
        Ok(c) => c,
        Err(e) => return error(&e),
    };
    if let Err(e) = args.vault.install(cfg.vault_password_file()) {
        return error(&e);
    }
    let inv = match load_inventory(&args.inventory, &cfg) {
        Ok(i) => i,
        Err(msg) => return error(&msg),
    };
    let pdir = args.playbook_dir.as_deref();
    if let Some(h) = &args.host {
        return match inv.host_json(h, pdir) {
            Ok(v) => {
                println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
                0
            }
            Err(d) => error(&d.to_string()),
        };
    }
    if let Some(g) = &args.graph {
        if !inv.groups.contains_key(g.as_str()) {
            eprintln!("ERROR! Pattern must be valid group name when using --graph, found `{g}`");
            return 5;
        }
        print!("{}", inv.graph(Some(g)));
        return 0;
    }
    if args.list {
        return match inv.to_list_json(pdir) {
            Ok(v) => {
                println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
                0
            }
            Err(d) => error(&d.to_string()),
        };
    }
    eprintln!("ERROR! one of --list, --graph or --host is required");
    5
}

fn doc(args: DocArgs) -> i32 {
    if args.list || args.module.is_none() {
        for m in crate::modules::all() {
            println!("{:<16} {}", m.doc().name, m.doc().short);
        }
        return 0;
    }
    let name = args.module.unwrap_or_default();
    match crate::modules::find(&name) {
        Some(m) => {
            print!("{}", m.doc().render());
            0
        }
        None => {
            let names: Vec<&str> = crate::modules::all().map(|m| m.doc().name).collect();
            let hint = crate::parse::diag::did_you_mean(&name, names)
                .map(|n| format!(" (did you mean `{n}`?)"))
                .unwrap_or_default();
            error(&format!("module {name} not found{hint}"))
        }
    }
}
