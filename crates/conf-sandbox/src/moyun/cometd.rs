//! CometD/Bayeux over HTTP long polling at `/api/v1/publish` (and `/api/v1/publish/*`,
//! where clients append the message type).
//!
//! - `/meta/handshake` needs a live user session (the `SSO_COOKIE_KEY` cookie):
//!   otherwise `403::Unauthorized`. The reply carries `clientId`, the advice
//!   (`timeout` = the long-poll hold time) and `ext.user_domain_moid`.
//! - `/meta/subscribe` accepts channels under `/userdomains/{domain}/` only.
//! - `/meta/connect` answers queued messages at once, or holds the request until a
//!   message arrives or the hold time passes. An unknown client (forgotten, or its
//!   session expired) gets `402::Unknown client` with `reconnect: handshake`.
//! - `/meta/disconnect` forgets the client.

use std::sync::Arc;

use axum::response::Response;
use serde_json::{Value, json};
use tokio::sync::Notify;
use tokio::time::Instant;

use super::MoyunEmulator;
use super::rest::{Req, broken, reply};
use super::state::PushClient;
use crate::harness::sse::Interrupt;

fn unknown_client(channel: &str, id: &Value) -> Value {
    json!({"channel": channel, "id": id, "successful": false, "error": "402::Unknown client", "advice": {"reconnect": "handshake", "interval": 0}})
}

fn session_alive(emu: &MoyunEmulator, st: &super::state::State, cookie: &str) -> bool {
    st.sessions.get(cookie).is_some_and(|(_, at)| at.elapsed() < emu.inner.config.session_ttl)
}

pub(crate) async fn handle(emu: &MoyunEmulator, req: &Req) -> Response {
    let messages = match serde_json::from_slice::<Value>(&req.body) {
        Ok(Value::Array(v)) => v,
        Ok(obj @ Value::Object(_)) => vec![obj],
        _ => return reply(json!([{"successful": false, "error": "400::Bad request: not Bayeux JSON"}])),
    };
    let cookie = req.cookie("SSO_COOKIE_KEY").unwrap_or_default();
    let timeout_ms = emu.inner.config.long_poll.as_millis() as u64;
    let mut replies = Vec::new();
    let mut poll: Option<(String, Value)> = None;
    {
        let mut st = emu.state();
        for m in messages {
            let channel = m.get("channel").and_then(Value::as_str).unwrap_or("").to_string();
            let id = m.get("id").cloned().unwrap_or(Value::Null);
            let client_id = m.get("clientId").and_then(Value::as_str).unwrap_or("").to_string();
            match channel.as_str() {
                "/meta/handshake" => {
                    if !session_alive(emu, &st, &cookie) {
                        replies.push(json!({"channel": channel, "id": id, "successful": false, "error": "403::Unauthorized",
                            "advice": {"reconnect": "none"}}));
                        continue;
                    }
                    st.counters.handshakes += 1;
                    let n = st.next();
                    let cid = format!("cid{n:x}z{:x}", n.wrapping_mul(2_654_435_761));
                    st.push.insert(
                        cid.clone(),
                        PushClient {
                            session: cookie.clone(),
                            subscriptions: Vec::new(),
                            queue: Default::default(),
                            wake: Arc::new(Notify::new()),
                        },
                    );
                    replies.push(json!({
                        "channel": channel, "id": id, "successful": true, "version": "1.0", "minimumVersion": "1.0",
                        "clientId": cid, "supportedConnectionTypes": ["long-polling"],
                        "advice": {"reconnect": "retry", "interval": 0, "timeout": timeout_ms},
                        "ext": {"user_domain_moid": emu.inner.config.domain_id},
                    }));
                }
                "/meta/subscribe" | "/meta/unsubscribe" => {
                    let sub = m.get("subscription").and_then(Value::as_str).unwrap_or("").to_string();
                    let prefix = format!("/userdomains/{}/", emu.inner.config.domain_id);
                    let alive = st.push.get(&client_id).is_some_and(|c| session_alive(emu, &st, &c.session));
                    if !alive {
                        st.push.remove(&client_id);
                        let mut r = unknown_client(&channel, &id);
                        r["subscription"] = json!(sub);
                        replies.push(r);
                        continue;
                    }
                    if !sub.starts_with(&prefix) {
                        replies.push(json!({"channel": channel, "id": id, "subscription": sub, "successful": false,
                            "error": format!("403:{sub}:Forbidden channel")}));
                        continue;
                    }
                    let subscribe = channel == "/meta/subscribe";
                    if subscribe {
                        st.counters.subscribes += 1;
                    }
                    if let Some(c) = st.push.get_mut(&client_id) {
                        if subscribe {
                            if !c.subscriptions.contains(&sub) {
                                c.subscriptions.push(sub.clone());
                            }
                        } else {
                            c.subscriptions.retain(|s| s != &sub);
                        }
                    }
                    replies.push(json!({"channel": channel, "id": id, "subscription": sub, "successful": true}));
                }
                "/meta/connect" => {
                    st.counters.connects += 1;
                    let alive = st.push.get(&client_id).is_some_and(|c| session_alive(emu, &st, &c.session));
                    if alive {
                        poll = Some((client_id, id));
                    } else {
                        st.push.remove(&client_id);
                        replies.push(unknown_client(&channel, &id));
                    }
                }
                "/meta/disconnect" => {
                    st.push.remove(&client_id);
                    replies.push(json!({"channel": channel, "id": id, "successful": true}));
                }
                other => {
                    replies.push(json!({"channel": other, "id": id, "successful": false, "error": "403::Publishing not allowed"}));
                }
            }
        }
    }
    if let Some((client_id, id)) = poll {
        match long_poll(emu, &client_id).await {
            PollEnd::Messages(mut messages) => {
                replies.append(&mut messages);
                replies.push(json!({"channel": "/meta/connect", "id": id, "successful": true,
                    "advice": {"reconnect": "retry", "interval": 0, "timeout": timeout_ms}}));
            }
            PollEnd::Unknown => replies.push(unknown_client("/meta/connect", &id)),
            PollEnd::Aborted => return broken(),
        }
    }
    reply(Value::Array(replies))
}

enum PollEnd {
    Messages(Vec<Value>),
    Unknown,
    Aborted,
}

/// Wait for messages of `client_id` (or the hold time) under the emulator's
/// [`StreamControl`](crate::harness::sse::StreamControl): a cut ends the poll with an
/// empty answer, an abort breaks the connection, a stall holds the answer.
async fn long_poll(emu: &MoyunEmulator, client_id: &str) -> PollEnd {
    let mut watch = emu.inner.streams.watch();
    let deadline = Instant::now() + emu.inner.config.long_poll;
    let wait = async {
        loop {
            let wake = {
                let st = emu.state();
                let Some(client) = st.push.get(client_id) else {
                    return;
                };
                if !client.queue.is_empty() {
                    return;
                }
                client.wake.clone()
            };
            tokio::select! {
                () = wake.notified() => {}
                () = tokio::time::sleep_until(deadline) => return,
            }
        }
    };
    match watch.run(wait).await {
        Ok(()) | Err(Interrupt::Cut) => {
            let mut st = emu.state();
            match st.push.get_mut(client_id) {
                Some(client) => PollEnd::Messages(client.queue.drain(..).collect()),
                None => PollEnd::Unknown,
            }
        }
        Err(Interrupt::Abort) => PollEnd::Aborted,
    }
}
