//! `connector::Error`: why the connector could not start or go on.

use crate::airsync::extractor::SinkClosed;
use crate::okta;

use super::connection::ConnectionError;
use super::jobs::logs::StartDateError;

/// A connector failure outside one job's Okta calls.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The connection in the event cannot be used.
    #[error(transparent)]
    Connection(#[from] ConnectionError),
    /// An Okta call failed.
    #[error("{}", .0.explain())]
    Okta(#[from] okta::Error),
    /// A bad `system_log_start_date`.
    #[error(transparent)]
    StartDate(#[from] StartDateError),
    /// An organization input that cannot be used.
    #[error("input `{input}` is {value:?}, which is not {want}; fix it or leave it empty for the default")]
    BadInput {
        /// The input's name.
        input: &'static str,
        /// What it holds.
        value: String,
        /// What it should hold.
        want: &'static str,
    },
    /// A saved cursor is not a URL.
    #[error("the saved position of the {job} job holds a cursor that is not a URL; the state is damaged")]
    BadCursor {
        /// The job.
        job: &'static str,
    },
    /// The artifact writer stopped.
    #[error(transparent)]
    Sink(#[from] SinkClosed),
    /// The index of what was sent could not be folded and saved.
    #[error("saving the index of what was sent failed: {0}")]
    Index(String),
}
