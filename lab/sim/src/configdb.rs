//! The config DBs as the simulator reaches them: JDBC URLs from `server.xml` or
//! `application.properties`, the schema version, and running an upgrade script.

use crate::catalog::Version;
use crate::sql::scripts::VERSION_TABLE;
use crate::sql::split_statements;
use crate::wire::client::{Client, ClientError};

/// Where a config DB is and how to log in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub host: String,
    pub port: u16,
    pub db: String,
    pub user: String,
    pub password: String,
}

impl Target {
    /// From `jdbc:mysql://HOST:PORT/DB?params`.
    pub fn from_jdbc(url: &str, user: &str, password: &str) -> Result<Target, String> {
        let bad =
            || format!("invalid config DB url {url:?}: expected jdbc:mysql://HOST:PORT/DATABASE");
        let rest = url.trim().strip_prefix("jdbc:mysql://").ok_or_else(bad)?;
        let (hostport, path) = rest.split_once('/').ok_or_else(bad)?;
        let db = path.split('?').next().unwrap_or("").to_string();
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), p.parse().map_err(|_| bad())?),
            None => (hostport.to_string(), 3306),
        };
        if host.is_empty() || db.is_empty() {
            return Err(bad());
        }
        Ok(Target {
            host,
            port,
            db,
            user: user.to_string(),
            password: password.to_string(),
        })
    }

    pub fn connect(&self) -> Result<Client, ClientError> {
        let mut c = Client::connect(
            &self.host,
            self.port,
            &self.user,
            &self.password,
            Some(&self.db),
        )?;
        c.query("SET NAMES utf8")?;
        Ok(c)
    }

    pub fn describe(&self) -> String {
        format!("{}:{}/{}", self.host, self.port, self.db)
    }
}

/// The newest version recorded in the schema version table; `None` when there is none.
pub fn schema_version(c: &mut Client) -> Result<Option<Version>, ClientError> {
    let rows = match c.query(&format!("SELECT version FROM {VERSION_TABLE}")) {
        Ok(o) => o.rows,
        Err(ClientError::Server { code: 1146, .. }) => return Ok(None),
        Err(e) => return Err(e),
    };
    Ok(rows
        .iter()
        .filter_map(|r| r.first()?.as_deref().and_then(Version::parse))
        .max())
}

/// Count of rows of a table, for the license's data node limit.
pub fn count(c: &mut Client, table: &str) -> Result<u64, ClientError> {
    let o = c.query(&format!("SELECT COUNT(*) FROM {table}"))?;
    Ok(o.rows
        .first()
        .and_then(|r| r.first()?.as_deref()?.parse().ok())
        .unwrap_or(0))
}

/// A script's failure: which statement (1-based) and why.
#[derive(Debug)]
pub struct ScriptError {
    pub statement: usize,
    pub sql: String,
    pub error: ClientError,
}

/// Runs every statement of `script` in order, stopping at the first error; returns how many ran.
pub fn run_script(c: &mut Client, script: &str) -> Result<usize, ScriptError> {
    let statements = split_statements(script);
    for (i, sql) in statements.iter().enumerate() {
        c.query(sql).map_err(|error| ScriptError {
            statement: i + 1,
            sql: sql.clone(),
            error,
        })?;
    }
    Ok(statements.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jdbc_urls() {
        let t = Target::from_jdbc(
            "jdbc:mysql://192.168.210.30:3307/hotdb_config_test253?useUnicode=true",
            "u",
            "p",
        )
        .unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.db.as_str()),
            ("192.168.210.30", 3307, "hotdb_config_test253")
        );
        assert_eq!(
            Target::from_jdbc("jdbc:mysql://h/db", "u", "p")
                .unwrap()
                .port,
            3306
        );
        assert!(Target::from_jdbc("mysql://h/db", "u", "p").is_err());
        assert!(Target::from_jdbc("jdbc:mysql://h:x/db", "u", "p").is_err());
    }
}
