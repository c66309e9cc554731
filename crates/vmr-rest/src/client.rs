//! Clients: [`VmrClient`] for the API server (join check), [`Mcu`] for one conference
//! node (shared by every session on it), and [`Room`], the base of every room command.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use url::Url;

use conf_core::operation::encode_path_segment;
use conf_core::{Client, ClientConfig, EnvVars, Error, ExposeSecret, UserLayers};

use crate::deployment::{Deployment, DeploymentProfile, VmrNegotiator};
use crate::generated::{CheckJoinRequest, JoinInfo};
use crate::session::{SessionOptions, VmrSession};
use crate::wire::{ApiEnvelope, NodeEnvelope, PinError};

/// Client of the vmr API server (join check), and the factory of [`Mcu`] clients.
///
/// Conference nodes named by `mcuHost` get one shared [`Mcu`] each (cached by host), so any
/// number of sessions on one node share one connection pool and one tower stack. Built with
/// [`VmrClient::builder`] or [`VmrClient::from_env`]; the configuration, layers and
/// deployment profile given there apply to the API server and to every node.
#[derive(Clone)]
pub struct VmrClient {
    inner: Arc<VmrClientInner>,
}

struct VmrClientInner {
    api: Client,
    config: ClientConfig,
    layers: UserLayers,
    profile: DeploymentProfile,
    mcus: Mutex<HashMap<String, Mcu>>,
}

impl std::fmt::Debug for VmrClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VmrClient").field("api", &self.inner.api).field("deployment", &self.inner.profile).finish_non_exhaustive()
    }
}

/// Builds a [`VmrClient`]: `VmrClient::builder()` (vmr has no client-level credentials:
/// a session's PIN is given per room), then `.base_url(..)` (the API server, required),
/// `.config(..)`, `.layer(..)`, the vmr options, `.build()`.
#[derive(Debug)]
pub struct VmrClientBuilder {
    base_url: Option<String>,
    config: Option<ClientConfig>,
    layers: UserLayers,
    profile: DeploymentProfile,
}

impl VmrClientBuilder {
    conf_core::common_builder_setters! {
        /// The API server's base URL (`https://apiServer`). Conference nodes get the same
        /// settings with their own base URL. Checked by [`build`](Self::build).
        base_url;
        /// Transport settings (timeouts, TLS, retry, limits) of the API server and every node.
        /// Its base URL is used unless [`base_url`](Self::base_url) is set.
        config;
        /// Add a tower layer around every call, to the API server and to every node (it sees
        /// each [`conf_core::layers::Call`] once, whatever the retries).
        layer;
        /// Add a tower layer around every attempt, to the API server and to every node (it
        /// sees each request as sent).
        attempt_layer;
    }

    /// The deployment (public or enterprise cloud) or a full profile (default: public cloud).
    pub fn deployment(mut self, profile: impl Into<DeploymentProfile>) -> Self {
        self.profile = profile.into();
        self
    }

    /// Build the client; a missing or bad base URL is [`Error::InvalidInput`].
    pub fn build(self) -> Result<VmrClient, Error> {
        let config = conf_core::vendor_builder::base_config(self.base_url.as_deref(), self.config, None, |c| c)?;
        let api = self.layers.apply(Client::builder(config.clone()).envelope(ApiEnvelope)).build()?;
        Ok(VmrClient {
            inner: Arc::new(VmrClientInner { api, config, layers: self.layers, profile: self.profile, mcus: Mutex::new(HashMap::new()) }),
        })
    }
}

/// The variables [`VmrClient::from_env`] reads (the names `confctl vmr` reads).
pub mod env {
    /// The API server's base URL (required).
    pub const API_SERVER: &str = "CONFCTL_VMR_API_SERVER";
}

impl VmrClient {
    /// Start building a client. See [`VmrClientBuilder`].
    pub fn builder() -> VmrClientBuilder {
        VmrClientBuilder { base_url: None, config: None, layers: UserLayers::new(), profile: Deployment::PublicCloud.into() }
    }

    /// A client with default settings from the environment: `CONFCTL_VMR_API_SERVER`
    /// (required; see [`env`](mod@env)). Missing, it is [`Error::InvalidInput`] naming it.
    pub fn from_env() -> Result<Self, Error> {
        Self::from_env_with(|name| std::env::var(name).ok())
    }

