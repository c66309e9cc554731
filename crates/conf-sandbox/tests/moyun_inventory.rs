//! The Moyun emulator against the whole vendor inventory (`data/moyun/endpoints.json`), with a
//! plain HTTP client: every one of the 204 endpoints answers success to a call carrying its
//! required parameters; missing or mistyped parameters, unknown paths, credentials, steered
//! failures and lowered API levels behave as documented.

use std::collections::BTreeSet;

use conf_sandbox::moyun::{MoyunConfig, MoyunEmulator};
use conf_sandbox::{Fault, FaultRule, Server};
use serde_json::{Map, Value, json};

const DATA: &str = include_str!("../data/moyun/endpoints.json");
const FORM: &str = "application/x-www-form-urlencoded;charset=utf-8";

/// One inventory row, read by the test itself (not through the emulator's code).
struct Row {
    method: String,
    uri: String,
    query: Vec<(String, String, bool)>,
    form: Vec<(String, String, bool)>,
    params_json: bool,
    params: Vec<(String, String, bool)>,
    reply: Vec<(String, String)>,
}

fn triples(v: &Value) -> Vec<(String, String, bool)> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| (r[0].as_str().unwrap().to_string(), r[1].as_str().unwrap().to_string(), r[2].as_bool().unwrap()))
        .collect()
}

fn inventory() -> Vec<Row> {
    let data: Value = serde_json::from_str(DATA).unwrap();
    data.as_array()
        .unwrap()
        .iter()
        .map(|e| Row {
            method: e["method"].as_str().unwrap().to_string(),
            uri: e["uri"].as_str().unwrap().to_string(),
            query: triples(&e["query"]),
            form: triples(&e["form"]),
            params_json: e["params_json"].as_bool().unwrap(),
            params: triples(&e["params"]),
            reply: e["reply"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| (r[0].as_str().unwrap().to_string(), r[1].as_str().unwrap().to_string()))
                .collect(),
        })
        .collect()
}

struct Session {
    http: reqwest::Client,
    base: String,
    token: String,
    cookie: String,
}

async fn login(server: &Server) -> Session {
    let base = server.base_url();
    let http = reqwest::Client::new();
    let v: Value = http
        .post(format!("{base}/api/v1/system/token"))
        .header("content-type", FORM)
        .body("oauth_consumer_key=key&oauth_consumer_secret=12345678")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = v["account_token"].as_str().unwrap().to_string();
    let resp = http
        .post(format!("{base}/api/v1/system/login"))
        .header("content-type", FORM)
        .body(format!("username=name&password=888888&account_token={token}"))
        .send()
        .await
        .unwrap();
    let cookie = resp.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
    Session { http, base, token, cookie }
}

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

impl Session {
    /// Send `method` to `path` with `fields` (query string for GET, form otherwise) and
    /// `params` JSON; the token and cookie always.
    async fn call(&self, method: &str, path: &str, fields: &[(String, String)], params: Option<&Value>) -> (u16, Value) {
        let mut pairs: Vec<(String, String)> = vec![("account_token".into(), self.token.clone())];
        pairs.extend(fields.iter().cloned());
        if let Some(p) = params {
            pairs.push(("params".into(), p.to_string()));
        }
        let encoded: Vec<String> = pairs.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect();
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let req = if method == reqwest::Method::GET {
            self.http.get(format!("{}{path}?{}", self.base, encoded.join("&")))
        } else {
            self.http.request(method, format!("{}{path}", self.base)).header("content-type", FORM).body(encoded.join("&"))
        };
        let resp = req.header("cookie", &self.cookie).header("API-Level", "1").send().await.unwrap();
        (resp.status().as_u16(), resp.json().await.unwrap())
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        self.call("GET", path, &[], None).await
    }
}

/// A value for a required field, by name and inventory type.
fn scalar(name: &str, ty: &str) -> Value {
    match (name, ty) {
        ("oauth_consumer_key", _) => json!("key"),
        ("oauth_consumer_secret", _) => json!("12345678"),
        ("username", _) => json!("name"),
        ("password", _) => json!("888888"),
        ("mt_id", _) => json!("1"),
        (_, "int") => json!(1),
        (_, "array" | "list") => json!([]),
        (_, "object") => json!({}),
        _ => json!("1"),
    }
}

