//! The REST side: request parsing, authentication and the platform's resources.

use std::collections::HashMap;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State as AxState;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::time::Instant;

use super::inventory::{Endpoint, Lookup, lookup};
use super::state::{Conference, Template, Terminal};
use super::validate::{Problems, validate};
use super::{APP_REJECTED, BAD_PARAMS, MoyunEmulator, NO_SUCH_CONF, NO_SUCH_MT, NOT_LOGGED_IN, TOKEN_REJECTED, WRONG_PASSWORD};
use crate::harness::sse::StreamAborted;

pub(crate) fn router(emu: MoyunEmulator) -> Router {
    Router::new().fallback(dispatch).with_state(emu)
}

/// One parsed request.
pub(crate) struct Req {
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) query: HashMap<String, String>,
    pub(crate) form: HashMap<String, String>,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    /// Names of the file parts of a multipart body.
    pub(crate) files: Vec<String>,
}

impl Req {
    fn param(&self, name: &str) -> Option<&str> {
        self.form.get(name).or_else(|| self.query.get(name)).map(String::as_str)
    }

    pub(crate) fn cookie(&self, name: &str) -> Option<String> {
        self.headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|kv| {
            let (k, v) = kv.trim().split_once('=')?;
            (k == name).then(|| v.to_string())
        })
    }

    fn debug(&self) -> bool {
        self.query.get("debug").is_some_and(|v| v == "1")
    }

    /// The `params` JSON (form field, or query string for GET).
    fn params(&self) -> Result<Value, Response> {
        match self.param("params") {
            None | Some("") => Ok(json!({})),
            Some(text) => serde_json::from_str(text).map_err(|e| fail_with(BAD_PARAMS, &format!("params is not JSON: {e}"))),
        }
    }
}

pub(crate) fn reply(value: Value) -> Response {
    let mut resp = (StatusCode::OK, value.to_string()).into_response();
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=UTF-8"));
    resp
}

pub(crate) fn ok(mut extra: Value) -> Response {
    if let Some(obj) = extra.as_object_mut() {
        obj.insert("success".into(), json!(1));
    }
    reply(extra)
}

pub(crate) fn fail(code: u32) -> Response {
    reply(json!({"success": 0, "error_code": code}))
}

fn fail_with(code: u32, description: &str) -> Response {
    reply(json!({"success": 0, "error_code": code, "description": description}))
}

/// Whether a content type declares `charset=utf-8` (any case, quoted or not).
fn declares_utf8(content_type: &str) -> bool {
    content_type.split(';').skip(1).any(|p| {
        p.split_once('=')
            .is_some_and(|(k, v)| k.trim().eq_ignore_ascii_case("charset") && v.trim().trim_matches('"').eq_ignore_ascii_case("utf-8"))
    })
}

/// The document wants every form as `application/x-www-form-urlencoded;charset=utf-8`:
/// a form without the charset would decode Chinese names in the container's default.
fn charset_missing(content_type: &str) -> Response {
    let description = format!(
        "form request without charset=utf-8 (Content-Type `{content_type}`); the platform requires \
         `application/x-www-form-urlencoded;charset=utf-8`"
    );
    let mut resp =
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, json!({"success": 0, "error_code": BAD_PARAMS, "description": description}).to_string())
            .into_response();
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=UTF-8"));
    resp
}

fn parse_pairs(text: &str) -> HashMap<String, String> {
    form_urlencoded::parse(text.as_bytes()).into_owned().collect()
}

