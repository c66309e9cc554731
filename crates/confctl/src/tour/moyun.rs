//! moyun: login, create a conference, add terminals, control them, a push event, end.

use std::time::Duration;

use conf_core::Error;
use moyun_api::push::{PushEvent, Topic};
use moyun_api::{MoyunClient, MtSpec, VcAddMtsRequest};

use super::Flow;
use crate::sandbox::{Sandbox, loopback};

/// Run the moyun flow.
pub async fn flow(sb: &Sandbox, json: bool) -> Flow {
    let mut f = Flow::new("moyun", json);
    let (emu, server) = &sb.moyun;
    let cfg = emu.config().clone();
    let (user, password) = cfg.users.iter().next().map(|(u, p)| (u.clone(), p.clone())).unwrap_or_default();
    let Some(client) = f
        .step("login", async {
            let core = loopback(&server.base_url())?;
            let client = MoyunClient::builder(cfg.app_key.clone(), cfg.app_secret.clone(), user, password)
                .config(core)
                .heartbeat_interval(None)
                .build()?;
            client.login().await?;
            let level = client.api_level("vc").await?;
            Ok((client, format!("account_token + SSO cookie; vc API-Level {level}")))
        })
        .await
    else {
        return f;
    };
    let Some(conf_id) = f
        .step("create conference", async {
            let id =
                client.mc().create_conf().instant().name("confctl tour").send().await?.conf_id.ok_or_else(|| Error::other("no conf_id"))?;
            Ok((id.clone(), format!("conference {id}")))
        })
        .await
    else {
        return f;
    };
    let Some(mut push) = f
        .step("push connect", async {
            let p = client.push().subscribe(format!("/confs/{conf_id}/cascades/0/mts/*")).connect().await?;
            Ok((p, "CometD handshake + subscribe".to_string()))
        })
        .await
    else {
        return f;
    };
    let Some(ids) = f
        .step("add terminals", async {
            let added = client.vc().add_mts().conf_id(&conf_id).mts(vec![MtSpec::e164("2322231"), MtSpec::e164("2322232")]).send().await?;
            let ids: Vec<String> = added.mts.unwrap_or_default().into_iter().filter_map(|m| m.mt_id).collect();
            if ids.len() != 2 {
                return Err(Error::other(format!("expected 2 terminals, got {}", ids.len())));
            }
            let detail = format!("terminals {}", ids.join(", "));
            Ok((ids, detail))
        })
        .await
    else {
        return f;
    };
    f.step("push event", async {
        let wait = async {
            while let Some(ev) = push.next_event().await {
                if let PushEvent::Message(m) = ev? {
                    if let Topic::Mt { mt_id, .. } = &m.topic {
                        return Ok(format!("terminal {mt_id}: {:?}", m.kind));
                    }
                }
            }
            Err(Error::other("push stream ended"))
        };
        let detail = tokio::time::timeout(Duration::from_secs(4), wait).await.map_err(|_| Error::other("no push message within 4 s"))??;
        Ok(((), detail))
    })
    .await;
    f.step("control terminals", async {
        client.vc().set_mt_mute().conf_id(&conf_id).mt_id(ids[0].clone()).value(true).send().await?;
        client.vc().set_chairman().conf_id(&conf_id).mt_id(ids[0].clone()).send().await?;
        let mts = client.vc().list_mts().conf_id(&conf_id).send().await?.mts.unwrap_or_default();
        let muted = mts.iter().find(|m| m.mt_id.as_deref() == Some(ids[0].as_str())).and_then(|m| m.mute);
        if muted != Some(true) {
            return Err(Error::other(format!("terminal {} not muted ({muted:?})", ids[0])));
        }
        Ok(((), format!("terminal {} muted and chairman", ids[0])))
    })
    .await;
    f.step("validate only (debug=1)", async {
        let report = client.debug(VcAddMtsRequest::new(conf_id.clone(), vec![MtSpec::e164("2322233")]).into_operation()?).await?;
        let count = emu.conference(&conf_id).map_or(0, |c| c.terminals.len());
        if !report.is_valid() || count != 2 {
            return Err(Error::other(format!("debug mode: {} problems, {count} terminals", report.problems.len())));
        }
        Ok(((), "no problem reported, nothing added".to_string()))
    })
    .await;
    drop(push);
    f.step("end conference", async {
        client.mc().end_conf().conf_id(&conf_id).send().await?;
        Ok(((), format!("conference {conf_id} ended")))
    })
    .await;
    f
}
