//! CloudFormation and SAM templates, in YAML or JSON.

use opslint_core::Span;
use opslint_syntax::value::{Node, Value};

#[derive(Debug)]
pub struct Template {
    pub resources: Vec<Resource>,
    /// The SAM `Globals` section.
    pub globals: Option<Node>,
    /// The rest of the template (`Parameters`, `Mappings`, `Outputs`, ...).
    /// Its `Resources` and `Globals` are null, because they were moved into
    /// `resources` and `globals` instead of copied.
    pub root: Node,
}

#[derive(Debug)]
pub struct Resource {
    pub logical_id: String,
    /// Span of the logical id key.
    pub id_span: Span,
    pub type_name: String,
    pub node: Node,
}

/// Takes the value of the top-level `key` out of `root`, leaving null in
/// its place.
fn take_section(root: &mut Node, key: &str) -> Option<Node> {
    let Value::Map(map) = &mut root.value else {
        return None;
    };
    let entry = map.entries.iter_mut().find(|entry| entry.key == key)?;
    let span = entry.value.span;
    Some(std::mem::replace(
        &mut entry.value,
        Node::new(Value::Null, span),
    ))
}

/// An API that SAM creates for function events (see
/// [`Template::implicit_apis`]). Its settings come from `Globals`.
#[derive(Debug, Clone, Copy)]
pub struct ImplicitApi<'a> {
    /// `ServerlessRestApi` or `ServerlessHttpApi`.
    pub logical_id: &'static str,
    /// `Api` or `HttpApi`: the event type, and the `Globals` section that
    /// configures the API.
    pub section: &'static str,
    /// The function with the first event that creates the API.
    pub function: &'a Resource,
    /// That event's name.
    pub event: &'a str,
    /// Span of that event's `Type` value.
    pub span: Span,
}

/// What a property value is once intrinsic functions are recognised.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CfnValue<'a> {
    Literal(&'a str),
    /// An intrinsic function (`Ref`, `Fn::If`, `!Sub`, ...) whose result
    /// depends on parameters, conditions or other resources.
    Intrinsic(&'a str, &'a Node),
    /// A mapping, sequence or null.
    Structure(&'a Node),
}

impl Template {
    pub fn from_root(mut root: Node) -> Self {
        let mut resources = Vec::new();
        if let Some(Value::Map(map)) = take_section(&mut root, "Resources").map(|node| node.value) {
            for entry in map.entries.into_vec() {
                // NOTE: a resource whose `Properties` is a list or a scalar is
                // invalid CloudFormation; it is left out rather than read as
                // having no properties.
                let properties = entry.value.get("Properties");
                if properties
                    .is_some_and(|p| !p.is_null() && p.as_map().is_none() && !is_intrinsic(p))
                {
                    continue;
                }
                let type_name = entry
                    .value
                    .get("Type")
                    .and_then(Node::as_str)
                    .unwrap_or("")
                    .to_string();
                resources.push(Resource {
                    logical_id: entry.key.to_string(),
                    id_span: entry.key_span,
                    type_name,
                    node: entry.value,
                });
            }
        }
        let globals = take_section(&mut root, "Globals");
        Self {
            resources,
            globals,
            root,
        }
    }

    pub fn resources_of_type<'a>(
        &'a self,
        type_name: &'a str,
    ) -> impl Iterator<Item = &'a Resource> + 'a {
        self.resources
            .iter()
            .filter(move |r| r.type_name == type_name)
    }

    /// Replaces a `Ref` to a template parameter that has a `Default` with
    /// that default, and returns the parameter's name with it. Any other
    /// value comes back unchanged with `None`.
    pub fn resolve<'a>(&'a self, node: &'a Node) -> (&'a Node, Option<&'a str>) {
        let name = match (&node.value, node.tag()) {
            (Value::Scalar(scalar), Some("!Ref")) => Some(scalar.text.as_str()),
            (Value::Map(map), None) if map.entries.len() == 1 && map.entries[0].key == "Ref" => {
                map.entries[0].value.as_str()
            }
            _ => None,
        };
        let default = name.and_then(|name| {
            self.root
                .at(&["Parameters", name, "Default"])
                .map(|default| (default, name))
        });
        match default {
            Some((default, name)) => (default, Some(name)),
            None => (node, None),
        }
    }

    /// Returns every literal that a value can take: the value itself when
    /// it is a literal, the branches of `Fn::If` and the entries of
    /// `Fn::FindInMap` that the template's `Mappings` list, followed
    /// through parameter defaults. `None` when some branch is not a
    /// literal, such as `AWS::NoValue` or a parameter without a default.
    pub fn possible_literals<'a>(&'a self, node: &'a Node) -> Option<Vec<&'a str>> {
        self.possible_literals_at(node, 0)
    }

    fn possible_literals_at<'a>(&'a self, node: &'a Node, depth: usize) -> Option<Vec<&'a str>> {
        if depth > 8 {
            return None;
        }
        let (node, _) = self.resolve(node);
        let (function, arguments) = match value(node) {
            CfnValue::Literal(text) => return Some(vec![text]),
            CfnValue::Intrinsic(function, node) => (function, intrinsic_arguments(node)?),
            CfnValue::Structure(_) => return None,
        };
        match (function, arguments) {
            ("If", [_, when_true, when_false]) => {
                let mut literals = self.possible_literals_at(when_true, depth + 1)?;
                literals.extend(self.possible_literals_at(when_false, depth + 1)?);
                Some(literals)
            }
            ("FindInMap", [map, first, second]) => {
                let map = self.root.at(&["Mappings", map.as_str()?])?.as_map()?;
                let second = second.as_str()?;
                // A first key that is not a literal may pick any entry.
                let entries: Vec<&Node> = match first.as_str().filter(|_| first.tag.is_none()) {
                    Some(key) => vec![map.get(key)?],
                    None => map.entries.iter().map(|entry| &entry.value).collect(),
                };
                let mut literals = Vec::new();
                for entry in entries {
                    literals.extend(self.possible_literals_at(entry.get(second)?, depth + 1)?);
                }
                Some(literals)
            }
            _ => None,
        }
    }

    /// Lists the APIs that SAM creates without a resource in the template:
    /// `ServerlessRestApi` for the `Api` events of functions that name no
    /// `RestApiId`, and `ServerlessHttpApi` for `HttpApi` events without an
    /// `ApiId`. Each is given with the first event that creates it.
    pub fn implicit_apis(&self) -> Vec<ImplicitApi<'_>> {
        let mut apis: Vec<ImplicitApi<'_>> = Vec::new();
        for function in self.resources_of_type("AWS::Serverless::Function") {
            let Some(events) = function.property(&["Events"]).and_then(Node::as_map) else {
                continue;
            };
            for event in &events.entries {
                let Some(type_node) = event.value.get("Type") else {
                    continue;
                };
                let (logical_id, section, api_key) = match type_node.as_str() {
                    Some("Api") => ("ServerlessRestApi", "Api", "RestApiId"),
                    Some("HttpApi") => ("ServerlessHttpApi", "HttpApi", "ApiId"),
                    _ => continue,
                };
                let names_api = event.value.at(&["Properties", api_key]).is_some();
                let defined = self.resources.iter().any(|r| r.logical_id == logical_id);
                if names_api || defined || apis.iter().any(|api| api.logical_id == logical_id) {
                    continue;
                }
                apis.push(ImplicitApi {
                    logical_id,
                    section,
                    function,
                    event: event.key.as_str(),
                    span: type_node.span,
                });
            }
        }
        apis
    }

    /// A SAM `Globals` property for resources of `section`
    /// (`Function`, `Api`, ...).
    pub fn global(&self, section: &str, property: &str) -> Option<&Node> {
        self.globals.as_ref()?.at(&[section, property])
    }
}

