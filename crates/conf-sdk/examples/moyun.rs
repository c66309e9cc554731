//! docs/moyun-api.md, "A complete program": log in, create a conference with custom
//! settings, add terminals, control them while following the changes over push, list
//! them, end the conference.
//!
//! Against a real platform, set the variables `MoyunClient::from_env` reads (as `confctl
//! moyun` does: `CONFCTL_MOYUN_BASE_URL`, `_APP_KEY`, `_APP_SECRET`, `_USERNAME`, `_PASSWORD`),
//! then `cargo run -p conf-sdk --example moyun`. `crates/conf-sdk/tests/docs_programs.rs`
//! runs [`run`] against the conf-sandbox emulator.

use std::time::Duration;

use conf_sdk::Error;
use conf_sdk::moyun::push::{PushEvent, Topic};
use conf_sdk::moyun::{MoyunClient, MtSpec};

/// The conference's lifecycle; returns its id.
pub async fn run(client: &MoyunClient) -> Result<String, Error> {
    client.login().await?;
    println!("vc API-Level {}", client.api_level("vc").await?);

    // An instant conference: the preset fills every required setting, setters change any.
    let created = client.mc().create_conf().instant().name("周会").duration(90).mute(true).send().await?;
    let conf_id = created.conf_id.ok_or_else(|| Error::other("create_conf answered no conf_id"))?;

    // Follow its terminals.
    let mut push = client.push().subscribe(format!("/confs/{conf_id}/cascades/0/mts/*")).connect().await?;

    let added = client.vc().add_mts().conf_id(&conf_id).mts(vec![MtSpec::e164("2322231"), MtSpec::e164("2322232")]).send().await?;
    let ids: Vec<String> = added.mts.unwrap_or_default().into_iter().filter_map(|m| m.mt_id).collect();
    let first = ids.first().ok_or_else(|| Error::other("add_mts answered no terminal"))?;
    client.vc().set_mt_mute().conf_id(&conf_id).mt_id(first).value(false).send().await?;
    client.vc().set_chairman().conf_id(&conf_id).mt_id(first).send().await?;

    // The terminal changes arrive over push (the stream reconnects on its own).
    let mut seen = 0;
    while seen < 2 {
        let event = tokio::time::timeout(Duration::from_secs(10), push.next_event())
            .await
            .map_err(|_| Error::other("no terminal change within 10 s"))?;
        match event {
            Some(Ok(PushEvent::Message(m))) => {
                if let Topic::Mt { mt_id, .. } = &m.topic {
                    println!("terminal {mt_id}: {:?}", m.kind);
                    seen += 1;
                }
            }
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(e), // the stream gave up
            None => break,
        }
    }
    for m in client.vc().list_mts().conf_id(&conf_id).send().await?.mts.unwrap_or_default() {
        println!("terminal {:?} online={:?} mute={:?}", m.mt_id, m.online, m.mute);
    }
    client.mc().end_conf().conf_id(&conf_id).send().await?;
    Ok(conf_id)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(&MoyunClient::from_env()?).await?;
    Ok(())
}
