//! Emulator of the meeting **Web 服务器 API** (the `webapi` vendor).
//!
//! Written from the vendor document (`002_fd5e4e9625976c96.txt`), not from the client
//! crate. Routes:
//!
//! - `/WebAPI/{name}` for the ten endpoints of the document. POST endpoints
//!   (`meetingcreate`, `meetingmodify`, `meetingdelete`, `meetingbindfile`,
//!   `uploadRoomPic`, `getlogininfo`, `getRoomRecord`) read their parameters from a
//!   `multipart/form-data` body only and answer `20001` (请使用 POST 请求) to any other
//!   method; GET endpoints (`getClassBeginTime`, `getmeetingfile`, `getLiveStream`) read
//!   the query string (plus a multipart body, if one is sent).
//! - `GET /h5/index.html?token=<token>`: the single-parameter join link. The emulator's
//!   own design (the real page is a web app): the token is decrypted with the configured
//!   Java and PHP key material and the answer is JSON,
//!   `{"result":0,"keys":["java"],"encoding":"java","payload":{...},"plaintext":"..."}`;
//!   `result` 4109 (Auth 不正确) when no key decrypts it, 4007 when its meeting does not
//!   exist. A valid link also logs the user into the meeting (an entry in `getlogininfo`).
//!
//! Every `/WebAPI/` call checks the company key first: missing `4101`, wrong `4102`.
//! Parameter errors use the document's codes: empty name `4003`, malformed time `4004`,
//! end not after start `4005`, chairman password not 4..=20 characters `4006` (missing:
//! `5002`), missing meeting number `5100`, unknown meeting `4007`, unknown file or missing
//! picture `4105`, too many bound files `4106`, too many meetings `4103`. Replies use the
//! document's shapes, including its inconsistencies: `serial` is a number except in
//! `meetingdelete`, `getRoomRecord` answers `code` and numbers in strings.
//!
//! The credential-expiry hook ([`Server::expire_credentials`]) makes the next call
//! answer `4102`, as if the company key had been revoked and restored.

mod state;
mod token;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use bytes::Bytes;
use serde_json::{Value, json};

pub use state::{Background, Document, LoginEntry, Meeting, Record, cst_datetime};
pub use token::{DecodedToken, TokenError, TokenKeys};

use crate::harness::Server;
use state::{Data, now_secs};

/// The document's Java example key (hex).
pub const DOC_JAVA_KEY_HEX: &str = "34b7ee4783925cfc4b5c75116f6f9de52181a450f0ad499fcc9b84e6e55fec33";
/// The document's Java example IV (hex).
pub const DOC_JAVA_IV_HEX: &str = "e116172f58fe068ba347992514110c83";
/// The document's PHP example passkey.
pub const DOC_PHP_PASSKEY: &str = "SYXCXASD";
/// The document's PHP example passphrase.
pub const DOC_PHP_PASSPHRASE: &str = "AYQTYCAXAX";

/// Endpoints answered with `multipart/form-data` POST only.
pub const POST_ENDPOINTS: &[&str] =
    &["meetingcreate", "meetingmodify", "meetingdelete", "meetingbindfile", "uploadRoomPic", "getlogininfo", "getRoomRecord"];
/// Endpoints answered with GET (query string).
pub const GET_ENDPOINTS: &[&str] = &["getClassBeginTime", "getmeetingfile", "getLiveStream"];

/// Emulator configuration.
#[derive(Clone)]
pub struct WebApiConfig {
    /// The company id every call must carry as `key`.
    pub key: String,
    /// Java-flavour token key and IV, as hex.
    pub java_key_hex: Option<(String, String)>,
    /// PHP-flavour token `passkey` and `passphrase`.
    pub php_passkey: Option<(String, String)>,
    /// Serial of the first booked meeting (then counting up).
    pub first_serial: u64,
    /// Most meetings at once (`4103` beyond).
    pub max_meetings: usize,
    /// Most documents bound to one meeting (`4106` beyond).
    pub max_files_per_meeting: usize,
    /// Host written into stream URLs (`pushurl`, `pullurl`, live streams).
    pub stream_host: String,
    /// The company's document library: `(fileid, filename)`.
    pub documents: Vec<(String, String)>,
}

impl std::fmt::Debug for WebApiConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebApiConfig")
            .field("first_serial", &self.first_serial)
            .field("max_meetings", &self.max_meetings)
            .field("max_files_per_meeting", &self.max_files_per_meeting)
            .field("stream_host", &self.stream_host)
            .field("documents", &self.documents)
            .finish_non_exhaustive()
    }
}

