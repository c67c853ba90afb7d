//! Dates: the `strftime` filter and the `now()` function, with Python's
//! datetime behaviour (naive local time unless UTC is asked for).

use super::filters::err;
use minijinja::value::{Kwargs, Object, ObjectRepr, Value};
use minijinja::{Environment, Error, State};
use std::cmp::Ordering;
use std::fmt;
use std::sync::Arc;

pub fn register(env: &mut Environment<'static>) {
    env.add_filter("strftime", strftime_filter);
    env.add_function("now", now);
    super::datetime::register(env);
}

/// A broken-down time, as Python's datetime holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Moment {
    /// Seconds since the epoch, and microseconds.
    epoch: i64,
    micro: u32,
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    /// Monday is 0.
    weekday: u32,
    /// Day of the year, from 1.
    yday: u32,
    /// UTC offset and zone name, for aware times; None for naive ones.
    zone: Option<(i64, String)>,
}

/// Days since 1970-01-01 as (year, month, day): Howard Hinnant's civil_from_days.
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn day_of_year(y: i64, m: u32, d: u32) -> u32 {
    const CUM: [u32; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
    CUM[(m - 1) as usize] + d + u32::from(m > 2 && is_leap(y))
}

impl Moment {
    /// The wall-clock time `offset` seconds east of UTC.
    fn at(epoch: i64, micro: u32, offset: i64, zone: Option<(i64, String)>) -> Moment {
        let local = epoch + offset;
        let days = local.div_euclid(86_400);
        let secs = local.rem_euclid(86_400) as u32;
        let (year, month, day) = civil(days);
        Moment {
            epoch,
            micro,
            year,
            month,
            day,
            hour: secs / 3600,
            minute: secs / 60 % 60,
            second: secs % 60,
            weekday: (days + 3).rem_euclid(7) as u32,
            yday: day_of_year(year, month, day),
            zone,
        }
    }

    pub fn utc(epoch: i64, micro: u32, aware: bool) -> Moment {
        Moment::at(epoch, micro, 0, aware.then(|| (0, "UTC".to_string())))
    }

    /// A naive time from its wall-clock seconds since 1970-01-01 (as strptime gives).
    pub fn naive(wall: i64, micro: u32) -> Moment {
        let (offset, _) = local_offset(wall);
        Moment::at(wall - offset, micro, offset, None)
    }

    /// Microseconds for subtraction: of the wall clock for naive times (as Python
    /// subtracts them), of the instant for aware ones.
    pub fn epoch_micros(&self) -> i64 {
        let secs = match self.zone {
            Some(_) => self.epoch,
            None => {
                super::datetime::days_from_civil(self.year, self.month, self.day) * 86_400
                    + i64::from(self.hour * 3600 + self.minute * 60 + self.second)
            }
        };
        secs * 1_000_000 + i64::from(self.micro)
    }

    /// Naive local time, as datetime.fromtimestamp() gives.
    pub fn local(epoch: i64, micro: u32) -> Moment {
        let (offset, _) = local_offset(epoch);
        Moment::at(epoch, micro, offset, None)
    }

    fn zone_name(&self) -> String {
        match &self.zone {
            Some((_, name)) => name.clone(),
            None => String::new(),
        }
    }

    /// Python's strftime (C locale).
    pub fn strftime(&self, fmt: &str) -> String {
        const DAYS: [&str; 7] = [
            "Monday",
            "Tuesday",
            "Wednesday",
            "Thursday",
            "Friday",
            "Saturday",
            "Sunday",
        ];
        const MONTHS: [&str; 12] = [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ];
        let day_name = DAYS[self.weekday as usize % 7];
        let month_name = MONTHS[(self.month as usize + 11) % 12];
        let hour12 = if self.hour % 12 == 0 {
            12
        } else {
            self.hour % 12
        };
        let sunday_based = (self.weekday + 1) % 7;
        let mut out = String::new();
        let mut chars = fmt.chars();
        while let Some(c) = chars.next() {
            if c != '%' {
                out.push(c);
                continue;
            }
            let Some(d) = chars.next() else {
                out.push('%');
                break;
            };
            let piece = match d {
                'a' => day_name[..3].to_string(),
                'A' => day_name.to_string(),
                'b' | 'h' => month_name[..3].to_string(),
                'B' => month_name.to_string(),
                'c' => self.strftime("%a %b %e %H:%M:%S %Y"),
                'C' => format!("{:02}", self.year.div_euclid(100)),
                'd' => format!("{:02}", self.day),
                'D' => self.strftime("%m/%d/%y"),
                'e' => format!("{:2}", self.day),
                'f' => format!("{:06}", self.micro),
                'F' => self.strftime("%Y-%m-%d"),
                'G' => self.iso_week().0.to_string(),
                'H' => format!("{:02}", self.hour),
                'I' => format!("{hour12:02}"),
                'j' => format!("{:03}", self.yday),
                'k' => format!("{:2}", self.hour),
                'l' => format!("{hour12:2}"),
                'm' => format!("{:02}", self.month),
                'M' => format!("{:02}", self.minute),
                'n' => "\n".into(),
                'p' => if self.hour < 12 { "AM" } else { "PM" }.into(),
                'r' => self.strftime("%I:%M:%S %p"),
                'R' => self.strftime("%H:%M"),
                's' => self.epoch.to_string(),
                'S' => format!("{:02}", self.second),
                't' => "\t".into(),
                'T' => self.strftime("%H:%M:%S"),
                'u' => (self.weekday + 1).to_string(),
                'U' => format!("{:02}", (self.yday - 1 + 7 - sunday_based) / 7),
                'V' => format!("{:02}", self.iso_week().1),
                'w' => sunday_based.to_string(),
                'W' => format!("{:02}", (self.yday - 1 + 7 - self.weekday) / 7),
                'x' => self.strftime("%m/%d/%y"),
                'X' => self.strftime("%H:%M:%S"),
                'y' => format!("{:02}", self.year.rem_euclid(100)),
                'Y' => self.year.to_string(),
                'z' => match &self.zone {
                    Some((off, _)) => {
                        let sign = if *off < 0 { '-' } else { '+' };
                        let a = off.abs();
                        format!("{sign}{:02}{:02}", a / 3600, a / 60 % 60)
                    }
                    None => String::new(),
                },
                'Z' => self.zone_name(),
                '%' => "%".into(),
                other => format!("%{other}"),
            };
            out.push_str(&piece);
        }
        out
    }

    /// ISO 8601 year and week number.
    fn iso_week(&self) -> (i64, u32) {
        let weeks = |y: i64| {
            let p = |y: i64| {
                (y + y.div_euclid(4) - y.div_euclid(100) + y.div_euclid(400)).rem_euclid(7)
            };
            if p(y) == 4 || p(y - 1) == 3 {
                53i64
            } else {
                52
            }
        };
        let week = (self.yday as i64 - (self.weekday as i64 + 1) + 10) / 7;
        if week < 1 {
            (self.year - 1, weeks(self.year - 1) as u32)
        } else if week > weeks(self.year) {
            (self.year + 1, 1)
        } else {
            (self.year, week as u32)
        }
    }

    fn isoformat(&self) -> String {
        let mut s = self.strftime("%Y-%m-%dT%H:%M:%S");
        if self.micro > 0 {
            s.push_str(&format!(".{:06}", self.micro));
        }
        if let Some((off, _)) = &self.zone {
            let sign = if *off < 0 { '-' } else { '+' };
            s.push_str(&format!(
                "{sign}{:02}:{:02}",
                off.abs() / 3600,
                off.abs() / 60 % 60
            ));
        }
        s
    }
}

/// The controller's UTC offset (seconds east) and zone name at an instant.
fn local_offset(epoch: i64) -> (i64, String) {
    let t = epoch as libc::time_t;
    // SAFETY: an all-zero `tm` is a valid value of this plain C struct.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: localtime_r only reads `t` and writes the `tm` we own; it is the
    // thread-safe variant.
    let ok = unsafe { !libc::localtime_r(&t, &mut tm).is_null() };
    if !ok {
        return (0, "UTC".into());
    }
    let zone = if tm.tm_zone.is_null() {
        String::new()
    } else {
        // SAFETY: glibc points tm_zone at a NUL-terminated static string.
        unsafe { std::ffi::CStr::from_ptr(tm.tm_zone) }
            .to_string_lossy()
            .into_owned()
    };
    (tm.tm_gmtoff, zone)
}

fn now_parts() -> (i64, u32) {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    (d.as_secs() as i64, d.subsec_micros())
}

/// `strftime(second=None, utc=False)`: the format applied to a time (now by default).
fn strftime_filter(
    fmt: &str,
    second: Option<Value>,
    utc: Option<bool>,
    kwargs: Kwargs,
) -> Result<String, Error> {
    let second = match second {
        Some(s) => Some(s),
        None => kwargs.get("second")?,
    };
    let utc = match utc {
        Some(u) => u,
        None => kwargs.get::<Option<bool>>("utc")?.unwrap_or(false),
    };
    kwargs.assert_all_used()?;
    let (epoch, micro) = match second {
        None => now_parts(),
        Some(v) => {
            let f = match v.as_str() {
                Some(s) => s.trim().parse::<f64>().ok(),
                None => f64::try_from(v.clone()).ok(),
            }
            .filter(|f| f.is_finite())
            .ok_or_else(|| err(format!("Invalid value for epoch value ({v})")))?;
            (
                f.floor() as i64,
                ((f - f.floor()) * 1e6).round().min(999_999.0) as u32,
            )
        }
    };
    let m = if utc {
        Moment::utc(epoch, micro, true)
    } else {
        Moment::local(epoch, micro)
    };
    Ok(m.strftime(fmt))
}

/// A datetime as templates see it: attributes, `strftime()`, `isoformat()`.
#[derive(Debug)]
pub struct DateTime(pub Moment);

impl Object for DateTime {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let m = &self.0;
        Some(match key.as_str()? {
            "year" => Value::from(m.year),
            "month" => Value::from(m.month),
            "day" => Value::from(m.day),
            "hour" => Value::from(m.hour),
            "minute" => Value::from(m.minute),
            "second" => Value::from(m.second),
            "microsecond" => Value::from(m.micro),
            "epoch" => Value::from(m.epoch),
            _ => return None,
        })
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        match (method, args) {
            ("strftime", [fmt]) => Ok(Value::from(
                self.0.strftime(fmt.as_str().unwrap_or_default()),
            )),
            ("isoformat", []) => Ok(Value::from(self.0.isoformat())),
            ("timestamp", []) => Ok(Value::from(
                self.0.epoch as f64 + f64::from(self.0.micro) / 1e6,
            )),
            ("weekday", []) => Ok(Value::from(self.0.weekday)),
            _ => Err(Error::from(minijinja::ErrorKind::UnknownMethod)),
        }
    }

    fn custom_cmp(self: &Arc<Self>, other: &minijinja::value::DynObject) -> Option<Ordering> {
        let other = other.downcast_ref::<DateTime>()?;
        Some((self.0.epoch, self.0.micro).cmp(&(other.0.epoch, other.0.micro)))
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.strftime("%Y-%m-%d %H:%M:%S"))?;
        if self.0.micro > 0 {
            write!(f, ".{:06}", self.0.micro)?;
        }
        Ok(())
    }
}

