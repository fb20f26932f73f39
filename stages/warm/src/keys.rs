//! Key templates: how an ordered cell pair and a version become a Redis key.
//!
//! A template holds the placeholders `{version}`, `{origin}` and `{dest}`, each
//! exactly once, `{version}` first; every other character is literal, braces
//! included. That is how the `cluster` preset hash-tags the origin:
//! `route:{version}:{{origin}}:{dest}` renders `route:v1:{89…}:89…`, so Redis
//! Cluster puts a whole matrix row in one slot and one MGET reads it.
//! The per-version bookkeeping keys (`cells`, `manifest`, `progress`) are the
//! literal text before `{version}`, the version, `:` and their name.

use crate::error::{Error, Result};

/// The default template: `route:{version}:{origin}:{dest}`.
pub const DEFAULT_TEMPLATE: &str = "route:{version}:{origin}:{dest}";
/// The `cluster` preset: the origin is a hash tag, one matrix row per slot.
pub const CLUSTER_TEMPLATE: &str = "route:{version}:{{origin}}:{dest}";

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Version,
    Origin,
    Dest,
}

/// A parsed key template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyTemplate {
    text: String,
    segments: Vec<Segment>,
}

impl KeyTemplate {
    /// Parses a template, or the preset names `default` and `cluster`.
    ///
    /// # Errors
    /// A placeholder is missing or repeated, or `{version}` is not the first one.
    pub fn parse(text: &str) -> Result<Self> {
        let text = match text {
            "default" => DEFAULT_TEMPLATE,
            "cluster" => CLUSTER_TEMPLATE,
            other => other,
        };
        let invalid = |reason: &str| Error::InvalidOption {
            name: "key template",
            value: text.to_owned(),
            reason: reason.to_owned(),
        };
        let mut segments = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        while !rest.is_empty() {
            let found = [
                ("{version}", Segment::Version),
                ("{origin}", Segment::Origin),
                ("{dest}", Segment::Dest),
            ]
            .into_iter()
            .find(|(token, _)| rest.starts_with(token));
            if let Some((token, segment)) = found {
                if !literal.is_empty() {
                    segments.push(Segment::Literal(std::mem::take(&mut literal)));
                }
                segments.push(segment);
                rest = &rest[token.len()..];
            } else {
                let ch = rest.chars().next().unwrap_or_default();
                literal.push(ch);
                rest = &rest[ch.len_utf8()..];
            }
        }
        if !literal.is_empty() {
            segments.push(Segment::Literal(literal));
        }
        for (placeholder, segment) in [
            ("{version}", Segment::Version),
            ("{origin}", Segment::Origin),
            ("{dest}", Segment::Dest),
        ] {
            let n = segments.iter().filter(|s| **s == segment).count();
            if n != 1 {
                return Err(invalid(&format!(
                    "needs {placeholder} exactly once, found it {n} times"
                )));
            }
        }
        let first_placeholder = segments.iter().find(|s| !matches!(s, Segment::Literal(_)));
        if first_placeholder != Some(&Segment::Version) {
            return Err(invalid("{version} must come before {origin} and {dest}"));
        }
        Ok(Self {
            text: text.to_owned(),
            segments,
        })
    }

    /// The template text (presets expanded).
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether every key of one origin shares a Redis Cluster slot (the origin is the
    /// only hash tag, so a row can be read with one MGET on a Cluster).
    #[must_use]
    pub fn row_in_one_slot(&self) -> bool {
        // Redis hashes the text between the first `{` and the next `}` when it is
        // not empty; versions and hex cells hold no braces, so one sample decides.
        let key = self.for_version("v").key(0xabc, 0xdef);
        let Some(open) = key.find('{') else {
            return false;
        };
        let after = &key[open + 1..];
        after
            .find('}')
            .is_some_and(|close| &after[..close] == "abc")
    }

    /// The literal text before `{version}` (for bookkeeping keys).
    fn prefix(&self) -> &str {
        match self.segments.first() {
            Some(Segment::Literal(l)) => l,
            _ => "",
        }
    }

    /// A per-version bookkeeping key such as `route:v1:cells`.
    #[must_use]
    pub fn meta_key(&self, version: &str, name: &str) -> String {
        format!("{}{version}:{name}", self.prefix())
    }

    /// A renderer for the keys of one version.
    #[must_use]
    pub fn for_version(&self, version: &str) -> KeyRenderer {
        let parts = self
            .segments
            .iter()
            .map(|s| match s {
                Segment::Literal(l) => Part::Bytes(l.as_bytes().to_vec()),
                Segment::Version => Part::Bytes(version.as_bytes().to_vec()),
                Segment::Origin => Part::Origin,
                Segment::Dest => Part::Dest,
            })
            .collect();
        KeyRenderer { parts }
    }
}

#[derive(Debug, Clone)]
enum Part {
    Bytes(Vec<u8>),
    Origin,
    Dest,
}

/// Renders keys for one version without allocating per key.
#[derive(Debug, Clone)]
pub struct KeyRenderer {
    parts: Vec<Part>,
}

impl KeyRenderer {
    /// Appends the key of `(origin, dest)` to `out`.
    pub fn write(&self, out: &mut Vec<u8>, origin: u64, dest: u64) {
        for part in &self.parts {
            match part {
                Part::Bytes(b) => out.extend_from_slice(b),
                Part::Origin => write_hex(out, origin),
                Part::Dest => write_hex(out, dest),
            }
        }
    }

