//! Streaming paginators: a paged call walked lazily, one page per poll, as a
//! [`Stream`] of pages ([`Paginator`]) or of items ([`Items`]).
//!
//! Generated code implements [`PagedOperation`] for every paged request type and
//! offers `.into_paginator()` on its fluent builder:
//!
//! ```ignore
//! let mut confs = client.mc().list_confs().into_paginator().items();
//! while let Some(conf) = confs.next().await {
//!     println!("{}", conf?.name);
//! }
//! ```
//!
//! A walk is bounded by [`PageLimits`] (the client's, or [`Paginator::page_limits`]):
//! past them the stream yields [`Error::LimitExceeded`] and ends, so a server that
//! always answers a full page cannot run it forever.

use std::collections::VecDeque;
use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_util::future::BoxFuture;
use futures_util::stream::{Stream, StreamExt};

use crate::codegen::{PageLimits, PageWalk};
use crate::error::Error;
use crate::pipeline::typed::{ClientHandle, TypedOperation};

/// How a paged call addresses its pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PageScheme {
    /// An item offset and a page size (moyun `start`/`count`); the first page is at 0.
    Offset,
    /// A page number and a page size (moyun `pageid`/`prgs1page`); the first page is 1.
    PageNumber,
}

impl PageScheme {
    fn first(self) -> u64 {
        match self {
            PageScheme::Offset => 0,
            PageScheme::PageNumber => 1,
        }
    }
}

/// A request type whose answer is one page of a listing (implemented by generated code).
pub trait PagedOperation: TypedOperation + Clone {
    /// One item of the listing.
    type Item: Send + 'static;

    /// How pages are addressed.
    const SCHEME: PageScheme;

    /// The position of the first page and the page size this request asks for
    /// (`None`: the scheme's first page, a page size of [`DEFAULT_PAGE_SIZE`]).
    fn paging(&self) -> (Option<u64>, Option<u64>);

    /// This request, for the page at `position` with `size` items.
    #[must_use]
    fn at_page(&self, position: u64, size: u64) -> Self;

    /// The number of items on a page and the total the server reports, if any.
    fn page_info(page: &Self::Output) -> (usize, Option<u64>);

    /// The items of a page.
    fn into_items(page: Self::Output) -> Vec<Self::Item>;
}

/// Page size used when the request sets none.
pub const DEFAULT_PAGE_SIZE: u64 = 100;

/// One page's call in flight: the page and the size of its body.
type PageCall<'a, R> = BoxFuture<'a, Result<(<R as TypedOperation>::Output, usize), Error>>;
type SendPage<'a, R> = Arc<dyn Fn(R) -> PageCall<'a, R> + Send + Sync + 'a>;

/// The pages of a paged call, requested lazily (one per poll) as a [`Stream`] of
/// `Result<page>`. It ends after the last page (a short or empty page, or `total`
/// items seen); an error (a failed call, a page limit) is its last item.
#[must_use = "a paginator does nothing until polled"]
pub struct Paginator<'a, R: PagedOperation> {
    send: SendPage<'a, R>,
    request: Option<Result<R, Error>>,
    limits: PageLimits,
    walk: Option<PageWalk>,
    position: u64,
    page_size: u64,
    seen: u64,
    done: bool,
    pending: Option<PageCall<'a, R>>,
}

// Nothing is pinned in place: the in-flight call is boxed, pages and items are moved out.
impl<R: PagedOperation> Unpin for Paginator<'_, R> {}

