//! The artifact that a rule on this thread is looking at, so that a panic
//! in the rule can be reported at the file that triggered it.
//!
//! The [`Workspace`](crate::Workspace) iterators (`kubernetes()`,
//! `terraform()`, ...) record each artifact they yield. A rule runs on one
//! thread from start to end, so the pipeline reads the record on the thread
//! that caught the panic.
//!
//! [`Workspace::all`](crate::Workspace::all) records every artifact it
//! yields too. Looking an artifact up by path records nothing: a panic then
//! names the artifact of the enclosing loop.

use std::cell::Cell;

use crate::{Artifact, Workspace};

thread_local! {
    /// The address of the current artifact, 0 for none. An address needs
    /// neither a reference count nor a lock, so recording one costs a store.
    /// It is turned back into the artifact only after a panic.
    static CURRENT: Cell<usize> = const { Cell::new(0) };
}

fn address(artifact: &Artifact) -> usize {
    std::ptr::from_ref(artifact) as usize
}

/// Clears the record. The pipeline calls it before each rule.
pub fn clear() {
    CURRENT.set(0);
}

/// Takes the artifact of `workspace` recorded last on this thread.
pub fn take(workspace: &Workspace) -> Option<&Artifact> {
    let recorded = CURRENT.replace(0);
    if recorded == 0 {
        return None;
    }
    workspace
        .artifacts
        .iter()
        .find(|artifact| address(artifact) == recorded)
}

/// Wraps an iterator over artifacts so that each artifact it yields becomes
/// the current one. When the iterator ends or is dropped, the artifact of an
/// enclosing loop becomes current again, except while a panic unwinds, so the
/// record still names the artifact that was current when the rule panicked.
pub(crate) fn tracked<'a, T, I>(inner: I) -> Tracked<I>
where
    I: Iterator<Item = (&'a Artifact, T)>,
{
    Tracked {
        inner,
        outer: CURRENT.get(),
    }
}

pub(crate) struct Tracked<I> {
    inner: I,
    /// The record when the iterator was created.
    outer: usize,
}

impl<'a, T, I> Iterator for Tracked<I>
where
    I: Iterator<Item = (&'a Artifact, T)>,
{
    type Item = (&'a Artifact, T);

    fn next(&mut self) -> Option<Self::Item> {
        match self.inner.next() {
            Some((artifact, facts)) => {
                CURRENT.set(address(artifact));
                Some((artifact, facts))
            }
            None => {
                CURRENT.set(self.outer);
                None
            }
        }
    }
}

impl<I> Drop for Tracked<I> {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            CURRENT.set(self.outer);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::sync::Arc;

    use opslint_core::{ArtifactKind, SourceFile};

    use super::*;
    use crate::{Facts, Workspace};

    fn artifact(path: &str) -> Artifact {
        Artifact {
            file: Arc::new(SourceFile::new(
                path.into(),
                PathBuf::from(path),
                String::new(),
            )),
            kind: ArtifactKind::Markdown,
            facts: Facts::None,
        }
    }

    #[test]
    fn all_records_current_file() {
        let workspace = Workspace::new(vec![artifact("b.md"), artifact("a.md")]);
        clear();
        let mut seen = Vec::new();
        for artifact in workspace.all() {
            let current = CURRENT.get();
            let current = workspace.artifacts.iter().find(|a| address(a) == current);
            seen.push((
                artifact.file.path.clone(),
                current.map(|a| a.file.path.clone()),
            ));
        }
        assert_eq!(
            seen,
            [
                ("a.md".to_string(), Some("a.md".to_string())),
                ("b.md".to_string(), Some("b.md".to_string())),
            ]
        );
        assert!(
            take(&workspace).is_none(),
            "the record is restored after the loop"
        );
    }
}
