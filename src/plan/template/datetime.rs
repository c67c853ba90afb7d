//! `to_datetime` (Python's strptime) and date arithmetic: `(a | to_datetime) -
//! (b | to_datetime)` gives a timedelta with `days`, `seconds`, `total_seconds()`.
//! minijinja has no operator hook for objects, so chain.rs rewrites such a
//! subtraction into `__datetime_sub(a, b)` before compiling.

use super::clock::{DateTime, Moment};
use super::filters::err;
use minijinja::value::{Object, ObjectRepr, Value};
use minijinja::{Environment, Error, State};
use std::fmt;
use std::sync::Arc;

/// The function rewritten subtractions call.
pub const SUB_FN: &str = "__datetime_sub";

pub fn register(env: &mut Environment<'static>) {
    env.add_filter("to_datetime", to_datetime);
    env.add_function(SUB_FN, subtract);
}

fn to_datetime(text: Value, format: Option<String>) -> Result<Value, Error> {
    let text = text.to_string();
    let format = format.unwrap_or_else(|| "%Y-%m-%d %H:%M:%S".into());
    let wall = strptime(&text, &format).ok_or_else(|| {
        err(format!(
            "time data '{text}' does not match format '{format}'"
        ))
    })?;
    Ok(Value::from_object(DateTime(Moment::naive(wall.0, wall.1))))
}

/// `a - b`: a timedelta for two datetimes, else the numbers' difference.
fn subtract(a: Value, b: Value) -> Result<Value, Error> {
    if let (Some(x), Some(y)) = (
        a.downcast_object_ref::<DateTime>(),
        b.downcast_object_ref::<DateTime>(),
    ) {
        let (ex, ey) = (x.0.epoch_micros(), y.0.epoch_micros());
        return Ok(Value::from_object(TimeDelta(ex - ey)));
    }
    match (i64::try_from(a.clone()), i64::try_from(b.clone())) {
        (Ok(x), Ok(y)) => Ok(Value::from(x - y)),
        _ => match (f64::try_from(a.clone()), f64::try_from(b.clone())) {
            (Ok(x), Ok(y)) => Ok(Value::from(x - y)),
            _ => Err(err(format!(
                "unsupported operand type(s) for -: '{}' and '{}'",
                a.kind(),
                b.kind()
            ))),
        },
    }
}

/// Python's timedelta, in microseconds.
#[derive(Debug)]
pub struct TimeDelta(pub i64);

impl TimeDelta {
    /// (days, seconds, microseconds) normalised as Python does: only days negative.
    fn parts(&self) -> (i64, i64, i64) {
        let micro = self.0.rem_euclid(1_000_000);
        let secs = self.0.div_euclid(1_000_000);
        (secs.div_euclid(86_400), secs.rem_euclid(86_400), micro)
    }
}

