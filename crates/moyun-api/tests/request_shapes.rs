//! Exact request shapes per endpoint family (system, mc, vc, nms, amc, vrs), against
//! httpmock: path, method, session cookie, `API-Level`, token placement (query on
//! GET/DELETE, form field on POST/PUT), `params=` encoding (byte-compatible with the
//! overview's example), `_method` override, paging parameters; invalid input sends nothing.

use conf_core::Error;
use httpmock::Method::{DELETE, GET, POST, PUT};
use httpmock::{Mock, MockServer};
use moyun_api::*;

const TOKEN: &str = "6567e24b425db665a3044db69f0c6fe4";
const COOKIE: &str = "890db118-9033-4317-8fe5-7456913d5793";
/// Document 000: every POST/PUT form is `application/x-www-form-urlencoded;charset=utf-8`.
const FORM: &str = "application/x-www-form-urlencoded;charset=utf-8";

/// The overview's "add terminals" request body (its line breaks removed).
const OVERVIEW_ADD_MTS_BODY: &str = "params=%7B%22mts%22%3A+%5B%7B%22account_type%22%3A+5%2C+%22account\
    %22%3A+%222322231%22%2C+%22bitrate%22%3A+2048%2C+%22protocol%22%3A\
    +0%7D%2C+%7B%22account_type%22%3A+5%2C+%22account%22%3A+%222322232\
    %22%2C+%22bitrate%22%3A+2048%2C+%22protocol%22%3A+0%7D%5D%7D&\
    account_token=6567e24b425db665a3044db69f0c6fe4";

struct Platform {
    server: &'static MockServer,
    client: MoyunClient,
    token: Mock<'static>,
    login: Mock<'static>,
}

/// A mock platform that hands out the overview's token and cookie, answers every
/// app's version with level 1, and a client logged in on first use.
async fn platform() -> Platform {
    let server: &'static MockServer = Box::leak(Box::new(MockServer::start_async().await));
    let token = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v1/system/token")
                .header("content-type", FORM)
                .body("oauth_consumer_key=key&oauth_consumer_secret=12345678");
            then.status(200)
                .header("content-type", "application/json; charset=UTF-8")
                .body(format!(r#"{{"success": 1, "account_token": "{TOKEN}"}}"#));
        })
        .await;
    let login = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v1/system/login")
                .header("content-type", FORM)
                .form_urlencoded_tuple("username", "name")
                .form_urlencoded_tuple("password", "888888")
                .form_urlencoded_tuple("account_token", TOKEN);
            // As in the document: no Path attribute.
            then.status(200)
                .header("content-type", "application/json; charset=UTF-8")
                .header("set-cookie", format!("SSO_COOKIE_KEY={COOKIE};"))
                .body(r#"{"success": 1, "username": "0512110001003"}"#);
        })
        .await;
    for app in ["system", "mc", "vc", "nms", "amc", "vrs"] {
        server
            .mock_async(|when, then| {
                when.method(GET).path(format!("/api/{app}/version"));
                then.status(200).body(r#"{"success":1,"version":"6.0.0.3.0.20190912","api_level":1}"#);
            })
            .await;
    }
    let client =
        MoyunClient::builder("key", "12345678", "name", "888888").base_url(server.base_url()).heartbeat_interval(None).build().unwrap();
    // `Mock` borrows its server: the (leaked) server lives as long as the test binary.
    Platform { server, client, token, login }
}

impl Platform {
    fn srv(&self) -> &'static MockServer {
        self.server
    }
}

fn ok(then: httpmock::Then, body: &str) {
    then.status(200).header("content-type", "application/json; charset=UTF-8").body(body);
}

// ------------------------------------------------------------------ vc

#[tokio::test]
async fn vc_add_mts_rebuilds_the_overview_example_byte_for_byte() {
    let p = platform().await;
    let m = p
        .srv()
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v1/vc/confs/1118986/mts")
                .header("api-level", "1")
                .header("content-type", FORM)
                .cookie("SSO_COOKIE_KEY", COOKIE)
                .query_param_missing("account_token")
                .body(OVERVIEW_ADD_MTS_BODY);
            ok(then, r#"{"success": 1, "mts": [{"account": "2322231", "account_type": 5, "protocol": 0, "mt_id": 1}, {"account": "2322232", "account_type": 9, "protocol": 0, "mt_id": "2"}]}"#);
        })
        .await;
    let mt = |account: &str| MtSpec {
        account_type: AccountType::E164,
        account: account.into(),
        bitrate: 2048,
        protocol: Protocol::H323,
        ..MtSpec::default()
    };
    let resp = p.client.vc().add_mts_with(VcAddMtsRequest::new("1118986", vec![mt("2322231"), mt("2322232")])).await.unwrap();
    m.assert_async().await;
    let mts = resp.mts.unwrap();
    assert_eq!(mts.len(), 2);
    // One id type per concept: a terminal id is text everywhere, sent as a number or not.
    assert_eq!(mts[0].mt_id.as_deref(), Some("1"));
    assert_eq!(mts[1].mt_id.as_deref(), Some("2"));
    assert_eq!(mts[0].account_type, Some(AccountType::E164));
    assert_eq!(mts[1].account_type, Some(AccountType::Unknown(9)), "enums keep values they do not know");
    assert_eq!(p.token.calls_async().await, 1);
    assert_eq!(p.login.calls_async().await, 1);
}

