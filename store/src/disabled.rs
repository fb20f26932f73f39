//! [`RemoteDir`] in a build without the `object-store` feature: it cannot be made
//! (no value of it exists), so every caller compiles the same either way and
//! [`crate::Location::parse`] has already refused the URL.

use std::convert::Infallible;
use std::path::Path;

use crate::error::{Error, Result};
use crate::location::ObjectUrl;
use crate::{Transfer, TransferOptions};

/// A key prefix in a bucket; uninhabited without the `object-store` feature.
#[derive(Debug)]
pub struct RemoteDir(Infallible);

impl RemoteDir {
    /// Always [`Error::FeatureMissing`] in this build.
    ///
    /// # Errors
    /// Always.
    pub fn open(url: &ObjectUrl, _options: TransferOptions) -> Result<Self> {
        Err(Error::FeatureMissing {
            url: url.to_string(),
        })
    }

    /// The prefix URL.
    #[must_use]
    pub fn url(&self) -> &ObjectUrl {
        match self.0 {}
    }

    /// Every object under the prefix (unreachable in this build).
    ///
    /// # Errors
    /// Never returns.
    pub fn list(&self) -> Result<Vec<(String, u64)>> {
        match self.0 {}
    }

    /// Uploads a local file (unreachable in this build).
    ///
    /// # Errors
    /// Never returns.
    pub fn upload_file(&self, _local: &Path, _name: &str) -> Result<u64> {
        match self.0 {}
    }

    /// Stores a small object (unreachable in this build).
    ///
    /// # Errors
    /// Never returns.
    pub fn put_bytes(&self, _name: &str, _bytes: Vec<u8>) -> Result<()> {
        match self.0 {}
    }

    /// Deletes an object (unreachable in this build).
    ///
    /// # Errors
    /// Never returns.
    pub fn delete(&self, _name: &str) -> Result<()> {
        match self.0 {}
    }

    /// Downloads an object (unreachable in this build).
    ///
    /// # Errors
    /// Never returns.
    pub fn download_file(&self, _name: &str, _local: &Path) -> Result<u64> {
        match self.0 {}
    }

    /// Uploads a directory (unreachable in this build).
    ///
    /// # Errors
    /// Never returns.
    pub fn upload_dir(
        &self,
        _local: &Path,
        _last: &[&str],
        _remove_after: bool,
    ) -> Result<Transfer> {
        match self.0 {}
    }

    /// Downloads a prefix (unreachable in this build).
    ///
    /// # Errors
    /// Never returns.
    pub fn download_dir(&self, _local: &Path) -> Result<Transfer> {
        match self.0 {}
    }
}
