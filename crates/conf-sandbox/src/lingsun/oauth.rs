//! The token endpoint: `password`, `client_credentials` and `refresh_token` grants.

use tokio::time::Instant;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::{Inner, LingsunEmulator, TokenInfo, failure, region_ok, success};

fn field<'a>(body: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    body.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// Issue a new access/refresh token pair; returns the `data` object.
pub(crate) fn issue(inner: &mut Inner) -> Value {
    let n = inner.next();
    let ttl = inner.config.token_ttl;
    let access = format!("at-{n}-{:016x}", rand_u64(n));
    let refresh = format!("rt-{n}-{:016x}", rand_u64(n ^ 0x5a5a));
    inner.access.insert(access.clone(), TokenInfo { expires_at: Instant::now() + ttl });
    inner.refresh.insert(refresh.clone());
    let expires_in = ttl.as_secs() + u64::from(ttl.subsec_nanos() > 0);
    json!({ "access_token": access, "token_type": "bearer", "refresh_token": refresh, "expires_in": expires_in, "scope": "read" })
}

fn rand_u64(salt: u64) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(salt);
    h.finish()
}

pub(crate) async fn token(State(emu): State<LingsunEmulator>, Path(region): Path<String>, headers: HeaderMap, body: Bytes) -> Response {
    if !region_ok(&region) {
        return failure(StatusCode::NOT_FOUND, 404, "no such region");
    }
    let ct = headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
    if !ct.to_ascii_lowercase().starts_with("application/json") {
        return failure(StatusCode::BAD_REQUEST, 400, "Content-Type must be application/json");
    }
    let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(&body) else {
        return failure(StatusCode::BAD_REQUEST, 400, "invalid_request");
    };
    let mut inner = emu.lock();
    let grant = field(&body, "grant_type").unwrap_or_default().to_string();
    let refuse = |inner: &mut Inner, grant: &str| {
        *inner.counters.refused_grants.entry(grant.to_string()).or_default() += 1;
        failure(StatusCode::BAD_REQUEST, 400, "invalid_grant")
    };
    if field(&body, "scope") != Some("read") {
        return refuse(&mut inner, &grant);
    }
    if field(&body, "client_id") != Some(inner.config.client_id.as_str())
        || field(&body, "client_secret") != Some(inner.config.client_secret.as_str())
    {
        *inner.counters.refused_grants.entry(grant.clone()).or_default() += 1;
        return failure(StatusCode::UNAUTHORIZED, 401, "invalid_client");
    }
    let allowed = match grant.as_str() {
        "password" => {
            let (u, p) = (field(&body, "username"), field(&body, "password"));
            inner.config.users.iter().any(|(uu, pp)| Some(uu.as_str()) == u && Some(pp.as_str()) == p)
        }
        "client_credentials" => true,
        "refresh_token" => {
            let rt = field(&body, "refresh_token").unwrap_or_default().to_string();
            // a refresh token is single use: it is replaced by the new one
            !inner.reject_refresh && inner.refresh.remove(&rt)
        }
        _ => false,
    };
    if !allowed {
        return refuse(&mut inner, &grant);
    }
    *inner.counters.grants.entry(grant).or_default() += 1;
    let data = issue(&mut inner);
    success(Some(data))
}
