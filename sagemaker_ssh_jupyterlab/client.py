"""A Python client of the sm-ssh command line, for notebooks and scripts.

:class:`SmSsh` runs the CLI that ships in this package (``sm_ssh/sm-ssh.mjs``, with Node.js >= 20; see ``_cli.py``
for how Node and the CLI are found, and ``SM_SSH_CLI`` / ``SM_SSH_NODE`` to override them) with ``--json`` and
returns Python objects: the targets you can reach, the result of a command run on one, a training or processing job
request wrapped or started with SSH, and the report of a release. Requests are boto3-style dicts, the PascalCase JSON
of the SageMaker API (what ``boto3.client("sagemaker").create_training_job(**request)`` takes), the same the CLI
reads. Credentials, region and endpoints come from the environment as for the AWS CLI and boto3 (``AWS_PROFILE``,
``AWS_REGION``, ``AWS_ENDPOINT_URL_<SERVICE>``, Studio's execution role), or from the constructor's arguments.

Every failure of the CLI raises :class:`SmSshError` with its one-line message, its hint (the fix) and its exit code
(2: bad input, 1: the operation failed). Only the standard library is used.

>>> from sagemaker_ssh_jupyterlab import SmSsh
>>> sm = SmSsh()
>>> [t.target for t in sm.list_targets(kind="training")]            # doctest: +SKIP
['ssh-training-demo.training.sagemaker']
>>> sm.run("ssh-training-demo.training.sagemaker", "hostname").stdout  # doctest: +SKIP
'algo-1\\n'
"""

from __future__ import annotations

import enum
import json
import os
import queue
import re
import shlex
import signal
import subprocess
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from ._cli import Unavailable, cli_command

__all__ = [
    "BundleUpload",
    "CommandError",
    "CommandResult",
    "JobSshState",
    "NodeRelease",
    "ReleaseReport",
    "SmSsh",
    "SmSshError",
    "StartedJob",
    "Target",
    "WrappedJob",
]

TargetKind = Literal["training", "processing", "transform", "inference", "notebook", "studio", "space"]
JobKind = Literal["training", "processing"]
JobPhase = Literal["starting", "waiting", "running", "finished"]
ReleaseResult = Literal["released", "already-released", "not-waiting", "failed"]
#: A boto3-style request (a dict), or the path of a JSON file holding one.
Request = Mapping[str, Any] | str | os.PathLike
#: Receives each line sm-ssh prints on stderr while it works (progress, waits, warnings), as it comes.
ProgressCallback = Callable[[str], None]


class _Inherit(enum.Enum):
    """The default of a per-call ``on_progress``: the client's."""

    CLIENT = "the client's on_progress"


_ERROR_LINE = re.compile(r"^sm-ssh: (?:unexpected )?error: (.*)$")
_HINT_LINE = re.compile(r"^  hint: (.*)$")
# how long a CLI interrupted from Python gets to close its sessions at AWS before it is killed
_INTERRUPT_GRACE_S = 10


class SmSshError(Exception):
    """sm-ssh refused or failed: what went wrong, how to fix it, and the CLI's exit code.

    Attributes:
        message: One line saying what went wrong (the CLI's ``sm-ssh: error: …``).
        hint: How to fix it (the CLI's ``hint: …``), when it says.
        exit_code: 2 for bad input (a wrong argument, an unknown target, missing credentials), 1 for an operation
            that failed after valid input; ``None`` when the CLI could not be run at all (no Node.js, no CLI).
        argv: The sm-ssh arguments that failed (without Node and the script), for reports.
        stderr: Everything the CLI printed on stderr.
        result: The JSON the CLI printed before failing (e.g. a release report with a failed node), if any.
    """

    def __init__(
        self,
        message: str,
        hint: str | None = None,
        exit_code: int | None = 1,
        *,
        argv: Sequence[str] = (),
        stderr: str = "",
        result: Any = None,
    ):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.exit_code = exit_code
        self.argv = list(argv)
        self.stderr = stderr
        self.result = result

    def __str__(self) -> str:
        return f"{self.message}\n  hint: {self.hint}" if self.hint else self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, hint={self.hint!r}, exit_code={self.exit_code!r})"


