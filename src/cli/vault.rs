//! Vault passwords on the command line, and `hotplay vault` (as ansible-vault).

use crate::parse::secrets;
use crate::parse::vault::{self, VaultSecret};
use clap::{Args, ValueEnum};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Where vault passwords come from (shared by run, inventory and vault).
#[derive(Args, Debug, Clone, Default)]
pub struct VaultOpts {
    /// A file holding the vault password (or a script printing it) (repeatable).
    #[arg(
        long = "vault-password-file",
        visible_alias = "vault-pass-file",
        value_name = "FILE"
    )]
    pub password_files: Vec<PathBuf>,
    /// Ask for the vault password on the terminal.
    #[arg(
        short = 'J',
        long = "ask-vault-pass",
        visible_alias = "ask-vault-password"
    )]
    pub ask: bool,
    /// A vault id with its password source: ID@FILE, ID@prompt, or FILE (repeatable).
    #[arg(long = "vault-id", value_name = "ID@SOURCE")]
    pub ids: Vec<String>,
}

impl VaultOpts {
    /// The secrets these options name, ANSIBLE_VAULT_PASSWORD_FILE and
    /// ANSIBLE_VAULT_IDENTITY_LIST included; each password is also remembered for redaction.
    pub fn secrets(&self) -> Result<Vec<VaultSecret>, String> {
        let mut out = Vec::new();
        let mut sources: Vec<(String, String)> = Vec::new();
        for id in &self.ids {
            match id.split_once('@') {
                Some((name, src)) => sources.push((name.to_string(), src.to_string())),
                None => sources.push(("default".into(), id.clone())),
            }
        }
        for f in &self.password_files {
            sources.push(("default".into(), f.display().to_string()));
        }
        if self.ask {
            sources.push(("default".into(), "prompt".into()));
        }
        if sources.is_empty() {
            if let Ok(f) = std::env::var("ANSIBLE_VAULT_PASSWORD_FILE") {
                sources.push(("default".into(), f));
            }
            if let Ok(list) = std::env::var("ANSIBLE_VAULT_IDENTITY_LIST") {
                for item in list.split(',').filter(|s| !s.trim().is_empty()) {
                    match item.trim().split_once('@') {
                        Some((n, s)) => sources.push((n.into(), s.into())),
                        None => sources.push(("default".into(), item.trim().into())),
                    }
                }
            }
        }
        for (id, src) in sources {
            let password = if src == "prompt" {
                let label = if id == "default" {
                    "Vault password: ".to_string()
                } else {
                    format!("Vault password ({id}): ")
                };
                super::prompt::secret(&label)?.into_bytes()
            } else {
                vault::read_password_file(Path::new(&src))?
            };
            secrets::remember(&String::from_utf8_lossy(&password));
            out.push(VaultSecret { id, password });
        }
        Ok(out)
    }

