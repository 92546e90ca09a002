//! One pure function per rule of DOMAIN.md "Compliance rules and assessment". Each takes the
//! period's loaded records and the configuration and returns its findings, keyed so that the
//! same failure has the same key in every run.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{Datelike, NaiveDate};

use super::{
    days_between, month_name, Evidence, Finding, Input, ParticipationFacts, Progress, ReportKind,
    Rule, Settings,
};
use crate::domain::calendar::{due_in_last_month, monthly_report_due, Quarter};
use crate::domain::ledger::{IssueAction, IssueStatus};
use crate::domain::participation::{
    r4_problems, r5_problems, r6_problems, ParticipantKind, Segment,
};
use crate::domain::unit::Activity;

/// A finding of `rule` with its severity, clause and points; the caller adds the rest.
fn finding(
    rule: Rule,
    settings: &Settings,
    key: String,
    unit_id: Option<&str>,
    code: &str,
    zh: String,
    en: String,
) -> Finding {
    Finding {
        rule,
        key,
        unit_id: unit_id.map(str::to_owned),
        activity: None,
        subject_period: None,
        severity: rule.severity(),
        code: code.to_owned(),
        message_zh: zh,
        message_en: en,
        evidence: Evidence::default(),
        clause: rule.clause().to_owned(),
        due_on: None,
        points: settings.deductions.points(rule),
    }
}

/// Findings in key order, so that every rule answers the same way for the same input.
fn sorted(mut out: Vec<Finding>) -> Vec<Finding> {
    out.sort_by(|a, b| a.key.cmp(&b.key));
    out
}

/// The participations of the period (by activity date).
fn in_period(input: &Input) -> impl Iterator<Item = &ParticipationFacts> {
    input
        .participations
        .iter()
        .filter(move |p| input.period.contains(p.activity_on))
}

/// R1 (一(四)1): in each ended quarter, each judged unit has a counted participation in each
/// activity its categories require (any activity for `policy_making` alone); a deputy's only
/// where the unit allows delegation. One finding per unit, quarter and missing activity; its
/// evidence is the unit's records of that activity (of any, for `any`) that did not count.
pub fn r1(input: &Input, settings: &Settings) -> Vec<Finding> {
    let delegation = input.delegation();
    let mut out = Vec::new();
    for q in input.ended_quarters() {
        let mut done: HashMap<&str, BTreeSet<Activity>> = HashMap::new();
        let mut uncounted: HashMap<&str, Vec<(Activity, String)>> = HashMap::new();
        for p in input
            .participations
            .iter()
            .filter(|p| q.contains(p.activity_on))
        {
            if input.counts_for_unit(p, &delegation) {
                done.entry(&p.unit_id).or_default().insert(p.activity);
            } else {
                uncounted
                    .entry(&p.unit_id)
                    .or_default()
                    .push((p.activity, p.id.clone()));
            }
        }
        for u in input.units.iter().filter(|u| u.judged()) {
            let had = done.get(u.id.as_str());
            let required = input.required_in(u, q);
            let missing = missing_activities(&required, had);
            for a in missing {
                let evidence: Vec<String> = uncounted
                    .get(u.id.as_str())
                    .map(|v| {
                        v.iter()
                            .filter(|(act, _)| a.is_none_or(|a| a == *act))
                            .map(|(_, id)| id.clone())
                            .collect()
                    })
                    .unwrap_or_default();
                let (note_zh, note_en) = if evidence.is_empty() {
                    (String::new(), String::new())
                } else {
                    (
                        format!("；另有 {} 条记录未计入（草稿、被退回或未获授权的分管负责同志参与）", evidence.len()),
                        format!("; {} records did not count (drafts, returned, or a deputy where delegation is not allowed)", evidence.len()),
                    )
                };
                let (name_zh, name_en, key) = match a {
                    Some(a) => (a.zh(), a.as_str(), a.as_str()),
                    None => ("任一", "any", "any"),
                };
                let mut f = finding(
                    Rule::R1,
                    settings,
                    format!("R1:{}:{q}:{key}", u.id),
                    Some(&u.id),
                    "no_participation",
                    format!("{q} 未参加{name_zh}活动（每季度至少参加一次）{note_zh}"),
                    format!("no counted participation in {name_en} activity in {q} (at least one per quarter is required){note_en}"),
                );
                f.activity = a;
                f.subject_period = Some(q.to_string());
                f.due_on = Some(q.last_day());
                f.evidence.participations = evidence;
                out.push(f);
            }
        }
    }
    sorted(out)
}

