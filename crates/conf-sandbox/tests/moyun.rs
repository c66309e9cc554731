//! The Moyun emulator spoken to with a plain HTTP client, byte for byte as the overview
//! document shows its requests and replies.

use std::time::Duration;

use conf_sandbox::moyun::{MoyunConfig, MoyunEmulator};
use serde_json::{Value, json};

/// The form content type document 000 prescribes for every POST/PUT.
const FORM: &str = "application/x-www-form-urlencoded;charset=utf-8";

struct Session {
    http: reqwest::Client,
    base: String,
    token: String,
    cookie: String,
}

async fn post_form(http: &reqwest::Client, url: &str, body: &str, cookie: Option<&str>) -> (reqwest::header::HeaderMap, Value) {
    let mut req = http.post(url).header("content-type", FORM).header("API-Level", "1").body(body.to_string());
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    let resp = req.send().await.unwrap();
    let headers = resp.headers().clone();
    (headers, resp.json().await.unwrap())
}

async fn login(base: &str) -> Session {
    let http = reqwest::Client::new();
    let (_, v) =
        post_form(&http, &format!("{base}/api/v1/system/token"), "oauth_consumer_key=key&oauth_consumer_secret=12345678", None).await;
    assert_eq!(v["success"], 1, "{v}");
    let token = v["account_token"].as_str().unwrap().to_string();
    let (h, v) =
        post_form(&http, &format!("{base}/api/v1/system/login"), &format!("password=888888&username=name&account_token={token}"), None)
            .await;
    assert_eq!(v, json!({"success": 1, "username": "name"}));
    let set = h.get("set-cookie").unwrap().to_str().unwrap().to_string();
    assert!(set.starts_with("SSO_COOKIE_KEY=") && !set.to_ascii_lowercase().contains("path"), "the document's cookie has no Path: {set}");
    let cookie = set.trim_end_matches(';').split(';').next().unwrap().to_string();
    Session { http, base: base.to_string(), token, cookie }
}

impl Session {
    async fn get(&self, path: &str) -> Value {
        let url = format!("{}{path}{}account_token={}", self.base, if path.contains('?') { "&" } else { "?" }, self.token);
        self.http.get(url).header("cookie", &self.cookie).send().await.unwrap().json().await.unwrap()
    }

    async fn post(&self, path: &str, params: &str) -> Value {
        let body = format!("params={}&account_token={}", form_escape(params), self.token);
        post_form(&self.http, &format!("{}{path}", self.base), &body, Some(&self.cookie)).await.1
    }
}

fn form_escape(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => out.push(b as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[tokio::test(start_paused = true)]
async fn credentials_expiry_and_codes() {
    let (emu, server) = MoyunEmulator::start(MoyunConfig { session_ttl: Duration::from_secs(1), ..MoyunConfig::default() }).await.unwrap();
    let base = server.base_url();
    let http = reqwest::Client::new();
    let (_, v) = post_form(&http, &format!("{base}/api/v1/system/token"), "oauth_consumer_key=key&oauth_consumer_secret=nope", None).await;
    assert_eq!(v, json!({"success": 0, "error_code": 10001}));
    let s = login(&base).await;
    let (_, v) =
        post_form(&http, &format!("{base}/api/v1/system/login"), &format!("password=x&username=name&account_token={}", s.token), None)
            .await;
    assert_eq!(v["error_code"], 10101);

    assert_eq!(s.get("/api/v1/vc/confs").await, json!({"success": 1, "total": 0, "confs": []}));
    // No cookie: 10102; no token: 10002.
    let v: Value = http.get(format!("{base}/api/v1/vc/confs?account_token={}", s.token)).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["error_code"], 10102);
    let v: Value = http.get(format!("{base}/api/v1/vc/confs")).header("cookie", &s.cookie).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["error_code"], 10002);
    // Idle expiry of the session (short here); heartbeats keep it alive. The emulator reads
    // tokio's clock, paused in this test: `advance` moves it, no wall-clock wait.
    for _ in 0..3 {
        tokio::time::advance(Duration::from_millis(400)).await;
        let (_, v) =
            post_form(&http, &format!("{base}/api/v1/system/heartbeat"), &format!("account_token={}", s.token), Some(&s.cookie)).await;
        assert_eq!(v, json!({"success": 1}));
        let (_, v) = post_form(&http, &format!("{base}/api/v1/system/token/{}/heartbeat", s.token), "", None).await;
        assert_eq!(v, json!({"success": 1}));
    }
    // 1.2 s after the heartbeats, which together outlived the 1 s lifetime.
    tokio::time::advance(Duration::from_millis(1200)).await;
    assert_eq!(s.get("/api/v1/vc/confs").await["error_code"], 10102);
    let c = emu.counters();
    assert_eq!((c.token_heartbeats, c.user_heartbeats, c.logins_ok), (3, 3, 1));
    // Steered codes.
    let s = login(&base).await;
    emu.fail_next(20001, "/api/v1/vc", 1);
    assert_eq!(s.get("/api/v1/vc/confs").await, json!({"success": 0, "error_code": 20001}));
    assert_eq!(s.get("/api/v1/vc/confs").await["success"], 1);
    // Versions per app.
    emu.set_level("mc", 3);
    let v: Value = http.get(format!("{base}/api/mc/version")).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["api_level"], 3);
    let v: Value = http.get(format!("{base}/api/vc/version")).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["api_level"], 1);
}

