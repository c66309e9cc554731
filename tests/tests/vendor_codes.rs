//! Typed vendor codes for all five vendors (issue 13): a vendor failure answered by the
//! vendor's emulator reads as that vendor's `ErrorCode` through
//! `conf_core::Error::vendor_code_as`, and as no other vendor's.

use conf_core::Error;
use conf_core::secret::secret;

/// `err` as each vendor's typed code: exactly `vendor`'s is `Some`.
fn only_vendor(err: &Error, vendor: &str) {
    let typed = [
        ("moyun", err.vendor_code_as::<moyun_api::ErrorCode>().is_some()),
        ("vmr", err.vendor_code_as::<vmr_rest::ErrorCode>().is_some()),
        ("webapi", err.vendor_code_as::<webapi::ErrorCode>().is_some()),
        ("ytx", err.vendor_code_as::<ytx_telemeeting::ErrorCode>().is_some()),
        ("lingsun", err.vendor_code_as::<lingsun_rest::ErrorCode>().is_some()),
    ];
    for (name, some) in typed {
        assert_eq!(some, name == vendor, "{name} code of a {vendor} error: {err}");
    }
}

#[tokio::test]
async fn moyun() {
    use conf_sandbox::moyun::{MoyunConfig as EmuConfig, MoyunEmulator};
    use moyun_api::{ErrorCode, MoyunClient, VcGetConfRequest};
    let (_emu, server) = MoyunEmulator::start(EmuConfig::default()).await.unwrap();
    let client = MoyunClient::builder("key", secret("12345678"), "name", secret("888888"))
        .base_url(server.base_url())
        .heartbeat_interval(None)
        .build()
        .unwrap();
    let err = client.vc().get_conf_with(VcGetConfRequest::new("no-such-conf")).await.unwrap_err();
    assert_eq!(err.vendor_code_as::<ErrorCode>(), Some(ErrorCode::ConfNotFound), "{err}");
    only_vendor(&err, "moyun");
    let wrong = MoyunClient::builder("key", secret("12345678"), "name", secret("wrong"))
        .base_url(server.base_url())
        .heartbeat_interval(None)
        .build()
        .unwrap();
    let err = wrong.login().await.unwrap_err();
    assert_eq!(err.vendor_code_as::<ErrorCode>(), Some(ErrorCode::WrongPassword), "{err}");
}

#[tokio::test]
async fn vmr() {
    use conf_sandbox::vmr::{VmrConfig, VmrEmulator};
    use vmr_rest::{ErrorCode, LockRequest, SessionOptions, VmrClient};
    let (_emu, server) = VmrEmulator::start(VmrConfig::new()).await.unwrap();
    let mcu = VmrClient::builder().base_url(server.base_url()).build().unwrap().mcu(&server.base_url()).unwrap();
    // The PIN error is an auth error wrapping the vendor failure.
    let err = mcu.session("meet@vmr.example", SessionOptions::new("x").pin("999")).await.unwrap_err();
    assert!(matches!(err, Error::Auth { .. }), "{err}");
    assert_eq!(err.vendor_code_as::<ErrorCode>(), Some(ErrorCode::PinInvalid), "{err}");
    only_vendor(&err, "vmr");
    let guest = mcu.session("1061", SessionOptions::new("g").pin("4321")).await.unwrap();
    let err = guest.conference().lock_with(LockRequest::new()).await.unwrap_err();
    assert_eq!(err.vendor_code_as::<ErrorCode>(), Some(ErrorCode::PermissionDenied), "{err}");
    guest.close().await.unwrap();
}

#[tokio::test]
async fn webapi() {
    use conf_sandbox::webapi::{WebApiConfig, WebApiEmulator};
    use webapi::{ErrorCode, GetMeetingFileRequest, WebApiClient};
    let config = WebApiConfig::default();
    let (_emu, server) = WebApiEmulator::start(config.clone()).await.unwrap();
    let client = WebApiClient::builder(secret(config.key.clone())).base_url(server.base_url()).build().unwrap();
    let err = client.get_meeting_file_with(GetMeetingFileRequest::new("424242")).await.unwrap_err();
    assert_eq!(err.vendor_code_as::<ErrorCode>(), Some(ErrorCode::MeetingNotFound), "{err}");
    only_vendor(&err, "webapi");
    let wrong = WebApiClient::builder(secret("not-the-key")).base_url(server.base_url()).build().unwrap();
    let err = wrong.get_meeting_file_with(GetMeetingFileRequest::new("424242")).await.unwrap_err();
    assert_eq!(err.vendor_code_as::<ErrorCode>(), Some(ErrorCode::KeyInvalid), "{err}");
}

#[tokio::test]
async fn ytx() {
    use conf_sandbox::ytx::{YtxConfig, YtxEmulator};
    use ytx_telemeeting::{CreateMeetingRequest, ErrorCode, YtxClient};
    let config = YtxConfig::default();
    let (_emu, server) = YtxEmulator::start(config.clone()).await.unwrap();
    let client = YtxClient::builder(config.account_sid.clone(), secret(config.auth_token.clone()), config.app_id.clone())
        .base_url(server.base_url())
        .build()
        .unwrap();
    // A booked meeting without its time: the platform's "missing parameter".
    let err = client.create_meeting_with(CreateMeetingRequest::new("13100001314").book_meeting(true)).await.unwrap_err();
    assert_eq!(err.vendor_code_as::<ErrorCode>(), Some(ErrorCode::MissingParameter), "{err}");
    only_vendor(&err, "ytx");
}

#[tokio::test]
async fn lingsun() {
    use conf_sandbox::lingsun::{LingsunConfig, LingsunEmulator};
    use lingsun_rest::{ErrorCode, GetAllPackagesRequest, Grant, Hosts, LingsunClient};
    let config = LingsunConfig::default();
    let (_emu, server) = LingsunEmulator::start(config.clone()).await.unwrap();
    let grant = Grant::Password { username: config.users[0].0.clone(), password: secret("wrong-password") };
    let client = LingsunClient::builder(config.client_id.clone(), secret(config.client_secret.clone()), grant)
        .hosts(Hosts::single(server.base_url().parse().unwrap()))
        .build()
        .unwrap();
    // A refused grant: an auth error wrapping the vendor's 400 `invalid_grant`.
    let err = client.get_all_packages_with(GetAllPackagesRequest::new()).await.unwrap_err();
    assert!(matches!(err, Error::Auth { .. }), "{err}");
    assert_eq!(err.vendor_code_as::<ErrorCode>(), Some(ErrorCode::BadRequest), "{err}");
    only_vendor(&err, "lingsun");
}
