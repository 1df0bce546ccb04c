//! Recognition of deployment commands inside shell text: `run:` blocks of CI
//! steps and scripts. This is a tokenizer for the shell forms that CI scripts
//! use (line continuations, `&&` chains, quotes, heredocs, command
//! substitution), not a full shell parser.

use opslint_core::Span;

/// A simple command: its words with quotes removed, and its span in the
/// script text.
#[derive(Debug, Clone, PartialEq)]
pub struct ShellCommand {
    pub words: Vec<String>,
    pub span: Span,
}

/// What a recognised command changes.
#[derive(Debug, Clone, PartialEq)]
pub struct DeployCommand {
    /// Canonical form such as `terraform apply` or `helm upgrade`.
    pub name: String,
    /// The command skips its own confirmation prompt (`-auto-approve`).
    pub auto_approve: bool,
    /// The command removes infrastructure rather than changing it.
    pub destroys: bool,
    pub span: Span,
    /// Every word of the command, flags included, with quotes removed.
    pub words: Vec<String>,
}

impl DeployCommand {
    /// Returns whether a word is `flag` or `flag=value`.
    pub fn has_flag(&self, flag: &str) -> bool {
        self.words.iter().any(|word| {
            word == flag
                || word
                    .strip_prefix(flag)
                    .is_some_and(|rest| rest.starts_with('='))
        })
    }

    /// Returns the value of `--flag value` or `--flag=value`.
    pub fn flag_value(&self, flag: &str) -> Option<&str> {
        let mut words = self.words.iter();
        while let Some(word) = words.next() {
            if word == flag {
                return words.next().map(String::as_str);
            }
            if let Some(value) = word.strip_prefix(flag).and_then(|r| r.strip_prefix('=')) {
                return Some(value);
            }
        }
        None
    }
}

/// Words and commands collected so far by [`parse_commands`].
#[derive(Default)]
struct Builder {
    commands: Vec<ShellCommand>,
    words: Vec<String>,
    word: String,
    in_word: bool,
    command_start: Option<usize>,
    command_end: usize,
}

impl Builder {
    fn end_word(&mut self) {
        if self.in_word {
            self.words.push(std::mem::take(&mut self.word));
            self.in_word = false;
        }
    }

    fn end_command(&mut self) {
        self.end_word();
        if !self.words.is_empty() {
            self.commands.push(ShellCommand {
                words: std::mem::take(&mut self.words),
                span: Span::new(self.command_start.unwrap_or(0), self.command_end),
            });
        }
        self.command_start = None;
    }

    fn push_text(&mut self, text: &str, start: usize, end: usize) {
        if self.command_start.is_none() {
            self.command_start = Some(start);
        }
        self.word.push_str(text);
        self.in_word = true;
        self.command_end = end;
    }
}

/// Splits `script` into simple commands.
pub fn parse_commands(script: &str) -> Vec<ShellCommand> {
    let mut builder = Builder::default();
    let mut heredoc_terminators: Vec<String> = Vec::new();
    let bytes = script.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'\\' if bytes.get(i + 1) == Some(&b'\n') => {
                builder.end_word();
                i += 2;
                continue;
            }
            b'\\' if bytes.get(i + 1) == Some(&b'\r') && bytes.get(i + 2) == Some(&b'\n') => {
                builder.end_word();
                i += 3;
                continue;
            }
            b'\n' => {
                builder.end_command();
                i += 1;
                // Skip heredoc bodies opened on the line just ended.
                for terminator in std::mem::take(&mut heredoc_terminators) {
                    while i < bytes.len() {
                        let line_end = script[i..].find('\n').map_or(script.len(), |n| i + n);
                        let line = script[i..line_end].trim();
                        i = (line_end + 1).min(script.len());
                        if line == terminator {
                            break;
                        }
                    }
                }
                continue;
            }
            b';' | b'|' | b'&' | b'(' | b')' | b'`' => {
                builder.end_command();
                i += 1;
                continue;
            }
            b'#' if !builder.in_word => {
                let line_end = script[i..].find('\n').map_or(script.len(), |n| i + n);
                i = line_end;
                continue;
            }
            b' ' | b'\t' | b'\r' => {
                builder.end_word();
                i += 1;
                continue;
            }
            b'<' if bytes.get(i + 1) == Some(&b'<') && bytes.get(i + 2) != Some(&b'<') => {
                builder.end_word();
                let mut j = i + 2;
                if bytes.get(j) == Some(&b'-') {
                    j += 1;
                }
                while bytes.get(j) == Some(&b' ') {
                    j += 1;
                }
                let start = j;
                while j < bytes.len()
                    && !matches!(bytes[j], b'\n' | b' ' | b';' | b'|' | b'&' | b')')
                {
                    j += 1;
                }
                let terminator = script[start..j].trim_matches(|c| c == '\'' || c == '"');
                if !terminator.is_empty() {
                    heredoc_terminators.push(terminator.to_string());
                }
                i = j;
                continue;
            }
            b'$' if bytes.get(i + 1) == Some(&b'(') && bytes.get(i + 2) != Some(&b'(') => {
                builder.end_command();
                i += 2;
                continue;
            }
            b'\'' | b'"' => {
                let quote = c;
                let start = i + 1;
                let mut j = start;
                while j < bytes.len() && bytes[j] != quote {
                    if quote == b'"' && bytes[j] == b'\\' {
                        j += 1;
                    }
                    j += 1;
                }
                let end = (j + 1).min(bytes.len());
                builder.push_text(&script[start..j.min(bytes.len())], i, end);
                i = end;
                continue;
            }
            _ => {}
        }
        let char_len = script[i..].chars().next().map_or(1, char::len_utf8);
        builder.push_text(&script[i..i + char_len], i, i + char_len);
        i += char_len;
    }
    builder.end_command();
    builder.commands
}

