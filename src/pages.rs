//! Every item of a list, across all its pages.
//!
//! The API answers a list one page at a time: `limit` items from `offset`
//! (`skip` for `GET /pipelines`), in an envelope with the page's items and,
//! mostly, the `total` of every match (`{items, count, total}`,
//! `{pipelines, total}`, `{simulations, total}`, `{optimizations, total}`).
//! The builder of every such operation has two more methods:
//!
//! * `stream()`: a [`Pages`], a [`Stream`] of the items that requests the
//!   next page when the last one is used up;
//! * `collect_all()`: every item in a `Vec`.
//!
//! The builder's other settings (filters, order) go with every page. Its
//! `limit`, if set, is the page size (by default [`DEFAULT_PAGE_SIZE`]) and
//! its `offset` (or `skip`) where the first page starts. The stream ends
//! when the `total` is reached, or, without one, at a page shorter than
//! asked, and always at an empty page. An error (after the client's
//! retries) is the stream's last item.
//!
//! ```
//! use ionworks::pages::filter;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let stand_in = ionworks::testing::StandIn::start().await?;
//! # let client = stand_in.client();
//! # for name in ["cells", "packs"] {
//! #     let body = ionworks::types::ProjectCreate::builder().name(name);
//! #     client.create_project().body(body).send().await?;
//! # }
//! // Every project, fetched 100 at a time as the loop goes.
//! let mut projects = client.list_projects().stream();
//! while let Some(project) = projects.try_next().await? {
//!     println!("{}", project.name);
//! }
//!
//! // Or all at once, filtered, in pages of 20.
//! let cells = client
//!     .list_projects()
//!     .name(filter::eq("cells"))
//!     .limit(20)
//!     .collect_all()
//!     .await?;
//! assert_eq!(cells.len(), 1);
//! # Ok(()) }
//! ```
//!
//! [`Pages`] is also a [`Stream`] for the combinators of `futures` (`use
//! futures::TryStreamExt;` then `.try_filter(…)`, `.take(n)`, …), and
//! [`Pages::new`] pages any request of your own.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

pub use futures_util::Stream;

use crate::ApiError;

pub mod filter;

/// The page size of a stream whose builder sets no `limit`: the largest
/// page the API serves for most lists.
pub const DEFAULT_PAGE_SIZE: i64 = 100;

/// One page of a list: its items and, if the answer says, the number of
/// items in the whole list.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The page's items, in order.
    pub items: Vec<T>,
    /// Every item of the list (not only this page's), if the answer says.
    pub total: Option<i64>,
}

impl<T> Page<T> {
    /// A page of `items`, of a list of `total` items (an `i64`, an
    /// `Option<i64>` or `None`).
    ///
    /// ```
    /// let page = ionworks::pages::Page::new(vec!["a", "b"], 10);
    /// assert_eq!(page.total, Some(10));
    /// ```
    pub fn new(items: Vec<T>, total: impl Into<Option<i64>>) -> Self {
        Self {
            items,
            total: total.into(),
        }
    }
}

type PageFuture<'a, T, E> = Pin<Box<dyn Future<Output = Result<Page<T>, E>> + Send + 'a>>;
type Fetch<'a, T, E> = Box<dyn FnMut(i64, i64) -> PageFuture<'a, T, E> + Send + 'a>;

/// The items of a list, page after page: a [`Stream`] of `Result<T, E>`,
/// made by a list builder's `stream()` or by [`Pages::new`].
///
/// A page is requested only when the items before it are used up. An error
/// is yielded once, and ends the stream.
#[must_use = "a stream does nothing until it is read"]
pub struct Pages<'a, T, E = ApiError> {
    fetch: Fetch<'a, T, E>,
    next_offset: i64,
    page_size: i64,
    ready: VecDeque<T>,
    pending: Option<PageFuture<'a, T, E>>,
    /// What the last answer says is left after `next_offset`, if it says.
    remaining: Option<i64>,
    done: bool,
}

impl<'a, T, E> Pages<'a, T, E> {
    /// The items of the pages that `fetch(offset, limit)` answers, starting
    /// at `start`, `page_size` at a time (at least 1).
    ///
    /// The stream ends after a page of no items, once the offset reaches
    /// the `total` the last page gave, or, when pages give no total, after
    /// a page shorter than `page_size`. The offset of each page is the
    /// previous one's plus the number of items it had, so a server that
    /// serves fewer than asked is still read to the end when it gives a
    /// total.
    ///
    /// ```
    /// use ionworks::pages::{Page, Pages};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), ionworks::ApiError> {
    /// let numbers: Vec<i64> = (0..250).collect();
    /// let pages: Pages<'_, i64> = Pages::new(0, 100, move |offset, limit| {
    ///     let page: Vec<i64> = numbers.iter().copied().skip(offset as usize).take(limit as usize).collect();
    ///     async move { Ok(Page::new(page, None)) }
    /// });
    /// assert_eq!(pages.collect_all().await?.len(), 250);
    /// # Ok(()) }
    /// ```
    pub fn new<F, Fut>(start: i64, page_size: i64, mut fetch: F) -> Self
    where
        F: FnMut(i64, i64) -> Fut + Send + 'a,
        Fut: Future<Output = Result<Page<T>, E>> + Send + 'a,
    {
        Self {
            fetch: Box::new(move |offset, limit| Box::pin(fetch(offset, limit))),
            next_offset: start.max(0),
            page_size: page_size.max(1),
            ready: VecDeque::new(),
            pending: None,
            remaining: None,
            done: false,
        }
    }

