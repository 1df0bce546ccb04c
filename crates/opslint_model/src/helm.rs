//! Helm charts: the defaults of `values.yaml` and `Chart.yaml`, and the
//! rendering of template values that read nothing but those defaults.
//!
//! Only a small part of the template language is rendered: literal text,
//! actions such as `{{ .Values.image.tag | default .Chart.AppVersion | quote }}`
//! and `{{ include "x.image" . }}` of a named template of the chart whose
//! body is made of those. Anything else (`.Release`, `printf`, `range`
//! variables, other functions) leaves the value unknown, so rules ask
//! instead of guessing.

use std::collections::BTreeMap;

use opslint_syntax::value::{Node, Value};

/// The defaults of one chart; the workspace keys charts by their folder.
#[derive(Debug, Default, Clone)]
pub struct Chart {
    /// The root of `values.yaml`, when the chart has one that parses.
    pub values: Option<Node>,
    /// `name` of `Chart.yaml`.
    pub name: Option<String>,
    /// `appVersion` of `Chart.yaml`.
    pub app_version: Option<String>,
    /// For a subchart under `charts/<name>/`, the `<name>:` section of the
    /// parent chart's `values.yaml`, which overrides the subchart's defaults.
    pub parent_values: Option<Node>,
    /// Paths of `values.yaml`, `Chart.yaml` and the parent chart's
    /// `values.yaml`, which messages name as the files a value came from.
    pub values_path: Option<String>,
    pub chart_path: Option<String>,
    pub parent_values_path: Option<String>,
    /// The named templates of the chart's `.tpl` files, by name, with their
    /// bodies: what `{{ include "x.image" . }}` renders.
    pub defines: BTreeMap<String, String>,
}

/// Most named templates one value is rendered through, so that templates
/// that include each other stop.
const MAX_INCLUDE_DEPTH: usize = 4;

/// Reads the named templates of a `.tpl` file: the body between each
/// `{{ define "NAME" }}` and its `{{ end }}`, with the actions inside it
/// that open blocks (`if`, `range`, `with`, `define`, `block`) matched to
/// their own `end`. Whitespace around a body is dropped, as the `{{-` and
/// `-}}` markers of the usual helpers do.
pub fn defines(text: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        let Some(close) = rest[open..].find("}}").map(|close| open + close) else {
            break;
        };
        let action = action_words(&rest[open + 2..close]);
        rest = &rest[close + 2..];
        let ["define", name, ..] = action.as_slice() else {
            continue;
        };
        let name = name.trim_matches('"').to_string();
        // Find the `end` of this `define`, past nested blocks.
        let mut depth = 1;
        let mut scan = rest;
        let mut body_end = None;
        while let Some(open) = scan.find("{{") {
            let Some(close) = scan[open..].find("}}").map(|close| open + close) else {
                break;
            };
            let words = action_words(&scan[open + 2..close]);
            match words.first().copied() {
                Some("if" | "range" | "with" | "define" | "block") => depth += 1,
                Some("end") => depth -= 1,
                _ => {}
            }
            if depth == 0 {
                body_end = Some((rest.len() - scan.len()) + open);
                scan = &scan[close + 2..];
                break;
            }
            scan = &scan[close + 2..];
        }
        let Some(body_end) = body_end else {
            break;
        };
        found.push((name, rest[..body_end].trim().to_string()));
        rest = scan;
    }
    found
}

/// Splits an action's text into words, without the `-` trim markers.
fn action_words(action: &str) -> Vec<&str> {
    action
        .trim()
        .trim_start_matches('-')
        .trim_end_matches('-')
        .split_whitespace()
        .collect()
}

/// Returns whether a chart dependency of `Chart.yaml` is installed with the
/// chart's defaults: its `condition`, a comma-separated list of values
/// paths, is decided by the first path that `values.yaml` sets to a
/// boolean. Helm ignores paths that values do not set, so a dependency
/// without a decided condition is installed.
pub fn dependency_enabled(dependency: &Node, values: Option<&Node>) -> bool {
    let condition = dependency
        .get("condition")
        .and_then(Node::as_str)
        .unwrap_or("");
    condition
        .split(',')
        .map(str::trim)
        .filter(|path| !path.is_empty())
        .find_map(|path| {
            let keys: Vec<&str> = path.split('.').collect();
            values
                .and_then(|values| values.at(&keys))
                .and_then(Node::as_bool)
        })
        .unwrap_or(true)
}

