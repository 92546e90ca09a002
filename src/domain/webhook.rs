//! Webhooks: the events an integration may subscribe to, the addresses a delivery may go to,
//! the signature a receiver checks and the waits between attempts.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use hmac::{KeyInit, Mac};

crate::text_enum! {
    /// An event the service announces.
    pub enum EventType {
        /// A schedule revision was published (the public sees it now).
        SchedulePublished => "schedule.published",
        /// A bulletin was published.
        BulletinPublished => "bulletin.published",
        /// A participation was filed by its unit.
        ParticipationFiled => "participation.filed",
        /// A participation was accepted by the activity's lead.
        ParticipationAccepted => "participation.accepted",
        /// A participation was returned to its unit.
        ParticipationReturned => "participation.returned",
        /// A trigger (an immediate participation) was raised, by hand or by a hotline spike.
        TriggerCreated => "trigger.created",
        /// An issue was closed after rectification.
        IssueClosed => "issue.closed",
        /// An open issue passed its deadline (raised once per issue and deadline).
        IssueOverdue => "issue.overdue",
        /// A test event sent on demand.
        Ping => "ping",
    }
}

/// The header carrying the signature: `v1=<hex HMAC-SHA256>`.
pub const SIGNATURE_HEADER: &str = "X-Frontline-Signature";
/// The header carrying the signing time, Unix seconds.
pub const TIMESTAMP_HEADER: &str = "X-Frontline-Timestamp";
/// The header naming the event type.
pub const EVENT_HEADER: &str = "X-Frontline-Event";
/// The header carrying the event's id (the same on every delivery of one event: receivers
/// dedupe on it).
pub const EVENT_ID_HEADER: &str = "X-Frontline-Event-Id";
/// The header carrying the delivery's id.
pub const DELIVERY_HEADER: &str = "X-Frontline-Delivery";

/// The signature of `body` sent at `timestamp` (Unix seconds): `v1=` and the hex HMAC-SHA256,
/// keyed by the webhook's secret, of `"{timestamp}.{body}"`. A receiver recomputes it, compares
/// in constant time and refuses timestamps far from its clock, so a captured delivery cannot be
/// replayed later.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    // HMAC accepts a key of any length, so this cannot fail.
    let mut mac = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let tag = mac.finalize().into_bytes();
    let hex: String = tag.iter().map(|b| format!("{b:02x}")).collect();
    format!("v1={hex}")
}

/// The wait before attempt `attempts + 1`, after `attempts` failed ones: `base`, doubled after
/// each further failure, at most `max`.
pub fn backoff(attempts: u32, base: Duration, max: Duration) -> Duration {
    let doublings = attempts.saturating_sub(1).min(30);
    base.checked_mul(1u32 << doublings).unwrap_or(max).min(max)
}

/// Whether a delivery to `ip` is refused unless private targets are allowed: loopback,
/// private, link-local, carrier-grade NAT, unique-local, unspecified, multicast, broadcast,
/// documentation and benchmarking ranges, and IPv4 addresses mapped or embedded in IPv6.
pub fn private_address(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => private_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return private_v4(v4);
            }
            let s = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (s[0] & 0xffc0) == 0xfe80 // link local fe80::/10
                || (s[0] & 0xffc0) == 0xfec0 // site local (deprecated) fec0::/10
                || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
                || (s[0] == 0x0064 && s[1] == 0xff9b) // NAT64 embeds an IPv4 address
                || s[0] == 0x2002 // 6to4 embeds an IPv4 address
                || v6 == Ipv6Addr::new(0, 0, 0, 0, 0, 0, 0, 1)
                // IPv4-compatible ::a.b.c.d
                || (s[..6].iter().all(|x| *x == 0))
        }
    }
}

fn private_v4(v4: Ipv4Addr) -> bool {
    let o = v4.octets();
    v4.is_loopback()
        || v4.is_private()
        || v4.is_link_local()
        || v4.is_unspecified()
        || v4.is_multicast()
        || v4.is_broadcast()
        || v4.is_documentation()
        || o[0] == 0
        || (o[0] == 100 && (o[1] & 0xc0) == 64) // 100.64.0.0/10
        || (o[0] == 198 && (o[1] & 0xfe) == 18) // 198.18.0.0/15
        || (o[0] == 192 && o[1] == 0 && o[2] == 0) // 192.0.0.0/24
        || o[0] >= 240
}

/// Why a webhook URL is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UrlProblem {
    /// Not an absolute http(s) URL of at most 2 000 characters.
    Invalid,
    /// A scheme other than http and https.
    Scheme,
    /// A user name or password in the URL (it would show in every listing).
    Credentials,
    /// A loopback, private or otherwise internal address, or `localhost`.
    PrivateAddress,
}

