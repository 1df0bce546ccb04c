use crate::{Position, RuleMeta, Severity, SourceFile, Span, fingerprint};

/// How sure a rule is of a finding. Rules report `Certain` findings only;
/// anything that depends on a value the repository does not settle becomes a
/// [`Question`] instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Certainty {
    Certain,
}

impl Certainty {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Certain => "certain",
        }
    }
}

/// A violated rule at one place in one file.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub rule: &'static RuleMeta,
    pub severity: Severity,
    pub certainty: Certainty,
    pub path: String,
    pub span: Span,
    pub start: Position,
    pub end: Position,
    /// Where the finding sits in the artifact's own terms, for example
    /// `Deployment/api/containers/web` or `aws_lambda_function.worker`.
    /// Fingerprints are built from it so they survive line moves.
    pub logical_location: String,
    pub message: String,
    /// Short label under the highlighted span in text output.
    pub label: String,
    pub help: Option<String>,
    pub fingerprint: String,
    /// Set when the finding is suppressed; emitters then report it as
    /// dismissed or leave it out. This field and the next are boxed because
    /// few findings have them, and a large run moves tens of thousands of
    /// findings when it merges and sorts them.
    pub suppression: Option<Box<Suppression>>,
    /// A second place, as a path and a range of 1-based lines, where an
    /// inline suppression comment also applies: the resource block in a
    /// shared Terraform module, for a finding reported at one of the
    /// module's calls.
    pub also_suppressed_at: Option<Box<(String, std::ops::RangeInclusive<usize>)>>,
}

/// Where a suppression came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuppressionKind {
    /// An `opslint: ignore[...]` comment in the file.
    Inline,
    /// A `per-path-ignores` entry of the configuration.
    Config,
    /// A fingerprint recorded in a baseline file.
    Baseline,
    /// An `opslint-accepts` line of an accepted ADR: a known risk.
    Adr,
}

impl SuppressionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Inline => "inline",
            Self::Config => "config",
            Self::Baseline => "baseline",
            Self::Adr => "adr",
        }
    }
}

/// Why a finding is not reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    pub kind: SuppressionKind,
    /// The justification the team wrote; empty when none was given.
    pub reason: String,
    /// Expiry date (`YYYY-MM-DD`) after which the finding returns.
    pub until: Option<String>,
    /// Where the suppression is written, for example `k8s/web.yaml:12`.
    pub source: String,
}

/// A rule result that the repository cannot settle, phrased as the question a
/// reviewer would ask.
#[derive(Debug, Clone)]
pub struct Question {
    /// Stable id, used by teams to answer the question.
    pub id: String,
    pub rule: &'static RuleMeta,
    pub path: String,
    pub span: Span,
    pub start: Position,
    pub logical_location: String,
    pub question: String,
    /// Why the rule could not decide, for example which variable the value
    /// comes from.
    pub reason: String,
}

/// A rule that was checked and holds; the report counts these as strengths.
#[derive(Debug, Clone)]
pub struct Evidence {
    pub rule: &'static RuleMeta,
    pub path: String,
    pub logical_location: String,
}

/// Collects the three kinds of rule results.
#[derive(Debug, Default)]
pub struct Sink {
    pub diagnostics: Vec<Diagnostic>,
    pub questions: Vec<Question>,
    pub evidence: Vec<Evidence>,
    /// Set when [`Sink::holds`] records nothing.
    drops_evidence: bool,
}

/// Returns `text` with its first letter in upper case, since a question is
/// a sentence of its own in every output.
fn sentence_case(mut text: String) -> String {
    if let Some(first) = text.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    text
}

impl Sink {
    pub fn new() -> Self {
        Self::default()
    }

    /// Creates a sink whose [`Sink::holds`] records nothing, for a run whose
    /// output shows no evidence. A check of 20,000 files made 32,000 such
    /// records, which were then merged, sorted and dropped.
    pub fn without_evidence() -> Self {
        Self {
            drops_evidence: true,
            ..Self::default()
        }
    }