async fn dispatch(AxState(emu): AxState<MoyunEmulator>, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let query = uri.query().map(parse_pairs).unwrap_or_default();
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let is_form = content_type.starts_with("application/x-www-form-urlencoded");
    if is_form && !declares_utf8(content_type) {
        return charset_missing(content_type);
    }
    let (form, files) = if is_form {
        (parse_pairs(&String::from_utf8_lossy(&body)), Vec::new())
    } else if let Some(boundary) = super::multipart::boundary(content_type) {
        super::multipart::parse(&body, &boundary)
    } else {
        (HashMap::new(), Vec::new())
    };
    let mut req = Req { method, path: uri.path().to_string(), query, form, headers, body, files };
    if req.path == "/api/v1/publish" || req.path.starts_with("/api/v1/publish/") {
        return super::cometd::handle(&emu, &req).await;
    }
    // `_method` turns a POST into the PUT or DELETE the server cannot take directly.
    if req.method == Method::POST {
        if let Some(m) = req.form.get("_method").and_then(|m| Method::from_bytes(m.to_ascii_uppercase().as_bytes()).ok()) {
            req.method = m;
        }
    }
    let segs: Vec<String> = req.path.trim_matches('/').split('/').map(str::to_string).collect();
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    if let ("GET", ["api", app, "version"]) = (req.method.as_str(), segs.as_slice()) {
        return version(&emu, &req, app);
    }
    // Everything else must be an endpoint of the vendor inventory, and available at the
    // app's current API level, before credentials are even looked at.
    let (ep, vars) = match lookup(&req.method, &req.path) {
        Lookup::Found(ep, vars) => (ep, vars),
        Lookup::WrongMethod(allowed) => return method_not_allowed(&req, &allowed),
        Lookup::Unknown => return not_found(&req),
    };
    if ep.is_version() {
        // the VRS document's `/api/vrs/ver2sion`
        return version(&emu, &req, &ep.app);
    }
    let level = emu.state().levels.get(&ep.app).copied().unwrap_or(emu.inner.config.default_level);
    if level < ep.min_level {
        return below_level(&req, ep, level);
    }
    match (req.method.as_str(), segs.as_slice()) {
        ("POST", ["api", "v1", "system", "token"]) => token(&emu, &req),
        ("POST", ["api", "v1", "system", "login"]) => login(&emu, &req),
        ("POST", ["api", "v1", "system", "token", tok, "heartbeat"]) => token_heartbeat(&emu, tok),
        _ => {
            if req.method == Method::POST && req.path == "/api/v1/system/heartbeat" {
                emu.state().counters.user_heartbeats += 1;
            }
            if let Err(resp) = authenticate(&emu, &req) {
                return resp;
            }
            if let Some(resp) = injected(&emu, &req.path) {
                return resp;
            }
            match route(&emu, &req, segs.as_slice()) {
                Ok(resp) if req.debug() => resp,
                Ok(resp) => complete(resp, ep, &vars).await,
                Err(params) => generic(&emu, &req, ep, &vars, &params),
            }
        }
    }
}

/// A modelled endpoint's success reply with every field the inventory lists (missing ones added).
async fn complete(resp: Response, ep: &Endpoint, vars: &[(String, String)]) -> Response {
    if resp.status() != StatusCode::OK {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return broken();
    };
    let mut value: Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(_) => return Response::from_parts(parts, Body::from(bytes)),
    };
    if value.get("success") == Some(&json!(1)) {
        super::generic::complete(ep, vars, &mut value);
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(value.to_string()))
}

fn status_reply(status: StatusCode, code: u16, description: &str) -> Response {
    let body = json!({"success": 0, "error_code": code, "description": description});
    let mut resp = (status, body.to_string()).into_response();
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=UTF-8"));
    resp
}

/// HTTP 404 for a path no endpoint of the inventory has (never a credential code).
fn not_found(req: &Req) -> Response {
    status_reply(
        StatusCode::NOT_FOUND,
        404,
        &format!("moyun emulator: no endpoint {} {} in the platform's inventory", req.method, req.path),
    )
}

