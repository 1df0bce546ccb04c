//! Evaluation of Terraform input variables, locals and simple conditionals
//! across the repository. A module is the folder of its `.tf` files. A
//! variable takes the value that every place in the repository gives it: the
//! arguments of local module calls (`source = "./modules/x"`), `.tfvars`
//! files for a root module, or its `default` where nothing sets it. When
//! those places disagree, when a variable has no default and nothing sets it,
//! or when a value is computed, the result is [`Evaluated::Unknown`].

use std::cell::RefCell;
use std::collections::BTreeMap;

use opslint_core::Span;
use opslint_syntax::hcl::{self, Block, Body, Expr, ExprValue};

use crate::kubernetes::join_path;

/// Maximum depth of locals and module arguments followed before giving up.
const MAX_DEPTH: usize = 8;

/// Origin of a value that is not written in the expression itself.
#[derive(Debug, Clone, PartialEq)]
pub struct Via {
    /// The input variable that decides the value, without `var.`.
    pub variable: String,
    /// Place that sets the value: "the default", "`prod.tfvars`", ...
    pub origin: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Evaluated {
    /// A value known from the repository. `via` names the variable that
    /// decides it when it did not come from a literal in place.
    Known { expr: Expr, via: Option<Via> },
    /// A value the repository does not settle. `reason` explains why when
    /// the cause is more than a computed expression.
    Unknown { reason: Option<String> },
}

/// The state of a `dynamic "name"` block once its `for_each` is evaluated.
#[derive(Debug)]
pub enum DynamicBlock<'a> {
    /// `for_each` is empty, so no block is generated.
    Absent {
        via: Option<Via>,
    },
    /// One or more blocks with this `content`, which reads no iterator value.
    Present {
        content: &'a Body,
    },
    Unknown {
        reason: Option<String>,
    },
}

/// The blocks a `dynamic` block generates, as the attributes of each, and
/// the variable that decided its `for_each`.
#[derive(Debug)]
pub struct DynamicExpansion {
    pub blocks: Vec<Vec<(String, Expr)>>,
    pub via: Option<Via>,
}

#[derive(Debug, Default)]
struct Module {
    /// Declared variables and their `default`, if any.
    variables: BTreeMap<String, Option<Expr>>,
    locals: BTreeMap<String, Expr>,
}

#[derive(Debug)]
struct ModuleCall {
    /// The folder of the calling file, whose variables the arguments read.
    caller_dir: String,
    caller_path: String,
    /// The call's label: `orders_db` in `module "orders_db"`.
    name: String,
    header_span: Span,
    arguments: Body,
}

/// The value one module call gives an expression of the module it calls,
/// where the calls do not agree (see [`TerraformIndex::evaluate_per_call`]).
#[derive(Debug, Clone)]
pub struct CallValue {
    pub value: Evaluated,
    /// The file with the `module` block.
    pub caller_path: String,
    /// The call's label, as in `module.orders_db`.
    pub module: String,
    /// The argument that sets the value, or the `module` block's header when
    /// the value is the variable's default or comes from several arguments.
    pub span: Span,
}

thread_local! {
    /// The module folder and the position of the one call whose arguments
    /// [`TerraformIndex::evaluate_per_call`] evaluates with. While it is set,
    /// the other calls of that folder are left out.
    static PINNED_CALL: RefCell<Option<(String, usize)>> = const { RefCell::new(None) };
}

#[derive(Debug)]
struct VarsFile {
    path: String,
    /// `terraform.tfvars` and `*.auto.tfvars` are loaded without a flag and
    /// so replace the default; other files only apply with `-var-file`.
    loaded_automatically: bool,
    body: Body,
}

/// Variables, locals, module calls and `.tfvars` files of every Terraform
/// file in the workspace, keyed by module folder.
#[derive(Debug, Default)]
pub struct TerraformIndex {
    modules: BTreeMap<String, Module>,
    /// Local module calls keyed by the folder of the called module.
    calls: BTreeMap<String, Vec<ModuleCall>>,
    vars_files: Vec<VarsFile>,
    /// `default_tags { tags = ... }` of `aws` provider blocks, by folder and
    /// provider alias (`None` for the default provider).
    default_tags: Vec<(String, Option<String>, Expr)>,
    /// Folders with a `provider "aws"` block: root modules or stacks.
    aws_provider_dirs: Vec<String>,
}