    /// [`from_env`](Self::from_env) reading the variables through `lookup`.
    pub fn from_env_with(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let vars = EnvVars::new(lookup);
        Self::builder().base_url(vars.required(env::API_SERVER)?).build()
    }

    /// The transport of the API server.
    pub fn api(&self) -> &Client {
        &self.inner.api
    }

    /// The deployment profile.
    pub fn profile(&self) -> &DeploymentProfile {
        &self.inner.profile
    }

    /// The shared client of the conference node `mcu_host` (as the join check spells it:
    /// `host`, `host:port` or a full URL). A host without scheme gets the API server's scheme.
    pub fn mcu(&self, mcu_host: &str) -> Result<Mcu, Error> {
        let base = mcu_base(mcu_host, &self.inner.config.base_url)?;
        let key = base.as_str().to_string();
        let mut mcus = self.inner.mcus.lock().expect("mcu cache poisoned");
        if let Some(m) = mcus.get(&key) {
            return Ok(m.clone());
        }
        let mut config = self.inner.config.clone();
        config.base_url = base;
        let mcu = Mcu::new(config, &self.inner.layers, self.inner.profile.clone())?;
        mcus.insert(key, mcu.clone());
        Ok(mcu)
    }

    /// Join check, then a session on the room it names: the room is the answer's `alias`
    /// (else `sipkey`, else the account given), the PIN the `joinPwd` given.
    ///
    /// A join check refused with code `403` is the typed PIN error, as from `new_session`:
    /// [`PinError::from_error`] says `Invalid` when a `joinPwd` was given, else
    /// `Required { guest_pin_required: true }` (the room admitted nobody without one).
    pub async fn join(&self, request: CheckJoinRequest, options: SessionOptions) -> Result<VmrSession, Error> {
        let pin = request.join_pwd.clone();
        let account = request.join_account.clone();
        let has_pin = pin.as_ref().is_some_and(|p| !p.expose_secret().trim().is_empty());
        let info = self.check_join_with(request).await.map_err(|e| join_pin_error(e, has_pin))?;
        let mcu_host = info.mcu_host.clone().filter(|h| !h.trim().is_empty()).ok_or_else(|| Error::Decode {
            request: conf_core::RequestInfo::none(crate::wire::VENDOR, "check_join"),
            excerpt: String::new(),
            message: "the join check answered no mcuHost".into(),
        })?;
        let room = room_of(&info).unwrap_or(account);
        let mut options = options;
        if options.pin.is_none() {
            options.pin = pin;
        }
        self.mcu(&mcu_host)?.session(&room, options).await
    }
}

/// A join check refused with code 403 (wrong or missing password) as a [`PinError`].
fn join_pin_error(e: Error, has_pin: bool) -> Error {
    match &e {
        Error::Vendor { request, vendor: crate::wire::VENDOR, code, .. } if code == "403" => {
            let pin = if has_pin { PinError::Invalid } else { PinError::Required { guest_pin_required: true } };
            pin.into_error(request.clone())
        }
        _ => e,
    }
}

fn room_of(info: &JoinInfo) -> Option<String> {
    info.alias.clone().filter(|a| !a.trim().is_empty()).or_else(|| info.sipkey.clone().filter(|s| !s.trim().is_empty()))
}

