//! The releases the simulator knows: versions, build dates, JDK and license rules, and the
//! `server.xml` properties of each version. Everything version-dependent is decided here.

use std::cmp::Ordering;
use std::fmt;

/// A `MAJOR.MINOR.PATCH` version, compared numerically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version(pub u32, pub u32, pub u32);

impl Version {
    /// Parses `2.5.4` (extra parts such as `2.5.4.1` are ignored).
    pub fn parse(text: &str) -> Option<Version> {
        let mut parts = text.trim().split('.').map(|p| p.parse::<u32>());
        let major = parts.next()?.ok()?;
        let minor = parts.next()?.ok()?;
        let patch = parts.next()?.ok()?;
        Some(Version(major, minor, patch))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

/// The first version that needs OpenJDK 8 and the new license format.
pub const JDK8_FROM: Version = Version(2, 5, 6);
/// The first management platform that upgrades its own config DB at start.
pub const SELF_UPGRADE_FROM: Version = Version(2, 5, 3);

/// One build of the compute node and management platform (they share versions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Release {
    pub version: Version,
    /// Build date, `YYYYMMDD`.
    pub date: &'static str,
}

impl Release {
    pub fn jdk(&self) -> Jdk {
        if self.version >= JDK8_FROM {
            Jdk::OpenJdk8
        } else {
            Jdk::Oracle7
        }
    }

    pub fn license_format(&self) -> u32 {
        if self.version >= JDK8_FROM { 2 } else { 1 }
    }

    pub fn server_package(&self) -> String {
        format!("hotdb-server-{}-ga-{}.tar.gz", self.version, self.date)
    }

