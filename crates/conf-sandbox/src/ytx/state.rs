//! Meetings and members kept by the ytx emulator, and the four actions.

use std::collections::BTreeMap;

use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::{MISSING_PARAMETER, NO_SUCH_MEETING, OK, UNKNOWN_ACTION};

/// One member of a phone meeting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    /// Display name (empty for the creator).
    pub name: String,
    /// Phone number.
    pub phone: String,
    /// Whether the phone is connected.
    pub online: bool,
    /// Whether the member is muted.
    pub muted: bool,
}

/// One phone meeting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Meeting {
    /// Meeting id (`meid`, used as `confid` afterwards).
    pub meid: String,
    /// `meetingname`.
    pub name: String,
    /// `creator` (a phone number).
    pub creator: String,
    /// Booked for later (`bookmeeting` = 1) at `booktime`.
    pub booked_at: Option<String>,
    /// `lackstate`: whether the room is locked.
    pub locked: bool,
    /// Members, creator first.
    pub members: Vec<Member>,
    /// Other fields as sent (`dstclid`, `srcclid`, `shownumber`).
    pub extra: BTreeMap<String, String>,
}

#[derive(Default)]
pub(crate) struct Meetings {
    by_id: BTreeMap<String, Meeting>,
    next: u64,
}

type Failure = (&'static str, &'static str);

impl Meetings {
    pub(crate) fn get(&self, meid: &str) -> Option<&Meeting> {
        self.by_id.get(meid)
    }

    pub(crate) fn ids(&self) -> Vec<String> {
        self.by_id.keys().cloned().collect()
    }

    pub(crate) fn set_member(&mut self, meid: &str, phone: &str, online: bool, muted: bool) -> bool {
        let Some(m) = self.by_id.get_mut(meid) else { return false };
        let Some(member) = m.members.iter_mut().find(|x| x.phone == phone) else { return false };
        member.online = online;
        member.muted = muted;
        true
    }
}

fn text<'a>(body: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    body.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

fn required<'a>(body: &'a Map<String, Value>, key: &str) -> Result<&'a str, Failure> {
    text(body, key).ok_or((MISSING_PARAMETER, "缺少必要参数"))
}

fn ok(extra: Value) -> Response {
    let mut out = json!({ "statusCode": OK, "statusMsg": "提交成功" });
    if let (Value::Object(o), Value::Object(e)) = (&mut out, extra) {
        o.extend(e);
    }
    axum::Json(out).into_response()
}

/// Mask a mobile number as the document's examples do (`131****1314`).
fn mask(phone: &str) -> String {
    if phone.len() == 11 && phone.bytes().all(|b| b.is_ascii_digit()) {
        format!("{}****{}", &phone[..3], &phone[7..])
    } else {
        phone.to_string()
    }
}

pub(crate) fn dispatch(meetings: &mut Meetings, action: &str, body: &Map<String, Value>) -> Result<Response, Failure> {
    match action {
        "createMeeting" => create(meetings, body),
        "lockMeeting" => {
            let confid = required(body, "confid")?;
            let locked = match required(body, "lackstate")? {
                "0" => false,
                "1" => true,
                _ => return Err((MISSING_PARAMETER, "缺少必要参数")),
            };
            let m = meetings.by_id.get_mut(confid).ok_or((NO_SUCH_MEETING, "会议不存在"))?;
            m.locked = locked;
            Ok(ok(json!({})))
        }
        "meetingState" => {
            let confid = required(body, "confid")?;
            let m = meetings.by_id.get(confid).ok_or((NO_SUCH_MEETING, "会议不存在"))?;
            let list: Vec<Value> = m
                .members
                .iter()
                .map(|x| {
                    json!({
                        "meid": m.meid,
                        "phone": mask(&x.phone),
                        "statusname": if x.online { "在线" } else { "不在线" },
                        "ifmutename": if x.muted { "已静音" } else { "未静音" },
                    })
                })
                .collect();
            Ok(axum::Json(json!({ "statusCode": OK, "statusMsg": list })).into_response())
        }
        "destroyMeeting" => {
            let confid = required(body, "confid")?;
            meetings.by_id.remove(confid).ok_or((NO_SUCH_MEETING, "会议不存在"))?;
            Ok(ok(json!({})))
        }
        _ => Err((UNKNOWN_ACTION, "不支持的接口")),
    }
}

fn create(meetings: &mut Meetings, body: &Map<String, Value>) -> Result<Response, Failure> {
    let creator = required(body, "creator")?.to_string();
    let name = text(body, "meetingname").unwrap_or_default().to_string();
    let booked_at = match text(body, "bookmeeting").unwrap_or("0") {
        "0" => None,
        "1" => Some(required(body, "booktime")?.to_string()),
        _ => return Err((MISSING_PARAMETER, "缺少必要参数")),
    };
    let online = booked_at.is_none();
    let mut members = vec![Member { name: String::new(), phone: creator.clone(), online, muted: false }];
    match body.get("parties") {
        None | Some(Value::Null) => {}
        Some(Value::Array(list)) => {
            for p in list {
                let phone = p.get("phone").and_then(Value::as_str).filter(|s| !s.is_empty()).ok_or((MISSING_PARAMETER, "缺少必要参数"))?;
                let name = p.get("name").and_then(Value::as_str).unwrap_or_default();
                members.push(Member { name: name.to_string(), phone: phone.to_string(), online, muted: false });
            }
        }
        Some(_) => return Err((MISSING_PARAMETER, "缺少必要参数")),
    }
    let meid = match text(body, "confid") {
        Some(c) => c.to_string(),
        None => {
            meetings.next += 1;
            format!("{}", 120 + meetings.next)
        }
    };
    let extra =
        ["dstclid", "srcclid", "shownumber"].iter().filter_map(|k| text(body, k).map(|v| ((*k).to_string(), v.to_string()))).collect();
    meetings.by_id.insert(meid.clone(), Meeting { meid: meid.clone(), name, creator, booked_at, locked: false, members, extra });
    Ok(ok(json!({ "meid": meid })))
}