impl Default for WebApiConfig {
    /// Key `sandbox-company-key`, the document's example token keys, serials from
    /// 754884357, three documents (`494` `1.png`, `495` `slides.pdf`, `496` `课件.pptx`).
    fn default() -> Self {
        Self {
            key: "sandbox-company-key".into(),
            java_key_hex: Some((DOC_JAVA_KEY_HEX.into(), DOC_JAVA_IV_HEX.into())),
            php_passkey: Some((DOC_PHP_PASSKEY.into(), DOC_PHP_PASSPHRASE.into())),
            first_serial: 754_884_357,
            max_meetings: 1000,
            max_files_per_meeting: 10,
            stream_host: "live.sandbox.invalid".into(),
            documents: vec![("494".into(), "1.png".into()), ("495".into(), "slides.pdf".into()), ("496".into(), "课件.pptx".into())],
        }
    }
}

/// What the emulator counted, per endpoint name (`meetingcreate`, ..., `h5`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WebApiCounters {
    /// Requests that reached the endpoint.
    pub requests: BTreeMap<String, u64>,
    /// Requests answered with result 0.
    pub succeeded: BTreeMap<String, u64>,
    /// Requests answered with a vendor error code, by code.
    pub errors: BTreeMap<u32, u64>,
}

impl WebApiCounters {
    /// Requests that reached `endpoint`.
    pub fn requests(&self, endpoint: &str) -> u64 {
        self.requests.get(endpoint).copied().unwrap_or(0)
    }

    /// Successful requests of `endpoint`.
    pub fn succeeded(&self, endpoint: &str) -> u64 {
        self.succeeded.get(endpoint).copied().unwrap_or(0)
    }

    /// Answers with error `code`.
    pub fn errors(&self, code: u32) -> u64 {
        self.errors.get(&code).copied().unwrap_or(0)
    }
}

struct Inner {
    config: WebApiConfig,
    keys: Vec<TokenKeys>,
    data: Mutex<Data>,
    counters: Mutex<WebApiCounters>,
    key_revoked_once: AtomicBool,
}

/// The WebAPI emulator (cheap to clone, shared state).
#[derive(Clone)]
pub struct WebApiEmulator {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for WebApiEmulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebApiEmulator").field("config", &self.inner.config).finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A vendor error code.
type Code = u32;

impl WebApiEmulator {
    /// A new emulator with no meetings. Malformed Java key material is ignored (no token decodes under it).
    pub fn new(config: WebApiConfig) -> Self {
        let mut keys = Vec::new();
        if let Some((k, iv)) = &config.java_key_hex {
            keys.extend(TokenKeys::java_hex(k, iv));
        }
        if let Some((passkey, passphrase)) = &config.php_passkey {
            keys.push(TokenKeys::php(passkey, passphrase));
        }
        let mut data = Data { next_serial: config.first_serial, next_record: 1, next_pic: 1, version: 1173, ..Data::default() };
        for (id, name) in &config.documents {
            data.documents.insert(id.clone(), Document { fileid: id.clone(), filename: name.clone() });
        }
        Self {
            inner: Arc::new(Inner {
                config,
                keys,
                data: Mutex::new(data),
                counters: Mutex::new(WebApiCounters::default()),
                key_revoked_once: AtomicBool::new(false),
            }),
        }
    }

    /// Start a server on loopback with this emulator; the credential-expiry hook
    /// revokes the key for one call ([`revoke_key_once`](Self::revoke_key_once)).
    pub async fn start(config: WebApiConfig) -> std::io::Result<(Self, Server)> {
        let emu = Self::new(config);
        let server = Server::start(emu.router())?;
        let hook = emu.clone();
        server.on_expire_credentials(move || hook.revoke_key_once());
        Ok((emu, server))
    }

    /// The axum router.
    pub fn router(&self) -> Router {
        Router::new().route("/WebAPI/{name}", any(webapi)).route("/h5/index.html", get(h5)).with_state(self.clone())
    }

    /// The configuration.
    pub fn config(&self) -> &WebApiConfig {
        &self.inner.config
    }

    /// Answer the next `/WebAPI/` call with `4102` (key rejected).
    pub fn revoke_key_once(&self) {
        self.inner.key_revoked_once.store(true, Ordering::SeqCst);
    }

    /// Counters so far.
    pub fn counters(&self) -> WebApiCounters {
        lock(&self.inner.counters).clone()
    }