/// The required `params` JSON under `prefix` (`""`: the top; `a[].`, `a.`: inside a container).
fn required_params(rows: &[(String, String, bool)], prefix: &str) -> Map<String, Value> {
    let mut out = Map::new();
    for (name, ty, required) in rows {
        let Some(rest) = name.strip_prefix(prefix) else { continue };
        if !required || rest.contains('.') {
            continue;
        }
        let value = match ty.as_str() {
            "array" | "list" => {
                let inner = required_params(rows, &format!("{name}[]."));
                if inner.is_empty() { json!([]) } else { json!([inner]) }
            }
            "object" => Value::Object(required_params(rows, &format!("{name}."))),
            _ => scalar(rest, ty),
        };
        out.insert(rest.to_string(), value);
    }
    out
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Number(n) if n.is_i64() || n.is_u64() => "int",
        Value::String(_) => "str",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
        _ => "other",
    }
}

/// Order of the walk: the objects later calls act on first, destructive calls last.
fn rank(r: &Row) -> u8 {
    match (r.method.as_str(), r.uri.as_str()) {
        ("POST", "/api/v1/mc/confs") => 0,
        ("POST", "/api/v1/vc/confs/{conf_id}/mts") => 1,
        ("POST", "/api/v1/mc/personal_templates") => 2,
        ("DELETE", "/api/v1/vc/confs/{conf_id}/mts") => 5,
        ("DELETE", "/api/v1/mc/confs/{conf_id}") => 6,
        ("DELETE", _) => 4,
        _ => 3,
    }
}

#[tokio::test]
async fn every_inventory_endpoint_answers_success_with_its_required_parameters() {
    let (emu, server) = MoyunEmulator::start(MoyunConfig::default()).await.unwrap();
    let s = login(&server).await;
    let mut rows = inventory();
    assert_eq!(rows.len(), 204, "the vendor inventory has 204 endpoints");
    rows.sort_by_key(rank);
    let (mut conf_id, mut template_id) = (String::from("0"), String::from("0"));
    let mut called = BTreeSet::new();
    for row in &rows {
        let path = row
            .uri
            .replace("{conf_id}", &conf_id)
            .replace("{mt_id}", "1")
            .replace("{cascade_id}", "0")
            .replace("{account_token}", &s.token)
            .replace("{id}", &template_id);
        // remaining path variables (moids, modes, indices) take any value
        let path: String =
            path.split('/').map(|seg| if seg.starts_with('{') { "1".to_string() } else { seg.to_string() }).collect::<Vec<_>>().join("/");
        let fields: Vec<(String, String)> = row
            .query
            .iter()
            .chain(&row.form)
            .filter(|(n, ty, req)| *req && ty != "File" && !matches!(n.as_str(), "account_token" | "params" | "_method"))
            .map(|(n, ty, _)| (n.clone(), scalar(n, ty).as_str().map_or_else(|| scalar(n, ty).to_string(), str::to_string)))
            .collect();
        let (status, v) = if row.form.iter().any(|(_, ty, _)| ty == "File") {
            let form = reqwest::multipart::Form::new()
                .text("account_token", s.token.clone())
                .part("file", reqwest::multipart::Part::bytes(b"minutes".to_vec()).file_name("minutes.txt"));
            let resp = s.http.post(format!("{}{path}", s.base)).header("cookie", &s.cookie).multipart(form).send().await.unwrap();
            (resp.status().as_u16(), resp.json::<Value>().await.unwrap())
        } else {
            let params = row.params_json.then(|| Value::Object(required_params(&row.params, "")));
            s.call(&row.method, &path, &fields, params.as_ref()).await
        };
        let what = format!("{} {} (sent to {path})", row.method, row.uri);
        assert_eq!(status, 200, "{what}: {v}");
        assert_eq!(v["success"], 1, "{what}: {v}");
        // every top-level reply field the inventory lists, of its type (`username` of the
        // login reply is typed int in the inventory but is the user name in every example)
        for (name, ty) in &row.reply {
            if name.contains('.') || name.contains("[]") || (row.uri == "/api/v1/system/login" && name == "username") {
                continue;
            }
            let want = if ty == "list" { "array" } else { ty.as_str() };
            assert_eq!(json_type(&v[name.as_str()]), want, "{what}: field `{name}` in {v}");
        }
        match (row.method.as_str(), row.uri.as_str()) {
            ("POST", "/api/v1/mc/confs") => conf_id = v["conf_id"].as_str().unwrap().to_string(),
            ("POST", "/api/v1/mc/personal_templates") => template_id = v["template_id"].as_str().unwrap().to_string(),
            _ => {}
        }
        called.insert((row.method.clone(), row.uri.clone()));
    }
    assert_eq!(called.len(), 204, "each endpoint once");
    assert!(emu.conferences().is_empty(), "the walk ended the conference it made");
    server.shutdown().await;
}

