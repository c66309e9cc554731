//! End to end against the emulator with the generated surface: login, create a
//! conference, add terminals, control them (mute, silence, chairman, speaker), follow
//! the changes over push, survive a session expiry mid-run, validate in debug mode,
//! remove terminals and end the conference.

use std::time::Duration;

use conf_sandbox::moyun::{MoyunConfig as EmuConfig, MoyunEmulator};
use moyun_api::push::{MessageKind, PushEvent, PushStream, StreamItem, Topic};
use moyun_api::{
    CallMode, CascadeMode, ConfSecurity, ConfType, DualMode, EncryptedType, McCreateConfRequest, McEndConfRequest,
    McListPersonalTemplatesRequest, MoyunClient, MtSpec, VcAddMtsRequest, VcDeleteMtsMtSpec, VcDeleteMtsRequest, VcGetChairmanRequest,
    VcGetConfRequest, VcListMtsRequest, VcSetChairmanRequest, VcSetMtMuteRequest, VcSetMtSilenceRequest, VcSetSpeakerRequest, VideoFormat,
    VideoFormatSpec, VideoQuality, VideoResolution,
};

async fn next_message(push: &mut PushStream) -> moyun_api::push::PushMessage {
    loop {
        let ev = tokio::time::timeout(Duration::from_secs(10), push.next_event()).await.expect("push event in time").expect("stream open");
        if let PushEvent::Message(m) = ev.expect("no error") {
            return m;
        }
    }
}

#[tokio::test]
async fn conference_lifecycle() {
    let (emu, server) = MoyunEmulator::start(EmuConfig::default()).await.unwrap();
    let client = MoyunClient::builder("key", "12345678", "name", "888888")
        .config(conf_core::ClientConfig::parse(&server.base_url()).unwrap().proxy_from_env(false))
        .heartbeat_interval(None)
        .build()
        .unwrap();
    client.login().await.unwrap();

    // Create.
    let created = client.mc().create_conf_with(McCreateConfRequest::instant("weekly sync")).await.unwrap();
    let conf_id = created.conf_id.expect("conf_id");
    let conf = emu.conference(&conf_id).expect("the emulator holds the conference");
    assert_eq!(conf.name, "weekly sync");
    assert_eq!(conf.params["video_formats"][0]["resolution"], 12, "nested params sent as JSON");
    let detail = client.vc().get_conf_with(VcGetConfRequest::new(conf_id.clone())).await.unwrap();
    assert_eq!(detail.name.as_deref(), Some("weekly sync"));
    let all = client.vc().list_confs().into_paginator().items().collect_all().await.unwrap();
    assert_eq!(all.len(), 1);

    // Follow its terminals.
    let mut push = client.push().subscribe(format!("/confs/{conf_id}/cascades/0/mts/*")).connect().await.unwrap();

    // Validate only: the platform lists the problem and adds nothing.
    let mut bad = MtSpec::e164("2322232");
    bad.account = String::new();
    assert!(
        client.vc().add_mts_with(VcAddMtsRequest::new(conf_id.clone(), vec![bad])).await.is_err(),
        "empty account refused before sending"
    );
    let report =
        client.debug(VcAddMtsRequest::new(conf_id.clone(), vec![MtSpec::e164("2322231")]).into_operation().unwrap()).await.unwrap();
    assert!(report.is_valid(), "{report:?}");
    assert!(emu.conference(&conf_id).unwrap().terminals.is_empty(), "debug mode executes nothing");

    // Add terminals.
    let added = client
        .vc()
        .add_mts_with(VcAddMtsRequest::new(conf_id.clone(), vec![MtSpec::e164("2322231"), MtSpec::e164("2322232")]))
        .await
        .unwrap();
    let ids: Vec<String> = added.mts.unwrap_or_default().into_iter().filter_map(|m| m.mt_id).collect();
    assert_eq!(ids.len(), 2);
    for id in &ids {
        let m = next_message(&mut push).await;
        assert_eq!(m.topic, Topic::Mt { conf_id: conf_id.clone(), cascade_id: "0".into(), mt_id: id.clone() });
        assert_eq!(m.kind, MessageKind::Update);
    }

    // The user session expires mid-run: the next call heals with exactly one login.
    emu.expire_sessions();
    client.vc().set_mt_mute_with(VcSetMtMuteRequest::new(conf_id.clone(), ids[0].clone(), true)).await.unwrap();
    assert_eq!(emu.counters().logins_ok, 2);
    assert_eq!(emu.counters().tokens_issued, 1);
    // The platform dropped the CometD client with the session: the push connection
    // handshakes again (with the renewed cookie) and re-subscribes.
    loop {
        let item = tokio::time::timeout(Duration::from_secs(10), push.next_item()).await.expect("push item in time").expect("stream open");
        match item.expect("no error") {
            StreamItem::Connected { connection } => assert_eq!(connection, 2),
            StreamItem::Event(PushEvent::Subscribed { channels, .. }) => {
                assert_eq!(channels.len(), 1);
                break;
            }
            _ => {}
        }
    }
    client.vc().set_mt_silence_with(VcSetMtSilenceRequest::new(conf_id.clone(), ids[1].clone(), true)).await.unwrap();
    let m = next_message(&mut push).await;
    assert_eq!(m.topic, Topic::Mt { conf_id: conf_id.clone(), cascade_id: "0".into(), mt_id: ids[1].clone() });
    client.vc().set_chairman_with(VcSetChairmanRequest::new(conf_id.clone(), ids[0].clone())).await.unwrap();
    client.vc().set_speaker_with(VcSetSpeakerRequest::new(conf_id.clone(), ids[1].clone())).await.unwrap();
    let c = emu.conference(&conf_id).unwrap();
    assert!(c.terminals[0].mute && !c.terminals[0].silence);
    assert!(c.terminals[1].silence && !c.terminals[1].mute);
    assert_eq!((c.chairman.as_str(), c.speaker.as_str()), (ids[0].as_str(), ids[1].as_str()));
    let chairman = client.vc().get_chairman_with(VcGetChairmanRequest::new(conf_id.clone())).await.unwrap();
    assert_eq!(chairman.mt_id.as_deref(), Some(ids[0].as_str()));
    let listed = client.vc().list_mts_with(VcListMtsRequest::new(conf_id.clone())).await.unwrap().mts.unwrap_or_default();
    assert_eq!(listed.iter().map(|m| (m.mute, m.silence)).collect::<Vec<_>>(), vec![(Some(true), Some(false)), (Some(false), Some(true))]);

    // Remove one terminal, end the conference.
    client.vc().delete_mts_with(VcDeleteMtsRequest::new(conf_id.clone(), vec![VcDeleteMtsMtSpec { mt_id: ids[1].clone() }])).await.unwrap();
    assert_eq!(emu.conference(&conf_id).unwrap().terminals.len(), 1);
    client.mc().end_conf_with(McEndConfRequest::new(conf_id.clone())).await.unwrap();
    assert!(emu.conference(&conf_id).is_none());
    let err = client.vc().get_conf_with(VcGetConfRequest::new(conf_id.clone())).await.unwrap_err();
    assert_eq!(err.vendor_code(), Some("12103"), "{err}");
    assert_eq!(emu.counters().logins_ok, 2, "one login at start, one after the expiry");
}

