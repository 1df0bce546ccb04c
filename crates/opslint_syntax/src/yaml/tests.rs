use super::parse;
use crate::value::{Lookup, Value};

#[test]
fn multi_document_stream() {
    let file = parse("a: 1\n---\nb: 2\n", false);
    assert!(file.errors.is_empty());
    assert_eq!(file.documents.len(), 2);
    assert_eq!(file.documents[1].root.get("b").unwrap().as_str(), Some("2"));
    assert_eq!(file.documents[1].index, 1);
}

#[test]
fn spans_point_at_values() {
    let text = "spec:\n  image: nginx:1.25\n";
    let file = parse(text, false);
    let image = file.documents[0].root.at(&["spec", "image"]).unwrap();
    assert_eq!(&text[image.span.start..image.span.end], "nginx:1.25");
}

#[test]
fn anchors_aliases_and_merge_keys() {
    let text = "base: &base\n  a: 1\n  b: 2\nchild:\n  <<: *base\n  b: 3\ncopy: *base\n";
    let file = parse(text, false);
    assert!(file.errors.is_empty(), "{:?}", file.errors);
    let root = &file.documents[0].root;
    assert_eq!(root.at(&["child", "a"]).unwrap().as_str(), Some("1"));
    assert_eq!(root.at(&["child", "b"]).unwrap().as_str(), Some("3"));
    assert_eq!(root.at(&["copy", "b"]).unwrap().as_str(), Some("2"));
}

#[test]
fn cloudformation_short_tags_are_kept() {
    let text = "Value: !Ref Bucket\nArn: !GetAtt [Fn, Arn]\nName: !Sub '${AWS::StackName}-x'\n";
    let file = parse(text, false);
    let root = &file.documents[0].root;
    let value = root.get("Value").unwrap();
    assert_eq!(value.tag(), Some("!Ref"));
    assert!(value.as_str().is_none());
    assert_eq!(root.get("Arn").unwrap().tag(), Some("!GetAtt"));
    assert!(root.get("Arn").unwrap().as_seq().is_some());
    assert_eq!(root.get("Name").unwrap().tag(), Some("!Sub"));
}

#[test]
fn quoted_and_block_scalars() {
    let text = "a: \"x\\ty\"\nb: 'it''s'\nc: |\n  line1\n  line2\n";
    let root = parse(text, false).documents.remove(0).root;
    assert_eq!(root.get("a").unwrap().as_str(), Some("x\ty"));
    assert_eq!(root.get("b").unwrap().as_str(), Some("it's"));
    assert_eq!(root.get("c").unwrap().as_str(), Some("line1\nline2\n"));
}

#[test]
fn syntax_error_skips_only_its_document() {
    let file = parse("a: b: c\n---\nb: 2\n", false);
    assert_eq!(file.errors.len(), 1);
    assert_eq!(file.documents.len(), 1);
    assert!(file.documents[0].root.get("b").is_some());
}

#[test]
fn duplicate_key_is_an_error() {
    let file = parse("a: 1\na: 2\n", false);
    assert_eq!(file.errors.len(), 1);
    assert!(file.errors[0].message.contains("duplicate key `a`"));
    // Neither value is trusted, so rules cannot build a finding on one.
    assert!(file.documents[0].root.get("a").unwrap().is_templated());
}

#[test]
fn billion_laughs_is_bounded() {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for level in 1..12 {
        let previous = level - 1;
        text.push_str(&format!(
            "a{level}: &a{level} [*a{previous}, *a{previous}, *a{previous}, *a{previous}, *a{previous}, *a{previous}, *a{previous}, *a{previous}, *a{previous}, *a{previous}]\n"
        ));
    }
    let file = parse(&text, false);
    assert!(
        file.errors
            .iter()
            .any(|e| e.message.contains("alias expansion"))
    );
}