    /// Meetings that exist now, by serial.
    pub fn meetings(&self) -> Vec<Meeting> {
        lock(&self.inner.data).meetings.values().cloned().collect()
    }

    /// One meeting.
    pub fn meeting(&self, serial: &str) -> Option<Meeting> {
        lock(&self.inner.data).meetings.get(serial).cloned()
    }

    /// Add a document to the company library; returns its id.
    pub fn add_document(&self, filename: &str) -> String {
        let mut d = lock(&self.inner.data);
        let next = d.documents.keys().filter_map(|k| k.parse::<u64>().ok()).max().unwrap_or(0) + 1;
        let id = next.to_string();
        d.documents.insert(id.clone(), Document { fileid: id.clone(), filename: filename.to_owned() });
        id
    }

    /// Record a user entering a meeting now (`leave`: and leaving `leave` seconds later).
    pub fn log_login(&self, serial: &str, userid: &str, leave_after: Option<u64>) {
        let now = now_secs();
        let leavetime = leave_after.map(|s| cst_datetime(now + i64::try_from(s).unwrap_or(0))).unwrap_or_default();
        lock(&self.inner.data).logins.push(LoginEntry {
            serial: serial.to_owned(),
            userid: userid.to_owned(),
            entertime: cst_datetime(now),
            leavetime,
        });
    }

    /// The login log.
    pub fn logins(&self) -> Vec<LoginEntry> {
        lock(&self.inner.data).logins.clone()
    }

    /// Finish a recording of `duration` seconds for a meeting and user; returns it.
    pub fn add_record(&self, serial: &str, userid: &str, duration: u64) -> Record {
        let mut d = lock(&self.inner.data);
        let id = d.next_record;
        d.next_record += 1;
        let r = Record {
            id,
            serial: serial.to_owned(),
            userid: userid.to_owned(),
            duration,
            filepath: format!("/upload/rec{serial}/{id}/user/{userid}.mp4"),
            createtime: cst_datetime(now_secs()),
        };
        d.records.push(r.clone());
        r
    }

    /// Make `getClassBeginTime` answer `seconds` for this meeting (default: seconds since its start, at least 0).
    pub fn set_class_duration(&self, serial: &str, seconds: i64) {
        lock(&self.inner.data).durations.insert(serial.to_owned(), seconds);
    }

    /// Decode a token with the configured key material (what `/h5/index.html` does).
    pub fn decode_token(&self, token: &str) -> Result<DecodedToken, TokenError> {
        token::decode(token, &self.inner.keys)
    }

    fn count(&self, endpoint: &str, result: Result<(), Code>) {
        let mut c = lock(&self.inner.counters);
        *c.requests.entry(endpoint.to_owned()).or_default() += 1;
        match result {
            Ok(()) => *c.succeeded.entry(endpoint.to_owned()).or_default() += 1,
            Err(code) => *c.errors.entry(code).or_default() += 1,
        }
    }
}

// ---------- request parsing ----------

/// One field of a request: text, or a file part.
#[derive(Debug, Clone)]
struct Field {
    name: String,
    value: String,
    file: Option<(String, String, Bytes)>,
}

/// The parameters of one call, in order (query first, then the multipart body).
#[derive(Debug, Default)]
struct Params(Vec<Field>);

impl Params {
    fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|f| f.name == name && f.file.is_none()).map(|f| f.value.as_str())
    }

    fn all(&self, name: &str) -> Vec<&str> {
        self.0.iter().filter(|f| f.name == name && f.file.is_none()).map(|f| f.value.as_str()).collect()
    }

    fn file(&self, name: &str) -> Option<&(String, String, Bytes)> {
        self.0.iter().find(|f| f.name == name).and_then(|f| f.file.as_ref())
    }

    fn serial(&self) -> Result<&str, Code> {
        match self.get("serial").map(str::trim) {
            Some(s) if !s.is_empty() => Ok(s),
            _ => Err(5100),
        }
    }
}

