//! The per-client cookie jar.
//!
//! The login reply sets `SSO_COOKIE_KEY` without a `Path`. Under RFC 6265 a store
//! would scope such a cookie to the directory of the login URI (`/api/v1/system`),
//! yet the platform needs it on every path (`/api/v1/vc/...`, `/api/v1/mc/...`,
//! the push endpoint). This jar stores every cookie of the platform with
//! `Path=/`, whatever Path the server sends or omits; everything else (domain
//! matching, expiry, replacement) follows `cookie_store`.
//!
//! The jar is bounded as browsers bound theirs (see [`CookieLimits`]): a cookie larger than
//! 4096 bytes is ignored, a host keeps at most 50 cookies (the oldest other than the session
//! cookie goes first), the jar at most 3000, and the `Cookie` header sent is capped at 8 KiB
//! (the session cookie first). A server setting fresh cookies on every reply cannot make the
//! requests grow without bound.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use cookie_store::{CookieStore, RawCookie, StoreAction};
use http::HeaderValue;
use url::Url;

/// Name of the platform's session cookie.
pub const SESSION_COOKIE: &str = "SSO_COOKIE_KEY";

/// Bounds of a [`SessionCookieJar`]. The defaults are the minimums RFC 6265 §6.1 asks of a
/// user agent, which are also what browsers apply, plus a cap on the `Cookie` header that
/// stays below the 8 KiB request-header limit common to Java servlet containers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CookieLimits {
    /// Most cookies kept for one host; beyond it the oldest one (never the session cookie)
    /// is dropped. Default 50.
    pub max_per_host: usize,
    /// Most cookies kept in the whole jar. Default 3000.
    pub max_total: usize,
    /// Largest cookie (name plus value, in bytes) accepted; a larger one is ignored.
    /// Default 4096.
    pub max_cookie_bytes: usize,
    /// Largest `Cookie` header value sent; cookies that do not fit are left out (the session
    /// cookie is placed first). Default 8192.
    pub max_header_bytes: usize,
}

impl Default for CookieLimits {
    fn default() -> Self {
        Self { max_per_host: 50, max_total: 3000, max_cookie_bytes: 4096, max_header_bytes: 8192 }
    }
}

#[derive(Default)]
struct Jar {
    store: CookieStore,
    /// Insertion sequence per stored `(domain, name)` (the path is always `/`), for eviction.
    seq: HashMap<(String, String), u64>,
    next: u64,
}

/// A [`conf_core::CookieJar`] over `cookie_store` that widens every cookie to `Path=/`
/// and bounds what it keeps and sends ([`CookieLimits`]).
#[derive(Default)]
pub struct SessionCookieJar {
    jar: Mutex<Jar>,
    limits: CookieLimits,
}

impl std::fmt::Debug for SessionCookieJar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Cookie values are credentials: show names only.
        let jar = self.lock();
        let names: Vec<String> = jar.store.iter_unexpired().map(|c| c.name().to_string()).collect();
        f.debug_struct("SessionCookieJar").field("cookies", &names).field("limits", &self.limits).finish()
    }
}

impl SessionCookieJar {
    /// An empty jar with the given bounds.
    pub fn with_limits(limits: CookieLimits) -> Self {
        Self { jar: Mutex::default(), limits }
    }

