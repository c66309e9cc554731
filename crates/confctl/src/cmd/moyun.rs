//! `confctl moyun`: conferences and terminals on a 摩云 platform.

use conf_core::Error;
use moyun_api::{AccountType, MoyunClient, MtSpec, Protocol, VcAddMtsRequest, VcListMtsRequest};
use serde_json::json;

use super::{core_config, required, text, to_json};
use crate::cli::{ConfsCommand, MoyunArgs, MoyunCommand, MtsCommand};
use crate::exit;
use crate::output::{Output, Table};

/// Run a `moyun` command.
pub async fn run(args: MoyunArgs, out: Output) -> Result<u8, Error> {
    // Check the input first: nothing is sent when it is invalid.
    let add = match &args.command {
        MoyunCommand::Mts(MtsCommand::Add { conf_id, account, account_type, bitrate, protocol, debug }) => {
            if *bitrate <= 0 {
                return Err(Error::invalid_input("--bitrate", "must be positive (kbps)"));
            }
            if !matches!(protocol, 0 | 1) {
                return Err(Error::invalid_input("--protocol", "must be 0 (H.323) or 1 (SIP)"));
            }
            let mt = MtSpec {
                account_type: AccountType::from_value(*account_type),
                account: required(Some(account), "--account")?.to_string(),
                bitrate: *bitrate,
                protocol: Protocol::from_value(*protocol),
                ..MtSpec::default()
            };
            let req = VcAddMtsRequest::new(required(Some(conf_id), "--conf-id")?, vec![mt]);
            req.validate()?;
            Some((req, *debug))
        }
        MoyunCommand::Mts(MtsCommand::List { conf_id }) => {
            required(Some(conf_id), "--conf-id")?;
            None
        }
        MoyunCommand::Confs(_) => None,
    };
    let mut builder = MoyunClient::builder(args.app_key, args.app_secret, args.username, args.password)
        .config(core_config(&args.base_url, args.insecure)?)
        .heartbeat_interval(None);
    if let Some(store) = super::fleet::store(&args.fleet)? {
        builder = builder.credential_store(store);
    }
    let client = builder.build()?;
    match args.command {
        MoyunCommand::Confs(ConfsCommand::List) => {
            let confs = client.vc().list_confs().into_paginator().items().collect_all().await?;
            let mut table = Table::new(["conf_id", "name", "start_time", "bitrate"]);
            for c in &confs {
                table.row([text(c.conf_id.as_ref()), text(c.name.as_ref()), text(c.start_time.as_ref()), text(c.bitrate)]);
            }
            out.result(&json!({ "confs": to_json(&confs) }), &table);
        }
        MoyunCommand::Mts(MtsCommand::List { conf_id }) => {
            let mts = client.vc().list_mts_with(VcListMtsRequest::new(conf_id.clone())).await?.mts.unwrap_or_default();
            let mut table = Table::new(["mt_id", "alias", "e164", "online", "mute", "silence"]);
            for m in &mts {
                table.row([
                    text(m.mt_id.as_ref()),
                    text(m.alias.as_ref()),
                    text(m.e164.as_ref()),
                    text(m.online),
                    text(m.mute),
                    text(m.silence),
                ]);
            }
            out.result(&json!({ "conf_id": conf_id, "mts": to_json(&mts) }), &table);
        }
        MoyunCommand::Mts(MtsCommand::Add { conf_id, .. }) => {
            let (req, debug) = add.expect("checked above");
            if debug {
                let report = client.debug(req.into_operation()?).await?;
                let mut table = Table::new(["field", "problem"]);
                for p in &report.problems {
                    table.row([p.field.clone(), p.message.clone()]);
                }
                if report.is_valid() {
                    table.row(["-", "no problem: the platform would accept this call (nothing was changed)"]);
                }
                let problems: Vec<_> = report.problems.iter().map(|p| json!({ "field": p.field, "message": p.message })).collect();
                out.result(&json!({ "conf_id": conf_id, "debug": true, "valid": report.is_valid(), "problems": problems }), &table);
                if !report.is_valid() {
                    eprintln!("confctl: moyun found {} parameter problem(s); nothing was changed", report.problems.len());
                    return Ok(exit::VENDOR);
                }
            } else {
                let added = client.vc().add_mts_with(req).await?;
                let mts = added.mts.unwrap_or_default();
                let mut table = Table::new(["mt_id", "account", "account_type", "protocol"]);
                for m in &mts {
                    table.row([
                        text(m.mt_id.as_ref()),
                        text(m.account.as_ref()),
                        text(m.account_type.as_ref().map(AccountType::value)),
                        text(m.protocol.as_ref().map(Protocol::value)),
                    ]);
                }
                out.result(&json!({ "conf_id": conf_id, "added": true, "mts": to_json(&mts) }), &table);
            }
        }
    }
    Ok(exit::OK)
}
