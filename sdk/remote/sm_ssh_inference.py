"""sm-ssh: SSH into a SageMaker model container (an endpoint's or a batch transform's).

`withSshModel` (the sagemaker-ssh SDK) sets the container's SAGEMAKER_PROGRAM to this module and
SM_SSH_ORIGINAL_PROGRAM to the model's own inference module; this file and sm-ssh-init.sh go into the model's code
directory beside that module. The serving toolkit imports SAGEMAKER_PROGRAM in every worker process: the first
import in the container starts sm-ssh-init.sh (beside this file, or SM_SSH_INIT) in the background, once whatever
the number of workers and imports (a lock file, SM_SSH_INFERENCE_LOCK, default /tmp/sm-ssh-inference.lock); every
import then becomes the original module: its handlers (model_fn, input_fn, predict_fn, output_fn, transform_fn,
handle, ...) and everything else it defines are this module's.
"""

import importlib
import os
import subprocess
import sys

_PROG = "sm-ssh-inference"
_HERE = os.path.dirname(os.path.abspath(__file__))


def _error(what, hint):
    print(f"{_PROG}: error: {what}; hint: {hint}", file=sys.stderr, flush=True)


def _start_ssh():
    """Starts sm-ssh-init.sh unless another worker (or an earlier import) of this container did."""
    lock = os.environ.get("SM_SSH_INFERENCE_LOCK") or "/tmp/sm-ssh-inference.lock"
    script = os.environ.get("SM_SSH_INIT") or os.path.join(_HERE, "sm-ssh-init.sh")
    try:
        # O_EXCL: of the workers importing at once, exactly one creates it
        descriptor = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return
    except OSError as error:
        _error(
            f"cannot create {lock} ({error.strerror}), so SSH does not start",
            "set SM_SSH_INFERENCE_LOCK to a writable path",
        )
        return
    with os.fdopen(descriptor, "w") as record:
        if not os.path.isfile(script):
            record.write("missing\n")
            _error(
                f"no {script}, so SSH does not start",
                "add sm-ssh-init.sh beside sm_ssh_inference.py in the model's code directory",
            )
            return
        # its own session: it outlives the worker that started it (model servers restart workers); its output goes to
        # the container's log as it is, where the registration line is how an endpoint's instance is found
        process = subprocess.Popen(["/bin/sh", script], stdin=subprocess.DEVNULL, start_new_session=True)
        record.write(f"{process.pid}\n")
    print(f"{_PROG}: started {script} (pid {process.pid})", flush=True)


def _original_module():
    program = os.environ.get("SM_SSH_ORIGINAL_PROGRAM", "")
    if not program:
        raise ImportError(
            f"{_PROG}: SM_SSH_ORIGINAL_PROGRAM is not set, so there is no inference module to serve; "
            "withSshModel sets it to the container's SAGEMAKER_PROGRAM"
        )
    name = program[:-3] if program.endswith(".py") else program
    if _HERE not in sys.path:
        sys.path.insert(0, _HERE)
    return importlib.import_module(name.replace("/", "."))


_start_ssh()
_original = _original_module()
globals().update(
    {key: value for key, value in vars(_original).items() if not (key.startswith("__") and key.endswith("__"))}
)
if hasattr(_original, "__all__"):
    __all__ = list(_original.__all__)
