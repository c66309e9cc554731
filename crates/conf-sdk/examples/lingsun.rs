//! docs/lingsun-rest.md, "A complete program": cloud storage and third-party accounts
//! on 声网灵隼 (list the packages, open one for a device, register a third-party account,
//! log it in, remove it).
//!
//! Against the real service, set the variables `LingsunClient::from_env` reads (as
//! `confctl lingsun` does) and `LINGSUN_PROJECT_ID`, then `cargo run -p conf-sdk --example
//! lingsun`. `crates/conf-sdk/tests/docs_programs.rs` runs [`run`] against the conf-sandbox
//! emulator.

use conf_sdk::lingsun::{LingsunClient, OrderPayload, env};
use conf_sdk::{Error, ExposeSecret, SecretString};

/// The lifecycle for `project` with the application's own `client_id`/`client_secret`
/// (the third-party login takes them too).
pub async fn run(client: &LingsunClient, client_id: &str, client_secret: &SecretString, project: &str) -> Result<(), Error> {
    // Cloud storage: list the packages and open the first one for a device. The token is
    // fetched on the first call and renewed when due, once for all concurrent calls.
    let packages = client.get_all_packages().send().await?.data.unwrap_or_default();
    let package = packages.first().and_then(|p| p.id).ok_or_else(|| Error::other("no cloud storage package"))?;
    let order = client.open_order().payload(OrderPayload::new("app-id", "user-1", "device-1", "payment-42", package)).send().await?;
    println!("order {:?}", order.data);

    // Third-party accounts: register, log in, remove.
    let account = "alice";
    let registered = client.register_third_party().project_id(project).third_party_account(account).send().await?;
    let token = registered.data.and_then(|d| d.token).ok_or_else(|| Error::other("registration returned no token"))?;
    let login = client
        .login_third_party()
        .client_id(client_id)
        .client_secret(client_secret.clone())
        .project_id(project)
        .third_party_account(account)
        .token(token.clone())
        .send()
        .await?;
    if let Some(ls) = login.data.and_then(|d| d.ls_token) {
        println!("device token: {} characters", ls.access_token.map_or(0, |t| t.expose_secret().len()));
    }
    client.remove_third_party().project_id(project).third_party_account(account).token(token).send().await?;
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let var = |name: &str| std::env::var(name).map_err(|_| Error::invalid_input(name, "environment variable not set"));
    let client = LingsunClient::from_env()?;
    let secret = SecretString::from(var(env::CLIENT_SECRET)?);
    run(&client, &var(env::CLIENT_ID)?, &secret, &var("LINGSUN_PROJECT_ID")?).await
}
