#!/usr/bin/env python3
"""Benchmark opslint against a parse-only pass, checkov and semgrep.

Runs everything side by side in one run on the same machine and writes
`docs/benchmarks.md` with medians, peak memory, files per second and the
ratios. Absolute times on a shared machine are noise; the ratios are the
result.

Usage: bench/run.py [--sizes 5000,10000,20000] [--runs 11] [--no-peers]
"""

import argparse
import json
import math
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WORK = Path(os.environ.get("OPSLINT_BENCH_DIR", "/tmp/opslint-bench"))
OPSLINT = REPO / "target/release/opslint"
PARSE_ONLY = REPO / "target/release/examples/parse_only"


# Keeps checkov from downloading its policy mapping, and checkov and semgrep
# from checking for a newer version, so the benchmark sends nothing out.
OFFLINE_ENV = {
    **os.environ,
    "BC_SKIP_MAPPING": "TRUE",
    "CKV_SKIP_PACKAGE_UPDATE_CHECK": "TRUE",
    "SEMGREP_ENABLE_VERSION_CHECK": "0",
    "SEMGREP_SEND_METRICS": "off",
}



def network_off_prefix():
    """Return a command prefix that runs a peer without network access, when
    the machine allows it (`unshare -n` needs root or user namespaces)."""
    try:
        ok = subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0
    except OSError:
        ok = False
    return ["unshare", "-n"] if ok else []


# Files of the pre-commit run, one per common kind, relative to the
# synthetic repository.
PRE_COMMIT_FILES = [
    "deploy/k8s/team0/svc0.yaml",
    "infra/module0/main0.tf",
    "services/svc0/Dockerfile",
    "repos/repo0/.github/workflows/deploy.yml",
    "services/py0/app/route0.py",
]


