//! Fleet mode over TLS: a real `redis-server` that speaks only TLS, with a private CA
//! made for the test (as a private deployment's self-signed setup would be).

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use conf_core::store::{CredentialStore, StoreKey};
use conf_core::{CredentialCache, Loaded, SecretString};
use conf_redis::testing::{RedisServer, TextCodec};
use conf_redis::{EncryptionKey, RedisStore};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};

/// A CA and a server certificate for `127.0.0.1` it issued: (CA PEM, cert PEM, key PEM).
fn private_ca() -> (String, String, String) {
    let (ca, cert, key, _) = private_ca_with_client();
    (ca, cert, key)
}

/// [`private_ca`], and a client certificate the same CA issued: (CA, cert, key, (client cert, client key)).
fn private_ca_with_client() -> (String, String, String, (String, String)) {
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, "conf-redis test CA");
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap();
    let issue = |names: Vec<String>| {
        let key = KeyPair::generate().unwrap();
        let cert = CertificateParams::new(names).unwrap().signed_by(&key, &ca).unwrap();
        (cert.pem(), key.serialize_pem())
    };
    let (cert, key) = issue(vec!["127.0.0.1".to_string(), "localhost".to_string()]);
    let client = issue(vec!["fleet-member".to_string()]);
    (ca.pem(), cert, key, client)
}

fn key() -> StoreKey {
    StoreKey::new("demo", "token", "alice@example.com", "https://meet.example.com")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fleet_shares_over_tls_with_a_private_ca() {
    let (ca, cert, server_key) = private_ca();
    let server = RedisServer::start_tls(&cert, &server_key, &ca).expect("redis-server with TLS");
    assert!(server.url().starts_with("rediss://"));
    let k = EncryptionKey::generate();
    let calls = Arc::new(AtomicU32::new(0));
    let caches: Vec<_> = (0..3)
        .map(|_| {
            let store = RedisStore::builder(server.url(), k.clone()).tls_root_cert_pem(ca.as_bytes()).build().unwrap();
            let calls = calls.clone();
            CredentialCache::new(Duration::from_secs(1), Duration::ZERO, move |_prev| {
                let calls = calls.clone();
                async move {
                    let n = calls.fetch_add(1, Ordering::SeqCst);
                    Ok(Loaded { value: format!("token-{n}"), expires_in: Some(Duration::from_secs(3600)) })
                }
            })
            .shared(&store.shared(), key(), TextCodec)
        })
        .collect();
    for c in &caches {
        assert_eq!(c.get().await.unwrap().value.as_str(), "token-0");
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1, "one load for the three processes");
    assert_eq!(caches.iter().map(|c| c.stats().store_errors).sum::<u64>(), 0);
    assert!(!server.dump().unwrap().is_empty(), "stored on the TLS server");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_certificate_is_verified() {
    let (ca, cert, server_key) = private_ca();
    let server = RedisServer::start_tls(&cert, &server_key, &ca).expect("redis-server with TLS");
    let k = EncryptionKey::generate();
    let store = |b: conf_redis::RedisStoreBuilder| b.timeout(Duration::from_millis(500)).build().unwrap();

    // The system's roots do not know the private CA: refused, counted, nothing sent in clear.
    let untrusted = store(RedisStore::builder(server.url(), k.clone()));
    assert!(untrusted.read(&key()).await.is_err());
    assert!(untrusted.errors() >= 1);

    // Another CA's certificate is not this server's either.
    let (other_ca, _, _) = private_ca();
    let wrong = store(RedisStore::builder(server.url(), k.clone()).tls_root_cert_pem(other_ca.as_bytes()));
    assert!(wrong.read(&key()).await.is_err());

    // Plain Redis protocol on the TLS port gets nowhere.
    let plain_url = server.url().replace("rediss://", "redis://");
    assert!(store(RedisStore::builder(plain_url.clone(), k.clone())).read(&key()).await.is_err());

    // Certificates for a plain URL are a configuration mistake, said at build time.
    let err = RedisStore::builder(plain_url, k.clone()).tls_root_cert_pem(ca.as_bytes()).build().unwrap_err();
    assert!(err.message.contains("rediss://"), "{err}");

    let trusted = store(RedisStore::builder(server.url(), k).tls_root_cert_pem(ca.as_bytes()));
    assert!(trusted.read(&key()).await.unwrap().is_none());
    assert_eq!(trusted.errors(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_requires_client_certificates_gets_one() {
    let (ca, cert, server_key, (client_cert, client_key)) = private_ca_with_client();
    let server = RedisServer::start_mtls(&cert, &server_key, &ca, &client_cert, &client_key).expect("redis-server with mTLS");
    let k = EncryptionKey::generate();
    let builder = || RedisStore::builder(server.url(), k.clone()).tls_root_cert_pem(ca.as_bytes()).timeout(Duration::from_millis(500));
    // Without a client certificate the server closes the handshake.
    let anonymous = builder().build().unwrap();
    assert!(anonymous.read(&key()).await.is_err());
    let member = builder().tls_client_cert_pem(client_cert.as_bytes(), SecretString::from(client_key.clone())).build().unwrap();
    assert!(member.read(&key()).await.unwrap().is_none());
    assert_eq!(member.errors(), 0);
}

#[test]
fn the_builder_debug_shows_no_password() {
    let b = RedisStore::builder("rediss://:hunter2-secret@redis.internal:6380/0", EncryptionKey::generate())
        .tls_client_cert_pem("CERT", SecretString::from("-----BEGIN PRIVATE KEY----- k3y".to_string()));
    let shown = format!("{b:?}");
    assert!(shown.contains("redis.internal:6380"), "{shown}");
    for secret in ["hunter2", "k3y", "PRIVATE"] {
        assert!(!shown.contains(secret), "{shown}");
    }
}