async fn read_params(req: Request) -> Result<Params, Response> {
    let mut params = Params::default();
    if let Some(q) = req.uri().query() {
        for (k, v) in form_urlencoded::parse(q.as_bytes()) {
            params.0.push(Field { name: k.into_owned(), value: v.into_owned(), file: None });
        }
    }
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.to_ascii_lowercase().starts_with("multipart/form-data"));
    if !is_multipart {
        return Ok(params);
    }
    let mut mp = Multipart::from_request(req, &()).await.map_err(IntoResponse::into_response)?;
    loop {
        match mp.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or_default().to_owned();
                let filename = field.file_name().map(str::to_owned);
                let content_type = field.content_type().unwrap_or("application/octet-stream").to_owned();
                let bytes = field.bytes().await.map_err(|e| (StatusCode::BAD_REQUEST, e.body_text()).into_response())?;
                match filename {
                    Some(f) => params.0.push(Field { name, value: String::new(), file: Some((f, content_type, bytes)) }),
                    None => params.0.push(Field { name, value: String::from_utf8_lossy(&bytes).into_owned(), file: None }),
                }
            }
            Ok(None) => break,
            Err(e) => return Err((StatusCode::BAD_REQUEST, format!("malformed multipart body: {}", e.body_text())).into_response()),
        }
    }
    Ok(params)
}

fn answer(v: Value) -> Response {
    (StatusCode::OK, [(header::CONTENT_TYPE, "application/json; charset=utf-8")], v.to_string()).into_response()
}

fn error(code: Code) -> Value {
    json!({ "result": code })
}

// ---------- /WebAPI/{name} ----------

async fn webapi(State(emu): State<WebApiEmulator>, Path(name): Path<String>, req: Request) -> Response {
    let post_only = POST_ENDPOINTS.contains(&name.as_str());
    if !post_only && !GET_ENDPOINTS.contains(&name.as_str()) {
        return (StatusCode::NOT_FOUND, format!("no such WebAPI endpoint: {name}")).into_response();
    }
    let method = req.method().clone();
    if post_only && method != Method::POST {
        emu.count(&name, Err(20001));
        return answer(error(20001));
    }
    let params = match read_params(req).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let result = emu.check_key(&params).and_then(|()| emu.dispatch(&name, &params));
    emu.count(&name, result.as_ref().map(|_| ()).map_err(|c| *c));
    match result {
        Ok(v) => answer(v),
        Err(code) if name == "getRoomRecord" => answer(json!({ "code": code })),
        Err(code) => answer(error(code)),
    }
}

fn parse_time(text: Option<&str>) -> Result<Option<i64>, Code> {
    match text.map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) if t.bytes().all(|b| b.is_ascii_digit()) && t.len() <= 12 => t.parse().map(Some).map_err(|_| 4004),
        Some(_) => Err(4004),
    }
}

fn check_pwd(pwd: &str) -> Result<(), Code> {
    let n = pwd.chars().count();
    if (4..=20).contains(&n) { Ok(()) } else { Err(4006) }
}

impl WebApiEmulator {
    fn check_key(&self, params: &Params) -> Result<(), Code> {
        let key = params.get("key").map_or("", str::trim);
        if key.is_empty() {
            return Err(4101);
        }
        if self.inner.key_revoked_once.swap(false, Ordering::SeqCst) || key != self.inner.config.key {
            return Err(4102);
        }
        Ok(())
    }