/// Returns the folder of a `/`-separated path, `""` for the top folder.
pub fn folder_of(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// Returns whether a module `source` is a local path that Terraform reads from disk.
pub fn is_local_source(source: &str) -> bool {
    source.starts_with("./") || source.starts_with("../")
}

impl TerraformIndex {
    /// Adds the declarations of a `.tf` file.
    pub fn add_file(&mut self, path: &str, body: &Body) {
        let dir = folder_of(path).to_string();
        let module = self.modules.entry(dir.clone()).or_default();
        for block in body.blocks("variable") {
            if let Some(name) = block.labels.first() {
                let default = block.body.attribute("default").map(|a| a.expr.clone());
                module.variables.insert(name.clone(), default);
            }
        }
        for block in body.blocks("locals") {
            for attribute in &block.body.attributes {
                module
                    .locals
                    .insert(attribute.name.clone(), attribute.expr.clone());
            }
        }
        for block in body.blocks("module") {
            let Some(source) = block.body.attribute("source").and_then(|a| a.expr.as_str()) else {
                continue;
            };
            if !is_local_source(source) {
                continue;
            }
            let target = join_path(path, source.trim_end_matches('/'));
            self.calls.entry(target).or_default().push(ModuleCall {
                caller_dir: dir.clone(),
                caller_path: path.to_string(),
                name: block.labels.first().cloned().unwrap_or_default(),
                header_span: block.header_span,
                arguments: block.body.clone(),
            });
        }
        for block in body.blocks("provider") {
            if block.labels.first().is_some_and(|label| label == "aws") {
                self.aws_provider_dirs.push(dir.clone());
            }
            if block.labels.first().is_some_and(|label| label == "aws")
                && let Some(tags) = block
                    .body
                    .block("default_tags")
                    .and_then(|b| b.body.attribute("tags"))
            {
                let alias = block
                    .body
                    .attribute("alias")
                    .and_then(|alias| alias.expr.as_str())
                    .map(str::to_string);
                self.default_tags
                    .push((dir.clone(), alias, tags.expr.clone()));
            }
        }
    }

    /// Adds the assignments of a `.tfvars` file.
    pub fn add_vars_file(&mut self, path: &str, body: &Body) {
        let name = path.rsplit('/').next().unwrap_or(path);
        self.vars_files.push(VarsFile {
            path: path.to_string(),
            loaded_automatically: matches!(name, "terraform.tfvars" | "terraform.tfvars.json")
                || name.ends_with(".auto.tfvars")
                || name.ends_with(".auto.tfvars.json"),
            body: body.clone(),
        });
    }

    /// Evaluates an expression of the file at `path`.
    pub fn evaluate(&self, path: &str, expr: &Expr) -> Evaluated {
        self.evaluate_in(folder_of(path), expr, 0)
    }

    /// Evaluates an expression of the module at `path` once for each local
    /// call of that module, when a call sets the value: a shared module
    /// called from `envs/dev` and `envs/prod`, or from one environment.
    /// A finding then sits at the call that sets a bad value, and does not
    /// move when another environment starts calling the module. Returns
    /// `None` when the module has no calls, when no call sets the value (a
    /// literal, or a default that every call keeps), or when no call
    /// settles the value. It also returns
    /// `None` when a call is in an `examples` or `tests` folder, because a
    /// module's own examples only show its inputs, and a finding per example
    /// would repeat one question about the module.
    pub fn evaluate_per_call(&self, path: &str, expr: &Expr) -> Option<Vec<CallValue>> {
        let dir = folder_of(path);
        let calls: Vec<&ModuleCall> = self
            .calls
            .get(dir)?
            .iter()
            .filter(|call| !self.creates_nothing(call, 0))
            .collect();
        let from_examples = calls.iter().any(|call| is_example_path(&call.caller_path));
        if calls.is_empty() || from_examples {
            return None;
        }
        // A value that no call sets, such as a literal or a default that
        // every call keeps, belongs to the module.
        if let Evaluated::Known { via, .. } = self.evaluate(path, expr) {
            let set_by_a_call = via.is_some_and(|via| {
                calls
                    .iter()
                    .any(|call| via.origin.contains(&format!("`{}`", call.caller_path)))
            });
            if !set_by_a_call {
                return None;
            }
        }
        let variable = bare_text(&expr.text)
            .strip_prefix("var.")
            .filter(|name| is_identifier(name));
        let values: Vec<CallValue> = calls
            .iter()
            .enumerate()
            .map(|(index, call)| {
                PINNED_CALL.with(|pin| *pin.borrow_mut() = Some((dir.to_string(), index)));
                let value = self.evaluate_in(dir, expr, 0);
                PINNED_CALL.with(|pin| *pin.borrow_mut() = None);
                let argument = variable.and_then(|name| call.arguments.attribute(name));
                CallValue {
                    value,
                    caller_path: call.caller_path.clone(),
                    module: call.name.clone(),
                    span: argument.map_or(call.header_span, |argument| argument.expr.span),
                }
            })
            .collect();
        values
            .iter()
            .any(|call| matches!(call.value, Evaluated::Known { .. }))
            .then_some(values)
    }

    /// Returns the folder of the local module that `module "NAME"` in the
    /// file at `caller_path` calls.
    pub fn called_folder(&self, caller_path: &str, module: &str) -> Option<&str> {
        self.calls.iter().find_map(|(folder, calls)| {
            calls
                .iter()
                .any(|call| call.caller_path == caller_path && call.name == module)
                .then_some(folder.as_str())
        })
    }

    /// Returns the names of the `module` blocks that call the local module
    /// in `folder`, without those in `examples` and `tests` folders.
    pub fn call_names(&self, folder: &str) -> Vec<&str> {
        self.calls
            .get(folder)
            .map(|calls| {
                calls
                    .iter()
                    .filter(|call| !is_example_path(&call.caller_path))
                    .map(|call| call.name.as_str())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Lists the folders of local modules that files of the run call, each
    /// with the first file that calls it.
    pub fn called_modules(&self) -> impl Iterator<Item = (&str, &str)> {
        self.calls.iter().filter_map(|(folder, calls)| {
            calls
                .first()
                .map(|call| (folder.as_str(), call.caller_path.as_str()))
        })
    }

    /// Returns the `default_tags` expressions of the `aws` provider named
    /// `alias` (`None` for the default provider) in the folder of `path` or
    /// a folder above it, where a root module passes them down. Default tags
    /// apply only to resources created through that provider.
    pub fn default_tags_for(&self, path: &str, alias: Option<&str>) -> Vec<&Expr> {
        let dir = folder_of(path);
        self.default_tags
            .iter()
            .filter(|(provider_dir, provider_alias, _)| {
                is_same_or_below(dir, provider_dir) && provider_alias.as_deref() == alias
            })
            .map(|(_, _, expr)| expr)
            .collect()
    }

    /// Returns whether an `aws` provider is configured in the folder of `path` or a
    /// folder above it. Without one, the module is meant to be called from
    /// elsewhere and the caller's provider settings are not visible.
    pub fn has_aws_provider_for(&self, path: &str) -> bool {
        let dir = folder_of(path);
        self.aws_provider_dirs
            .iter()
            .any(|provider_dir| is_same_or_below(dir, provider_dir))
    }

    /// Decides whether a resource or module block is created from its `count`
    /// or `for_each`: `Some(false)` when `count` evaluates to `0` or `false`
    /// or `for_each` to an empty list or map, `None` when it cannot be
    /// evaluated.
    pub fn is_created(&self, path: &str, block: &Block) -> Option<bool> {
        let Some(count) = block.body.attribute("count") else {
            let Some(for_each) = block.body.attribute("for_each") else {
                return Some(true);
            };
            return match self.evaluate(path, &for_each.expr) {
                Evaluated::Known { expr, .. } => match expr.value {
                    ExprValue::Tuple(items) => Some(!items.is_empty()),
                    ExprValue::Object(entries) => Some(!entries.is_empty()),
                    _ => Some(true),
                },
                // An unknown `for_each` most likely has items.
                Evaluated::Unknown { .. } => Some(true),
            };
        };
        match self.evaluate(path, &count.expr) {
            Evaluated::Known { expr, .. } => match expr.value {
                ExprValue::Number(number) => Some(number.trim() != "0"),
                ExprValue::Bool(flag) => Some(flag),
                _ => None,
            },
            Evaluated::Unknown { .. } => None,
        }
    }

    /// Decides whether a `dynamic` block generates blocks. Content that
    /// reads the iterator (`name.value`, `each.value`) is unknown, since
    /// every generated block may differ.
    pub fn dynamic_block<'a>(&self, path: &str, dynamic: &'a Block) -> DynamicBlock<'a> {
        let Some(for_each) = dynamic.body.attribute("for_each") else {
            return DynamicBlock::Unknown { reason: None };
        };
        let (value, via) = match self.evaluate(path, &for_each.expr) {
            Evaluated::Known { expr, via } => (expr.value, via),
            Evaluated::Unknown { reason } => return DynamicBlock::Unknown { reason },
        };
        let is_empty = match &value {
            ExprValue::Tuple(items) => items.is_empty(),
            ExprValue::Object(entries) => entries.is_empty(),
            ExprValue::Null => true,
            _ => return DynamicBlock::Unknown { reason: None },
        };
        if is_empty {
            return DynamicBlock::Absent { via };
        }
        let Some(content) = dynamic.body.block("content").map(|b| &b.body) else {
            return DynamicBlock::Unknown { reason: None };
        };
        let iterator = dynamic
            .body
            .attribute("iterator")
            .map(|a| a.expr.text.trim().to_string())
            .or_else(|| dynamic.labels.first().cloned())
            .unwrap_or_default();
        let reads_iterator = content.attributes.iter().any(|attribute| {
            let text = &attribute.expr.text;
            text.contains(&format!("{iterator}.")) || text.contains("each.")
        });
        if reads_iterator {
            DynamicBlock::Unknown { reason: None }
        } else {
            DynamicBlock::Present { content }
        }
    }

    /// Expands a `dynamic` block into the attributes of each block it
    /// generates, for content attributes that are literals or read
    /// `ITERATOR.value.KEY` or `ITERATOR.value`. Returns `None` when
    /// `for_each` or any attribute cannot be evaluated.
    pub fn expand_dynamic(&self, path: &str, dynamic: &Block) -> Option<DynamicExpansion> {
        let for_each = dynamic.body.attribute("for_each")?;
        let (items, via) = match self.evaluate(path, &for_each.expr) {
            Evaluated::Known { expr, via } => (
                match expr.value {
                    ExprValue::Tuple(items) => items,
                    ExprValue::Object(entries) => entries.into_iter().map(|(_, v)| v).collect(),
                    ExprValue::Null => Vec::new(),
                    _ => return None,
                },
                via,
            ),
            Evaluated::Unknown { .. } => return None,
        };
        let content = &dynamic.body.block("content")?.body;
        let iterator = dynamic
            .body
            .attribute("iterator")
            .map(|a| a.expr.text.trim().to_string())
            .or_else(|| dynamic.labels.first().cloned())?;
        let value_prefix = format!("{iterator}.value");
        let mut blocks = Vec::new();
        for item in &items {
            let mut attributes = Vec::new();
            for attribute in &content.attributes {
                let text = attribute.expr.text.trim();
                let value = if text == value_prefix {
                    item.clone()
                } else if let Some(key) = text.strip_prefix(&format!("{value_prefix}.")) {
                    let ExprValue::Object(entries) = &item.value else {
                        return None;
                    };
                    entries.iter().find(|(k, _)| k == key)?.1.clone()
                } else {
                    match self.evaluate(path, &attribute.expr) {
                        Evaluated::Known { expr, .. } => expr,
                        Evaluated::Unknown { .. } => return None,
                    }
                };
                if value.is_unknown() {
                    return None;
                }
                attributes.push((attribute.name.clone(), value));
            }
            blocks.push(attributes);
        }
        Some(DynamicExpansion { blocks, via })
    }

    fn evaluate_in(&self, dir: &str, expr: &Expr, depth: usize) -> Evaluated {
        if !expr.is_unknown() {
            return Evaluated::Known {
                expr: self.resolve_elements(dir, expr, depth),
                via: None,
            };
        }
        if depth > MAX_DEPTH {
            return Evaluated::Unknown { reason: None };
        }
        let text = bare_text(&expr.text);
        if let Some(name) = text.strip_prefix("var.").filter(|n| is_identifier(n)) {
            return self.evaluate_variable(dir, name, depth);
        }
        if let Some(name) = text.strip_prefix("local.").filter(|n| is_identifier(n)) {
            return match self.modules.get(dir).and_then(|m| m.locals.get(name)) {
                Some(local) => self.evaluate_in(dir, local, depth + 1),
                None => Evaluated::Unknown { reason: None },
            };
        }
        if let Some((condition, when_true, when_false)) = split_conditional(text) {
            return self.evaluate_conditional(dir, condition, when_true, when_false, depth);
        }
        Evaluated::Unknown { reason: None }
    }

    /// Evaluates the elements of a list or object literal in the scope it
    /// was written in, so that a reader in another module never evaluates
    /// them against its own variables. Elements that stay unknown are kept.
    fn resolve_elements(&self, dir: &str, expr: &Expr, depth: usize) -> Expr {
        let resolve = |item: &Expr| -> Expr {
            if depth > MAX_DEPTH {
                return item.clone();
            }
            match self.evaluate_in(dir, item, depth + 1) {
                Evaluated::Known { expr, .. } => Expr {
                    span: item.span,
                    ..expr
                },
                Evaluated::Unknown { .. } => item.clone(),
            }
        };
        let value = match &expr.value {
            ExprValue::Tuple(items) => ExprValue::Tuple(items.iter().map(resolve).collect()),
            ExprValue::Object(entries) => ExprValue::Object(
                entries
                    .iter()
                    .map(|(key, item)| (key.clone(), resolve(item)))
                    .collect(),
            ),
            other => other.clone(),
        };
        Expr {
            value,
            ..expr.clone()
        }
    }

    fn evaluate_conditional(
        &self,
        dir: &str,
        condition: &str,
        when_true: &str,
        when_false: &str,
        depth: usize,
    ) -> Evaluated {
        let (Some(Evaluated::Known { expr, via }), Some(when_true), Some(when_false)) = (
            self.evaluate_condition(dir, condition, depth),
            parse_expression(when_true),
            parse_expression(when_false),
        ) else {
            return Evaluated::Unknown { reason: None };
        };
        let Some(flag) = expr.as_bool() else {
            return Evaluated::Unknown { reason: None };
        };
        let branch = if flag { when_true } else { when_false };
        match self.evaluate_in(dir, &branch, depth + 1) {
            Evaluated::Known {
                expr,
                via: branch_via,
            } => Evaluated::Known {
                expr,
                via: via.or(branch_via),
            },
            unknown => unknown,
        }
    }

    /// Evaluates `A`, `!A`, `A == B` and `A != B` to a boolean expression.
    fn evaluate_condition(&self, dir: &str, condition: &str, depth: usize) -> Option<Evaluated> {
        let condition = condition.trim();
        for (operator, equal) in [("==", true), ("!=", false)] {
            if let Some((left, right)) = condition.split_once(operator) {
                let (left, left_via) = self.evaluate_operand(dir, left, depth)?;
                let (right, right_via) = self.evaluate_operand(dir, right, depth)?;
                let same = left == right;
                return Some(boolean(same == equal, left_via.or(right_via)));
            }
        }
        let (negated, operand) = match condition.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, condition),
        };
        let (value, via) = self.evaluate_operand(dir, operand, depth)?;
        let ExprValue::Bool(flag) = value else {
            return None;
        };
        Some(boolean(flag != negated, via))
    }

    fn evaluate_operand(
        &self,
        dir: &str,
        text: &str,
        depth: usize,
    ) -> Option<(ExprValue, Option<Via>)> {
        let expr = parse_expression(text.trim())?;
        match self.evaluate_in(dir, &expr, depth + 1) {
            Evaluated::Known { expr, via } => Some((expr.value, via)),
            Evaluated::Unknown { .. } => None,
        }
    }

    fn evaluate_variable(&self, dir: &str, name: &str, depth: usize) -> Evaluated {
        let Some(default) = self.modules.get(dir).and_then(|m| m.variables.get(name)) else {
            return Evaluated::Unknown {
                reason: Some(format!("`var.{name}` is not declared in this module")),
            };
        };
        let mut candidates: Vec<(Evaluated, String)> = Vec::new();
        let mut default_applies = true;
        let mut calls: Vec<&ModuleCall> = self
            .calls
            .get(dir)
            .into_iter()
            .flatten()
            .filter(|call| !self.creates_nothing(call, depth))
            .collect();
        let pinned = PINNED_CALL.with(|pin| {
            pin.borrow()
                .as_ref()
                .filter(|(pinned_dir, _)| pinned_dir == dir)
                .map(|(_, index)| *index)
        });
        if let Some(index) = pinned {
            calls = calls.get(index).copied().into_iter().collect();
        }
        if !calls.is_empty() {
            for call in calls {
                if let Some(argument) = call.arguments.attribute(name) {
                    let value = self.evaluate_in(&call.caller_dir, &argument.expr, depth + 1);
                    candidates.push((value, format!("`{}`", call.caller_path)));
                } else if let Some(default) = default {
                    candidates.push((known(default), "the default".into()));
                }
            }
            default_applies = false;
        } else {
            // NOTE: a `.tfvars` file that Terraform does not load by itself
            // counts for every root module that declares the variable, since
            // `-var-file` can point anywhere. A `terraform.tfvars` or
            // `*.auto.tfvars` beside other Terraform files belongs to that
            // root module alone, as `live/staging` and `live/prod` each have
            // their own. Only the module's own such files replace the default.
            for vars in &self.vars_files {
                let vars_dir = folder_of(&vars.path);
                if vars.loaded_automatically
                    && vars_dir != dir
                    && self.modules.contains_key(vars_dir)
                {
                    continue;
                }
                if let Some(assignment) = vars.body.attribute(name) {
                    candidates.push((known(&assignment.expr), format!("`{}`", vars.path)));
                    if vars.loaded_automatically && folder_of(&vars.path) == dir {
                        default_applies = false;
                    }
                }
            }
        }
        if default_applies {
            match default {
                Some(default) => candidates.push((known(default), "the default".into())),
                None if candidates.is_empty() => {
                    return Evaluated::Unknown {
                        reason: Some(format!(
                            "`var.{name}` has no default and nothing in the repository sets it"
                        )),
                    };
                }
                None => {}
            }
        }
        agreed_value(name, &candidates)
    }
}

