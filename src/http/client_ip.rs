//! The client's address: the TCP peer, or behind a trusted proxy the right-most
//! `X-Forwarded-For` address that is not itself a trusted proxy. Worked out once per request
//! (see [`super::trace`]) for rate limits, connection limits, the audit log and study records.
use std::net::IpAddr;
use std::sync::Arc;

use actix_web::HttpMessage;
use actix_web::dev::ServiceRequest;
use ipnet::IpNet;

/// The address a request is charged to and recorded under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp {
    pub ip: Option<IpAddr>,
    /// Whether the TCP peer is a trusted proxy (such a peer is not connection-limited).
    pub via_proxy: bool,
}

impl ClientIp {
    /// The request's client address, as worked out by the tracing layer.
    pub fn of(req: &ServiceRequest) -> ClientIp {
        req.extensions()
            .get::<ClientIp>()
            .copied()
            .unwrap_or(ClientIp {
                ip: req.peer_addr().map(|a| a.ip()),
                via_proxy: false,
            })
    }

    pub fn text(&self) -> String {
        self.ip
            .map_or_else(|| "unknown".into(), |ip| ip.to_string())
    }
}

/// The proxies whose `X-Forwarded-For` is believed (setting `trusted_proxies`).
#[derive(Debug, Clone, Default)]
pub struct ClientIps {
    trusted: Arc<Vec<IpNet>>,
}

impl ClientIps {
    pub fn new(trusted: Vec<IpNet>) -> Self {
        Self {
            trusted: Arc::new(trusted),
        }
    }

    /// Whether `ip` is a trusted proxy.
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.is_trusted(ip)
    }

    fn is_trusted(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.trusted.iter().any(|net| net.contains(&ip))
    }

    /// Walks `X-Forwarded-For` from the right, past trusted proxies, to the first address that
    /// is not one. A malformed entry stops the walk at the last address known to be good.
    pub fn resolve(&self, req: &ServiceRequest) -> ClientIp {
        let peer = req.peer_addr().map(|a| canonical(a.ip()));
        let Some(peer) = peer.filter(|ip| self.is_trusted(*ip)) else {
            return ClientIp {
                ip: peer,
                via_proxy: false,
            };
        };
        let forwarded: Vec<&str> = req
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect();
        let mut client = peer;
        for hop in forwarded.iter().rev() {
            let Some(ip) = parse_hop(hop) else { break };
            client = ip;
            if !self.is_trusted(ip) {
                break;
            }
        }
        ClientIp {
            ip: Some(client),
            via_proxy: true,
        }
    }
}

/// An IPv4 address mapped into IPv6 is the IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// One `X-Forwarded-For` entry: an address, optionally with a port or in brackets.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse() {
        return Some(canonical(ip));
    }
    if let Ok(sock) = hop.parse::<std::net::SocketAddr>() {
        return Some(canonical(sock.ip()));
    }
    hop.trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()
        .map(canonical)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn resolve(trusted: &[&str], peer: &str, xff: &[&str]) -> Option<String> {
        let ips = ClientIps::new(trusted.iter().map(|t| t.parse().unwrap()).collect());
        let mut req = TestRequest::default().peer_addr(peer.parse().unwrap());
        for v in xff {
            req = req.append_header(("X-Forwarded-For", *v));
        }
        ips.resolve(&req.to_srv_request())
            .ip
            .map(|ip| ip.to_string())
    }

    #[test]
    fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
        let lb = &["10.0.0.0/8"];
        assert_eq!(
            resolve(&[], "10.0.0.5:1", &["198.51.100.7"]).unwrap(),
            "10.0.0.5"
        );
        assert_eq!(
            resolve(lb, "203.0.113.9:1", &["198.51.100.7"]).unwrap(),
            "203.0.113.9"
        );
        assert_eq!(
            resolve(lb, "10.0.0.5:1", &["198.51.100.7"]).unwrap(),
            "198.51.100.7"
        );
        assert_eq!(
            resolve(lb, "10.0.0.5:1", &["1.1.1.1, 198.51.100.7, 10.0.0.9"]).unwrap(),
            "198.51.100.7",
            "right-most untrusted, whatever the client put in front"
        );
        assert_eq!(
            resolve(lb, "10.0.0.5:1", &["1.1.1.1", "198.51.100.7:443"]).unwrap(),
            "198.51.100.7"
        );
        assert_eq!(resolve(lb, "10.0.0.5:1", &["garbage"]).unwrap(), "10.0.0.5");
        assert_eq!(
            resolve(lb, "10.0.0.5:1", &["10.1.1.1"]).unwrap(),
            "10.1.1.1",
            "all trusted: the left-most"
        );
        assert_eq!(resolve(lb, "10.0.0.5:1", &[]).unwrap(), "10.0.0.5");
    }

    #[test]
    fn a_trusted_proxy_is_known_as_such_and_an_address_prints_as_text() {
        let ips = ClientIps::new(vec!["10.0.0.0/8".parse().unwrap()]);
        assert!(ips.contains("10.1.2.3".parse().unwrap()));
        assert!(
            ips.contains("::ffff:10.1.2.3".parse().unwrap()),
            "IPv4-mapped IPv6 too"
        );
        assert!(!ips.contains("11.0.0.1".parse().unwrap()));
        let ip = ClientIp {
            ip: Some("203.0.113.7".parse().unwrap()),
            via_proxy: false,
        };
        assert_eq!(ip.text(), "203.0.113.7");
        assert_eq!(
            ClientIp {
                ip: None,
                via_proxy: false
            }
            .text(),
            "unknown"
        );
    }
}