/// Checks a webhook URL as given: absolute, http or https, no credentials, a host; with
/// `allow_private` false, no literal internal address and no `localhost`. Names are checked
/// again, resolved, at each delivery.
pub fn check_url(raw: &str, allow_private: bool) -> Result<url::Url, UrlProblem> {
    if raw.len() > 2000 {
        return Err(UrlProblem::Invalid);
    }
    let url = url::Url::parse(raw.trim()).map_err(|_| UrlProblem::Invalid)?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(UrlProblem::Scheme);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlProblem::Credentials);
    }
    let host = url.host().ok_or(UrlProblem::Invalid)?;
    if !allow_private {
        let internal = match host {
            url::Host::Ipv4(ip) => private_address(IpAddr::V4(ip)),
            url::Host::Ipv6(ip) => private_address(IpAddr::V6(ip)),
            url::Host::Domain(d) => {
                let d = d.trim_end_matches('.').to_ascii_lowercase();
                d == "localhost" || d.ends_with(".localhost")
            }
        };
        if internal {
            return Err(UrlProblem::PrivateAddress);
        }
    }
    Ok(url)
}

/// A URL as the audit log keeps it: scheme, host, port and path, without the query or
/// fragment (a receiver may put a token there; the audit log is read by more than admins).
pub fn redacted_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut u) => {
            if u.query().is_some() {
                u.set_query(Some("redacted"));
            }
            u.set_fragment(None);
            u.to_string()
        }
        Err(_) => "(unreadable)".into(),
    }
}

/// The envelope every delivery carries: `{id, type, occurred_at, data}`.
pub fn envelope(
    event_id: &str,
    event: EventType,
    occurred_at: chrono::DateTime<chrono::Utc>,
    data: serde_json::Value,
) -> serde_json::Value {
    serde_json::json!({
        "id": event_id,
        "type": event.as_str(),
        "occurred_at": occurred_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "data": data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hmac_sha256_of_timestamp_dot_body() {
        // Computed independently with Python:
        // hmac.new(b"s3cret", b"1700000000.{}", hashlib.sha256).hexdigest()
        assert_eq!(
            signature("s3cret", 1_700_000_000, b"{}"),
            "v1=97926816e98fbb41ccb1673225ff29a2f35369099990e1b1561651e7bd097ebf"
        );
        let base = signature("s3cret", 1_700_000_000, b"{}");
        assert_ne!(signature("s3cret", 1_700_000_001, b"{}"), base);
        assert_ne!(signature("other", 1_700_000_000, b"{}"), base);
        assert_ne!(signature("s3cret", 1_700_000_000, b"{ }"), base);
    }

    #[test]
    fn backoff_doubles_from_the_base_and_stops_at_the_cap() {
        let base = Duration::from_secs(10);
        let max = Duration::from_secs(3600);
        assert_eq!(backoff(1, base, max), Duration::from_secs(10));
        assert_eq!(backoff(2, base, max), Duration::from_secs(20));
        assert_eq!(backoff(3, base, max), Duration::from_secs(40));
        assert_eq!(backoff(9, base, max), Duration::from_secs(2560));
        assert_eq!(backoff(10, base, max), max);
        assert_eq!(backoff(50, base, max), max);
        assert_eq!(backoff(0, base, max), base);
    }

    #[test]
    fn internal_addresses_are_private_and_public_ones_are_not() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
            "2002:a00:1::",
        ] {
            assert!(private_address(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "1.1.1.1",
            "114.114.114.114",
            "223.5.5.5",
            "2400:3200::1",
            "::ffff:8.8.8.8",
        ] {
            assert!(!private_address(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn urls_are_checked_for_scheme_credentials_and_internal_hosts() {
        assert!(check_url("https://portal.beilin.gov.cn/hooks/frontline", false).is_ok());
        assert!(check_url("http://203.0.113.9/x", false).is_err());
        assert_eq!(
            check_url("ftp://portal.example/x", false),
            Err(UrlProblem::Scheme)
        );
        assert_eq!(
            check_url("https://u:p@portal.example/x", false),
            Err(UrlProblem::Credentials)
        );
        assert_eq!(
            check_url("portal.example/x", false),
            Err(UrlProblem::Invalid)
        );
        for internal in [
            "http://127.0.0.1:8080/x",
            "http://localhost/x",
            "http://LOCALHOST./x",
            "http://[::1]/x",
            "http://169.254.169.254/latest/meta-data",
            "http://10.0.0.5/x",
            "http://2130706433/x",
            "http://0x7f.1/x",
        ] {
            assert_eq!(
                check_url(internal, false),
                Err(UrlProblem::PrivateAddress),
                "{internal}"
            );
            assert!(check_url(internal, true).is_ok(), "{internal}");
        }
    }

    #[test]
    fn event_types_round_trip_their_names() {
        for e in EventType::ALL {
            assert_eq!(e.as_str().parse::<EventType>().ok(), Some(*e));
        }
        assert!("schedule.deleted".parse::<EventType>().is_err());
    }
}
