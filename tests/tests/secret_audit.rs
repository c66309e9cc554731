//! Secret audit: run `confctl tour` and every fault-matrix flow with TRACE logging captured,
//! then search everything they printed, logged and reported for every secret used.
//!
//! Secrets: the emulators' configured credentials (app secrets, passwords, account tokens,
//! client secrets, company keys, AES keys and passphrases, PINs) and the credentials they
//! issued (account tokens, session cookies, OAuth access and refresh tokens, vmr session
//! tokens), read from the request logs of the emulators (what the clients sent back) and,
//! for the tour's own process, derived from the emulators' issuing schemes.

use std::process::Command;

use conf_sdk_tests::capture;
use conf_sdk_tests::matrix;

/// Numeric secrets shorter than this are matched as whole numbers only (a PIN `4321` must
/// not match inside a port or a serial).
const SHORT_NUMERIC: usize = 9;

/// Remove RFC 3339 timestamps (their fractional seconds are random digits).
fn strip_timestamps(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let is_digit = |j: usize| b.get(j).is_some_and(u8::is_ascii_digit);
    while i < b.len() {
        // YYYY-MM-DDTHH:MM:SS
        let ts = (0..4).all(|k| is_digit(i + k))
            && b.get(i + 4) == Some(&b'-')
            && b.get(i + 10) == Some(&b'T')
            && b.get(i + 13) == Some(&b':')
            && b.get(i + 16) == Some(&b':');
        if ts {
            let mut j = i + 19;
            if b.get(j) == Some(&b'.') {
                j += 1;
                while is_digit(j) {
                    j += 1;
                }
            }
            if b.get(j) == Some(&b'Z') {
                j += 1;
            }
            out.push_str("<time>");
            i = j;
            continue;
        }
        let ch = text[i..].chars().next().expect("char");
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

/// Hits of `secrets` in `text`; short numeric secrets only as whole numbers.
fn hits(text: &str, secrets: &[String]) -> Vec<String> {
    let (short, long): (Vec<String>, Vec<String>) =
        secrets.iter().cloned().partition(|s| s.len() < SHORT_NUMERIC && s.bytes().all(|b| b.is_ascii_digit()));
    let mut found = capture::find_secrets(text, &long);
    for s in short {
        let mut from = 0;
        while let Some(at) = text[from..].find(&s) {
            let start = from + at;
            let end = start + s.len();
            let before = start.checked_sub(1).and_then(|p| text.as_bytes().get(p)).is_some_and(u8::is_ascii_digit);
            let after = text.as_bytes().get(end).is_some_and(u8::is_ascii_digit);
            if !before && !after {
                let context: String = text[..start].chars().rev().take(60).collect::<Vec<_>>().into_iter().rev().collect();
                found.push(format!("numeric secret of {} digits found as a whole number after: ...{context}", s.len()));
                break;
            }
            from = end;
        }
    }
    found
}

/// Tokens of the shapes the emulators issue: lingsun `at-N-<16 hex>` / `rt-N-<16 hex>`, and
/// runs of exactly 48 lowercase hex digits (vmr session tokens).
fn issued_shapes(text: &str) -> Vec<String> {
    let b = text.as_bytes();
    let mut found = Vec::new();
    let hex = |c: u8| c.is_ascii_digit() || (b'a'..=b'f').contains(&c);
    for prefix in ["at-", "rt-"] {
        let mut from = 0;
        while let Some(at) = text[from..].find(prefix) {
            let start = from + at;
            let mut j = start + 3;
            let digits = j;
            while b.get(j).is_some_and(u8::is_ascii_digit) {
                j += 1;
            }
            if j > digits && b.get(j) == Some(&b'-') && (1..=16).all(|k| b.get(j + k).is_some_and(|c| hex(*c))) {
                found.push(format!("an OAuth token of shape {prefix}N-<hex> at byte {start}"));
            }
            from = start + 3;
        }
    }
    let mut run = 0usize;
    for (i, c) in b.iter().enumerate() {
        if hex(*c) {
            run += 1;
        } else {
            if run == 48 {
                found.push(format!("a 48-hex-digit token at byte {}", i - 48));
            }
            run = 0;
        }
    }
    if run == 48 {
        found.push(format!("a 48-hex-digit token at byte {}", b.len() - 48));
    }
    found
}

/// The moyun emulator's n-th account token and session cookie (its issuing scheme), so the
/// tour's own credentials can be searched for.
fn moyun_issued(n: u64) -> [String; 2] {
    let token = format!("{:032x}", u128::from(n) * 0x9e37_79b9_7f4a_7c15 + u128::from(n));
    let cookie = format!("{:08x}-9033-4317-8fe5-{:012x}", n, u64::from(n as u32).wrapping_mul(0x5bd1_e995));
    [token, cookie]
}

/// The secrets `confctl tour` uses: the default emulator configurations.
fn tour_secrets() -> Vec<String> {
    let moyun = conf_sandbox::moyun::MoyunConfig::default();
    let lingsun = conf_sandbox::lingsun::LingsunConfig::default();
    let webapi = conf_sandbox::webapi::WebApiConfig::default();
    let ytx = conf_sandbox::ytx::YtxConfig::default();
    let mut s = vec![moyun.app_secret.clone(), lingsun.client_secret.clone(), webapi.key.clone(), ytx.auth_token.clone()];
    s.extend(moyun.users.values().cloned());
    s.extend(lingsun.users.iter().map(|(_, p)| p.clone()));
    if let Some((k, iv)) = webapi.java_key_hex {
        s.extend([k, iv]);
    }
    if let Some((k, p)) = webapi.php_passkey {
        s.extend([k, p]);
    }
    s.extend(["123456".to_string(), "4321".to_string()]);
    for n in 1..=20 {
        s.extend(moyun_issued(n));
    }
    s
}

#[test]
fn the_detectors_find_what_they_look_for() {
    // Every detector must be able to fail: plant one of each and find it.
    let secrets = vec!["s3cr3t-value".to_string(), "4321".to_string()];
    assert_eq!(hits("xx s3cr3t-value yy", &secrets).len(), 1);
    assert_eq!(hits("pin=4321;", &secrets).len(), 1);
    assert!(hits("port 43210 serial 14321", &secrets).is_empty(), "short numbers only as whole numbers");
    assert_eq!(strip_timestamps("2026-11-23T14:42:18.968872Z x"), "<time> x");
    assert_eq!(issued_shapes("Bearer at-3-0123456789abcdef.").len(), 1);
    assert_eq!(issued_shapes(&format!("t={}", "ab".repeat(24))).len(), 1);
    assert!(issued_shapes(&format!("t={}", "ab".repeat(25))).is_empty());
    let [token, cookie] = moyun_issued(1);
    assert_eq!(token.len(), 32);
    assert!(cookie.contains("-9033-4317-8fe5-"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_in_any_output() {
    let buffer = capture::install().expect("install the TRACE subscriber");

    // The capture works: a planted canary is found, at TRACE level and from any target.
    let canary = "canary-7f3c9e1d-not-a-secret";
    tracing::trace!(target: "audit::canary", value = canary, "planted");
    assert_eq!(capture::find_secrets(&buffer.text(), &[canary.to_string()]).len(), 1, "the capture must see TRACE events");

    // 1. Every fault-matrix flow (every cell, every fault) with TRACE logging.
    let cells = matrix::run_all().await;
    assert!(!buffer.is_empty());
    let mut secrets: Vec<String> = cells.iter().flat_map(|c| c.secrets.iter().cloned()).collect();
    secrets.sort();
    secrets.dedup();
    assert!(secrets.len() >= 15, "secrets gathered from configurations and the wire: {}", secrets.len());
    let mut texts = strip_timestamps(&buffer.text());
    for c in &cells {
        texts.push_str(&c.observed);
        texts.push('\n');
        for t in &c.texts {
            texts.push_str(t);
            texts.push('\n');
        }
    }
    texts.push_str(&serde_json::to_string(&cells).expect("json"));
    let mut found = hits(&texts, &secrets);
    found.extend(issued_shapes(&texts));
    assert!(
        found.is_empty(),
        "{} secret(s) found in the fault-matrix output ({} bytes searched, {} secrets):\n{}",
        found.len(),
        texts.len(),
        secrets.len(),
        found.join("\n")
    );

    // 2. `confctl tour` with CONFCTL_LOG=trace: stdout and stderr.
    let out = Command::new(env!("CARGO"))
        .args(["run", "-q", "-p", "confctl", "--", "tour"])
        .env("CONFCTL_LOG", "trace")
        .env("NO_COLOR", "1")
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .output()
        .expect("run confctl tour");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "confctl tour failed: {}\n{stdout}\n{stderr}", out.status);
    assert!(stderr.contains("TRACE") || stderr.contains("trace"), "CONFCTL_LOG=trace logged nothing at TRACE:\n{stderr}");
    let tour = strip_timestamps(&format!("{stdout}\n{stderr}"));
    let mut found = hits(&tour, &tour_secrets());
    found.extend(issued_shapes(&tour));
    assert!(
        found.is_empty(),
        "{} secret(s) found in the output of confctl tour ({} bytes):\n{}",
        found.len(),
        tour.len(),
        found.join("\n")
    );
}