#[tokio::test]
async fn vc_list_confs_pages_with_start_count_and_token_in_query() {
    let p = platform().await;
    let page1 = p
        .srv()
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v1/vc/confs")
                .query_param("account_token", TOKEN)
                .query_param("start", "0")
                .query_param("count", "2")
                .header("api-level", "1")
                .cookie("SSO_COOKIE_KEY", COOKIE);
            ok(then, r#"{"success":1,"total":3,"confs":[{"conf_id":"1","name":"a"},{"conf_id":"2","name":"b"}]}"#);
        })
        .await;
    let page2 = p
        .srv()
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v1/vc/confs")
                .query_param("account_token", TOKEN)
                .query_param("start", "2")
                .query_param("count", "2");
            ok(then, r#"{"success":1,"total":3,"confs":[{"conf_id":"3","name":"c"}]}"#);
        })
        .await;
    let all = p.client.vc().list_confs().count(2).into_paginator().items().collect_all().await.unwrap();
    assert_eq!(all.iter().map(|c| c.name.clone().unwrap()).collect::<Vec<_>>(), ["a", "b", "c"]);
    assert_eq!((page1.calls_async().await, page2.calls_async().await), (1, 1));
}

#[tokio::test]
async fn vc_put_with_method_override_posts_method_and_params() {
    let p = platform().await;
    let m = p
        .srv()
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v1/vc/confs/42/silence")
                .header("content-type", FORM)
                .cookie("SSO_COOKIE_KEY", COOKIE)
                .body(format!("_method=PUT&params=%7B%22value%22%3A+1%7D&account_token={TOKEN}"));
            ok(then, r#"{"success":1}"#);
        })
        .await;
    p.client.vc().set_silence_with(VcSetSilenceRequest::new("42", true)).await.unwrap();
    m.assert_async().await;
}

