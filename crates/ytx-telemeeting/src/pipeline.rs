//! What ytx plugs into the conf-core pipeline: the account hook (path prefix, `appid`,
//! the `action` rule) registered on the conf-core client, so `client.core().execute(op)`
//! applies it too; the deserializer generated operations name; the client handle.

use conf_core::envelope::top_level_raw;
use conf_core::operation::encode_path_segment;
use conf_core::{Body, ClientHandle, Custom, Error, Hook, Operation, RawResponse};
use serde::de::DeserializeOwned;

use crate::client::{JSON_UTF8, YtxClient};

/// The TeleMeeting actions this crate knows (the generated operations are named after them).
const ACTIONS: [&str; 4] = ["createMeeting", "lockMeeting", "meetingState", "destroyMeeting"];

/// Every TeleMeeting call: the account prefix `/{version}/sid/{accountSID}` in front of
/// the path, the configured `appid` in the JSON body, and `action` matching the operation.
#[derive(Debug)]
pub(crate) struct Account {
    prefix: String,
    /// `"appid":"<app id>"`, JSON-encoded once.
    appid_member: String,
}

impl Account {
    pub(crate) fn new(version: &str, account_sid: &str, app_id: &str) -> Self {
        let app_id = serde_json::to_string(app_id).expect("a string serializes");
        Self {
            prefix: format!("/{}/sid/{}", encode_path_segment(version), encode_path_segment(account_sid)),
            appid_member: format!("\"appid\":{app_id}"),
        }
    }
}

impl Hook for Account {
    fn name(&self) -> &'static str {
        "ytx.account"
    }

    /// The body is not rebuilt: its top-level fields are scanned (`action`, `appid`) and the
    /// `appid` member is spliced in after the opening brace.
    fn modify_operation(&self, op: &mut Operation) -> Result<(), Error> {
        op.path.insert_str(0, &self.prefix);
        let body: &[u8] = match &op.body {
            Body::Json { bytes, .. } => bytes,
            Body::Empty => b"{}",
            _ => return Err(Error::invalid_input("body", "a TeleMeeting body must be JSON")),
        };
        let fields = top_level_raw(body, &["action", "appid"])
            .ok()
            .flatten()
            .ok_or_else(|| Error::invalid_input("body", "a TeleMeeting body must be a JSON object"))?;
        if ACTIONS.contains(&op.name) && fields.get("action").and_then(|a| serde_json::from_str::<&str>(a.get()).ok()) != Some(op.name) {
            return Err(Error::invalid_input("action", format!("is set by the SDK; `{}` sends `{}`", op.name, op.name)));
        }
        if fields.contains("appid") {
            return Err(Error::invalid_input("appid", "is set by the client (`YtxClient::builder(.., app_id)`)"));
        }
        let text = std::str::from_utf8(body).map_err(|_| Error::invalid_input("body", "not UTF-8"))?;
        let rest = text.trim_start().strip_prefix('{').unwrap_or_default();
        let sep = if rest.trim_start().starts_with('}') { "" } else { "," };
        let spliced = format!("{{{}{sep}{rest}", self.appid_member);
        op.body = Body::Json { bytes: spliced.into(), content_type: Some(JSON_UTF8) };
        Ok(())
    }
}

/// The ytx deserializer: a success reply into `T` (a `meid` nested in `statusMsg` is lifted; `createMeeting` without one is a decode error).
pub fn decode<T: DeserializeOwned>(op: &Operation, response: &RawResponse) -> Result<T, Error> {
    decode_reply(&op.info(1), &response.body)
}

/// A hand-built TeleMeeting operation, read like the generated ones:
/// `client.send(ytx_telemeeting::custom::<serde_json::Value>(op))`.
pub fn custom<T: DeserializeOwned + Send + 'static>(op: Operation) -> Custom<T> {
    Custom::new(op, decode::<T>)
}

impl ClientHandle for YtxClient {
    fn core(&self) -> &conf_core::Client {
        self.core()
    }
}