impl TerraformIndex {
    /// Returns whether a module call's `count` is `0` or its `for_each` is empty, as
    /// in a wrapper module whose items nothing in the repository sets.
    fn creates_nothing(&self, call: &ModuleCall, depth: usize) -> bool {
        let evaluate = |name: &str| {
            call.arguments
                .attribute(name)
                .map(|attribute| self.evaluate_in(&call.caller_dir, &attribute.expr, depth + 1))
        };
        let count_is_zero = matches!(
            evaluate("count"),
            Some(Evaluated::Known { expr, .. })
                if matches!(&expr.value, ExprValue::Number(n) if n.trim() == "0")
                    || expr.value == ExprValue::Bool(false)
        );
        let for_each_is_empty = matches!(
            evaluate("for_each"),
            Some(Evaluated::Known { expr, .. })
                if matches!(&expr.value, ExprValue::Tuple(items) if items.is_empty())
                    || matches!(&expr.value, ExprValue::Object(entries) if entries.is_empty())
        );
        count_is_zero || for_each_is_empty
    }
}

/// Checks whether `path` is in a folder of examples or tests, where module
/// calls demonstrate or exercise a module rather than deploy it.
fn is_example_path(path: &str) -> bool {
    path.split('/')
        .rev()
        .skip(1)
        .any(|folder| matches!(folder, "examples" | "example" | "tests" | "test"))
}