#[tokio::test]
async fn personal_templates() {
    let (emu, server) = MoyunEmulator::start(EmuConfig::default()).await.unwrap();
    let client =
        MoyunClient::builder("key", "12345678", "name", "888888").base_url(server.base_url()).heartbeat_interval(None).build().unwrap();
    let video = VideoFormatSpec { format: VideoFormat::H264Hp, resolution: VideoResolution::P720, frame: 30, bitrate: 2048 };
    let created = client
        .mc()
        .create_personal_template()
        .name("daily")
        .bitrate(2048)
        .closed_conf(false)
        .safe_conf(ConfSecurity::Public)
        .encrypted_type(EncryptedType::None)
        .conf_type(ConfType::Traditional)
        .call_mode(CallMode::Auto)
        .call_times(3)
        .call_interval(20)
        .mute(false)
        .silence(false)
        .video_quality(VideoQuality::Speed)
        .bind_e164(false)
        .dual_mode(DualMode::Speaker)
        .voice_activity_detection(false)
        .cascade_mode(CascadeMode::Simple)
        .cascade_upload(true)
        .cascade_return(false)
        .cascade_return_para(0)
        .public_conf(false)
        .max_join_mt(192)
        .auto_end(false)
        .preoccupy_resource(false)
        .one_reforming(false)
        .video_formats(vec![video])
        .send()
        .await
        .unwrap();
    assert!(created.template_id.is_some());
    assert_eq!(emu.templates().len(), 1);
    let list = client.mc().list_personal_templates_with(McListPersonalTemplatesRequest::new()).await.unwrap();
    assert_eq!(list.total, Some(1));
    assert_eq!(list.personal_templates.unwrap_or_default().len(), 1);
}

#[tokio::test]
async fn debug_mode_reports_problems_under_every_spelling() {
    for key in ["dubug_list", "debug_list", "debuglist"] {
        let (emu, server) = MoyunEmulator::start(EmuConfig { debug_key: key.into(), ..EmuConfig::default() }).await.unwrap();
        let client =
            MoyunClient::builder("key", "12345678", "name", "888888").base_url(server.base_url()).heartbeat_interval(None).build().unwrap();
        let conf_id = client.mc().create_conf_with(McCreateConfRequest::instant("debug")).await.unwrap().conf_id.unwrap();
        // The overview's example: the second terminal lacks `bitrate` (impossible with the
        // typed request, so the operation is written by hand).
        let params = r#"{"mts":[{"account_type":5,"account":"2322231","bitrate":2048,"protocol":0},{"account_type":5,"account":"2322232","protocol":0}]}"#;
        let op = conf_core::Operation::new(
            "moyun",
            "vc.add_mts",
            http::Method::POST,
            "/api/v1/vc/confs/{conf_id}/mts",
            format!("/api/v1/vc/confs/{conf_id}/mts"),
        )
        .body(conf_core::Body::Form(vec![("params".into(), params.into())]));
        let report = client.debug(op).await.unwrap();
        assert!(!report.is_valid(), "{key}: {report:?}");
        assert_eq!(report.problems.len(), 1, "{key}");
        assert_eq!(report.problems[0].field, "mts[0].bitrate", "{key}: the emulator lists faulty elements only");
        assert_eq!(report.problems[0].message, "下参中缺少该必填参数");
        assert!(emu.conference(&conf_id).unwrap().terminals.is_empty(), "nothing executed");
        let sent = server.log().filter(|r| r.query.as_deref() == Some("debug=1")).pop().expect("debug=1 in the query");
        assert!(sent.body_text().starts_with("params=%7B%22mts%22%3A+%5B%7B%22account_type%22%3A+5%2C+"), "{}", sent.body_text());
    }
}
