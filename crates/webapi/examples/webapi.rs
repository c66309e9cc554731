//! A meeting's life on the Web 服务器 API: book, change, bind documents, upload a
//! background, hand out join links, read the login log and recordings, delete.
//!
//! Runs against the local emulator by default:
//!
//! ```sh
//! cargo run -p webapi --example webapi
//! ```
//!
//! and against a real server when `WEBAPI_BASE_URL` (`https://meet.example.com`) and
//! `WEBAPI_KEY` (the company id) are set. Optional: `WEBAPI_FILE_IDS` (comma-separated
//! document ids to bind), `WEBAPI_RECORD_BASE` (recording server), and the join-token key
//! material `WEBAPI_TOKEN_KEY_HEX` + `WEBAPI_TOKEN_IV_HEX` (Java flavour) or
//! `WEBAPI_PASSKEY` + `WEBAPI_PASSPHRASE` (PHP flavour).

use std::time::{Duration, SystemTime};

use conf_core::secret::secret;
use webapi::{
    FilePart, GetLoginInfoRequest, GetMeetingFileRequest, GetRoomRecordRequest, JoinParams, JoinPayload, JoinRole, MeetingBindFileRequest,
    MeetingCreateRequest, MeetingDeleteRequest, MeetingModifyRequest, TokenKey, UploadRoomPicRequest, WebApiClient, error_code,
};

/// A 1x1 transparent PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
    0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63,
    0x00, 0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60,
    0x82,
];

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    // Keep the emulator (and its server) alive for the whole program.
    let mut emulator = None;
    let (base, key, token_key, file_ids) = if let (Some(base), Some(key)) = (env("WEBAPI_BASE_URL"), env("WEBAPI_KEY")) {
        let token_key = match (env("WEBAPI_TOKEN_KEY_HEX"), env("WEBAPI_TOKEN_IV_HEX"), env("WEBAPI_PASSKEY"), env("WEBAPI_PASSPHRASE")) {
            (Some(k), Some(iv), _, _) => Some(TokenKey::java(&secret(k), &secret(iv))?),
            (_, _, Some(pk), Some(pp)) => Some(TokenKey::php(&secret(pk), &secret(pp))?),
            _ => None,
        };
        let ids = env("WEBAPI_FILE_IDS").map(|v| v.split(',').map(|s| s.trim().to_owned()).collect()).unwrap_or_default();
        (base, key, token_key, ids)
    } else {
        let config = conf_sandbox::webapi::WebApiConfig::default();
        let (emu, server) = conf_sandbox::webapi::WebApiEmulator::start(config.clone()).await?;
        println!("using the WebAPI emulator at {}", server.base_url());
        let (k, iv) = config.java_key_hex.clone().expect("the default emulator has Java key material");
        let token_key = Some(TokenKey::java(&secret(k), &secret(iv))?);
        let base = server.base_url();
        emulator = Some((emu, server));
        (base, config.key, token_key, vec!["494".to_owned(), "496".to_owned()])
    };
    let mut builder = WebApiClient::builder(secret(key)).base_url(base);
    if let Some(rec) = env("WEBAPI_RECORD_BASE") {
        builder = builder.record_base(rec);
    }
    let client = builder.build()?;

    // Book a meeting starting in ten minutes, for an hour.
    let start = SystemTime::now() + Duration::from_secs(600);
    let meeting = client
        .meeting_create_with(MeetingCreateRequest::new("conf-sdk 示例会议", start, "8888").end_time(start + Duration::from_secs(3600)))
        .await
        .inspect_err(|e| eprintln!("meetingcreate failed: {e} (code: {:?})", error_code(e)))?;
    let serial = meeting.serial.clone().unwrap_or_default();
    let rec = meeting.recordpath.as_deref().and_then(|p| client.resolve_record_path(p).ok());
    println!("meeting {serial} booked; recording will be at {}", rec.map(String::from).unwrap_or_default());

    client.meeting_modify_with(MeetingModifyRequest::new(&serial, start).meeting_name("conf-sdk 示例会议 (改)")).await?;
    println!("renamed");

    if !file_ids.is_empty() {
        client.meeting_bind_file_with(MeetingBindFileRequest::new(&serial, file_ids)).await?;
    }
    let pic = client.upload_room_pic_with(UploadRoomPicRequest::new(FilePart::from_bytes("background.png", PNG.to_vec()), &serial)).await?;
    println!("background stored at {}", pic.pic_path.unwrap_or_default());
    for f in client.get_meeting_file_with(GetMeetingFileRequest::new(&serial)).await?.meetingfile.unwrap_or_default() {
        let url = f.downloadpath.as_deref().and_then(|p| client.resolve_file_path(p).ok()).map(String::from).unwrap_or_default();
        println!("document {} {} -> {url}", f.fileid.unwrap_or_default(), f.filename.unwrap_or_default());
    }

    // Join links: several parameters in the fragment, or one encrypted token.
    let links = client.join_links();
    println!("multi-parameter link: {}", links.multi_param(&JoinParams::new(&serial, "u1001", "张三 & Co", JoinRole::Presenter))?);
    if let Some(tk) = &token_key {
        let payload = JoinPayload::new(&serial, "u1002", "李四", JoinRole::Chairman);
        let link = links.token_link(tk, &payload)?;
        println!("token link ({} flavour): {link}", tk.flavour());
        if let Some((emu, _)) = &emulator {
            // The emulator's link page decodes the token and logs the user in.
            let v: serde_json::Value = client.core().http().get(link).send().await?.json().await?;
            println!("emulator opened the link: {}", v["payload"]);
            emu.add_record(&serial, "u1002", 95);
        }
    }

    for entry in client.get_login_info_with(GetLoginInfoRequest::new(&serial)).await?.logininfo.unwrap_or_default() {
        let user = entry.userid.unwrap_or_default();
        let enter = entry.entertime.as_ref().map_or("-", |t| t.as_str());
        // Still in the room: the server sends an empty `leavetime`, read as `None`.
        let leave = entry.leavetime.as_ref().map_or("-", |t| t.as_str());
        println!("login: {user} entered {enter} left {leave}");
    }
    for r in client.get_room_record_with(GetRoomRecordRequest::new().serial(&serial)).await?.records.unwrap_or_default() {
        let url = r.filepath.as_deref().and_then(|p| client.resolve_record_path(p).ok()).map(String::from).unwrap_or_default();
        println!("recording {}: {} s at {url}", r.id.unwrap_or_default(), r.duration.unwrap_or_default());
    }

    client.meeting_delete_with(MeetingDeleteRequest::new(&serial)).await?;
    println!("meeting {serial} deleted");
    Ok(())
}