#[tokio::test]
async fn the_documents_add_terminal_example_and_debug_mode() {
    let (emu, server) = MoyunEmulator::start(MoyunConfig::default()).await.unwrap();
    let s = login(&server.base_url()).await;
    let v = s.post("/api/v1/mc/confs", r#"{"name": "doc", "duration": 240, "bitrate": 2048}"#).await;
    let conf_id = v["conf_id"].as_str().unwrap().to_string();

    // The debug example of the overview: the second terminal lacks `bitrate`.
    let body = "params=%7b%22mts%22%3a+%5b%7b%22account_type%22%3a+5%2c+%22account\
%22%3a+%222322231%22%2c+%22bitrate%22%3a+2048%2c+%22protocol%22%3a+0%7d%2c+%7b%22account_type%22%3a+5%2c+%22account%22%3a+%222322232%\
22%2c++%22protocol%22%3a+0%7d%5d%7d&account_token=";
    let url = format!("{}/api/v1/vc/confs/{conf_id}/mts?debug=1", s.base);
    let (_, v) = post_form(&s.http, &url, &format!("{body}{}", s.token), Some(&s.cookie)).await;
    assert_eq!(v, json!({"success": 1, "dubug_list": {"mts": [{"bitrate": "下参中缺少该必填参数"}]}}));
    assert!(emu.conference(&conf_id).unwrap().terminals.is_empty(), "debug mode executes nothing");

    // The add-terminal example, byte for byte.
    let body = "params=%7B%22mts%22%3A+%5B%7B%22account_type%22%3A+5%2C+%22account\
%22%3A+%222322231%22%2C+%22bitrate%22%3A+2048%2C+%22protocol%22%3A\
+0%7D%2C+%7B%22account_type%22%3A+5%2C+%22account%22%3A+%222322232\
%22%2C+%22bitrate%22%3A+2048%2C+%22protocol%22%3A+0%7D%5D%7D&\
account_token=";
    let url = format!("{}/api/v1/vc/confs/{conf_id}/mts", s.base);
    let (_, v) = post_form(&s.http, &url, &format!("{body}{}", s.token), Some(&s.cookie)).await;
    assert_eq!(v["success"], 1, "{v}");
    assert_eq!(v["mts"].as_array().unwrap().len(), 2);
    let conf = emu.conference(&conf_id).unwrap();
    assert_eq!(conf.terminals.iter().map(|t| t.account.as_str()).collect::<Vec<_>>(), vec!["2322231", "2322232"]);

    // `_method` turns a POST into a PUT.
    let body = format!("_method=PUT&params={}&account_token={}", form_escape(r#"{"value": 1}"#), s.token);
    let (_, v) = post_form(&s.http, &format!("{}/api/v1/vc/confs/{conf_id}/mts/1/mute", s.base), &body, Some(&s.cookie)).await;
    assert_eq!(v, json!({"success": 1}));
    assert!(emu.conference(&conf_id).unwrap().terminals[0].mute);
    assert_eq!(s.get(&format!("/api/v1/vc/confs/{conf_id}/mts/9")).await["error_code"], 12104);
    assert_eq!(s.get("/api/v1/vc/confs/404404").await["error_code"], 12103);
}

#[tokio::test]
async fn cometd_needs_the_session_and_publishes_terminal_changes() {
    let (emu, server) =
        MoyunEmulator::start(MoyunConfig { long_poll: Duration::from_millis(300), ..MoyunConfig::default() }).await.unwrap();
    let s = login(&server.base_url()).await;
    let url = format!("{}/api/v1/publish", s.base);
    let bayeux = |body: Value, cookie: Option<String>| {
        let mut req = s.http.post(&url).json(&body);
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        async move { req.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let hs = json!([{"channel": "/meta/handshake", "version": "1.0", "supportedConnectionTypes": ["long-polling"], "id": "1"}]);
    let v = bayeux(hs.clone(), None).await;
    assert_eq!(v[0]["successful"], false);
    assert_eq!(v[0]["error"], "403::Unauthorized");
    let v = bayeux(hs, Some(s.cookie.clone())).await;
    assert_eq!(v[0]["successful"], true, "{v}");
    assert_eq!(v[0]["ext"]["user_domain_moid"], emu.config().domain_id);
    let client_id = v[0]["clientId"].as_str().unwrap().to_string();
    let domain = emu.config().domain_id.clone();
    let v =
        bayeux(json!([{"channel": "/meta/subscribe", "clientId": client_id, "subscription": "/userdomains/other/confs/**"}]), None).await;
    assert_eq!(v[0]["successful"], false, "another domain is forbidden");
    let sub = format!("/userdomains/{domain}/confs/**");
    let v = bayeux(json!([{"channel": "/meta/subscribe", "clientId": client_id, "subscription": sub}]), None).await;
    assert_eq!(v[0]["successful"], true);
    // A quiet poll answers after the hold time with only the connect reply.
    let connect = json!([{"channel": "/meta/connect", "clientId": client_id, "connectionType": "long-polling"}]);
    let v = bayeux(connect.clone(), None).await;
    assert_eq!(v.as_array().unwrap().len(), 1);
    assert_eq!(v[0]["advice"]["timeout"], 300);
    // A new conference and a terminal are published.
    let conf = s.post("/api/v1/mc/confs", r#"{"name": "push", "duration": 0, "bitrate": 1024}"#).await;
    let conf_id = conf["conf_id"].as_str().unwrap().to_string();
    s.post(&format!("/api/v1/vc/confs/{conf_id}/mts"), r#"{"mts": [{"account": "1", "account_type": 5, "bitrate": 1, "protocol": 0}]}"#)
        .await;
    let v = bayeux(connect.clone(), None).await;
    let channels: Vec<&str> = v.as_array().unwrap().iter().filter_map(|m| m["channel"].as_str()).collect();
    assert_eq!(
        channels,
        vec![
            format!("/userdomains/{domain}/confs/{conf_id}").as_str(),
            format!("/userdomains/{domain}/confs/{conf_id}/cascades/0/mts/1").as_str(),
            "/meta/connect"
        ]
    );
    assert_eq!(v[1]["data"], json!({"method": "update"}));
    // A forgotten client is told to handshake again.
    emu.forget_push_clients();
    let v = bayeux(connect, None).await;
    assert_eq!(v[0]["error"], "402::Unknown client");
    assert_eq!(v[0]["advice"]["reconnect"], "handshake");
}

#[tokio::test]
async fn a_form_without_the_utf8_charset_is_refused() {
    let (emu, server) = MoyunEmulator::start(MoyunConfig::default()).await.unwrap();
    let base = server.base_url();
    let http = reqwest::Client::new();
    let body = "oauth_consumer_key=key&oauth_consumer_secret=12345678";
    for ct in ["application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=ISO-8859-1"] {
        let resp = http.post(format!("{base}/api/v1/system/token")).header("content-type", ct).body(body).send().await.unwrap();
        assert_eq!(resp.status(), 415, "{ct}");
        let v: Value = resp.json().await.unwrap();
        assert_eq!(v["success"], 0);
        assert!(v["description"].as_str().unwrap().contains("charset=utf-8"), "{v}");
    }
    assert_eq!(emu.counters().token_requests, 0, "nothing was acted on");
    // The document's spellings (with or without the trailing `;`, any case) are accepted.
    for ct in [FORM, "application/x-www-form-urlencoded;charset=utf-8;", "application/x-www-form-urlencoded; charset=UTF-8"] {
        let (_, v) = post_form_as(&http, &format!("{base}/api/v1/system/token"), ct, body).await;
        assert_eq!(v["success"], 1, "{ct}: {v}");
    }
}

async fn post_form_as(http: &reqwest::Client, url: &str, content_type: &str, body: &str) -> (reqwest::StatusCode, Value) {
    let resp = http.post(url).header("content-type", content_type).body(body.to_string()).send().await.unwrap();
    (resp.status(), resp.json().await.unwrap())
}
