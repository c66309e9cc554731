//! Hostile servers, issue 12 #7: a platform that sets a flood of fresh cookies on every reply
//! must not make the client's `Cookie` header (and so every request) grow without bound.

use conf_core::ClientHandle;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use conf_core::Operation;
use conf_sdk_tests::hostile::{HostileServer, RecordedRequest, Responder};
use http::Method;
use moyun_api::MoyunClient;
use serde_json::Value;

/// Fresh cookies set by every reply.
const COOKIES_PER_PAGE: usize = 90;
/// Pages fetched after the login (each answered with another 90 cookies).
const PAGES: usize = 20;
/// The jar's default cap on the `Cookie` header (`CookieLimits::default().max_header_bytes`).
const HEADER_CAP: usize = 8192;

fn list_confs() -> Operation {
    Operation::new("moyun", "vc.list_confs", Method::GET, "/api/v1/vc/confs", "/api/v1/vc/confs").min_level("vc", 1)
}

/// A moyun platform that answers correctly but adds 90 never-seen cookies of ~120 bytes to
/// every reply (about 11 KB of new cookies per page).
async fn cookie_flood_server() -> HostileServer {
    let serial = Arc::new(AtomicU64::new(0));
    HostileServer::start(move |req: RecordedRequest, mut resp: Responder| {
        let serial = serial.clone();
        async move {
            let target = req.target().to_owned();
            let body = if target.starts_with("/api/v1/system/token") {
                r#"{"success":1,"account_token":"tok-0123456789"}"#
            } else if target.starts_with("/api/v1/system/login") {
                r#"{"success":1,"username":"name"}"#
            } else if target.ends_with("/version") {
                r#"{"success":1,"version":"6.0.0.0.0.20190603","api_level":1}"#
            } else {
                r#"{"success":1,"total":0,"confs":[]}"#
            };
            let mut cookies: Vec<String> = (0..COOKIES_PER_PAGE)
                .map(|_| {
                    let n = serial.fetch_add(1, Ordering::Relaxed);
                    format!("flood{n:06}={}; Path=/", "f".repeat(100))
                })
                .collect();
            if target.starts_with("/api/v1/system/login") {
                cookies.push("SSO_COOKIE_KEY=890db118-9033-4317-8fe5-7456913d5793;".to_owned());
            }
            let mut headers: Vec<(&str, &str)> = vec![("content-type", "application/json")];
            headers.extend(cookies.iter().map(|c| ("set-cookie", c.as_str())));
            let _ = resp.respond(200, &headers, body.as_bytes()).await;
        }
    })
    .await
}

#[tokio::test]
async fn a_cookie_flood_does_not_grow_the_cookie_header_beyond_the_cap() {
    let server = cookie_flood_server().await;
    let client = MoyunClient::builder("key", "12345678", "name", "888888")
        .config(conf_core::ClientConfig::parse(&server.url()).expect("config").proxy_from_env(false))
        .heartbeat_interval(None)
        .build()
        .expect("client");
    for page in 0..PAGES {
        let v: Value = client.send(moyun_api::custom(list_confs())).await.unwrap_or_else(|e| panic!("page {page}: {e}"));
        assert_eq!(v["success"], 1);
    }
    let requests = server.requests();
    let pages: Vec<&RecordedRequest> = requests.iter().filter(|r| r.target().starts_with("/api/v1/vc/confs")).collect();
    assert_eq!(pages.len(), PAGES, "every page reached the server");
    let sent_cookies = (PAGES + 2) * COOKIES_PER_PAGE;
    assert!(sent_cookies * 100 > 10 * HEADER_CAP, "the server set ten times the cap: {sent_cookies} cookies of 100 bytes");
    let mut largest = 0;
    for r in &pages {
        let cookie = r.header("cookie").expect("the session cookie is sent");
        largest = largest.max(cookie.len());
        assert!(cookie.len() <= HEADER_CAP, "Cookie header of {} bytes on {}", cookie.len(), r.target());
        assert!(cookie.starts_with("SSO_COOKIE_KEY=890db118-9033-4317-8fe5-7456913d5793"), "session cookie first: {}", &cookie[..80]);
        assert!(cookie.split("; ").count() <= 50, "at most 50 cookies per host");
    }
    assert!(largest > HEADER_CAP / 2, "the flood did fill the jar up to its bounds ({largest} bytes)");
    assert_eq!(client.cookies().len_for(&server.url().parse().unwrap()), 50, "the jar keeps 50 cookies for the host");
}
