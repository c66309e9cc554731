//! docs/ytx-telemeeting.md, "A complete program": a phone meeting from start to end
//! (create, look at the members, lock, unlock, end).
//!
//! Against a real server (the phones will ring!), set the variables `YtxClient::from_env`
//! reads (as `confctl ytx` does) and `YTX_CREATOR` (optional `YTX_PARTY`), then
//! `cargo run -p conf-sdk --example ytx`. `crates/conf-sdk/tests/docs_programs.rs` runs
//! [`run`] against the conf-sandbox emulator.

use conf_sdk::Error;
use conf_sdk::ytx::{ErrorCode, MemberStatus, Party, YtxClient, error_code};

/// Create a meeting that calls `creator` (and `party`), show who is connected, lock the
/// room while it runs, then end it. Returns the meeting id.
pub async fn run(client: &YtxClient, creator: &str, party: Option<&str>) -> Result<String, Error> {
    let mut create = client.create_meeting().creator(creator).meeting_name("weekly sync");
    if let Some(phone) = party {
        create = create.parties(vec![Party::new("guest", phone)]);
    }
    let meid = match create.send().await {
        Ok(created) => created.meid,
        Err(e) => {
            if error_code(&e) == Some(ErrorCode::ApplicationCheckFailed) {
                eprintln!("check the app id, the environment and the IP allow-list: {e}");
            }
            return Err(e);
        }
    };

    for m in client.meeting_state().confid(&meid).send().await?.members.unwrap_or_default() {
        let online = m.status == Some(MemberStatus::Online);
        println!("{} online={online} mute={:?}", m.phone.unwrap_or_default(), m.mute);
    }

    client.lock_meeting().confid(&meid).locked(true).send().await?;
    client.lock_meeting().confid(&meid).locked(false).send().await?;
    client.destroy_meeting().confid(&meid).send().await?;
    Ok(meid)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let creator = std::env::var("YTX_CREATOR").map_err(|_| Error::invalid_input("YTX_CREATOR", "environment variable not set"))?;
    let party = std::env::var("YTX_PARTY").ok();
    run(&YtxClient::from_env()?, &creator, party.as_deref()).await?;
    Ok(())
}