/// Words that may precede the real program of a command.
const PREFIX_WORDS: [&str; 13] = [
    "sudo", "time", "exec", "env", "nohup", "command", "npx", "bunx", "if", "then", "do", "else",
    "!",
];

/// Two-word prefixes that run another program: `uv run fastapi deploy`.
const TOOL_RUNNERS: [(&str, &str); 8] = [
    ("uv", "run"),
    ("poetry", "run"),
    ("pipenv", "run"),
    ("pdm", "run"),
    ("pipx", "run"),
    ("npm", "exec"),
    ("pnpm", "exec"),
    ("yarn", "exec"),
];

/// Platform command-line tools whose `deploy` subcommand ships a release.
const PLATFORM_DEPLOYS: [&str; 7] = [
    "fastapi", "fly", "flyctl", "netlify", "vercel", "wrangler", "firebase",
];

/// Programs with a branch below. Most commands of a script run none of
/// them, and checking this first spares them the argument lists.
const DEPLOY_PROGRAMS: [&str; 21] = [
    "docker",
    "docker-compose",
    "ssh",
    "terraform",
    "tofu",
    "terragrunt",
    "kubectl",
    "oc",
    "helm",
    "aws",
    "sam",
    "cdk",
    "serverless",
    "sls",
    "skaffold",
    "pulumi",
    "copilot",
    "gcloud",
    "ecs-deploy",
    "ecs",
    "ecspresso",
];

/// Recognises a command that deploys or destroys infrastructure.
pub fn deploy_command(command: &ShellCommand) -> Option<DeployCommand> {
    deploy_command_in(&command.words, command.span)
}

/// [`deploy_command`] for the words and span of a command that is not a
/// [`ShellCommand`] of its own.
pub fn deploy_command_in(all_words: &[String], span: Span) -> Option<DeployCommand> {
    deploy_command_on(all_words, span, false)
}