impl<R: PagedOperation> fmt::Debug for Paginator<'_, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Paginator")
            .field("limits", &self.limits)
            .field("position", &self.position)
            .field("page_size", &self.page_size)
            .field("seen", &self.seen)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl<'a, R: PagedOperation> Paginator<'a, R> {
    /// Walk `request` through `handle`, bounded by the handle's page limits. A
    /// request that failed to build is the stream's only item.
    pub fn new<H>(handle: H, request: Result<R, Error>) -> Self
    where
        H: ClientHandle + Clone + Send + Sync + 'a,
    {
        let limits = handle.page_limits();
        let (position, page_size) = match &request {
            Ok(r) => {
                let (p, s) = r.paging();
                (p.unwrap_or(R::SCHEME.first()), s.filter(|s| *s > 0).unwrap_or(DEFAULT_PAGE_SIZE))
            }
            Err(_) => (R::SCHEME.first(), DEFAULT_PAGE_SIZE),
        };
        let send: SendPage<'a, R> = Arc::new(move |page: R| {
            let handle = handle.clone();
            Box::pin(async move { handle.send_sized(page).await })
        });
        Self { send, request: Some(request), limits, walk: None, position, page_size, seen: 0, done: false, pending: None }
    }

    /// Bound this walk by `limits` instead of the client's.
    pub fn page_limits(mut self, limits: PageLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The items of every page, as a [`Stream`] of `Result<item>`.
    pub fn items(self) -> Items<'a, R> {
        Items { pages: self, buffer: VecDeque::new() }
    }

    /// The next page (`None` after the last); the same as `StreamExt::next`.
    pub async fn next(&mut self) -> Option<Result<R::Output, Error>> {
        StreamExt::next(self).await
    }

    /// Pages requested so far.
    pub fn pages_requested(&self) -> u32 {
        self.walk.as_ref().map_or(0, PageWalk::pages)
    }

    fn finish(&mut self, e: Error) -> Poll<Option<Result<R::Output, Error>>> {
        self.done = true;
        self.pending = None;
        Poll::Ready(Some(Err(e)))
    }

    /// After a page of `n` items: whether it was the last one; moves to the next page.
    fn advance(&mut self, n: usize, total: Option<u64>) {
        let n = n as u64;
        self.seen = self.seen.saturating_add(n);
        let last = n == 0 || total.map_or(n < self.page_size, |t| self.seen >= t);
        self.done = last;
        self.position = match R::SCHEME {
            PageScheme::Offset => self.position.saturating_add(n),
            PageScheme::PageNumber => self.position.saturating_add(1),
        };
    }
}

impl<R: PagedOperation> Stream for Paginator<'_, R> {
    type Item = Result<R::Output, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if let Some(fut) = this.pending.as_mut() {
            let answer = match fut.as_mut().poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(a) => a,
            };
            this.pending = None;
            let (page, bytes) = match answer {
                Ok(a) => a,
                Err(e) => return this.finish(e),
            };
            if let Some(Err(e)) = this.walk.as_mut().map(|w| w.received(bytes)) {
                return this.finish(e);
            }
            let (n, total) = R::page_info(&page);
            this.advance(n, total);
            return Poll::Ready(Some(Ok(page)));
        }
        if this.done {
            return Poll::Ready(None);
        }
        let base = match this.request.as_ref() {
            Some(Ok(r)) => r,
            Some(Err(_)) => match this.request.take() {
                Some(Err(e)) => return this.finish(e),
                _ => unreachable!("checked above"),
            },
            None => return Poll::Ready(None),
        };
        let page = base.at_page(this.position, this.page_size);
        if this.walk.is_none() {
            // Validate once up front: a bad request fails before anything is sent, and
            // the walk's errors name the operation.
            match page.clone().serialize() {
                Ok(op) => this.walk = Some(PageWalk::new(this.limits, op.info(0))),
                Err(e) => return this.finish(e),
            }
        }
        if let Some(Err(e)) = this.walk.as_mut().map(PageWalk::next_page) {
            return this.finish(e);
        }
        this.pending = Some((this.send)(page));
        // Poll the new call right away (it registers the waker).
        Pin::new(this).poll_next(cx)
    }
}

/// The items of a paged call, page by page as needed (see [`Paginator`]).
#[must_use = "a paginator does nothing until polled"]
pub struct Items<'a, R: PagedOperation> {
    pages: Paginator<'a, R>,
    buffer: VecDeque<R::Item>,
}

impl<R: PagedOperation> Unpin for Items<'_, R> {}

impl<R: PagedOperation> fmt::Debug for Items<'_, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Items").field("pages", &self.pages).field("buffered", &self.buffer.len()).finish()
    }
}

impl<R: PagedOperation> Items<'_, R> {
    /// The next item (`None` after the last); the same as `StreamExt::next`.
    pub async fn next(&mut self) -> Option<Result<R::Item, Error>> {
        StreamExt::next(self).await
    }

    /// Every item, in order; the first error ends the walk.
    pub async fn collect_all(mut self) -> Result<Vec<R::Item>, Error> {
        let mut all = Vec::new();
        while let Some(item) = self.next().await {
            all.push(item?);
        }
        Ok(all)
    }

    /// Pages requested so far.
    pub fn pages_requested(&self) -> u32 {
        self.pages.pages_requested()
    }
}

impl<R: PagedOperation> Stream for Items<'_, R> {
    type Item = Result<R::Item, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(item) = this.buffer.pop_front() {
                return Poll::Ready(Some(Ok(item)));
            }
            match Pin::new(&mut this.pages).poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(Some(Ok(page))) => this.buffer.extend(R::into_items(page)),
            }
        }
    }
}
