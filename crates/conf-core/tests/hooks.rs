//! The retry and classification hook points change what the retry layer does:
//! `classify_retry` overrides an answer's retry verdict (idempotency still rules), and
//! `classify_response` turns an accepted answer into a failed attempt.

use std::sync::Arc;
use std::time::Duration;

use conf_core::{Client, ClientConfig, Error, Hook, Operation, RawResponse, RequestInfo, RetryPolicy};
use httpmock::Method::GET;
use httpmock::MockServer;

fn client(url: &str, hook: impl Hook) -> Client {
    let config = ClientConfig::parse(url)
        .unwrap()
        .proxy_from_env(false)
        .retry(RetryPolicy::default().max_attempts(3).initial_backoff(Duration::from_millis(1)).max_backoff(Duration::from_millis(2)));
    Client::builder(config).hook(Arc::new(hook)).build().unwrap()
}

fn get() -> Operation {
    Operation::new("t", "probe", http::Method::GET, "/probe", "/probe")
}

/// Retries 409 (never retried by default) and refuses to retry 503 (retried by default).
struct Verdicts;

impl Hook for Verdicts {
    fn name(&self) -> &'static str {
        "test.verdicts"
    }

    fn classify_retry(&self, _op: &Operation, error: &Error) -> Option<bool> {
        match error.http_status() {
            Some(409) => Some(true),
            Some(503) => Some(false),
            _ => None,
        }
    }
}

#[tokio::test]
async fn classify_retry_overrides_the_verdict() {
    let server = MockServer::start_async().await;
    let conflict = server
        .mock_async(|when, then| {
            when.method(GET).path("/probe");
            then.status(409).body("{}");
        })
        .await;
    assert_eq!(client(&server.base_url(), Verdicts).execute(get()).await.unwrap_err().http_status(), Some(409));
    assert_eq!(conflict.calls_async().await, 3, "409 retried because the hook says so");
    conflict.delete_async().await;
    let busy = server
        .mock_async(|when, then| {
            when.method(GET).path("/probe");
            then.status(503).body("{}");
        })
        .await;
    assert_eq!(client(&server.base_url(), Verdicts).execute(get()).await.unwrap_err().http_status(), Some(503));
    assert_eq!(busy.calls_async().await, 1, "503 not retried because the hook says so");
}

/// Rejects every answer whose body says `"ok":false`, as a vendor error.
struct BodyVerdict;

impl Hook for BodyVerdict {
    fn name(&self) -> &'static str {
        "test.body"
    }

    fn classify_response(&self, request: &RequestInfo, response: &RawResponse) -> Result<(), Error> {
        if response.body.as_ref() == br#"{"ok":false}"# {
            return Err(Error::Vendor {
                request: request.clone(),
                vendor: "t",
                code: "not-ok".into(),
                message: "the answer said ok: false".into(),
                retryable: false,
                request_id: None,
            });
        }
        Ok(())
    }
}

#[tokio::test]
async fn classify_response_turns_an_answer_into_an_error() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/probe");
            then.status(200).body(r#"{"ok":false}"#);
        })
        .await;
    let e = client(&server.base_url(), BodyVerdict).execute(get()).await.unwrap_err();
    assert_eq!(e.vendor_code(), Some("not-ok"), "{e}");
}
