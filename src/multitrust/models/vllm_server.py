"""A managed vLLM fleet: ``vllm/<hf-id>`` without ``--base-url`` starts ``vllm serve`` itself.

One replica per visible GPU by default (``replicas`` and ``tensor_parallel_size`` choose
otherwise: replica *i* gets GPUs ``i*tp .. i*tp+tp-1`` through ``CUDA_VISIBLE_DEVICES``), each on
its own free local port. multitrust waits until every replica answers ``/health`` (with a clear
message naming the replica, its log and the timeout when one does not), then evaluates through
the replica pool (:mod:`multitrust.models.replicas`) like any set of user-run endpoints.

No orphans, however multitrust ends:

- normal end or an exception: ``aclose()`` (the run's ``finally``) stops the servers;
- Ctrl-C: the same ``finally`` runs; SIGTERM and SIGHUP are turned into ``SystemExit`` while a
  fleet is up, so they take the same path; an ``atexit`` hook stops anything still running;
- a hard crash (SIGKILL, the OOM killer): a small watchdog process (``_reaper.py``) holds a pipe
  from multitrust and kills the servers' process groups when the pipe closes; on Linux each
  server also gets ``PR_SET_PDEATHSIG`` (SIGTERM when multitrust dies).

Every server runs in its own session and process group (``start_new_session``), so stopping one
(SIGTERM to the group, SIGKILL after a grace period) also stops the engine and tensor-parallel
worker processes vLLM starts.

``vllm/<model>`` with a base URL (a server the user runs) is :class:`VLLMModel`, the
OpenAI-compatible client with ``VLLM_API_KEY`` instead of ``OPENAI_API_KEY``.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import ctypes
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from multitrust.errors import ConfigError
from multitrust.models._reaper import alive as _group_alive
from multitrust.models.base import Model, ModelOptions, provider
from multitrust.models.openai_compat import OpenAICompatModel
from multitrust.models.replicas import ReplicaPool
from multitrust.types import GenerateConfig, Generation, Message, Sample

INSTALL_HINT = (
    "vLLM is not installed: pip install 'multitrust[vllm]' (needs a CUDA GPU), "
    "or pass --base-url to use a vLLM server you run yourself"
)
DEFAULT_STARTUP_TIMEOUT_S = 1200.0
STOP_GRACE_S = 15.0
_REAPER = Path(__file__).with_name("_reaper.py")
_PR_SET_PDEATHSIG = 1


def find_vllm() -> str:
    """Path of the ``vllm`` executable, or a ConfigError with the one-line install hint."""
    exe = shutil.which("vllm")
    if exe is None:
        raise ConfigError(INSTALL_HINT)
    return exe


def visible_gpus() -> list[str]:
    """GPU ids this process may use: ``CUDA_VISIBLE_DEVICES`` if set, else what nvidia-smi lists."""
    env = os.environ.get("CUDA_VISIBLE_DEVICES")
    if env is not None:
        return [g.strip() for g in env.split(",") if g.strip() and g.strip() != "-1"]
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return []
    try:
        out = subprocess.run([smi, "-L"], capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.SubprocessError):
        return []
    n = sum(1 for line in out.stdout.splitlines() if line.startswith("GPU "))
    return [str(i) for i in range(n)]


def plan_replicas(
    gpus: Sequence[str], *, replicas: int | None, tensor_parallel_size: int
) -> list[list[str]]:
    """The GPUs of each replica. Without GPUs (a CPU build, or tests) replicas get none."""
    tp = tensor_parallel_size
    if tp < 1:
        raise ConfigError("--tensor-parallel-size must be at least 1")
    if replicas is not None and replicas < 1:
        raise ConfigError("--replicas must be at least 1")
    if not gpus:
        return [[] for _ in range(replicas or 1)]
    n = replicas if replicas is not None else max(1, len(gpus) // tp)
    if n * tp > len(gpus):
        raise ConfigError(
            f"{n} replica(s) x tensor parallel {tp} needs {n * tp} GPUs, "
            f"{len(gpus)} visible ({','.join(gpus)})"
        )
    return [list(gpus[i * tp : (i + 1) * tp]) for i in range(n)]


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _set_pdeathsig() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: SIGTERM this process when its parent thread dies."""
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def _tail(path: Path, lines: int = 8) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return " | ".join(line.strip() for line in text.splitlines()[-lines:] if line.strip())


