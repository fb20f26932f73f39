//! HTTP(S) sources: a conditional HEAD decides whether anything changed, the `.md5`
//! published beside the extract says what the bytes must hash to, and ranged GETs
//! fill `<output>.part`, resuming where a cut connection stopped.

use std::fs::OpenOptions;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use ureq::Agent;
use ureq::http::Response;

use super::checksum::{md5_file, parse_md5};
use super::error::{Error, Result, io};
use super::local::kept_note;
use super::sidecar::{Files, Sidecar};
use super::{Fetched, Options, Outcome, backoff};
use hexmatrix_contract::{Context, Counter, Unit};
use hexmatrix_warm::{redact_in, redact_url};

/// Largest `.md5` file we read: one line is ~70 bytes.
const MD5_FILE_LIMIT: u64 = 4096;

/// Downloads `url` into `output` unless the remote file is unchanged.
pub fn fetch(url: &str, output: &Path, opts: &Options, ctx: &Context) -> Result<Fetched> {
    let agent = agent_for(url, opts);
    let files = Files::new(output);
    let current = if opts.force {
        None
    } else {
        files.current().filter(|c| c.source == redact_url(url))
    };

    let remote = match probe(&agent, url, current.as_ref(), opts)? {
        Probe::NotModified(current) => return Ok(unchanged(output, current)),
        Probe::Version(remote) => remote,
    };
    if let Some(current) = current.as_ref().filter(|c| c.same_version(&remote)) {
        return Ok(unchanged(output, current.clone()));
    }
    if let Some(size) = remote.size.filter(|&s| s > opts.max_bytes) {
        return Err(Error::TooLarge {
            url: redact_url(url),
            what: format!("announces {size} bytes"),
            max: opts.max_bytes,
        });
    }
    let expected = published_md5(&agent, url, opts)?;
    if let Some(current) = current.filter(|c| c.md5.as_deref() == Some(expected.as_str())) {
        // New validators, same bytes (a re-upload): remember them, transfer nothing.
        let refreshed = Sidecar {
            md5: current.md5.clone(),
            size: current.size,
            ..remote
        };
        refreshed.write(&files.meta)?;
        return Ok(unchanged(output, refreshed));
    }

    let mut version = prepare_part(&files, &remote, &expected, opts.force)?;
    let resumed_from = part_len(&files.part)?;
    if resumed_from > 0 {
        tracing::info!(
            "[fetch] resuming {} at byte {resumed_from}",
            redact_url(url)
        );
    }
    let bytes = Arc::new(AtomicU64::new(resumed_from));
    let tracker = ctx.show(
        "fetch",
        version.size,
        Counter::new(Unit::Bytes, Arc::clone(&bytes)),
        Vec::new(),
    );
    let done = download(&agent, url, &files, &mut version, opts, &bytes);
    tracker.finish();
    done?;

    let actual = md5_file(&files.part)?;
    if actual != expected {
        files.discard_part()?;
        return Err(Error::Md5Mismatch {
            source_name: redact_url(url),
            expected,
            actual,
            kept: kept_note(output),
        });
    }
    let size = part_len(&files.part)?;
    files.commit(&Sidecar {
        size: Some(size),
        md5: Some(actual.clone()),
        ..version
    })?;
    Ok(Fetched {
        path: output.to_owned(),
        outcome: Outcome::Downloaded { resumed_from },
        size,
        md5: Some(actual),
    })
}

/// The HTTP client of one fetch. An https source never follows a redirect to plain
/// http: ureq checks the scheme of every hop against `https_only`.
fn agent_for(url: &str, opts: &Options) -> Agent {
    Agent::config_builder()
        .http_status_as_error(false)
        .https_only(
            url.get(..8)
                .is_some_and(|s| s.eq_ignore_ascii_case("https://")),
        )
        .timeout_connect(Some(opts.stall_timeout))
        .timeout_per_read(Some(opts.stall_timeout))
        .user_agent(concat!("hexmatrix/", env!("CARGO_PKG_VERSION")))
        .build()
        .into()
}

/// The refusal of a hop from https to plain http (see [`agent_for`]).
fn downgrade(url: &str, err: &ureq::Error) -> Option<Error> {
    match err {
        ureq::Error::RequireHttpsOnly(to) => Some(Error::InsecureRedirect {
            url: redact_url(url),
            to: redact_url(to),
        }),
        _ => None,
    }
}

