//! Issue 12 #3, decoding memory, through each vendor's public client: a large valid reply
//! (12 MiB, under the 64 MiB body cap) served on loopback from one pre-built buffer is
//! received, checked by the vendor's envelope and decoded into its typed response. The
//! peak of live heap bytes above the level before the call (a counting global allocator:
//! counters, not wall clock) stays a small multiple of the body: the received body, the
//! typed value, and nothing like a `serde_json::Value` of the whole reply (about nine times
//! the body). Run with `--nocapture` to see the multiples.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use conf_sdk_tests::hostile::{HostileServer, RecordedRequest, Responder};

#[path = "../../crates/conf-core/benches/decode_memory_support.rs"]
mod support;

#[global_allocator]
static ALLOC: support::Counting = support::Counting;

/// The allocator counts every thread: one measurement at a time.
static SERIAL: Mutex<()> = Mutex::new(());

/// Size of the large reply.
const BODY: usize = 12 * 1024 * 1024;

/// Largest peak allocation during the call, as a multiple of the body size. Measured:
/// 2.2x to 3.3x, depending on how large the typed value is next to its JSON.
const MAX_MULTIPLE: f64 = 4.0;

/// Largest peak allocation of the call above that of decoding the same body alone into the
/// same type (`decode_json`), as a multiple of the body: room for the received body and its
/// buffers, and none for a second copy or an intermediate value of the reply (a
/// `serde_json::Value` of it in an envelope check took about 9x). Measured: 1.00x.
const MAX_OVERHEAD: f64 = 1.4;

/// A JSON reply of at least `size` bytes: `head`, then items from `item(i)` separated by
/// commas, then `tail`. Returns the body and the number of items.
fn reply(size: usize, head: &str, tail: &str, item: impl Fn(usize) -> String) -> (Vec<u8>, usize) {
    let mut out = String::with_capacity(size + 1024);
    out.push_str(head);
    let mut n = 0;
    while out.len() < size {
        if n > 0 {
            out.push(',');
        }
        out.push_str(&item(n));
        n += 1;
    }
    out.push_str(tail);
    (out.into_bytes(), n)
}

/// A loopback server: requests whose target contains `data_path` get the pre-built large
/// body once `big` is set (a small valid `small` reply before); anything else is answered
/// by `other` (auth and session calls).
struct Canned {
    server: HostileServer,
    big: Arc<AtomicBool>,
    body: Arc<Vec<u8>>,
}

async fn canned(data_path: &'static str, small: &'static str, body: Vec<u8>, other: fn(&str) -> String) -> Canned {
    let big = Arc::new(AtomicBool::new(false));
    let body = Arc::new(body);
    let server = HostileServer::start({
        let (big, body) = (big.clone(), body.clone());
        move |req: RecordedRequest, mut resp: Responder| {
            let (big, body) = (big.clone(), body.clone());
            async move {
                let headers = [("content-type", "application/json;charset=utf-8")];
                let target = req.target();
                let _ = if !target.contains(data_path) {
                    resp.respond(200, &headers, other(target).as_bytes()).await
                } else if big.load(Ordering::SeqCst) {
                    resp.respond(200, &headers, &body).await
                } else {
                    resp.respond(200, &headers, small.as_bytes()).await
                };
            }
        }
    })
    .await;
    Canned { server, big, body }
}

/// Runs `warm` (auth, session, connection: not measured), then measures `call` against the
/// large body, and decoding the body alone into `Alone` (the same typed data) for
/// comparison. Returns what `call` returned.
fn measure<Alone, C, T>(
    vendor: &str,
    rt: &tokio::runtime::Runtime,
    canned: &Canned,
    warm: impl std::future::Future<Output = ()>,
    call: impl FnOnce() -> C,
) -> T
where
    Alone: serde::de::DeserializeOwned,
    C: std::future::Future<Output = T>,
{
    rt.block_on(warm);
    let body = canned.body.as_slice();
    let info = conf_core::RequestInfo::none("memory", "decode");
    let (alone, alone_peak) = support::peak_during(|| conf_core::envelope::decode_json::<Alone>(&info, body, false).expect("decodes"));
    drop(alone);
    canned.big.store(true, Ordering::SeqCst);
    let (out, peak) = support::peak_during(|| rt.block_on(call()));
    #[allow(clippy::cast_precision_loss)]
    let (len, multiple, overhead) =
        (body.len() as f64, peak as f64 / body.len() as f64, (peak as f64 - alone_peak as f64) / body.len() as f64);
    println!(
        "{vendor}: reply of {:.1} MB: the call peaks at {:.1} MB above the level before it ({multiple:.2}x the body); decoding the body alone {:.1} MB; the call's overhead {overhead:.2}x the body",
        len / 1e6,
        peak as f64 / 1e6,
        alone_peak as f64 / 1e6
    );
    assert!(multiple < MAX_MULTIPLE, "{vendor}: peak {peak} bytes is {multiple:.2}x the body of {} bytes", body.len());
    assert!(overhead < MAX_OVERHEAD, "{vendor}: {overhead:.2}x the body above decoding it alone ({alone_peak} bytes)");
    out
}