@dataclass(eq=False)
class VLLMServer:
    """One ``vllm serve`` process (one replica) and its process group."""

    exe: str
    model: str
    index: int
    gpus: list[str]
    tensor_parallel_size: int
    server_args: list[str]
    log_path: Path
    host: str = "127.0.0.1"
    port: int = 0
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def command(self) -> list[str]:
        return [
            self.exe,
            "serve",
            self.model,
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--tensor-parallel-size",
            str(self.tensor_parallel_size),
            *self.server_args,
        ]

    def label(self) -> str:
        gpus = f"GPUs {','.join(self.gpus)}" if self.gpus else "no GPU assigned"
        return f"replica {self.index} ({gpus}, port {self.port})"

    def start(self) -> None:
        self.port = self.port or free_port(self.host)
        env = dict(os.environ)
        if self.gpus:
            env["CUDA_VISIBLE_DEVICES"] = ",".join(self.gpus)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            log.write(f"$ {shlex.join(self.command())}\n".encode())
            log.flush()
            on_linux = sys.platform.startswith("linux")
            # PDEATHSIG is tied to the thread that forks: only set it from the main thread
            main = threading.current_thread() is threading.main_thread()
            self.proc = subprocess.Popen(
                self.command(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,  # its own process group: stopped as a whole
                preexec_fn=_set_pdeathsig if on_linux and main else None,
            )

    @property
    def pgid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def exited(self) -> int | None:
        return self.proc.poll() if self.proc is not None else None

    def probe(self, timeout_s: float = 2.0) -> bool:
        """Whether ``/health`` answers 200 (vLLM answers once the engine is up)."""
        url = f"http://{self.host}:{self.port}/health"
        try:
            with urllib.request.urlopen(url, timeout=timeout_s) as resp:
                return int(resp.status) == 200
        except (urllib.error.URLError, OSError, ValueError):
            return False

    def stop(self, grace_s: float = STOP_GRACE_S) -> None:
        """SIGTERM to the whole group, SIGKILL to what is left after ``grace_s``."""
        proc = self.proc
        if proc is None:
            return
        pgid = proc.pid
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGTERM)
        deadline = time.monotonic() + grace_s
        while time.monotonic() < deadline:
            if proc.poll() is not None and not _group_alive(pgid):
                break
            time.sleep(0.05)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(5)
        self.proc = None  # never signal that pid again: it may be reused


