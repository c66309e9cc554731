//! Typed push messages: the channel's parameters parsed, the payload's method
//! (`update`, `delete`, `notify`) recognised, raw JSON kept for everything else.

use conf_core::de::{opt_i64_lenient, opt_string_lenient};
use serde::Deserialize;

/// What a channel of the push API is about, with its parameters (relative to
/// `/userdomains/{domain_id}`). Channels the reference does not describe are [`Topic::Other`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Topic {
    /// `/confs/{conf_id}`: the conference (update; delete = it ended).
    Conf {
        /// Conference number.
        conf_id: String,
    },
    /// `/confs/{conf_id}/cascades`: cascading.
    Cascades {
        /// Conference number.
        conf_id: String,
    },
    /// `/confs/{conf_id}/cascades/{cascade_id}/mts/{mt_id}`: one terminal (delete = removed).
    Mt {
        /// Conference number.
        conf_id: String,
        /// Cascade number (`0` is this conference).
        cascade_id: String,
        /// Terminal number.
        mt_id: String,
    },
    /// `/confs/{conf_id}/mts`: adding a terminal failed (notify).
    Mts {
        /// Conference number.
        conf_id: String,
    },
    /// `/confs/{conf_id}/chairman`.
    Chairman {
        /// Conference number.
        conf_id: String,
    },
    /// `/confs/{conf_id}/speaker`.
    Speaker {
        /// Conference number.
        conf_id: String,
    },
    /// `/confs/{conf_id}/dualstream`.
    DualStream {
        /// Conference number.
        conf_id: String,
    },
    /// `/confs/{conf_id}/vad`: voice activation.
    Vad {
        /// Conference number.
        conf_id: String,
    },
    /// `/confs/{conf_id}/poll`.
    Poll {
        /// Conference number.
        conf_id: String,
    },
    /// `/confs/{conf_id}/mixs/{mix_id}`.
    Mix {
        /// Conference number.
        conf_id: String,
        /// Mix number (default 1).
        mix_id: String,
    },
    /// `/confs/{conf_id}/vmps/{vmp_id}`.
    Vmp {
        /// Conference number.
        conf_id: String,
        /// Composition number (default 1).
        vmp_id: String,
    },
    /// `/confs/{conf_id}/recorders/{rec_id}`.
    Recorder {
        /// Conference number.
        conf_id: String,
        /// Recorder number.
        rec_id: String,
    },
    /// `/confs/{conf_id}/mtvmps/{mt_id}`.
    MtVmp {
        /// Conference number.
        conf_id: String,
        /// Terminal number.
        mt_id: String,
    },
    /// `/confs/{conf_id}/hduvmps/{hdu_id}`.
    HduVmp {
        /// Conference number.
        conf_id: String,
        /// TV-wall channel.
        hdu_id: String,
    },
    /// `/confs/{conf_id}/hdus/{hdu_id}`.
    Hdu {
        /// Conference number.
        conf_id: String,
        /// TV-wall channel.
        hdu_id: String,
    },
    /// `/confs/{conf_id}/inspections/{mt_id}/{mode}`.
    Inspection {
        /// Conference number.
        conf_id: String,
        /// Terminal number.
        mt_id: String,
        /// 1 video, 2 audio.
        mode: String,
    },
    /// `/confs/{conf_id}/upload`.
    Upload {
        /// Conference number.
        conf_id: String,
    },
    /// `/confs/{conf_id}/monitor/{dst_ip}/{dst_port}` (also accepted as `/monitors/`).
    Monitor {
        /// Conference number.
        conf_id: String,
        /// Monitoring IP.
        dst_ip: String,
        /// Monitoring port.
        dst_port: String,
    },
    /// `/confs/{conf_id}/alarm`: system alarm (notify).
    Alarm {
        /// Conference number.
        conf_id: String,
    },
    /// `/confs/{conf_id}/playback`: playback failure (notify).
    Playback {
        /// Conference number.
        conf_id: String,
    },
    /// `/confs/{conf_id}/applychairman`: a terminal asks to be chairman (notify).
    ApplyChairman {
        /// Conference number.
        conf_id: String,
    },
    /// `/confs/{conf_id}/applyspeaker`: a terminal asks to speak (notify).
    ApplySpeaker {
        /// Conference number.
        conf_id: String,
    },
    /// `/confs/{conf_id}/applymix`: a terminal asks to join the mix (notify).
    ApplyMix {
        /// Conference number.
        conf_id: String,
    },
    /// A channel the reference does not describe (the relative path as received).
    Other(String),
}