/// What R1 still lacks of a unit: each required activity without a counted participation, or
/// `None` (any activity) when none is required and the unit took part in none.
fn missing_activities(
    required: &BTreeSet<Activity>,
    had: Option<&BTreeSet<Activity>>,
) -> Vec<Option<Activity>> {
    if required.is_empty() {
        if had.is_some_and(|s| !s.is_empty()) {
            Vec::new()
        } else {
            vec![None]
        }
    } else {
        required
            .iter()
            .filter(|a| !had.is_some_and(|s| s.contains(a)))
            .map(|a| Some(*a))
            .collect()
    }
}

/// The matters of each unit experienced by counted participations dated from 1 January of
/// `to`'s year to `to` (R2).
fn covered(input: &Input, to: NaiveDate) -> HashMap<&str, HashSet<&str>> {
    let delegation = input.delegation();
    let from = NaiveDate::from_ymd_opt(to.year(), 1, 1).unwrap_or(to);
    let mut out: HashMap<&str, HashSet<&str>> = HashMap::new();
    for p in input.participations.iter().filter(|p| {
        from <= p.activity_on && p.activity_on <= to && input.counts_for_unit(p, &delegation)
    }) {
        out.entry(&p.unit_id)
            .or_default()
            .extend(p.matter_ids.iter().map(String::as_str));
    }
    out
}

/// Each unit's active matters in the catalogue by `by`, in id order.
fn active_matters(input: &Input, by: NaiveDate) -> HashMap<&str, Vec<&str>> {
    let mut out: HashMap<&str, Vec<&str>> = HashMap::new();
    for m in input
        .matters
        .iter()
        .filter(|m| m.active && m.created_on <= by)
    {
        out.entry(&m.unit_id).or_default().push(&m.id);
    }
    for v in out.values_mut() {
        v.sort_unstable();
    }
    out
}

/// R2 (一(四)1): judged at the end of the period's last ended quarter q: each judged unit has
/// experienced at least q/4 of its active matters (in the catalogue by then) since 1 January (4 × covered ≥ q × total);
/// at the end of Q4, all of them. Evidence: the matters not yet experienced.
pub fn r2(input: &Input, settings: &Settings) -> Vec<Finding> {
    let Some(q) = input.ended_quarters().last().copied() else {
        return Vec::new();
    };
    let covered = covered(input, q.last_day());
    let matters = active_matters(input, q.last_day());
    let n = u64::from(q.number());
    let mut out = Vec::new();
    for u in input.units.iter().filter(|u| u.judged()) {
        let all = matters.get(u.id.as_str()).cloned().unwrap_or_default();
        let seen = covered.get(u.id.as_str());
        let missing: Vec<String> = all
            .iter()
            .filter(|m| !seen.is_some_and(|s| s.contains(**m)))
            .map(|m| (*m).to_owned())
            .collect();
        let total = all.len() as u64;
        let done = total - missing.len() as u64;
        if 4 * done >= n * total {
            continue;
        }
        let expected = (n * total).div_ceil(4);
        let mut f = finding(
            Rule::R2,
            settings,
            format!("R2:{}:{q}", u.id),
            Some(&u.id),
            if n == 4 { "matters_not_all_experienced" } else { "behind_schedule" },
            format!("截至 {q} 末已体验事项 {done}/{total} 项，按进度应不少于 {expected} 项（全年须全覆盖）"),
            format!("by the end of {q} {done} of {total} matters experienced; at least {expected} were due (all within the year)"),
        );
        f.subject_period = Some(q.to_string());
        f.due_on = Some(q.last_day());
        f.evidence.matters = missing;
        out.push(f);
    }
    sorted(out)
}

