//! `conf/server.xml`: parsed and checked against the properties of the program's version.

use crate::catalog::{Version, properties_of};
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    values: BTreeMap<String, String>,
}

impl ServerConfig {
    pub fn load(path: &Path, version: Version) -> Result<ServerConfig, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Self::parse(&text, version).map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn parse(text: &str, version: Version) -> Result<ServerConfig, String> {
        let options = roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        };
        let doc = roxmltree::Document::parse_with_options(text, options)
            .map_err(|e| format!("malformed XML: {e}"))?;
        let root = doc.root_element();
        if root.tag_name().name() != "server" {
            return Err(format!(
                "root element is <{}>, expected <hotdb:server>",
                root.tag_name().name()
            ));
        }
        let known: Vec<_> = properties_of(version).collect();
        let mut values = BTreeMap::new();
        for system in root.children().filter(|n| n.has_tag_name("system")) {
            for p in system.children().filter(|n| n.is_element()) {
                let pos = doc.text_pos_at(p.range().start);
                if !p.has_tag_name("property") {
                    return Err(format!(
                        "line {}: unexpected element <{}> in <system>",
                        pos.row,
                        p.tag_name().name()
                    ));
                }
                let name = p
                    .attribute("name")
                    .ok_or_else(|| format!("line {}: <property> without a name", pos.row))?;
                if !known.iter().any(|k| k.name == name) {
                    return Err(format!(
                        "line {}: unknown property '{name}' for HotDB-server {version}",
                        pos.row
                    ));
                }
                let value = p.text().unwrap_or("").trim().to_string();
                if values.insert(name.to_string(), value).is_some() {
                    return Err(format!("line {}: property '{name}' is set twice", pos.row));
                }
            }
        }
        for p in known.iter().filter(|p| p.required) {
            if !values.contains_key(p.name) {
                return Err(format!("required property '{}' is missing", p.name));
            }
        }
        for p in known {
            values
                .entry(p.name.to_string())
                .or_insert_with(|| p.default.to_string());
        }
        let config = ServerConfig { values };
        for port in ["serverPort", "managerPort"] {
            config.port(port)?;
        }
        Ok(config)
    }

    pub fn get(&self, name: &str) -> &str {
        self.values.get(name).map(String::as_str).unwrap_or("")
    }

    pub fn number(&self, name: &str) -> Result<u64, String> {
        let v = self.get(name);
        v.parse()
            .map_err(|_| format!("property '{name}' is {v:?}, expected a number"))
    }

    pub fn port(&self, name: &str) -> Result<u16, String> {
        let v = self.get(name);
        v.parse::<u16>()
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| format!("property '{name}' is {v:?}, expected a port number"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::package::server::server_xml;

    fn xml(version: Version, pairs: &[(&str, &str)]) -> String {
        server_xml(
            version,
            &pairs
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
        )
    }

    #[test]
    fn packaged_server_xml_is_valid() {
        for v in crate::catalog::versions() {
            let c = ServerConfig::parse(&xml(v, &[]), v).unwrap();
            assert_eq!(c.port("managerPort").unwrap(), 3325);
        }
    }

    #[test]
    fn refusals() {
        let v = Version(2, 5, 4);
        let err = ServerConfig::parse("<hotdb:server", v).unwrap_err();
        assert!(err.starts_with("malformed XML"), "{err}");
        let err = ServerConfig::parse(&xml(v, &[("deadlockCheckPeriod", "1")]), v).unwrap_err();
        assert!(
            err.contains("unknown property 'deadlockCheckPeriod'"),
            "{err}"
        );
        let text = xml(v, &[]).replace(
            "<property name=\"url\">jdbc:mysql://127.0.0.1:3306/hotdb_config</property>",
            "",
        );
        let err = ServerConfig::parse(&text, v).unwrap_err();
        assert_eq!(err, "required property 'url' is missing");
        let err = ServerConfig::parse(&xml(v, &[("serverPort", "x")]), v).unwrap_err();
        assert!(err.contains("serverPort"), "{err}");
    }
}
