//! Ansible Vault, format 1.1 and 1.2 (AES256): whole files and `!vault` values.
//!
//! As ansible-core writes it: PBKDF2-HMAC-SHA256 (10,000 rounds, 32-byte salt)
//! gives an AES-256 key, an HMAC-SHA256 key and a CTR counter block; the text is
//! PKCS#7-padded, encrypted with AES-256-CTR, authenticated with HMAC over the
//! ciphertext, and stored as hex of "hex(salt)\nhex(hmac)\nhex(ciphertext)"
//! under a `$ANSIBLE_VAULT;1.1;AES256` header, in lines of 80.

use aes::Aes256;
use ctr::cipher::{KeyIvInit, StreamCipher};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::sync::{Mutex, OnceLock};

const HEADER: &str = "$ANSIBLE_VAULT";
const ROUNDS: u32 = 10_000;

/// One vault password with its id (`default` when none was given).
#[derive(Clone)]
pub struct VaultSecret {
    pub id: String,
    pub password: Vec<u8>,
}

impl std::fmt::Debug for VaultSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "VaultSecret({}, <secret>)", self.id)
    }
}

fn keyring_cell() -> &'static Mutex<Vec<VaultSecret>> {
    static KEYRING: OnceLock<Mutex<Vec<VaultSecret>>> = OnceLock::new();
    KEYRING.get_or_init(|| Mutex::new(Vec::new()))
}

/// The vault passwords of this run (from --vault-password-file, --ask-vault-pass, --vault-id).
pub fn set_keyring(secrets: Vec<VaultSecret>) {
    if let Ok(mut k) = keyring_cell().lock() {
        *k = secrets;
    }
}

pub fn keyring() -> Vec<VaultSecret> {
    keyring_cell().lock().map(|k| k.clone()).unwrap_or_default()
}

/// Whether `text` is vault data (a whole file or a `!vault` value).
pub fn is_vaulted(text: &str) -> bool {
    text.trim_start().starts_with(HEADER)
}

/// The vault id named in a 1.2 header, if any.
pub fn vault_id_of(text: &str) -> Option<String> {
    let header = text.trim_start().lines().next()?;
    let parts: Vec<&str> = header.trim().split(';').collect();
    (parts.len() >= 4 && parts[1] == "1.2").then(|| parts[3].to_string())
}

type HmacSha256 = Hmac<Sha256>;
type Aes256Ctr = ctr::Ctr128BE<Aes256>;

struct Keys {
    cipher: [u8; 32],
    mac: [u8; 32],
    iv: [u8; 16],
}

fn derive(password: &[u8], salt: &[u8]) -> Keys {
    let mut out = [0u8; 80];
    pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, ROUNDS, &mut out);
    let mut k = Keys {
        cipher: [0; 32],
        mac: [0; 32],
        iv: [0; 16],
    };
    k.cipher.copy_from_slice(&out[..32]);
    k.mac.copy_from_slice(&out[32..64]);
    k.iv.copy_from_slice(&out[64..]);
    k
}

fn unhex(s: &[u8]) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    s.chunks(2)
        .map(|p| {
            let t = std::str::from_utf8(p).ok()?;
            u8::from_str_radix(t, 16).ok()
        })
        .collect()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Decrypts vault text with the first secret that fits: the one whose id the
/// header names first, then the others (as ansible-core tries them).
pub fn decrypt(text: &str, secrets: &[VaultSecret]) -> Result<Vec<u8>, String> {
    let text = text.trim();
    let mut lines = text.lines();
    let header = lines.next().unwrap_or_default().trim();
    let parts: Vec<&str> = header.split(';').collect();
    if parts.len() < 3 || parts[0] != HEADER {
        return Err("not vault data: the first line must be $ANSIBLE_VAULT;1.1;AES256".into());
    }
    if !matches!(parts[1], "1.1" | "1.2") {
        return Err(format!(
            "vault format version {} is not supported",
            parts[1]
        ));
    }
    if parts[2] != "AES256" {
        return Err(format!(
            "vault cipher {} is not supported (AES256 only)",
            parts[2]
        ));
    }
    if secrets.is_empty() {
        return Err(
            "found vault data but no vault secrets: give --vault-password-file, --ask-vault-pass or --vault-id".into(),
        );
    }
    let body: Vec<u8> = lines
        .flat_map(|l| l.trim().bytes())
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    let inner = unhex(&body).ok_or("vault data is not valid hex")?;
    let fields: Vec<&[u8]> = inner.split(|b| *b == b'\n').collect();
    let [salt, mac, data] = fields.as_slice() else {
        return Err("vault data is damaged (expected salt, hmac and ciphertext)".into());
    };
    let salt = unhex(salt).ok_or("vault salt is not valid hex")?;
    let mac = unhex(mac).ok_or("vault hmac is not valid hex")?;
    let data = unhex(data).ok_or("vault ciphertext is not valid hex")?;
    let wanted = parts.get(3).copied();
    let mut ordered: Vec<&VaultSecret> = secrets
        .iter()
        .filter(|s| Some(s.id.as_str()) == wanted)
        .collect();
    ordered.extend(secrets.iter().filter(|s| Some(s.id.as_str()) != wanted));
    for s in ordered {
        let k = derive(&s.password, &salt);
        let Ok(mut check) = HmacSha256::new_from_slice(&k.mac) else {
            continue;
        };
        check.update(&data);
        if check.verify_slice(&mac).is_err() {
            continue;
        }
        let mut plain = data.clone();
        Aes256Ctr::new(&k.cipher.into(), &k.iv.into()).apply_keystream(&mut plain);
        let pad = *plain.last().ok_or("vault plaintext is empty")? as usize;
        if pad == 0 || pad > 16 || pad > plain.len() {
            return Err("vault plaintext has bad padding".into());
        }
        plain.truncate(plain.len() - pad);
        return Ok(plain);
    }
    let ids: Vec<&str> = secrets.iter().map(|s| s.id.as_str()).collect();
    Err(format!(
        "Decryption failed (no vault secrets were found that could decrypt); tried vault ids: {}",
        ids.join(", ")
    ))
}