    fn dispatch(&self, name: &str, p: &Params) -> Result<Value, Code> {
        let mut d = lock(&self.inner.data);
        match name {
            "meetingcreate" => self.create(&mut d, p),
            "meetingmodify" => modify(&mut d, p),
            "meetingdelete" => {
                let serial = p.serial()?;
                d.meetings.remove(serial).ok_or(4007_u32)?;
                d.version += 1;
                Ok(json!({ "version": d.version, "serial": serial, "result": 0 }))
            }
            "getClassBeginTime" => {
                let serial = p.serial()?;
                let m = d.meetings.get(serial).ok_or(4007_u32)?;
                let duration = d.durations.get(serial).copied().unwrap_or_else(|| (now_secs() - m.start).max(0));
                Ok(json!({ "result": 0, "serial": m.serial, "duration": duration }))
            }
            "meetingbindfile" => self.bind(&mut d, p),
            "uploadRoomPic" => upload_pic(&mut d, p),
            "getmeetingfile" => {
                let m = d.meetings.get(p.serial()?).ok_or(4007_u32)?;
                let files: Vec<Value> = m
                    .files
                    .iter()
                    .filter_map(|id| d.documents.get(id))
                    .map(|doc| json!({ "fileid": doc.fileid, "filename": doc.filename, "downloadpath": doc.downloadpath(), "filetype": doc.filetype() }))
                    .collect();
                Ok(json!({ "result": 0, "meetingfile": files }))
            }
            "getLiveStream" => {
                let only = p.get("serial").map(str::trim).filter(|s| !s.is_empty());
                if let Some(s) = only {
                    d.meetings.get(s).ok_or(4007_u32)?;
                }
                let host = &self.inner.config.stream_host;
                let live: Vec<&Meeting> =
                    d.meetings.values().filter(|m| m.live && only.is_none_or(|s| s == m.serial.to_string())).collect();
                let cdn: Vec<Value> = live
                    .iter()
                    .map(|m| json!({ "serial": m.serial.to_string(), "pullUrl": format!("{host}/live/{}.m3u8", m.serial) }))
                    .collect();
                let server: Vec<Value> = live
                    .iter()
                    .map(|m| json!({ "serial": m.serial.to_string(), "pullUrl": format!("{host}/hls/{}.m3u8", m.serial) }))
                    .collect();
                Ok(json!({ "result": 0, "cdnStreams": cdn, "serverStreams": server }))
            }
            "getlogininfo" => {
                let serial = p.serial()?;
                d.meetings.get(serial).ok_or(4007_u32)?;
                let log: Vec<Value> = d
                    .logins
                    .iter()
                    .filter(|l| l.serial == serial)
                    .map(|l| json!({ "userid": l.userid, "entertime": l.entertime, "serial": l.serial, "leavetime": l.leavetime }))
                    .collect();
                Ok(json!({ "result": 0, "logininfo": log }))
            }
            "getRoomRecord" => {
                let serial = p.get("serial").map(str::trim).filter(|s| !s.is_empty());
                let userid = p.get("userid").map(str::trim).filter(|s| !s.is_empty());
                let records: Vec<Value> = d
                    .records
                    .iter()
                    .filter(|r| serial.is_none_or(|s| s == r.serial) && userid.is_none_or(|u| u == r.userid))
                    .map(|r| {
                        json!({ "id": r.id.to_string(), "serial": r.serial, "duration": r.duration.to_string(), "filepath": r.filepath, "createtime": r.createtime })
                    })
                    .collect();
                Ok(json!({ "code": 0, "records": records }))
            }
            _ => Err(9999),
        }
    }

    fn create(&self, d: &mut Data, p: &Params) -> Result<Value, Code> {
        let name = p.get("meetingname").map_or("", str::trim);
        if name.is_empty() {
            return Err(4003);
        }
        let start = parse_time(p.get("starttime"))?.ok_or(4004_u32)?;
        let end = parse_time(p.get("endtime"))?;
        if end.is_some_and(|e| e <= start) {
            return Err(4005);
        }
        let pwd = p.get("chairmanpwd").ok_or(5002_u32)?;
        check_pwd(pwd)?;
        if d.meetings.len() >= self.inner.config.max_meetings {
            return Err(4103);
        }
        let serial = d.next_serial;
        d.next_serial += 1;
        d.version += 1;
        let roomid = format!("{:024x}", u128::from(serial) * 0x9e37_79b9_7f4a_7c15 % (1u128 << 96));
        let live = p.get("islive").map(str::trim) == Some("1");
        d.meetings.insert(
            serial.to_string(),
            Meeting {
                serial,
                name: name.to_owned(),
                start,
                end,
                chairman_pwd: pwd.to_owned(),
                live,
                roomid: roomid.clone(),
                files: Vec::new(),
                background: None,
                modifications: 0,
            },
        );
        let host = &self.inner.config.stream_host;
        Ok(json!({
            "version": d.version,
            "serial": serial,
            "roomid": roomid,
            "sig": format!("sig{serial:x}{:x}", start),
            "pushurl": format!("{host}/app/{serial}?auth_key={}-0-0-{serial:032x}", end.unwrap_or(start + 86_400)),
            "pullurl": format!("{host}/live/{serial}.m3u8?auth_key={}-0-0-{serial:032x}", end.unwrap_or(start + 86_400)),
            "pullurl2": format!("{host}/hls/{serial}.m3u8"),
            "recordpath": format!("/upload/{serial}.mp4"),
            "result": 0
        }))
    }

    fn bind(&self, d: &mut Data, p: &Params) -> Result<Value, Code> {
        let serial = p.serial()?.to_owned();
        if !d.meetings.contains_key(&serial) {
            return Err(4007);
        }
        let ids: Vec<String> = p.all("fileidarr[]").into_iter().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect();
        if ids.is_empty() || ids.iter().any(|id| !d.documents.contains_key(id)) {
            return Err(4105);
        }
        let max = self.inner.config.max_files_per_meeting;
        let m = d.meetings.get_mut(&serial).ok_or(4007_u32)?;
        let mut files = m.files.clone();
        for id in ids {
            if !files.contains(&id) {
                files.push(id);
            }
        }
        if files.len() > max {
            return Err(4106);
        }
        m.files = files;
        Ok(json!({ "result": 0 }))
    }
}

