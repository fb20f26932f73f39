//! Transfers between local files and an object-store prefix, with the `object_store`
//! crate (feature `object-store`). Uploads stream a finished local file through a
//! multipart upload: memory stays at a few parts, and the object appears only when
//! the upload completes (an interrupted one stays invisible and is aborted, or
//! expires under the bucket's lifecycle rule when the process was killed).

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures_util::StreamExt as _;
use object_store::path::Path as Key;
use object_store::{ObjectStore, ObjectStoreExt as _, PutPayload, WriteMultipart};

use crate::error::{Cause, Error, Result};
use crate::location::{ObjectUrl, Scheme};
use crate::{Transfer, TransferOptions};

/// A key prefix in a bucket, used as a directory: its objects keep the names the
/// files have in a local directory (`manifest.json`, `matrix/part-00000.parquet`).
pub struct RemoteDir {
    url: ObjectUrl,
    store: Arc<dyn ObjectStore>,
    runtime: tokio::runtime::Runtime,
    options: TransferOptions,
    /// Appended to request errors: which credentials the environment lacks.
    hint: String,
}

/// The environment variables through which `object_store`'s S3 client finds
/// credentials without instance metadata.
const AWS_CREDENTIAL_VARS: &[&str] = &[
    "AWS_ACCESS_KEY_ID",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
];

/// A hint for request errors when no credential of `scheme` is set in the
/// environment (the client then asks the cloud's metadata service, which only a
/// cloud machine answers).
fn credentials_hint(scheme: Scheme) -> String {
    let set = |names: &[&str]| {
        names
            .iter()
            .any(|n| std::env::var_os(n).is_some_and(|v| !v.is_empty()))
    };
    let missing = match scheme {
        Scheme::S3 => !set(AWS_CREDENTIAL_VARS),
        Scheme::Gcs => !set(&[
            "GOOGLE_SERVICE_ACCOUNT",
            "GOOGLE_SERVICE_ACCOUNT_PATH",
            "GOOGLE_SERVICE_ACCOUNT_KEY",
            "GOOGLE_APPLICATION_CREDENTIALS",
        ]),
        Scheme::Azure => !set(&[
            "AZURE_STORAGE_ACCOUNT_KEY",
            "AZURE_STORAGE_ACCESS_KEY",
            "AZURE_CLIENT_SECRET",
            "AZURE_FEDERATED_TOKEN_FILE",
            "AZURE_STORAGE_SAS_KEY",
            "AZURE_STORAGE_TOKEN",
        ]),
    };
    if !missing {
        return String::new();
    }
    let vars = match scheme {
        Scheme::S3 => {
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or a web identity or container role)"
        }
        Scheme::Gcs => "GOOGLE_APPLICATION_CREDENTIALS or GOOGLE_SERVICE_ACCOUNT",
        Scheme::Azure => {
            "AZURE_STORAGE_ACCOUNT_NAME with AZURE_STORAGE_ACCOUNT_KEY (or a client secret or federated token)"
        }
    };
    format!(
        " (no credentials in the environment: set {vars}; without them only a cloud machine's metadata service can answer)"
    )
}

impl std::fmt::Debug for RemoteDir {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteDir")
            .field("url", &self.url.to_string())
            .finish_non_exhaustive()
    }
}

fn cause(e: impl std::error::Error + Send + Sync + 'static) -> Cause {
    Box::new(e)
}

impl RemoteDir {
    /// A client for `url`, configured from the standard environment variables of its
    /// store (`AWS_*`, `GOOGLE_*`, `AZURE_*`; for S3-compatible servers
    /// `AWS_ENDPOINT_URL` and `AWS_ALLOW_HTTP=true`). Nothing is sent yet.
    ///
    /// # Errors
    /// [`Error::Configure`] when the environment's settings are invalid.
    pub fn open(url: &ObjectUrl, options: TransferOptions) -> Result<Self> {
        let configure = |source: Cause| Error::Configure {
            url: url.to_string(),
            source,
        };
        let bucket = url.bucket_url();
        let store: Arc<dyn ObjectStore> = match url.scheme() {
            Scheme::S3 => Arc::new(
                object_store::aws::AmazonS3Builder::from_env()
                    .with_url(bucket)
                    .build()
                    .map_err(|e| configure(cause(e)))?,
            ),
            Scheme::Gcs => Arc::new(
                object_store::gcp::GoogleCloudStorageBuilder::from_env()
                    .with_url(bucket)
                    .build()
                    .map_err(|e| configure(cause(e)))?,
            ),
            Scheme::Azure => Arc::new(
                object_store::azure::MicrosoftAzureBuilder::from_env()
                    .with_url(bucket)
                    .build()
                    .map_err(|e| configure(cause(e)))?,
            ),
        };
        // One thread: transfers overlap through the parts in flight, not through threads.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| configure(cause(e)))?;
        Ok(Self {
            url: url.clone(),
            store,
            runtime,
            options,
            hint: credentials_hint(url.scheme()),
        })
    }

