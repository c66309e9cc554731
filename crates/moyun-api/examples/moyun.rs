//! A complete Moyun session: log in, create a conference, add terminals, control
//! them while following the changes over push, then end the conference.
//!
//! By default it starts the conf-sandbox emulator in-process. Against a real
//! platform set the variables `MoyunClient::from_env` reads (the ones `confctl moyun`
//! reads): `CONFCTL_MOYUN_BASE_URL`, `CONFCTL_MOYUN_APP_KEY`, `CONFCTL_MOYUN_APP_SECRET`,
//! `CONFCTL_MOYUN_USERNAME` and `CONFCTL_MOYUN_PASSWORD`:
//!
//! ```text
//! cargo run -p moyun-api --example moyun
//! CONFCTL_MOYUN_BASE_URL=http://10.0.0.5 CONFCTL_MOYUN_APP_KEY=.. CONFCTL_MOYUN_APP_SECRET=.. \
//!   CONFCTL_MOYUN_USERNAME=.. CONFCTL_MOYUN_PASSWORD=.. cargo run -p moyun-api --example moyun
//! ```

use std::time::Duration;

use moyun_api::push::{PushEvent, StreamItem, Topic};
use moyun_api::{AccountType, MoyunClient, MtSpec, Protocol};

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Real platform from the environment, or the emulator.
    let mut _sandbox = None;
    let client = if env(moyun_api::env::BASE_URL).is_some() {
        // Every CONFCTL_MOYUN_* variable (see `moyun_api::env`); heartbeats every 5 minutes.
        MoyunClient::from_env()?
    } else {
        let emu = conf_sandbox::moyun::MoyunConfig::default();
        let user = emu.users.iter().next().map(|(u, p)| (u.clone(), p.clone())).unwrap_or_default();
        let (key, secret) = (emu.app_key.clone(), emu.app_secret.clone());
        let (_emu, server) = conf_sandbox::moyun::MoyunEmulator::start(emu).await?;
        println!("emulator listening on {}", server.base_url());
        let builder = MoyunClient::builder(key, secret, user.0, user.1).base_url(server.base_url());
        _sandbox = Some(server);
        builder.heartbeat_interval(Some(Duration::from_secs(300))).build()?
    };

    // Token + login; every later call carries account_token, the cookie and API-Level.
    client.login().await?;
    println!("logged in; platform vc API-Level {}", client.api_level("vc").await?);

    // An instant conference: the preset fills every required field, setters change any.
    let created = client.mc().create_conf().instant().name("conf-sdk example").duration(90).send().await?;
    let conf_id = created.conf_id.ok_or("the platform answered no conf_id")?;
    println!("conference {conf_id} created");

    // Follow the conference's terminals.
    let mut push = client.push().subscribe(format!("/confs/{conf_id}/cascades/0/mts/*")).connect().await?;

    let mt = |account: &str| MtSpec {
        account_type: AccountType::E164,
        account: account.into(),
        bitrate: 2048,
        protocol: Protocol::H323,
        ..MtSpec::default()
    };
    let added = client.vc().add_mts().conf_id(&conf_id).mts(vec![mt("2322231"), mt("2322232")]).send().await?;
    let ids: Vec<String> = added.mts.unwrap_or_default().into_iter().filter_map(|m| m.mt_id).collect();
    println!("terminals added: {ids:?}");
    if let Some(first) = ids.first() {
        client.vc().set_mt_mute().conf_id(&conf_id).mt_id(first).value(true).send().await?;
        client.vc().set_chairman().conf_id(&conf_id).mt_id(first).send().await?;
    }

    // Print the push messages that arrived meanwhile (at most two seconds of them).
    let deadline = tokio::time::sleep(Duration::from_secs(2));
    tokio::pin!(deadline);
    let mut seen = 0;
    loop {
        tokio::select! {
            () = &mut deadline => break,
            // `next_item` shows the lifecycle too (connected, reconnecting and why);
            // `next_event` would skip it.
            item = push.next_item() => match item {
                Some(Ok(StreamItem::Event(PushEvent::Message(m)))) => {
                    if let Topic::Mt { mt_id, .. } = &m.topic {
                        println!("push: terminal {mt_id}: {:?}", m.kind);
                    }
                    seen += 1;
                    if seen >= 3 { break; }
                }
                Some(Ok(other)) => println!("push: {other:?}"),
                Some(Err(e)) => {
                    println!("push gave up: {e}");
                    break;
                }
                None => break,
            },
        }
    }

    for m in client.vc().list_mts().conf_id(&conf_id).send().await?.mts.unwrap_or_default() {
        println!("terminal {:?} online={:?} mute={:?}", m.mt_id, m.online, m.mute);
    }
    client.mc().end_conf().conf_id(&conf_id).send().await?;
    println!("conference {conf_id} ended");
    Ok(())
}
