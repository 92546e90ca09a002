//! 12345 hotline work orders (工单): where complaints concentrate (H1) and where they spike
//! (H2), computed from the imported orders (DOMAIN.md "12345 hotline data"; plan 一(四)2, 三(四)).

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::participation::Satisfaction;

crate::text_enum! {
    /// Where a work order stands.
    pub enum OrderStatus {
        /// Being handled (办理中).
        Open => "open",
        /// Closed (已办结).
        Closed => "closed",
    }
}

impl OrderStatus {
    /// Reads a status as sources write it: `open`/`closed` or their Chinese names.
    pub fn parse_loose(s: &str) -> Option<Self> {
        match s.trim() {
            "open" | "办理中" | "处理中" | "未办结" | "待办理" => {
                Some(OrderStatus::Open)
            }
            "closed" | "已办结" | "办结" | "已完成" => Some(OrderStatus::Closed),
            _ => None,
        }
    }
}

/// Reads a satisfaction level as sources write it: the API's names or the Chinese ones.
pub fn satisfaction_loose(s: &str) -> Option<Satisfaction> {
    match s.trim() {
        "very_satisfied" | "非常满意" => Some(Satisfaction::VerySatisfied),
        "satisfied" | "满意" => Some(Satisfaction::Satisfied),
        "fairly_satisfied" | "基本满意" => Some(Satisfaction::FairlySatisfied),
        "dissatisfied" | "不满意" => Some(Satisfaction::Dissatisfied),
        "very_dissatisfied" | "非常不满意" => Some(Satisfaction::VeryDissatisfied),
        _ => None,
    }
}

/// Masks personal numbers in free text: a summary keeps what happened, not whom to call. A
/// mainland mobile number (11 digits from 1, with or without +86/0086, written with spaces or
/// hyphens between groups, in half- or full-width digits) keeps its first three and last four
/// digits; an 18-character ID number keeps its first six and last four.
pub fn mask_mobiles(text: &str) -> String {
    let chars: Vec<char> = text
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            'Ｘ' => 'X',
            '＋' => '+',
            _ => c,
        })
        .collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if !(chars[i].is_ascii_digit()
            || (chars[i] == '+' && chars.get(i + 1).is_some_and(|c| c.is_ascii_digit())))
        {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        // A chain of digit groups joined by single spaces or hyphens (and an ID's final X).
        let mut j = i + usize::from(chars[i] == '+');
        let mut digits = String::new();
        loop {
            while j < chars.len() && chars[j].is_ascii_digit() {
                digits.push(chars[j]);
                j += 1;
            }
            if j < chars.len() && matches!(chars[j], 'X' | 'x') && digits.len() == 17 {
                digits.push('X');
                j += 1;
                break;
            }
            if j + 1 < chars.len()
                && matches!(chars[j], ' ' | '-')
                && chars[j + 1].is_ascii_digit()
                && digits.len() < 18
            {
                j += 1;
                continue;
            }
            break;
        }
        let national = digits
            .strip_prefix("0086")
            .or_else(|| digits.strip_prefix("86").filter(|d| d.len() == 11))
            .unwrap_or(&digits);
        if national.len() == 11 && national.starts_with('1') {
            out.push_str(&super::service_record::mask_phone(national));
        } else if digits.len() == 18 {
            out.push_str(&digits[..6]);
            out.push_str("********");
            out.push_str(&digits[14..]);
        } else {
            out.extend(&chars[i..j]);
        }
        i = j;
    }
    out
}

/// An order's deadline: the source's 办理时限, or `due_days` after the day it was received.
pub fn due_on(received_on: NaiveDate, given: Option<NaiveDate>, due_days: u32) -> NaiveDate {
    given.unwrap_or_else(|| {
        received_on
            .checked_add_days(chrono::Days::new(u64::from(due_days)))
            .unwrap_or(received_on)
    })
}

/// Whether an order was closed on time: the source's flag; without one, a closed order with a
/// closing date is on time when closed by its deadline; otherwise unknown.
pub fn on_time(
    status: OrderStatus,
    flag: Option<bool>,
    closed_on: Option<NaiveDate>,
    due_on: NaiveDate,
) -> Option<bool> {
    flag.or_else(|| {
        (status == OrderStatus::Closed)
            .then(|| closed_on.map(|c| c <= due_on))
            .flatten()
    })
}

