//! Stand-in JDKs: a `bin/java` sh script that prints `-version` like the real one.

use super::{Package, Tree};
use crate::log::unix_of_date;

pub const OPENJDK8: &str = "OpenJDK8U-jdk_x64_linux_hotspot_8u252b09.tar.gz";
pub const ORACLE7: &str = "jdk-7u80-linux-x64.tar.gz";

pub fn names() -> Vec<String> {
    vec![OPENJDK8.to_string(), ORACLE7.to_string()]
}

pub fn package(name: &str) -> Option<Package> {
    let (root, version, banner, date) = match name {
        OPENJDK8 => (
            "jdk8u252-b09",
            "1.8.0_252",
            "openjdk version \"1.8.0_252\"\nOpenJDK Runtime Environment (AdoptOpenJDK)(build 1.8.0_252-b09)\nOpenJDK 64-Bit Server VM (AdoptOpenJDK)(build 25.252-b09, mixed mode)",
            "20200415",
        ),
        ORACLE7 => (
            "jdk1.7.0_80",
            "1.7.0_80",
            "java version \"1.7.0_80\"\nJava(TM) SE Runtime Environment (build 1.7.0_80-b15)\nJava HotSpot(TM) 64-Bit Server VM (build 24.80-b11, mixed mode)",
            "20150410",
        ),
        _ => return None,
    };
    let mut t = Tree::new(unix_of_date(date).unwrap_or(0));
    t.script(
        &format!("{root}/bin/java"),
        &format!(
            "#!/bin/sh\n# hotdb-sim stand-in for the java launcher of {root}: prints -version like the real one.\ncase \"$1\" in\n  -version|--version)\n    cat >&2 <<'EOF'\n{banner}\nEOF\n    exit 0\n    ;;\nesac\necho \"hotdb-sim: this java only answers -version\" >&2\nexit 1\n"
        ),
    );
    t.text(
        &format!("{root}/release"),
        &format!("JAVA_VERSION=\"{version}\"\n"),
    );
    Some(Package {
        file_name: name.to_string(),
        tree: t,
    })
}