    /// Records a violation and returns it so the caller can add a help text.
    pub fn violation(
        &mut self,
        rule: &'static RuleMeta,
        file: &SourceFile,
        span: Span,
        logical_location: impl Into<String>,
        message: impl Into<String>,
        label: impl Into<String>,
    ) -> &mut Diagnostic {
        let logical_location = logical_location.into();
        let fingerprint = fingerprint(&[rule.id, file.identity_path(), &logical_location]);
        self.diagnostics.push(Diagnostic {
            rule,
            severity: rule.severity,
            certainty: Certainty::Certain,
            path: file.path.clone(),
            span,
            start: file.position(span.start),
            end: file.position(span.end),
            logical_location,
            message: message.into(),
            label: label.into(),
            help: None,
            fingerprint,
            suppression: None,
            also_suppressed_at: None,
        });
        let last = self.diagnostics.len() - 1;
        &mut self.diagnostics[last]
    }

    pub fn unclear(
        &mut self,
        rule: &'static RuleMeta,
        file: &SourceFile,
        span: Span,
        logical_location: impl Into<String>,
        question: impl Into<String>,
        reason: impl Into<String>,
    ) {
        let logical_location = logical_location.into();
        let id = format!(
            "q-{}",
            &fingerprint(&[rule.id, file.identity_path(), &logical_location])[..12]
        );
        self.questions.push(Question {
            id,
            rule,
            path: file.path.clone(),
            span,
            start: file.position(span.start),
            logical_location,
            question: sentence_case(question.into()),
            reason: reason.into(),
        });
    }

    pub fn holds(
        &mut self,
        rule: &'static RuleMeta,
        file: &SourceFile,
        logical_location: impl Into<String>,
    ) {
        if self.drops_evidence {
            return;
        }
        self.evidence.push(Evidence {
            rule,
            path: file.path.clone(),
            logical_location: logical_location.into(),
        });
    }

    /// Records a check that holds, as [`Sink::holds`] does, but formats the
    /// location only when the sink keeps evidence. A check run keeps none,
    /// so rules that check every object of a large repository skip the work.
    pub fn holds_with(
        &mut self,
        rule: &'static RuleMeta,
        file: &SourceFile,
        logical_location: impl FnOnce() -> String,
    ) {
        if !self.drops_evidence {
            self.holds(rule, file, logical_location());
        }
    }

    pub fn extend(&mut self, other: Sink) {
        self.diagnostics.extend(other.diagnostics);
        self.questions.extend(other.questions);
        self.evidence.extend(other.evidence);
    }

    /// Moves the results of every sink in `others` into this one, growing
    /// each list once. Growing by doubling copied tens of thousands of
    /// findings several times.
    pub fn merge(&mut self, others: impl IntoIterator<Item = Sink>) {
        let others: Vec<Sink> = others.into_iter().collect();
        self.diagnostics
            .reserve(others.iter().map(|s| s.diagnostics.len()).sum());
        self.questions
            .reserve(others.iter().map(|s| s.questions.len()).sum());
        self.evidence
            .reserve(others.iter().map(|s| s.evidence.len()).sum());
        for other in others {
            self.extend(other);
        }
    }

    /// Sorts every list by path, line, column and rule id so output does not
    /// depend on thread scheduling, and makes fingerprints of findings that
    /// share a logical location unique by numbering the repeats in order.
    pub fn sort(&mut self) {
        // Findings and questions are sorted at the same time, since moving
        // the findings into order and numbering their repeats keep one
        // thread busy.
        let (diagnostics, questions) = (&mut self.diagnostics, &mut self.questions);
        rayon::join(
            || sort_diagnostics(diagnostics),
            || {
                sort_stable(questions, |a, b| {
                    (&a.path, a.start.line, a.start.column, a.rule.id).cmp(&(
                        &b.path,
                        b.start.line,
                        b.start.column,
                        b.rule.id,
                    ))
                });
                questions.dedup_by(|a, b| a.id == b.id && a.question == b.question);
            },
        );
        sort_stable(&mut self.evidence, |a, b| {
            (&a.path, &a.logical_location, a.rule.id).cmp(&(
                &b.path,
                &b.logical_location,
                b.rule.id,
            ))
        });
    }
}