    pub fn management_package(&self) -> String {
        format!("hotdb-management-{}-ga-{}.tar.gz", self.version, self.date)
    }
}

/// Every compute node / management platform build the generator produces.
pub const RELEASES: &[Release] = &[
    Release {
        version: Version(2, 4, 9),
        date: "20190417",
    },
    Release {
        version: Version(2, 5, 1),
        date: "20190601",
    },
    Release {
        version: Version(2, 5, 1),
        date: "20190830",
    },
    Release {
        version: Version(2, 5, 3),
        date: "20190801",
    },
    Release {
        version: Version(2, 5, 3),
        date: "20190905",
    },
    Release {
        version: Version(2, 5, 4),
        date: "20190812",
    },
    Release {
        version: Version(2, 5, 5),
        date: "20191230",
    },
    Release {
        version: Version(2, 5, 6),
        date: "20200918",
    },
];

/// The distinct versions, oldest first; each one after the first is the target of a hop.
pub fn versions() -> Vec<Version> {
    let mut all: Vec<Version> = RELEASES.iter().map(|r| r.version).collect();
    all.dedup();
    all
}

pub fn find_release(version: Version, date: &str) -> Option<Release> {
    RELEASES
        .iter()
        .copied()
        .find(|r| r.version == version && r.date == date)
}

/// The hop into `to` whose SQL narrows a column and rewrites rows: not rolling-safe.
pub const UNSAFE_HOP_TO: Version = Version(2, 5, 3);

/// The hops `(from, to)` of a route, in order (V4).
pub fn hops(from: Version, to: Version) -> Vec<(Version, Version)> {
    let all = versions();
    all.windows(2)
        .filter(|w| w[0] >= from && w[1] <= to)
        .map(|w| (w[0], w[1]))
        .collect()
}

/// Whether members of these two builds may run side by side (a rolling upgrade): the MNR-0
/// rules of PROCEDURES.md.
pub fn rolling_compatible(a: Release, b: Release) -> bool {
    let (old, new) = match a.version.cmp(&b.version) {
        Ordering::Greater => (b, a),
        _ => (a, b),
    };
    if old.version == new.version {
        return true;
    }
    if old.version < Version(2, 5, 1) {
        return false;
    }
    if (old.version == Version(2, 5, 1) || old.version == Version(2, 5, 3)) && old.date < "20190821"
    {
        return false;
    }
    hops(old.version, new.version)
        .iter()
        .all(|(_, to)| *to != UNSAFE_HOP_TO)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Jdk {
    Oracle7,
    OpenJdk8,
}

impl Jdk {
    /// `JAVA_VERSION` as the start scripts write it.
    pub fn java_version(&self) -> &'static str {
        match self {
            Jdk::Oracle7 => "1.7.0_80",
            Jdk::OpenJdk8 => "1.8.0_252",
        }
    }
}

/// One `server.xml` property: name, default value, comment, and the versions that have it.
#[derive(Debug, Clone, Copy)]
pub struct Property {
    pub name: &'static str,
    pub default: &'static str,
    pub comment: &'static str,
    pub since: Version,
    /// First version without it.
    pub until: Option<Version>,
    pub required: bool,
}

const V249: Version = Version(2, 4, 9);

const fn prop(name: &'static str, default: &'static str, comment: &'static str) -> Property {
    Property {
        name,
        default,
        comment,
        since: V249,
        until: None,
        required: false,
    }
}

const fn req(name: &'static str, default: &'static str, comment: &'static str) -> Property {
    Property {
        name,
        default,
        comment,
        since: V249,
        until: None,
        required: true,
    }
}

const fn since(p: Property, v: Version) -> Property {
    Property { since: v, ..p }
}

const fn until(p: Property, v: Version) -> Property {
    Property {
        until: Some(v),
        ..p
    }
}

/// All properties, in `server.xml` order.
pub const PROPERTIES: &[Property] = &[
    req(
        "url",
        "jdbc:mysql://127.0.0.1:3306/hotdb_config",
        " 主配置库地址，需指定配置库服务所在的真实IP地址 ",
    ),
    req("username", "hotdb_config", " 主配置库用户名 "),
    req("password", "hotdb_config", " 主配置库密码 "),
    prop(
        "bakUrl",
        "",
        " 从配置库地址，需指定配置库服务所在的真实IP地址 ",
    ),
    prop("bakUsername", "", " 从配置库用户名 "),
    prop("bakPassword", "", " 从配置库密码 "),
    since(
        prop("configMGR", "false", " 配置库是否使用MGR "),
        Version(2, 5, 1),
    ),
    since(
        prop(
            "bak1Url",
            "",
            " MGR配置库地址(如配置库使用MGR,必须配置此项) ",
        ),
        Version(2, 5, 1),
    ),
    since(
        prop(
            "bak1Username",
            "",
            " MGR配置库用户名(如配置库使用MGR,必须配置此项) ",
        ),
        Version(2, 5, 1),
    ),
    since(
        prop(
            "bak1Password",
            "",
            " MGR配置库密码(如配置库使用MGR,必须配置此项) ",
        ),
        Version(2, 5, 1),
    ),
    req(
        "haMode",
        "0",
        " 高可用模式：0：主备；1：集群；2：容灾中心主备；3：容灾机房主备；4：容灾中心集群；5：容灾机房集群 ",
    ),
    req(
        "serverId",
        "1",
        " 集群节点编号1-N（节点数)，集群内唯一且N<=集群中节点总数 ",
    ),
    since(
        prop("clusterName", "HotDB-Cluster", " 集群组名称 "),
        Version(2, 5, 1),
    ),
    since(
        prop("clusterSize", "3", " 集群中节点总数 "),
        Version(2, 5, 1),
    ),
    since(
        prop("clusterNetwork", "127.0.0.0/24", " 集群所在网段 "),
        Version(2, 5, 1),
    ),
    since(
        prop("clusterHost", "127.0.0.1", " 本节点所在IP "),
        Version(2, 5, 1),
    ),
    since(
        prop("clusterPort", "3326", " 集群通信端口 "),
        Version(2, 5, 1),
    ),
    prop(
        "haState",
        "master",
        " HA角色，主节点：master，备节点：backup (集群模式下，此项无效） ",
    ),
    prop(
        "haNodeHost",
        "",
        " HA角色，其他节点IP:PORT （主备模式下使用，PORT表示管理端口，例：192.168.200.2:3325） ",
    ),
    prop("VIP", "", " 虚拟IP地址(主备模式下使用) "),
    prop("checkVIPPeriod", "500", " 检测VIP周期（单位ms） "),
    since(
        prop("idcId", "1", " 机房ID：1：中心机房；2：容灾机房 "),
        Version(2, 5, 3),
    ),
    since(
        prop("idcNodeHost", "", " 另一机房计算节点信息(IP:PORT,IP:PORT) "),
        Version(2, 5, 3),
    ),
    req("serverPort", "3323", " 服务端口 "),
    req("managerPort", "3325", " 管理端口 "),
    prop("processors", "16", " 处理器数 "),
    prop("processorExecutor", "4", " 各处理器线程数 "),
    prop("timerExecutor", "4", " 定时器线程数 "),
    prop("maxConnections", "5000", " 前端最大连接数 "),
    prop("maxUserConnections", "0", " 用户前端最大连接数, 0为不限制 "),
    prop("idleTimeout", "28800", " 前端连接空闲超时时间（单位s） "),
    prop("sqlTimeout", "3600", " SQL执行超时时间（单位s） "),
    prop("enableXA", "false", " 是否采用XA事务 "),
    prop("autoIncrement", "true", " 是否采用全局自增序列 "),
    prop("enableWatchdog", "false", " 是否开启Watchdog "),
    prop("pingPeriod", "3600", " 心跳检测周期（单位s） "),
    until(
        prop(
            "deadlockCheckPeriod",
            "3000",
            " 死锁检测周期（单位ms），0代表不启用 ",
        ),
        Version(2, 5, 4),
    ),
    prop(
        "waitSyncFinishAtStartup",
        "true",
        " 启动时是否等待主从同步完成 ",
    ),
    prop(
        "strategyForRWSplit",
        "0",
        " 读写分离策略：0：不分离；1：可分离；2：读写分离；3：事务外读写分离 ",
    ),
    prop("maxAllowedPacket", "65536", " 最大允许包大小（单位KB） "),
    since(
        prop("enableFlowControl", "false", " 是否开启流控 "),
        Version(2, 5, 3),
    ),
    since(
        prop("ndbSqlMode", "none", " NDB SQL模式：none, local "),
        Version(2, 5, 3),
    ),
    since(
        prop("ndbSqlAddr", "localhost:3329", " NDB SQL地址 "),
        Version(2, 5, 3),
    ),
    since(
        prop("ndbSqlUser", "root", " NDB SQL用户 "),
        Version(2, 5, 3),
    ),
    since(
        prop("ndbSqlPass", "root", " NDB SQL密码 "),
        Version(2, 5, 3),
    ),
    since(
        prop("enableListener", "false", " 是否启用Listener "),
        Version(2, 5, 5),
    ),
    since(
        prop(
            "operateMode",
            "0",
            " 运行模式：0：正常模式；1：性能模式；2：调试模式 ",
        ),
        Version(2, 5, 5),
    ),
    since(
        prop("sslUseSM4", "false", " 是否支持国密SM4 "),
        Version(2, 5, 6),
    ),
    since(
        prop("enableSSL", "false", " 是否开启SSL连接 "),
        Version(2, 5, 6),
    ),
];

/// The properties a version knows.
pub fn properties_of(version: Version) -> impl Iterator<Item = &'static Property> {
    PROPERTIES
        .iter()
        .filter(move |p| p.since <= version && p.until.is_none_or(|u| version < u))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_numerically() {
        assert!(Version::parse("2.5.10").unwrap() > Version::parse("2.5.9").unwrap());
        assert_eq!(Version::parse("2.5.4.1"), Some(Version(2, 5, 4)));
        assert_eq!(Version::parse("2.x"), None);
    }

