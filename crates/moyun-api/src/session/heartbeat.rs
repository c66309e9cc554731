//! Background keep-alive: the token heartbeat and the user heartbeat.
//!
//! `account_token` and `SSO_COOKIE_KEY` each expire after 30 idle minutes. At the
//! configured interval (default 5 minutes) the task sends
//! `POST /api/v1/system/token/{account_token}/heartbeat` and
//! `POST /api/v1/system/heartbeat` (`account_token` + cookie). A heartbeat the
//! platform rejects (`10002`/`10102`) logs in again at once; after
//! `max_failures` heartbeats in a row fail otherwise (network, MCU errors) the
//! session logs in again too. Nothing is sent before the first login. The task
//! holds only weak references and ends with the client. In fleet mode only the
//! process that owns the fleet's heartbeat claim sends them (and heals a rejected
//! session for everyone); the others skip their ticks.

use std::sync::Weak;
use std::time::Duration;

use conf_core::operation::encode_path_segment;
use conf_core::{AuthMode, Body, Client, Error, ExposeSecret, Operation, WeakClient};
use http::Method;

use super::{CODE_NOT_LOGGED_IN, CODE_TOKEN_REJECTED, Login, Session, SessionInner};

/// Start the heartbeat task of `client`.
pub(crate) fn spawn_heartbeats(client: &Client, session: &Session, interval: Duration, max_failures: u32) {
    let weak_client = client.downgrade();
    let weak_session = session.weak();
    client.spawn_background(run(weak_client, weak_session, interval, max_failures.max(1)));
}

async fn run(client: WeakClient, session: Weak<SessionInner>, interval: Duration, max_failures: u32) {
    let start = tokio::time::Instant::now() + interval;
    let mut ticker = tokio::time::interval_at(start, interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut failures = 0u32;
    loop {
        ticker.tick().await;
        let (Some(client), Some(session)) = (client.upgrade(), session.upgrade()) else {
            return;
        };
        let session = Session::from_inner(session);
        let Some(login) = session.current() else {
            continue; // not logged in yet: nothing to keep alive
        };
        if let Some(fleet) = session.inner.fleet.as_ref() {
            if !fleet.owns_heartbeats(interval).await {
                failures = 0;
                continue; // another process of the fleet keeps the shared session alive
            }
        }
        match beat(&client, &login.value).await {
            Ok(()) => failures = 0,
            Err(e) => {
                let code = e.vendor_code();
                let rejected = matches!(code, Some(CODE_TOKEN_REJECTED | CODE_NOT_LOGGED_IN));
                failures += 1;
                tracing::warn!(error = %e, failures, "moyun heartbeat failed");
                if rejected || failures >= max_failures {
                    failures = 0;
                    let new_token = code == Some(CODE_TOKEN_REJECTED);
                    if let Err(e) = session.renew(&login, new_token).await {
                        tracing::warn!(error = %e, "moyun: login after failed heartbeats failed");
                    }
                }
            }
        }
    }
}

/// One round: token heartbeat, then user heartbeat.
async fn beat(client: &Client, login: &Login) -> Result<(), Error> {
    let token = login.account_token().expose_secret();
    let path = format!("/api/v1/system/token/{}/heartbeat", encode_path_segment(token));
    let op = Operation::new("moyun", "system.token_heartbeat", Method::POST, "/api/v1/system/token/{account_token}/heartbeat", path)
        .auth(AuthMode::None)
        .idempotent(true)
        .body(Body::Form(Vec::new()));
    client.execute(op).await?;
    let op = Operation::new("moyun", "system.heartbeat", Method::POST, "/api/v1/system/heartbeat", "/api/v1/system/heartbeat")
        .auth(AuthMode::None)
        .idempotent(true)
        .body(Body::Form(vec![("account_token".into(), token.to_string())]));
    client.execute(op).await?;
    tracing::debug!("moyun heartbeat ok");
    Ok(())
}
