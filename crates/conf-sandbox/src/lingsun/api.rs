//! Cloud-storage and third-party-account endpoints (token required).

use tokio::time::Instant;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::{Inner, LingsunEmulator, Order, Package, ThirdPartyAccount, failure, region_ok, success};

type Fail = Response;

/// Check region, `Authorization: Bearer <token>` and parse the JSON body.
fn admit(inner: &mut Inner, region: &str, headers: &HeaderMap, body: &[u8]) -> Result<Map<String, Value>, Fail> {
    if !region_ok(region) {
        return Err(failure(StatusCode::NOT_FOUND, 404, "no such region"));
    }
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("");
    let token = auth.split_once(' ').filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer")).map(|(_, t)| t.trim());
    let valid = token.and_then(|t| inner.access.get(t)).is_some_and(|info| Instant::now() < info.expires_at);
    if !valid {
        inner.counters.unauthorized += 1;
        return Err(failure(StatusCode::UNAUTHORIZED, 401, "invalid_token"));
    }
    let ct = headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
    if !ct.to_ascii_lowercase().starts_with("application/json") {
        return Err(failure(StatusCode::BAD_REQUEST, 400, "Content-Type must be application/json"));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(failure(StatusCode::BAD_REQUEST, 400, "body must be a JSON object")),
    }
}

/// The cloud-recorder calls carry `header { traceId, timestamp }`.
fn check_header(inner: &mut Inner, body: &Map<String, Value>) -> Result<(), Fail> {
    let h = body.get("header").and_then(Value::as_object);
    let trace = h.and_then(|h| h.get("traceId")).and_then(Value::as_str).filter(|t| looks_like_uuid(t));
    let ts = h.and_then(|h| h.get("timestamp")).and_then(Value::as_i64);
    match (trace, ts) {
        (Some(t), Some(_)) => {
            inner.counters.trace_ids.push(t.to_string());
            Ok(())
        }
        _ => Err(failure(StatusCode::OK, 400, "header.traceId (UUID) and header.timestamp (ms) are required")),
    }
}

fn looks_like_uuid(t: &str) -> bool {
    t.len() == 36 && t.char_indices().all(|(i, c)| if matches!(i, 8 | 13 | 18 | 23) { c == '-' } else { c.is_ascii_hexdigit() })
}

fn text<'a>(body: &'a Map<String, Value>, key: &str) -> Result<&'a str, Fail> {
    body.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| failure(StatusCode::OK, 400, &format!("{key} is required")))
}

fn package_json(p: &Package) -> Value {
    json!({
        "cloudRecordPackageId": p.id, "packageName": p.name, "packageType": p.package_type,
        "lifeCycle": p.life_cycle, "bucket": "emulator-bucket", "preDir": p.pre_dir, "deleted": false,
        "createdBy": 1, "createdTime": 1_659_597_359_000_i64, "changedTime": 1_662_111_196_000_i64
    })
}

fn run(
    emu: &LingsunEmulator,
    region: &str,
    headers: &HeaderMap,
    body: &[u8],
    f: impl FnOnce(&mut Inner, Map<String, Value>) -> Result<Response, Fail>,
) -> Response {
    let mut inner = emu.lock();
    match admit(&mut inner, region, headers, body).and_then(|b| f(&mut inner, b)) {
        Ok(r) | Err(r) => r,
    }
}

pub(crate) async fn get_all(State(emu): State<LingsunEmulator>, Path(region): Path<String>, headers: HeaderMap, body: Bytes) -> Response {
    run(&emu, &region, &headers, &body, |inner, b| {
        check_header(inner, &b)?;
        Ok(success(Some(Value::Array(inner.packages.iter().map(package_json).collect()))))
    })
}

pub(crate) async fn get_by_id(State(emu): State<LingsunEmulator>, Path(region): Path<String>, headers: HeaderMap, body: Bytes) -> Response {
    run(&emu, &region, &headers, &body, |inner, b| {
        check_header(inner, &b)?;
        let id =
            b.get("payload").and_then(Value::as_i64).ok_or_else(|| failure(StatusCode::OK, 400, "payload (package id) is required"))?;
        let p = inner.packages.iter().find(|p| p.id == id).ok_or_else(|| failure(StatusCode::OK, 404, "package not found"))?;
        Ok(success(Some(package_json(p))))
    })
}