fn is_same_or_below(dir: &str, ancestor: &str) -> bool {
    ancestor.is_empty() || dir == ancestor || dir.starts_with(&format!("{ancestor}/"))
}

/// Says why a variable is unknown when the place at `origin` gives it an
/// unknown value, passing on that value's own reason: a module that passes
/// its own variable on, which its calls set differently, is named with
/// those values.
fn unsettled(name: &str, value: &Evaluated, origin: &str) -> Evaluated {
    let reason = match value {
        Evaluated::Unknown {
            reason: Some(reason),
        } => format!("`var.{name}` is set in {origin}, where {reason}"),
        _ => format!("`var.{name}` is computed in {origin}"),
    };
    Evaluated::Unknown {
        reason: Some(reason),
    }
}

/// Returns the value that every candidate gives a variable, or why there is
/// none: a computed candidate or two candidates that differ.
fn agreed_value(name: &str, candidates: &[(Evaluated, String)]) -> Evaluated {
    let Some((first, first_origin)) = candidates.first() else {
        return Evaluated::Unknown { reason: None };
    };
    let Evaluated::Known { expr: first, .. } = first else {
        return unsettled(name, first, first_origin);
    };
    // Each value with every place that gives it, in the order first seen.
    let mut values: Vec<(&Expr, Vec<&str>)> = vec![(first, vec![first_origin.as_str()])];
    for (other, origin) in &candidates[1..] {
        let Evaluated::Known { expr, .. } = other else {
            return unsettled(name, other, origin);
        };
        match values
            .iter_mut()
            .find(|(value, _)| value.value == expr.value)
        {
            Some((_, origins)) => {
                if !origins.contains(&origin.as_str()) {
                    origins.push(origin);
                }
            }
            None => values.push((expr, vec![origin.as_str()])),
        }
    }
    if values.len() > 1 {
        let described: Vec<String> = values
            .iter()
            .map(|(value, origins)| format!("`{}` ({})", one_line(&value.text), places(origins)))
            .collect();
        if let Some((last, rest)) = described.split_last() {
            return Evaluated::Unknown {
                reason: Some(format!("`var.{name}` is {} and {last}", rest.join(", "))),
            };
        }
    }
    // A place that passes on a variable of its own, as an environment that
    // gives a module `var.x` from its `.tfvars`, is named with the place
    // that sets that variable.
    let mut origins: Vec<String> = candidates
        .iter()
        .map(|(value, origin)| match value {
            Evaluated::Known {
                via: Some(inner), ..
            } if inner.origin == "the default" => {
                format!("{origin}, from the default of `var.{}`", inner.variable)
            }
            Evaluated::Known {
                via: Some(inner), ..
            } => format!(
                "{origin}, from `var.{}` as set in {}",
                inner.variable, inner.origin
            ),
            _ => origin.clone(),
        })
        .collect();
    origins.dedup();
    Evaluated::Known {
        expr: first.clone(),
        via: Some(Via {
            variable: name.to_string(),
            origin: origins.join(", "),
        }),
    }
}