    /// Makes the secrets available to everything that reads files; `configured` is
    /// ansible.cfg's vault_password_file, used when no option names a password.
    pub fn install(&self, configured: Option<PathBuf>) -> Result<(), String> {
        let mut opts = self.clone();
        if opts.password_files.is_empty() && opts.ids.is_empty() && !opts.ask {
            opts.password_files.extend(configured);
        }
        vault::set_keyring(opts.secrets()?);
        Ok(())
    }
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum Action {
    Encrypt,
    Decrypt,
    View,
    Create,
    Edit,
    Rekey,
    #[value(name = "encrypt_string", alias = "encrypt-string")]
    EncryptString,
}

#[derive(Args, Debug)]
pub struct VaultArgs {
    pub action: Action,
    /// Files (encrypt, decrypt, view, create, edit, rekey) or strings (encrypt_string).
    pub items: Vec<String>,
    #[command(flatten)]
    pub vault: VaultOpts,
    /// The vault id to encrypt with (its password among the given ones).
    #[arg(long = "encrypt-vault-id", value_name = "ID")]
    pub encrypt_vault_id: Option<String>,
    /// Write to this file instead of in place ("-" for stdout).
    #[arg(long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// rekey: the new password file.
    #[arg(long = "new-vault-password-file", value_name = "FILE")]
    pub new_password_file: Option<PathBuf>,
    /// rekey: the new vault id (ID@SOURCE).
    #[arg(long = "new-vault-id", value_name = "ID@SOURCE")]
    pub new_vault_id: Option<String>,
    /// encrypt_string: the variable name to print the value under.
    #[arg(short = 'n', long = "name", value_name = "NAME")]
    pub name: Option<String>,
    /// encrypt_string: read the string from stdin.
    #[arg(short = 'p', long = "stdin-name", value_name = "NAME")]
    pub stdin_name: Option<String>,
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// Writes a file as ansible-vault does: a temporary beside it, mode 0600, renamed over.
fn write_private(path: &Path, text: &str) -> Result<(), String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    if path == Path::new("-") {
        print!("{text}");
        return Ok(());
    }
    let tmp = path.with_extension(format!("hotplay-{}.tmp", std::process::id()));
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(|e| format!("{}: {e}", tmp.display()))?;
    f.write_all(text.as_bytes())
        .and_then(|_| f.sync_all())
        .map_err(|e| format!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("{}: {e}", path.display())
    })
}

fn encrypting_secret(args: &VaultArgs, secrets: &[VaultSecret]) -> Result<VaultSecret, String> {
    match &args.encrypt_vault_id {
        Some(id) => secrets
            .iter()
            .find(|s| &s.id == id)
            .cloned()
            .ok_or_else(|| format!("no vault password was given for vault id `{id}`")),
        None => match secrets {
            [one] => Ok(one.clone()),
            [] => Err(
                "a vault password is needed: --vault-password-file, --ask-vault-pass or --vault-id"
                    .into(),
            ),
            _ => Err("several vault ids were given: choose one with --encrypt-vault-id".into()),
        },
    }
}

fn plain_of(path: &Path, secrets: &[VaultSecret]) -> Result<String, String> {
    let text = read(path)?;
    if !vault::is_vaulted(&text) {
        return Err(format!("{} is not vault encrypted", path.display()));
    }
    let plain = vault::decrypt(&text, secrets).map_err(|e| format!("{}: {e}", path.display()))?;
    String::from_utf8(plain).map_err(|_| format!("{}: the plaintext is not UTF-8", path.display()))
}