def measure(command, cwd=None, limit=None):
    """Run `command` once; return (seconds, peak resident MiB, exit code).
    A run still going after `limit` seconds is stopped, and its time is
    returned as infinite."""
    started = time.perf_counter()
    # A session of its own, so a stopped peer's worker processes are
    # stopped with it.
    process = subprocess.Popen(
        command, cwd=cwd, env=OFFLINE_ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    # A blocking wait ends when the process does: polling every 20 ms made
    # each time up to 20 ms too long, which a 5 ms run cannot afford.
    stopped = threading.Event()

    def stop():
        stopped.set()
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    timer = threading.Timer(limit, stop) if limit is not None else None
    if timer:
        timer.start()
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if timer:
        timer.cancel()
    if stopped.is_set():
        return float("inf"), usage.ru_maxrss / 1024, None
    # ru_maxrss is in KiB on Linux.
    return elapsed, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def medians_alternating(first, second, runs):
    """Run two commands in turn `runs` times each and return the median time
    and peak of each, and the median of the ratios of the pairs of runs.
    Alternating puts both under the same load on a shared machine, whose
    speed drifts by a tenth within minutes: timing all runs of one before all
    runs of the other moved the ratio by as much. Each run of `first` is
    divided by the run of `second` just after it, so the median ratio
    compares runs that saw the same load. The ratio of the two medians can
    pair runs from a slow and a fast spell of the machine."""
    results = ([], []), ([], [])
    # One untimed run of each first, as hyperfine's --warmup does. The first
    # runs after the files were written were slower, probably from write-back
    # and cold directory caches: at 5,000 files by about a fifth.
    for command in (first, second):
        measure(command)
    for _ in range(runs):
        for command, (times, peaks) in zip((first, second), results):
            seconds, peak, code = measure(command)
            if code not in (0, 1):
                sys.exit(f"error: {' '.join(map(str, command))} exited with {code}")
            times.append(seconds)
            peaks.append(peak)
    medians = [(statistics.median(times), max(peaks)) for times, peaks in results]
    ratios = [a / b for a, b in zip(results[0][0], results[1][0])]
    return medians[0], medians[1], statistics.median(ratios)


def median_of(command, runs, cwd=None):
    # One untimed run first, as in `medians_alternating`.
    measure(command, cwd)
    times, peaks = [], []
    for _ in range(runs):
        seconds, peak, code = measure(command, cwd)
        if code not in (0, 1):
            sys.exit(f"error: {' '.join(map(str, command))} exited with {code}")
        times.append(seconds)
        peaks.append(peak)
    return statistics.median(times), max(peaks)


def count_parsed(path):
    output = subprocess.run([PARSE_ONLY, path], capture_output=True, text=True, check=True).stdout
    return int(output.split()[0])


def build():
    subprocess.run(
        ["cargo", "build", "--release", "--bin", "opslint", "--example", "parse_only"],
        cwd=REPO,
        check=True,
    )


def generate(size, seed):
    target = WORK / f"synth-{size}"
    subprocess.run(
        [sys.executable, REPO / "bench/generate.py", target, "--files", str(size), "--seed", str(seed)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    # Written to disk before timing starts, so that write-back does not
    # run during the first measurements.
    os.sync()
    return target


def copy_subset(source, target, suffixes, limit):
    """Copy up to `limit` files with one of `suffixes` from `source`, keeping
    paths. Files are taken in turn from each top-level folder, so the subset
    mixes Terraform, Kubernetes, CloudFormation and workflows instead of
    filling up with whichever folder sorts first."""
    if target.exists():
        shutil.rmtree(target)
    groups = {}
    for path in sorted(source.rglob("*")):
        if path.is_file() and path.suffix in suffixes and "charts" not in path.parts:
            groups.setdefault(path.relative_to(source).parts[0], []).append(path)
    queues = list(groups.values())
    copied = 0
    while copied < limit and any(queues):
        for queue in queues:
            if queue and copied < limit:
                path = queue.pop(0)
                destination = target / path.relative_to(source)
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(path, destination)
                copied += 1
    os.sync()
    return copied


# Maximum time a peer may run on one input before it is stopped.
PEER_LIMIT_SECONDS = 300

# A peer that finishes within this many seconds runs PEER_RUNS times and its
# median is reported; a longer run is measured once.
PEER_REPEAT_BELOW_SECONDS = 60
PEER_RUNS = 3


def measure_peer(command, opslint_command, runs):
    """Return the median time, peak resident MiB and last exit code of a
    peer, and the median time of opslint on the same folder. Short peer
    runs are repeated, because a single run of checkov moved the ratio from
    96 to 101 between two benchmark runs. opslint runs in groups before the
    first peer run and after each one, so that its median comes from the
    same minutes as the peer's."""
    per_group = max(1, math.ceil(runs / (PEER_RUNS + 1)))
    opslint_times = []

    def opslint_group():
        for _ in range(per_group):
            seconds, _, code = measure(opslint_command)
            if code not in (0, 1):
                sys.exit(f"error: {' '.join(map(str, opslint_command))} exited with {code}")
            opslint_times.append(seconds)

    # One untimed run first, as in `medians_alternating`.
    measure(opslint_command)
    opslint_group()
    times, peaks = [], []
    for _ in range(PEER_RUNS):
        seconds, peak, code = measure(command, limit=PEER_LIMIT_SECONDS)
        times.append(seconds)
        peaks.append(peak)
        opslint_group()
        if seconds >= PEER_REPEAT_BELOW_SECONDS or code not in (0, 1):
            break
    opslint_time = statistics.median(opslint_times)
    if code not in (0, 1):
        return seconds, peak, code, opslint_time
    return statistics.median(times), max(peaks), code, opslint_time


def run_peers(name, iac, code, iac_files, code_files, runs):
    """Time checkov on `iac` and semgrep on `code`, each against opslint on
    the same folder; return one row per peer that is installed."""
    rows = []
    if shutil.which("checkov"):
        checkov_time, checkov_peak, checkov_code, opslint_time = measure_peer(
            [*network_off_prefix(), "checkov", "-d", iac, "--quiet", "--compact", "-o", "json", "--skip-download",
             "--framework", "terraform", "cloudformation", "kubernetes"],
            [OPSLINT, "check", iac, "-q", "--exit-zero"],
            runs,
        )
        checkov_time = peer_time_or_failure("checkov", checkov_time, checkov_code)
        rows.append((name, "checkov", tool_version(["checkov", "--version"]), iac_files, checkov_time, checkov_peak,
                     opslint_time))
    if shutil.which("semgrep"):
        semgrep_time, semgrep_peak, semgrep_code, opslint_time = measure_peer(
            [*network_off_prefix(), "semgrep", "scan", "--config", REPO / "bench/semgrep-rules.yml", "--metrics=off",
             "--disable-version-check", "--quiet", "--json", "-j", str(os.cpu_count()), code],
            [OPSLINT, "check", code, "-q", "--exit-zero"],
            runs,
        )
        semgrep_time = peer_time_or_failure("semgrep", semgrep_time, semgrep_code)
        rows.append((name, "semgrep (10 rules)", tool_version(["semgrep", "--version"]), code_files, semgrep_time,
                     semgrep_peak, opslint_time))
    return rows


def peer_time_or_failure(peer, seconds, code):
    """Return the time of a peer run, or the exit code as a string when the
    run failed. Both peers exit with 0, or 1 for findings, after a scan.
    Other codes mean they stopped early, for example on an invalid rule
    file, so the time measures nothing."""
    if seconds == float("inf") or code in (0, 1):
        return seconds
    print(f"warning: {peer} exited with {code}; its time is left out", file=sys.stderr)
    return f"failed (exit {code})"


def machine():
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({model}), {memory:.0f} GiB, {platform.system()} {platform.release()}"


def tool_version(command):
    # Also without network, because semgrep checks for a newer release unless the variable turns it off.
    try:
        return subprocess.run(
            [*network_off_prefix(), *command], capture_output=True, text=True, timeout=120, env=OFFLINE_ENV
        ).stdout.strip().splitlines()[0]
    except (OSError, subprocess.SubprocessError, IndexError):
        return None


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="5000,10000,20000",
                        help="comma-separated file counts of the generated repositories")
    parser.add_argument("--runs", type=int, default=11,
                        help="timed runs of opslint and of the parse-only pass (a peer runs at most 3 times)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated repositories")
    # The corpus sits beside the repository, or one level higher when this
    # checkout is a git worktree in a folder of worktrees.
    corpus = next(
        (path for path in (REPO.parent / "shared/corpus", REPO.parent.parent / "shared/corpus") if path.is_dir()),
        REPO.parent / "shared/corpus",
    )
    parser.add_argument("--corpus", type=Path, default=corpus,
                        help="a folder of real files to measure besides the generated ones")
    parser.add_argument("--peer-files", type=int, default=600,
                        help="files of the small subset given to checkov and semgrep, besides the whole IaC and "
                             "code parts of the smallest synthetic repository")
    parser.add_argument("--no-peers", action="store_true", help="skip checkov and semgrep")
    parser.add_argument("--output", type=Path, default=REPO / "docs/benchmarks.md",
                        help="the Markdown page to write; the hand-written profile section of an existing page is kept")
    args = parser.parse_args()

    build()
    WORK.mkdir(parents=True, exist_ok=True)
    sizes = [int(size) for size in args.sizes.split(",")]
    rows = []
    targets = []
    for size in sizes:
        target = generate(size, args.seed)
        targets.append(target)
        (opslint_time, opslint_peak), (parse_time, parse_peak), ratio = medians_alternating(
            [OPSLINT, "check", target, "-q", "--exit-zero"], [PARSE_ONLY, target], args.runs)
        parsed = count_parsed(target)
        rows.append((f"synthetic, {size} files", size, parsed, opslint_time, opslint_peak, parse_time, parse_peak,
                     ratio))
        print(f"{size}: opslint {opslint_time:.3f}s, parse-only {parse_time:.3f}s", file=sys.stderr)
    pre_commit = None
    largest = targets[sizes.index(max(sizes))]
    if all((largest / name).is_file() for name in PRE_COMMIT_FILES):
        # A warm run: the files were read by the runs above, so they are in
        # the page cache, as in a hook run after an editor saved them.
        command = [OPSLINT, "check", *PRE_COMMIT_FILES, "-q", "--exit-zero"]
        pre_commit_time, pre_commit_peak = median_of(command, args.runs, cwd=largest)
        adrs = len(list((largest / "docs/adr").glob("*.md")))
        # The other Terraform files of the named file's folder, which the run
        # reads as the rest of its module.
        module = (largest / PRE_COMMIT_FILES[1]).parent
        module_files = len(list(module.glob("*.tf"))) - 1
        pre_commit = (max(sizes), pre_commit_time, pre_commit_peak, adrs, module_files)
    if args.corpus.is_dir():
        (opslint_time, opslint_peak), (parse_time, parse_peak), ratio = medians_alternating(
            [OPSLINT, "check", args.corpus, "-q", "--exit-zero"], [PARSE_ONLY, args.corpus], args.runs)
        total = sum(1 for p in args.corpus.rglob("*") if p.is_file())
        rows.append(("shared corpus", total, count_parsed(args.corpus), opslint_time, opslint_peak, parse_time, parse_peak,
                     ratio))

    peers = []
    startup = []
    if not args.no_peers:
        source = targets[0]
        for name, limit in ((f"synthetic subset, {args.peer_files} files", args.peer_files),
                            (f"synthetic, {sizes[0]} files", 10**9)):
            folder = "synthetic-subset" if limit == args.peer_files else "synthetic-all"
            iac = WORK / f"{folder}-iac"
            iac_files = copy_subset(source, iac, {".tf", ".yaml", ".yml", ".json"}, limit)
            code = WORK / f"{folder}-code"
            code_files = copy_subset(source, code, {".tf", ".yaml", ".yml", ".py"}, limit)
            peers += run_peers(name, iac, code, iac_files, code_files, args.runs)
        if args.corpus.is_dir():
            # Every corpus file of the kinds each peer reads, and opslint on
            # the same copies.
            corpus_iac = WORK / "corpus-iac"
            corpus_iac_files = copy_subset(args.corpus, corpus_iac, {".tf", ".yaml", ".yml", ".json"}, 10**9)
            corpus_code = WORK / "corpus-code"
            corpus_code_files = copy_subset(args.corpus, corpus_code, {".tf", ".yaml", ".yml", ".py"}, 10**9)
            peers += run_peers("shared corpus", corpus_iac, corpus_code, corpus_iac_files, corpus_code_files,
                               args.runs)
        # Each tool on an empty folder: the fixed cost that a small input
        # cannot spread over many files.
        empty = WORK / "empty"
        if empty.exists():
            shutil.rmtree(empty)
        empty.mkdir()
        startup_rows = run_peers("empty folder", empty, empty, 0, 0, args.runs)
        startup = [(peer, peer_time, opslint_time) for _, peer, _, _, peer_time, _, opslint_time in startup_rows]

    write_report(args, rows, peers, pre_commit, startup)


def write_report(args, rows, peers, pre_commit, startup):
    lines = [
        "# Benchmarks",
        "",
        f"Measured {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC on {machine()} by `bench/run.py`",
        f"(medians of {args.runs} runs of opslint and the floor and of {PEER_RUNS} runs of each peer, seed {args.seed}).",
        "The machine is shared, so absolute times are noise; compare the ratios, which every tool",
        "gets from the same run.",
        "",
        "Rerun with `python3 bench/run.py` (add `--no-peers` to skip checkov and semgrep, which are",
        "installed with `pip install checkov semgrep`).",
        "",
        "## opslint against the parse-only floor",
        "",
        "The parse-only pass walks the same folder in parallel, reads every file opslint parses and",
        "parses it once with the parser opslint uses for its kind, nothing else (`crates/opslint/examples/parse_only.rs`).",
        "A YAML file in a `templates` folder that contains `{{` has its template actions masked first,",
        "as opslint masks Helm templates. Given the raw template, tree-sitter-yaml stops at the first",
        "action and returns an error tree of a few lines, which is not a parse of the file.",
        "The two run in turn, one run of each at a time, so that both see the same load, after one",
        "untimed run of each and with the generated files already written to disk.",
        "The ratio is the median of the ratios of the pairs of runs: each run of opslint divided by",
        "the run of the floor just after it, which saw the same load. The ratio of the two medians",
        "is given beside it; the two differ when the machine's speed changed during the runs.",
        "",
        "| input | files | parsed | opslint | peak MiB | files/s | parse-only | peak MiB | opslint / parse-only | ratio of medians |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, files, parsed, opslint_time, opslint_peak, parse_time, parse_peak, ratio in rows:
        lines.append(
            f"| {name} | {files} | {parsed} | {opslint_time:.3f} s | {opslint_peak:.0f} | "
            f"{files / opslint_time:,.0f} | {parse_time:.3f} s | {parse_peak:.0f} | {ratio:.2f} | "
            f"{opslint_time / parse_time:.2f} |"
        )
    if pre_commit:
        size, seconds, peak, adrs, module_files = pre_commit
        lines += [
            "",
            "## Pre-commit run",
            "",
            f"`opslint check` with {len(PRE_COMMIT_FILES)} files named on the command line, run inside the",
            f"{size}-file synthetic repository after the runs above (so the page cache is warm).",
            "Discovery does not walk a folder when it is given files. The named files are parsed with",
            "the few files that settle them: here the other files of the named Terraform file's module",
            f"folder ({module_files} in `infra/module0`), since Terraform reads a folder as one module. When they",
            f"have findings, the Markdown files directly in the ADR folders (here {adrs:,} in `docs/adr`) are",
            "read as well, and those that name the rule of a finding are parsed, so that a risk an ADR",
            "accepts stays accepted.",
            "",
            "| files named | repository files | opslint | peak MiB |",
            "| ---: | ---: | ---: | ---: |",
            f"| {len(PRE_COMMIT_FILES)} | {size} | {seconds * 1000:.0f} ms | {peak:.0f} |",
        ]
    if peers:
        lines += [
            "",
            "## Peers on the same files",
            "",
            "Each peer gets three inputs: the IaC or code part of the smallest synthetic repository, a",
            f"subset of that part ({args.peer_files} files taken in turn from each top-level folder), and the",
            "same part of the shared corpus. The IaC part is every file with the suffix `.tf`, `.yaml`, `.yml`",
            "or `.json`, for checkov, without Helm chart folders, since checkov needs the `helm` binary for",
            "them. The code part is every `.tf`, `.yaml`, `.yml` and `.py` file, for semgrep with the ten",
            "rules in `bench/semgrep-rules.yml`. opslint runs on the same copies and checks every kind of",
            "file among them, including workflows and compose files that checkov skips.",
            f"A peer that finishes within {PEER_REPEAT_BELOW_SECONDS} s runs {PEER_RUNS} times and its median is",
            "compared with the median of opslint's runs on the same folder; a longer run is measured once.",
            "opslint runs in groups of a few runs before the first peer run and after each one, so that its",
            "median comes from the same minutes as the peer's.",
            "",
            "| input | peer | version | files | peer time | peer peak MiB | opslint time | peer / opslint |",
            "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        for name, peer, version, files, peer_time, peer_peak, opslint_time in peers:
            if isinstance(peer_time, str):
                time_text, ratio = peer_time, "none"
            elif peer_time == float("inf"):
                time_text, ratio = f"stopped after {PEER_LIMIT_SECONDS} s", f"over {PEER_LIMIT_SECONDS / opslint_time:,.0f}"
            else:
                time_text, ratio = f"{peer_time:.2f} s", f"{peer_time / opslint_time:,.0f}"
            lines.append(
                f"| {name} | {peer} | {version or '?'} | {files} | {time_text} | {peer_peak:.0f} | "
                f"{opslint_time:.3f} s | {ratio} |"
            )
    if startup:
        lines += [
            "",
            "Start-up: each tool on an empty folder, the fixed cost that a small input does not spread over",
            "many files.",
            "",
            "| tool | empty folder |",
            "| --- | ---: |",
            f"| opslint | {startup[0][2] * 1000:.0f} ms |",
        ]
        for peer, peer_time, _ in startup:
            time_text = peer_time if isinstance(peer_time, str) else f"{peer_time:.2f} s"
            lines.append(f"| {peer} | {time_text} |")
    # The profile notes are written by hand: keep them when rewriting the tables.
    text = "\n".join(lines) + "\n"
    if args.output.is_file():
        previous = args.output.read_text()
        marker = previous.find("\n## Profile\n")
        if marker >= 0:
            text += previous[marker:]
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    print(f"wrote {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
