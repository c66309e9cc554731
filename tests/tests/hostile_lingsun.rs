//! Hostile servers against lingsun-rest, issue 12 #2: a token endpoint that answers an absurd
//! `expires_in` (`u64::MAX`, negative, fractional, zero) must neither panic the credential
//! cache's task nor make every call request a new token.

use std::time::Duration;

use conf_core::secret::secret;
use conf_sdk_tests::hostile::{HostileServer, RecordedRequest, Responder};
use lingsun_rest::{GetAllPackagesRequest, Grant, LingsunClient, MAX_TOKEN_LIFETIME};

const TOKEN_PATH: &str = "/agoralink/cn/api/oauth/rest-token";

/// A lingsun server whose token reply carries `expires_in` as the raw JSON `expires_in`.
async fn server(expires_in: &'static str) -> HostileServer {
    HostileServer::start(move |req: RecordedRequest, mut resp: Responder| async move {
        let body = if req.target().starts_with(TOKEN_PATH) {
            format!(
                r#"{{"code":0,"msg":"success","success":true,"data":{{"access_token":"at-1","token_type":"bearer","refresh_token":"rt-1","expires_in":{expires_in},"scope":"read"}}}}"#
            )
        } else {
            r#"{"code":0,"msg":"success","success":true,"data":[]}"#.to_owned()
        };
        let _ = resp.json(&body).await;
    })
    .await
}

fn client(server: &HostileServer) -> LingsunClient {
    // The default margin (60 s) and jitter (30 s): longer than a 0 or 1 s lifetime.
    LingsunClient::builder("client-id", secret("client-secret"), Grant::ClientCredentials)
        .config(lingsun_rest::default_config(server.url().parse().unwrap()).proxy_from_env(false).attempt_timeout(Duration::from_secs(10)))
        .build()
        .expect("client")
}

fn token_requests(server: &HostileServer) -> usize {
    server.requests().iter().filter(|r| r.target().starts_with(TOKEN_PATH)).count()
}

#[tokio::test]
async fn an_absurd_expires_in_neither_panics_nor_is_refused() {
    for expires_in in ["18446744073709551615", "1e300", "-5", "\"-99999999999999999999\"", "31969.5"] {
        let server = server(expires_in).await;
        let client = client(&server);
        for _ in 0..5 {
            let all =
                client.get_all_packages_with(GetAllPackagesRequest::new()).await.unwrap_or_else(|e| panic!("expires_in {expires_in}: {e}"));
            assert_eq!(all.data.map(|d| d.len()), Some(0));
        }
        assert_eq!(token_requests(&server), 1, "expires_in {expires_in}: one token for five calls");
        let token = client.auth().cache().peek().expect("a token");
        let secs = token.value.expires_in.expect("a lifetime");
        assert!((1..=MAX_TOKEN_LIFETIME.as_secs()).contains(&secs), "expires_in {expires_in} became {secs}");
    }
}

#[tokio::test]
async fn a_zero_lifetime_does_not_cause_a_token_storm() {
    let server = server("0").await;
    let client = client(&server);
    for _ in 0..10 {
        client.get_all_packages_with(GetAllPackagesRequest::new()).await.expect("call");
    }
    // A 0 s token counts as 1 s, renewed at about half of it: not before every call.
    assert_eq!(token_requests(&server), 1);
}
