//! The per-client cookie jar.
//!
//! The login reply sets `SSO_COOKIE_KEY` without a `Path`. Under RFC 6265 a store
//! would scope such a cookie to the directory of the login URI (`/api/v1/system`),
//! yet the platform needs it on every path (`/api/v1/vc/...`, `/api/v1/mc/...`,
//! the push endpoint). This jar stores every cookie of the platform with
//! `Path=/`, whatever Path the server sends or omits; everything else (domain
//! matching, expiry, replacement) follows `cookie_store`.

use std::sync::{Mutex, PoisonError};

use cookie_store::{CookieStore, RawCookie};
use http::HeaderValue;
use url::Url;

/// Name of the platform's session cookie.
pub const SESSION_COOKIE: &str = "SSO_COOKIE_KEY";

/// A `reqwest` cookie provider over `cookie_store` that widens every cookie to `Path=/`.
#[derive(Default)]
pub struct SessionCookieJar {
    store: Mutex<CookieStore>,
}

impl std::fmt::Debug for SessionCookieJar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Cookie values are credentials: show names only.
        let store = self.store.lock().unwrap_or_else(PoisonError::into_inner);
        let names: Vec<String> = store.iter_unexpired().map(|c| c.name().to_string()).collect();
        f.debug_struct("SessionCookieJar").field("cookies", &names).finish()
    }
}

impl SessionCookieJar {
    /// Whether the jar holds an unexpired session cookie for `url`.
    pub fn has_session(&self, url: &Url) -> bool {
        let store = self.store.lock().unwrap_or_else(PoisonError::into_inner);
        store.get_request_values(url).any(|(name, _)| name == SESSION_COOKIE)
    }

    /// Forget every cookie (e.g. before logging in again from scratch).
    pub fn clear(&self) {
        self.store.lock().unwrap_or_else(PoisonError::into_inner).clear();
    }

    /// Store one `Set-Cookie` value received from `url`, widened to `Path=/`.
    pub fn store_set_cookie(&self, header: &str, url: &Url) {
        let Ok(mut cookie) = RawCookie::parse(header.to_string()) else {
            tracing::debug!("ignoring an unparsable Set-Cookie header");
            return;
        };
        cookie.set_path("/");
        let mut store = self.store.lock().unwrap_or_else(PoisonError::into_inner);
        if let Err(e) = store.insert_raw(&cookie, url) {
            tracing::debug!(name = cookie.name(), error = %e, "cookie not stored");
        }
    }

    /// The `Cookie` header value for `url`, if any cookie applies.
    pub fn header_for(&self, url: &Url) -> Option<String> {
        let store = self.store.lock().unwrap_or_else(PoisonError::into_inner);
        let value = store.get_request_values(url).map(|(n, v)| format!("{n}={v}")).collect::<Vec<_>>().join("; ");
        if value.is_empty() { None } else { Some(value) }
    }
}

impl reqwest::cookie::CookieStore for SessionCookieJar {
    fn set_cookies(&self, cookie_headers: &mut dyn Iterator<Item = &HeaderValue>, url: &Url) {
        for h in cookie_headers {
            if let Ok(s) = h.to_str() {
                self.store_set_cookie(s, url);
            }
        }
    }

    fn cookies(&self, url: &Url) -> Option<HeaderValue> {
        let value = self.header_for(url)?;
        let mut hv = HeaderValue::from_str(&value).ok()?;
        hv.set_sensitive(true);
        Some(hv)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pathless_cookie_reaches_every_path() {
        let jar = SessionCookieJar::default();
        let login = Url::parse("http://127.0.0.1:8080/api/v1/system/login").unwrap();
        jar.store_set_cookie("SSO_COOKIE_KEY=890db118-9033-4317-8fe5-7456913d5793;", &login);
        for p in ["/api/v1/vc/confs", "/api/v1/mc/confs", "/api/v1/publish", "/api/v1/system/heartbeat"] {
            let url = Url::parse(&format!("http://127.0.0.1:8080{p}")).unwrap();
            assert_eq!(jar.header_for(&url).as_deref(), Some("SSO_COOKIE_KEY=890db118-9033-4317-8fe5-7456913d5793"), "{p}");
        }
        let other = Url::parse("http://127.0.0.2:8080/api/v1/vc/confs").unwrap();
        assert!(jar.header_for(&other).is_none(), "host-only cookie must not leak to another host");
    }

    #[test]
    fn narrow_path_is_widened_and_relogin_replaces() {
        let jar = SessionCookieJar::default();
        let login = Url::parse("http://h.example/api/v1/system/login").unwrap();
        jar.store_set_cookie("SSO_COOKIE_KEY=a; Path=/api/v1/system", &login);
        jar.store_set_cookie("SSO_COOKIE_KEY=b", &login);
        let vc = Url::parse("http://h.example/api/v1/vc/confs").unwrap();
        assert_eq!(jar.header_for(&vc).as_deref(), Some("SSO_COOKIE_KEY=b"));
        assert!(jar.has_session(&vc));
        assert!(!format!("{jar:?}").contains("=b"));
    }
}
