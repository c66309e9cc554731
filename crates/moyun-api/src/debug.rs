//! Validate-only calls: the platform's debug mode (`debug=1`).
//!
//! With `debug=1` in the query string the platform only checks the parameters of a
//! call and answers with the problems it found, without executing anything. Every
//! generated request can be sent this way: build its operation with
//! `into_operation()` and hand it to [`MoyunClient::debug`]:
//!
//! ```no_run
//! # async fn demo(client: &moyun_api::MoyunClient) -> conf_core::Result<()> {
//! use moyun_api::{AccountType, MtSpec, Protocol, VcAddMtsRequest};
//! let mt = MtSpec {
//!     account_type: AccountType::E164,
//!     account: "2322231".into(),
//!     bitrate: 2048,
//!     protocol: Protocol::H323,
//!     ..MtSpec::default()
//! };
//! let req = VcAddMtsRequest::new("1118986", vec![mt]);
//! let report = client.debug(req.into_operation()?).await?;
//! for problem in &report.problems {
//!     println!("{}: {}", problem.field, problem.message);
//! }
//! # Ok(()) }
//! ```
//!
//! The document spells the reply's key three ways (`debug_list`, `debuglist`,
//! `dubug_list`); all are accepted.

use conf_core::{ClientHandle, Operation};
use serde_json::Value;

use crate::MoyunClient;
use crate::envelope::vendor_error;

/// The keys under which the platform reports parameter problems.
pub const DEBUG_LIST_KEYS: [&str; 3] = ["debug_list", "debuglist", "dubug_list"];

/// One parameter problem found by the platform.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ParamProblem {
    /// Path of the parameter inside the request (`mts[1].bitrate`, `name`).
    pub field: String,
    /// The platform's explanation (usually Chinese, e.g. `下参中缺少该必填参数`).
    pub message: String,
}

impl ParamProblem {
    /// A problem with `field`, explained by `message`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

/// The platform's verdict on a validate-only call.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct DebugReport {
    /// Every problem, in the order the platform listed them; empty when the request is valid.
    pub problems: Vec<ParamProblem>,
    /// The debug list as the platform sent it (`None` when the reply had none).
    pub raw: Option<Value>,
}

impl DebugReport {
    /// Whether the platform found no problem.
    pub fn is_valid(&self) -> bool {
        self.problems.is_empty()
    }

    /// Read the debug list out of a reply body (any of the three spellings).
    pub fn from_reply(body: &Value) -> Self {
        let Some(list) = debug_list(body) else {
            return Self::default();
        };
        let mut problems = Vec::new();
        flatten(list, String::new(), &mut problems);
        Self { problems, raw: Some(list.clone()) }
    }
}

/// The debug list of a reply, if it has one.
pub(crate) fn debug_list(body: &Value) -> Option<&Value> {
    let obj = body.as_object()?;
    DEBUG_LIST_KEYS.iter().find_map(|k| obj.get(*k)).filter(|v| !v.is_null())
}

fn flatten(value: &Value, path: String, out: &mut Vec<ParamProblem>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let p = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                flatten(v, p, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                flatten(v, format!("{path}[{i}]"), out);
            }
        }
        Value::Null => {}
        Value::String(s) => out.push(ParamProblem { field: path, message: s.clone() }),
        other => out.push(ParamProblem { field: path, message: other.to_string() }),
    }
}

/// Turn an operation into its validate-only form: `debug=1` in the query string
/// (whatever the method) and safe to replay, since the platform executes nothing.
pub fn with_debug(op: Operation) -> Operation {
    op.query("debug", "1").idempotent(true)
}

impl MoyunClient {
    /// Send `op` in validate-only mode (`debug=1`) and return the platform's list of
    /// parameter problems. Build `op` with any generated request's `into_operation()`;
    /// local validation errors surface there, before anything is sent.
    pub async fn debug(&self, op: Operation) -> conf_core::Result<DebugReport> {
        let info = op.info(1);
        let body: Value = self.send(crate::custom(with_debug(op))).await?;
        let report = DebugReport::from_reply(&body);
        if report.raw.is_none() && matches!(body.get("success"), Some(Value::Number(n)) if n.as_i64() == Some(0)) {
            return Err(vendor_error(&info, &body));
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_three_spellings_and_nesting() {
        for key in DEBUG_LIST_KEYS {
            let body: Value = serde_json::from_str(&format!(
                r#"{{"success":1,"{key}":{{"mts":[{{}},{{"bitrate":"下参中缺少该必填参数"}}],"conf":{{"name":"too long"}}}}}}"#
            ))
            .unwrap();
            let r = DebugReport::from_reply(&body);
            assert!(!r.is_valid(), "{key}");
            assert_eq!(
                r.problems,
                vec![
                    ParamProblem { field: "conf.name".into(), message: "too long".into() },
                    ParamProblem { field: "mts[1].bitrate".into(), message: "下参中缺少该必填参数".into() },
                ],
                "{key}"
            );
        }
    }

    #[test]
    fn no_list_means_valid() {
        let r = DebugReport::from_reply(&serde_json::json!({"success": 1}));
        assert!(r.is_valid() && r.raw.is_none());
        let r = DebugReport::from_reply(&serde_json::json!({"success": 1, "debug_list": {}}));
        assert!(r.is_valid() && r.raw.is_some());
    }

    #[test]
    fn with_debug_adds_query_and_idempotency() {
        let op = Operation::new("moyun", "t", http::Method::POST, "/x", "/x");
        let op = with_debug(op);
        assert_eq!(op.query, vec![("debug".to_string(), "1".to_string())]);
        assert!(op.idempotent);
    }
}