class _Guard:
    """Process-wide teardown: the watchdog, the atexit hook and the signal handlers."""

    def __init__(self) -> None:
        self.fleets: set[VLLMFleet] = set()
        self.lock = threading.Lock()
        self.reaper: subprocess.Popen[bytes] | None = None
        self.saved: dict[int, Any] = {}
        atexit.register(self.stop_all)

    def _tell(self, line: str) -> None:
        if self.reaper is None or self.reaper.poll() is not None:
            self.reaper = subprocess.Popen(
                [sys.executable, "-S", str(_REAPER)],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        assert self.reaper.stdin is not None
        with contextlib.suppress(OSError):
            self.reaper.stdin.write(f"{line}\n".encode())
            self.reaper.stdin.flush()

    def started(self, pgid: int) -> None:
        self._tell(f"+{pgid}")

    def stopped(self, pgid: int) -> None:
        self._tell(f"-{pgid}")

    def add(self, fleet: VLLMFleet) -> None:
        with self.lock:
            self.fleets.add(fleet)
            if len(self.fleets) == 1:
                self._install_signals()

    def remove(self, fleet: VLLMFleet) -> None:
        with self.lock:
            self.fleets.discard(fleet)
            if not self.fleets:
                self._restore_signals()

    def _install_signals(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return

        def to_exit(signum: int, frame: Any) -> None:
            raise SystemExit(128 + signum)

        for sig in (signal.SIGTERM, signal.SIGHUP):
            with contextlib.suppress(ValueError, OSError):
                prev = signal.getsignal(sig)
                if prev in (signal.SIG_DFL, None):  # leave handlers others installed alone
                    self.saved[sig] = prev
                    signal.signal(sig, to_exit)

    def _restore_signals(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for sig, prev in self.saved.items():
            with contextlib.suppress(ValueError, OSError):
                signal.signal(sig, prev)
        self.saved.clear()

    def stop_all(self) -> None:
        """At exit: stop what is still running, then end the reaper (end of file on its stdin:
        with every group stopped it exits at once, else it kills what is left) and reap it."""
        for fleet in list(self.fleets):
            fleet.stop()
        reaper, self.reaper = self.reaper, None
        if reaper is None:
            return
        with contextlib.suppress(OSError):
            if reaper.stdin is not None:
                reaper.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            reaper.wait(timeout=2)


_guard: _Guard | None = None


def guard() -> _Guard:
    global _guard
    if _guard is None:
        _guard = _Guard()
    return _guard


class VLLMFleet:
    """The ``vllm serve`` processes of one model: started together, stopped together."""

    def __init__(
        self,
        model: str,
        *,
        replicas: int | None = None,
        tensor_parallel_size: int = 1,
        server_args: Sequence[str] = (),
        startup_timeout_s: float = DEFAULT_STARTUP_TIMEOUT_S,
        log_dir: str | Path | None = None,
        gpus: Sequence[str] | None = None,
    ) -> None:
        self.exe = find_vllm()
        self.model = model
        self.startup_timeout_s = startup_timeout_s
        plan = plan_replicas(
            visible_gpus() if gpus is None else list(gpus),
            replicas=replicas,
            tensor_parallel_size=tensor_parallel_size,
        )
        for bad in ("--port", "--host", "--tensor-parallel-size", "-tp"):
            if any(a == bad or a.startswith(bad + "=") for a in server_args):
                raise ConfigError(
                    f"{bad} is set by multitrust for each replica; remove it from the server flags"
                )
        self.log_dir = (
            Path(log_dir) if log_dir else Path(tempfile.mkdtemp(prefix="multitrust-vllm-"))
        )
        self.servers = [
            VLLMServer(
                self.exe,
                model,
                i,
                g,
                tensor_parallel_size,
                list(server_args),
                self.log_dir / f"replica-{i}.log",
            )
            for i, g in enumerate(plan)
        ]

    def __repr__(self) -> str:
        return f"VLLMFleet({self.model!r}, {len(self.servers)} replicas)"

    @property
    def urls(self) -> list[str]:
        return [s.base_url for s in self.servers]

    def start(self) -> None:
        g = guard()
        g.add(self)
        try:
            for s in self.servers:
                s.start()
                assert s.pgid is not None
                g.started(s.pgid)
        except OSError as exc:
            self.stop()
            raise ConfigError(f"cannot start {self.exe}: {exc}") from None

    async def wait_ready(self, *, poll_s: float = 0.5) -> None:
        """Until every replica answers ``/health``; ConfigError (servers stopped) otherwise."""
        deadline = time.monotonic() + self.startup_timeout_s
        pending = list(self.servers)
        while pending:
            for s in list(pending):
                code = s.exited()
                if code is not None:
                    self.stop()
                    raise ConfigError(
                        f"vllm serve {self.model} {s.label()} exited with code {code} before it "
                        f"was ready: {_tail(s.log_path) or 'no output'} (log: {s.log_path})"
                    )
                if await asyncio.to_thread(s.probe):
                    pending.remove(s)
            if not pending:
                return
            if time.monotonic() >= deadline:
                s = pending[0]
                self.stop()
                raise ConfigError(
                    f"vllm serve {self.model} {s.label()} not ready after "
                    f"{self.startup_timeout_s:g}s (raise --vllm-startup-timeout for big models); "
                    f"last log lines: {_tail(s.log_path) or 'none'} (log: {s.log_path})"
                )
            await asyncio.sleep(poll_s)

    def stop(self) -> None:
        g = guard()
        for s in self.servers:
            pgid = s.pgid
            if pgid is not None:
                s.stop()
                g.stopped(pgid)
        g.remove(self)


class ManagedVLLM(Model):
    """``vllm/<hf-id>`` with no base URL: a fleet this process starts, serves through, stops."""

    provider = "vllm"
    concurrent = True
    #: runs on this machine's GPUs: several such models must not run side by side
    local_device = True

    def __init__(self, name: str, options: ModelOptions | None = None) -> None:
        super().__init__(name, options)
        extra = self.options.extra or {}
        raw_args = extra.get("server_args") or []
        self.server_args = shlex.split(raw_args) if isinstance(raw_args, str) else list(raw_args)
        self.fleet = VLLMFleet(
            name,
            replicas=extra.get("replicas"),
            tensor_parallel_size=int(extra.get("tensor_parallel_size") or 1),
            server_args=self.server_args,
            startup_timeout_s=float(extra.get("startup_timeout_s") or DEFAULT_STARTUP_TIMEOUT_S),
            log_dir=extra.get("log_dir"),
        )
        self._pool: ReplicaPool | None = None

    def __repr__(self) -> str:
        return f"ManagedVLLM({self.model_id!r}, {len(self.fleet.servers)} replicas)"

    @property
    def width(self) -> int:
        return len(self.fleet.servers)

    @property
    def endpoint(self) -> str:
        return f"managed:{self.model_id}"

    def describe(self) -> dict[str, Any]:
        d = super().describe()
        d["base_url"] = None
        d["managed"] = {
            "replicas": len(self.fleet.servers),
            "tensor_parallel_size": self.fleet.servers[0].tensor_parallel_size,
            "gpus": [s.gpus for s in self.fleet.servers],
            "server_args": self.server_args,
            "logs": str(self.fleet.log_dir),
        }
        return d

    def cache_identity(self) -> dict[str, Any]:
        # the same weights with the same server flags give the same answers, on any replica
        return {
            "model": self.model_id,
            "base_url": "managed",
            "server_args": self.server_args,
            "max_image_side": self.options.max_image_side,
        }

    async def preflight(self) -> None:
        """Start the servers, wait until all are ready, then build the pool over them."""
        if self._pool is not None:
            return
        self.fleet.start()
        try:
            await self.fleet.wait_ready()
            opts = replace(self.options, base_urls=())
            pool = ReplicaPool(
                [VLLMModel(self.name, replace(opts, base_url=u)) for u in self.fleet.urls]
            )
            await pool.preflight()
            self._pool = pool
        except BaseException:
            self.fleet.stop()
            raise

    def replica_pool(self) -> ReplicaPool | None:
        return self._pool

    async def generate(
        self, messages: Sequence[Message], config: GenerateConfig, *, sample: Sample | None = None
    ) -> Generation:
        if self._pool is None:
            raise ConfigError(f"{self.model_id}: the servers are not started (call preflight)")
        return await self._pool.generate(messages, config, sample=sample)

    async def aclose(self) -> None:
        pool, self._pool = self._pool, None
        try:
            if pool is not None:
                await pool.aclose()
        finally:
            await asyncio.to_thread(self.fleet.stop)


VLLM_URL = "http://localhost:8000/v1"


class VLLMModel(OpenAICompatModel):
    """A vLLM (or SGLang) server's OpenAI-compatible API; ``VLLM_API_KEY`` if the server wants one."""

    provider = "vllm"
    default_base_url = VLLM_URL
    # never fall back to OPENAI_API_KEY here: it would be sent to a third-party server
    key_env = ("VLLM_API_KEY",)


@provider("vllm")
def _make_vllm(name: str, options: ModelOptions) -> Model:
    if options.base_url or options.base_urls:
        return VLLMModel(name, options)  # a server the user runs
    return ManagedVLLM(name, options)  # no URL: start the servers ourselves
