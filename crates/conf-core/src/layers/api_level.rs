//! API-Level and capability gate: refuses unsupported operations before sending.

use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_util::future::{BoxFuture, Either, ready};
use tower::{Layer, Service};

use super::{Call, CallHandler, CallService};
use crate::attempt::Shared;
use crate::error::Error;
use crate::negotiate::{Discovery, check_capabilities};
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

impl<S: CallHandler + Clone + 'static> CallHandler for ApiLevel<S> {
    fn handle(&self, call: Call) -> impl Future<Output = Result<RawResponse, Error>> + Send + '_ {
        // Decided before the inner future is built (no `async` wrapper holding the call):
        // only a level not yet discovered needs to wait, on the heap.
        let Some(n) = &self.shared.negotiator else {
            return Either::Left(self.inner.handle(call));
        };
        if let Err(e) = check_capabilities(n.as_ref(), &call.op) {
            return Either::Right(Either::Left(ready(Err(e))));
        }
        if let Some(req) = call.op.min_level {
            match self.shared.levels.known(req.app) {
                Some(level) => {
                    if let Err(e) = level_gate(&call, req, level) {
                        return Either::Right(Either::Left(ready(Err(e))));
                    }
                }
                None => {
                    let discover: BoxFuture<'_, Result<RawResponse, Error>> = Box::pin(async move {
                        let level = self.shared.levels.level(n, &self.discovery(), req.app).await.map_err(|cause| {
                            // Reported under the caller's operation, naming the app (the
                            // discovery call's own name and path template say little).
                            let request = call.op.info(0);
                            let request = match (&call.op.base_override, &self.shared.fixed_origin) {
                                (Some(u), _) => request.at(u),
                                (None, Some(o)) => crate::error::RequestInfo { origin: Some(o.clone()), ..request },
                                (None, None) => request,
                            };
                            Error::Discovery { request, app: req.app, cause: Box::new(cause) }
                        })?;
                        level_gate(&call, req, level)?;
                        self.inner.handle(call).await
                    });
                    return Either::Right(Either::Right(discover));
                }
            }
        }
        Either::Left(self.inner.handle(call))
    }
}

impl<S: CallHandler + Clone + 'static> ApiLevel<S> {
    /// The stack below this gate, for the discovery operation: it gets its own operation
    /// deadline and no credential (the auth layer below applies one when it needs it).
    fn discovery(&self) -> Discovery {
        let inner = self.inner.clone();
        let limit = self.shared.config.operation_deadline;
        Discovery::new(move |op| {
            let inner = inner.clone();
            let call = Call { op: Arc::new(op), deadline: tokio::time::Instant::now() + limit, auth: None };
            async move { inner.handle(call).await }
        })
    }
}

fn level_gate(call: &Call, req: LevelRequirement, level: u32) -> Result<(), Error> {
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
