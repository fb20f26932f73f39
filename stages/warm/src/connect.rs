//! Connections: one Redis server or a Redis Cluster, from URLs that may carry an
//! ACL user and password (`redis://user:pass@host:port/db`). Errors name the
//! server with the password masked and tell a refused password from a server
//! that cannot be reached.
//!
//! TLS: a `rediss://` URL connects with rustls on its ring provider and checks the
//! server's certificate against the system roots (`SSL_CERT_FILE` replaces them),
//! or against the CA certificates of a PEM file named by [`CA_PARAM`] in the URL
//! (`rediss://host:6380/0?ssl_ca_certs=/etc/redis/ca.pem`, as redis-py reads it).

use std::path::PathBuf;
use std::sync::Once;
use std::time::Duration;

use redis::cluster::{ClusterClient, ClusterConnection};
use redis::{
    Client, Cmd, ConnectionAddr, ConnectionInfo, ConnectionLike, ErrorKind, IntoConnectionInfo,
    TlsCertificates, Value,
};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use crate::error::{Error, Result};
use crate::redact::{redact_in, redact_url};

/// The URL query parameter naming a PEM file of CA certificates that a `rediss://`
/// server's certificate must chain to, instead of the system roots (redis-py's name,
/// so one URL serves both this stage and a Python gateway).
pub const CA_PARAM: &str = "ssl_ca_certs";

/// How long to wait for a connection or a reply before giving up.
const TIMEOUT: Duration = Duration::from_secs(60);

/// Where the cache lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// One server (or a proxy in front of several).
    Single(String),
    /// Seed nodes of a Redis Cluster.
    Cluster(Vec<String>),
}

impl Target {
    /// Parses `--cluster` style comma-separated URLs.
    pub fn cluster_from_list(list: &str) -> Self {
        Self::Cluster(
            list.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        )
    }

    /// The URL(s) with passwords masked.
    #[must_use]
    pub fn display(&self) -> String {
        match self {
            Self::Single(url) => redact_url(url),
            Self::Cluster(urls) => urls
                .iter()
                .map(|u| redact_url(u))
                .collect::<Vec<_>>()
                .join(","),
        }
    }

    /// Opens a connection.
    ///
    /// # Errors
    /// Bad URL or CA file, server unreachable or its TLS certificate not trusted,
    /// or credentials refused.
    pub fn connect(&self) -> Result<Conn> {
        let shown = self.display();
        match self {
            Self::Single(url) => {
                let (info, ca) = endpoint(url)?;
                let client = client(info, ca).map_err(|e| bad_url(url, &e))?;
                let con = client
                    .get_connection_with_timeout(TIMEOUT)
                    .map_err(|e| connect_error(&shown, e))?;
                let _ = con.set_read_timeout(Some(TIMEOUT));
                let _ = con.set_write_timeout(Some(TIMEOUT));
                let mut conn = Conn {
                    url: shown,
                    inner: Inner::Single(con),
                };
                conn.ping()?;
                Ok(conn)
            }
            Self::Cluster(urls) => {
                if urls.is_empty() {
                    return Err(Error::InvalidOption {
                        name: "cluster",
                        value: String::new(),
                        reason: "give at least one redis:// url".to_owned(),
                    });
                }
                let mut seeds = Vec::new();
                let mut cas = Vec::new();
                for url in urls {
                    let (info, ca) = endpoint(url)?;
                    seeds.push(info);
                    cas.push(ca);
                }
                let pem = |ca: &Option<TlsCertificates>| ca.as_ref().map(|c| c.root_cert.clone());
                if cas.windows(2).any(|w| pem(&w[0]) != pem(&w[1])) {
                    return Err(Error::InvalidOption {
                        name: "cluster",
                        value: shown,
                        reason: format!("every seed url must give the same {CA_PARAM}"),
                    });
                }
                let mut builder = ClusterClient::builder(seeds)
                    .connection_timeout(TIMEOUT)
                    .response_timeout(TIMEOUT);
                if let Some(certs) = cas.swap_remove(0) {
                    builder = builder.certs(certs);
                }
                let client = builder.build().map_err(|e| connect_error(&shown, e))?;
                let con = client
                    .get_connection()
                    .map_err(|e| connect_error(&shown, e))?;
                let mut conn = Conn {
                    url: shown,
                    inner: Inner::Cluster(Box::new(con)),
                };
                conn.ping()?;
                Ok(conn)
            }
        }
    }