impl Topic {
    /// Parse a channel path relative to the user domain (`/confs/1/speaker`).
    pub fn parse(relative: &str) -> Self {
        let segs: Vec<&str> = relative.trim_start_matches('/').split('/').collect();
        let s = |i: usize| segs[i].to_string();
        match segs.as_slice() {
            ["confs", _] => Self::Conf { conf_id: s(1) },
            ["confs", _, "cascades"] => Self::Cascades { conf_id: s(1) },
            ["confs", _, "cascades", _, "mts", _] => Self::Mt { conf_id: s(1), cascade_id: s(3), mt_id: s(5) },
            ["confs", _, "mts"] => Self::Mts { conf_id: s(1) },
            ["confs", _, "chairman"] => Self::Chairman { conf_id: s(1) },
            ["confs", _, "speaker"] => Self::Speaker { conf_id: s(1) },
            ["confs", _, "dualstream"] => Self::DualStream { conf_id: s(1) },
            ["confs", _, "vad"] => Self::Vad { conf_id: s(1) },
            ["confs", _, "poll"] => Self::Poll { conf_id: s(1) },
            ["confs", _, "mixs", _] => Self::Mix { conf_id: s(1), mix_id: s(3) },
            ["confs", _, "vmps", _] => Self::Vmp { conf_id: s(1), vmp_id: s(3) },
            ["confs", _, "recorders", _] => Self::Recorder { conf_id: s(1), rec_id: s(3) },
            ["confs", _, "mtvmps", _] => Self::MtVmp { conf_id: s(1), mt_id: s(3) },
            ["confs", _, "hduvmps", _] => Self::HduVmp { conf_id: s(1), hdu_id: s(3) },
            ["confs", _, "hdus", _] => Self::Hdu { conf_id: s(1), hdu_id: s(3) },
            ["confs", _, "inspections", _, _] => Self::Inspection { conf_id: s(1), mt_id: s(3), mode: s(4) },
            ["confs", _, "upload"] => Self::Upload { conf_id: s(1) },
            ["confs", _, "monitor" | "monitors", _, _] => Self::Monitor { conf_id: s(1), dst_ip: s(3), dst_port: s(4) },
            ["confs", _, "alarm"] => Self::Alarm { conf_id: s(1) },
            ["confs", _, "playback"] => Self::Playback { conf_id: s(1) },
            ["confs", _, "applychairman"] => Self::ApplyChairman { conf_id: s(1) },
            ["confs", _, "applyspeaker"] => Self::ApplySpeaker { conf_id: s(1) },
            ["confs", _, "applymix"] => Self::ApplyMix { conf_id: s(1) },
            _ => Self::Other(relative.to_string()),
        }
    }

    /// The conference the topic concerns.
    pub fn conf_id(&self) -> Option<&str> {
        match self {
            Self::Other(_) => None,
            Self::Conf { conf_id }
            | Self::Cascades { conf_id }
            | Self::Mt { conf_id, .. }
            | Self::Mts { conf_id }
            | Self::Chairman { conf_id }
            | Self::Speaker { conf_id }
            | Self::DualStream { conf_id }
            | Self::Vad { conf_id }
            | Self::Poll { conf_id }
            | Self::Mix { conf_id, .. }
            | Self::Vmp { conf_id, .. }
            | Self::Recorder { conf_id, .. }
            | Self::MtVmp { conf_id, .. }
            | Self::HduVmp { conf_id, .. }
            | Self::Hdu { conf_id, .. }
            | Self::Inspection { conf_id, .. }
            | Self::Upload { conf_id }
            | Self::Monitor { conf_id, .. }
            | Self::Alarm { conf_id }
            | Self::Playback { conf_id }
            | Self::ApplyChairman { conf_id }
            | Self::ApplySpeaker { conf_id }
            | Self::ApplyMix { conf_id } => Some(conf_id),
        }
    }

