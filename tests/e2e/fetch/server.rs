//! A small HTTP/1.1 file server on a loopback port for the `fetch` tests: Range,
//! If-Range, ETag/If-None-Match, HEAD and 404, plus faults on demand (cut a body,
//! stall mid-body, send slowly), plain files (no validators, no ranges) and endless
//! bodies. It logs every request it answers.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers: any failure should fail the test"
)]

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// One answered request.
#[derive(Debug, Clone)]
pub struct Logged {
    pub method: String,
    pub path: String,
    pub range: Option<String>,
    pub if_range: Option<String>,
    pub if_none_match: Option<String>,
    pub status: u16,
}

/// A fault for the next body response of a path (GET with 200 or 206).
#[derive(Debug, Clone, Copy)]
pub enum Fault {
    /// Send this many body bytes, then close the connection.
    Cut { after: usize },
    /// Send this many body bytes, go silent for a while, then close.
    Stall { after: usize, silence: Duration },
    /// Send the body in chunks with a pause after each.
    Slow { chunk: usize, pause: Duration },
}

/// How a path is served, beyond the default (validators, ranges, Content-Length).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// No `ETag`, no `Last-Modified`, no `Accept-Ranges`; `Range` is ignored (always 200).
    Plain,
    /// No Content-Length: the body repeats until the client hangs up.
    Endless,
}

#[derive(Default)]
struct State {
    files: HashMap<String, (Vec<u8>, String)>,
    modes: HashMap<String, Mode>,
    faults: Vec<(String, Fault)>,
    log: Vec<Logged>,
}

/// The running server; it lives until the test process exits.
pub struct Server {
    port: u16,
    state: Arc<Mutex<State>>,
}

impl Server {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State::default()));
        let shared = Arc::clone(&state);
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = Arc::clone(&shared);
                thread::spawn(move || {
                    let _ = handle(stream, &state);
                });
            }
        });
        Self { port, state }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Serves `body` at `path` with entity tag `etag`.
    pub fn put(&self, path: &str, body: &[u8], etag: &str) {
        let mut s = self.state.lock().unwrap();
        s.files
            .insert(path.into(), (body.to_vec(), format!("\"{etag}\"")));
    }

    /// Serves `body` at `path` and an md5sum line (with hash `md5`) at `path.md5`.
    pub fn put_with_md5(&self, path: &str, body: &[u8], etag: &str, md5: &str) {
        self.put(path, body, etag);
        let name = path.rsplit('/').next().unwrap();
        let line = format!("{md5}  {name}\n");
        self.put(
            &format!("{path}.md5"),
            line.as_bytes(),
            &format!("{etag}-md5"),
        );
    }

    /// Serves `body` at `path` like a plain server: no validators, no ranges.
    pub fn put_plain(&self, path: &str, body: &[u8]) {
        self.put(path, body, "unused");
        self.state
            .lock()
            .unwrap()
            .modes
            .insert(path.into(), Mode::Plain);
    }

    /// Serves `path` without a Content-Length, repeating `body` for as long as the
    /// client reads (HEAD says nothing of a size either).
    pub fn put_endless(&self, path: &str, body: &[u8]) {
        self.put(path, body, "endless");
        self.state
            .lock()
            .unwrap()
            .modes
            .insert(path.into(), Mode::Endless);
    }

    /// Applies `fault` to the next body response of `path` (faults queue up in order).
    pub fn fault_next(&self, path: &str, fault: Fault) {
        self.state.lock().unwrap().faults.push((path.into(), fault));
    }

    pub fn log(&self) -> Vec<Logged> {
        self.state.lock().unwrap().log.clone()
    }

    /// Responses that carried (some of) the body of `path`.
    pub fn body_responses(&self, path: &str) -> Vec<Logged> {
        self.log()
            .into_iter()
            .filter(|l| l.method == "GET" && l.path == path && matches!(l.status, 200 | 206))
            .collect()
    }
}