#[tokio::test]
async fn missing_or_mistyped_parameters_answer_the_parameter_code_naming_them() {
    let (_emu, server) = MoyunEmulator::start(MoyunConfig::default()).await.unwrap();
    let s = login(&server).await;
    // params JSON, top level
    let (status, v) = s.call("POST", "/api/v1/mc/meeting_room_areas", &[], Some(&json!({}))).await;
    assert_eq!((status, v["success"].clone(), v["error_code"].clone()), (200, json!(0), json!(10006)), "{v}");
    assert!(v["description"].as_str().unwrap().contains("`area`"), "{v}");
    let (_, v) = s.call("POST", "/api/v1/mc/meeting_room_areas", &[], Some(&json!({"area": ["x"]}))).await;
    assert_eq!(v["error_code"], 10006);
    assert!(v["description"].as_str().unwrap().contains("`area` must be a string"), "{v}");
    let (_, v) = s.call("POST", "/api/v1/mc/meeting_room_areas", &[], Some(&json!({"area": "north"}))).await;
    assert_eq!(v["success"], 1, "{v}");
    // nested fields of a list
    let (_, v) = s.call("PUT", "/api/v1/amc/approval_infos", &[], Some(&json!({"real_approval": 1, "video_approval": "yes"}))).await;
    assert!(v["description"].as_str().unwrap().contains("`video_approval` must be an integer"), "{v}");
    let (_, v) = s.call("POST", "/api/v2/vrs/transtask", &[], Some(&json!({"addparams": [{}]}))).await;
    assert_eq!(v["error_code"], 10006, "{v}");
    assert!(v["description"].as_str().unwrap().contains("addparams[0]."), "{v}");
    // query parameters of a GET
    let (_, v) = s.get("/api/v2/vrs/program").await;
    assert!(v["description"].as_str().unwrap().contains("`folderid`"), "{v}");
    let (_, v) = s.call("GET", "/api/v2/vrs/program", &[("folderid".into(), "abc".into())], None).await;
    assert!(v["description"].as_str().unwrap().contains("`folderid` must be an integer"), "{v}");
    let (_, v) = s.call("GET", "/api/v2/vrs/program", &[("folderid".into(), "7".into()), ("pageid".into(), "2".into())], None).await;
    assert_eq!((v["success"].clone(), v["pageid"].clone(), v["prgcount"].clone()), (json!(1), json!(2), json!(0)), "{v}");
    // the upload without its file part
    let resp = s
        .http
        .post(format!("{}/api/v1/mc/meeting_files/9", s.base))
        .header("cookie", &s.cookie)
        .multipart(reqwest::multipart::Form::new().text("account_token", s.token.clone()))
        .send()
        .await
        .unwrap();
    let v: Value = resp.json().await.unwrap();
    assert!(v["description"].as_str().unwrap().contains("`file`"), "{v}");
    // debug mode lists the problems in the document's shape and does nothing
    let (_, v) = s
        .call(
            "POST",
            "/api/v1/vc/confs/1/online_mts?debug=1",
            &[],
            Some(&json!({"mts": [{"mt_id": "1"}, {"forced_call": "x"}, {"mt_id": "3"}]})),
        )
        .await;
    assert_eq!(v, json!({"success": 1, "dubug_list": {"mts": [{"mt_id": "下参中缺少该必填参数", "forced_call": "参数类型错误"}]}}));
    server.shutdown().await;
}