/// [`deploy_command_in`] for a command that runs on `remote` host, as the
/// command `ssh` is given does: `docker compose up` there starts the
/// release, not a local test stack.
fn deploy_command_on(all_words: &[String], span: Span, remote: bool) -> Option<DeployCommand> {
    let remote = remote
        || all_words
            .iter()
            .any(|word| word.starts_with("DOCKER_HOST="));
    let mut words = all_words.iter().map(String::as_str).peekable();
    // Skip `VAR=value` assignments and wrapper programs.
    while let Some(word) = words.peek() {
        let is_assignment = !word.starts_with('-')
            && word.split_once('=').is_some_and(|(name, _)| {
                !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            });
        if is_assignment || PREFIX_WORDS.contains(word) {
            words.next();
        } else {
            break;
        }
    }
    let mut program_path = words.next()?;
    // Runners that start a tool installed in a project environment.
    if TOOL_RUNNERS.iter().any(|(runner, verb)| {
        program_path.rsplit('/').next() == Some(*runner) && words.peek() == Some(verb)
    }) {
        words.next();
        while words.peek().is_some_and(|w| w.starts_with('-')) {
            words.next();
        }
        program_path = words.next()?;
    }
    let program = program_path.rsplit('/').next().unwrap_or(program_path);
    if !DEPLOY_PROGRAMS.contains(&program) && !PLATFORM_DEPLOYS.contains(&program) {
        return None;
    }
    let args: Vec<&str> = words.collect();
    let positional: Vec<&str> = args
        .iter()
        .copied()
        .filter(|a| !a.starts_with('-'))
        .collect();
    let has_flag = |names: &[&str]| {
        args.iter().any(|arg| {
            names.iter().any(|name| {
                arg.strip_prefix(name)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('='))
            })
        })
    };
    let dry_run = has_flag(&["--dry-run", "-dry-run"]);
    let make = |name: String, auto_approve: bool, destroys: bool| {
        Some(DeployCommand {
            name,
            auto_approve,
            destroys,
            span,
            words: all_words.to_vec(),
        })
    };

    match program {
        "ssh" => {
            let remote = ssh_remote_command(&args)?;
            parse_commands(&remote)
                .iter()
                .find_map(|command| deploy_command_on(&command.words, span, true))
        }
        "docker" | "docker-compose" => {
            let (name, destroys) = docker_deploy(program, &args, remote)?;
            make(name, false, destroys)
        }
        "terraform" | "tofu" | "terragrunt" => {
            let subcommand = positional
                .iter()
                .find(|word| !matches!(**word, "run-all" | "run"))?;
            match *subcommand {
                "apply" | "destroy" => make(
                    format!("terraform {subcommand}"),
                    has_flag(&["-auto-approve", "--auto-approve"]),
                    *subcommand == "destroy" || has_flag(&["-destroy"]),
                ),
                _ => None,
            }
        }
        "kubectl" | "oc" => {
            let subcommand = *positional.first()?;
            let mutates = match subcommand {
                "apply" | "create" | "replace" | "patch" | "set" | "scale" | "delete" => true,
                "rollout" => matches!(positional.get(1), Some(&("restart" | "undo" | "resume"))),
                _ => false,
            };
            if !mutates || dry_run {
                return None;
            }
            make(
                format!("kubectl {subcommand}"),
                false,
                subcommand == "delete",
            )
        }
        "helm" => {
            let subcommand = *positional.first()?;
            if !matches!(
                subcommand,
                "upgrade" | "install" | "uninstall" | "delete" | "rollback"
            ) || dry_run
            {
                return None;
            }
            make(
                format!("helm {subcommand}"),
                false,
                matches!(subcommand, "uninstall" | "delete"),
            )
        }
        "aws" => {
            let service = *positional.first()?;
            let operation = *positional.get(1)?;
            let deploys = match service {
                "cloudformation" => matches!(
                    operation,
                    "deploy"
                        | "create-stack"
                        | "update-stack"
                        | "delete-stack"
                        | "execute-change-set"
                ),
                "ecs" => matches!(
                    operation,
                    "update-service" | "create-service" | "delete-service"
                ),
                "lambda" => matches!(operation, "update-function-code" | "update-alias"),
                "deploy" => operation == "create-deployment",
                _ => false,
            };
            if !deploys {
                return None;
            }
            make(
                format!("aws {service} {operation}"),
                false,
                operation.starts_with("delete"),
            )
        }
        "sam" | "cdk" | "serverless" | "sls" | "skaffold" | "pulumi" | "copilot" | "gcloud" => {
            let subcommand = *positional.first()?;
            let deploys = match program {
                "sam" => subcommand == "deploy",
                "cdk" => matches!(subcommand, "deploy" | "destroy"),
                "serverless" | "sls" => matches!(subcommand, "deploy" | "remove"),
                "skaffold" => matches!(subcommand, "run" | "deploy"),
                "pulumi" => matches!(subcommand, "up" | "destroy"),
                "copilot" => positional.get(1) == Some(&"deploy") || subcommand == "deploy",
                "gcloud" => {
                    matches!(subcommand, "run" | "app") && positional.get(1) == Some(&"deploy")
                }
                _ => false,
            };
            if !deploys {
                return None;
            }
            let destroys = matches!(subcommand, "destroy" | "remove");
            let auto_approve = (program == "cdk"
                && (args.contains(&"--require-approval=never")
                    || args
                        .windows(2)
                        .any(|w| w == ["--require-approval", "never"])))
                || (program == "pulumi" && has_flag(&["--yes", "-y"]));
            make(format!("{program} {subcommand}"), auto_approve, destroys)
        }
        "ecs-deploy" => make(program.to_string(), false, false),
        // fabfuel's ecs-deploy installs an `ecs` command: `ecs deploy CLUSTER SERVICE`.
        "ecs" if positional.first() == Some(&"deploy") => make("ecs deploy".into(), false, false),
        // ecspresso's `diff`, `verify`, `render` and `status` only read.
        "ecspresso" => {
            let subcommand = *positional.first()?;
            if !matches!(
                subcommand,
                "deploy" | "create" | "rollback" | "scale" | "delete"
            ) {
                return None;
            }
            make(
                format!("ecspresso {subcommand}"),
                false,
                subcommand == "delete",
            )
        }
        _ if PLATFORM_DEPLOYS.contains(&program) && positional.first() == Some(&"deploy") => {
            make(format!("{program} deploy"), false, false)
        }
        _ => None,
    }
}

