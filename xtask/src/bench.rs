//! `cargo xtask bench`: run every benchmark of the workspace in one go, collect their
//! `RESULT <name> <value> <unit>` lines, measure the build cost of `conf-sdk` with one vendor
//! vs all five, and write `docs/performance.md`.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// The benchmark invocations (`cargo bench` arguments) and what they measure.
const BENCHES: [(&str, &[&str], &str); 4] = [
    (
        "conf-core overhead",
        &["bench", "-p", "conf-core", "--bench", "overhead"],
        "the whole tower stack vs bare reqwest, concurrency 1 and 64",
    ),
    (
        "vmr-rest",
        &["bench", "-p", "vmr-rest"],
        "10,000 sessions (refresh spread, memory per session) and SSE decoding vs eventsource-stream",
    ),
    ("webapi", &["bench", "-p", "webapi"], "join tokens per second vs the bare AES baseline"),
    (
        "fleet mode",
        &["bench", "-p", "conf-redis", "--bench", "fleet"],
        "16 processes sharing credentials on a real redis-server vs logging in each (moyun emulator), and the latency a credential adds from Redis vs memory (needs redis-server)",
    ),
];

/// One `RESULT` line.
#[derive(Debug, Clone)]
struct Figure {
    group: &'static str,
    name: String,
    value: String,
    unit: String,
}

struct BuildCost {
    label: &'static str,
    features: &'static str,
    seconds: f64,
    compiled: usize,
    tree: usize,
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

/// Parse `RESULT <name> <value> <unit...>` lines.
fn results(group: &'static str, stdout: &str) -> Vec<Figure> {
    stdout
        .lines()
        .filter_map(|l| {
            let mut it = l.trim().strip_prefix("RESULT ")?.split_whitespace();
            let name = it.next()?.to_string();
            let value = it.next()?.to_string();
            let unit = it.collect::<Vec<_>>().join(" ");
            Some(Figure { group, name, value, unit })
        })
        .collect()
}

fn run_bench(root: &Path, group: &'static str, args: &[&str]) -> Result<(Vec<Figure>, Duration)> {
    println!("==> cargo {}", args.join(" "));
    let started = Instant::now();
    let out = Command::new(cargo()).current_dir(root).args(args).output().with_context(|| format!("run cargo {}", args.join(" ")))?;
    let took = started.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout);
    print!("{stdout}");
    if !out.status.success() {
        bail!("cargo {} failed ({}):\n{}", args.join(" "), out.status, String::from_utf8_lossy(&out.stderr));
    }
    let figures = results(group, &stdout);
    if figures.is_empty() {
        bail!("cargo {} printed no RESULT line", args.join(" "));
    }
    Ok((figures, took))
}

/// A clean build of conf-sdk with `features` in a fresh target directory.
fn build_cost(root: &Path, label: &'static str, features: &'static str, extra: &[&str]) -> Result<BuildCost> {
    let dir = tempfile::tempdir().context("temporary target dir")?;
    println!("==> clean build of conf-sdk ({label}) in {}", dir.path().display());
    let started = Instant::now();
    let out = Command::new(cargo())
        .current_dir(root)
        .args(["build", "-p", "conf-sdk", "--target-dir"])
        .arg(dir.path())
        .args(extra)
        .env_remove("CARGO_TARGET_DIR")
        .env("CARGO_INCREMENTAL", "0")
        .output()
        .context("run cargo build")?;
    let seconds = started.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        bail!("cargo build -p conf-sdk {} failed:\n{stderr}", extra.join(" "));
    }
    let compiled = stderr.lines().filter(|l| l.trim_start().starts_with("Compiling ")).count();
    let tree = Command::new(cargo())
        .current_dir(root)
        .args(["tree", "-p", "conf-sdk", "-e", "normal,build", "--prefix", "none"])
        .args(extra)
        .output()
        .context("run cargo tree")?;
    let mut crates: Vec<String> = String::from_utf8_lossy(&tree.stdout)
        .lines()
        .filter_map(|l| {
            let mut it = l.split_whitespace();
            Some(format!("{} {}", it.next()?, it.next()?))
        })
        .collect();
    crates.sort();
    crates.dedup();
    Ok(BuildCost { label, features, seconds, compiled, tree: crates.len() })
}