/// Decode a success reply into `T`, reading the body once: the few top-level fields the
/// `meid` rule needs are borrowed as raw text, then the body goes straight into its type.
///
/// The document names the created meeting's id `meid` without showing where the reply
/// carries it: a `meid` inside an object `statusMsg` is also put at the top level, and a
/// `createMeeting` reply without one is a decode error (the caller could not use the meeting).
fn decode_reply<T: DeserializeOwned>(info: &conf_core::RequestInfo, body: &[u8]) -> Result<T, Error> {
    use conf_core::envelope::{decode_error, decode_json, top_level_raw};
    let fields = top_level_raw(body, &["meid", "statusMsg"]).map_err(|e| decode_error(info, body, false, e))?.unwrap_or_default();
    let lifted = if fields.contains("meid") {
        None
    } else {
        fields
            .get("statusMsg")
            .filter(|m| m.get().starts_with('{'))
            .and_then(|m| top_level_raw(m.get().as_bytes(), &["meid"]).ok().flatten())
            .and_then(|inner| inner.get("meid"))
    };
    let meid = lifted.or_else(|| fields.get("meid"));
    if info.operation == "createMeeting" && !meid.is_some_and(|m| has_meid(m.get())) {
        return Err(decode_error(info, body, false, "the reply carries no meeting id (`meid`)"));
    }
    match lifted {
        // The body is an object (it has `statusMsg`) without a top-level `meid`: the same
        // object with `"meid": <inner meid>` first. A small reply (`createMeeting`'s).
        Some(meid) => {
            let text = std::str::from_utf8(body).map_err(|e| decode_error(info, body, false, e))?;
            let rest = text.trim_start().strip_prefix('{').unwrap_or_default();
            let patched = format!("{{\"meid\":{},{rest}", meid.get());
            decode_json(info, patched.as_bytes(), false)
        }
        None => decode_json(info, body, false),
    }
}

/// Whether a raw `meid` is a usable id: a non-blank string or a number.
fn has_meid(raw: &str) -> bool {
    match raw.as_bytes().first() {
        Some(b'"') => serde_json::from_str::<String>(raw).is_ok_and(|s| !s.trim().is_empty()),
        Some(b'-' | b'0'..=b'9') => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[derive(serde::Deserialize, Debug)]
    struct Created {
        meid: String,
        #[serde(rename = "statusMsg")]
        status_msg: Value,
    }

    fn decode(operation: &'static str, body: &str) -> Result<Created, Error> {
        decode_reply(&conf_core::RequestInfo::none("ytx", operation), body.as_bytes())
    }

    #[test]
    fn meid_is_found_where_it_is() {
        let c = decode("createMeeting", r#" {"statusCode":"0","statusMsg":{"meid":"7"}}"#).unwrap();
        assert_eq!(c.meid, "7");
        assert_eq!(c.status_msg, serde_json::json!({"meid": "7"}));
        let c = decode("createMeeting", r#"{"statusCode":"0","statusMsg":"提交成功","meid":"8"}"#).unwrap();
        assert_eq!(c.meid, "8");
        let c = decode("createMeeting", r#"{"statusCode":"0","statusMsg":{"meid":"9"},"meid":"8"}"#).unwrap();
        assert_eq!(c.meid, "8", "a top-level meid wins");
        for body in [
            r#"{"statusCode":"0","statusMsg":"提交成功"}"#,
            r#"{"statusCode":"0","meid":" "}"#,
            r#"{"statusCode":"0","meid":null}"#,
            r#"{"statusCode":"0","statusMsg":{"meid":""}}"#,
        ] {
            let e = decode("createMeeting", body).unwrap_err();
            assert!(matches!(&e, Error::Decode { message, .. } if message.contains("meid")), "{body}: {e}");
        }
        // Other operations need no meid; an array is still not an object.
        assert!(decode_reply::<Value>(&conf_core::RequestInfo::none("ytx", "lockMeeting"), br#"{"statusCode":"0"}"#).is_ok());
        assert!(matches!(decode("lockMeeting", r#"[["7", "x"]]"#).unwrap_err(), Error::Decode { .. }));
    }
}
