//! Participations (参与活动记录): one head's or deputy's experience of an activity, its mandatory
//! segments (环节) with their evidence and findings, and the rules a record must meet to be
//! filed (DOMAIN.md "Activities and their mandatory segments", "Filing"; R3–R6).

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::calendar::{DayCount, WorkCalendar};
use super::ledger::IssueKind;
use super::service_record::three_months_before;
use super::unit::Activity;
use super::Problem;

/// Valid calls a W3 segment needs (R5, 二(一)3: "不少于3次").
pub const MIN_VALID_CALLS: usize = 3;
/// Matters a W2 segment inspects (R6, 二(一)2: "随机抽取2-3项").
pub const INSPECTED_MATTERS: std::ops::RangeInclusive<usize> = 2..=3;

crate::text_enum! {
    /// Where a participation stands.
    pub enum Status {
        /// Being written by the unit; editable.
        Draft => "draft",
        /// Filed with the lead department (备案); waits for acceptance.
        Filed => "filed",
        /// Accepted by the lead department; never edited again, only annotated.
        Accepted => "accepted",
        /// Returned by the lead department with a reason; editable, then filed again.
        Returned => "returned",
    }
}

crate::text_enum! {
    /// A step of a participation's workflow.
    pub enum Action {
        /// draft or returned → filed, by the unit; runs the filing checks (R4–R6).
        File => "file",
        /// filed → accepted, by the lead of the activity.
        Accept => "accept",
        /// filed → returned, with a reason, by the lead of the activity.
        Return => "return",
    }
}

crate::text_enum! {
    /// Who took part.
    pub enum ParticipantKind {
        /// The unit's head (一把手) in person.
        Head => "head",
        /// A deputy (分管负责同志), where the unit allows delegation.
        Deputy => "deputy",
    }
}

/// The state `action` leads to from `from`, or the steps allowed from `from`.
pub fn transition(from: Status, action: Action) -> Result<Status, Vec<Action>> {
    match (from, action) {
        (Status::Draft | Status::Returned, Action::File) => Ok(Status::Filed),
        (Status::Filed, Action::Accept) => Ok(Status::Accepted),
        (Status::Filed, Action::Return) => Ok(Status::Returned),
        _ => Err(allowed(from)),
    }
}

/// The steps allowed from a state.
pub fn allowed(from: Status) -> Vec<Action> {
    match from {
        Status::Draft | Status::Returned => vec![Action::File],
        Status::Filed => vec![Action::Accept, Action::Return],
        Status::Accepted => vec![],
    }
}

/// Whether a record in `status` may be edited: only a draft or a returned one.
pub fn editable(status: Status) -> bool {
    matches!(status, Status::Draft | Status::Returned)
}

/// How the filing deadline is counted (R3): `days` after the activity date, which is day 0, in
/// calendar days or in working days of `calendar`.
#[derive(Clone, Debug)]
pub struct FilingRule {
    /// `FRONTLINE_FILING_DAYS`.
    pub days: u32,
    /// Calendar or working days.
    pub count: DayCount,
    /// The working calendar.
    pub calendar: WorkCalendar,
}

impl FilingRule {
    /// `days` calendar days, the default.
    pub fn calendar_days(days: u32) -> Self {
        FilingRule {
            days,
            count: DayCount::Calendar,
            calendar: WorkCalendar::default(),
        }
    }

    /// The last local date a participation of `activity_on` is filed on time, until the end of
    /// that day.
    pub fn due(&self, activity_on: NaiveDate) -> NaiveDate {
        self.calendar.add(activity_on, self.days, self.count)
    }

    /// Days a filing on `filed_on` is late (0 when on time).
    pub fn late_days(&self, activity_on: NaiveDate, filed_on: NaiveDate) -> i32 {
        super::calendar::days_late(self.due(activity_on), filed_on)
    }
}

crate::text_enum! {
    /// The segments (环节) of the three activities.
    pub enum SegmentType {
        /// W1 参与一次审批服务.
        ApprovalService => "approval_service",
        /// W2 实施一次业务检查.
        BusinessInspection => "business_inspection",
        /// W3 开展一次服务回访.
        FollowUpCalls => "follow_up_calls",
        /// W4 进行一次座谈交流.
        Forum => "forum",
        /// E1 组织一次执法检查.
        Inspection => "inspection",
        /// E2 参与一次执法案件处理.
        CaseHandling => "case_handling",
        /// E3 参与一次行政执法案卷评查.
        CaseFileReview => "case_file_review",
        /// C1 实地体验投诉转办机制.
        DispatchExperience => "dispatch_experience",
        /// C2 针对投诉问题进行分析研究.
        ComplaintAnalysis => "complaint_analysis",
        /// C3 全程参与一次投诉问题处理.
        ComplaintHandling => "complaint_handling",
    }
}

impl SegmentType {
    /// The activity the segment belongs to.
    pub fn activity(self) -> Activity {
        match self {
            SegmentType::ApprovalService
            | SegmentType::BusinessInspection
            | SegmentType::FollowUpCalls
            | SegmentType::Forum => Activity::Window,
            SegmentType::Inspection | SegmentType::CaseHandling | SegmentType::CaseFileReview => {
                Activity::Enforcement
            }
            SegmentType::DispatchExperience
            | SegmentType::ComplaintAnalysis
            | SegmentType::ComplaintHandling => Activity::Complaint,
        }
    }

    /// Its code in DOMAIN.md (W1…C3) and the plan's wording, for messages and the ledger.
    pub fn label(self) -> (&'static str, &'static str, &'static str) {
        match self {
            SegmentType::ApprovalService => ("W1", "参与一次审批服务", "approval service"),
            SegmentType::BusinessInspection => ("W2", "实施一次业务检查", "business inspection"),
            SegmentType::FollowUpCalls => ("W3", "开展一次服务回访", "follow-up calls"),
            SegmentType::Forum => ("W4", "进行一次座谈交流", "forum"),
            SegmentType::Inspection => ("E1", "组织一次执法检查", "enforcement inspection"),
            SegmentType::CaseHandling => ("E2", "参与一次执法案件处理", "case handling"),
            SegmentType::CaseFileReview => ("E3", "参与一次行政执法案卷评查", "case file review"),
            SegmentType::DispatchExperience => {
                ("C1", "实地体验投诉转办机制", "dispatch experience")
            }
            SegmentType::ComplaintAnalysis => {
                ("C2", "针对投诉问题进行分析研究", "complaint analysis")
            }
            SegmentType::ComplaintHandling => {
                ("C3", "全程参与一次投诉问题处理", "complaint handling")
            }
        }
    }
}

/// The mandatory segments of an activity (R4), in the plan's order.
pub fn mandatory(activity: Activity) -> &'static [SegmentType] {
    match activity {
        Activity::Window => &[
            SegmentType::ApprovalService,
            SegmentType::BusinessInspection,
            SegmentType::FollowUpCalls,
            SegmentType::Forum,
        ],
        Activity::Enforcement => &[
            SegmentType::Inspection,
            SegmentType::CaseHandling,
            SegmentType::CaseFileReview,
        ],
        Activity::Complaint => &[
            SegmentType::DispatchExperience,
            SegmentType::ComplaintAnalysis,
            SegmentType::ComplaintHandling,
        ],
    }
}

crate::text_enum! {
    /// How a checked element was found.
    pub enum Rating {
        /// As it should be.
        Ok => "ok",
        /// A problem (record it as a finding too).
        Problem => "problem",
    }
}

crate::text_enum! {
    /// The five-level satisfaction scale (非常满意、满意、基本满意、不满意、非常不满意).
    pub enum Satisfaction {
        /// 非常满意.
        VerySatisfied => "very_satisfied",
        /// 满意.
        Satisfied => "satisfied",
        /// 基本满意.
        FairlySatisfied => "fairly_satisfied",
        /// 不满意.
        Dissatisfied => "dissatisfied",
        /// 非常不满意.
        VeryDissatisfied => "very_dissatisfied",
    }
}

/// A finding: a problem found or a demand heard; on filing it becomes one ledger issue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "problem", "description": "服务指南未列明容缺受理材料", "measure": "三日内修订服务指南并上墙公示", "immediate": true}))]
pub struct Finding {
    /// Its stable id: omit it on a new finding (the server assigns one) and send it back
    /// unchanged to keep the finding when editing.
    #[schema(format = Uuid)]
    #[serde(default)]
    pub id: Option<String>,
    /// Problem (发现问题) or demand (反映的需求).
    pub kind: IssueKind,
    /// What was found or asked for, 1–1000 characters.
    pub description: String,
    /// The measure proposed (拟采取的解决措施), up to 1000 characters.
    #[serde(default)]
    pub measure: Option<String>,
    /// Whether it can be fixed at once (立行立改).
    #[serde(default)]
    pub immediate: bool,
    /// Read-only: the ledger issue it became on filing (ignored on input).
    #[schema(format = Uuid, read_only)]
    #[serde(default)]
    pub issue_id: Option<String>,
}

