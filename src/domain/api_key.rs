//! API keys for integrations (the district portal, scripts): scopes, the key's shape, and the
//! client addresses a key may come from.

use std::net::IpAddr;

crate::text_enum! {
    /// What a key may do beyond what any signed-in account reads.
    pub enum Scope {
        /// Read what the public sees and any signed-in account reads (schedules, bulletins).
        PublicRead => "public:read",
        /// Read the statistics and the hotline figures of every unit.
        StatsRead => "stats:read",
        /// Import 12345 work orders and scan for spikes.
        HotlineImport => "hotline:import",
    }
}

/// The routes a scope opens (method, route template), beyond `public:read`'s reading.
const SCOPED_ROUTES: &[(Scope, &str, &str)] = &[
    (Scope::StatsRead, "GET", "/api/v1/stats"),
    (Scope::StatsRead, "GET", "/api/v1/hotline/ranking"),
    (Scope::StatsRead, "GET", "/api/v1/hotline/stats"),
    (
        Scope::StatsRead,
        "GET",
        "/api/v1/hotline/concentration-lists",
    ),
    (Scope::StatsRead, "GET", "/api/v1/hotline/spikes"),
    (
        Scope::HotlineImport,
        "POST",
        "/api/v1/hotline/work-orders:import",
    ),
    (Scope::HotlineImport, "POST", "/api/v1/hotline/spike-scan"),
];

/// Whether a key with `scopes` may call `method` on the route template `route`: `public:read`
/// reads (GET) what any signed-in account reads; the other scopes open their own routes only.
/// The policy functions then decide what the call may see or do.
pub fn route_allowed(
    scopes: &std::collections::BTreeSet<Scope>,
    method: &str,
    route: Option<&str>,
) -> bool {
    let Some(route) = route else {
        return false;
    };
    (scopes.contains(&Scope::PublicRead) && matches!(method, "GET" | "HEAD"))
        || SCOPED_ROUTES
            .iter()
            .any(|(s, m, r)| scopes.contains(s) && *m == method && *r == route)
}

/// The prefix every key starts with, so that leaked keys are easy to find and to tell apart.
pub const KEY_PREFIX: &str = "fk_";

/// Splits a presented key into its public lookup id and the whole key: `fk_<id>_<secret>`.
pub fn lookup_id(key: &str) -> Option<&str> {
    let rest = key.strip_prefix(KEY_PREFIX)?;
    let (id, secret) = rest.split_once('_')?;
    (id.len() == 12
        && id.bytes().all(|b| b.is_ascii_hexdigit())
        && secret.len() >= 32
        && secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
    .then_some(id)
}

/// An allowed client address: an IP, or a network in CIDR notation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddrRule {
    net: IpAddr,
    prefix: u8,
}

impl std::str::FromStr for AddrRule {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        let (ip, prefix) = match s.trim().split_once('/') {
            Some((ip, p)) => (ip, Some(p)),
            None => (s.trim(), None),
        };
        let net: IpAddr = ip.parse().map_err(|_| ())?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or(())?,
        };
        Ok(AddrRule { net, prefix })
    }
}

impl AddrRule {
    /// Whether `ip` is in the network.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
            v4 => v4,
        };
        match (self.net, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

/// Whether a client at `ip` may use a key limited to `rules` (none: anywhere).
pub fn address_allowed(rules: &[AddrRule], ip: Option<IpAddr>) -> bool {
    rules.is_empty() || ip.is_some_and(|ip| rules.iter().any(|r| r.contains(ip)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_have_a_lookup_id_and_a_long_secret() {
        let key = format!("fk_0123456789ab_{}", "x".repeat(43));
        assert_eq!(lookup_id(&key), Some("0123456789ab"));
        for bad in [
            "fk_0123456789ab_short",
            "xx_0123456789ab_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "fk_0123456789zz_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "fk_",
        ] {
            assert_eq!(lookup_id(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_scope_opens_its_routes_only() {
        let set = |s: &[Scope]| s.iter().copied().collect::<std::collections::BTreeSet<_>>();
        let import = set(&[Scope::HotlineImport]);
        assert!(route_allowed(
            &import,
            "POST",
            Some("/api/v1/hotline/work-orders:import")
        ));
        assert!(!route_allowed(&import, "GET", Some("/api/v1/matters")));
        assert!(!route_allowed(
            &import,
            "POST",
            Some("/api/v1/hotline/concentration-lists")
        ));
        let public = set(&[Scope::PublicRead]);
        assert!(route_allowed(&public, "GET", Some("/api/v1/matters")));
        assert!(!route_allowed(
            &public,
            "POST",
            Some("/api/v1/participations")
        ));
        let stats = set(&[Scope::StatsRead]);
        assert!(route_allowed(&stats, "GET", Some("/api/v1/stats")));
        assert!(!route_allowed(&stats, "GET", Some("/api/v1/matters")));
        assert!(!route_allowed(&stats, "GET", None));
    }

    #[test]
    fn addresses_match_single_ips_and_networks_of_both_families() {
        let r: Vec<AddrRule> = ["10.1.0.0/16", "192.168.1.7", "2001:db8::/32"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        let ok = |s: &str| address_allowed(&r, Some(s.parse().unwrap()));
        assert!(
            ok("10.1.200.3") && ok("192.168.1.7") && ok("2001:db8::1") && ok("::ffff:10.1.0.1")
        );
        assert!(!ok("10.2.0.1") && !ok("192.168.1.8") && !ok("2001:db9::1"));
        assert!(address_allowed(&[], None), "no rule: anywhere");
        assert!(!address_allowed(&r, None));
        assert!("10.0.0.0/33".parse::<AddrRule>().is_err());
        assert!("nope".parse::<AddrRule>().is_err());
        assert!("0.0.0.0/0"
            .parse::<AddrRule>()
            .unwrap()
            .contains("8.8.8.8".parse().unwrap()));
    }
}
