//! Which URLs a fetch upload may name: a host allowlist, and no address on this machine, the
//! private network, link-local or cloud metadata ranges unless that host is listed by name.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::error::ApiError;

/// The one answer for every refused URL: it never says whether a host or port exists.
pub fn refused() -> ApiError {
    ApiError::bad_request("download_url is not a source this backend allows")
}

/// Whether `ip` is somewhere a fetch must not reach by default: loopback, private (RFC 1918,
/// unique local), link-local (including 169.254.169.254, the cloud metadata address), carrier
/// NAT, unspecified, broadcast, multicast or documentation ranges.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_internal_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_internal_v4(v4);
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (first & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (first == 0x2001 && v6.segments()[1] == 0x0db8) // documentation
                || v6 == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254) // AWS metadata v6
        }
    }
}

fn is_internal_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT 100.64/10
        || (a == 192 && b == 0) // 192.0.0.0/24 and 192.0.2.0/24
        || a >= 240
}

/// Checks a fetch upload's `download_url` against `allow` (entries `host`, `host:port` or `*`)
/// and resolves its host: every address must be public, unless the host is listed by name.
pub async fn check(url: &str, allow: &[String]) -> Result<(), ApiError> {
    let parsed = url::Url::parse(url).map_err(|_| refused())?;
    if !matches!(parsed.scheme(), "http" | "https")
        || !parsed.username().is_empty()
        || parsed.password().is_some()
    {
        return Err(refused());
    }
    let host = match parsed.host() {
        Some(url::Host::Domain(d)) => d.to_ascii_lowercase(),
        Some(url::Host::Ipv4(ip)) => ip.to_string(),
        Some(url::Host::Ipv6(ip)) => format!("[{ip}]"),
        None => return Err(refused()),
    };
    let port = parsed.port_or_known_default().ok_or_else(refused)?;
    let with_port = format!("{host}:{port}");
    let named = allow.iter().any(|a| *a == host || *a == with_port);
    if !named && !allow.iter().any(|a| a == "*") {
        return Err(refused());
    }
    if named {
        return Ok(());
    }
    let bare = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let addrs = tokio::net::lookup_host((bare.as_str(), port))
        .await
        .map_err(|_| refused())?
        .collect::<Vec<_>>();
    if addrs.is_empty() || addrs.iter().any(|a| is_internal(a.ip())) {
        return Err(refused());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_ranges() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            let parsed: Result<IpAddr, _> = ip.parse();
            assert!(parsed.is_ok_and(is_internal), "{ip}");
        }
        for ip in ["93.184.216.34", "2606:2800:220:1::1", "8.8.8.8"] {
            let parsed: Result<IpAddr, _> = ip.parse();
            assert!(parsed.is_ok_and(|p| !is_internal(p)), "{ip}");
        }
    }
}
