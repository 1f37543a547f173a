//! The client's address: the peer, or the first untrusted hop of
//! `X-Forwarded-For` when the peer is a configured proxy.

use actix_web::HttpRequest;
use std::net::IpAddr;

/// Resolves the client address of `req`, trusting `X-Forwarded-For` only
/// when the direct peer is in `trusted_proxies`.
pub fn client_ip(req: &HttpRequest, trusted_proxies: &[IpAddr]) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    if !trusted_proxies.contains(&peer) {
        return Some(peer);
    }
    let forwarded = req
        .headers()
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    // Walk from the nearest hop outwards, skipping our own proxies.
    forwarded
        .split(',')
        .rev()
        .filter_map(|hop| hop.trim().parse::<IpAddr>().ok())
        .find(|ip| !trusted_proxies.contains(ip))
        .or(Some(peer))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn forwarded_for_only_from_trusted_proxies() {
        let req = TestRequest::default()
            .peer_addr("10.0.0.9:1234".parse().expect("addr"))
            .insert_header(("x-forwarded-for", "1.2.3.4"))
            .to_http_request();
        assert_eq!(client_ip(&req, &[]), Some("10.0.0.9".parse().expect("ip")));
        let proxy: IpAddr = "10.0.0.9".parse().expect("ip");
        assert_eq!(
            client_ip(&req, &[proxy]),
            Some("1.2.3.4".parse().expect("ip"))
        );
    }
}
