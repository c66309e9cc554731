//! `cargo xtask release [--dry-run] <version>`: bump the workspace version, date the
//! CHANGELOG's `[Unreleased]` section, and `cargo package` every publishable crate in
//! dependency order. `--dry-run` does all of it on a temporary copy of the workspace.
//! Publishing is the release workflow's job.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail, ensure};

/// Preferred order among crates with no dependency between them.
const PREFERRED: &[&str] = &[
    "conf-macros",
    "conf-core",
    "conf-sandbox",
    "moyun-api",
    "vmr-rest",
    "webapi",
    "ytx-telemeeting",
    "lingsun-rest",
    "conf-sdk",
    "confctl",
];

/// Run a release.
pub fn run(root: &Path, version: &str, dry_run: bool) -> Result<()> {
    check_version(version)?;
    let tmp;
    let work: PathBuf = if dry_run {
        tmp = tempfile::Builder::new().prefix("conf-sdk-release-").tempdir()?;
        copy_tree(root, tmp.path())?;
        println!("dry run: working on a copy in {}", tmp.path().display());
        tmp.path().to_path_buf()
    } else {
        root.to_path_buf()
    };

    let manifest = work.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest)?;
    let (bumped, old) = bump_manifest(&text, version)?;
    std::fs::write(&manifest, bumped)?;
    if old == version {
        println!("version is already {version}");
    } else {
        println!("version {old} -> {version} (workspace.package and workspace.dependencies)");
    }

    let changelog = work.join("CHANGELOG.md");
    if changelog.is_file() {
        let text = std::fs::read_to_string(&changelog)?;
        if old == version && text.contains(&format!("## [{version}]")) {
            // The tagged tree of a prepared release: nothing to move.
            println!("CHANGELOG.md already has ## [{version}]: unchanged");
        } else {
            let updated = release_changelog(&text, version, &today())?;
            std::fs::write(&changelog, updated)?;
            println!("CHANGELOG.md: added ## [{version}] - {}", today());
        }
    } else {
        println!("no CHANGELOG.md: skipped");
    }

    let order = publish_order(&work)?;
    println!("publish order: {}", order.join(", "));
    // One invocation: cargo packages the crates in this order and resolves each one's
    // workspace dependencies against the packages built before it (they are not on
    // crates.io yet, so one `cargo package` per crate could not resolve them).
    let mut args: Vec<&str> = vec!["package", "--no-verify", "--allow-dirty"];
    for krate in &order {
        args.extend(["-p", krate.as_str()]);
    }
    println!("==> cargo {}", args.join(" "));
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(&work)
        .args(&args)
        .status()
        .context("running cargo package")?;
    ensure!(status.success(), "cargo package failed");
    if dry_run {
        println!("dry run complete: the working tree is unchanged");
    } else {
        println!("release {version} prepared: review, commit, tag v{version} and push the tag to publish");
    }
    Ok(())
}

/// `MAJOR.MINOR.PATCH` with an optional `-pre` / `+build`.
pub fn check_version(v: &str) -> Result<()> {
    let core = v.split(['-', '+']).next().unwrap_or_default();
    let parts: Vec<&str> = core.split('.').collect();
    ensure!(
        parts.len() == 3 && parts.iter().all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit())),
        "`{v}` is not a SemVer version (MAJOR.MINOR.PATCH, no leading `v`)"
    );
    Ok(())
}

/// Set `[workspace.package] version` and the `version` of every path dependency in
/// `[workspace.dependencies]`. Returns the new text and the old version.
pub fn bump_manifest(text: &str, version: &str) -> Result<(String, String)> {
    let mut section: &str = "";
    let mut old = None;
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let t = line.trim();
        if t.starts_with('[') && !t.starts_with("[[") {
            section = t.trim_matches(['[', ']']).trim();
        } else if t.starts_with("[[") {
            section = t;
        }
        let new_line = match section {
            "workspace.package" if key_of(t) == Some("version") => {
                let (l, v) = replace_version(line, version).context("bad `version` line in [workspace.package]")?;
                old = Some(v);
                l
            }
            "workspace.dependencies" if t.contains("path") && t.contains("version") => {
                replace_version(line, version).map_or_else(|| line.to_owned(), |(l, _)| l)
            }
            _ => line.to_owned(),
        };
        out.push_str(&new_line);
    }
    let old = old.context("no `version` in [workspace.package]")?;
    Ok((out, old))
}

fn key_of(line: &str) -> Option<&str> {
    line.split_once('=').map(|(k, _)| k.trim())
}

/// Replace the first `version = "x"` (as a key or inside an inline table) of a line.
fn replace_version(line: &str, version: &str) -> Option<(String, String)> {
    let start = line.find("version")?;
    let after = &line[start + "version".len()..];
    let eq = after.find('=')?;
    ensure_blank(&after[..eq])?;
    let q1 = after[eq..].find('"')? + eq;
    let q2 = after[q1 + 1..].find('"')? + q1 + 1;
    let old = after[q1 + 1..q2].to_owned();
    let abs = start + "version".len();
    Some((format!("{}\"{version}\"{}", &line[..abs + q1], &line[abs + q2 + 1..]), old))
}

