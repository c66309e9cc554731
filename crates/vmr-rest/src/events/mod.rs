//! Live events of a room: `GET events?token=...` as server-sent events.
//!
//! [`EventStream`] is conf-core's reconnecting stream
//! ([`conf_core::reconnect`], the same as moyun push): a [`futures_core::Stream`] of
//! `Result<`[`StreamItem`]`<`[`Event`]`>, Error>` — `Connected`, the events, after a drop
//! `Reconnecting { reason, attempt, delay }` — with [`EventStream::next_event`] (events
//! only) and [`EventStream::next_item`] to read it without any extension trait.
//!
//! It reconnects after a drop with capped backoff (at most [`ReconnectPolicy::max_backoff`]
//! between tries, default 5 s), always with the session's current token. Watchdogs: a
//! connection without a complete line (event, field or keep-alive comment; bytes that never
//! finish a line do not count) for [`ReconnectPolicy::silence_timeout`] (default 60 s), or
//! without an event for [`EventOptions::event_timeout`] (default 5 min), counts as dropped.
//! Every (re)connection starts with the `participant_sync_begin` ... `participant_sync_end`
//! bracket resending the whole roster (there is no replay of missed events), which
//! [`crate::Roster`] relies on.
//!
//! The stream ends after a `disconnect` event or when the session closes; it gives up, with
//! a last `Err` item ([`EventStream::error`] keeps it), after
//! [`ReconnectPolicy::max_failures`] consecutive failed connections (default 30: refused,
//! broken, or ended without delivering an event), or when the node refuses the token again
//! right after it was renewed (a credential rejected for good). The SSE parser keeps at most
//! one line ([`sse::SseLimits`], default 64 KiB) and one event's data (default 1 MiB), in
//! linear time.
//!
//! ```no_run
//! # async fn demo(session: vmr_rest::VmrSession) -> Result<(), conf_core::Error> {
//! let mut events = session.events();
//! while let Some(event) = events.next_event().await {
//!     println!("{}", event?.name());
//! }
//! # Ok(()) }
//! ```

mod source;
pub mod sse;
mod stats;
mod stream;

use serde::Deserialize;
use serde_json::Value;

use conf_core::de::{opt_bool_lenient, opt_string_lenient, opt_u64_lenient};

use crate::generated::{LayoutView, Participant};

/// The lifecycle items and reconnection settings, shared with every conf-sdk stream.
pub use conf_core::reconnect::{DropReason, ReconnectPolicy, StreamEnd, StreamItem};
pub use sse::SseLimits;
pub use stats::StreamStats;
pub use stream::{EventOptions, EventStream};

/// `futures-util`'s `StreamExt` (`.next()`, `.take(n)`, ...), re-exported for combinators;
/// [`EventStream::next_event`] and [`EventStream::next_item`] need no trait.
///
/// ```no_run
/// use vmr_rest::events::{StreamExt, StreamItem};
///
/// # async fn demo(session: vmr_rest::VmrSession) {
/// let mut events = session.events();
/// while let Some(Ok(item)) = events.next().await {
///     if let StreamItem::Event(event) = item {
///         println!("{}", event.name());
///     }
/// }
/// # }
/// ```
pub use futures_util::StreamExt;

/// One event of the room.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// A presentation started.
    PresentationStart(PresentationStart),
    /// The presentation stopped.
    PresentationStop,
    /// A new presentation frame is available (`presentation.jpeg`; public cloud only).
    PresentationFrame,
    /// A participant joined (public cloud only; enterprise nodes announce with updates).
    ParticipantCreate(Participant),
    /// A participant changed.
    ParticipantUpdate(Participant),
    /// A participant left.
    ParticipantDelete {
        /// Its uuid.
        uuid: String,
    },
    /// The node starts resending the whole participant list.
    ParticipantSyncBegin,
    /// The participant list has been resent.
    ParticipantSyncEnd,
    /// Conference properties changed.
    ServiceUpdate(ServiceUpdate),
    /// The layout changed.
    Layout(LayoutUpdate),
    /// A chat message.
    Message(ChatMessage),
    /// The speaker order changed.
    Stage(Vec<StageEntry>),
    /// A participant's sub-call ended.
    CallDisconnected {
        /// The sub-call.
        call_uuid: Option<String>,
        /// Why.
        reason: Option<String>,
    },
    /// This session was disconnected by the node; the stream ends after it.
    Disconnect {
        /// Why.
        reason: Option<String>,
    },
    /// An event this SDK does not know (e.g. `refer`, `on_hold`, `refresh_token`), or a
    /// known event whose body could not be decoded: kept as sent.
    Unknown {
        /// Event name.
        name: String,
        /// Raw data.
        data: String,
    },
}

/// Body of `presentation_start`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct PresentationStart {
    /// Presenter's name.
    #[serde(deserialize_with = "opt_string_lenient")]
    pub presenter_name: Option<String>,
    /// Presenter's address.
    #[serde(deserialize_with = "opt_string_lenient")]
    pub presenter_uri: Option<String>,
}