/// Transport settings for the canned server: no proxy, a generous attempt timeout.
fn transport(canned: &Canned) -> conf_core::ClientConfig {
    conf_core::ClientConfig::parse(&canned.server.url())
        .expect("loopback URL")
        .proxy_from_env(false)
        .attempt_timeout(Duration::from_secs(60))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime")
}

fn lock() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}

#[test]
fn moyun_list_confs() {
    use moyun_api::{MoyunClient, VcListConfsRequest, VcListConfsResponse};
    let _serial = lock();
    let rt = runtime();
    let (body, n) = reply(BODY, r#"{"success":1,"error_code":0,"total":1000000,"confs":["#, "]}", |i| {
        // Every field of a conference the platform lists (document 000's `confs` item).
        format!(
            r#"{{"name":"会议 {i} Weekly review","user_domain_moid":"mooooooo-oooo-oooo-oooo-defaultuserdo","user_domain_name":"默认用户域","meeting_room_name":"Room {i}","conf_id":"{i:07}","conf_level":3,"voice_activity_detection":0,"vacinterval":5,"conf_type":0,"start_time":"2024-03-01T09:00:00+08:00","end_time":"2024-03-01T10:00:00+08:00","duration":60,"bitrate":2048,"closed_conf":0,"safe_conf":0,"encrypted_type":0,"encrypted_frequence":0,"encrypted_auth":0,"mute":0,"mute_filter":0,"silence":0,"auto_end":1,"preoccupy_resource":0,"video_quality":0,"dual_mode":1,"public_conf":0,"max_join_mt":192,"force_broadcast":0,"fec_mode":0,"need_password":0,"one_reforming":0,"doubleflow":0,"platform_id":"moooooo-oooo-oooo-oooo-platform00001","superior_cascade":0,"subordinate_cascade":0,"meeting_id":"m-{i}","creator":{{"name":"管理员","account":"admin{i}","account_type":1,"telephone":"0512-6800{i:04}","mobile":"1310000{i:04}"}}}}"#
        )
    });
    let platform = |target: &str| {
        if target.starts_with("/api/v1/system/token") {
            r#"{"success":1,"account_token":"tok-0123456789"}"#
        } else if target.starts_with("/api/v1/system/login") {
            r#"{"success":1,"username":"name"}"#
        } else {
            r#"{"success":1,"version":"6.0.0.0.0.20190603","api_level":1}"#
        }
        .to_owned()
    };
    let canned = rt.block_on(canned("/api/v1/vc/confs", r#"{"success":1,"total":0,"confs":[]}"#, body, platform));
    let client = MoyunClient::builder("key", conf_core::secret::secret("12345678"), "name", conf_core::secret::secret("888888"))
        .config(transport(&canned))
        .heartbeat_interval(None)
        .build()
        .expect("client");
    let warm = async {
        client.vc().list_confs_with(VcListConfsRequest::new()).await.expect("small page");
    };
    let reply =
        measure::<VcListConfsResponse, _, _>("moyun", &rt, &canned, warm, || client.vc().list_confs_with(VcListConfsRequest::new()));
    assert_eq!(reply.expect("large page").confs.map(|c| c.len()), Some(n));
}

#[test]
fn vmr_participants() {
    use conf_core::RetryPolicy;
    use vmr_rest::{Participant, ParticipantsRequest, SessionOptions, VmrClient};
    /// The node's answer, decoded alone.
    #[derive(serde::Deserialize)]
    struct NodeList {
        #[allow(dead_code)]
        result: Vec<Participant>,
    }
    let _serial = lock();
    let rt = runtime();
    let (body, n) = reply(BODY, r#"{"status":"success","result":["#, "]}", |i| {
        format!(
            r#"{{"uuid":"2f0a{i:08}-4d8e-4f7c-9a5e-7f1e2d3c4b5a","display_name":"参会者 {i} Room","call_direction":"in","encryption":"On","has_media":true,"is_muted":"NO","is_presenting":"NO","role":"guest","protocol":"sip"}}"#
        )
    });
    let session_calls = |target: &str| {
        if target.ends_with("/new_session") || target.ends_with("/refresh_session") {
            r#"{"status":"success","result":{"token":"memory-token","expires":120,"participant_uuid":"u-1","role":"HOST"}}"#
        } else {
            r#"{"status":"success","result":true}"#
        }
        .to_owned()
    };
    let canned = rt.block_on(canned("/participants", r#"{"status":"success","result":[]}"#, body, session_calls));
    let vmr = VmrClient::builder().config(transport(&canned).retry(RetryPolicy::disabled())).build().unwrap();
    let mcu = vmr.mcu(&canned.server.url()).unwrap();
    let session = rt.block_on(mcu.session("1061", SessionOptions::new("memory"))).expect("session opens");
    let warm = async {
        session.conference().participants_with(ParticipantsRequest::new()).await.expect("small list");
    };
    let list = measure::<NodeList, _, _>("vmr", &rt, &canned, warm, || session.conference().participants_with(ParticipantsRequest::new()));
    assert_eq!(list.expect("large list").participants.len(), n);
}

#[test]
fn lingsun_all_packages() {
    use conf_core::secret::secret;
    use lingsun_rest::{GetAllPackagesRequest, GetAllPackagesResponse, Grant, LingsunClient};
    let _serial = lock();
    let rt = runtime();
    let (body, n) = reply(BODY, r#"{"code":0,"msg":"SUCCESS","timestamp":1700000000000,"success":true,"data":["#, "]}", |i| {
        format!(
            r#"{{"cloudRecordPackageId":{i},"packageName":"录制套餐 {i}","packageType":"1","lifeCycle":"30","bucket":"bucket-{i}","preDir":"rec/{i}/","deleted":false,"createdBy":10001,"createdTime":1700000000000,"changedTime":1700000000000}}"#
        )
    });
    let token = |_: &str| {
        r#"{"code":0,"msg":"success","success":true,"data":{"access_token":"at-1","token_type":"bearer","refresh_token":"rt-1","expires_in":3600,"scope":"read"}}"#.to_owned()
    };
    let canned = rt.block_on(canned("/cloud-recorder/", r#"{"code":0,"msg":"SUCCESS","success":true,"data":[]}"#, body, token));
    let client = LingsunClient::builder("client-id", secret("client-secret"), Grant::ClientCredentials)
        .config(transport(&canned))
        .build()
        .expect("client");
    let warm = async {
        client.get_all_packages_with(GetAllPackagesRequest::new()).await.expect("small list");
    };
    let all = measure::<GetAllPackagesResponse, _, _>("lingsun", &rt, &canned, warm, || {
        client.get_all_packages_with(GetAllPackagesRequest::new())
    });
    assert_eq!(all.expect("large list").data.map(|d| d.len()), Some(n));
}

#[test]
fn webapi_login_info() {
    use webapi::{GetLoginInfoRequest, GetLoginInfoResponse, WebApiClient};
    let _serial = lock();
    let rt = runtime();
    let (body, n) = reply(BODY, r#"{"result":0,"logininfo":["#, "]}", |i| {
        format!(
            r#"{{"userid":"user-{i}","entertime":"2024-03-01 09:{:02}:00","serial":"918273645","leavetime":"2024-03-01 10:00:00"}}"#,
            i % 60
        )
    });
    let canned = rt.block_on(canned("/WebAPI/", r#"{"result":0,"logininfo":[]}"#, body, |_| r#"{"result":0}"#.to_owned()));
    let client = WebApiClient::builder(conf_core::secret::secret("company-key")).config(transport(&canned)).build().expect("client");
    let warm = async {
        client.get_login_info_with(GetLoginInfoRequest::new("918273645")).await.expect("small list");
    };
    let info = measure::<GetLoginInfoResponse, _, _>("webapi", &rt, &canned, warm, || {
        client.get_login_info_with(GetLoginInfoRequest::new("918273645"))
    });
    assert_eq!(info.expect("large list").logininfo.map(|l| l.len()), Some(n));
}

#[test]
fn ytx_meeting_state() {
    use ytx_telemeeting::{MeetingStateRequest, MeetingStateResponse, YtxClient};
    let _serial = lock();
    let rt = runtime();
    let (body, n) = reply(BODY, r#"{"statusCode":"0","statusMsg":["#, "]}", |i| {
        format!(r#"{{"meid":"80000{i}","phone":"131****{:04}","statusname":"通话中","ifmutename":"未静音"}}"#, i % 10_000)
    });
    let canned = rt.block_on(canned("/TeleMeeting", r#"{"statusCode":"0","statusMsg":[]}"#, body, |_| r#"{"statusCode":"0"}"#.to_owned()));
    let client = YtxClient::builder("aaf98f89", conf_core::secret::secret("auth-token"), "app-1")
        .config(transport(&canned))
        .build()
        .expect("client");
    let warm = async {
        client.meeting_state_with(MeetingStateRequest::new("800001")).await.expect("small list");
    };
    let state =
        measure::<MeetingStateResponse, _, _>("ytx", &rt, &canned, warm, || client.meeting_state_with(MeetingStateRequest::new("800001")));
    assert_eq!(state.expect("large list").members.map(|m| m.len()), Some(n));
}
