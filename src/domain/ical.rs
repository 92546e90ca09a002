//! iCalendar (RFC 5545) for the public schedule feed: CRLF line ends, lines folded at 75 octets
//! without splitting a UTF-8 character, text escaped, times in Asia/Shanghai with its VTIMEZONE.

use chrono::{DateTime, NaiveDate, Utc};

/// One event: an entry of a published schedule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// Stable across revisions.
    pub uid: String,
    /// Rises with each revision.
    pub sequence: u32,
    /// When the revision was published.
    pub stamp: DateTime<Utc>,
    /// The planned local date (the event spans that whole day).
    pub date: NaiveDate,
    /// The title.
    pub summary: String,
    /// The place.
    pub location: Option<String>,
    /// Participant, matters.
    pub description: String,
    /// Removed by a later revision.
    pub cancelled: bool,
}

/// Escapes TEXT (RFC 5545 3.3.11): backslash, semicolon, comma, newline.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            '\t' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Folds a content line at 75 octets (RFC 5545 3.1), never inside a UTF-8 character, and ends
/// it with CRLF.
pub fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let mut width = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        // The first line holds 75 octets; continuation lines start with a space, so 74 more.
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
    out
}

fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// A whole calendar named `name`.
pub fn calendar(name: &str, events: &[Event]) -> String {
    let mut out = String::new();
    let mut line = |l: String| out.push_str(&fold(&l));
    line("BEGIN:VCALENDAR".into());
    line("VERSION:2.0".into());
    line("PRODID:-//frontline//public schedules//ZH".into());
    line("CALSCALE:GREGORIAN".into());
    line("METHOD:PUBLISH".into());
    line(format!("X-WR-CALNAME:{}", escape(name)));
    line("X-WR-TIMEZONE:Asia/Shanghai".into());
    for l in [
        "BEGIN:VTIMEZONE",
        "TZID:Asia/Shanghai",
        "BEGIN:STANDARD",
        "DTSTART:19700101T000000",
        "TZOFFSETFROM:+0800",
        "TZOFFSETTO:+0800",
        "TZNAME:CST",
        "END:STANDARD",
        "END:VTIMEZONE",
    ] {
        line(l.into());
    }
    for e in events {
        line("BEGIN:VEVENT".into());
        line(format!("UID:{}", escape(&e.uid)));
        line(format!("SEQUENCE:{}", e.sequence));
        line(format!("DTSTAMP:{}", stamp(e.stamp)));
        line(format!(
            "DTSTART;TZID=Asia/Shanghai:{}T000000",
            e.date.format("%Y%m%d")
        ));
        let next = e.date.succ_opt().unwrap_or(e.date);
        line(format!(
            "DTEND;TZID=Asia/Shanghai:{}T000000",
            next.format("%Y%m%d")
        ));
        line(format!("SUMMARY:{}", escape(&e.summary)));
        if let Some(place) = &e.location {
            line(format!("LOCATION:{}", escape(place)));
        }
        line(format!("DESCRIPTION:{}", escape(&e.description)));
        line(format!(
            "STATUS:{}",
            if e.cancelled {
                "CANCELLED"
            } else {
                "CONFIRMED"
            }
        ));
        line("TRANSP:TRANSPARENT".into());
        line("END:VEVENT".into());
    }
    line("END:VCALENDAR".into());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(escape("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne");
        assert_eq!(
            escape("区司法局，跟执法"),
            "区司法局，跟执法",
            "full-width punctuation is text"
        );
    }

    #[test]
    fn long_lines_fold_at_75_octets_between_characters() {
        let line = format!("SUMMARY:{}", "碑林".repeat(40));
        let folded = fold(&line);
        assert!(folded.ends_with("\r\n"));
        for part in folded.trim_end_matches("\r\n").split("\r\n") {
            assert!(part.len() <= 75, "{} octets", part.len());
            assert!(std::str::from_utf8(part.as_bytes()).is_ok());
        }
        let unfolded: String = folded.trim_end_matches("\r\n").split("\r\n ").collect();
        assert_eq!(unfolded, line);
        assert_eq!(fold("SHORT"), "SHORT\r\n");
    }

    #[test]
    fn a_calendar_has_crlf_lines_and_one_event_per_entry() {
        let e = Event {
            uid: "u1@frontline".into(),
            sequence: 2,
            stamp: DateTime::parse_from_rfc3339("2026-11-28T05:00:00Z")
                .unwrap()
                .with_timezone(&Utc),
            date: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
            summary: "区司法局 跟执法".into(),
            location: Some("碑林区政务服务中心, 3楼".into()),
            description: "局长".into(),
            cancelled: true,
        };
        let ics = calendar("碑林区", &[e]);
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
        assert!(
            !ics.replace("\r\n", "").contains('\n'),
            "every line ends with CRLF"
        );
        assert!(ics.contains("DTSTART;TZID=Asia/Shanghai:20261201T000000\r\n"));
        assert!(ics.contains("DTEND;TZID=Asia/Shanghai:20261202T000000\r\n"));
        assert!(ics.contains("SEQUENCE:2\r\n") && ics.contains("STATUS:CANCELLED\r\n"));
        assert!(ics.contains("LOCATION:碑林区政务服务中心\\, 3楼\r\n"));
    }
}
