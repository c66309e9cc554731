//! Secrets, keys and passphrases are random and may begin with `-`: every secret flag takes
//! such a value (`--passphrase -fe6SyORff0`, not "unexpected argument '-f'"), the command
//! works end to end against the embedded emulators configured with those credentials, and
//! no secret is printed.

mod common;

use std::process::{Command, Output};

use conf_sandbox::Server;
use conf_sandbox::lingsun::{LingsunConfig, LingsunEmulator};
use conf_sandbox::moyun::{MoyunConfig, MoyunEmulator};
use conf_sandbox::vmr::{RoomConfig, VmrConfig, VmrEmulator};
use conf_sandbox::webapi::{WebApiConfig, WebApiEmulator};
use conf_sandbox::ytx::{YtxConfig, YtxEmulator};
use serde_json::Value;

const WEBAPI_KEY: &str = "-CompanyKey-7f3a";
const PASSKEY: &str = "-pK7xQ2";
const PASSPHRASE: &str = "-fe6SyORff0";
const CHAIRMAN_PWD: &str = "-8888";
const JAVA_KEY_HEX: &str = "-4b7ee4783925cfc4b5c75116f6f9de52181a450f0ad499fcc9b84e6e55fec33";
const JAVA_IV_HEX: &str = "-116172f58fe068ba347992514110c83";
const YTX_TOKEN: &str = "-123456789abcdef0123456789abcdef";
const MOYUN_SECRET: &str = "--2345678";
const MOYUN_PASSWORD: &str = "-888888";
const VMR_PIN: &str = "-654321";
const LINGSUN_SECRET: &str = "-1CXXXXXXXXXXXXXXXXXXXI91";
const LINGSUN_PASSWORD: &str = "-1XXXXXXX1";

fn confctl() -> Command {
    common::confctl_command()
}

/// Every run's output, searched for secrets at the end.
#[derive(Default)]
struct Runs(Vec<(String, String, String)>);

impl Runs {
    fn run(&mut self, args: &[&str]) -> (i32, String, String) {
        let Output { status, stdout, stderr } = confctl().args(args).output().unwrap();
        let (out, err) = (String::from_utf8_lossy(&stdout).into_owned(), String::from_utf8_lossy(&stderr).into_owned());
        assert!(!err.contains("unexpected argument"), "{args:?}: a value starting with '-' was taken for a flag:\n{err}");
        self.0.push((args.join(" "), out.clone(), err.clone()));
        (status.code().unwrap_or(-1), out, err)
    }

    fn json(&mut self, args: &[&str]) -> Value {
        let (code, out, err) = self.run(args);
        assert_eq!(code, 0, "{args:?}\nstdout: {out}\nstderr: {err}");
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {out}"))
    }
}

