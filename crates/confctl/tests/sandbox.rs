//! Every documented command against `confctl sandbox` running as a child process:
//! `--json` output parsed, exit codes 2 (nothing sent), 3 and 4 provoked, no secret in
//! any output, sessions closed.

#![allow(clippy::many_single_char_names)]

mod common;

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Output, Stdio};

use serde_json::Value;

const YTX_TOKEN: &str = "0123456789abcdef0123456789abcdef";
const JAVA_KEY: &str = "34b7ee4783925cfc4b5c75116f6f9de52181a450f0ad499fcc9b84e6e55fec33";
const JAVA_IV: &str = "e116172f58fe068ba347992514110c83";

fn confctl() -> Command {
    common::confctl_command()
}

/// The sandbox child; killed when dropped (also when a test panics).
struct Sandbox {
    child: Child,
    urls: Value,
}

impl Sandbox {
    /// Ctrl-C: the sandbox stops and exits 0.
    fn interrupt(mut self) {
        interrupt(&self.child);
        let status = wait_for(&mut self.child);
        assert_eq!(status.code(), Some(0), "sandbox exit after Ctrl-C");
    }
}

/// Send SIGINT (what Ctrl-C sends) to a child.
fn interrupt(child: &Child) {
    let ok = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap().success();
    assert!(ok, "kill -INT failed");
}

