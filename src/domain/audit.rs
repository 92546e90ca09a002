//! What the audit log records of a change: the fields that changed, before and after.

use serde_json::{Map, Value};

/// Fields that change with every write and say nothing of their own.
const NOISE: [&str; 2] = ["updated_at", "version"];

/// The changed top-level fields of two JSON objects: `{field: {"before": …, "after": …}}`.
/// A creation is `before = null`: every field appears with `before: null`.
pub fn diff(before: &Value, after: &Value) -> Value {
    let empty = Map::new();
    let b = before.as_object().unwrap_or(&empty);
    let a = after.as_object().unwrap_or(&empty);
    let mut out = Map::new();
    let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
    keys.sort();
    keys.dedup();
    for key in keys {
        if NOISE.contains(&key.as_str()) {
            continue;
        }
        let (old, new) = (
            b.get(key).unwrap_or(&Value::Null),
            a.get(key).unwrap_or(&Value::Null),
        );
        if old != new {
            out.insert(
                key.clone(),
                serde_json::json!({"before": old, "after": new}),
            );
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_changed_fields_are_kept() {
        let d = diff(
            &json!({"name": "a", "active": true, "version": 1, "updated_at": "x"}),
            &json!({"name": "b", "active": true, "version": 2, "updated_at": "y"}),
        );
        assert_eq!(d, json!({"name": {"before": "a", "after": "b"}}));
    }

    #[test]
    fn a_creation_lists_every_field_from_null() {
        let d = diff(&Value::Null, &json!({"name": "a", "head": null}));
        assert_eq!(d, json!({"name": {"before": null, "after": "a"}}));
    }
}