    /// The prefix URL.
    #[must_use]
    pub fn url(&self) -> &ObjectUrl {
        &self.url
    }

    fn key(&self, name: &str) -> Result<Key> {
        let url = self.url.join(name);
        Key::parse(url.prefix()).map_err(|_| Error::InvalidUrl {
            url: url.to_string(),
            reason: "not a valid object key",
        })
    }

    fn request(&self, action: &str, name: &str, source: object_store::Error) -> Error {
        Error::Request {
            action: action.to_owned(),
            url: self.url.join(name).to_string(),
            source: cause(source),
            hint: self.hint.clone(),
        }
    }

    /// Every object under the prefix: its name relative to the prefix and its size,
    /// sorted by name.
    ///
    /// # Errors
    /// [`Error::Request`] (a missing bucket, refused credentials, no connection).
    pub fn list(&self) -> Result<Vec<(String, u64)>> {
        let prefix = self.key("")?;
        let strip = if prefix.as_ref().is_empty() {
            String::new()
        } else {
            format!("{}/", prefix.as_ref())
        };
        let listed: Vec<_> = self.runtime.block_on(async {
            let mut stream = self.store.list(Some(&prefix));
            let mut out = Vec::new();
            while let Some(meta) = stream.next().await {
                out.push(meta);
            }
            out
        });
        let mut names = Vec::with_capacity(listed.len());
        for meta in listed {
            let meta = meta.map_err(|e| self.request("listing", "", e))?;
            let key = meta.location.as_ref();
            let name = key.strip_prefix(strip.as_str()).unwrap_or(key);
            names.push((name.to_owned(), meta.size));
        }
        names.sort();
        Ok(names)
    }