fn unchanged(output: &Path, current: Sidecar) -> Fetched {
    Fetched {
        path: output.to_owned(),
        outcome: Outcome::Unchanged,
        size: current.size.unwrap_or(0),
        md5: current.md5,
    }
}

/// What a HEAD said about the remote file.
enum Probe {
    /// 304: our copy (this sidecar) is current.
    NotModified(Sidecar),
    /// The remote version (validators and size, each when the server sent it).
    Version(Sidecar),
}

/// HEAD `url`, conditional on the version we hold.
fn probe(agent: &Agent, url: &str, current: Option<&Sidecar>, opts: &Options) -> Result<Probe> {
    let resp = with_retries(url, opts, || {
        let mut req = agent.head(url);
        if let Some(c) = current {
            if let Some(etag) = &c.etag {
                req = req.header("If-None-Match", etag);
            }
            if let Some(lm) = &c.last_modified {
                req = req.header("If-Modified-Since", lm);
            }
        }
        req.call()
    })?;
    match (resp.status().as_u16(), current) {
        (304, Some(c)) => Ok(Probe::NotModified(c.clone())),
        (200..=299, _) => Ok(Probe::Version(version_of(url, &resp))),
        // A server without HEAD: learn the version from the GET instead.
        (405 | 501, _) => Ok(Probe::Version(Sidecar {
            source: redact_url(url),
            ..Sidecar::default()
        })),
        (404, _) => Err(Error::NotFound {
            url: redact_url(url),
        }),
        (status, _) => Err(Error::Status {
            url: redact_url(url),
            status,
        }),
    }
}

/// The md5 published at `URL.md5`.
fn published_md5(agent: &Agent, url: &str, opts: &Options) -> Result<String> {
    let md5_url = format!("{url}.md5");
    let resp = with_retries(&md5_url, opts, || agent.get(&md5_url).call())?;
    let status = resp.status().as_u16();
    if status != 200 {
        return Err(Error::Md5Missing {
            url: redact_url(&md5_url),
            status,
        });
    }
    let mut text = String::new();
    resp.into_body()
        .into_reader()
        .take(MD5_FILE_LIMIT)
        .read_to_string(&mut text)
        .map_err(|e| Error::GaveUp {
            url: redact_url(&md5_url),
            attempts: 1,
            received: text.len() as u64,
            last: redact_in(&e.to_string(), &md5_url),
        })?;
    parse_md5(&text, &redact_url(&md5_url))
}

/// Calls `call` until it returns a response that retrying would not change.
fn with_retries(
    url: &str,
    opts: &Options,
    mut call: impl FnMut() -> std::result::Result<Response<ureq::Body>, ureq::Error>,
) -> Result<Response<ureq::Body>> {
    let mut failures = 0;
    loop {
        let reason = match call() {
            Ok(resp) if !retryable(resp.status().as_u16()) => return Ok(resp),
            Ok(resp) => format!("HTTP {}", resp.status().as_u16()),
            Err(e) => match downgrade(url, &e) {
                Some(refused) => return Err(refused),
                None => describe(&e, url, opts),
            },
        };
        failures += 1;
        if failures > opts.retries {
            return Err(Error::GaveUp {
                url: redact_url(url),
                attempts: failures,
                received: 0,
                last: reason,
            });
        }
        let wait = backoff(opts.backoff, failures);
        tracing::warn!(
            "[fetch] {}: {reason}; retry {failures} in {wait:?}",
            redact_url(url)
        );
        std::thread::sleep(wait);
    }
}

/// Statuses worth another try: timeouts, rate limits and server errors.
fn retryable(status: u16) -> bool {
    matches!(status, 408 | 429 | 500..=599)
}

/// A transport error in words, with the stall timeout spelled out and the secrets
/// of `url` masked (a library message may quote the URL).
fn describe(err: &ureq::Error, url: &str, opts: &Options) -> String {
    match err {
        ureq::Error::Timeout(_) => stalled(opts),
        ureq::Error::Io(e) if e.kind() == std::io::ErrorKind::TimedOut => stalled(opts),
        other => redact_in(&other.to_string(), url),
    }
}

