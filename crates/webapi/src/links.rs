//! Join links (`/h5/#/login?...` and `/h5/index.html?token=`) and resolution of the
//! record and file paths the WebAPI answers (`recordpath`, `filepath`, `downloadpath`,
//! `picPath`).

use conf_core::Error;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use url::Url;

use crate::token::{JoinPayload, JoinRole, TokenKey};

/// Everything but RFC 3986 unreserved characters is percent-encoded in link values, so
/// `&`, `#`, `=`, `+`, `?`, spaces and non-ASCII text cannot break the fragment's query.
const VALUE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// Parameters of the multi-parameter join URL.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct JoinParams {
    /// Meeting number (`serial`).
    pub serial: String,
    /// User id, unique per user (`userid`).
    pub userid: String,
    /// Display name (`username`).
    pub username: String,
    /// Join invisibly (`invisible=1`).
    pub invisible: bool,
    /// Role (`joinRole`).
    pub join_role: JoinRole,
}

impl JoinParams {
    /// Parameters for a visible user.
    pub fn new(serial: impl Into<String>, userid: impl Into<String>, username: impl Into<String>, join_role: JoinRole) -> Self {
        Self { serial: serial.into(), userid: userid.into(), username: username.into(), invisible: false, join_role }
    }

    /// Join invisibly (or not).
    pub fn invisible(mut self, yes: bool) -> Self {
        self.invisible = yes;
        self
    }
}

/// Builds join links for one web front end (`https://host`, the `/h5/` app lives below it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinLinks {
    base: Url,
}

impl JoinLinks {
    /// Links below `base` (scheme, host, optional path prefix).
    pub fn new(base: Url) -> Self {
        Self { base }
    }

    /// Parse the base URL; a bad URL is [`Error::InvalidInput`].
    pub fn parse(base: &str) -> Result<Self, Error> {
        let u = Url::parse(base).map_err(|e| Error::invalid_input("base_url", e.to_string()))?;
        if !matches!(u.scheme(), "http" | "https") {
            return Err(Error::invalid_input("base_url", "scheme must be http or https"));
        }
        Ok(Self::new(u))
    }

    fn prefix(&self) -> String {
        let mut b = self.base.clone();
        b.set_query(None);
        b.set_fragment(None);
        b.as_str().trim_end_matches('/').to_owned()
    }

    /// `<base>/h5/#/login?serial=..&userid=..&username=..&invisible=0|1&joinRole=..`, every
    /// value percent-encoded (UTF-8) inside the fragment.
    ///
    /// As document 002 asks: `serial`, `userid` and `joinRole` must not be empty;
    /// `username` (a nickname) must be present and may be empty (`username=`).
    pub fn multi_param(&self, p: &JoinParams) -> Result<Url, Error> {
        for (field, v) in [("serial", p.serial.as_str()), ("userid", p.userid.as_str()), ("joinRole", p.join_role.as_str())] {
            if v.is_empty() {
                return Err(Error::invalid_input(field, "must not be empty"));
            }
        }
        let enc = |v: &str| utf8_percent_encode(v, VALUE).to_string();
        let text = format!(
            "{}/h5/#/login?serial={}&userid={}&username={}&invisible={}&joinRole={}",
            self.prefix(),
            enc(&p.serial),
            enc(&p.userid),
            enc(&p.username),
            if p.invisible { "1" } else { "0" },
            enc(p.join_role.as_str()),
        );
        Url::parse(&text).map_err(|e| Error::invalid_input("base_url", e.to_string()))
    }

    /// `<base>/h5/index.html?token=<token>`; `token` is used as given (already URL-encoded,
    /// as [`TokenKey::token`] makes it).
    pub fn with_token(&self, token: &str) -> Result<Url, Error> {
        if token.is_empty() || !token.bytes().all(|b| b.is_ascii_alphanumeric() || b"%-_.*+".contains(&b)) {
            return Err(Error::invalid_input("token", "must be a non-empty URL-encoded token"));
        }
        Url::parse(&format!("{}/h5/index.html?token={token}", self.prefix())).map_err(|e| Error::invalid_input("base_url", e.to_string()))
    }

    /// Make a token for `payload` with `key` and return its single-parameter link.
    pub fn token_link(&self, key: &TokenKey, payload: &JoinPayload) -> Result<Url, Error> {
        self.with_token(&key.token(payload)?)
    }
}

