//! End to end against the conf-sandbox WebAPI emulator: the whole meeting lifecycle,
//! join links of both token flavours, typed vendor errors, invalid input that sends
//! nothing, and a lost `meetingcreate` reply reported as outcome-unknown, not replayed.

use std::time::{Duration, SystemTime};

use conf_core::secret::secret;
use conf_core::{Error, RetryPolicy};
use conf_sandbox::webapi::{WebApiConfig, WebApiEmulator};
use conf_sandbox::{Fault, FaultRule, Server};
use serde_json::Value;
use webapi::*;

const KEY: &str = "e2e-company-key";
const JAVA_KEY: &str = "a2e81a0c22df031a8d22039860770b17393177892391534a3720bcb6720ed56a";
const JAVA_IV: &str = "a5f3c05db5d22c2dd1426437ba9b1638";

fn config() -> WebApiConfig {
    WebApiConfig {
        key: KEY.into(),
        java_key_hex: Some((JAVA_KEY.into(), JAVA_IV.into())),
        php_passkey: Some(("dG4_Pf0i".into(), "Jt7xnQYPnI4".into())),
        ..WebApiConfig::default()
    }
}

fn client(server: &Server, key: &str, attempt_timeout: Duration) -> WebApiClient {
    let config = conf_core::ClientConfig::parse(&server.base_url())
        .unwrap()
        .proxy_from_env(false)
        .attempt_timeout(attempt_timeout)
        .retry(RetryPolicy::default().max_attempts(3).initial_backoff(Duration::from_millis(5)).max_backoff(Duration::from_millis(20)));
    WebApiClient::builder(secret(key)).config(config).record_base("https://rec.example.com/").build().unwrap()
}

async fn open(c: &WebApiClient, url: url::Url) -> Value {
    c.core().http().get(url).send().await.unwrap().json().await.unwrap()
}

