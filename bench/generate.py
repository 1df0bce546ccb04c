#!/usr/bin/env python3
"""Generate a synthetic repository for benchmarks.

The same seed and size always give byte-identical files. The mix follows a
platform monorepo: Kubernetes manifests, Helm charts, Terraform,
CloudFormation (YAML and JSON), GitHub workflows, docker-compose files,
Dockerfiles, Rust and Python services, ADRs and incident exports.

Usage: generate.py OUTPUT_DIR --files N [--seed S]
"""

import argparse
import json
import random
import shutil
from pathlib import Path

# Share of each kind in the generated repository, in percent.
MIX = [
    ("k8s", 22),
    ("helm", 10),
    ("terraform", 18),
    ("cfn_yaml", 8),
    ("cfn_json", 4),
    ("workflow", 6),
    ("compose", 3),
    ("dockerfile", 5),
    ("rust", 8),
    ("python", 8),
    ("adr", 5),
    ("incidents", 3),
]


def k8s(rng, i):
    probes = rng.random() < 0.7
    tag = rng.choice(["1.4.2", "latest", "2.0.0", ""])
    image = f"registry.example.com/svc{i}" + (f":{tag}" if tag else "")
    probe_text = (
        "          readinessProbe:\n            httpGet:\n              path: /ready\n              port: 8080\n"
        "          livenessProbe:\n            httpGet:\n              path: /healthz\n              port: 8080\n"
        if probes
        else ""
    )
    return (
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: svc{i}\n  labels:\n    app: svc{i}\n"
        f"spec:\n  replicas: {rng.randint(1, 5)}\n  selector:\n    matchLabels:\n      app: svc{i}\n"
        f"  template:\n    metadata:\n      labels:\n        app: svc{i}\n    spec:\n      containers:\n"
        f"        - name: app\n          image: {image}\n          ports:\n            - containerPort: 8080\n"
        f"{probe_text}"
        f"          resources:\n            limits:\n              memory: {rng.choice([128, 256, 512])}Mi\n"
        f"---\napiVersion: v1\nkind: Service\nmetadata:\n  name: svc{i}\nspec:\n  selector:\n    app: svc{i}\n"
        f"  ports:\n    - port: 80\n      targetPort: 8080\n"
    )


def helm(rng, i):
    return (
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{{{ .Release.Name }}}}-c{i}\n"
        f"  labels:\n    {{{{- include \"chart.labels\" . | nindent 4 }}}}\nspec:\n"
        f"  replicas: {{{{ .Values.replicas }}}}\n  template:\n    spec:\n"
        f"      {{{{- if .Values.serviceAccount.create }}}}\n      serviceAccountName: {{{{ .Release.Name }}}}\n"
        f"      {{{{- else }}}}\n      serviceAccountName: default\n      {{{{- end }}}}\n"
        f"      containers:\n        - name: app\n"
        f"          image: \"{{{{ .Values.image.repository }}}}:{{{{ .Values.image.tag }}}}\"\n"
        f"          resources:\n            {{{{- toYaml .Values.resources | nindent 12 }}}}\n"
    )


def terraform(rng, i):
    tracing = rng.choice(['"Active"', '"PassThrough"', "var.tracing_mode"])
    retention = rng.choice(["30", "0", "var.retention", None])
    retention_line = f"  retention_in_days = {retention}\n" if retention else ""
    return (
        f'variable "tracing_mode" {{\n  type    = string\n  default = "Active"\n}}\n\n'
        f'resource "aws_lambda_function" "fn{i}" {{\n  function_name = "fn{i}"\n'
        f'  role          = aws_iam_role.lambda.arn\n  handler       = "main.handler"\n'
        f'  runtime       = "python3.12"\n  filename      = "build/fn{i}.zip"\n\n'
        f"  tracing_config {{\n    mode = {tracing}\n  }}\n\n"
        f'  environment {{\n    variables = {{\n      STAGE = "prod"\n      INDEX = "{i}"\n    }}\n  }}\n}}\n\n'
        f'resource "aws_cloudwatch_log_group" "fn{i}" {{\n  name = "/aws/lambda/fn{i}"\n{retention_line}}}\n\n'
        f'resource "aws_ecs_service" "svc{i}" {{\n  name            = "svc{i}"\n'
        f"  cluster         = aws_ecs_cluster.main.id\n  desired_count   = {rng.randint(1, 4)}\n\n"
        f"  deployment_circuit_breaker {{\n    enable   = true\n    rollback = {rng.choice(['true', 'false'])}\n  }}\n}}\n"
    )


