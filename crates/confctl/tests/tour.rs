//! `confctl tour` is itself a test: every emulator in-process, every flow passes.

mod common;

use std::process::Command;

fn confctl() -> Command {
    common::confctl_command()
}

#[test]
fn tour_passes_and_prints_the_summary() {
    let out = confctl().arg("tour").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains("vendor   steps  result  time"), "{stdout}");
    for vendor in ["vmr", "moyun", "webapi", "ytx", "lingsun"] {
        let line = stdout
            .lines()
            .find(|l| l.starts_with(&format!("{vendor} ")))
            .unwrap_or_else(|| panic!("no summary row for {vendor}:\n{stdout}"));
        assert!(line.contains("passed"), "{line}");
        assert!(stdout.contains(&format!("[{vendor:<7}] ok ")), "no progress line for {vendor}");
    }
    assert!(!stdout.contains("FAIL"), "{stdout}");
    assert!(stdout.lines().any(|l| l.starts_with("tour passed in ")), "{stdout}");
    // The flows exercise what the issue names.
    for step in ["join check", "events: roster sync", "dial", "push event", "join URL with token", "lockMeeting", "OAuth token (failover)"]
    {
        assert!(stdout.contains(step), "missing step {step}:\n{stdout}");
    }
}

#[test]
fn tour_json_is_one_document() {
    let out = confctl().args(["--json", "tour", "--only", "ytx,lingsun"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.trim().lines().count(), 1, "exactly one JSON document:\n{stdout}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["passed"], true);
    let vendors: Vec<&str> = v["vendors"].as_array().unwrap().iter().map(|f| f["vendor"].as_str().unwrap()).collect();
    assert_eq!(vendors, ["ytx", "lingsun"]);
    assert!(v["vendors"][0]["steps"].as_array().unwrap().iter().all(|s| s["ok"] == true));
    // progress went to stderr
    assert!(String::from_utf8_lossy(&out.stderr).contains("[ytx    ] ok"));
}