#[tokio::test]
#[allow(clippy::many_single_char_names)]
async fn full_lifecycle() {
    let (emu, server) = WebApiEmulator::start(config()).await.unwrap();
    let c = client(&server, KEY, Duration::from_secs(5));
    let start = SystemTime::now() - Duration::from_secs(60);

    // create
    let m = c
        .meeting_create_with(
            MeetingCreateRequest::new("周会 Weekly", start, "8888").end_time(start + Duration::from_secs(3600)).is_live(true),
        )
        .await
        .unwrap();
    let serial = m.serial.clone().unwrap();
    assert!(serial.parse::<u64>().is_ok());
    assert_eq!(
        c.resolve_record_path(m.recordpath.as_deref().unwrap()).unwrap().as_str(),
        format!("https://rec.example.com/upload/{serial}.mp4")
    );
    assert_eq!(emu.meeting(&serial).unwrap().name, "周会 Weekly");

    // modify
    let r = c.meeting_modify_with(MeetingModifyRequest::new(&serial, start).meeting_name("月会").chairman_pwd("123456")).await.unwrap();
    assert_eq!(r.serial.as_deref(), Some(serial.as_str()));
    let stored = emu.meeting(&serial).unwrap();
    assert_eq!((stored.name.as_str(), stored.chairman_pwd.as_str(), stored.end), ("月会", "123456", None));

    // bind files, upload a background, list files
    c.meeting_bind_file_with(MeetingBindFileRequest::new(&serial, vec!["494".into(), "496".into()])).await.unwrap();
    let pic = c
        .upload_room_pic_with(UploadRoomPicRequest::new(FilePart::from_bytes("bg.png", vec![0x89, b'P', b'N', b'G']), &serial))
        .await
        .unwrap();
    let bg = emu.meeting(&serial).unwrap().background.unwrap();
    assert_eq!((bg.content_type.as_str(), pic.pic_path.as_deref()), ("image/png", Some(bg.pic_path.as_str())));
    let files = c.get_meeting_file_with(GetMeetingFileRequest::new(&serial)).await.unwrap().meetingfile.unwrap();
    let names: Vec<_> = files.iter().map(|f| f.filename.clone().unwrap()).collect();
    assert_eq!(names, ["1.png", "课件.pptx"]);
    assert_eq!(files[0].fileid.as_deref(), Some("494"));

    // class time and live streams
    emu.set_class_duration(&serial, 1800);
    assert_eq!(c.get_class_begin_time_with(GetClassBeginTimeRequest::new(&serial)).await.unwrap().duration, Some(1800));
    let live = c.get_live_stream_with(GetLiveStreamRequest::new().serial(&serial)).await.unwrap();
    assert_eq!(live.cdn_streams.unwrap()[0].serial.as_deref(), Some(serial.as_str()));

    // join links: both token flavours open the meeting and land in the login log
    let links = c.join_links();
    let java = TokenKey::java(&secret(JAVA_KEY), &secret(JAVA_IV)).unwrap();
    let php = TokenKey::php(&secret("dG4_Pf0i"), &secret("Jt7xnQYPnI4")).unwrap();
    let alice = JoinPayload::new(&serial, "u-alice", "Zoë/张三", JoinRole::Chairman);
    let bob = JoinPayload::new(&serial, "u-bob", "Bob/鲍勃 & #2", JoinRole::Presenter);
    let v = open(&c, links.token_link(&java, &alice).unwrap()).await;
    assert_eq!((v["result"].as_i64(), v["keys"][0].as_str(), v["encoding"].as_str()), (Some(0), Some("java"), Some("java")), "{v}");
    assert_eq!(v["payload"]["username"], "Zoë/张三");
    let v = open(&c, links.token_link(&php, &bob).unwrap()).await;
    assert_eq!((v["result"].as_i64(), v["keys"][0].as_str(), v["encoding"].as_str()), (Some(0), Some("php"), Some("php")), "{v}");
    assert_eq!(v["payload"]["username"], "Bob/鲍勃 & #2");
    let other = TokenKey::php(&secret("other"), &secret("keys")).unwrap();
    assert_eq!(open(&c, links.token_link(&other, &bob).unwrap()).await["result"], 4109);
    let multi = links.multi_param(&JoinParams::new(&serial, "u-carol", "Carol & Co #1", JoinRole::Speaker)).unwrap();
    assert!(multi.as_str().ends_with("&username=Carol%20%26%20Co%20%231&invisible=0&joinRole=speaker"), "{multi}");

    // login log
    let log = c.get_login_info_with(GetLoginInfoRequest::new(&serial)).await.unwrap().logininfo.unwrap();
    let users: Vec<_> = log.iter().map(|l| l.userid.clone().unwrap()).collect();
    assert_eq!(users, ["u-alice", "u-bob"]);

    // records
    emu.add_record(&serial, "u-alice", 42);
    let recs = c.get_room_record_with(GetRoomRecordRequest::new().serial(&serial)).await.unwrap().records.unwrap();
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].duration, Some(42));
    let url = c.resolve_record_path(recs[0].filepath.as_deref().unwrap()).unwrap();
    assert!(url.as_str().starts_with("https://rec.example.com/upload/"), "{url}");

    // delete; the meeting is gone, as a typed error
    c.meeting_delete_with(MeetingDeleteRequest::new(&serial)).await.unwrap();
    let e = c.get_meeting_file_with(GetMeetingFileRequest::new(&serial)).await.unwrap_err();
    assert_eq!(error_code(&e), Some(ErrorCode::MeetingNotFound), "{e}");
    assert!(emu.meetings().is_empty());
    assert_eq!(emu.counters().succeeded("meetingcreate"), 1);
}

