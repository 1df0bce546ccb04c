//! Rules of the principle "Organize teams around business outcomes".

use crate::Rule;

pub fn rules() -> Vec<&'static dyn Rule> {
    Vec::new()
}