/// R3 (四(二)): each participation dated in the period is filed by the end of activity date +
/// `filing_days` (day 0 is the activity date). Judged on the first filing only, once the
/// deadline has passed; a participation never filed gets the same finding as a late one.
pub fn r3(input: &Input, settings: &Settings) -> Vec<Finding> {
    let mut out = Vec::new();
    for p in in_period(input) {
        let due = settings.filing.due(p.activity_on);
        if due > input.evaluated_on || p.first_filed_on.is_some_and(|f| f <= due) {
            continue;
        }
        let (code, zh, en) = match p.first_filed_on {
            Some(f) => {
                let late = days_between(due, f);
                (
                    "filed_late",
                    format!("{} 的参与活动于 {f} 备案，逾期 {late} 天（应于 {due} 前备案）", p.activity_on),
                    format!("the participation of {} was filed on {f}, {late} days after its deadline {due}", p.activity_on),
                )
            }
            None => (
                "not_filed",
                format!("{} 的参与活动未在 {due} 前备案", p.activity_on),
                format!(
                    "the participation of {} was not filed by {due}",
                    p.activity_on
                ),
            ),
        };
        let mut f = finding(
            Rule::R3,
            settings,
            format!("R3:{}", p.id),
            Some(&p.unit_id),
            code,
            zh,
            en,
        );
        f.activity = Some(p.activity);
        f.due_on = Some(due);
        f.evidence.participations = vec![p.id.clone()];
        out.push(f);
    }
    sorted(out)
}

/// The counted participations of the period.
fn counted_in_period(input: &Input) -> impl Iterator<Item = &ParticipationFacts> {
    in_period(input).filter(|p| p.counted())
}

/// R4 (二): every counted participation of the period has every mandatory segment of its
/// activity, each complete; a segment of another activity does not stand in.
pub fn r4(input: &Input, settings: &Settings) -> Vec<Finding> {
    let mut out = Vec::new();
    for p in counted_in_period(input) {
        let problems = r4_problems(p.activity, &p.segments);
        if problems.is_empty() {
            continue;
        }
        let zh: Vec<&str> = problems.iter().map(|x| x.zh.as_str()).collect();
        let en: Vec<&str> = problems.iter().map(|x| x.en.as_str()).collect();
        let mut f = finding(
            Rule::R4,
            settings,
            format!("R4:{}", p.id),
            Some(&p.unit_id),
            "incomplete_segments",
            format!("{} 的参与活动环节不全：{}", p.activity_on, zh.join("；")),
            format!(
                "the participation of {} lacks mandatory segments: {}",
                p.activity_on,
                en.join("; ")
            ),
        );
        f.activity = Some(p.activity);
        f.evidence.participations = vec![p.id.clone()];
        out.push(f);
    }
    sorted(out)
}

/// R5 (二(一)3): each W3 segment of a counted participation has at least 3 valid calls to
/// distinct people the unit served in the 3 months before the call. One finding per segment.
pub fn r5(input: &Input, settings: &Settings) -> Vec<Finding> {
    let mut out = Vec::new();
    for p in counted_in_period(input) {
        for (i, s) in p.segments.iter().enumerate() {
            let Segment::FollowUpCalls(w3) = s else {
                continue;
            };
            let problems = r5_problems(i, w3, &input.contacts, &p.unit_id);
            let Some(problem) = problems.first() else {
                continue;
            };
            let mut f = finding(
                Rule::R5,
                settings,
                format!("R5:{}:{i}", p.id),
                Some(&p.unit_id),
                problem.code,
                format!("{} 的参与活动：{}", p.activity_on, problem.zh),
                format!("the participation of {}: {}", p.activity_on, problem.en),
            );
            f.activity = Some(p.activity);
            f.evidence.participations = vec![p.id.clone()];
            f.evidence.draws = w3.draw_id.iter().cloned().collect();
            out.push(f);
        }
    }
    sorted(out)
}