/// A template value rendered from chart defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub text: String,
    /// The defaults it read, as `values.yaml` paths such as `image.tag` or
    /// `Chart.yaml` `appVersion`.
    pub sources: Vec<String>,
    /// The files those defaults are in, once each.
    pub files: Vec<String>,
}

impl Rendered {
    /// Formats the sources for a message: ``the chart defaults `image.tag`
    /// in `chart/values.yaml` ``.
    pub fn describe_sources(&self) -> String {
        let names: Vec<String> = self
            .sources
            .iter()
            .map(|source| format!("`{source}`"))
            .collect();
        let files: Vec<String> = self.files.iter().map(|file| format!("`{file}`")).collect();
        if files.is_empty() {
            format!("the chart defaults {}", names.join(", "))
        } else {
            format!(
                "the chart defaults {} in {}",
                names.join(", "),
                files.join(" and ")
            )
        }
    }

    /// Records that the value read `source` from the file at `file`.
    fn read(&mut self, source: &str, file: Option<&String>) {
        self.sources.push(source.to_string());
        if let Some(file) = file
            && !self.files.contains(file)
        {
            self.files.push(file.clone());
        }
    }
}

/// Returns the chart folder of a template path (`charts/api/templates/x.yaml` gives
/// `charts/api`), or `None` when the path is not under a `templates/` folder.
pub fn chart_dir(template_path: &str) -> Option<&str> {
    // Each slash from the end is tried in turn, which is faster on short
    // paths than a substring search that first prepares its pattern.
    template_path
        .rmatch_indices('/')
        .find(|(index, _)| template_path[index + 1..].starts_with("templates/"))
        .map(|(index, _)| &template_path[..index])
        .or_else(|| template_path.starts_with("templates/").then_some(""))
}

impl Chart {
    /// Returns the byte ranges of a template that a default install does not
    /// render: the body of `{{ if .Values.x }}` or `{{ with .Values.x }}`
    /// when values.yaml sets `x` to a false value (`false`, `0`, an empty
    /// string, list or map, or null), and its `{{ else }}` part when `x` is
    /// true. `not` before the path is
    /// understood. Conditions on anything else, or on a path that
    /// values.yaml does not set, leave both parts in.
    pub fn skipped_ranges(&self, text: &str) -> Vec<std::ops::Range<usize>> {
        self.decided_ranges(text).0
    }

    /// Returns the bodies of `{{ with .Values.x }}` blocks that a default
    /// install renders because values.yaml sets `x` to a value that is not
    /// empty. What `toYaml .` writes there comes from that value.
    pub fn rendered_with_ranges(&self, text: &str) -> Vec<std::ops::Range<usize>> {
        self.decided_ranges(text).1
    }