/// Wait at most 10 s for a child to exit.
fn wait_for(child: &mut Child) -> std::process::ExitStatus {
    for _ in 0..200 {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("the child did not exit within 10 s");
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port P with P..P+4 free right now.
fn free_ports() -> u16 {
    for _ in 0..50 {
        let first = TcpListener::bind("127.0.0.1:0").unwrap();
        let p = first.local_addr().unwrap().port();
        if p > 65_000 {
            continue;
        }
        let rest: Vec<_> = (1..5).map(|i| TcpListener::bind(("127.0.0.1", p + i))).collect();
        if rest.iter().all(Result::is_ok) {
            return p;
        }
    }
    panic!("no five consecutive free ports");
}

fn start_sandbox() -> Sandbox {
    // A port found free can be taken by someone else before the sandbox binds it: retry.
    for _ in 0..3 {
        let port = free_ports();
        let mut child = confctl()
            .args(["--json", "sandbox", "--bind", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let Ok(urls) = serde_json::from_str::<Value>(&line) else {
            let _ = child.kill();
            let _ = child.wait();
            continue;
        };
        assert_eq!(urls["moyun"]["base_url"], format!("http://127.0.0.1:{port}"), "first emulator on the chosen port");
        assert_eq!(urls["vmr"]["base_url"], format!("http://127.0.0.1:{}", port + 1));
        assert_eq!(urls["lingsun"]["base_url"], format!("http://127.0.0.1:{}", port + 4));
        return Sandbox { child, urls };
    }
    panic!("confctl sandbox did not start");
}

/// Records every output, to check for secrets at the end.
#[derive(Default)]
struct Runs {
    outputs: Vec<(String, String, String)>,
}

impl Runs {
    fn run(&mut self, args: &[&str]) -> (i32, String, String) {
        self.run_with(confctl().args(args), &args.join(" "))
    }

    fn run_with(&mut self, cmd: &mut Command, what: &str) -> (i32, String, String) {
        let Output { status, stdout, stderr } = cmd.output().unwrap();
        let (stdout, stderr) = (String::from_utf8_lossy(&stdout).into_owned(), String::from_utf8_lossy(&stderr).into_owned());
        self.outputs.push((what.to_string(), stdout.clone(), stderr.clone()));
        (status.code().unwrap_or(-1), stdout, stderr)
    }

    /// Exit 0 and exactly one JSON document on stdout.
    fn json(&mut self, args: &[&str]) -> Value {
        let (code, out, err) = self.run(args);
        assert_eq!(code, 0, "{args:?}\nstdout: {out}\nstderr: {err}");
        assert_eq!(out.trim().lines().count(), 1, "one JSON document: {out}");
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {out}"))
    }

    /// Exit `code`, nothing on stdout, a message on stderr.
    fn fails(&mut self, code: i32, args: &[&str]) -> String {
        let (got, out, err) = self.run(args);
        assert_eq!(got, code, "{args:?}\nstdout: {out}\nstderr: {err}");
        assert!(out.is_empty(), "{args:?}: stdout must be empty on failure: {out}");
        assert!(err.starts_with("confctl: ") || err.contains("error:"), "{args:?}: {err}");
        err
    }

    fn assert_no_secret(&self, secrets: &[&str]) {
        for (what, out, err) in &self.outputs {
            for s in secrets {
                assert!(!out.contains(s) && !err.contains(s), "secret {s:?} printed by `{what}`:\n{out}\n{err}");
            }
        }
    }
}

/// A listener that tells whether anybody connected: proves "nothing was sent".
struct Tripwire(TcpListener);

impl Tripwire {
    fn new() -> Self {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.set_nonblocking(true).unwrap();
        Self(l)
    }
    fn url(&self) -> String {
        format!("http://{}", self.0.local_addr().unwrap())
    }
    fn untouched(&self) -> bool {
        matches!(self.0.accept(), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
    }
}

fn closed_port_url() -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    drop(l);
    url
}

fn refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn s(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_string)
}

#[test]
fn every_command_against_the_sandbox() {
    let sb = start_sandbox();
    let u = sb.urls.clone();
    let mut r = Runs::default();

    // ---------------------------------------------------------------- webapi
    let w = &u["webapi"];
    let (wb, wkey) = (s(&w["base_url"]), s(&w["key"]));
    // join-token: only the URL-encoded token without --json; nothing is sent.
    let (code, token, err) = r.run(&[
        "webapi",
        "join-token",
        "--flavor",
        "java",
        "--key-hex",
        JAVA_KEY,
        "--iv-hex",
        JAVA_IV,
        "--serial",
        "754884357",
        "--userid",
        "u1",
        "--username",
        "张三",
        "--role",
        "chairman",
    ]);
    assert_eq!(code, 0, "{err}");
    let token = token.trim_end_matches('\n').to_string();
    assert!(!token.is_empty() && token.chars().all(|c| c.is_ascii_alphanumeric() || c == '%'), "URL-encoded token only: {token:?}");
    let v = r.json(&[
        "--json",
        "webapi",
        "--base-url",
        &wb,
        "join-token",
        "--flavor",
        "java",
        "--key-hex",
        JAVA_KEY,
        "--iv-hex",
        JAVA_IV,
        "--serial",
        "754884357",
        "--userid",
        "u1",
        "--username",
        "张三",
        "--role",
        "chairman",
    ]);
    assert_eq!(v["token"], token.as_str());
    assert!(s(&v["url"]).starts_with(&format!("{wb}/h5/index.html?token=")));
    let php = r.json(&[
        "--json",
        "webapi",
        "join-token",
        "--flavor",
        "php",
        "--passkey",
        "SYXCXASD",
        "--passphrase",
        "AYQTYCAXAX",
        "--serial",
        "1",
        "--userid",
        "u2",
        "--username",
        "李四",
        "--role",
        "presenter",
    ]);
    assert_eq!(php["flavor"], "php");
    r.fails(
        2,
        &[
            "webapi",
            "join-token",
            "--flavor",
            "java",
            "--key-hex",
            "not-hex",
            "--iv-hex",
            JAVA_IV,
            "--serial",
            "1",
            "--userid",
            "u",
            "--username",
            "n",
            "--role",
            "chairman",
        ],
    );
    r.fails(
        2,
        &[
            "webapi",
            "join-token",
            "--flavor",
            "php",
            "--passkey",
            "SYXCXASD",
            "--serial",
            "1",
            "--userid",
            "u",
            "--username",
            "n",
            "--role",
            "chairman",
        ],
    );

    let created = r.json(&[
        "--json",
        "webapi",
        "--base-url",
        &wb,
        "--key",
        &wkey,
        "meeting",
        "create",
        "--name",
        "周会",
        "--start",
        "1900000000",
        "--end",
        "1900003600",
        "--chairman-pwd",
        "8888",
        "--live",
    ]);
    let serial = s(&created["serial"]);
    assert!(!serial.is_empty(), "{created}");
    let (code, table, _) = r.run(&[
        "webapi",
        "--base-url",
        &wb,
        "--key",
        &wkey,
        "meeting",
        "create",
        "--name",
        "n",
        "--start",
        "1900000000",
        "--chairman-pwd",
        "8888",
    ]);
    assert_eq!(code, 0);
    assert!(table.starts_with("field") && table.contains("serial"), "human table: {table}");
    // bad input: nothing sent
    let trip = Tripwire::new();
    let err = r.fails(
        2,
        &[
            "webapi",
            "--base-url",
            &trip.url(),
            "--key",
            &wkey,
            "meeting",
            "create",
            "--name",
            "n",
            "--start",
            "1900000000",
            "--chairman-pwd",
            "888",
        ],
    );
    assert!(err.contains("nothing was sent"), "{err}");
    r.fails(
        2,
        &[
            "webapi",
            "--base-url",
            &trip.url(),
            "--key",
            &wkey,
            "meeting",
            "create",
            "--name",
            "n",
            "--start",
            "1900000000",
            "--end",
            "1800000000",
            "--chairman-pwd",
            "8888",
        ],
    );
    assert!(trip.untouched(), "invalid input reached the server");
    let deleted = r.json(&["--json", "webapi", "--base-url", &wb, "--key", &wkey, "meeting", "delete", "--serial", &serial]);
    assert_eq!(deleted["deleted"], true);
    let err = r.fails(3, &["webapi", "--base-url", &wb, "--key", &wkey, "meeting", "delete", "--serial", &serial]);
    assert!(err.contains("4007"), "vendor code on stderr: {err}");
    r.fails(3, &["webapi", "--base-url", &wb, "--key", "WrongCompanyKey-91", "meeting", "delete", "--serial", "1"]);
    r.fails(4, &["webapi", "--base-url", &closed_port_url(), "--key", &wkey, "meeting", "delete", "--serial", "1"]);

    // ---------------------------------------------------------------- ytx
    let y = &u["ytx"];
    let (yb, sid, app, meid) = (s(&y["base_url"]), s(&y["account_sid"]), s(&y["app_id"]), s(&y["conf_id"]));
    let ytx = |base: &str, token: &str| -> Vec<String> {
        ["ytx", "--base-url", base, "--account-sid", &sid, "--auth-token", token, "--app-id", &app].iter().map(|x| x.to_string()).collect()
    };
    let with = |mut head: Vec<String>, tail: &[&str]| -> Vec<String> {
        head.extend(tail.iter().map(|x| x.to_string()));
        head
    };
    let mut json_ytx = vec!["--json".to_string()];
    json_ytx.extend(ytx(&yb, YTX_TOKEN));
    let locked = r.json(&refs(&with(json_ytx.clone(), &["lock", "--conf-id", &meid, "--locked", "true"])));
    assert_eq!(locked, serde_json::json!({ "conf_id": meid, "locked": true }));
    let unlocked = r.json(&refs(&with(json_ytx.clone(), &["lock", "--conf-id", &meid, "--locked", "false"])));
    assert_eq!(unlocked["locked"], false);
    let state = r.json(&refs(&with(json_ytx.clone(), &["state", "--conf-id", &meid])));
    assert!(!state["members"].as_array().unwrap().is_empty(), "{state}");
    let err = r.fails(3, &refs(&with(ytx(&yb, "WrongAuthToken-5e2f"), &["state", "--conf-id", &meid])));
    assert!(err.contains("-100"), "{err}");
    let err = r.fails(3, &refs(&with(ytx(&yb, YTX_TOKEN), &["state", "--conf-id", "999999"])));
    assert!(err.contains("-103"), "{err}");
    r.fails(4, &refs(&with(ytx(&closed_port_url(), YTX_TOKEN), &["state", "--conf-id", &meid])));
    r.fails(2, &refs(&with(ytx(&yb, YTX_TOKEN), &["lock", "--conf-id", &meid, "--locked", "maybe"])));
    // the token from the environment, not the process list
    let (code, out, err) = r.run_with(
        confctl().env("CONFCTL_YTX_AUTH_TOKEN", YTX_TOKEN).args([
            "ytx",
            "--base-url",
            &yb,
            "--account-sid",
            &sid,
            "--app-id",
            &app,
            "state",
            "--conf-id",
            &meid,
        ]),
        "ytx state (token from env)",
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("phone"), "{out}");

    // ---------------------------------------------------------------- moyun
    let m = &u["moyun"];
    let (mb, conf) = (s(&m["base_url"]), s(&m["conf_id"]));
    let moyun = |password: &str| -> Vec<String> {
        [
            "moyun",
            "--base-url",
            &mb,
            "--app-key",
            &s(&m["app_key"]),
            "--app-secret",
            &s(&m["app_secret"]),
            "--username",
            &s(&m["username"]),
            "--password",
            password,
        ]
        .iter()
        .map(|x| x.to_string())
        .collect()
    };
    let pw = s(&m["password"]);
    let mut json_moyun = vec!["--json".to_string()];
    json_moyun.extend(moyun(&pw));
    let confs = r.json(&refs(&with(json_moyun.clone(), &["confs", "list"])));
    assert!(confs["confs"].as_array().unwrap().iter().any(|c| c["conf_id"] == conf.as_str()), "{confs}");
    let check = r.json(&refs(&with(json_moyun.clone(), &["mts", "add", "--conf-id", &conf, "--account", "2322231", "--debug"])));
    assert_eq!(check["valid"], true);
    let listed = r.json(&refs(&with(json_moyun.clone(), &["mts", "list", "--conf-id", &conf])));
    assert_eq!(listed["mts"].as_array().unwrap().len(), 0, "debug mode changed nothing: {listed}");
    let added = r.json(&refs(&with(
        json_moyun.clone(),
        &["mts", "add", "--conf-id", &conf, "--account", "2322231", "--account-type", "5", "--bitrate", "1024", "--protocol", "1"],
    )));
    assert_eq!(added["mts"].as_array().unwrap().len(), 1, "{added}");
    let listed = r.json(&refs(&with(json_moyun.clone(), &["mts", "list", "--conf-id", &conf])));
    assert_eq!(listed["mts"][0]["e164"], "2322231", "{listed}");
    let err = r.fails(3, &refs(&with(moyun("WrongPassword-33"), &["confs", "list"])));
    assert!(err.contains("10101"), "{err}");
    r.fails(3, &refs(&with(moyun(&pw), &["mts", "list", "--conf-id", "404404"])));
    let trip = Tripwire::new();
    let mut bad = moyun(&pw);
    bad[2] = trip.url();
    r.fails(2, &refs(&with(bad.clone(), &["mts", "add", "--conf-id", &conf, "--account", "2322231", "--bitrate", "0"])));
    r.fails(2, &refs(&with(bad, &["mts", "add", "--conf-id", &conf, "--account", " "])));
    assert!(trip.untouched());
    let mut dead = moyun(&pw);
    dead[2] = closed_port_url();
    r.fails(4, &refs(&with(dead, &["confs", "list"])));

    // ---------------------------------------------------------------- vmr
    let v = &u["vmr"];
    let vb = s(&v["base_url"]);
    let pin = s(&v["host_pin"]);
    let alice = s(&v["participants"][0]["uuid"]);
    let vmr = |tail: &[&str]| -> Vec<String> {
        let mut a: Vec<String> =
            ["--json", "vmr", "--base-url", &vb, "--room", "meet@vmr.example", "--pin", &pin].iter().map(|x| x.to_string()).collect();
        a.extend(tail.iter().map(|x| x.to_string()));
        a
    };
    let status = r.json(&refs(&vmr(&["status"])));
    assert_eq!(status["locked"], false, "{status}");
    for cmd in ["lock", "mute-guests"] {
        assert_eq!(r.json(&refs(&vmr(&[cmd])))["ok"], true);
    }
    let status = r.json(&refs(&vmr(&["status"])));
    assert_eq!((status["locked"].clone(), status["guests_muted"].clone()), (Value::Bool(true), Value::Bool(true)), "{status}");
    for cmd in ["unlock", "unmute-guests"] {
        assert_eq!(r.json(&refs(&vmr(&[cmd])))["ok"], true);
    }
    assert_eq!(r.json(&refs(&vmr(&["status"])))["locked"], false);
    assert_eq!(r.json(&refs(&vmr(&["message", "hello from the tests"])))["ok"], true);
    assert_eq!(r.json(&refs(&vmr(&["mute", "--participant", &alice])))["ok"], true);
    let parts = r.json(&refs(&vmr(&["participants"])));
    let list = parts["participants"].as_array().unwrap();
    assert!(list.iter().any(|p| p["uuid"] == alice.as_str() && p["is_muted"] == true), "{parts}");
    // every earlier command closed its session: only this one's control participant is listed
    assert_eq!(list.iter().filter(|p| p["protocol"] == "api").count(), 1, "sessions left open: {parts}");
    // events: N JSON lines, then the session ends
    let (code, out, err) = r.run(&refs(&vmr(&["events", "--count", "3"])));
    assert_eq!(code, 0, "{err}");
    let lines: Vec<Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert_eq!(lines[0]["event"], "participant_sync_begin");
    assert_eq!(lines[1]["event"], "participant_create");
    // the join check resolves the node
    let via = r.json(&[
        "--json",
        "vmr",
        "--api-server",
        &vb,
        "--join-account",
        "1061",
        "--participant-name",
        "ops",
        "--pin",
        &pin,
        "--display-name",
        "ops",
        "status",
    ]);
    assert!(via["started"].is_boolean(), "{via}");
    let err = r.fails(3, &["vmr", "--base-url", &vb, "--room", "1061", "--pin", "WrongPin-0007", "lock"]);
    assert!(err.contains("PIN"), "{err}");
    r.fails(3, &["vmr", "--base-url", &vb, "--room", "no-such-room@vmr.example", "--pin", &pin, "status"]);
    r.fails(4, &["vmr", "--base-url", &closed_port_url(), "--room", "1061", "--pin", &pin, "status"]);
    let trip = Tripwire::new();
    r.fails(2, &["vmr", "--base-url", &trip.url(), "--room", "1061", "--pin", &pin, "message", "  "]);
    r.fails(2, &["vmr", "--base-url", &trip.url(), "--pin", &pin, "status"]);
    r.fails(2, &["vmr", "--base-url", &trip.url(), "--room", "1061", "events", "--count", "0"]);
    assert!(trip.untouched());
    let parts = r.json(&refs(&vmr(&["participants"])));
    assert_eq!(
        parts["participants"].as_array().unwrap().iter().filter(|p| p["protocol"] == "api").count(),
        1,
        "sessions left open: {parts}"
    );

    // ---------------------------------------------------------------- lingsun
    let l = &u["lingsun"];
    let lb = s(&l["base_url"]);
    let lingsun = |bases: &[&str], secret: &str| -> Vec<String> {
        let mut a = vec!["--json".to_string(), "lingsun".to_string()];
        for b in bases {
            a.push("--base-url".into());
            a.push((*b).to_string());
        }
        for (flag, val) in [
            ("--client-id", s(&l["client_id"])),
            ("--client-secret", secret.to_string()),
            ("--username", s(&l["username"])),
            ("--password", s(&l["password"])),
        ] {
            a.push(flag.into());
            a.push(val);
        }
        a.extend(["packages".to_string(), "list".to_string()]);
        a
    };
    let lsecret = s(&l["client_secret"]);
    let dead = closed_port_url();
    let packages = r.json(&refs(&lingsun(&[&dead, &closed_port_url(), &lb], &lsecret)));
    assert_eq!(packages["packages"].as_array().unwrap().len(), 2, "{packages}");
    assert!(s(&packages["host"]).starts_with(&lb), "answered by the second host: {packages}");
    let mut human = lingsun(&[&lb], &lsecret);
    human.remove(0);
    let (code, table, _) = r.run(&refs(&human));
    assert_eq!(code, 0);
    assert!(table.starts_with("id") && table.lines().count() == 3, "{table}");
    let err = r.fails(3, &refs(&lingsun(&[&lb], "WrongClientSecret-8")));
    assert!(!err.is_empty());
    r.fails(4, &refs(&lingsun(&[&closed_port_url(), &closed_port_url()], &lsecret)));

    // ---------------------------------------------------------------- usage
    r.fails(2, &["ytx", "--base-url", &yb]);
    r.fails(2, &["vmr", "--base-url", &vb, "--room", "1061", "frobnicate"]);
    let (code, help, _) = r.run(&["--help"]);
    assert_eq!(code, 0);
    assert!(help.contains("tour") && help.contains("sandbox"));

    // ---------------------------------------------------------------- secrets
    r.assert_no_secret(&[
        YTX_TOKEN,
        "WrongAuthToken-5e2f",
        JAVA_KEY,
        JAVA_IV,
        "SYXCXASD",
        "AYQTYCAXAX",
        &wkey,
        "WrongCompanyKey-91",
        &s(&m["app_secret"]),
        &pw,
        "WrongPassword-33",
        "WrongPin-0007",
        &lsecret,
        &s(&l["password"]),
        "WrongClientSecret-8",
    ]);
    assert!(r.outputs.len() > 50, "{} runs", r.outputs.len());
    sb.interrupt();
}

#[test]
fn vmr_closes_its_session_on_ctrl_c() {
    let sb = start_sandbox();
    let v = sb.urls["vmr"].clone();
    let (base, pin) = (s(&v["base_url"]), s(&v["host_pin"]));
    let mut child = confctl()
        .args(["vmr", "--base-url", &base, "--room", "1061", "--pin", &pin, "--display-name", "interrupted", "events", "--count", "1000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // the session is open once the first event arrived
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    let event: Value = serde_json::from_str(&first).unwrap();
    assert_eq!(event["event"], "participant_sync_begin");
    let mut r = Runs::default();
    let listed = r.json(&["--json", "vmr", "--base-url", &base, "--room", "1061", "--pin", &pin, "participants"]);
    assert!(listed["participants"].as_array().unwrap().iter().any(|p| p["display_name"] == "interrupted"), "{listed}");
    interrupt(&child);
    let status = wait_for(&mut child);
    assert_eq!(status.code(), Some(1), "interrupted is exit 1");
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert!(err.contains("interrupted"), "{err}");
    let listed = r.json(&["--json", "vmr", "--base-url", &base, "--room", "1061", "--pin", &pin, "participants"]);
    assert!(!listed["participants"].as_array().unwrap().iter().any(|p| p["display_name"] == "interrupted"), "session not closed: {listed}");
    sb.interrupt();
}

#[test]
fn secrets_stay_out_of_debug_logs() {
    let sb = start_sandbox();
    let u = sb.urls.clone();
    let mut r = Runs::default();
    let y = &u["ytx"];
    let (code, _, err) = r.run(&[
        "--log",
        "trace",
        "ytx",
        "--base-url",
        &s(&y["base_url"]),
        "--account-sid",
        &s(&y["account_sid"]),
        "--auth-token",
        YTX_TOKEN,
        "--app-id",
        &s(&y["app_id"]),
        "state",
        "--conf-id",
        &s(&y["conf_id"]),
    ]);
    assert_eq!(code, 0, "{err}");
    let v = &u["vmr"];
    let (code, _, err) =
        r.run(&["--log", "debug", "vmr", "--base-url", &s(&v["base_url"]), "--room", "1061", "--pin", &s(&v["host_pin"]), "lock"]);
    assert_eq!(code, 0, "{err}");
    let m = &u["moyun"];
    let (code, _, err) = r.run(&[
        "--log",
        "debug",
        "moyun",
        "--base-url",
        &s(&m["base_url"]),
        "--app-key",
        &s(&m["app_key"]),
        "--app-secret",
        &s(&m["app_secret"]),
        "--username",
        &s(&m["username"]),
        "--password",
        &s(&m["password"]),
        "confs",
        "list",
    ]);
    assert_eq!(code, 0, "{err}");
    r.assert_no_secret(&[YTX_TOKEN, &s(&v["host_pin"]), &s(&m["app_secret"]), &s(&m["password"])]);
}