class CommandError(SmSshError):
    """A command run with ``check=True`` exited with a status other than 0; ``result`` is its :class:`CommandResult`."""

    result: CommandResult


class _HasTarget(Protocol):
    @property
    def target(self) -> str: ...


# ---------------------------------------------------------------------------------------------------------------
# What the CLI's --json documents become. Each keeps the document as `raw` (fields added later are there).


@dataclass
class JobSshState:
    """Where a job launched with SSH is (``sm-ssh list``'s ``job``).

    Attributes:
        phase: ``starting`` before the job's wrapper has said anything, ``waiting`` while it waits for a connection,
            ``running`` once the job's own command runs, ``finished`` when the job has ended.
        wait_seconds: How long the job waits for a connection before its command starts.
        ssh_nodes: How many nodes, from the first, run SSH.
        wait_ends_at: Epoch seconds at which the wait ends by itself, while ``waiting``.
    """

    phase: JobPhase
    wait_seconds: int
    ssh_nodes: int
    wait_ends_at: float | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> JobSshState:
        return cls(
            phase=data["phase"],
            wait_seconds=int(data["waitSeconds"]),
            ssh_nodes=int(data["sshNodes"]),
            wait_ends_at=data.get("waitEndsAt"),
            raw=dict(data),
        )


@dataclass
class Target:
    """One target you can connect to (a line of ``sm-ssh list``).

    Attributes:
        target: The name to pass to :meth:`SmSsh.run` (``my-job.training.sagemaker``, …).
        kind: ``training``, ``processing``, ``transform``, ``inference``, ``notebook``, ``studio`` or ``space``.
        status: SageMaker's status of the resource (``InProgress``, ``InService``, …) or ``unknown``.
        ping: SSM's ping status of the newest node (``Online``, ``ConnectionLost``, ``Inactive``) or ``NotFound``.
        nodes: How many nodes registered.
        owner: ``SSHOwner`` of the newest node (empty for endpoints).
        mine: Whether you are the owner.
        instances: The managed instances (``mi-…``), newest first.
        via: ``ssm-instance``, or ``remote-access`` for Studio spaces.
        age_seconds: Seconds since the newest node registered, when known.
        resource_arn: The SageMaker resource's ARN, when known.
        job: For a job launched with SSH, where its wait is.
        remote_access: Spaces: ``ENABLED`` or ``DISABLED``.
        app_type: Spaces: ``JupyterLab``, ``CodeEditor``.
        app_status: Spaces: the status of the space's app, or ``None`` when none runs.
    """

    target: str
    kind: TargetKind
    status: str
    ping: str
    nodes: int
    owner: str
    mine: bool
    instances: list[str]
    via: str
    age_seconds: int | None = None
    resource_arn: str | None = None
    job: JobSshState | None = None
    remote_access: str | None = None
    app_type: str | None = None
    app_status: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Target:
        job = data.get("job")
        return cls(
            target=data["target"],
            kind=data["kind"],
            status=data["status"],
            ping=data["ping"],
            nodes=int(data["nodes"]),
            owner=data.get("owner", ""),
            mine=bool(data.get("mine")),
            instances=list(data.get("instances", [])),
            via=data.get("via", "ssm-instance"),
            age_seconds=data.get("ageSeconds"),
            resource_arn=data.get("resourceArn"),
            job=JobSshState.from_json(job) if job else None,
            remote_access=data.get("remoteAccess"),
            app_type=data.get("appType"),
            app_status=data.get("appStatus"),
            raw=dict(data),
        )


