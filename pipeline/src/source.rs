//! Where a dataset's region comes from: its `region_url` classified as an HTTP
//! download or a local file, checked when the dataset file is read.

use std::path::{Path, PathBuf};

/// A `region_url` that is neither http(s), `file://` nor a local path.
#[derive(Debug, thiserror::Error)]
#[error("region url {url:?} is not http://, https://, file:// or a local path")]
pub struct UnsupportedUrl {
    /// The offending URL, its password masked.
    pub url: String,
}

/// Where a region comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// An `http://` or `https://` URL with a `.md5` file beside it.
    Http(String),
    /// A local file (a plain path or a `file://` URL).
    Local(PathBuf),
}

impl Source {
    /// Classifies `url`; relative local paths are resolved against `base`.
    ///
    /// # Errors
    ///
    /// [`UnsupportedUrl`] for any other scheme (`ftp://`, ...).
    pub fn parse(url: &str, base: &Path) -> Result<Self, UnsupportedUrl> {
        let lower = url.to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            return Ok(Self::Http(url.to_owned()));
        }
        if let Some(rest) = url.strip_prefix("file://") {
            // file:///abs/path has an empty host; file://localhost/abs/path names it.
            let path = rest.strip_prefix("localhost").unwrap_or(rest);
            if !path.starts_with('/') {
                return Err(UnsupportedUrl {
                    url: hexmatrix_warm::redact_url(url),
                });
            }
            return Ok(Self::Local(PathBuf::from(path)));
        }
        if url.is_empty() || url.contains("://") {
            return Err(UnsupportedUrl {
                url: hexmatrix_warm::redact_url(url),
            });
        }
        Ok(Self::Local(base.join(url)))
    }
}

/// Shows the source with the password of an `https://user:password@…` URL masked.
impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Http(url) => f.write_str(&hexmatrix_warm::redact_url(url)),
            Self::Local(path) => write!(f, "{}", path.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_classified() {
        let base = Path::new("/data/datasets");
        assert_eq!(
            Source::parse("https://h/x.osm.pbf", base).unwrap(),
            Source::Http("https://h/x.osm.pbf".into())
        );
        assert_eq!(
            Source::parse("file:///tmp/x.osm.pbf", base).unwrap(),
            Source::Local("/tmp/x.osm.pbf".into())
        );
        assert_eq!(
            Source::parse("file://localhost/tmp/x.osm.pbf", base).unwrap(),
            Source::Local("/tmp/x.osm.pbf".into())
        );
        assert_eq!(
            Source::parse("../x.osm.pbf", base).unwrap(),
            Source::Local("/data/datasets/../x.osm.pbf".into())
        );
        for bad in ["ftp://h/x", "file://host/x", ""] {
            assert!(
                matches!(Source::parse(bad, base), Err(UnsupportedUrl { .. })),
                "{bad}"
            );
        }
    }
}
