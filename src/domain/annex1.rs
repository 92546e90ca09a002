//! Annex 1 of the plan (附件1 参与活动单位名单), the seed data of the unit catalogue: the three
//! lists exactly as the plan writes them, the programme's own offices, and each unit's short
//! code and kind. A test compares these lists with the plan's text, byte for byte.

use super::unit::{Activity, Category, ProgrammeRole, UnitKind};

/// List 一: 承担行政审批、公共服务事项的单位 (34 government units, then 7 enterprises).
pub const LIST_1_APPROVAL_SERVICE: [&str; 41] = [
    "区档案馆",
    "区残联",
    "区发改委",
    "区教育局",
    "区科技局",
    "区经贸局",
    "区民宗局",
    "区民政局",
    "区司法局",
    "区财政局",
    "区人社局",
    "区住建局",
    "区城管执法局",
    "区文化和旅游体育局",
    "区卫健局",
    "区退役军人事务局",
    "区应急管理局",
    "区市场监管局",
    "区统计局",
    "区医保局",
    "区行政审批局",
    "区金融办",
    "区税务局",
    "市自然资源和规划局碑林分局",
    "市生态环境局碑林分局",
    "公安碑林分局",
    "南院门街道办事处",
    "柏树林街道办事处",
    "长乐坊街道办事处",
    "东关南街街道办事处",
    "太乙路街道办事处",
    "文艺路街道办事处",
    "长安路街道办事处",
    "张家村街道办事处",
    "秦华天然气有限公司",
    "西安市热力集团有限责任公司",
    "西安市自来水有限公司",
    "国网西安供电公司",
    "中国联通西安分公司",
    "秦农银行",
    "工商银行",
];

/// The 7 enterprises at the end of list 一: 承担水、电、气、暖等公共服务事务的企业.
pub const PUBLIC_UTILITIES: [&str; 7] = [
    "秦华天然气有限公司",
    "西安市热力集团有限责任公司",
    "西安市自来水有限公司",
    "国网西安供电公司",
    "中国联通西安分公司",
    "秦农银行",
    "工商银行",
];

/// List 二: 承担行政执法事项的单位.
pub const LIST_2_LAW_ENFORCEMENT: [&str; 30] = [
    "区发改委",
    "区教育局",
    "区科技局",
    "区经贸局",
    "区民宗局",
    "区民政局",
    "区司法局",
    "区财政局",
    "区人社局",
    "区住建局",
    "区城管执法局",
    "区文化和旅游体育局",
    "区卫健局",
    "区应急管理局",
    "区市场监管局",
    "区统计局",
    "区医保局",
    "区金融办",
    "区税务局",
    "市自然资源和规划局碑林分局",
    "市生态环境局碑林分局",
    "公安碑林分局",
    "南院门街道办事处",
    "柏树林街道办事处",
    "长乐坊街道办事处",
    "东关南街街道办事处",
    "太乙路街道办事处",
    "文艺路街道办事处",
    "长安路街道办事处",
    "张家村街道办事处",
];

/// List 三: 深化"放管服"改革优化营商环境相关政策制定部门.
pub const LIST_3_POLICY_MAKING: [&str; 20] = [
    "区发改委",
    "区教育局",
    "区科技局",
    "区经贸局",
    "区民政局",
    "区司法局",
    "区财政局",
    "区人社局",
    "区住建局",
    "区城管执法局",
    "区投资合作局",
    "区卫健局",
    "区市场监管局",
    "区医保局",
    "区行政审批局",
    "区金融办",
    "环大学创新产业带管委会",
    "区税务局",
    "市自然资源和规划局碑林分局",
    "市生态环境局碑林分局",
];