/// The first day of `today`'s window (H2): a spike recorded with a window ending on or after
/// it overlaps this one, so the same unit and category record nothing again.
pub fn window_from(today: NaiveDate, rule: SpikeRule) -> NaiveDate {
    today - chrono::Duration::days(i64::from(rule.window_days.max(1)) - 1)
}

/// Why a list for `quarter` cannot be frozen from the ranking of a period ending `period_to`
/// on `today` (H1): the quarter has ended, or the period has not.
pub fn freeze_problems(
    quarter: super::calendar::Quarter,
    period_to: Option<NaiveDate>,
    today: NaiveDate,
) -> Vec<super::Problem> {
    let mut out = Vec::new();
    if quarter.last_day() < today {
        out.push(super::Problem::new(
            "quarter",
            "quarter_ended",
            "该季度已结束：名单只能在季度结束前确定",
            "the quarter has ended: a list is frozen before its quarter ends",
        ));
    }
    if period_to.is_some_and(|to| to >= today) {
        out.push(super::Problem::new(
            "period",
            "invalid_period",
            "须为已结束的月份、季度、年份或日期区间",
            "a period that has ended: a month, quarter, year or date range",
        ));
    }
    out
}

/// What the analysis needs of a work order.
#[derive(Clone, Debug)]
pub struct OrderFacts {
    /// The responsible unit.
    pub unit_id: String,
    /// The category.
    pub category: String,
    /// Local date received.
    pub received_on: NaiveDate,
    /// Open or closed.
    pub status: OrderStatus,
    /// For a closed order: whether it was closed on time.
    pub on_time: Option<bool>,
    /// Its deadline, if the source gives one (else received + the configured days).
    pub due_on: NaiveDate,
    /// The citizen's rating, if any.
    pub satisfaction: Option<Satisfaction>,
}

/// One unit's line of the ranking.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct UnitRank {
    /// Rank by count: 1 has the most; equal counts share a rank.
    pub rank: u32,
    /// The unit.
    pub unit_id: String,
    /// Its name.
    pub unit_name: String,
    /// Work orders received in the period.
    pub count: u32,
    /// Its share of all the period's orders, 0–1.
    pub share: f64,
    /// Orders per category.
    pub by_category: BTreeMap<String, u32>,
    /// Closed on time.
    pub closed_on_time: u32,
    /// Closed late (or closed without the flag).
    pub closed_late: u32,
    /// Open and past their deadline at the judged date.
    pub open_overdue: u32,
    /// Open and within their deadline.
    pub open_in_time: u32,
    /// closed on time ÷ (closed + open and overdue); `null` when that is 0.
    pub on_time_rate: Option<f64>,
    /// Orders rated by the citizen.
    pub rated: u32,
    /// Rated very satisfied, satisfied or fairly satisfied.
    pub satisfied: u32,
    /// satisfied ÷ rated; `null` when none was rated.
    pub satisfaction_rate: Option<f64>,
    /// Whether it is on the period's `complaint_concentrated` list.
    pub concentrated: bool,
}

/// Where the concentration list is cut (H1).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ConcentrationRule {
    /// A unit with at least this share of the period's orders is listed
    /// (`FRONTLINE_HOTLINE_CONCENTRATION_SHARE`).
    pub min_share: f64,
    /// The units ranked within this many are listed (`FRONTLINE_HOTLINE_CONCENTRATION_TOP`).
    pub top: u32,
}