#[tokio::test]
async fn unknown_paths_and_methods_are_http_errors_naming_them() {
    let (emu, server) = MoyunEmulator::start(MoyunConfig::default()).await.unwrap();
    let http = reqwest::Client::new();
    // no credentials at all: still a 404 about the path, not a token code
    let resp = http.get(format!("{}/api/v1/vc/no_such_thing", server.base_url())).send().await.unwrap();
    assert_eq!(resp.status(), 404);
    let v: Value = resp.json().await.unwrap();
    assert_ne!(v["error_code"], 10002);
    assert!(v["description"].as_str().unwrap().contains("GET /api/v1/vc/no_such_thing"), "{v}");
    let resp = http.patch(format!("{}/api/v1/vc/confs", server.base_url())).send().await.unwrap();
    assert_eq!(resp.status(), 405);
    assert_eq!(resp.headers()["allow"], "GET");
    assert_eq!(emu.counters().token_rejections, 0);
    let s = login(&server).await;
    let (status, v) = s.get("/api/v1/mc/confs/1/nothing").await;
    assert_eq!(status, 404, "{v}");
    server.shutdown().await;
}

#[tokio::test]
async fn credentials_and_steered_failures_apply_to_every_endpoint() {
    let (emu, server) = MoyunEmulator::start(MoyunConfig::default()).await.unwrap();
    let s = login(&server).await;
    let path = "/api/v1/nms/domains";
    let http = reqwest::Client::new();
    let v: Value = http.get(format!("{}{path}", s.base)).header("cookie", &s.cookie).send().await.unwrap().json().await.unwrap();
    assert_eq!(v, json!({"success": 0, "error_code": 10002}), "no token");
    let v: Value = http.get(format!("{}{path}?account_token={}", s.base, s.token)).send().await.unwrap().json().await.unwrap();
    assert_eq!(v, json!({"success": 0, "error_code": 10102}), "no cookie");
    let (_, v) = s.get(path).await;
    assert_eq!((v["success"].clone(), v["domains"].is_array()), (json!(1), true), "{v}");
    // the emulator's steered platform codes
    emu.fail_next(20001, "/api/v1/nms", 1);
    assert_eq!(s.get(path).await.1, json!({"success": 0, "error_code": 20001}));
    assert_eq!(s.get(path).await.1["success"], 1);
    // the harness's faults
    server.faults().add(FaultRule::new(Fault::status(503)).path_exact(path).once());
    let resp = s.http.get(format!("{}{path}?account_token={}", s.base, s.token)).header("cookie", &s.cookie).send().await.unwrap();
    assert_eq!(resp.status(), 503);
    // calls on a conference need it running
    assert_eq!(s.get("/api/v1/vc/confs/404404/cascades").await.1["error_code"], 12103);
    emu.expire_sessions();
    assert_eq!(s.get(path).await.1["error_code"], 10102);
    server.shutdown().await;
}

#[tokio::test]
async fn a_lowered_api_level_is_visible_and_hides_the_apps_endpoints() {
    let (emu, server) = MoyunEmulator::start(MoyunConfig::default().api_level("mc", 0)).await.unwrap();
    let s = login(&server).await;
    let http = reqwest::Client::new();
    let version = |app: &'static str| {
        let url = format!("{}/api/{app}/version", s.base);
        let http = http.clone();
        async move { http.get(url).send().await.unwrap().json::<Value>().await.unwrap() }
    };
    assert_eq!(version("mc").await["api_level"], 0);
    assert_eq!(version("vc").await["api_level"], 1);
    let (status, v) = s.get("/api/v1/mc/public_templates").await;
    assert_eq!(status, 404, "{v}");
    assert!(v["description"].as_str().unwrap().contains("needs API level 1 of app `mc`, which is at level 0"), "{v}");
    assert_eq!(s.get("/api/v1/vc/confs").await.1["success"], 1);
    emu.set_level("mc", 1);
    assert_eq!(version("mc").await["api_level"], 1);
    assert_eq!(s.get("/api/v1/mc/public_templates").await.1["success"], 1);
    server.shutdown().await;
}
