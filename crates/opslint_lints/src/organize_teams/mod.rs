//! Rules of the principle "Organize teams around business outcomes".

pub mod codeowners_missing;
pub mod codeowners_unowned_path;

use crate::Rule;

pub fn rules() -> Vec<&'static dyn Rule> {
    vec![
        &codeowners_missing::CodeownersMissing,
        &codeowners_unowned_path::CodeownersUnownedPath,
    ]
}
