//! Create-or-get: a create that conflicts with an existing resource.

use std::future::Future;

use crate::{ApiError, ResponseValue};

/// Runs `create`; when the server answers 409 `CONFLICT` naming the
/// resource that already exists (`detail.existing_id`), fetches that one
/// with `get` instead. Any other error is returned as it is.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let stand_in = ionworks::testing::StandIn::start().await?;
/// # let client = stand_in.client();
/// use ionworks::types::ProjectCreate;
///
/// let create = || client.create_project().body(ProjectCreate::builder().name("Ageing")).send();
/// let first = ionworks::create_or_get(create(), |id| client.get_project().project_id(id).send()).await?;
/// let again = ionworks::create_or_get(create(), |id| client.get_project().project_id(id).send()).await?;
/// assert_eq!(first.id, again.id);
/// # Ok(()) }
/// ```
pub async fn create_or_get<T, C, G, F>(create: C, get: G) -> Result<ResponseValue<T>, ApiError>
where
    C: Future<Output = Result<ResponseValue<T>, ApiError>>,
    G: FnOnce(String) -> F,
    F: Future<Output = Result<ResponseValue<T>, ApiError>>,
{
    match create.await {
        Err(e) if e.status().is_some_and(|s| s.as_u16() == 409) => match e.existing_id() {
            Some(id) => get(id.to_owned()).await,
            None => Err(e),
        },
        other => other,
    }
}
