//! The simulator's own knobs and injected faults, read from `<home>/conf/sim.properties`
//! (absent: real-like defaults, no faults). See lab/README.md for the keys.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Settings {
    values: BTreeMap<String, String>,
}

pub const FILE: &str = "conf/sim.properties";

impl Settings {
    pub fn load(home: &Path) -> Settings {
        let text = std::fs::read_to_string(home.join(FILE)).unwrap_or_default();
        Settings {
            values: parse_properties(&text),
        }
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(|v| v.as_str())
    }

    pub fn flag(&self, key: &str) -> bool {
        matches!(self.get(key), Some("true" | "1" | "yes"))
    }

    pub fn seconds(&self, key: &str) -> Option<f64> {
        self.get(key)
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|s| *s >= 0.0)
    }

    /// `start.delay.ms`: `N` or `MIN-MAX` (a pseudo-random pick); default 2000-5000.
    pub fn start_delay(&self) -> Duration {
        let spec = self.get("start.delay.ms").unwrap_or("2000-5000");
        let (min, max): (u64, u64) = match spec.split_once('-') {
            Some((a, b)) => (
                a.trim().parse().unwrap_or(2000),
                b.trim().parse().unwrap_or(5000),
            ),
            None => {
                let n = spec.trim().parse().unwrap_or(2000);
                (n, n)
            }
        };
        let span = max.saturating_sub(min);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| u64::from(d.subsec_nanos()))
            .unwrap_or(0);
        Duration::from_millis(min + if span == 0 { 0 } else { nanos % (span + 1) })
    }
}

/// `key=value` lines; `#` and `!` start comments (Java properties, without escapes).
pub fn parse_properties(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('!'))
        .filter_map(|l| {
            l.split_once('=')
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_delay_ranges() {
        let s = Settings {
            values: parse_properties("start.delay.ms=100-200\nfault.stop.hang=true"),
        };
        let d = s.start_delay().as_millis();
        assert!((100..=200).contains(&d));
        assert!(s.flag("fault.stop.hang"));
        let s = Settings {
            values: parse_properties("start.delay.ms=0"),
        };
        assert_eq!(s.start_delay(), Duration::ZERO);
        assert!((2000..=5000).contains(&Settings::default().start_delay().as_millis()));
    }
}
