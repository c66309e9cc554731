//! `moyun mts add --debug` prints the parameter problems the platform lists (and exits 3),
//! against an in-process emulator whose debug answer is replaced by a canned one.

use std::process::Command;

use conf_sandbox::moyun::{MoyunConfig, MoyunEmulator};
use conf_sandbox::{Fault, FaultRule};
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debug_mode_prints_the_platforms_problems() {
    let config = MoyunConfig::default();
    let (_emu, server) = MoyunEmulator::start(config.clone()).await.unwrap();
    // The document's answer shape, with its `dubug_list` spelling.
    let body = r#"{"success":1,"dubug_list":{"mts":[{"bitrate":"下参中缺少该必填参数"}]}}"#;
    server.faults().add(
        FaultRule::new(Fault::Body { status: 200, content_type: "application/json".into(), body: body.into() }).query_contains("debug=1"),
    );
    let (user, password) = config.users.iter().next().map(|(u, p)| (u.clone(), p.clone())).unwrap();
    let args: Vec<String> = [
        "--json",
        "moyun",
        "--base-url",
        &server.base_url(),
        "--app-key",
        &config.app_key,
        "--app-secret",
        &config.app_secret,
        "--username",
        &user,
        "--password",
        &password,
        "mts",
        "add",
        "--conf-id",
        "1118986",
        "--account",
        "2322231",
        "--debug",
    ]
    .iter()
    .map(|s| (*s).to_string())
    .collect();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_confctl")).args(&args).env_remove("CONFCTL_LOG").output().unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stdout}\n{stderr}");
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["valid"], false);
    assert_eq!(v["problems"], serde_json::json!([{ "field": "mts[0].bitrate", "message": "下参中缺少该必填参数" }]));
    assert!(stderr.contains("1 parameter problem"), "{stderr}");
    // validate-only: the add went out once, in debug mode, and nothing else was added
    assert_eq!(server.log().count_matching(|r| r.query.as_deref().is_some_and(|q| q.contains("debug=1"))), 1);
    assert!(!stdout.contains(&password) && !stderr.contains(&password) && !stderr.contains(&config.app_secret));
    server.shutdown().await;
}