    /// Uploads the local file `local` as `name` under the prefix (`""`: the URL itself
    /// names the object). Files up to one part go up in one PUT; bigger ones stream
    /// through a multipart upload with at most `parts_in_flight` parts in memory. In
    /// both cases the object becomes visible, whole, only at the end. Returns the bytes sent.
    ///
    /// # Errors
    /// [`Error::Io`] reading the file, [`Error::Request`] from the store (the multipart
    /// upload is then aborted).
    pub fn upload_file(&self, local: &Path, name: &str) -> Result<u64> {
        let key = self.key(name)?;
        let mut file = std::fs::File::open(local).map_err(|e| Error::io(local, e))?;
        let len = file.metadata().map_err(|e| Error::io(local, e))?.len();
        let part = self.options.part_bytes.max(1);
        let action = format!("uploading {} to", local.display());
        if len <= part as u64 {
            let mut bytes = Vec::with_capacity(len as usize);
            file.read_to_end(&mut bytes)
                .map_err(|e| Error::io(local, e))?;
            self.runtime
                .block_on(self.store.put(&key, PutPayload::from(bytes)))
                .map_err(|e| self.request(&action, name, e))?;
            return Ok(len);
        }
        self.runtime.block_on(async {
            let upload = self
                .store
                .put_multipart(&key)
                .await
                .map_err(|e| self.request(&action, name, e))?;
            let mut writer = WriteMultipart::new_with_chunk_size(upload, part);
            let mut buffer = vec![0_u8; part.min(1 << 20)];
            loop {
                if let Err(e) = writer
                    .wait_for_capacity(self.options.parts_in_flight.max(1))
                    .await
                {
                    let _ = writer.abort().await;
                    return Err(self.request(&action, name, e));
                }
                let n = match file.read(&mut buffer) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(e) => {
                        let _ = writer.abort().await;
                        return Err(Error::io(local, e));
                    }
                };
                writer.write(&buffer[..n]);
            }
            // On failure finish() aborts the upload itself: nothing partial is left.
            writer
                .finish()
                .await
                .map_err(|e| self.request(&action, name, e))?;
            Ok(len)
        })
    }

    /// Stores `bytes` as `name` under the prefix in one PUT (small records such as a
    /// `current` pointer).
    ///
    /// # Errors
    /// [`Error::Request`].
    pub fn put_bytes(&self, name: &str, bytes: Vec<u8>) -> Result<()> {
        let key = self.key(name)?;
        self.runtime
            .block_on(self.store.put(&key, PutPayload::from(bytes)))
            .map_err(|e| self.request("writing", name, e))?;
        Ok(())
    }

    /// Deletes the object `name` under the prefix (a missing object is not an error).
    ///
    /// # Errors
    /// [`Error::Request`].
    pub fn delete(&self, name: &str) -> Result<()> {
        let key = self.key(name)?;
        match self.runtime.block_on(self.store.delete(&key)) {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.request("deleting", name, e)),
        }
    }

    /// Downloads `name` under the prefix (`""`: the URL itself) into the local file
    /// `local`, streaming: written beside it as `.part` and renamed when complete.
    /// Returns the bytes received.
    ///
    /// # Errors
    /// [`Error::Missing`] when no object has that name, [`Error::Request`] for other
    /// failures, [`Error::Io`] writing.
    pub fn download_file(&self, name: &str, local: &Path) -> Result<u64> {
        let key = self.key(name)?;
        if let Some(parent) = local.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        let mut partial = local.as_os_str().to_owned();
        partial.push(".part");
        let partial = PathBuf::from(partial);
        let received = self.runtime.block_on(async {
            let got = self.store.get(&key).await.map_err(|e| match e {
                object_store::Error::NotFound { .. } => Error::Missing {
                    url: self.url.join(name).to_string(),
                },
                e => self.request("downloading", name, e),
            })?;
            let mut out = std::fs::File::create(&partial).map_err(|e| Error::io(&partial, e))?;
            let mut stream = got.into_stream();
            let mut received = 0_u64;
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(|e| self.request("downloading", name, e))?;
                out.write_all(&chunk).map_err(|e| Error::io(&partial, e))?;
                received += chunk.len() as u64;
            }
            out.sync_all().map_err(|e| Error::io(&partial, e))?;
            Ok(received)
        });
        let received = match received {
            Ok(n) => n,
            Err(e) => {
                let _ = std::fs::remove_file(&partial);
                return Err(e);
            }
        };
        std::fs::rename(&partial, local).map_err(|e| Error::io(local, e))?;
        Ok(received)
    }

    /// Uploads every file under the local directory `local`, keeping relative names.
    /// Files named in `last` (a name, or a directory prefix ending in `/`) go after all
    /// others, in the order of `last`: a reader that finds the manifest finds the
    /// files it lists. With `remove_after`, each file is deleted once uploaded, so the
    /// local copy shrinks as the upload proceeds.
    ///
    /// # Errors
    /// As [`Self::upload_file`]; [`Error::Io`] listing the directory.
    pub fn upload_dir(&self, local: &Path, last: &[&str], remove_after: bool) -> Result<Transfer> {
        let mut files = Vec::new();
        walk(local, "", &mut files)?;
        files.sort();
        let rank = |name: &str| {
            last.iter()
                .position(|l| name == *l || (l.ends_with('/') && name.starts_with(l)))
                .map_or(0, |i| i + 1)
        };
        files.sort_by_key(|name| rank(name));
        let mut done = Transfer::default();
        for name in &files {
            let path = local.join(name);
            done.bytes += self.upload_file(&path, name)?;
            done.files += 1;
            if remove_after {
                std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
            }
        }
        Ok(done)
    }

    /// Downloads every object under the prefix into the local directory `local`.
    ///
    /// # Errors
    /// [`Error::Empty`] when nothing is there; as [`Self::list`] and [`Self::download_file`].
    pub fn download_dir(&self, local: &Path) -> Result<Transfer> {
        let names = self.list()?;
        if names.is_empty() {
            return Err(Error::Empty {
                url: self.url.to_string(),
            });
        }
        let mut done = Transfer::default();
        for (name, _) in &names {
            done.bytes += self.download_file(name, &local.join(name))?;
            done.files += 1;
        }
        Ok(done)
    }
}

/// The files under `dir` (recursively), as `/`-separated names relative to the root.
fn walk(dir: &Path, relative: &str, out: &mut Vec<String>) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let rel = if relative.is_empty() {
            name
        } else {
            format!("{relative}/{name}")
        };
        let kind = entry.file_type().map_err(|e| Error::io(entry.path(), e))?;
        if kind.is_dir() {
            walk(&entry.path(), &rel, out)?;
        } else {
            out.push(rel);
        }
    }
    Ok(())
}