/// HTTP 405 for a known path asked with another method.
fn method_not_allowed(req: &Req, allowed: &[Method]) -> Response {
    let list: Vec<&str> = allowed.iter().map(Method::as_str).collect();
    let mut resp = status_reply(
        StatusCode::METHOD_NOT_ALLOWED,
        405,
        &format!("moyun emulator: {} is not allowed on {} (allowed: {})", req.method, req.path, list.join(", ")),
    );
    if let Ok(v) = HeaderValue::from_str(&list.join(", ")) {
        resp.headers_mut().insert(header::ALLOW, v);
    }
    resp
}

/// HTTP 404 for an endpoint the app does not have at its current API level.
fn below_level(req: &Req, ep: &Endpoint, level: u32) -> Response {
    status_reply(
        StatusCode::NOT_FOUND,
        404,
        &format!(
            "moyun emulator: {} {} needs API level {} of app `{}`, which is at level {level}",
            req.method, req.path, ep.min_level, ep.app
        ),
    )
}

/// An endpoint the emulator does not model: checked against the inventory, answered from it.
fn generic(emu: &MoyunEmulator, req: &Req, ep: &Endpoint, vars: &[(String, String)], params: &Value) -> Response {
    let get = |name: &str| req.param(name).map(str::to_string);
    let problems = super::generic::check(ep, get, |name| req.files.iter().any(|f| f == name), params);
    if req.debug() && req.method != Method::GET {
        let mut body = json!({"success": 1});
        body[emu.inner.config.debug_key.as_str()] = problems.to_json();
        return reply(body);
    }
    if let Some(p) = problems.first() {
        return fail_with(BAD_PARAMS, &p);
    }
    // Calls on a running conference (and one of its terminals) need it to exist.
    if ep.uri.starts_with("/api/v1/vc/confs/{conf_id}") {
        let var = |n: &str| vars.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
        let st = emu.state();
        let Some(conf) = var("conf_id").and_then(|id| st.confs.get(id)) else {
            return fail(NO_SUCH_CONF);
        };
        if let Some(mt) = var("mt_id") {
            if !conf.terminals.iter().any(|t| t.mt_id == mt) {
                return fail(NO_SUCH_MT);
            }
        }
    }
    reply(super::generic::reply(ep, vars, get))
}

fn version(emu: &MoyunEmulator, req: &Req, app: &str) -> Response {
    let mut st = emu.state();
    st.counters.version_requests += 1;
    st.api_levels_seen.push(req.headers.get("api-level").and_then(|v| v.to_str().ok()).map(str::to_string));
    let level = st.levels.get(app).copied().unwrap_or(emu.inner.config.default_level);
    reply(json!({"success": 1, "version": emu.inner.config.version, "api_level": level}))
}

fn token(emu: &MoyunEmulator, req: &Req) -> Response {
    let cfg = &emu.inner.config;
    let mut st = emu.state();
    st.counters.token_requests += 1;
    if req.param("oauth_consumer_key") != Some(cfg.app_key.as_str()) || req.param("oauth_consumer_secret") != Some(cfg.app_secret.as_str())
    {
        return fail(APP_REJECTED);
    }
    let n = st.next();
    let tok = format!("{:032x}", u128::from(n) * 0x9e37_79b9_7f4a_7c15 + u128::from(n));
    st.tokens.insert(tok.clone(), Instant::now());
    st.counters.tokens_issued += 1;
    reply(json!({"success": 1, "account_token": tok}))
}

/// Whether `token` is known and fresh; refreshes it.
fn touch_token(emu: &MoyunEmulator, st: &mut super::state::State, token: &str) -> bool {
    let ttl = emu.inner.config.token_ttl;
    match st.tokens.get_mut(token) {
        Some(at) if at.elapsed() < ttl => {
            *at = Instant::now();
            true
        }
        Some(_) => {
            st.tokens.remove(token);
            false
        }
        None => false,
    }
}