#[test]
#[allow(clippy::too_many_lines)]
fn every_secret_flag_takes_a_value_starting_with_a_hyphen() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let _in_runtime = rt.enter();

    let webapi = WebApiEmulator::new(WebApiConfig {
        key: WEBAPI_KEY.into(),
        php_passkey: Some((PASSKEY.into(), PASSPHRASE.into())),
        ..WebApiConfig::default()
    });
    let webapi_server = Server::start(webapi.router()).unwrap();
    let ytx = YtxEmulator::new(YtxConfig { auth_token: YTX_TOKEN.into(), ..YtxConfig::default() });
    let ytx_server = Server::start(ytx.router()).unwrap();
    let moyun = MoyunEmulator::new(MoyunConfig {
        app_key: "-key".into(),
        app_secret: MOYUN_SECRET.into(),
        users: [("-name".to_string(), MOYUN_PASSWORD.to_string())].into(),
        ..MoyunConfig::default()
    });
    let moyun_server = Server::start(moyun.router()).unwrap();
    let vmr = VmrEmulator::new(VmrConfig::new().rooms(vec![RoomConfig::new("meet@vmr.example", "1061").host_pin(VMR_PIN)]));
    let vmr_server = Server::start(vmr.router()).unwrap();
    vmr.set_base_url(vmr_server.base_url());
    let lingsun = LingsunEmulator::new(LingsunConfig {
        client_id: "-client".into(),
        client_secret: LINGSUN_SECRET.into(),
        users: vec![("-user".into(), LINGSUN_PASSWORD.into())],
        ..LingsunConfig::default()
    });
    let lingsun_server = Server::start(lingsun.router()).unwrap();
    let mut r = Runs::default();

    // webapi --passkey / --passphrase: the token decrypts with the emulator's key material.
    let wb = webapi_server.base_url();
    let token = r.json(&[
        "--json",
        "webapi",
        "join-token",
        "--flavor",
        "php",
        "--passkey",
        PASSKEY,
        "--passphrase",
        PASSPHRASE,
        "--serial",
        "-1",
        "--userid",
        "-u1",
        "--username",
        "-张三",
        "--role",
        "chairman",
    ]);
    let encoded = token["token"].as_str().unwrap();
    let raw: String = url::form_urlencoded::parse(format!("t={encoded}").as_bytes()).next().unwrap().1.into_owned();
    let decoded = webapi.decode_token(&raw).unwrap_or_else(|e| panic!("token made with hyphen keys does not decrypt: {e:?}"));
    assert_eq!(decoded.payload["userid"], "-u1", "{:?}", decoded.payload);
    assert_eq!(decoded.payload["username"], "-张三");
    assert_eq!(decoded.payload["serial"], "-1");
    // --key-hex / --iv-hex: the value reaches the hex check (exit 2, named), never clap's parser error.
    for (flag, bad) in [("--key-hex", JAVA_KEY_HEX), ("--iv-hex", JAVA_IV_HEX)] {
        let (key, iv) = if flag == "--key-hex" {
            (bad, "e116172f58fe068ba347992514110c83")
        } else {
            ("34b7ee4783925cfc4b5c75116f6f9de52181a450f0ad499fcc9b84e6e55fec33", bad)
        };
        let (code, out, err) = r.run(&[
            "webapi",
            "join-token",
            "--flavor",
            "java",
            "--key-hex",
            key,
            "--iv-hex",
            iv,
            "--serial",
            "1",
            "--userid",
            "u",
            "--username",
            "n",
            "--role",
            "chairman",
        ]);
        assert_eq!(code, 2, "{flag}\n{out}\n{err}");
        assert!(err.contains("hex") && err.contains("nothing was sent"), "{flag}: {err}");
    }
    // webapi --key and --chairman-pwd
    let created = r.json(&[
        "--json",
        "webapi",
        "--base-url",
        &wb,
        "--key",
        WEBAPI_KEY,
        "meeting",
        "create",
        "--name",
        "-周会",
        "--start",
        "1900000000",
        "--chairman-pwd",
        CHAIRMAN_PWD,
    ]);
    let serial = created["serial"].as_str().map_or_else(|| created["serial"].to_string(), str::to_string);
    let deleted = r.json(&["--json", "webapi", "--base-url", &wb, "--key", WEBAPI_KEY, "meeting", "delete", "--serial", &serial]);
    assert_eq!(deleted["deleted"], true);

    // ytx --auth-token: signed with the hyphen token and accepted (the meeting does not exist: -103, not -100).
    let yb = ytx_server.base_url();
    let y = YtxConfig::default();
    let (code, _, err) = r.run(&[
        "ytx",
        "--base-url",
        &yb,
        "--account-sid",
        &y.account_sid,
        "--auth-token",
        YTX_TOKEN,
        "--app-id",
        &y.app_id,
        "state",
        "--conf-id",
        "-999999",
    ]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("-103"), "{err}");
    let counters = ytx.counters();
    assert_eq!((counters.rejected_auth, counters.accepted), (0, 1), "{counters:?}");

    // moyun --app-secret / --password (and a user name starting with '-')
    let confs = r.json(&[
        "--json",
        "moyun",
        "--base-url",
        &moyun_server.base_url(),
        "--app-key",
        "-key",
        "--app-secret",
        MOYUN_SECRET,
        "--username",
        "-name",
        "--password",
        MOYUN_PASSWORD,
        "confs",
        "list",
    ]);
    assert!(confs["confs"].is_array(), "{confs}");

    // vmr --pin
    let status = r.json(&[
        "--json",
        "vmr",
        "--base-url",
        &vmr_server.base_url(),
        "--room",
        "1061",
        "--pin",
        VMR_PIN,
        "--display-name",
        "-ops",
        "status",
    ]);
    assert_eq!(status["locked"], false, "{status}");

    // lingsun --client-secret / --password
    let packages = r.json(&[
        "--json",
        "lingsun",
        "--base-url",
        &lingsun_server.base_url(),
        "--client-id",
        "-client",
        "--client-secret",
        LINGSUN_SECRET,
        "--username",
        "-user",
        "--password",
        LINGSUN_PASSWORD,
        "packages",
        "list",
    ]);
    assert!(packages["packages"].is_array(), "{packages}");

    for (what, out, err) in &r.0 {
        for s in [
            WEBAPI_KEY,
            PASSKEY,
            PASSPHRASE,
            CHAIRMAN_PWD,
            JAVA_KEY_HEX,
            JAVA_IV_HEX,
            YTX_TOKEN,
            MOYUN_SECRET,
            MOYUN_PASSWORD,
            VMR_PIN,
            LINGSUN_SECRET,
            LINGSUN_PASSWORD,
        ] {
            let shown = what.replace(s, "<secret>");
            assert!(!out.contains(s) && !err.contains(s), "secret {s:?} printed by `{shown}`:\n{out}\n{err}");
        }
    }
}
