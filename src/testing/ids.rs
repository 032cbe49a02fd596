//! The stand-in's fixed identities: the organization every credential is
//! authorized as, its one project and its one user.

pub(super) const ORGANIZATION_ID: &str = "standin-org";
pub(super) const PROJECT_ID: &str = "standin-project";
pub(super) const USER_ID: &str = "standin-user";
