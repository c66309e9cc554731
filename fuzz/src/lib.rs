//! Fuzz entry points: every decoder of server input in conf-sdk, fed arbitrary bytes.
//!
//! Each function must never panic, whatever the input: a panic on server input is a bug.
//! The `fuzz_targets/` binaries call these (one per target) under libFuzzer.

use bytes::Bytes;
use conf_core::Envelope;
use conf_core::{Error, RawResponse, RequestInfo};
use http::{HeaderMap, HeaderValue, StatusCode};
use serde::de::DeserializeOwned;

/// Statuses a response is given, chosen by the input's first byte.
const STATUSES: [u16; 12] = [200, 200, 200, 200, 201, 400, 401, 403, 404, 429, 500, 502];

fn info() -> RequestInfo {
    RequestInfo::none("fuzz", "decode")
}

/// A response from fuzz input: byte 0 picks the status, byte 1 the content type, the rest is the body.
fn response(data: &[u8]) -> RawResponse {
    let status = data.first().map_or(200, |b| STATUSES[usize::from(*b) % STATUSES.len()]);
    let mut headers = HeaderMap::new();
    let ct = match data.get(1).map_or(0, |b| b % 4) {
        0 => "application/json",
        1 => "application/json;charset=utf-8",
        2 => "text/html",
        _ => "text/plain",
    };
    headers.insert(http::header::CONTENT_TYPE, HeaderValue::from_static(ct));
    if status == 429 {
        headers.insert(http::header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    RawResponse::new(
        StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
        headers,
        Bytes::copy_from_slice(data.get(2..).unwrap_or_default()),
    )
}

/// Render an error the way callers do (Display, Debug, helpers): none of it may panic.
fn touch(e: &Error) {
    let _ = e.to_string();
    let _ = format!("{e:?}");
    let _ = (e.is_retryable(), e.vendor_code(), e.http_status(), e.nothing_sent());
}

fn payload<E: Envelope, T: DeserializeOwned>(env: &E, info: &RequestInfo, resp: &RawResponse) {
    if let Err(e) = env.payload::<T>(info, resp) {
        touch(&e);
    }
}

/// Run `env.check`, and when it accepts the response, `decode` the payload.
fn envelope<E: Envelope>(env: &E, data: &[u8], decode: impl FnOnce(&E, &RequestInfo, &RawResponse)) {
    let info = info();
    let resp = response(data);
    match env.check(&info, &resp) {
        Ok(()) => decode(env, &info, &resp),
        Err(e) => touch(&e),
    }
}

/// moyun: `MoyunEnvelope` (`success`, `error_code`, debug lists) and typed payloads.
pub fn moyun_envelope(data: &[u8]) {
    use moyun_api::*;
    envelope(&MoyunEnvelope, data, |env, info, resp| {
        payload::<_, VcListConfsResponse>(env, info, resp);
        payload::<_, VcGetConfResponse>(env, info, resp);
        payload::<_, McCreateConfResponse>(env, info, resp);
        payload::<_, VcAddMtsResponse>(env, info, resp);
        payload::<_, VcListMtsResponse>(env, info, resp);
        payload::<_, serde_json::Value>(env, info, resp);
    });
}

/// vmr: the node envelope (`{"status","result"}`, `'true'` results) and the API-server envelope.
pub fn vmr_envelope(data: &[u8]) {
    use vmr_rest::wire::{ApiEnvelope, NodeEnvelope, decode_result, decode_results};
    use vmr_rest::*;
    envelope(&NodeEnvelope, data, |env, info, resp| {
        payload::<_, ServiceStatus>(env, info, resp);
        payload::<_, DialResult>(env, info, resp);
        payload::<_, ParticipantList>(env, info, resp);
        for r in [
            decode_result::<ServiceStatus>(info, &resp.body, false).map(drop),
            decode_result::<()>(info, &resp.body, false),
            decode_results::<DialResult>(info, &resp.body, true).map(drop),
        ] {
            if let Err(e) = r {
                touch(&e);
            }
        }
    });
    envelope(&ApiEnvelope, data, |env, info, resp| payload::<_, JoinInfo>(env, info, resp));
    if let Some(pin) = PinError::from_error(&Error::Decode { request: info(), excerpt: String::new(), message: String::new() }) {
        let _ = pin.into_error(info());
    }
}

/// webapi: `result` / `code` envelope and typed payloads.
pub fn webapi_envelope(data: &[u8]) {
    use webapi::*;
    envelope(&WebApiEnvelope, data, |env, info, resp| {
        payload::<_, MeetingCreateResponse>(env, info, resp);
        payload::<_, GetMeetingFileResponse>(env, info, resp);
        payload::<_, GetLoginInfoResponse>(env, info, resp);
        payload::<_, GetRoomRecordResponse>(env, info, resp);
    });
}

/// ytx: `statusCode` envelope and typed payloads.
pub fn ytx_envelope(data: &[u8]) {
    use ytx_telemeeting::*;
    envelope(&YtxEnvelope, data, |env, info, resp| {
        payload::<_, CreateMeetingResponse>(env, info, resp);
        payload::<_, MeetingStateResponse>(env, info, resp);
        payload::<_, LockMeetingResponse>(env, info, resp);
        payload::<_, DestroyMeetingResponse>(env, info, resp);
    });
}

/// lingsun: `{code, msg, success, data}` envelope and typed payloads.
pub fn lingsun_envelope(data: &[u8]) {
    use lingsun_rest::*;
    envelope(&LingsunEnvelope, data, |env, info, resp| {
        payload::<_, GetAllPackagesResponse>(env, info, resp);
        payload::<_, GetPackageResponse>(env, info, resp);
        payload::<_, OpenOrderResponse>(env, info, resp);
        payload::<_, RegisterThirdPartyResponse>(env, info, resp);
        payload::<_, LoginThirdPartyResponse>(env, info, resp);
    });
}

/// vmr SSE: the incremental parser fed in chunks (sizes from the input), every event
/// decoded and applied to a roster.
pub fn vmr_sse(data: &[u8]) {
    use vmr_rest::events::sse::SseParser;
    let Some((&split, rest)) = data.split_first() else { return };
    let chunk = usize::from(split % 64) + 1;
    let mut parser = SseParser::new();
    let mut roster = vmr_rest::Roster::new();
    for part in rest.chunks(chunk) {
        parser.feed(part, |ev| {
            let event = vmr_rest::Event::decode(&ev.event, &ev.data);
            let _ = event.name();
            let _ = format!("{event:?}");
            roster.apply(&event);
        });
    }
    while let Some(ev) = parser.next_event() {
        roster.apply(&vmr_rest::Event::decode(&ev.event, &ev.data));
    }
    let _ = (parser.comments(), parser.bytes(), parser.last_id(), roster.uuids(), roster.is_synced());
}

/// moyun CometD: a `/meta/connect` reply batch (JSON array of Bayeux messages), each
/// message turned into a typed push message; non-JSON input is parsed as a channel name.
pub fn moyun_cometd(data: &[u8]) {
    use moyun_api::push::{PushMessage, Topic};
    match serde_json::from_slice::<serde_json::Value>(data) {
        Ok(serde_json::Value::Array(messages)) => {
            for m in messages {
                let channel = m.get("channel").and_then(|c| c.as_str()).unwrap_or_default().to_string();
                let msg = PushMessage::from_bayeux(&channel, m.get("data").cloned().unwrap_or_default());
                let _ = (msg.topic.conf_id(), msg.topic.rest_path(), format!("{msg:?}"));
            }
        }
        Ok(other) => {
            let msg = PushMessage::from_bayeux("/userdomains/d/confs/1/cascades/0/mts/2", other);
            let _ = format!("{msg:?}");
        }
        Err(_) => {
            let text = String::from_utf8_lossy(data);
            let topic = Topic::parse(&text);
            let _ = (topic.conf_id(), topic.rest_path());
            let _ = moyun_api::push::validate_channel(&text);
            let _ = PushMessage::from_bayeux(&text, serde_json::Value::Null);
        }
    }
}

/// webapi join tokens: `inspect` of arbitrary text under both key flavours, and of a
/// validly encrypted token around arbitrary plaintext (so decryption succeeds and the
/// double JSON decoding is reached).
pub fn webapi_join_token(data: &[u8]) {
    use conf_core::secret::secret;
    use webapi::TokenKey;
    let java = TokenKey::java(
        &secret("34b7ee4783925cfc4b5c75116f6f9de52181a450f0ad499fcc9b84e6e55fec33"),
        &secret("e116172f58fe068ba347992514110c83"),
    )
    .expect("valid key");
    let php = TokenKey::php(&secret("SYXCXASD"), &secret("AYQTYCAXAX")).expect("valid key");
    let text = String::from_utf8_lossy(data);
    for key in [&java, &php] {
        if let Ok(t) = key.inspect(&text) {
            let _ = t.payload();
        }
        let token = key.token_for_plaintext(&text);
        match key.inspect(&token) {
            Ok(t) => {
                let _ = t.payload();
            }
            Err(e) => touch(&e),
        }
    }
}
