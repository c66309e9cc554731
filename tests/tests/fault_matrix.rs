//! The fault matrix: every vendor's core flow against its emulator once per fault.
//!
//! Writes the cells as JSON to `$CONF_FAULTS_OUT` when set (`cargo xtask faults` does, and
//! renders `docs/reliability.md` from it).

use conf_sdk_tests::matrix::{self, Cell};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_vendor_survives_every_fault() {
    let cells: Vec<Cell> = matrix::run_all().await;
    if let Ok(path) = std::env::var("CONF_FAULTS_OUT") {
        let json = serde_json::to_string_pretty(&cells).expect("serialize cells");
        std::fs::write(&path, json).unwrap_or_else(|e| panic!("write {path}: {e}"));
    }
    let failed: Vec<&Cell> = cells.iter().filter(|c| !c.pass).collect();
    let mut report = matrix::markdown(&cells);
    for c in &cells {
        report.push_str(&format!(
            "\n[{}] {} / {}: {} ({} ms)",
            if c.pass { "ok" } else { "FAIL" },
            c.vendor,
            c.fault,
            c.observed,
            c.millis
        ));
    }
    println!("{report}");
    assert_eq!(cells.len(), 5 * matrix::Case::ALL.len(), "one cell per vendor and fault");
    assert!(cells.iter().filter(|c| c.applicable).count() >= 60, "most cells apply");
    assert!(failed.is_empty(), "{} cell(s) failed:\n{report}", failed.len());
}
