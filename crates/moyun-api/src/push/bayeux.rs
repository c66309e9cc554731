//! The Bayeux protocol over HTTP long polling, and the connection task.

use std::sync::Weak;
use std::time::Duration;

use conf_core::{AuthMode, Body, Error, Operation, RequestInfo, TimeoutKind, TransportKind, WeakClient};
use http::Method;
use serde_json::value::RawValue;
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};

use std::sync::{Arc, Mutex};

use super::{Command, PushConfig, PushEnd, PushEvent, PushMessage};
use crate::MoyunClient;
use crate::session::{Session, SessionInner};

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

fn info(operation: &'static str) -> RequestInfo {
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
async fn exchange(
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

fn reply_for<'a>(replies: &'a [Value], channel: &str) -> Option<&'a Value> {
    replies.iter().find(|m| m.get("channel").and_then(Value::as_str) == Some(channel))
}

fn successful(m: &Value) -> bool {
    match m.get("successful") {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s == "true",
        _ => false,
    }
}

fn error_text(m: &Value) -> String {
    m.get("error").and_then(Value::as_str).unwrap_or("unsuccessful").to_string()
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// What ended a long poll.
enum PollEnd {
    Replies(Result<Vec<Value>, Error>),
    Relogin,
    Closed,
}

pub(crate) struct Connection {
    core: WeakClient,
    path: String,
    session: Weak<SessionInner>,
    config: PushConfig,
    events: mpsc::Sender<PushEvent>,
    commands: mpsc::UnboundedReceiver<Command>,
    domain: watch::Sender<Option<String>>,
    logins: watch::Receiver<u64>,
    channels: Vec<String>,
    client_id: Option<String>,
    domain_id: Option<String>,
    timeout: Duration,
    interval: Duration,
    next_id: u64,
    handshakes: u64,
    request_timeout: Duration,
    limits: Limits,
    ended: Arc<Mutex<Option<PushEnd>>>,
}

impl Connection {
    pub(crate) fn new(
        client: &MoyunClient,
        config: PushConfig,
        events: mpsc::Sender<PushEvent>,
        commands: mpsc::UnboundedReceiver<Command>,
        domain: watch::Sender<Option<String>>,
        ended: Arc<Mutex<Option<PushEnd>>>,
    ) -> Self {
        // The path is appended to the client's base URL (as every operation's is).
        let path = if config.path.starts_with('/') { config.path.clone() } else { format!("/{}", config.path) };
        let limits = Limits::of(&config);
        let mut channels = Vec::new();
        for c in &config.channels {
            if !channels.contains(c) {
                channels.push(c.clone());
            }
        }
        Self {
            core: client.core().downgrade(),
            path,
            session: client.session().weak(),
            timeout: config.default_timeout,
            config,
            events,
            commands,
            domain,
            logins: client.session().login_events(),
            channels,
            client_id: None,
            domain_id: None,
            interval: Duration::ZERO,
            next_id: 0,
            handshakes: 0,
            request_timeout: client.core().config().attempt_timeout,
            limits,
            ended,
        }
    }

    fn session(&self) -> Result<Session, Error> {
        self.session.upgrade().map(Session::from_inner).ok_or_else(|| Error::other("moyun client dropped"))
    }

    fn id(&mut self) -> String {
        self.next_id += 1;
        self.next_id.to_string()
    }

    fn request_limit(&self) -> Duration {
        self.request_timeout
    }

    fn full_channel(&self, channel: &str) -> String {
        match (&self.domain_id, channel.starts_with("/userdomains/")) {
            (Some(d), false) => format!("/userdomains/{d}{channel}"),
            _ => channel.to_string(),
        }
    }

    async fn emit(&self, event: PushEvent) {
        let _ = self.events.send(event).await;
    }

    /// The first handshake, in the caller's task: its failure is the caller's error.
    pub(crate) async fn first_handshake(&mut self) -> Result<(), Error> {
        self.handshake().await
    }

    /// Log in if needed, handshake (logging in again once if the platform refuses the
    /// cookie), subscribe every channel.
    async fn handshake(&mut self) -> Result<(), Error> {
        self.client_id = None;
        let session = self.session()?;
        let login = session.ensure().await?;
        self.logins.borrow_and_update();
        let reply = match self.try_handshake().await {
            Ok(r) => r,
            Err(e) if auth_refused(&e) => {
                tracing::info!(error = %e, "moyun push: handshake refused: logging in again");
                session.renew(&login, false).await?;
                self.logins.borrow_and_update();
                match self.try_handshake().await {
                    Ok(r) => r,
                    Err(e) if auth_refused(&e) => {
                        return Err(Error::Auth {
                            request: info("push.handshake"),
                            message: "the handshake was refused right after a fresh login".into(),
                            source: Some(Box::new(e)),
                        });
                    }
                    Err(e) => return Err(e),
                }
            }
            Err(e) => return Err(e),
        };
        drop(session);
        let client_id = reply.get("clientId").and_then(text).ok_or_else(|| Error::Decode {
            request: info("push.handshake"),
            excerpt: conf_core::error::excerpt(reply.to_string().as_bytes()),
            message: "handshake reply has no clientId".into(),
        })?;
        let domain_id = reply.get("ext").and_then(|e| e.get("user_domain_moid")).and_then(text).ok_or_else(|| Error::Decode {
            request: info("push.handshake"),
            excerpt: conf_core::error::excerpt(reply.to_string().as_bytes()),
            message: "handshake reply has no ext.user_domain_moid".into(),
        })?;
        self.apply_advice(&reply);
        self.client_id = Some(client_id.clone());
        self.domain_id = Some(domain_id.clone());
        self.domain.send_replace(Some(domain_id.clone()));
        self.handshakes += 1;
        tracing::info!(domain_id = %domain_id, handshakes = self.handshakes, "moyun push: handshake done");
        let channels = self.channels.clone();
        let subscribed = self.subscribe_all(&channels).await?;
        self.emit(PushEvent::Connected { domain_id, channels: subscribed, handshakes: self.handshakes }).await;
        Ok(())
    }

    async fn try_handshake(&mut self) -> Result<Value, Error> {
        let msg = json!([{
            "channel": "/meta/handshake",
            "version": "1.0",
            "minimumVersion": "1.0",
            "supportedConnectionTypes": ["long-polling"],
            "advice": {"timeout": 60000, "interval": 0},
            "id": self.id(),
        }]);
        let replies = exchange(self.core.clone(), self.path.clone(), "push.handshake", msg, self.request_limit(), self.limits).await?;
        let reply = reply_for(&replies, "/meta/handshake").cloned().ok_or_else(|| Error::Decode {
            request: info("push.handshake"),
            excerpt: conf_core::error::excerpt(Value::Array(replies.clone()).to_string().as_bytes()),
            message: "no /meta/handshake reply".into(),
        })?;
        if successful(&reply) {
            Ok(reply)
        } else {
            Err(Error::Vendor {
                request: info("push.handshake"),
                vendor: "moyun",
                code: error_text(&reply).split("::").next().unwrap_or("").to_string(),
                message: format!("handshake refused: {}", error_text(&reply)),
                retryable: true,
                request_id: None,
            })
        }
    }

    /// Subscribe `channels` in one request; answer the full names subscribed.
    async fn subscribe_all(&mut self, channels: &[String]) -> Result<Vec<String>, Error> {
        if channels.is_empty() {
            return Ok(Vec::new());
        }
        self.send_subscription("/meta/subscribe", channels).await
    }

    async fn send_subscription(&mut self, meta: &'static str, channels: &[String]) -> Result<Vec<String>, Error> {
        let Some(client_id) = self.client_id.clone() else {
            return Ok(Vec::new()); // not connected: applied at the next handshake
        };
        let full: Vec<String> = channels.iter().map(|c| self.full_channel(c)).collect();
        let msgs: Vec<Value> =
            full.iter().map(|c| json!({"channel": meta, "clientId": client_id, "subscription": c, "id": self.id()})).collect();
        let op = if meta == "/meta/subscribe" { "push.subscribe" } else { "push.unsubscribe" };
        let replies = exchange(self.core.clone(), self.path.clone(), op, Value::Array(msgs), self.request_limit(), self.limits).await?;
        let mut ok = Vec::new();
        for c in &full {
            let reply = replies.iter().find(|m| {
                m.get("channel").and_then(Value::as_str) == Some(meta) && m.get("subscription").and_then(Value::as_str) == Some(c)
            });
            match reply {
                Some(r) if successful(r) => ok.push(c.clone()),
                Some(r) if is_unknown_client(r) => {
                    return Err(Error::Vendor {
                        request: info(op),
                        vendor: "moyun",
                        code: "402".into(),
                        message: error_text(r),
                        retryable: true,
                        request_id: None,
                    });
                }
                Some(r) => self.emit(PushEvent::SubscribeFailed { channel: c.clone(), error: error_text(r) }).await,
                // Servers may acknowledge a batch with fewer replies: count a missing one as done.
                None => ok.push(c.clone()),
            }
        }
        Ok(ok)
    }

    fn apply_advice(&mut self, m: &Value) {
        if let Some(advice) = m.get("advice") {
            // `timeout: 0` asks for an immediate answer to one poll; it is not the hold time.
            // Server numbers: clamped, so an absurd advice neither overflows nor stalls the stream.
            if let Some(t) = advice.get("timeout").and_then(Value::as_u64).filter(|t| *t > 0) {
                self.timeout = Duration::from_millis(t).min(MAX_ADVICE);
            }
            if let Some(i) = advice.get("interval").and_then(Value::as_u64) {
                self.interval = Duration::from_millis(i).min(MAX_ADVICE);
            }
        }
    }

    async fn handle_command(&mut self, cmd: Command) {
        let result = match cmd {
            Command::Subscribe(c) => {
                if self.channels.contains(&c) {
                    return;
                }
                self.channels.push(c.clone());
                self.send_subscription("/meta/subscribe", std::slice::from_ref(&c)).await
            }
            Command::Unsubscribe(c) => {
                self.channels.retain(|x| x != &c);
                self.send_subscription("/meta/unsubscribe", std::slice::from_ref(&c)).await
            }
        };
        if let Err(e) = result {
            // The channel list is kept: the next handshake subscribes it.
            tracing::warn!(error = %e, "moyun push: (un)subscribe failed");
        }
    }

    /// The connection loop: long polls, re-handshakes, reconnection backoff, and the
    /// failure budget (consecutive failed reconnects; rejected credentials end it at once).
    pub(crate) async fn run(mut self) {
        let mut backoff = self.config.min_backoff;
        let mut failures = 0u32;
        loop {
            if self.client_id.is_none() {
                match self.handshake().await {
                    Ok(()) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "moyun push: handshake failed");
                        self.emit(PushEvent::Disconnected { reason: e.to_string() }).await;
                        if credentials_rejected(&e) {
                            return self.end(PushEnd::CredentialsRejected(e)).await;
                        }
                        failures = failures.saturating_add(1);
                        if let Some(end) = self.over_budget(failures, e) {
                            return self.end(end).await;
                        }
                        if self.pause(backoff).await {
                            return;
                        }
                        backoff = self.next_backoff(backoff);
                        continue;
                    }
                }
            }
            let client_id = self.client_id.clone().unwrap_or_default();
            let msg = json!([{"channel": "/meta/connect", "clientId": client_id, "connectionType": "long-polling", "id": self.id()}]);
            // The watchdog: a poll silent past the advised timeout plus the margin is dropped.
            let limit = self.timeout.saturating_add(self.config.watchdog_margin);
            let poll = exchange(self.core.clone(), self.path.clone(), "push.connect", msg, limit, self.limits);
            tokio::pin!(poll);
            let end = loop {
                tokio::select! {
                    r = &mut poll => break PollEnd::Replies(r),
                    Some(cmd) = self.commands.recv() => self.handle_command(cmd).await,
                    changed = self.logins.changed() => {
                        // An error means the session (hence the client) is gone.
                        break if changed.is_ok() { PollEnd::Relogin } else { PollEnd::Closed };
                    }
                    () = self.events.closed() => break PollEnd::Closed,
                }
            };
            match end {
                PollEnd::Closed => {
                    self.disconnect().await;
                    return;
                }
                PollEnd::Relogin => {
                    tracing::info!("moyun push: session logged in again: handshaking again");
                    self.client_id = None;
                }
                PollEnd::Replies(Err(e)) => {
                    tracing::warn!(error = %e, "moyun push: long poll failed");
                    self.client_id = None;
                    self.emit(PushEvent::Disconnected { reason: e.to_string() }).await;
                    failures = failures.saturating_add(1);
                    if let Some(end) = self.over_budget(failures, e) {
                        return self.end(end).await;
                    }
                    if self.pause(backoff).await {
                        return;
                    }
                    backoff = self.next_backoff(backoff);
                }
                PollEnd::Replies(Ok(replies)) => {
                    let connected =
                        replies.iter().any(|m| m.get("channel").and_then(Value::as_str) == Some("/meta/connect") && successful(m));
                    self.handle_replies(replies).await;
                    let pause = if self.client_id.is_some() && connected {
                        backoff = self.config.min_backoff;
                        failures = 0;
                        self.interval
                    } else {
                        // Refused (`402::Unknown client`, `reconnect: handshake`) or a reply with no
                        // `/meta/connect` answer: poll or handshake again, after a pause that grows
                        // if the server keeps doing it; it counts against the failure budget.
                        failures = failures.saturating_add(1);
                        let why = Error::Decode {
                            request: info("push.connect"),
                            excerpt: String::new(),
                            message: if self.client_id.is_some() {
                                "the long poll's reply has no successful /meta/connect answer".into()
                            } else {
                                "the server refused the long poll".into()
                            },
                        };
                        if let Some(end) = self.over_budget(failures, why) {
                            return self.end(end).await;
                        }
                        let b = backoff;
                        backoff = self.next_backoff(backoff);
                        b
                    };
                    if !pause.is_zero() && self.pause(pause).await {
                        return;
                    }
                }
            }
        }
    }

    fn next_backoff(&self, backoff: Duration) -> Duration {
        backoff.saturating_mul(2).min(self.config.max_backoff)
    }

    /// The end of the stream when `failures` in a row exhaust the budget.
    fn over_budget(&self, failures: u32, last: Error) -> Option<PushEnd> {
        self.config.max_failures.filter(|max| failures >= *max).map(|_| PushEnd::TooManyFailures { failures, last })
    }

    /// End the stream: record why, say it in the log, close the event channel.
    async fn end(mut self, end: PushEnd) {
        tracing::error!(reason = %end, "moyun push: stream ended");
        *self.ended.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(end);
        self.disconnect().await;
        // Dropping `self` drops the event sender: the stream yields `None`.
    }

    async fn handle_replies(&mut self, replies: Vec<Value>) {
        for m in replies {
            let channel = m.get("channel").and_then(Value::as_str).unwrap_or("").to_string();
            if channel.starts_with("/meta/") {
                self.apply_advice(&m);
                if channel == "/meta/connect" && !successful(&m) {
                    let reconnect = m.get("advice").and_then(|a| a.get("reconnect")).and_then(Value::as_str);
                    let reason = error_text(&m);
                    tracing::info!(error = %reason, ?reconnect, "moyun push: connect refused: handshaking again");
                    self.client_id = None;
                    self.emit(PushEvent::Disconnected { reason }).await;
                } else if m.get("advice").and_then(|a| a.get("reconnect")).and_then(Value::as_str) == Some("handshake") {
                    self.client_id = None;
                }
                continue;
            }
            if let Some(data) = m.get("data") {
                self.emit(PushEvent::Message(PushMessage::from_bayeux(&channel, data.clone()))).await;
            }
        }
    }

    /// Sleep, unless the stream is dropped first (then answer true).
    async fn pause(&self, d: Duration) -> bool {
        tokio::select! {
            () = tokio::time::sleep(d) => false,
            () = self.events.closed() => true,
        }
    }

    async fn disconnect(&mut self) {
        if let Some(client_id) = self.client_id.take() {
            let msg = json!([{"channel": "/meta/disconnect", "clientId": client_id, "id": self.id()}]);
            let _ = exchange(self.core.clone(), self.path.clone(), "push.disconnect", msg, Duration::from_secs(2), self.limits).await;
        }
    }
}

fn is_unknown_client(m: &Value) -> bool {
    error_text(m).starts_with("402")
}

/// Whether an error says the credentials themselves are refused (wrong application key or
/// secret `10001`, wrong password `10101`, or an [`Error::Auth`]): retrying cannot help.
fn credentials_rejected(e: &Error) -> bool {
    matches!(e, Error::Auth { .. }) || matches!(e.vendor_code(), Some("10001" | "10101"))
}

/// Whether a handshake failure says the session (cookie) was refused.
fn auth_refused(e: &Error) -> bool {
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