    #[test]
    fn hops_cover_a_route_in_order() {
        let route = hops(Version(2, 4, 9), Version(2, 5, 4));
        let to: Vec<String> = route.iter().map(|(_, t)| t.to_string()).collect();
        assert_eq!(to, ["2.5.1", "2.5.3", "2.5.4"]);
        assert!(hops(Version(2, 5, 1), Version(2, 5, 1)).is_empty());
    }

    #[test]
    fn rolling_rules() {
        let r = |v: &str, d: &'static str| find_release(Version::parse(v).unwrap(), d).unwrap();
        assert!(rolling_compatible(
            r("2.5.3", "20190905"),
            r("2.5.6", "20200918")
        ));
        assert!(!rolling_compatible(
            r("2.5.3", "20190801"),
            r("2.5.4", "20190812")
        ));
        assert!(!rolling_compatible(
            r("2.5.1", "20190830"),
            r("2.5.3", "20190905")
        ));
        assert!(!rolling_compatible(
            r("2.4.9", "20190417"),
            r("2.5.1", "20190830")
        ));
        assert!(rolling_compatible(
            r("2.5.1", "20190601"),
            r("2.5.1", "20190830")
        ));
    }

    #[test]
    fn versions_add_and_remove_properties() {
        let has = |v: Version, n: &str| properties_of(v).any(|p| p.name == n);
        assert!(!has(Version(2, 4, 9), "clusterPort"));
        assert!(has(Version(2, 5, 1), "clusterPort"));
        assert!(has(Version(2, 5, 3), "deadlockCheckPeriod"));
        assert!(!has(Version(2, 5, 4), "deadlockCheckPeriod"));
    }
}
