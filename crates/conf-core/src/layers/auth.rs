//! Auth layer: prepares the credential; on rejection renews it and replays once.

use std::sync::Arc;
use std::task::{Context, Poll};

use futures_util::future::BoxFuture;
use tower::{Layer, Service, ServiceExt};

use super::{Call, CallService};
use crate::client::Shared;
use crate::error::Error;
use crate::operation::AuthMode;
use crate::request::RawResponse;

/// Puts the right authenticator's credential on each call.
#[derive(Clone)]
pub struct AuthLayer {
    pub(crate) shared: Arc<Shared>,
}

impl Layer<CallService> for AuthLayer {
    type Service = Auth;
    fn layer(&self, inner: CallService) -> Auth {
        Auth { inner, shared: self.shared.clone() }
    }
}

/// Service of [`AuthLayer`].
#[derive(Clone)]
pub struct Auth {
    inner: CallService,
    shared: Arc<Shared>,
}

impl Service<Call> for Auth {
    type Response = RawResponse;
    type Error = Error;
    type Future = BoxFuture<'static, Result<RawResponse, Error>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut call: Call) -> Self::Future {
        let inner = self.inner.clone();
        let authn = match &call.op.auth {
            AuthMode::None => None,
            AuthMode::Client => self.shared.auth.clone(),
            AuthMode::With(a) => Some(a.clone()),
        };
        Box::pin(async move {
            let Some(authn) = authn else {
                return inner.oneshot(call).await;
            };
            let state = authn.prepare().await?;
            call.auth = Some((authn.clone(), state.clone()));
            match inner.clone().oneshot(call.clone()).await {
                Err(e) if authn.is_rejected(&e) => {
                    tracing::info!(generation = state.generation, error = %e, "credentials rejected: renewing and replaying once");
                    authn.invalidate(&state);
                    let renewed = authn.prepare().await?;
                    call.auth = Some((authn.clone(), renewed));
                    let op = call.op.clone();
                    inner.oneshot(call).await.map_err(|e2| {
                        if authn.is_rejected(&e2) {
                            Error::Auth {
                                request: op.info(e2.request().map_or(0, |r| r.attempts)),
                                message: "credentials rejected again right after renewal".into(),
                                source: Some(Box::new(e2)),
                            }
                        } else {
                            e2
                        }
                    })
                }
                other => other,
            }
        })
    }
}