/// Declares a segment's body: its own fields, then the fields every segment has (notes,
/// findings, links).
macro_rules! segment {
    ($(#[$m:meta])* $name:ident { $($(#[$fm:meta])* $f:ident : $t:ty),* $(,)? }) => {
        #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
        #[serde(deny_unknown_fields)]
        $(#[$m])*
        pub struct $name {
            $($(#[$fm])* pub $f: $t,)*
            /// Free notes, up to 2000 characters.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub notes: Option<String>,
            /// Problems found and demands heard in this segment (at most 50).
            #[serde(default)]
            pub findings: Vec<Finding>,
            /// Links to evidence: http or https URLs, validated, never fetched (at most 20).
            #[serde(default)]
            pub links: Vec<String>,
        }
    };
}

crate::text_enum! {
    /// W1: as whom the participant took part.
    pub enum ServiceRole {
        /// 走流程: as an applicant.
        Applicant => "applicant",
        /// 坐窗口: as a clerk at the window.
        Clerk => "clerk",
    }
}

crate::text_enum! {
    /// W1: how an applicant went through the process.
    pub enum ServiceMethod {
        /// 亲身办.
        InPerson => "in_person",
        /// 代理办.
        Proxy => "proxy",
        /// 陪同办.
        Accompany => "accompany",
    }
}

crate::text_enum! {
    /// W1: offline at the hall or online.
    pub enum Channel {
        /// 线下.
        Offline => "offline",
        /// 线上.
        Online => "online",
    }
}

crate::text_enum! {
    /// W1: the elements an applicant checks; the first nine offline, the last five online.
    pub enum ServiceElement {
        /// 咨询引导.
        ConsultationGuidance => "consultation_guidance",
        /// 服务指南.
        ServiceGuide => "service_guide",
        /// 办事秩序.
        Order => "order",
        /// 首问负责.
        FirstInquiry => "first_inquiry",
        /// 一次性告知.
        OneTimeNotification => "one_time_notification",
        /// 表格设置.
        FormDesign => "form_design",
        /// 自助办理.
        SelfService => "self_service",
        /// 事项审批.
        Approval => "approval",
        /// 办理办结.
        Completion => "completion",
        /// 模块设置.
        ModuleLayout => "module_layout",
        /// 注册登录.
        Registration => "registration",
        /// 明细填写.
        DetailEntry => "detail_entry",
        /// 提交申请.
        Submission => "submission",
        /// 结果反馈.
        ResultFeedback => "result_feedback",
    }
}

impl ServiceElement {
    /// The channel the element belongs to.
    pub fn channel(self) -> Channel {
        match self {
            ServiceElement::ModuleLayout
            | ServiceElement::Registration
            | ServiceElement::DetailEntry
            | ServiceElement::Submission
            | ServiceElement::ResultFeedback => Channel::Online,
            _ => Channel::Offline,
        }
    }
}

/// W1: one checked element.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ElementCheck {
    /// The element.
    pub element: ServiceElement,
    /// How it was found.
    pub rating: Rating,
    /// What was seen, up to 1000 characters.
    #[serde(default)]
    pub note: Option<String>,
}

/// W1 as clerk: the matter's figures, compared with the best known nationally.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClerkFigures {
    /// Required documents (要件数量).
    pub documents: u32,
    /// Steps (办理环节).
    pub steps: u32,
    /// Time limit in working days (办理时限).
    pub time_limit_days: u32,
    /// Trips the applicant makes (跑动次数).
    pub trips: u32,
    /// Whether it can be done online (网上办理).
    pub online: bool,
    /// The best known figures nationally, for comparison (全国最优).
    #[serde(default)]
    pub best_known: Option<BestKnown>,
}

/// The best known figures of a matter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BestKnown {
    /// Required documents.
    #[serde(default)]
    pub documents: Option<u32>,
    /// Steps.
    #[serde(default)]
    pub steps: Option<u32>,
    /// Time limit in working days.
    #[serde(default)]
    pub time_limit_days: Option<u32>,
    /// Trips.
    #[serde(default)]
    pub trips: Option<u32>,
    /// Where: the city or province that does best, up to 200 characters.
    #[serde(default)]
    pub source: Option<String>,
}

segment! {
    /// W1 `approval_service` 参与一次审批服务: as applicant (走流程) with method, channel and the
    /// checked elements, or as clerk (坐窗口) with the matter's figures.
    #[schema(example = json!({"role": "applicant", "method": "in_person", "channel": "offline", "checks": [{"element": "service_guide", "rating": "problem", "note": "服务指南未列明容缺材料"}, {"element": "one_time_notification", "rating": "ok"}]}))]
    ApprovalService {
        /// As applicant or clerk.
        role: ServiceRole,
        /// The matter gone through (a catalogue id of the unit).
        #[schema(format = Uuid)]
        #[serde(default)]
        matter_id: Option<String>,
        /// Applicant: how (亲身办, 代理办, 陪同办).
        #[serde(default)]
        method: Option<ServiceMethod>,
        /// Applicant: offline or online.
        #[serde(default)]
        channel: Option<Channel>,
        /// Applicant: the elements checked, each once, of the channel's list.
        #[serde(default)]
        checks: Vec<ElementCheck>,
        /// Clerk: the matter's figures.
        #[serde(default)]
        figures: Option<ClerkFigures>,
    }
}

crate::text_enum! {
    /// W2: what a business inspection looks at.
    pub enum InspectionAspect {
        /// 受理条件.
        AcceptanceConditions => "acceptance_conditions",
        /// 办理流程.
        Procedure => "procedure",
        /// 现场服务指南.
        ServiceGuide => "service_guide",
        /// 智能客服.
        SmartService => "smart_service",
        /// "政策通".
        PolicyService => "policy_service",
        /// 网上咨询.
        ConsultationOnline => "consultation_online",
        /// 电话咨询.
        ConsultationPhone => "consultation_phone",
        /// 现场咨询.
        ConsultationOnSite => "consultation_on_site",
    }
}

/// W2: one aspect checked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InspectionCheck {
    /// The aspect.
    pub aspect: InspectionAspect,
    /// How it was found.
    pub rating: Rating,
    /// What was seen, up to 1000 characters.
    #[serde(default)]
    pub note: Option<String>,
}

segment! {
    /// W2 `business_inspection` 实施一次业务检查: 2 to 3 matters drawn at random (R6) and the
    /// aspects checked.
    #[schema(example = json!({"draw_id": "0190b7e2-8c1a-7cc3-9a51-1f2e3d4c5b6a", "matter_ids": ["0190b7e2-8c1a-7cc3-9a51-1f2e3d4c5b6b", "0190b7e2-8c1a-7cc3-9a51-1f2e3d4c5b6c"], "checks": [{"aspect": "acceptance_conditions", "rating": "ok"}]}))]
    BusinessInspection {
        /// The `inspection_matters` draw of the unit that chose the matters.
        #[schema(format = Uuid)]
        #[serde(default)]
        draw_id: Option<String>,
        /// The matters inspected: exactly the draw's result.
        #[serde(default)]
        matter_ids: Vec<String>,
        /// The aspects checked, each once.
        #[serde(default)]
        checks: Vec<InspectionCheck>,
    }
}

/// W3: the three ratings a reached person gives.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallRatings {
    /// Staff attitude and ability (工作人员服务态度和能力).
    pub staff: Satisfaction,
    /// The process and complaint channels (办事流程和投诉渠道).
    pub process: Satisfaction,
    /// The overall experience (总体感受).
    pub overall: Satisfaction,
}

/// W3: one follow-up call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Call {
    /// The person called: a service record of the unit (its phone stays there).
    #[schema(format = Uuid)]
    pub service_record_id: String,
    /// When the call was made (RFC 3339; not in the future).
    pub called_at: DateTime<Utc>,
    /// Whether the call got through (接通).
    pub reached: bool,
    /// Whether the person answered the questions (配合回访).
    pub answered: bool,
    /// The ratings: required when answered, absent otherwise.
    #[serde(default)]
    pub ratings: Option<CallRatings>,
    /// What the person said, up to 1000 characters.
    #[serde(default)]
    pub remarks: Option<String>,
}

segment! {
    /// W3 `follow_up_calls` 开展一次服务回访: calls to people served in the 3 months before;
    /// at least 3 valid (reached and answered) to distinct people (R5).
    #[schema(example = json!({"calls": [{"service_record_id": "0190b7e2-8c1a-7cc3-9a51-1f2e3d4c5b6a", "called_at": "2026-11-20T02:30:00Z", "reached": true, "answered": true, "ratings": {"staff": "very_satisfied", "process": "satisfied", "overall": "satisfied"}, "remarks": "希望增加午间办理"}]}))]
    FollowUpCalls {
        /// The `follow_up_contacts` draw of the unit the people were taken from, if one was made.
        #[schema(format = Uuid)]
        #[serde(default)]
        draw_id: Option<String>,
        /// The calls (at most 50).
        #[serde(default)]
        calls: Vec<Call>,
    }
}

crate::text_enum! {
    /// W4: who attended.
    pub enum AttendeeGroup {
        /// Staff of the approval department (审批部门工作人员).
        ApprovalStaff => "approval_staff",
        /// Enterprise representatives (企业代表).
        Enterprise => "enterprise",
        /// Citizen representatives (群众代表).
        Citizen => "citizen",
        /// Others.
        Other => "other",
    }
}

/// W4: attendees of one group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Attendees {
    /// The group.
    pub group: AttendeeGroup,
    /// How many, 1–1000.
    pub count: u32,
    /// Their names (optional, at most `count`).
    #[serde(default)]
    pub names: Vec<String>,
}

