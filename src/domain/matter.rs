//! Matters (事项): a unit's catalogue; every matter is to be experienced within the year (R2).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

crate::text_enum! {
    /// What kind of matter.
    pub enum MatterKind {
        /// 行政审批事项.
        Approval => "approval",
        /// 公共服务事项.
        PublicService => "public_service",
        /// 行政执法事项.
        Enforcement => "enforcement",
        /// 投诉领域 (a field of 12345 complaints).
        ComplaintDomain => "complaint_domain",
    }
}

impl MatterKind {
    /// Whether a business inspection (W2) draws from matters of this kind: the plan's
    /// 政务服务事项, i.e. approval and public-service matters.
    pub fn is_service(self) -> bool {
        matches!(self, MatterKind::Approval | MatterKind::PublicService)
    }
}

/// A matter as stored and shown.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "0190b7e2-8c1a-7cc3-9a51-4f2e3d4c5b6a", "unit_id": "0190b7e2-8c1a-7cc3-9a51-1f2e3d4c5b6a",
    "kind": "approval", "name": "律师事务所设立许可", "code": "610103-XK-001", "online": true, "active": true,
    "created_at": "2026-11-28T05:00:00Z", "updated_at": "2026-11-28T05:00:00Z", "version": 1
}))]
pub struct Matter {
    /// Its id.
    #[schema(format = Uuid)]
    pub id: String,
    /// The unit whose catalogue it is in.
    #[schema(format = Uuid)]
    pub unit_id: String,
    /// Its kind.
    pub kind: MatterKind,
    /// Its name, unique within the unit.
    pub name: String,
    /// The official code, if any.
    pub code: Option<String>,
    /// Whether it can be done online (网上办理).
    pub online: bool,
    /// Inactive matters are kept for history and left out of draws and coverage.
    pub active: bool,
    /// Created (UTC).
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// Last changed (UTC).
    pub updated_at: chrono::DateTime<chrono::Utc>,
    /// Increases with each change; the `ETag`.
    pub version: i64,
}
