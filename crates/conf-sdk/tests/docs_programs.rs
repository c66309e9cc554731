//! Each vendor document's complete program (`examples/<vendor>.rs`, written for users of
//! this crate) is shown verbatim by its page, and runs against the conf-sandbox emulator.

use conf_sandbox::lingsun::{LingsunConfig, LingsunEmulator};
use conf_sandbox::moyun::{MoyunConfig, MoyunEmulator};
use conf_sandbox::vmr::{DialIn, VmrConfig, VmrEmulator};
use conf_sandbox::webapi::{WebApiConfig, WebApiEmulator};
use conf_sandbox::ytx::{YtxConfig, YtxEmulator};
use conf_sdk::SecretString;

#[allow(dead_code)]
#[path = "../examples/lingsun.rs"]
mod lingsun_program;
#[allow(dead_code)] // `main` talks to a real platform
#[path = "../examples/moyun.rs"]
mod moyun_program;
#[allow(dead_code)]
#[path = "../examples/vmr.rs"]
mod vmr_program;
#[allow(dead_code)]
#[path = "../examples/webapi.rs"]
mod webapi_program;
#[allow(dead_code)]
#[path = "../examples/ytx.rs"]
mod ytx_program;

/// Every program and the page that shows it.
const PAGES: [(&str, &str, &str); 5] = [
    ("docs/moyun-api.md", include_str!("../../../docs/moyun-api.md"), include_str!("../examples/moyun.rs")),
    ("docs/vmr-rest.md", include_str!("../../../docs/vmr-rest.md"), include_str!("../examples/vmr.rs")),
    ("docs/webapi.md", include_str!("../../../docs/webapi.md"), include_str!("../examples/webapi.rs")),
    ("docs/ytx-telemeeting.md", include_str!("../../../docs/ytx-telemeeting.md"), include_str!("../examples/ytx.rs")),
    ("docs/lingsun-rest.md", include_str!("../../../docs/lingsun-rest.md"), include_str!("../examples/lingsun.rs")),
];

#[test]
fn every_vendor_page_shows_its_program_verbatim() {
    for (page, doc, program) in PAGES {
        assert!(doc.contains(&format!("```rust\n{program}```\n")), "{page} must show its complete program verbatim");
        assert!(program.contains("use conf_sdk::"), "{page}: the program is written for users of conf-sdk");
        assert!(!program.contains("conf_core::"), "{page}: the program reaches conf-core through conf_sdk");
    }
}

#[tokio::test]
async fn the_moyun_program_runs() {
    let (emu, server) = MoyunEmulator::start(MoyunConfig::default()).await.unwrap();
    let client = conf_sdk::moyun::MoyunClient::builder("key", "12345678", "name", "888888")
        .base_url(server.base_url())
        .heartbeat_interval(None)
        .build()
        .unwrap();
    let conf_id = moyun_program::run(&client).await.unwrap();
    assert!(emu.conference(&conf_id).is_none(), "the conference was ended");
    assert_eq!(emu.counters().logins_ok, 1);
}

#[tokio::test]
async fn the_vmr_program_runs_and_maps_a_wrong_pin() {
    let (emu, server) = VmrEmulator::start(VmrConfig::new()).await.unwrap();
    emu.add_participant("meet@vmr.example", DialIn::guest("Alice"));
    let vmr = conf_sdk::vmr::VmrClient::builder().base_url(server.base_url()).build().unwrap();
    vmr_program::run(&vmr, "1061", "123456").await.unwrap();
    for command in ["lock", "dial", "override_layout", "start_service", "end_session"] {
        assert_eq!(emu.command_count(command), 1, "{command}");
    }
    // A wrong PIN: the join check answers 403, mapped to the typed PIN error.
    let e = vmr_program::run(&vmr, "1061", "999999").await.unwrap_err();
    assert!(e.to_string().contains("PIN problem: the PIN was not accepted by the room"), "{e}");
    assert_eq!(emu.command_count("new_session"), 1, "nothing opened with the wrong PIN");
}

#[tokio::test]
async fn the_webapi_program_runs() {
    let config = WebApiConfig::default();
    let (emu, server) = WebApiEmulator::start(config.clone()).await.unwrap();
    let client =
        conf_sdk::webapi::WebApiClient::builder(SecretString::from(config.key.clone())).base_url(server.base_url()).build().unwrap();
    let (k, iv) = config.java_key_hex.clone().unwrap();
    let key = conf_sdk::webapi::TokenKey::java(&SecretString::from(k), &SecretString::from(iv)).unwrap();
    let serial = webapi_program::run(&client, &key, vec!["494".into()]).await.unwrap();
    assert!(emu.meeting(&serial).is_none(), "the meeting was deleted");
    for endpoint in ["meetingcreate", "meetingmodify", "meetingbindfile", "uploadRoomPic", "getlogininfo", "getRoomRecord", "meetingdelete"]
    {
        assert_eq!(emu.counters().succeeded(endpoint), 1, "{endpoint}");
    }
}

#[tokio::test]
async fn the_ytx_program_runs() {
    let config = YtxConfig::default();
    let (emu, server) = YtxEmulator::start(config.clone()).await.unwrap();
    let client = conf_sdk::ytx::YtxClient::builder(config.account_sid, SecretString::from(config.auth_token), config.app_id)
        .base_url(server.base_url())
        .build()
        .unwrap();
    let meid = ytx_program::run(&client, "13100001314", Some("18900005326")).await.unwrap();
    assert!(!meid.is_empty());
    assert!(emu.meeting_ids().is_empty(), "the meeting was ended: {:?}", emu.meeting_ids());
}

#[tokio::test]
async fn the_lingsun_program_runs() {
    let config = LingsunConfig::default();
    let (emu, server) = LingsunEmulator::start(config.clone()).await.unwrap();
    let (user, password) = config.users[0].clone();
    let grant = conf_sdk::lingsun::Grant::Password { username: user, password: SecretString::from(password) };
    let secret = SecretString::from(config.client_secret.clone());
    let client = conf_sdk::lingsun::LingsunClient::builder(config.client_id.clone(), secret.clone(), grant)
        .base_url(server.base_url())
        .build()
        .unwrap();
    lingsun_program::run(&client, &config.client_id, &secret, "1254").await.unwrap();
    assert_eq!(emu.orders().len(), 1);
    assert!(emu.accounts().is_empty(), "the third-party account was removed");
    assert_eq!(emu.grants("password"), 1, "one token for every call");
}
