//! Parameter validation, shared by normal calls and debug mode (`debug=1`).
//!
//! Debug mode answers the problems in the document's shape:
//! `{"mts": [{"bitrate": "下参中缺少该必填参数"}]}` — first-level key, then either an
//! object of second-level keys or a list with one object per faulty element.

use serde_json::{Map, Value, json};

/// The document's message for a missing required parameter.
pub const MISSING: &str = "下参中缺少该必填参数";
/// The emulator's message for a parameter of the wrong type.
pub const WRONG_TYPE: &str = "参数类型错误";

#[derive(Debug, Clone, Copy)]
enum Kind {
    Int,
    Str,
}

/// Problems found, in the document's nested shape.
#[derive(Debug, Default)]
pub(crate) struct Problems {
    top: Map<String, Value>,
}

impl Problems {
    pub(crate) fn to_json(&self) -> Value {
        Value::Object(self.top.clone())
    }

    /// A one-line description of the first problem.
    pub(crate) fn first(&self) -> Option<String> {
        let (k, v) = self.top.iter().next()?;
        Some(match v {
            Value::String(m) => format!("{k}: {m}"),
            Value::Array(items) => {
                let inner = items.iter().find_map(|o| o.as_object().and_then(|o| o.iter().next()));
                match inner {
                    Some((k2, m)) => format!("{k}[].{k2}: {}", m.as_str().unwrap_or("")),
                    None => format!("{k}: invalid"),
                }
            }
            other => format!("{k}: {other}"),
        })
    }
}

fn kind_ok(v: &Value, kind: Kind) -> bool {
    match kind {
        Kind::Int => v.is_i64() || v.is_u64() || v.as_str().is_some_and(|s| s.trim().parse::<i64>().is_ok()),
        Kind::Str => v.is_string() || v.is_number(),
    }
}

fn check_fields(obj: &Value, fields: &[(&str, Kind)]) -> Map<String, Value> {
    let mut out = Map::new();
    for (name, kind) in fields {
        match obj.get(*name) {
            None | Some(Value::Null) => {
                out.insert((*name).to_string(), json!(MISSING));
            }
            Some(Value::String(s)) if s.is_empty() && matches!(kind, Kind::Str) => {
                out.insert((*name).to_string(), json!(MISSING));
            }
            Some(v) if !kind_ok(v, *kind) => {
                out.insert((*name).to_string(), json!(WRONG_TYPE));
            }
            Some(_) => {}
        }
    }
    out
}

fn check_list(params: &Value, list: &str, fields: &[(&str, Kind)], problems: &mut Problems) {
    match params.get(list) {
        Some(Value::Array(items)) if !items.is_empty() => {
            let bad: Vec<Value> = items.iter().map(|i| check_fields(i, fields)).filter(|m| !m.is_empty()).map(Value::Object).collect();
            if !bad.is_empty() {
                problems.top.insert(list.to_string(), Value::Array(bad));
            }
        }
        Some(Value::Array(_) | Value::Null) | None => {
            problems.top.insert(list.to_string(), json!(MISSING));
        }
        Some(_) => {
            problems.top.insert(list.to_string(), json!(WRONG_TYPE));
        }
    }
}

/// Validate the `params` of a call.
pub(crate) fn validate(what: &str, params: &Value) -> Problems {
    use Kind::{Int, Str};
    let mut p = Problems::default();
    match what {
        "conf" => {
            p.top = check_fields(params, &[("name", Str), ("duration", Int), ("bitrate", Int)]);
            if let Some(t) = params.get("create_type").and_then(Value::as_i64) {
                if !(1..=5).contains(&t) {
                    p.top.insert("create_type".into(), json!("取值范围错误"));
                } else if t != 1 && params.get("template_id").is_none() {
                    p.top.insert("template_id".into(), json!(MISSING));
                }
            }
        }
        "add_mts" => check_list(params, "mts", &[("account", Str), ("account_type", Int), ("bitrate", Int), ("protocol", Int)], &mut p),
        "remove_mts" => check_list(params, "mts", &[("mt_id", Str)], &mut p),
        "switch" => {
            p.top = check_fields(params, &[("value", Int)]);
            if let Some(v) = params.get("value").and_then(Value::as_i64) {
                if !(0..=1).contains(&v) {
                    p.top.insert("value".into(), json!("取值范围错误"));
                }
            }
        }
        "role" if params.get("mt_id").is_none() => {
            p.top.insert("mt_id".into(), json!(MISSING));
        }
        "personal_template" => p.top = check_fields(params, &[("name", Str), ("bitrate", Int)]),
        _ => {}
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_example() {
        let params = json!({"mts": [
            {"account_type": 5, "account": "2322231", "bitrate": 2048, "protocol": 0},
            {"account_type": 5, "account": "2322232", "protocol": 0}
        ]});
        assert_eq!(validate("add_mts", &params).to_json(), json!({"mts": [{"bitrate": MISSING}]}));
        assert!(validate("add_mts", &json!({"mts": [{"account_type": 5, "account": "1", "bitrate": 1, "protocol": 0}]})).first().is_none());
        assert_eq!(validate("conf", &json!({"duration": "x", "bitrate": 1})).to_json(), json!({"name": MISSING, "duration": WRONG_TYPE}));
    }
}
