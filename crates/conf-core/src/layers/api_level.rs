//! API-Level and capability gate: refuses unsupported operations before sending.

use std::sync::Arc;
use std::task::{Context, Poll};

use futures_util::future::BoxFuture;
use tower::{Layer, Service};

use super::{Call, CallHandler, CallService};
use crate::client::Shared;
use crate::error::Error;
use crate::negotiate::{Negotiator, check_capabilities};
use crate::operation::LevelRequirement;
use crate::request::RawResponse;

/// Checks capabilities and the minimum API level of each operation.
#[derive(Clone)]
pub struct ApiLevelLayer {
    pub(crate) shared: Arc<Shared>,
}

impl<S> Layer<S> for ApiLevelLayer {
    type Service = ApiLevel<S>;
    fn layer(&self, inner: S) -> ApiLevel<S> {
        ApiLevel { inner, shared: self.shared.clone() }
    }
}

/// Service of [`ApiLevelLayer`].
#[derive(Clone)]
pub struct ApiLevel<S = CallService> {
    pub(crate) inner: S,
    shared: Arc<Shared>,
}

impl<S: CallHandler> CallHandler for ApiLevel<S> {
    async fn handle(&self, call: Call) -> Result<RawResponse, Error> {
        if let Some(n) = &self.shared.negotiator {
            check_capabilities(n.as_ref(), &call.op)?;
            if let Some(req) = call.op.min_level {
                // Discovery is rare and its future large: keep it off this one.
                Box::pin(check_level(&self.shared, n, &call, req)).await?;
            }
        }
        self.inner.handle(call).await
    }
}

async fn check_level(shared: &Shared, n: &Arc<dyn Negotiator>, call: &Call, req: LevelRequirement) -> Result<(), Error> {
    let client = shared.client()?;
    let level = shared.levels.level(n, &client, req.app).await?;
    if level < req.level {
        tracing::debug!(app = req.app, needs = req.level, platform = level, "operation refused: API-Level too low");
        return Err(Error::Unsupported {
            operation: format!("{}.{}", call.op.vendor, call.op.name),
            needs: format!("API-Level {} of app `{}`", req.level, req.app),
            platform: format!("API-Level {level}"),
        });
    }
    Ok(())
}

impl<S: CallHandler + Clone + 'static> Service<Call> for ApiLevel<S> {
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