    /// The jar's bounds.
    pub fn limits(&self) -> CookieLimits {
        self.limits
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Jar> {
        self.jar.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether the jar holds an unexpired session cookie for `url`.
    pub fn has_session(&self, url: &Url) -> bool {
        self.lock().store.get_request_values(url).any(|(name, _)| name == SESSION_COOKIE)
    }

    /// Number of unexpired cookies that would be sent to `url`.
    pub fn len_for(&self, url: &Url) -> usize {
        self.lock().store.get_request_values(url).count()
    }

    /// Forget every cookie (e.g. before logging in again from scratch).
    pub fn clear(&self) {
        let mut jar = self.lock();
        jar.store.clear();
        jar.seq.clear();
    }

    /// Store one `Set-Cookie` value received from `url`, widened to `Path=/`, within the
    /// jar's [`CookieLimits`].
    pub fn store_set_cookie(&self, header: &str, url: &Url) {
        let Ok(mut cookie) = RawCookie::parse(header.to_string()) else {
            tracing::debug!("ignoring an unparsable Set-Cookie header");
            return;
        };
        let size = cookie.name().len() + cookie.value().len();
        if size > self.limits.max_cookie_bytes {
            tracing::debug!(name = cookie.name(), size, limit = self.limits.max_cookie_bytes, "ignoring an oversized cookie");
            return;
        }
        cookie.set_path("/");
        let mut jar = self.lock();
        match jar.store.insert_raw(&cookie, url) {
            Ok(StoreAction::Inserted | StoreAction::UpdatedExisting) => {
                let domain = stored_domain(&jar.store, cookie.name(), url);
                if let Some(domain) = domain {
                    let n = jar.next;
                    jar.next += 1;
                    jar.seq.insert((domain, cookie.name().to_string()), n);
                }
                enforce(&mut jar, &self.limits, url);
            }
            Ok(StoreAction::ExpiredExisting) => {}
            Err(e) => tracing::debug!(name = cookie.name(), error = %e, "cookie not stored"),
        }
    }

    /// The `Cookie` header value for `url`, if any cookie applies: the session cookie first,
    /// then the others, up to [`CookieLimits::max_header_bytes`].
    pub fn header_for(&self, url: &Url) -> Option<String> {
        let jar = self.lock();
        let mut pairs: Vec<(&str, &str)> = jar.store.get_request_values(url).collect();
        pairs.sort_by_key(|(n, _)| *n != SESSION_COOKIE);
        let mut value = String::new();
        let mut left_out = 0usize;
        for (n, v) in pairs {
            let extra = n.len() + 1 + v.len() + if value.is_empty() { 0 } else { 2 };
            if value.len() + extra > self.limits.max_header_bytes {
                left_out += 1;
                continue;
            }
            if !value.is_empty() {
                value.push_str("; ");
            }
            value.push_str(n);
            value.push('=');
            value.push_str(v);
        }
        if left_out > 0 {
            tracing::debug!(left_out, limit = self.limits.max_header_bytes, "cookies left out of a capped Cookie header");
        }
        if value.is_empty() { None } else { Some(value) }
    }
}

/// The domain under which the store keeps the cookie `name` that applies to `url`.
fn stored_domain(store: &CookieStore, name: &str, url: &Url) -> Option<String> {
    store.iter_any().find(|c| c.name() == name && c.matches(url)).and_then(|c| c.domain.as_cow()).map(std::borrow::Cow::into_owned)
}

/// Drops the oldest cookies (never the session cookie) while the host of `url` or the whole
/// jar holds more than the limits allow.
fn enforce(jar: &mut Jar, limits: &CookieLimits, url: &Url) {
    // Forget the order of cookies the store no longer holds (expired and purged, replaced).
    let live: std::collections::HashSet<(String, String)> =
        jar.store.iter_any().filter_map(|c| Some((c.domain.as_cow()?.into_owned(), c.name().to_string()))).collect();
    jar.seq.retain(|k, _| live.contains(k));
    loop {
        let host: Vec<(String, String)> = jar
            .store
            .iter_unexpired()
            .filter(|c| c.matches(url))
            .filter_map(|c| Some((c.domain.as_cow()?.into_owned(), c.name().to_string())))
            .collect();
        let total = jar.store.iter_unexpired().count();
        let scope: Vec<(String, String)> = if host.len() > limits.max_per_host {
            host
        } else if total > limits.max_total {
            jar.seq.keys().cloned().collect()
        } else {
            return;
        };
        let oldest = scope.into_iter().filter(|(_, name)| name != SESSION_COOKIE).min_by_key(|k| jar.seq.get(k).copied().unwrap_or(0));
        let Some((domain, name)) = oldest else { return };
        let removed = jar.store.remove(&domain, "/", &name).is_some();
        jar.seq.remove(&(domain, name));
        if !removed {
            // Not under the key it was listed with: stop rather than loop.
            return;
        }
    }
}

impl conf_core::CookieJar for SessionCookieJar {
    fn set_cookies(&self, set_cookie: &mut dyn Iterator<Item = &HeaderValue>, url: &Url) {
        for h in set_cookie {
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

    #[test]
    fn oversized_cookies_are_ignored() {
        let jar = SessionCookieJar::default();
        let url = Url::parse("http://h.example/api/v1/system/login").unwrap();
        jar.store_set_cookie(&format!("big={}", "x".repeat(4094)), &url);
        assert!(jar.header_for(&url).is_none(), "name + value of 4097 bytes is over the limit");
        jar.store_set_cookie(&format!("ok={}", "x".repeat(4094)), &url);
        assert_eq!(jar.len_for(&url), 1, "exactly 4096 bytes is kept");
    }

    #[test]
    fn a_host_keeps_fifty_cookies_and_never_loses_the_session() {
        let jar = SessionCookieJar::default();
        let url = Url::parse("http://h.example/api/v1/vc/confs").unwrap();
        jar.store_set_cookie("SSO_COOKIE_KEY=s", &url);
        for i in 0..200 {
            jar.store_set_cookie(&format!("junk{i}=v"), &url);
        }
        assert_eq!(jar.len_for(&url), 50);
        assert!(jar.has_session(&url), "the session cookie is never evicted");
        let header = jar.header_for(&url).unwrap();
        assert!(header.starts_with("SSO_COOKIE_KEY=s; "), "{header}");
        assert!(header.contains("junk199=v") && !header.contains("junk150=v"), "the newest are kept: {header}");
        // Another host has its own budget.
        let other = Url::parse("http://other.example/").unwrap();
        jar.store_set_cookie("a=1", &other);
        assert_eq!(jar.len_for(&other), 1);
        assert_eq!(jar.len_for(&url), 50);
    }

    #[test]
    fn the_header_is_capped_with_the_session_first() {
        let limits = CookieLimits { max_header_bytes: 100, ..CookieLimits::default() };
        let jar = SessionCookieJar::with_limits(limits);
        let url = Url::parse("http://h.example/").unwrap();
        for i in 0..10 {
            jar.store_set_cookie(&format!("c{i}={}", "v".repeat(20)), &url);
        }
        jar.store_set_cookie("SSO_COOKIE_KEY=session", &url);
        let header = jar.header_for(&url).unwrap();
        assert!(header.len() <= 100, "{} bytes", header.len());
        assert!(header.starts_with("SSO_COOKIE_KEY=session"), "{header}");
    }

    #[test]
    fn the_jar_total_is_bounded() {
        let limits = CookieLimits { max_total: 10, ..CookieLimits::default() };
        let jar = SessionCookieJar::with_limits(limits);
        for h in 0..5 {
            let url = Url::parse(&format!("http://h{h}.example/")).unwrap();
            for i in 0..5 {
                jar.store_set_cookie(&format!("c{i}=v"), &url);
            }
        }
        let total: usize = (0..5).map(|h| jar.len_for(&Url::parse(&format!("http://h{h}.example/")).unwrap())).sum();
        assert_eq!(total, 10);
        assert_eq!(jar.len_for(&Url::parse("http://h4.example/").unwrap()), 5, "the newest host keeps its cookies");
    }
}
