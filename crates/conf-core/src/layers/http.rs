//! The innermost service: `reqwest::Client` (itself a tower `Service`), plus
//! reading the whole body with a size cap.

use std::future::Future;
use std::task::{Context, Poll};

use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use tower::{BoxError, Service};

use super::AttemptHandler;
use crate::request::RawResponse;

/// The body exceeded the configured cap.
#[derive(Debug, thiserror::Error)]
#[error("response body larger than {0} bytes")]
pub struct BodyTooLarge(pub usize);

/// Sends a request with reqwest and reads the full response.
#[derive(Clone, Debug)]
pub struct HttpService {
    client: reqwest::Client,
    max_body: usize,
}

impl HttpService {
    /// Wrap a reqwest client.
    pub fn new(client: reqwest::Client, max_body: usize) -> Self {
        Self { client, max_body }
    }
}

impl AttemptHandler for HttpService {
    #[inline]
    fn send(&self, req: reqwest::Request) -> impl Future<Output = Result<RawResponse, BoxError>> + Send + '_ {
        fetch(self.client.execute(req), self.max_body)
    }
}

async fn fetch(pending: impl Future<Output = reqwest::Result<reqwest::Response>>, max: usize) -> Result<RawResponse, BoxError> {
    let mut resp = pending.await?;
    let status = resp.status();
    // The response is consumed below: take its headers rather than copying them.
    let headers = std::mem::take(resp.headers_mut());
    match resp.content_length() {
        Some(n) if n > max as u64 => return Err(Box::new(BodyTooLarge(max)) as BoxError),
        // Known length within the cap: let hyper collect it (no extra copy for one chunk).
        Some(_) => {
            let body = resp.bytes().await?;
            return Ok(RawResponse { status, headers, body });
        }
        None => {}
    }
    // Unknown length: stream with the cap; this branch's future lives on the heap.
    Box::pin(collect_capped(resp, max)).await.map(|body| RawResponse { status, headers, body })
}

async fn collect_capped(resp: reqwest::Response, max: usize) -> Result<bytes::Bytes, BoxError> {
    let mut body = bytes::BytesMut::new();
    let mut stream = resp.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        if body.len() + chunk.len() > max {
            return Err(Box::new(BodyTooLarge(max)) as BoxError);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

impl Service<reqwest::Request> for HttpService {
    type Response = RawResponse;
    type Error = BoxError;
    type Future = BoxFuture<'static, Result<RawResponse, BoxError>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: reqwest::Request) -> Self::Future {
        Box::pin(fetch(self.client.execute(req), self.max_body))
    }
}
