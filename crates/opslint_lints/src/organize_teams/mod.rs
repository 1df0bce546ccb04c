//! Rules of the principle "Organize teams around business outcomes".

pub mod codeowners_missing;
pub mod codeowners_unowned_path;
pub mod resource_missing_owner_tags;

use crate::Rule;

pub fn rules() -> Vec<&'static dyn Rule> {
    vec![
        &resource_missing_owner_tags::ResourceMissingOwnerTags,
        &codeowners_missing::CodeownersMissing,
        &codeowners_unowned_path::CodeownersUnownedPath,
    ]
}
