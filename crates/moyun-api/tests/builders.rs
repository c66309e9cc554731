//! The fluent surface against the emulator: a conference with custom settings as one
//! builder chain (the one docs/moyun-api.md shows), required fields checked before
//! anything is sent, and a listing walked by a paginator.

use conf_core::Error;
use conf_sandbox::moyun::{MoyunConfig as EmuConfig, MoyunEmulator};
use moyun_api::{MoyunClient, VideoFormat, VideoFormatSpec, VideoResolution};

async fn client() -> (MoyunEmulator, conf_sandbox::Server, MoyunClient) {
    let (emu, server) = MoyunEmulator::start(EmuConfig::default()).await.unwrap();
    let client = MoyunClient::builder("key", "12345678", "name", "888888")
        .config(conf_core::ClientConfig::parse(&server.base_url()).unwrap().proxy_from_env(false))
        .heartbeat_interval(None)
        .build()
        .unwrap();
    (emu, server, client)
}

#[tokio::test]
async fn a_conference_with_custom_settings_is_one_builder_chain() {
    let (emu, _server, client) = client().await;
    let hd = VideoFormatSpec { format: VideoFormat::H264Hp, resolution: VideoResolution::P1080, frame: 30, bitrate: 4096 };
    let created = client
        .mc()
        .create_conf()
        .instant()
        .name("周会")
        .duration(90)
        .bitrate(4096)
        .video_formats(vec![hd])
        .max_join_mt(32)
        .call_times(5)
        .call_interval(30)
        .mute(true)
        .send()
        .await
        .unwrap();
    let conf_id = created.conf_id.expect("conf_id");
    let conf = emu.conference(&conf_id).expect("the emulator holds the conference");
    assert_eq!(conf.name, "周会");
    let p = &conf.params;
    assert_eq!((p["duration"].as_i64(), p["bitrate"].as_i64(), p["max_join_mt"].as_i64()), (Some(90), Some(4096), Some(32)));
    assert_eq!((p["call_times"].as_i64(), p["call_interval"].as_i64()), (Some(5), Some(30)));
    assert_eq!(p["video_formats"][0]["bitrate"].as_i64(), Some(4096));
    assert_eq!(p["create_type"].as_i64(), Some(1), "the preset's values stay where no setter changed them");

    // The same call with a request value built elsewhere.
    let mut req = moyun_api::McCreateConfRequest::instant("周会 2");
    req.duration = 30;
    let second = client.mc().create_conf_with(req).await.unwrap().conf_id.unwrap();
    assert_ne!(second, conf_id);
}

#[tokio::test]
async fn a_missing_required_field_is_named_and_nothing_is_sent() {
    let (emu, _server, client) = client().await;
    client.login().await.unwrap();
    let before = emu.counters();
    let e = client.mc().create_conf().name("no settings").send().await.unwrap_err();
    let Error::InvalidInput { field, reason, .. } = &e else { panic!("expected InvalidInput, got {e}") };
    assert!(e.nothing_sent(), "{e}");
    assert!(reason.contains("required") && reason.contains(&format!("`.{field}(..)`")), "{reason}");
    let e = client.vc().get_conf().send().await.unwrap_err();
    assert!(matches!(&e, Error::InvalidInput { field, .. } if field == "conf_id"), "{e}");
    assert_eq!(emu.counters(), before, "the emulator saw nothing");
    let listed = client.vc().list_confs().into_paginator().items().collect_all().await.unwrap();
    assert!(listed.is_empty());
}

#[tokio::test]
async fn a_paginator_walks_the_emulators_listing_page_by_page() {
    let (_emu, _server, client) = client().await;
    for i in 0..5 {
        client.mc().create_conf().instant().name(format!("conf {i}")).send().await.unwrap();
    }
    let mut pages = client.vc().list_confs().count(2).into_paginator();
    let mut sizes = Vec::new();
    while let Some(page) = pages.next().await {
        sizes.push(page.unwrap().confs.map_or(0, |c| c.len()));
    }
    assert_eq!(sizes, [2, 2, 1]);
    let names: Vec<String> = client
        .vc()
        .list_confs()
        .count(2)
        .into_paginator()
        .items()
        .collect_all()
        .await
        .unwrap()
        .into_iter()
        .filter_map(|c| c.name)
        .collect();
    assert_eq!(names.len(), 5);
    assert!(names.iter().all(|n| n.starts_with("conf ")), "{names:?}");
}
