//! Cookies: a [`CookieJar`] given to [`ClientBuilder::cookie_jar`] keeps what the
//! server sets and supplies the `Cookie` header of every request the client sends
//! (calls, streams, redirect hops). The client has no cookie store without one.
//! Setting a jar needs the `cookies` feature (moyun enables it; the other vendors keep
//! no cookies and do not compile a cookie store).
//!
//! [`ClientBuilder::cookie_jar`]: crate::ClientBuilder::cookie_jar

use std::sync::Arc;

use http::HeaderValue;
use url::Url;

/// A cookie store a [`Client`](crate::Client) reads and fills.
///
/// The client calls [`set_cookies`](Self::set_cookies) with the `Set-Cookie` values of
/// every answer, and [`cookies`](Self::cookies) before every request. Cookie values are
/// credentials: an implementation should mark the header it returns sensitive
/// ([`HeaderValue::set_sensitive`]) and keep values out of its `Debug`.
pub trait CookieJar: Send + Sync + 'static {
    /// Store the `Set-Cookie` values of an answer from `url`.
    fn set_cookies(&self, set_cookie: &mut dyn Iterator<Item = &HeaderValue>, url: &Url);

    /// The `Cookie` header to send with a request to `url`, if any cookie applies.
    fn cookies(&self, url: &Url) -> Option<HeaderValue>;
}

/// The HTTP client of `config` keeping its cookies in `jar`.
#[cfg(feature = "cookies")]
pub(crate) fn http_with(config: &crate::ClientConfig, jar: Arc<dyn CookieJar>) -> Result<reqwest::Client, crate::Error> {
    config
        .http_builder()?
        .cookie_provider(Arc::new(Provider(jar)))
        .build()
        .map_err(|e| crate::Error::other(format!("cannot build HTTP client: {e}")))
}

/// Without the `cookies` feature no jar can be set ([`ClientBuilder::cookie_jar`] does not exist).
#[cfg(not(feature = "cookies"))]
pub(crate) fn http_with(_config: &crate::ClientConfig, _jar: Arc<dyn CookieJar>) -> Result<reqwest::Client, crate::Error> {
    Err(crate::Error::invalid_input("cookie_jar", "conf-core was built without its `cookies` feature"))
}

/// A [`CookieJar`] as the HTTP library's cookie provider.
#[cfg(feature = "cookies")]
struct Provider(Arc<dyn CookieJar>);

#[cfg(feature = "cookies")]
impl reqwest::cookie::CookieStore for Provider {
    fn set_cookies(&self, cookie_headers: &mut dyn Iterator<Item = &HeaderValue>, url: &Url) {
        self.0.set_cookies(cookie_headers, url);
    }

    fn cookies(&self, url: &Url) -> Option<HeaderValue> {
        self.0.cookies(url)
    }
}
