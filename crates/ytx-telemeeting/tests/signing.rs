//! Signature vectors computed independently of the crate's signer, checked on the
//! wire, and the emulator's refusal of a wrong clock, key or timestamp.

mod common;

use base64::Engine as _;
use common::*;
use md5::{Digest, Md5};
use ytx_telemeeting::{ErrorCode, LockMeetingRequest, error_code};

/// Literal vector computed outside Rust (Python's hashlib/base64) for the emulator's
/// default account at 2013-02-01 15:00:00 Beijing time.
const SIGN_T0: &str = "082A7C998A8A1EFB7377CB8EC07AADE8";
const AUTH_T0: &str = "YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXowMTIzNDV8MjAxMzAyMDExNTAwMDA=";

fn independent_sign(sid: &str, token: &str, ts: &str) -> String {
    let digest = Md5::digest(format!("{sid}{token}{ts}").as_bytes());
    digest.iter().fold(String::new(), |mut out, b| {
        use std::fmt::Write as _;
        let _ = write!(out, "{b:02X}");
        out
    })
}

fn query_value(query: &str, key: &str) -> Option<String> {
    query.split('&').find_map(|kv| kv.strip_prefix(&format!("{key}=")).map(str::to_string))
}

#[tokio::test]
async fn wire_signature_matches_independent_vectors() {
    let (emu, server, config) = emulator().await;
    let client = client(&server, &config, fixed(T0));
    let meid = client.create_meeting_with(ytx_telemeeting::CreateMeetingRequest::new("13100001314")).await.unwrap().meid;
    client.lock_meeting_with(LockMeetingRequest::new(meid, true)).await.unwrap();

    let log = server.log().entries();
    assert_eq!(log.len(), 2);
    for req in &log {
        assert_eq!(req.path, path(&config));
        let sign = query_value(req.query.as_deref().unwrap_or(""), "Sign").expect("Sign in query");
        assert_eq!(sign, SIGN_T0);
        assert_eq!(sign, independent_sign(&config.account_sid, &config.auth_token, "20130201150000"));
        assert_eq!(req.header("authorization"), Some(AUTH_T0));
        let decoded = base64::engine::general_purpose::STANDARD.decode(req.header("authorization").unwrap()).unwrap();
        assert_eq!(decoded, format!("{}|20130201150000", config.account_sid).as_bytes());
        assert_eq!(req.header("accept"), Some("application/json"));
        assert_eq!(req.header("content-type"), Some("application/json;charset=utf-8"));
    }
    assert_eq!(emu.counters().accepted, 2);
}

#[tokio::test]
async fn timestamp_is_beijing_time_across_midnight() {
    let (emu, server, config) = emulator().await;
    // 2024-02-29 16:30:59 UTC is 2024-03-01 00:30:59 in Beijing
    let t = 1_709_224_259;
    emu.set_clock(Some(at(t)));
    let client = client(&server, &config, fixed(t));
    client.create_meeting_with(ytx_telemeeting::CreateMeetingRequest::new("13100001314")).await.unwrap();
    let req = &server.log().entries()[0];
    let expected = base64::engine::general_purpose::STANDARD.encode(format!("{}|20240301003059", config.account_sid));
    assert_eq!(req.header("authorization"), Some(expected.as_str()));
    let sign = query_value(req.query.as_deref().unwrap(), "Sign").unwrap();
    assert_eq!(sign, independent_sign(&config.account_sid, &config.auth_token, "20240301003059"));
}