/// Lists the places that give a value, the first three by name: `a`, `b`,
/// `c` and 4 more.
fn places(origins: &[&str]) -> String {
    const NAMED: usize = 3;
    if origins.len() <= NAMED + 1 {
        return origins.join(", ");
    }
    format!(
        "{} and {} more",
        origins[..NAMED].join(", "),
        origins.len() - NAMED
    )
}

/// Shortens an expression's text to its first line, for a message. A
/// closing bracket alone on the last line is kept, so a multi-line map reads
/// `{ ... }` rather than an unbalanced `{ ...`.
fn one_line(text: &str) -> String {
    let text = text.trim();
    let Some((first, _)) = text.split_once('\n') else {
        return text.to_string();
    };
    let last = text.lines().last().unwrap_or("").trim();
    if matches!(last, "}" | "]" | ")") {
        format!("{} ... {last}", first.trim_end())
    } else {
        format!("{} ...", first.trim_end())
    }
}

fn known(expr: &Expr) -> Evaluated {
    if expr.is_unknown() {
        Evaluated::Unknown { reason: None }
    } else {
        Evaluated::Known {
            expr: expr.clone(),
            via: None,
        }
    }
}

fn boolean(flag: bool, via: Option<Via>) -> Evaluated {
    Evaluated::Known {
        expr: Expr {
            span: Default::default(),
            text: flag.to_string(),
            value: ExprValue::Bool(flag),
        },
        via,
    }
}

