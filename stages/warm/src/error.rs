//! Errors of this crate. Every Redis error names the server by its URL with the
//! password masked; every file error names the file.

use std::path::PathBuf;

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong while warming or reading the cache.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An I/O error on a named file.
    #[error("{path}: {source}")]
    Io {
        /// The file involved.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A Parquet file could not be read.
    #[error("cannot read parquet file {path}: {source}")]
    Parquet {
        /// The file involved.
        path: PathBuf,
        /// The underlying error.
        source: parquet::errors::ParquetError,
    },
    /// The Parquet decoder panicked on a file (arrow and parquet do on some
    /// corrupt pages instead of returning an error): the file is corrupt.
    #[error(
        "cannot read parquet file {path}: the decoder panicked ({message}): the file is corrupt"
    )]
    ParquetPanic {
        /// The file involved.
        path: PathBuf,
        /// The panic's message.
        message: String,
    },
    /// A matrix file lacks a column or has it with the wrong type.
    #[error("{path}: {message}")]
    Schema {
        /// The file involved.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The matrix `manifest.json` is missing, malformed or disagrees with the parts.
    #[error("matrix manifest {path}: {message}")]
    Manifest {
        /// The manifest file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// An option has a value that cannot be used.
    #[error("invalid {name} {value:?}: {reason}")]
    InvalidOption {
        /// The option.
        name: &'static str,
        /// The value given.
        value: String,
        /// Why it is refused.
        reason: String,
    },
    /// The Redis server could not be reached.
    #[error("cannot connect to redis at {url}: {source}")]
    Connect {
        /// The server, password masked.
        url: String,
        /// The underlying error.
        source: redis::RedisError,
    },
    /// The Redis server refused the user name or password.
    #[error(
        "redis at {url} refused the credentials: {source} (give them in the url: redis://user:password@host:port/db)"
    )]
    Auth {
        /// The server, password masked.
        url: String,
        /// The underlying error.
        source: redis::RedisError,
    },
    /// A Redis command failed.
    #[error("redis at {url} failed while {during}: {source}")]
    Redis {
        /// The server, password masked.
        url: String,
        /// What we were doing.
        during: String,
        /// The underlying error.
        source: redis::RedisError,
    },
    /// Redis refused writes because it reached its memory limit.
    #[error(
        "redis at {url} is out of memory: maxmemory {maxmemory} bytes ({maxmemory_mib:.1} MiB) reached with maxmemory-policy {policy} after {written} keys of this load; raise maxmemory, free memory or shorten the TTL of older versions, then rerun (the load resumes)"
    )]
    OutOfMemory {
        /// The server, password masked.
        url: String,
        /// The server's `maxmemory` in bytes.
        maxmemory: u64,
        /// The same in MiB, for the message.
        maxmemory_mib: f64,
        /// The server's `maxmemory-policy`.
        policy: String,
        /// Keys acknowledged before the refusal.
        written: u64,
    },
    /// The load was cancelled through its context (the pointer is unchanged).
    #[error("{0}")]
    Cancelled(#[from] hexmatrix_contract::Cancelled),
    /// The loaded version failed verification; the pointer was not moved.
    #[error(
        "verification of version {version} failed: {message}; the pointer was not moved (rerun with --force to reload every key)"
    )]
    Verify {
        /// The version being verified.
        version: String,
        /// What disagreed.
        message: String,
    },
    /// A sharded load cannot be published (or a shard cannot load): a shard is
    /// missing, stale (another matrix or other options) or inconsistent.
    #[error("sharded load of version {version} refused: {message}; the pointer was not moved")]
    Shards {
        /// The version.
        version: String,
        /// Which shard, and why.
        message: String,
    },
    /// The version already exists in Redis, loaded from a different matrix.
    #[error(
        "version {version} in redis was loaded from another matrix (fingerprint {found}, this matrix {expected}); choose another --version or pass --force to overwrite it"
    )]
    VersionConflict {
        /// The version.
        version: String,
        /// Fingerprint recorded in Redis.
        found: String,
        /// Fingerprint of the matrix given.
        expected: String,
    },
    /// Another load moved the pointer while this one ran; it was left alone.
    #[error(
        "{pointer_key} named {expected} when this load of version {version} started but names {found} now: another load finished meanwhile, so the pointer was left as it is (version {version} is loaded; rerun to make it current)"
    )]
    PointerMoved {
        /// The pointer key.
        pointer_key: String,
        /// The version this load wanted to publish.
        version: String,
        /// What the pointer named when the load started.
        expected: String,
        /// What it names now.
        found: String,
    },
    /// The version would not fit in the memory Redis has left.
    #[error(
        "version {version} does not fit in redis at {url}: it needs about {need_mib:.1} MiB ({detail}) but maxmemory - used_memory is {free_mib:.1} MiB (maxmemory {maxmemory} bytes, used_memory {used_memory} bytes); nothing was written. Raise maxmemory, wait for older versions to expire, or use --layout rows"
    )]
    WontFit {
        /// The master, password masked.
        url: String,
        /// The version.
        version: String,
        /// Estimated bytes the load adds to this master, in MiB.
        need_mib: f64,
        /// `maxmemory - used_memory` in MiB.
        free_mib: f64,
        /// The master's `maxmemory`.
        maxmemory: u64,
        /// The master's `used_memory`.
        used_memory: u64,
        /// How the estimate was made.
        detail: String,
    },
    /// The memory policy could evict the live version during a load.
    #[error(
        "redis at {url} has maxmemory-policy {policy}: a load that fills memory would evict keys of the live version (or the pointer itself). Set maxmemory-policy noeviction, or pass --allow-eviction to accept that risk"
    )]
    EvictionPolicy {
        /// The master, password masked.
        url: String,
        /// Its `maxmemory-policy`.
        policy: String,
    },
    /// The pointer key names no version (nothing loaded yet) or a version without manifest.
    #[error("redis at {url}: {message}")]
    NoVersion {
        /// The server, password masked.
        url: String,
        /// What is missing.
        message: String,
    },
}

impl Error {
    /// Whether the error lies in the input (matrix files, options) rather than in
    /// Redis: lets the binary tell "bad input" from "Redis failure" exit codes.
    #[must_use]
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            Self::Io { .. }
                | Self::Parquet { .. }
                | Self::ParquetPanic { .. }
                | Self::Schema { .. }
                | Self::Manifest { .. }
                | Self::InvalidOption { .. }
        )
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn input_errors_are_told_apart() {
        let manifest = super::Error::Manifest {
            path: "m/manifest.json".into(),
            message: "not found".into(),
        };
        assert!(manifest.is_bad_input());
        let verify = super::Error::Verify {
            version: "v".into(),
            message: "x".into(),
        };
        assert!(!verify.is_bad_input());
    }
}