    /// Plain connections to every master (one for a single server): for INFO and
    /// DBSIZE, which a Cluster answers per node.
    ///
    /// # Errors
    /// As [`Target::connect`], or CLUSTER NODES fails.
    pub fn masters(&self) -> Result<Vec<Conn>> {
        match self {
            Self::Single(_) => Ok(vec![self.connect()?]),
            Self::Cluster(urls) => {
                let (seed_info, ca) = endpoint(&urls[0])?;
                let mut seed = Self::Single(urls[0].clone()).connect()?;
                let nodes: String =
                    seed.query(redis::cmd("CLUSTER").arg("NODES"), "reading CLUSTER NODES")?;
                let mut out = Vec::new();
                for line in nodes.lines() {
                    let fields: Vec<&str> = line.split_whitespace().collect();
                    if fields.len() < 3
                        || !fields[2].contains("master")
                        || fields[2].contains("fail")
                    {
                        continue;
                    }
                    let addr = fields[1].split(['@', ',']).next().unwrap_or_default();
                    let Some((host, port)) = addr.rsplit_once(':') else {
                        continue;
                    };
                    let Ok(port) = port.parse::<u16>() else {
                        continue;
                    };
                    // A master speaks TLS when the seed does, with the same checks.
                    let (addr, scheme) = match seed_info.addr() {
                        ConnectionAddr::TcpTls { insecure, .. } => (
                            ConnectionAddr::TcpTls {
                                host: host.to_owned(),
                                port,
                                insecure: *insecure,
                                tls_params: None,
                            },
                            "rediss",
                        ),
                        _ => (ConnectionAddr::Tcp(host.to_owned(), port), "redis"),
                    };
                    let info = seed_info.clone().set_addr(addr);
                    let shown = format!("{scheme}://{host}:{port}");
                    let client = client(info, ca.clone()).map_err(|e| connect_error(&shown, e))?;
                    let con = client
                        .get_connection_with_timeout(TIMEOUT)
                        .map_err(|e| connect_error(&shown, e))?;
                    out.push(Conn {
                        url: shown,
                        inner: Inner::Single(con),
                    });
                }
                Ok(out)
            }
        }
    }
}

/// Installs rustls's ring provider as the process default once, before the first TLS
/// connection: redis-rs asks rustls for the default, and with no provider or with
/// two compiled in (ring from us, aws-lc-rs from some other crate) rustls would not
/// pick one. A provider the program installed itself is kept.
fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// Parses `url` and loads the CA file that its [`CA_PARAM`] names, if any (redis-rs
/// ignores query parameters it does not know, so the URL is passed on as it is).
fn endpoint(url: &str) -> Result<(ConnectionInfo, Option<TlsCertificates>)> {
    install_crypto_provider();
    let info = url.into_connection_info().map_err(|e| bad_url(url, &e))?;
    let ca = redis::parse_redis_url(url).and_then(|u| {
        u.query_pairs()
            .find(|(k, _)| k == CA_PARAM)
            .map(|(_, v)| PathBuf::from(v.into_owned()))
    });
    let Some(path) = ca else {
        return Ok((info, None));
    };
    let refuse = |reason: String| Error::InvalidOption {
        name: CA_PARAM,
        value: path.display().to_string(),
        reason,
    };
    if !matches!(info.addr(), ConnectionAddr::TcpTls { .. }) {
        return Err(refuse(format!(
            "only a rediss:// url uses TLS, not {}",
            redact_url(url)
        )));
    }
    let pem = std::fs::read(&path).map_err(|source| Error::Io {
        path: path.clone(),
        source,
    })?;
    let mut certs = 0;
    for cert in CertificateDer::pem_slice_iter(&pem) {
        cert.map_err(|e| refuse(format!("not a PEM certificate file: {e}")))?;
        certs += 1;
    }
    if certs == 0 {
        return Err(refuse("no PEM certificate in the file".to_owned()));
    }
    let certs = TlsCertificates {
        client_tls: None,
        root_cert: Some(pem),
    };
    Ok((info, Some(certs)))
}

