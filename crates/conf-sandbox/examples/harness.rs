//! The emulator harness in a few lines: a tiny router behind a conf-sandbox `Server`, a client
//! calling it through injected faults, and the request log afterwards.
//!
//! Run with `cargo run -p conf-sandbox --example harness`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::extract::State;
use axum::routing::post;
use conf_sandbox::{Fault, FaultRule, Server};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let created = Arc::new(AtomicU64::new(0));
    let router = Router::new()
        .route(
            "/meetings",
            post(|State(created): State<Arc<AtomicU64>>| async move {
                let id = created.fetch_add(1, Ordering::SeqCst) + 1;
                axum::Json(serde_json::json!({ "code": 0, "data": { "id": id } }))
            }),
        )
        .with_state(Arc::clone(&created));
    let server = Server::start(router)?;
    println!("emulator listening on {}", server.base_url());

    // 1st call: 503 with Retry-After; 2nd: handled, then the connection is dropped; 3rd: fine.
    server.faults().add(FaultRule::new(Fault::retry_after(503, "1")).path_exact("/meetings").once());
    // rules are tried in order: this one only sees requests the first rule let through
    server.faults().add(FaultRule::new(Fault::DropAfterHandling).path_exact("/meetings").once());

    let client = reqwest::Client::builder().no_proxy().pool_max_idle_per_host(0).build()?;
    for attempt in 1..=3 {
        match client.post(server.url("/meetings")).body("{}").send().await {
            Ok(response) => {
                let status = response.status();
                println!("attempt {attempt}: {status} {}", response.text().await?);
            }
            Err(e) => println!("attempt {attempt}: transport error ({e})"),
        }
    }

    println!("meetings created: {}", created.load(Ordering::SeqCst));
    for entry in server.log().entries() {
        println!("logged {} {} fault={:?}", entry.method, entry.path, entry.fault);
    }
    server.shutdown().await;
    Ok(())
}
