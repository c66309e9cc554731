//! One replica of a meeting service in fleet mode (see `docs/fleet.md`): its moyun login
//! and its vmr room session are shared with every sibling through Redis.
//!
//! ```sh
//! export CONF_REDIS_URL=redis://127.0.0.1:6379/ CONF_CREDENTIAL_KEY=$(openssl rand -hex 32)
//! export CONFCTL_MOYUN_BASE_URL=... CONFCTL_MOYUN_APP_KEY=... CONFCTL_MOYUN_APP_SECRET=...
//! export CONFCTL_MOYUN_USERNAME=... CONFCTL_MOYUN_PASSWORD=...
//! export VMR_NODE=https://node.example.com VMR_ROOM=meet@vmr.example VMR_PIN=123456
//! cargo run -p conf-sdk --features redis --example fleet
//! ```

use std::time::Duration;

use conf_sdk::moyun::{MoyunClient, env};
use conf_sdk::redis::{EncryptionKey, RedisStore};
use conf_sdk::vmr::{LockRequest, SessionOptions, VmrClient};
use conf_sdk::{Error, SecretString};

fn var(name: &str) -> Result<String, Error> {
    std::env::var(name).map_err(|_| Error::invalid_input(name, "environment variable not set"))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    // Every replica: the same Redis, the same key (keep it out of Redis).
    let key = EncryptionKey::parse(&var("CONF_CREDENTIAL_KEY")?).map_err(|e| Error::invalid_input("CONF_CREDENTIAL_KEY", e.message))?;
    let store = RedisStore::builder(var("CONF_REDIS_URL")?, key)
        .prefix("meet-svc")
        .build()
        .map_err(|e| Error::invalid_input("CONF_REDIS_URL", e.message))?;

    // moyun: one token request and one login for the whole fleet; one heartbeat sender.
    let moyun = MoyunClient::builder(
        var(env::APP_KEY)?,
        SecretString::from(var(env::APP_SECRET)?),
        var(env::USERNAME)?,
        SecretString::from(var(env::PASSWORD)?),
    )
    .base_url(var(env::BASE_URL)?)
    .credential_store(store.shared())
    .build()?;
    moyun.login().await?;
    let stats = moyun.session().login_stats();
    println!("moyun: logins here {}, taken from the fleet {}", stats.loads, stats.adopted);

    // vmr: the replicas controlling this room share one session (one participant).
    let node = var("VMR_NODE")?;
    let mcu = VmrClient::builder().base_url(&node).build()?.mcu(&node)?;
    let options = SessionOptions::new("meet-svc").pin(SecretString::from(var("VMR_PIN")?)).credential_store(store.shared());
    let session = mcu.session(&var("VMR_ROOM")?, options).await?;
    session.conference().lock_with(LockRequest::new()).await?;
    println!("vmr: participant {:?}", session.participant_uuid());

    // A replica that stops leaves the session to the others (close does not end it).
    tokio::time::sleep(Duration::from_secs(1)).await;
    session.close().await?;
    println!("Redis errors (calls went on with local credentials): {}", store.errors());
    Ok(())
}
