//! `confctl webapi`: join tokens (offline) and meetings.

use std::time::{Duration, UNIX_EPOCH};

use conf_core::Error;
use conf_core::secret::secret;
use serde_json::json;
use webapi::{JoinLinks, JoinPayload, JoinRole, MeetingCreateRequest, MeetingDeleteRequest, TokenKey, WebApiClient};

use super::{required, text};
use crate::cli::{Flavor, JoinTokenArgs, MeetingCommand, WebapiArgs, WebapiCommand};
use crate::exit;
use crate::output::{Output, Table};

/// Run a `webapi` command.
pub async fn run(args: WebapiArgs, out: Output) -> Result<u8, Error> {
    super::fleet::check_unused(&args.fleet, "webapi")?;
    match args.command {
        WebapiCommand::JoinToken(ref t) => join_token(t, args.base_url.as_deref(), out),
        WebapiCommand::Meeting(ref m) => {
            let base = required(args.base_url.as_deref(), "--base-url")?;
            let key = required(args.key.as_deref(), "--key")?;
            // Check the input before building anything that could send.
            let request = match m {
                MeetingCommand::Create(c) => Some(create_request(c)?),
                MeetingCommand::Delete(_) => None,
            };
            let client = WebApiClient::builder(secret(key)).base_url(base).build()?;
            match (m, request) {
                (MeetingCommand::Create(_), Some(req)) => {
                    let created = client.meeting_create_with(req).await?;
                    let record = created.recordpath.as_deref().and_then(|p| client.resolve_record_path(p).ok()).map(String::from);
                    let mut value = super::to_json(&created);
                    value["record_url"] = json!(record);
                    let table = Table::kv([
                        ("serial", text(created.serial.as_ref())),
                        ("roomid", text(created.roomid.as_ref())),
                        ("pushurl", text(created.pushurl.as_ref())),
                        ("pullurl", text(created.pullurl.as_ref())),
                        ("record_url", record.unwrap_or_default()),
                    ]);
                    out.result(&value, &table);
                }
                (MeetingCommand::Delete(d), _) => {
                    let deleted = client.meeting_delete_with(MeetingDeleteRequest::new(d.serial.clone())).await?;
                    let value = json!({ "deleted": true, "serial": d.serial, "result": deleted.result });
                    out.result(&value, &Table::kv([("deleted", d.serial.clone())]));
                }
                (MeetingCommand::Create(_), None) => unreachable!("create request built above"),
            }
            Ok(exit::OK)
        }
    }
}

fn create_request(c: &crate::cli::MeetingCreateArgs) -> Result<MeetingCreateRequest, Error> {
    let start = UNIX_EPOCH + Duration::from_secs(c.start);
    let mut req = MeetingCreateRequest::new(c.name.clone(), start, c.chairman_pwd.clone());
    if let Some(end) = c.end {
        if end <= c.start {
            return Err(Error::invalid_input("--end", "must be after --start"));
        }
        req = req.end_time(UNIX_EPOCH + Duration::from_secs(end));
    }
    if c.live {
        req = req.is_live(true);
    }
    req.validate()?;
    Ok(req)
}

/// Make a join token locally; nothing is sent.
fn join_token(t: &JoinTokenArgs, base_url: Option<&str>, out: Output) -> Result<u8, Error> {
    let key = match t.flavor {
        Flavor::Java => {
            TokenKey::java(&secret(required(t.key_hex.as_deref(), "--key-hex")?), &secret(required(t.iv_hex.as_deref(), "--iv-hex")?))?
        }
        Flavor::Php => TokenKey::php(
            &secret(required(t.passkey.as_deref(), "--passkey")?),
            &secret(required(t.passphrase.as_deref(), "--passphrase")?),
        )?,
    };
    let role = JoinRole::from_wire(t.role.trim());
    if !matches!(role, JoinRole::Presenter | JoinRole::Speaker | JoinRole::Chairman) {
        return Err(Error::invalid_input("--role", "must be presenter, speaker or chairman"));
    }
    let payload = JoinPayload::new(t.serial.clone(), t.userid.clone(), t.username.clone(), role);
    let token = key.token(&payload)?;
    if out.json {
        let url = match base_url {
            Some(b) => Some(JoinLinks::parse(b)?.with_token(&token)?.to_string()),
            None => None,
        };
        let value = json!({
            "token": token,
            "flavor": key.flavour().to_string(),
            "serial": payload.serial,
            "userid": payload.userid,
            "username": payload.username,
            "role": payload.join_role.as_str(),
            "url_path": format!("/h5/index.html?token={token}"),
            "url": url,
        });
        out.result(&value, &Table::default());
    } else {
        println!("{token}");
    }
    Ok(exit::OK)
}
