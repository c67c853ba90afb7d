//! Log files in the shape of HotDB's log4j output: `date time.ms [LEVEL] [TAG] message`.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

pub struct Log {
    file: Mutex<File>,
}

impl Log {
    pub fn open(path: &Path) -> io::Result<Log> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(Log {
            file: Mutex::new(file),
        })
    }

    pub fn info(&self, tag: &str, message: &str) {
        self.write("INFO", tag, message);
    }

    pub fn warn(&self, tag: &str, message: &str) {
        self.write("WARN", tag, message);
    }

    pub fn error(&self, tag: &str, message: &str) {
        self.write("ERROR", tag, message);
    }

    /// A `fault injected:` line, so a test can prove the fault was the cause.
    pub fn fault(&self, message: &str) {
        self.write("WARN", "FAULT", &format!("fault injected: {message}"));
    }

    fn write(&self, level: &str, tag: &str, message: &str) {
        let line = format!(
            "{} [{level}] [{tag}] {message}\n",
            timestamp(SystemTime::now())
        );
        if let Ok(mut f) = self.file.lock() {
            let _ = f.write_all(line.as_bytes());
        }
    }
}

/// `YYYY-MM-DD HH:MM:SS.mmm` in UTC.
pub fn timestamp(at: SystemTime) -> String {
    let d = at.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    format!(
        "{} {:02}:{:02}:{:02}.{:03}",
        date(secs),
        secs / 3600 % 24,
        secs / 60 % 60,
        secs % 60,
        d.subsec_millis()
    )
}

/// `YYYY-MM-DD` of a Unix time, UTC (civil-from-days).
pub fn date(secs: u64) -> String {
    let z = (secs / 86400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// Unix time of midnight UTC of a `YYYYMMDD` date (days-from-civil).
pub fn unix_of_date(yyyymmdd: &str) -> Option<u64> {
    if yyyymmdd.len() != 8 {
        return None;
    }
    let y: i64 = yyyymmdd[..4].parse().ok()?;
    let m: i64 = yyyymmdd[4..6].parse().ok()?;
    let d: i64 = yyyymmdd[6..].parse().ok()?;
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    u64::try_from((era * 146_097 + doe - 719_468) * 86400).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        let t = unix_of_date("20190812").unwrap();
        assert_eq!(t, 1_565_568_000);
        assert_eq!(date(t), "2019-08-12");
        assert_eq!(date(0), "1970-01-01");
    }
}
