//! webapi: a meeting's life (create, modify, bind, upload, list, login log, records,
//! delete) and a join URL with an encrypted token the emulator accepts.

use std::time::{Duration, SystemTime};

use conf_core::secret::secret;
use conf_core::{ClientConfig, Error};
use serde_json::Value;
use webapi::{
    FilePart, GetLoginInfoRequest, GetMeetingFileRequest, GetRoomRecordRequest, JoinPayload, JoinRole, MeetingBindFileRequest,
    MeetingCreateRequest, MeetingDeleteRequest, MeetingModifyRequest, TokenKey, UploadRoomPicRequest, WebApiClient,
};

use super::Flow;
use crate::sandbox::Sandbox;

/// A 1x1 transparent PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
    0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63,
    0x00, 0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60,
    0x82,
];

/// Run the webapi flow.
pub async fn flow(sb: &Sandbox, json: bool) -> Flow {
    let mut f = Flow::new("webapi", json);
    let (emu, server) = &sb.webapi;
    let cfg = emu.config().clone();
    let Some(client) = f
        .step("client", async {
            let c = WebApiClient::builder(secret(cfg.key.clone()))
                .config(ClientConfig::parse(&server.base_url())?.proxy_from_env(false))
                .build()?;
            Ok((c, "company key on every call".to_string()))
        })
        .await
    else {
        return f;
    };
    let start = SystemTime::now() + Duration::from_secs(600);
    let Some(serial) = f
        .step("meetingcreate", async {
            let m = client
                .meeting_create_with(MeetingCreateRequest::new("confctl tour", start, "8888").end_time(start + Duration::from_secs(3600)))
                .await?;
            let serial = m.serial.ok_or_else(|| Error::other("no serial"))?;
            Ok((serial.clone(), format!("meeting {serial}")))
        })
        .await
    else {
        return f;
    };
    f.step("meetingmodify", async {
        client.meeting_modify_with(MeetingModifyRequest::new(serial.clone(), start).meeting_name("confctl tour (renamed)")).await?;
        let name = emu.meeting(&serial).map(|m| m.name).unwrap_or_default();
        Ok(((), format!("renamed to {name}")))
    })
    .await;
    f.step("meetingbindfile", async {
        client.meeting_bind_file_with(MeetingBindFileRequest::new(serial.clone(), vec!["494".to_string(), "496".to_string()])).await?;
        Ok(((), "documents 494, 496 bound".to_string()))
    })
    .await;
    f.step("uploadRoomPic", async {
        let pic = client
            .upload_room_pic_with(UploadRoomPicRequest::new(FilePart::from_bytes("background.png", PNG.to_vec()), serial.clone()))
            .await?;
        Ok(((), format!("background at {}", pic.pic_path.unwrap_or_default())))
    })
    .await;
    f.step("getmeetingfile", async {
        let files = client.get_meeting_file_with(GetMeetingFileRequest::new(serial.clone())).await?.meetingfile.unwrap_or_default();
        if files.len() != 2 {
            return Err(Error::other(format!("expected 2 documents, got {}", files.len())));
        }
        Ok(((), format!("{} documents listed", files.len())))
    })
    .await;
    f.step("join URL with token", async {
        let (k, iv) = cfg.java_key_hex.clone().ok_or_else(|| Error::other("the emulator has no Java key"))?;
        let key = TokenKey::java(&secret(k), &secret(iv))?;
        let link = client.join_links().token_link(&key, &JoinPayload::new(serial.clone(), "u1002", "李四", JoinRole::Chairman))?;
        let answer: Value = client
            .core()
            .http()
            .get(link.clone())
            .send()
            .await
            .map_err(|e| Error::other(format!("GET join link: {e}")))?
            .json()
            .await
            .map_err(|e| Error::other(format!("join link answer: {e}")))?;
        if answer["result"] != 0 {
            return Err(Error::other(format!("the emulator refused the token: {answer}")));
        }
        Ok((
            (),
            format!(
                "accepted: {} as {}",
                answer["payload"]["username"].as_str().unwrap_or(""),
                answer["payload"]["joinRole"].as_str().unwrap_or("")
            ),
        ))
    })
    .await;
    f.step("getlogininfo", async {
        let log = client.get_login_info_with(GetLoginInfoRequest::new(serial.clone())).await?.logininfo.unwrap_or_default();
        if !log.iter().any(|e| e.userid.as_deref() == Some("u1002")) {
            return Err(Error::other("the token login is not in the login log"));
        }
        Ok(((), format!("{} login entries", log.len())))
    })
    .await;
    f.step("getRoomRecord", async {
        emu.add_record(&serial, "u1002", 95);
        let records = client.get_room_record_with(GetRoomRecordRequest::new().serial(serial.clone())).await?.records.unwrap_or_default();
        let url = records.first().and_then(|r| r.filepath.as_deref()).and_then(|p| client.resolve_record_path(p).ok()).map(String::from);
        Ok(((), format!("{} recording(s) {}", records.len(), url.unwrap_or_default())))
    })
    .await;
    f.step("meetingdelete", async {
        client.meeting_delete_with(MeetingDeleteRequest::new(serial.clone())).await?;
        if emu.meeting(&serial).is_some() {
            return Err(Error::other("the meeting still exists"));
        }
        Ok(((), format!("meeting {serial} deleted")))
    })
    .await;
    f
}