/// The base URL of a conference node from the join check's `mcuHost`.
///
/// `https://node.example` and `http://127.0.0.1:8080` are taken as they are; `node.example`
/// or `node.example:8443` (the document's spelling) get the API server's scheme.
pub fn mcu_base(mcu_host: &str, api_base: &Url) -> Result<Url, Error> {
    let host = mcu_host.trim().trim_end_matches('/');
    if host.is_empty() {
        return Err(Error::invalid_input("mcuHost", "empty"));
    }
    let text = if host.contains("://") { host.to_string() } else { format!("{}://{host}", api_base.scheme()) };
    let url = Url::parse(&text).map_err(|e| Error::invalid_input("mcuHost", format!("not a host or URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(Error::invalid_input("mcuHost", "scheme must be http or https, with a host"));
    }
    Ok(url)
}

/// The shared client of one conference node. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Mcu {
    inner: Arc<McuInner>,
}

#[derive(Debug)]
struct McuInner {
    client: Client,
    profile: DeploymentProfile,
}

impl Mcu {
    /// The client of the node at `config.base_url` (made by [`VmrClient::mcu`]).
    fn new(config: ClientConfig, layers: &UserLayers, profile: DeploymentProfile) -> Result<Self, Error> {
        let builder = Client::builder(config)
            .envelope(NodeEnvelope)
            .negotiator(Arc::new(VmrNegotiator::new(profile.deployment())))
            .hook(Arc::new(crate::pipeline::NodeRules { profile: profile.clone() }));
        let client = layers.apply(builder).build()?;
        Ok(Self { inner: Arc::new(McuInner { client, profile }) })
    }

    /// The transport shared by every session on this node.
    pub fn client(&self) -> &Client {
        &self.inner.client
    }

    /// The deployment profile.
    pub fn profile(&self) -> &DeploymentProfile {
        &self.inner.profile
    }

    /// A room on this node without a session (for `new_session`), by alias (email form) or numeric id.
    pub fn room(&self, room: &str) -> Result<Room, Error> {
        let room = room.trim();
        if room.is_empty() {
            return Err(Error::invalid_input("room", "must not be empty"));
        }
        let mut base = self.inner.client.config().base_url.clone();
        let prefix = base.path().trim_end_matches('/').to_string();
        base.set_path(&format!("{prefix}/api/services/{}/", encode_path_segment(room)));
        Ok(Room { mcu: self.clone(), base: Arc::new(base) })
    }

    /// Open a session (new_session) on `room` with automatic token refresh.
    pub async fn session(&self, room: &str, options: SessionOptions) -> Result<VmrSession, Error> {
        VmrSession::open(self.room(room)?, options).await
    }
}

/// A room on a conference node: the base `https://<mcuHost>/api/services/<room>/` of every
/// command. Without a session it can only open one (`new_session`, which [`Mcu::session`]
/// calls) and refresh or end a token; every conference and participant command is a method
/// of [`VmrSession`], which holds the token, so calling one without a session does not
/// compile:
///
/// ```compile_fail
/// # async fn demo(room: vmr_rest::Room) -> Result<(), conf_core::Error> {
/// room.conference().lock().send().await?; // no `conference()` on Room: open a session
/// # Ok(()) }
/// ```
///
/// ```no_run
/// # async fn demo(session: vmr_rest::VmrSession) -> Result<(), conf_core::Error> {
/// session.conference().lock_with(vmr_rest::LockRequest::new()).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Room {
    mcu: Mcu,
    base: Arc<Url>,
}

impl std::fmt::Debug for Room {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Room").field("base", &self.base.as_str()).finish()
    }
}

impl Room {
    /// The room's base URL (`.../api/services/<room>/`).
    pub fn base_url(&self) -> &Url {
        &self.base
    }

    /// The node.
    pub fn mcu(&self) -> &Mcu {
        &self.mcu
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mcu_host_spellings() {
        let api = Url::parse("https://api.example.com").unwrap();
        assert_eq!(mcu_base("node.example.cn", &api).unwrap().as_str(), "https://node.example.cn/");
        assert_eq!(mcu_base("node.example.cn:8443/", &api).unwrap().as_str(), "https://node.example.cn:8443/");
        let local = Url::parse("http://127.0.0.1:1").unwrap();
        assert_eq!(mcu_base("127.0.0.1:9000", &local).unwrap().as_str(), "http://127.0.0.1:9000/");
        assert_eq!(mcu_base("http://127.0.0.1:9000", &api).unwrap().as_str(), "http://127.0.0.1:9000/");
        assert!(mcu_base(" ", &api).is_err());
        assert!(mcu_base("ftp://x", &api).is_err());
    }

    #[tokio::test]
    async fn room_base_is_percent_encoded() {
        let mcu = VmrClient::builder().base_url("http://127.0.0.1:9").build().unwrap().mcu("http://127.0.0.1:9").unwrap();
        assert_eq!(mcu.room("zjvmr@myvmr.cn").unwrap().base_url().as_str(), "http://127.0.0.1:9/api/services/zjvmr%40myvmr.cn/");
        assert_eq!(mcu.room("1061").unwrap().base_url().as_str(), "http://127.0.0.1:9/api/services/1061/");
        assert_eq!(mcu.room("a b/c").unwrap().base_url().as_str(), "http://127.0.0.1:9/api/services/a%20b%2Fc/");
        assert!(mcu.room("").is_err());
    }
}