def cfn_resources(rng, i):
    return {
        f"Function{i}": {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "Handler": "index.handler",
                "Runtime": "nodejs20.x",
                "Role": {"Fn::GetAtt": ["Role", "Arn"]},
                "Code": {"ZipFile": "exports.handler = async () => 'ok';"},
                **({"TracingConfig": {"Mode": "Active"}} if rng.random() < 0.5 else {}),
            },
        },
        f"Logs{i}": {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {"LogGroupName": f"/app/{i}", **({"RetentionInDays": 14} if rng.random() < 0.5 else {})},
        },
        f"Service{i}": {
            "Type": "AWS::ECS::Service",
            "Properties": {"Cluster": {"Ref": "Cluster"}, "DesiredCount": 2},
        },
    }


def cfn_yaml(rng, i):
    lines = ['AWSTemplateFormatVersion: "2010-09-09"', "Resources:"]
    for name, resource in cfn_resources(rng, i).items():
        lines.append(f"  {name}:")
        lines.append(f"    Type: {resource['Type']}")
        lines.append("    Properties:")
        for key, value in resource["Properties"].items():
            if isinstance(value, dict) and "Fn::GetAtt" in value:
                lines.append(f"      {key}: !GetAtt {'.'.join(value['Fn::GetAtt'])}")
            elif isinstance(value, dict) and "Ref" in value:
                lines.append(f"      {key}: !Ref {value['Ref']}")
            elif isinstance(value, dict):
                lines.append(f"      {key}:")
                for inner_key, inner_value in value.items():
                    lines.append(f"        {inner_key}: {json.dumps(inner_value)}")
            else:
                lines.append(f"      {key}: {json.dumps(value)}")
    return "\n".join(lines) + "\n"


def cfn_json(rng, i):
    return json.dumps({"AWSTemplateFormatVersion": "2010-09-09", "Resources": cfn_resources(rng, i)}, indent=2) + "\n"


def workflow(rng, i):
    environment = "    environment: production\n" if rng.random() < 0.5 else ""
    return (
        f"name: deploy-{i}\non:\n  push:\n    branches: [main]\njobs:\n  test:\n    runs-on: ubuntu-latest\n"
        f"    steps:\n      - uses: actions/checkout@v4\n      - run: make test\n"
        f"  deploy:\n    needs: test\n    runs-on: ubuntu-latest\n{environment}"
        f"    steps:\n      - uses: actions/checkout@v4\n      - name: Apply\n        run: |\n"
        f"          terraform init -input=false\n          terraform apply -auto-approve -input=false\n"
        f"          kubectl apply -f k8s/svc{i}.yaml\n"
    )


def compose(rng, i):
    return (
        f"services:\n  api{i}:\n    build: ./api\n    ports:\n      - \"80{i % 100:02d}:8080\"\n"
        f"  db{i}:\n    image: postgres:{rng.choice(['16.2', 'latest'])}\n    environment:\n      POSTGRES_PASSWORD: example\n"
    )


def dockerfile(rng, i):
    healthcheck = "HEALTHCHECK CMD curl -f http://localhost:8080/healthz || exit 1\n" if rng.random() < 0.5 else ""
    return (
        f"FROM rust:1.90 AS build\nWORKDIR /src\nCOPY . .\nRUN cargo build --release --bin svc{i}\n\n"
        f"FROM debian:bookworm-slim\nCOPY --from=build /src/target/release/svc{i} /usr/local/bin/svc\n"
        f"EXPOSE 8080\n{healthcheck}ENTRYPOINT [\"/usr/local/bin/svc\"]\n"
    )


def rust(rng, i):
    return (
        "use axum::{routing::get, Router};\n\n"
        f"async fn health() -> &'static str {{\n    \"ok\"\n}}\n\n"
        f"async fn item_{i}() -> String {{\n    let client = reqwest::Client::new();\n"
        f"    let body = client.get(\"http://inventory/items/{i}\").send().await.unwrap().text().await.unwrap();\n"
        f"    println!(\"fetched {{}}\", body.len());\n    body\n}}\n\n"
        f"pub fn router() -> Router {{\n    Router::new()\n        .route(\"/healthz\", get(health))\n"
        f"        .route(\"/items/{i}\", get(item_{i}))\n}}\n"
    )


