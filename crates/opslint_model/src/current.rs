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

use std::cell::RefCell;
use std::sync::Arc;

use opslint_core::SourceFile;

use crate::Artifact;

thread_local! {
    static CURRENT: RefCell<Option<Arc<SourceFile>>> = const { RefCell::new(None) };
}

/// Clears the record. The pipeline calls it before each rule.
pub fn clear() {
    CURRENT.with(|current| current.borrow_mut().take());
}

/// Takes the file of the artifact recorded last on this thread.
pub fn take() -> Option<Arc<SourceFile>> {
    CURRENT.with(|current| current.borrow_mut().take())
}

fn replace(file: Option<Arc<SourceFile>>) -> Option<Arc<SourceFile>> {
    CURRENT.with(|current| std::mem::replace(&mut *current.borrow_mut(), file))
}

/// Wraps an iterator over artifacts so that each artifact it yields becomes
/// the current one. When the iterator ends or is dropped, the artifact of an
/// enclosing loop becomes current again, except while a panic unwinds, so the
/// record still names the artifact that was current when the rule panicked.
pub(crate) fn tracked<'a, T, I>(inner: I) -> Tracked<I>
where
    I: Iterator<Item = (&'a Artifact, T)>,
{
    let outer = CURRENT.with(|current| current.borrow().clone());
    Tracked { inner, outer }
}

pub(crate) struct Tracked<I> {
    inner: I,
    /// The artifact that was current when the iterator was created.
    outer: Option<Arc<SourceFile>>,
}

impl<'a, T, I> Iterator for Tracked<I>
where
    I: Iterator<Item = (&'a Artifact, T)>,
{
    type Item = (&'a Artifact, T);

    fn next(&mut self) -> Option<Self::Item> {
        match self.inner.next() {
            Some((artifact, facts)) => {
                replace(Some(Arc::clone(&artifact.file)));
                Some((artifact, facts))
            }
            None => {
                replace(self.outer.clone());
                None
            }
        }
    }
}

impl<I> Drop for Tracked<I> {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            replace(self.outer.take());
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use opslint_core::ArtifactKind;

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
            let current = CURRENT.with(|current| current.borrow().clone());
            seen.push((
                artifact.file.path.clone(),
                current.map(|file| file.path.clone()),
            ));
        }
        assert_eq!(
            seen,
            [
                ("a.md".to_string(), Some("a.md".to_string())),
                ("b.md".to_string(), Some("b.md".to_string())),
            ]
        );
        assert!(take().is_none(), "the record is restored after the loop");
    }
}