fn login(emu: &MoyunEmulator, req: &Req) -> Response {
    let cfg = &emu.inner.config;
    let mut st = emu.state();
    st.counters.logins += 1;
    if !touch_token(emu, &mut st, req.param("account_token").unwrap_or("")) {
        st.counters.token_rejections += 1;
        return fail(TOKEN_REJECTED);
    }
    let user = req.param("username").unwrap_or("");
    if cfg.users.get(user).map(String::as_str) != Some(req.param("password").unwrap_or("\u{0}")) {
        return fail(WRONG_PASSWORD);
    }
    let n = st.next();
    let cookie = format!("{:08x}-9033-4317-8fe5-{:012x}", n, u64::from(n as u32).wrapping_mul(0x5bd1_e995));
    st.sessions.insert(cookie.clone(), (user.to_string(), Instant::now()));
    st.counters.logins_ok += 1;
    let mut resp = reply(json!({"success": 1, "username": user}));
    let mut set = format!("SSO_COOKIE_KEY={cookie};");
    if let Some(p) = &cfg.cookie_path {
        set.push_str(&format!(" Path={p}"));
    }
    if let Ok(v) = HeaderValue::from_str(&set) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    resp
}

fn token_heartbeat(emu: &MoyunEmulator, token: &str) -> Response {
    let mut st = emu.state();
    st.counters.token_heartbeats += 1;
    if touch_token(emu, &mut st, token) {
        reply(json!({"success": 1}))
    } else {
        st.counters.token_rejections += 1;
        fail(TOKEN_REJECTED)
    }
}

/// Check token then session (refreshing both); count the call.
pub(crate) fn authenticate(emu: &MoyunEmulator, req: &Req) -> Result<String, Response> {
    let ttl = emu.inner.config.session_ttl;
    let mut st = emu.state();
    st.api_levels_seen.push(req.headers.get("api-level").and_then(|v| v.to_str().ok()).map(str::to_string));
    if !touch_token(emu, &mut st, req.param("account_token").unwrap_or("")) {
        st.counters.token_rejections += 1;
        return Err(fail(TOKEN_REJECTED));
    }
    let cookie = req.cookie("SSO_COOKIE_KEY").unwrap_or_default();
    let user = match st.sessions.get_mut(&cookie) {
        Some((user, at)) if at.elapsed() < ttl => {
            *at = Instant::now();
            user.clone()
        }
        _ => {
            st.sessions.remove(&cookie);
            st.counters.session_rejections += 1;
            return Err(fail(NOT_LOGGED_IN));
        }
    };
    st.counters.authenticated_calls += 1;
    Ok(user)
}

fn injected(emu: &MoyunEmulator, path: &str) -> Option<Response> {
    let mut st = emu.state();
    let i = st.injections.iter().position(|i| i.remaining > 0 && path.starts_with(&i.path_prefix))?;
    st.injections[i].remaining -= 1;
    let code = st.injections[i].code;
    st.injections.retain(|i| i.remaining > 0);
    st.counters.injected_errors += 1;
    Some(fail(code))
}

fn int(v: &Value, key: &str, default: i64) -> i64 {
    match v.get(key) {
        Some(Value::Number(n)) => n.as_i64().unwrap_or(default),
        Some(Value::String(s)) => s.trim().parse().unwrap_or(default),
        _ => default,
    }
}