def python(rng, i):
    return (
        "import requests\nfrom fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
        "@app.get(\"/healthz\")\ndef health():\n    return {\"status\": \"ok\"}\n\n\n"
        f"@app.get(\"/orders/{i}\")\ndef order_{i}():\n"
        f"    response = requests.get(\"http://inventory/orders/{i}\"{', timeout=5' if rng.random() < 0.5 else ''})\n"
        "    try:\n        return response.json()\n    except ValueError:\n        pass\n"
    )


def adr(rng, i):
    status = rng.choice(["Accepted", "Proposed", "Superseded by ADR-0001", "Deprecated"])
    return (
        f"# {i}. Use managed queue for service {i}\n\nDate: 2026-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}\n\n"
        f"## Status\n\n{status}\n\n## Context\n\nService {i} needs asynchronous processing.\n\n"
        f"## Decision\n\nWe will use Amazon SQS with a dead-letter queue.\n\n"
        f"## Consequences\n\nNo broker to operate; we depend on AWS.\n"
    )


def incidents(rng, i):
    rows = ["id,title,severity,service,created_at,acknowledged_at,resolved_at,detection"]
    for row in range(20):
        # The random values are drawn in the order the repository's other
        # files depend on; acknowledgement and resolution fall on the day
        # the incident was created.
        hour = rng.randint(0, 20)
        severity = rng.choice(['SEV1', 'SEV2', 'SEV3'])
        service = rng.randint(0, 50)
        day = rng.randint(1, 9)
        detection = rng.choice(['alert', 'customer'])
        rows.append(
            f"INC-{i}-{row},Latency spike {row},{severity},svc{service},"
            f"2026-03-0{day}T{hour:02d}:00:00Z,2026-03-0{day}T{hour:02d}:05:00Z,"
            f"2026-03-0{day}T{hour + 1:02d}:00:00Z,{detection}"
        )
    return "\n".join(rows) + "\n"


PATHS = {
    "k8s": lambda i: f"deploy/k8s/team{i % 40}/svc{i}.yaml",
    "helm": lambda i: f"charts/chart{i // 20}/templates/deployment{i}.yaml",
    "terraform": lambda i: f"infra/module{i // 10}/main{i}.tf",
    "cfn_yaml": lambda i: f"cloudformation/stack{i}.yaml",
    "cfn_json": lambda i: f"cloudformation/json/stack{i}.json",
    "workflow": lambda i: f"repos/repo{i}/.github/workflows/deploy.yml",
    "compose": lambda i: f"dev/env{i}/docker-compose.yml",
    "dockerfile": lambda i: f"services/svc{i}/Dockerfile",
    "rust": lambda i: f"services/rust{i // 20}/src/handler{i}.rs",
    "python": lambda i: f"services/py{i // 20}/app/route{i}.py",
    "adr": lambda i: f"docs/adr/{i:04d}-decision-{i}.md",
    "incidents": lambda i: f"ops/incidents/export{i}.csv",
}

GENERATORS = {
    "k8s": k8s,
    "helm": helm,
    "terraform": terraform,
    "cfn_yaml": cfn_yaml,
    "cfn_json": cfn_json,
    "workflow": workflow,
    "compose": compose,
    "dockerfile": dockerfile,
    "rust": rust,
    "python": python,
    "adr": adr,
    "incidents": incidents,
}


def generate(output: Path, files: int, seed: int) -> dict:
    """Write `files` files under `output` and return the count per kind."""
    if output.exists():
        shutil.rmtree(output)
    rng = random.Random(seed)
    counts = {}
    for kind, share in MIX:
        counts[kind] = files * share // 100
    counts["k8s"] += files - sum(counts.values())
    for kind, count in counts.items():
        for i in range(count):
            path = output / PATHS[kind](i)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(GENERATORS[kind](rng, i))
    for chart in range(counts["helm"] // 20 + 1):
        chart_dir = output / f"charts/chart{chart}"
        chart_dir.mkdir(parents=True, exist_ok=True)
        (chart_dir / "Chart.yaml").write_text(f"apiVersion: v2\nname: chart{chart}\nversion: 0.1.0\n")
        (chart_dir / "values.yaml").write_text(
            "replicas: 2\nimage:\n  repository: registry.example.com/app\n  tag: 1.0.0\nresources: {}\n"
        )
    return counts


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("output", type=Path)
    parser.add_argument("--files", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    counts = generate(args.output, args.files, args.seed)
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
