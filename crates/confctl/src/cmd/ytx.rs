//! `confctl ytx`: lock and inspect phone meetings.

use conf_core::Error;
use conf_core::secret::secret;
use serde_json::json;
use ytx_telemeeting::{LockMeetingRequest, MeetingStateRequest, YtxClient};

use super::{required, text, to_json};
use crate::cli::{YtxArgs, YtxCommand};
use crate::exit;
use crate::output::{Output, Table};

/// Run a `ytx` command.
pub async fn run(args: YtxArgs, out: Output) -> Result<u8, Error> {
    super::fleet::check_unused(&args.fleet, "ytx")?;
    let conf_id = match &args.command {
        YtxCommand::Lock { conf_id, .. } | YtxCommand::State { conf_id } => required(Some(conf_id), "--conf-id")?.to_string(),
    };
    let client =
        YtxClient::builder(args.account_sid.clone(), secret(args.auth_token), args.app_id).base_url(args.base_url.clone()).build()?;
    match args.command {
        YtxCommand::Lock { locked, .. } => {
            client.lock_meeting_with(LockMeetingRequest::new(conf_id.clone(), locked)).await?;
            out.result(
                &json!({ "conf_id": conf_id, "locked": locked }),
                &Table::kv([("conf_id", conf_id.clone()), ("locked", locked.to_string())]),
            );
        }
        YtxCommand::State { .. } => {
            let state = client.meeting_state_with(MeetingStateRequest::new(conf_id.clone())).await?;
            let members = state.members.unwrap_or_default();
            let mut table = Table::new(["phone", "status", "mute"]);
            for m in &members {
                table.row([
                    text(m.phone.as_ref()),
                    text(m.status.as_ref().map(|s| crate::output::cell(&to_json(s)))),
                    text(m.mute.as_ref().map(|s| crate::output::cell(&to_json(s)))),
                ]);
            }
            out.result(&json!({ "conf_id": conf_id, "members": to_json(&members) }), &table);
        }
    }
    Ok(exit::OK)
}
