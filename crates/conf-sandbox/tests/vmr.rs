//! The vmr emulator over HTTP, with raw reqwest as the client: every route and answer, PIN
//! handling, token refresh and expiry, enterprise refusals, the SSE bracket and change
//! events, stream control and fault injection.

use std::time::Duration;

use conf_sandbox::harness::{Fault, FaultRule, Server};
use conf_sandbox::vmr::{
    Deployment, DialIn, DialOutcome, McuHost, PRESENTATION_JPEG, ResultSpelling, RoomConfig, ServiceType, VmrConfig, VmrEmulator,
};
use reqwest::Method;
use serde_json::{Value, json};

const MEET: &str = "meet@vmr.example";

fn config() -> VmrConfig {
    VmrConfig::new()
        .result_spelling(ResultSpelling::Bool)
        .dial_outcome(DialOutcome::Manual)
        .room(RoomConfig::new("open@vmr.example", "2000"))
        .room(RoomConfig::new("lobby@vmr.example", "3000").host_pin("1111"))
        .room(RoomConfig::new("private@vmr.example", "4000").host_pin("2222").allow_guests(false))
        .room(RoomConfig::new("later@vmr.example", "5000").host_pin("5555").guest_pin("6666").started(false))
}

struct Env {
    emu: VmrEmulator,
    server: Server,
    http: reqwest::Client,
}

async fn env(config: VmrConfig) -> Env {
    let (emu, server) = VmrEmulator::start(config).await.expect("start vmr emulator");
    Env { emu, server, http: reqwest::Client::new() }
}

struct Answer {
    status: u16,
    content_type: String,
    json: Value,
    text: String,
}

impl Env {
    fn node(&self, room: &str, command: &str) -> String {
        self.server.url(&format!("/api/services/{room}/{command}"))
    }

    fn pnode(&self, room: &str, uuid: &str, command: &str) -> String {
        self.server.url(&format!("/api/services/{room}/participants/{uuid}/{command}"))
    }

    async fn send(&self, method: Method, url: &str, headers: &[(&str, &str)], body: Option<&Value>) -> Answer {
        let mut req = self.http.request(method, url);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(body) = body {
            req = req.json(body);
        }
        let resp = req.send().await.expect("request sent");
        let status = resp.status().as_u16();
        let content_type = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        let text = resp.text().await.expect("body");
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer { status, content_type, json, text }
    }

    async fn post(&self, url: &str, token: &str, body: Option<&Value>) -> Answer {
        self.send(Method::POST, url, &[("token", token)], body).await
    }

    async fn get(&self, url: &str, token: &str) -> Answer {
        self.send(Method::GET, url, &[("token", token)], None).await
    }

    /// new_session with a PIN; returns (token, participant uuid).
    async fn session(&self, room: &str, pin: &str, name: &str) -> (String, String) {
        let a = self
            .send(Method::POST, &self.node(room, "new_session"), &[("pin", pin)], Some(&json!({"display_name": name, "hideme": "no"})))
            .await;
        assert_eq!(a.status, 200, "new_session: {}", a.text);
        let r = &a.json["result"];
        (r["token"].as_str().unwrap().to_owned(), r["participant_uuid"].as_str().unwrap().to_owned())
    }

    async fn host(&self) -> (String, String) {
        self.session(MEET, "123456", "Host").await
    }

    async fn events(&self, room: &str, token: &str) -> Sse {
        let url = format!("{}?token={}", self.node(room, "events"), encode(token));
        let resp = self.http.get(url).send().await.expect("events");
        assert_eq!(resp.status().as_u16(), 200);
        assert_eq!(resp.headers()["content-type"], "text/event-stream");
        Sse { resp, buf: String::new(), comments: 0 }
    }
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

fn success(a: &Answer) -> &Value {
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.json["status"], "success", "{}", a.text);
    &a.json["result"]
}

struct Sse {
    resp: reqwest::Response,
    buf: String,
    comments: usize,
}

impl Sse {
    /// The next event (name, data); `None` when the stream ended.
    async fn next(&mut self) -> Option<(String, Value)> {
        loop {
            if let Some(pos) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..pos + 2).collect();
                let mut name = None;
                let mut data = String::new();
                for line in block.lines() {
                    if line.starts_with(':') {
                        self.comments += 1;
                    } else if let Some(v) = line.strip_prefix("event: ") {
                        name = Some(v.to_owned());
                    } else if let Some(v) = line.strip_prefix("data: ") {
                        data.push_str(v);
                    }
                }
                if let Some(name) = name {
                    let value = serde_json::from_str(&data).unwrap_or_else(|e| panic!("event {name} data {data:?}: {e}"));
                    return Some((name, value));
                }
                continue;
            }
            let chunk = tokio::time::timeout(Duration::from_secs(10), self.resp.chunk()).await.expect("event stream silent for 10 s");
            match chunk {
                Ok(Some(bytes)) => self.buf.push_str(std::str::from_utf8(&bytes).unwrap()),
                Ok(None) | Err(_) => return None,
            }
        }
    }

    /// Reads until `n` keep-alive comments arrived; fails on any event meanwhile.
    async fn wait_for_comments(&mut self, n: usize) {
        while self.comments < n {
            if let Some(pos) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..pos + 2).collect();
                assert!(block.starts_with(':'), "event while idle: {block:?}");
                self.comments += 1;
                continue;
            }
            let chunk = tokio::time::timeout(Duration::from_secs(10), self.resp.chunk()).await.expect("no keep-alive for 10 s");
            let bytes = chunk.expect("stream error").expect("stream ended while idle");
            self.buf.push_str(std::str::from_utf8(&bytes).unwrap());
        }
    }

    async fn expect(&mut self, name: &str) -> Value {
        let (got, data) = self.next().await.unwrap_or_else(|| panic!("stream ended, expected {name}"));
        assert_eq!(got, name, "data: {data}");
        data
    }

    /// Reads the sync bracket; returns the participant uuids it carried (by `create_name`).
    async fn bracket(&mut self, create_name: &str) -> Vec<String> {
        self.expect("participant_sync_begin").await;
        let mut uuids = Vec::new();
        loop {
            let (name, data) = self.next().await.expect("bracket");
            if name == "participant_sync_end" {
                return uuids;
            }
            assert_eq!(name, create_name, "{data}");
            uuids.push(data["uuid"].as_str().unwrap().to_owned());
        }
    }
}

