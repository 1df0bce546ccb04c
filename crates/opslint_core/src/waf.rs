//! Best practices of the AWS Well-Architected Operational Excellence
//! pillar, in the 2026 release of the framework: id, AWS's title, and
//! whether a repository can show it (`R`), partly show it (`P`) or only
//! people can answer it (`Q`).

pub const BEST_PRACTICES: [(&str, &str, char); 68] = [
    ("OPS01-BP01", "Evaluate external customer needs", 'Q'),
    ("OPS01-BP02", "Evaluate internal customer needs", 'Q'),
    ("OPS01-BP03", "Evaluate governance requirements", 'P'),
    ("OPS01-BP04", "Evaluate compliance requirements", 'P'),
    ("OPS01-BP05", "Evaluate threat landscape", 'P'),
    (
        "OPS01-BP06",
        "Evaluate tradeoffs while managing benefits and risks",
        'P',
    ),
    ("OPS02-BP01", "Resources have identified owners", 'R'),
    (
        "OPS02-BP02",
        "Processes and procedures have identified owners",
        'P',
    ),
    (
        "OPS02-BP03",
        "Operations activities have identified owners responsible for their performance",
        'P',
    ),
    (
        "OPS02-BP04",
        "Mechanisms exist to manage responsibilities and ownership",
        'P',
    ),
    (
        "OPS02-BP05",
        "Mechanisms exist to request additions, changes, and exceptions",
        'P',
    ),
    (
        "OPS02-BP06",
        "Responsibilities between teams are predefined or negotiated",
        'Q',
    ),
    ("OPS03-BP01", "Provide executive sponsorship", 'Q'),
    (
        "OPS03-BP02",
        "Team members are empowered to take action when outcomes are at risk",
        'Q',
    ),
    ("OPS03-BP03", "Escalation is encouraged", 'Q'),
    (
        "OPS03-BP04",
        "Communications are timely, clear, and actionable",
        'P',
    ),
    ("OPS03-BP05", "Experimentation is encouraged", 'P'),
    (
        "OPS03-BP06",
        "Team members are encouraged to maintain and grow their skill sets",
        'Q',
    ),
    ("OPS03-BP07", "Resource teams appropriately", 'Q'),
    ("OPS04-BP01", "Identify key performance indicators", 'P'),
    ("OPS04-BP02", "Implement application telemetry", 'R'),
    ("OPS04-BP03", "Implement user experience telemetry", 'R'),
    ("OPS04-BP04", "Implement dependency telemetry", 'P'),
    ("OPS04-BP05", "Implement distributed tracing", 'R'),
    ("OPS05-BP01", "Use version control", 'R'),
    ("OPS05-BP02", "Test and validate changes", 'R'),
    ("OPS05-BP03", "Use configuration management systems", 'R'),
    (
        "OPS05-BP04",
        "Use build and deployment management systems",
        'R',
    ),
    ("OPS05-BP05", "Perform patch management", 'R'),
    ("OPS05-BP06", "Share design standards", 'P'),
    (
        "OPS05-BP07",
        "Implement practices to improve code quality",
        'R',
    ),
    ("OPS05-BP08", "Use multiple environments", 'R'),
    (
        "OPS05-BP09",
        "Make frequent, small, reversible changes",
        'P',
    ),
    (
        "OPS05-BP10",
        "Fully automate integration and deployment",
        'R',
    ),
    ("OPS06-BP01", "Plan for unsuccessful changes", 'R'),
    ("OPS06-BP02", "Test deployments", 'R'),
    ("OPS06-BP03", "Employ safe deployment strategies", 'R'),
    ("OPS06-BP04", "Automate testing and rollback", 'R'),
    ("OPS07-BP01", "Ensure personnel capability", 'Q'),
    (
        "OPS07-BP02",
        "Ensure a consistent review of operational readiness",
        'P',
    ),
    ("OPS07-BP03", "Use runbooks to perform procedures", 'R'),
    ("OPS07-BP04", "Use playbooks to investigate issues", 'P'),
    (
        "OPS07-BP05",
        "Make informed decisions to deploy systems and changes",
        'P',
    ),
    (
        "OPS07-BP06",
        "Create support plans for production workloads",
        'Q',
    ),
    ("OPS08-BP01", "Analyze workload metrics", 'P'),
    ("OPS08-BP02", "Analyze workload logs", 'R'),
    ("OPS08-BP03", "Analyze workload traces", 'P'),
    ("OPS08-BP04", "Create actionable alerts", 'R'),
    ("OPS08-BP05", "Create dashboards", 'R'),
    (
        "OPS09-BP01",
        "Measure operations goals and KPIs with metrics",
        'P',
    ),
    (
        "OPS09-BP02",
        "Communicate status and trends to ensure visibility into operation",
        'Q',
    ),
    (
        "OPS09-BP03",
        "Review operations metrics and prioritize improvement",
        'Q',
    ),
    (
        "OPS10-BP01",
        "Use a process for event, incident, and problem management",
        'P',
    ),
    ("OPS10-BP02", "Have a process per alert", 'R'),
    (
        "OPS10-BP03",
        "Prioritize operational events based on business impact",
        'P',
    ),
    ("OPS10-BP04", "Define escalation paths", 'P'),
    (
        "OPS10-BP05",
        "Define a customer communication plan for service-impacting events",
        'Q',
    ),
    ("OPS10-BP06", "Communicate status through dashboards", 'P'),
    ("OPS10-BP07", "Automate responses to events", 'R'),
    (
        "OPS11-BP01",
        "Have a process for continuous improvement",
        'Q',
    ),
    ("OPS11-BP02", "Perform post-incident analysis", 'P'),
    ("OPS11-BP03", "Implement feedback loops", 'P'),
    ("OPS11-BP04", "Perform knowledge management", 'P'),
    ("OPS11-BP05", "Define drivers for improvement", 'Q'),
    ("OPS11-BP06", "Validate insights", 'Q'),
    ("OPS11-BP07", "Perform operations metrics reviews", 'Q'),
    ("OPS11-BP08", "Document and share lessons learned", 'R'),
    ("OPS11-BP09", "Allocate time to make improvements", 'Q'),
];

/// The title of a best practice, or `None` for an unknown id.
pub fn title(id: &str) -> Option<&'static str> {
    BEST_PRACTICES
        .iter()
        .find(|(known, _, _)| *known == id)
        .map(|(_, title, _)| *title)
}