crate::text_enum! {
    /// W4: what the forum discussed.
    pub enum ForumTopic {
        /// 改革任务落实.
        ReformTasks => "reform_tasks",
        /// 事项进厅.
        HallEntry => "hall_entry",
        /// "两减一即".
        TwoReductionsOneImmediate => "two_reductions_one_immediate",
        /// "一网通办".
        OneNetwork => "one_network",
        /// 跨部门协调.
        CrossDepartment => "cross_department",
        /// 业务指导.
        Guidance => "guidance",
        /// Other topics (say which in the notes).
        Other => "other",
    }
}

segment! {
    /// W4 `forum` 进行一次座谈交流: attendees from the approval department and representatives
    /// of enterprises or citizens, topics, problems raised and measures decided.
    #[schema(example = json!({"attendees": [{"group": "approval_staff", "count": 4}, {"group": "enterprise", "count": 6, "names": ["陕西某科技有限公司 王经理"]}], "topics": ["one_network"], "problems": ["跨部门材料重复提交"], "measures": ["建立材料共享清单"]}))]
    Forum {
        /// Attendees by group.
        #[serde(default)]
        attendees: Vec<Attendees>,
        /// Topics.
        #[serde(default)]
        topics: Vec<ForumTopic>,
        /// Problems raised (each up to 1000 characters, at most 50).
        #[serde(default)]
        problems: Vec<String>,
        /// Measures decided (each up to 1000 characters, at most 50).
        #[serde(default)]
        measures: Vec<String>,
    }
}

crate::text_enum! {
    /// E1: what an enforcement inspection looks at.
    pub enum EnforcementAspect {
        /// 行政执法公示.
        Publicity => "publicity",
        /// 执法全过程记录.
        FullRecording => "full_recording",
        /// 重大执法决定法制审核.
        LegalReview => "legal_review",
        /// 随机抽取检查对象.
        RandomTargets => "random_targets",
        /// 随机选派执法检查人员.
        RandomInspectors => "random_inspectors",
        /// 抽查情况及查处结果及时公开.
        ResultsPublic => "results_public",
        /// 执法方式.
        Manner => "manner",
        /// 执法态度.
        Attitude => "attitude",
        /// 公正执法.
        Fairness => "fairness",
        /// 自由裁量.
        Discretion => "discretion",
    }
}

/// E1: one aspect checked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnforcementCheck {
    /// The aspect.
    pub aspect: EnforcementAspect,
    /// How it was found.
    pub rating: Rating,
    /// What was seen, up to 1000 characters.
    #[serde(default)]
    pub note: Option<String>,
}

segment! {
    /// E1 `inspection` 组织一次执法检查: one inspection picked at random, looking at the three
    /// enforcement systems (publicity, full recording, legal review), 双随机、一公开, manner,
    /// attitude, fairness and discretion.
    #[schema(example = json!({"target": "某餐饮企业食品安全检查", "checks": [{"aspect": "publicity", "rating": "ok"}, {"aspect": "full_recording", "rating": "ok"}, {"aspect": "legal_review", "rating": "problem", "note": "未见法制审核记录"}]}))]
    Inspection {
        /// The `inspection_targets` draw it was picked by, if any.
        #[schema(format = Uuid)]
        #[serde(default)]
        draw_id: Option<String>,
        /// What was inspected, up to 500 characters.
        #[serde(default)]
        target: Option<String>,
        /// The aspects checked, each once; the three systems are required to file.
        #[serde(default)]
        checks: Vec<EnforcementCheck>,
    }
}

crate::text_enum! {
    /// E2: the stages of a case followed.
    pub enum CaseStep {
        /// 投诉受理.
        Intake => "intake",
        /// 调查取证.
        Investigation => "investigation",
        /// 制作笔录.
        Record => "record",
        /// 告知.
        Notice => "notice",
        /// 作出处罚决定.
        Decision => "decision",
    }
}

segment! {
    /// E2 `case_handling` 参与一次执法案件处理: a case followed from intake through investigation,
    /// record and notice to whether a penalty is decided.
    #[schema(example = json!({"case_reference": "碑市监罚〔2026〕12号", "steps": ["intake", "investigation", "record", "notice"], "penalty_decided": false, "outcome": "责令限期改正"}))]
    CaseHandling {
        /// The case's reference, up to 200 characters.
        #[serde(default)]
        case_reference: Option<String>,
        /// The stages followed, each once.
        #[serde(default)]
        steps: Vec<CaseStep>,
        /// Whether a penalty decision was made.
        #[serde(default)]
        penalty_decided: Option<bool>,
        /// How it ended, up to 1000 characters.
        #[serde(default)]
        outcome: Option<String>,
    }
}

crate::text_enum! {
    /// E3: the seven stages of a case file (西安市行政处罚案卷评查标准).
    pub enum ReviewStage {
        /// 立案审批.
        CaseFiling => "case_filing",
        /// 调查取证.
        Investigation => "investigation",
        /// 责令改正.
        RectificationOrder => "rectification_order",
        /// 告知听证.
        NoticeHearing => "notice_hearing",
        /// 审查决定.
        ReviewDecision => "review_decision",
        /// 送达执行.
        ServiceExecution => "service_execution",
        /// 立卷归档.
        Archiving => "archiving",
    }
}

/// E3: one stage marked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StageMark {
    /// The stage.
    pub stage: ReviewStage,
    /// Compliant or not.
    pub compliant: bool,
    /// The basis of the mark, 1–1000 characters.
    pub basis: String,
}

/// E3: one case file reviewed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseFile {
    /// The file's reference, 1–200 characters.
    pub reference: String,
    /// The seven stages, each once (all seven to file).
    pub stages: Vec<StageMark>,
    /// The score given, 0–100, if scored.
    #[serde(default)]
    pub score: Option<u32>,
}

segment! {
    /// E3 `case_file_review` 参与一次行政执法案卷评查: case files reviewed, each of the seven
    /// stages marked compliant or not with its basis.
    CaseFileReview {
        /// The case files (at most 20).
        #[serde(default)]
        files: Vec<CaseFile>,
    }
}

crate::text_enum! {
    /// C1: the steps of the work-order flow.
    pub enum DispatchStep {
        /// 派单转办.
        Dispatch => "dispatch",
        /// 问题反馈.
        Feedback => "feedback",
        /// 电话回访.
        Callback => "callback",
    }
}

/// C1: one step experienced.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FlowStep {
    /// The step.
    pub step: DispatchStep,
    /// How it was found.
    pub rating: Rating,
    /// What was seen, up to 1000 characters.
    #[serde(default)]
    pub note: Option<String>,
}

segment! {
    /// C1 `dispatch_experience` 实地体验投诉转办机制: the full work-order flow at the 12345
    /// centre: dispatch, feedback and callback.
    #[schema(example = json!({"work_order": "12345-20261120-0012", "steps": [{"step": "dispatch", "rating": "ok"}, {"step": "feedback", "rating": "ok"}, {"step": "callback", "rating": "problem", "note": "回访未核实办理结果"}]}))]
    DispatchExperience {
        /// The work order followed, up to 100 characters.
        #[serde(default)]
        work_order: Option<String>,
        /// The steps, each once (all three to file).
        #[serde(default)]
        steps: Vec<FlowStep>,
    }
}

/// C2: complaints of one type.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ComplaintCount {
    /// The type, 1–100 characters.
    pub category: String,
    /// How many.
    pub count: u32,
}

segment! {
    /// C2 `complaint_analysis` 针对投诉问题进行分析研究: counts by type, typical cases, causes,
    /// measures and a standing mechanism.
    #[schema(example = json!({"period": "2026-Q3", "counts": [{"category": "占道经营", "count": 42}], "typical_cases": ["某路段夜市噪音扰民"], "causes": ["夜间巡查力量不足"], "measures": ["增设夜间巡查班次"], "mechanism": "每月投诉分析例会"}))]
    ComplaintAnalysis {
        /// The period analysed, up to 50 characters (e.g. `2026-Q3`).
        #[serde(default)]
        period: Option<String>,
        /// Complaint counts by type.
        #[serde(default)]
        counts: Vec<ComplaintCount>,
        /// Typical cases.
        #[serde(default)]
        typical_cases: Vec<String>,
        /// Causes found.
        #[serde(default)]
        causes: Vec<String>,
        /// Measures.
        #[serde(default)]
        measures: Vec<String>,
        /// The standing mechanism (长效机制), up to 1000 characters.
        #[serde(default)]
        mechanism: Option<String>,
    }
}

crate::text_enum! {
    /// C3: how the head handled the complaint in person.
    pub enum HandlingApproach {
        /// 直接协调.
        DirectCoordination => "direct_coordination",
        /// 直接反馈结果.
        DirectFeedback => "direct_feedback",
        /// 直接听取意见.
        DirectHearing => "direct_hearing",
    }
}

segment! {
    /// C3 `complaint_handling` 全程参与一次投诉问题处理: one hard complaint handled in person;
    /// anything still open is a finding (and so a ledger issue).
    #[schema(example = json!({"work_order": "12345-20261118-0231", "approaches": ["direct_coordination", "direct_feedback", "direct_hearing"], "outcome": "协调物业当日恢复供水", "satisfaction": "satisfied", "follow_up_needed": false}))]
    ComplaintHandling {
        /// The work order, up to 100 characters.
        #[serde(default)]
        work_order: Option<String>,
        /// How it was handled.
        #[serde(default)]
        approaches: Vec<HandlingApproach>,
        /// The outcome, up to 1000 characters.
        #[serde(default)]
        outcome: Option<String>,
        /// The complainant's satisfaction.
        #[serde(default)]
        satisfaction: Option<Satisfaction>,
        /// Whether something is still open: then at least one finding carries it.
        #[serde(default)]
        follow_up_needed: bool,
    }
}

