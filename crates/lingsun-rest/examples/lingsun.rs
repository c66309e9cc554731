//! Cloud-storage packages, an order, and a third-party account's lifecycle.
//!
//! Runs against the local emulator by default:
//!
//! ```sh
//! cargo run -p lingsun-rest --example lingsun
//! ```
//!
//! and against the real service when these are set: `LINGSUN_CLIENT_ID`,
//! `LINGSUN_CLIENT_SECRET`, optionally `LINGSUN_USERNAME` + `LINGSUN_PASSWORD`
//! (password grant; client credentials otherwise), `LINGSUN_BASE_URL` (one host,
//! no failover; default: the document's domains with failover), `LINGSUN_REGION`
//! (`cn` or `na`), `LINGSUN_PROJECT_ID` (runs the third-party account steps).

use conf_core::ExposeSecret;
use conf_core::secret::secret;
use lingsun_rest::{
    Area, GetAllPackagesRequest, GetPackageRequest, Grant, LingsunClient, LoginThirdPartyRequest, Region, RegisterThirdPartyRequest,
    RemoveThirdPartyRequest,
};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let mut _emulator = None;
    let (client_id, client_secret, grant, base, project) = if let Some(id) = env("LINGSUN_CLIENT_ID") {
        let client_secret = env("LINGSUN_CLIENT_SECRET").ok_or("LINGSUN_CLIENT_SECRET is required")?;
        let grant = match (env("LINGSUN_USERNAME"), env("LINGSUN_PASSWORD")) {
            (Some(username), Some(p)) => Grant::Password { username, password: secret(p) },
            _ => Grant::ClientCredentials,
        };
        (id, secret(client_secret), grant, env("LINGSUN_BASE_URL"), env("LINGSUN_PROJECT_ID"))
    } else {
        let cfg = conf_sandbox::lingsun::LingsunConfig::default();
        let (_emu, server) = conf_sandbox::lingsun::LingsunEmulator::start(cfg.clone()).await?;
        println!("using the lingsun emulator at {}", server.base_url());
        let grant = Grant::Password { username: cfg.users[0].0.clone(), password: secret(cfg.users[0].1.clone()) };
        let base = Some(server.base_url());
        _emulator = Some(server);
        (cfg.client_id, secret(cfg.client_secret), grant, base, Some("1254".to_string()))
    };
    let region = if env("LINGSUN_REGION").as_deref() == Some("na") { Region::Na } else { Region::Cn };
    let mut builder = LingsunClient::builder(client_id.clone(), client_secret.clone(), grant)
        .region(region)
        .area(if region == Region::Na { Area::Global } else { Area::ChinaMainland });
    if let Some(base) = base {
        builder = builder.base_url(base);
    }
    let client = builder.build()?;

    let packages = client.get_all_packages_with(GetAllPackagesRequest::new()).await?.data.unwrap_or_default();
    for p in &packages {
        println!("package {:?}: {} ({})", p.id, p.package_name.as_deref().unwrap_or(""), p.life_cycle.as_deref().unwrap_or(""));
    }
    if let Some(id) = packages.first().and_then(|p| p.id) {
        let p = client.get_package_with(GetPackageRequest::new(id)).await?.data.unwrap_or_default();
        println!("package {id} is in bucket {:?}", p.bucket);
    }

    if let Some(project) = project {
        let account = format!("conf-sdk-example-{}", std::process::id());
        let reg = client
            .register_third_party_with(RegisterThirdPartyRequest::new(project.clone(), account.clone()))
            .await?
            .data
            .unwrap_or_default();
        let token = reg.token.ok_or("no token in the registration reply")?;
        println!("registered {account} as user {:?}", reg.user_id);
        let login = client
            .login_third_party_with(LoginThirdPartyRequest::new(client_id, client_secret, project.clone(), account.clone(), token.clone()))
            .await?
            .data
            .unwrap_or_default();
        let ls = login.ls_token.unwrap_or_default();
        println!(
            "logged in: {} token of {} characters, expires in {:?} s; IoT region {:?}",
            ls.token_type.unwrap_or_default(),
            ls.access_token.map_or(0, |t| t.expose_secret().len()),
            ls.expires_in,
            login.gy_token.and_then(|g| g.region)
        );
        client.remove_third_party_with(RemoveThirdPartyRequest::new(project, account.clone(), token)).await?;
        println!("removed {account}");
    }
    Ok(())
}
