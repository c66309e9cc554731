//! Verification of ytx's `Sign` query parameter and `Authorization` header.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::HeaderMap;
use base64::Engine as _;
use md5::{Digest, Md5};

use super::{BAD_AUTHORIZATION, MISSING_PARAMETER, SIGN_MISMATCH, TIMESTAMP_EXPIRED, YtxConfig};

const CST_OFFSET: i64 = 8 * 3600;

/// Format `t` as `yyyyMMddHHmmss` in China Standard Time (UTC+8).
pub fn ytx_timestamp(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64) + CST_OFFSET;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}{m:02}{d:02}{:02}{:02}{:02}", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// Parse a `yyyyMMddHHmmss` China Standard Time timestamp.
pub fn ytx_timestamp_parse(ts: &str) -> Option<SystemTime> {
    if ts.len() != 14 || !ts.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let num = |r: std::ops::Range<usize>| ts[r].parse::<i64>().ok();
    let (year, month, day) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (hour, minute, second) = (num(8..10)?, num(10..12)?, num(12..14)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - CST_OFFSET;
    u64::try_from(secs).ok().map(|s| UNIX_EPOCH + Duration::from_secs(s))
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn decode_authorization(headers: &HeaderMap) -> Option<(String, String)> {
    let raw = headers.get("authorization")?.to_str().ok()?.trim();
    let bytes = base64::engine::general_purpose::STANDARD.decode(raw).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (sid, ts) = text.split_once('|')?;
    Some((sid.to_string(), ts.to_string()))
}

/// The timestamp carried by `Authorization`, if it decodes.
pub(super) fn timestamp_of(headers: &HeaderMap) -> Option<String> {
    decode_authorization(headers).map(|(_, ts)| ts)
}

/// Check `Authorization`, timestamp freshness and `Sign`.
pub(super) fn verify(
    config: &YtxConfig,
    now: SystemTime,
    path_sid: &str,
    query: Option<&str>,
    headers: &HeaderMap,
) -> Result<(), (&'static str, &'static str)> {
    let sign = query
        .and_then(|q| form_pairs(q).into_iter().find(|(k, _)| k == "Sign").map(|(_, v)| v))
        .filter(|s| !s.is_empty())
        .ok_or((MISSING_PARAMETER, "缺少必要参数"))?;
    let (sid, ts) = decode_authorization(headers).ok_or((BAD_AUTHORIZATION, "Authorization 无效"))?;
    if sid != config.account_sid || path_sid != config.account_sid {
        return Err((BAD_AUTHORIZATION, "账户不存在"));
    }
    let when = ytx_timestamp_parse(&ts).ok_or((BAD_AUTHORIZATION, "时间戳格式错误"))?;
    let skew = match now.duration_since(when) {
        Ok(d) => d,
        Err(e) => e.duration(),
    };
    if skew > config.freshness {
        return Err((TIMESTAMP_EXPIRED, "时间戳已过期"));
    }
    let expected = hex::encode(Md5::digest(format!("{}{}{}", config.account_sid, config.auth_token, ts).as_bytes()));
    if !sign.eq_ignore_ascii_case(&expected) {
        return Err((SIGN_MISMATCH, "签名错误"));
    }
    Ok(())
}

fn form_pairs(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (k.to_string(), v.to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip_in_cst() {
        // 2013-02-01 07:00:00 UTC is 15:00:00 in Beijing.
        let t = UNIX_EPOCH + Duration::from_secs(1_359_702_000);
        assert_eq!(ytx_timestamp(t), "20130201150000");
        assert_eq!(ytx_timestamp_parse("20130201150000"), Some(t));
        // crossing midnight and a leap day
        let t = UNIX_EPOCH + Duration::from_secs(1_709_251_200 - 3600); // 2024-02-29 23:00 UTC
        assert_eq!(ytx_timestamp(t), "20240301070000");
        assert_eq!(ytx_timestamp_parse("20240301070000"), Some(t));
        assert_eq!(ytx_timestamp_parse("2024030107000"), None);
        assert_eq!(ytx_timestamp_parse("20241301070000"), None);
    }
}