    /// The REST path to fetch after an `update` (the reference's derived `GET /api/v1/vc/...`).
    /// A terminal's update points at the terminal list of its cascade.
    pub fn rest_path(&self) -> Option<String> {
        let p = match self {
            Self::Conf { conf_id } => format!("/api/v1/vc/confs/{conf_id}"),
            Self::Cascades { conf_id } => format!("/api/v1/vc/confs/{conf_id}/cascades"),
            Self::Mt { conf_id, cascade_id, .. } => format!("/api/v1/vc/confs/{conf_id}/cascades/{cascade_id}/mts"),
            Self::Chairman { conf_id } => format!("/api/v1/vc/confs/{conf_id}/chairman"),
            Self::Speaker { conf_id } => format!("/api/v1/vc/confs/{conf_id}/speaker"),
            Self::DualStream { conf_id } => format!("/api/v1/vc/confs/{conf_id}/dualstream"),
            Self::Vad { conf_id } => format!("/api/v1/vc/confs/{conf_id}/vad"),
            Self::Poll { conf_id } => format!("/api/v1/vc/confs/{conf_id}/poll"),
            Self::Mix { conf_id, mix_id } => format!("/api/v1/vc/confs/{conf_id}/mixs/{mix_id}"),
            Self::Vmp { conf_id, vmp_id } => format!("/api/v1/vc/confs/{conf_id}/vmps/{vmp_id}"),
            Self::Recorder { conf_id, rec_id } => format!("/api/v1/vc/confs/{conf_id}/recorders/{rec_id}"),
            Self::MtVmp { conf_id, mt_id } => format!("/api/v1/vc/confs/{conf_id}/mtvmps/{mt_id}"),
            Self::HduVmp { conf_id, hdu_id } => format!("/api/v1/vc/confs/{conf_id}/hduvmps/{hdu_id}"),
            Self::Hdu { conf_id, hdu_id } => format!("/api/v1/vc/confs/{conf_id}/hdus/{hdu_id}"),
            Self::Inspection { conf_id, .. } => format!("/api/v1/vc/confs/{conf_id}/inspections"),
            Self::Upload { conf_id } => format!("/api/v1/vc/confs/{conf_id}/upload"),
            Self::Monitor { conf_id, dst_ip, dst_port } => format!("/api/v1/vc/confs/{conf_id}/monitors/{dst_ip}/{dst_port}"),
            _ => return None,
        };
        Some(p)
    }
}

/// What the payload's `method` says.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MessageKind {
    /// `update`: something changed; fetch the detail with [`Topic::rest_path`].
    Update,
    /// `delete`: the object ended or was removed; nothing to fetch.
    Delete,
    /// `notify`: a notification (often a failure carrying an error code); see [`Notify`].
    Notify(Notify),
    /// Another `method`, or none (`data` holds the raw JSON).
    Other(Option<String>),
}

/// The fields a `notify` payload may carry (all optional, per channel).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Notify {
    /// Platform error code.
    #[serde(default, deserialize_with = "opt_i64_lenient")]
    pub error_code: Option<i64>,
    /// Terminal concerned (`/mts`, `/applychairman`, ...).
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub mt_id: Option<String>,
    /// Mode (mix: 1 discussion, 2 custom; hdu: 1 inspect, 2 quad, 3 poll).
    #[serde(default, deserialize_with = "opt_i64_lenient")]
    pub mode: Option<i64>,
    /// The terminal that could not be added (`/mts`).
    #[serde(default)]
    pub mt: Option<NotifyMt>,
    /// Conference that occupies the terminal (error 20423).
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub occupy_confname: Option<String>,
    /// Source of an inspection / monitor.
    #[serde(default)]
    pub src: Option<NotifySource>,
}

/// A terminal in a `notify` payload.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct NotifyMt {
    /// E164, IP or phone number.
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub account: Option<String>,
    /// 5 E164, 6 phone, 7 IP.
    #[serde(default, deserialize_with = "opt_i64_lenient")]
    pub account_type: Option<i64>,
}

/// The source of an inspection or a monitor in a `notify` payload.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct NotifySource {
    /// 1 terminal, 2 composition, 3 mix.
    #[serde(default, rename = "type", deserialize_with = "opt_i64_lenient")]
    pub kind: Option<i64>,
    /// Source terminal.
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub mt_id: Option<String>,
}

