//! The SQL the packages carry. The schema version lives in a table of the simulator's own
//! design, `hotdb_schema_version` (one row per applied hop); its newest `version` is the
//! schema version. An install script is the base schema followed by every hop up to the
//! version, so an installed schema and an upgraded one are the same by construction.

use crate::catalog::{Version, hops, versions};
use std::fmt::Write;

/// The two config DBs; their scripts never mix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Database {
    /// `hotdb_config`, the compute node's.
    Config,
    /// `hotdb_cloud_config`, the management platform's.
    CloudConfig,
}

impl Database {
    pub fn name(&self) -> &'static str {
        match self {
            Database::Config => "hotdb_config",
            Database::CloudConfig => "hotdb_cloud_config",
        }
    }
}

pub const VERSION_TABLE: &str = "hotdb_schema_version";

pub fn upgrade_script_name(db: Database, from: Version, to: Version) -> String {
    format!("{}_{from}_to_{to}.sql", db.name())
}

/// The full schema at `version`, for a fresh config DB.
pub fn install_script(db: Database, version: Version) -> String {
    let first = versions()[0];
    let mut out = format!(
        "-- {} schema of HotDB {version}, for a new config DB (hotdb-sim)\nSET NAMES utf8;\n",
        db.name()
    );
    out.push_str(&base(db));
    let _ = writeln!(
        out,
        "INSERT INTO {VERSION_TABLE} (version, script) VALUES ('{first}', '{}.sql');",
        db.name()
    );
    for (from, to) in hops(first, version) {
        out.push_str(&hop_body(db, from, to));
    }
    out
}

/// The upgrade script of one hop; with `fail_at = Some(k)` statement k (1-based) is replaced
/// by one that fails, for the "upgrade SQL fails" fault.
pub fn upgrade_script(db: Database, from: Version, to: Version, fail_at: Option<usize>) -> String {
    let mut out = format!(
        "-- {} upgrade from HotDB {from} to {to} (hotdb-sim)\n-- Run in a utf8 session, in version order, stopping at the first error.\nSET NAMES utf8;\n",
        db.name()
    );
    out.push_str(&hop_body(db, from, to));
    match fail_at {
        Some(k) => inject_failure(&out, k),
        None => out,
    }
}

fn inject_failure(script: &str, k: usize) -> String {
    let statements = super::split_statements(script);
    let Some(target) = statements.get(k.saturating_sub(1)) else {
        return script.to_string();
    };
    let replacement = format!(
        "-- hotdb-sim fault injected: statement {k} of this script fails\nINSERT INTO hotdb_sim_injected_fault (statement) VALUES ({k})"
    );
    if target.lines().count() == 1 {
        return script.replacen(target.as_str(), &replacement, 1);
    }
    // A multi-line statement: the failing one goes before it and becomes statement k.
    let first_line = target.lines().next().unwrap_or(target);
    let at = script.find(first_line).unwrap_or(script.len());
    let mut out = script.to_string();
    out.insert_str(at, &format!("{replacement};\n"));
    out
}

fn base(db: Database) -> String {
    let common = format!(
        "CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (\n  version VARCHAR(20) NOT NULL COMMENT '配置库版本',\n  script VARCHAR(128) NOT NULL DEFAULT '' COMMENT '升级脚本',\n  applied_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,\n  PRIMARY KEY (version)\n) ENGINE=InnoDB DEFAULT CHARSET=utf8 COMMENT='配置库版本 (hotdb-sim)';\n"
    );
    let tables = match db {
        Database::Config => CONFIG_BASE,
        Database::CloudConfig => CLOUD_BASE,
    };
    common + tables
}

