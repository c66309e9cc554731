//! Pieces every vendor client builder shares, so the five builders read alike:
//! [`UserLayers`] (the user's tower layers, put on every conf-core client a vendor client
//! builds), [`base_config`] (which base URL and transport settings win) and [`EnvVars`]
//! (`from_env` variables read through a lookup function).
//!
//! The convention every vendor follows:
//!
//! ```text
//! XClient::builder(<the vendor's credentials>)   // positional, at most five
//!     .base_url("https://...")                   // where the platform is
//!     .config(ClientConfig)                      // timeouts, TLS, retry (replaces the vendor's defaults)
//!     .layer(..) / .attempt_layer(..)            // user tower layers
//!     .hook(..)                                  // user hooks (after the vendor's)
//!     .<vendor options>(..)
//!     .build()?                                  // Result<XClient, conf_core::Error>
//! XClient::from_env()?                           // the same, from documented CONFCTL_* variables
//! ```

use std::sync::Arc;

use tower::Layer;

use crate::client::ClientBuilder;
use crate::config::ClientConfig;
use crate::error::Error;
use crate::layers::{AttemptService, Call, CallService};
use crate::request::{AttemptRequest, RawResponse};
use crate::secret::SecretString;

/// The setters every vendor client builder shares, written once: `base_url`, `config`,
/// `layer`, `attempt_layer` (each with the vendor's own doc comment, as their effect differs
/// by vendor) and `hook`. Use it inside the builder's `impl`; the builder has the fields
/// `base_url: Option<String>`, `config: Option<ClientConfig>` and `layers: UserLayers`.
///
/// ```ignore
/// impl XClientBuilder {
///     conf_core::common_builder_setters! {
///         /// The platform's base URL.
///         base_url;
///         /// Transport settings.
///         config;
///         /// Add a tower layer around every call.
///         layer;
///         /// Add a tower layer around every attempt.
///         attempt_layer;
///     }
/// }
/// ```
#[macro_export]
macro_rules! common_builder_setters {
    (
        $(#[$base:meta])* base_url;
        $(#[$config:meta])* config;
        $(#[$layer:meta])* layer;
        $(#[$attempt:meta])* attempt_layer;
    ) => {
        $(#[$base])*
        pub fn base_url(mut self, url: impl Into<String>) -> Self {
            self.base_url = Some(url.into());
            self
        }

        $(#[$config])*
        pub fn config(mut self, config: $crate::ClientConfig) -> Self {
            self.config = Some(config);
            self
        }

        $(#[$layer])*
        pub fn layer(mut self, layer: impl $crate::CallLayer) -> Self {
            self.layers.push_call(layer);
            self
        }

        $(#[$attempt])*
        pub fn attempt_layer(mut self, layer: impl $crate::AttemptLayer) -> Self {
            self.layers.push_attempt(layer);
            self
        }

        /// Add a hook (see [`conf_core::Hook`]): it runs after the vendor's own hooks at every
        /// hook point (modify the operation, before signing, classify, before and after
        /// deserialization) of every call.
        pub fn hook(mut self, hook: impl $crate::Hook) -> Self {
            self.layers.push_hook(::std::sync::Arc::new(hook));
            self
        }
    };
}

type Apply = Arc<dyn Fn(ClientBuilder) -> ClientBuilder + Send + Sync>;

/// A tower layer a vendor builder's `.layer(..)` accepts: it wraps the call-level
/// service ([`CallService`], which handles one [`Call`]) and is `Clone`. Implemented for
/// every such layer.
pub trait CallLayer:
    Layer<
        CallService,
        Service: tower::Service<Call, Response = RawResponse, Error = Error, Future: Send + 'static> + Clone + Send + Sync + 'static,
    > + Clone
    + Send
    + Sync
    + 'static
{
}

impl<L> CallLayer for L where
    L: Layer<
            CallService,
            Service: tower::Service<Call, Response = RawResponse, Error = Error, Future: Send + 'static> + Clone + Send + Sync + 'static,
        > + Clone
        + Send
        + Sync
        + 'static
{
}

/// A tower layer a vendor builder's `.attempt_layer(..)` accepts: it wraps the
/// attempt-level service ([`AttemptService`], one [`AttemptRequest`] as sent) and is
/// `Clone`. Implemented for every such layer.
pub trait AttemptLayer:
    Layer<
        AttemptService,
        Service: tower::Service<AttemptRequest, Response = RawResponse, Error = tower::BoxError, Future: Send + 'static>
                     + Clone
                     + Send
                     + Sync
                     + 'static,
    > + Clone
    + Send
    + Sync
    + 'static
{
}

impl<L> AttemptLayer for L where
    L: Layer<
            AttemptService,
            Service: tower::Service<AttemptRequest, Response = RawResponse, Error = tower::BoxError, Future: Send + 'static>
                         + Clone
                         + Send
                         + Sync
                         + 'static,
        > + Clone
        + Send
        + Sync
        + 'static
{
}

/// The tower layers a user added on a vendor client builder, in the order they were
/// added. A vendor client may build more than one conf-core client (vmr: one per
/// conference node; lingsun: the token client too): every one gets every layer, so a
/// layer must be `Clone`.
#[derive(Clone, Default)]
pub struct UserLayers {
    layers: Vec<Apply>,
}

impl std::fmt::Debug for UserLayers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserLayers").field("count", &self.layers.len()).finish()
    }
}

impl UserLayers {
    /// No layers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a layer around every call (see [`ClientBuilder::call_layer`]): it sees each
    /// [`Call`] (the operation, its deadline) once, whatever the retries.
    pub fn push_call(&mut self, layer: impl CallLayer) {
        self.layers.push(Arc::new(move |b: ClientBuilder| b.call_layer(layer.clone())));
    }

    /// Add a layer around every attempt (see [`ClientBuilder::attempt_layer`]): it sees
    /// each request as sent, credentials included.
    pub fn push_attempt(&mut self, layer: impl AttemptLayer) {
        self.layers.push(Arc::new(move |b: ClientBuilder| b.attempt_layer(layer.clone())));
    }

    /// Add a hook (see [`Hook`](crate::Hook)): it runs after the vendor's own hooks, at
    /// every hook point of every call of every conf-core client the vendor client builds.
    pub fn push_hook(&mut self, hook: Arc<dyn crate::Hook>) {
        self.layers.push(Arc::new(move |b: ClientBuilder| b.hook(hook.clone())));
    }

    /// Put every layer and hook on `builder`, in the order they were added.
    pub fn apply(&self, builder: ClientBuilder) -> ClientBuilder {
        self.layers.iter().fold(builder, |b, f| f(b))
    }

    /// Whether no layer was added.
    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }
}

/// The transport configuration of a vendor client: `config` (from the builder's
/// `.config(..)`, else `defaults` made from the base URL) with its base URL replaced by
/// `base_url` (the builder's `.base_url(..)`) when one was given.
///
/// The base URL is, first to last: `.base_url(..)`, the base URL of `.config(..)`,
/// `default_base` (the vendor's public endpoint, when it has one). Without any,
/// the answer is [`Error::InvalidInput`] on `base_url`. A bad URL is
/// [`Error::InvalidInput`] on `base_url` too.
pub fn base_config(
    base_url: Option<&str>,
    config: Option<ClientConfig>,
    default_base: Option<&str>,
    defaults: impl FnOnce(ClientConfig) -> ClientConfig,
) -> Result<ClientConfig, Error> {
    match (base_url, config) {
        (Some(url), Some(mut config)) => {
            config.base_url = ClientConfig::parse(url)?.base_url;
            Ok(config)
        }
        (None, Some(config)) => Ok(config),
        (Some(url), None) => Ok(defaults(ClientConfig::parse(url)?)),
        (None, None) => match default_base {
            Some(url) => Ok(defaults(ClientConfig::parse(url)?)),
            None => Err(Error::invalid_input("base_url", "is required: set it with `.base_url(..)` or `.config(..)`")),
        },
    }
}

/// Environment variables read through a lookup function, for `XClient::from_env()`
/// (which reads the process environment) and `XClient::from_env_with(..)` (tests, or
/// variables kept elsewhere).
///
/// A variable that is unset or blank is missing; a missing required variable is
/// [`Error::InvalidInput`] whose field is the variable's name.
pub struct EnvVars<F> {
    lookup: F,
}

impl<F> std::fmt::Debug for EnvVars<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EnvVars")
    }
}

impl EnvVars<fn(&str) -> Option<String>> {
    /// The process environment (`std::env::var`; a value that is not UTF-8 is missing).
    pub fn process() -> Self {
        Self { lookup: |name| std::env::var(name).ok() }
    }
}

impl<F: Fn(&str) -> Option<String>> EnvVars<F> {
    /// Variables answered by `lookup` (`|name| map.get(name).cloned()`).
    pub fn new(lookup: F) -> Self {
        Self { lookup }
    }

    /// The value of `name`, if set and not blank (surrounding whitespace removed).
    pub fn optional(&self, name: &str) -> Option<String> {
        (self.lookup)(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
    }

    /// The value of `name`; missing is [`Error::InvalidInput`] naming the variable.
    pub fn required(&self, name: &str) -> Result<String, Error> {
        self.optional(name).ok_or_else(|| missing(name))
    }

    /// A secret value of `name`, kept as it is (not trimmed) and wrapped at once;
    /// missing or blank is [`Error::InvalidInput`] naming the variable (never the value).
    pub fn secret(&self, name: &str) -> Result<SecretString, Error> {
        match (self.lookup)(name) {
            Some(v) if !v.trim().is_empty() => Ok(SecretString::from(v)),
            _ => Err(missing(name)),
        }
    }
}

fn missing(name: &str) -> Error {
    Error::invalid_input(name, "environment variable is not set")
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::ExposeSecret;

    #[test]
    fn env_vars_name_what_is_missing() {
        let map: HashMap<&str, &str> = [("A", " a "), ("BLANK", "  "), ("S", " s3cret ")].into();
        let env = EnvVars::new(|n: &str| map.get(n).map(|v| (*v).to_owned()));
        assert_eq!(env.required("A").unwrap(), "a");
        assert_eq!(env.optional("BLANK"), None);
        assert_eq!(env.secret("S").unwrap().expose_secret(), " s3cret ");
        for name in ["NOPE", "BLANK"] {
            match env.required(name).unwrap_err() {
                Error::InvalidInput { field, .. } => assert_eq!(field, name),
                e => panic!("{e}"),
            }
            assert!(matches!(env.secret(name).unwrap_err(), Error::InvalidInput { field, .. } if field == name));
        }
    }

    #[test]
    fn base_url_precedence() {
        let cfg = ClientConfig::parse("http://from-config").unwrap().attempt_timeout(std::time::Duration::from_secs(3));
        let slow = |c: ClientConfig| c.attempt_timeout(std::time::Duration::from_secs(9));
        let c = base_config(Some("http://explicit"), Some(cfg.clone()), Some("http://default"), slow).unwrap();
        assert_eq!((c.base_url.as_str(), c.attempt_timeout.as_secs()), ("http://explicit/", 3));
        let c = base_config(None, Some(cfg), Some("http://default"), slow).unwrap();
        assert_eq!((c.base_url.as_str(), c.attempt_timeout.as_secs()), ("http://from-config/", 3));
        let c = base_config(None, None, Some("http://default"), slow).unwrap();
        assert_eq!((c.base_url.as_str(), c.attempt_timeout.as_secs()), ("http://default/", 9));
        assert!(matches!(base_config(None, None, None, slow).unwrap_err(), Error::InvalidInput { field, .. } if field == "base_url"));
        assert!(
            matches!(base_config(Some("nope"), None, None, slow).unwrap_err(), Error::InvalidInput { field, .. } if field == "base_url")
        );
    }
}