fn edit_in_editor(initial: &str) -> Result<String, String> {
    use std::os::unix::fs::DirBuilderExt;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    let dir = std::env::temp_dir().join(format!("hotplay-vault-{}-{nanos}", std::process::id()));
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(&dir)
        .map_err(|e| format!("cannot make a private temp dir {}: {e}", dir.display()))?;
    let result = edit_file_in(&dir, initial);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn edit_file_in(dir: &Path, initial: &str) -> Result<String, String> {
    let file = dir.join("plain.yml");
    write_private(&file, initial)?;
    let editor = std::env::var("EDITOR").unwrap_or_else(|_| "vi".into());
    let words = crate::parse::shell::shell_words(&editor)?;
    let (cmd, rest) = words.split_first().ok_or("EDITOR is empty")?;
    let status = std::process::Command::new(cmd)
        .args(rest)
        .arg(&file)
        .status()
        .map_err(|e| format!("cannot run the editor `{editor}`: {e}"))?;
    if !status.success() {
        return Err(format!("the editor `{editor}` failed; nothing was changed"));
    }
    read(&file)
}

/// `hotplay vault ACTION ...`: returns the exit code.
pub fn main(args: VaultArgs) -> i32 {
    match run(&args) {
        Ok(()) => 0,
        Err(e) => super::error(&e),
    }
}

fn run(args: &VaultArgs) -> Result<(), String> {
    let secrets = args.vault.secrets()?;
    let files: Vec<PathBuf> = args.items.iter().map(PathBuf::from).collect();
    let need_files = || -> Result<(), String> {
        if files.is_empty() {
            Err("name at least one file".into())
        } else {
            Ok(())
        }
    };
    match args.action {
        Action::Encrypt => {
            let secret = encrypting_secret(args, &secrets)?;
            if files.is_empty() {
                let mut plain = Vec::new();
                std::io::stdin()
                    .read_to_end(&mut plain)
                    .map_err(|e| format!("stdin: {e}"))?;
                print!("{}", vault::encrypt(&plain, &secret)?);
                return Ok(());
            }
            for f in &files {
                let plain = std::fs::read(f).map_err(|e| format!("{}: {e}", f.display()))?;
                if vault::is_vaulted(&String::from_utf8_lossy(&plain)) {
                    return Err(format!("{} is already encrypted", f.display()));
                }
                let out = args.output.clone().unwrap_or_else(|| f.clone());
                write_private(&out, &vault::encrypt(&plain, &secret)?)?;
                eprintln!("Encryption successful");
            }
        }
        Action::Decrypt => {
            need_files()?;
            for f in &files {
                let plain = plain_of(f, &secrets)?;
                let out = args.output.clone().unwrap_or_else(|| f.clone());
                write_private(&out, &plain)?;
                if out != Path::new("-") {
                    eprintln!("Decryption successful");
                }
            }
        }
        Action::View => {
            need_files()?;
            for f in &files {
                print!("{}", plain_of(f, &secrets)?);
            }
        }
        Action::Create | Action::Edit => {
            let [f] = files.as_slice() else {
                return Err("name exactly one file".into());
            };
            let secret = encrypting_secret(args, &secrets)?;
            let initial = if args.action == Action::Create {
                if f.exists() {
                    return Err(format!("{} exists; use `vault edit`", f.display()));
                }
                String::new()
            } else {
                plain_of(f, &secrets)?
            };
            let edited = edit_in_editor(&initial)?;
            if args.action == Action::Edit && edited == initial {
                return Ok(());
            }
            write_private(f, &vault::encrypt(edited.as_bytes(), &secret)?)?;
        }
        Action::Rekey => {
            need_files()?;
            let new_opts = VaultOpts {
                password_files: args.new_password_file.iter().cloned().collect(),
                ask: false,
                ids: args.new_vault_id.iter().cloned().collect(),
            };
            let new = new_opts.secrets()?;
            let [new] = new.as_slice() else {
                return Err(
                    "give the new password with --new-vault-password-file or --new-vault-id".into(),
                );
            };
            for f in &files {
                let plain = plain_of(f, &secrets)?;
                write_private(f, &vault::encrypt(plain.as_bytes(), new)?)?;
            }
            eprintln!("Rekey successful");
        }
        Action::EncryptString => {
            let secret = encrypting_secret(args, &secrets)?;
            let mut values: Vec<(Option<String>, String)> = Vec::new();
            if let Some(name) = &args.stdin_name {
                let mut text = String::new();
                std::io::stdin()
                    .read_to_string(&mut text)
                    .map_err(|e| format!("stdin: {e}"))?;
                values.push((Some(name.clone()), text));
            }
            for v in &args.items {
                values.push((args.name.clone(), v.clone()));
            }
            if values.is_empty() {
                return Err("give the string to encrypt, or -p NAME to read it from stdin".into());
            }
            for (name, value) in values {
                let enc = vault::encrypt(value.as_bytes(), &secret)?;
                let body: Vec<String> = enc.lines().map(|l| format!("          {l}")).collect();
                match name {
                    Some(n) => println!("{n}: !vault |\n{}", body.join("\n")),
                    None => println!("!vault |\n{}", body.join("\n")),
                }
            }
        }
    }
    Ok(())
}
