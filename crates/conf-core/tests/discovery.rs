//! API-Level discovery runs through the stack below the gate (injected into the layer),
//! not through a handle back to the client.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use common::{Scripted, Step};
use conf_core::layers::Call;
use conf_core::{Client, ClientConfig, Discovery, Error, Negotiator, Operation, RetryPolicy};
use futures_util::future::BoxFuture;
use http::Method;

struct Levels {
    discoveries: AtomicU32,
}

impl Negotiator for Levels {
    fn discover(&self, via: Discovery, app: &'static str) -> BoxFuture<'static, Result<u32, Error>> {
        self.discoveries.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move {
            let op = Operation::new("test", "version", Method::GET, "/api/{app}/version", format!("/api/{app}/version"));
            let v: serde_json::Value = via.execute_json(op).await?;
            Ok(u32::try_from(v["level"].as_u64().unwrap_or(0)).unwrap_or(0))
        })
    }
}

fn config(url: &str) -> ClientConfig {
    ClientConfig::parse(url)
        .unwrap()
        .proxy_from_env(false)
        .attempt_timeout(Duration::from_secs(5))
        .retry(RetryPolicy::default().max_attempts(1))
}

fn server() -> impl Fn(&common::Seen, usize) -> Step + Send + Sync + 'static {
    |seen, _| if seen.path().ends_with("/version") { Step::json(200, r#"{"level":2}"#) } else { Step::ok() }
}

fn confs() -> Operation {
    Operation::new("test", "list_confs", Method::GET, "/api/v1/mc/confs", "/api/v1/mc/confs").min_level("mc", 2)
}

#[tokio::test]
async fn concurrent_first_calls_share_one_discovery() {
    let srv = Scripted::route(server()).await;
    let n = Arc::new(Levels { discoveries: AtomicU32::new(0) });
    let client = Client::builder(config(&srv.url())).negotiator(n.clone()).build().unwrap();
    let results = futures_util::future::join_all((0..20).map(|_| client.execute(confs()))).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(n.discoveries.load(Ordering::SeqCst), 1);
    assert_eq!(srv.hits("/api/mc/version"), 1);
    assert_eq!(srv.hits("/api/v1/mc/confs"), 20);
}

#[tokio::test]
async fn discovery_does_not_reenter_the_client_stack() {
    let srv = Scripted::route(server()).await;
    let seen = Arc::new(AtomicU32::new(0));
    let counted = seen.clone();
    let client = Client::builder(config(&srv.url()))
        .negotiator(Arc::new(Levels { discoveries: AtomicU32::new(0) }))
        .call_layer(tower::util::MapRequestLayer::new(move |call: Call| {
            counted.fetch_add(1, Ordering::SeqCst);
            call
        }))
        .build()
        .unwrap();
    client.execute(confs()).await.unwrap();
    assert_eq!(srv.hits("/api/mc/version"), 1);
    assert_eq!(seen.load(Ordering::SeqCst), 1, "the user's layer saw the caller's call only, not the discovery");
    // Discovering outside an operation goes through the client's whole stack.
    client.levels().reset();
    let n: Arc<dyn Negotiator> = Arc::new(Levels { discoveries: AtomicU32::new(0) });
    assert_eq!(client.levels().level(&n, &client.discovery(), "mc").await.unwrap(), 2);
    assert_eq!(seen.load(Ordering::SeqCst), 2);
    assert_eq!(client.levels().known("mc"), Some(2));
}