/// The ranking of the period's orders by unit (H1), judged at the end of `as_of`: every unit
/// of `units` (id, name) with at least one order, most orders first; the concentration list
/// marks those with at least `rule.min_share` of all orders or ranked within `rule.top`.
pub fn ranking(
    units: &[(String, String)],
    orders: &[OrderFacts],
    as_of: NaiveDate,
    rule: ConcentrationRule,
) -> Vec<UnitRank> {
    let names: HashMap<&str, &str> = units
        .iter()
        .map(|(id, n)| (id.as_str(), n.as_str()))
        .collect();
    let total = orders.len() as f64;
    let mut by_unit: HashMap<&str, UnitRank> = HashMap::new();
    for o in orders {
        let r = by_unit
            .entry(o.unit_id.as_str())
            .or_insert_with(|| UnitRank {
                rank: 0,
                unit_id: o.unit_id.clone(),
                unit_name: names
                    .get(o.unit_id.as_str())
                    .copied()
                    .unwrap_or_default()
                    .to_owned(),
                count: 0,
                share: 0.0,
                by_category: BTreeMap::new(),
                closed_on_time: 0,
                closed_late: 0,
                open_overdue: 0,
                open_in_time: 0,
                on_time_rate: None,
                rated: 0,
                satisfied: 0,
                satisfaction_rate: None,
                concentrated: false,
            });
        r.count += 1;
        *r.by_category.entry(o.category.clone()).or_default() += 1;
        match (o.status, o.on_time) {
            (OrderStatus::Closed, Some(true)) => r.closed_on_time += 1,
            (OrderStatus::Closed, _) => r.closed_late += 1,
            (OrderStatus::Open, _) if o.due_on < as_of => r.open_overdue += 1,
            (OrderStatus::Open, _) => r.open_in_time += 1,
        }
        if let Some(s) = o.satisfaction {
            r.rated += 1;
            if matches!(
                s,
                Satisfaction::VerySatisfied
                    | Satisfaction::Satisfied
                    | Satisfaction::FairlySatisfied
            ) {
                r.satisfied += 1;
            }
        }
    }
    let mut out: Vec<UnitRank> = by_unit.into_values().collect();
    for r in &mut out {
        r.share = if total > 0.0 {
            f64::from(r.count) / total
        } else {
            0.0
        };
        let judged = r.closed_on_time + r.closed_late + r.open_overdue;
        r.on_time_rate = (judged > 0).then(|| f64::from(r.closed_on_time) / f64::from(judged));
        r.satisfaction_rate = (r.rated > 0).then(|| f64::from(r.satisfied) / f64::from(r.rated));
    }
    out.sort_by(|a, b| b.count.cmp(&a.count).then(a.unit_id.cmp(&b.unit_id)));
    let ranks = super::competition_ranks(&out, |r| r.count);
    for (r, rank) in out.iter_mut().zip(ranks) {
        r.rank = rank;
        r.concentrated = r.share >= rule.min_share || r.rank <= rule.top;
    }
    out
}

/// How a spike is told (H2).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SpikeRule {
    /// The window's length in days (`FRONTLINE_HOTLINE_SPIKE_WINDOW_DAYS`).
    pub window_days: u32,
    /// How many windows before it make the baseline (`FRONTLINE_HOTLINE_SPIKE_BASELINE_WEEKS`).
    pub baseline_windows: u32,
    /// The window's count must exceed the baseline mean times this
    /// (`FRONTLINE_HOTLINE_SPIKE_RATIO`).
    pub ratio: f64,
    /// …and be at least this (`FRONTLINE_HOTLINE_SPIKE_MIN_COUNT`).
    pub min_count: u32,
}

/// A rise of one unit's complaints in one category, with the numbers that show it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Spike {
    /// The unit.
    pub unit_id: String,
    /// The category.
    pub category: String,
    /// The window's first day.
    pub window_from: NaiveDate,
    /// The window's last day.
    pub window_to: NaiveDate,
    /// Orders in the window.
    pub count: u32,
    /// Orders in each earlier window, the nearest first.
    pub baseline: Vec<u32>,
    /// Their mean.
    pub baseline_mean: f64,
}

