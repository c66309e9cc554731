//! All five emulators of conf-sandbox in this process: started by `confctl tour` and
//! served by `confctl sandbox` until Ctrl-C.

use std::net::SocketAddr;
use std::time::Duration;

use conf_core::secret::secret;
use conf_core::{ClientConfig, Error};
use conf_sandbox::Server;
use conf_sandbox::lingsun::{LingsunConfig, LingsunEmulator};
use conf_sandbox::moyun::{MoyunConfig as MoyunEmuConfig, MoyunEmulator};
use conf_sandbox::vmr::{DialIn, VmrConfig, VmrEmulator};
use conf_sandbox::webapi::{WebApiConfig, WebApiEmulator};
use conf_sandbox::ytx::{YtxConfig as YtxEmuConfig, YtxEmulator};
use serde_json::{Value, json};

use crate::cli::SandboxArgs;
use crate::exit;
use crate::output::{Output, Table};

/// The demo room of the vmr emulator.
pub const VMR_ROOM: &str = "meet@vmr.example";
/// Its numeric id.
pub const VMR_ROOM_ID: &str = "1061";
/// Its host PIN.
pub const VMR_HOST_PIN: &str = "123456";
/// Its guest PIN.
pub const VMR_GUEST_PIN: &str = "4321";

/// The five emulators, each on its own loopback server.
pub struct Sandbox {
    /// 摩云.
    pub moyun: (MoyunEmulator, Server),
    /// VMR (API server and meeting node in one).
    pub vmr: (VmrEmulator, Server),
    /// Meeting WebAPI.
    pub webapi: (WebApiEmulator, Server),
    /// ytx TeleMeeting.
    pub ytx: (YtxEmulator, Server),
    /// 声网灵隼.
    pub lingsun: (LingsunEmulator, Server),
    /// Demo objects created for users (`confctl sandbox`): moyun conference, ytx meeting, vmr participants.
    pub demo: Value,
}

/// How the emulators are configured.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Address of the first emulator; the others take the following ports (`None`: ephemeral ports).
    pub bind: Option<SocketAddr>,
    /// Short keep-alive and long-poll intervals (the tour).
    pub fast: bool,
}

fn addr(opts: Options, index: u16) -> std::io::Result<SocketAddr> {
    match opts.bind {
        None => Ok(SocketAddr::from(([127, 0, 0, 1], 0))),
        Some(a) if a.port() == 0 => Ok(a),
        Some(a) => {
            let port = a.port().checked_add(index).ok_or_else(|| std::io::Error::other("--bind port too high for five emulators"))?;
            Ok(SocketAddr::new(a.ip(), port))
        }
    }
}

/// The emulator configurations the sandbox serves (the demo credentials).
pub fn moyun_config(fast: bool) -> MoyunEmuConfig {
    let mut c = MoyunEmuConfig::default();
    if fast {
        c.long_poll = Duration::from_millis(500);
    }
    c
}

/// vmr: the default room (`meet@vmr.example` / `1061`, host PIN `123456`, guest PIN `4321`).
pub fn vmr_config(fast: bool) -> VmrConfig {
    let c = VmrConfig::new();
    if fast {
        c.keepalive_interval(Duration::from_millis(500)).dial_outcome(conf_sandbox::vmr::DialOutcome::Answer(Duration::from_millis(20)))
    } else {
        c
    }
}

impl Sandbox {
    /// Start the five emulators (moyun, vmr, webapi, ytx, lingsun in this port order).
    pub async fn start(opts: Options) -> std::io::Result<Self> {
        let moyun_emu = MoyunEmulator::new(moyun_config(opts.fast));
        let moyun_server = Server::start_on(addr(opts, 0)?, moyun_emu.router())?;
        let hook = moyun_emu.clone();
        moyun_server.on_expire_credentials(move || hook.expire_all());

        let vmr_emu = VmrEmulator::new(vmr_config(opts.fast));
        let vmr_server = Server::start_on(addr(opts, 1)?, vmr_emu.router())?;
        vmr_emu.set_base_url(vmr_server.base_url());
        let hook = vmr_emu.clone();
        vmr_server.on_expire_credentials(move || hook.expire_tokens());

        let webapi_emu = WebApiEmulator::new(WebApiConfig::default());
        let webapi_server = Server::start_on(addr(opts, 2)?, webapi_emu.router())?;
        let hook = webapi_emu.clone();
        webapi_server.on_expire_credentials(move || hook.revoke_key_once());

        let ytx_emu = YtxEmulator::new(YtxEmuConfig::default());
        let ytx_server = Server::start_on(addr(opts, 3)?, ytx_emu.router())?;

        let lingsun_emu = LingsunEmulator::new(LingsunConfig::default());
        let lingsun_server = Server::start_on(addr(opts, 4)?, lingsun_emu.router())?;
        let hook = lingsun_emu.clone();
        lingsun_server.on_expire_credentials(move || hook.expire_tokens());

        Ok(Self {
            moyun: (moyun_emu, moyun_server),
            vmr: (vmr_emu, vmr_server),
            webapi: (webapi_emu, webapi_server),
            ytx: (ytx_emu, ytx_server),
            lingsun: (lingsun_emu, lingsun_server),
            demo: Value::Null,
        })
    }