    /// The key of `(origin, dest)` as a string.
    #[must_use]
    pub fn key(&self, origin: u64, dest: u64) -> String {
        let mut out = Vec::with_capacity(64);
        self.write(&mut out, origin, dest);
        String::from_utf8_lossy(&out).into_owned()
    }
}

/// Appends `v` in lowercase hex without leading zeros, as H3 tools print cells.
pub fn write_hex(out: &mut Vec<u8>, v: u64) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    if v == 0 {
        out.push(b'0');
        return;
    }
    let digits = (64 - v.leading_zeros()).div_ceil(4);
    for i in (0..digits).rev() {
        out.push(DIGITS[((v >> (i * 4)) & 0xf) as usize]);
    }
}

/// The pointer key of one dataset, `route:NAME:current`: one per dataset, so cities
/// sharing a Redis keep their current versions apart (`hexmatrix run` uses it).
#[must_use]
pub fn dataset_pointer_key(dataset: &str) -> String {
    format!("route:{dataset}:current")
}

/// Checks a version label: it becomes part of every key.
///
/// # Errors
/// Empty, longer than 64 bytes, or with characters other than `A-Z a-z 0-9 . _ -`.
pub fn validate_version(version: &str) -> Result<()> {
    let ok = !version.is_empty()
        && version.len() <= 64
        && version
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidOption {
            name: "version",
            value: version.to_owned(),
            reason: "use 1 to 64 characters among A-Z a-z 0-9 . _ -".to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CELL: u64 = 0x0893_f0a5_cb43_ffff;

    #[test]
    fn a_dataset_has_its_own_pointer_key() {
        assert_eq!(dataset_pointer_key("valletta"), "route:valletta:current");
    }

    #[test]
    fn default_template_renders_hex_cells() {
        let t = KeyTemplate::parse("default").unwrap();
        let k = t.for_version("v1").key(CELL, 0x0893_f0a5_cb47_ffff);
        assert_eq!(k, "route:v1:893f0a5cb43ffff:893f0a5cb47ffff");
        assert_eq!(format!("{CELL:x}"), "893f0a5cb43ffff");
        assert_eq!(t.meta_key("v1", "cells"), "route:v1:cells");
        assert!(!t.row_in_one_slot());
    }

    #[test]
    fn cluster_preset_hash_tags_the_origin() {
        let t = KeyTemplate::parse("cluster").unwrap();
        assert_eq!(
            t.for_version("v2").key(CELL, 1),
            "route:v2:{893f0a5cb43ffff}:1"
        );
        assert_eq!(t.meta_key("v2", "manifest"), "route:v2:manifest");
        assert!(t.row_in_one_slot());
    }

    #[test]
    fn custom_templates_are_checked() {
        let t = KeyTemplate::parse("m:{version}|{dest}|{origin}").unwrap();
        assert_eq!(t.for_version("x").key(0xab, 0xcd), "m:x|cd|ab");
        assert!(KeyTemplate::parse("route:{origin}:{dest}").is_err());
        assert!(KeyTemplate::parse("route:{version}:{origin}:{origin}").is_err());
        assert!(KeyTemplate::parse("{origin}:{version}:{dest}").is_err());
        let err = KeyTemplate::parse("r:{version}:{dest}")
            .unwrap_err()
            .to_string();
        assert!(err.contains("{origin} exactly once"), "{err}");
    }

    #[test]
    fn versions_are_restricted() {
        assert!(validate_version("2026-11-26_a.1").is_ok());
        assert!(validate_version("").is_err());
        assert!(validate_version("a:b").is_err());
        assert!(validate_version("a{b}").is_err());
    }

    #[test]
    fn hex_matches_format() {
        for v in [0_u64, 1, 15, 16, 255, CELL, u64::MAX] {
            let mut out = Vec::new();
            write_hex(&mut out, v);
            assert_eq!(String::from_utf8(out).unwrap(), format!("{v:x}"));
        }
    }
}