fn modify(d: &mut Data, p: &Params) -> Result<Value, Code> {
    let serial = p.serial()?.to_owned();
    let m = d.meetings.get(&serial).ok_or(4007_u32)?;
    let start = parse_time(p.get("starttime"))?.ok_or(4004_u32)?;
    let end = parse_time(p.get("endtime"))?;
    if end.is_some_and(|e| e <= start) {
        return Err(4005);
    }
    let name = match p.get("meetingname") {
        Some(n) if n.trim().is_empty() => return Err(4003),
        Some(n) => n.trim().to_owned(),
        None => m.name.clone(),
    };
    if let Some(pwd) = p.get("chairmanpwd") {
        check_pwd(pwd)?;
    }
    let m = d.meetings.get_mut(&serial).ok_or(4007_u32)?;
    m.name = name;
    m.start = start;
    m.end = end;
    if let Some(pwd) = p.get("chairmanpwd") {
        pwd.clone_into(&mut m.chairman_pwd);
    }
    m.modifications += 1;
    let serial = m.serial;
    d.version += 1;
    Ok(json!({ "result": 0, "serial": serial }))
}

fn upload_pic(d: &mut Data, p: &Params) -> Result<Value, Code> {
    let serial = p.serial()?.to_owned();
    if !d.meetings.contains_key(&serial) {
        return Err(4007);
    }
    let (filename, content_type, bytes) = p.file("filedata").ok_or(4105_u32)?;
    if bytes.is_empty() || !content_type.starts_with("image/") {
        return Err(4105);
    }
    let n = d.next_pic;
    d.next_pic += 1;
    let ext = filename.rsplit_once('.').map_or_else(|| "png".into(), |(_, e)| e.to_ascii_lowercase());
    let stamp: String = cst_datetime(now_secs()).chars().filter(char::is_ascii_digit).collect();
    let letters: String = format!("{n:08}").bytes().map(|b| char::from(b'a' + (b - b'0'))).collect();
    let pic_path = format!("/uploads/{}_{}_{letters}.{ext}", &stamp[..8], &stamp[8..]);
    let m = d.meetings.get_mut(&serial).ok_or(4007_u32)?;
    m.background = Some(Background {
        filename: filename.clone(),
        content_type: content_type.clone(),
        bytes: bytes.clone(),
        pic_path: pic_path.clone(),
    });
    Ok(json!({ "result": 0, "picPath": pic_path }))
}

// ---------- /h5/index.html?token= ----------

async fn h5(State(emu): State<WebApiEmulator>, req: Request) -> Response {
    let token = req
        .uri()
        .query()
        .and_then(|q| form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == "token").map(|(_, v)| v.into_owned()))
        .unwrap_or_default();
    let result = emu.join_by_token(&token);
    emu.count("h5", result.as_ref().map(|_| ()).map_err(|c| *c));
    answer(result.unwrap_or_else(error))
}

impl WebApiEmulator {
    fn join_by_token(&self, token: &str) -> Result<Value, Code> {
        let decoded = self.decode_token(token).map_err(|_| 4109_u32)?;
        let field = |k: &str| decoded.payload.get(k).and_then(Value::as_str).map_or("", str::trim).to_owned();
        let (serial, userid, role) = (field("serial"), field("userid"), field("joinRole"));
        if serial.is_empty() {
            return Err(5100);
        }
        if userid.is_empty() {
            return Err(7001);
        }
        // `username` (昵称) is required, i.e. present: an empty nickname is a value, as
        // the document's reference code encrypts it.
        if !decoded.payload.get("username").is_some_and(Value::is_string) {
            return Err(5205);
        }
        if !matches!(role.as_str(), "presenter" | "speaker" | "chairman") {
            return Err(5207);
        }
        if !lock(&self.inner.data).meetings.contains_key(&serial) {
            return Err(4007);
        }
        self.log_login(&serial, &userid, None);
        Ok(json!({
            "result": 0,
            "keys": decoded.keys,
            "encoding": decoded.encoding,
            "payload": Value::Object(decoded.payload),
            "plaintext": decoded.plaintext,
        }))
    }
}
