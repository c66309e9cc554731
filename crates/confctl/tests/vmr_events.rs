//! `confctl vmr events` against small loopback nodes that never deliver: `--timeout` ends a
//! comment-only stream (exit 4), a token refused again after renewal ends it (exit 3).

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// How the fake node answers `events`.
#[derive(Clone, Copy)]
enum EventsAnswer {
    /// 200 and keep-alive comments, never an event.
    CommentsOnly,
    /// 403 Invalid token, every time.
    Refused,
}

/// A node on `127.0.0.1:0` serving new_session, refresh_session, end_session and events.
/// Returns its base URL and the number of `events` requests it received.
fn node(answer: EventsAnswer) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let events = Arc::new(AtomicUsize::new(0));
    let counter = events.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let counter = counter.clone();
            std::thread::spawn(move || serve(stream, answer, &counter));
        }
    });
    (url, events)
}

fn serve(mut stream: TcpStream, answer: EventsAnswer, events: &AtomicUsize) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let target = line.split(' ').nth(1).unwrap_or("").to_string();
    let mut length = 0usize;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
            break;
        }
        if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    let _ = reader.read_exact(&mut body);
    let json = |s: &mut TcpStream, status: &str, body: &str| {
        let _ = write!(
            s,
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
    };
    if target.contains("/new_session") || target.contains("/refresh_session") {
        json(
            &mut stream,
            "200 OK",
            r#"{"status":"success","result":{"token":"SeCrEt-tok-77","expires":"120","participant_uuid":"u-1","role":"HOST"}}"#,
        );
    } else if target.contains("/events") {
        events.fetch_add(1, Ordering::Relaxed);
        match answer {
            EventsAnswer::Refused => json(&mut stream, "403 Forbidden", r#"{"status":"failed","result":"Invalid token"}"#),
            EventsAnswer::CommentsOnly => {
                let _ = stream.write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n: keepalive\n\n: keepalive\n\n",
                );
                let _ = stream.flush();
                // Hold the connection open until the client goes away.
                let mut sink = [0u8; 64];
                while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
            }
        }
    } else {
        json(&mut stream, "200 OK", r#"{"status":"success","result":true}"#);
    }
}

fn confctl(args: &[&str]) -> (i32, String) {
    let mut c = common::confctl_command();
    let out = c.args(args).output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn events_timeout_ends_a_comment_only_stream_with_exit_4() {
    let (url, events) = node(EventsAnswer::CommentsOnly);
    let (code, err) = confctl(&["vmr", "--base-url", &url, "--room", "1061", "events", "--count", "3", "--timeout", "1"]);
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("vmr.events") && err.contains("timed out"), "{err}");
    assert!(events.load(Ordering::Relaxed) >= 1);
}

#[test]
fn events_end_when_the_token_is_refused_after_renewal() {
    let (url, events) = node(EventsAnswer::Refused);
    let (code, err) = confctl(&["vmr", "--base-url", &url, "--room", "1061", "events", "--count", "3", "--timeout", "600"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("refused the session's token"), "{err}");
    assert_eq!(events.load(Ordering::Relaxed), 2, "refused, renewed, refused again: no third try");
    assert!(!err.contains("SeCrEt-tok-77"), "no token in the output: {err}");
}

#[test]
fn events_timeout_zero_is_a_usage_error() {
    let (code, err) = confctl(&["vmr", "--base-url", "http://127.0.0.1:9", "--room", "1061", "events", "--count", "3", "--timeout", "0"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--timeout"), "{err}");
}
