//! What a file's trip to storage needs, shared by the single `PUT`
//! (`signed.rs`) and the upload in parts (`crate::multipart`).

use crate::Client;
use crate::types::UploadInfo;
use crate::upload::{FilePart, Progress};

/// One file sent to one upload target: what a `PUT`, or an upload in parts,
/// needs.
pub(crate) struct Transfer<'a> {
    pub(crate) client: &'a Client,
    pub(crate) target: &'a UploadInfo,
    /// The file's name, in errors.
    pub(crate) name: &'a str,
    pub(crate) file: &'a FilePart,
    pub(crate) content_type: &'a str,
    pub(crate) progress: Option<&'a Progress>,
}
