//! The syntax-tree stage: progenitor's output, parsed as a `syn` tree, is
//! rewritten where progenitor or typify generate something the SDK does
//! not want (closed enums, strict timestamps, one error type per
//! operation, …) or cannot generate (forms, paging, feature gates, docs for
//! every item), then printed.

pub(crate) mod client;
pub(crate) mod describe;
pub(crate) mod docs;
pub(crate) mod extra;
pub(crate) mod forms;
pub(crate) mod gates;
pub(crate) mod mocks;
pub(crate) mod pages;
pub(crate) mod support;
pub(crate) mod types;
