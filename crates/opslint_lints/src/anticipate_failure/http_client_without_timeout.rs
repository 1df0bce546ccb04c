use std::collections::HashMap;

use opslint_core::{ArtifactKind, Principle, RuleMeta, Severity, Sink, fingerprint};
use opslint_model::Workspace;
use opslint_model::service::{Timeout, is_test_path};

use crate::Rule;

pub struct HttpClientWithoutTimeout;

pub static META: RuleMeta = RuleMeta {
    id: "http-client-without-timeout",
    principle: Some(Principle::AnticipateFailure),
    waf: &["OPS04-BP04"],
    severity: Severity::Warning,
    artifacts: &[ArtifactKind::Rust, ArtifactKind::Python],
    summary: "HTTP call or client that can wait forever",
    what_it_checks: "Python `requests` calls (`requests.get(...)` and the other verbs) and \
        calls on a `requests.Session()` without `timeout=`, `urllib.request.urlopen` without a \
        timeout, `httpx` calls and clients with `timeout=None`, and Rust `reqwest::get`, \
        `reqwest::blocking::get`, `reqwest::Client::new()` and `Client::builder()...build()` \
        chains that set neither `timeout` nor `read_timeout`. A client built once with a \
        timeout and shared satisfies the rule wherever it is used. A `Client::new()` in a file \
        whose requests call `.timeout(...)` one by one gets a question instead. Test files are \
        skipped.",
    why_it_matters: "`requests`, `urllib` and `reqwest` wait without limit by default. When a \
        dependency hangs, every worker that calls it hangs too, until the service stops \
        answering its own health checks. httpx applies a five-second default, which \
        `timeout=None` removes.",
    how_to_fix: "Set a timeout on the call, or once on a shared client:\n\n\
        ```python\n\
        response = requests.get(url, timeout=(3.05, 10))\n\
        ```\n\n\
        ```rust\n\
        let client = reqwest::Client::builder()\n\
        \x20   .timeout(Duration::from_secs(10))\n\
        \x20   .build()?;\n\
        ```",
    known_limits: "A Session default is recognised only from a `session.request` wrapper with a \
        timeout or an `HTTPAdapter` subclass in the same file. A Rust `Client::new()` or builder \
        without a timeout in a file whose requests call `.timeout(...)` one by one is reported \
        as a question. Clients \
        passed in from other modules are judged where they are built.",
};

impl Rule for HttpClientWithoutTimeout {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, workspace: &Workspace, sink: &mut Sink) {
        for (artifact, code) in workspace.code() {
            if is_test_path(&artifact.file.path) {
                continue;
            }
            let file = &artifact.file;
            // The logical location is the call and its number among calls of
            // the same function in the file. The fingerprint hashes the call's
            // text (`call_text`) instead, so it survives moved lines and calls
            // added above it.
            let mut seen: HashMap<&str, usize> = HashMap::new();
            let mut seen_texts: HashMap<String, usize> = HashMap::new();
            for client in &code.http_clients {
                let count = seen.entry(client.call.as_str()).or_insert(0);
                *count += 1;
                let location = match *count {
                    1 => client.call.clone(),
                    n => format!("{}#{n}", client.call),
                };
                let text = call_text(&file.text, client.span.start);
                let repeat = seen_texts.entry(text.clone()).or_insert(0);
                *repeat += 1;
                let fingerprint =
                    fingerprint(&[META.id, file.identity_path(), &text, &repeat.to_string()]);
                match &client.timeout {
                    Timeout::Set => sink.holds(&META, file, location),
                    Timeout::Missing => {
                        let finding = sink.violation(
                            &META,
                            file,
                            client.span,
                            location,
                            format!("`{}` has no timeout, so it can wait forever", client.call),
                            "no timeout",
                        );
                        finding.help = Some(missing_timeout_help(artifact.kind, &client.call));
                        finding.fingerprint = fingerprint.clone();
                    }
                    Timeout::Disabled => {
                        let finding = sink.violation(
                            &META,
                            file,
                            client.span,
                            location,
                            format!("`{}` disables its timeout with `timeout=None`", client.call),
                            "timeout disabled",
                        );
                        finding.help = Some("set a finite timeout in seconds".to_string());
                        finding.fingerprint = fingerprint.clone();
                    }
                    Timeout::Unclear(reason) => sink.unclear(
                        &META,
                        file,
                        client.span,
                        location,
                        format!(
                            "Does every request made with `{}` set a timeout?",
                            client.call
                        ),
                        reason.clone(),
                    ),
                }
            }
        }
    }
}

/// The text of a call from its function to the end of its line, with runs
/// of white space folded: `requests.post("https://pay.example/charges",
/// json=body)`. It distinguishes calls of one function by their arguments.
fn call_text(text: &str, start: usize) -> String {
    let line = text
        .get(start..)
        .and_then(|rest| rest.lines().next())
        .unwrap_or("");
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Returns how to set a timeout, in the language of the call.
fn missing_timeout_help(kind: ArtifactKind, call: &str) -> String {
    if kind != ArtifactKind::Rust {
        return "pass `timeout=` to the call, or build one shared client with a timeout".into();
    }
    if call.ends_with("::get") {
        format!(
            "send the request through one shared client built with \
             `Client::builder().timeout(Duration::from_secs(10))`, since `{call}` cannot set a timeout"
        )
    } else {
        "build the client with `Client::builder().timeout(Duration::from_secs(10))`, or set \
         `.timeout(...)` on every request"
            .into()
    }
}
