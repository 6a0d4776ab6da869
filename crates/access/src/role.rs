//! Organisation kinds, roles and permissions.

use serde::{Deserialize, Serialize};

/// Kinds of organisation in the partnership (domain-uk.md §8.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrgKind {
    /// A police force.
    Police,
    /// A local authority (council).
    La,
    /// An NHS body.
    Nhs,
    /// A charity or other non-governmental organisation.
    Ngo,
    /// The Gangmasters and Labour Abuse Authority.
    Glaa,
    /// The Office of the Police and Crime Commissioner.
    Opcc,
    /// The Home Office.
    HomeOffice,
    /// Anything else.
    Other,
}

impl OrgKind {
    /// Every kind, in display order.
    pub const ALL: [OrgKind; 8] = [
        Self::Police,
        Self::La,
        Self::Nhs,
        Self::Ngo,
        Self::Glaa,
        Self::Opcc,
        Self::HomeOffice,
        Self::Other,
    ];

    /// The stored code (`POLICE`, `LA`, …).
    pub fn code(self) -> &'static str {
        match self {
            Self::Police => "POLICE",
            Self::La => "LA",
            Self::Nhs => "NHS",
            Self::Ngo => "NGO",
            Self::Glaa => "GLAA",
            Self::Opcc => "OPCC",
            Self::HomeOffice => "HOME_OFFICE",
            Self::Other => "OTHER",
        }
    }

    /// The kind of a code, any case.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.code().eq_ignore_ascii_case(code.trim()))
    }
}

/// Roles (domain-uk.md §8.3; issue 8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Police intelligence analyst: every location, cluster and listing; shares leads; plans.
    PoliceAnalyst,
    /// Outreach or safeguarding worker: locations shared with their organisation; plans routes
    /// and records visits.
    OutreachWorker,
    /// Partner practitioner (council, health, GLAA, fire): leads shared with their organisation
    /// and their organisation's visits; read only.
    PartnerPractitioner,
    /// OPCC analyst: aggregates only, with small numbers suppressed.
    OpccAnalyst,
    /// Data protection officer or auditor: who has access (and, with the audit log, who did
    /// what); no content.
    Auditor,
    /// Administrator: organisations and accounts; no content.
    Administrator,
}

impl Role {
    /// Every role, in display order.
    pub const ALL: [Role; 6] = [
        Self::PoliceAnalyst,
        Self::OutreachWorker,
        Self::PartnerPractitioner,
        Self::OpccAnalyst,
        Self::Auditor,
        Self::Administrator,
    ];

    /// The stored code (`police_analyst`, …).
    pub fn code(self) -> &'static str {
        match self {
            Self::PoliceAnalyst => "police_analyst",
            Self::OutreachWorker => "outreach_worker",
            Self::PartnerPractitioner => "partner_practitioner",
            Self::OpccAnalyst => "opcc_analyst",
            Self::Auditor => "auditor",
            Self::Administrator => "administrator",
        }
    }

    /// The role of a code (`police_analyst` or `police-analyst`, any case).
    pub fn parse(code: &str) -> Option<Self> {
        let code = code.trim().replace('-', "_");
        Self::ALL
            .into_iter()
            .find(|r| r.code().eq_ignore_ascii_case(&code))
    }

    /// A name for people.
    pub fn label(self) -> &'static str {
        match self {
            Self::PoliceAnalyst => "Police analyst",
            Self::OutreachWorker => "Outreach worker",
            Self::PartnerPractitioner => "Partner practitioner",
            Self::OpccAnalyst => "OPCC analyst",
            Self::Auditor => "Auditor",
            Self::Administrator => "Administrator",
        }
    }

    /// Whether a person of an organisation of `kind` may hold this role: police intelligence
    /// only in a police force, aggregates-only analysts only in the OPCC.
    pub fn allowed_in(self, kind: OrgKind) -> bool {
        match self {
            Self::PoliceAnalyst => kind == OrgKind::Police,
            Self::OpccAnalyst => kind == OrgKind::Opcc,
            _ => true,
        }
    }

    /// The permissions this role holds.
    pub fn permissions(self) -> &'static [Permission] {
        use Permission::*;
        match self {
            Self::PoliceAnalyst => &[
                SignedIn,
                ViewIntelligence,
                RevealIdentifiers,
                ShareLeads,
                PlanVisits,
                RecordVisits,
                ViewOwnVisits,
                ViewAggregates,
            ],
            Self::OutreachWorker => &[
                SignedIn,
                ViewSharedLeads,
                PlanVisits,
                RecordVisits,
                ViewOwnVisits,
            ],
            Self::PartnerPractitioner => &[SignedIn, ViewSharedLeads, ViewOwnVisits],
            Self::OpccAnalyst => &[SignedIn, ViewAggregates],
            Self::Auditor => &[SignedIn, ViewAccounts, ViewAuditLog],
            Self::Administrator => &[SignedIn, ViewAccounts, ManageAccounts],
        }
    }
}

/// What a route or use case needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Anyone, signed in or not (the login page, the stylesheet).
    Public,
    /// Any active, signed-in person (home page, sign out).
    SignedIn,
    /// Every location, cluster and listing, identifiers included.
    ViewIntelligence,
    /// Phone numbers and e-mails in full instead of their pseudonyms, with a declared purpose
    /// (logged).
    RevealIdentifiers,
    /// Share a location, with a sanitised note, with a partner organisation.
    ShareLeads,
    /// Locations shared with one's own organisation (sanitised).
    ViewSharedLeads,
    /// Plan visit routes over the locations one may see.
    PlanVisits,
    /// Record a visit to a location one may see.
    RecordVisits,
    /// One's own organisation's visits.
    ViewOwnVisits,
    /// Counts by borough and week, small numbers suppressed.
    ViewAggregates,
    /// The list of organisations and accounts.
    ViewAccounts,
    /// Add, disable and reset accounts; add organisations.
    ManageAccounts,
    /// The audit log (reading it is itself logged).
    ViewAuditLog,
}

impl Permission {
    /// Whether a role holds it (`Public` is held by everyone, signed in or not).
    pub fn held_by(self, role: Option<Role>) -> bool {
        match (self, role) {
            (Self::Public, _) => true,
            (_, None) => false,
            (p, Some(r)) => r.permissions().contains(&p),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.code()), Some(r));
        }
        for k in OrgKind::ALL {
            assert_eq!(OrgKind::parse(k.code()), Some(k));
        }
        assert_eq!(Role::parse("Police-Analyst"), Some(Role::PoliceAnalyst));
        assert_eq!(Role::parse("superuser"), None);
    }

    #[test]
    fn content_stays_with_content_roles() {
        for r in [Role::Administrator, Role::Auditor, Role::OpccAnalyst] {
            for p in [
                Permission::ViewIntelligence,
                Permission::ViewSharedLeads,
                Permission::ViewOwnVisits,
            ] {
                assert!(!p.held_by(Some(r)), "{r:?} must not hold {p:?}");
            }
        }
        assert!(!Permission::SignedIn.held_by(None));
        assert!(Permission::Public.held_by(None));
    }

    #[test]
    fn intelligence_roles_belong_to_the_police() {
        assert!(Role::PoliceAnalyst.allowed_in(OrgKind::Police));
        assert!(!Role::PoliceAnalyst.allowed_in(OrgKind::Ngo));
        assert!(!Role::OpccAnalyst.allowed_in(OrgKind::Police));
        assert!(Role::OutreachWorker.allowed_in(OrgKind::Ngo));
    }
}