#[tokio::test]
async fn check_join_takes_json_and_points_at_the_node() {
    let e = env(config()).await;
    let url = e.server.url("/api/v3/meet/checkJoin.shtml");
    // The document: request bodies are application/json; a form is refused.
    let form = e.http.post(&url).form(&[("joinAccount", "1061"), ("joinPwd", "123456"), ("participantName", "Ann")]).send().await.unwrap();
    assert_eq!(form.status(), 200);
    let refused: Value = form.json().await.unwrap();
    assert_eq!(refused["code"], "400", "{refused}");
    let answer =
        e.http.post(&url).json(&json!({"joinAccount": "1061", "joinPwd": "123456", "participantName": "Ann"})).send().await.unwrap();
    assert_eq!(answer.status(), 200);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["code"], "200");
    assert_eq!(body["timeStamp"].as_str().unwrap().len(), 19);
    let r = &body["results"];
    assert_eq!(r["mcuHost"], e.server.base_url());
    assert_eq!(r["alias"], MEET);
    assert_eq!(r["sipkey"], "1061");
    assert_eq!(r["roleType"], "host");
    assert_eq!(r["participantName"], "Ann");
    assert_eq!(r["isDot"], false);
    assert_eq!(r["allowGuest"], "yes");
    assert!(r["companyId"].is_i64() && r["isRecord"].is_boolean() && r["isLive"].is_boolean());

    let a = e.send(Method::POST, &url, &[], Some(&json!({"joinAccount": MEET, "joinPwd": "4321", "participantName": "Bob"}))).await;
    assert_eq!(a.json["code"], "200");
    assert_eq!(a.json["results"]["roleType"], "guest");
    let wrong = e.send(Method::POST, &url, &[], Some(&json!({"joinAccount": MEET, "joinPwd": "0", "participantName": "B"}))).await;
    assert_eq!((wrong.status, wrong.json["code"].as_str()), (200, Some("403")));
    let unknown = e.send(Method::POST, &url, &[], Some(&json!({"joinAccount": "nobody@vmr.example", "participantName": "B"}))).await;
    assert_eq!(unknown.json["code"], "404");
    let missing = e.send(Method::POST, &url, &[], Some(&json!({"joinAccount": MEET}))).await;
    assert_eq!(missing.json["code"], "400");
    assert_eq!(e.send(Method::GET, &url, &[], None).await.status, 405);
    assert_eq!(e.emu.command_count("checkJoin"), 6);

    // the mcuHost spellings
    let e2 = env(config().mcu_host(McuHost::SameServerHostPort)).await;
    let a = e2
        .send(
            Method::POST,
            &e2.server.url("/api/v3/meet/checkJoin.shtml"),
            &[],
            Some(&json!({"joinAccount": "2000", "participantName": "x"})),
        )
        .await;
    assert_eq!(a.json["results"]["mcuHost"], e2.server.addr().to_string());
}

