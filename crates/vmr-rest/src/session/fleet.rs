//! Shared room sessions: the replicas that control one room share one session
//! token through a [`SharedStore`](conf_core::store::SharedStore) (one participant
//! in the room). Whoever finds the token due first refreshes it under the store's
//! lease; the others adopt the result. A replica that dies leaves the token to the
//! others, who keep refreshing it.

use std::sync::{Arc, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use conf_core::store::{CredentialCodec, StoreError, StoreKey};
use conf_core::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use super::{Ctx, Token};
use crate::client::Room;

/// The key of `room`'s shared session for participants named `display_name`.
pub(super) fn key(room: &Room, display_name: &str) -> StoreKey {
    StoreKey::new("vmr", "session", display_name, room.base_url().as_str())
}

#[derive(Serialize, Deserialize)]
struct StoredToken {
    token: String,
    /// Unix ms when the token expires.
    expires_at: u64,
    participant_uuid: Option<String>,
}

fn now_unix_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// A session token as bytes (wall-clock expiry: other processes read it); decoding
/// also records the session's participant uuid.
pub(super) struct TokenCodec(pub(super) Weak<Ctx>);

impl CredentialCodec<Token> for TokenCodec {
    fn encode(&self, t: &Token) -> Result<Vec<u8>, StoreError> {
        let left = t.expires_at.saturating_duration_since(Instant::now());
        let participant_uuid = self.0.upgrade().and_then(|ctx| ctx.info.lock().expect("session info poisoned").participant_uuid.clone());
        let stored = StoredToken {
            token: t.token.expose_secret().to_string(),
            expires_at: now_unix_ms().saturating_add(u64::try_from(left.as_millis()).unwrap_or(u64::MAX)),
            participant_uuid,
        };
        serde_json::to_vec(&stored).map_err(|e| StoreError::new(format!("vmr token: {e}")))
    }

    fn decode(&self, bytes: &[u8]) -> Result<Token, StoreError> {
        let s: StoredToken = serde_json::from_slice(bytes).map_err(|_| StoreError::new("vmr token: malformed"))?;
        let left = Duration::from_millis(s.expires_at.saturating_sub(now_unix_ms()));
        if let (Some(ctx), Some(uuid)) = (self.0.upgrade(), s.participant_uuid) {
            let mut info = ctx.info.lock().expect("session info poisoned");
            if info.participant_uuid.as_deref() != Some(uuid.as_str()) {
                let mut updated = (**info).clone();
                updated.participant_uuid = Some(uuid);
                *info = Arc::new(updated);
            }
        }
        Ok(Token { token: SecretString::from(s.token), expires_at: Instant::now() + left })
    }
}