/// R6 (二(一)2): each W2 segment of a counted participation covers 2 or 3 distinct matters of
/// the unit, exactly the result of a recorded draw of that unit for W2. One finding per
/// segment.
pub fn r6(input: &Input, settings: &Settings) -> Vec<Finding> {
    let mut by_unit: HashMap<&str, HashSet<String>> = HashMap::new();
    for m in &input.matters {
        by_unit.entry(&m.unit_id).or_default().insert(m.id.clone());
    }
    let none = HashSet::new();
    let mut out = Vec::new();
    for p in counted_in_period(input) {
        for (i, s) in p.segments.iter().enumerate() {
            let Segment::BusinessInspection(w2) = s else {
                continue;
            };
            let draw = w2.draw_id.as_deref().and_then(|d| input.draws.get(d));
            let matters = by_unit.get(p.unit_id.as_str()).unwrap_or(&none);
            let problems = r6_problems(i, w2, draw, matters, &p.unit_id);
            if problems.is_empty() {
                continue;
            }
            let zh: Vec<&str> = problems.iter().map(|x| x.zh.as_str()).collect();
            let en: Vec<&str> = problems.iter().map(|x| x.en.as_str()).collect();
            let mut f = finding(
                Rule::R6,
                settings,
                format!("R6:{}:{i}", p.id),
                Some(&p.unit_id),
                problems[0].code,
                format!("{} 的参与活动业务检查：{}", p.activity_on, zh.join("；")),
                format!(
                    "the business inspection of {}: {}",
                    p.activity_on,
                    en.join("; ")
                ),
            );
            f.activity = Some(p.activity);
            f.evidence.participations = vec![p.id.clone()];
            f.evidence.draws = w2.draw_id.iter().cloned().collect();
            out.push(f);
        }
    }
    sorted(out)
}

/// R7 (一(三)): in each ended quarter, each judged unit's head took part in person at least
/// once (a counted participation by the head, any activity). Evidence: the deputies'
/// participations of the quarter.
pub fn r7(input: &Input, settings: &Settings) -> Vec<Finding> {
    let mut out = Vec::new();
    for q in input.ended_quarters() {
        let mut head: HashSet<&str> = HashSet::new();
        let mut deputies: HashMap<&str, Vec<String>> = HashMap::new();
        for p in input
            .participations
            .iter()
            .filter(|p| p.counted() && q.contains(p.activity_on))
        {
            match p.participant {
                ParticipantKind::Head => {
                    head.insert(&p.unit_id);
                }
                ParticipantKind::Deputy => {
                    deputies.entry(&p.unit_id).or_default().push(p.id.clone())
                }
            }
        }
        for u in input
            .units
            .iter()
            .filter(|u| u.judged() && !head.contains(u.id.as_str()))
        {
            let evidence = deputies.get(u.id.as_str()).cloned().unwrap_or_default();
            let mut f = finding(
                Rule::R7,
                settings,
                format!("R7:{}:{q}", u.id),
                Some(&u.id),
                "head_not_in_person",
                format!(
                    "{q} 主要负责同志未亲自参加活动（分管负责同志参加 {} 次）",
                    evidence.len()
                ),
                format!(
                    "in {q} the head took part in person not once ({} participations by deputies)",
                    evidence.len()
                ),
            );
            f.subject_period = Some(q.to_string());
            f.due_on = Some(q.last_day());
            f.evidence.participations = evidence;
            out.push(f);
        }
    }
    sorted(out)
}

/// R8 (一(四)2): each trigger raised in the period is answered by a counted participation of
/// its unit that names it, dated from the raised date to its deadline (both included); judged
/// once the deadline has passed. A deputy's answer counts where the unit allows delegation.
pub fn r8(input: &Input, settings: &Settings) -> Vec<Finding> {
    let delegation = input.delegation();
    let mut by_trigger: HashMap<&str, Vec<&ParticipationFacts>> = HashMap::new();
    for p in &input.participations {
        if let Some(t) = p.trigger_id.as_deref() {
            by_trigger.entry(t).or_default().push(p);
        }
    }
    let mut out = Vec::new();
    for t in input
        .triggers
        .iter()
        .filter(|t| input.period.contains(t.raised_on) && t.due_on <= input.evaluated_on)
    {
        let naming: Vec<&ParticipationFacts> = by_trigger
            .get(t.id.as_str())
            .map(|ps| {
                ps.iter()
                    .copied()
                    .filter(|p| p.unit_id == t.unit_id)
                    .collect()
            })
            .unwrap_or_default();
        let answered = naming.iter().any(|p| {
            input.counts_for_unit(p, &delegation)
                && crate::domain::trigger::answers(t.raised_on, t.due_on, p.activity_on)
        });
        if answered {
            continue;
        }
        let mut f = finding(
            Rule::R8,
            settings,
            format!("R8:{}", t.id),
            Some(&t.unit_id),
            "trigger_unanswered",
            format!(
                "{} 提出的即时体验事由未在 {} 前以参与活动回应",
                t.raised_on, t.due_on
            ),
            format!(
                "the immediate-experience trigger of {} was not answered by a participation by {}",
                t.raised_on, t.due_on
            ),
        );
        f.due_on = Some(t.due_on);
        f.evidence.triggers = vec![t.id.clone()];
        f.evidence.participations = naming.iter().map(|p| p.id.clone()).collect();
        out.push(f);
    }
    sorted(out)
}

