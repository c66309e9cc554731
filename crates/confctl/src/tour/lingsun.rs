//! lingsun: OAuth, packages, and a forced failover (the first host is a closed loopback port).

use std::time::Duration;

use conf_core::Error;
use conf_core::secret::secret;
use lingsun_rest::{GetAllPackagesRequest, GetPackageRequest, Grant, Hosts, LingsunClient};

use super::Flow;
use crate::sandbox::Sandbox;

/// A loopback URL nobody listens on.
fn closed_port_url() -> Result<url::Url, Error> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| Error::other(e.to_string()))?;
    let port = l.local_addr().map_err(|e| Error::other(e.to_string()))?.port();
    drop(l);
    url::Url::parse(&format!("http://127.0.0.1:{port}")).map_err(|e| Error::other(e.to_string()))
}

/// Run the lingsun flow.
pub async fn flow(sb: &Sandbox, json: bool) -> Flow {
    let mut f = Flow::new("lingsun", json);
    let (emu, server) = &sb.lingsun;
    let cfg = conf_sandbox::lingsun::LingsunConfig::default();
    let Some((client, dead, live)) = f
        .step("client with failover hosts", async {
            let dead = closed_port_url()?;
            let live: url::Url = url::Url::parse(&server.base_url()).map_err(|e| Error::other(e.to_string()))?;
            let (user, password) = cfg.users.first().cloned().unwrap_or_default();
            let grant = Grant::Password { username: user, password: secret(password) };
            let config = lingsun_rest::default_config(dead.clone()).proxy_from_env(false).connect_timeout(Duration::from_secs(1)).retry(
                conf_core::RetryPolicy::default()
                    .max_attempts(5)
                    .initial_backoff(Duration::from_millis(5))
                    .max_backoff(Duration::from_millis(20)),
            );
            let client = LingsunClient::builder(cfg.client_id.clone(), secret(cfg.client_secret.clone()), grant)
                .config(config)
                .hosts(Hosts::custom(dead.clone(), live.clone(), Vec::new()))
                .build()?;
            let detail = format!("primary {dead} (closed), then {live}");
            Ok(((client, dead, live), detail))
        })
        .await
    else {
        return f;
    };
    f.step("OAuth token (failover)", async {
        let t = client.auth().token().await?;
        let remembered = client.resolver().remembered();
        if remembered.as_ref().map(url::Url::origin) != Some(live.origin()) {
            return Err(Error::other(format!("expected to fail over from {dead} to {live}, remembered {remembered:?}")));
        }
        Ok(((), format!("{} token, expires in {} s; answered by {live}", t.value.token_type, t.value.expires_in.unwrap_or_default())))
    })
    .await;
    let Some(first) = f
        .step("packages", async {
            let all = client.get_all_packages_with(GetAllPackagesRequest::new()).await?.data.unwrap_or_default();
            let first = all.first().and_then(|p| p.id).ok_or_else(|| Error::other("no package"))?;
            Ok((first, format!("{} packages", all.len())))
        })
        .await
    else {
        return f;
    };
    f.step("package detail", async {
        let p = client.get_package_with(GetPackageRequest::new(first)).await?.data.unwrap_or_default();
        Ok(((), format!("package {first}: {}", p.package_name.unwrap_or_default())))
    })
    .await;
    f.check("one password grant", emu.grants("password") == 1, format!("{} password grant(s) at the emulator", emu.grants("password")))
        .await;
    f
}