/// Whether a body read failed on the stall timeout (ureq wraps its own error).
fn is_timeout(err: &std::io::Error) -> bool {
    err.kind() == std::io::ErrorKind::TimedOut
        || err
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<ureq::Error>())
            .is_some_and(|e| matches!(e, ureq::Error::Timeout(_)))
}

fn stalled(opts: &Options) -> String {
    format!(
        "timed out: no data for {} s (raise --timeout for a slow server)",
        opts.stall_timeout.as_secs_f64()
    )
}

/// The version a response describes.
fn version_of(url: &str, resp: &Response<ureq::Body>) -> Sidecar {
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    Sidecar {
        source: redact_url(url),
        etag: header("etag"),
        last_modified: header("last-modified"),
        size: header("content-length").and_then(|v| v.parse().ok()),
        md5: None,
    }
}

fn part_len(path: &Path) -> Result<u64> {
    match std::fs::metadata(path) {
        Ok(m) => Ok(m.len()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
        Err(e) => Err(io(path)(e)),
    }
}

/// Keeps a partial download only if it belongs to the version about to be fetched
/// (same source and published md5, and same validators when the server sent some);
/// records that version beside it. Returns the version to download.
fn prepare_part(files: &Files, remote: &Sidecar, expected: &str, force: bool) -> Result<Sidecar> {
    let previous = Sidecar::read(&files.part_meta);
    let remote_known = remote.etag.is_some() || remote.last_modified.is_some();
    let keep = !force
        && files.part.exists()
        && previous.as_ref().is_some_and(|p| {
            p.source == remote.source
                && p.md5.as_deref() == Some(expected)
                && (!remote_known || p.same_version(remote))
        });
    if !keep {
        files.discard_part()?;
    }
    let version = match previous.filter(|_| keep && !remote_known) {
        Some(p) => p,
        None => Sidecar {
            md5: Some(expected.to_owned()),
            ..remote.clone()
        },
    };
    version.write(&files.part_meta)?;
    Ok(version)
}

/// Fills the partial download, retrying with backoff; only attempts that add no
/// byte count towards the retry limit, so a flaky but moving transfer finishes.
fn download(
    agent: &Agent,
    url: &str,
    files: &Files,
    version: &mut Sidecar,
    opts: &Options,
    bytes: &AtomicU64,
) -> Result<()> {
    let mut failures = 0;
    loop {
        let offset = part_len(&files.part)?;
        if version.size.is_some_and(|total| offset > total) {
            truncate(&files.part)?;
            continue;
        }
        bytes.store(offset, Ordering::Relaxed);
        let Some(reason) = attempt(agent, url, files, offset, version, opts, bytes)? else {
            return Ok(());
        };
        let now = part_len(&files.part)?;
        if now > offset {
            failures = 0;
        }
        failures += 1;
        if failures > opts.retries {
            return Err(Error::GaveUp {
                url: redact_url(url),
                attempts: failures,
                received: now,
                last: reason,
            });
        }
        let wait = backoff(opts.backoff, failures);
        tracing::warn!("[fetch] {reason}; resuming at byte {now} in {wait:?}");
        std::thread::sleep(wait);
    }
}

/// One GET from `offset`; `Ok(None)` when the part is complete, `Ok(Some(reason))`
/// when it is worth another try.
fn attempt(
    agent: &Agent,
    url: &str,
    files: &Files,
    offset: u64,
    version: &mut Sidecar,
    opts: &Options,
    bytes: &AtomicU64,
) -> Result<Option<String>> {
    let mut req = agent.get(url);
    if offset > 0 {
        req = req.header("Range", format!("bytes={offset}-"));
        // If-Range: a changed file comes back whole (200) instead of a spliced tail.
        if let Some(validator) = version.etag.as_ref().or(version.last_modified.as_ref()) {
            req = req.header("If-Range", validator);
        }
    }
    let resp = match req.call() {
        Ok(resp) => resp,
        Err(e) => match downgrade(url, &e) {
            Some(refused) => return Err(refused),
            None => return Ok(Some(describe(&e, url, opts))),
        },
    };
    // A range is worth keeping only if the server takes ranges: then a failed
    // write leaves a partial download that the next run resumes.
    let resumable = resp.status().as_u16() == 206
        || resp
            .headers()
            .get("accept-ranges")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("bytes"));
    let append = match start(&resp, url, files, offset, version)? {
        Start::Write { append } => append,
        Start::Retry(reason) => return Ok(Some(reason)),
    };
    if let Some(total) = version.size.filter(|&t| t > opts.max_bytes) {
        files.discard_part()?;
        return Err(Error::TooLarge {
            url: redact_url(url),
            what: format!("announces {total} bytes"),
            max: opts.max_bytes,
        });
    }
    let file = OpenOptions::new()
        .create(true)
        .write(true)
        .append(append)
        .truncate(!append)
        .open(&files.part)
        .map_err(io(&files.part))?;
    let pos = if append { offset } else { 0 };
    let pos = match copy_body(resp, file, pos, url, files, version, opts, bytes, resumable)? {
        Ok(pos) => pos,
        Err(reason) => return Ok(Some(reason)),
    };
    match version.size {
        Some(total) if pos < total => {
            Ok(Some(format!("connection closed at byte {pos} of {total}")))
        }
        _ => Ok(None),
    }
}