/// What a list shows of segments, stored beside them: their types in order, comma-separated,
/// and how many findings they hold (a list of 50 then reads neither segments nor summaries).
pub fn segment_heads(segments: &[Segment]) -> (String, usize) {
    let types: Vec<&str> = segments.iter().map(|s| s.kind().as_str()).collect();
    let findings = segments.iter().map(|s| s.findings().len()).sum();
    (types.join(","), findings)
}

/// The segment types [`segment_heads`] stored; `None` when one is not a segment type.
pub fn parse_segment_types(stored: &str) -> Option<Vec<SegmentType>> {
    if stored.is_empty() {
        return Some(Vec::new());
    }
    stored.split(',').map(|t| t.parse().ok()).collect()
}

/// A segment: a tagged union on `type`.
// Read by the `Deserialize` impl below, not derived.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Segment {
    /// W1.
    ApprovalService(ApprovalService),
    /// W2.
    BusinessInspection(BusinessInspection),
    /// W3.
    FollowUpCalls(FollowUpCalls),
    /// W4.
    Forum(Forum),
    /// E1.
    Inspection(Inspection),
    /// E2.
    CaseHandling(CaseHandling),
    /// E3.
    CaseFileReview(CaseFileReview),
    /// C1.
    DispatchExperience(DispatchExperience),
    /// C2.
    ComplaintAnalysis(ComplaintAnalysis),
    /// C3.
    ComplaintHandling(ComplaintHandling),
}

/// Reads a segment. serde's derived reading of an internally tagged enum buffers every
/// segment whole (as `Content`) before it knows the type, then reads the buffer: 10 % of a
/// `GET /participations/{id}` (benches/RESULTS.md, fifth pass). Segments are written with
/// `type` first, and clients mostly send them so: then the rest of the object is read straight
/// into the type's struct (with the path of a field at fault known to the caller). Otherwise
/// the object is gathered first, as serde does.
impl<'de> Deserialize<'de> for Segment {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(SegmentVisitor)
    }
}

struct SegmentVisitor;

impl<'de> serde::de::Visitor<'de> for SegmentVisitor {
    type Value = Segment;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a segment: an object with its `type`")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Segment, A::Error> {
        use serde::de::Error;
        let Some(first) = map.next_key::<String>()? else {
            return Err(A::Error::missing_field("type"));
        };
        if first == "type" {
            let kind: SegmentType = map.next_value()?;
            return Segment::of_type(kind, serde::de::value::MapAccessDeserializer::new(map));
        }
        let mut fields = serde_json::Map::new();
        fields.insert(first, map.next_value()?);
        while let Some((k, v)) = map.next_entry::<String, serde_json::Value>()? {
            fields.insert(k, v);
        }
        let kind = fields
            .remove("type")
            .ok_or_else(|| A::Error::missing_field("type"))?;
        let kind = SegmentType::deserialize(kind).map_err(A::Error::custom)?;
        Segment::of_type(kind, serde_json::Value::Object(fields)).map_err(A::Error::custom)
    }
}

impl Segment {
    /// Reads the segment of type `kind` from its other fields.
    fn of_type<'de, D: serde::Deserializer<'de>>(
        kind: SegmentType,
        d: D,
    ) -> Result<Self, D::Error> {
        Ok(match kind {
            SegmentType::ApprovalService => Segment::ApprovalService(Deserialize::deserialize(d)?),
            SegmentType::BusinessInspection => {
                Segment::BusinessInspection(Deserialize::deserialize(d)?)
            }
            SegmentType::FollowUpCalls => Segment::FollowUpCalls(Deserialize::deserialize(d)?),
            SegmentType::Forum => Segment::Forum(Deserialize::deserialize(d)?),
            SegmentType::Inspection => Segment::Inspection(Deserialize::deserialize(d)?),
            SegmentType::CaseHandling => Segment::CaseHandling(Deserialize::deserialize(d)?),
            SegmentType::CaseFileReview => Segment::CaseFileReview(Deserialize::deserialize(d)?),
            SegmentType::DispatchExperience => {
                Segment::DispatchExperience(Deserialize::deserialize(d)?)
            }
            SegmentType::ComplaintAnalysis => {
                Segment::ComplaintAnalysis(Deserialize::deserialize(d)?)
            }
            SegmentType::ComplaintHandling => {
                Segment::ComplaintHandling(Deserialize::deserialize(d)?)
            }
        })
    }
}

/// Applies `$e` to the body of whichever segment `$s` is, bound as `$b`.
macro_rules! each {
    ($s:expr, $b:ident => $e:expr) => {
        match $s {
            Segment::ApprovalService($b) => $e,
            Segment::BusinessInspection($b) => $e,
            Segment::FollowUpCalls($b) => $e,
            Segment::Forum($b) => $e,
            Segment::Inspection($b) => $e,
            Segment::CaseHandling($b) => $e,
            Segment::CaseFileReview($b) => $e,
            Segment::DispatchExperience($b) => $e,
            Segment::ComplaintAnalysis($b) => $e,
            Segment::ComplaintHandling($b) => $e,
        }
    };
}

impl Segment {
    /// Its type.
    pub fn kind(&self) -> SegmentType {
        match self {
            Segment::ApprovalService(_) => SegmentType::ApprovalService,
            Segment::BusinessInspection(_) => SegmentType::BusinessInspection,
            Segment::FollowUpCalls(_) => SegmentType::FollowUpCalls,
            Segment::Forum(_) => SegmentType::Forum,
            Segment::Inspection(_) => SegmentType::Inspection,
            Segment::CaseHandling(_) => SegmentType::CaseHandling,
            Segment::CaseFileReview(_) => SegmentType::CaseFileReview,
            Segment::DispatchExperience(_) => SegmentType::DispatchExperience,
            Segment::ComplaintAnalysis(_) => SegmentType::ComplaintAnalysis,
            Segment::ComplaintHandling(_) => SegmentType::ComplaintHandling,
        }
    }

    /// Its findings.
    pub fn findings(&self) -> &[Finding] {
        each!(self, b => &b.findings)
    }

    /// Its findings, to assign ids and ledger issues.
    pub fn findings_mut(&mut self) -> &mut Vec<Finding> {
        each!(self, b => &mut b.findings)
    }

    fn notes_and_links(&self) -> (&Option<String>, &[String]) {
        each!(self, b => (&b.notes, &b.links))
    }

    /// The catalogue ids it names (W1's matter, W2's matters).
    pub fn matter_ids(&self) -> Vec<&str> {
        match self {
            Segment::ApprovalService(b) => b.matter_id.iter().map(String::as_str).collect(),
            Segment::BusinessInspection(b) => b.matter_ids.iter().map(String::as_str).collect(),
            _ => Vec::new(),
        }
    }

    /// The draw it names, with the purpose that draw must have.
    pub fn draw(&self) -> Option<(&str, &'static str)> {
        match self {
            Segment::BusinessInspection(b) => {
                b.draw_id.as_deref().map(|d| (d, "inspection_matters"))
            }
            Segment::FollowUpCalls(b) => b.draw_id.as_deref().map(|d| (d, "follow_up_contacts")),
            Segment::Inspection(b) => b.draw_id.as_deref().map(|d| (d, "inspection_targets")),
            _ => None,
        }
    }

    /// The draw it names, to be set (an import names a draw by its external reference).
    pub fn draw_id_mut(&mut self) -> Option<&mut String> {
        match self {
            Segment::BusinessInspection(b) => b.draw_id.as_mut(),
            Segment::FollowUpCalls(b) => b.draw_id.as_mut(),
            Segment::Inspection(b) => b.draw_id.as_mut(),
            _ => None,
        }
    }

    /// The matters it names, to be set (an import names them by their external references).
    pub fn matter_ids_mut(&mut self) -> Vec<&mut String> {
        match self {
            Segment::ApprovalService(b) => b.matter_id.iter_mut().collect(),
            Segment::BusinessInspection(b) => b.matter_ids.iter_mut().collect(),
            _ => Vec::new(),
        }
    }