/// Body of `service_update`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct ServiceUpdate {
    /// Locked.
    #[serde(deserialize_with = "opt_bool_lenient")]
    pub locked: Option<bool>,
    /// Guests muted.
    #[serde(deserialize_with = "opt_bool_lenient")]
    pub guests_muted: Option<bool>,
}

/// Body of `layout`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct LayoutUpdate {
    /// The layout (`1:0`, `1:7`, `1:21`, ...).
    #[serde(deserialize_with = "opt_view")]
    pub view: Option<LayoutView>,
    /// Participants on screen, current speaker first.
    pub participants: Vec<String>,
}

fn opt_view<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<LayoutView>, D::Error> {
    Ok(opt_string_lenient(d)?.map(|s| LayoutView::from_value(&s)))
}

/// Body of `message`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct ChatMessage {
    /// Sender's display name.
    #[serde(deserialize_with = "opt_string_lenient")]
    pub origin: Option<String>,
    /// Sender's participant uuid.
    #[serde(deserialize_with = "opt_string_lenient")]
    pub uuid: Option<String>,
    /// MIME type.
    #[serde(rename = "type", deserialize_with = "opt_string_lenient")]
    pub mime_type: Option<String>,
    /// The text.
    #[serde(deserialize_with = "opt_string_lenient")]
    pub payload: Option<String>,
}

