//! Limits on connections: a cap of open connections per client address (a trusted proxy is
//! exempt), and the process's open-files limit raised as far as the system allows.
use std::any::Any;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use actix_web::dev::{Extensions, ServiceRequest};

use super::ClientIps;

/// Counts open connections per peer address.
#[derive(Clone)]
pub struct ConnectionLimit {
    per_ip: usize,
    trusted: ClientIps,
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

/// Lives as long as its connection; marks one over the cap and gives its place back on drop.
pub struct ConnectionGuard {
    ip: IpAddr,
    over: bool,
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = open.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

impl ConnectionLimit {
    /// `per_ip` of 0 turns the cap off.
    pub fn new(per_ip: usize, trusted: ClientIps) -> Self {
        Self {
            per_ip,
            trusted,
            open: Arc::default(),
        }
    }

    /// For `HttpServer::on_connect`: counts the connection and leaves its guard with it.
    pub fn on_connect(&self, conn: &dyn Any, ext: &mut Extensions) {
        if self.per_ip == 0 {
            return;
        }
        let Some(peer) = conn
            .downcast_ref::<actix_web::rt::net::TcpStream>()
            .and_then(|s| s.peer_addr().ok())
            .map(|a| a.ip())
        else {
            return;
        };
        if self.trusted.contains(peer) {
            return;
        }
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let n = open.entry(peer).or_insert(0);
        *n += 1;
        ext.insert(ConnectionGuard {
            ip: peer,
            over: *n > self.per_ip,
            open: self.open.clone(),
        });
    }
}

/// True when the request came on a connection beyond its client's cap.
pub fn over_connection_limit(req: &ServiceRequest) -> bool {
    req.conn_data::<ConnectionGuard>().is_some_and(|g| g.over)
}

/// Raises the soft open-files limit to the hard limit; answers the limit now in force.
pub fn raise_open_files_limit() -> std::io::Result<u64> {
    rlimit::increase_nofile_limit(u64::MAX)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_open_files_limit_is_raised_to_the_hard_limit_and_reported_as_it_is() {
        let now = super::raise_open_files_limit().unwrap();
        let (soft, hard) = rlimit::getrlimit(rlimit::Resource::NOFILE).unwrap();
        assert_eq!(now, soft, "the limit in force is reported");
        assert_eq!(soft, hard, "raised as far as allowed");
    }
}