/// `now(utc=False, fmt=None)`: the current time, or its text in a format.
fn now(kwargs: Kwargs) -> Result<Value, Error> {
    let utc = kwargs.get::<Option<bool>>("utc")?.unwrap_or(false);
    let fmt: Option<String> = kwargs.get("fmt")?;
    kwargs.assert_all_used()?;
    let (epoch, micro) = now_parts();
    let m = if utc {
        Moment::utc(epoch, micro, false)
    } else {
        Moment::local(epoch, micro)
    };
    Ok(match fmt {
        Some(f) => Value::from(m.strftime(&f)),
        None => Value::from_object(DateTime(m)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::template::{Templar, to_jinja};
    use serde_json::json;

    #[test]
    fn strftime_like_python() {
        // 2024-02-29 13:05:09 UTC, a Thursday.
        let m = Moment::utc(1_709_211_909, 42, true);
        assert_eq!(
            m.strftime("%Y-%m-%d %H:%M:%S.%f %a %A %b %B %j %I%p %y %z %Z %u %w %e %%"),
            "2024-02-29 13:05:09.000042 Thu Thursday Feb February 060 01PM 24 +0000 UTC 4 4 29 %"
        );
        assert_eq!(
            m.strftime("%c|%F|%T|%s|%G-W%V|%U|%W"),
            "Thu Feb 29 13:05:09 2024|2024-02-29|13:05:09|1709211909|2024-W09|08|09"
        );
        assert_eq!(
            Moment::utc(0, 0, false).strftime("%Y-%m-%d %a %z"),
            "1970-01-01 Thu "
        );
        assert_eq!(Moment::utc(-86_400, 0, false).strftime("%F"), "1969-12-31");
        // 2021-01-03 is ISO week 53 of 2020.
        assert_eq!(
            Moment::utc(1_609_632_000, 0, false).strftime("%G %V"),
            "2020 53"
        );
        assert_eq!(
            Moment::utc(1_709_211_909, 0, false).isoformat(),
            "2024-02-29T13:05:09"
        );
    }

    #[test]
    fn filters_and_now() {
        let t = Templar::new();
        let c = to_jinja(&json!({}));
        let r = |s: &str| {
            t.render_native(s, &c)
                .unwrap_or_else(|e| panic!("{s}: {}", e.message))
        };
        assert_eq!(
            r("{{ '%Y-%m-%d %H:%M' | strftime(1709211909, utc=True) }}"),
            json!("2024-02-29 13:05")
        );
        assert_eq!(
            r("{{ '%s' | strftime(second='1709211909') }}"),
            json!("1709211909")
        );
        let year = r("{{ now().year }}").as_i64().unwrap_or_default();
        assert!(year >= 2024, "{year}");
        assert_eq!(r("{{ now(fmt='%Y') | int }}"), json!(year));
        assert_eq!(r("{{ now(utc=True).strftime('%Y') | int }}"), json!(year));
        let text = r("{{ now() }}");
        assert!(
            text.as_str()
                .is_some_and(|s| s.starts_with(&year.to_string())),
            "{text}"
        );
        assert_eq!(
            r("{{ now() > now(utc=True) or now() <= now(utc=True) }}"),
            json!(true)
        );
        assert!(t.render_native("{{ '%Y' | strftime('x') }}", &c).is_err());
    }
}