fn ensure_blank(s: &str) -> Option<()> {
    s.trim().is_empty().then_some(())
}

/// Move the `## [Unreleased]` entries under a new `## [<version>] - <date>` heading
/// (leaving `[Unreleased]` empty) and update compare links when the file has them.
pub fn release_changelog(text: &str, version: &str, date: &str) -> Result<String> {
    ensure!(!text.contains(&format!("## [{version}]")), "CHANGELOG.md already has a section for {version}");
    let lines: Vec<&str> = text.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.trim().eq_ignore_ascii_case("## [Unreleased]"))
        .context("CHANGELOG.md has no `## [Unreleased]` section")?;
    let end = lines[start + 1..]
        .iter()
        .position(|l| l.starts_with("## ") || l.starts_with("[Unreleased]:"))
        .map_or(lines.len(), |i| i + start + 1);
    let body: Vec<&str> = lines[start + 1..end].to_vec();
    let trimmed: Vec<&str> = {
        let first = body.iter().position(|l| !l.trim().is_empty());
        let last = body.iter().rposition(|l| !l.trim().is_empty());
        match (first, last) {
            (Some(a), Some(b)) => body[a..=b].to_vec(),
            _ => Vec::new(),
        }
    };
    let mut out: Vec<String> = lines[..=start].iter().map(|s| (*s).to_owned()).collect();
    out.push(String::new());
    out.push(format!("## [{version}] - {date}"));
    out.push(String::new());
    if trimmed.is_empty() {
        out.push("- No notable changes.".to_owned());
    } else {
        out.extend(trimmed.iter().map(|s| (*s).to_owned()));
    }
    out.push(String::new());
    let mut rest: Vec<String> = lines[end..].iter().map(|s| (*s).to_owned()).collect();
    // Compare links: `[Unreleased]: <repo>/compare/vOLD...HEAD`.
    if let Some(i) = rest.iter().position(|l| l.starts_with("[Unreleased]:")) {
        let link = rest[i].clone();
        if let Some((base, tail)) = link.split_once("/compare/") {
            let base = base.trim_start_matches("[Unreleased]:").trim();
            let prev = tail.split("...").next().unwrap_or_default().to_owned();
            rest[i] = format!("[Unreleased]: {base}/compare/v{version}...HEAD");
            rest.insert(i + 1, format!("[{version}]: {base}/compare/{prev}...v{version}"));
        }
    }
    out.extend(rest);
    let mut s = out.join("\n");
    s.push('\n');
    Ok(s)
}

/// Today's date (UTC), `YYYY-MM-DD`.
pub fn today() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (y, m, d) = civil_from_days(i64::try_from(secs / 86_400).unwrap_or(0));
    format!("{y:04}-{m:02}-{d:02}")
}

/// Days since 1970-01-01 -> (year, month, day) (Howard Hinnant's algorithm).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Publishable workspace crates in dependency order (from `cargo metadata`).
pub fn publish_order(work: &Path) -> Result<Vec<String>> {
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(work)
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .output()
        .context("running cargo metadata")?;
    ensure!(out.status.success(), "cargo metadata failed: {}", String::from_utf8_lossy(&out.stderr));
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let packages = meta["packages"].as_array().context("cargo metadata: no packages")?;
    // Normal and build dependencies must be published first; dev-dependencies that carry a
    // version must exist on crates.io too, so they order the crates as well unless they
    // form a cycle.
    let mut deps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut with_dev: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let names: BTreeSet<String> = packages.iter().filter_map(|p| p["name"].as_str().map(str::to_owned)).collect();
    for p in packages {
        let name = p["name"].as_str().unwrap_or_default().to_owned();
        // `publish = false` shows as an empty list.
        if p["publish"].as_array().is_some_and(Vec::is_empty) {
            continue;
        }
        let local = |dev: bool| -> BTreeSet<String> {
            p["dependencies"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|d| dev || d["kind"].as_str() != Some("dev"))
                .filter(|d| !dev || d["kind"].as_str() != Some("dev") || d["req"].as_str() != Some("*"))
                .filter_map(|d| d["name"].as_str().map(str::to_owned))
                .filter(|d| names.contains(d) && *d != name)
                .collect()
        };
        let (hard, all) = (local(false), local(true));
        deps.insert(name.clone(), hard);
        with_dev.insert(name, all);
    }
    topo_order(&with_dev).or_else(|_| topo_order(&deps))
}

/// Dependencies first; among ready crates the preferred order, then by name.
pub fn topo_order(deps: &BTreeMap<String, BTreeSet<String>>) -> Result<Vec<String>> {
    let rank = |n: &str| PREFERRED.iter().position(|p| *p == n).unwrap_or(PREFERRED.len());
    let mut done: Vec<String> = Vec::new();
    let mut left: BTreeSet<&String> = deps.keys().collect();
    while !left.is_empty() {
        let next = left
            .iter()
            .filter(|n| deps[**n].iter().all(|d| !deps.contains_key(d) || done.contains(d)))
            .min_by_key(|n| (rank(n), (**n).clone()))
            .copied();
        match next {
            Some(n) => {
                done.push(n.clone());
                left.remove(n);
            }
            None => bail!("dependency cycle among {left:?}"),
        }
    }
    Ok(done)
}

