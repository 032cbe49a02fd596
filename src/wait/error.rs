//! Why a wait did not end with a successful resource: [`WaitError`]. It
//! keeps the convention of every error of the crate (see `crate::error`):
//! `Display` is the whole story on one line, cause included, so `source()`
//! is `None`; `Debug` is the same line and `{:#?}` the variant's parts.

use std::fmt;
use std::time::Duration;

use crate::ApiError;
use crate::wording::Seconds;

/// Why a wait did not end with a successful resource.
#[non_exhaustive]
pub enum WaitError<R> {
    /// The resource ended failed or canceled; it carries the final resource
    /// (for a job, its `error` and `error_code`).
    Failed(Box<R>),
    /// The deadline passed first.
    TimedOut {
        /// The last resource seen, if any poll succeeded.
        last: Option<Box<R>>,
        /// Polls made.
        polls: u32,
        /// Time waited.
        elapsed: Duration,
    },
    /// A permanent error (401, 403, 404, 422, …) ended the wait at once.
    Api(ApiError),
    /// The request that was to start the resource failed
    /// ([`submit_and_wait`](crate::Client::submit_and_wait),
    /// [`resubmit_and_wait`](crate::Client::resubmit_and_wait)); nothing was
    /// waited for.
    Start(ApiError),
    /// The cancellation future given to
    /// [`Wait::cancel_on`](crate::wait::Wait::cancel_on) completed.
    Cancelled {
        /// Polls made.
        polls: u32,
        /// Time waited.
        elapsed: Duration,
    },
}

impl<R> WaitError<R> {
    /// The API error behind [`Api`](Self::Api) or [`Start`](Self::Start).
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Self::Api(e) | Self::Start(e) => Some(e),
            _ => None,
        }
    }
}

impl<R: crate::wait::Pollable> fmt::Display for WaitError<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Failed(r) => {
                write!(f, "{}", R::KIND)?;
                if let Some(id) = r.id() {
                    write!(f, " {id}")?;
                }
                write!(f, " ended unsuccessfully with status {}", r.status_text())?;
                match r.failure() {
                    (Some(code), Some(message)) => write!(f, ": {code}: {message}"),
                    (Some(one), None) | (None, Some(one)) => write!(f, ": {one}"),
                    (None, None) => Ok(()),
                }
            }
            Self::TimedOut {
                last,
                polls,
                elapsed,
            } => write!(
                f,
                "{} still {} after {} ({polls} polls)",
                R::KIND,
                last.as_ref()
                    .map_or_else(|| "unknown".to_string(), |r| r.status_text()),
                Seconds(*elapsed)
            ),
            Self::Api(e) => write!(f, "waiting for {} failed: {e}", R::KIND),
            Self::Start(e) => write!(f, "starting the {} failed: {e}", R::KIND),
            Self::Cancelled { polls, elapsed } => write!(
                f,
                "waiting for {} cancelled after {} ({polls} polls)",
                R::KIND,
                Seconds(*elapsed)
            ),
        }
    }
}

/// The message is complete: no `source()` (see the module docs).
impl<R: crate::wait::Pollable> std::error::Error for WaitError<R> {}

/// `{:?}` is the one-line message; `{:#?}` the parts.
impl<R: crate::wait::Pollable> fmt::Debug for WaitError<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !f.alternate() {
            return fmt::Display::fmt(self, f);
        }
        match self {
            Self::Failed(r) => f.debug_tuple("Failed").field(r).finish(),
            Self::TimedOut {
                last,
                polls,
                elapsed,
            } => f
                .debug_struct("TimedOut")
                .field("last", last)
                .field("polls", polls)
                .field("elapsed", elapsed)
                .finish(),
            Self::Api(e) => f.debug_tuple("Api").field(e).finish(),
            Self::Start(e) => f.debug_tuple("Start").field(e).finish(),
            Self::Cancelled { polls, elapsed } => f
                .debug_struct("Cancelled")
                .field("polls", polls)
                .field("elapsed", elapsed)
                .finish(),
        }
    }
}

/// `?` on a wait's result in a function that returns [`crate::Result`]:
/// an API error stays itself; a failed, timed-out or cancelled wait becomes
/// an error of kind [`ErrorKind::Other`](crate::ErrorKind::Other) with the wait's message (which
/// names the resource, its status, error code and message).
impl<R: crate::wait::Pollable> From<WaitError<R>> for ApiError {
    fn from(error: WaitError<R>) -> Self {
        match error {
            WaitError::Api(e) | WaitError::Start(e) => e,
            other => Self::other(other.to_string()),
        }
    }
}
