//! The `vault` and `unvault` filters: Ansible Vault 1.1 text from a value and back.

use super::filters::err;
use crate::parse::vault::{self, VaultSecret};
use minijinja::value::{Kwargs, Value};
use minijinja::{Environment, Error};

pub fn register(env: &mut Environment<'static>) {
    env.add_filter("vault", vault_filter);
    env.add_filter("unvault", unvault_filter);
}

fn secret_of(secret: &Value, kwargs: &Kwargs) -> Result<VaultSecret, Error> {
    let id: Option<String> = kwargs.get("vault_id")?;
    let password = secret.as_str().ok_or_else(|| {
        err(
            "Secret passed is required to be as string, instead we got: ".to_string()
                + &secret.kind().to_string(),
        )
    })?;
    Ok(VaultSecret {
        id: id.unwrap_or_else(|| "filter_default".into()),
        password: password.as_bytes().to_vec(),
    })
}

/// `data | vault(secret, salt=None, vault_id='filter_default', wrap_object=False)`.
fn vault_filter(data: Value, secret: Value, kwargs: Kwargs) -> Result<Value, Error> {
    let s = secret_of(&secret, &kwargs)?;
    let salt: Option<String> = kwargs.get("salt")?;
    let _: Option<bool> = kwargs.get("wrap_object")?;
    kwargs.assert_all_used()?;
    let plain = data
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| data.to_string());
    let text = match salt {
        Some(salt) => vault::encrypt_with_salt(plain.as_bytes(), &s, salt.as_bytes()),
        None => vault::encrypt(plain.as_bytes(), &s).map_err(err)?,
    };
    Ok(Value::from(text))
}

/// `vaulted | unvault(secret, vault_id='filter_default')`; plain text passes through.
fn unvault_filter(data: Value, secret: Value, kwargs: Kwargs) -> Result<Value, Error> {
    let s = secret_of(&secret, &kwargs)?;
    kwargs.assert_all_used()?;
    let Some(text) = data.as_str() else {
        return Ok(data);
    };
    if !vault::is_vaulted(text) {
        return Ok(data);
    }
    let plain = vault::decrypt(text, &[s]).map_err(|e| err(format!("Unable to decrypt: {e}")))?;
    Ok(Value::from(String::from_utf8_lossy(&plain).into_owned()))
}