/// Copy the workspace (without `target/` and `.git/`).
fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        if name == "target" || name == ".git" {
            continue;
        }
        let src = entry.path();
        let dst = to.join(&name);
        let ty = entry.file_type()?;
        if ty.is_dir() {
            std::fs::create_dir_all(&dst)?;
            copy_tree(&src, &dst)?;
        } else if ty.is_file() {
            std::fs::copy(&src, &dst).with_context(|| format!("copying {}", src.display()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = r#"[workspace]
members = ["crates/*"]

[workspace.package]
version = "0.1.0"
edition = "2024"

[workspace.dependencies]
conf-core = { path = "crates/conf-core", version = "0.1.0" }
conf-sandbox = { path = "crates/conf-sandbox", version = "0.1.0", default-features = false }
serde = { version = "1", features = ["derive"] }
toml = "0.8"

[profile.dev]
debug = 1
"#;

    #[test]
    fn bumps_workspace_and_path_dependency_versions_only() {
        let (out, old) = bump_manifest(MANIFEST, "0.2.0").unwrap();
        assert_eq!(old, "0.1.0");
        assert!(out.contains("[workspace.package]\nversion = \"0.2.0\"\n"));
        assert!(out.contains("conf-core = { path = \"crates/conf-core\", version = \"0.2.0\" }"));
        assert!(out.contains("conf-sandbox = { path = \"crates/conf-sandbox\", version = \"0.2.0\", default-features = false }"));
        assert!(out.contains("serde = { version = \"1\", features = [\"derive\"] }"));
        assert!(out.contains("toml = \"0.8\""));
        assert_eq!(out.lines().count(), MANIFEST.lines().count());
        assert!(bump_manifest("[workspace]\n", "1.0.0").is_err());
    }

    #[test]
    fn versions_are_checked() {
        assert!(check_version("0.2.0").is_ok());
        assert!(check_version("1.0.0-rc.1").is_ok());
        assert!(check_version("v0.2.0").is_err());
        assert!(check_version("0.2").is_err());
    }

    #[test]
    fn changelog_moves_unreleased_entries() {
        let text = "# Changelog\n\nIntro.\n\n## [Unreleased]\n\n### Added\n- a thing\n\n## [0.1.0] - 2026-01-01\n\n- first\n";
        let out = release_changelog(text, "0.2.0", "2026-11-23").unwrap();
        assert_eq!(
            out,
            "# Changelog\n\nIntro.\n\n## [Unreleased]\n\n## [0.2.0] - 2026-11-23\n\n### Added\n- a thing\n\n## [0.1.0] - 2026-01-01\n\n- first\n"
        );
        assert!(release_changelog(&out, "0.2.0", "2026-11-23").is_err(), "a version is released once");
        let empty = release_changelog("## [Unreleased]\n", "0.3.0", "2026-11-24").unwrap();
        assert!(empty.contains("## [0.3.0] - 2026-11-24\n\n- No notable changes.\n"));
        assert!(release_changelog("# Changelog\n", "0.3.0", "x").is_err());
    }

    #[test]
    fn changelog_compare_links_follow() {
        let text = "## [Unreleased]\n- x\n\n[Unreleased]: https://github.com/o/r/compare/v0.1.0...HEAD\n";
        let out = release_changelog(text, "0.2.0", "2026-11-23").unwrap();
        assert!(
            out.contains(
                "[Unreleased]: https://github.com/o/r/compare/v0.2.0...HEAD\n[0.2.0]: https://github.com/o/r/compare/v0.1.0...v0.2.0\n"
            ),
            "{out}"
        );
    }

    #[test]
    fn dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_415), (2025, 11, 23));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(today().len(), 10);
    }

    #[test]
    fn dependency_order_with_preferences() {
        let mut deps = BTreeMap::new();
        let set = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<BTreeSet<_>>();
        deps.insert("confctl".to_owned(), set(&["conf-sdk", "conf-sandbox"]));
        deps.insert("conf-sdk".to_owned(), set(&["webapi", "moyun-api"]));
        deps.insert("webapi".to_owned(), set(&["conf-core"]));
        deps.insert("moyun-api".to_owned(), set(&["conf-core"]));
        deps.insert("conf-sandbox".to_owned(), set(&[]));
        deps.insert("conf-core".to_owned(), set(&["conf-sandbox-missing-is-ignored"]));
        let order = topo_order(&deps).unwrap();
        assert_eq!(order, ["conf-core", "conf-sandbox", "moyun-api", "webapi", "conf-sdk", "confctl"]);
        deps.insert("conf-core".to_owned(), set(&["confctl"]));
        assert!(topo_order(&deps).is_err());
    }
}
