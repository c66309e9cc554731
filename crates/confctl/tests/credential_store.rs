//! `--credential-store` / `--credential-key` on every vendor command: checked before
//! anything is sent (a bad URL or key is a usage error, exit 2).

mod common;

use std::process::Output;

const KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

/// Each vendor command with its required flags, the platform on a closed port.
fn commands() -> Vec<Vec<&'static str>> {
    let base = "http://127.0.0.1:9";
    vec![
        vec!["moyun", "--base-url", base, "--app-key", "k", "--app-secret", "s", "--username", "u", "--password", "p", "confs", "list"],
        vec!["vmr", "--base-url", base, "--room", "meet@vmr.example", "status"],
        vec![
            "lingsun",
            "--base-url",
            base,
            "--client-id",
            "c",
            "--client-secret",
            "s",
            "--username",
            "u",
            "--password",
            "p",
            "packages",
            "list",
        ],
        vec!["ytx", "--base-url", base, "--account-sid", "a", "--auth-token", "t", "--app-id", "i", "state", "--conf-id", "1"],
        vec!["webapi", "--base-url", base, "--key", "k", "meeting", "delete", "--serial", "1"],
    ]
}

fn run(args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let mut cmd = common::confctl_command();
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let Output { status, stderr, .. } = cmd.output().unwrap();
    (status.code().unwrap_or(-1), String::from_utf8_lossy(&stderr).into_owned())
}

/// `args` with `extra` right after the vendor name (group flags precede the subcommand).
fn with(args: &[&'static str], extra: &[&'static str]) -> Vec<&'static str> {
    let mut v = vec![args[0]];
    v.extend_from_slice(extra);
    v.extend_from_slice(&args[1..]);
    v
}

#[test]
fn every_vendor_command_checks_the_store_flags_before_sending() {
    for args in commands() {
        let (code, err) = run(&with(&args, &["--credential-store", "http://127.0.0.1:6379/", "--credential-key", KEY]), &[]);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains("--credential-store") && err.contains("redis://"), "{args:?}: {err}");
        assert!(err.contains("nothing was sent"), "{args:?}: {err}");

        let (code, err) = run(&with(&args, &["--credential-store", "redis://127.0.0.1:6379/"]), &[]);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains("--credential-key"), "{args:?}: {err}");

        // A CA for a TLS store: it must be readable and hold a certificate, and it needs rediss://.
        let (code, err) = run(
            &with(
                &args,
                &[
                    "--credential-store",
                    "rediss://127.0.0.1:6379/",
                    "--credential-key",
                    KEY,
                    "--credential-store-ca",
                    "/nonexistent/ca.pem",
                ],
            ),
            &[],
        );
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains("--credential-store-ca") && err.contains("nothing was sent"), "{args:?}: {err}");
        let (code, err) = run(
            &with(
                &args,
                &["--credential-store", "rediss://127.0.0.1:6379/", "--credential-key", KEY, "--credential-store-ca", "Cargo.toml"],
            ),
            &[],
        );
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains("no PEM certificate"), "{args:?}: {err}");

        let (code, err) = run(&args, &[("CONFCTL_CREDENTIAL_STORE", "redis://127.0.0.1:6379/"), ("CONFCTL_CREDENTIAL_KEY", "not-a-key")]);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains("--credential-key") && !err.contains("not-a-key"), "{args:?}: {err}");
    }
}