/// A client for `info`, trusting only the CA certificates of `ca` when given.
fn client(info: ConnectionInfo, ca: Option<TlsCertificates>) -> redis::RedisResult<Client> {
    match ca {
        Some(certs) => Client::build_with_tls(info, certs),
        None => Client::open(info),
    }
}

fn bad_url(url: &str, e: &redis::RedisError) -> Error {
    Error::InvalidOption {
        name: "redis url",
        value: redact_url(url),
        reason: redact_in(&e.to_string(), url),
    }
}

fn is_auth_error(e: &redis::RedisError) -> bool {
    e.kind() == ErrorKind::AuthenticationFailed
        || matches!(e.code(), Some("NOAUTH" | "WRONGPASS" | "NOPERM"))
        || e.to_string().contains("WRONGPASS")
        || e.to_string().contains("NOAUTH")
}

fn connect_error(url: &str, source: redis::RedisError) -> Error {
    if is_auth_error(&source) {
        Error::Auth {
            url: url.to_owned(),
            source,
        }
    } else {
        Error::Connect {
            url: url.to_owned(),
            source,
        }
    }
}

enum Inner {
    Single(redis::Connection),
    Cluster(Box<ClusterConnection>),
}

/// An open connection to a server or a Cluster.
pub struct Conn {
    url: String,
    inner: Inner,
}

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conn")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl Conn {
    /// The server (password masked).
    #[must_use]
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Whether this is a Cluster connection.
    #[must_use]
    pub fn is_cluster(&self) -> bool {
        matches!(self.inner, Inner::Cluster(_))
    }

    /// Wraps a Redis error with the server and what we were doing.
    #[must_use]
    pub fn error(&self, during: &str, source: redis::RedisError) -> Error {
        if is_auth_error(&source) {
            Error::Auth {
                url: self.url.clone(),
                source,
            }
        } else {
            Error::Redis {
                url: self.url.clone(),
                during: during.to_owned(),
                source,
            }
        }
    }

    fn like(&mut self) -> &mut dyn ConnectionLike {
        match &mut self.inner {
            Inner::Single(c) => c,
            Inner::Cluster(c) => c.as_mut(),
        }
    }

    /// Runs one command.
    ///
    /// # Errors
    /// The command fails; `during` names what we were doing.
    pub fn query<T: redis::FromRedisValue>(&mut self, cmd: &Cmd, during: &str) -> Result<T> {
        cmd.query(self.like()).map_err(|e| self.error(during, e))
    }

    /// Checks the connection (and the credentials: a server with `requirepass`
    /// accepts a connection without AUTH and refuses the first command).
    ///
    /// # Errors
    /// Unreachable server or refused credentials.
    pub fn ping(&mut self) -> Result<()> {
        let pong: String = self.query(&redis::cmd("PING"), "sending PING")?;
        debug_assert_eq!(pong, "PONG");
        Ok(())
    }

    /// Sends pre-encoded RESP commands (`count` of them) on a single-node connection
    /// and returns their replies. This is the primitive under redis-rs pipelines;
    /// encoding once lets `--resp-out` write the very same bytes.
    ///
    /// # Errors
    /// I/O errors; server errors come back as `Value::ServerError` items.
    pub fn send_packed(&mut self, resp: &[u8], count: usize) -> Result<Vec<Value>> {
        match &mut self.inner {
            Inner::Single(c) => c
                .req_packed_commands(resp, 0, count)
                .map_err(|e| Error::Redis {
                    url: self.url.clone(),
                    during: "writing a pipeline of keys".to_owned(),
                    source: e,
                }),
            Inner::Cluster(_) => Err(Error::InvalidOption {
                name: "connection",
                value: self.url.clone(),
                reason: "packed pipelines need a single-node connection".to_owned(),
            }),
        }
    }

    /// Runs a Cluster pipeline (commands routed by slot); on a single node a plain pipeline.
    ///
    /// # Errors
    /// I/O errors or a command refused.
    pub fn run_pipeline(&mut self, cmds: &[Cmd], during: &str) -> Result<Vec<Value>> {
        match &mut self.inner {
            Inner::Single(c) => {
                let mut p = redis::pipe();
                for cmd in cmds {
                    p.add_command(cmd.clone());
                }
                p.query(c).map_err(|e| Error::Redis {
                    url: self.url.clone(),
                    during: during.to_owned(),
                    source: e,
                })
            }
            Inner::Cluster(c) => {
                let mut p = redis::cluster::cluster_pipe();
                for cmd in cmds {
                    p.add_command(cmd.clone());
                }
                p.query(c.as_mut()).map_err(|e| Error::Redis {
                    url: self.url.clone(),
                    during: during.to_owned(),
                    source: e,
                })
            }
        }
    }

    /// Reads string values of `keys`; one MGET on a single server, or on a Cluster
    /// when `one_slot` says they share a slot; GETs in a Cluster pipeline otherwise.
    ///
    /// # Errors
    /// The read fails.
    pub fn read_values(&mut self, keys: &[String], one_slot: bool) -> Result<Vec<Option<String>>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        if !self.is_cluster() || one_slot {
            let mut cmd = redis::cmd("MGET");
            for k in keys {
                cmd.arg(k);
            }
            return self.query(&cmd, "reading keys with MGET");
        }
        let cmds: Vec<Cmd> = keys
            .iter()
            .map(|k| {
                let mut c = redis::cmd("GET");
                c.arg(k);
                c
            })
            .collect();
        let values = self.run_pipeline(&cmds, "reading keys with GET")?;
        values
            .into_iter()
            .map(|v| {
                redis::from_redis_value::<Option<String>>(v)
                    .map_err(|e| self.error("reading keys with GET", e.into()))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::{CA_PARAM, Target, endpoint};
    use crate::error::Error;
    use redis::ConnectionAddr;

    #[test]
    fn rediss_is_tls_and_redis_is_not() {
        let (info, ca) = endpoint("rediss://:pw@cache.example:6380/2").unwrap();
        assert!(matches!(
            info.addr(),
            ConnectionAddr::TcpTls {
                port: 6380,
                insecure: false,
                ..
            }
        ));
        assert_eq!(info.redis_settings().db(), 2);
        assert!(ca.is_none());
        let (info, _) = endpoint("redis://127.0.0.1:6379/0").unwrap();
        assert!(matches!(info.addr(), ConnectionAddr::Tcp(_, 6379)));
    }

    #[test]
    fn ca_file_is_read_and_checked() {
        let tmp = tempfile::tempdir().unwrap();
        let missing = tmp.path().join("missing.pem");
        let err =
            endpoint(&format!("rediss://h:1/0?{CA_PARAM}={}", missing.display())).unwrap_err();
        assert!(
            matches!(&err, Error::Io { path, .. } if *path == missing),
            "{err:?}"
        );

        let empty = tmp.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let err = endpoint(&format!("rediss://h:1/0?{CA_PARAM}={}", empty.display())).unwrap_err();
        assert!(err.to_string().contains("no PEM certificate"), "{err}");
        assert!(err.is_bad_input());

        // A password no temporary path can contain by chance (`/tmp/.tmpwf76gQ` holds "pw").
        let err = endpoint(&format!(
            "redis://:Secret-7Q2x@h:1/0?{CA_PARAM}={}",
            empty.display()
        ))
        .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("only a rediss:// url uses TLS"), "{text}");
        assert!(!text.contains("Secret-7Q2x"), "password leaked: {text}");
    }

    #[test]
    fn cluster_seeds_must_agree_on_the_ca() {
        let tmp = tempfile::tempdir().unwrap();
        let pem = tmp.path().join("ca.pem");
        std::fs::write(
            &pem,
            "-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let target = Target::Cluster(vec![
            format!("rediss://127.0.0.1:1?{CA_PARAM}={}", pem.display()),
            "rediss://127.0.0.1:2".to_owned(),
        ]);
        let err = target.connect().unwrap_err();
        assert!(err.to_string().contains("the same ssl_ca_certs"), "{err}");
    }
}