/// Short code and kind of every unit of Annex 1, in the order of first appearance.
const PROFILES: [(&str, &str, UnitKind); 43] = [
    ("区档案馆", "archives", UnitKind::DistrictDepartment),
    (
        "区残联",
        "disabled-persons-federation",
        UnitKind::DistrictDepartment,
    ),
    (
        "区发改委",
        "development-reform",
        UnitKind::DistrictDepartment,
    ),
    ("区教育局", "education", UnitKind::DistrictDepartment),
    (
        "区科技局",
        "science-technology",
        UnitKind::DistrictDepartment,
    ),
    ("区经贸局", "economy-trade", UnitKind::DistrictDepartment),
    (
        "区民宗局",
        "ethnic-religious-affairs",
        UnitKind::DistrictDepartment,
    ),
    ("区民政局", "civil-affairs", UnitKind::DistrictDepartment),
    ("区司法局", "justice", UnitKind::DistrictDepartment),
    ("区财政局", "finance", UnitKind::DistrictDepartment),
    (
        "区人社局",
        "human-resources-social-security",
        UnitKind::DistrictDepartment,
    ),
    (
        "区住建局",
        "housing-construction",
        UnitKind::DistrictDepartment,
    ),
    (
        "区城管执法局",
        "urban-management",
        UnitKind::DistrictDepartment,
    ),
    (
        "区文化和旅游体育局",
        "culture-tourism-sports",
        UnitKind::DistrictDepartment,
    ),
    ("区卫健局", "health", UnitKind::DistrictDepartment),
    (
        "区退役军人事务局",
        "veterans-affairs",
        UnitKind::DistrictDepartment,
    ),
    (
        "区应急管理局",
        "emergency-management",
        UnitKind::DistrictDepartment,
    ),
    (
        "区市场监管局",
        "market-regulation",
        UnitKind::DistrictDepartment,
    ),
    ("区统计局", "statistics", UnitKind::DistrictDepartment),
    ("区医保局", "medical-security", UnitKind::DistrictDepartment),
    (
        "区行政审批局",
        "administrative-approval",
        UnitKind::DistrictDepartment,
    ),
    (
        "区金融办",
        "financial-affairs",
        UnitKind::DistrictDepartment,
    ),
    ("区税务局", "taxation", UnitKind::DistrictDepartment),
    (
        "市自然资源和规划局碑林分局",
        "natural-resources-planning",
        UnitKind::CityBureauBranch,
    ),
    (
        "市生态环境局碑林分局",
        "ecology-environment",
        UnitKind::CityBureauBranch,
    ),
    (
        "公安碑林分局",
        "public-security",
        UnitKind::CityBureauBranch,
    ),
    (
        "南院门街道办事处",
        "nanyuanmen-subdistrict",
        UnitKind::SubdistrictOffice,
    ),
    (
        "柏树林街道办事处",
        "baishulin-subdistrict",
        UnitKind::SubdistrictOffice,
    ),
    (
        "长乐坊街道办事处",
        "changlefang-subdistrict",
        UnitKind::SubdistrictOffice,
    ),
    (
        "东关南街街道办事处",
        "dongguannanjie-subdistrict",
        UnitKind::SubdistrictOffice,
    ),
    (
        "太乙路街道办事处",
        "taiyilu-subdistrict",
        UnitKind::SubdistrictOffice,
    ),
    (
        "文艺路街道办事处",
        "wenyilu-subdistrict",
        UnitKind::SubdistrictOffice,
    ),
    (
        "长安路街道办事处",
        "changanlu-subdistrict",
        UnitKind::SubdistrictOffice,
    ),
    (
        "张家村街道办事处",
        "zhangjiacun-subdistrict",
        UnitKind::SubdistrictOffice,
    ),
    ("秦华天然气有限公司", "qinhua-gas", UnitKind::Enterprise),
    (
        "西安市热力集团有限责任公司",
        "xian-heating",
        UnitKind::Enterprise,
    ),
    ("西安市自来水有限公司", "xian-water", UnitKind::Enterprise),
    ("国网西安供电公司", "state-grid-xian", UnitKind::Enterprise),
    (
        "中国联通西安分公司",
        "china-unicom-xian",
        UnitKind::Enterprise,
    ),
    ("秦农银行", "qinnong-bank", UnitKind::Enterprise),
    ("工商银行", "icbc", UnitKind::Enterprise),
    (
        "区投资合作局",
        "investment-cooperation",
        UnitKind::DistrictDepartment,
    ),
    (
        "环大学创新产业带管委会",
        "university-belt-committee",
        UnitKind::ManagementCommittee,
    ),
];

