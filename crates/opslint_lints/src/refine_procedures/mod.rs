//! Rules of the principle "Refine operations procedures frequently".

use crate::Rule;

pub fn rules() -> Vec<&'static dyn Rule> {
    Vec::new()
}
