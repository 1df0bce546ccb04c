//! Terraform files: the resources they declare.

use opslint_syntax::hcl::{Block, Body};

#[derive(Debug)]
pub struct TerraformFile {
    pub body: Body,
}

/// A `resource "TYPE" "NAME"` block.
#[derive(Debug, Clone, Copy)]
pub struct Resource<'a> {
    pub type_name: &'a str,
    pub name: &'a str,
    pub block: &'a Block,
}

impl TerraformFile {
    pub fn new(body: Body) -> Self {
        Self { body }
    }

    pub fn resources(&self) -> impl Iterator<Item = Resource<'_>> {
        self.body
            .blocks("resource")
            .filter(|block| block.labels.len() == 2)
            .map(|block| Resource {
                type_name: &block.labels[0],
                name: &block.labels[1],
                block,
            })
    }

    pub fn resources_of_type<'a>(
        &'a self,
        type_name: &'a str,
    ) -> impl Iterator<Item = Resource<'a>> + 'a {
        self.resources().filter(move |r| r.type_name == type_name)
    }
}

impl Resource<'_> {
    /// The Terraform address, `aws_lambda_function.api`.
    pub fn address(&self) -> String {
        [self.type_name, ".", self.name].concat()
    }
}