    /// Returns the skipped ranges of [`Chart::skipped_ranges`] and the
    /// rendered `with` bodies of [`Chart::rendered_with_ranges`].
    fn decided_ranges(
        &self,
        text: &str,
    ) -> (Vec<std::ops::Range<usize>>, Vec<std::ops::Range<usize>>) {
        struct Frame {
            /// The condition's value, for an `if` that the defaults decide.
            decided: Option<bool>,
            is_with: bool,
            body_start: usize,
            else_at: Option<(usize, usize)>,
        }
        let mut frames: Vec<Frame> = Vec::new();
        let mut skipped = Vec::new();
        let mut rendered_with = Vec::new();
        let mut rest_start = 0;
        while let Some(open) = text[rest_start..].find("{{") {
            let open = rest_start + open;
            let Some(close) = text[open..].find("}}") else {
                break;
            };
            let close = open + close + 2;
            rest_start = close;
            let action = text[open + 2..close - 2]
                .trim()
                .trim_start_matches('-')
                .trim_end_matches('-')
                .trim();
            let keyword = action.split_whitespace().next().unwrap_or("");
            match keyword {
                // `with` renders its body when the value is not empty, as
                // `if` does.
                "if" | "with" => frames.push(Frame {
                    decided: self.condition(action[keyword.len()..].trim()),
                    is_with: keyword == "with",
                    body_start: close,
                    else_at: None,
                }),
                "range" | "define" | "block" => frames.push(Frame {
                    decided: None,
                    is_with: false,
                    body_start: close,
                    else_at: None,
                }),
                "else" => {
                    if let Some(frame) = frames.last_mut()
                        && frame.else_at.is_none()
                    {
                        frame.else_at = Some((open, close));
                    }
                }
                "end" => {
                    let Some(frame) = frames.pop() else {
                        continue;
                    };
                    match (frame.decided, frame.else_at) {
                        (Some(false), Some((else_open, _))) => {
                            skipped.push(frame.body_start..else_open);
                        }
                        (Some(false), None) => skipped.push(frame.body_start..open),
                        (Some(true), Some((else_open, else_close))) => {
                            skipped.push(else_close..open);
                            if frame.is_with {
                                rendered_with.push(frame.body_start..else_open);
                            }
                        }
                        (Some(true), None) if frame.is_with => {
                            rendered_with.push(frame.body_start..open);
                        }
                        _ => {}
                    }
                }
                _ => {}
            }
        }
        (skipped, rendered_with)
    }

