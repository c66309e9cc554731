//! API-Level and capability gate: refuses unsupported operations before sending.

use std::sync::Arc;
use std::task::{Context, Poll};

use futures_util::future::BoxFuture;
use tower::{Layer, Service, ServiceExt};

use super::{Call, CallService};
use crate::client::Shared;
use crate::error::Error;
use crate::negotiate::check_capabilities;
use crate::request::RawResponse;

/// Checks capabilities and the minimum API level of each operation.
#[derive(Clone)]
pub struct ApiLevelLayer {
    pub(crate) shared: Arc<Shared>,
}

impl Layer<CallService> for ApiLevelLayer {
    type Service = ApiLevel;
    fn layer(&self, inner: CallService) -> ApiLevel {
        ApiLevel { inner, shared: self.shared.clone() }
    }
}

/// Service of [`ApiLevelLayer`].
#[derive(Clone)]
pub struct ApiLevel {
    inner: CallService,
    shared: Arc<Shared>,
}

impl Service<Call> for ApiLevel {
    type Response = RawResponse;
    type Error = Error;
    type Future = BoxFuture<'static, Result<RawResponse, Error>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, call: Call) -> Self::Future {
        let inner = self.inner.clone();
        let shared = self.shared.clone();
        Box::pin(async move {
            if let Some(n) = &shared.negotiator {
                check_capabilities(n.as_ref(), &call.op)?;
                if let Some(req) = call.op.min_level {
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
                }
            }
            inner.oneshot(call).await
        })
    }
}