/// R9 (五(二)): each judged unit sends its issue lists for each quarter of the period by day
/// `issue_list_day` of the quarter's last month (even empty lists); one on-time submission
/// suffices. Judged once that day has passed.
pub fn r9(input: &Input, settings: &Settings) -> Vec<Finding> {
    let mut out = Vec::new();
    for q in input.period.quarters() {
        let due = due_in_last_month(
            q,
            settings.issue_list_day,
            &settings.calendar,
            settings.issue_list_count,
        );
        if due > input.evaluated_on {
            continue;
        }
        let mut sent: HashMap<&str, Vec<&super::IssueListFacts>> = HashMap::new();
        for l in input.issue_lists.iter().filter(|l| l.quarter == q) {
            sent.entry(&l.unit_id).or_default().push(l);
        }
        for u in input.units.iter().filter(|u| u.judged()) {
            let lists = sent.get(u.id.as_str()).cloned().unwrap_or_default();
            if lists.iter().any(|l| l.submitted_on <= due) {
                continue;
            }
            let first = lists.iter().map(|l| l.submitted_on).min();
            let (code, zh, en) = match first {
                Some(on) => (
                    "lists_late",
                    format!("{q} 问题、需求和措施清单于 {on} 报送，晚于 {due}"),
                    format!("the issue lists of {q} were sent on {on}, after {due}"),
                ),
                None => (
                    "lists_not_sent",
                    format!("{q} 问题、需求和措施清单未在 {due} 前报送"),
                    format!("the issue lists of {q} were not sent by {due}"),
                ),
            };
            let mut f = finding(
                Rule::R9,
                settings,
                format!("R9:{}:{q}", u.id),
                Some(&u.id),
                code,
                zh,
                en,
            );
            f.subject_period = Some(q.to_string());
            f.due_on = Some(due);
            f.evidence.issue_lists = lists.iter().map(|l| l.id.clone()).collect();
            out.push(f);
        }
    }
    sorted(out)
}

/// R10 (四(四), 五(二)): each issue `open` or `rectifying` at the end of the evaluation date
/// whose deadline falls in the period and has passed is overdue: one finding per issue. An
/// issue without a deadline is never overdue.
pub fn r10(input: &Input, settings: &Settings) -> Vec<Finding> {
    let after = input.evaluated_on.succ_opt().unwrap_or(input.evaluated_on);
    let mut out = Vec::new();
    for i in &input.issues {
        let Some(d) = i.deadline else { continue };
        if !input.period.contains(d) || !crate::domain::ledger::overdue(i.status, i.deadline, after)
        {
            continue;
        }
        let status_zh = if i.status == IssueStatus::Open {
            "未制定措施"
        } else {
            "整改中"
        };
        let mut f = finding(
            Rule::R10,
            settings,
            format!("R10:{}", i.id),
            Some(&i.unit_id),
            "issue_overdue",
            format!(
                "问题台账第 {} 号已过完成时限 {d} 仍未完成整改（{status_zh}）",
                i.seq
            ),
            format!(
                "ledger issue no. {} passed its deadline {d} and is still {}",
                i.seq, i.status
            ),
        );
        f.activity = i.activity;
        f.due_on = Some(d);
        f.evidence.issues = vec![i.id.clone()];
        out.push(f);
    }
    sorted(out)
}

