//! Dockerfiles: build stages, the base image of each, and the `HEALTHCHECK`
//! that the final image carries after inheritance through `FROM <stage>`.

use opslint_core::Span;
use opslint_syntax::dockerfile::{DockerfileSyntax, Stage};

#[derive(Debug, Default)]
pub struct Dockerfile {
    pub stages: Vec<Stage>,
    /// Global `ARG`s with their defaults, which `FROM` lines may read.
    pub global_args: Vec<(String, Option<String>)>,
    /// False when the file has a syntax error, so an instruction may be
    /// missing from the stages.
    pub complete: bool,
}

/// The health check that a stage's image ends up with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ImageHealthcheck {
    /// A `HEALTHCHECK CMD` in the stage or a stage it builds on.
    Declared(Span),
    /// `HEALTHCHECK NONE`.
    Disabled(Span),
    /// No `HEALTHCHECK` in this file's chain of stages.
    Missing,
}

impl Dockerfile {
    pub fn new(syntax: DockerfileSyntax) -> Self {
        Self {
            complete: syntax.errors.is_empty(),
            stages: syntax.stages,
            global_args: syntax.global_args,
        }
    }

    /// Returns the index of the stage `docker build` produces without `--target`.
    pub fn final_stage(&self) -> Option<usize> {
        self.stages.len().checked_sub(1)
    }

    /// Resolves the health check of stage `index`, following `FROM <alias>`
    /// (or `FROM <index>`) to the earlier stage it builds on.
    pub fn healthcheck(&self, index: usize) -> ImageHealthcheck {
        let mut current = index;
        // Each step moves to an earlier stage, so the loop ends.
        loop {
            let stage = &self.stages[current];
            if let Some(check) = stage.healthcheck {
                return if check.disabled {
                    ImageHealthcheck::Disabled(check.span)
                } else {
                    ImageHealthcheck::Declared(check.span)
                };
            }
            match self.parent_stage(current) {
                Some(parent) => current = parent,
                None => return ImageHealthcheck::Missing,
            }
        }
    }

    /// Returns the earlier stage that stage `index` builds on, if its base names one.
    pub fn parent_stage(&self, index: usize) -> Option<usize> {
        let expanded = self.expand_base(index)?;
        let base = expanded.as_str();
        if let Ok(number) = base.parse::<usize>() {
            return (number < index).then_some(number);
        }
        self.stages[..index].iter().rposition(|stage| {
            stage
                .alias
                .as_deref()
                .is_some_and(|alias| alias.eq_ignore_ascii_case(base))
        })
    }

    /// Checks whether the final image, with the stages it builds on, sets
    /// `CMD` or `ENTRYPOINT`.
    pub fn final_sets_command(&self) -> bool {
        let Some(mut current) = self.final_stage() else {
            return false;
        };
        loop {
            if self.stages[current].sets_command {
                return true;
            }
            match self.parent_stage(current) {
                Some(parent) => current = parent,
                None => return false,
            }
        }
    }

    /// Expands the global `ARG`s that the base of stage `index` reads, using
    /// their defaults. `None` when an argument it reads has no default, so
    /// only `--build-arg` decides the base.
    pub fn expand_base(&self, index: usize) -> Option<String> {
        let mut base = self.stages[index].base.clone();
        for (name, default) in &self.global_args {
            for reference in [format!("${{{name}}}"), format!("${name}")] {
                if base.contains(&reference) {
                    base = base.replace(&reference, default.as_deref()?);
                }
            }
        }
        (!base.contains('$')).then_some(base)
    }

    /// Returns the external image the final stage builds on, after following stages.
    /// Global `ARG` defaults are expanded; a base that reads an argument
    /// without a default is returned as written.
    pub fn final_base_image(&self) -> Option<String> {
        let mut current = self.final_stage()?;
        while let Some(parent) = self.parent_stage(current) {
            current = parent;
        }
        Some(
            self.expand_base(current)
                .unwrap_or_else(|| self.stages[current].base.clone()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opslint_syntax::dockerfile;

    fn dockerfile(text: &str) -> Dockerfile {
        Dockerfile::new(dockerfile::parse(text))
    }

    #[test]
    fn healthcheck_inherited_through_stages() {
        let file = dockerfile(
            "FROM alpine AS base\nHEALTHCHECK CMD true\nFROM golang AS build\nFROM base\nCOPY --from=build /a /a\n",
        );
        assert_eq!(file.final_stage(), Some(2));
        assert!(matches!(file.healthcheck(2), ImageHealthcheck::Declared(_)));
        assert_eq!(file.final_base_image().as_deref(), Some("alpine"));
    }

    #[test]
    fn healthcheck_only_in_build_stage_is_missing() {
        let file = dockerfile("FROM golang AS build\nHEALTHCHECK CMD true\nFROM alpine\n");
        assert_eq!(file.healthcheck(1), ImageHealthcheck::Missing);
    }

    #[test]
    fn healthcheck_follows_arg_default_to_stage() {
        let file = dockerfile(
            "ARG RUNTIME=runtime\nARG OTHER\nFROM alpine AS runtime\nHEALTHCHECK CMD true\nFROM ${RUNTIME}\nFROM $OTHER\n",
        );
        assert!(matches!(file.healthcheck(1), ImageHealthcheck::Declared(_)));
        assert_eq!(file.expand_base(2), None);
        assert_eq!(file.healthcheck(2), ImageHealthcheck::Missing);
    }

    #[test]
    fn healthcheck_none_disables() {
        let file =
            dockerfile("FROM alpine AS base\nHEALTHCHECK CMD true\nFROM base\nHEALTHCHECK NONE\n");
        assert!(matches!(file.healthcheck(1), ImageHealthcheck::Disabled(_)));
    }
}