/// Options of `ssh` that take a value as the next word.
const SSH_VALUE_OPTIONS: [&str; 17] = [
    "-b", "-c", "-D", "-E", "-e", "-F", "-I", "-i", "-J", "-L", "-l", "-m", "-O", "-o", "-p", "-R",
    "-S",
];

/// Returns the command line that `ssh [options] HOST COMMAND...` runs on the
/// host, to be split again because it usually arrives as one quoted word.
pub fn ssh_remote_command(args: &[&str]) -> Option<String> {
    let mut rest = args.iter();
    loop {
        let word = rest.next()?;
        if SSH_VALUE_OPTIONS.contains(word) {
            rest.next();
        } else if !word.starts_with('-') {
            break;
        }
    }
    let command = rest.copied().collect::<Vec<_>>().join(" ");
    (!command.trim().is_empty()).then_some(command)
}

/// Options of `docker` and `docker compose` that take a value as the next
/// word.
const DOCKER_VALUE_OPTIONS: [&str; 12] = [
    "-H",
    "--host",
    "-c",
    "--context",
    "--config",
    "-l",
    "--log-level",
    "-f",
    "--file",
    "-p",
    "--project-name",
    "--env-file",
];

/// Recognises Docker commands that ship or remove a release: `docker stack
/// deploy`, `docker service update` and the like, and `docker compose up`
/// or `down` when it reaches another host (`-H`, `--context`, `DOCKER_HOST`,
/// over `ssh`) or names a production or staging compose file. A compose
/// stack started for tests is not a deploy. Returns the command's name and
/// whether it destroys.
fn docker_deploy(program: &str, args: &[&str], remote: bool) -> Option<(String, bool)> {
    let mut remote = remote;
    let mut files = Vec::new();
    let mut positional = Vec::new();
    let mut rest = args.iter();
    while let Some(word) = rest.next() {
        let (option, inline) = match word.split_once('=') {
            Some((option, value)) if option.starts_with('-') => (option, Some(value)),
            _ => (*word, None),
        };
        if DOCKER_VALUE_OPTIONS.contains(&option) {
            let value = match inline {
                Some(value) => Some(value),
                None => rest.next().copied(),
            };
            match option {
                "-H" | "--host" | "-c" | "--context" => remote = true,
                "-f" | "--file" => files.extend(value),
                _ => {}
            }
        } else if !word.starts_with('-') {
            positional.push(*word);
        }
    }

    // Swarm commands always ship or remove a release; compose ones only in
    // the cases below.
    let compose = match program {
        "docker-compose" => positional.as_slice(),
        _ => match positional.as_slice() {
            ["stack", operation, ..] => {
                return match *operation {
                    "deploy" | "up" => Some(("docker stack deploy".into(), false)),
                    "rm" | "remove" | "down" => Some((format!("docker stack {operation}"), true)),
                    _ => None,
                };
            }
            ["service", operation, ..] => {
                return match *operation {
                    "create" | "update" | "scale" | "rollback" => {
                        Some((format!("docker service {operation}"), false))
                    }
                    "rm" | "remove" => Some((format!("docker service {operation}"), true)),
                    _ => None,
                };
            }
            ["compose", rest @ ..] => rest,
            _ => return None,
        },
    };

    let operation = *compose.first()?;
    if !matches!(operation, "up" | "down") {
        return None;
    }
    let production_file = files.iter().any(|file| {
        let name = file.rsplit('/').next().unwrap_or(file).to_ascii_lowercase();
        name.contains("prod") || name.contains("staging")
    });
    if !remote && !production_file {
        return None;
    }

    let removes_volumes = args.iter().any(|arg| matches!(*arg, "-v" | "--volumes"));
    Some((
        format!("docker compose {operation}"),
        operation == "down" && removes_volumes,
    ))
}

