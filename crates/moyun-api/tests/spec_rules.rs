//! The moyun spec's typed fields and rules (issue 14): 0/1 flags are `bool` sent as `1`/`0`,
//! the encryption key is required only when encrypting (nothing fake is sent otherwise),
//! lengths (bytes), sizes and ranges from the reference data are checked before anything is
//! sent, ISO-8601 times keep the vendor's text, and terminal ids are one type.

use conf_core::{Body, Error, Operation};
use moyun_api::{ConfSecurity, EncryptedType, McCreateConfRequest, McGetBookedConfResponse, VcSetMtMuteRequest, VideoQuality};
use serde_json::{Value, json};

fn params(op: &Operation) -> Value {
    let Body::Form(form) = &op.body else { panic!("not a form: {:?}", op.body) };
    let (_, p) = form.iter().find(|(k, _)| k == "params").expect("params");
    serde_json::from_str(p).unwrap()
}

fn refused(req: McCreateConfRequest) -> String {
    match req.into_operation() {
        Err(Error::InvalidInput { field, .. }) => field,
        other => panic!("expected InvalidInput, got {other:?}"),
    }
}

#[test]
fn instant_conference_sends_flags_as_numbers_and_no_key() {
    let p = params(&McCreateConfRequest::instant("周会").into_operation().unwrap());
    assert_eq!((p["mute"].clone(), p["closed_conf"].clone(), p["cascade_upload"].clone()), (json!(0), json!(0), json!(1)));
    assert_eq!((p["safe_conf"].clone(), p["video_quality"].clone()), (json!(0), json!(1)));
    assert_eq!(p["encrypted_type"], json!(0));
    assert!(p.get("encrypted_key").is_none(), "no placeholder key next to EncryptedType::None: {p}");
}

#[test]
fn rules_from_the_reference_data_refuse_before_sending() {
    let base = || McCreateConfRequest::instant("weekly");
    let mut r = base();
    r.duration = -5;
    assert_eq!(refused(r), "duration");
    let mut r = base();
    r.max_join_mt = 10_000_000;
    assert_eq!(refused(r), "max_join_mt");
    let mut r = base();
    r.name = "a".repeat(200);
    assert_eq!(refused(r), "name");
    // 64 bytes is the limit, counted in UTF-8 bytes: 21 CJK characters are 63 bytes, 22 are 66.
    let mut r = base();
    r.name = "会".repeat(21);
    r.into_operation().unwrap();
    let mut r = base();
    r.name = "会".repeat(22);
    assert_eq!(refused(r), "name");
    let mut r = base();
    r.encrypted_type = EncryptedType::Aes;
    assert_eq!(refused(r), "encrypted_key");
    let mut r = base();
    r.encrypted_type = EncryptedType::Aes;
    r.encrypted_key = Some("key_1".into());
    assert_eq!(params(&r.into_operation().unwrap())["encrypted_key"], json!("key_1"));
    let mut r = base();
    r.vad_interval = Some(7);
    assert_eq!(refused(r), "vacinterval", "errors name the wire field");
    assert_eq!(base().safe_conf, ConfSecurity::Public);
    assert_eq!(base().video_quality, VideoQuality::Speed);
}

#[test]
fn mute_value_is_a_flag_on_the_wire() {
    let op = VcSetMtMuteRequest::new("1118986", "3", true).into_operation().unwrap();
    assert_eq!(params(&op), json!({"value": 1}));
}

#[test]
fn times_keep_the_vendor_text_and_flags_decode_from_any_spelling() {
    let reply: McGetBookedConfResponse =
        serde_json::from_value(json!({"start_time": "2026-03-01T09:30:00+08:00", "end_time": "", "mute": "1"})).unwrap();
    let start = reply.start_time.clone().unwrap();
    assert_eq!((start.as_str(), start.unix_seconds(), start.offset_minutes()), ("2026-03-01T09:30:00+08:00", 1_772_328_600, Some(480)));
    assert!(reply.end_time.is_none(), "an empty time is absent");
    assert_eq!(reply.mute, Some(true));
    assert_eq!(serde_json::to_value(&reply).unwrap()["start_time"], json!("2026-03-01T09:30:00+08:00"));
}