/// Sorts findings by path, line, column, rule id and message, and numbers
/// the repeats of a fingerprint within a file (see [`Sink::sort`]).
fn sort_diagnostics(diagnostics: &mut [Diagnostic]) {
    sort_stable(diagnostics, |a, b| {
        (&a.path, a.start.line, a.start.column, a.rule.id, &a.message).cmp(&(
            &b.path,
            b.start.line,
            b.start.column,
            b.rule.id,
            &b.message,
        ))
    });
    for (index, count) in repeated_fingerprints(diagnostics) {
        let diagnostic = &mut diagnostics[index];
        diagnostic.fingerprint = fingerprint(&[&diagnostic.fingerprint, &count.to_string()]);
    }
}

/// Returns the position of each finding that repeats the fingerprint of an
/// earlier finding in the same file, with the number of earlier ones. A
/// fingerprint hashes the path, so repeats sit in one path's run of the
/// sorted list. A run contains a few findings, so each is compared with the
/// ones before it, and a hash map is only built for a long run.
fn repeated_fingerprints(diagnostics: &[Diagnostic]) -> Vec<(usize, usize)> {
    const SHORT_RUN: usize = 32;
    let mut repeats = Vec::new();
    let mut start = 0;
    while start < diagnostics.len() {
        let path = &diagnostics[start].path;
        let end = start
            + diagnostics[start..]
                .iter()
                .position(|d| d.path != *path)
                .unwrap_or(diagnostics.len() - start);
        let run = &diagnostics[start..end];
        if run.len() <= SHORT_RUN {
            for (offset, diagnostic) in run.iter().enumerate() {
                let earlier = run[..offset]
                    .iter()
                    .filter(|d| d.fingerprint == diagnostic.fingerprint)
                    .count();
                if earlier > 0 {
                    repeats.push((start + offset, earlier));
                }
            }
        } else {
            let mut seen = std::collections::HashMap::<&str, usize>::new();
            for (offset, diagnostic) in run.iter().enumerate() {
                let count = seen.entry(diagnostic.fingerprint.as_str()).or_insert(0);
                if *count > 0 {
                    repeats.push((start + offset, *count));
                }
                *count += 1;
            }
        }
        start = end;
    }
    repeats
}

/// Sorts `list` stably by `compare`. A list already in order, as after a
/// second sort, is only checked. Otherwise positions are sorted on every
/// core and the elements are then put in place by swaps along the cycles of
/// the permutation. Findings are a few hundred bytes: moving them through
/// every round of a merge sort, or into a new list, took longer than the
/// comparisons.
fn sort_stable<T: Send + Sync>(
    list: &mut [T],
    compare: impl Fn(&T, &T) -> std::cmp::Ordering + Sync,
) {
    use rayon::slice::ParallelSliceMut;
    if list.is_sorted_by(|a, b| compare(a, b) != std::cmp::Ordering::Greater) {
        return;
    }
    let mut order: Vec<usize> = (0..list.len()).collect();
    order.par_sort_by(|&a, &b| compare(&list[a], &list[b]));
    // `order[i]` is where the element that belongs at `i` is now. Placing
    // an element marks its slot done by pointing it at itself.
    for start in 0..list.len() {
        let mut current = start;
        while order[current] != start {
            let source = order[current];
            list.swap(current, source);
            order[current] = current;
            current = source;
        }
        order[current] = current;
    }
}

#[cfg(test)]
mod tests {
    use super::{Sink, sort_stable};
    use crate::{SourceFile, Span};