/// One entry of `stage`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct StageEntry {
    /// Position: 0 is the latest speaker.
    #[serde(deserialize_with = "opt_u64_lenient")]
    pub stage_index: Option<u64>,
    /// Participant uuid.
    #[serde(deserialize_with = "opt_string_lenient")]
    pub participant_uuid: Option<String>,
    /// Voice activity: 0 silent, 100 speaking.
    #[serde(deserialize_with = "opt_u64_lenient")]
    pub vad: Option<u64>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct UuidBody {
    #[serde(deserialize_with = "opt_string_lenient")]
    uuid: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CallDisconnectedBody {
    #[serde(deserialize_with = "opt_string_lenient")]
    call_uuid: Option<String>,
    #[serde(deserialize_with = "opt_string_lenient")]
    reason: Option<String>,
}

impl Event {
    /// Decode one server-sent event. Names are matched case-insensitively; a body that
    /// does not decode turns the event into [`Event::Unknown`] (logged), never an error.
    pub fn decode(name: &str, data: &str) -> Self {
        match Self::try_decode(name, data) {
            Some(Ok(e)) => e,
            Some(Err(err)) => {
                tracing::warn!(event = name, error = %err, "vmr event body did not decode: passed on as Unknown");
                Self::Unknown { name: name.to_string(), data: data.to_string() }
            }
            None => Self::Unknown { name: name.to_string(), data: data.to_string() },
        }
    }

    fn try_decode(name: &str, data: &str) -> Option<Result<Self, serde_json::Error>> {
        fn body<T: serde::de::DeserializeOwned + Default>(data: &str) -> Result<T, serde_json::Error> {
            let t = data.trim();
            if t.is_empty() || t == "null" {
                return Ok(T::default());
            }
            serde_json::from_str(t)
        }
        let lower;
        let name = if name.bytes().any(|b| b.is_ascii_uppercase()) {
            lower = name.to_ascii_lowercase();
            lower.as_str()
        } else {
            name
        };
        Some(match name {
            "presentation_start" => body(data).map(Self::PresentationStart),
            "presentation_stop" => Ok(Self::PresentationStop),
            "presentation_frame" => Ok(Self::PresentationFrame),
            "participant_create" => serde_json::from_str(data).map(Self::ParticipantCreate),
            "participant_update" => serde_json::from_str(data).map(Self::ParticipantUpdate),
            "participant_delete" => body::<UuidBody>(data).map(|b| Self::ParticipantDelete { uuid: b.uuid.unwrap_or_default() }),
            "participant_sync_begin" => Ok(Self::ParticipantSyncBegin),
            "participant_sync_end" => Ok(Self::ParticipantSyncEnd),
            "service_update" => body(data).map(Self::ServiceUpdate),
            "layout" => body(data).map(Self::Layout),
            "message" => body(data).map(Self::Message),
            "stage" => body::<Vec<StageEntry>>(data).map(Self::Stage),
            "call_disconnected" => {
                body::<CallDisconnectedBody>(data).map(|b| Self::CallDisconnected { call_uuid: b.call_uuid, reason: b.reason })
            }
            "disconnect" => body::<Value>(data).map(|v| Self::Disconnect {
                reason: v.get("reason").and_then(|r| r.as_str().map(str::to_string).or_else(|| (!r.is_null()).then(|| r.to_string()))),
            }),
            _ => return None,
        })
    }

    /// The event's wire name.
    pub fn name(&self) -> &str {
        match self {
            Self::PresentationStart(_) => "presentation_start",
            Self::PresentationStop => "presentation_stop",
            Self::PresentationFrame => "presentation_frame",
            Self::ParticipantCreate(_) => "participant_create",
            Self::ParticipantUpdate(_) => "participant_update",
            Self::ParticipantDelete { .. } => "participant_delete",
            Self::ParticipantSyncBegin => "participant_sync_begin",
            Self::ParticipantSyncEnd => "participant_sync_end",
            Self::ServiceUpdate(_) => "service_update",
            Self::Layout(_) => "layout",
            Self::Message(_) => "message",
            Self::Stage(_) => "stage",
            Self::CallDisconnected { .. } => "call_disconnected",
            Self::Disconnect { .. } => "disconnect",
            Self::Unknown { name, .. } => name,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_participant_decodes() {
        let data = r#"{"api_url": "/participants/50b9", "call_direction": "in", "display_name": "Alice",
            "encryption": "On", "has_media": false, "is_audio_only_call": "NO", "is_external": false,
            "is_muted": "YES", "is_presenting": "NO", "is_streaming_conference": false, "is_video_call": "YES",
            "local_alias": "meet.alice", "overlay_text": "Alice", "presentation_supported": "NO", "protocol": "api",
            "role": "chair", "rx_presentation_policy": "ALLOW", "service_type": "conference", "spotlight": 0,
            "start_time": 1441720992, "uri": "CloudConnect_10.44.21.35", "uuid": "50b9", "vendor": "x", "new_field": 1}"#;
        let Event::ParticipantCreate(p) = Event::decode("participant_create", data) else { panic!() };
        assert_eq!(p.uuid, "50b9");
        assert_eq!(p.encryption, Some(true));
        assert_eq!(p.is_muted, Some(true));
        assert_eq!(p.is_audio_only_call, Some(false));
        assert_eq!(p.start_time, Some(1_441_720_992));
        let Event::ParticipantUpdate(p) =
            Event::decode("participant_update", r#"{"uuid":"u","is_muted":1,"encryption":"off","spotlight":"17"}"#)
        else {
            panic!()
        };
        assert_eq!((p.is_muted, p.encryption, p.spotlight), (Some(true), Some(false), Some(17)));
    }

    #[test]
    fn every_documented_event() {
        assert_eq!(
            Event::decode("presentation_start", r#"{"presenter_name": "Bob", "presenter_uri": "bob@example.com"}"#),
            Event::PresentationStart(PresentationStart {
                presenter_name: Some("Bob".into()),
                presenter_uri: Some("bob@example.com".into())
            })
        );
        assert_eq!(Event::decode("presentation_stop", ""), Event::PresentationStop);
        assert_eq!(Event::decode("presentation_frame", "null"), Event::PresentationFrame);
        assert_eq!(Event::decode("participant_delete", r#"{ "uuid" : "65b4" }"#), Event::ParticipantDelete { uuid: "65b4".into() });
        assert_eq!(Event::decode("participant_sync_begin", ""), Event::ParticipantSyncBegin);
        assert_eq!(Event::decode("participant_sync_end", ""), Event::ParticipantSyncEnd);
        assert_eq!(
            Event::decode("Service_update", r#"{ "locked": false, "guests_muted": "true" }"#),
            Event::ServiceUpdate(ServiceUpdate { locked: Some(false), guests_muted: Some(true) })
        );
        let Event::Layout(l) = Event::decode("layout", r#"{ "view": "1:7", "participants": ["a", "b"] }"#) else { panic!() };
        assert_eq!((l.view, l.participants.len()), (Some(LayoutView::OnePlus7), 2));
        let Event::Message(m) =
            Event::decode("Message", r#"{ "origin": "Alice", "type": "text/plain", "payload": "Hello World", "uuid": "e"}"#)
        else {
            panic!()
        };
        assert_eq!(m.payload.as_deref(), Some("Hello World"));
        let Event::Stage(s) = Event::decode(
            "stage",
            r#"[{"stage_index":0,"participant_uuid":"a","vad":0},{"stage_index":1,"participant_uuid":"b","vad":100}]"#,
        ) else {
            panic!()
        };
        assert_eq!(s[1].vad, Some(100));
        assert_eq!(
            Event::decode("call_disconnected", r#"{"call_uuid":"c","reason":"API initiated participant disconnect"}"#),
            Event::CallDisconnected { call_uuid: Some("c".into()), reason: Some("API initiated participant disconnect".into()) }
        );
        assert_eq!(Event::decode("Disconnect", r#"{ "reason" : "bye" }"#), Event::Disconnect { reason: Some("bye".into()) });
        assert_eq!(Event::decode("refer", "{}"), Event::Unknown { name: "refer".into(), data: "{}".into() });
        assert_eq!(Event::decode("layout", "{not json"), Event::Unknown { name: "layout".into(), data: "{not json".into() });
    }
}