/// Strips a wrapping `"${...}"` or parentheses.
fn bare_text(text: &str) -> &str {
    let mut text = text.trim();
    loop {
        if let Some(inner) = text
            .strip_prefix("\"${")
            .and_then(|rest| rest.strip_suffix("}\""))
            .filter(|inner| !inner.contains("${"))
        {
            text = inner.trim();
        } else if let Some(inner) = text
            .strip_prefix('(')
            .and_then(|rest| rest.strip_suffix(')'))
            .filter(|inner| balanced(inner))
        {
            text = inner.trim();
        } else {
            return text;
        }
    }
}

fn is_identifier(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn balanced(text: &str) -> bool {
    let mut depth = 0i32;
    for c in text.chars() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            _ => {}
        }
        if depth < 0 {
            return false;
        }
    }
    depth == 0
}

/// Splits `COND ? A : B` at its top-level `?` and `:`, outside brackets
/// and strings. Nested conditionals in `A` are not supported.
fn split_conditional(text: &str) -> Option<(&str, &str, &str)> {
    let mut depth = 0i32;
    let mut in_string = false;
    let mut question = None;
    let mut previous = ' ';
    for (index, c) in text.char_indices() {
        if in_string {
            if c == '"' && previous != '\\' {
                in_string = false;
            }
        } else {
            match c {
                '"' => in_string = true,
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' => depth -= 1,
                '?' if depth == 0 && question.is_none() => question = Some(index),
                ':' if depth == 0 => {
                    let question = question?;
                    return Some((
                        &text[..question],
                        &text[question + 1..index],
                        &text[index + 1..],
                    ));
                }
                _ => {}
            }
        }
        previous = c;
    }
    None
}