/// The programme's own offices (任务分工), which are units with no participation category.
const OFFICES: [(&str, &str, UnitKind, ProgrammeRole, Option<Activity>); 3] = [
    (
        "区营商办",
        "business-environment-office",
        UnitKind::DistrictDepartment,
        ProgrammeRole::Coordinator,
        None,
    ),
    (
        "区政府办",
        "government-office",
        UnitKind::DistrictDepartment,
        ProgrammeRole::Organizer,
        Some(Activity::Complaint),
    ),
    (
        "区12345市民热线服务中心",
        "hotline-12345-centre",
        UnitKind::DistrictDepartment,
        ProgrammeRole::Lead,
        Some(Activity::Complaint),
    ),
];

/// Lead departments that are already in the lists (任务分工 三(二), 三(三)).
const LISTED_LEADS: [(&str, Activity); 2] = [
    ("区行政审批局", Activity::Window),
    ("区司法局", Activity::Enforcement),
];

/// One unit to seed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeedUnit {
    /// The name exactly as the plan writes it.
    pub name: &'static str,
    /// A stable short code (ASCII, kebab-case).
    pub short_code: &'static str,
    /// Its kind.
    pub kind: UnitKind,
    /// Its categories, from the lists it appears in.
    pub categories: Vec<Category>,
    /// Its part in running the programme, if any.
    pub programme_role: Option<ProgrammeRole>,
    /// The activity it leads or organizes, if any.
    pub lead_activity: Option<Activity>,
}

