use serde::Serialize;

/// The eight design principles of the AWS Well-Architected Operational
/// Excellence pillar; every rule belongs to exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Principle {
    OrganizeTeams,
    Observability,
    SafeAutomation,
    SmallReversibleChanges,
    RefineProcedures,
    AnticipateFailure,
    LearnFromEvents,
    ManagedServices,
}

impl Principle {
    pub const ALL: [Principle; 8] = [
        Self::OrganizeTeams,
        Self::Observability,
        Self::SafeAutomation,
        Self::SmallReversibleChanges,
        Self::RefineProcedures,
        Self::AnticipateFailure,
        Self::LearnFromEvents,
        Self::ManagedServices,
    ];

    /// The stable kebab-case slug used in output, tags and configuration.
    pub fn slug(self) -> &'static str {
        match self {
            Self::OrganizeTeams => "organize-teams",
            Self::Observability => "observability",
            Self::SafeAutomation => "safe-automation",
            Self::SmallReversibleChanges => "small-reversible-changes",
            Self::RefineProcedures => "refine-procedures",
            Self::AnticipateFailure => "anticipate-failure",
            Self::LearnFromEvents => "learn-from-events",
            Self::ManagedServices => "managed-services",
        }
    }

    /// The principle's title as the Well-Architected Framework words it.
    pub fn title(self) -> &'static str {
        match self {
            Self::OrganizeTeams => "Organize teams around business outcomes",
            Self::Observability => "Implement observability for actionable insights",
            Self::SafeAutomation => "Safely automate where possible",
            Self::SmallReversibleChanges => "Make frequent, small, reversible changes",
            Self::RefineProcedures => "Refine operations procedures frequently",
            Self::AnticipateFailure => "Anticipate failure",
            Self::LearnFromEvents => "Learn from all operational events and metrics",
            Self::ManagedServices => "Use managed services",
        }
    }

    pub fn from_slug(slug: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.slug() == slug)
    }
}