@dataclass
class CommandResult:
    """A command run on a target (``sm-ssh exec --json``).

    Attributes:
        target: The target's name as resolved.
        command: The command line that ran there.
        exit_code: Its exit status.
        stdout: What it printed (up to 16 MiB).
        stderr: What it printed on stderr (up to 16 MiB).
        node: Which node of a multi-node job it ran on, from 1.
        user: The login user.
        via: ``ssm-instance`` or ``remote-access``.
        instance_id: The managed instance (``ssm-instance``).
        space_arn: The space (``remote-access``).
    """

    target: str
    command: str
    exit_code: int
    stdout: str
    stderr: str
    node: int
    user: str
    via: str
    instance_id: str | None = None
    space_arn: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        """Whether the command exited with 0."""
        return self.exit_code == 0

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CommandResult:
        return cls(
            target=data["target"],
            command=data["command"],
            exit_code=int(data["exitCode"]),
            stdout=data.get("stdout", ""),
            stderr=data.get("stderr", ""),
            node=int(data.get("node", 1)),
            user=data.get("user", ""),
            via=data.get("via", "ssm-instance"),
            instance_id=data.get("instanceId"),
            space_arn=data.get("spaceArn"),
            raw=dict(data),
        )


@dataclass
class BundleUpload:
    """One object a wrapped job needs in S3 (the SSH bootstrap scripts).

    Attributes:
        s3_uri: ``s3://bucket/key``.
        bytes: Its size.
        sha256: Hex SHA-256 of its content.
        bucket: The bucket, when the CLI says.
        key: The key, when the CLI says.
    """

    s3_uri: str
    bytes: int
    sha256: str
    bucket: str | None = None
    key: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> BundleUpload:
        return cls(
            s3_uri=data["s3Uri"],
            bytes=int(data["bytes"]),
            sha256=data["sha256"],
            bucket=data.get("bucket"),
            key=data.get("key"),
            raw=dict(data),
        )


@dataclass
class WrappedJob:
    """A job request with SSH added (``sm-ssh job wrap --json``).

    Attributes:
        kind: ``training`` or ``processing``.
        job_name: The request's job name.
        target: Its SSH target, ``<job>.training.sagemaker`` / ``<job>.processing.sagemaker``.
        request: The new request, ready for ``boto3.client("sagemaker").create_training_job(**request)`` once
            ``uploads`` are in S3.
        bundle_uri: The S3 prefix of the SSH bootstrap bundle.
        bundle_path: Where the bundle is inside the container.
        uploads: What must be in S3 before the job is created.
        command: The job's own command, which runs after the wait.
        nodes: The job's instance count.
        ssh_nodes: How many nodes, from the first, run SSH.
        wait_seconds: How long the job waits for a connection before its command starts.
    """

    kind: JobKind
    job_name: str
    target: str
    request: dict[str, Any]
    bundle_uri: str
    bundle_path: str
    uploads: list[BundleUpload]
    command: list[str]
    nodes: int
    ssh_nodes: int
    wait_seconds: int
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> WrappedJob:
        return cls(
            kind=data["kind"],
            job_name=data["jobName"],
            target=data["target"],
            request=data["request"],
            bundle_uri=data["bundleUri"],
            bundle_path=data["bundlePath"],
            uploads=[BundleUpload.from_json(upload) for upload in data.get("uploads", [])],
            command=list(data["command"]),
            nodes=int(data["nodes"]),
            ssh_nodes=int(data["sshNodes"]),
            wait_seconds=int(data["waitSeconds"]),
            raw=dict(data),
        )


@dataclass
class StartedJob:
    """A job started with SSH (``sm-ssh job start --json``).

    Attributes:
        kind: ``training`` or ``processing``.
        job_name: The job's name.
        job_arn: Its ARN.
        target: Its SSH target, for :meth:`SmSsh.run` and :meth:`SmSsh.release`.
        bundle_uri: Where its SSH bootstrap bundle is in S3.
        owner: ``SSHOwner`` of its instances (your STS UserId).
        nodes: Its instance count.
        ssh_nodes: How many nodes, from the first, run SSH.
        wait_seconds: How long it waits for a connection before its command starts.
        instances: The managed instances of the SSH nodes, node 1 first, once Online (empty with ``wait=False``).
        connect: The shell command that connects to it.
        release: The shell command that ends its wait.
    """

    kind: JobKind
    job_name: str
    job_arn: str
    target: str
    bundle_uri: str
    owner: str
    nodes: int
    ssh_nodes: int
    wait_seconds: int
    instances: list[str]
    connect: str
    release: str
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StartedJob:
        return cls(
            kind=data["kind"],
            job_name=data["jobName"],
            job_arn=data["jobArn"],
            target=data["target"],
            bundle_uri=data["bundleUri"],
            owner=data["owner"],
            nodes=int(data["nodes"]),
            ssh_nodes=int(data["sshNodes"]),
            wait_seconds=int(data["waitSeconds"]),
            instances=list(data.get("instances", [])),
            connect=data["connect"],
            release=data["release"],
            raw=dict(data),
        )


