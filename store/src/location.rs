//! Where a stage's input or output lives: a local path, or a prefix in a bucket.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::error::{Error, Result};

/// The object stores a URL may name, by scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// Amazon S3 and S3-compatible servers (`s3://bucket/path`).
    S3,
    /// Google Cloud Storage (`gs://bucket/path`).
    Gcs,
    /// Azure Blob Storage (`az://container/path`, the account from the environment).
    Azure,
}

impl Scheme {
    /// The scheme as written in URLs.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::S3 => "s3",
            Self::Gcs => "gs",
            Self::Azure => "az",
        }
    }
}

/// An object-store URL: a bucket and a key prefix treated as a directory. Valid by
/// construction: a known scheme, a non-empty bucket, no empty path segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectUrl {
    scheme: Scheme,
    bucket: String,
    /// The key prefix, without leading or trailing `/` (empty: the bucket's root).
    prefix: String,
}

impl ObjectUrl {
    /// Parses `s3://bucket/path`, `gs://bucket/path` or `az://container/path`.
    ///
    /// # Errors
    /// [`Error::UnsupportedScheme`] or [`Error::InvalidUrl`].
    pub fn parse(url: &str) -> Result<Self> {
        let invalid = |reason| Error::InvalidUrl {
            url: url.to_owned(),
            reason,
        };
        let Some((scheme, rest)) = url.split_once("://") else {
            return Err(invalid("not a URL"));
        };
        let scheme = match scheme {
            "s3" => Scheme::S3,
            "gs" => Scheme::Gcs,
            "az" => Scheme::Azure,
            _ => {
                return Err(Error::UnsupportedScheme {
                    url: url.to_owned(),
                });
            }
        };
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(invalid("no bucket name after the scheme"));
        }
        if bucket.contains(['?', '#', '@', ':']) {
            return Err(invalid(
                "query strings, credentials and ports do not belong in an object URL (use the environment)",
            ));
        }
        let prefix = prefix.trim_end_matches('/');
        if prefix.split('/').any(|s| s == "." || s == "..")
            || (!prefix.is_empty() && prefix.split('/').any(str::is_empty))
        {
            return Err(invalid("empty, '.' or '..' path segment"));
        }
        Ok(Self {
            scheme,
            bucket: bucket.to_owned(),
            prefix: prefix.to_owned(),
        })
    }

    /// The scheme.
    #[must_use]
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The bucket (or Azure container).
    #[must_use]
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The key prefix, without leading or trailing `/`.
    #[must_use]
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The URL of `name` (one or more `/`-separated segments) under this prefix.
    #[must_use]
    pub fn join(&self, name: &str) -> Self {
        let name = name.trim_matches('/');
        let prefix = match (self.prefix.is_empty(), name.is_empty()) {
            (_, true) => self.prefix.clone(),
            (true, false) => name.to_owned(),
            (false, false) => format!("{}/{name}", self.prefix),
        };
        Self {
            prefix,
            ..self.clone()
        }
    }

    /// The last segment of the prefix (a file name when the URL names an object).
    #[must_use]
    pub fn file_name(&self) -> Option<&str> {
        self.prefix.rsplit('/').next().filter(|s| !s.is_empty())
    }

    /// The URL of the bucket alone, as the `object_store` builders take it.
    #[must_use]
    pub fn bucket_url(&self) -> String {
        format!("{}://{}", self.scheme.as_str(), self.bucket)
    }
}

impl fmt::Display for ObjectUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", self.scheme.as_str(), self.bucket)?;
        if !self.prefix.is_empty() {
            write!(f, "/{}", self.prefix)?;
        }
        Ok(())
    }
}

/// A stage input or output as given on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A local file or directory.
    Local(PathBuf),
    /// A key prefix in an object store.
    Remote(ObjectUrl),
}

impl Location {
    /// Parses a command-line value: `scheme://…` is an object URL, anything else a path.
    /// Without the `object-store` feature an object URL is refused here, before any work.
    ///
    /// # Errors
    /// [`Error::UnsupportedScheme`], [`Error::InvalidUrl`] or [`Error::FeatureMissing`].
    pub fn parse(value: &str) -> Result<Self> {
        if !value.contains("://") {
            return Ok(Self::Local(PathBuf::from(value)));
        }
        let url = ObjectUrl::parse(value)?;
        if cfg!(feature = "object-store") {
            Ok(Self::Remote(url))
        } else {
            Err(Error::FeatureMissing {
                url: value.to_owned(),
            })
        }
    }

    /// The local path, when the location is local.
    #[must_use]
    pub fn local(&self) -> Option<&Path> {
        match self {
            Self::Local(p) => Some(p),
            Self::Remote(_) => None,
        }
    }

    /// The location joined with `name` (a path component or `/`-separated key segments).
    #[must_use]
    pub fn join(&self, name: &str) -> Self {
        match self {
            Self::Local(p) => Self::Local(p.join(name)),
            Self::Remote(u) => Self::Remote(u.join(name)),
        }
    }
}

impl FromStr for Location {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Local(p) => write!(f, "{}", p.display()),
            Self::Remote(u) => write!(f, "{u}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_urls_keep_bucket_and_prefix() {
        let u = ObjectUrl::parse("s3://bucket/runs/valletta/matrix/").unwrap();
        assert_eq!((u.bucket(), u.prefix()), ("bucket", "runs/valletta/matrix"));
        assert_eq!(u.to_string(), "s3://bucket/runs/valletta/matrix");
        assert_eq!(
            u.join("matrix/part-00000.parquet").to_string(),
            "s3://bucket/runs/valletta/matrix/matrix/part-00000.parquet"
        );
        let root = ObjectUrl::parse("gs://b").unwrap();
        assert_eq!((root.prefix(), root.to_string()), ("", "gs://b".to_owned()));
        assert_eq!(root.join("x").to_string(), "gs://b/x");
        assert_eq!(
            ObjectUrl::parse("az://c/a/f.pbf").unwrap().file_name(),
            Some("f.pbf")
        );
    }

    #[test]
    fn bad_urls_are_refused_with_the_url() {
        for bad in [
            "s3:///path",
            "s3://b/a//c",
            "s3://b/../c",
            "s3://key:secret@b/p",
        ] {
            let err = ObjectUrl::parse(bad).unwrap_err();
            assert!(matches!(err, Error::InvalidUrl { .. }), "{bad}: {err}");
            assert!(err.to_string().starts_with(bad), "{err}");
        }
        let err = Location::parse("ftp://host/x").unwrap_err();
        assert!(matches!(err, Error::UnsupportedScheme { .. }), "{err}");
    }

    #[test]
    fn paths_stay_local_and_urls_need_the_feature() {
        assert_eq!(
            Location::parse("outputs/m").unwrap(),
            Location::Local(PathBuf::from("outputs/m"))
        );
        let remote = Location::parse("s3://b/m");
        if cfg!(feature = "object-store") {
            assert!(matches!(remote, Ok(Location::Remote(_))));
        } else {
            let err = remote.unwrap_err();
            assert!(err.to_string().contains("--features object-store"), "{err}");
        }
    }
}