    /// Create demo objects users can act on right away: two participants in the vmr room, a
    /// moyun conference and a ytx phone meeting (both created through the real clients).
    pub async fn seed(&mut self) -> Result<(), Error> {
        let alice = self.vmr.0.add_participant(VMR_ROOM, DialIn::guest("Alice"));
        let bob = self.vmr.0.add_participant(VMR_ROOM, DialIn::chair("Bob"));

        let m = &self.moyun.0.config().clone();
        let (user, password) = m.users.iter().next().map(|(u, p)| (u.clone(), p.clone())).unwrap_or_default();
        let moyun = moyun_api::MoyunClient::builder(m.app_key.clone(), m.app_secret.clone(), user, password)
            .config(loopback(&self.moyun.1.base_url())?)
            .heartbeat_interval(None)
            .build()?;
        let conf_id = moyun.mc().create_conf().instant().name("Sandbox demo conference").send().await?.conf_id.unwrap_or_default();

        let y = YtxEmuConfig::default();
        let ytx = ytx_telemeeting::YtxClient::builder(y.account_sid.clone(), secret(y.auth_token.clone()), y.app_id.clone())
            .config(ClientConfig::parse(&self.ytx.1.base_url())?.proxy_from_env(false))
            .build()?;
        let meid = ytx
            .create_meeting_with(ytx_telemeeting::CreateMeetingRequest::new("13100001314").meeting_name("Sandbox demo meeting"))
            .await?
            .meid;
        self.demo = json!({
            "vmr_participants": [{ "uuid": alice, "display_name": "Alice" }, { "uuid": bob, "display_name": "Bob" }],
            "moyun_conf_id": conf_id,
            "ytx_conf_id": meid,
        });
        Ok(())
    }

    /// Base URLs, demo credentials and demo objects, one object per vendor.
    pub fn describe(&self) -> Value {
        let m = self.moyun.0.config();
        let (user, password) = m.users.iter().next().map(|(u, p)| (u.clone(), p.clone())).unwrap_or_default();
        let w = self.webapi.0.config();
        let y = self.ytx.0.config();
        let l = LingsunConfig::default();
        json!({
            "moyun": {
                "base_url": self.moyun.1.base_url(), "app_key": m.app_key, "app_secret": m.app_secret,
                "username": user, "password": password, "conf_id": self.demo["moyun_conf_id"],
            },
            "vmr": {
                "base_url": self.vmr.1.base_url(), "api_server": self.vmr.1.base_url(), "room": VMR_ROOM, "room_id": VMR_ROOM_ID,
                "host_pin": VMR_HOST_PIN, "guest_pin": VMR_GUEST_PIN, "participants": self.demo["vmr_participants"],
            },
            "webapi": {
                "base_url": self.webapi.1.base_url(), "key": w.key,
                "java_key_hex": w.java_key_hex.as_ref().map(|k| k.0.clone()), "java_iv_hex": w.java_key_hex.as_ref().map(|k| k.1.clone()),
                "php_passkey": w.php_passkey.as_ref().map(|k| k.0.clone()), "php_passphrase": w.php_passkey.as_ref().map(|k| k.1.clone()),
            },
            "ytx": {
                "base_url": self.ytx.1.base_url(), "account_sid": y.account_sid, "auth_token": y.auth_token, "app_id": y.app_id,
                "conf_id": self.demo["ytx_conf_id"],
            },
            "lingsun": {
                "base_url": self.lingsun.1.base_url(), "region": "cn", "client_id": l.client_id, "client_secret": l.client_secret,
                "username": l.users.first().map(|u| u.0.clone()), "password": l.users.first().map(|u| u.1.clone()),
            },
        })
    }

    /// Stop every server.
    pub async fn shutdown(self) {
        self.moyun.1.shutdown().await;
        self.vmr.1.shutdown().await;
        self.webapi.1.shutdown().await;
        self.ytx.1.shutdown().await;
        self.lingsun.1.shutdown().await;
    }
}

/// Transport settings for an in-process emulator: no proxy, quick retries.
pub fn loopback(base_url: &str) -> Result<ClientConfig, Error> {
    Ok(ClientConfig::parse(base_url)?
        .proxy_from_env(false)
        .connect_timeout(Duration::from_secs(2))
        .attempt_timeout(Duration::from_secs(5))
        .operation_deadline(Duration::from_secs(8))
        .retry(conf_core::RetryPolicy::default().initial_backoff(Duration::from_millis(10)).max_backoff(Duration::from_millis(50))))
}

/// The apps of the moyun platform, each with its own API level.
pub const MOYUN_APPS: [&str; 6] = ["system", "mc", "vc", "nms", "amc", "vrs"];

