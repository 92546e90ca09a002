//! Units (参与单位): their kinds, participation categories (活动主体), programme roles and the
//! activities those categories require (DOMAIN.md "Units", rule R1).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

crate::text_enum! {
    /// What kind of body a unit is.
    pub enum UnitKind {
        /// 区级部门 (district department or institution).
        DistrictDepartment => "district_department",
        /// 街道办事处 (sub-district office).
        SubdistrictOffice => "subdistrict_office",
        /// 市级部门碑林分局 (branch of a city bureau).
        CityBureauBranch => "city_bureau_branch",
        /// 公共服务企业 (enterprise).
        Enterprise => "enterprise",
        /// 管委会 (management committee).
        ManagementCommittee => "management_committee",
    }
}

crate::text_enum! {
    /// A participation category (活动主体); a unit can have several.
    pub enum Category {
        /// 承担行政审批、公共服务事项的单位 (Annex 1 list 一).
        ApprovalService => "approval_service",
        /// 承担行政执法事项的单位 (Annex 1 list 二).
        LawEnforcement => "law_enforcement",
        /// 深化"放管服"改革优化营商环境相关政策制定部门 (Annex 1 list 三).
        PolicyMaking => "policy_making",
        /// 12345投诉较为集中的责任单位 (derived from hotline data, H1).
        ComplaintConcentrated => "complaint_concentrated",
        /// 承担水、电、气、暖等公共服务事务的企业 (the 7 enterprises of list 一).
        PublicUtility => "public_utility",
    }
}

crate::text_enum! {
    /// The three activities of the programme.
    pub enum Activity {
        /// 走流程、坐窗口 (segments W1–W4).
        Window => "window",
        /// 跟执法 (segments E1–E3).
        Enforcement => "enforcement",
        /// 处投诉 (segments C1–C3).
        Complaint => "complaint",
    }
}

crate::text_enum! {
    /// The part a unit plays in running the programme (任务分工), if any.
    pub enum ProgrammeRole {
        /// 区营商办: owns the programme, reviews plans, inspects, issues bulletins.
        Coordinator => "coordinator",
        /// 牵头部门: drafts, publishes and collects one activity (`lead_activity`).
        Lead => "lead",
        /// 区政府办: organizes and coordinates one activity that another unit implements.
        Organizer => "organizer",
    }
}

/// A deputy (分管负责同志) who may take part in the head's place where delegation is allowed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"name": "张三", "title": "副局长"}))]
pub struct Person {
    /// Full name.
    pub name: String,
    /// Official title, e.g. 局长.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

impl Activity {
    /// Its Chinese name, as the plan writes it.
    pub fn zh(self) -> &'static str {
        match self {
            Activity::Window => "走流程、坐窗口",
            Activity::Enforcement => "跟执法",
            Activity::Complaint => "处投诉",
        }
    }
}

impl Category {
    /// The activity a unit of this category must take part in each quarter (R1), if one is
    /// fixed; `policy_making` may take part in any activity.
    pub fn required_activity(self) -> Option<Activity> {
        match self {
            Category::ApprovalService | Category::PublicUtility => Some(Activity::Window),
            Category::LawEnforcement => Some(Activity::Enforcement),
            Category::ComplaintConcentrated => Some(Activity::Complaint),
            Category::PolicyMaking => None,
        }
    }
}

/// Puts categories in their canonical order without duplicates.
pub fn normalize_categories(mut categories: Vec<Category>) -> Vec<Category> {
    categories.sort();
    categories.dedup();
    categories
}

