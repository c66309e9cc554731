//! The WebAPI emulator, driven with plain HTTP (no vendor crate): key checks, method
//! checks, multipart parsing, the document's error codes and reply shapes, join tokens.

use conf_sandbox::Server;
use conf_sandbox::webapi::{WebApiConfig, WebApiEmulator};
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

const KEY: &str = "sandbox-company-key";

async fn start() -> (WebApiEmulator, Server, reqwest::Client) {
    let (emu, server) = WebApiEmulator::start(WebApiConfig::default()).await.unwrap();
    (emu, server, reqwest::Client::builder().no_proxy().build().unwrap())
}

async fn post(http: &reqwest::Client, server: &Server, name: &str, form: Form) -> Value {
    let r = http.post(server.url(&format!("/WebAPI/{name}"))).multipart(form).send().await.unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

async fn get(http: &reqwest::Client, server: &Server, path_and_query: &str) -> Value {
    let r = http.get(server.url(path_and_query)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

fn create_form(name: &str, start: &str, end: Option<&str>, pwd: &str) -> Form {
    let mut f = Form::new().text("key", KEY).text("meetingname", name.to_owned()).text("starttime", start.to_owned());
    if let Some(e) = end {
        f = f.text("endtime", e.to_owned());
    }
    f.text("chairmanpwd", pwd.to_owned()).text("islive", "1")
}

async fn create(http: &reqwest::Client, server: &Server) -> String {
    let v = post(http, server, "meetingcreate", create_form("周会", "1700000000", Some("1700003600"), "8888")).await;
    assert_eq!(v["result"], 0, "{v}");
    assert!(v["serial"].is_u64(), "serial is a number in meetingcreate: {v}");
    v["serial"].to_string()
}

#[tokio::test]
async fn key_and_method_are_checked_first() {
    let (emu, server, http) = start().await;
    let v = post(&http, &server, "meetingcreate", Form::new().text("meetingname", "x")).await;
    assert_eq!(v, json!({"result": 4101}));
    let v = post(&http, &server, "meetingcreate", Form::new().text("key", "wrong").text("meetingname", "x")).await;
    assert_eq!(v, json!({"result": 4102}));
    // POST endpoints refuse GET, even with a good key.
    let v = get(&http, &server, &format!("/WebAPI/meetingcreate?key={KEY}&meetingname=x")).await;
    assert_eq!(v, json!({"result": 20001}));
    // Urlencoded bodies are not read: the key is missing.
    let r = http.post(server.url("/WebAPI/meetingdelete")).form(&[("key", KEY), ("serial", "1")]).send().await.unwrap();
    assert_eq!(r.json::<Value>().await.unwrap(), json!({"result": 4101}));
    // GET endpoints take the key from the query.
    let v = get(&http, &server, "/WebAPI/getLiveStream").await;
    assert_eq!(v, json!({"result": 4101}));
    let c = emu.counters();
    assert_eq!((c.errors(4101), c.errors(4102), c.errors(20001)), (3, 1, 1));
    assert!(emu.meetings().is_empty());
    // The expiry hook revokes the key for exactly one call.
    server.expire_credentials();
    assert_eq!(get(&http, &server, &format!("/WebAPI/getLiveStream?key={KEY}")).await["result"], 4102);
    assert_eq!(get(&http, &server, &format!("/WebAPI/getLiveStream?key={KEY}")).await["result"], 0);
}

#[tokio::test]
async fn meetingcreate_validates_like_the_document() {
    let (emu, server, http) = start().await;
    let cases = [
        (create_form(" ", "1700000000", None, "8888"), 4003),
        (create_form("m", "soon", None, "8888"), 4004),
        (create_form("m", "1700000000", Some("x"), "8888"), 4004),
        (create_form("m", "1700000000", Some("1700000000"), "8888"), 4005),
        (create_form("m", "1700000000", None, "888"), 4006),
        (create_form("m", "1700000000", None, "一二三四五六七八九十一二三四五六七八九十一"), 4006),
        (Form::new().text("key", KEY).text("meetingname", "m").text("starttime", "1700000000"), 5002),
    ];
    for (form, code) in cases {
        assert_eq!(post(&http, &server, "meetingcreate", form).await, json!({ "result": code }));
    }
    assert!(emu.meetings().is_empty());
    // Twenty characters (not bytes) are fine.
    let v = post(&http, &server, "meetingcreate", create_form("m", "1700000000", None, "一二三四五六七八九十一二三四五六七八九十")).await;
    assert_eq!(v["result"], 0);
    assert_eq!(emu.counters().succeeded("meetingcreate"), 1);
}

#[tokio::test]
async fn full_lifecycle_with_document_shapes() {
    let (emu, server, http) = start().await;
    let serial = create(&http, &server).await;
    let m = emu.meeting(&serial).unwrap();
    assert_eq!((m.name.as_str(), m.start, m.end, m.live), ("周会", 1_700_000_000, Some(1_700_003_600), true));

    let v = post(
        &http,
        &server,
        "meetingmodify",
        Form::new().text("key", KEY).text("serial", serial.clone()).text("starttime", "1700000100").text("meetingname", "月会"),
    )
    .await;
    assert_eq!(v, json!({"result": 0, "serial": serial.parse::<u64>().unwrap()}));
    assert_eq!(emu.meeting(&serial).unwrap().name, "月会");
    // meetingmodify requires starttime.
    let v = post(&http, &server, "meetingmodify", Form::new().text("key", KEY).text("serial", serial.clone())).await;
    assert_eq!(v["result"], 4004);

    // Bind two documents (repeated fileidarr[]), then an unknown one.
    let form = Form::new().text("key", KEY).text("serial", serial.clone()).text("fileidarr[]", "494").text("fileidarr[]", "496");
    assert_eq!(post(&http, &server, "meetingbindfile", form).await, json!({"result": 0}));
    let form = Form::new().text("key", KEY).text("serial", serial.clone()).text("fileidarr[]", "999");
    assert_eq!(post(&http, &server, "meetingbindfile", form).await, json!({"result": 4105}));
    let v = get(&http, &server, &format!("/WebAPI/getmeetingfile?key={KEY}&serial={serial}")).await;
    assert_eq!(
        v["meetingfile"][0],
        json!({"fileid": "494", "filename": "1.png", "downloadpath": "/upload/doc_494.png", "filetype": "png"})
    );
    assert_eq!(v["meetingfile"][1]["filename"], "课件.pptx");

    // Background picture: a file part named filedata.
    let pic = Part::bytes(vec![0x89, b'P', b'N', b'G']).file_name("bg.png").mime_str("image/png").unwrap();
    let v = post(&http, &server, "uploadRoomPic", Form::new().text("key", KEY).part("filedata", pic).text("serial", serial.clone())).await;
    assert_eq!(v["result"], 0);
    let bg = emu.meeting(&serial).unwrap().background.unwrap();
    assert_eq!((bg.filename.as_str(), bg.content_type.as_str(), &bg.bytes[..]), ("bg.png", "image/png", &[0x89, b'P', b'N', b'G'][..]));
    assert_eq!(v["picPath"], bg.pic_path);
    let v =
        post(&http, &server, "uploadRoomPic", Form::new().text("key", KEY).text("filedata", "not a file").text("serial", serial.clone()))
            .await;
    assert_eq!(v["result"], 4105);

    // Live streams, class time, login log, records (code, numbers in strings).
    let v = get(&http, &server, &format!("/WebAPI/getLiveStream?key={KEY}&serial={serial}")).await;
    assert_eq!(v["cdnStreams"][0]["serial"], serial.as_str());
    emu.set_class_duration(&serial, 3600);
    let v = get(&http, &server, &format!("/WebAPI/getClassBeginTime?key={KEY}&serial={serial}")).await;
    assert_eq!(v["duration"], 3600);
    emu.log_login(&serial, "D171LM9P", Some(90));
    let v = post(&http, &server, "getlogininfo", Form::new().text("key", KEY).text("serial", serial.clone())).await;
    assert_eq!(v["logininfo"][0]["userid"], "D171LM9P");
    assert_eq!(v["logininfo"][0]["entertime"].as_str().unwrap().len(), 19);
    emu.add_record(&serial, "u1", 2);
    let v = post(&http, &server, "getRoomRecord", Form::new().text("key", KEY).text("serial", serial.clone())).await;
    assert_eq!(v["code"], 0);
    assert!(v.get("result").is_none());
    assert_eq!(v["records"][0]["duration"], "2");

    let v = post(&http, &server, "meetingdelete", Form::new().text("key", KEY).text("serial", serial.clone())).await;
    assert_eq!(v["serial"], serial.as_str(), "meetingdelete answers serial as a string");
    let v = post(&http, &server, "meetingdelete", Form::new().text("key", KEY).text("serial", serial.clone())).await;
    assert_eq!(v, json!({"result": 4007}));
    let v = post(&http, &server, "getlogininfo", Form::new().text("key", KEY)).await;
    assert_eq!(v, json!({"result": 5100}));
    assert!(emu.meetings().is_empty());
}

#[tokio::test]
async fn join_tokens_of_both_flavours_decode() {
    let (emu, server) = WebApiEmulator::start(WebApiConfig { first_serial: 111_111, ..WebApiConfig::default() }).await.unwrap();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    // Vector 1 of the shared files: the document's Java example key (the document's PHP
    // passkey/passphrase derive the same key), serial 111111.
    let token = "84FUudYrqSSBCHSoXUIw5VvXuOkuVOu%2F7PeQM3pTw%2B1Ekn5FqlitQ2Fwi4az9eAPC0hgQJB6IrFa6Mt8fG8mi5HbvjaTnlxxt8gnlxcCo%2BzU8apaB1bD%2B1UIBNBXaAM0nSUr60RgWV5EK80mJWgC7w%3D%3D";
    let decoded = emu.decode_token(token).unwrap();
    assert_eq!(decoded.keys, vec!["java", "php"]);
    assert_eq!(decoded.payload["username"], "weiyi我");
    assert_eq!(
        decoded.plaintext,
        r#""{\"serial\":\"111111\",\"userid\":\"123456\",\"username\":\"weiyi\\u6211\",\"joinRole\":\"presenter\"}""#
    );
    // Its meeting does not exist here.
    assert_eq!(get(&http, &server, &format!("/h5/index.html?token={token}")).await, json!({"result": 4007}));
    assert_eq!(get(&http, &server, "/h5/index.html?token=bm90IGEgdG9rZW4%3D").await, json!({"result": 4109}));
    assert!(emu.logins().is_empty());
    assert_eq!(create(&http, &server).await, "111111");
    let v = get(&http, &server, &format!("/h5/index.html?token={token}")).await;
    assert_eq!(v["result"], 0, "{v}");
    assert_eq!(v["payload"], json!({"serial": "111111", "userid": "123456", "username": "weiyi我", "joinRole": "presenter"}));
    let log = emu.logins();
    assert_eq!((log.len(), log[0].userid.as_str(), log[0].leavetime.as_str()), (1, "123456", ""));
    assert_eq!(emu.counters().succeeded("h5"), 1);
}

#[tokio::test]
async fn php_and_java_vectors_with_their_own_keys() {
    let config = WebApiConfig {
        java_key_hex: Some((
            "ffb8bce714b197fb03faa032ed6194def6e110aabe5889e2ff950142ff64e92e".into(),
            "d7a471945d47ab2fa27188b590e7cac3".into(),
        )),
        php_passkey: Some(("2Ig_k4nh".into(), "l803XxR2d1A".into())),
        ..WebApiConfig::default()
    };
    let emu = WebApiEmulator::new(config);
    let java = emu.decode_token("it0X%2BKVj3HMcN5QURBKLyPCBAbvRZfRv2Pee0dde7u%2B0zv9KrqHXui2LLZSr5CvCtgMNPh%2FS0oM%2FhvQznWwVMPppc2kltEt6P31YLkUbJI4GjsCUS4XGVmrNkfWIhPisxw9hasqwh%2F6l%2FU%2Bi8jhss1MVO%2FGaVuxLD5vnWNCTZ7wPpv7JI0%2Bk9jxqXXejDi6h").unwrap();
    assert_eq!((java.keys.as_slice(), java.encoding), (&["java"][..], "java"));
    assert_eq!(java.payload["username"], "张三/李四。");
    let php = emu.decode_token("ZP7BbdXXoGdILzuD34XP4nCGebQ2x0VDu2JUzYz1cwb7KVmp%2B0F0BzV2EWFZ99Cy8HvBdNrPhIvJoEPiX%2FEAVcrYTsUYjPoMjNMO0%2B2ekUDc34S%2FT9QStPHfjahcMADtTHo%2BZojFzv%2BH4bcM%2F3Cm398mxBYwNJHxVwiwwj%2B8damRSF0ITsXEyI5v5054JuY3").unwrap();
    assert_eq!((php.keys.as_slice(), php.encoding), (&["php"][..], "php"));
    assert_eq!(php.payload["username"], "张三/李四。");
    assert_eq!(php.payload["joinRole"], "speaker");
}

#[tokio::test]
async fn limits_answer_their_codes() {
    let config = WebApiConfig { max_meetings: 1, max_files_per_meeting: 1, ..WebApiConfig::default() };
    let (emu, server) = WebApiEmulator::start(config).await.unwrap();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let serial = create(&http, &server).await;
    let v = post(&http, &server, "meetingcreate", create_form("second", "1700000000", None, "8888")).await;
    assert_eq!(v, json!({"result": 4103}));
    let form = Form::new().text("key", KEY).text("serial", serial.clone()).text("fileidarr[]", "494").text("fileidarr[]", "495");
    assert_eq!(post(&http, &server, "meetingbindfile", form).await, json!({"result": 4106}));
    assert!(emu.meeting(&serial).unwrap().files.is_empty(), "a refused binding binds nothing");
    let form = Form::new().text("key", KEY).text("serial", serial.clone()).text("fileidarr[]", "495");
    assert_eq!(post(&http, &server, "meetingbindfile", form).await, json!({"result": 0}));
    let id = emu.add_document("new.pdf");
    let form = Form::new().text("key", KEY).text("serial", serial.clone()).text("fileidarr[]", id);
    assert_eq!(post(&http, &server, "meetingbindfile", form).await, json!({"result": 4106}));
    assert_eq!(emu.meeting(&serial).unwrap().files, ["495"]);
    let r = http.get(server.url(&format!("/WebAPI/nosuch?key={KEY}"))).send().await.unwrap();
    assert_eq!(r.status(), 404);
}