/// Every deploying command of `script`, in order.
pub fn deploy_commands(script: &str) -> Vec<DeployCommand> {
    parse_commands(script)
        .iter()
        .filter_map(deploy_command)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(script: &str) -> Vec<String> {
        deploy_commands(script)
            .into_iter()
            .map(|d| d.name)
            .collect()
    }

    #[test]
    fn continuations_and_chains() {
        let script =
            "cd infra && terraform init && \\\n  terraform apply \\\n  -auto-approve\necho done\n";
        let deploys = deploy_commands(script);
        assert_eq!(deploys.len(), 1);
        assert_eq!(deploys[0].name, "terraform apply");
        assert!(deploys[0].auto_approve);
        assert!(script[deploys[0].span.start..deploys[0].span.end].starts_with("terraform apply"));
    }

    #[test]
    fn docker_releases_are_deploys() {
        assert_eq!(
            names(
                "docker stack deploy -c docker-compose.yml shop
docker service update --image shop/api:1.2 shop_api
"
            ),
            ["docker stack deploy", "docker service update"]
        );
        assert_eq!(
            names("docker compose -f docker-compose.yml -f docker-compose.prod.yml up -d"),
            ["docker compose up"]
        );
        assert_eq!(
            names(
                "docker --context prod compose up -d\nDOCKER_HOST=ssh://deploy@app docker-compose up -d"
            ),
            ["docker compose up", "docker compose up"]
        );
        assert_eq!(
            names(
                "ssh -i key.pem deploy@app.example.com \"cd /srv/shop && docker compose pull && docker compose up -d\""
            ),
            ["docker compose up"]
        );
        let down = deploy_commands("docker compose --file compose.production.yml down --volumes");
        assert!(down[0].destroys);
    }

    #[test]
    fn local_compose_stacks_are_not_deploys() {
        let test_stack = "docker compose up -d db\n\
            docker-compose -f docker-compose.test.yml up --abort-on-container-exit\n";
        assert!(names(test_stack).is_empty());
        let reads = "docker compose ps\ndocker stack ls\nssh app uptime\ndocker build -t shop .\n";
        assert!(names(reads).is_empty());
    }

    #[test]
    fn read_only_and_dry_runs_are_not_deploys() {
        assert!(names("terraform plan\nkubectl get pods\nhelm template x ./chart\n").is_empty());
        assert!(names("kubectl apply --dry-run=client -f k8s/\n").is_empty());
        assert!(names("kubectl rollout status deploy/api\n").is_empty());
    }

    #[test]
    fn wrappers_and_assignments_are_skipped() {
        assert_eq!(
            names("TF_IN_AUTOMATION=1 terraform -chdir=infra apply -auto-approve"),
            ["terraform apply"]
        );
        assert_eq!(
            names("sudo /usr/local/bin/helm upgrade --install api ./chart"),
            ["helm upgrade"]
        );
    }

    #[test]
    fn heredoc_bodies_are_not_commands() {
        assert_eq!(
            names("cat <<EOF > x\nhelm upgrade a b\nEOF\nkubectl apply -f x\n"),
            ["kubectl apply"]
        );
    }

    #[test]
    fn comments_and_quotes() {
        assert!(names("# terraform apply -auto-approve\necho 'helm upgrade x'\n").is_empty());
    }

    #[test]
    fn tool_runners_are_followed() {
        assert_eq!(names("uv run fastapi deploy"), ["fastapi deploy"]);
        assert_eq!(
            names("poetry run --quiet sls deploy --stage prod"),
            ["sls deploy"]
        );
        assert!(names("uv run pytest").is_empty());
    }

    #[test]
    fn ecspresso_reads_are_not_deploys() {
        assert_eq!(
            names("ecspresso diff\necspresso deploy --config ecspresso.yml\n"),
            ["ecspresso deploy"]
        );
        assert_eq!(
            names("ecs deploy prod-cluster api --timeout 600\n"),
            ["ecs deploy"]
        );
    }

    #[test]
    fn cloud_cli_deploys() {
        assert_eq!(
            names("aws cloudformation deploy --stack-name x\nsam deploy --no-confirm-changeset\n"),
            ["aws cloudformation deploy", "sam deploy"]
        );
    }
}
