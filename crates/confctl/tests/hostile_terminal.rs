//! Terminal injection (issue 12 #5): whatever text a server sends (vendor error messages,
//! HTML `<title>`s, names in tables), confctl's stdout and stderr carry no raw control
//! character (only the `\n` ending each line) and stay bounded, with and without `--json`.
//!
//! The server is a small adversarial HTTP/1.1 server on loopback that answers every request
//! with the bytes a scenario gives it.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Output;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};

/// Escape sequences a hostile server would send: set the window title, clear the screen,
/// ring the bell, return to the line start and overwrite it, a C1 CSI, a bidi override.
const NASTY: &str = "\u{1b}]0;owned\u{7}\u{1b}[2J\u{1b}[31mred\rOVERWRITE\u{8}\u{7f}\u{9b}1m\u{202e}txt";
/// One megabyte.
const MB: usize = 1 << 20;

/// Answers every request with `response`; counts requests. Stops with the test process.
struct Hostile {
    url: String,
    requests: Arc<AtomicUsize>,
}

impl Hostile {
    fn start(response: Vec<u8>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(AtomicUsize::new(0));
        let count = requests.clone();
        let response = Arc::new(response);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (count, response) = (count.clone(), response.clone());
                std::thread::spawn(move || serve(stream, &count, &response));
            }
        });
        Self { url, requests }
    }
}

/// Read one request (head, then `content-length` bytes of body) and answer it.
fn serve(mut stream: TcpStream, count: &AtomicUsize, response: &[u8]) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let len = head.lines().find_map(|l| l.strip_prefix("content-length:")).and_then(|v| v.trim().parse::<usize>().ok()).unwrap_or(0);
    while buf.len() < head_end + len {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    count.fetch_add(1, Ordering::SeqCst);
    let _ = stream.write_all(response);
    let _ = stream.flush();
}

fn http(status: u16, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut r =
        format!("HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n", body.len())
            .into_bytes();
    r.extend_from_slice(body);
    r
}

fn confctl(args: &[&str]) -> (i32, String, String) {
    let mut c = common::confctl_command();
    let Output { status, stdout, stderr } = c.args(args).output().unwrap();
    // Raw bytes, not lossy: a C1 control is two UTF-8 bytes and must be seen.
    let (out, err) = (String::from_utf8(stdout).expect("stdout is UTF-8"), String::from_utf8(stderr).expect("stderr is UTF-8"));
    (status.code().unwrap_or(-1), out, err)
}