/// How a response starts the transfer: appending to the part (a 206 at `offset`),
/// writing it anew (a 200), or not at all (worth another try).
enum Start {
    Write { append: bool },
    Retry(String),
}

/// Reads the status of `resp` to a request from `offset`, taking the file's
/// version (`ETag`, `Last-Modified`, size) from its headers.
fn start(
    resp: &Response<ureq::Body>,
    url: &str,
    files: &Files,
    offset: u64,
    version: &mut Sidecar,
) -> Result<Start> {
    let append = match resp.status().as_u16() {
        200 => {
            if offset > 0 {
                tracing::info!(
                    "[fetch] {} sent the whole file; starting over",
                    redact_url(url)
                );
            }
            let fresh = version_of(url, resp);
            version.etag = fresh.etag.or(version.etag.take());
            version.last_modified = fresh.last_modified.or(version.last_modified.take());
            version.size = fresh.size.or(version.size);
            false
        }
        206 => {
            let range = resp
                .headers()
                .get("content-range")
                .and_then(|v| v.to_str().ok())
                .and_then(parse_content_range);
            match range {
                Some((start, total)) if start == offset => {
                    version.size = total.or(version.size);
                    true
                }
                _ => {
                    return Err(Error::BadResponse {
                        url: redact_url(url),
                        message: format!(
                            "asked for bytes from {offset}, got Content-Range {range:?}"
                        ),
                    });
                }
            }
        }
        416 => {
            truncate(&files.part)?;
            return Ok(Start::Retry(format!(
                "range from byte {offset} refused (HTTP 416)"
            )));
        }
        404 => {
            return Err(Error::NotFound {
                url: redact_url(url),
            });
        }
        s if retryable(s) => return Ok(Start::Retry(format!("HTTP {s}"))),
        s => {
            return Err(Error::Status {
                url: redact_url(url),
                status: s,
            });
        }
    };
    Ok(Start::Write { append })
}

/// Copies the body of `resp` into the part `file` from byte `pos`, within the
/// limits; the position reached, or why the transfer was cut (worth another try).
#[expect(
    clippy::too_many_arguments,
    reason = "one transfer's state, threaded through from `attempt`"
)]
fn copy_body(
    resp: Response<ureq::Body>,
    mut file: std::fs::File,
    mut pos: u64,
    url: &str,
    files: &Files,
    version: &Sidecar,
    opts: &Options,
    bytes: &AtomicU64,
    resumable: bool,
) -> Result<std::result::Result<u64, String>> {
    bytes.store(pos, Ordering::Relaxed);
    let mut body = resp.into_body().into_reader();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match body.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                let why = if is_timeout(&e) {
                    stalled(opts)
                } else {
                    redact_in(&e.to_string(), url)
                };
                return Ok(Err(format!("transfer cut at byte {pos}: {why}")));
            }
        };
        let end = pos + n as u64;
        // Checked before writing: an endless or lying body never reaches the disk.
        if end > opts.max_bytes {
            drop(file);
            files.discard_part()?;
            return Err(Error::TooLarge {
                url: redact_url(url),
                what: format!("sent more than {} bytes", opts.max_bytes),
                max: opts.max_bytes,
            });
        }
        if let Some(total) = version.size.filter(|&t| end > t) {
            drop(file);
            files.discard_part()?;
            return Err(Error::BadResponse {
                url: redact_url(url),
                message: format!(
                    "sent more than the announced {total} bytes; removed the partial download"
                ),
            });
        }
        if let Err(source) = file.write_all(&buf[..n]) {
            return Err(write_failed(files, file, pos, resumable, source));
        }
        pos = end;
        bytes.store(pos, Ordering::Relaxed);
    }
    Ok(Ok(pos))
}

