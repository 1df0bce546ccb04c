//! Rules of the principle "Use managed services".

pub mod self_managed_datastore;

use crate::Rule;

pub fn rules() -> Vec<&'static dyn Rule> {
    vec![&self_managed_datastore::SelfManagedDatastore]
}