impl Resource {
    pub fn properties(&self) -> Option<&Node> {
        self.node.get("Properties")
    }

    /// Follows `path` through the properties. When an intrinsic function
    /// (`!If`, `Fn::If`, ...) sits on the way, that function's node is
    /// returned instead: the property may exist, so it is unknown, not
    /// missing.
    pub fn property(&self, path: &[&str]) -> Option<&Node> {
        let mut node = self.properties()?;
        for key in path {
            if is_intrinsic(node) {
                return Some(node);
            }
            node = node.get(key)?;
        }
        Some(node)
    }

    /// Span of the `Type` value, which is where findings about the whole
    /// resource point when the logical id key is not wanted.
    pub fn type_span(&self) -> Span {
        self.node.get("Type").map_or(self.id_span, |n| n.span)
    }
}

/// Classifies a property value, recognising both the YAML short form
/// (`!Ref X`) and the JSON long form (`{"Ref": "X"}`, `{"Fn::If": [...]}`).
pub fn value(node: &Node) -> CfnValue<'_> {
    if let Some(tag) = node.tag() {
        return CfnValue::Intrinsic(tag.trim_start_matches('!'), node);
    }
    match &node.value {
        Value::Scalar(scalar) => CfnValue::Literal(&scalar.text),
        Value::Map(map) if map.entries.len() == 1 => {
            let key = map.entries[0].key.as_str();
            if key == "Ref" || key == "Condition" || key.starts_with("Fn::") {
                CfnValue::Intrinsic(key.trim_start_matches("Fn::"), node)
            } else {
                CfnValue::Structure(node)
            }
        }
        _ => CfnValue::Structure(node),
    }
}

/// Returns the argument list of an intrinsic function in either form:
/// `!If [a, b, c]` or `{"Fn::If": [a, b, c]}`.
fn intrinsic_arguments(node: &Node) -> Option<&[Node]> {
    if node.tag.is_some() {
        return node.as_seq();
    }
    node.as_map()?.entries.first()?.value.as_seq()
}

/// Whether a node is an intrinsic function call in either form.
pub fn is_intrinsic(node: &Node) -> bool {
    matches!(value(node), CfnValue::Intrinsic(..))
}