/// No control character but the newline ending each line, no bidi override, at most
/// `max_bytes`, and no line longer than `max_line` characters.
fn assert_terminal_safe(what: &str, text: &str, max_bytes: usize, max_line: usize) {
    let bad: Vec<char> =
        text.chars().filter(|&c| (c.is_control() && c != '\n') || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')).collect();
    assert!(bad.is_empty(), "{what}: raw control characters {bad:?} in {:?}", &text[..text.len().min(600)]);
    assert!(text.len() <= max_bytes, "{what}: {} bytes printed", text.len());
    for line in text.lines() {
        assert!(line.chars().count() <= max_line, "{what}: a line of {} characters", line.chars().count());
    }
}

fn ytx(base: &str, tail: &[&str], json: bool) -> (i32, String, String) {
    let mut args = Vec::new();
    if json {
        args.push("--json");
    }
    args.extend([
        "ytx",
        "--base-url",
        base,
        "--account-sid",
        "abcdefghijklmnopqrstuvwxyz012345",
        "--auth-token",
        "0123456789abcdef0123456789abcdef",
        "--app-id",
        "ff8080813fc70a7b013fc72312324213",
    ]);
    args.extend(tail);
    confctl(&args)
}

#[test]
fn vendor_error_text_is_escaped_and_capped_on_stderr() {
    let message = format!("{NASTY}{}{NASTY}", "A".repeat(MB));
    let server =
        Hostile::start(http(200, "application/json", json!({ "statusCode": "-103", "statusMsg": message }).to_string().as_bytes()));
    for json in [false, true] {
        let (code, out, err) = ytx(&server.url, &["state", "--conf-id", "1"], json);
        assert_eq!(code, 3, "vendor error (--json {json}): {err:.300}");
        assert!(out.is_empty(), "{out:.300}");
        assert!(err.starts_with("confctl: ") && err.contains("-103"), "{err:.300}");
        assert!(err.contains("\\u{1b}]0;owned\\u{7}"), "escapes are shown, not sent: {err:.300}");
        assert_terminal_safe("stderr", &err, 16 * 1024, 4096);
    }
    // The SDK's own log lines on stderr (every level): no raw control either, and bounded.
    let (code, _, err) = ytx(&server.url, &["state", "--conf-id", "1"], false);
    assert_eq!(code, 3);
    let (code, out, err_trace) = confctl(&[
        "--log",
        "trace",
        "ytx",
        "--base-url",
        &server.url,
        "--account-sid",
        "abcdefghijklmnopqrstuvwxyz012345",
        "--auth-token",
        "0123456789abcdef0123456789abcdef",
        "--app-id",
        "ff8080813fc70a7b013fc72312324213",
        "state",
        "--conf-id",
        "1",
    ]);
    assert_eq!(code, 3, "{out:.300}");
    assert!(err_trace.len() > err.len(), "trace logging is on: {err_trace:.300}");
    assert_terminal_safe("stderr with --log trace", &err_trace, 256 * 1024, 8192);
    assert!(server.requests.load(Ordering::SeqCst) >= 4);
}

#[test]
fn html_title_of_an_error_page_is_escaped_and_capped() {
    let page = format!("<html><head><title>{NASTY}{}</title></head><body>{NASTY}</body></html>", "T".repeat(MB));
    let server = Hostile::start(http(500, "text/html", page.as_bytes()));
    let (code, out, err) = ytx(&server.url, &["state", "--conf-id", "1"], false);
    assert_eq!(code, 3, "HTTP status error: {err:.300}");
    assert!(out.is_empty(), "{out:.300}");
    assert!(err.contains("500"), "{err:.300}");
    assert_terminal_safe("stderr", &err, 16 * 1024, 4096);
}

#[test]
fn names_in_tables_and_json_are_escaped_and_capped() {
    let huge = format!("{NASTY}{}", "9".repeat(MB));
    let members = json!([
        { "meid": "1", "phone": format!("138{NASTY}0000"), "statusname": format!("在线{NASTY}"), "ifmutename": "未静音" },
        { "meid": "1", "phone": huge, "statusname": "不在线", "ifmutename": format!("{NASTY}已静音") },
    ]);
    let server = Hostile::start(http(200, "application/json", json!({ "statusCode": "0", "statusMsg": members }).to_string().as_bytes()));

    // Human table: every cell escaped and capped; one line per member.
    let (code, out, err) = ytx(&server.url, &["state", "--conf-id", "1"], false);
    assert_eq!(code, 0, "{err:.300}");
    assert!(out.starts_with("phone"), "{out:.300}");
    assert_eq!(out.lines().count(), 3, "header and two rows: {out:.600}");
    assert!(out.contains("138\\u{1b}]0;owned"), "{out:.600}");
    assert!(out.contains('…'), "the 1 MB cell is cut: {out:.600}");
    assert_terminal_safe("table", &out, 8 * 1024, 1024);
    assert_terminal_safe("stderr", &err, 16 * 1024, 4096);

    // JSON: the same data, every control escaped (C0 by serde, DEL/C1/bidi by confctl), values intact.
    let (code, out, err) = ytx(&server.url, &["state", "--conf-id", "1"], true);
    assert_eq!(code, 0, "{err:.300}");
    assert_terminal_safe("json", &out, 2 * MB + 64 * 1024, usize::MAX);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["members"][0]["phone"], format!("138{NASTY}0000"), "JSON keeps the exact value");
    assert_eq!(out.lines().count(), 1);
}