/// The error of a failed write to the partial download. When the server takes
/// ranges the part is cut back to the `written` bytes counted so far (a failed
/// write may leave a piece of a buffer) and kept for the next run to resume;
/// otherwise it is removed. Either way nothing unverified is ever renamed into place:
/// a resumed part is checked with the rest against the published md5.
fn write_failed(
    files: &Files,
    file: std::fs::File,
    written: u64,
    resumable: bool,
    source: std::io::Error,
) -> Error {
    let trimmed = resumable && file.set_len(written).and_then(|()| file.sync_all()).is_ok();
    drop(file);
    let kept = if trimmed {
        format!(
            "the partial download keeps its first {written} bytes and the next fetch \
             resumes there (free some space first)"
        )
    } else {
        match files.discard_part() {
            Ok(()) => "the partial download was removed (the server does not resume)".to_owned(),
            Err(e) => format!("the partial download could not be removed either: {e}"),
        }
    };
    Error::Write {
        path: files.part.clone(),
        source,
        kept,
    }
}

fn truncate(path: &Path) -> Result<()> {
    std::fs::File::create(path).map(drop).map_err(io(path))
}

/// `bytes START-END/TOTAL` (TOTAL may be `*`) -> (START, TOTAL).
fn parse_content_range(value: &str) -> Option<(u64, Option<u64>)> {
    let rest = value.trim().strip_prefix("bytes")?.trim_start();
    let (range, total) = rest.split_once('/')?;
    let (start, _end) = range.split_once('-')?;
    let total = match total.trim() {
        "*" => None,
        t => Some(t.parse().ok()?),
    };
    Some((start.trim().parse().ok()?, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_range_is_parsed() {
        assert_eq!(
            parse_content_range("bytes 100-199/200"),
            Some((100, Some(200)))
        );
        assert_eq!(parse_content_range("bytes 0-9/*"), Some((0, None)));
        assert_eq!(parse_content_range("bytes */200"), None);
        assert_eq!(parse_content_range("items 0-9/10"), None);
    }

    /// Issue 11: an https download followed a redirect to plain http. ureq checks
    /// every hop against `https_only`, so a plain-http request from an https
    /// source's agent stands for any hop of a redirect chain.
    #[test]
    fn issue_11_an_https_source_never_continues_over_http() {
        let opts = Options {
            retries: 3,
            backoff: std::time::Duration::from_millis(1),
            ..Options::default()
        };
        let agent = agent_for("https://u:pw@download.example/x.osm.pbf", &opts);
        let hop = "http://127.0.0.1:9/x.osm.pbf";
        let err = with_retries("https://u:pw@download.example/x.osm.pbf", &opts, || {
            agent.get(hop).call()
        })
        .unwrap_err();
        assert!(
            matches!(&err, Error::InsecureRedirect { to, .. } if to.contains("127.0.0.1:9")),
            "{err}"
        );
        let text = err.to_string();
        assert!(text.contains("https://u:***@download.example"), "{text}");
        assert!(text.contains("never continued over plain http"), "{text}");
        // An http source may still be redirected anywhere over http.
        let plain = agent_for("http://download.example/x.osm.pbf", &opts);
        let err = plain.get(hop).call().unwrap_err();
        assert!(!matches!(err, ureq::Error::RequireHttpsOnly(_)), "{err}");
    }

    #[test]
    fn only_transient_statuses_are_retried() {
        for s in [408, 429, 500, 502, 503] {
            assert!(retryable(s), "{s}");
        }
        for s in [200, 206, 304, 400, 403, 404, 416] {
            assert!(!retryable(s), "{s}");
        }
    }
}