#[tokio::test]
async fn new_session_pins_roles_and_fields() {
    let e = env(config()).await;
    let ns = |room: &'static str, pin: Option<&'static str>| {
        let url = e.node(room, "new_session");
        let e = &e;
        async move {
            let headers: Vec<(&str, &str)> = pin.map(|p| ("pin", p)).into_iter().collect();
            e.send(Method::POST, &url, &headers, Some(&json!({"display_name": "x"}))).await
        }
    };
    // PIN required: names pin and guest_pin
    let a = ns(MEET, None).await;
    assert_eq!(a.status, 403);
    assert_eq!(a.json, json!({"status": "success", "result": {"pin": "required", "guest_pin": "required"}}));
    let a = ns(MEET, Some("none")).await;
    assert_eq!((a.status, &a.json["result"]["pin"]), (403, &json!("required")));
    let a = ns(MEET, Some("999")).await;
    assert_eq!(a.status, 403);
    assert_eq!(a.json, json!({"status": "failed", "result": "Invalid PIN"}));
    // host and guest
    let a = ns(MEET, Some("123456")).await;
    let r = success(&a);
    assert_eq!(r["role"], "HOST");
    assert_eq!(r["expires"], "120");
    assert_eq!(r["current_service_type"], "conference");
    assert_eq!(r["service_type"], "conference");
    assert_eq!(r["display_name"], "x");
    for public_only in [
        "allow_1080p",
        "bandwidth_in",
        "bandwidth_out",
        "call_type",
        "fecc_enabled",
        "guests_can_present",
        "owner",
        "rtmp_enabled",
        "rtsp_enabled",
    ] {
        assert!(r.get(public_only).is_some(), "missing {public_only}");
    }
    for field in ["token", "participant_uuid", "version", "chat_enabled", "stun", "analytics_enabled"] {
        assert!(r.get(field).is_some(), "missing {field}");
    }
    let token = r["token"].as_str().unwrap();
    assert!(token.contains("%3D"), "document-shaped token: {token}");
    let a = ns(MEET, Some("4321")).await;
    assert_eq!(success(&a)["role"], "GUEST");
    // no PIN at all: host
    assert_eq!(success(&ns("open@vmr.example", None).await)["role"], "HOST");
    assert_eq!(success(&ns("2000", Some("none")).await)["role"], "HOST");
    // guests without PIN: the 403 says guest_pin none, and "none" gets in as guest
    let a = ns("lobby@vmr.example", None).await;
    assert_eq!(a.json["result"], json!({"pin": "required", "guest_pin": "none"}));
    assert_eq!(success(&ns("lobby@vmr.example", Some("none")).await)["role"], "GUEST");
    assert_eq!(success(&ns("lobby@vmr.example", Some("1111")).await)["role"], "HOST");
    // no guests: none is not enough, wrong is invalid
    assert_eq!(ns("private@vmr.example", Some("none")).await.status, 403);
    assert_eq!(ns("private@vmr.example", Some("4321")).await.json["result"], "Invalid PIN");
    let stats = e.emu.stats();
    assert_eq!(stats.pin_rejections, 6);
    assert_eq!(stats.tokens_issued, 6);
    assert_eq!(e.emu.command_count("new_session"), 12);
    // the API participant is listed with protocol api; hideme hides it
    let hosts = e.emu.participants(MEET);
    assert_eq!(hosts.len(), 2);
    assert!(hosts.iter().all(|p| p.protocol == "api" && p.is_session && !p.has_media));
    let a = e
        .send(Method::POST, &e.node(MEET, "new_session"), &[("pin", "123456")], Some(&json!({"display_name": "ghost", "hideme": "yes"})))
        .await;
    let ghost = success(&a)["participant_uuid"].as_str().unwrap().to_owned();
    assert_eq!(e.emu.participants(MEET).len(), 2);
    assert!(e.emu.participant(&ghost).unwrap().hidden);
    // malformed body
    let bad = e.http.post(e.node(MEET, "new_session")).header("pin", "123456").body("{nope").send().await.unwrap();
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn rooms_by_alias_id_any_case_and_unknown_routes() {
    let e = env(config()).await;
    for room in ["meet%40vmr.example", "meet@vmr.example", "MEET@VMR.EXAMPLE", "1061"] {
        let a = e.send(Method::POST, &e.node(room, "new_session"), &[("pin", "123456")], None).await;
        assert_eq!(a.status, 200, "{room}: {}", a.text);
    }
    let (token, _) = e.host().await;
    let a = e.post(&e.node("nobody@vmr.example", "lock"), &token, None).await;
    assert_eq!((a.status, a.json["result"].as_str()), (404, Some("Conference not found")));
    let a = e.post(&e.node(MEET, "no_such_command"), &token, None).await;
    assert_eq!(a.status, 404);
    assert!(a.json.is_null() && a.content_type.starts_with("text/html"), "{}", a.text);
    assert_eq!(e.get(&e.node(MEET, "lock"), &token).await.status, 405);
    assert_eq!(e.post(&e.node(MEET, "participants"), &token, None).await.status, 405);
    assert_eq!(e.get(&e.server.url("/elsewhere"), &token).await.status, 404);
    // a token of one room is no good in another
    assert_eq!(e.get(&e.node("2000", "service_status"), &token).await.status, 403);
}

#[tokio::test]
async fn refresh_replaces_the_token_and_end_releases_it() {
    let e = env(config()).await;
    let (old, me) = e.host().await;
    let a = e.post(&e.node(MEET, "refresh_session"), &old, None).await;
    let r = success(&a).clone();
    assert_eq!(r["expires"], "120");
    assert_eq!(r["role"], "HOST");
    let new = r["token"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    let stale = e.get(&e.node(MEET, "service_status"), &old).await;
    assert_eq!(stale.status, 403);
    assert_eq!(stale.json, json!({"status": "failed", "result": "Invalid token"}));
    assert_eq!(e.post(&e.node(MEET, "refresh_session"), &old, None).await.status, 403);
    success(&e.get(&e.node(MEET, "service_status"), &new).await);
    assert_eq!(e.get(&e.node(MEET, "service_status"), "").await.status, 403);
    let stats = e.emu.stats();
    assert_eq!((stats.tokens_issued, stats.tokens_refreshed, stats.live_sessions), (1, 1, 1));
    assert!(stats.token_rejections >= 3);
    assert!(e.emu.participant(&me).is_some());

    assert_eq!(success(&e.post(&e.node(MEET, "end_session"), &new, None).await), &json!(true));
    assert_eq!(e.get(&e.node(MEET, "service_status"), &new).await.status, 403);
    assert!(e.emu.participant(&me).is_none(), "the session's participant left");
    let stats = e.emu.stats();
    assert_eq!((stats.sessions_ended, stats.live_sessions), (1, 0));
}

#[tokio::test(start_paused = true)]
async fn tokens_expire_after_their_lifetime() {
    let e = env(config().token_lifetime(Duration::from_secs(1)).expires_as_number(true)).await;
    let a = e.send(Method::POST, &e.node(MEET, "new_session"), &[("pin", "123456")], None).await;
    let r = success(&a);
    assert_eq!(r["expires"], json!(1));
    let token = r["token"].as_str().unwrap().to_owned();
    let me = r["participant_uuid"].as_str().unwrap().to_owned();
    // The emulator reads tokio's clock, paused in this test.
    tokio::time::advance(Duration::from_millis(1100)).await;
    assert_eq!(e.post(&e.node(MEET, "refresh_session"), &token, None).await.status, 403);
    assert_eq!(e.get(&e.node(MEET, "participants"), &token).await.status, 403);
    assert!(e.emu.participant(&me).is_none(), "expired session swept");
    let stats = e.emu.stats();
    assert_eq!((stats.sessions_expired, stats.live_sessions), (1, 0));
}

#[tokio::test]
async fn expire_tokens_and_the_expire_credentials_fault() {
    let e = env(config()).await;
    let (t1, _) = e.host().await;
    e.emu.expire_tokens();
    assert_eq!(e.get(&e.node(MEET, "service_status"), &t1).await.status, 403);
    let (t2, _) = e.host().await;
    success(&e.get(&e.node(MEET, "service_status"), &t2).await);
    // the harness fault runs the hook registered by start(), then handles the request
    e.server.faults().add(FaultRule::new(Fault::ExpireCredentials).path_exact("/api/services/1061/participants").once());
    assert_eq!(e.get(&e.node("1061", "participants"), &t2).await.status, 403);
    assert_eq!(e.emu.stats().live_sessions, 0);
}

#[tokio::test]
async fn faults_apply_to_vmr_routes() {
    let e = env(config()).await;
    let path = "/api/services/meet@vmr.example/new_session";
    e.server.faults().add(FaultRule::new(Fault::status(503)).path_exact(path).once());
    let url = e.node(MEET, "new_session");
    assert_eq!(e.send(Method::POST, &url, &[("pin", "123456")], None).await.status, 503);
    assert_eq!(e.emu.stats().tokens_issued, 0, "the emulator was not called");
    let (token, _) = e.host().await;
    // handled, then the answer dropped: the lock took effect
    e.server.faults().add(FaultRule::new(Fault::DropAfterHandling).path_prefix("/api/services/meet@vmr.example/lock").once());
    assert!(e.http.post(e.node(MEET, "lock")).header("token", &token).send().await.is_err());
    assert!(e.emu.room_status(MEET).unwrap().locked);
    e.server.faults().add(FaultRule::new(Fault::NginxHtml(502)).path_prefix("/api/services/").once());
    let a = e.get(&e.node(MEET, "service_status"), &token).await;
    assert_eq!(a.status, 502);
    assert!(a.json.is_null());
    assert_eq!(e.server.log().count("POST", path), 2);
}

#[tokio::test]
async fn conference_commands() {
    let e = env(config()).await;
    let (host, host_id) = e.host().await;
    let (guest, guest_id) = e.session(MEET, "4321", "Guest").await;

    let status = |t: String| {
        let url = e.node(MEET, "service_status");
        let e = &e;
        async move { success(&e.get(&url, &t).await).clone() }
    };
    assert_eq!(status(host.clone()).await, json!({"guests_muted": false, "locked": false, "started": true, "whiteboard": false}));

    // guests may not run host commands
    for cmd in ["lock", "unlock", "start_service", "muteguests", "unmuteguests", "disconnect", "dial", "override_layout"] {
        let a = e.post(&e.node(MEET, cmd), &guest, Some(&json!({}))).await;
        assert_eq!(a.status, 403, "{cmd}");
        assert_eq!(a.json["result"], "Permission denied: host role required");
    }

    // lock: new guests wait; unlock admits them
    assert_eq!(success(&e.post(&e.node(MEET, "lock"), &host, None).await), &json!(true));
    assert_eq!(status(host.clone()).await["locked"], true);
    let waiting = e.emu.add_participant(MEET, DialIn::guest("Late"));
    assert_eq!(e.emu.participant(&waiting).unwrap().service_type, ServiceType::WaitingRoom);
    let a = e.send(Method::POST, &e.node(MEET, "new_session"), &[("pin", "4321")], None).await;
    assert_eq!(success(&a)["current_service_type"], "waiting_room");
    let chair = e.emu.add_participant(MEET, DialIn::chair("Boss"));
    assert_eq!(e.emu.participant(&chair).unwrap().service_type, ServiceType::Conference);
    success(&e.post(&e.node(MEET, "unlock"), &host, None).await);
    assert_eq!(e.emu.participant(&waiting).unwrap().service_type, ServiceType::Conference);

    // muteguests mutes current and later guests, not chairs
    success(&e.post(&e.node(MEET, "muteguests"), &host, None).await);
    assert_eq!(status(guest.clone()).await["guests_muted"], true);
    assert!(e.emu.participant(&waiting).unwrap().muted);
    assert!(e.emu.participant(&guest_id).unwrap().muted);
    assert!(!e.emu.participant(&chair).unwrap().muted);
    let later = e.emu.add_participant(MEET, DialIn::guest("Later"));
    assert!(e.emu.participant(&later).unwrap().muted);
    success(&e.post(&e.node(MEET, "unmuteguests"), &host, None).await);
    assert!(!e.emu.participant(&waiting).unwrap().muted);

    // message: from anyone, recorded with its origin
    let a = e.post(&e.node(MEET, "message"), &guest, Some(&json!({"type": "text/plain", "payload": "Hello World"}))).await;
    assert_eq!(success(&a), &json!(true));
    let messages = e.emu.messages(MEET);
    assert_eq!(messages.len(), 1);
    assert_eq!(
        (messages[0].origin.as_str(), messages[0].uuid.as_str(), messages[0].payload.as_str()),
        ("Guest", guest_id.as_str(), "Hello World")
    );
    assert_eq!(e.post(&e.node(MEET, "message"), &guest, Some(&json!({"type": "text/plain"}))).await.status, 400);

    // participants: the document's participant objects in joining order
    let a = e.get(&e.node(MEET, "participants"), &guest).await;
    let list = success(&a).as_array().unwrap().clone();
    assert_eq!(list.len(), 6);
    assert_eq!(list[0]["uuid"], host_id.as_str());
    assert_eq!(list[0]["api_url"], format!("/participants/{host_id}"));
    assert_eq!(list[0]["role"], "chair");
    assert_eq!(list[1]["role"], "guest");
    assert_eq!(list[2]["display_name"], "Late");
    assert_eq!(list[2]["protocol"], "sip");
    assert_eq!(list[2]["is_muted"], "NO");
    assert_eq!(list[2]["is_video_call"], "YES");
    assert_eq!(list[2]["encryption"], "On");
    assert_eq!(list[2]["rx_presentation_policy"], "ALLOW");
    assert_eq!(list[2]["call_direction"], "in");
    assert!(list[2]["start_time"].is_u64() && list[2]["spotlight"] == 0);
    assert_eq!((list[3]["display_name"].as_str(), list[3]["service_type"].as_str()), (Some("API"), Some("conference")));

    // override_layout: validated, stored, answered with the participant list
    let layouts = json!({"layouts": [
        {"audience": "hosts", "actors": [], "vad_backfill": true, "layout": "2:21", "plus_n": "auto", "actors_overlay_text": "auto"},
        {"audience": "", "actors": [chair], "vad_backfill": false, "layout": "1:7", "plus_n": "off", "actors_overlay_text": "auto"}
    ]});
    let a = e.post(&e.node(MEET, "override_layout"), &host, Some(&layouts)).await;
    assert_eq!(success(&a).as_array().unwrap().len(), 6);
    assert_eq!(e.emu.room_status(MEET).unwrap().layouts, layouts["layouts"].as_array().unwrap().clone());
    for bad in [
        json!({"layouts": [{"layout": "3:3"}]}),
        json!({"layouts": "1:0"}),
        json!({"layouts": [{"layout": "1:0", "audience": "everyone"}]}),
    ] {
        assert_eq!(e.post(&e.node(MEET, "override_layout"), &host, Some(&bad)).await.status, 400, "{bad}");
    }

    // disconnect: everyone leaves, every token of the room dies, the room resets
    assert_eq!(success(&e.post(&e.node(MEET, "disconnect"), &host, None).await), &json!(true));
    assert!(e.emu.participants(MEET).is_empty());
    assert_eq!(e.get(&e.node(MEET, "participants"), &host).await.status, 403);
    assert_eq!(e.get(&e.node(MEET, "participants"), &guest).await.status, 403);
    let room = e.emu.room_status(MEET).unwrap();
    assert_eq!((room.disconnects, room.locked, room.guests_muted), (1, false, false));
    for cmd in
        ["lock", "unlock", "muteguests", "unmuteguests", "message", "disconnect", "service_status", "participants", "override_layout"]
    {
        assert!(e.emu.command_count(cmd) >= 1, "{cmd} counted");
    }
}

#[tokio::test]
async fn start_service_admits_guests_waiting_for_a_host() {
    let e = env(config()).await;
    let room = "later@vmr.example";
    let (host, _) = e.session(room, "5555", "Control").await;
    let guest = e.emu.add_participant(room, DialIn::guest("Early"));
    assert_eq!(e.emu.participant(&guest).unwrap().service_type, ServiceType::WaitingRoom);
    assert_eq!(success(&e.get(&e.node(room, "service_status"), &host).await)["started"], false);
    success(&e.post(&e.node(room, "start_service"), &host, None).await);
    assert_eq!(e.emu.participant(&guest).unwrap().service_type, ServiceType::Conference);
    assert_eq!(success(&e.get(&e.node(room, "service_status"), &host).await)["started"], true);
    // a chair with media starts the conference too
    e.emu.remove_participant(&guest);
    success(&e.post(&e.node(room, "disconnect"), &host, None).await);
    let (host, _) = e.session(room, "5555", "Control").await;
    let guest = e.emu.add_participant(room, DialIn::guest("Early"));
    e.emu.add_participant(room, DialIn::chair("Chair").audio_only());
    assert_eq!(e.emu.participant(&guest).unwrap().service_type, ServiceType::Conference);
    assert_eq!(success(&e.get(&e.node(room, "service_status"), &host).await)["started"], true);
}

#[tokio::test(start_paused = true)]
async fn dial_creates_connecting_participants_that_answer_or_reject() {
    let e = env(config()).await;
    let (host, _) = e.host().await;
    let body = json!({
        "role": "chair", "destination": "bob@example.com", "protocol": "sip", "presentation_url": "rtmp://p/x",
        "streaming": "no", "dtmf_sequence": "1234#", "source_display_name": "Alice", "source": "1061",
        "call_type": "audio", "keep_conference_alive": "keep_conference_alive_never", "remote_display_name": "Bob"
    });
    let a = e.post(&e.node(MEET, "dial"), &host, Some(&body)).await;
    let uuids = success(&a).as_array().unwrap().clone();
    assert_eq!(uuids.len(), 1);
    let bob = uuids[0].as_str().unwrap();
    let p = e.emu.participant(bob).unwrap();
    assert_eq!((p.service_type, p.display_name.as_str(), p.uri.as_str()), (ServiceType::Connecting, "Bob", "bob@example.com"));
    assert!(p.audio_only && !p.video && p.dtmf == "1234#");
    assert_eq!(p.to_json()["call_direction"], "out");
    assert_eq!(e.emu.dial_requests(), vec![body]);
    assert!(e.emu.answer_dial(bob));
    assert_eq!(e.emu.participant(bob).unwrap().service_type, ServiceType::Conference);
    assert!(!e.emu.answer_dial(bob), "only connecting participants answer");

    let a = e.post(&e.node(MEET, "dial"), &host, Some(&json!({"destination": "carol@example.com", "protocol": "h323"}))).await;
    let carol = success(&a)[0].as_str().unwrap().to_owned();
    assert!(e.emu.reject_dial(&carol));
    assert!(e.emu.participant(&carol).is_none());

    for bad in [
        json!({"protocol": "sip"}),
        json!({"destination": "x", "protocol": "pigeon"}),
        json!({"destination": "x", "role": "king"}),
        json!({"destination": "x", "call_type": "smell"}),
        json!({"destination": "x", "keep_conference_alive": "forever"}),
    ] {
        assert_eq!(e.post(&e.node(MEET, "dial"), &host, Some(&bad)).await.status, 400, "{bad}");
    }
    assert_eq!(e.emu.command_count("dial"), 7);

    // automatic answer after the configured delay, fork calls
    let mut cfg = config().dial_outcome(DialOutcome::Answer(Duration::from_millis(20)));
    cfg.dial_fork = 2;
    let e = env(cfg).await;
    let (host, _) = e.host().await;
    let a = e.post(&e.node(MEET, "dial"), &host, Some(&json!({"destination": "dave@example.com", "protocol": "auto"}))).await;
    let forks = success(&a).as_array().unwrap().clone();
    assert_eq!(forks.len(), 2);
    // Paused clock: each poll step advances virtual time, so the emulator's 20 ms answer
    // timer fires deterministically; the bound is virtual time too.
    let answered = || forks.iter().all(|u| e.emu.participant(u.as_str().unwrap()).unwrap().service_type == ServiceType::Conference);
    tokio::time::timeout(Duration::from_secs(2), async {
        while !answered() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("dialled participants never answered");
}

#[tokio::test]
async fn participant_commands() {
    let e = env(config().room(RoomConfig::new("other@vmr.example", "6000").host_pin("7777").guest_pin("8888"))).await;
    let (host, host_id) = e.host().await;
    let (guest, guest_id) = e.session(MEET, "4321", "Guest").await;
    let terminal = e.emu.add_participant(MEET, DialIn::guest("Terminal"));
    let p = |uuid: &str, cmd: &str| e.pnode(MEET, uuid, cmd);
    let ok = |a: Answer| assert_eq!(success(&a), &json!(true), "{}", a.text);

    ok(e.post(&p(&terminal, "mute"), &host, None).await);
    assert!(e.emu.participant(&terminal).unwrap().muted);
    ok(e.post(&p(&terminal, "unmute"), &host, None).await);
    assert!(!e.emu.participant(&terminal).unwrap().muted);
    ok(e.post(&p(&terminal, "denyrxpresentation"), &host, None).await);
    assert_eq!(e.emu.participant(&terminal).unwrap().to_json()["rx_presentation_policy"], "DENY");
    ok(e.post(&p(&terminal, "allowrxpresentation"), &host, None).await);
    assert!(e.emu.participant(&terminal).unwrap().rx_presentation);
    ok(e.post(&p(&terminal, "spotlighton"), &host, None).await);
    assert!(e.emu.participant(&terminal).unwrap().spotlight > 1_600_000_000);
    ok(e.post(&p(&terminal, "spotlightoff"), &host, None).await);
    assert_eq!(e.emu.participant(&terminal).unwrap().spotlight, 0);
    ok(e.post(&p(&terminal, "dtmf"), &host, Some(&json!({"digits": "12#"}))).await);
    ok(e.post(&p(&terminal, "dtmf"), &host, Some(&json!({"digits": "*9"}))).await);
    assert_eq!(e.emu.participant(&terminal).unwrap().dtmf, "12#*9");
    assert_eq!(e.post(&p(&terminal, "dtmf"), &host, Some(&json!({"digits": "xyz"}))).await.status, 400);

    // role: the guest session becomes a host and may then lock
    ok(e.post(&p(&guest_id, "role"), &host, Some(&json!({"role": "chair"}))).await);
    assert_eq!(e.emu.participant(&guest_id).unwrap().to_json()["role"], "chair");
    ok(e.post(&e.node(MEET, "lock"), &guest, None).await);
    assert_eq!(e.post(&p(&guest_id, "role"), &host, Some(&json!({"role": "boss"}))).await.status, 400);
    ok(e.post(&p(&guest_id, "role"), &host, Some(&json!({"role": "guest"}))).await);
    assert_eq!(e.post(&e.node(MEET, "unlock"), &guest, None).await.status, 403);

    // unlock lets one waiting guest in
    let waiting = e.emu.add_participant(MEET, DialIn::guest("Waiting"));
    assert_eq!(e.emu.participant(&waiting).unwrap().service_type, ServiceType::WaitingRoom);
    ok(e.post(&p(&waiting, "unlock"), &host, None).await);
    assert_eq!(e.emu.participant(&waiting).unwrap().service_type, ServiceType::Conference);

    // calls: WebRTC answers an SDP, RTMP answers urls
    let offer = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=sendrecv\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=sendrecv\r\n";
    let a = e.post(&p(&guest_id, "calls"), &guest, Some(&json!({"call_type": "WEBRTC", "sdp": offer}))).await;
    let r = success(&a).clone();
    let sdp = r["sdp"].as_str().unwrap();
    assert!(sdp.starts_with("v=0") && sdp.contains("m=audio") && sdp.contains("m=video"), "{sdp}");
    assert_eq!(r["call_uuid"].as_str().unwrap().len(), 36);
    let a = e
        .post(&p(&terminal, "calls"), &host, Some(&json!({"call_type": "RTMP", "present": "send", "streaming": "true", "bandwidth": 1024})))
        .await;
    let r = success(&a).clone();
    let call = r["call_uuid"].as_str().unwrap().to_owned();
    assert_eq!(r["url"].as_str().unwrap(), format!("rtmp://127.0.0.1:40002/zjcloud/{call}"));
    assert!(r["secure_url"].as_str().unwrap().starts_with("rtmps://"));
    let calls = e.emu.participant(&terminal).unwrap().calls;
    assert_eq!((calls[0].present.as_deref(), calls[0].streaming, calls[0].bandwidth), (Some("send"), true, Some(1024)));
    assert_eq!(e.post(&p(&terminal, "calls"), &host, Some(&json!({"call_type": "WEBRTC"}))).await.status, 400);
    assert_eq!(e.post(&p(&terminal, "calls"), &host, Some(&json!({"call_type": "FAX"}))).await.status, 400);
    // a guest may add calls for itself only
    assert_eq!(e.post(&p(&terminal, "calls"), &guest, Some(&json!({"call_type": "RTMP"}))).await.status, 403);
    assert_eq!(e.post(&p(&terminal, "mute"), &guest, None).await.status, 403);

    // transfer: to a room whose PIN admits the role, else false
    assert_eq!(
        success(
            &e.post(
                &p(&terminal, "transfer"),
                &host,
                Some(&json!({"role": "chair", "conference_alias": "other@vmr.example", "pin": "8888"}))
            )
            .await
        ),
        &json!(false)
    );
    assert_eq!(
        success(
            &e.post(
                &p(&terminal, "transfer"),
                &host,
                Some(&json!({"role": "guest", "conference_alias": "nowhere@vmr.example", "pin": "1"}))
            )
            .await
        ),
        &json!(false)
    );
    ok(e.post(&p(&terminal, "transfer"), &host, Some(&json!({"role": "guest", "conference_alias": "other@vmr.example", "pin": "8888"})))
        .await);
    assert!(e.emu.participants(MEET).iter().all(|x| x.uuid != terminal));
    let moved = e.emu.participants("other@vmr.example");
    assert_eq!((moved.len(), moved[0].display_name.as_str(), moved[0].local_alias.as_str()), (1, "Terminal", "other@vmr.example"));

    // disconnect: the participant leaves; its session token dies
    ok(e.post(&p(&guest_id, "disconnect"), &host, None).await);
    assert!(e.emu.participant(&guest_id).is_none());
    assert_eq!(e.get(&e.node(MEET, "participants"), &guest).await.status, 403);

    // unknown participant: a false result; unknown command: 404; GET: 405
    let nobody = "00000000-0000-4000-8000-000000000000";
    assert_eq!(success(&e.post(&p(nobody, "mute"), &host, None).await), &json!(false));
    assert_eq!(success(&e.post(&p("not-a-uuid", "mute"), &host, None).await), &json!(false));
    assert_eq!(e.post(&p(&host_id, "explode"), &host, None).await.status, 404);
    assert_eq!(e.get(&p(&host_id, "mute"), &host).await.status, 405);
    assert_eq!(e.post(&p(&host_id, "mute"), "bad-token", None).await.status, 403);
    assert_eq!(e.emu.command_count("participants/mute"), 6);
}

#[tokio::test]
async fn enterprise_refuses_what_the_table_says() {
    let e = env(config().deployment(Deployment::Enterprise)).await;
    let (host, host_id) = e.host().await;
    let a = e.send(Method::POST, &e.node(MEET, "new_session"), &[("pin", "123456")], None).await;
    let r = success(&a);
    for public_only in [
        "allow_1080p",
        "bandwidth_in",
        "bandwidth_out",
        "call_type",
        "fecc_enabled",
        "guests_can_present",
        "owner",
        "rtmp_enabled",
        "rtsp_enabled",
    ] {
        assert!(r.get(public_only).is_none(), "enterprise sends {public_only}");
    }
    assert!(r.get("token").is_some() && r.get("participant_uuid").is_some());
    let status = success(&e.get(&e.node(MEET, "service_status"), &host).await).clone();
    assert!(status.get("live_status").is_some() && status.get("record_status").is_some());

    let a = e
        .post(&e.node(MEET, "override_layout"), &host, Some(&json!({"layouts": [{"layout": "1:0", "audience": "hosts", "actors": []}]})))
        .await;
    assert_eq!(a.status, 400);
    assert_eq!(a.json["status"], "failed");
    let target = e.emu.add_participant(MEET, DialIn::guest("T"));
    for cmd in ["spotlighton", "spotlightoff", "unlock", "role", "transfer"] {
        let a = e.post(&e.pnode(MEET, &target, cmd), &host, Some(&json!({"role": "chair"}))).await;
        assert_eq!(a.status, 400, "{cmd}");
        assert_eq!(a.json["result"], format!("{cmd} is not supported on enterprise cloud"));
    }
    // supported ones still work
    assert_eq!(success(&e.post(&e.pnode(MEET, &target, "mute"), &host, None).await), &json!(true));
    assert_eq!(success(&e.post(&e.pnode(MEET, &target, "denyrxpresentation"), &host, None).await), &json!(true));

    // start_service: 200 OK without effect (the table's note)
    let e2 = env(config().deployment(Deployment::Enterprise)).await;
    let (h, _) = e2.session("later@vmr.example", "5555", "c").await;
    assert_eq!(success(&e2.post(&e2.node("later@vmr.example", "start_service"), &h, None).await), &json!(true));
    assert!(!e2.emu.room_status("later@vmr.example").unwrap().started);

    // muteguests: everyone but chairs and the presenter
    let presenter = e.emu.add_participant(MEET, DialIn::guest("P"));
    e.emu.start_presentation(&presenter);
    let chair = e.emu.add_participant(MEET, DialIn::chair("C"));
    success(&e.post(&e.node(MEET, "muteguests"), &host, None).await);
    assert!(!e.emu.participant(&presenter).unwrap().muted);
    assert!(!e.emu.participant(&chair).unwrap().muted);
    assert!(!e.emu.participant(&host_id).unwrap().muted);

    // events: no participant_create (updates instead), no presentation_frame
    let mut sse = e.events(MEET, &host).await;
    let listed = sse.bracket("participant_update").await;
    assert_eq!(listed.len(), e.emu.participants(MEET).len());
    e.emu.presentation_frame(MEET);
    let joined = e.emu.add_participant(MEET, DialIn::guest("New"));
    let data = sse.expect("participant_update").await;
    assert_eq!(data["uuid"], joined.as_str());
}

#[tokio::test]
async fn event_stream_brackets_and_follows_every_change() {
    let e = env(config().keepalive_interval(Duration::from_secs(60))).await;
    let (host, host_id) = e.host().await;
    let terminal = e.emu.add_participant(MEET, DialIn::guest("Terminal"));
    let mut sse = e.events(MEET, &host).await;
    assert_eq!(sse.bracket("participant_create").await, vec![host_id.clone(), terminal.clone()]);
    assert_eq!(e.emu.stats().live_streams, 1);

    // join, update, leave
    let (guest, guest_id) = e.session(MEET, "4321", "Guest").await;
    let data = sse.expect("participant_create").await;
    assert_eq!(
        (data["uuid"].as_str(), data["display_name"].as_str(), data["role"].as_str()),
        (Some(guest_id.as_str()), Some("Guest"), Some("guest"))
    );
    success(&e.post(&e.pnode(MEET, &terminal, "mute"), &host, None).await);
    let data = sse.expect("participant_update").await;
    assert_eq!((data["uuid"].as_str(), data["is_muted"].as_str()), (Some(terminal.as_str()), Some("YES")));
    e.emu.remove_participant(&terminal);
    assert_eq!(sse.expect("participant_delete").await, json!({"uuid": terminal}));

    // conference state
    success(&e.post(&e.node(MEET, "lock"), &host, None).await);
    assert_eq!(sse.expect("service_update").await, json!({"locked": true, "guests_muted": false, "started": true}));
    success(&e.post(&e.node(MEET, "message"), &guest, Some(&json!({"type": "text/plain", "payload": "hi"}))).await);
    assert_eq!(sse.expect("message").await, json!({"origin": "Guest", "type": "text/plain", "payload": "hi", "uuid": guest_id}));
    let chair = e.emu.add_participant(MEET, DialIn::chair("Chair"));
    assert_eq!(sse.expect("participant_create").await["uuid"], chair.as_str());
    success(&e.post(&e.pnode(MEET, &chair, "spotlighton"), &host, None).await);
    assert_eq!(sse.expect("participant_update").await["uuid"], chair.as_str());
    assert_eq!(sse.expect("layout").await, json!({"view": "1:7", "participants": [chair]}));
    let layouts = json!({"layouts": [{"audience": "hosts", "actors": [], "vad_backfill": true, "layout": "1:21", "plus_n": "auto", "actors_overlay_text": "auto"}]});
    success(&e.post(&e.node(MEET, "override_layout"), &host, Some(&layouts)).await);
    assert_eq!(sse.expect("layout").await["view"], "1:21");
    e.emu.set_stage(MEET, &[(&chair, 100), (&guest_id, 0)]);
    let stage = sse.expect("stage").await;
    assert_eq!(
        stage,
        json!([{"stage_index": 0, "participant_uuid": chair, "vad": 100}, {"stage_index": 1, "participant_uuid": guest_id, "vad": 0}])
    );

    // presentation
    e.emu.start_presentation(&chair);
    assert_eq!(sse.expect("presentation_start").await, json!({"presenter_name": "Chair", "presenter_uri": "sip:chair@terminals.example"}));
    assert_eq!(sse.expect("participant_update").await["is_presenting"], "YES");
    e.emu.presentation_frame(MEET);
    sse.expect("presentation_frame").await;
    let jpeg = e.http.get(e.node(MEET, "presentation.jpeg")).header("token", &host).send().await.unwrap();
    assert_eq!(jpeg.headers()["content-type"], "image/jpeg");
    assert_eq!(&jpeg.bytes().await.unwrap()[..], PRESENTATION_JPEG);
    let by_query = e.http.get(format!("{}?token={}", e.node(MEET, "presentation.jpeg"), encode(&host))).send().await.unwrap();
    assert_eq!(by_query.status(), 200);
    assert_eq!(e.http.get(e.node(MEET, "presentation.jpeg")).send().await.unwrap().status(), 403);
    assert!(e.emu.stop_presentation(MEET));
    sse.expect("presentation_stop").await;
    assert_eq!(sse.expect("participant_update").await["is_presenting"], "NO");

    // events outside the document pass through
    e.emu.send_event(MEET, "refresh_token", &json!({"token": "x"}));
    assert_eq!(sse.expect("refresh_token").await, json!({"token": "x"}));

    // a kicked participant's own stream: call_disconnected, disconnect, end
    let mut guest_sse = e.events(MEET, &guest).await;
    guest_sse.bracket("participant_create").await;
    let a = e.post(&e.pnode(MEET, &guest_id, "calls"), &guest, Some(&json!({"call_type": "RTMP"}))).await;
    let call = success(&a)["call_uuid"].as_str().unwrap().to_owned();
    assert_eq!(guest_sse.expect("participant_update").await["has_media"], true);
    assert_eq!(sse.expect("participant_update").await["uuid"], guest_id.as_str());
    assert!(e.emu.disconnect_call(&call, "presentation taken over"));
    assert_eq!(guest_sse.expect("call_disconnected").await, json!({"call_uuid": call, "reason": "presentation taken over"}));
    assert!(guest_sse.expect("participant_update").await["uuid"] == guest_id.as_str());
    assert!(e.emu.participant(&guest_id).unwrap().calls.is_empty());
    success(&e.post(&e.pnode(MEET, &guest_id, "disconnect"), &host, None).await);
    assert_eq!(guest_sse.expect("disconnect").await, json!({"reason": "API initiated participant disconnect"}));
    assert!(guest_sse.next().await.is_none(), "kicked stream ends");
    // the others see updates and the delete, never the owner's call_disconnected
    assert_eq!(sse.expect("participant_update").await["uuid"], guest_id.as_str());
    assert_eq!(sse.expect("participant_delete").await, json!({"uuid": guest_id}));

    // conference disconnect: disconnect to everyone, stream ends
    success(&e.post(&e.node(MEET, "disconnect"), &host, None).await);
    assert_eq!(sse.expect("disconnect").await, json!({"reason": "API initiated conference disconnect"}));
    assert!(sse.next().await.is_none());
    assert_eq!(e.emu.stats().streams_opened, 2);
}

#[tokio::test]
async fn event_stream_auth_keepalive_and_session_end() {
    let e = env(config().keepalive_interval(Duration::from_millis(50))).await;
    let (host, _) = e.host().await;
    // token checked at connect: wrong, missing
    let bad = e.http.get(format!("{}?token=nope", e.node(MEET, "events"))).send().await.unwrap();
    assert_eq!(bad.status(), 403);
    assert_eq!(e.http.get(e.node(MEET, "events")).send().await.unwrap().status(), 403);
    // the raw (unencoded) token is accepted too
    let raw = e.http.get(format!("{}?token={host}", e.node(MEET, "events"))).send().await.unwrap();
    assert_eq!(raw.status(), 200);
    drop(raw);

    let mut sse = e.events(MEET, &host).await;
    sse.bracket("participant_create").await;
    // keep-alive comments while nothing happens, then events as usual
    sse.wait_for_comments(3).await;
    let t = e.emu.add_participant(MEET, DialIn::guest("t"));
    e.emu.remove_participant(&t);
    sse.expect("participant_create").await;
    sse.expect("participant_delete").await;

    // end_session ends the stream silently
    success(&e.post(&e.node(MEET, "end_session"), &host, None).await);
    assert!(sse.next().await.is_none());
}

#[tokio::test]
async fn stream_control_cuts_and_stalls_event_streams() {
    let e = env(config().keepalive_interval(Duration::from_millis(20))).await;
    let (host, _) = e.host().await;
    let mut sse = e.events(MEET, &host).await;
    sse.bracket("participant_create").await;
    e.emu.stall_streams();
    let held = e.emu.add_participant(MEET, DialIn::guest("held"));
    let silent = tokio::time::timeout(Duration::from_millis(200), sse.resp.chunk()).await;
    assert!(silent.is_err(), "a stalled stream sent {silent:?}");
    e.emu.resume_streams();
    assert_eq!(sse.expect("participant_create").await["uuid"], held.as_str());
    e.emu.cut_streams();
    assert!(sse.next().await.is_none(), "cut stream ends");
    // a reconnect gets the whole roster again
    let mut again = e.events(MEET, &host).await;
    assert_eq!(again.bracket("participant_create").await.len(), e.emu.participants(MEET).len());
    e.emu.abort_streams();
    assert!(again.next().await.is_none());
    assert_eq!(e.emu.stats().streams_opened, 2);
}

#[tokio::test]
async fn result_spellings() {
    async fn results(spelling: ResultSpelling) -> Vec<Value> {
        let e = env(config().result_spelling(spelling)).await;
        let (host, _) = e.host().await;
        let mut out = Vec::new();
        for cmd in ["lock", "unlock", "message"] {
            let a = e.post(&e.node(MEET, cmd), &host, Some(&json!({"type": "text/plain", "payload": "x"}))).await;
            out.push(success(&a).clone());
        }
        let a = e.post(&e.node(MEET, "end_session"), &host, None).await;
        out.push(success(&a).clone());
        out
    }
    assert_eq!(results(ResultSpelling::Bool).await, vec![json!(true); 4]);
    assert_eq!(results(ResultSpelling::QuotedString).await, vec![json!("true"); 4]);
    assert_eq!(results(ResultSpelling::SingleQuoted).await, vec![json!("'true'"); 4]);
    assert_eq!(results(ResultSpelling::AsDocumented).await, vec![json!("'true'"), json!("'true'"), json!("true"), json!(true)]);
    assert_eq!(results(ResultSpelling::Rotate).await, vec![json!(true), json!("true"), json!("'true'"), json!(true)]);
}

#[tokio::test]
async fn many_sessions_refresh_concurrently() {
    let e = env(config().rooms(vec![RoomConfig::new("big@vmr.example", "9000")])).await;
    let e = std::sync::Arc::new(e);
    let mut tasks = Vec::new();
    for i in 0..200 {
        let e = std::sync::Arc::clone(&e);
        tasks.push(tokio::spawn(async move {
            let a = e
                .send(
                    Method::POST,
                    &e.node("9000", "new_session"),
                    &[("pin", "none")],
                    Some(&json!({"display_name": format!("s{i}"), "hideme": "yes"})),
                )
                .await;
            let token = success(&a)["token"].as_str().unwrap().to_owned();
            let a = e.post(&e.node("9000", "refresh_session"), &token, None).await;
            success(&a)["token"].as_str().unwrap().to_owned()
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let stats = e.emu.stats();
    assert_eq!((stats.tokens_issued, stats.tokens_refreshed, stats.live_sessions), (200, 200, 200));
    assert!(e.emu.participants("9000").is_empty(), "hidden sessions are not listed");
}

#[tokio::test]
async fn presentation_calls_start_and_take_over_the_presentation() {
    let e = env(config()).await;
    let (host, host_id) = e.host().await;
    let chair = e.emu.add_participant(MEET, DialIn::chair("Chair"));
    let mut sse = e.events(MEET, &host).await;
    sse.bracket("participant_create").await;
    let rtmp_send = json!({"call_type": "RTMP", "present": "send"});

    let a = e.post(&e.pnode(MEET, &host_id, "calls"), &host, Some(&rtmp_send)).await;
    let host_call = success(&a)["call_uuid"].as_str().unwrap().to_owned();
    assert_eq!(sse.expect("participant_update").await["has_media"], true);
    assert_eq!(sse.expect("presentation_start").await["presenter_name"], "Host");
    assert_eq!(sse.expect("participant_update").await["is_presenting"], "YES");
    assert_eq!(e.emu.room_status(MEET).unwrap().presenter.as_deref(), Some(host_id.as_str()));

    // another participant's presentation call takes over: the host's call is cut
    let a = e.post(&e.pnode(MEET, &chair, "calls"), &host, Some(&rtmp_send)).await;
    let chair_call = success(&a)["call_uuid"].as_str().unwrap().to_owned();
    assert_eq!(sse.expect("participant_update").await["uuid"], chair.as_str());
    let previous = sse.expect("participant_update").await;
    assert_eq!((previous["uuid"].as_str(), previous["is_presenting"].as_str()), (Some(host_id.as_str()), Some("NO")));
    assert_eq!(sse.expect("call_disconnected").await["call_uuid"], host_call.as_str());
    assert_eq!(sse.expect("presentation_start").await["presenter_name"], "Chair");
    assert_eq!(sse.expect("participant_update").await["is_presenting"], "YES");
    assert!(e.emu.participant(&host_id).unwrap().calls.is_empty());

    // ending the presentation call ends the presentation
    assert!(e.emu.disconnect_call(&chair_call, "stopped sharing"));
    assert_eq!(sse.expect("participant_update").await["uuid"], chair.as_str());
    sse.expect("presentation_stop").await;
    assert_eq!(sse.expect("participant_update").await["is_presenting"], "NO");
    assert_eq!(e.emu.room_status(MEET).unwrap().presenter, None);
    assert!(!e.emu.disconnect_call(&chair_call, "again"));
}

#[tokio::test]
async fn refresh_grace_keeps_the_replaced_token_for_a_while() {
    let e = env(config().refresh_grace(Duration::from_secs(60))).await;
    let (t1, _) = e.host().await;
    let refresh = |t: String| {
        let url = e.node(MEET, "refresh_session");
        let e = &e;
        async move { success(&e.post(&url, &t, None).await)["token"].as_str().unwrap().to_owned() }
    };
    let t2 = refresh(t1.clone()).await;
    success(&e.get(&e.node(MEET, "service_status"), &t1).await);
    success(&e.get(&e.node(MEET, "service_status"), &t2).await);
    let t3 = refresh(t2.clone()).await;
    assert_eq!(e.get(&e.node(MEET, "service_status"), &t1).await.status, 403, "only the last replaced token is kept");
    success(&e.get(&e.node(MEET, "service_status"), &t2).await);
    success(&e.post(&e.node(MEET, "end_session"), &t3, None).await);
    assert_eq!(e.get(&e.node(MEET, "service_status"), &t2).await.status, 403, "end_session drops both");
}

#[tokio::test]
async fn webrtc_calls_are_acked_and_disconnected_by_call_uuid() {
    let e = env(config()).await;
    let (host, _) = e.host().await;
    let (guest, guest_id) = e.session(MEET, "4321", "Guest").await;
    let terminal = e.emu.add_participant(MEET, DialIn::guest("Terminal"));
    let call = |uuid: &str, call_uuid: &str, cmd: &str| format!("{}/{call_uuid}/{cmd}", e.pnode(MEET, uuid, "calls"));
    let offer = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n";
    let a = e.post(&e.pnode(MEET, &guest_id, "calls"), &guest, Some(&json!({"call_type": "WEBRTC", "sdp": offer}))).await;
    let call_uuid = success(&a)["call_uuid"].as_str().unwrap().to_owned();
    assert!(!e.emu.participant(&guest_id).unwrap().calls[0].acked);

    // Unknown call uuids, and a known one named under another participant, are refused.
    for (uuid, c) in
        [(guest_id.as_str(), "50ed679d-c622-4c0e-b251-e217f2aa030b"), (guest_id.as_str(), "nope"), (terminal.as_str(), call_uuid.as_str())]
    {
        let a = e.post(&call(uuid, c, "ack"), &host, None).await;
        assert_eq!(success(&a), &json!(false), "{uuid} {c}");
    }
    assert_eq!(e.emu.stats().unknown_call_uuids, 3);
    assert!(!e.emu.participant(&guest_id).unwrap().calls[0].acked);

    // The participant itself may ack its own call (as may a host).
    assert_eq!(success(&e.post(&call(&guest_id, &call_uuid, "ack"), &guest, None).await), &json!(true));
    assert!(e.emu.participant(&guest_id).unwrap().calls[0].acked);
    assert_eq!(e.emu.command_count("participants/calls/ack"), 4);
    // No token: 403; wrong method: 405; unknown sub-command: 404.
    assert_eq!(e.send(Method::POST, &call(&guest_id, &call_uuid, "ack"), &[], None).await.status, 403);
    assert_eq!(e.send(Method::GET, &call(&guest_id, &call_uuid, "ack"), &[("token", host.as_str())], None).await.status, 405);
    assert_eq!(e.post(&call(&guest_id, &call_uuid, "hold"), &host, None).await.status, 404);

    // An RTMP call is not acked; it is disconnected like any sub-call.
    let a = e.post(&e.pnode(MEET, &terminal, "calls"), &host, Some(&json!({"call_type": "RTMP"}))).await;
    let rtmp = success(&a)["call_uuid"].as_str().unwrap().to_owned();
    assert_eq!(e.post(&call(&terminal, &rtmp, "ack"), &host, None).await.status, 400);

    let mut events = e.events(MEET, &guest).await;
    assert_eq!(success(&e.post(&call(&guest_id, &call_uuid, "disconnect"), &host, None).await), &json!(true));
    assert!(e.emu.participant(&guest_id).unwrap().calls.is_empty(), "the participant stays, its call is gone");
    loop {
        let (name, data) = tokio::time::timeout(Duration::from_secs(5), events.next()).await.expect("event").expect("stream open");
        if name == "call_disconnected" {
            assert_eq!(data["call_uuid"], call_uuid.as_str());
            break;
        }
    }
    // Ended: a second disconnect or ack of it is refused.
    assert_eq!(success(&e.post(&call(&guest_id, &call_uuid, "disconnect"), &host, None).await), &json!(false));
    assert_eq!(success(&e.post(&call(&guest_id, &call_uuid, "ack"), &host, None).await), &json!(false));
}
