//! Local sources (plain paths and `file://` URLs): copy into place, checked against a
//! `<source>.md5` beside the source when there is one, skipped when the source's
//! size and modification time are those of the last copy.

use std::io::{Read, Write};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::UNIX_EPOCH;

use md5::{Digest, Md5};

use super::checksum::{hex, parse_md5};
use super::error::{Error, Result, io};
use super::sidecar::{Files, Sidecar, with_suffix};
use super::{Fetched, Options, Outcome};
use hexmatrix_contract::{Context, Counter, Unit};

/// Copies `src` to `output` unless it is unchanged or already there.
pub fn fetch(src: &Path, output: &Path, opts: &Options, ctx: &Context) -> Result<Fetched> {
    let meta = match std::fs::metadata(src) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::SourceMissing {
                path: src.to_owned(),
            });
        }
        Err(e) => return Err(io(src)(e)),
    };
    let size = meta.len();
    if is_same_file(src, output) {
        return Ok(Fetched {
            path: output.to_owned(),
            outcome: Outcome::InPlace,
            size,
            md5: None,
        });
    }
    let md5_path = with_suffix(src, ".md5");
    let expected = match std::fs::read_to_string(&md5_path) {
        Ok(text) => Some(parse_md5(&text, &md5_path.display().to_string())?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(io(&md5_path)(e)),
    };
    let version = Sidecar {
        source: src.display().to_string(),
        etag: None,
        last_modified: meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map(|d| format!("{}.{:09}", d.as_secs(), d.subsec_nanos())),
        size: Some(size),
        md5: expected.clone(),
    };
    let files = Files::new(output);
    if !opts.force
        && let Some(current) = files.current()
        && current.same_version(&version)
        && expected
            .as_ref()
            .is_none_or(|e| current.md5.as_ref() == Some(e))
    {
        return Ok(Fetched {
            path: output.to_owned(),
            outcome: Outcome::Unchanged,
            size,
            md5: current.md5,
        });
    }

    if size > opts.max_bytes {
        return Err(Error::TooLarge {
            url: src.display().to_string(),
            what: format!("is {size} bytes"),
            max: opts.max_bytes,
        });
    }
    let bytes = Arc::new(AtomicU64::new(0));
    let tracker = ctx.show(
        "fetch",
        Some(size),
        Counter::new(Unit::Bytes, Arc::clone(&bytes)),
        Vec::new(),
    );
    let actual = copy_hashing(src, &files.part, &bytes);
    tracker.finish();
    let actual = match actual {
        Ok(md5) => md5,
        Err(e) => {
            // A local copy starts over every time: a partial one is worth nothing.
            files.discard_part()?;
            return Err(e);
        }
    };
    if let Some(expected) = expected.filter(|e| *e != actual) {
        files.discard_part()?;
        return Err(Error::Md5Mismatch {
            source_name: src.display().to_string(),
            expected,
            actual,
            kept: kept_note(output),
        });
    }
    files.commit(&Sidecar {
        md5: Some(actual.clone()),
        ..version
    })?;
    Ok(Fetched {
        path: output.to_owned(),
        outcome: Outcome::Copied,
        size,
        md5: Some(actual),
    })
}

/// Copies `src` to `dst`, counting bytes into `bytes`; returns the md5.
fn copy_hashing(src: &Path, dst: &Path, bytes: &AtomicU64) -> Result<String> {
    let mut from = std::fs::File::open(src).map_err(io(src))?;
    let mut to = std::fs::File::create(dst).map_err(io(dst))?;
    let mut hasher = Md5::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = from.read(&mut buf).map_err(io(src))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        to.write_all(&buf[..n]).map_err(io(dst))?;
        bytes.fetch_add(n as u64, Ordering::Relaxed);
    }
    to.flush().map_err(io(dst))?;
    Ok(hex(&hasher.finalize()))
}

/// Whether both paths name one existing file.
fn is_same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// The end of a mismatch message: what became of the previous file.
pub fn kept_note(output: &Path) -> String {
    if output.exists() {
        format!("the previous {} is kept", output.display())
    } else {
        format!("{} was not written", output.display())
    }
}