/// R11 (四(四)): each closing of an issue is followed by a re-check (passed or relapsed) by the
/// end of closing date + `recheck_days`; judged in the period in which that day falls, once it
/// has passed. One finding per closing.
pub fn r11(input: &Input, settings: &Settings) -> Vec<Finding> {
    let mut out = Vec::new();
    for i in &input.issues {
        for (n, (action, closed_on)) in i.steps.iter().enumerate() {
            if *action != IssueAction::Close {
                continue;
            }
            let due = settings.recheck.due_on(*closed_on);
            if !input.period.contains(due) || due > input.evaluated_on {
                continue;
            }
            let recheck = i.steps[n + 1..]
                .iter()
                .find(|(a, _)| matches!(a, IssueAction::PassRecheck | IssueAction::Relapse))
                .map(|(_, on)| *on);
            if recheck.is_some_and(|on| on <= due) {
                continue;
            }
            let (code, zh, en) = match recheck {
                Some(on) => (
                    "rechecked_late",
                    format!("问题台账第 {} 号于 {closed_on} 销号，回头看于 {on} 进行，晚于 {due}", i.seq),
                    format!("ledger issue no. {} closed on {closed_on} was re-checked on {on}, after {due}", i.seq),
                ),
                None => (
                    "not_rechecked",
                    format!("问题台账第 {} 号于 {closed_on} 销号，未在 {due} 前回头看", i.seq),
                    format!("ledger issue no. {} closed on {closed_on} was not re-checked by {due}", i.seq),
                ),
            };
            let mut f = finding(
                Rule::R11,
                settings,
                format!("R11:{}:{closed_on}", i.id),
                Some(&i.unit_id),
                code,
                zh,
                en,
            );
            f.activity = i.activity;
            f.due_on = Some(due);
            f.evidence.issues = vec![i.id.clone()];
            out.push(f);
        }
    }
    sorted(out)
}

/// R12 (四(二), 四(三)): each activity's lead department submits the monthly statistics of
/// each month of the period by day `monthly_report_day` of the next month (the last month's
/// falls in the next quarter) and the quarterly summary by day `quarterly_summary_day` of the
/// quarter's last month. Judged once each day has passed.
pub fn r12(input: &Input, settings: &Settings) -> Vec<Finding> {
    let leads = input.leads();
    let mut due: Vec<(ReportKind, String, NaiveDate)> = Vec::new();
    for m in input.period.months() {
        let d = monthly_report_due(
            m,
            settings.monthly_report_day,
            &settings.calendar,
            settings.monthly_report_count,
        );
        due.push((ReportKind::Monthly, month_name(m), d));
    }
    for q in input.period.quarters() {
        let d = due_in_last_month(
            q,
            settings.quarterly_summary_day,
            &settings.calendar,
            settings.quarterly_summary_count,
        );
        due.push((ReportKind::Quarterly, q.to_string(), d));
    }
    let mut out = Vec::new();
    for a in Activity::ALL.iter().copied() {
        for (kind, period, d) in due.iter().filter(|(_, _, d)| *d <= input.evaluated_on) {
            let reports: Vec<&super::ReportFacts> = input
                .reports
                .iter()
                .filter(|r| r.activity == a && r.kind == *kind && r.period == *period)
                .collect();
            if reports.iter().any(|r| r.submitted_on <= *d) {
                continue;
            }
            let (what_zh, what_en) = match kind {
                ReportKind::Monthly => ("月度统计", "monthly statistics"),
                ReportKind::Quarterly => ("季度总结", "quarterly summary"),
            };
            let first = reports.iter().map(|r| r.submitted_on).min();
            let (code, zh, en) = match first {
                Some(on) => (
                    "report_late",
                    format!("{}活动 {period} {what_zh}于 {on} 报送，晚于 {d}", a.zh()),
                    format!("the {what_en} {period} of {a} was submitted on {on}, after {d}"),
                ),
                None => (
                    "report_missing",
                    format!("{}活动 {period} {what_zh}未在 {d} 前报送", a.zh()),
                    format!("the {what_en} {period} of {a} was not submitted by {d}"),
                ),
            };
            let mut f = finding(
                Rule::R12,
                settings,
                format!("R12:{a}:{kind}:{period}"),
                leads.get(&a).map(String::as_str),
                code,
                zh,
                en,
            );
            f.activity = Some(a);
            f.subject_period = Some(period.clone());
            f.due_on = Some(*d);
            f.evidence.reports = reports.iter().map(|r| r.id.clone()).collect();
            out.push(f);
        }
    }
    sorted(out)
}

