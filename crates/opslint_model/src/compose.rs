//! docker-compose files.

use opslint_core::Span;
use opslint_syntax::value::Node;

#[derive(Debug, Default)]
pub struct ComposeFile {
    pub services: Vec<Service>,
}

#[derive(Debug)]
pub struct Service {
    pub name: String,
    pub name_span: Span,
    pub node: Node,
}

impl ComposeFile {
    pub fn from_root(root: Node) -> Self {
        let services = root
            .get("services")
            .and_then(Node::as_map)
            .map(|map| {
                map.entries
                    .iter()
                    .map(|entry| Service {
                        name: entry.key.clone(),
                        name_span: entry.key_span,
                        node: entry.value.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Self { services }
    }
}

impl Service {
    pub fn image(&self) -> Option<&Node> {
        self.node.get("image")
    }

    pub fn builds_image(&self) -> bool {
        self.node.get("build").is_some()
    }
}