#[tokio::test]
async fn server_error_codes_are_typed() {
    let (_emu, server) = WebApiEmulator::start(config()).await.unwrap();
    let wrong = client(&server, "not-the-key", Duration::from_secs(5));
    let e = wrong.get_live_stream_with(GetLiveStreamRequest::new()).await.unwrap_err();
    assert_eq!(error_code(&e), Some(ErrorCode::KeyInvalid));
    assert!(!e.to_string().contains("not-the-key"), "{e}");
    let c = client(&server, KEY, Duration::from_secs(5));
    let e = c.meeting_delete_with(MeetingDeleteRequest::new("1")).await.unwrap_err();
    assert_eq!(error_code(&e), Some(ErrorCode::MeetingNotFound));
    let e = c.meeting_bind_file_with(MeetingBindFileRequest::new("1", vec!["494".into()])).await.unwrap_err();
    assert_eq!(error_code(&e), Some(ErrorCode::MeetingNotFound));
    // The expiry hook: the server rejects the key once; the key cannot be renewed, so
    // the error is reported (not retried) and the next call works.
    server.expire_credentials();
    let e = c.get_live_stream_with(GetLiveStreamRequest::new()).await.unwrap_err();
    assert_eq!(error_code(&e), Some(ErrorCode::KeyInvalid));
    c.get_live_stream_with(GetLiveStreamRequest::new()).await.unwrap();
    // A transport failure of a GET (key in the query) never quotes the URL or the key.
    server.set_refusing(true);
    let e = c.get_live_stream_with(GetLiveStreamRequest::new()).await.unwrap_err();
    assert!(matches!(e, Error::Transport { .. }), "{e}");
    assert!(!e.to_string().contains(KEY) && !format!("{e:?}").contains(KEY), "{e:?}");
}

#[tokio::test]
async fn invalid_input_sends_nothing() {
    let (emu, server) = WebApiEmulator::start(config()).await.unwrap();
    let c = client(&server, KEY, Duration::from_secs(5));
    let start = SystemTime::now();
    for (req, field) in [
        (MeetingCreateRequest::new("", start, "8888"), "meetingname"),
        (MeetingCreateRequest::new("m", start, "abc"), "chairmanpwd"),
        (MeetingCreateRequest::new("m", start, "8888").end_time(start - Duration::from_secs(1)), "endtime"),
    ] {
        let e = c.meeting_create_with(req).await.unwrap_err();
        assert!(matches!(&e, Error::InvalidInput { field: f, .. } if f == field), "{e}");
    }
    let e = c.meeting_modify_with(MeetingModifyRequest::new("1", start).chairman_pwd("x")).await.unwrap_err();
    assert!(matches!(&e, Error::InvalidInput { field, .. } if field == "chairmanpwd"), "{e}");
    assert_eq!(server.log().len(), 0, "the emulator saw nothing");
    assert!(emu.counters().requests.is_empty());
}

#[tokio::test]
async fn lost_create_reply_is_outcome_unknown_and_not_replayed() {
    let (emu, server) = WebApiEmulator::start(config()).await.unwrap();
    let c = client(&server, KEY, Duration::from_secs(5));
    server.faults().add(FaultRule::new(Fault::DropAfterHandling).path_exact("/WebAPI/meetingcreate").times(1));
    let e = c.meeting_create_with(MeetingCreateRequest::new("once", SystemTime::now(), "8888")).await.unwrap_err();
    assert!(matches!(e, Error::OutcomeUnknown { .. }), "{e}");
    assert!(!e.is_retryable());
    assert_eq!(server.log().count("POST", "/WebAPI/meetingcreate"), 1, "sent once, not replayed");
    assert_eq!(emu.counters().succeeded("meetingcreate"), 1, "the emulator created exactly one meeting");
    assert_eq!(emu.meetings().len(), 1);

    // By contrast, meetingmodify is idempotent: the same fault is retried transparently.
    let serial = emu.meetings()[0].serial.to_string();
    server.faults().add(FaultRule::new(Fault::DropAfterHandling).path_exact("/WebAPI/meetingmodify").times(1));
    c.meeting_modify_with(MeetingModifyRequest::new(&serial, SystemTime::now()).meeting_name("twice")).await.unwrap();
    assert_eq!(server.log().count("POST", "/WebAPI/meetingmodify"), 2);
}

