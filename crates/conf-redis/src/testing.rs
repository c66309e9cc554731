//! [`RedisServer`]: a throwaway `redis-server` for tests (real Redis, no mock).

use std::io;
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `redis-server` on a free loopback port with its own temporary directory,
/// killed and cleaned up on drop. The binary is `$REDIS_SERVER` or `redis-server`
/// on `PATH` (Debian: `apt-get install redis-server`; `.ci/run` installs it).
#[derive(Debug)]
pub struct RedisServer {
    port: u16,
    dir: PathBuf,
    child: Option<Child>,
    /// Serving TLS only, with this CA (PEM) for its clients.
    tls_ca: Option<Vec<u8>>,
    /// Clients must present a certificate: the one (cert, key PEM) this harness uses.
    client_cert: Option<(Vec<u8>, Vec<u8>)>,
}

impl RedisServer {
    /// Start a server and wait (up to 10 s) until it answers.
    pub fn start() -> io::Result<Self> {
        Self::start_with(None, None)
    }

    /// Start a server that speaks TLS only (`--tls-port`, client certificates not
    /// required), with the certificate `cert_pem` and key `key_pem` issued by `ca_pem`.
    /// [`url`](Self::url) is then `rediss://127.0.0.1:<port>/`.
    pub fn start_tls(cert_pem: &str, key_pem: &str, ca_pem: &str) -> io::Result<Self> {
        Self::start_with(Some((cert_pem, key_pem, ca_pem)), None)
    }

    /// [`start_tls`](Self::start_tls), and clients must present a certificate issued by
    /// `ca_pem` (`--tls-auth-clients yes`); the server's own checks use `client_cert_pem`
    /// and `client_key_pem`.
    pub fn start_mtls(cert_pem: &str, key_pem: &str, ca_pem: &str, client_cert_pem: &str, client_key_pem: &str) -> io::Result<Self> {
        let client = (client_cert_pem.as_bytes().to_vec(), client_key_pem.as_bytes().to_vec());
        Self::start_with(Some((cert_pem, key_pem, ca_pem)), Some(client))
    }