fn text(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

fn paged(items: Vec<Value>, req: &Req) -> (usize, Vec<Value>) {
    let total = items.len();
    let start = req.param("start").and_then(|s| s.parse::<usize>().ok()).unwrap_or(0);
    let count = req.param("count").and_then(|s| s.parse::<usize>().ok()).unwrap_or(10);
    let take = if count == 0 { usize::MAX } else { count };
    (total, items.into_iter().skip(start).take(take).collect())
}

/// Validate `params` for `what`; in debug mode answer the problems, else fail on the first.
fn check(emu: &MoyunEmulator, req: &Req, what: &str, params: &Value) -> Result<(), Response> {
    let problems: Problems = validate(what, params);
    if req.debug() {
        let mut body = json!({"success": 1});
        body[emu.inner.config.debug_key.as_str()] = problems.to_json();
        return Err(reply(body));
    }
    match problems.first() {
        Some(p) => Err(fail_with(BAD_PARAMS, &p)),
        None => Ok(()),
    }
}

/// The modelled endpoints; `Err(params)` for the others.
fn route(emu: &MoyunEmulator, req: &Req, segs: &[&str]) -> Result<Response, Value> {
    let params = match req.params() {
        Ok(p) => p,
        Err(r) => return Ok(r),
    };
    Ok(match (req.method.as_str(), segs) {
        ("POST", ["api", "v1", "system", "heartbeat"]) => ok(json!({})),
        ("POST", ["api", "v1", "mc", "confs"]) => create_conf(emu, req, &params),
        ("DELETE", ["api", "v1", "mc", "confs", id]) => end_conf(emu, id),
        ("GET", ["api", "v1", "vc", "confs"]) => {
            let domain = emu.inner.config.domain_id.clone();
            let items: Vec<Value> = emu.state().confs.values().map(|c| c.to_json(&domain)).collect();
            let (total, confs) = paged(items, req);
            ok(json!({"total": total, "confs": confs}))
        }
        ("GET", ["api", "v1", "vc", "confs", id]) => {
            let domain = emu.inner.config.domain_id.clone();
            match emu.state().confs.get(*id) {
                Some(c) => ok(c.to_json(&domain)),
                None => fail(NO_SUCH_CONF),
            }
        }
        ("GET", ["api", "v1", "vc", "confs", id, "mts"] | ["api", "v1", "vc", "confs", id, "cascades", "0", "mts"]) => {
            match emu.state().confs.get(*id) {
                Some(c) => ok(json!({"mts": c.terminals.iter().map(Terminal::to_json).collect::<Vec<_>>()})),
                None => fail(NO_SUCH_CONF),
            }
        }
        ("GET", ["api", "v1", "vc", "confs", id, "mts", mt]) => match emu.state().confs.get(*id) {
            Some(c) => match c.terminals.iter().find(|t| t.mt_id == *mt) {
                Some(t) => ok(t.to_json()),
                None => fail(NO_SUCH_MT),
            },
            None => fail(NO_SUCH_CONF),
        },
        ("POST", ["api", "v1", "vc", "confs", id, "mts"]) => add_mts(emu, req, id, &params),
        ("DELETE", ["api", "v1", "vc", "confs", id, "mts"]) => remove_mts(emu, req, id, &params),
        ("PUT", ["api", "v1", "vc", "confs", id, "mts", mt, what @ ("mute" | "silence")]) => mt_switch(emu, req, id, mt, what, &params),
        ("PUT", ["api", "v1", "vc", "confs", id, what @ ("mute" | "silence")]) => conf_switch(emu, req, id, what, &params),
        ("GET", ["api", "v1", "vc", "confs", id, role @ ("chairman" | "speaker")]) => match emu.state().confs.get(*id) {
            Some(c) => ok(json!({"mt_id": if *role == "chairman" { &c.chairman } else { &c.speaker }})),
            None => fail(NO_SUCH_CONF),
        },
        ("PUT", ["api", "v1", "vc", "confs", id, role @ ("chairman" | "speaker")]) => set_role(emu, req, id, role, &params),
        ("GET", ["api", "v1", "mc", "personal_templates"]) => {
            let items: Vec<Value> = emu
                .state()
                .templates
                .values()
                .map(|t| {
                    let mut v = t.params.clone();
                    v["template_id"] = json!(t.template_id);
                    v["name"] = json!(t.name);
                    v
                })
                .collect();
            let (total, templates) = paged(items, req);
            ok(json!({"total": total, "personal_templates": templates}))
        }
        ("GET", ["api", "v1", "mc", "personal_templates", id]) => match emu.state().templates.get(*id) {
            Some(t) => {
                let mut v = t.params.clone();
                v["template_id"] = json!(t.template_id);
                ok(v)
            }
            None => fail(BAD_PARAMS),
        },
        ("POST", ["api", "v1", "mc", "personal_templates"]) => {
            if let Err(r) = check(emu, req, "personal_template", &params) {
                return Ok(r);
            }
            let mut st = emu.state();
            let id = format!("{:x}", 0x5a00_0000 + st.next());
            st.templates.insert(id.clone(), Template { template_id: id.clone(), name: text(&params, "name"), params: params.clone() });
            ok(json!({"template_id": id, "description": "操作成功"}))
        }
        _ => return Err(params),
    })
}

fn domain_channel(emu: &MoyunEmulator, relative: &str) -> String {
    format!("/userdomains/{}{relative}", emu.inner.config.domain_id)
}

fn create_conf(emu: &MoyunEmulator, req: &Req, params: &Value) -> Response {
    if let Err(r) = check(emu, req, "conf", params) {
        return r;
    }
    let mut st = emu.state();
    let n = st.next();
    let conf_id = format!("{}", 1_118_985 + n);
    let conf = Conference {
        conf_id: conf_id.clone(),
        name: text(params, "name"),
        duration: int(params, "duration", 240),
        bitrate: int(params, "bitrate", 2048),
        create_type: int(params, "create_type", 1),
        terminals: Vec::new(),
        chairman: String::new(),
        speaker: String::new(),
        mute: int(params, "mute", 0) == 1,
        silence: int(params, "silence", 0) == 1,
        params: params.clone(),
        next_mt: 0,
    };
    st.confs.insert(conf_id.clone(), conf);
    let ch = domain_channel(emu, &format!("/confs/{conf_id}"));
    st.publish(&ch, &json!({"method": "update"}));
    ok(json!({"conf_id": conf_id, "meeting_id": n.to_string(), "description": "操作成功"}))
}

fn end_conf(emu: &MoyunEmulator, id: &str) -> Response {
    let mut st = emu.state();
    if st.confs.remove(id).is_none() {
        return fail(NO_SUCH_CONF);
    }
    let ch = domain_channel(emu, &format!("/confs/{id}"));
    st.publish(&ch, &json!({"method": "delete"}));
    ok(json!({"description": "操作成功"}))
}

fn add_mts(emu: &MoyunEmulator, req: &Req, id: &str, params: &Value) -> Response {
    if let Err(r) = check(emu, req, "add_mts", params) {
        return r;
    }
    let mut st = emu.state();
    let Some(conf) = st.confs.get_mut(id) else {
        return fail(NO_SUCH_CONF);
    };
    let mut added = Vec::new();
    for m in params.get("mts").and_then(Value::as_array).into_iter().flatten() {
        conf.next_mt += 1;
        let t = Terminal {
            mt_id: conf.next_mt.to_string(),
            account: text(m, "account"),
            account_type: int(m, "account_type", 5),
            bitrate: int(m, "bitrate", 2048),
            protocol: int(m, "protocol", 0),
            online: true,
            mute: conf.mute,
            silence: conf.silence,
        };
        added.push(t.clone());
        conf.terminals.push(t);
    }
    let reply_mts: Vec<Value> = added
        .iter()
        // The document's example answers `mt_id` as a number here (a string elsewhere).
        .map(
            |t| json!({"account": t.account, "account_type": t.account_type, "protocol": t.protocol, "mt_id": t.mt_id.parse::<u64>().ok()}),
        )
        .collect();
    for t in &added {
        let ch = domain_channel(emu, &format!("/confs/{id}/cascades/0/mts/{}", t.mt_id));
        st.publish(&ch, &json!({"method": "update"}));
    }
    ok(json!({"mts": reply_mts}))
}

fn remove_mts(emu: &MoyunEmulator, req: &Req, id: &str, params: &Value) -> Response {
    if let Err(r) = check(emu, req, "remove_mts", params) {
        return r;
    }
    let mut st = emu.state();
    let Some(conf) = st.confs.get_mut(id) else {
        return fail(NO_SUCH_CONF);
    };
    let ids: Vec<String> = params.get("mts").and_then(Value::as_array).into_iter().flatten().map(|m| text(m, "mt_id")).collect();
    if let Some(missing) = ids.iter().find(|m| !conf.terminals.iter().any(|t| &t.mt_id == *m)) {
        return fail_with(NO_SUCH_MT, &format!("no terminal {missing}"));
    }
    conf.terminals.retain(|t| !ids.contains(&t.mt_id));
    for mt in &ids {
        let ch = domain_channel(emu, &format!("/confs/{id}/cascades/0/mts/{mt}"));
        st.publish(&ch, &json!({"method": "delete"}));
    }
    ok(json!({}))
}

fn mt_switch(emu: &MoyunEmulator, req: &Req, id: &str, mt: &str, what: &str, params: &Value) -> Response {
    if let Err(r) = check(emu, req, "switch", params) {
        return r;
    }
    let on = int(params, "value", 0) == 1;
    let mut st = emu.state();
    let Some(conf) = st.confs.get_mut(id) else {
        return fail(NO_SUCH_CONF);
    };
    let Some(t) = conf.terminal_mut(mt) else {
        return fail(NO_SUCH_MT);
    };
    if what == "mute" {
        t.mute = on;
    } else {
        t.silence = on;
    }
    let ch = domain_channel(emu, &format!("/confs/{id}/cascades/0/mts/{mt}"));
    st.publish(&ch, &json!({"method": "update"}));
    ok(json!({}))
}

fn conf_switch(emu: &MoyunEmulator, req: &Req, id: &str, what: &str, params: &Value) -> Response {
    if let Err(r) = check(emu, req, "switch", params) {
        return r;
    }
    let on = int(params, "value", 0) == 1;
    let mut st = emu.state();
    let Some(conf) = st.confs.get_mut(id) else {
        return fail(NO_SUCH_CONF);
    };
    if what == "mute" {
        conf.mute = on;
    } else {
        conf.silence = on;
    }
    let mts: Vec<String> = conf
        .terminals
        .iter_mut()
        .map(|t| {
            if what == "mute" {
                t.mute = on;
            } else {
                t.silence = on;
            }
            t.mt_id.clone()
        })
        .collect();
    let ch = domain_channel(emu, &format!("/confs/{id}"));
    st.publish(&ch, &json!({"method": "update"}));
    for mt in mts {
        let ch = domain_channel(emu, &format!("/confs/{id}/cascades/0/mts/{mt}"));
        st.publish(&ch, &json!({"method": "update"}));
    }
    ok(json!({}))
}

fn set_role(emu: &MoyunEmulator, req: &Req, id: &str, role: &str, params: &Value) -> Response {
    if let Err(r) = check(emu, req, "role", params) {
        return r;
    }
    let mt = text(params, "mt_id");
    let mut st = emu.state();
    let Some(conf) = st.confs.get_mut(id) else {
        return fail(NO_SUCH_CONF);
    };
    if !mt.is_empty() && !conf.terminals.iter().any(|t| t.mt_id == mt) {
        return fail(NO_SUCH_MT);
    }
    if role == "chairman" {
        conf.chairman = mt;
    } else {
        conf.speaker = mt;
    }
    let ch = domain_channel(emu, &format!("/confs/{id}/{role}"));
    st.publish(&ch, &json!({"method": "update"}));
    ok(json!({}))
}

/// A response whose body breaks off: the client sees a dropped connection.
pub(crate) fn broken() -> Response {
    let stream = futures_util::stream::once(async { Err::<Bytes, StreamAborted>(StreamAborted) });
    let mut resp = Response::new(Body::from_stream(stream));
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=UTF-8"));
    resp.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from_static("64"));
    resp
}