    /// The next item, `None` at the end of the list, or the error that
    /// ends it.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let stand_in = ionworks::testing::StandIn::start().await?;
    /// # let client = stand_in.client();
    /// let mut jobs = client.list_jobs().stream();
    /// while let Some(job) = jobs.try_next().await? {
    ///     println!("{} is {}", job.job_id, job.status);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn try_next(&mut self) -> Result<Option<T>, E> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx))
            .await
            .transpose()
    }

    /// Every item that is left, in order, or the first error.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let stand_in = ionworks::testing::StandIn::start().await?;
    /// # let client = stand_in.client();
    /// let sites = client.list_sites().stream().collect_all().await?;
    /// assert!(sites.is_empty());
    /// # Ok(()) }
    /// ```
    pub async fn collect_all(mut self) -> Result<Vec<T>, E> {
        let mut all = Vec::new();
        while let Some(item) = self.try_next().await? {
            all.push(item);
        }
        Ok(all)
    }

    /// Takes in an answered page, and whether the list ends with it.
    fn take_page(&mut self, page: Page<T>) {
        let len = i64::try_from(page.items.len()).unwrap_or(i64::MAX);
        self.next_offset = self.next_offset.saturating_add(len);
        self.remaining = page
            .total
            .map(|t| t.saturating_sub(self.next_offset).max(0));
        self.done = match self.remaining {
            _ if len == 0 => true,
            Some(left) => left == 0,
            None => len < self.page_size,
        };
        self.ready.extend(page.items);
    }
}

impl<T, E> Stream for Pages<'_, T, E> {
    type Item = Result<T, E>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(item) = this.ready.pop_front() {
                return Poll::Ready(Some(Ok(item)));
            }
            if this.done {
                return Poll::Ready(None);
            }
            let pending = this
                .pending
                .get_or_insert_with(|| (this.fetch)(this.next_offset, this.page_size));
            let answer = std::task::ready!(pending.as_mut().poll(cx));
            this.pending = None;
            match answer {
                Ok(page) => this.take_page(page),
                Err(error) => {
                    this.done = true;
                    return Poll::Ready(Some(Err(error)));
                }
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let ready = self.ready.len();
        match (self.done, self.remaining) {
            (true, _) => (ready, Some(ready)),
            (false, Some(left)) => {
                let left = usize::try_from(left).unwrap_or(usize::MAX);
                (ready, ready.checked_add(left))
            }
            (false, None) => (ready, None),
        }
    }
}

// The items are moved out, never pinned; the page's future is boxed.
impl<T, E> Unpin for Pages<'_, T, E> {}

impl<T, E> futures_util::stream::FusedStream for Pages<'_, T, E> {
    fn is_terminated(&self) -> bool {
        self.done && self.ready.is_empty() && self.pending.is_none()
    }
}

impl<T: std::fmt::Debug, E> std::fmt::Debug for Pages<'_, T, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pages")
            .field("next_offset", &self.next_offset)
            .field("page_size", &self.page_size)
            .field("ready", &self.ready.len())
            .field("remaining", &self.remaining)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;

    /// A list of `n` numbers served `cap` at most per page, with a total or not.
    fn numbers(n: i64, cap: i64, total: bool) -> Pages<'static, i64, String> {
        Pages::new(0, 100, move |offset, limit| {
            let end = (offset + limit.min(cap)).min(n);
            let items: Vec<i64> = (offset..end.max(offset)).collect();
            async move { Ok(Page::new(items, total.then_some(n))) }
        })
    }

    #[tokio::test]
    async fn every_item_once_in_order_with_or_without_a_total() {
        for total in [true, false] {
            for n in [0, 1, 99, 100, 101, 250] {
                let all = numbers(n, 100, total).collect_all().await.unwrap();
                assert_eq!(all, (0..n).collect::<Vec<_>>(), "n = {n}, total: {total}");
            }
        }
    }

    #[tokio::test]
    async fn a_server_that_serves_less_than_asked_is_read_to_its_total() {
        let all = numbers(250, 30, true).collect_all().await.unwrap();
        assert_eq!(all.len(), 250);
        // Without a total a short page is the end.
        assert_eq!(
            numbers(250, 30, false).collect_all().await.unwrap().len(),
            30
        );
    }

    #[tokio::test]
    async fn an_error_is_the_last_item() {
        let mut calls = 0;
        let mut pages: Pages<'_, i64, String> = Pages::new(0, 2, move |offset, _| {
            calls += 1;
            let answer = if calls == 2 {
                Err("boom".to_string())
            } else {
                Ok(Page::new(vec![offset, offset + 1], None))
            };
            async move { answer }
        });
        let items: Vec<_> = (&mut pages).collect().await;
        assert_eq!(items, [Ok(0), Ok(1), Err("boom".to_string())]);
        assert!(futures_util::stream::FusedStream::is_terminated(&pages));
    }

    #[tokio::test]
    async fn the_size_hint_follows_the_total() {
        let mut pages = numbers(250, 100, true);
        assert_eq!(pages.try_next().await.unwrap(), Some(0));
        assert_eq!(pages.size_hint(), (99, Some(249)));
    }
}
