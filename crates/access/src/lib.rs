//! Who may do what in Lantern (domain-uk.md §8.3): organisation kinds, roles, the permissions each
//! role holds, and which objects of which organisation a person may see. Pure: the application
//! layer asks these questions before every use case, so the web server and the command line are
//! held to the same rules.

mod role;

pub use role::{OrgKind, Permission, Role};

/// The person acting, as the application layer sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// User id in the store (0 for the local operator).
    pub user_id: i64,
    /// Login name.
    pub username: String,
    /// Their organisation's id.
    pub org_id: i64,
    /// Their organisation's kind.
    pub org_kind: OrgKind,
    /// Their role.
    pub role: Role,
}

impl Principal {
    /// Whether the role holds `permission`.
    pub fn can(&self, permission: Permission) -> bool {
        self.role.permissions().contains(&permission)
    }

    /// Checks `permission`; the refusal to show when it is missing.
    pub fn require(&self, permission: Permission) -> Result<(), Refused> {
        if self.can(permission) {
            Ok(())
        } else {
            Err(Refused::Forbidden)
        }
    }

    /// Whether this person may see a location: intelligence roles see every location; partner
    /// roles only locations shared with their own organisation (`shared_with` lists the
    /// organisations it is shared with). Anything else is as if it did not exist.
    pub fn may_see_location(&self, shared_with: &[i64]) -> bool {
        self.can(Permission::ViewIntelligence)
            || (self.can(Permission::ViewSharedLeads) && shared_with.contains(&self.org_id))
    }

    /// Whether this person may see a visit recorded by organisation `org_id`: only their own
    /// organisation's visits.
    pub fn may_see_visit(&self, org_id: Option<i64>) -> bool {
        self.can(Permission::ViewOwnVisits) && org_id == Some(self.org_id)
    }
}

/// Why an action was refused. Objects a person may not see are [`Refused::NotFound`], so that
/// their existence does not leak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The role does not hold the permission (HTTP 403).
    Forbidden,
    /// No such object, or one the person may not see (HTTP 404).
    NotFound,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Forbidden => "your role does not allow this",
            Self::NotFound => "not found",
        })
    }
}

impl std::error::Error for Refused {}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(role: Role, org_id: i64) -> Principal {
        Principal {
            user_id: 1,
            username: "u".into(),
            org_id,
            org_kind: OrgKind::Police,
            role,
        }
    }

    #[test]
    fn partners_see_only_what_is_shared_with_their_organisation() {
        let outreach = person(Role::OutreachWorker, 7);
        assert!(outreach.may_see_location(&[3, 7]));
        assert!(!outreach.may_see_location(&[3]));
        assert!(!outreach.may_see_location(&[]));
        let analyst = person(Role::PoliceAnalyst, 1);
        assert!(analyst.may_see_location(&[]));
        let opcc = person(Role::OpccAnalyst, 7);
        assert!(
            !opcc.may_see_location(&[7]),
            "the OPCC sees aggregates only"
        );
        let admin = person(Role::Administrator, 7);
        assert!(
            !admin.may_see_location(&[7]),
            "administrators see no content"
        );
    }

    #[test]
    fn visits_are_seen_by_their_own_organisation_only() {
        let outreach = person(Role::OutreachWorker, 7);
        assert!(outreach.may_see_visit(Some(7)));
        assert!(!outreach.may_see_visit(Some(8)));
        assert!(!outreach.may_see_visit(None));
        assert!(!person(Role::Auditor, 7).may_see_visit(Some(7)));
    }
}
