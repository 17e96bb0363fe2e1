"""Unit tests of the Python client (sagemaker_ssh_jupyterlab.client) with no cloud behind it.

Most run the client against a stand-in CLI (an executable Python script given as SM_SSH_CLI, which the client runs as
is) that records its argv, stdin and environment and answers as told; the last ones run the real bundled CLI on bad
input, which it refuses before any AWS call. The client against the real CLI and the sandbox is tested by
sdk/test/notebook-jobs.test.ts, which executes examples/run-a-job-with-ssh-python.ipynb.

Run: .venv/bin/python -m unittest discover -s tests/python -v
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import textwrap
import time
import unittest
from pathlib import Path
from typing import Any

from sagemaker_ssh_jupyterlab import (
    CommandError,
    CommandResult,
    ReleaseReport,
    SmSsh,
    SmSshError,
    StartedJob,
    Target,
    WrappedJob,
)
from sagemaker_ssh_jupyterlab._cli import BUNDLED_CLI, DEV_CLI

FAKE_CLI = textwrap.dedent(
    """\
    #!{python}
    import json, os, signal, sys, time
    record = {{"argv": sys.argv[1:], "stdin": None if sys.stdin is None or sys.stdin.closed else sys.stdin.read(),
               "env": dict(os.environ)}}
    with open(os.environ["FAKE_RECORD"], "w") as out:
        json.dump(record, out)
    script = json.loads(os.environ.get("FAKE_SCRIPT", "{{}}"))
    if script.get("trap"):
        def interrupted(*_):
            open(script["trap"], "w").write("SIGINT")
            sys.exit(130)
        signal.signal(signal.SIGINT, interrupted)
    for line in script.get("stderr", []):
        sys.stderr.write(line + "\\n")
        sys.stderr.flush()
        time.sleep(script.get("pause", 0))
    time.sleep(script.get("sleep", 0))
    sys.stdout.write(script.get("stdout", ""))
    sys.exit(script.get("code", 0))
    """
)

TARGET_JSON: dict[str, Any] = {
    "target": "my-job.training.sagemaker",
    "kind": "training",
    "status": "InProgress",
    "ping": "Online",
    "nodes": 2,
    "owner": "AIDAEXAMPLE",
    "mine": True,
    "ageSeconds": 12,
    "instances": ["mi-0000000000000000b", "mi-0000000000000000a"],
    "resourceArn": "arn:aws:sagemaker:us-east-1:123456789012:training-job/my-job",
    "via": "ssm-instance",
    "job": {"phase": "waiting", "waitSeconds": 600, "sshNodes": 2, "waitEndsAt": 1767225600},
    "later": "a field added later",
}
EXEC_JSON: dict[str, Any] = {
    "target": "my-job.training.sagemaker",
    "via": "ssm-instance",
    "instanceId": "mi-0000000000000000a",
    "node": 2,
    "user": "root",
    "command": "hostname; exit 3",
    "exitCode": 3,
    "stdout": "algo-2\n",
    "stderr": "oops\n",
}
STARTED_JSON: dict[str, Any] = {
    "kind": "training",
    "jobName": "my-job",
    "jobArn": "arn:aws:sagemaker:us-east-1:123456789012:training-job/my-job",
    "target": "my-job.training.sagemaker",
    "bundleUri": "s3://sagemaker-us-east-1-123456789012/sm-ssh/jobs/my-job/sm-ssh/",
    "owner": "AIDAEXAMPLE",
    "nodes": 2,
    "sshNodes": 2,
    "waitSeconds": 600,
    "instances": ["mi-0000000000000000a", "mi-0000000000000000b"],
    "connect": "sm-ssh connect my-job.training.sagemaker",
    "release": "sm-ssh job release my-job.training.sagemaker",
}
REQUEST: dict[str, Any] = {
    "TrainingJobName": "my-job",
    "RoleArn": "arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole-demo",
    "AlgorithmSpecification": {"TrainingImage": "image", "ContainerEntrypoint": ["/bin/sh", "-c", "echo 'hi'"]},
}


class FakeCliTest(unittest.TestCase):
    """The client against a stand-in CLI."""

    def setUp(self) -> None:
        self.dir = tempfile.TemporaryDirectory()
        root = Path(self.dir.name)
        self.cli = root / "sm-ssh"
        self.cli.write_text(FAKE_CLI.format(python=sys.executable))
        self.cli.chmod(0o755)
        self.record = root / "record.json"
        self.progress: list[str] = []
        self.sm = self.client()

    def tearDown(self) -> None:
        self.dir.cleanup()

    def client(self, **kwargs: Any) -> SmSsh:
        env = {"SM_SSH_CLI": str(self.cli), "FAKE_RECORD": str(self.record), **kwargs.pop("env", {})}
        kwargs.setdefault("on_progress", self.progress.append)
        return SmSsh(env=env, **kwargs)

    def answer(self, stdout: Any = None, code: int = 0, stderr: list[str] | None = None, **more: Any) -> None:
        text = stdout if isinstance(stdout, str) or stdout is None else json.dumps(stdout)
        self.sm.env["FAKE_SCRIPT"] = json.dumps({"stdout": text or "", "code": code, "stderr": stderr or [], **more})

    def recorded(self) -> dict[str, Any]:
        return json.loads(self.record.read_text())

    def test_list_targets_passes_the_filters_region_and_profile_and_returns_targets(self) -> None:
        self.sm = self.client(region="eu-west-1", profile="dev")
        self.answer([TARGET_JSON])
        targets = self.sm.list_targets(kind="training", mine=True)
        self.assertEqual(
            self.recorded()["argv"],
            ["list", "--kind", "training", "--mine", "--json", "--region", "eu-west-1", "--profile", "dev"],
        )
        self.assertEqual(len(targets), 1)
        target = targets[0]
        self.assertIsInstance(target, Target)
        self.assertEqual(
            (target.target, target.kind, target.status, target.ping, target.nodes, target.mine),
            ("my-job.training.sagemaker", "training", "InProgress", "Online", 2, True),
        )
        self.assertEqual(target.age_seconds, 12)
        self.assertEqual(target.instances, ["mi-0000000000000000b", "mi-0000000000000000a"])
        assert target.job is not None
        self.assertEqual(
            (target.job.phase, target.job.wait_seconds, target.job.ssh_nodes, target.job.wait_ends_at),
            ("waiting", 600, 2, 1767225600),
        )
        # fields the dataclass does not know stay reachable, and the raw dict stays out of the repr
        self.assertEqual(target.raw["later"], "a field added later")
        self.assertNotIn("later", repr(target))

    def test_run_quotes_a_list_of_words_and_returns_a_failing_command_as_a_result(self) -> None:
        self.answer(EXEC_JSON, code=3)
        words = ["ls", "-l", "/opt/ml/input data", "$HOME"]
        result = self.sm.run("my-job.training.sagemaker", words, node=2, timeout=30)
        self.assertEqual(
            self.recorded()["argv"],
            [
                "exec",
                "my-job.training.sagemaker",
                "--node",
                "2",
                "--timeout",
                "30",
                "--json",
                "--",
                "ls -l '/opt/ml/input data' '$HOME'",
            ],
        )
        self.assertIsInstance(result, CommandResult)
        self.assertEqual((result.exit_code, result.ok, result.stdout, result.stderr), (3, False, "algo-2\n", "oops\n"))
        self.assertEqual(
            (result.node, result.user, result.instance_id, result.space_arn), (2, "root", "mi-0000000000000000a", None)
        )

    def test_run_with_check_raises_command_error_carrying_the_result(self) -> None:
        self.answer(EXEC_JSON, code=3)
        started = StartedJob.from_json(STARTED_JSON)
        with self.assertRaises(CommandError) as raised:
            self.sm.run(started, "hostname; exit 3", check=True)
        error = raised.exception
        self.assertEqual(self.recorded()["argv"][:2], ["exec", "my-job.training.sagemaker"])
        self.assertEqual(error.exit_code, 3)
        self.assertEqual(error.hint, "oops")
        self.assertIsInstance(error.result, CommandResult)
        self.assertIn("exited with 3", error.message)

    def test_an_error_of_the_cli_becomes_sm_ssh_error_and_is_not_progress(self) -> None:
        self.answer(
            code=2,
            stderr=[
                "sm-ssh exec: waiting for my-job.training.sagemaker: no instance yet",
                "sm-ssh: error: there is no training job nope in us-east-1",
                "  hint: check the name and the region (sm-ssh list shows the targets you can reach)",
            ],
        )
        with self.assertRaises(SmSshError) as raised:
            self.sm.run("nope.training.sagemaker", "true")
        error = raised.exception
        self.assertEqual(error.message, "there is no training job nope in us-east-1")
        self.assertEqual(error.hint, "check the name and the region (sm-ssh list shows the targets you can reach)")
        self.assertEqual(error.exit_code, 2)
        self.assertEqual(str(error), f"{error.message}\n  hint: {error.hint}")
        self.assertIn("sm-ssh: error:", error.stderr)
        self.assertEqual(self.progress, ["sm-ssh exec: waiting for my-job.training.sagemaker: no instance yet"])

    def test_a_failure_without_an_error_line_says_the_last_stderr_line(self) -> None:
        self.answer(code=1, stderr=["something odd", ""])
        with self.assertRaises(SmSshError) as raised:
            self.sm.list_targets()
        error = raised.exception
        self.assertEqual((error.message, error.hint, error.exit_code), ("something odd", None, 1))

    def test_success_without_json_is_an_error(self) -> None:
        self.answer("not json")
        with self.assertRaises(SmSshError) as raised:
            self.sm.list_targets()
        self.assertIn("printed no JSON", raised.exception.message)

    def test_start_job_sends_the_request_on_stdin_with_its_options_and_streams_progress(self) -> None:
        lines = ["sm-ssh job start: checking the role", "sm-ssh job start: creating my-job", "sm-ssh job start: online"]
        self.answer(STARTED_JSON, stderr=lines, pause=0.2)
        seen: list[tuple[str, float]] = []
        began = time.monotonic()
        job = self.sm.start_job(
            REQUEST,
            ssh_nodes=2,
            bucket="my-bucket",
            check=False,
            wait=False,
            timeout=120,
            image_entrypoint=["python", "train.py"],
            on_progress=lambda line: seen.append((line, time.monotonic())),
        )
        ended = time.monotonic()
        record = self.recorded()
        self.assertEqual(
            record["argv"],
            [
                "job",
                "start",
                "--wait",
                "600",
                "--ssh-nodes",
                "2",
                "--bucket",
                "my-bucket",
                "--image-entrypoint",
                '["python", "train.py"]',
                "--no-check",
                "--no-wait",
                "--timeout",
                "120",
                "-",
                "--json",
            ],
        )
        self.assertEqual(json.loads(record["stdin"]), REQUEST)
        self.assertIsInstance(job, StartedJob)
        self.assertEqual(
            (job.job_name, job.target, job.nodes, job.ssh_nodes, job.wait_seconds),
            ("my-job", "my-job.training.sagemaker", 2, 2, 600),
        )
        self.assertEqual(job.instances, STARTED_JSON["instances"])
        self.assertEqual([line for line, _ in seen], lines)
        # as they come: the first line long before the CLI ended, not all at the end
        self.assertLess(seen[0][1] - began, ended - began - 0.3)
        self.assertEqual(self.progress, [])  # the per-call callback replaced the client's

    def test_wrap_takes_a_request_file_and_returns_the_wrapped_request(self) -> None:
        path = Path(self.dir.name) / "request.json"
        path.write_text(json.dumps(REQUEST))
        wrapped_json = {
            "kind": "training",
            "jobName": "my-job",
            "target": "my-job.training.sagemaker",
            "bundleUri": "s3://b/sm-ssh/jobs/my-job/sm-ssh/",
            "bundlePath": "/opt/ml/input/data/sm-ssh",
            "command": ["/bin/sh", "-c", "echo 'hi'"],
            "nodes": 1,
            "sshNodes": 1,
            "waitSeconds": 60,
            "uploads": [{"s3Uri": "s3://b/sm-ssh/jobs/my-job/sm-ssh/sm-ssh-job.sh", "bytes": 10, "sha256": "ab"}],
            "request": {**REQUEST, "Environment": {"SM_SSH_WAIT_SECONDS": "60"}},
        }
        self.answer(wrapped_json)
        wrapped = self.sm.wrap(path, kind="training", wait_seconds=60, owner="AIDAEXAMPLE", prefix="p", upload=True)
        record = self.recorded()
        self.assertEqual(
            record["argv"],
            [
                "job",
                "wrap",
                "--kind",
                "training",
                "--wait",
                "60",
                "--prefix",
                "p",
                "--owner",
                "AIDAEXAMPLE",
                "--upload",
                str(path),
                "--json",
            ],
        )
        self.assertEqual(record["stdin"], "")  # nothing on stdin: the CLI reads the file
        self.assertIsInstance(wrapped, WrappedJob)
        self.assertEqual(wrapped.request["Environment"], {"SM_SSH_WAIT_SECONDS": "60"})
        self.assertEqual(
            [(u.s3_uri, u.bytes, u.sha256) for u in wrapped.uploads],
            [("s3://b/sm-ssh/jobs/my-job/sm-ssh/sm-ssh-job.sh", 10, "ab")],
        )
        self.assertEqual(wrapped.command, ["/bin/sh", "-c", "echo 'hi'"])

    def test_bad_arguments_are_refused_before_the_cli_runs(self) -> None:
        with self.assertRaises(TypeError):
            self.sm.wrap(["not", "a", "request"])  # type: ignore[arg-type]
        with self.assertRaises(TypeError):
            self.sm.start_job({"When": object()})
        with self.assertRaises(FileNotFoundError):
            self.sm.wrap("/nonexistent/request.json")
        with self.assertRaises(ValueError):
            self.sm.run("my-job.training.sagemaker", "   ")
        with self.assertRaises(ValueError):
            self.sm.run("my-job.training.sagemaker", "true", node=-1)
        with self.assertRaises(TypeError):
            self.sm.release(42)  # type: ignore[arg-type]
        with self.assertRaises(TypeError):
            self.sm.wrap(REQUEST, image_entrypoint="python train.py")
        self.assertFalse(self.record.exists())

    def test_release_returns_the_report_or_raises_with_it_when_a_node_failed(self) -> None:
        report_json = {
            "target": "my-job.training.sagemaker",
            "nodes": [
                {"node": 1, "instanceId": "mi-0000000000000000a", "result": "released", "detail": "released"},
                {
                    "node": 2,
                    "instanceId": "mi-0000000000000000b",
                    "result": "failed",
                    "detail": "Run Command timed out",
                },
            ],
        }
        self.answer(report_json, code=1)
        with self.assertRaises(SmSshError) as raised:
            self.sm.release("my-job.training.sagemaker")
        self.assertEqual(self.recorded()["argv"], ["job", "release", "my-job.training.sagemaker", "--json"])
        self.assertEqual(
            raised.exception.message, "release of my-job.training.sagemaker failed on node 2: Run Command timed out"
        )
        self.assertIsInstance(raised.exception.result, ReleaseReport)
        report = self.sm.release("my-job.training.sagemaker", node=2, check=False)
        self.assertEqual(
            self.recorded()["argv"], ["job", "release", "my-job.training.sagemaker", "--node", "2", "--json"]
        )
        self.assertEqual([(n.node, n.result) for n in report.nodes], [(1, "released"), (2, "failed")])
        self.assertEqual([n.node for n in report.failed], [2])

    def test_env_adds_and_removes_variables_of_the_cli(self) -> None:
        os.environ["SM_SSH_TEST_REMOVED"] = "1"
        try:
            sm = self.client(env={"SM_SSH_TEST_ADDED": "yes", "SM_SSH_TEST_REMOVED": None})
            sm.env["FAKE_SCRIPT"] = json.dumps({"stdout": "[]"})
            self.assertEqual(sm.list_targets(), [])
        finally:
            del os.environ["SM_SSH_TEST_REMOVED"]
        env = self.recorded()["env"]
        self.assertEqual(env.get("SM_SSH_TEST_ADDED"), "yes")
        self.assertNotIn("SM_SSH_TEST_REMOVED", env)

    def test_an_interrupt_stops_the_cli_with_sigint(self) -> None:
        trap = Path(self.dir.name) / "interrupted"

        def interrupt(line: str) -> None:
            raise KeyboardInterrupt

        self.answer(STARTED_JSON, stderr=["sm-ssh job start: creating my-job"], sleep=30, trap=str(trap))
        began = time.monotonic()
        with self.assertRaises(KeyboardInterrupt):
            self.sm.start_job(REQUEST, on_progress=interrupt)
        self.assertLess(time.monotonic() - began, 10)
        self.assertEqual(trap.read_text(), "SIGINT")

    def test_a_missing_cli_or_node_is_an_error_with_the_fix(self) -> None:
        with self.assertRaises(SmSshError) as raised:
            SmSsh(env={"SM_SSH_CLI": "/nonexistent/main.js"})
        self.assertEqual(raised.exception.exit_code, None)
        self.assertIn("SM_SSH_CLI=/nonexistent/main.js does not exist", raised.exception.message)
        script = Path(self.dir.name) / "main.js"
        script.write_text("")
        with self.assertRaises(SmSshError) as raised:
            SmSsh(env={"SM_SSH_CLI": str(script), "SM_SSH_NODE": "/nonexistent/node"})
        self.assertIn("SM_SSH_NODE=/nonexistent/node is not an executable file", str(raised.exception))
        self.assertIn("hint: point SM_SSH_NODE at a Node.js >= 20 binary", str(raised.exception))


class RealCliTest(unittest.TestCase):
    """The bundled CLI (or the checkout's build) on input it refuses before any AWS call."""

    def setUp(self) -> None:
        if not BUNDLED_CLI.is_file() and not DEV_CLI.is_file():
            self.fail(f"{BUNDLED_CLI} is missing: run `npm run build` (or `npm run build:cli-bundle`)")
        # a region and credentials that are never used: nothing here reaches AWS (an unreachable endpoint, to be sure)
        env = {
            "SM_SSH_CLI": None,
            "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE",
            "AWS_SECRET_ACCESS_KEY": "example",
            "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
        }
        self.sm = SmSsh(region="us-east-1", env=env, on_progress=None)

    def test_a_bad_target_name_is_a_usage_error_with_its_hint(self) -> None:
        with self.assertRaises(SmSshError) as raised:
            self.sm.run("bad name!", "true")
        error = raised.exception
        self.assertEqual(error.exit_code, 2)
        self.assertEqual(error.message, 'target "bad name!": a name ends in .<kind>.sagemaker')
        self.assertIn("e.g. my-job.training.sagemaker", error.hint or "")

    def test_a_bad_node_and_a_bad_kind_are_refused_by_the_cli(self) -> None:
        with self.assertRaises(SmSshError) as raised:
            self.sm.run("my-job.training.sagemaker", "true", node=0)
        self.assertEqual((raised.exception.exit_code, raised.exception.hint), (2, "nodes are numbered from 1"))
        with self.assertRaises(SmSshError) as raised:
            self.sm.list_targets(kind="bogus")  # type: ignore[arg-type]
        self.assertEqual(raised.exception.exit_code, 2)
        self.assertIn("argument 'bogus' is invalid", raised.exception.message)


if __name__ == "__main__":
    unittest.main()