    /// The service records its calls name, to be set.
    pub fn contacts_mut(&mut self) -> Vec<&mut String> {
        match self {
            Segment::FollowUpCalls(b) => b
                .calls
                .iter_mut()
                .map(|c| &mut c.service_record_id)
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The service records its calls name.
    pub fn contacts(&self) -> Vec<&str> {
        match self {
            Segment::FollowUpCalls(b) => b
                .calls
                .iter()
                .map(|c| c.service_record_id.as_str())
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// Collects problems under a path prefix.
struct Check<'a> {
    prefix: &'a str,
    out: Vec<Problem>,
}

impl Check<'_> {
    fn push(&mut self, field: &str, code: &'static str, zh: String, en: String) {
        let field = if field.is_empty() {
            self.prefix.to_owned()
        } else {
            format!("{}.{field}", self.prefix)
        };
        self.out.push(Problem::new(field, code, zh, en));
    }

    fn text(&mut self, field: &str, value: Option<&str>, max: usize) {
        if let Some(v) = value {
            let n = v.chars().count();
            if v.trim().is_empty() {
                self.push(
                    field,
                    "blank",
                    "不能为空".into(),
                    "must not be blank".into(),
                );
            } else if n > max {
                self.push(
                    field,
                    "length",
                    format!("不超过 {max} 个字符"),
                    format!("at most {max} characters"),
                );
            }
        }
    }

    fn texts(&mut self, field: &str, values: &[String], max_items: usize, max: usize) {
        self.items(field, values.len(), max_items);
        for (i, v) in values.iter().enumerate() {
            self.text(&format!("{field}[{i}]"), Some(v), max);
        }
    }

    fn items(&mut self, field: &str, n: usize, max_items: usize) {
        if n > max_items {
            self.push(
                field,
                "too_many",
                format!("至多 {max_items} 项"),
                format!("at most {max_items} items"),
            );
        }
    }

    fn unique<T: Ord + std::fmt::Display>(&mut self, field: &str, values: impl Iterator<Item = T>) {
        let mut seen = BTreeSet::new();
        for v in values {
            let text = v.to_string();
            if !seen.insert(v) {
                self.push(
                    field,
                    "duplicate",
                    format!("{text} 重复"),
                    format!("{text} appears twice"),
                );
            }
        }
    }

    fn missing(&mut self, field: &str, zh: &str, en: &str) {
        self.push(
            field,
            "incomplete_segment",
            format!("{zh}（R4：环节须完整）"),
            format!("{en} (R4: the segment must be complete)"),
        );
    }
}

const TEXT: usize = 1000;
const LONG_TEXT: usize = 2000;

/// Whether `link` is an absolute http or https URL with a host.
pub fn valid_link(link: &str) -> bool {
    link.len() <= 2000
        && url::Url::parse(link)
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
}

/// The problems of a segment's shape, checked whenever it is saved: lengths, counts,
/// duplicates, links, and fields that contradict each other. `now` bounds call times;
/// `max_calls` is the most follow-up calls a segment holds.
pub fn shape_problems(
    index: usize,
    segment: &Segment,
    now: DateTime<Utc>,
    max_calls: usize,
) -> Vec<Problem> {
    let prefix = format!("segments[{index}]");
    let mut c = Check {
        prefix: &prefix,
        out: Vec::new(),
    };
    let (notes, links) = segment.notes_and_links();
    c.text("notes", notes.as_deref(), LONG_TEXT);
    c.items("links", links.len(), 20);
    for (i, l) in links.iter().enumerate() {
        if !valid_link(l) {
            c.push(
                &format!("links[{i}]"),
                "invalid_url",
                "须为 http 或 https 网址".into(),
                "must be an http or https URL".into(),
            );
        }
    }
    c.items("findings", segment.findings().len(), 50);
    for (i, f) in segment.findings().iter().enumerate() {
        c.text(
            &format!("findings[{i}].description"),
            Some(&f.description),
            TEXT,
        );
        c.text(
            &format!("findings[{i}].measure"),
            f.measure.as_deref(),
            TEXT,
        );
    }
    match segment {
        Segment::ApprovalService(b) => {
            c.items("checks", b.checks.len(), 20);
            c.unique("checks", b.checks.iter().map(|x| x.element));
            for (i, x) in b.checks.iter().enumerate() {
                c.text(&format!("checks[{i}].note"), x.note.as_deref(), TEXT);
                if let Some(ch) = b.channel {
                    if x.element.channel() != ch {
                        c.push(
                            &format!("checks[{i}].element"),
                            "wrong_channel",
                            format!("{} 不属于{}办理的检查要素", x.element, ch),
                            format!("{} is not an element of the {} channel", x.element, ch),
                        );
                    }
                }
            }
            match b.role {
                ServiceRole::Applicant if b.figures.is_some() => c.push(
                    "figures",
                    "not_allowed",
                    "办件数据只由坐窗口者填写".into(),
                    "figures are for the clerk role".into(),
                ),
                ServiceRole::Clerk if b.method.is_some() || !b.checks.is_empty() => c.push(
                    "role",
                    "not_allowed",
                    "坐窗口不填写办理方式和检查要素".into(),
                    "a clerk records figures, not a method or element checks".into(),
                ),
                _ => {}
            }
            if let Some(best) = b.figures.as_ref().and_then(|f| f.best_known.as_ref()) {
                c.text("figures.best_known.source", best.source.as_deref(), 200);
            }
        }
        Segment::BusinessInspection(b) => {
            c.items("matter_ids", b.matter_ids.len(), 3);
            c.unique("matter_ids", b.matter_ids.iter());
            c.unique("checks", b.checks.iter().map(|x| x.aspect));
            for (i, x) in b.checks.iter().enumerate() {
                c.text(&format!("checks[{i}].note"), x.note.as_deref(), TEXT);
            }
        }
        Segment::FollowUpCalls(b) => {
            c.items("calls", b.calls.len(), max_calls);
            for (i, call) in b.calls.iter().enumerate() {
                let at = format!("calls[{i}]");
                c.text(&format!("{at}.remarks"), call.remarks.as_deref(), TEXT);
                if call.called_at > now + chrono::Duration::minutes(5) {
                    c.push(
                        &format!("{at}.called_at"),
                        "in_future",
                        "不能晚于当前时间".into(),
                        "must not be in the future".into(),
                    );
                }
                if call.answered && !call.reached {
                    c.push(
                        &format!("{at}.answered"),
                        "contradiction",
                        "未接通的电话不能记为已回答".into(),
                        "a call not reached cannot be answered".into(),
                    );
                }
                match (call.answered, &call.ratings) {
                    (true, None) => c.push(
                        &format!("{at}.ratings"),
                        "required",
                        "已回答的回访须记录三项评价".into(),
                        "an answered call records the three ratings".into(),
                    ),
                    (false, Some(_)) => c.push(
                        &format!("{at}.ratings"),
                        "not_allowed",
                        "未回答的回访没有评价".into(),
                        "a call not answered has no ratings".into(),
                    ),
                    _ => {}
                }
            }
        }
        Segment::Forum(b) => {
            c.items("attendees", b.attendees.len(), 10);
            c.unique("attendees", b.attendees.iter().map(|a| a.group));
            for (i, a) in b.attendees.iter().enumerate() {
                if a.count == 0 || a.count > 1000 {
                    c.push(
                        &format!("attendees[{i}].count"),
                        "out_of_range",
                        "须在 1 到 1000 之间".into(),
                        "must be from 1 to 1000".into(),
                    );
                }
                if a.names.len() > a.count as usize {
                    c.push(
                        &format!("attendees[{i}].names"),
                        "too_many",
                        "姓名数多于人数".into(),
                        "more names than the count".into(),
                    );
                }
                c.texts(&format!("attendees[{i}].names"), &a.names, 1000, 100);
            }
            c.unique("topics", b.topics.iter());
            c.texts("problems", &b.problems, 50, TEXT);
            c.texts("measures", &b.measures, 50, TEXT);
        }
        Segment::Inspection(b) => {
            c.text("target", b.target.as_deref(), 500);
            c.unique("checks", b.checks.iter().map(|x| x.aspect));
            for (i, x) in b.checks.iter().enumerate() {
                c.text(&format!("checks[{i}].note"), x.note.as_deref(), TEXT);
            }
        }
        Segment::CaseHandling(b) => {
            c.text("case_reference", b.case_reference.as_deref(), 200);
            c.unique("steps", b.steps.iter());
            c.text("outcome", b.outcome.as_deref(), TEXT);
        }
        Segment::CaseFileReview(b) => {
            c.items("files", b.files.len(), 20);
            for (i, f) in b.files.iter().enumerate() {
                c.text(&format!("files[{i}].reference"), Some(&f.reference), 200);
                c.unique(
                    &format!("files[{i}].stages"),
                    f.stages.iter().map(|s| s.stage),
                );
                for (j, s) in f.stages.iter().enumerate() {
                    c.text(
                        &format!("files[{i}].stages[{j}].basis"),
                        Some(&s.basis),
                        TEXT,
                    );
                }
                if f.score.is_some_and(|s| s > 100) {
                    c.push(
                        &format!("files[{i}].score"),
                        "out_of_range",
                        "须在 0 到 100 之间".into(),
                        "must be from 0 to 100".into(),
                    );
                }
            }
        }
        Segment::DispatchExperience(b) => {
            c.text("work_order", b.work_order.as_deref(), 100);
            c.unique("steps", b.steps.iter().map(|s| s.step));
            for (i, x) in b.steps.iter().enumerate() {
                c.text(&format!("steps[{i}].note"), x.note.as_deref(), TEXT);
            }
        }
        Segment::ComplaintAnalysis(b) => {
            c.text("period", b.period.as_deref(), 50);
            c.items("counts", b.counts.len(), 50);
            for (i, x) in b.counts.iter().enumerate() {
                c.text(&format!("counts[{i}].category"), Some(&x.category), 100);
            }
            c.texts("typical_cases", &b.typical_cases, 50, TEXT);
            c.texts("causes", &b.causes, 50, TEXT);
            c.texts("measures", &b.measures, 50, TEXT);
            c.text("mechanism", b.mechanism.as_deref(), TEXT);
        }
        Segment::ComplaintHandling(b) => {
            c.text("work_order", b.work_order.as_deref(), 100);
            c.unique("approaches", b.approaches.iter());
            c.text("outcome", b.outcome.as_deref(), TEXT);
        }
    }
    c.out
}

/// What a segment lacks to count as present (R4), beyond its shape.
fn completeness_problems(index: usize, segment: &Segment) -> Vec<Problem> {
    let prefix = format!("segments[{index}]");
    let mut c = Check {
        prefix: &prefix,
        out: Vec::new(),
    };
    match segment {
        Segment::ApprovalService(b) => match b.role {
            ServiceRole::Applicant => {
                if b.method.is_none() {
                    c.missing(
                        "method",
                        "走流程须写明办理方式",
                        "an applicant's method is required",
                    );
                }
                if b.channel.is_none() {
                    c.missing(
                        "channel",
                        "走流程须写明线上或线下",
                        "an applicant's channel is required",
                    );
                }
                if b.checks.is_empty() {
                    c.missing(
                        "checks",
                        "走流程须逐项检查办事要素",
                        "an applicant checks the elements",
                    );
                }
            }
            ServiceRole::Clerk => {
                if b.figures.is_none() {
                    c.missing(
                        "figures",
                        "坐窗口须记录要件、环节、时限、跑动次数和网办情况",
                        "a clerk records the figures",
                    );
                }
            }
        },
        // Its matters and draw are R6's; the checks are what makes it an inspection.
        Segment::BusinessInspection(b) => {
            if b.checks.is_empty() {
                c.missing(
                    "checks",
                    "业务检查须记录检查内容",
                    "the inspection's checks are required",
                );
            }
        }
        // Its calls are R5's.
        Segment::FollowUpCalls(_) => {}
        Segment::Forum(b) => {
            if !b
                .attendees
                .iter()
                .any(|a| a.group == AttendeeGroup::ApprovalStaff)
            {
                c.missing(
                    "attendees",
                    "座谈须有审批部门工作人员参加",
                    "approval staff must attend",
                );
            }
            if !b
                .attendees
                .iter()
                .any(|a| matches!(a.group, AttendeeGroup::Enterprise | AttendeeGroup::Citizen))
            {
                c.missing(
                    "attendees",
                    "座谈须有企业或群众代表参加",
                    "enterprise or citizen representatives must attend",
                );
            }
            if b.topics.is_empty() {
                c.missing("topics", "座谈须记录交流内容", "the topics are required");
            }
        }
        Segment::Inspection(b) => {
            if b.target.is_none() {
                c.missing("target", "须写明检查对象", "the target is required");
            }
            for (aspect, zh) in [
                (EnforcementAspect::Publicity, "行政执法公示"),
                (EnforcementAspect::FullRecording, "执法全过程记录"),
                (EnforcementAspect::LegalReview, "重大执法决定法制审核"),
            ] {
                if !b.checks.iter().any(|x| x.aspect == aspect) {
                    c.missing(
                        "checks",
                        &format!("须检查行政执法三项制度：{zh}"),
                        &format!("the three enforcement systems: {aspect} is not checked"),
                    );
                }
            }
        }
        Segment::CaseHandling(b) => {
            if b.case_reference.is_none() {
                c.missing(
                    "case_reference",
                    "须写明案件",
                    "the case reference is required",
                );
            }
            if b.steps.is_empty() {
                c.missing(
                    "steps",
                    "须记录参与的办案环节",
                    "the stages followed are required",
                );
            }
            if b.penalty_decided.is_none() {
                c.missing(
                    "penalty_decided",
                    "须写明是否作出处罚决定",
                    "whether a penalty was decided is required",
                );
            }
        }
        Segment::CaseFileReview(b) => {
            if b.files.is_empty() {
                c.missing(
                    "files",
                    "须评查至少一份案卷",
                    "at least one case file is reviewed",
                );
            }
            for (i, f) in b.files.iter().enumerate() {
                let marked: HashSet<ReviewStage> = f.stages.iter().map(|s| s.stage).collect();
                for stage in ReviewStage::ALL.iter().filter(|s| !marked.contains(s)) {
                    c.missing(
                        &format!("files[{i}].stages"),
                        &format!("案卷 {} 未评查环节 {stage}", f.reference),
                        &format!("case file {}: stage {stage} is not marked", f.reference),
                    );
                }
            }
        }
        Segment::DispatchExperience(b) => {
            let seen: HashSet<DispatchStep> = b.steps.iter().map(|s| s.step).collect();
            for step in DispatchStep::ALL.iter().filter(|s| !seen.contains(s)) {
                c.missing(
                    "steps",
                    &format!("须体验工单流程的每一步：缺 {step}"),
                    &format!("every step of the work-order flow: {step} is missing"),
                );
            }
        }
        Segment::ComplaintAnalysis(b) => {
            if b.counts.is_empty() {
                c.missing(
                    "counts",
                    "须记录投诉数量和类型",
                    "complaint counts by type are required",
                );
            }
            if b.causes.is_empty() {
                c.missing("causes", "须分析原因", "the causes are required");
            }
            if b.measures.is_empty() {
                c.missing("measures", "须提出措施", "the measures are required");
            }
        }
        Segment::ComplaintHandling(b) => {
            if b.work_order.is_none() {
                c.missing("work_order", "须写明工单", "the work order is required");
            }
            if b.approaches.is_empty() {
                c.missing(
                    "approaches",
                    "须写明如何亲自处理",
                    "how it was handled is required",
                );
            }
            if b.outcome.is_none() {
                c.missing("outcome", "须写明处理结果", "the outcome is required");
            }
            if b.follow_up_needed && b.findings.is_empty() {
                c.missing(
                    "findings",
                    "仍需跟进的投诉须作为问题记入台账",
                    "a complaint still open is recorded as a finding for the ledger",
                );
            }
        }
    }
    c.out
}

/// R4: every mandatory segment of `activity` is present and complete.
pub fn r4_problems(activity: Activity, segments: &[Segment]) -> Vec<Problem> {
    let mut out = Vec::new();
    for t in mandatory(activity) {
        if !segments.iter().any(|s| s.kind() == *t) {
            let (code, zh, en) = t.label();
            out.push(Problem::new(
                "segments",
                "missing_segment",
                format!("缺少必备环节 {code} {zh}（{t}）（R4）"),
                format!("the mandatory segment {code} {en} ({t}) is missing (R4)"),
            ));
        }
    }
    for (i, s) in segments.iter().enumerate() {
        out.extend(completeness_problems(i, s));
    }
    out
}

/// What R5 needs to know of a service record.
#[derive(Clone, Debug)]
pub struct ContactFacts {
    /// Its unit.
    pub unit_id: String,
    /// When the person was served.
    pub served_on: NaiveDate,
}

/// Whether a call counts for R5: reached and answered, to a service record of `unit_id`
/// served from three months before the call's local date up to that date.
pub fn valid_call(call: &Call, contact: Option<&ContactFacts>, unit_id: &str) -> bool {
    let day = super::calendar::local_date(call.called_at);
    call.reached
        && call.answered
        && contact.is_some_and(|c| {
            c.unit_id == unit_id && three_months_before(day) <= c.served_on && c.served_on <= day
        })
}

/// R5 for the W3 segment at `index`: at least [`MIN_VALID_CALLS`] valid calls to distinct
/// people.
pub fn r5_problems(
    index: usize,
    segment: &FollowUpCalls,
    contacts: &HashMap<String, ContactFacts>,
    unit_id: &str,
) -> Vec<Problem> {
    let valid: BTreeSet<&str> = segment
        .calls
        .iter()
        .filter(|c| valid_call(c, contacts.get(&c.service_record_id), unit_id))
        .map(|c| c.service_record_id.as_str())
        .collect();
    if valid.len() >= MIN_VALID_CALLS {
        return Vec::new();
    }
    vec![Problem::new(
        format!("segments[{index}].calls"),
        "too_few_valid_calls",
        format!(
            "有效回访 {} 次，不足 {MIN_VALID_CALLS} 次：有效回访须接通并回答，对象为本单位近3个月内服务过的企业群众，同一对象只计一次（R5）",
            valid.len()
        ),
        format!(
            "{} valid calls, fewer than {MIN_VALID_CALLS}: a valid call is reached and answered, to a distinct person the unit served in the 3 months before the call (R5)",
            valid.len()
        ),
    )]
}

/// What R6 needs to know of a draw.
#[derive(Clone, Debug)]
pub struct DrawFacts {
    /// Its purpose.
    pub purpose: String,
    /// Its unit.
    pub unit_id: Option<String>,
    /// The ids drawn.
    pub result: Vec<String>,
}

/// R6 for the W2 segment at `index`: 2 or 3 distinct matters of the unit, exactly the result
/// of a recorded `inspection_matters` draw of the unit.
pub fn r6_problems(
    index: usize,
    segment: &BusinessInspection,
    draw: Option<&DrawFacts>,
    unit_matters: &HashSet<String>,
    unit_id: &str,
) -> Vec<Problem> {
    let at = format!("segments[{index}]");
    let mut out = Vec::new();
    let matters: BTreeSet<&str> = segment.matter_ids.iter().map(String::as_str).collect();
    if !INSPECTED_MATTERS.contains(&matters.len()) {
        out.push(Problem::new(
            format!("{at}.matter_ids"),
            "matter_count",
            format!(
                "业务检查须随机抽取 2 至 3 个事项，现有 {} 个（R6）",
                matters.len()
            ),
            format!(
                "a business inspection covers 2 to 3 matters, not {} (R6)",
                matters.len()
            ),
        ));
    }
    if matters.iter().any(|m| !unit_matters.contains(*m)) {
        out.push(Problem::new(
            format!("{at}.matter_ids"),
            "matter_not_of_unit",
            "事项须为本单位目录中的事项（R6）",
            "the matters must be of the unit's catalogue (R6)",
        ));
    }
    match (segment.draw_id.as_deref(), draw) {
        (None, _) => out.push(Problem::new(
            format!("{at}.draw_id"),
            "draw_required",
            "须引用抽取事项的随机抽取记录（R6）",
            "the random draw that chose the matters is required (R6)",
        )),
        (Some(_), Some(d))
            if d.purpose == "inspection_matters" && d.unit_id.as_deref() == Some(unit_id) =>
        {
            let drawn: BTreeSet<&str> = d.result.iter().map(String::as_str).collect();
            if drawn != matters {
                out.push(Problem::new(
                    format!("{at}.matter_ids"),
                    "draw_result_mismatch",
                    "检查的事项须与随机抽取结果一致（R6）",
                    "the matters must be exactly the draw's result (R6)",
                ));
            }
        }
        (Some(_), _) => out.push(Problem::new(
            format!("{at}.draw_id"),
            "draw_mismatch",
            "须为本单位业务检查事项的抽取记录（R6）",
            "must be an inspection_matters draw of the unit (R6)",
        )),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    /// A call at 10:00 Shanghai time on the given local date.
    fn call(contact: &str, date: NaiveDate, reached: bool, answered: bool) -> Call {
        let at = date.and_hms_opt(2, 0, 0).unwrap().and_utc();
        Call {
            service_record_id: contact.into(),
            called_at: at,
            reached,
            answered,
            ratings: answered.then_some(CallRatings {
                staff: Satisfaction::Satisfied,
                process: Satisfaction::Satisfied,
                overall: Satisfaction::VerySatisfied,
            }),
            remarks: None,
        }
    }

    fn calls(list: Vec<Call>) -> FollowUpCalls {
        FollowUpCalls {
            draw_id: None,
            calls: list,
            notes: None,
            findings: vec![],
            links: vec![],
        }
    }

    fn contacts(list: &[(&str, &str, NaiveDate)]) -> HashMap<String, ContactFacts> {
        list.iter()
            .map(|(id, unit, served)| {
                (
                    (*id).to_owned(),
                    ContactFacts {
                        unit_id: (*unit).to_owned(),
                        served_on: *served,
                    },
                )
            })
            .collect()
    }

    #[test]
    fn the_workflow_files_accepts_and_returns() {
        assert_eq!(transition(Status::Draft, Action::File), Ok(Status::Filed));
        assert_eq!(
            transition(Status::Returned, Action::File),
            Ok(Status::Filed)
        );
        assert_eq!(
            transition(Status::Filed, Action::Accept),
            Ok(Status::Accepted)
        );
        assert_eq!(
            transition(Status::Filed, Action::Return),
            Ok(Status::Returned)
        );
        assert_eq!(transition(Status::Accepted, Action::Return), Err(vec![]));
        assert_eq!(
            transition(Status::Draft, Action::Accept),
            Err(vec![Action::File])
        );
        assert!(editable(Status::Draft) && editable(Status::Returned));
        assert!(!editable(Status::Filed) && !editable(Status::Accepted));
    }

    #[test]
    fn filing_is_due_three_days_after_the_activity_and_late_the_day_after() {
        let on = d(2026, 11, 20);
        let three = FilingRule::calendar_days(3);
        assert_eq!(three.due(on), d(2026, 11, 23));
        assert_eq!(three.late_days(on, on), 0);
        assert_eq!(three.late_days(on, d(2026, 11, 23)), 0);
        assert_eq!(three.late_days(on, d(2026, 11, 24)), 1);
        assert_eq!(three.late_days(on, d(2026, 12, 3)), 10);
        let zero = FilingRule::calendar_days(0);
        assert_eq!(zero.late_days(on, d(2026, 11, 20)), 0);
        assert_eq!(zero.late_days(on, d(2026, 11, 21)), 1);
        // In working days: Friday 2026-11-20 plus three is Wednesday 11-25.
        let working = FilingRule {
            count: DayCount::Working,
            ..three
        };
        assert_eq!(working.due(on), d(2026, 11, 25));
        assert_eq!(working.late_days(on, d(2026, 11, 26)), 1);
    }

    #[test]
    fn every_activity_has_its_mandatory_segments_and_no_others() {
        assert_eq!(mandatory(Activity::Window).len(), 4);
        assert_eq!(mandatory(Activity::Enforcement).len(), 3);
        assert_eq!(mandatory(Activity::Complaint).len(), 3);
        for a in Activity::ALL {
            assert!(mandatory(*a).iter().all(|s| s.activity() == *a));
        }
        assert_eq!(SegmentType::ALL.len(), 10);
    }

    #[test]
    fn exactly_three_valid_calls_pass_and_an_unreached_one_does_not_count() {
        let on = d(2026, 11, 20);
        let people = contacts(&[
            ("a", "u", d(2026, 10, 1)),
            ("b", "u", d(2026, 9, 1)),
            ("c", "u", d(2026, 11, 20)),
        ]);
        let ok = calls(vec![
            call("a", on, true, true),
            call("b", on, true, true),
            call("c", on, true, true),
        ]);
        assert!(r5_problems(0, &ok, &people, "u").is_empty());
        let one_unreached = calls(vec![
            call("a", on, true, true),
            call("b", on, true, true),
            call("c", on, false, false),
        ]);
        let p = r5_problems(2, &one_unreached, &people, "u");
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].field, "segments[2].calls");
        assert_eq!(p[0].code, "too_few_valid_calls");
        let unanswered = calls(vec![
            call("a", on, true, true),
            call("b", on, true, true),
            call("c", on, true, false),
        ]);
        assert_eq!(r5_problems(0, &unanswered, &people, "u").len(), 1);
    }

    #[test]
    fn the_three_months_window_has_exact_edges() {
        let on = d(2026, 11, 20);
        let in_window = contacts(&[
            ("a", "u", d(2026, 8, 20)),
            ("b", "u", d(2026, 9, 1)),
            ("c", "u", on),
        ]);
        let set = calls(vec![
            call("a", on, true, true),
            call("b", on, true, true),
            call("c", on, true, true),
        ]);
        assert!(
            r5_problems(0, &set, &in_window, "u").is_empty(),
            "three months to the day counts"
        );
        let a_day_too_early = contacts(&[
            ("a", "u", d(2026, 8, 19)),
            ("b", "u", d(2026, 9, 1)),
            ("c", "u", on),
        ]);
        assert_eq!(r5_problems(0, &set, &a_day_too_early, "u").len(), 1);
        let served_after_the_call = contacts(&[
            ("a", "u", d(2026, 8, 20)),
            ("b", "u", d(2026, 9, 1)),
            ("c", "u", d(2026, 11, 21)),
        ]);
        assert_eq!(r5_problems(0, &set, &served_after_the_call, "u").len(), 1);
        // 05-31 minus three months is 02-28: 02-28 counts, 02-27 does not.
        let may = d(2026, 5, 31);
        let clamp = calls(vec![call("a", may, true, true)]);
        assert!(valid_call(
            &clamp.calls[0],
            contacts(&[("a", "u", d(2026, 2, 28))]).get("a"),
            "u"
        ));
        assert!(!valid_call(
            &clamp.calls[0],
            contacts(&[("a", "u", d(2026, 2, 27))]).get("a"),
            "u"
        ));
    }

    #[test]
    fn the_call_date_is_the_shanghai_date() {
        // 2026-11-19T17:00Z is 2026-11-20 01:00 in Shanghai: a person served on the 20th counts.
        let mut c = call("a", d(2026, 11, 20), true, true);
        c.called_at = d(2026, 11, 19).and_hms_opt(17, 0, 0).unwrap().and_utc();
        assert!(valid_call(
            &c,
            contacts(&[("a", "u", d(2026, 11, 20))]).get("a"),
            "u"
        ));
    }

    #[test]
    fn calls_to_the_same_person_or_another_units_count_once_or_not_at_all() {
        let on = d(2026, 11, 20);
        let people = contacts(&[("a", "u", on), ("b", "u", on), ("x", "other", on)]);
        let set = calls(vec![
            call("a", on, true, true),
            call("a", on, true, true),
            call("b", on, true, true),
            call("x", on, true, true),
            call("missing", on, true, true),
        ]);
        assert_eq!(r5_problems(0, &set, &people, "u").len(), 1);
    }

    fn inspection(draw: Option<&str>, matters: &[&str]) -> BusinessInspection {
        BusinessInspection {
            draw_id: draw.map(str::to_owned),
            matter_ids: matters.iter().map(|m| (*m).to_owned()).collect(),
            checks: vec![],
            notes: None,
            findings: vec![],
            links: vec![],
        }
    }

    #[test]
    fn a_business_inspection_covers_the_drawn_two_or_three_matters() {
        let unit_matters: HashSet<String> = ["m1", "m2", "m3", "m4"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let draw = DrawFacts {
            purpose: "inspection_matters".into(),
            unit_id: Some("u".into()),
            result: vec!["m2".into(), "m1".into()],
        };
        let ok = inspection(Some("d"), &["m1", "m2"]);
        assert!(r6_problems(0, &ok, Some(&draw), &unit_matters, "u").is_empty());
        let codes = |s: &BusinessInspection, d: Option<&DrawFacts>| {
            r6_problems(0, s, d, &unit_matters, "u")
                .into_iter()
                .map(|p| p.code)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            codes(&inspection(Some("d"), &["m1"]), Some(&draw)),
            vec!["matter_count", "draw_result_mismatch"]
        );
        assert_eq!(
            codes(
                &inspection(Some("d"), &["m1", "m2", "m3", "m4"]),
                Some(&draw)
            ),
            vec!["matter_count", "draw_result_mismatch"]
        );
        assert_eq!(
            codes(&inspection(Some("d"), &["m1", "m3"]), Some(&draw)),
            vec!["draw_result_mismatch"]
        );
        assert_eq!(
            codes(&inspection(None, &["m1", "m2"]), None),
            vec!["draw_required"]
        );
        assert_eq!(
            codes(&inspection(Some("d"), &["m1", "zz"]), Some(&draw)),
            vec!["matter_not_of_unit", "draw_result_mismatch"]
        );
        let other_unit = DrawFacts {
            unit_id: Some("v".into()),
            ..draw.clone()
        };
        assert_eq!(codes(&ok, Some(&other_unit)), vec!["draw_mismatch"]);
        let other_purpose = DrawFacts {
            purpose: "follow_up_contacts".into(),
            ..draw
        };
        assert_eq!(codes(&ok, Some(&other_purpose)), vec!["draw_mismatch"]);
    }

    #[test]
    fn a_missing_segment_is_named_and_an_incomplete_one_is_pointed_at() {
        let p = r4_problems(Activity::Complaint, &[]);
        assert_eq!(p.len(), 3);
        assert!(p
            .iter()
            .all(|x| x.code == "missing_segment" && x.field == "segments"));
        assert!(p[0].en.contains("dispatch_experience"));
        let partial = Segment::DispatchExperience(DispatchExperience {
            work_order: None,
            steps: vec![FlowStep {
                step: DispatchStep::Dispatch,
                rating: Rating::Ok,
                note: None,
            }],
            notes: None,
            findings: vec![],
            links: vec![],
        });
        let p = r4_problems(Activity::Complaint, &[partial]);
        assert_eq!(p.iter().filter(|x| x.code == "missing_segment").count(), 2);
        let steps: Vec<_> = p
            .iter()
            .filter(|x| x.field == "segments[0].steps")
            .collect();
        assert_eq!(steps.len(), 2, "feedback and callback are missing");
    }

    #[test]
    fn shapes_refuse_contradictions_bad_links_and_duplicates() {
        let now = d(2026, 11, 20).and_hms_opt(4, 0, 0).unwrap().and_utc();
        let mut c = call("a", d(2026, 11, 20), false, true);
        c.ratings = None;
        let mut late = call("b", d(2026, 11, 21), true, true);
        late.ratings = None;
        let seg = Segment::FollowUpCalls(FollowUpCalls {
            draw_id: None,
            calls: vec![c, late],
            notes: None,
            findings: vec![],
            links: vec![
                "ftp://x.example/a".into(),
                "https://gov.example/p?id=1".into(),
                "not a url".into(),
            ],
        });
        let p = shape_problems(1, &seg, now, 50);
        let fields: Vec<(&str, &str)> = p.iter().map(|x| (x.field.as_str(), x.code)).collect();
        assert!(fields.contains(&("segments[1].links[0]", "invalid_url")));
        assert!(!fields.iter().any(|f| f.0 == "segments[1].links[1]"));
        assert!(fields.contains(&("segments[1].links[2]", "invalid_url")));
        assert!(fields.contains(&("segments[1].calls[0].answered", "contradiction")));
        assert!(fields.contains(&("segments[1].calls[1].called_at", "in_future")));
        assert!(fields.contains(&("segments[1].calls[1].ratings", "required")));
        let w1 = Segment::ApprovalService(ApprovalService {
            role: ServiceRole::Applicant,
            matter_id: None,
            method: Some(ServiceMethod::InPerson),
            channel: Some(Channel::Online),
            checks: vec![
                ElementCheck {
                    element: ServiceElement::ServiceGuide,
                    rating: Rating::Ok,
                    note: None,
                },
                ElementCheck {
                    element: ServiceElement::Submission,
                    rating: Rating::Ok,
                    note: None,
                },
                ElementCheck {
                    element: ServiceElement::Submission,
                    rating: Rating::Problem,
                    note: None,
                },
            ],
            figures: None,
            notes: None,
            findings: vec![],
            links: vec![],
        });
        let codes: Vec<&str> = shape_problems(0, &w1, now, 50)
            .iter()
            .map(|p| p.code)
            .collect();
        assert_eq!(codes, vec!["duplicate", "wrong_channel"]);
    }

    /// The ten segments of the three activities, as JSON (without findings).
    fn every_segment() -> Vec<serde_json::Value> {
        let mut all = crate::demo::enforcement_segments(3);
        all.extend(crate::demo::complaint_segments(4, "2026-Q1"));
        all.extend(crate::demo::window_segments(
            &["m-1".to_owned(), "m-2".to_owned()],
            "d-1",
            Vec::new(),
        ));
        all
    }

    #[test]
    fn a_segment_reads_the_same_whichever_place_its_type_has() {
        let mut all = every_segment();
        all[5]["findings"] =
            serde_json::json!([{"kind": "problem", "description": "油烟净化设备尚未验收"}]);
        // serde_json's `Value` keeps keys sorted: `type` comes late in most segments.
        let sorted: Vec<Segment> = serde_json::from_value(serde_json::Value::Array(all)).unwrap();
        let text = serde_json::to_string(&sorted).unwrap();
        assert!(text.starts_with(r#"[{"type":"#), "{text}");
        let first: Vec<Segment> = serde_json::from_str(&text).unwrap();
        assert_eq!(first, sorted);
        let moved = text.replacen(r#"{"type":"inspection","#, "{", 1).replacen(
            r#""findings":"#,
            r#""type":"inspection","findings":"#,
            1,
        );
        assert_ne!(moved, text);
        let last: Vec<Segment> = serde_json::from_str(&moved).unwrap();
        assert_eq!(last, sorted);
    }

    #[test]
    fn a_segment_s_errors_name_the_type_and_the_field_at_fault() {
        let read = |text: &str| -> (String, String) {
            let mut de = serde_json::Deserializer::from_str(text);
            let e = serde_path_to_error::deserialize::<_, Vec<Segment>>(&mut de).unwrap_err();
            (e.path().to_string(), e.inner().to_string())
        };
        let (_, message) = read(r#"[{"findings": []}]"#);
        assert!(message.contains("missing field `type`"), "{message}");
        let (_, message) = read(r#"[{}]"#);
        assert!(message.contains("missing field `type`"), "{message}");
        let (_, message) = read(r#"[{"type": "no_such"}]"#);
        assert!(message.contains("unknown variant `no_such`"), "{message}");
        let (_, message) = read(r#"[{"findings": [], "type": "no_such"}]"#);
        assert!(message.contains("unknown variant `no_such`"), "{message}");
        let (_, message) = read(r#"["inspection"]"#);
        assert!(message.contains("invalid type"), "{message}");
        // With `type` first, the path goes down to the field.
        let (path, message) = read(r#"[{"type": "forum", "nope": 1}]"#);
        assert!(message.contains("unknown field `nope`"), "{message}");
        assert_eq!(path, "[0].nope");
        let (_, message) = read(r#"[{"nope": 1, "type": "forum"}]"#);
        assert!(message.contains("unknown field `nope`"), "{message}");
        let (_, message) = read(r#"[{"type": "forum", "type": "forum"}]"#);
        assert!(message.contains("type"), "{message}");
    }

    #[test]
    fn segment_heads_keep_the_types_in_order_and_count_every_finding() {
        let mut all = every_segment();
        all[5]["findings"] = serde_json::json!([{"kind": "problem", "description": "油烟净化设备尚未验收", "measure": "一个月内复查"}, {"kind": "demand", "description": "希望延长服务时间"}]);
        all[9]["findings"] = serde_json::json!([{"kind": "demand", "description": "增设自助终端"}]);
        let full: Vec<Segment> = serde_json::from_value(serde_json::Value::Array(all)).unwrap();
        let (types, findings) = segment_heads(&full);
        assert_eq!(findings, 3);
        let parsed = parse_segment_types(&types).unwrap();
        assert_eq!(parsed, full.iter().map(Segment::kind).collect::<Vec<_>>());
        assert_eq!(parsed.len(), 10);
        assert_eq!(types.split(',').next(), Some(full[0].kind().as_str()));
        assert_eq!(segment_heads(&[]), (String::new(), 0));
        assert_eq!(parse_segment_types(""), Some(Vec::new()));
        assert_eq!(parse_segment_types("inspection,no_such_type"), None);
        assert_eq!(parse_segment_types("inspection,"), None);
    }
}
