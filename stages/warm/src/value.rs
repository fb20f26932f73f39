//! Value formats: what a gateway reads for one pair, and the "no route" value.
//!
//! | format | route | no route | bytes |
//! |---|---|---|---|
//! | `json` (default) | `{"dist":1234.5,"dur":321.4}` | `{"dist":-1,"dur":-1}` | ~27 |
//! | `text` | `1235,321.4` | `-1,-1` | ~10 |
//!
//! `json` gives metres and seconds to 0.1; `text` whole metres and 0.1 s, comma
//! separated. Values are rendered from the Float32 columns of the matrix with
//! round-half-away-from-zero, so verification can render them again and compare.

use std::str::FromStr;

use crate::error::Error;

/// How a pair's value is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ValueFormat {
    /// `{"dist":1234.5,"dur":321.4}`.
    #[default]
    Json,
    /// `1235,321.4`.
    Text,
}

/// What a value says about a pair.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Route {
    /// A route: metres and seconds.
    Found {
        /// Distance in metres.
        distance_m: f64,
        /// Duration in seconds.
        duration_s: f64,
    },
    /// The pair was computed and has no route.
    NoRoute,
}

impl ValueFormat {
    /// The name used on the command line and in the version manifest.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Text => "text",
        }
    }

    /// Appends the value of a pair with a route.
    pub fn write_route(self, out: &mut Vec<u8>, distance_m: f64, duration_s: f64) {
        match self {
            Self::Json => {
                out.extend_from_slice(b"{\"dist\":");
                write_tenths(out, distance_m);
                out.extend_from_slice(b",\"dur\":");
                write_tenths(out, duration_s);
                out.push(b'}');
            }
            Self::Text => {
                write_int(out, distance_m.round() as i64);
                out.push(b',');
                write_tenths(out, duration_s);
            }
        }
    }

    /// The "no route" value.
    #[must_use]
    pub fn no_route(self) -> &'static [u8] {
        match self {
            Self::Json => b"{\"dist\":-1,\"dur\":-1}",
            Self::Text => b"-1,-1",
        }
    }

    /// Reads a value back (the gateway side).
    #[must_use]
    pub fn parse(self, value: &str) -> Option<Route> {
        let (dist, dur) = match self {
            Self::Json => {
                let v: serde_json::Value = serde_json::from_str(value).ok()?;
                (v.get("dist")?.as_f64()?, v.get("dur")?.as_f64()?)
            }
            Self::Text => {
                let (a, b) = value.split_once(',')?;
                (a.parse().ok()?, b.parse().ok()?)
            }
        };
        if dist < 0.0 || dur < 0.0 {
            Some(Route::NoRoute)
        } else {
            Some(Route::Found {
                distance_m: dist,
                duration_s: dur,
            })
        }
    }
}

impl FromStr for ValueFormat {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "json" => Ok(Self::Json),
            "text" => Ok(Self::Text),
            _ => Err(Error::InvalidOption {
                name: "value format",
                value: s.to_owned(),
                reason: "use json or text".to_owned(),
            }),
        }
    }
}

/// Appends `x` with exactly one decimal.
fn write_tenths(out: &mut Vec<u8>, x: f64) {
    let tenths = (x * 10.0).round() as i64;
    if tenths < 0 {
        out.push(b'-');
    }
    let t = tenths.unsigned_abs();
    write_uint(out, t / 10);
    out.push(b'.');
    out.push(b'0' + (t % 10) as u8);
}

fn write_int(out: &mut Vec<u8>, v: i64) {
    if v < 0 {
        out.push(b'-');
    }
    write_uint(out, v.unsigned_abs());
}

fn write_uint(out: &mut Vec<u8>, mut v: u64) {
    let mut buf = [0_u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

/// Appends a decimal integer (RESP lengths, TTLs).
pub(crate) fn write_u64(out: &mut Vec<u8>, v: u64) {
    write_uint(out, v);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(f: ValueFormat, d: f64, t: f64) -> String {
        let mut out = Vec::new();
        f.write_route(&mut out, d, t);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn json_has_tenths() {
        assert_eq!(
            render(ValueFormat::Json, 1234.5, 321.44),
            r#"{"dist":1234.5,"dur":321.4}"#
        );
        assert_eq!(
            render(ValueFormat::Json, 0.0, 0.0),
            r#"{"dist":0.0,"dur":0.0}"#
        );
        assert_eq!(
            render(ValueFormat::Json, 7.96, 0.04),
            r#"{"dist":8.0,"dur":0.0}"#
        );
    }

    #[test]
    fn text_is_tighter() {
        assert_eq!(render(ValueFormat::Text, 1234.5, 321.45), "1235,321.5");
        assert!(
            render(ValueFormat::Text, 1234.5, 321.4).len()
                < render(ValueFormat::Json, 1234.5, 321.4).len()
        );
    }

    #[test]
    fn values_parse_back() {
        for f in [ValueFormat::Json, ValueFormat::Text] {
            let v = render(f, 1500.0, 99.5);
            assert_eq!(
                f.parse(&v),
                Some(Route::Found {
                    distance_m: 1500.0,
                    duration_s: 99.5
                })
            );
            let none = std::str::from_utf8(f.no_route()).unwrap();
            assert_eq!(f.parse(none), Some(Route::NoRoute));
            assert_eq!(f.parse("garbage"), None);
        }
        assert_eq!("text".parse::<ValueFormat>().unwrap(), ValueFormat::Text);
        assert!("xml".parse::<ValueFormat>().is_err());
    }
}