#[test]
fn helm_template_is_masked_with_offsets_kept() {
    let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}-web\n  labels:\n    {{- include \"labels\" . | nindent 4 }}\nspec:\n  replicas: 2\n";
    let file = parse(text, true);
    assert!(file.errors.is_empty(), "{:?}", file.errors);
    let root = &file.documents[0].root;
    assert!(root.at(&["metadata", "name"]).unwrap().is_templated());
    let replicas = root.at(&["spec", "replicas"]).unwrap();
    assert_eq!(replicas.as_str(), Some("2"));
    assert_eq!(&text[replicas.span.start..replicas.span.end], "2");
    let labels = root.at(&["metadata", "labels"]).unwrap();
    assert!(matches!(labels.value, Value::Null | Value::Map(_)));
}

#[test]
fn helm_include_opens_the_mapping_at_its_indent() {
    let text = "containers:\n  - name: web\n    image: x\n    {{- include \"probes\" . | nindent 4 }}\n  - name: other\n    image: y\n";
    let file = parse(text, true);
    assert!(file.errors.is_empty(), "{:?}", file.errors);
    let containers = file.documents[0]
        .root
        .get("containers")
        .unwrap()
        .as_seq()
        .unwrap();
    assert_eq!(containers[0].lookup("readinessProbe"), Lookup::Unknown);
    assert_eq!(containers[1].lookup("readinessProbe"), Lookup::Absent);
}

#[test]
fn helm_include_deeper_does_not_open_the_container() {
    let text = "containers:\n  - name: web\n    resources:\n      {{- toYaml .Values.resources | nindent 6 }}\n    image: x\n";
    let file = parse(text, true);
    let containers = file.documents[0]
        .root
        .get("containers")
        .unwrap()
        .as_seq()
        .unwrap();
    assert_eq!(containers[0].lookup("readinessProbe"), Lookup::Absent);
}
#[test]
fn syntax_error_points_at_the_failure() {
    let text = "a: 1\nb: c: d\n";
    let file = parse(text, false);
    assert_eq!(file.errors.len(), 1);
    assert_eq!(
        &text[file.errors[0].span.start..file.errors[0].span.start + 1],
        ":"
    );
    assert!(
        file.errors[0].message.contains("near `: d`"),
        "{}",
        file.errors[0].message
    );
}

#[test]
fn tab_indentation_is_named() {
    let file = parse("a:\n\tb: 1\n", false);
    assert_eq!(file.errors.len(), 1);
    assert!(
        file.errors[0].message.contains("tab"),
        "{}",
        file.errors[0].message
    );
}

#[test]
fn helm_branch_duplicates_are_templated() {
    let text = "spec:\n  {{- if .Values.a }}\n  name: a\n  {{- else }}\n  name: b\n  {{- end }}\n";
    let file = parse(text, true);
    assert!(file.errors.is_empty(), "{:?}", file.errors);
    assert!(
        file.documents[0]
            .root
            .at(&["spec", "name"])
            .unwrap()
            .is_templated()
    );
}

#[test]
fn deep_nesting_is_bounded() {
    let depth = 5_000;
    let text = format!("a: {}1{}\n", "[".repeat(depth), "]".repeat(depth));
    let file = parse(&text, false);
    assert!(
        file.errors
            .iter()
            .any(|e| e.message.contains("deeper than")),
        "{:?}",
        file.errors
    );
}

#[test]
fn deep_block_nesting_is_reported_not_parsed() {
    // Deep enough to abort tree-sitter-yaml's scanner if it were parsed.
    let mut text = String::new();
    for level in 0..1_000 {
        text.push_str(&" ".repeat(level));
        text.push_str("k:\n");
    }
    text.push_str("---\nnext: 1\n");
    let file = parse(&text, false);
    assert_eq!(file.errors.len(), 1);
    assert!(
        file.errors[0].message.contains("indentation levels"),
        "{:?}",
        file.errors
    );
    assert_eq!(file.documents.len(), 1);
}

#[test]
fn deep_compact_sequences_are_reported_not_parsed() {
    let text = format!("{}x\n", "- ".repeat(400));
    let file = parse(&text, false);
    assert_eq!(file.errors.len(), 1);
}

#[test]
fn block_nesting_below_the_limit_parses() {
    let mut text = String::new();
    for level in 0..150 {
        text.push_str(&" ".repeat(level));
        text.push_str("k:\n");
    }
    let file = parse(&text, false);
    assert!(
        file.errors
            .iter()
            .all(|e| !e.message.contains("indentation levels"))
    );
}

#[test]
fn compact_explicit_keys_are_reported_not_parsed() {
    // Found by fuzzing: nested `? ` and `: ` indicators on one line open an
    // indentation level each in the scanner.
    let text = format!("{}x\n", ":  ?   ? ".repeat(120));
    let file = parse(&text, false);
    assert_eq!(file.errors.len(), 1);
    assert!(file.errors[0].message.contains("indentation levels"));
}

#[test]
fn long_flow_mapping_on_one_line_still_parses() {
    let entries: Vec<String> = (0..300).map(|i| format!("k{i}: {i}")).collect();
    let text = format!("m: {{{}}}\n", entries.join(", "));
    let file = parse(&text, false);
    assert!(file.errors.is_empty(), "{:?}", file.errors);
}

#[test]
fn grammar_has_every_kind_used() {
    // `id_for_node_kind` gives 0 for a name the grammar lacks, which would
    // make the conversion skip that kind without an error.
    let kinds = super::kinds();
    let ids = [
        kinds.block_node,
        kinds.flow_node,
        kinds.tag,
        kinds.anchor,
        kinds.comment,
        kinds.block_mapping,
        kinds.flow_mapping,
        kinds.block_sequence,
        kinds.flow_sequence,
        kinds.block_sequence_item,
        kinds.block_mapping_pair,
        kinds.flow_pair,
        kinds.alias,
        kinds.plain_scalar,
        kinds.double_quote_scalar,
        kinds.single_quote_scalar,
        kinds.block_scalar,
    ];
    for (position, id) in ids.iter().enumerate() {
        assert_ne!(
            *id, 0,
            "kind at position {position} is missing from the grammar"
        );
    }
    assert!(kinds.key.is_some(), "field `key` is missing");
    assert!(kinds.value.is_some(), "field `value` is missing");
}

#[test]
fn documents_split_only_at_marker_lines() {
    let text = "---\na: 1\n--- # first\nb: '---'\n----\n---\r\nc: 3\n---";
    let parts: Vec<&str> = super::split_documents(text)
        .into_iter()
        .map(|(base, part)| {
            assert_eq!(&text[base..base + part.len()], part);
            part
        })
        .collect();
    assert_eq!(
        parts,
        [
            "---\na: 1\n",
            "--- # first\nb: '---'\n----\n",
            "---\r\nc: 3\n",
            "---"
        ]
    );
}

#[test]
fn line_counts_and_level_bounds() {
    assert_eq!(super::lines_and_levels(""), (0, 0));
    assert_eq!(super::lines_and_levels("a: 1"), (1, 8));
    assert_eq!(super::lines_and_levels("a: 1\n\nb: 2\n").0, 3);
    // A line too long for the quick bound is read: one level for `a`, two
    // for `b` and its indicator.
    let long = format!("a:\n  b: {}\n", "x".repeat(120));
    assert_eq!(super::lines_and_levels(&long), (2, 3));
}
