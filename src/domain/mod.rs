//! Pure types and rules of the programme: no HTTP, no SQL. Each rule cites DOMAIN.md.

pub mod account;
pub mod annex1;
pub mod annex2;
pub mod api_key;
pub mod audit;
pub mod calendar;
pub mod compliance;
pub mod coverage;
pub mod draw;
pub mod hotline;
pub mod ical;
pub mod import;
pub mod ledger;
pub mod matter;
pub mod participation;
pub mod schedule;
pub mod service_record;
pub mod stats;
pub mod todo;
pub mod trigger;
pub mod unit;
pub mod webhook;
pub mod wechat;

/// Declares a closed set of string values (a "text enum") with its wire names, parsing and
/// the list of accepted values used in error messages and the OpenAPI spec.
#[macro_export]
macro_rules! text_enum {
    ($(#[$meta:meta])* $vis:vis enum $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:tt),+ $(,)? }) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash,
                 serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        $(#[$meta])*
        // Each value is named by its text alone: with a `rename_all` beside, utoipa described
        // `R1` as "r1" in the spec while serde sent "R1".
        $vis enum $name { $($(#[$vmeta])* #[serde(rename = $text)] $variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The wire and database name.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// The accepted names, comma-separated (for error messages).
            pub fn expected() -> String {
                [$($text),+].join(", ")
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::domain::UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err($crate::domain::UnknownValue { expected: $name::expected() }),
                }
            }
        }
    };
}

/// Standard competition ranks ("1224") of items already sorted best first: items with an
/// equal `key` share the rank of the first of them. Returns the rank of each item, in order.
pub fn competition_ranks<T, K: PartialEq>(items: &[T], key: impl Fn(&T) -> K) -> Vec<u32> {
    let mut ranks = Vec::with_capacity(items.len());
    let mut last: Option<K> = None;
    let mut rank = 0;
    for (i, item) in items.iter().enumerate() {
        let k = key(item);
        if last.as_ref() != Some(&k) {
            rank = i as u32 + 1;
            last = Some(k);
        }
        ranks.push(rank);
    }
    ranks
}

/// A string that is not one of a text enum's values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected one of: {expected}")]
pub struct UnknownValue {
    /// The accepted values, comma-separated.
    pub expected: String,
}

/// One reason a record cannot take a step (a schedule submitted, a participation filed): the
/// field it is about, a stable code, and the reason in both languages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The field path: `entries[3].planned_on`, `segments[2].calls`.
    pub field: String,
    /// A stable code.
    pub code: &'static str,
    /// Chinese.
    pub zh: String,
    /// English.
    pub en: String,
}

impl Problem {
    /// A problem with `field`, `code` and its two messages.
    pub fn new(
        field: impl Into<String>,
        code: &'static str,
        zh: impl Into<String>,
        en: impl Into<String>,
    ) -> Self {
        Problem {
            field: field.into(),
            code,
            zh: zh.into(),
            en: en.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_spec_names_a_text_enum_by_its_wire_texts() {
        use crate::domain::compliance::Rule;
        let schema = serde_json::to_value(<Rule as utoipa::PartialSchema>::schema()).unwrap();
        let named: Vec<&str> = schema["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        let sent: Vec<String> = Rule::ALL
            .iter()
            .map(|r| {
                serde_json::to_value(r)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        assert_eq!(named, sent);
        assert_eq!(named[0], "R1");
    }
}