    fn start_with(tls: Option<(&str, &str, &str)>, client_cert: Option<(Vec<u8>, Vec<u8>)>) -> io::Result<Self> {
        let dir = std::env::temp_dir().join(format!("conf-redis-test-{}-{:016x}", std::process::id(), rand::random::<u64>()));
        std::fs::create_dir_all(&dir)?;
        if let Some((cert, key, ca)) = tls {
            std::fs::write(dir.join("tls.crt"), cert)?;
            std::fs::write(dir.join("tls.key"), key)?;
            std::fs::write(dir.join("ca.crt"), ca)?;
        }
        let tls_ca = tls.map(|(_, _, ca)| ca.as_bytes().to_vec());
        let mut last = None;
        for _ in 0..5 {
            let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
            let mut server = Self { port, dir: dir.clone(), child: None, tls_ca: tls_ca.clone(), client_cert: client_cert.clone() };
            match server.restart() {
                Ok(()) => return Ok(server),
                Err(e) => {
                    server.child = None; // spawn failed or port taken: try another port
                    last = Some(e);
                }
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
        Err(last.unwrap_or_else(|| io::Error::other("redis-server did not start")))
    }

    /// `redis://127.0.0.1:<port>/` (`rediss://` for a TLS server).
    pub fn url(&self) -> String {
        let scheme = if self.tls_ca.is_some() { "rediss" } else { "redis" };
        format!("{scheme}://127.0.0.1:{}/", self.port)
    }

    /// A client of this server (trusting its CA when it speaks TLS).
    fn client(&self) -> redis::RedisResult<redis::Client> {
        match &self.tls_ca {
            None => redis::Client::open(self.url()),
            Some(ca) => {
                let client_tls = self
                    .client_cert
                    .as_ref()
                    .map(|(cert, key)| redis::ClientTlsConfig { client_cert: cert.clone(), client_key: key.clone() });
                redis::Client::build_with_tls(self.url(), redis::TlsCertificates { client_tls, root_cert: Some(ca.clone()) })
            }
        }
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Kill the server (Redis "goes down"); [`restart`](Self::restart) brings it back on the same port.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Start (again) on the same port and wait until it answers. Data is not kept.
    pub fn restart(&mut self) -> io::Result<()> {
        self.stop();
        let bin = std::env::var_os("REDIS_SERVER").unwrap_or_else(|| "redis-server".into());
        let port = self.port.to_string();
        let mut command = Command::new(&bin);
        command.args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]).arg("--dir").arg(&self.dir);
        if self.tls_ca.is_some() {
            let auth = if self.client_cert.is_some() { "yes" } else { "no" };
            command.args(["--port", "0", "--tls-port", &port, "--tls-auth-clients", auth]);
            command.arg("--tls-cert-file").arg(self.dir.join("tls.crt"));
            command.arg("--tls-key-file").arg(self.dir.join("tls.key"));
            command.arg("--tls-ca-cert-file").arg(self.dir.join("ca.crt"));
        } else {
            command.args(["--port", &port]);
        }
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| io::Error::new(e.kind(), format!("cannot run {}: {e} (install redis-server)", bin.to_string_lossy())))?;
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if self.ping() {
                return Ok(());
            }
            if let Some(c) = self.child.as_mut() {
                if let Some(status) = c.try_wait()? {
                    self.child = None;
                    return Err(io::Error::other(format!("redis-server exited: {status}")));
                }
            }
            if Instant::now() > deadline {
                self.stop();
                return Err(io::Error::other("redis-server did not answer within 10 s"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn ping(&self) -> bool {
        let Ok(client) = self.client() else { return false };
        let Ok(mut conn) = client.get_connection_with_timeout(Duration::from_millis(200)) else { return false };
        redis::cmd("PING").query::<String>(&mut conn).is_ok_and(|p| p == "PONG")
    }

    /// Every key with its content (strings as they are, hashes as `field=value` pairs,
    /// binary included): what `redis-cli --scan` and a dump would show.
    pub fn dump(&self) -> io::Result<Vec<(String, Vec<u8>)>> {
        let to_io = |e: redis::RedisError| io::Error::other(e.to_string());
        let _ = TcpStream::connect(("127.0.0.1", self.port))?;
        let client = self.client().map_err(to_io)?;
        let mut conn = client.get_connection_with_timeout(Duration::from_secs(2)).map_err(to_io)?;
        let keys: Vec<String> = redis::cmd("KEYS").arg("*").query(&mut conn).map_err(to_io)?;
        let mut out = Vec::new();
        for k in keys {
            let kind: String = redis::cmd("TYPE").arg(&k).query(&mut conn).map_err(to_io)?;
            let content = match kind.as_str() {
                "string" => redis::cmd("GET").arg(&k).query::<Vec<u8>>(&mut conn).map_err(to_io)?,
                "hash" => {
                    let pairs: Vec<(Vec<u8>, Vec<u8>)> = redis::cmd("HGETALL").arg(&k).query(&mut conn).map_err(to_io)?;
                    pairs.into_iter().flat_map(|(f, v)| [f, b"=".to_vec(), v, b"\n".to_vec()]).flatten().collect()
                }
                _ => Vec::new(),
            };
            out.push((k, content));
        }
        Ok(out)
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A [`CredentialCodec`](conf_core::store::CredentialCodec) for text credentials (UTF-8
/// bytes), for tests that share a `CredentialCache<String>`.
#[derive(Debug, Clone, Copy, Default)]
pub struct TextCodec;

impl conf_core::store::CredentialCodec<String> for TextCodec {
    fn encode(&self, value: &String) -> Result<Vec<u8>, conf_core::store::StoreError> {
        Ok(value.as_bytes().to_vec())
    }

    fn decode(&self, bytes: &[u8]) -> Result<String, conf_core::store::StoreError> {
        String::from_utf8(bytes.to_vec()).map_err(|_| conf_core::store::StoreError::new("text credential: not UTF-8"))
    }
}
