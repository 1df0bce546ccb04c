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

pub static INVALID_SUPPRESSION: RuleMeta = RuleMeta {
    id: "invalid-suppression",
    principle: None,
    waf: &[],
    severity: Severity::Warning,
    artifacts: &[],
    summary: "suppression comment or ADR acceptance without a reason, for an unknown rule, or with an invalid date",
    what_it_checks: "Every `opslint: ignore[rule-id] reason` comment: that it names rule ids, \
        that they are known, that it gives a reason and that its `until=YYYY-MM-DD` date, when \
        it has one, is a valid date. The `opslint-accepts` entries of accepted ADRs must name \
        known rule ids as well.",
    why_it_matters: "A suppression is a decision the team made about a risk. Without a reason \
        nobody can review the decision later, and a misspelt rule id suppresses nothing while \
        looking as if it did.",
    how_to_fix: "Add the reason after the closing bracket, for example \
        `# opslint: ignore[mutable-image-tag] image is rebuilt nightly`, correct the rule \
        id, or write the date as `until=2027-03-31`.",
    known_limits: "A suppression without a reason still hides its finding: the missing \
        reason is reported, not the finding.",
};

pub static UNUSED_SUPPRESSION: RuleMeta = RuleMeta {
    id: "unused-suppression",
    principle: None,
    waf: &[],
    severity: Severity::Warning,
    artifacts: &[],
    summary: "suppression comment or ADR acceptance that matches no finding or file",
    what_it_checks: "Every `opslint: ignore[rule-id]` comment with known rule ids: that it \
        still suppresses a finding on its own line or, when the comment stands alone, on the \
        next line (`ignore-file` anywhere in the file). Each path of an `opslint-accepts` \
        entry of an accepted ADR must match a file of the run when folders are checked. \
        Comments with faults of their own are reported as `invalid-suppression` instead.",
    why_it_matters: "A suppression that no longer matches anything hides the next finding \
        that appears on that line, without anyone deciding about it.",
    how_to_fix: "Delete the comment when the finding is gone, or move it to the line of the \
        finding or the line above.",
    known_limits: "A suppression for a rule that is not selected in the run is not checked \
        for use. After its `until` date a suppression stops suppressing: the \
        finding is reported again and the comment itself is not.",
};

pub static ALL: [&RuleMeta; 5] = [
    &PARSE_ERROR,
    &IO_ERROR,
    &INTERNAL_ERROR,
    &INVALID_SUPPRESSION,
    &UNUSED_SUPPRESSION,
];