    /// Returns whether `{{ toYaml .Values.x }}` in `text` writes something
    /// in a default install, because values.yaml sets `x` to a value that
    /// is not empty.
    pub fn writes_values(&self, text: &str) -> bool {
        let Some(at) = text.find("toYaml") else {
            return false;
        };
        let rest = text[at + "toYaml".len()..].trim_start();
        let path: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '$'))
            .collect();
        path.starts_with(".Values.") && self.condition(&path) == Some(true)
    }

    /// Evaluates an `if` condition that is a `.Values` path, optionally
    /// after `not`, from the defaults; `None` when they do not decide it.
    fn condition(&self, condition: &str) -> Option<bool> {
        let (negated, path) = match condition.strip_prefix("not ") {
            Some(rest) => (true, rest.trim()),
            None => (false, condition),
        };
        let path = path
            .strip_prefix('$')
            .unwrap_or(path)
            .strip_prefix(".Values.")?;
        if path.contains(|c: char| c.is_whitespace() || c == '(' || c == '|') {
            return None;
        }
        let keys: Vec<&str> = path.split('.').collect();
        let node = self
            .parent_values
            .as_ref()
            .and_then(|values| values.at(&keys))
            .or_else(|| self.values.as_ref().and_then(|values| values.at(&keys)))?;
        let truthy = match &node.value {
            Value::Scalar(scalar) if scalar.quoted => !scalar.text.is_empty(),
            Value::Scalar(scalar) => !matches!(scalar.text.as_str(), "false" | "0" | ""),
            Value::Null => false,
            Value::Map(map) => !map.entries.is_empty(),
            Value::Seq(items) => !items.is_empty(),
            Value::Templated => return None,
        };
        Some(truthy != negated)
    }

    /// Renders the raw text of a templated scalar, as written in the
    /// template, from the chart defaults. Returns `None` when any part needs
    /// more than the defaults.
    pub fn render(&self, raw: &str) -> Option<Rendered> {
        let body = strip_quotes(raw.trim());
        // A value without an action is unknown for another reason (the
        // branches of `if`/`else` both set it, or a key is duplicated), and
        // its literal text is not what renders. Such a value spans all its
        // alternatives, so the `else` or `end` between them stops rendering.
        if !body.contains("{{") {
            return None;
        }
        let mut rendered = Rendered {
            text: String::new(),
            sources: Vec::new(),
            files: Vec::new(),
        };
        rendered.text = self.render_text(body, &mut rendered, 0)?;
        Some(rendered)
    }

    /// Renders the actions of `body`, recording what they read in
    /// `sources`; `depth` counts the named templates it is inside.
    fn render_text(&self, body: &str, sources: &mut Rendered, depth: usize) -> Option<String> {
        let mut text = String::new();
        let mut rest = body;
        while let Some(open) = rest.find("{{") {
            text.push_str(&rest[..open]);
            let after = &rest[open + 2..];
            let close = after.find("}}")?;
            let action = &after[..close];
            let value = self.render_action(action, sources, depth)?;
            text.push_str(&value);
            rest = &after[close + 2..];
        }
        text.push_str(rest);
        Some(text)
    }

    /// Renders one action: a term followed by pipeline functions.
    fn render_action(&self, action: &str, sources: &mut Rendered, depth: usize) -> Option<String> {
        let inner = action
            .trim()
            .trim_start_matches('-')
            .trim_end_matches('-')
            .trim();
        let mut stages = inner.split('|').map(str::trim);
        let first: Vec<&str> = stages.next()?.split_whitespace().collect();
        // `empty` follows Sprig's `default`, which replaces not only an
        // empty string but also `0`, `false` and null.
        let (mut value, mut empty) = match first.as_slice() {
            // `include "x.image" .` renders a named template of the chart
            // with the same values, when its body is itself renderable.
            ["include" | "template", name, "."] if depth < MAX_INCLUDE_DEPTH => {
                let body = self.defines.get(name.trim_matches('"'))?;
                let value = self.render_text(body, sources, depth + 1)?;
                let empty = value.is_empty();
                (value, empty)
            }
            [term] => self.term_with_emptiness(term, sources)?,
            // `default FALLBACK VALUE`, the function form.
            ["default", fallback, term] => {
                let (value, empty) = self.term_with_emptiness(term, sources)?;
                if empty {
                    self.term_with_emptiness(fallback, sources)?
                } else {
                    (value, false)
                }
            }
            _ => return None,
        };
        for stage in stages {
            let words: Vec<&str> = stage.split_whitespace().collect();
            (value, empty) = match words.as_slice() {
                // These turn the value into a string, which is empty only
                // when it has no characters.
                ["quote"] | ["squote"] | ["toString"] => {
                    let empty = value.is_empty();
                    (value, empty)
                }
                ["trim"] => {
                    let trimmed = value.trim().to_string();
                    let empty = trimmed.is_empty();
                    (trimmed, empty)
                }
                ["default", fallback] if empty => self.term_with_emptiness(fallback, sources)?,
                ["default", _] => (value, empty),
                _ => return None,
            };
        }
        Some(value)
    }

    /// Evaluates a term like [`Self::term`] and returns whether Sprig counts
    /// it as empty: an empty string, null, or an unquoted `0` or `false`
    /// from `values.yaml`.
    fn term_with_emptiness(&self, term: &str, sources: &mut Rendered) -> Option<(String, bool)> {
        let value = self.term(term, sources)?;
        let is_literal = term.starts_with('"');
        let quoted_in_values = !is_literal && self.is_quoted(term);
        let empty = value.is_empty()
            || (!is_literal && !quoted_in_values && matches!(value.as_str(), "0" | "false"));
        Some((value, empty))
    }

    /// Returns whether a `.Values` term is a quoted string in the values.
    fn is_quoted(&self, term: &str) -> bool {
        let term = term.strip_prefix('$').unwrap_or(term);
        let Some(path) = term.strip_prefix(".Values.") else {
            return false;
        };
        let keys: Vec<&str> = path.split('.').collect();
        let node = self
            .parent_values
            .as_ref()
            .and_then(|values| values.at(&keys))
            .or_else(|| self.values.as_ref().and_then(|values| values.at(&keys)));
        matches!(node.map(|node| &node.value), Some(Value::Scalar(scalar)) if scalar.quoted)
    }

    /// Evaluates a single term: a string, number or boolean literal, a
    /// `.Values` path, `.Chart.AppVersion` or `.Chart.Name`.
    fn term(&self, term: &str, sources: &mut Rendered) -> Option<String> {
        if term.len() >= 2 && term.starts_with('"') && term.ends_with('"') {
            return Some(term[1..term.len() - 1].to_string());
        }
        // Number and boolean literals, as in `default 10`.
        if term.parse::<f64>().is_ok() || matches!(term, "true" | "false") {
            return Some(term.to_string());
        }
        let term = term.strip_prefix('$').unwrap_or(term);
        if term == ".Chart.AppVersion" {
            sources.read("appVersion", self.chart_path.as_ref());
            return self.app_version.clone();
        }
        if term == ".Chart.Name" {
            sources.read("name", self.chart_path.as_ref());
            return self.name.clone();
        }
        let path = term.strip_prefix(".Values.")?;
        let keys: Vec<&str> = path.split('.').collect();
        // A key that values.yaml does not give is left unknown: an install
        // may set it, and opslint does not guess.
        let from_parent = self.parent_values.as_ref().and_then(|v| v.at(&keys));
        let (node, file) = match from_parent {
            Some(node) => (node, self.parent_values_path.as_ref()),
            None => (self.values.as_ref()?.at(&keys)?, self.values_path.as_ref()),
        };
        sources.read(path, file);
        match &node.value {
            Value::Scalar(scalar) if node.tag.is_none() => Some(scalar.text.to_string()),
            Value::Null => Some(String::new()),
            _ => None,
        }
    }
}

