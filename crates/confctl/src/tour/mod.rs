//! `confctl tour`: every emulator in-process on loopback, one realistic flow per
//! vendor through the real client crates, a progress line per step and a summary.

pub mod lingsun;
pub mod moyun;
pub mod vmr;
pub mod webapi;
pub mod ytx;

use std::future::Future;
use std::time::{Duration, Instant};

use conf_core::Error;
use serde_json::{Value, json};

use crate::cli::{TourArgs, Vendor};
use crate::exit;
use crate::output::{Output, Table};
use crate::sandbox::{Options, Sandbox};

/// Longest a single step may take before it counts as failed.
pub const STEP_TIMEOUT: Duration = Duration::from_secs(5);

/// `confctl tour`: start the emulators, run the flows, print the summary.
pub async fn run(args: TourArgs, out: Output) -> Result<u8, Error> {
    let started = Instant::now();
    let sandbox =
        Sandbox::start(Options { bind: None, fast: true }).await.map_err(|e| Error::other(format!("cannot start the emulators: {e}")))?;
    if !out.json {
        println!("conf-sdk tour: five emulators on loopback, one flow per vendor through the real clients\n");
    }
    let vendors =
        if args.only.is_empty() { vec![Vendor::Vmr, Vendor::Moyun, Vendor::Webapi, Vendor::Ytx, Vendor::Lingsun] } else { args.only };
    let mut flows = Vec::new();
    for v in vendors {
        let mut flow = match v {
            Vendor::Vmr => vmr::flow(&sandbox, out.json).await,
            Vendor::Moyun => moyun::flow(&sandbox, out.json).await,
            Vendor::Webapi => webapi::flow(&sandbox, out.json).await,
            Vendor::Ytx => ytx::flow(&sandbox, out.json).await,
            Vendor::Lingsun => lingsun::flow(&sandbox, out.json).await,
        };
        flow.finish();
        flows.push(flow);
    }
    let passed = report(out, &flows, started.elapsed());
    let _ = tokio::time::timeout(Duration::from_secs(2), sandbox.shutdown()).await;
    Ok(if passed { exit::OK } else { exit::OTHER })
}

/// The steps of one vendor's flow.
pub struct Flow {
    vendor: &'static str,
    json: bool,
    steps: Vec<StepRecord>,
    failed: bool,
    started: Instant,
    elapsed: Option<Duration>,
}

struct StepRecord {
    name: String,
    ok: bool,
    detail: String,
    elapsed: Duration,
}

impl Flow {
    /// A flow for `vendor`.
    pub fn new(vendor: &'static str, json: bool) -> Self {
        Self { vendor, json, steps: Vec::new(), failed: false, started: Instant::now(), elapsed: None }
    }

    /// Run one step; after a failure the remaining steps are skipped (`None`).
    pub async fn step<T, F>(&mut self, name: &str, fut: F) -> Option<T>
    where
        F: Future<Output = Result<(T, String), conf_core::Error>>,
    {
        if self.failed {
            return None;
        }
        let start = Instant::now();
        let result = match tokio::time::timeout(STEP_TIMEOUT, fut).await {
            Ok(r) => r,
            Err(_) => Err(Error::other(format!("no answer within {} s", STEP_TIMEOUT.as_secs()))),
        };
        let elapsed = start.elapsed();
        let (ok, detail, value) = match result {
            Ok((v, detail)) => (true, detail, Some(v)),
            Err(e) => (false, e.to_string(), None),
        };
        let mark = if ok { "ok  " } else { "FAIL" };
        let line = format!(
            "[{:<7}] {mark} {name} ({} ms){}",
            self.vendor,
            elapsed.as_millis(),
            if detail.is_empty() { String::new() } else { format!(": {detail}") }
        );
        let line = conf_core::text::sanitize_to(&line, crate::output::LINE_LIMIT);
        // Progress goes to stdout for humans; with --json, stdout carries only the final document.
        if self.json {
            eprintln!("{line}");
        } else {
            println!("{line}");
        }
        self.failed |= !ok;
        self.steps.push(StepRecord { name: name.to_string(), ok, detail, elapsed });
        value
    }

    /// Record a check that needs no I/O.
    pub async fn check(&mut self, name: &str, ok: bool, detail: impl Into<String>) -> Option<()> {
        let detail = detail.into();
        self.step(name, async move { if ok { Ok(((), detail)) } else { Err(conf_core::Error::other(detail)) } }).await
    }

    /// Stop the flow's clock.
    pub fn finish(&mut self) {
        self.elapsed.get_or_insert_with(|| self.started.elapsed());
    }

    /// Time from the flow's start to [`finish`](Self::finish) (or now).
    fn time(&self) -> Duration {
        self.elapsed.unwrap_or_else(|| self.started.elapsed())
    }

    /// Whether every step passed.
    pub fn passed(&self) -> bool {
        !self.failed && !self.steps.is_empty()
    }

    fn summary(&self) -> Value {
        json!({
            "vendor": self.vendor,
            "passed": self.passed(),
            "elapsed_ms": self.time().as_millis() as u64,
            "steps": self.steps.iter().map(|s| json!({
                "name": s.name, "ok": s.ok, "detail": s.detail, "elapsed_ms": s.elapsed.as_millis() as u64,
            })).collect::<Vec<_>>(),
        })
    }
}

/// Print the summary table (or JSON document) and return whether the tour passed.
pub fn report(out: Output, flows: &[Flow], total: Duration) -> bool {
    let passed = flows.iter().all(Flow::passed);
    let mut table = Table::new(["vendor", "steps", "result", "time"]);
    for f in flows {
        let ok = f.steps.iter().filter(|s| s.ok).count();
        table.row([
            f.vendor.to_string(),
            format!("{ok}/{}", f.steps.len()),
            if f.passed() { "passed".to_string() } else { "FAILED".to_string() },
            format!("{} ms", f.time().as_millis()),
        ]);
    }
    if !out.json {
        println!();
    }
    out.result(
        &json!({ "passed": passed, "elapsed_ms": total.as_millis() as u64, "vendors": flows.iter().map(Flow::summary).collect::<Vec<_>>() }),
        &table,
    );
    if !out.json {
        println!("{} in {} ms", if passed { "tour passed" } else { "tour FAILED" }, total.as_millis());
    }
    passed
}