#[tokio::test]
async fn create_timeout_is_outcome_unknown_and_not_replayed() {
    let (emu, server) = WebApiEmulator::start(config()).await.unwrap();
    // The attempt times out long before the server answers.
    let c = client(&server, KEY, Duration::from_millis(200));
    server.faults().add(FaultRule::new(Fault::Delay(Duration::from_secs(3))).path_exact("/WebAPI/meetingcreate").times(1));
    let e = c.meeting_create_with(MeetingCreateRequest::new("slow", SystemTime::now(), "8888")).await.unwrap_err();
    assert!(matches!(&e, Error::OutcomeUnknown { cause, .. } if matches!(**cause, Error::Timeout { .. })), "{e}");
    assert_eq!(server.log().count("POST", "/WebAPI/meetingcreate"), 1, "not replayed");
    assert!(emu.counters().requests("meetingcreate") <= 1);
}

#[tokio::test]
async fn system_busy_is_retried_only_when_safe() {
    let (emu, server) = WebApiEmulator::start(config()).await.unwrap();
    let c = client(&server, KEY, Duration::from_secs(5));
    let busy = || Fault::Body { status: 200, content_type: "application/json".into(), body: r#"{"result":"9999"}"#.into() };
    // A read: the transient 9999 (系统繁忙请重试) is retried and the call succeeds.
    server.faults().add(FaultRule::new(busy()).path_exact("/WebAPI/getLiveStream").times(1));
    c.get_live_stream_with(GetLiveStreamRequest::new()).await.unwrap();
    assert_eq!(server.log().count("GET", "/WebAPI/getLiveStream"), 2);
    // meetingcreate: the server answered, so the outcome is known (nothing was created),
    // but the call is not replayed automatically; the error says retrying can help.
    server.faults().add(FaultRule::new(busy()).path_exact("/WebAPI/meetingcreate").times(1));
    let e = c.meeting_create_with(MeetingCreateRequest::new("busy", SystemTime::now(), "8888")).await.unwrap_err();
    assert_eq!(error_code(&e), Some(ErrorCode::SystemBusy), "{e}");
    assert!(e.is_retryable());
    assert_eq!(server.log().count("POST", "/WebAPI/meetingcreate"), 1);
    assert!(emu.meetings().is_empty());
}

#[tokio::test]
async fn empty_username_joins_by_token_in_both_flavours() {
    // Document 002: `username` is required (present); an empty nickname is a value.
    let (emu, server) = WebApiEmulator::start(config()).await.unwrap();
    let c = client(&server, KEY, Duration::from_secs(5));
    let start = SystemTime::now() - Duration::from_secs(60);
    let serial = c.meeting_create_with(MeetingCreateRequest::new("m", start, "8888")).await.unwrap().serial.unwrap();
    let links = c.join_links();
    let java = TokenKey::java(&secret(JAVA_KEY), &secret(JAVA_IV)).unwrap();
    let php = TokenKey::php(&secret("dG4_Pf0i"), &secret("Jt7xnQYPnI4")).unwrap();
    for (key, user) in [(&java, "u-java"), (&php, "u-php")] {
        let payload = JoinPayload::new(&serial, user, "", JoinRole::Presenter);
        let v = open(&c, links.token_link(key, &payload).unwrap()).await;
        assert_eq!(v["result"], 0, "{v}");
        assert_eq!(v["payload"]["username"], "");
    }
    let users: Vec<_> = emu.logins().iter().map(|l| l.userid.clone()).collect();
    assert_eq!(users, ["u-java", "u-php"]);
    let multi = links.multi_param(&JoinParams::new(&serial, "u-multi", "", JoinRole::Presenter)).unwrap();
    assert!(multi.as_str().ends_with("&userid=u-multi&username=&invisible=0&joinRole=presenter"), "{multi}");
    // A token without `username` at all is refused by the emulator (5205, nickname required).
    let inner = format!(r#"{{"serial":"{serial}","userid":"u-none","joinRole":"presenter"}}"#);
    let plain = serde_json::to_string(&inner).unwrap();
    let v = open(&c, links.with_token(&php.token_for_plaintext(&plain)).unwrap()).await;
    assert_eq!(v["result"], 5205, "{v}");
}