pub(crate) async fn open_order(
    State(emu): State<LingsunEmulator>,
    Path(region): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    run(&emu, &region, &headers, &body, |inner, b| {
        check_header(inner, &b)?;
        let payload = b.get("payload").and_then(Value::as_object).ok_or_else(|| failure(StatusCode::OK, 400, "payload is required"))?;
        for k in ["appId", "userId", "deviceId", "paymentOrderId"] {
            text(payload, k)?;
        }
        let pkg = payload
            .get("cloudRecordPackageId")
            .and_then(Value::as_i64)
            .ok_or_else(|| failure(StatusCode::OK, 400, "cloudRecordPackageId is required"))?;
        if payload.get("orderNumber").and_then(Value::as_i64).is_none_or(|n| n < 1) {
            return Err(failure(StatusCode::OK, 400, "orderNumber must be a positive integer"));
        }
        if !inner.packages.iter().any(|p| p.id == pkg) {
            return Err(failure(StatusCode::OK, 404, "package not found"));
        }
        let id = format!("order{:020}", inner.next());
        inner.orders.push(Order { id: id.clone(), payload: Value::Object(payload.clone()) });
        Ok(success(Some(Value::String(id))))
    })
}

fn not_exists(project: &str, account: &str) -> Fail {
    failure(StatusCode::OK, 999_999, &format!("The user not exists. projectId={{{project}}}, thirdPartyAccount={{{account}}}"))
}

pub(crate) async fn register(State(emu): State<LingsunEmulator>, Path(region): Path<String>, headers: HeaderMap, body: Bytes) -> Response {
    run(&emu, &region, &headers, &body, |inner, b| {
        let project = text(&b, "projectId")?.to_string();
        let account = text(&b, "thirdPartyAccount")?.to_string();
        if inner.accounts.iter().any(|a| a.project_id == project && a.account == account) {
            return Err(failure(
                StatusCode::OK,
                999_999,
                &format!("The user already exists. projectId={{{project}}}, thirdPartyAccount={{{account}}}"),
            ));
        }
        let n = inner.next();
        let acc = ThirdPartyAccount {
            user_id: format!("100000000000000000_{n:012}"),
            token: format!("tp-{n}-{project}-{account}"),
            project_id: project,
            account,
        };
        let data = json!({ "userId": acc.user_id, "token": acc.token });
        inner.accounts.push(acc);
        Ok(success(Some(data)))
    })
}

pub(crate) async fn login(State(emu): State<LingsunEmulator>, Path(region): Path<String>, headers: HeaderMap, body: Bytes) -> Response {
    run(&emu, &region, &headers, &body, |inner, b| {
        if text(&b, "clientId")? != inner.config.client_id || text(&b, "clientSecret")? != inner.config.client_secret {
            return Err(failure(StatusCode::OK, 400, "invalid_client"));
        }
        let (project, account, token) = (text(&b, "projectId")?, text(&b, "thirdPartyAccount")?, text(&b, "token")?);
        let acc = inner.accounts.iter().find(|a| a.project_id == project && a.account == account).cloned();
        let Some(acc) = acc.filter(|a| a.token == token) else {
            return Err(not_exists(project, account));
        };
        let ls = super::oauth::issue(inner);
        let n = inner.next();
        let data = json!({
            "lsToken": ls,
            "gyToken": {
                "endpoint": "emulator.ats.iot.cn-north-1.amazonaws.com.cn",
                "pool": {
                    "identifier": format!("{}_{}", acc.user_id, acc.account),
                    "identityId": format!("cn-north-1:identity-{n}"),
                    "identityPoolId": "cn-north-1:pool",
                    "token": format!("pool-token-{n}")
                },
                "expiration": 7200,
                "granwin_token": format!("granwin_aws_user_info_hash:_7200_{n}"),
                "proof": {
                    "accessKeyId": format!("ASIAEMULATOR{n}"),
                    "secretKey": format!("secret-key-{n}"),
                    "sessionToken": format!("session-token-{n}"),
                    "sessionExpiration": super::now_ms() + 3_600_000
                },
                "region": "cn-north-1",
                "account": acc.account
            }
        });
        Ok(success(Some(data)))
    })
}

pub(crate) async fn remove_account(
    State(emu): State<LingsunEmulator>,
    Path(region): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    run(&emu, &region, &headers, &body, |inner, b| {
        let (project, account, token) = (text(&b, "projectId")?, text(&b, "thirdPartyAccount")?, text(&b, "token")?);
        let pos = inner.accounts.iter().position(|a| a.project_id == project && a.account == account && a.token == token);
        let Some(pos) = pos else { return Err(not_exists(project, account)) };
        inner.accounts.remove(pos);
        Ok(success(None))
    })
}