/// Encrypts `plain` as ansible-vault does; `id` other than `default` gives a 1.2 header.
pub fn encrypt(plain: &[u8], secret: &VaultSecret) -> Result<String, String> {
    let mut salt = [0u8; 32];
    random(&mut salt)?;
    Ok(encrypt_with_salt(plain, secret, &salt))
}

/// As `encrypt`, with a given salt (deterministic; the `vault` filter's `salt`).
pub fn encrypt_with_salt(plain: &[u8], secret: &VaultSecret, salt: &[u8]) -> String {
    let k = derive(&secret.password, salt);
    let pad = 16 - plain.len() % 16;
    let mut data = plain.to_vec();
    data.extend(std::iter::repeat_n(pad as u8, pad));
    Aes256Ctr::new(&k.cipher.into(), &k.iv.into()).apply_keystream(&mut data);
    let mut mac = HmacSha256::new_from_slice(&k.mac).expect("HMAC takes any key length");
    mac.update(&data);
    let tag = mac.finalize().into_bytes();
    let inner = format!("{}\n{}\n{}", hex(salt), hex(&tag), hex(&data));
    let body = hex(inner.as_bytes());
    let header = if secret.id == "default" {
        format!("{HEADER};1.1;AES256")
    } else {
        format!("{HEADER};1.2;AES256;{}", secret.id)
    };
    let mut out = header;
    for chunk in body.as_bytes().chunks(80) {
        out.push('\n');
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
    }
    out.push('\n');
    out
}

/// Fills `buf` from /dev/urandom.
pub fn random(buf: &mut [u8]) -> Result<(), String> {
    use std::io::Read;
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(buf))
        .map_err(|e| format!("cannot read /dev/urandom: {e}"))
}

/// Reads a vault password file (its first line), or runs it when executable, as Ansible does.
pub fn read_password_file(path: &std::path::Path) -> Result<Vec<u8>, String> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path)
        .map_err(|e| format!("vault password file {}: {e}", path.display()))?;
    let bytes = if meta.permissions().mode() & 0o111 != 0 {
        let out = std::process::Command::new(path)
            .stdin(std::process::Stdio::null())
            .output()
            .map_err(|e| format!("vault password script {}: {e}", path.display()))?;
        if !out.status.success() {
            return Err(format!(
                "vault password script {} failed: {}",
                path.display(),
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        out.stdout
    } else {
        std::fs::read(path).map_err(|e| format!("vault password file {}: {e}", path.display()))?
    };
    let text = String::from_utf8_lossy(&bytes);
    let first = text
        .lines()
        .next()
        .unwrap_or_default()
        .trim_end_matches('\r');
    if first.is_empty() {
        return Err(format!("vault password file {} is empty", path.display()));
    }
    Ok(first.as_bytes().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(id: &str, pw: &str) -> VaultSecret {
        VaultSecret {
            id: id.into(),
            password: pw.as_bytes().to_vec(),
        }
    }

    /// Written by ansible-vault 2.17 (`encrypt_string 'hello vault'`, password `secretpw`).
    const FROM_ANSIBLE: &str = "$ANSIBLE_VAULT;1.1;AES256
34373366336334623337313532383262613734643239343330383531633235393564363133353633
3363303131373035316362663964396464656230383264640a306563653339636566663161373565
36396236316432646339353864653065396231376134656639366263633661356637653765653435
6163363065336163650a643666666136646635373530383035396539613563303237633261396533
6238
";

    #[test]
    fn decrypts_what_ansible_vault_wrote() {
        let plain = decrypt(FROM_ANSIBLE, &[secret("default", "secretpw")]).expect("decrypt");
        assert_eq!(plain, b"hello vault");
    }

    #[test]
    fn wrong_password_and_no_password_are_clear_errors() {
        let e = decrypt(FROM_ANSIBLE, &[secret("default", "nope")]).unwrap_err();
        assert!(e.contains("Decryption failed"), "{e}");
        let e = decrypt(FROM_ANSIBLE, &[]).unwrap_err();
        assert!(e.contains("no vault secrets"), "{e}");
        let e = decrypt("$ANSIBLE_VAULT;1.1;AES256\nzz\n", &[secret("default", "x")]).unwrap_err();
        assert!(e.contains("hex"), "{e}");
    }

    #[test]
    fn round_trip_with_ids_and_every_padding_length() {
        for n in [0usize, 1, 15, 16, 17, 33] {
            let plain: Vec<u8> = (0..n).map(|i| i as u8).collect();
            let s = secret(if n % 2 == 0 { "default" } else { "prod" }, "pw");
            let text = encrypt(&plain, &s).expect("encrypt");
            assert!(text.lines().all(|l| l.len() <= 80));
            assert_eq!(vault_id_of(&text).is_some(), n % 2 == 1);
            let others = [secret("other", "x"), s.clone()];
            assert_eq!(decrypt(&text, &others).expect("decrypt"), plain);
        }
    }
}
