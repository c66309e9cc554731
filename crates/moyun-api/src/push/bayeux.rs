//! The Bayeux protocol over HTTP long polling: one bounded exchange, and the reading of replies.

use std::time::Duration;

use conf_core::{AuthMode, Body, Error, Operation, RequestInfo, TimeoutKind, TransportKind, WeakClient};
use http::Method;
use serde_json::Value;
use serde_json::value::RawValue;

use super::PushConfig;

/// Path of the platform's CometD endpoint.
pub const PUBLISH_PATH: &str = "/api/v1/publish";

/// Check a channel: absolute, no empty segment, `*`/`**` only as the whole last segment.
pub fn validate_channel(channel: &str) -> Result<(), Error> {
    let bad = |reason: &str| Err(Error::invalid_input("channel", format!("`{channel}`: {reason}")));
    let Some(rest) = channel.strip_prefix('/') else {
        return bad("must start with `/`");
    };
    let segs: Vec<&str> = rest.split('/').collect();
    for (i, s) in segs.iter().enumerate() {
        if s.is_empty() {
            return bad("empty segment");
        }
        if s.contains('*') && (i + 1 != segs.len() || !matches!(*s, "*" | "**")) {
            return bad("wildcards `*` and `**` are allowed only as the last segment");
        }
    }
    if channel.starts_with("/meta/") || channel.starts_with("/service/") {
        return bad("meta and service channels are not subscribable");
    }
    Ok(())
}

pub(super) fn info(operation: &'static str) -> RequestInfo {
    RequestInfo::new(crate::envelope::VENDOR, operation, Method::POST, PUBLISH_PATH).attempts(1)
}

/// Longest advised long-poll hold time or poll interval believed (10 minutes).
pub(crate) const MAX_ADVICE: Duration = Duration::from_secs(600);

/// The read bounds of one exchange (from [`PushConfig`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    reply: usize,
    messages: usize,
    message: usize,
}

impl Limits {
    pub(crate) fn of(config: &PushConfig) -> Self {
        Self { reply: config.max_reply_bytes.max(1), messages: config.max_messages.max(1), message: config.max_message_bytes.max(1) }
    }
}

/// POST a batch of Bayeux messages through the client's stream path (its transport,
/// cookies, API-Level header, redirect rule and error-body cap); answer the reply's
/// messages. The whole exchange, reply body included, must finish within `limit`.
pub(super) async fn exchange(
    core: WeakClient,
    path: String,
    operation: &'static str,
    messages: Value,
    limit: Duration,
    limits: Limits,
) -> Result<Vec<Value>, Error> {
    let body = serde_json::to_vec(&messages).map_err(|e| Error::invalid_input("messages", e.to_string()))?;
    let op = Operation::new(crate::envelope::VENDOR, operation, Method::POST, PUBLISH_PATH, path)
        .header("accept", "application/json")?
        .body(Body::Json { bytes: body.into(), content_type: Some("application/json;charset=UTF-8") })
        .auth(AuthMode::None)
        .attempt_timeout(limit);
    // The client's session is not applied (`AuthMode::None`): the connection logs in and
    // renews itself; the login cookie rides along from the client's cookie store. A weak
    // handle: a long poll in progress does not keep a dropped client alive.
    let send = async {
        let resp = core.open_stream(op).await?;
        resp.read_capped(limits.reply).await
    };
    let (body, complete) = match tokio::time::timeout(limit, send).await {
        Ok(r) => r?,
        Err(_) => return Err(Error::Timeout { request: info(operation), kind: TimeoutKind::Attempt(limit) }),
    };
    if !complete {
        return Err(Error::transport(
            info(operation),
            TransportKind::Other,
            format!("CometD reply larger than {} bytes: not read further", limits.reply),
            true,
        ));
    }
    parse_batch(operation, &body, limits)
}

/// Split a reply into its messages in one linear pass (each kept as raw JSON text
/// borrowed from the body), check the batch and message limits, then decode each.
fn parse_batch(operation: &'static str, body: &[u8], limits: Limits) -> Result<Vec<Value>, Error> {
    let request = info(operation);
    let bad = |message: String| conf_core::envelope::decode_error(&request, body, false, message);
    let first = body.iter().find(|b| !b.is_ascii_whitespace()).copied();
    if first != Some(b'[') {
        // A single message not wrapped in an array.
        if body.len() > limits.message {
            return Err(bad(format!("a CometD message larger than {} bytes", limits.message)));
        }
        return conf_core::envelope::decode_json(&request, body, false).map(|v| vec![v]);
    }
    let raw: Vec<&RawValue> = serde_json::from_slice(body).map_err(|e| bad(e.to_string()))?;
    if raw.len() > limits.messages {
        return Err(bad(format!("{} CometD messages in one reply (limit {})", raw.len(), limits.messages)));
    }
    raw.into_iter()
        .map(|m| {
            if m.get().len() > limits.message {
                return Err(bad(format!("a CometD message larger than {} bytes", limits.message)));
            }
            serde_json::from_str(m.get()).map_err(|e| bad(e.to_string()))
        })
        .collect()
}

pub(super) fn reply_for<'a>(replies: &'a [Value], channel: &str) -> Option<&'a Value> {
    replies.iter().find(|m| m.get("channel").and_then(Value::as_str) == Some(channel))
}

pub(super) fn successful(m: &Value) -> bool {
    match m.get("successful") {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s == "true",
        _ => false,
    }
}

pub(super) fn error_text(m: &Value) -> String {
    m.get("error").and_then(Value::as_str).unwrap_or("unsuccessful").to_string()
}

pub(super) fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

pub(super) fn is_unknown_client(m: &Value) -> bool {
    error_text(m).starts_with("402")
}

/// Whether an error says the credentials themselves are refused (wrong application key or
/// secret `10001`, wrong password `10101`, or an [`Error::Auth`]): retrying cannot help.
pub(super) fn credentials_rejected(e: &Error) -> bool {
    matches!(e, Error::Auth { .. }) || matches!(e.vendor_code(), Some("10001" | "10101"))
}

/// Whether a handshake failure says the session (cookie) was refused.
pub(super) fn auth_refused(e: &Error) -> bool {
    match e {
        Error::HttpStatus { status, .. } => matches!(status, 401 | 403),
        Error::Vendor { code, message, .. } => {
            code == "401" || code == "403" || message.to_ascii_lowercase().contains("unauthorized") || message.contains("10102")
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_are_validated() {
        assert!(validate_channel("/confs/**").is_ok());
        assert!(validate_channel("/confs/1/cascades/0/mts/*").is_ok());
        assert!(validate_channel("/userdomains/d/confs/1").is_ok());
        assert!(validate_channel("confs/1").is_err());
        assert!(validate_channel("/confs/*/mts").is_err());
        assert!(validate_channel("/confs/1*").is_err());
        assert!(validate_channel("/confs//1").is_err());
        assert!(validate_channel("/meta/connect").is_err());
    }
}
