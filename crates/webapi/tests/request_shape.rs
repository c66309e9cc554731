//! Exact request shapes per endpoint (httpmock): method, path, multipart fields in
//! order (company key first), the `filedata` file part, query strings; and tolerant
//! decoding of the document's reply examples.
#![allow(clippy::unreadable_literal, clippy::many_single_char_names)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{FormPart, parse_multipart, text_fields};
use conf_core::Error;
use conf_core::secret::secret;
use httpmock::prelude::*;
use serde_json::{Value, json};
use webapi::*;

const KEY: &str = "company-key-0001";

#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    query: Vec<(String, String)>,
    content_type: Option<String>,
    parts: Option<Vec<FormPart>>,
}

impl Seen {
    fn fields(&self) -> Vec<(String, String)> {
        text_fields(self.parts.as_ref().expect("a multipart body"))
    }
}

/// Answer `reply` to any request on `path` and record what was received.
async fn mock(server: &MockServer, path: &'static str, reply: Value) -> Arc<Mutex<Vec<Seen>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    server
        .mock_async(move |when, then| {
            when.path(path).is_true(move |req: &HttpMockRequest| {
                let ct = req.headers().get("content-type").and_then(|v| v.to_str().ok()).map(str::to_owned);
                let parts = ct.as_deref().and_then(|c| parse_multipart(c, req.body_ref()));
                s.lock().unwrap().push(Seen {
                    method: req.method().to_string(),
                    path: req.uri().path().to_owned(),
                    query: req.query_params(),
                    content_type: ct,
                    parts,
                });
                true
            });
            then.status(200).header("content-type", "application/json").body(reply.to_string());
        })
        .await;
    seen
}

fn last(seen: &Arc<Mutex<Vec<Seen>>>) -> Seen {
    seen.lock().unwrap().last().cloned().expect("a request reached the server")
}

fn client(server: &MockServer) -> WebApiClient {
    WebApiClient::builder(secret(KEY))
        .config(conf_core::ClientConfig::parse(&server.base_url()).unwrap().proxy_from_env(false).attempt_timeout(Duration::from_secs(5)))
        .build()
        .unwrap()
}

