//! ytx: a signed phone meeting: createMeeting, meetingState, lockMeeting, destroyMeeting.

use conf_core::secret::secret;
use conf_core::{ClientConfig, Error};
use ytx_telemeeting::{CreateMeetingRequest, DestroyMeetingRequest, LockMeetingRequest, MeetingStateRequest, Party, YtxClient};

use super::Flow;
use crate::sandbox::Sandbox;

/// Run the ytx flow.
pub async fn flow(sb: &Sandbox, json: bool) -> Flow {
    let mut f = Flow::new("ytx", json);
    let (emu, server) = &sb.ytx;
    let cfg = emu.config();
    let Some(client) = f
        .step("client", async {
            let c = YtxClient::builder(cfg.account_sid.clone(), secret(cfg.auth_token.clone()), cfg.app_id.clone())
                .config(ClientConfig::parse(&server.base_url())?.proxy_from_env(false))
                .build()?;
            Ok((c, "Sign = MD5(sid + token + timestamp) per attempt".to_string()))
        })
        .await
    else {
        return f;
    };
    let Some(meid) = f
        .step("createMeeting", async {
            let m = client
                .create_meeting_with(
                    CreateMeetingRequest::new("13100001314").meeting_name("confctl tour").parties(vec![Party::new("guest", "18900005326")]),
                )
                .await?;
            Ok((m.meid.clone(), format!("meeting {}", m.meid)))
        })
        .await
    else {
        return f;
    };
    f.step("meetingState", async {
        let s = client.meeting_state_with(MeetingStateRequest::new(meid.clone())).await?;
        Ok(((), format!("{} members", s.members.unwrap_or_default().len())))
    })
    .await;
    f.step("lockMeeting", async {
        client.lock_meeting_with(LockMeetingRequest::new(meid.clone(), true)).await?;
        if !emu.meeting(&meid).is_some_and(|m| m.locked) {
            return Err(Error::other("the emulator's meeting is not locked"));
        }
        Ok(((), "locked".to_string()))
    })
    .await;
    f.step("unlock", async {
        client.lock_meeting_with(LockMeetingRequest::new(meid.clone(), false)).await?;
        Ok(((), "unlocked".to_string()))
    })
    .await;
    f.step("destroyMeeting", async {
        client.destroy_meeting_with(DestroyMeetingRequest::new(meid.clone())).await?;
        let c = emu.counters();
        Ok(((), format!("ended; {} signed requests accepted, {} refused", c.accepted, c.rejected_auth)))
    })
    .await;
    f
}