/// Parse `--moyun-api-level APP=LEVEL`.
pub fn parse_api_level(s: &str) -> Result<(String, u32), String> {
    let (app, level) = s.split_once('=').ok_or_else(|| format!("expected APP=LEVEL (e.g. mc=0), got `{s}`"))?;
    let app = app.trim();
    if !MOYUN_APPS.contains(&app) {
        return Err(format!("unknown moyun app `{app}` (one of {})", MOYUN_APPS.join(", ")));
    }
    let level = level.trim().parse::<u32>().map_err(|e| format!("level `{}` is not a non-negative integer: {e}", level.trim()))?;
    Ok((app.to_string(), level))
}

/// `confctl sandbox`: serve until Ctrl-C.
pub async fn run(args: SandboxArgs, out: Output) -> Result<u8, Error> {
    if let Some(a) = args.bind {
        if !a.ip().is_loopback() {
            eprintln!(
                "confctl: warning: serving the emulators on {} (not loopback): anyone who can reach it can use the demo credentials",
                a.ip()
            );
        }
    }
    let mut sandbox = Sandbox::start(Options { bind: args.bind, fast: false })
        .await
        .map_err(|e| Error::invalid_input("--bind", format!("cannot listen: {e}")))?;
    sandbox.seed().await?;
    // After the seed: the demo conference is created at the default level.
    for (app, level) in &args.moyun_api_level {
        sandbox.moyun.0.set_level(app, *level);
    }
    let mut d = sandbox.describe();
    if !args.moyun_api_level.is_empty() {
        let levels: serde_json::Map<String, Value> = args.moyun_api_level.iter().map(|(a, l)| (a.clone(), json!(l))).collect();
        d["moyun"]["api_levels"] = Value::Object(levels);
    }
    let mut table = Table::new(["vendor", "base_url", "demo credentials and objects"]);
    table.row([
        "moyun",
        d["moyun"]["base_url"].as_str().unwrap_or(""),
        &format!(
            "--app-key {} --app-secret {} --username {} --password {}; conference {}{}",
            s(&d["moyun"]["app_key"]),
            s(&d["moyun"]["app_secret"]),
            s(&d["moyun"]["username"]),
            s(&d["moyun"]["password"]),
            s(&d["moyun"]["conf_id"]),
            levels_note(&args.moyun_api_level)
        ),
    ]);
    let parts: Vec<String> = d["vmr"]["participants"]
        .as_array()
        .map(|a| a.iter().map(|p| format!("{} {}", s(&p["display_name"]), s(&p["uuid"]))).collect())
        .unwrap_or_default();
    table.row([
        "vmr",
        d["vmr"]["base_url"].as_str().unwrap_or(""),
        &format!(
            "--room {} (or {}) --pin {} (host) / {} (guest); participants: {}",
            VMR_ROOM,
            VMR_ROOM_ID,
            VMR_HOST_PIN,
            VMR_GUEST_PIN,
            parts.join(", ")
        ),
    ]);
    table.row([
        "webapi",
        d["webapi"]["base_url"].as_str().unwrap_or(""),
        &format!(
            "--key {}; tokens: --key-hex {} --iv-hex {} | --passkey {} --passphrase {}",
            s(&d["webapi"]["key"]),
            s(&d["webapi"]["java_key_hex"]),
            s(&d["webapi"]["java_iv_hex"]),
            s(&d["webapi"]["php_passkey"]),
            s(&d["webapi"]["php_passphrase"])
        ),
    ]);
    table.row([
        "ytx",
        d["ytx"]["base_url"].as_str().unwrap_or(""),
        &format!(
            "--account-sid {} --auth-token {} --app-id {}; meeting {}",
            s(&d["ytx"]["account_sid"]),
            s(&d["ytx"]["auth_token"]),
            s(&d["ytx"]["app_id"]),
            s(&d["ytx"]["conf_id"])
        ),
    ]);
    table.row([
        "lingsun",
        d["lingsun"]["base_url"].as_str().unwrap_or(""),
        &format!(
            "--client-id {} --client-secret {} --username {} --password {}",
            s(&d["lingsun"]["client_id"]),
            s(&d["lingsun"]["client_secret"]),
            s(&d["lingsun"]["username"]),
            s(&d["lingsun"]["password"])
        ),
    ]);
    out.result(&d, &table);
    if !out.json {
        println!("\nserving until Ctrl-C");
    }
    use std::io::Write;
    let _ = std::io::stdout().flush();
    tokio::signal::ctrl_c().await.map_err(|e| Error::other(format!("cannot wait for Ctrl-C: {e}")))?;
    if !out.json {
        println!("stopping");
    }
    // Connections of clients that never close their streams must not hold the exit.
    let _ = tokio::time::timeout(Duration::from_secs(2), sandbox.shutdown()).await;
    Ok(exit::OK)
}

/// `; API level vc=0` when levels were set, else nothing (the default output is unchanged).
fn levels_note(levels: &[(String, u32)]) -> String {
    if levels.is_empty() {
        return String::new();
    }
    let list: Vec<String> = levels.iter().map(|(a, l)| format!("{a}={l}")).collect();
    format!("; API level {}", list.join(" "))
}

fn s(v: &Value) -> String {
    crate::output::cell(v)
}
