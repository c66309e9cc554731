//! Per-attempt request signing: `Sign`, `Authorization` and the China Standard Time timestamp.
//!
//! Every attempt (retries included) gets a fresh timestamp `yyyyMMddHHmmss` in
//! UTC+8, computed from [`SystemTime`] whatever the host's time zone:
//! - query `Sign` = upper-case hex MD5(accountSID + authToken + timestamp);
//! - header `Authorization` = Base64(accountSID + `|` + timestamp);
//! - `Accept: application/json` and `Content-Type: application/json;charset=utf-8`.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use conf_core::{AttemptParts, Error, ExposeSecret, Identity, SecretString, Signer};
use md5::{Digest, Md5};

/// A source of the current time (inject a fixed or stepping clock in tests).
pub type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// The system clock.
pub fn system_clock() -> Clock {
    Arc::new(SystemTime::now)
}

/// Seconds east of UTC of China Standard Time.
const CST_OFFSET_SECS: i64 = 8 * 3600;

/// `t` as `yyyyMMddHHmmss` in China Standard Time (UTC+8), independent of the host time zone.
pub fn timestamp(t: SystemTime) -> String {
    let unix = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    };
    let local = unix + CST_OFFSET_SECS;
    let (days, secs) = (local.div_euclid(86_400), local.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}{m:02}{d:02}{:02}{:02}{:02}", secs / 3600, secs % 3600 / 60, secs % 60)
}

/// Days since 1970-01-01 to a (year, month, day) of the proleptic Gregorian calendar.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `Sign`: upper-case hex MD5 of accountSID + authToken + timestamp.
pub fn sign(account_sid: &str, auth_token: &SecretString, timestamp: &str) -> String {
    let mut h = Md5::new();
    h.update(account_sid.as_bytes());
    h.update(auth_token.expose_secret().as_bytes());
    h.update(timestamp.as_bytes());
    hex::encode_upper(h.finalize())
}

/// `Authorization`: Base64 of accountSID + `|` + timestamp.
pub fn authorization(account_sid: &str, timestamp: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{account_sid}|{timestamp}"))
}

/// Signs every attempt of every call (a conf-core [`Signer`] paired with [`conf_core::NoIdentity`]: no cached credential).
pub struct YtxSigner {
    account_sid: String,
    auth_token: SecretString,
    clock: Clock,
}

impl std::fmt::Debug for YtxSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("YtxSigner").field("account_sid", &self.account_sid).finish_non_exhaustive()
    }
}

impl YtxSigner {
    /// A signer for one account, reading time from `clock`.
    pub fn new(account_sid: impl Into<String>, auth_token: SecretString, clock: Clock) -> Self {
        Self { account_sid: account_sid.into(), auth_token, clock }
    }

    /// The account id.
    pub fn account_sid(&self) -> &str {
        &self.account_sid
    }
}

/// Nothing to obtain ([`conf_core::NoIdentity`]): the signature is computed per attempt.
/// A refused signature is not cured by signing again (the key or clock is wrong), so
/// nothing is ever renewed.
impl Signer<()> for YtxSigner {
    fn sign(&self, _identity: &Identity<()>, request: &mut AttemptParts) -> Result<(), Error> {
        let ts = timestamp((self.clock)());
        request.push_query("Sign", &sign(&self.account_sid, &self.auth_token, &ts));
        request.set_secret_header("authorization", &authorization(&self.account_sid, &ts))?;
        request.set_header("accept", "application/json")?;
        request.set_header("content-type", crate::client::JSON_UTF8)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn timestamp_is_cst_whatever_the_date() {
        // 2013-02-01 07:00:00 UTC -> 15:00:00 in Beijing
        assert_eq!(timestamp(UNIX_EPOCH + Duration::from_secs(1_359_702_000)), "20130201150000");
        // 2024-02-29 16:30:59 UTC -> 2024-03-01 00:30:59 (leap day, day and month roll over)
        assert_eq!(timestamp(UNIX_EPOCH + Duration::from_secs(1_709_224_259)), "20240301003059");
        // 1999-12-31 16:00:00 UTC -> 2000-01-01 00:00:00 (year rolls over)
        assert_eq!(timestamp(UNIX_EPOCH + Duration::from_secs(946_656_000)), "20000101000000");
        assert_eq!(timestamp(UNIX_EPOCH), "19700101080000");
    }
}
