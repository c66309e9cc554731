//! The CometD side of a push stream: handshake (logging in again once when the platform
//! refuses the session), subscribe, long poll, follow the server's advice. The conf-core
//! reconnecting stream around it owns backoff, the silence watchdog and the failure budget.

use std::collections::VecDeque;
use std::sync::Weak;
use std::time::Duration;

use conf_core::reconnect::{ConnectError, DropReason, Signal, Source};
use conf_core::{Error, RequestInfo, TimeoutKind, WeakClient};
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};

use super::bayeux::{
    Limits, MAX_ADVICE, auth_refused, credentials_rejected, error_text, exchange, info, is_unknown_client, reply_for, successful, text,
};
use super::{Command, PushConfig, PushEvent, PushMessage};
use crate::MoyunClient;
use crate::session::{Session, SessionInner};

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
    commands: mpsc::UnboundedReceiver<Command>,
    domain: watch::Sender<Option<String>>,
    logins: watch::Receiver<u64>,
    channels: Vec<String>,
    client_id: Option<String>,
    domain_id: Option<String>,
    timeout: Duration,
    interval: Duration,
    next_id: u64,
    request_timeout: Duration,
    limits: Limits,
    /// Signals read but not handed out yet (the messages of one reply, subscription reports).
    pending: VecDeque<Signal<PushEvent>>,
    /// Handed out once `pending` is empty: the reply also ended the CometD session.
    drop_after: Option<DropReason>,
    /// The pause the server advised before the next poll.
    pause: Duration,
}

impl Connection {
    pub(crate) fn new(
        client: &MoyunClient,
        config: PushConfig,
        commands: mpsc::UnboundedReceiver<Command>,
        domain: watch::Sender<Option<String>>,
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
            commands,
            domain,
            logins: client.session().login_events(),
            channels,
            client_id: None,
            domain_id: None,
            interval: Duration::ZERO,
            next_id: 0,
            request_timeout: client.core().config().attempt_timeout,
            limits,
            pending: VecDeque::new(),
            drop_after: None,
            pause: Duration::ZERO,
        }
    }

    fn session(&self) -> Result<Session, Error> {
        self.session.upgrade().map(Session::from_inner).ok_or_else(|| Error::other("moyun client dropped"))
    }

    fn id(&mut self) -> String {
        self.next_id += 1;
        self.next_id.to_string()
    }

    fn full_channel(&self, channel: &str) -> String {
        match (&self.domain_id, channel.starts_with("/userdomains/")) {
            (Some(d), false) => format!("/userdomains/{d}{channel}"),
            _ => channel.to_string(),
        }
    }

    /// Log in if needed, handshake (logging in again once if the platform refuses the
    /// cookie), subscribe every channel.
    pub(crate) async fn handshake(&mut self) -> Result<(), Error> {
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
        tracing::info!(domain_id = %domain_id, "moyun push: handshake done");
        let channels = self.channels.clone();
        // Reported first on this connection, before its messages.
        let before = self.pending.len();
        let subscribed = self.subscribe_all(&channels).await?;
        self.pending.insert(before, Signal::Notice(PushEvent::Subscribed { domain_id, channels: subscribed }));
        self.drop_after = None;
        self.pause = Duration::ZERO;
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
        let replies = exchange(self.core.clone(), self.path.clone(), "push.handshake", msg, self.request_timeout, self.limits).await?;
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
        let replies = exchange(self.core.clone(), self.path.clone(), op, Value::Array(msgs), self.request_timeout, self.limits).await?;
        let mut ok = Vec::new();
        for c in &full {
            let reply = replies.iter().find(|m| {
                m.get("channel").and_then(Value::as_str) == Some(meta) && m.get("subscription").and_then(Value::as_str) == Some(c)
            });
            match reply {
                Some(r) if successful(r) => ok.push(c.clone()),
                Some(r) if is_unknown_client(r) => return Err(unknown_client(op, error_text(r))),
                Some(r) => self.pending.push_back(Signal::Notice(PushEvent::SubscribeFailed { channel: c.clone(), error: error_text(r) })),
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

    /// The long-poll limit: the advised hold time plus the margin (the silence watchdog).
    fn poll_limit(&self) -> Duration {
        self.timeout.saturating_add(self.config.reconnect.silence_timeout)
    }

    /// One long poll (serving (un)subscribe commands meanwhile); its signals are queued.
    async fn poll(&mut self) {
        if !self.pause.is_zero() {
            tokio::time::sleep(std::mem::take(&mut self.pause)).await;
        }
        let client_id = self.client_id.clone().unwrap_or_default();
        let msg = json!([{"channel": "/meta/connect", "clientId": client_id, "connectionType": "long-polling", "id": self.id()}]);
        let limit = self.poll_limit();
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
            }
        };
        match end {
            PollEnd::Closed => self.pending.push_back(Signal::Finished),
            PollEnd::Relogin => {
                tracing::info!("moyun push: session logged in again: handshaking again");
                self.drop_after = Some(DropReason::CredentialRenewed);
            }
            PollEnd::Replies(Err(e @ Error::Timeout { kind: TimeoutKind::Attempt(_), .. })) => {
                tracing::warn!(error = %e, "moyun push: long poll silent beyond the advised hold time");
                self.drop_after = Some(DropReason::SilenceTimeout { after: limit });
            }
            PollEnd::Replies(Err(e)) => {
                tracing::warn!(error = %e, "moyun push: long poll failed");
                self.drop_after = Some(DropReason::Broken(e));
            }
            PollEnd::Replies(Ok(replies)) => {
                let connected = replies.iter().any(|m| m.get("channel").and_then(Value::as_str) == Some("/meta/connect") && successful(m));
                let refusal = self.handle_replies(replies);
                if self.client_id.is_some() && connected {
                    self.pending.push_back(Signal::Healthy);
                    self.pause = self.interval;
                } else {
                    // Refused (`402::Unknown client`, `reconnect: handshake`) or a reply with no
                    // `/meta/connect` answer: handshake again after a pause; it counts as a failure.
                    self.drop_after = Some(match refusal {
                        Some(reason) => DropReason::Refused(unknown_client("push.connect", reason)),
                        None if self.client_id.is_none() => DropReason::Refused(Error::Decode {
                            request: info("push.connect"),
                            excerpt: String::new(),
                            message: "the server asked to handshake again".into(),
                        }),
                        None => DropReason::Broken(Error::Decode {
                            request: info("push.connect"),
                            excerpt: String::new(),
                            message: "the long poll's reply has no successful /meta/connect answer".into(),
                        }),
                    });
                }
            }
        }
    }

    /// Queue the messages of a reply and follow its advice; answer a refusal's reason.
    fn handle_replies(&mut self, replies: Vec<Value>) -> Option<String> {
        let mut refusal = None;
        for m in replies {
            let channel = m.get("channel").and_then(Value::as_str).unwrap_or("").to_string();
            if channel.starts_with("/meta/") {
                self.apply_advice(&m);
                if channel == "/meta/connect" && !successful(&m) {
                    let reconnect = m.get("advice").and_then(|a| a.get("reconnect")).and_then(Value::as_str);
                    let reason = error_text(&m);
                    tracing::info!(error = %reason, ?reconnect, "moyun push: connect refused: handshaking again");
                    self.client_id = None;
                    refusal = Some(reason);
                } else if m.get("advice").and_then(|a| a.get("reconnect")).and_then(Value::as_str) == Some("handshake") {
                    self.client_id = None;
                }
                continue;
            }
            if let Some(data) = m.get("data") {
                self.pending.push_back(Signal::Event(PushEvent::Message(PushMessage::from_bayeux(&channel, data.clone()))));
            }
        }
        refusal
    }

    async fn disconnect(&mut self) {
        if let Some(client_id) = self.client_id.take() {
            let msg = json!([{"channel": "/meta/disconnect", "clientId": client_id, "id": self.id()}]);
            let _ = exchange(self.core.clone(), self.path.clone(), "push.disconnect", msg, Duration::from_secs(2), self.limits).await;
        }
    }
}