@dataclass
class NodeRelease:
    """How one node took a release.

    Attributes:
        node: The node, from 1.
        instance_id: Its managed instance.
        result: ``released``, ``already-released``, ``not-waiting`` (no wait runs there) or ``failed``.
        detail: What the node said, or why it failed.
    """

    node: int
    instance_id: str
    result: ReleaseResult
    detail: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> NodeRelease:
        return cls(
            node=int(data["node"]),
            instance_id=data["instanceId"],
            result=data["result"],
            detail=data.get("detail"),
            raw=dict(data),
        )


@dataclass
class ReleaseReport:
    """What a release did on each node (``sm-ssh job release --json``)."""

    target: str
    nodes: list[NodeRelease]
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def failed(self) -> list[NodeRelease]:
        """The nodes whose release failed."""
        return [node for node in self.nodes if node.result == "failed"]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ReleaseReport:
        return cls(
            target=data["target"],
            nodes=[NodeRelease.from_json(node) for node in data.get("nodes", [])],
            raw=dict(data),
        )


# ---------------------------------------------------------------------------------------------------------------


@dataclass
class _Completed:
    """A finished CLI run."""

    argv: list[str]
    exit_code: int
    stdout: str
    stderr: str
    error: str | None
    hint: str | None

    def json(self) -> Any:
        """stdout as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.stdout)
        except ValueError:
            return None

    def failure(self, result: Any = None) -> SmSshError:
        message = self.error
        if message is None:
            lines = [line for line in self.stderr.splitlines() if line.strip()]
            message = lines[-1] if lines else f"sm-ssh {' '.join(self.argv[:2])} exited with {self.exit_code}"
        return SmSshError(message, self.hint, self.exit_code, argv=self.argv, stderr=self.stderr, result=result)


def _print_progress(line: str) -> None:
    print(line, flush=True)


def _target_of(target: str | _HasTarget) -> str:
    name = target if isinstance(target, str) else getattr(target, "target", None)
    if not isinstance(name, str) or not name:
        raise TypeError(f"target must be a target name or an object with a .target name, not {target!r}")
    return name


def _positive(name: str, value: int) -> str:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a whole number >= 0, not {value!r}")
    return str(value)


class SmSsh:
    """Runs ``sm-ssh`` with ``--json`` and returns Python objects.

    Args:
        region: The AWS region (``--region``); default ``AWS_REGION`` or the profile's.
        profile: The AWS profile from ``~/.aws/config`` (``--profile``); default ``AWS_PROFILE`` or the default chain.
        env: Environment variables for the CLI on top of ``os.environ`` (read at each call), e.g. endpoints of a
            sandbox or ``SM_SSH_CONFIG_DIR``; a value of ``None`` removes a variable.
        on_progress: Receives each line the CLI prints on stderr while it works (progress of a launch, waits for a
            target, warnings), as it comes; default: printed, so a notebook cell shows it. ``None``: dropped (the
            lines are still in :attr:`SmSshError.stderr`).

    Raises:
        SmSshError: Node.js >= 20 or the CLI was not found (``exit_code`` None; the hint says what to install).
    """

    def __init__(
        self,
        region: str | None = None,
        profile: str | None = None,
        env: Mapping[str, str | None] | None = None,
        *,
        on_progress: ProgressCallback | None = _print_progress,
    ):
        self.region = region
        self.profile = profile
        self.env: dict[str, str | None] = dict(env or {})
        self.on_progress = on_progress
        try:
            self.command: list[str] = cli_command(self._environment())
        except Unavailable as problem:
            raise SmSshError(problem.error, problem.hint, None) from None

    def __repr__(self) -> str:
        return f"SmSsh(region={self.region!r}, profile={self.profile!r}, cli={self.command[-1]!r})"

    # -- targets -------------------------------------------------------------------------------------------------

    def list_targets(self, kind: TargetKind | None = None, *, mine: bool = False) -> list[Target]:
        """The targets you can connect to (``sm-ssh list``): jobs, endpoints, notebook instances, Studio apps that
        run SSH, and Studio spaces.

        Args:
            kind: Only this kind (``training``, ``processing``, ``transform``, ``inference``, ``notebook``,
                ``studio``, ``space``).
            mine: Only yours (``SSHOwner`` is your STS UserId).
        """
        args = ["list"]
        if kind is not None:
            args += ["--kind", kind]
        if mine:
            args.append("--mine")
        return [Target.from_json(entry) for entry in self._json(args)]

    def run(
        self,
        target: str | _HasTarget,
        command: str | Sequence[str],
        node: int | None = None,
        timeout: int | None = None,
        *,
        user: str | None = None,
        any_owner: bool = False,
        check: bool = False,
    ) -> CommandResult:
        """Runs a command on a target over SSH (``sm-ssh exec``) and returns its output and exit status.

        Args:
            target: The target's name (``my-job.training.sagemaker``, an ``mi-…`` id, a SageMaker ARN), or an
                object with a ``.target`` (a :class:`StartedJob`, a :class:`Target`).
            command: A shell command line (``"hostname && env | sort"``), or a list of words, which are quoted for
                the remote shell (``["ls", "-l", "/opt/ml/input data"]``).
            node: The node of a multi-node job, from 1 (default 1).
            timeout: How many seconds to wait for the target to come Online (the CLI's default: 900).
            user: The login user (default root; ``sagemaker-user`` on spaces).
            any_owner: Reach an instance whose ``SSHOwner`` is another user (admins; IAM still decides).
            check: Raise :class:`CommandError` when the command exits with a status other than 0.

        Raises:
            SmSshError: The target could not be reached (unknown, not yours, not Online in time, …).
            CommandError: With ``check=True``, the command failed; its result is in ``.result``.
        """
        line = command if isinstance(command, str) else shlex.join(command)
        if not line.strip():
            raise ValueError("command is empty")
        args = ["exec", _target_of(target)]
        if node is not None:
            args += ["--node", _positive("node", node)]
        if timeout is not None:
            args += ["--timeout", _positive("timeout", timeout)]
        if user is not None:
            args += ["--user", user]
        if any_owner:
            args.append("--any-owner")
        completed = self._invoke([*args, "--json", *self._common(), "--", line])
        document = completed.json()
        # the command's own status is the CLI's exit code; only an error line means sm-ssh itself failed
        if completed.error is not None or not isinstance(document, dict) or "exitCode" not in document:
            raise completed.failure(document)
        result = CommandResult.from_json(document)
        if check and not result.ok:
            error = CommandError(
                f"{result.command!r} exited with {result.exit_code} on {result.target} (node {result.node})",
                result.stderr.strip().splitlines()[-1] if result.stderr.strip() else None,
                result.exit_code,
                argv=completed.argv,
                stderr=completed.stderr,
            )
            error.result = result
            raise error
        return result

    # -- jobs ----------------------------------------------------------------------------------------------------

    def wrap(
        self,
        request: Request,
        kind: JobKind | None = None,
        *,
        wait_seconds: int | None = None,
        ssh_nodes: int | None = None,
        bucket: str | None = None,
        prefix: str | None = None,
        owner: str | None = None,
        ssm_role: str | None = None,
        image_entrypoint: Sequence[str] | None = None,
        upload: bool = False,
    ) -> WrappedJob:
        """Adds SSH to a training or processing job request (``sm-ssh job wrap``) without creating the job.

        The returned ``request`` runs the SSH bootstrap before the job's own entry point, which it keeps with its
        arguments, environment and inputs; create the job with it yourself (boto3, the AWS CLI) once the bundle is in
        S3 (``upload=True`` puts it there).

        Args:
            request: A ``CreateTrainingJob`` / ``CreateProcessingJob`` request (a dict, boto3's PascalCase
                parameters), or the path of a JSON file with one.
            kind: ``training`` or ``processing``; default from the request (``TrainingJobName`` /
                ``ProcessingJobName``).
            wait_seconds: How long the job waits for a connection before its command starts (CLI default 600;
                0: no wait).
            ssh_nodes: How many nodes, from the first, run SSH (CLI default 2).
            bucket: The bundle's bucket (default SageMaker's default bucket, ``sagemaker-<region>-<account>``).
            prefix: The bundle's key prefix (CLI default ``sm-ssh/jobs``).
            owner: ``SSHOwner`` of the job's instances (default your STS UserId).
            ssm_role: The IAM role (name with path) of the job's SSM activation (default the request's ``RoleArn``).
            image_entrypoint: The image's own ENTRYPOINT, for a request without ``ContainerEntrypoint``.
            upload: Upload the bundle to S3 now.
        """
        args = [
            "job",
            "wrap",
            *self._job_options(kind, wait_seconds, ssh_nodes, bucket, prefix, owner, ssm_role, image_entrypoint),
        ]
        if upload:
            args.append("--upload")
        source, stdin = self._request_source(request)
        return WrappedJob.from_json(self._json([*args, source], stdin=stdin))

    def start_job(
        self,
        request: Request,
        kind: JobKind | None = None,
        wait_seconds: int | None = 600,
        ssh_nodes: int | None = None,
        bucket: str | None = None,
        check: bool = True,
        wait: bool = True,
        *,
        prefix: str | None = None,
        owner: str | None = None,
        ssm_role: str | None = None,
        image_entrypoint: Sequence[str] | None = None,
        timeout: int | None = None,
        on_progress: ProgressCallback | _Inherit | None = _Inherit.CLIENT,
    ) -> StartedJob:
        """Starts a training or processing job with SSH (``sm-ssh job start``) and, by default, waits until its SSH
        nodes are Online, so that :meth:`run` reaches it right away.

        Checks first that the job's role (``RoleArn``) has what the server policy grants, uploads the SSH bootstrap
        bundle, creates the job. Progress lines come as they happen (see ``on_progress``).

        Args:
            request: A ``CreateTrainingJob`` / ``CreateProcessingJob`` request (a dict, boto3's PascalCase
                parameters), or the path of a JSON file with one.
            kind: ``training`` or ``processing``; default from the request.
            wait_seconds: How long the job waits for a connection before its own command starts (0: no wait);
                :meth:`release` ends the wait early.
            ssh_nodes: How many nodes, from the first, run SSH (CLI default 2).
            bucket: The bundle's bucket (default SageMaker's default bucket, created if missing).
            check: Check the job's role before launching (a role without the server policy is refused with the fix).
            wait: Wait until the SSH nodes are Online (else return once the job is created; ``instances`` is empty).
            prefix: The bundle's key prefix (CLI default ``sm-ssh/jobs``).
            owner: ``SSHOwner`` of the job's instances (default your STS UserId).
            ssm_role: The IAM role (name with path) of the job's SSM activation (default the request's ``RoleArn``).
            image_entrypoint: The image's own ENTRYPOINT, for a request without ``ContainerEntrypoint``.
            timeout: How many seconds to wait for the target to come Online.
            on_progress: Receives the progress lines; default the client's ``on_progress``; ``None`` drops them.

        An interrupt (Ctrl-C, the kernel's Interrupt) stops the CLI as Ctrl-C would; a job it already created goes
        on (``StopTrainingJob`` / ``StopProcessingJob`` ends it, or its wait runs out).

        Raises:
            SmSshError: The request is wrong (exit code 2), the role lacks grants (2, with the fix), or the job failed
                or did not come Online in time (1).
        """
        args = [
            "job",
            "start",
            *self._job_options(kind, wait_seconds, ssh_nodes, bucket, prefix, owner, ssm_role, image_entrypoint),
        ]
        if not check:
            args.append("--no-check")
        if not wait:
            args.append("--no-wait")
        if timeout is not None:
            args += ["--timeout", _positive("timeout", timeout)]
        source, stdin = self._request_source(request)
        progress = self.on_progress if on_progress is _Inherit.CLIENT else on_progress
        return StartedJob.from_json(self._json([*args, source], stdin=stdin, on_progress=progress))

    def release(
        self, target: str | _HasTarget, node: int | None = None, *, any_owner: bool = False, check: bool = True
    ) -> ReleaseReport:
        """Ends the connection wait of a job started with SSH (``sm-ssh job release``): its own command starts now.

        Args:
            target: The job's target (``my-job.training.sagemaker``) or a :class:`StartedJob`.
            node: Only this node, from 1 (default every SSH node).
            any_owner: Release a job whose ``SSHOwner`` is another user (admins; IAM still decides).
            check: Raise :class:`SmSshError` when a node's release failed (the report is its ``result``).
        """
        args = ["job", "release", _target_of(target)]
        if node is not None:
            args += ["--node", _positive("node", node)]
        if any_owner:
            args.append("--any-owner")
        completed = self._invoke([*args, "--json", *self._common()])
        document = completed.json()
        if isinstance(document, dict) and "nodes" in document:
            report = ReleaseReport.from_json(document)
            if completed.exit_code == 0 or not check:
                return report
            failed = ", ".join(f"node {n.node}: {n.detail or n.result}" for n in report.failed)
            error = completed.failure(report)
            if completed.error is None and failed:
                error.message = f"release of {report.target} failed on {failed}"
                error.args = (error.message,)
            raise error
        raise completed.failure(document)

    # -- anything else -------------------------------------------------------------------------------------------

    def call(self, *args: str, stdin: str | None = None) -> Any:
        """Runs any sm-ssh command with ``--json`` and returns its parsed JSON, e.g. ``call("setup", "check")``.

        Raises:
            SmSshError: The command failed (exit code other than 0).
        """
        return self._json(list(args), stdin=stdin)

    # -- running the CLI -----------------------------------------------------------------------------------------

    def _environment(self) -> dict[str, str]:
        environment = dict(os.environ)
        for key, value in self.env.items():
            if value is None:
                environment.pop(key, None)
            else:
                environment[key] = value
        return environment

    def _common(self) -> list[str]:
        args: list[str] = []
        if self.region:
            args += ["--region", self.region]
        if self.profile:
            args += ["--profile", self.profile]
        return args

    @staticmethod
    def _job_options(
        kind: JobKind | None,
        wait_seconds: int | None,
        ssh_nodes: int | None,
        bucket: str | None,
        prefix: str | None,
        owner: str | None,
        ssm_role: str | None,
        image_entrypoint: Sequence[str] | None,
    ) -> list[str]:
        args: list[str] = []
        if kind is not None:
            args += ["--kind", kind]
        if wait_seconds is not None:
            args += ["--wait", _positive("wait_seconds", wait_seconds)]
        if ssh_nodes is not None:
            args += ["--ssh-nodes", _positive("ssh_nodes", ssh_nodes)]
        for flag, value in (("--bucket", bucket), ("--prefix", prefix), ("--owner", owner), ("--ssm-role", ssm_role)):
            if value is not None:
                args += [flag, value]
        if image_entrypoint is not None:
            if isinstance(image_entrypoint, str):
                raise TypeError("image_entrypoint is a list of words, e.g. ['python', '/opt/program/train.py']")
            args += ["--image-entrypoint", json.dumps(list(image_entrypoint))]
        return args

    @staticmethod
    def _request_source(request: Request) -> tuple[str, str | None]:
        """The CLI's request argument, and what goes on its stdin: a dict as JSON on stdin (``-``), a path as is."""
        if isinstance(request, Mapping):
            try:
                return "-", json.dumps(request)
            except TypeError as error:
                raise TypeError(f"the request must be plain JSON (dicts, lists, str, numbers): {error}") from None
        if isinstance(request, (str, os.PathLike)):
            path = os.fspath(request)
            if not Path(path).is_file():
                raise FileNotFoundError(f"no request file {path}")
            return path, None
        raise TypeError(
            f"request must be a dict (boto3's parameters) or a JSON file's path, not {type(request).__name__}"
        )

    def _json(
        self,
        args: list[str],
        stdin: str | None = None,
        on_progress: ProgressCallback | _Inherit | None = _Inherit.CLIENT,
    ) -> Any:
        completed = self._invoke([*args, "--json", *self._common()], stdin=stdin, on_progress=on_progress)
        if completed.exit_code != 0:
            raise completed.failure(completed.json())
        document = completed.json()
        if document is None:
            raise SmSshError(
                f"sm-ssh {' '.join(args[:2])} printed no JSON",
                "run the same command in a terminal to see what it prints; report it if it persists",
                completed.exit_code,
                argv=completed.argv,
                stderr=completed.stderr,
            )
        return document

    def _invoke(
        self,
        args: list[str],
        stdin: str | None = None,
        on_progress: ProgressCallback | _Inherit | None = _Inherit.CLIENT,
    ) -> _Completed:
        """Runs the CLI; stderr lines go to the progress callback from this thread as they come."""
        progress = self.on_progress if on_progress is _Inherit.CLIENT else on_progress
        try:
            child = subprocess.Popen(
                [*self.command, *args],
                stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=self._environment(),
                # our own interrupt handling below: Jupyter's interrupt signals the kernel's process group
                start_new_session=True,
            )
        except OSError as error:
            raise SmSshError(
                f"could not run {self.command[0]}: {error.strerror or error}",
                "check SM_SSH_NODE / SM_SSH_CLI, or reinstall sagemaker_ssh_jupyterlab",
                None,
                argv=args,
            ) from None
        lines: queue.Queue[str | None] = queue.Queue()
        stdout_chunks: list[bytes] = []

        def read_stdout() -> None:
            assert child.stdout is not None
            stdout_chunks.append(child.stdout.read())

        def read_stderr() -> None:
            assert child.stderr is not None
            for raw in iter(child.stderr.readline, b""):
                lines.put(raw.decode("utf-8", "replace").rstrip("\r\n"))
            lines.put(None)

        readers = [threading.Thread(target=read_stdout, daemon=True), threading.Thread(target=read_stderr, daemon=True)]
        for reader in readers:
            reader.start()
        stderr_lines: list[str] = []
        error: str | None = None
        hint: str | None = None
        try:
            if stdin is not None and child.stdin is not None:
                try:
                    child.stdin.write(stdin.encode("utf-8"))
                    child.stdin.close()
                except BrokenPipeError:
                    pass  # it exited before reading: its error says why
            while True:
                line = lines.get()
                if line is None:
                    break
                stderr_lines.append(line)
                error_match = _ERROR_LINE.match(line)
                hint_match = _HINT_LINE.match(line)
                if error_match:
                    error, hint = error_match.group(1), None
                elif hint_match and error is not None:
                    hint = hint_match.group(1)
                elif progress is not None and line.strip():
                    progress(line)
            exit_code = child.wait()
        except BaseException:
            self._stop(child)
            raise
        finally:
            for reader in readers:
                reader.join(timeout=_INTERRUPT_GRACE_S)
            for pipe in (child.stdin, child.stdout, child.stderr):
                if pipe is not None:
                    try:
                        pipe.close()
                    except OSError:
                        pass
        return _Completed(
            argv=args,
            exit_code=exit_code,
            stdout=b"".join(stdout_chunks).decode("utf-8", "replace"),
            stderr="\n".join(stderr_lines),
            error=error,
            hint=hint,
        )

    @staticmethod
    def _stop(child: subprocess.Popen[bytes]) -> None:
        """Interrupts the CLI as Ctrl-C would (it closes its sessions at AWS), then kills it if it lingers."""
        if child.poll() is not None:
            return
        try:
            child.send_signal(signal.SIGINT)
            child.wait(timeout=_INTERRUPT_GRACE_S)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        except ProcessLookupError:
            pass