fn machine() -> Vec<(String, String)> {
    let nproc = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map_or_else(|| "unknown".to_string(), |(_, v)| v.trim().to_string());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem = meminfo
        .lines()
        .find(|l| l.starts_with("MemTotal"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or_else(|| "unknown".to_string(), |kb| format!("{:.1} GiB", kb / 1024.0 / 1024.0));
    let rustc =
        Command::new("rustc").arg("--version").output().map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string()).unwrap_or_default();
    vec![
        ("CPUs (nproc)".into(), nproc.to_string()),
        ("CPU model".into(), cpu),
        ("memory".into(), mem),
        ("OS".into(), std::env::consts::OS.to_string() + " " + std::env::consts::ARCH),
        ("rustc".into(), rustc),
    ]
}

/// The 1/5/15-minute load averages (other work on the machine skews absolute figures).
/// Generated moyun code and the incremental build it costs.
struct GeneratedCost {
    /// Lines of `crates/moyun-api/src/generated/*.rs` (as `cargo xtask codegen` prints them).
    lines: usize,
    /// `cargo build -p moyun-api` after touching `crates/moyun-api/src/lib.rs` (everything else built).
    incremental: f64,
}

fn generated_cost(root: &Path) -> Result<GeneratedCost> {
    let target = crate::codegen::discover(root)?.into_iter().find(|t| t.crate_name == "moyun-api").context("crates/moyun-api/spec")?;
    let files = crate::codegen::generate(root, &target, &crate::codegen::Formatter::new(root))?;
    let lines = crate::codegen::generated_lines(&files, std::slice::from_ref(&target.out_dir)).iter().map(|(_, n)| n).sum();
    let build = || -> Result<f64> {
        let started = Instant::now();
        let out = Command::new(cargo()).current_dir(root).args(["build", "-p", "moyun-api"]).output().context("run cargo build")?;
        if !out.status.success() {
            bail!("cargo build -p moyun-api failed:\n{}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(started.elapsed().as_secs_f64())
    };
    println!("==> incremental build of moyun-api");
    build()?;
    let lib = root.join("crates/moyun-api/src/lib.rs");
    let text = std::fs::read(&lib).with_context(|| format!("read {}", lib.display()))?;
    // Rewriting the same bytes updates the modification time: cargo rebuilds the crate.
    std::fs::write(&lib, &text).with_context(|| format!("touch {}", lib.display()))?;
    Ok(GeneratedCost { lines, incremental: build()? })
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map_or_else(|_| "unknown".into(), |l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
}

/// What a ratio figure compares, by name.
fn baseline_of(name: &str) -> &'static str {
    if name.starts_with("core_overhead_instr") {
        "bare reqwest, instructions per request under callgrind (bare / stack: load-independent)"
    } else if name.contains("_ratio_min") || name.contains("_ratio_max") {
        "the spread of the per-round ratios (each round runs baseline and stack back to back)"
    } else if name.starts_with("core_overhead") {
        "median over alternating rounds of bare reqwest in the same run (req/s of the stack / req/s of bare reqwest)"
    } else if name.starts_with("sse_ours_vs_eventsource_stream") {
        "eventsource-stream on the same bytes and chunking (its time / ours: > 1 means we are faster)"
    } else if name.starts_with("webapi_token") {
        "the bare AES-CBC encryption of the same plaintext (tokens/s / AES ops/s)"
    } else if name == "vmr_session_memory_naive_vs_shared" {
        "a naive client per session (naive bytes / ours)"
    } else if name == "fleet_logins_shared_vs_unshared" {
        "16 processes each logging in on their own (shared logins / unshared logins; target 1/16 = 0.0625)"
    } else if name == "fleet_call_p50_shared_vs_unshared" {
        "the same calls by an unshared fleet, credentials cached (p50 shared / p50 unshared)"
    } else if name == "fleet_credential_redis_vs_memory_store_p50" {
        "the same look-up protocol on the in-memory store (p50 from Redis / p50 from the in-memory store)"
    } else if name == "vmr_session_memory_vs_16kib_target" {
        "the 16 KiB-per-session target (ours / 16 KiB: < 1 meets it)"
    } else {
        "see the benchmark's source"
    }
}

/// Run everything and write `docs/performance.md`.
pub fn run(root: &Path) -> Result<bool> {
    let started = Instant::now();
    let load_before = loadavg();
    let mut figures = Vec::new();
    let mut timings = Vec::new();
    for (group, args, _) in BENCHES {
        let (f, took) = run_bench(root, group, args)?;
        figures.extend(f);
        timings.push((group, took));
    }
    let one = build_cost(root, "one vendor", "`--no-default-features --features ytx`", &["--no-default-features", "--features", "ytx"])?;
    let all = build_cost(root, "all five vendors", "default (`moyun vmr webapi ytx lingsun`)", &[])?;
    let generated = generated_cost(root)?;
    let mut machine = machine();
    machine.push(("load average (1/5/15 min) at start / end".into(), format!("{load_before} / {}", loadavg())));
    let doc = render(&figures, &timings, &[one, all], &generated, &machine, started.elapsed());
    let path = root.join("docs/performance.md");
    std::fs::write(&path, doc).with_context(|| format!("write {}", path.display()))?;
    println!("wrote {} ({} figures)", path.display(), figures.len());
    Ok(true)
}

fn render(
    figures: &[Figure],
    timings: &[(&str, Duration)],
    builds: &[BuildCost],
    generated: &GeneratedCost,
    machine: &[(String, String)],
    total: Duration,
) -> String {
    let mut d = String::new();
    d.push_str("# Performance\n\n");
    d.push_str(
        "Generated by `cargo xtask bench`; do not edit by hand. Every figure comes from one run of the \
         command on the machine below, and every speed or memory figure is compared with a baseline \
         measured in the same run (absolute numbers depend on the machine; the ratios travel).\n\n",
    );
    d.push_str("## Machine\n\n| | |\n|---|---|\n");
    for (k, v) in machine {
        let _ = writeln!(d, "| {k} | {v} |");
    }
    let _ = writeln!(d, "| whole run | {:.0} s |", total.as_secs_f64());

    d.push_str("\n## Ratios against their baselines\n\n| figure | ratio | baseline |\n|---|---|---|\n");
    for f in figures.iter().filter(|f| f.unit == "x" || f.unit == "ratio") {
        let _ = writeln!(d, "| `{}` | {} | {} |", f.name, f.value, baseline_of(&f.name));
    }
    if let [one, all] = builds {
        let _ = writeln!(
            d,
            "| build: all five vendors vs one (clean build time) | {:.2} | `conf-sdk` with `ytx` only, same machine, same run |",
            all.seconds / one.seconds.max(0.001)
        );
        let _ = writeln!(
            d,
            "| build: all five vendors vs one (crates compiled) | {:.2} | `conf-sdk` with `ytx` only |",
            all.compiled as f64 / one.compiled.max(1) as f64
        );
    }

    d.push_str("\n## Every figure\n");
    for (group, args, what) in BENCHES {
        let took = timings.iter().find(|(g, _)| *g == group).map_or(0.0, |(_, t)| t.as_secs_f64());
        let _ = write!(
            d,
            "\n### {group}\n\n`cargo {}`: {what} ({took:.0} s including the build).\n\n| figure | value | unit |\n|---|---|---|\n",
            args.join(" ")
        );
        for f in figures.iter().filter(|f| f.group == group) {
            let _ = writeln!(d, "| `{}` | {} | {} |", f.name, f.value, f.unit);
        }
    }

    d.push_str("\n## Build cost for a user\n\nA clean debug build of `conf-sdk` (dependencies included) in a fresh target directory, one after the other on the same machine. *Crates compiled* counts cargo's `Compiling` lines; *crates in the tree* counts distinct packages in `cargo tree -e normal,build`.\n\n| features | clean build | crates compiled | crates in the tree |\n|---|---|---|---|\n");
    for b in builds {
        let _ = writeln!(d, "| {} ({}) | {:.1} s | {} | {} |", b.label, b.features, b.seconds, b.compiled, b.tree);
    }

    let _ = write!(
        d,
        "\n## Generated code\n\n`crates/moyun-api/src/generated/*.rs` (printed by `cargo xtask codegen`) and the time of \
         `cargo build -p moyun-api` after touching `crates/moyun-api/src/lib.rs` with everything else built (the \
         workspace's incremental debug profile).\n\n| figure | value |\n|---|---|\n| moyun generated lines | {} |\n\
         | moyun-api incremental build | {:.1} s |\n",
        generated.lines, generated.incremental
    );

    d.push_str(
        "\n## Reproduce\n\n\
         ```sh\n\
         cargo xtask bench        # everything below, rewrites this file\n\
         cargo bench -p conf-core --bench overhead\n\
         cargo bench -p vmr-rest  # session_scale + sse_decode\n\
         cargo bench -p webapi    # tokens\n\
         cargo bench -p conf-redis --bench fleet  # fleet mode (needs redis-server)\n\
         cargo build -p conf-sdk --no-default-features --features ytx --target-dir /tmp/one\n\
         cargo build -p conf-sdk --target-dir /tmp/all\n\
         cargo xtask codegen      # prints the generated lines per crate\n\
         touch crates/moyun-api/src/lib.rs && time cargo build -p moyun-api\n\
         ```\n\n\
         Benchmarks print `RESULT <name> <value> <unit>` lines; each runs its baseline in the same \
         process with the same inputs (see the sources in `crates/*/benches/`).\n",
    );
    d
}