/// The platform forgot the CometD client (`402::Unknown client`).
fn unknown_client(operation: &'static str, message: String) -> Error {
    Error::Vendor { request: info(operation), vendor: "moyun", code: "402".into(), message, retryable: true, request_id: None }
}

impl Source for Connection {
    type Event = PushEvent;

    async fn connect(&mut self) -> Result<(), ConnectError> {
        if self.session.strong_count() == 0 {
            return Err(ConnectError::Closed);
        }
        match self.handshake().await {
            Ok(()) => Ok(()),
            Err(e) if credentials_rejected(&e) && !matches!(e, Error::Auth { .. }) => Err(ConnectError::Fatal(e)),
            Err(e @ Error::Auth { .. }) => Err(ConnectError::Rejected(e)),
            Err(e) if self.session.strong_count() == 0 => {
                tracing::debug!(error = %e, "moyun push: the client is gone");
                Err(ConnectError::Closed)
            }
            Err(e) => Err(ConnectError::Failed(e)),
        }
    }

    async fn next(&mut self) -> Signal<PushEvent> {
        loop {
            if let Some(signal) = self.pending.pop_front() {
                return signal;
            }
            if let Some(reason) = self.drop_after.take() {
                return Signal::Dropped(reason);
            }
            self.poll().await;
        }
    }

    fn silence_timeout(&self, policy: Duration) -> Duration {
        // A long poll is held up to the advised time, after the advised pause.
        self.timeout.saturating_add(self.interval).saturating_add(policy)
    }

    fn dropped(&mut self, _reason: &DropReason) {
        // Handshake again (without `/meta/disconnect`: the session is already broken).
        self.client_id = None;
        self.drop_after = None;
        self.pause = Duration::ZERO;
        self.pending.retain(|s| matches!(s, Signal::Event(_)));
    }

    async fn close(&mut self) {
        self.disconnect().await;
    }

    fn credential_name(&self) -> &'static str {
        "login session"
    }

    fn request(&self) -> RequestInfo {
        info("push.connect")
    }
}
