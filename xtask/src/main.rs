//! Repository automation for conf-sdk: `cargo xtask codegen [--check]`,
//! `cargo xtask release [--dry-run] <version>`, `cargo xtask faults` and `cargo xtask bench`.

mod bench;
mod codegen;
mod faults;
mod release;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// conf-sdk repository tasks.
#[derive(Parser)]
#[command(name = "cargo xtask", version, about)]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Generate Rust code and endpoint docs from every `crates/*/spec/*.toml` (format: docs/codegen.md).
    Codegen {
        /// Generate in memory and fail (exit 1) when any generated file is stale, missing or extra.
        #[arg(long)]
        check: bool,
        /// Only the spec directory of this crate (e.g. `webapi`); the check then covers only it.
        #[arg(long, value_name = "CRATE")]
        only: Option<String>,
    },
    /// Bump versions, add a CHANGELOG section and `cargo package` every publishable crate.
    Release {
        /// Work on a temporary copy of the workspace; the tree is left unchanged.
        #[arg(long)]
        dry_run: bool,
        /// New version (SemVer, without a leading `v`).
        version: String,
    },
    /// Print the publishable crates in dependency order, one per line (used by the release workflow).
    PublishOrder,
    /// Run the fault matrix (every vendor x every fault) and write `docs/reliability.md`.
    Faults,
    /// Run every benchmark and the build-cost measurement and write `docs/performance.md`.
    Bench,
}

fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let root = workspace_root();
    let result = match cli.task {
        Task::Codegen { check, only } => codegen::run(&root, check, only.as_deref()),
        Task::Release { dry_run, version } => release::run(&root, &version, dry_run).map(|()| true),
        Task::Faults => faults::run(&root),
        Task::Bench => bench::run(&root),
        Task::PublishOrder => release::publish_order(&root).map(|order| {
            for krate in order {
                println!("{krate}");
            }
            true
        }),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
