//! docs/webapi.md, "A complete program": a meeting's life on the Web 服务器 API (book,
//! change, bind documents, upload a background, hand out a join link, read the login log
//! and the recordings, delete).
//!
//! Against a real server, set the variables `WebApiClient::from_env` reads (as `confctl
//! webapi` does) and the PHP-flavour join-token key `WEBAPI_PASSKEY` + `WEBAPI_PASSPHRASE`,
//! then `cargo run -p conf-sdk --example webapi`. `crates/conf-sdk/tests/docs_programs.rs`
//! runs [`run`] against the conf-sandbox emulator.

use std::time::{Duration, SystemTime};

use conf_sdk::webapi::{FilePart, JoinPayload, JoinRole, TokenKey, WebApiClient, error_code};
use conf_sdk::{DateTime, Error, SecretString};

/// A 1x1 PNG, the room background this program uploads.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
    0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63,
    0x00, 0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60,
    0x82,
];

/// Book a meeting, prepare it, hand the chair a join link, read what happened, delete it.
/// Returns the meeting's serial.
pub async fn run(client: &WebApiClient, token_key: &TokenKey, file_ids: Vec<String>) -> Result<String, Error> {
    // Book a meeting in ten minutes, for an hour. Not idempotent: a lost reply is an
    // `OutcomeUnknown` error; look for the meeting before booking again.
    let start = SystemTime::now() + Duration::from_secs(600);
    let meeting = client
        .meeting_create()
        .meeting_name("周会")
        .start_time(start)
        .chairman_pwd("8888")
        .end_time(start + Duration::from_secs(3600))
        .send()
        .await
        .inspect_err(|e| eprintln!("meetingcreate failed: {e} (code: {:?})", error_code(e)))?;
    let serial = meeting.serial.ok_or_else(|| Error::other("meetingcreate answered no serial"))?;

    client.meeting_modify().serial(&serial).start_time(start).meeting_name("周会 (改)").send().await?;
    if !file_ids.is_empty() {
        client.meeting_bind_file().serial(&serial).file_ids(file_ids).send().await?;
    }
    client.upload_room_pic().serial(&serial).file_data(FilePart::from_bytes("background.png", PNG.to_vec())).send().await?;
    for f in client.get_meeting_file().serial(&serial).send().await?.meetingfile.unwrap_or_default() {
        let url = f.downloadpath.as_deref().map(|p| client.resolve_file_path(p)).transpose()?;
        println!("document {:?}: {}", f.filename, url.map(String::from).unwrap_or_default());
    }

    // One encrypted join link for the chair.
    let link = client.join_links().token_link(token_key, &JoinPayload::new(&serial, "u1", "张三", JoinRole::Chairman))?;
    println!("send this link to the chair: {link}");

    // Server times are kept as written; `leavetime` is None while a user is still in the room.
    let time = |t: &Option<DateTime>| t.as_ref().map_or("-", DateTime::as_str).to_string();
    for l in client.get_login_info().serial(&serial).send().await?.logininfo.unwrap_or_default() {
        println!("{} {}–{}", l.userid.unwrap_or_default(), time(&l.entertime), time(&l.leavetime));
    }
    for r in client.get_room_record().serial(&serial).send().await?.records.unwrap_or_default() {
        let url = r.filepath.as_deref().map(|p| client.resolve_record_path(p)).transpose()?;
        println!("recording of {:?} s: {}", r.duration, url.map(String::from).unwrap_or_default());
    }
    client.meeting_delete().serial(&serial).send().await?;
    Ok(serial)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let var = |name: &str| std::env::var(name).map_err(|_| Error::invalid_input(name, "environment variable not set"));
    let client = WebApiClient::from_env()?;
    let token_key = TokenKey::php(&SecretString::from(var("WEBAPI_PASSKEY")?), &SecretString::from(var("WEBAPI_PASSPHRASE")?))?;
    run(&client, &token_key, vec![]).await?;
    Ok(())
}
