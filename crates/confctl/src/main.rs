//! `confctl`: conf-sdk's operator tool and guided tour.
//!
//! `confctl tour` runs every emulator in-process and one realistic flow per vendor;
//! `confctl sandbox` serves the emulators until interrupted; the vendor commands talk to
//! real platforms. Exit codes: see [`exit`].

mod cli;
mod cmd;
mod exit;
mod logging;
mod output;
mod sandbox;
mod tour;

use std::process::ExitCode;

use crate::cli::Command;
use crate::output::Output;

fn main() -> ExitCode {
    let cli = match cli::parse(std::env::args_os()) {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version are not errors.
            let code = if e.use_stderr() { exit::USAGE } else { exit::OK };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    logging::init(&cli.log);
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("confctl: cannot start the async runtime: {e}");
            return ExitCode::from(exit::OTHER);
        }
    };
    let out = Output { json: cli.json };
    let result = runtime.block_on(run(cli.command, out));
    // Background tasks (session refreshers, emulators) end with the runtime.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            let code = exit::code_for(&e);
            // Vendor text and HTML titles come from the server: escaped and capped.
            eprintln!("confctl: {}", conf_core::text::sanitize_to(&exit::message_for(&e), output::LINE_LIMIT));
            if code == exit::USAGE {
                eprintln!("confctl: nothing was sent");
            }
            ExitCode::from(code)
        }
    }
}

/// Run one command; `Ok` carries the exit code (0, or 3 for a validate-only call the
/// platform found problems with).
async fn run(command: Command, out: Output) -> Result<u8, conf_core::Error> {
    match command {
        Command::Tour(args) => tour::run(args, out).await,
        Command::Sandbox(args) => sandbox::run(args, out).await,
        Command::Webapi(args) => cmd::webapi::run(args, out).await,
        Command::Ytx(args) => cmd::ytx::run(args, out).await,
        Command::Moyun(args) => cmd::moyun::run(args, out).await,
        Command::Vmr(args) => cmd::vmr::run(args, out).await,
        Command::Lingsun(args) => cmd::lingsun::run(args, out).await,
    }
}
