//! Diagnostics that opslint reports about its own run rather than about a
//! practice: files it could not read or parse, and its own failures.

use crate::{RuleMeta, Severity};

pub static PARSE_ERROR: RuleMeta = RuleMeta {
    id: "parse-error",
    principle: None,
    waf: &[],
    severity: Severity::Error,
    artifacts: &[],
    summary: "file or document that does not parse",
    what_it_checks: "That every YAML, JSON and HCL file opslint reads is syntactically valid.",
    why_it_matters: "A file that does not parse cannot be applied by its tool either, and \
        opslint cannot check anything in the broken document. Other documents of a YAML \
        stream are still checked.",
    how_to_fix: "Fix the syntax at the reported location. For YAML, check indentation \
        (spaces only, never tabs), unquoted values that contain `: `, and duplicate keys.",
    known_limits: "Helm template text is masked before parsing; a template whose YAML \
        structure only exists after rendering may still fail to parse.",
};

pub static IO_ERROR: RuleMeta = RuleMeta {
    id: "io-error",
    principle: None,
    waf: &[],
    severity: Severity::Error,
    artifacts: &[],
    summary: "file or folder that could not be read",
    what_it_checks: "That every file and folder under the checked paths can be read.",
    why_it_matters: "Files that cannot be read are not checked, so findings may be missing.",
    how_to_fix: "Fix the permissions of the reported path, or exclude it.",
    known_limits: "None.",
};

pub static INTERNAL_ERROR: RuleMeta = RuleMeta {
    id: "internal-error",
    principle: None,
    waf: &[],
    severity: Severity::Error,
    artifacts: &[],
    summary: "rule that failed while checking",
    what_it_checks: "Reports a rule that panicked; the rest of the run goes on.",
    why_it_matters: "The failing rule's findings for the run are missing.",
    how_to_fix: "Report the message and the file to the opslint maintainers.",
    known_limits: "None.",
};

pub static UNUSED_SUPPRESSION: RuleMeta = RuleMeta {
    id: "unused-suppression",
    principle: None,
    waf: &[],
    severity: Severity::Warning,
    artifacts: &[],
    summary: "suppression comment without a reason, for an unknown rule, or that suppresses nothing",
    what_it_checks: "Every `opslint: ignore[rule-id] reason` comment: that it names known rule \
        ids, gives a reason, has a valid `until=YYYY-MM-DD` date when it has one, and still \
        suppresses a finding on its own line or, when the comment stands alone, on the next line. \
        The `opslint-accepts` entries of accepted ADRs are checked as well: each must name a \
        known rule id, and each of its paths must match a file of the run when folders are \
        checked.",
    why_it_matters: "A suppression is a decision the team made about a risk. Without a reason \
        nobody can review the decision later, and a suppression that no longer matches \
        anything hides the next finding that appears on that line.",
    how_to_fix: "Add the reason after the closing bracket, for example \
        `# opslint: ignore[mutable-image-tag] image is rebuilt nightly`, correct the rule \
        id, or delete the comment when the finding is gone.",
    known_limits: "A suppression for a rule that is not selected in the run is not checked \
        for use. After its `until` date a suppression stops suppressing: the \
        finding is reported again and the comment itself is not.",
};

pub static ALL: [&RuleMeta; 4] = [
    &PARSE_ERROR,
    &IO_ERROR,
    &INTERNAL_ERROR,
    &UNUSED_SUPPRESSION,
];