const CONFIG_BASE: &str = "CREATE TABLE hotdb_datanode (
  datanode_id INT NOT NULL AUTO_INCREMENT,
  datanode_name VARCHAR(64) NOT NULL DEFAULT '' COMMENT '数据节点名称',
  datanode_type TINYINT DEFAULT 0 COMMENT '0：主从；1：MGR',
  PRIMARY KEY (datanode_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COMMENT='数据节点';
CREATE TABLE hotdb_datasource (
  datasource_id INT NOT NULL AUTO_INCREMENT,
  datanode_id INT NOT NULL,
  host VARCHAR(64) NOT NULL,
  port INT NOT NULL DEFAULT 3306,
  PRIMARY KEY (datasource_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COMMENT='存储节点';
CREATE TABLE hotdb_logicdb (
  logicdb_id INT NOT NULL AUTO_INCREMENT,
  logicdb_name VARCHAR(64) NOT NULL,
  PRIMARY KEY (logicdb_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COMMENT='逻辑库';
CREATE TABLE hotdb_user (
  username VARCHAR(64) NOT NULL,
  host VARCHAR(64) NOT NULL DEFAULT '%',
  PRIMARY KEY (username, host)
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COMMENT='计算节点用户';
";

const CLOUD_BASE: &str = "CREATE TABLE hotdb_cluster (
  cluster_id INT NOT NULL AUTO_INCREMENT,
  cluster_name VARCHAR(64) NOT NULL COMMENT '集群名称',
  PRIMARY KEY (cluster_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COMMENT='集群';
CREATE TABLE hotdb_backup_task (
  task_id INT NOT NULL AUTO_INCREMENT,
  status VARCHAR(16) NOT NULL DEFAULT 'running',
  started_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (task_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COMMENT='备份任务';
";

fn hop_body(db: Database, from: Version, to: Version) -> String {
    let body = match (db, to.to_string().as_str()) {
        (Database::Config, "2.5.1") => CONFIG_251,
        (Database::Config, "2.5.3") => CONFIG_253,
        (Database::Config, "2.5.4") => CONFIG_254,
        (Database::Config, "2.5.5") => CONFIG_255,
        (Database::Config, "2.5.6") => CONFIG_256,
        (Database::CloudConfig, "2.5.1") => CLOUD_251,
        (Database::CloudConfig, "2.5.3") => CLOUD_253,
        (Database::CloudConfig, "2.5.4") => CLOUD_254,
        (Database::CloudConfig, "2.5.5") => CLOUD_255,
        (Database::CloudConfig, "2.5.6") => CLOUD_256,
        _ => "",
    };
    let name = upgrade_script_name(db, from, to);
    format!(
        "-- {from} -> {to}\n{body}INSERT INTO {VERSION_TABLE} (version, script) VALUES ('{to}', '{name}');\n"
    )
}

const CONFIG_251: &str =
    "ALTER TABLE hotdb_datasource ADD COLUMN idc_id TINYINT NOT NULL DEFAULT 1 COMMENT '机房ID';
CREATE TABLE hotdb_cluster_member (
  server_id INT NOT NULL,
  host VARCHAR(64) NOT NULL,
  cluster_port INT NOT NULL DEFAULT 3326,
  PRIMARY KEY (server_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COMMENT='集群成员';
DELIMITER $$
CREATE TRIGGER trg_datanode_default_name BEFORE INSERT ON hotdb_datanode FOR EACH ROW
BEGIN
  IF NEW.datanode_name = '' THEN
    SET NEW.datanode_name = CONCAT('dn_', UNIX_TIMESTAMP());
  END IF;
END$$
DELIMITER ;
";

// Not rolling-safe: narrows a column and rewrites existing rows.
const CONFIG_253: &str = "ALTER TABLE hotdb_user MODIFY COLUMN host VARCHAR(32) NOT NULL DEFAULT '%' COMMENT '允许登录的主机';
UPDATE hotdb_datanode SET datanode_type = 0 WHERE datanode_type IS NULL;
ALTER TABLE hotdb_datanode ADD COLUMN switch_type TINYINT NOT NULL DEFAULT 1 COMMENT '切换类型';
DELIMITER //
CREATE PROCEDURE hotdb_count_datanodes(OUT total INT)
BEGIN
  SELECT COUNT(*) INTO total FROM hotdb_datanode;
END//
DELIMITER ;
";

const CONFIG_254: &str = "CREATE TABLE hotdb_online_ddl (
  ddl_id INT NOT NULL AUTO_INCREMENT,
  logicdb_name VARCHAR(64) NOT NULL,
  ddl_sql TEXT,
  status VARCHAR(16) NOT NULL DEFAULT 'waiting' COMMENT '状态',
  PRIMARY KEY (ddl_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COMMENT='在线DDL';
ALTER TABLE hotdb_logicdb ADD COLUMN default_charset VARCHAR(32) NOT NULL DEFAULT 'utf8' COMMENT '默认字符集';
";

// Widening a column stays rolling-safe.
const CONFIG_255: &str =
    "ALTER TABLE hotdb_datasource MODIFY COLUMN host VARCHAR(128) NOT NULL COMMENT '主机名或IP';
ALTER TABLE hotdb_datasource ADD COLUMN weight INT NOT NULL DEFAULT 1 COMMENT '读写分离权重';
";

const CONFIG_256: &str = "CREATE TABLE hotdb_license_history (
  id INT NOT NULL AUTO_INCREMENT,
  license_format TINYINT NOT NULL DEFAULT 2,
  node_limit INT NOT NULL DEFAULT 16,
  changed_at DATETIME DEFAULT NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COMMENT='许可证变更记录';
DELIMITER $$
CREATE TRIGGER trg_license_history_time BEFORE INSERT ON hotdb_license_history FOR EACH ROW
BEGIN
  IF NEW.changed_at IS NULL THEN
    SET NEW.changed_at = NOW();
  END IF;
END$$
DELIMITER ;
";

const CLOUD_251: &str = "CREATE TABLE hotdb_backup_strategy (
  strategy_id INT NOT NULL AUTO_INCREMENT,
  cron VARCHAR(64) NOT NULL DEFAULT '0 0 2 * * ?' COMMENT '备份周期',
  PRIMARY KEY (strategy_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COMMENT='备份策略';
";

const CLOUD_253: &str = "ALTER TABLE hotdb_cluster ADD COLUMN cluster_mode TINYINT NOT NULL DEFAULT 0 COMMENT '0：主备；1：多节点';
DELIMITER $$
CREATE TRIGGER trg_backup_task_status BEFORE UPDATE ON hotdb_backup_task FOR EACH ROW
BEGIN
  IF NEW.status NOT IN ('running', 'finished', 'failed') THEN
    SET NEW.status = 'failed';
  END IF;
END$$
DELIMITER ;
";

const CLOUD_254: &str = "CREATE TABLE hotdb_upgrade_record (
  record_id INT NOT NULL AUTO_INCREMENT,
  package_name VARCHAR(128) NOT NULL COMMENT '升级包',
  PRIMARY KEY (record_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COMMENT='升级记录';
";

const CLOUD_255: &str =
    "ALTER TABLE hotdb_backup_task ADD COLUMN finished_at DATETIME DEFAULT NULL COMMENT '结束时间';
";

const CLOUD_256: &str = "ALTER TABLE hotdb_cluster ADD COLUMN license_format TINYINT NOT NULL DEFAULT 2 COMMENT '许可证格式';
DELIMITER //
CREATE PROCEDURE hotdb_running_backups(OUT total INT)
BEGIN
  SELECT COUNT(*) INTO total FROM hotdb_backup_task WHERE status = 'running';
END//
DELIMITER ;
";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::split_statements;

    #[test]
    fn every_hop_records_its_version() {
        for (from, to) in hops(Version(2, 4, 9), Version(2, 5, 6)) {
            for db in [Database::Config, Database::CloudConfig] {
                let s = upgrade_script(db, from, to, None);
                assert!(
                    s.contains(&format!(
                        "VALUES ('{to}', '{}_{from}_to_{to}.sql')",
                        db.name()
                    )),
                    "{s}"
                );
            }
        }
    }

    #[test]
    fn only_the_253_hop_is_rolling_unsafe() {
        let s = upgrade_script(Database::Config, Version(2, 5, 1), Version(2, 5, 3), None);
        assert!(
            s.contains("MODIFY COLUMN host VARCHAR(32)") && s.contains("UPDATE hotdb_datanode")
        );
        let s = upgrade_script(Database::Config, Version(2, 5, 4), Version(2, 5, 5), None);
        assert!(!s.contains("UPDATE ") && !s.contains("DROP TABLE"));
    }

    #[test]
    fn injected_failure_lands_on_statement_k() {
        let s = upgrade_script(
            Database::Config,
            Version(2, 5, 4),
            Version(2, 5, 5),
            Some(2),
        );
        let statements = split_statements(&s);
        assert!(
            statements[1].contains("hotdb_sim_injected_fault"),
            "{statements:?}"
        );
        assert!(s.contains("fault injected: statement 2"));
        let s = upgrade_script(
            Database::Config,
            Version(2, 5, 5),
            Version(2, 5, 6),
            Some(2),
        );
        assert!(split_statements(&s)[1].contains("hotdb_sim_injected_fault"));
    }

    #[test]
    fn install_script_holds_every_hop() {
        let s = install_script(Database::Config, Version(2, 5, 4));
        for v in ["2.4.9", "2.5.1", "2.5.3", "2.5.4"] {
            assert!(s.contains(&format!("VALUES ('{v}'")), "{v}");
        }
        assert!(!s.contains("VALUES ('2.5.5'"));
    }
}
