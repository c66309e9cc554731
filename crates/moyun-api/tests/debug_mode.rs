//! Validate-only calls (`debug=1`): any generated mutating call can be sent in debug
//! mode and answers the typed list of parameter problems, whichever of the three
//! spellings (`debug_list`, `debuglist`, `dubug_list`) the platform uses.

use conf_core::Error;
use httpmock::Method::{GET, POST};
use httpmock::MockServer;
use moyun_api::debug::{DebugReport, ParamProblem};
use moyun_api::*;

const TOKEN: &str = "6567e24b425db665a3044db69f0c6fe4";

async fn platform() -> (&'static MockServer, MoyunClient) {
    let server: &'static MockServer = Box::leak(Box::new(MockServer::start_async().await));
    server
        .mock_async(|when, then| {
            when.method(POST).path("/api/v1/system/token");
            then.status(200).body(format!(r#"{{"success": 1, "account_token": "{TOKEN}"}}"#));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/api/v1/system/login");
            then.status(200).header("set-cookie", "SSO_COOKIE_KEY=c1;").body(r#"{"success": 1, "username": "u"}"#);
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path_prefix("/api/").path_suffix("/version");
            then.status(200).body(r#"{"success":1,"version":"6","api_level":1}"#);
        })
        .await;
    let client = MoyunClient::builder("key", "secret", "name", "pw").base_url(server.base_url()).heartbeat_interval(None).build().unwrap();
    (server, client)
}

fn add_mts(conf: &str) -> VcAddMtsRequest {
    let mt = |account: &str, bitrate: i64| MtSpec {
        account_type: AccountType::E164,
        account: account.into(),
        bitrate,
        protocol: Protocol::H323,
        ..MtSpec::default()
    };
    VcAddMtsRequest::new(conf, vec![mt("2322231", 2048), mt("2322232", 0)])
}

#[tokio::test]
async fn add_mts_in_debug_mode_returns_the_problems_and_executes_nothing() {
    let (server, client) = platform().await;
    let real = server
        .mock_async(|when, then| {
            when.method(POST).path("/api/v1/vc/confs/1118986/mts").query_param_missing("debug");
            then.status(200).body(r#"{"success":1}"#);
        })
        .await;
    let debug = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v1/vc/confs/1118986/mts")
                .query_param("debug", "1")
                .cookie("SSO_COOKIE_KEY", "c1")
                .form_urlencoded_tuple("account_token", TOKEN)
                .body_prefix("params=%7B%22mts%22%3A+%5B%7B%22account_type%22%3A+5%2C+");
            then.status(200).body(r#"{"success":1,"dubug_list":{"mts":[{},{"bitrate":"下参中缺少该必填参数"}]}}"#);
        })
        .await;
    let report = client.debug(add_mts("1118986").into_operation().unwrap()).await.unwrap();
    assert_eq!(report.problems, vec![ParamProblem::new("mts[1].bitrate", "下参中缺少该必填参数")]);
    assert!(!report.is_valid());
    assert_eq!(debug.calls_async().await, 1);
    assert_eq!(real.calls_async().await, 0, "debug mode must not execute the call");
}

#[tokio::test]
async fn every_spelling_of_the_debug_list_is_read() {
    let (server, client) = platform().await;
    for (i, key) in ["debug_list", "debuglist", "dubug_list"].into_iter().enumerate() {
        let conf = format!("10{i}");
        server
            .mock_async(|when, then| {
                when.method(POST).path(format!("/api/v1/vc/confs/{conf}/name")).query_param("debug", "1");
                then.status(200).body(format!(r#"{{"success":1,"{key}":{{"name":"名称过长"}}}}"#));
            })
            .await;
        let report = client.debug(VcRenameConfRequest::new(conf.clone(), "n").into_operation().unwrap()).await.unwrap();
        assert_eq!(report.problems, vec![ParamProblem::new("name", "名称过长")], "{key}");
    }
}

#[tokio::test]
async fn a_clean_request_is_valid_and_overrides_keep_their_method() {
    let (server, client) = platform().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST).path("/api/v1/mc/confs/77").query_param("debug", "1").body(format!("_method=DELETE&account_token={TOKEN}"));
            then.status(200).body(r#"{"success":1}"#);
        })
        .await;
    let report = client.debug(McEndConfRequest::new("77").into_operation().unwrap()).await.unwrap();
    assert_eq!(report, DebugReport::default());
    assert!(report.is_valid());
    m.assert_async().await;
}

#[tokio::test]
async fn a_failed_debug_reply_without_a_list_is_a_vendor_error() {
    let (server, client) = platform().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/api/v1/vc/confs/5/delay").query_param("debug", "1");
            then.status(200).body(r#"{"success":0,"error_code":12103}"#);
        })
        .await;
    let err = client.debug(VcExtendConfRequest::new("5", 30).into_operation().unwrap()).await.unwrap_err();
    assert!(matches!(&err, Error::Vendor { code, .. } if code == "12103"), "{err:?}");
}

#[tokio::test]
async fn local_validation_fails_before_debug_mode() {
    let err = add_mts("").into_operation().unwrap_err();
    assert!(matches!(&err, Error::InvalidInput { field, .. } if field == "conf_id"), "{err:?}");
}
