//! A phone meeting from start to end: create, look at the members, lock, unlock, end.
//!
//! Runs against the local emulator by default:
//!
//! ```sh
//! cargo run -p ytx-telemeeting --example ytx
//! ```
//!
//! and against a real server when these are set (the creator and party phones
//! will be called!): the variables `YtxClient::from_env` reads (as `confctl ytx` does),
//! `CONFCTL_YTX_BASE_URL` (`http://sandbox.ytx.net`), `CONFCTL_YTX_ACCOUNT_SID`,
//! `CONFCTL_YTX_AUTH_TOKEN`, `CONFCTL_YTX_APP_ID`, then `YTX_CREATOR` and optionally
//! `YTX_PARTY`.

use conf_core::secret::secret;
use ytx_telemeeting::{Party, YtxClient, error_code};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    // Keep the emulator's server alive for the whole program.
    let mut _emulator = None;
    let (client, creator, party) = if env(ytx_telemeeting::env::BASE_URL).is_some() {
        let need = |k: &str| env(k).ok_or_else(|| format!("{k} is required with CONFCTL_YTX_BASE_URL"));
        // Every CONFCTL_YTX_* variable (see `ytx_telemeeting::env`).
        (YtxClient::from_env()?, need("YTX_CREATOR")?, env("YTX_PARTY"))
    } else {
        let emu_config = conf_sandbox::ytx::YtxConfig::default();
        let (_emu, server) = conf_sandbox::ytx::YtxEmulator::start(emu_config.clone()).await?;
        println!("using the ytx emulator at {}", server.base_url());
        let client = YtxClient::builder(emu_config.account_sid, secret(emu_config.auth_token), emu_config.app_id)
            .base_url(server.base_url())
            .build()?;
        _emulator = Some(server);
        (client, "13100001314".to_string(), Some("18900005326".to_string()))
    };

    let mut create = client.create_meeting().creator(creator).meeting_name("conf-sdk example");
    if let Some(phone) = party {
        create = create.parties(vec![Party::new("guest", phone)]);
    }
    let meid = match create.send().await {
        Ok(created) => created.meid,
        Err(e) => {
            // A typed code explains what to fix (e.g. -205: wrong environment for the app id).
            eprintln!("create failed: {e} (code: {:?})", error_code(&e));
            return Err(e.into());
        }
    };
    println!("meeting {meid} created");

    let state = client.meeting_state().confid(&meid).send().await?;
    for m in state.members.unwrap_or_default() {
        println!("  {} {:?} {:?}", m.phone.unwrap_or_default(), m.status, m.mute);
    }

    client.lock_meeting().confid(&meid).locked(true).send().await?;
    println!("meeting {meid} locked");
    client.lock_meeting().confid(&meid).locked(false).send().await?;
    println!("meeting {meid} unlocked");
    client.destroy_meeting().confid(&meid).send().await?;
    println!("meeting {meid} ended");
    Ok(())
}
