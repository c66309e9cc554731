//! [`StreamResponse`]: an open streaming answer (server-sent events, long polls), read
//! piece by piece with conf-core errors. It is what [`Client::open_stream`] returns.
//!
//! [`Client::open_stream`]: crate::Client::open_stream

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::Stream;
use http::{HeaderMap, StatusCode};

use crate::error::{Error, RequestInfo};

/// Largest piece [`StreamResponse::chunk`] hands out at once; a larger piece received is
/// split, so a reader's buffer grows in steps of at most this size.
pub const MAX_CHUNK: usize = 64 * 1024;

/// A successful (2xx) streaming answer whose body is still to be read.
///
/// Reading fails with [`Error::Transport`] (the connection broke; `sent: true`) or
/// [`Error::Timeout`] naming the request, never with an HTTP library's error type.
pub struct StreamResponse {
    response: reqwest::Response,
    request: RequestInfo,
    /// Received but not handed out yet (a piece over [`MAX_CHUNK`]).
    pending: Bytes,
    /// The attempt limit, reported when the HTTP stack times a read out.
    limit: Duration,
}

impl std::fmt::Debug for StreamResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamResponse").field("request", &self.request).field("status", &self.status()).finish_non_exhaustive()
    }
}

impl StreamResponse {
    pub(crate) fn new(response: reqwest::Response, request: RequestInfo, limit: Duration) -> Self {
        Self { response, request, pending: Bytes::new(), limit }
    }

    /// The HTTP status (always a success status).
    pub fn status(&self) -> StatusCode {
        self.response.status()
    }

    /// The response headers.
    pub fn headers(&self) -> &HeaderMap {
        self.response.headers()
    }

    /// The body length the server declared, if it did.
    pub fn content_length(&self) -> Option<u64> {
        self.response.content_length()
    }

    /// What was sent (operation, method, path template, origin): for errors and logs.
    pub fn request(&self) -> &RequestInfo {
        &self.request
    }

    /// The next piece of the body (at most [`MAX_CHUNK`] bytes), `None` at its end.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, Error> {
        if self.pending.is_empty() {
            match self.response.chunk().await {
                Ok(Some(piece)) => self.pending = piece,
                Ok(None) => return Ok(None),
                Err(e) => return Err(crate::layers::retry::attempt_error(&self.request, &e, self.limit)),
            }
        }
        let take = self.pending.len().min(MAX_CHUNK);
        Ok(Some(self.pending.split_to(take)))
    }

    /// Read the rest of the body, at most `limit` bytes: `(body, true)` when it ended
    /// within the limit, `(first limit bytes, false)` when there was more (the rest is not
    /// read). A body declared longer than `limit` is not read beyond its first piece.
    pub async fn read_capped(mut self, limit: usize) -> Result<(Bytes, bool), Error> {
        let declared_long = self.pending.is_empty() && self.content_length().is_some_and(|n| n > limit as u64);
        let mut body = BytesMut::new();
        while let Some(piece) = self.chunk().await? {
            let room = limit - body.len();
            if piece.len() > room {
                body.extend_from_slice(&piece[..room]);
                return Ok((body.freeze(), false));
            }
            body.extend_from_slice(&piece);
            if declared_long {
                return Ok((body.freeze(), false));
            }
        }
        Ok((body.freeze(), true))
    }

    /// The body as a stream of pieces (each at most [`MAX_CHUNK`] bytes); it ends after
    /// the body's end or its first error.
    pub fn bytes_stream(self) -> impl Stream<Item = Result<Bytes, Error>> + Send {
        futures_util::stream::unfold(Some(self), |state| async move {
            let mut this = state?;
            match this.chunk().await {
                Ok(Some(piece)) => Some((Ok(piece), Some(this))),
                Ok(None) => None,
                Err(e) => Some((Err(e), None)),
            }
        })
    }
}
