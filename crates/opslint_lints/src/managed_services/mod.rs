//! Rules of the principle "Use managed services".

use crate::Rule;

pub fn rules() -> Vec<&'static dyn Rule> {
    Vec::new()
}