#[expect(
    clippy::too_many_lines,
    reason = "one request from start to end: parse, the scenario's faults in order, the reply"
)]
fn handle(stream: TcpStream, state: &Mutex<State>) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_owned();
    let path = parts.next().unwrap_or("").to_owned();
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
        }
    }
    let mut logged = Logged {
        method: method.clone(),
        path: path.clone(),
        range: headers.get("range").cloned(),
        if_range: headers.get("if-range").cloned(),
        if_none_match: headers.get("if-none-match").cloned(),
        status: 0,
    };
    let file = state.lock().unwrap().files.get(&path).cloned();
    let mode = state.lock().unwrap().modes.get(&path).copied();
    let Some((body, etag)) = file else {
        logged.status = 404;
        state.lock().unwrap().log.push(logged);
        return respond(stream, "404 Not Found", &[], b"not found\n", &method, None);
    };
    if logged.if_none_match.as_deref() == Some(etag.as_str()) {
        logged.status = 304;
        state.lock().unwrap().log.push(logged);
        return respond(
            stream,
            "304 Not Modified",
            &[("ETag", &etag)],
            b"",
            &method,
            None,
        );
    }
    if mode == Some(Mode::Endless) {
        logged.status = 200;
        state.lock().unwrap().log.push(logged);
        return endless(stream, &body, &method);
    }
    let range_start = logged
        .range
        .as_deref()
        .filter(|_| mode != Some(Mode::Plain))
        .filter(|_| logged.if_range.as_deref().is_none_or(|v| v == etag))
        .and_then(|r| r.strip_prefix("bytes="))
        .and_then(|r| r.strip_suffix('-'))
        .and_then(|n| n.parse::<usize>().ok());
    let len = body.len();
    let (status, slice, content_range) = match range_start {
        Some(start) if start >= len => {
            logged.status = 416;
            state.lock().unwrap().log.push(logged);
            let cr = format!("bytes */{len}");
            return respond(
                stream,
                "416 Range Not Satisfiable",
                &[("Content-Range", &cr)],
                b"",
                &method,
                None,
            );
        }
        Some(start) => (
            206,
            &body[start..],
            Some(format!("bytes {start}-{}/{len}", len - 1)),
        ),
        None => (200, &body[..], None),
    };
    logged.status = status;
    let fault = if method == "GET" {
        let mut s = state.lock().unwrap();
        let next = s.faults.iter().position(|(p, _)| *p == path);
        next.map(|i| s.faults.remove(i).1)
    } else {
        None
    };
    state.lock().unwrap().log.push(logged);
    let mut extra = vec![
        ("ETag", etag.as_str()),
        ("Last-Modified", "Wed, 25 Nov 2026 21:20:00 GMT"),
        ("Accept-Ranges", "bytes"),
    ];
    if mode == Some(Mode::Plain) {
        extra.clear();
    }
    if let Some(cr) = &content_range {
        extra.push(("Content-Range", cr));
    }
    let status_line = if status == 206 {
        "206 Partial Content"
    } else {
        "200 OK"
    };
    respond(stream, status_line, &extra, slice, &method, fault)
}

/// A 200 without Content-Length whose body never ends (until a write fails).
fn endless(mut stream: TcpStream, body: &[u8], method: &str) -> std::io::Result<()> {
    stream.write_all(b"HTTP/1.1 200 OK\r\nConnection: close\r\nETag: \"endless\"\r\n\r\n")?;
    if method != "HEAD" {
        loop {
            stream.write_all(body)?;
        }
    }
    stream.flush()?;
    stream.shutdown(Shutdown::Both)
}

fn respond(
    mut stream: TcpStream,
    status: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    method: &str,
    fault: Option<Fault>,
) -> std::io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        write!(head, "{k}: {v}\r\n").unwrap();
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    if method != "HEAD" {
        match fault {
            None => stream.write_all(body)?,
            Some(Fault::Cut { after }) => {
                stream.write_all(&body[..after.min(body.len())])?;
            }
            Some(Fault::Stall { after, silence }) => {
                stream.write_all(&body[..after.min(body.len())])?;
                stream.flush()?;
                thread::sleep(silence);
            }
            Some(Fault::Slow { chunk, pause }) => {
                for piece in body.chunks(chunk) {
                    stream.write_all(piece)?;
                    stream.flush()?;
                    thread::sleep(pause);
                }
            }
        }
    }
    stream.flush()?;
    stream.shutdown(Shutdown::Both)
}