/// Parses an expression on its own, through the HCL front end. Spans in
/// the result are relative to the text, not to any file.
// TODO: keep function calls and conditionals as structure in the HCL value
// tree. Evaluation and the ECS container rule now parse such expression text
// again during the rule phase.
pub fn parse_expression(text: &str) -> Option<Expr> {
    let file = hcl::parse(&format!("value = {}\n", text.trim()));
    if !file.errors.is_empty() {
        return None;
    }
    file.body.attribute("value").map(|a| a.expr.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_keeps_closing_bracket() {
        assert_eq!(one_line("{\n  Owner = \"a\"\n}"), "{ ... }");
        assert_eq!(one_line("[\n  \"a\",\n]\n"), "[ ... ]");
        assert_eq!(one_line("<<EOT\nline\nEOT"), "<<EOT ...");
        assert_eq!(one_line("\"active\""), "\"active\"");
    }

    fn index(files: &[(&str, &str)]) -> TerraformIndex {
        let mut index = TerraformIndex::default();
        for (path, text) in files {
            let body = hcl::parse(text).body;
            if path.ends_with(".tfvars") {
                index.add_vars_file(path, &body);
            } else {
                index.add_file(path, &body);
            }
        }
        index
    }

    fn evaluate(index: &TerraformIndex, path: &str, text: &str) -> Evaluated {
        let expr = parse_expression(text).unwrap();
        index.evaluate(path, &expr)
    }

    fn known_text(evaluated: &Evaluated) -> Option<(String, Option<String>)> {
        match evaluated {
            Evaluated::Known { expr, via } => Some((
                expr.text.trim().to_string(),
                via.as_ref().map(|v| v.variable.clone()),
            )),
            Evaluated::Unknown { .. } => None,
        }
    }

    #[test]
    fn variable_default_applies_when_unset() {
        let index = index(&[(
            "main.tf",
            "variable \"mode\" {\n  default = \"PassThrough\"\n}\n",
        )]);
        let result = evaluate(&index, "main.tf", "var.mode");
        assert_eq!(
            known_text(&result),
            Some(("\"PassThrough\"".into(), Some("mode".into())))
        );
    }

    #[test]
    fn variable_without_default_is_unknown() {
        let index = index(&[("main.tf", "variable \"mode\" {\n  type = string\n}\n")]);
        let result = evaluate(&index, "main.tf", "var.mode");
        assert!(matches!(result, Evaluated::Unknown { reason: Some(_) }));
    }

    #[test]
    fn auto_tfvars_replaces_default() {
        let index = index(&[
            (
                "main.tf",
                "variable \"mode\" {\n  default = \"PassThrough\"\n}\n",
            ),
            ("terraform.tfvars", "mode = \"Active\"\n"),
        ]);
        let result = evaluate(&index, "main.tf", "var.mode");
        assert_eq!(known_text(&result).unwrap().0, "\"Active\"");
    }

    #[test]
    fn var_file_disagreeing_with_default_is_unknown() {
        let index = index(&[
            (
                "main.tf",
                "variable \"mode\" {\n  default = \"PassThrough\"\n}\n",
            ),
            ("env/prod.tfvars", "mode = \"Active\"\n"),
        ]);
        let result = evaluate(&index, "main.tf", "var.mode");
        assert!(matches!(result, Evaluated::Unknown { reason: Some(_) }));
    }

    #[test]
    fn module_call_argument_sets_variable() {
        let index = index(&[
            (
                "main.tf",
                "module \"fn\" {\n  source = \"./modules/fn\"\n  mode = \"Active\"\n}\n",
            ),
            (
                "modules/fn/variables.tf",
                "variable \"mode\" {\n  default = \"PassThrough\"\n}\n",
            ),
        ]);
        let result = evaluate(&index, "modules/fn/main.tf", "var.mode");
        assert_eq!(known_text(&result).unwrap().0, "\"Active\"");
    }

    #[test]
    fn module_calls_that_differ_are_unknown() {
        let index = index(&[
            (
                "a/main.tf",
                "module \"fn\" {\n  source = \"../modules/fn\"\n  mode = \"Active\"\n}\n",
            ),
            (
                "b/main.tf",
                "module \"fn\" {\n  source = \"../modules/fn\"\n}\n",
            ),
            (
                "modules/fn/variables.tf",
                "variable \"mode\" {\n  default = \"PassThrough\"\n}\n",
            ),
        ]);
        let result = evaluate(&index, "modules/fn/main.tf", "var.mode");
        assert!(matches!(result, Evaluated::Unknown { reason: Some(_) }));
    }

    #[test]
    fn module_calls_that_differ_are_evaluated_per_call() {
        let caller = "module \"fn\" {\n  source = \"../modules/fn\"\n  mode = \"Active\"\n}\n";
        let index = index(&[
            ("a/main.tf", caller),
            (
                "b/main.tf",
                "module \"other\" {\n  source = \"../modules/fn\"\n}\n",
            ),
            (
                "modules/fn/variables.tf",
                "variable \"mode\" {\n  default = \"PassThrough\"\n}\n",
            ),
        ]);
        let expr = parse_expression("var.mode").unwrap();
        let calls = index
            .evaluate_per_call("modules/fn/main.tf", &expr)
            .expect("the calls disagree");
        let summary: Vec<_> = calls
            .iter()
            .map(|call| {
                let Evaluated::Known { expr, via } = &call.value else {
                    panic!("{call:?}");
                };
                (
                    call.caller_path.as_str(),
                    call.module.as_str(),
                    expr.text.trim().to_string(),
                    via.as_ref().map(|via| via.origin.clone()),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                (
                    "a/main.tf",
                    "fn",
                    "\"Active\"".to_string(),
                    Some("`a/main.tf`".to_string())
                ),
                (
                    "b/main.tf",
                    "other",
                    "\"PassThrough\"".to_string(),
                    Some("the default".to_string())
                ),
            ]
        );
        // The argument in the first call, the block header in the second.
        assert_eq!(
            &caller[calls[0].span.start..calls[0].span.end],
            "\"Active\""
        );
        assert_eq!(calls[1].span.start, 0);
        // The pin is gone afterwards: the module's value is unknown again.
        assert!(matches!(
            index.evaluate("modules/fn/main.tf", &expr),
            Evaluated::Unknown { .. }
        ));
    }

    #[test]
    fn disagreeing_places_are_all_named() {
        let call = |mode: &str| {
            format!("module \"fn\" {{\n  source = \"../../modules/fn\"\n  mode = \"{mode}\"\n}}\n")
        };
        let (dev, staging, prod) = (call("PassThrough"), call("Active"), call("Active"));
        let index = index(&[
            ("envs/dev/main.tf", dev.as_str()),
            ("envs/staging/main.tf", staging.as_str()),
            ("envs/prod/main.tf", prod.as_str()),
            ("modules/fn/variables.tf", "variable \"mode\" {}\n"),
        ]);
        let Evaluated::Unknown {
            reason: Some(reason),
        } = evaluate(&index, "modules/fn/main.tf", "var.mode")
        else {
            panic!("the calls disagree");
        };
        assert_eq!(
            reason,
            "`var.mode` is `\"PassThrough\"` (`envs/dev/main.tf`) and `\"Active\"` \
             (`envs/staging/main.tf`, `envs/prod/main.tf`)"
        );
    }

    #[test]
    fn passed_on_variable_names_its_values() {
        let index = index(&[
            (
                "envs/dev/main.tf",
                "module \"app\" {\n  source = \"../../modules/app\"\n}\nmodule \"app2\" {\n  source = \"../../modules/app\"\n  db_backups = 3\n}\n",
            ),
            (
                "modules/app/main.tf",
                "variable \"db_backups\" {\n  default = 0\n}\nmodule \"db\" {\n  source = \"../db\"\n  backups = var.db_backups\n}\n",
            ),
            (
                "modules/db/variables.tf",
                "variable \"backups\" {\n  default = 7\n}\n",
            ),
        ]);
        let Evaluated::Unknown {
            reason: Some(reason),
        } = evaluate(&index, "modules/db/main.tf", "var.backups")
        else {
            panic!("the calls of modules/app disagree");
        };
        assert_eq!(
            reason,
            "`var.backups` is set in `modules/app/main.tf`, where `var.db_backups` is `0` \
             (the default) and `3` (`envs/dev/main.tf`)"
        );
    }

    /// A call that passes on its own variable's default names that default,
    /// not "as set in the default".
    #[test]
    fn passed_on_default_is_named() {
        let index = index(&[
            (
                "live/staging/main.tf",
                "variable \"protect\" {\n  default = false\n}\nmodule \"db\" {\n  source = \"../../modules/db\"\n  deletion_protection = var.protect\n}\n",
            ),
            (
                "modules/db/variables.tf",
                "variable \"deletion_protection\" {\n  default = true\n}\n",
            ),
        ]);
        let Evaluated::Known { via: Some(via), .. } =
            evaluate(&index, "modules/db/main.tf", "var.deletion_protection")
        else {
            panic!("the call sets the value");
        };
        assert_eq!(
            via.origin,
            "`live/staging/main.tf`, from the default of `var.protect`"
        );
    }

    /// A value that calls set is judged at each call, also when the calls
    /// agree or there is one, so that a finding does not move when another
    /// environment starts calling the module.
    #[test]
    fn values_set_by_calls_are_split_per_call() {
        let caller = "module \"fn\" {\n  source = \"../modules/fn\"\n  mode = \"Active\"\n}\n";
        let variables = ("modules/fn/variables.tf", "variable \"mode\" {}\n");
        let expr = parse_expression("var.mode").unwrap();
        let callers = |index: &TerraformIndex| -> Vec<String> {
            index
                .evaluate_per_call("modules/fn/main.tf", &expr)
                .expect("the calls set the value")
                .into_iter()
                .map(|call| call.caller_path)
                .collect()
        };
        let agreeing = index(&[("a/main.tf", caller), ("b/main.tf", caller), variables]);
        assert_eq!(callers(&agreeing), ["a/main.tf", "b/main.tf"]);
        let single = index(&[("a/main.tf", caller), variables]);
        assert_eq!(callers(&single), ["a/main.tf"]);
    }

    #[test]
    fn defaults_that_calls_keep_are_not_split() {
        let caller = "module \"fn\" {\n  source = \"../modules/fn\"\n}\n";
        let index = index(&[
            ("a/main.tf", caller),
            ("b/main.tf", caller),
            (
                "modules/fn/variables.tf",
                "variable \"mode\" {\n  default = \"PassThrough\"\n}\n",
            ),
        ]);
        let expr = parse_expression("var.mode").unwrap();
        assert!(
            index
                .evaluate_per_call("modules/fn/main.tf", &expr)
                .is_none()
        );
    }

    #[test]
    fn module_call_with_empty_for_each_is_ignored() {
        let index = index(&[
            (
                "wrappers/main.tf",
                "variable \"items\" {\n  default = {}\n}\nmodule \"w\" {\n  source = \"../\"\n  for_each = var.items\n  mode = each.value.mode\n}\n",
            ),
            ("variables.tf", "variable \"mode\" {\n  default = null\n}\n"),
        ]);
        let result = evaluate(&index, "main.tf", "var.mode");
        assert_eq!(
            known_text(&result),
            Some(("null".into(), Some("mode".into())))
        );
    }

    #[test]
    fn dynamic_block_expands_iterator_values() {
        let text = "variable \"setting\" {\n  default = [{ name = \"containerInsights\", value = \"enabled\" }]\n}\nresource \"aws_ecs_cluster\" \"c\" {\n  dynamic \"setting\" {\n    for_each = var.setting != null ? var.setting : []\n    content {\n      name  = setting.value.name\n      value = setting.value.value\n    }\n  }\n}\n";
        let file = hcl::parse(text);
        let mut index = TerraformIndex::default();
        index.add_file("main.tf", &file.body);
        let resource = file.body.blocks("resource").next().unwrap();
        let dynamic = resource.body.dynamic_block("setting").unwrap();
        let blocks = index.expand_dynamic("main.tf", dynamic).unwrap().blocks;
        assert_eq!(blocks.len(), 1);
        assert_eq!(blocks[0][0].0, "name");
        assert_eq!(blocks[0][0].1.as_str(), Some("containerInsights"));
        assert_eq!(blocks[0][1].1.as_str(), Some("enabled"));
    }

    #[test]
    fn list_elements_evaluate_in_caller_scope() {
        let index = index(&[
            (
                "main.tf",
                "variable \"mode\" {\n  default = \"Active\"\n}\nmodule \"fn\" {\n  source = \"./modules/fn\"\n  modes = [var.mode]\n}\n",
            ),
            (
                "modules/fn/main.tf",
                "variable \"modes\" {\n  default = []\n}\nvariable \"mode\" {\n  default = \"PassThrough\"\n}\n",
            ),
        ]);
        let Evaluated::Known { expr, .. } = evaluate(&index, "modules/fn/main.tf", "var.modes")
        else {
            panic!("expected a known list");
        };
        let ExprValue::Tuple(items) = expr.value else {
            panic!("expected a list");
        };
        assert_eq!(items[0].as_str(), Some("Active"));
    }

    #[test]
    fn conditional_on_null_default() {
        let index = index(&[("main.tf", "variable \"mode\" {\n  default = null\n}\n")]);
        let result = evaluate(&index, "main.tf", "var.mode == null ? [] : [true]");
        assert_eq!(
            known_text(&result),
            Some(("[]".into(), Some("mode".into())))
        );
    }

    #[test]
    fn local_follows_variable() {
        let index = index(&[(
            "main.tf",
            "variable \"on\" {\n  default = true\n}\nlocals {\n  flag = var.on\n}\n",
        )]);
        let result = evaluate(&index, "main.tf", "local.flag");
        assert_eq!(known_text(&result).unwrap().0, "true");
    }

    #[test]
    fn computed_expression_is_unknown() {
        let index = index(&[("main.tf", "")]);
        let result = evaluate(&index, "main.tf", "lookup(var.m, \"k\")");
        assert!(matches!(result, Evaluated::Unknown { .. }));
    }
}
