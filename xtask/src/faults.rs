//! `cargo xtask faults`: run the fault matrix (`tests/tests/fault_matrix.rs`) with
//! `CONF_FAULTS_OUT` set and write the report it renders (`conf_sdk_tests::matrix::report`,
//! the only renderer) into `docs/reliability.md`, keeping the hand-written part after
//! [`HAND_WRITTEN`].

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

/// The line after which `docs/reliability.md` is written by hand and kept as it is.
pub const HAND_WRITTEN: &str = "<!-- hand-written below: not generated -->";

/// Run the matrix and write `docs/reliability.md`; `Ok(false)` when a cell failed.
pub fn run(root: &Path) -> Result<bool> {
    let out = tempfile::NamedTempFile::new().context("temporary file for the report")?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(root)
        .args(["test", "-p", "conf-sdk-tests", "--test", "fault_matrix", "--", "--nocapture"])
        .env("CONF_FAULTS_OUT", out.path())
        .status()
        .context("run cargo test")?;
    let report = std::fs::read_to_string(out.path()).context("read the matrix report")?;
    if report.trim().is_empty() {
        bail!("the fault matrix wrote no report (cargo test exited with {status})");
    }
    let path = root.join("docs/reliability.md");
    let previous = std::fs::read_to_string(&path).unwrap_or_default();
    std::fs::write(&path, splice(&report, &previous)).with_context(|| format!("write {}", path.display()))?;
    println!("wrote {} (cargo test: {status})", path.display());
    Ok(status.success())
}

/// The generated `report`, then the marker line and whatever followed it in `previous`.
pub fn splice(report: &str, previous: &str) -> String {
    let kept = previous.find(HAND_WRITTEN).map_or_else(|| format!("{HAND_WRITTEN}\n"), |at| previous[at..].to_owned());
    format!("{}\n\n{kept}", report.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hand_written_part_survives_regeneration() {
        let previous = format!("# old\nold table\n\n{HAND_WRITTEN}\n\n## Hostile servers\n\nkept | as is\n");
        let doc = splice("# new\nnew table\n", &previous);
        assert_eq!(doc, format!("# new\nnew table\n\n{HAND_WRITTEN}\n\n## Hostile servers\n\nkept | as is\n"));
        assert_eq!(splice("# new\nnew table\n", &doc), doc, "idempotent");
        assert_eq!(splice("# first\n", ""), format!("# first\n\n{HAND_WRITTEN}\n"), "the marker is added");
    }
}