/// Checks that a programme role and a lead activity fit together: a lead or an organizer
/// names its activity, a coordinator or a plain unit names none.
pub fn role_fits_activity(role: Option<ProgrammeRole>, activity: Option<Activity>) -> bool {
    matches!(
        (role, activity),
        (None, None)
            | (Some(ProgrammeRole::Coordinator), None)
            | (
                Some(ProgrammeRole::Lead | ProgrammeRole::Organizer),
                Some(_)
            )
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn categories_parse_from_their_wire_names_only() {
        for c in Category::ALL {
            assert_eq!(Category::from_str(c.as_str()), Ok(*c));
        }
        assert!(Category::from_str("Approval_Service").is_err());
        assert!(Category::from_str("").is_err());
        let err = Category::from_str("window").unwrap_err();
        assert!(err.expected.contains("law_enforcement"));
    }

    #[test]
    fn each_category_requires_its_activity() {
        assert_eq!(
            Category::ApprovalService.required_activity(),
            Some(Activity::Window)
        );
        assert_eq!(
            Category::PublicUtility.required_activity(),
            Some(Activity::Window)
        );
        assert_eq!(
            Category::LawEnforcement.required_activity(),
            Some(Activity::Enforcement)
        );
        assert_eq!(
            Category::ComplaintConcentrated.required_activity(),
            Some(Activity::Complaint)
        );
        assert_eq!(Category::PolicyMaking.required_activity(), None);
    }

    #[test]
    fn categories_normalize_to_canonical_order() {
        let got = normalize_categories(vec![
            Category::PolicyMaking,
            Category::ApprovalService,
            Category::PolicyMaking,
        ]);
        assert_eq!(got, vec![Category::ApprovalService, Category::PolicyMaking]);
    }

    #[test]
    fn a_lead_names_its_activity_and_a_coordinator_none() {
        assert!(role_fits_activity(None, None));
        assert!(role_fits_activity(Some(ProgrammeRole::Coordinator), None));
        assert!(role_fits_activity(
            Some(ProgrammeRole::Lead),
            Some(Activity::Window)
        ));
        assert!(!role_fits_activity(Some(ProgrammeRole::Lead), None));
        assert!(!role_fits_activity(
            Some(ProgrammeRole::Coordinator),
            Some(Activity::Window)
        ));
        assert!(!role_fits_activity(None, Some(Activity::Complaint)));
    }

    #[test]
    fn activities_serialize_in_snake_case() {
        assert_eq!(
            serde_json::to_string(&Activity::Enforcement).unwrap(),
            "\"enforcement\""
        );
        assert_eq!(
            serde_json::from_str::<UnitKind>("\"subdistrict_office\"").unwrap(),
            UnitKind::SubdistrictOffice
        );
    }
}

/// A unit's public id: a UUIDv7, unguessable and time-ordered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(transparent)]
#[schema(value_type = String, format = Uuid, example = "0190b7e2-8c1a-7cc3-9a51-1f2e3d4c5b6a")]
pub struct UnitId(pub uuid::Uuid);

impl UnitId {
    /// A new id.
    pub fn generate() -> Self {
        UnitId(uuid::Uuid::now_v7())
    }
}

impl std::fmt::Display for UnitId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A unit (参与单位) as stored and shown.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "0190b7e2-8c1a-7cc3-9a51-1f2e3d4c5b6a",
    "name": "区司法局",
    "short_code": "justice",
    "kind": "district_department",
    "categories": ["approval_service", "law_enforcement", "policy_making"],
    "head": null,
    "deputies": [],
    "delegation_allowed": false,
    "active": true,
    "programme_role": "lead",
    "lead_activity": "enforcement",
    "created_at": "2026-11-28T05:00:00Z",
    "updated_at": "2026-11-28T05:00:00Z",
    "version": 1
}))]
pub struct Unit {
    /// Its id.
    pub id: UnitId,
    /// Its name, unique, exactly as the plan writes it.
    pub name: String,
    /// A unique short code (ASCII), for URLs and imports.
    pub short_code: String,
    /// What kind of body it is.
    pub kind: UnitKind,
    /// Its participation categories, in canonical order; empty for the programme's offices.
    pub categories: Vec<Category>,
    /// Its head (一把手), when recorded.
    pub head: Option<Person>,
    /// Deputies who may be delegated (分管负责同志).
    pub deputies: Vec<Person>,
    /// Whether a deputy may take part in the head's place for part of the matters.
    pub delegation_allowed: bool,
    /// Inactive units take no part and are kept for history.
    pub active: bool,
    /// Its part in running the programme, if any.
    pub programme_role: Option<ProgrammeRole>,
    /// The activity it leads or organizes, with `programme_role` `lead` or `organizer`.
    pub lead_activity: Option<Activity>,
    /// When it was created (UTC, RFC 3339).
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// When it last changed (UTC, RFC 3339).
    pub updated_at: chrono::DateTime<chrono::Utc>,
    /// Increases with every change; the `ETag` of the unit.
    pub version: i64,
}
