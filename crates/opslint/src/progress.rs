//! The progress bar on standard error. It stays hidden for the first
//! `delay`, so runs on a few files (a pre-commit hook, an editor) never draw
//! it, and the caller creates it only when standard error is a terminal.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Delay before the bar appears, unless `OPSLINT_PROGRESS_DELAY_MS` sets
/// another one.
pub const DEFAULT_DELAY: Duration = Duration::from_millis(500);

#[derive(Debug, Clone)]
pub struct Progress {
    bar: ProgressBar,
    delay: Duration,
    drawn: Arc<AtomicBool>,
}

impl Progress {
    /// A hidden bar that draws itself after `delay`; plain characters
    /// without colour when `color` is false (for `NO_COLOR`).
    pub fn new(delay: Duration, color: bool) -> Self {
        let template = if color {
            "{spinner:.cyan} {msg:8} [{bar:30.cyan/blue}] {pos}/{len} {elapsed}"
        } else {
            "{spinner} {msg:8} [{bar:30}] {pos}/{len} {elapsed}"
        };
        #[expect(
            clippy::expect_used,
            reason = "both templates are constants, and a unit test builds each of them"
        )]
        let style = ProgressStyle::with_template(template)
            .expect("the template is valid")
            .progress_chars("=> ");
        Self {
            bar: ProgressBar::hidden().with_style(style),
            delay,
            drawn: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Starts a phase of `len` steps, for example `files` or `rules`.
    pub fn start(&self, phase: &'static str, len: usize) {
        self.bar.set_message(phase);
        self.bar.set_length(len as u64);
        self.bar.set_position(0);
    }

    /// Counts one finished step and draws the bar once the delay has passed.
    pub fn advance(&self) {
        self.bar.inc(1);
        if !self.drawn.load(Ordering::Relaxed)
            && self.bar.elapsed() >= self.delay
            && !self.drawn.swap(true, Ordering::Relaxed)
        {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
    }

    /// Removes the bar from the terminal.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_templates_parse() {
        // `Progress::new` would panic on an invalid template.
        let _colored = Progress::new(Duration::from_secs(1), true);
        let _plain = Progress::new(Duration::from_secs(1), false);
    }
}