fn strip_quotes(text: &str) -> &str {
    for quote in ['"', '\''] {
        if text.len() >= 2 && text.starts_with(quote) && text.ends_with(quote) {
            return &text[1..text.len() - 1];
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use opslint_syntax::yaml;

    fn chart(values: &str, app_version: Option<&str>) -> Chart {
        Chart {
            values: yaml::parse(values, false)
                .documents
                .into_iter()
                .next()
                .map(|d| d.root),
            name: None,
            app_version: app_version.map(str::to_string),
            ..Chart::default()
        }
    }

    #[test]
    fn defines_skip_nested_blocks_and_trim() {
        let text = "{{/* helpers */}}\n{{- define \"a.name\" -}}\n{{ .Chart.Name }}\n{{- end }}\n\n{{- define \"a.labels\" -}}\nname: x\n{{- if .Values.team }}\nteam: {{ .Values.team }}\n{{- end }}\n{{- end }}\n{{ define \"a.image\" }}{{ .Values.image.repository }}:{{ .Values.image.tag }}{{ end }}\n";
        let found = defines(text);
        let names: Vec<&str> = found.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(names, ["a.name", "a.labels", "a.image"]);
        assert_eq!(found[0].1, "{{ .Chart.Name }}");
        assert!(found[1].1.ends_with("{{- end }}"), "{}", found[1].1);
        assert_eq!(
            found[2].1,
            "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
        );
    }

    #[test]
    fn include_renders_named_templates() {
        let mut chart = chart(
            "image:\n  repository: registry.example.com/api\n  tag: \"\"\n",
            Some("1.4.2"),
        );
        chart.defines.insert(
            "api.image".into(),
            "{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"
                .into(),
        );
        chart
            .defines
            .insert("api.loop".into(), "{{ include \"api.loop\" . }}".into());
        let rendered = chart
            .render("{{ include \"api.image\" . | quote }}")
            .expect("renders");
        assert_eq!(rendered.text, "registry.example.com/api:1.4.2");
        assert_eq!(
            rendered.sources,
            ["image.repository", "image.tag", "appVersion"]
        );
        // Templates that include themselves stop unrendered.
        assert_eq!(chart.render("{{ include \"api.loop\" . }}"), None);
        assert_eq!(chart.render("{{ include \"missing\" . }}"), None);
    }

    #[test]
    fn render_image_from_values() {
        let chart = chart("image:\n  repository: web\n  tag: latest\n", None);
        let rendered = chart
            .render("\"{{ .Values.image.repository }}:{{ .Values.image.tag }}\"")
            .unwrap();
        assert_eq!(rendered.text, "web:latest");
        assert_eq!(rendered.sources, vec!["image.repository", "image.tag"]);
    }

    #[test]
    fn render_empty_tag_defaults_to_app_version() {
        let chart = chart("image:\n  repository: web\n  tag: \"\"\n", Some("1.2.0"));
        let rendered = chart
            .render("{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}")
            .unwrap();
        assert_eq!(rendered.text, "web:1.2.0");
        let function_form = chart
            .render("web:{{ default .Chart.AppVersion .Values.image.tag }}")
            .unwrap();
        assert_eq!(function_form.text, "web:1.2.0");
    }

    #[test]
    fn render_unknown_parts_stay_unknown() {
        let chart = chart("image:\n  repository: web\n", Some("1.0"));
        assert!(chart.render("{{ .Values.image.tag }}").is_none());
        assert!(chart.render("{{ .Release.Name }}").is_none());
        assert!(chart.render("{{ include \"x\" . }}").is_none());
        assert!(chart.render("{{ .Values.image }}").is_none());
        assert!(Chart::default().render("{{ .Values.replicas }}").is_none());
        assert!(chart.render("0").is_none());
        assert!(
            chart
                .render("web:1\n  {{- else }}\n  image: {{ .Values.image.repository }}")
                .is_none()
        );
    }

    #[test]
    fn render_prefers_parent_chart_values() {
        let mut subchart = chart("image:\n  repository: cache\n  tag: latest\n", None);
        subchart.parent_values = yaml::parse("image:\n  tag: 7.2.5\n", false)
            .documents
            .into_iter()
            .next()
            .map(|d| d.root);
        let rendered = subchart
            .render("{{ .Values.image.repository }}:{{ .Values.image.tag }}")
            .unwrap();
        assert_eq!(rendered.text, "cache:7.2.5");
    }

    #[test]
    fn chart_dir_of_templates() {
        assert_eq!(chart_dir("helm/web/templates/d.yaml"), Some("helm/web"));
        assert_eq!(chart_dir("templates/d.yaml"), Some(""));
        assert_eq!(chart_dir("k8s/d.yaml"), None);
        // With two `templates` folders in the path, the last one is the
        // chart's.
        assert_eq!(
            chart_dir("a/templates/b/templates/d.yaml"),
            Some("a/templates/b")
        );
        assert_eq!(chart_dir("helm/mytemplates/d.yaml"), None);
        assert_eq!(chart_dir("helm/templates"), None);
    }

    #[test]
    fn default_replaces_zero_and_false_like_sprig() {
        let zero = chart(
            "revisionHistoryLimit: 0\nquoted: \"0\"\nflag: false\n",
            None,
        );
        let render = |text: &str| zero.render(text).map(|rendered| rendered.text);
        assert_eq!(
            render("{{ .Values.revisionHistoryLimit | default 10 }}").as_deref(),
            Some("10")
        );
        assert_eq!(
            render("{{ .Values.revisionHistoryLimit | default \"10\" }}").as_deref(),
            Some("10")
        );
        assert_eq!(
            render("{{ .Values.quoted | default \"10\" }}").as_deref(),
            Some("0")
        );
        assert_eq!(
            render("{{ default \"on\" .Values.flag }}").as_deref(),
            Some("on")
        );
    }

    #[test]
    fn disabled_if_blocks_are_skipped() {
        let chart = chart("shipper:\n  enabled: false\nmetrics: true\n", None);
        let text = "a\n{{- if .Values.shipper.enabled }}\nSHIPPER\n{{- end }}\n\
                    {{ if not .Values.metrics }}NO{{ else }}YES{{ end }}\n\
                    {{- if .Values.unset }}KEPT{{- end }}\n";
        let rendered: String = {
            let skipped = chart.skipped_ranges(text);
            text.char_indices()
                .filter(|(at, _)| !skipped.iter().any(|range| range.contains(at)))
                .map(|(_, c)| c)
                .collect()
        };
        assert!(!rendered.contains("SHIPPER"), "{rendered}");
        assert!(!rendered.contains("NO"), "{rendered}");
        assert!(rendered.contains("YES"), "{rendered}");
        assert!(rendered.contains("KEPT"), "{rendered}");
    }
}