/// The parameters, resources and pseudo parameters an intrinsic value reads,
/// for naming them in a question.
pub fn references(node: &Node) -> Vec<String> {
    let mut found = Vec::new();
    collect_references(node, &mut found);
    found.dedup();
    found
}

fn collect_references(node: &Node, found: &mut Vec<String>) {
    match (&node.value, node.tag()) {
        (Value::Scalar(scalar), Some("!Ref")) => found.push(scalar.text.to_string()),
        (Value::Seq(items), Some("!If")) => push_condition(items, found),
        (_, Some("!Sub")) => push_substitutions(&node.value, found),
        _ => {}
    }
    match &node.value {
        Value::Map(map) => {
            for entry in &map.entries {
                match (entry.key.as_str(), &entry.value.value) {
                    ("Ref", Value::Scalar(scalar)) => found.push(scalar.text.to_string()),
                    ("Fn::If", Value::Seq(items)) => push_condition(items, found),
                    ("Fn::Sub", value) => push_substitutions(value, found),
                    _ => {}
                }
                collect_references(&entry.value, found);
            }
        }
        Value::Seq(items) => {
            for item in items {
                collect_references(item, found);
            }
        }
        _ => {}
    }
}

/// Returns the template text of a `Sub` value, in the short form
/// (`!Sub "${Env}-api"`) or the long form with a string.
pub fn sub_text(node: &Node) -> Option<&str> {
    match (&node.value, node.tag()) {
        (Value::Scalar(scalar), Some("!Sub")) => Some(&scalar.text),
        (Value::Map(map), None) if map.entries.len() == 1 && map.entries[0].key == "Fn::Sub" => {
            match &map.entries[0].value.value {
                Value::Scalar(scalar) => Some(&scalar.text),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Returns the repository name of an image written with `Sub` when only
/// the registry or the tag is substituted, as `fulfilment-api` in
/// `!Sub "${AWS::AccountId}.dkr.ecr.${AWS::Region}.amazonaws.com/fulfilment-api:${ImageTag}"`.
pub fn sub_image_name(node: &Node) -> Option<&str> {
    let text = sub_text(node)?;
    let last = text.rsplit('/').next()?;
    let name = last.split([':', '@']).next()?;
    (!name.is_empty() && !name.contains("${") && !name.contains('}')).then_some(name)
}

/// Names the parameters and resources that a `Sub` string reads, as in
/// `${ImageTag}` or `${Repository.RepositoryUri}`. Pseudo parameters
/// (`${AWS::Region}`), escaped `${!Literal}` text and the variables that
/// the list form defines itself are left out.
fn push_substitutions(value: &Value, found: &mut Vec<String>) {
    let (template, defined) = match value {
        Value::Scalar(scalar) => (scalar.text.as_str(), None),
        Value::Seq(items) => match (items.first().and_then(Node::as_str), items.get(1)) {
            (Some(template), variables) => (template, variables),
            (None, _) => return,
        },
        _ => return,
    };
    let mut rest = template;
    while let Some(open) = rest.find("${") {
        rest = &rest[open + 2..];
        let Some(close) = rest.find('}') else {
            break;
        };
        let name = &rest[..close];
        rest = &rest[close + 1..];
        let is_defined = defined.is_some_and(|variables| variables.get(name).is_some());
        if name.is_empty() || name.starts_with('!') || name.starts_with("AWS::") || is_defined {
            continue;
        }
        let name = name.to_string();
        if !found.contains(&name) {
            found.push(name);
        }
    }
}

/// Names the condition of an `If`, its first argument.
fn push_condition(items: &[Node], found: &mut Vec<String>) {
    if let Some(condition) = items.first().and_then(Node::as_str) {
        found.push(format!("condition {condition}"));
    }
}

#[cfg(test)]
mod tests {
    use super::references;

    fn node(text: &str) -> opslint_syntax::value::Node {
        opslint_syntax::yaml::parse(text, false)
            .documents
            .remove(0)
            .root
    }

    #[test]
    fn sub_images_keep_a_literal_repository_name() {
        use super::sub_image_name;
        let tagged = node(
            "Image: !Sub \"${AWS::AccountId}.dkr.ecr.${AWS::Region}.amazonaws.com/api:${Tag}\"\n",
        );
        assert_eq!(sub_image_name(tagged.get("Image").unwrap()), Some("api"));
        let named = node("Image: !Sub \"registry.example.com/${Service}:1.0\"\n");
        assert_eq!(sub_image_name(named.get("Image").unwrap()), None);
    }

    #[test]
    fn sub_strings_name_their_inputs() {
        let short =
            node("Image: !Sub \"${AWS::AccountId}.dkr.ecr/${Repo.Uri}:${ImageTag}${!Literal}\"\n");
        assert_eq!(
            references(short.get("Image").unwrap()),
            ["Repo.Uri", "ImageTag"]
        );
        let list = node(
            "Image:\n  Fn::Sub:\n    - \"${Registry}/api:${Tag}\"\n    - Tag: !Ref ImageTag\n",
        );
        assert_eq!(
            references(list.get("Image").unwrap()),
            ["Registry", "ImageTag"]
        );
    }
}
