//! The issue ledger (问题台账, 挂账销号): the kinds and states of an issue (DOMAIN.md "The issue
//! ledger"). Filing a participation opens one issue per finding.

crate::text_enum! {
    /// What an issue is (Annex 2: 发现问题 or 企业群众或一线工作人员反映的需求).
    pub enum IssueKind {
        /// A problem found (发现问题).
        Problem => "problem",
        /// A demand heard from enterprises, citizens or front-line staff (反映的需求).
        Demand => "demand",
    }
}

crate::text_enum! {
    /// Where an issue stands.
    pub enum IssueStatus {
        /// On the ledger (挂账).
        Open => "open",
        /// Measures and deadline set.
        Rectifying => "rectifying",
        /// The unit reported the effect.
        Resolved => "resolved",
        /// Closed (销号) by the lead department or the coordinator.
        Closed => "closed",
    }
}