    #[test]
    fn sort_stable_orders_and_keeps_ties_in_place() {
        let mut list = vec![(3, 'a'), (1, 'b'), (3, 'c'), (2, 'd'), (1, 'e')];
        sort_stable(&mut list, |a, b| a.0.cmp(&b.0));
        assert_eq!(list, [(1, 'b'), (1, 'e'), (2, 'd'), (3, 'a'), (3, 'c')]);
        let sorted = list.clone();
        sort_stable(&mut list, |a, b| a.0.cmp(&b.0));
        assert_eq!(list, sorted);
    }

    #[test]
    fn sink_without_evidence_drops_holds() {
        let file = SourceFile::new(
            "k8s/web.yaml".into(),
            std::path::PathBuf::from("k8s/web.yaml"),
            "kind: Pod\n".into(),
        );
        let mut kept = Sink::new();
        kept.holds(&crate::tool_rules::PARSE_ERROR, &file, "Pod/web");
        assert_eq!(kept.evidence.len(), 1);
        let mut dropped = Sink::without_evidence();
        dropped.holds(&crate::tool_rules::PARSE_ERROR, &file, "Pod/web");
        assert!(dropped.evidence.is_empty());
    }

    #[test]
    fn repeated_locations_get_distinct_fingerprints() {
        // `a.yaml` has a short run, `b.yaml` a run longer than the one
        // compared pairwise. Both contain findings at two logical locations.
        let file_a = SourceFile::new("a.yaml".into(), "a.yaml".into(), "x\n".repeat(80));
        let file_b = SourceFile::new("b.yaml".into(), "b.yaml".into(), "x\n".repeat(80));
        let mut sink = Sink::new();
        let rule = &crate::tool_rules::PARSE_ERROR;
        for (file, count) in [(&file_b, 40), (&file_a, 3)] {
            for line in (0..count).rev() {
                let at = line * 2;
                let location = if line % 2 == 0 { "same" } else { "other" };
                sink.violation(rule, file, Span::new(at, at + 1), location, "m", "l");
            }
        }
        // Fingerprints before sorting, by path and line: the findings were
        // added out of order, so sorting moves them.
        let before: std::collections::HashMap<(String, usize), String> = sink
            .diagnostics
            .iter()
            .map(|d| ((d.path.clone(), d.start.line), d.fingerprint.clone()))
            .collect();

        sink.sort();

        let after: Vec<&str> = sink
            .diagnostics
            .iter()
            .map(|d| d.fingerprint.as_str())
            .collect();
        let unique: std::collections::HashSet<&str> = after.iter().copied().collect();
        assert_eq!(unique.len(), after.len(), "every fingerprint is distinct");

        // The first finding at each location of each file keeps its
        // fingerprint, and each later one is numbered in order.
        for (index, diagnostic) in sink.diagnostics.iter().enumerate() {
            let earlier = sink.diagnostics[..index]
                .iter()
                .filter(|d| {
                    d.path == diagnostic.path && d.logical_location == diagnostic.logical_location
                })
                .count();
            let original = &before[&(diagnostic.path.clone(), diagnostic.start.line)];
            let expected = if earlier == 0 {
                original.clone()
            } else {
                crate::fingerprint(&[original, &earlier.to_string()])
            };
            assert_eq!(diagnostic.fingerprint, expected, "finding {index}");
        }

        // Sorting again changes nothing.
        let sorted: Vec<String> = sink
            .diagnostics
            .iter()
            .map(|d| d.fingerprint.clone())
            .collect();
        sink.sort();
        let again: Vec<String> = sink
            .diagnostics
            .iter()
            .map(|d| d.fingerprint.clone())
            .collect();
        assert_eq!(again, sorted);
    }

    #[test]
    fn sort_stable_follows_every_cycle() {
        // Two cycles of length three and a fixed point, reversed order of keys.
        let mut list: Vec<u32> = vec![5, 3, 4, 0, 6, 1, 2];
        sort_stable(&mut list, Ord::cmp);
        assert_eq!(list, [0, 1, 2, 3, 4, 5, 6]);
        let mut list: Vec<u32> = (0..100).rev().collect();
        sort_stable(&mut list, Ord::cmp);
        assert_eq!(list, (0..100).collect::<Vec<_>>());
    }
}