impl Object for TimeDelta {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let (d, s, us) = self.parts();
        Some(match key.as_str()? {
            "days" => Value::from(d),
            "seconds" => Value::from(s),
            "microseconds" => Value::from(us),
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
            ("total_seconds", []) => Ok(Value::from(self.0 as f64 / 1e6)),
            _ => Err(Error::from(minijinja::ErrorKind::UnknownMethod)),
        }
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (d, s, us) = self.parts();
        if d != 0 {
            let plural = if d.abs() == 1 { "" } else { "s" };
            write!(f, "{d} day{plural}, ")?;
        }
        write!(f, "{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)?;
        if us != 0 {
            write!(f, ".{us:06}")?;
        }
        Ok(())
    }
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];
const DAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// Python's strptime for the common directives: the wall-clock time as seconds
/// since 1970-01-01 (no zone) and microseconds. None when `text` does not match.
fn strptime(text: &str, format: &str) -> Option<(i64, u32)> {
    let (mut year, mut month, mut day) = (1900i64, 1u32, 1u32);
    let (mut hour, mut minute, mut second, mut micro) = (0u32, 0u32, 0u32, 0u32);
    let mut pm: Option<bool> = None;
    let mut yday: Option<u32> = None;
    let t = text.as_bytes();
    let mut i = 0;
    let mut f = format.chars().peekable();
    // Up to `max` digits (at least one).
    let num = |i: &mut usize, max: usize| -> Option<i64> {
        let start = *i;
        while *i < t.len() && *i - start < max && t[*i].is_ascii_digit() {
            *i += 1;
        }
        (*i > start).then(|| text[start..*i].parse().ok())?
    };
    let name = |i: &mut usize, names: &[&str]| -> Option<usize> {
        let rest = text[*i..].to_ascii_lowercase();
        let (idx, len) = names.iter().enumerate().find_map(|(k, n)| {
            if rest.starts_with(n) {
                Some((k, n.len()))
            } else if rest.starts_with(&n[..3]) {
                Some((k, 3))
            } else {
                None
            }
        })?;
        *i += len;
        Some(idx)
    };
    while let Some(c) = f.next() {
        if c.is_whitespace() {
            while i < t.len() && t[i].is_ascii_whitespace() {
                i += 1;
            }
            continue;
        }
        if c != '%' {
            let mut buf = [0u8; 4];
            let lit = c.encode_utf8(&mut buf).as_bytes();
            if !t[i..].starts_with(lit) {
                return None;
            }
            i += lit.len();
            continue;
        }
        match f.next()? {
            'Y' => year = num(&mut i, 4)?,
            'y' => {
                let y = num(&mut i, 2)?;
                year = if y < 69 { 2000 + y } else { 1900 + y };
            }
            'm' => month = u32::try_from(num(&mut i, 2)?).ok()?,
            'd' => day = u32::try_from(num(&mut i, 2)?).ok()?,
            'H' => hour = u32::try_from(num(&mut i, 2)?).ok()?,
            'I' => hour = u32::try_from(num(&mut i, 2)?).ok()?,
            'M' => minute = u32::try_from(num(&mut i, 2)?).ok()?,
            'S' => second = u32::try_from(num(&mut i, 2)?).ok()?,
            'j' => yday = Some(u32::try_from(num(&mut i, 3)?).ok()?),
            'f' => {
                let start = i;
                let v = num(&mut i, 6)?;
                let digits = (i - start) as u32;
                micro = u32::try_from(v).ok()? * 10u32.pow(6 - digits);
            }
            'p' => {
                let rest = text[i..].to_ascii_lowercase();
                pm = Some(if rest.starts_with("pm") {
                    true
                } else if rest.starts_with("am") {
                    false
                } else {
                    return None;
                });
                i += 2;
            }
            'b' | 'B' | 'h' => month = name(&mut i, &MONTHS)? as u32 + 1,
            'a' | 'A' => {
                name(&mut i, &DAYS)?;
            }
            '%' => {
                if t.get(i) != Some(&b'%') {
                    return None;
                }
                i += 1;
            }
            _ => return None,
        }
    }
    if i != t.len() {
        return None;
    }
    if let Some(pm) = pm {
        if !(1..=12).contains(&hour) {
            return None;
        }
        hour = hour % 12 + if pm { 12 } else { 0 };
    }
    if !(1..=12).contains(&month) || hour > 23 || minute > 59 || second > 61 {
        return None;
    }
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    let mut days = days_from_civil(year, month, 1);
    match yday {
        Some(n) if (1..=if leap { 366 } else { 365 }).contains(&n) => days += i64::from(n) - 1,
        Some(_) => return None,
        None if day >= 1 && day <= month_days[(month - 1) as usize] => days += i64::from(day) - 1,
        None => return None,
    }
    let secs = days * 86_400 + i64::from(hour * 3600 + minute * 60 + second);
    Some((secs, micro))
}

/// Days from 1970-01-01 to the date (Howard Hinnant's days_from_civil).
pub(super) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::template::{Templar, to_jinja};
    use serde_json::json;

    #[test]
    fn parses_like_strptime() {
        assert_eq!(
            strptime("1970-01-02 00:00:01", "%Y-%m-%d %H:%M:%S"),
            Some((86_401, 0))
        );
        assert_eq!(strptime("2024-02-29", "%Y-%m-%d"), Some((1_709_164_800, 0)));
        assert_eq!(strptime("2023-02-29", "%Y-%m-%d"), None);
        assert_eq!(
            strptime("03/Mar/2021:01:02:03.5", "%d/%b/%Y:%H:%M:%S.%f"),
            Some((1_614_733_323, 500_000))
        );
        assert_eq!(
            strptime("12:30 AM", "%I:%M %p"),
            strptime("1900-01-01 00:30", "%Y-%m-%d %H:%M")
        );
        assert_eq!(strptime("2024-01-01 x", "%Y-%m-%d"), None);
    }

    #[test]
    fn subtraction_gives_a_timedelta() {
        let t = Templar::new();
        let c = to_jinja(&json!({"a": "2024-01-02 03:04:05", "b": "2024-01-01 00:00:00"}));
        let r = |s: &str| {
            t.render_native(s, &c)
                .unwrap_or_else(|e| panic!("{s}: {}", e.message))
        };
        assert_eq!(
            r("{{ ((a | to_datetime) - (b | to_datetime)).days }}"),
            json!(1)
        );
        assert_eq!(
            r("{{ ((a | to_datetime) - (b | to_datetime)).seconds }}"),
            json!(11_045)
        );
        assert_eq!(
            r("{{ ((a | to_datetime) - (b | to_datetime)).total_seconds() }}"),
            json!(97_445.0)
        );
        assert_eq!(
            r("{{ (b | to_datetime) - (a | to_datetime) }}"),
            json!("-2 days, 20:55:55")
        );
        assert_eq!(
            r("{{ (a | to_datetime).year }} {{ a | to_datetime }}"),
            json!("2024 2024-01-02 03:04:05")
        );
        assert_eq!(r("{{ (5) - (3) }}"), json!(2));
        assert!(t.render_native("{{ 'x' | to_datetime }}", &c).is_err());
    }
}
