//! Rules of the principle "Organize teams around business outcomes".

pub mod resource_missing_owner_tags;

use crate::Rule;

pub fn rules() -> Vec<&'static dyn Rule> {
    vec![&resource_missing_owner_tags::ResourceMissingOwnerTags]
}