/// The spikes in the window ending on `today` (H2): per unit and category, the orders received
/// in the last `window_days` days (today included) against the mean of the `baseline_windows`
/// windows before; a spike has at least `min_count` orders and more than `ratio` times the mean.
/// `orders` are (unit, category, received date).
pub fn spikes(
    orders: &[(String, String, NaiveDate)],
    today: NaiveDate,
    rule: SpikeRule,
) -> Vec<Spike> {
    let w = i64::from(rule.window_days.max(1));
    let n = rule.baseline_windows.max(1) as usize;
    let mut counts: BTreeMap<(&str, &str), Vec<u32>> = BTreeMap::new();
    for (unit, category, on) in orders {
        let back = (today - *on).num_days();
        if back < 0 {
            continue;
        }
        let k = (back / w) as usize;
        if k > n {
            continue;
        }
        counts
            .entry((unit.as_str(), category.as_str()))
            .or_insert_with(|| vec![0; n + 1])[k] += 1;
    }
    let mut out = Vec::new();
    for ((unit, category), c) in counts {
        let count = c[0];
        let baseline = c[1..].to_vec();
        let mean = f64::from(baseline.iter().sum::<u32>()) / n as f64;
        if count >= rule.min_count && f64::from(count) > rule.ratio * mean {
            out.push(Spike {
                unit_id: unit.to_owned(),
                category: category.to_owned(),
                window_from: window_from(today, rule),
                window_to: today,
                count,
                baseline,
                baseline_mean: mean,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn order(
        unit: &str,
        cat: &str,
        status: OrderStatus,
        on_time: Option<bool>,
        due: NaiveDate,
    ) -> OrderFacts {
        OrderFacts {
            unit_id: unit.into(),
            category: cat.into(),
            received_on: d(2026, 7, 1),
            status,
            on_time,
            due_on: due,
            satisfaction: None,
        }
    }

    #[test]
    fn h1_the_on_time_rate_counts_open_overdue_orders_against_the_unit() {
        let as_of = d(2026, 9, 30);
        let mut orders = vec![
            order("a", "噪音", OrderStatus::Closed, Some(true), d(2026, 7, 15)),
            order(
                "a",
                "噪音",
                OrderStatus::Closed,
                Some(false),
                d(2026, 7, 15),
            ),
            order("a", "物业", OrderStatus::Open, None, d(2026, 9, 29)),
            order("a", "物业", OrderStatus::Open, None, d(2026, 9, 30)),
            order("b", "噪音", OrderStatus::Closed, Some(true), d(2026, 7, 15)),
        ];
        orders[0].satisfaction = Some(Satisfaction::FairlySatisfied);
        orders[1].satisfaction = Some(Satisfaction::Dissatisfied);
        let rule = ConcentrationRule {
            min_share: 0.5,
            top: 0,
        };
        let r = ranking(&[("a".into(), "甲".into())], &orders, as_of, rule);
        let a = &r[0];
        assert_eq!(
            (a.unit_id.as_str(), a.unit_name.as_str(), a.rank, a.count),
            ("a", "甲", 1, 4)
        );
        assert_eq!(
            (
                a.closed_on_time,
                a.closed_late,
                a.open_overdue,
                a.open_in_time
            ),
            (1, 1, 1, 1)
        );
        assert_eq!(
            a.on_time_rate,
            Some(1.0 / 3.0),
            "an order due on the judged day is in time"
        );
        assert_eq!(a.satisfaction_rate, Some(0.5));
        assert_eq!(a.by_category["物业"], 2);
        assert!((a.share - 0.8).abs() < 1e-9);
        assert!(a.concentrated);
        assert!(!r[1].concentrated, "0.2 < 0.5 and no top");
        assert_eq!(r[1].satisfaction_rate, None);
    }

    #[test]
    fn h1_the_list_takes_the_top_n_with_ties_and_any_unit_above_the_share() {
        let mut orders = Vec::new();
        for (unit, n) in [("a", 5), ("b", 3), ("c", 3), ("d", 1)] {
            for _ in 0..n {
                orders.push(order(
                    unit,
                    "x",
                    OrderStatus::Closed,
                    Some(true),
                    d(2026, 7, 2),
                ));
            }
        }
        let r = ranking(
            &[],
            &orders,
            d(2026, 9, 30),
            ConcentrationRule {
                min_share: 0.9,
                top: 2,
            },
        );
        let got: Vec<(&str, u32, bool)> = r
            .iter()
            .map(|r| (r.unit_id.as_str(), r.rank, r.concentrated))
            .collect();
        assert_eq!(
            got,
            vec![
                ("a", 1, true),
                ("b", 2, true),
                ("c", 2, true),
                ("d", 4, false)
            ]
        );
        let r = ranking(
            &[],
            &orders,
            d(2026, 9, 30),
            ConcentrationRule {
                min_share: 1.0 / 12.0,
                top: 0,
            },
        );
        assert!(
            r.iter().all(|r| r.concentrated),
            "1 of 12 is exactly the share"
        );
    }

    fn rule() -> SpikeRule {
        SpikeRule {
            window_days: 7,
            baseline_windows: 8,
            ratio: 2.0,
            min_count: 10,
        }
    }

    #[test]
    fn h2_a_planted_spike_is_found_and_a_flat_series_is_not() {
        let today = d(2026, 11, 28);
        let mut orders = Vec::new();
        // Eight weeks of 3 a week, then 12 this week for "a"; "b" has 12 every week.
        for week in 0..9 {
            let n = if week == 0 { 12 } else { 3 };
            for i in 0..n {
                let on = today - chrono::Duration::days(week * 7 + i % 7);
                orders.push(("a".to_owned(), "噪音".to_owned(), on));
                for _ in 0..(12 / n) {
                    orders.push(("b".to_owned(), "噪音".to_owned(), on));
                }
            }
        }
        let s = spikes(&orders, today, rule());
        assert_eq!(s.len(), 1, "{s:?}");
        assert_eq!((s[0].unit_id.as_str(), s[0].count), ("a", 12));
        assert_eq!(s[0].baseline, vec![3; 8]);
        assert_eq!((s[0].window_from, s[0].window_to), (d(2026, 11, 22), today));
    }

    #[test]
    fn h2_needs_the_minimum_count_and_more_than_ratio_times_the_mean() {
        let today = d(2026, 11, 28);
        let at = |back: i64| today - chrono::Duration::days(back);
        let mut orders: Vec<(String, String, NaiveDate)> =
            (0..9).map(|_| ("a".into(), "x".into(), at(0))).collect();
        assert!(spikes(&orders, today, rule()).is_empty(), "9 < 10");
        orders.push(("a".into(), "x".into(), at(6)));
        assert_eq!(
            spikes(&orders, today, rule()).len(),
            1,
            "10 in the window, nothing before"
        );
        // A baseline of mean 5 (40 over 8 windows): 10 is not more than 2 × 5.
        for k in 1..=8 {
            for _ in 0..5 {
                orders.push(("a".into(), "x".into(), at(7 * k)));
            }
        }
        assert!(spikes(&orders, today, rule()).is_empty());
        orders.push(("a".into(), "x".into(), at(1)));
        assert_eq!(spikes(&orders, today, rule())[0].count, 11);
        // Orders older than the baseline or after today count for nothing.
        orders.push(("a".into(), "x".into(), at(63)));
        orders.push(("a".into(), "x".into(), at(-1)));
        assert_eq!(spikes(&orders, today, rule())[0].baseline_mean, 5.0);
    }

    #[test]
    fn h1_an_order_without_a_flag_is_on_time_when_closed_by_its_deadline() {
        let due = due_on(d(2026, 7, 1), None, 15);
        assert_eq!(due, d(2026, 7, 16));
        assert_eq!(
            due_on(d(2026, 7, 1), Some(d(2026, 7, 3)), 15),
            d(2026, 7, 3)
        );
        let closed = OrderStatus::Closed;
        assert_eq!(on_time(closed, None, Some(d(2026, 7, 16)), due), Some(true));
        assert_eq!(
            on_time(closed, None, Some(d(2026, 7, 17)), due),
            Some(false)
        );
        assert_eq!(
            on_time(closed, Some(true), Some(d(2026, 7, 17)), due),
            Some(true),
            "the flag wins"
        );
        assert_eq!(on_time(closed, None, None, due), None);
        assert_eq!(on_time(OrderStatus::Open, None, None, due), None);
    }

    #[test]
    fn h1_a_list_is_frozen_from_an_ended_period_before_its_quarter_ends() {
        let q: crate::domain::calendar::Quarter = "2026-Q4".parse().unwrap();
        assert!(freeze_problems(q, Some(d(2026, 9, 30)), d(2026, 12, 31)).is_empty());
        let p = freeze_problems(q, Some(d(2026, 12, 31)), d(2027, 1, 1));
        let fields: Vec<&str> = p.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, vec!["quarter"]);
        let p = freeze_problems(q, Some(d(2026, 10, 31)), d(2026, 10, 31));
        assert_eq!(p[0].field, "period", "a period ending today has not ended");
    }

    #[test]
    fn mobiles_in_a_summary_are_masked_and_other_numbers_kept() {
        assert_eq!(
            mask_mobiles("市民13912345678反映2026年噪音，工单号123456789012"),
            "市民139****5678反映2026年噪音，工单号123456789012"
        );
        for phone in [
            "+8613912345678",
            "008613912345678",
            "139 1234 5678",
            "139-1234-5678",
            "１３９１２３４５６７８",
        ] {
            assert_eq!(
                mask_mobiles(&format!("电话{phone}。")),
                "电话139****5678。",
                "{phone}"
            );
        }
        assert_eq!(
            mask_mobiles("身份证61010319900101123X"),
            "身份证610103********123X"
        );
        assert_eq!(
            mask_mobiles("2026-11-20 09:30 共12件"),
            "2026-11-20 09:30 共12件"
        );
        assert_eq!(
            OrderStatus::parse_loose("已办结"),
            Some(OrderStatus::Closed)
        );
        assert_eq!(
            satisfaction_loose("基本满意"),
            Some(Satisfaction::FairlySatisfied)
        );
    }
}