#[tokio::test]
async fn wrong_clock_is_rejected_by_the_emulator() {
    let (emu, server, config) = emulator().await;
    // 25 hours behind, then 25 hours ahead: both outside the 24 h window
    for clock in [fixed(T0 - 25 * 3600), fixed(T0 + 25 * 3600)] {
        let client = client(&server, &config, clock);
        let err = client.lock_meeting_with(LockMeetingRequest::new("120", true)).await.unwrap_err();
        assert_eq!(err.vendor_code(), Some(conf_sandbox::ytx::TIMESTAMP_EXPIRED), "{err}");
        assert!(matches!(error_code(&err), Some(ErrorCode::Unknown(_))));
    }
    // 23 hours off is still accepted (the meeting does not exist, but the signature passed)
    let client = client(&server, &config, fixed(T0 - 23 * 3600));
    let err = client.lock_meeting_with(LockMeetingRequest::new("120", true)).await.unwrap_err();
    assert_eq!(err.vendor_code(), Some(conf_sandbox::ytx::NO_SUCH_MEETING), "{err}");
    assert_eq!(emu.counters().rejected_auth, 2);
}

#[tokio::test]
async fn wrong_key_is_rejected_and_never_quoted() {
    let (emu, server, config) = emulator().await;
    let client = ytx_telemeeting::YtxClient::builder(
        config.account_sid.clone(),
        conf_core::secret::secret("not-the-token-4711"),
        config.app_id.clone(),
    )
    .base_url(server.base_url())
    .clock(fixed(T0))
    .build()
    .unwrap();
    let err = client.lock_meeting_with(LockMeetingRequest::new("120", true)).await.unwrap_err();
    assert_eq!(err.vendor_code(), Some(conf_sandbox::ytx::SIGN_MISMATCH), "{err}");
    assert!(!format!("{err} {err:?} {client:?}").contains("not-the-token-4711"));
    assert_eq!(emu.counters().rejected_auth, 1);
}

#[tokio::test]
async fn wrong_app_is_typed_with_a_hint() {
    let (_emu, server, config) = emulator().await;
    let client = ytx_telemeeting::YtxClient::builder(
        config.account_sid.clone(),
        conf_core::secret::secret(config.auth_token.clone()),
        "another-app",
    )
    .base_url(server.base_url())
    .clock(fixed(T0))
    .build()
    .unwrap();
    let err = client.lock_meeting_with(LockMeetingRequest::new("120", true)).await.unwrap_err();
    assert_eq!(error_code(&err), Some(ErrorCode::ApplicationCheckFailed));
    let text = err.to_string();
    assert!(text.contains("-205") && text.contains("sandbox"), "{text}");
}

#[tokio::test]
async fn retry_gets_a_fresh_timestamp() {
    use conf_sandbox::harness::{Fault, FaultRule};
    let (emu, server, config) = emulator().await;
    let client = client(&server, &config, stepping(T0));
    let meid = client.create_meeting_with(ytx_telemeeting::CreateMeetingRequest::new("13100001314")).await.unwrap().meid;
    server.log().clear();
    server.faults().add(
        FaultRule::new(Fault::Status { status: 503, retry_after: None, body: "busy".into(), content_type: "text/plain".into() })
            .path_exact(path(&config))
            .times(1),
    );
    client.lock_meeting_with(LockMeetingRequest::new(meid.clone(), true)).await.unwrap();
    let log = server.log().entries();
    assert_eq!(log.len(), 2, "one failed attempt, one retry");
    let auths: Vec<_> = log.iter().map(|r| r.header("authorization").unwrap().to_string()).collect();
    let signs: Vec<_> = log.iter().map(|r| query_value(r.query.as_deref().unwrap(), "Sign").unwrap()).collect();
    assert_ne!(auths[0], auths[1], "the retry must be signed with a new timestamp");
    assert_ne!(signs[0], signs[1]);
    for (a, s) in auths.iter().zip(&signs) {
        let decoded = String::from_utf8(base64::engine::general_purpose::STANDARD.decode(a).unwrap()).unwrap();
        let ts = decoded.split_once('|').unwrap().1;
        assert_eq!(*s, independent_sign(&config.account_sid, &config.auth_token, ts));
    }
    assert!(emu.meeting(&meid).unwrap().locked);
}