#[tokio::test]
async fn vc_delete_sends_token_in_query_and_params_in_body() {
    let p = platform().await;
    let m = p
        .srv()
        .mock_async(|when, then| {
            when.method(DELETE)
                .path("/api/v1/vc/confs/42/mts")
                .query_param("account_token", TOKEN)
                .cookie("SSO_COOKIE_KEY", COOKIE)
                .body("params=%7B%22mts%22%3A+%5B%7B%22mt_id%22%3A+%221%22%7D%5D%7D");
            ok(then, r#"{"success":1}"#);
        })
        .await;
    let req = VcDeleteMtsRequest::new("42", vec![VcDeleteMtsMtSpec { mt_id: "1".into() }]);
    p.client.vc().delete_mts_with(req).await.unwrap();
    m.assert_async().await;
}

#[tokio::test]
async fn vendor_errors_carry_the_table_meaning() {
    let p = platform().await;
    p.srv()
        .mock_async(|when, then| {
            when.method(GET).path("/api/v1/vc/confs/404");
            ok(then, r#"{"success":0,"error_code":12103}"#);
        })
        .await;
    let err = p.client.vc().get_conf_with(VcGetConfRequest::new("404")).await.unwrap_err();
    match &err {
        Error::Vendor { code, message, retryable, .. } => {
            assert_eq!(code, "12103");
            assert!(message.contains("Conference does not exist") && message.contains("会议不存在"), "{message}");
            assert!(!retryable);
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(ErrorCode::from_code("12103"), ErrorCode::ConfNotFound));
}

// ------------------------------------------------------------------ mc

#[tokio::test]
async fn mc_delete_with_method_override_posts_method_and_token() {
    let p = platform().await;
    let m = p
        .srv()
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v1/mc/confs/1118986")
                .header("api-level", "1")
                .cookie("SSO_COOKIE_KEY", COOKIE)
                .query_param_missing("account_token")
                .body(format!("_method=DELETE&account_token={TOKEN}"));
            ok(then, r#"{"success":1,"description":"ok"}"#);
        })
        .await;
    let resp = p.client.mc().end_conf_with(McEndConfRequest::new("1118986")).await.unwrap();
    assert_eq!(resp.description.as_deref(), Some("ok"));
    m.assert_async().await;
}

#[tokio::test]
async fn mc_list_personal_templates_query_paging() {
    let p = platform().await;
    let m = p
        .srv()
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v1/mc/personal_templates")
                .query_param("start", "5")
                .query_param("count", "10")
                .query_param("order", "1")
                .query_param("account_token", TOKEN);
            ok(then, r#"{"success":1,"total":1,"personal_templates":[{"template_id":"t1","name":"weekly","bitrate":2048}]}"#);
        })
        .await;
    let resp = p
        .client
        .mc()
        .list_personal_templates_with(McListPersonalTemplatesRequest::new().start(5).count(10).order(SortOrder::Descending))
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(resp.total, Some(1));
    assert_eq!(resp.personal_templates.unwrap()[0].template_id.as_deref(), Some("t1"));
}

#[tokio::test]
async fn mc_upload_meeting_file_is_multipart_with_token_part() {
    let p = platform().await;
    let m = p
        .srv()
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v1/mc/meeting_files/m1")
                .header_prefix("content-type", "multipart/form-data")
                .body_includes("name=\"file\"; filename=\"agenda.txt\"")
                .body_includes("hello agenda")
                .body_includes("name=\"account_token\"")
                .body_includes(TOKEN);
            ok(then, r#"{"success":1,"meeting_file":{"file_id":"f1","file_name":"agenda.txt"}}"#);
        })
        .await;
    let file = FilePart::from_bytes("agenda.txt", b"hello agenda".to_vec());
    let resp = p.client.mc().upload_meeting_file_with(McUploadMeetingFileRequest::new("m1", file)).await.unwrap();
    m.assert_async().await;
    assert_eq!(resp.meeting_file.unwrap().file_id.as_deref(), Some("f1"));
}

// ------------------------------------------------------------------ system

#[tokio::test]
async fn system_heartbeat_and_version_shapes() {
    let p = platform().await;
    let hb = p
        .srv()
        .mock_async(|when, then| {
            // An empty POST becomes a form when the token is added: it carries the charset too.
            when.method(POST)
                .path("/api/v1/system/heartbeat")
                .header("content-type", FORM)
                .cookie("SSO_COOKIE_KEY", COOKIE)
                .body(format!("account_token={TOKEN}"));
            ok(then, r#"{"success":1}"#);
        })
        .await;
    p.client.system().heartbeat_with(SystemHeartbeatRequest::new()).await.unwrap();
    hb.assert_async().await;
    assert_eq!(moyun_api::FORM_CONTENT_TYPE, FORM);

    let v = p.client.vc().get_version_with(VcGetVersionRequest::new()).await.unwrap();
    assert_eq!(v.api_level, Some(1));
    assert_eq!(v.version.as_deref(), Some("6.0.0.3.0.20190912"));
}

#[tokio::test]
async fn system_token_and_login_endpoints_need_no_session() {
    let p = platform().await;
    let resp = p.client.system().get_token_with(SystemGetTokenRequest::new("key", "12345678")).await.unwrap();
    assert_eq!(resp.account_token.as_ref().map(conf_core::ExposeSecret::expose_secret), Some(TOKEN));
    assert!(!format!("{resp:?}").contains(TOKEN), "Debug never shows the token");
    let resp = p.client.system().login_with(SystemLoginRequest::new("name", "888888", TOKEN)).await.unwrap();
    assert_eq!(resp.username.as_deref(), Some("0512110001003"), "leading zero kept: the example sends text");
    // Both went straight to the platform: the session itself was never needed.
    assert_eq!(p.token.calls_async().await, 1);
    assert_eq!(p.login.calls_async().await, 1);
}

// ------------------------------------------------------------------ nms

#[tokio::test]
async fn nms_terminals_page_on_total_count() {
    let p = platform().await;
    let m = p
        .srv()
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v1/nms/user_domains/ud1/terminals")
                .query_param("start", "0")
                .query_param("count", "100")
                .query_param("account_token", TOKEN)
                .header("api-level", "1")
                .cookie("SSO_COOKIE_KEY", COOKIE);
            ok(then, r#"{"success":1,"total_count":2,"terminals":[{"name":"t1"},{"name":"t2"}]}"#);
        })
        .await;
    let all = p.client.nms().list_user_domain_terminals().domain_moid("ud1").into_paginator().items().collect_all().await.unwrap();
    assert_eq!(all.len(), 2);
    m.assert_async().await;
}