fn ts(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

fn assert_multipart_post(seen: &Seen, path: &str) {
    assert_eq!(seen.method, "POST");
    assert_eq!(seen.path, path);
    assert!(seen.query.is_empty(), "POST endpoints send nothing in the query: {:?}", seen.query);
    assert!(seen.content_type.as_deref().unwrap_or("").starts_with("multipart/form-data; boundary="), "{:?}", seen.content_type);
}

#[tokio::test]
async fn meetingcreate_is_multipart_with_key_first() {
    let server = MockServer::start_async().await;
    let reply = json!({"version":1173,"serial":754884357,"roomid":"5ff66be5bfc2421a04767eb7","sig":"203usx","pushurl":"d/app/754884357","pullurl":"d/live/754884357.m3u8","pullurl2":"d/hls/754884357.m3u8","recordpath":"域名/upload/754884357.mp4","result":0});
    let seen = mock(&server, "/WebAPI/meetingcreate", reply).await;
    let c = client(&server);
    let r = c
        .meeting_create_with(MeetingCreateRequest::new("周会 & #1", ts(1_429_242_959), "8888").end_time(ts(1_429_246_559)).is_live(true))
        .await
        .unwrap();
    assert_eq!(r.serial.as_deref(), Some("754884357"), "a numeric serial decodes as text");
    assert_eq!(r.version, Some(1173));
    let s = last(&seen);
    assert_multipart_post(&s, "/WebAPI/meetingcreate");
    assert_eq!(
        s.fields(),
        pairs(&[
            ("key", KEY),
            ("meetingname", "周会 & #1"),
            ("starttime", "1429242959"),
            ("chairmanpwd", "8888"),
            ("endtime", "1429246559"),
            ("islive", "1")
        ])
    );
    assert_eq!(seen.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn meetingmodify_and_delete_send_serial() {
    let server = MockServer::start_async().await;
    let m = mock(&server, "/WebAPI/meetingmodify", json!({"result":0,"serial":431383322})).await;
    let d = mock(&server, "/WebAPI/meetingdelete", json!({"version":1174,"serial":"662498204","result":0})).await;
    let c = client(&server);
    let r = c.meeting_modify_with(MeetingModifyRequest::new("431383322", ts(1_700_000_000)).chairman_pwd("12345")).await.unwrap();
    assert_eq!(r.serial.as_deref(), Some("431383322"));
    let s = last(&m);
    assert_multipart_post(&s, "/WebAPI/meetingmodify");
    assert_eq!(s.fields(), pairs(&[("key", KEY), ("serial", "431383322"), ("starttime", "1700000000"), ("chairmanpwd", "12345")]));
    let r = c.meeting_delete_with(MeetingDeleteRequest::new("662498204")).await.unwrap();
    assert_eq!((r.serial.as_deref(), r.version), (Some("662498204"), Some(1174)), "a string serial decodes too");
    let s = last(&d);
    assert_multipart_post(&s, "/WebAPI/meetingdelete");
    assert_eq!(s.fields(), pairs(&[("key", KEY), ("serial", "662498204")]));
}

#[tokio::test]
async fn get_endpoints_use_the_query_string() {
    let server = MockServer::start_async().await;
    let t = mock(&server, "/WebAPI/getClassBeginTime", json!({"result":0,"serial":431383322,"duration":"3600"})).await;
    let f = mock(
        &server,
        "/WebAPI/getmeetingfile",
        json!({"result":0,"meetingfile":[{"fileid":494,"filename":"1.png","downloadpath":"/upload/20210107_104054_ratndkwo.png","filetype":"png"}]}),
    )
    .await;
    let l = mock(
        &server,
        "/WebAPI/getLiveStream",
        json!({"result":0,"cdnStreams":[{"serial":"","pullUrl":""}],"serverStreams":[{"serial":"1","pullUrl":"u"}]}),
    )
    .await;
    let c = client(&server);

    let r = c.get_class_begin_time_with(GetClassBeginTimeRequest::new("431383322")).await.unwrap();
    assert_eq!(r.duration, Some(3600), "a number in a string decodes");
    let s = last(&t);
    assert_eq!((s.method.as_str(), s.content_type.as_deref()), ("GET", None));
    assert_eq!(s.query, pairs(&[("serial", "431383322"), ("key", KEY)]));

    let r = c.get_meeting_file_with(GetMeetingFileRequest::new("42")).await.unwrap();
    let file = &r.meetingfile.unwrap()[0];
    assert_eq!(file.fileid.as_deref(), Some("494"), "a numeric fileid decodes as text");
    assert_eq!(last(&f).query, pairs(&[("serial", "42"), ("key", KEY)]));
    assert_eq!(
        c.resolve_file_path(file.downloadpath.as_deref().unwrap()).unwrap().as_str(),
        format!("{}/upload/20210107_104054_ratndkwo.png", server.base_url())
    );

    let r = c.get_live_stream_with(GetLiveStreamRequest::new()).await.unwrap();
    assert_eq!(r.server_streams.unwrap()[0].pull_url.as_deref(), Some("u"));
    assert_eq!(last(&l).query, pairs(&[("key", KEY)]), "no serial sent when none is given");
    c.get_live_stream_with(GetLiveStreamRequest::new().serial("7")).await.unwrap();
    assert_eq!(last(&l).query, pairs(&[("serial", "7"), ("key", KEY)]));
}

#[tokio::test]
async fn bindfile_repeats_fileidarr() {
    let server = MockServer::start_async().await;
    let seen = mock(&server, "/WebAPI/meetingbindfile", json!({"result":0})).await;
    let c = client(&server);
    c.meeting_bind_file_with(MeetingBindFileRequest::new("9", vec!["494".into(), "495".into(), "12".into()])).await.unwrap();
    let s = last(&seen);
    assert_multipart_post(&s, "/WebAPI/meetingbindfile");
    assert_eq!(s.fields(), pairs(&[("key", KEY), ("serial", "9"), ("fileidarr[]", "494"), ("fileidarr[]", "495"), ("fileidarr[]", "12")]));
    // No ids: invalid input, nothing sent.
    let e = c.meeting_bind_file_with(MeetingBindFileRequest::new("9", vec![])).await.unwrap_err();
    assert!(matches!(&e, Error::InvalidInput { field, .. } if field == "fileidarr[]"), "{e}");
    assert_eq!(seen.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn upload_room_pic_streams_a_file_part() {
    let server = MockServer::start_async().await;
    let seen = mock(&server, "/WebAPI/uploadRoomPic", json!({"result":0,"picPath":"/uploads/20210107_104711_ltqpupbr.png"})).await;
    let c = client(&server);
    // From bytes.
    let r = c.upload_room_pic_with(UploadRoomPicRequest::new(FilePart::from_bytes("bg.png", vec![1u8, 2, 3]), "9")).await.unwrap();
    assert_eq!(r.pic_path.as_deref(), Some("/uploads/20210107_104711_ltqpupbr.png"));
    let s = last(&seen);
    assert_multipart_post(&s, "/WebAPI/uploadRoomPic");
    let parts = s.parts.clone().unwrap();
    assert_eq!(parts.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["key", "filedata", "serial"]);
    assert_eq!(parts[1].filename.as_deref(), Some("bg.png"));
    assert_eq!(parts[1].content_type.as_deref(), Some("image/png"));
    assert_eq!(parts[1].body, [1, 2, 3]);
    // From a path: streamed, content type from the extension.
    let dir = std::env::temp_dir().join(format!("webapi-shape-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("背景.JPG");
    let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&path, &data).unwrap();
    c.upload_room_pic_with(UploadRoomPicRequest::new(FilePart::from_path(&path), "9")).await.unwrap();
    let parts = last(&seen).parts.unwrap();
    assert_eq!(parts[1].filename.as_deref(), Some("背景.JPG"));
    assert_eq!(parts[1].content_type.as_deref(), Some("image/jpeg"));
    assert_eq!(parts[1].body, data);
    std::fs::remove_dir_all(&dir).ok();
    // A missing file is invalid input naming the field.
    let e = c.upload_room_pic_with(UploadRoomPicRequest::new(FilePart::from_path("/nonexistent/x.png"), "9")).await.unwrap_err();
    assert!(matches!(&e, Error::InvalidInput { field, .. } if field == "filedata"), "{e}");
}

#[tokio::test]
async fn login_info_and_room_record_are_multipart_posts() {
    let server = MockServer::start_async().await;
    let li = mock(
        &server,
        "/WebAPI/getlogininfo",
        json!({"result":0,"logininfo":[
            {"userid":"D171LM9P","entertime":"2020-12-30 09:56:50","serial":"111111","leavetime":"2020-12-30 09:58:20"},
            {"userid":"STILL-IN","entertime":"2020-12-30 09:57:00","serial":"111111","leavetime":""}
        ]}),
    )
    .await;
    let rr = mock(
        &server,
        "/WebAPI/getRoomRecord",
        json!({"code":0,"records":[{"id":"2","serial":"655796682","duration":"2","filepath":"/upload/84c9/1/user/84c9.mp4","createtime":"2025-11-04 15:46:27"}]}),
    )
    .await;
    let c = WebApiClient::builder(secret(KEY))
        .config(conf_core::ClientConfig::parse(&server.base_url()).unwrap().proxy_from_env(false))
        .record_base("https://rec.example.com:8443/")
        .build()
        .unwrap();
    let r = c.get_login_info_with(GetLoginInfoRequest::new("111111")).await.unwrap();
    let info = r.logininfo.unwrap();
    // Server time kept as written; a user still in the room has an empty `leavetime`: None.
    assert_eq!(info[0].leavetime.as_ref().map(|t| t.as_str()), Some("2020-12-30 09:58:20"));
    assert_eq!(info[0].entertime.as_ref().map(|t| (t.unix_seconds(), t.offset_minutes())), Some((1_609_322_210, None)));
    assert_eq!((info[1].userid.as_deref(), info[1].leavetime.as_ref()), (Some("STILL-IN"), None));
    let s = last(&li);
    assert_multipart_post(&s, "/WebAPI/getlogininfo");
    assert_eq!(s.fields(), pairs(&[("key", KEY), ("serial", "111111")]));

    let r = c.get_room_record_with(GetRoomRecordRequest::new().userid("u1")).await.unwrap();
    assert_eq!(r.code, Some(0));
    let rec = &r.records.unwrap()[0];
    assert_eq!(rec.duration, Some(2));
    assert_eq!(
        c.resolve_record_path(rec.filepath.as_deref().unwrap()).unwrap().as_str(),
        "https://rec.example.com:8443/upload/84c9/1/user/84c9.mp4"
    );
    let s = last(&rr);
    assert_multipart_post(&s, "/WebAPI/getRoomRecord");
    assert_eq!(s.fields(), pairs(&[("key", KEY), ("userid", "u1")]));
}

#[tokio::test]
async fn vendor_codes_are_typed_errors() {
    let server = MockServer::start_async().await;
    mock(&server, "/WebAPI/meetingdelete", json!({"result":4007})).await;
    mock(&server, "/WebAPI/getRoomRecord", json!({"code":"4102"})).await;
    let c = client(&server);
    let e = c.meeting_delete_with(MeetingDeleteRequest::new("1")).await.unwrap_err();
    assert_eq!(error_code(&e), Some(ErrorCode::MeetingNotFound));
    assert!(matches!(&e, Error::Vendor { code, .. } if code == "4007"));
    let e = c.get_room_record_with(GetRoomRecordRequest::new()).await.unwrap_err();
    assert_eq!(error_code(&e), Some(ErrorCode::KeyInvalid));
    assert!(!e.to_string().contains(KEY), "errors never quote the key: {e}");
}

#[tokio::test]
async fn invalid_input_sends_nothing() {
    let server = MockServer::start_async().await;
    let seen = mock(&server, "/WebAPI/meetingcreate", json!({"result":0})).await;
    let c = client(&server);
    let start = ts(1_700_000_000);
    let cases = [
        (MeetingCreateRequest::new("m", start, "888"), "chairmanpwd"),
        (MeetingCreateRequest::new("m", start, "x".repeat(21)), "chairmanpwd"),
        (MeetingCreateRequest::new("m", start, "8888").end_time(start), "endtime"),
        (MeetingCreateRequest::new("m", start, "8888").end_time(ts(1_600_000_000)), "endtime"),
    ];
    for (req, field) in cases {
        let e = c.meeting_create_with(req).await.unwrap_err();
        assert!(matches!(&e, Error::InvalidInput { field: f, .. } if f == field), "{field}: {e}");
        assert!(e.nothing_sent());
    }
    assert!(seen.lock().unwrap().is_empty());
    // Twenty characters, counted as characters (not bytes), pass.
    c.meeting_create_with(MeetingCreateRequest::new("m", start, "一二三四五六七八九十一二三四五六七八九十")).await.unwrap();
    assert_eq!(seen.lock().unwrap().len(), 1);
}

/// Document 002 asks `chairmanpwd` for 4 to 20 characters and `meetingname` not to be
/// empty (error 4003): whitespace is text, sent as is, never trimmed away or refused.
#[tokio::test]
async fn whitespace_is_a_value_not_an_absence() {
    let server = MockServer::start_async().await;
    let seen = mock(&server, "/WebAPI/meetingcreate", json!({"result":0})).await;
    let c = client(&server);
    let start = ts(1_700_000_000);
    c.meeting_create_with(MeetingCreateRequest::new(" ", start, "    ")).await.unwrap();
    c.meeting_create_with(MeetingCreateRequest::new("\t", start, " 88 ")).await.unwrap();
    let sent: Vec<Vec<(String, String)>> = seen.lock().unwrap().iter().map(Seen::fields).collect();
    let field = |i: usize, name: &str| sent[i].iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    assert_eq!(field(0, "meetingname").as_deref(), Some(" "));
    assert_eq!(field(0, "chairmanpwd").as_deref(), Some("    "));
    assert_eq!(field(1, "meetingname").as_deref(), Some("\t"));
    assert_eq!(field(1, "chairmanpwd").as_deref(), Some(" 88 "));
    // The document's bounds still hold: three spaces are too short, an empty name is none.
    let e = c.meeting_create_with(MeetingCreateRequest::new("m", start, "   ")).await.unwrap_err();
    assert!(matches!(&e, Error::InvalidInput { field, .. } if field == "chairmanpwd"), "{e}");
    let e = c.meeting_create_with(MeetingCreateRequest::new("", start, "8888")).await.unwrap_err();
    assert!(matches!(&e, Error::InvalidInput { field, .. } if field == "meetingname"), "{e}");
    assert_eq!(seen.lock().unwrap().len(), 2);
}

#[test]
fn key_never_shows_in_debug() {
    let c = WebApiClient::builder(secret(KEY)).base_url("https://meet.example.com").build().unwrap();
    assert!(!format!("{c:?}").contains(KEY));
    assert!(matches!(
        WebApiClient::builder(secret(" ")).base_url("https://meet.example.com").build(),
        Err(Error::InvalidInput { field, .. }) if field == "key"
    ));
    assert!(matches!(WebApiClient::builder(secret(KEY)).build(), Err(Error::InvalidInput { field, .. }) if field == "base_url"));
    assert!(matches!(
        WebApiClient::builder(secret(KEY)).base_url("https://meet.example.com").record_base("nope").build(),
        Err(Error::InvalidInput { field, .. }) if field == "record_base"
    ));
}

/// The chairman password is a credential: sent as written, never shown.
#[test]
fn the_chairman_password_is_a_secret() {
    let create = MeetingCreateRequest::new("周会", ts(1_700_000_000), "pw-8861-secret");
    let modify = MeetingModifyRequest::new("1", ts(1_700_000_000)).chairman_pwd("pw-8861-secret");
    let builder = MeetingCreateRequest::builder().chairman_pwd("pw-8861-secret");
    for shown in [format!("{create:?}"), format!("{modify:?}"), format!("{builder:?}")] {
        assert!(!shown.contains("pw-8861"), "{shown}");
    }
    let op = create.into_operation().unwrap();
    let shown = format!("{op:?}");
    assert!(!shown.contains("pw-8861"), "{shown}");
}