/// Resolve a path the server answered against the server that holds the file.
///
/// - `http://...` / `https://...`: already absolute, returned as is;
/// - `//host/...`: the base URL's scheme is added;
/// - `/upload/x.mp4`: appended to `base` (keeping its path prefix);
/// - `host.example.com/upload/x.mp4` or `host:8080/...` (the document's `域名/...` form,
///   a host without scheme): the base URL's scheme is added;
/// - anything else: appended to `base` as a relative path.
pub fn resolve_path(base: &Url, path: &str) -> Result<Url, Error> {
    let path = path.trim();
    if path.is_empty() {
        return Err(Error::invalid_input("path", "must not be empty"));
    }
    let bad = |e: url::ParseError| Error::invalid_input("path", format!("cannot resolve: {e}"));
    let lower = path.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        return Url::parse(path).map_err(bad);
    }
    if let Some(rest) = path.strip_prefix("//") {
        return Url::parse(&format!("{}://{rest}", base.scheme())).map_err(bad);
    }
    if !path.starts_with('/') {
        let first = path.split('/').next().unwrap_or("");
        let host_like =
            (first.contains('.') && !first.starts_with('.')) || first.split_once(':').is_some_and(|(_, p)| p.parse::<u16>().is_ok());
        if host_like && path.contains('/') {
            return Url::parse(&format!("{}://{path}", base.scheme())).map_err(bad);
        }
    }
    let prefix = base.as_str().split(['?', '#']).next().unwrap_or("").trim_end_matches('/');
    Url::parse(&format!("{prefix}/{}", path.trim_start_matches('/'))).map_err(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links() -> JoinLinks {
        JoinLinks::parse("https://meet.example.com/").unwrap()
    }

    #[test]
    fn multi_param_matches_the_document() {
        let u = links().multi_param(&JoinParams::new("123456789", "1234", "name", JoinRole::Presenter).invisible(true)).unwrap();
        assert_eq!(
            u.as_str(),
            "https://meet.example.com/h5/#/login?serial=123456789&userid=1234&username=name&invisible=1&joinRole=presenter"
        );
    }

    #[test]
    fn multi_param_encodes_values_inside_the_fragment() {
        let u = links().multi_param(&JoinParams::new("1", "u&2", "张 三&#x=1+?", JoinRole::Chairman)).unwrap();
        assert_eq!(
            u.as_str(),
            "https://meet.example.com/h5/#/login?serial=1&userid=u%262&username=%E5%BC%A0%20%E4%B8%89%26%23x%3D1%2B%3F&invisible=0&joinRole=chairman"
        );
        assert_eq!(u.fragment().unwrap().matches('&').count(), 4);
        assert!(links().multi_param(&JoinParams::new("1", "", "x", JoinRole::Speaker)).is_err());
    }

    #[test]
    fn empty_username_is_a_valid_nickname() {
        let u = links().multi_param(&JoinParams::new("123", "u1", "", JoinRole::Presenter)).unwrap();
        assert_eq!(u.as_str(), "https://meet.example.com/h5/#/login?serial=123&userid=u1&username=&invisible=0&joinRole=presenter");
        let key = TokenKey::php(&conf_core::secret::secret("SYXCXASD"), &conf_core::secret::secret("AYQTYCAXAX")).unwrap();
        let payload = JoinPayload::new("123", "u1", "", JoinRole::Presenter);
        let link = links().token_link(&key, &payload).unwrap();
        let token = link.query_pairs().find(|(k, _)| k == "token").map(|(_, v)| v.into_owned()).unwrap();
        assert_eq!(key.inspect(&token).unwrap().payload().unwrap(), payload);
        // Still refused: an empty meeting number, user id or role.
        assert!(links().multi_param(&JoinParams::new("", "u1", "n", JoinRole::Presenter)).is_err());
        assert!(links().multi_param(&JoinParams::new("1", "u1", "n", JoinRole::Other(String::new()))).is_err());
    }

    #[test]
    fn token_link_keeps_the_encoded_token() {
        let u = JoinLinks::parse("http://h:8080/pre").unwrap().with_token("ab%2Bc%3D%3D").unwrap();
        assert_eq!(u.as_str(), "http://h:8080/pre/h5/index.html?token=ab%2Bc%3D%3D");
        assert!(links().with_token("a&b").is_err());
    }

    #[test]
    fn paths_resolve_against_the_server() {
        let b = Url::parse("https://rec.example.com:8443/vod/").unwrap();
        let r = |p: &str| resolve_path(&b, p).unwrap().to_string();
        assert_eq!(r("/upload/754884357.mp4"), "https://rec.example.com:8443/vod/upload/754884357.mp4");
        assert_eq!(r("upload/a.png"), "https://rec.example.com:8443/vod/upload/a.png");
        assert_eq!(r("cdn.example.com/upload/1.mp4"), "https://cdn.example.com/upload/1.mp4");
        assert_eq!(r("10.0.0.5:8080/upload/1.mp4"), "https://10.0.0.5:8080/upload/1.mp4");
        assert_eq!(r("//cdn.example.com/x"), "https://cdn.example.com/x");
        assert_eq!(r("http://other/x.mp4"), "http://other/x.mp4");
        assert!(resolve_path(&b, " ").is_err());
    }
}
