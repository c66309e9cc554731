//! Auth layer: prepares the credential; on rejection renews it and replays once.

use std::sync::Arc;
use std::task::{Context, Poll};

use futures_util::future::BoxFuture;
use tower::{Layer, Service};

use super::{Call, CallHandler, CallService};
use crate::attempt::Shared;
use crate::auth::{Authenticator, Rejection};
use crate::error::Error;
use crate::operation::AuthMode;
use crate::request::RawResponse;

/// Puts the right authenticator's credential on each call.
#[derive(Clone)]
pub struct AuthLayer {
    pub(crate) shared: Arc<Shared>,
}

impl<S> Layer<S> for AuthLayer {
    type Service = Auth<S>;
    fn layer(&self, inner: S) -> Auth<S> {
        Auth { inner, shared: self.shared.clone() }
    }
}

/// Service of [`AuthLayer`].
#[derive(Clone)]
pub struct Auth<S = CallService> {
    pub(crate) inner: S,
    shared: Arc<Shared>,
}

impl<S: CallHandler> CallHandler for Auth<S> {
    async fn handle(&self, mut call: Call) -> Result<RawResponse, Error> {
        // Borrowed, not cloned: the authenticator's count is shared by every call in flight.
        let op = call.op.clone();
        let authn = match &op.auth {
            AuthMode::None => None,
            AuthMode::Client => self.shared.auth.as_ref(),
            AuthMode::With(a) => Some(a),
        };
        let Some(authn) = authn else {
            return self.inner.handle(call).await;
        };
        let state = authn.prepare().await?;
        let deadline = call.deadline;
        call.auth = Some((authn.clone(), state.clone()));
        // The replay is rare: its future lives on the heap, not in this one (and the
        // block ends the error's storage before the await).
        let replay = match self.inner.handle(call).await {
            Err(e) => match state.classify(&e) {
                Some(rejection) => Box::pin(self.replay(Call { op: op.clone(), deadline, auth: None }, authn, rejection, e)),
                None => return Err(e),
            },
            ok => return ok,
        };
        replay.await
    }
}

impl<S: CallHandler> Auth<S> {
    async fn replay(&self, mut call: Call, authn: &Arc<dyn Authenticator>, rejection: Rejection, e: Error) -> Result<RawResponse, Error> {
        tracing::info!(
            generation = rejection.generation(),
            kind = rejection.kind(),
            error = %e,
            "credentials rejected: renewing and replaying once"
        );
        authn.invalidate(rejection);
        let renewed = authn.prepare().await?;
        call.auth = Some((authn.clone(), renewed.clone()));
        let op = call.op.clone();
        self.inner.handle(call).await.map_err(|e2| {
            if renewed.classify(&e2).is_some() {
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
}

impl<S: CallHandler + Clone + 'static> Service<Call> for Auth<S> {
    type Response = RawResponse;
    type Error = Error;
    type Future = BoxFuture<'static, Result<RawResponse, Error>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, call: Call) -> Self::Future {
        let this = self.clone();
        Box::pin(async move { this.handle(call).await })
    }
}
