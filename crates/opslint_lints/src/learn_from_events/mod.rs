//! Rules of the principle "Learn from all operational events and metrics".

use crate::Rule;

pub fn rules() -> Vec<&'static dyn Rule> {
    Vec::new()
}