/// One message delivered on a subscribed channel.
#[derive(Debug, Clone, PartialEq)]
pub struct PushMessage {
    /// The full channel (`/userdomains/{domain_id}/confs/...`).
    pub channel: String,
    /// The user domain the channel is under (when it is).
    pub domain_id: Option<String>,
    /// The channel's meaning and parameters.
    pub topic: Topic,
    /// The payload's method.
    pub kind: MessageKind,
    /// The payload as received.
    pub data: serde_json::Value,
}

impl PushMessage {
    /// Interpret a Bayeux data message.
    pub fn from_bayeux(channel: &str, data: serde_json::Value) -> Self {
        let (domain_id, relative) = match channel.strip_prefix("/userdomains/") {
            Some(rest) => match rest.split_once('/') {
                Some((d, r)) => (Some(d.to_string()), format!("/{r}")),
                None => (Some(rest.to_string()), String::new()),
            },
            None => (None, channel.to_string()),
        };
        let topic = if domain_id.is_some() { Topic::parse(&relative) } else { Topic::Other(channel.to_string()) };
        // Some servers send `data` as a JSON string: decode it when it is one.
        let data = match data {
            serde_json::Value::String(s) => serde_json::from_str(&s).unwrap_or(serde_json::Value::String(s)),
            other => other,
        };
        let method = data.get("method").and_then(|m| m.as_str()).map(str::to_string);
        let kind = match method.as_deref() {
            Some("update") => MessageKind::Update,
            Some("delete") => MessageKind::Delete,
            Some("notify") => MessageKind::Notify(serde_json::from_value(data.clone()).unwrap_or_default()),
            _ => MessageKind::Other(method),
        };
        Self { channel: channel.to_string(), domain_id, topic, kind, data }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn terminal_update_and_delete() {
        let m = PushMessage::from_bayeux("/userdomains/d1/confs/1118986/cascades/0/mts/3", json!({"method": "update"}));
        assert_eq!(m.domain_id.as_deref(), Some("d1"));
        assert_eq!(m.topic, Topic::Mt { conf_id: "1118986".into(), cascade_id: "0".into(), mt_id: "3".into() });
        assert_eq!(m.kind, MessageKind::Update);
        assert_eq!(m.topic.rest_path().as_deref(), Some("/api/v1/vc/confs/1118986/cascades/0/mts"));
        let m = PushMessage::from_bayeux("/userdomains/d1/confs/7", json!({"method": "delete"}));
        assert_eq!(m.kind, MessageKind::Delete);
        assert_eq!(m.topic.conf_id(), Some("7"));
    }

    #[test]
    fn notify_fields_are_typed() {
        let m = PushMessage::from_bayeux(
            "/userdomains/d/confs/1/mts",
            json!({"method": "notify", "error_code": 20423, "mt": {"account": "172.16.180.30", "account_type": 7}, "occupy_confname": "x"}),
        );
        let MessageKind::Notify(n) = &m.kind else { panic!("{m:?}") };
        assert_eq!(n.error_code, Some(20423));
        assert_eq!(n.mt.as_ref().unwrap().account_type, Some(7));
        assert_eq!(n.occupy_confname.as_deref(), Some("x"));
        let m = PushMessage::from_bayeux("/userdomains/d/confs/1/applychairman", json!({"method": "notify", "mt_id": "1"}));
        assert_eq!(m.topic, Topic::ApplyChairman { conf_id: "1".into() });
        let MessageKind::Notify(n) = &m.kind else { panic!() };
        assert_eq!(n.mt_id.as_deref(), Some("1"));
    }

    #[test]
    fn unknown_channels_stay_raw() {
        let m = PushMessage::from_bayeux("/userdomains/d/something/else", json!({"x": 1}));
        assert_eq!(m.topic, Topic::Other("/something/else".into()));
        assert_eq!(m.kind, MessageKind::Other(None));
        assert_eq!(m.data, json!({"x": 1}));
        let m = PushMessage::from_bayeux("/confs/1/monitor/10.0.0.1/5000", json!("{\"method\":\"update\"}"));
        assert_eq!(m.topic, Topic::Other("/confs/1/monitor/10.0.0.1/5000".into()));
        assert_eq!(m.kind, MessageKind::Update);
        assert_eq!(
            Topic::parse("/confs/1/monitor/10.0.0.1/5000").rest_path().as_deref(),
            Some("/api/v1/vc/confs/1/monitors/10.0.0.1/5000")
        );
    }
}