/// R13 (四(一)): each activity's plan for each quarter of the period is published by the end
/// of the day before the quarter's first day; the first published revision is judged.
pub fn r13(input: &Input, settings: &Settings) -> Vec<Finding> {
    let leads = input.leads();
    let mut revisions: BTreeMap<(Activity, Quarter), Vec<&super::ScheduleFacts>> = BTreeMap::new();
    for s in input.schedules.iter().filter(|s| s.published_on.is_some()) {
        revisions
            .entry((s.activity, s.quarter))
            .or_default()
            .push(s);
    }
    let mut out = Vec::new();
    for q in input.period.quarters() {
        let Some(due) = q
            .first_day()
            .pred_opt()
            .filter(|d| *d <= input.evaluated_on)
        else {
            continue;
        };
        for a in Activity::ALL.iter().copied() {
            let revs = revisions.get(&(a, q)).cloned().unwrap_or_default();
            let first = revs
                .iter()
                .min_by_key(|s| s.revision)
                .and_then(|s| s.published_on);
            if first.is_some_and(|on| on <= due) {
                continue;
            }
            let (code, zh, en) = match first {
                Some(on) => (
                    "plan_late",
                    format!("{}活动 {q} 计划于 {on} 公布，晚于 {due}", a.zh()),
                    format!("the {a} plan of {q} was published on {on}, after {due}"),
                ),
                None => (
                    "plan_not_published",
                    format!("{}活动 {q} 计划未在 {due} 前公布", a.zh()),
                    format!("the {a} plan of {q} was not published by {due}"),
                ),
            };
            let mut f = finding(
                Rule::R13,
                settings,
                format!("R13:{a}:{q}"),
                leads.get(&a).map(String::as_str),
                code,
                zh,
                en,
            );
            f.activity = Some(a);
            f.subject_period = Some(q.to_string());
            f.due_on = Some(due);
            f.evidence.schedules = revs.iter().map(|s| s.id.clone()).collect();
            out.push(f);
        }
    }
    sorted(out)
}

/// Progress in the quarter running on the evaluation date (R1, R2, R7 are not judged before a
/// quarter ends): what each judged unit still lacks and whether R2 is on track.
pub fn progress(input: &Input) -> Vec<Progress> {
    let Some(q) = input.running_quarter() else {
        return Vec::new();
    };
    let delegation = input.delegation();
    let eval = input.evaluated_on;
    let mut done: HashMap<&str, BTreeSet<Activity>> = HashMap::new();
    let mut head: HashSet<&str> = HashSet::new();
    for p in input
        .participations
        .iter()
        .filter(|p| q.first_day() <= p.activity_on && p.activity_on <= eval)
    {
        if input.counts_for_unit(p, &delegation) {
            done.entry(&p.unit_id).or_default().insert(p.activity);
        }
        if p.counted() && p.participant == ParticipantKind::Head {
            head.insert(&p.unit_id);
        }
    }
    let covered = covered(input, eval);
    let matters = active_matters(input, eval);
    let n = u64::from(q.number());
    let mut out: Vec<Progress> = input
        .units
        .iter()
        .filter(|u| u.judged())
        .map(|u| {
            let had = done.get(u.id.as_str());
            let required = input.required_in(u, q);
            let r1_missing = missing_activities(&required, had)
                .into_iter()
                .map(|a| a.map_or("any", Activity::as_str).to_owned())
                .collect();
            let all = matters.get(u.id.as_str()).cloned().unwrap_or_default();
            let seen = covered.get(u.id.as_str());
            let done = all
                .iter()
                .filter(|m| seen.is_some_and(|s| s.contains(**m)))
                .count() as u64;
            let total = all.len() as u64;
            Progress {
                unit_id: u.id.clone(),
                quarter: q.to_string(),
                days_left: days_between(eval, q.last_day()),
                r1_missing,
                r7_head_in_person: head.contains(u.id.as_str()),
                r2_covered: done as u32,
                r2_total: total as u32,
                r2_expected: (n * total).div_ceil(4) as u32,
                r2_on_track: 4 * done >= n * total,
            }
        })
        .collect();
    out.sort_by(|a, b| a.unit_id.cmp(&b.unit_id));
    out
}