/// The 43 units of Annex 1 followed by the 3 programme offices, in that order.
pub fn seed_units() -> Vec<SeedUnit> {
    let mut units: Vec<SeedUnit> = PROFILES
        .iter()
        .map(|&(name, short_code, kind)| {
            let mut categories = Vec::new();
            if LIST_1_APPROVAL_SERVICE.contains(&name) {
                categories.push(Category::ApprovalService);
            }
            if LIST_2_LAW_ENFORCEMENT.contains(&name) {
                categories.push(Category::LawEnforcement);
            }
            if LIST_3_POLICY_MAKING.contains(&name) {
                categories.push(Category::PolicyMaking);
            }
            if PUBLIC_UTILITIES.contains(&name) {
                categories.push(Category::PublicUtility);
            }
            let lead = LISTED_LEADS
                .iter()
                .find(|(n, _)| *n == name)
                .map(|&(_, a)| a);
            SeedUnit {
                name,
                short_code,
                kind,
                categories: super::unit::normalize_categories(categories),
                programme_role: lead.map(|_| ProgrammeRole::Lead),
                lead_activity: lead,
            }
        })
        .collect();
    units.extend(
        OFFICES
            .iter()
            .map(|&(name, short_code, kind, role, activity)| SeedUnit {
                name,
                short_code,
                kind,
                categories: Vec::new(),
                programme_role: Some(role),
                lead_activity: activity,
            }),
    );
    units
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn with(category: Category) -> Vec<&'static str> {
        seed_units()
            .into_iter()
            .filter(|u| u.categories.contains(&category))
            .map(|u| u.name)
            .collect()
    }

    #[test]
    fn annex_1_has_43_distinct_units_and_three_offices() {
        let units = seed_units();
        assert_eq!(units.len(), 46);
        let names: HashSet<_> = units.iter().map(|u| u.name).collect();
        assert_eq!(names.len(), 46);
        let codes: HashSet<_> = units.iter().map(|u| u.short_code).collect();
        assert_eq!(codes.len(), 46);
        assert_eq!(
            units.iter().filter(|u| !u.categories.is_empty()).count(),
            43
        );
    }

    #[test]
    fn each_category_returns_its_list_in_plan_order() {
        assert_eq!(
            with(Category::ApprovalService),
            LIST_1_APPROVAL_SERVICE.to_vec()
        );
        assert_eq!(with(Category::PublicUtility), PUBLIC_UTILITIES.to_vec());
        assert_eq!(with(Category::PolicyMaking).len(), 20);
        assert_eq!(with(Category::LawEnforcement).len(), 30);
        let law: HashSet<_> = with(Category::LawEnforcement).into_iter().collect();
        assert_eq!(law, LIST_2_LAW_ENFORCEMENT.iter().copied().collect());
        assert!(with(Category::ComplaintConcentrated).is_empty());
    }

    #[test]
    fn every_listed_name_has_a_profile() {
        let profiled: HashSet<_> = PROFILES.iter().map(|p| p.0).collect();
        for name in LIST_1_APPROVAL_SERVICE
            .iter()
            .chain(&LIST_2_LAW_ENFORCEMENT)
            .chain(&LIST_3_POLICY_MAKING)
        {
            assert!(profiled.contains(name), "{name} has no profile");
        }
    }

    #[test]
    fn the_three_leads_and_the_coordinator_are_marked() {
        let units = seed_units();
        let role = |name: &str| {
            let u = units.iter().find(|u| u.name == name).unwrap();
            (u.programme_role, u.lead_activity)
        };
        assert_eq!(
            role("区行政审批局"),
            (Some(ProgrammeRole::Lead), Some(Activity::Window))
        );
        assert_eq!(
            role("区司法局"),
            (Some(ProgrammeRole::Lead), Some(Activity::Enforcement))
        );
        assert_eq!(
            role("区12345市民热线服务中心"),
            (Some(ProgrammeRole::Lead), Some(Activity::Complaint))
        );
        assert_eq!(role("区营商办"), (Some(ProgrammeRole::Coordinator), None));
        assert_eq!(role("区档案馆"), (None, None));
        for u in &units {
            assert!(super::super::unit::role_fits_activity(
                u.programme_role,
                u.lead_activity
            ));
        }
    }

    /// The lists must be byte-identical to the plan. The plan's text sits in the shared folder
    /// beside the repository (as on every developer's and CI's machine).
    #[test]
    fn the_lists_match_the_plan_text_byte_for_byte() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/spec/implementation-plan.zh.txt"
        );
        let Ok(text) = std::fs::read_to_string(path) else {
            eprintln!("skipped: {path} not found");
            return;
        };
        let annex = &text[text.find("附件 1").expect("annex 1")..];
        let annex = &annex[..annex.find("附件 2").expect("annex 2")];
        let section = |start: &str, end: Option<&str>| -> Vec<String> {
            let s = &annex[annex.find(start).expect("section start")..];
            let s = match end {
                Some(e) => &s[..s.find(e).expect("section end")],
                None => s,
            };
            let body = s.split_once('\n').expect("heading line").1;
            body.split("\n\n")
                .map(|para| para.split('\n').map(str::trim).collect::<String>())
                .filter(|p| !p.is_empty())
                .collect()
        };
        let split = |s: &str| s.split('、').map(str::to_owned).collect::<Vec<_>>();
        let list1 = section("一、承担", Some("二、承担"));
        // List 一 is two paragraphs: the government units, then the enterprises.
        let mut one = split(&list1[0]);
        one.extend(split(&list1[1]));
        assert_eq!(one, LIST_1_APPROVAL_SERVICE.to_vec());
        assert_eq!(split(&list1[1]), PUBLIC_UTILITIES.to_vec());
        // List 二 is broken over a page in the plan ("东" / "关南街…"): join its paragraphs.
        let two = split(&section("二、承担", Some("三、深化")).concat());
        assert_eq!(two, LIST_2_LAW_ENFORCEMENT.to_vec());
        let three = split(&section("三、深化", None).concat());
        assert_eq!(three, LIST_3_POLICY_MAKING.to_vec());
    }
}
