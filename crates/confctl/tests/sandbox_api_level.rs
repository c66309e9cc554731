//! `confctl sandbox --moyun-api-level APP=LEVEL`: the lowered level is what the moyun
//! emulator reports, and a client call to that app fails as unsupported (exit 2, nothing sent).

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};

use serde_json::Value;

/// The sandbox child; killed when dropped (also when a test panics).
struct Sandbox(Child);

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A plain HTTP/1.1 GET on loopback; the JSON body.
fn get_json(base_url: &str, path: &str) -> Value {
    let host = base_url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(host).unwrap();
    stream.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    serde_json::from_str(body.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

#[test]
fn a_lowered_moyun_api_level_is_served_and_refused_by_the_client() {
    let mut child = common::confctl_command()
        .args(["--json", "sandbox", "--bind", "127.0.0.1:0", "--moyun-api-level", "vc=0", "--moyun-api-level", "nms=3"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let _sandbox = Sandbox(child);
    let urls: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("first line is the JSON description ({e}): {line}"));
    let m = &urls["moyun"];
    assert_eq!(m["api_levels"], serde_json::json!({"vc": 0, "nms": 3}), "{m}");
    let base = m["base_url"].as_str().unwrap();
    assert_eq!(get_json(base, "/api/vc/version")["api_level"], 0);
    assert_eq!(get_json(base, "/api/nms/version")["api_level"], 3);
    assert_eq!(get_json(base, "/api/mc/version")["api_level"], 1, "other apps keep the default");

    let s = |k: &str| m[k].as_str().unwrap().to_string();
    let out = common::confctl_command()
        .args(["moyun", "--base-url", base, "--app-key", &s("app_key"), "--app-secret", &s("app_secret")])
        .args(["--username", &s("username"), "--password", &s("password"), "confs", "list"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "vc at level 0: the listing is unsupported\n{stderr}");
    assert!(out.stdout.is_empty());
    assert!(stderr.to_lowercase().contains("support"), "{stderr}");
}

#[test]
fn a_malformed_level_is_a_usage_error() {
    for bad in ["vc", "upu=1", "vc=-1", "vc=x"] {
        let out = common::confctl_command().args(["sandbox", "--moyun-api-level", bad]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("--moyun-api-level"), "{bad}: {stderr}");
    }
}
