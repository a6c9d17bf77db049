//! A Redis server for tests: the one named by `PODIUM_TEST_REDIS_URL`, with a channel prefix of
//! the test's own (pub/sub leaves no keys behind, so there is nothing to clean up). Skipped with
//! the reason printed when it is not configured or unreachable, unless `CI` is set.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

/// The variable naming the Redis server for tests (`redis://127.0.0.1:6379`).
pub const REDIS_ENV: &str = "PODIUM_TEST_REDIS_URL";

/// The test Redis server and a prefix no other test uses.
#[derive(Clone, Debug)]
pub struct TestRedis {
    /// The server's URL.
    pub url: String,
    /// This test's channel prefix (`podium_test_<id>:`).
    pub prefix: String,
}

impl TestRedis {
    /// The configured server when it answers `PING`, or `None` (with the reason printed)
    /// outside CI.
    pub fn get() -> Option<Self> {
        let Ok(url) = std::env::var(REDIS_ENV) else {
            if super::in_ci() {
                panic!("CI is set but {REDIS_ENV} is not: the Redis suite must run in CI");
            }
            super::say(&format!("skipping Redis test: {REDIS_ENV} is not set"));
            return None;
        };
        let reached = address(&url).and_then(|addr| ping(addr).map_err(|e| e.to_string()));
        match reached {
            Ok(()) => Some(Self { prefix: format!("podium_test_{}:", super::ulid_string().to_lowercase()), url }),
            Err(e) if !super::in_ci() => {
                super::say(&format!("skipping Redis test: cannot reach {}: {e}", podium_store::redact(&url)));
                None
            }
            Err(e) => panic!("CI is set but Redis is unreachable at {}: {e}", podium_store::redact(&url)),
        }
    }

    /// The server's address.
    pub fn address(&self) -> SocketAddr {
        address(&self.url).expect("the Redis URL was read once already")
    }

    /// The URL with its host and port replaced by `addr` (to reach the server through a proxy).
    pub fn url_via(&self, addr: SocketAddr) -> String {
        let (scheme, rest) = self.url.split_once("://").unwrap_or(("redis", &self.url));
        let (userinfo, hostpath) = rest.rsplit_once('@').map_or(("", rest), |(u, h)| (u, h));
        let path = hostpath.find('/').map_or("", |i| &hostpath[i..]);
        let at = if userinfo.is_empty() { String::new() } else { format!("{userinfo}@") };
        format!("{scheme}://{at}{addr}{path}")
    }
}

/// The `host:port` of a `redis://` URL (port 6379 when none is given).
fn address(url: &str) -> Result<SocketAddr, String> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let hostpath = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    let host = hostpath.split('/').next().unwrap_or_default();
    let host = if host.contains(':') { host.to_owned() } else { format!("{host}:6379") };
    host.to_socket_addrs().map_err(|e| e.to_string())?.next().ok_or_else(|| format!("no address for {host}"))
}

fn ping(addr: SocketAddr) -> std::io::Result<()> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    s.set_read_timeout(Some(Duration::from_secs(2)))?;
    s.write_all(b"PING\r\n")?;
    let mut answer = [0u8; 64];
    let n = s.read(&mut answer)?;
    // `+PONG`, or `-NOAUTH …` from a server with a password: reachable either way.
    if n > 0 && (answer[0] == b'+' || answer[0] == b'-') {
        Ok(())
    } else {
        Err(std::io::Error::other("not a Redis server"))
    }
}
