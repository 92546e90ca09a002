//! What every handler may need of the request besides its body: the request id, the client's
//! address (for the audit log and the login rate), and `If-Match` preconditions.

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest};

use crate::auth::AuthUser;
use crate::error::AppError;
use crate::store::audit::AuditCtx;
use crate::telemetry::RequestId;

/// The request's id and client address.
#[derive(Clone, Debug, Default)]
pub struct RequestCtx {
    /// The request id.
    pub request_id: Option<String>,
    /// The client's IP address (the TCP peer; a proxy in front should be the only peer).
    pub client_addr: Option<String>,
    /// The `If-Match` header, if any.
    pub if_match: Option<String>,
}

impl RequestCtx {
    /// The key the login rate counts by: the client's address, or for IPv6 its /64 network
    /// (one client usually holds a whole /64).
    pub fn rate_key(&self) -> String {
        crate::domain::account::client_key(self.client_addr.as_deref())
    }

    /// The audit context of this request acting as `user`.
    pub fn audit(&self, user: Option<&AuthUser>) -> AuditCtx {
        AuditCtx {
            actor_id: user.map(|u| u.id.clone()),
            actor_username: user.map(|u| u.username.clone()),
            actor_role: user.map(|u| {
                if u.key.is_some() {
                    "api_key".to_owned()
                } else {
                    u.role.as_str().to_owned()
                }
            }),
            actor_unit_id: user.and_then(|u| u.unit_id.clone()),
            request_id: self.request_id.clone(),
            client_addr: self.client_addr.clone(),
        }
    }

    /// The version `If-Match` names, checked against the stored `current` version: 428 without
    /// the header, 412 when it names another version (`*` matches any).
    pub fn expect_version(&self, current: i64) -> Result<i64, AppError> {
        let held = self
            .if_match
            .as_deref()
            .ok_or(AppError::PreconditionRequired)?;
        let etag = crate::api::units::etag(current);
        let matches = held
            .split(',')
            .map(str::trim)
            .any(|t| t == "*" || t == etag);
        if matches {
            Ok(current)
        } else {
            Err(AppError::PreconditionFailed { current: etag })
        }
    }
}

impl FromRequest for RequestCtx {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(RequestCtx {
            request_id: req.extensions().get::<RequestId>().map(|r| r.0.clone()),
            client_addr: req.peer_addr().map(|a| a.ip().to_string()),
            if_match: req
                .headers()
                .get(header::IF_MATCH)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(if_match: Option<&str>) -> RequestCtx {
        RequestCtx {
            if_match: if_match.map(str::to_owned),
            ..Default::default()
        }
    }

    #[test]
    fn an_ipv6_client_is_counted_by_its_64_network() {
        let at = |a: &str| {
            RequestCtx {
                client_addr: Some(a.into()),
                ..Default::default()
            }
            .rate_key()
        };
        assert_eq!(at("2001:db8:1:2:aaaa::1"), at("2001:db8:1:2:bbbb::9"));
        assert_ne!(at("2001:db8:1:2::1"), at("2001:db8:1:3::1"));
        assert_eq!(at("127.0.0.1"), "127.0.0.1");
        assert_eq!(RequestCtx::default().rate_key(), "unknown");
    }

    #[test]
    fn if_match_is_required_and_must_be_current() {
        assert!(matches!(
            ctx(None).expect_version(3),
            Err(AppError::PreconditionRequired)
        ));
        assert_eq!(ctx(Some("\"3\"")).expect_version(3).unwrap(), 3);
        assert_eq!(ctx(Some("*")).expect_version(3).unwrap(), 3);
        assert!(matches!(
            ctx(Some("\"2\"")).expect_version(3),
            Err(AppError::PreconditionFailed { .. })
        ));
        assert!(
            matches!(
                ctx(Some("W/\"3\"")).expect_version(3),
                Err(AppError::PreconditionFailed { .. })
            ),
            "strong comparison"
        );
    }
}
