//! The ytx emulator checked against the vendor document with a raw HTTP client.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use conf_sandbox::ytx::{self, YtxConfig, YtxEmulator, ytx_timestamp};
use md5::{Digest, Md5};
use serde_json::{Value, json};

const T0: u64 = 1_359_702_000; // 2013-02-01 15:00:00 Beijing

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

struct Signed {
    sign: String,
    authorization: String,
}

fn signed(cfg: &YtxConfig, sign_ts: &str, auth_ts: &str, token: &str) -> Signed {
    let sign = hex::encode_upper(Md5::digest(format!("{}{token}{sign_ts}", cfg.account_sid)));
    let authorization = base64::engine::general_purpose::STANDARD.encode(format!("{}|{auth_ts}", cfg.account_sid));
    Signed { sign, authorization }
}

async fn post(base: &str, cfg: &YtxConfig, s: &Signed, body: Value) -> Value {
    let url = format!("{base}/201612/sid/{}/call/TeleMeeting.wx?Sign={}", cfg.account_sid, s.sign);
    reqwest::Client::new()
        .post(url)
        .header("Accept", "application/json")
        .header("Content-Type", "application/json;charset=utf-8")
        .header("Authorization", &s.authorization)
        .body(body.to_string())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn signature_checks_follow_the_document() {
    let cfg = YtxConfig::default();
    let (emu, server) = YtxEmulator::start(cfg.clone()).await.unwrap();
    emu.set_clock(Some(at(T0)));
    let base = server.base_url();
    let ts = ytx_timestamp(at(T0));
    assert_eq!(ts, "20130201150000");
    let create = json!({"action": "createMeeting", "appid": cfg.app_id, "creator": "13100001314"});

    let good = signed(&cfg, &ts, &ts, &cfg.auth_token);
    let r = post(&base, &cfg, &good, create.clone()).await;
    assert_eq!(r["statusCode"], "0", "{r}");
    let meid = r["meid"].as_str().unwrap().to_string();

    // lower-case Sign is accepted too ("无论大小写")
    let lower = Signed { sign: good.sign.to_lowercase(), authorization: good.authorization.clone() };
    let r = post(&base, &cfg, &lower, json!({"action": "meetingState", "appid": cfg.app_id, "confid": meid})).await;
    assert_eq!(r["statusCode"], "0", "{r}");
    assert_eq!(r["statusMsg"][0]["phone"], "131****1314");
    assert_eq!(r["statusMsg"][0]["statusname"], "在线");

    let wrong_key = signed(&cfg, &ts, &ts, "wrong");
    assert_eq!(post(&base, &cfg, &wrong_key, create.clone()).await["statusCode"], ytx::SIGN_MISMATCH);

    // Sign and Authorization must carry the same timestamp
    let other = ytx_timestamp(at(T0 + 1));
    let split = signed(&cfg, &other, &ts, &cfg.auth_token);
    assert_eq!(post(&base, &cfg, &split, create.clone()).await["statusCode"], ytx::SIGN_MISMATCH);

    // 24 hours of validity
    let old = ytx_timestamp(at(T0 - 24 * 3600 - 1));
    let stale = signed(&cfg, &old, &old, &cfg.auth_token);
    assert_eq!(post(&base, &cfg, &stale, create.clone()).await["statusCode"], ytx::TIMESTAMP_EXPIRED);
    let edge = ytx_timestamp(at(T0 - 24 * 3600 + 60));
    let fresh = signed(&cfg, &edge, &edge, &cfg.auth_token);
    assert_eq!(
        post(&base, &cfg, &fresh, json!({"action": "destroyMeeting", "appid": cfg.app_id, "confid": meid})).await["statusCode"],
        "0"
    );

    let garbage = Signed { sign: good.sign.clone(), authorization: "not base64!".into() };
    assert_eq!(post(&base, &cfg, &garbage, create.clone()).await["statusCode"], ytx::BAD_AUTHORIZATION);
    assert_eq!(emu.counters().rejected_auth, 4);
}

#[tokio::test]
async fn documented_codes_and_state() {
    let cfg = YtxConfig::default();
    let (emu, server) = YtxEmulator::start(cfg.clone()).await.unwrap();
    let base = server.base_url();
    let ts = ytx_timestamp(SystemTime::now());
    let s = signed(&cfg, &ts, &ts, &cfg.auth_token);

    let r = post(
        &base,
        &cfg,
        &s,
        json!({"action": "lockMeeting", "appid": "ff80808100000000000000000000dead", "confid": "002", "lackstate": "1"}),
    )
    .await;
    assert_eq!(r["statusCode"], ytx::APP_CHECK_FAILED);
    let r = post(&base, &cfg, &s, json!({"action": "lockMeeting", "appid": cfg.app_id, "confid": "002"})).await;
    // The document's failure shape, with a request id unique to each failure.
    assert_eq!(r, json!({"statusCode": "-2", "statusMsg": "缺少必要参数", "requestId": "emu-00000002"}));

    let r = post(
        &base,
        &cfg,
        &s,
        json!({"action": "createMeeting", "appid": cfg.app_id, "creator": "13100001314", "confid": "002",
        "parties": [{"name": "Li", "phone": "18900005326"}]}),
    )
    .await;
    assert_eq!(r["meid"], "002");
    let r = post(&base, &cfg, &s, json!({"action": "lockMeeting", "appid": cfg.app_id, "confid": "002", "lackstate": "1"})).await;
    assert_eq!(r, json!({"statusCode": "0", "statusMsg": "提交成功"}));
    assert!(emu.meeting("002").unwrap().locked);
    let r = post(&base, &cfg, &s, json!({"action": "lockMeeting", "appid": cfg.app_id, "confid": "002", "lackstate": "yes"})).await;
    assert_eq!(r["statusCode"], "-2");

    assert!(emu.set_member_state("002", "18900005326", false, true));
    let r = post(&base, &cfg, &s, json!({"action": "meetingState", "appid": cfg.app_id, "confid": "002"})).await;
    assert_eq!(r["statusMsg"][1], json!({"meid": "002", "phone": "189****5326", "statusname": "不在线", "ifmutename": "已静音"}));

    let r = post(&base, &cfg, &s, json!({"action": "destroyMeeting", "appid": cfg.app_id, "confid": "002"})).await;
    assert_eq!(r["statusCode"], "0");
    let r = post(&base, &cfg, &s, json!({"action": "meetingState", "appid": cfg.app_id, "confid": "002"})).await;
    assert_eq!(r["statusCode"], ytx::NO_SUCH_MEETING);
    let r = post(&base, &cfg, &s, json!({"action": "dance", "appid": cfg.app_id})).await;
    assert_eq!(r["statusCode"], ytx::UNKNOWN_ACTION);
    let ids = emu.counters().failure_request_ids;
    assert_eq!(r["requestId"], ids[ids.len() - 1].as_str());
    let unique: std::collections::HashSet<_> = ids.iter().collect();
    assert_eq!((ids.len(), unique.len()), (5, 5), "{ids:?}");
}