// ------------------------------------------------------------------ amc

#[tokio::test]
async fn amc_put_without_override_sends_token_in_form() {
    let p = platform().await;
    let m = p
        .srv()
        .mock_async(|when, then| {
            when.method(PUT)
                .path("/api/v1/amc/accounts/acc1")
                .header("content-type", FORM)
                .header("api-level", "1")
                .cookie("SSO_COOKIE_KEY", COOKIE)
                .query_param_missing("account_token")
                .body(format!(
                    "params=%7B%22name%22%3A+%22%5Cu5f20%5Cu4e09%22%2C+%22mobile%22%3A+%2213800000000%22%7D&account_token={TOKEN}"
                ));
            ok(then, r#"{"success":1}"#);
        })
        .await;
    let req = AmcUpdateAccountRequest::new("acc1").name("张三").mobile("13800000000");
    p.client.amc().update_account_with(req).await.unwrap();
    m.assert_async().await;
}

// ------------------------------------------------------------------ vrs

#[tokio::test]
async fn vrs_programs_page_with_pageid_and_prgs1page() {
    let p = platform().await;
    let page1 = p
        .srv()
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v2/vrs/program")
                .query_param("folderid", "7")
                .query_param("pageid", "1")
                .query_param("prgs1page", "2")
                .query_param("account_token", TOKEN)
                .header("api-level", "1")
                .cookie("SSO_COOKIE_KEY", COOKIE);
            ok(then, r#"{"success":1,"prgcount":3,"pageid":1,"prginfo":[{"prggid":1},{"prggid":2}]}"#);
        })
        .await;
    let page2 = p
        .srv()
        .mock_async(|when, then| {
            when.method(GET).path("/api/v2/vrs/program").query_param("pageid", "2").query_param("prgs1page", "2");
            ok(then, r#"{"success":1,"prgcount":3,"pageid":2,"prginfo":[{"prggid":3}]}"#);
        })
        .await;
    let all = p.client.vrs().list_programs().folderid(7).page_size(2).into_paginator().items().collect_all().await.unwrap();
    assert_eq!(all.iter().filter_map(|p| p.prggid).collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!((page1.calls_async().await, page2.calls_async().await), (1, 1));
}

#[tokio::test]
async fn vrs_errors_use_the_vrs_scope() {
    let p = platform().await;
    p.srv()
        .mock_async(|when, then| {
            when.method(PUT).path("/api/v2/vrs/recroom/9/startrec");
            ok(then, r#"{"success":0,"error_code":24107}"#);
        })
        .await;
    let err = p.client.vrs().start_recroom_recording_with(VrsStartRecroomRecordingRequest::new("9")).await.unwrap_err();
    assert!(err.to_string().contains("remote capabilities"), "{err}");
}

// ------------------------------------------------------------------ validation

#[tokio::test]
async fn invalid_input_sends_nothing() {
    let p = platform().await;
    let err = p.client.vc().add_mts_with(VcAddMtsRequest::new("", vec![])).await.unwrap_err();
    assert!(matches!(&err, Error::InvalidInput { field, .. } if field == "conf_id"), "{err:?}");
    let long = "x".repeat(61);
    let err = p.client.mc().create_meeting_room_area_with(McCreateMeetingRoomAreaRequest::new(long)).await.unwrap_err();
    assert!(matches!(&err, Error::InvalidInput { field, .. } if field == "area"), "{err:?}");
    assert_eq!(p.token.calls_async().await, 0, "no token requested");
    assert_eq!(p.login.calls_async().await, 0, "no login");
}

#[test]
fn credentials_in_requests_never_reach_debug_output() {
    let login = SystemLoginRequest::new("name", "888888-secret", TOKEN);
    let shown = format!("{login:?}");
    assert!(!shown.contains("888888-secret") && !shown.contains(TOKEN), "{shown}");
    let token = SystemGetTokenRequest::new("key", "app-secret-1");
    assert!(!format!("{token:?}").contains("app-secret-1"));
    let reset = AmcResetAccountPasswordRequest::new("acc1", "new-password-1");
    assert!(!format!("{reset:?}").contains("new-password-1"));
    // ... while the wire still carries them.
    let op = login.into_operation().unwrap();
    let conf_core::Body::Form(fields) = &op.body else { panic!("form expected") };
    assert!(fields.iter().any(|(k, v)| k == "password" && v == "888888-secret"));
}
