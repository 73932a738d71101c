"""A warm start for the command: `serve` keeps one process with the libraries imported; each
command then runs in a fork of it, with the caller's terminal, folders and environment.

    forward(argv) -> int | None                  a command through the server for this code, if one runs
    serve(command, idle_minutes, detach) -> int  be that server: `command(argv)` in a fork per request
    status() / stop()

Importing Great Expectations, pandas, pyarrow and jieba's dictionary costs about 2 s of CPU per
process, more than a run of a few notices; a fork of a process that has them costs nothing
(the Gradle daemon's and multiprocessing's forkserver's way). A fork is a fresh run: nothing of
one run is left for the next. Each server answers only to the code, the wording and the library
versions it loaded (its socket is named by their fingerprint): after any change, commands run in
their own process until a new server is started.

The client side (forward, fingerprint) imports the standard library and the wording's loader
only: it must stay cheaper than the imports it saves. launch.py is the command's start.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import resource
import selectors
import signal
import socket
import struct
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from .libraries import ALL
from .wording import fingerprint as wording_fingerprint

PACKAGE = Path(__file__).resolve().parent
OFF = ("0", "off", "no", "false")
LIMITS = ("RLIMIT_AS", "RLIMIT_DATA", "RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_NOFILE", "RLIMIT_CORE")  # the caller's, in the fork
IDLE_MINUTES = 30.0

log = logging.getLogger("pipeline.server")


# --- where a server listens ----------------------------------------------------------------

def sockets_dir() -> Path:
    """One folder per user, readable by that user only ($NOTICE_PIPELINE_SOCKETS to move it)."""
    given = os.environ.get("NOTICE_PIPELINE_SOCKETS")
    if given:
        return Path(given)
    base = os.environ.get("XDG_RUNTIME_DIR") or f"/tmp/notice-pipeline-{os.getuid()}"
    return Path(base) / "notice-pipeline" if "XDG_RUNTIME_DIR" in os.environ else Path(base)


def fingerprint() -> str:
    """What a server has loaded: the package's files (code and wording), the wording in use
    ($PIPELINE_WORDING), the interpreter and the versions of the libraries. A client finds only
    the server of exactly these."""
    h = hashlib.sha256(f"{sys.executable}\0{sys.version}\0{wording_fingerprint()}".encode())
    for f in sorted(PACKAGE.rglob("*")):
        if f.is_file() and "__pycache__" not in f.parts:
            h.update(str(f.relative_to(PACKAGE)).encode() + b"\0" + f.read_bytes())
    for name in ALL:
        try:
            h.update(f"{name}={version(name)}".encode())
        except PackageNotFoundError:
            h.update(f"{name}=-".encode())
    return h.hexdigest()[:20]


def socket_path(fp: str | None = None) -> Path:
    return sockets_dir() / f"{fp or fingerprint()}.sock"


def _ours(folder: Path) -> bool:
    st = folder.stat()
    return st.st_uid == os.getuid() and not st.st_mode & 0o077


def _private_dir(path: Path) -> Path:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not _ours(path):
        raise SystemExit(f"ERROR {path}: the server's folder must belong to you and be private (mode 700)")
    return path


def _peer_uid(sock: socket.socket) -> int:
    return struct.unpack("3i", sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")))[1]


# --- the client ----------------------------------------------------------------------------

def _send(sock: socket.socket, message: dict) -> None:
    data = json.dumps(message).encode()
    sock.sendall(struct.pack("!I", len(data)) + data)


def _lines(sock: socket.socket) -> Iterator[dict]:
    buf = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            yield json.loads(line)


def forward(argv: list[str]) -> int | None:
    """Run the command in a fork of a matching server and return its exit code (-N: ended by
    signal N, as subprocess says it); None when no server matches (or it is switched off), and
    nothing has run."""
    if os.environ.get("NOTICE_PIPELINE_SERVER", "").lower() in OFF or "--no-server" in argv or (argv and argv[0] == "serve"):
        return None
    path = socket_path()
    if not path.exists() or not _ours(path.parent):
        return None
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        try:
            sock.connect(str(path))
            if _peer_uid(sock) != os.getuid():  # our terminal and environment go to no one else
                return None
            request = {"argv": argv, "argv0": sys.argv[0], "cwd": os.getcwd(), "env": dict(os.environ), "umask": _umask(),
                       "limits": {name: resource.getrlimit(getattr(resource, name)) for name in LIMITS},
                       "encoding": [getattr(s, "encoding", None) or "utf-8" for s in (sys.stdin, sys.stdout, sys.stderr)]}
            data = json.dumps(request).encode()
            socket.send_fds(sock, [struct.pack("!I", len(data))], [0, 1, 2])
            sock.sendall(data)
            replies = _lines(sock)
            first = next(replies, None)
        except OSError:
            return None  # a server gone or refusing: nothing ran
        if not first or "pid" not in first:
            return None
        runner = first["pid"]

        def relay(signum: int, _frame: object) -> None:  # as the terminal would: to the run and its workers
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(runner, signum)

        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
            signal.signal(sig, relay)
        end = next(replies, None)
    if end is None:
        print(f"ERROR the server's run (pid {runner}) ended without an exit status; run again with --no-server", file=sys.stderr)
        return 70
    if end.get("signal"):
        return -int(end["signal"])
    return int(end["exit"])


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# --- the server ----------------------------------------------------------------------------

def preload() -> None:
    """Everything a run imports or loads once per process, before any fork."""
    import gc

    import great_expectations  # noqa: F401
    import pandas  # noqa: F401
    import pyarrow  # noqa: F401

    from .extract import docx, html, pdf  # noqa: F401
    from .libraries import library_versions
    from .numerals import _cn2an
    from .run import stages  # noqa: F401
    from .run.cache import code_fingerprint
    from .validate import Checker  # noqa: F401
    from .wording import wording

    pdf.name_tokenizer(wording().lexicon)
    _cn2an()
    code_fingerprint()
    wording_fingerprint()
    library_versions()
    gc.collect()
    gc.freeze()  # what the runs inherit stays out of their collections and its pages unwritten


Command = Callable[[list[str]], None]  # runs a command line and ends the process


def serve(command: Command, idle_minutes: float = IDLE_MINUTES, detach: bool = False, ready_fd: int | None = None) -> int:
    """Listen until `idle_minutes` pass with no request; each command line is `command(argv)`
    in a fork. With `detach`, return once the server is ready and leave it running."""
    fp = fingerprint()
    path = socket_path(fp)
    _private_dir(path.parent)
    if _alive(path):
        print(f"a server for this code is already running: {path}")
        return 0
    if detach:
        return _detach(command, path, idle_minutes)
    preload()
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(16)
    mine = path.stat().st_ino  # a server started after this one stops may have the same path
    log.info("serving on %s (pid %d); %g min without a command ends it", path, os.getpid(), idle_minutes)
    if ready_fd is not None:
        os.write(ready_fd, b"ready")
        os.close(ready_fd)
    try:
        _loop(command, listener, lambda: _unlink_own(path, mine), idle_minutes * 60)
    finally:
        listener.close()
        _unlink_own(path, mine)
        log.info("stopped")
    return 0


def _detach(command: Command, path: Path, idle_minutes: float) -> int:
    """Start the server in its own session, its output to a log beside the socket; return when
    it listens (or has failed)."""
    logfile = path.with_suffix(".log")
    ready_r, ready_w = os.pipe()
    pid = os.fork()
    if pid:
        os.close(ready_w)
        with os.fdopen(ready_r, "rb") as r:
            said = r.read()  # "ready", or nothing when it died first
        os.waitpid(pid, 0)
        if said == b"ready":
            print(f"server ready: {path} (log: {logfile})")
            return 0
        print(f"ERROR the server did not start; see {logfile}", file=sys.stderr)
        return 1
    os.close(ready_r)
    os.setsid()
    if os.fork():
        os._exit(0)
    null = os.open(os.devnull, os.O_RDWR)
    out = os.open(logfile, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    for fd, target in ((null, 0), (out, 1), (out, 2)):
        os.dup2(fd, target)
    log_to(sys.stderr)
    try:
        code = serve(command, idle_minutes, ready_fd=ready_w)
    except BaseException:
        log.exception("the server stopped")
        code = 1
    logging.shutdown()
    os._exit(code)


def log_to(stream: object) -> None:
    """The server's own log (the runs configure the root logger themselves)."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False


def _ask(path: Path, message: dict) -> dict | None:
    """A question to the server at `path` (ping, status) and its answer; None when none answers."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(str(path))
        _send(s, message)
        return next(_lines(s), None)
    except (OSError, ValueError):
        return None
    finally:
        s.close()


def _alive(path: Path) -> bool:
    return (_ask(path, {"ping": True}) or {}).get("pong") is True


def _unlink_own(path: Path, inode: int) -> None:
    with contextlib.suppress(FileNotFoundError):
        if path.stat().st_ino == inode:
            path.unlink()


def _loop(command: Command, listener: socket.socket, unlink: Callable[[], None], idle_s: float) -> None:
    """Serve until idle or told to stop (SIGTERM, Ctrl-C); then take no new command, and let
    the runs under way end and report to their callers."""
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    stop: list[int] = []
    for s in (signal.SIGTERM, signal.SIGINT):
        signal.signal(s, lambda signum, _: stop.append(signum))
    sel = selectors.DefaultSelector()
    sel.register(listener, selectors.EVENT_READ, "accept")
    sel.register(wake_r, selectors.EVENT_READ, "wake")
    runs: dict[int, tuple[socket.socket, float, list[str]]] = {}  # runner pid -> its client, start, argv
    last = time.monotonic()
    served = cpu_total = 0.0
    listening = True
    while runs or (listening and time.monotonic() - last < idle_s):
        if stop and listening:
            sel.unregister(listener)
            listener.close()
            unlink()
            listening = False
            log.info("stopping: %d run(s) under way", len(runs))
            continue
        for key, _ in sel.select(timeout=min(idle_s, 60)):
            if key.data == "wake":
                with contextlib.suppress(BlockingIOError):
                    os.read(wake_r, 512)
            elif key.data == "accept":
                try:
                    conn, _ = listener.accept()
                except OSError:
                    continue
                # what the fork must not hold: the listener, the wake-up pipe, the other callers' sockets
                others = [listener.fileno(), wake_r, wake_w, *(c.fileno() for c, _, _ in runs.values())]
                try:
                    started = _start(command, conn, others, served, cpu_total)
                except OSError as exc:  # a caller gone while asking, no process left to fork …: it runs on its own
                    log.warning("a request failed: %s", exc)
                    started = None
                if started:
                    runs[started[0]] = (conn, time.monotonic(), started[1])
                    sel.register(conn, selectors.EVENT_READ, started[0])
                else:
                    conn.close()
            else:  # a client went away (closed its end) before its run ended: end the run
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(key.data, signal.SIGTERM)
                sel.unregister(key.fileobj)
        while runs:
            try:
                pid, status, usage = os.wait4(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if not pid:
                break
            conn, t0, argv = runs.pop(pid)
            cpu = usage.ru_utime + usage.ru_stime
            served += 1
            cpu_total += cpu
            sig = -os.waitstatus_to_exitcode(status) if os.WIFSIGNALED(status) else None
            end = {"exit": os.waitstatus_to_exitcode(status) if sig is None else None, "signal": sig,
                   "cpu_s": round(cpu, 3), "seconds": round(time.monotonic() - t0, 3)}
            log.info("run %d %s: %s", pid, " ".join(argv), end)
            with contextlib.suppress(OSError):
                conn.sendall(json.dumps(end).encode() + b"\n")
            with contextlib.suppress(KeyError, ValueError):
                sel.unregister(conn)
            conn.close()
            last = time.monotonic()


def _exactly(conn: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        more = conn.recv(n - len(data))
        if not more:
            raise EOFError("the caller closed its end")
        data += more
    return data


def _start(command: Command, conn: socket.socket, others: list[int], served: float, cpu_total: float) -> tuple[int, list[str]] | None:
    """One request: a ping or status answered here, a command run in a fork."""
    if _peer_uid(conn) != os.getuid():
        return None
    conn.settimeout(10)
    fds: list[int] = []
    try:
        head, fds, _, _ = socket.recv_fds(conn, 4, 3)
        head += _exactly(conn, 4 - len(head))
        request = json.loads(_exactly(conn, struct.unpack("!I", head)[0]))
    except (OSError, ValueError, EOFError):
        for fd in fds:  # a caller gone mid-request leaves no descriptor open here
            os.close(fd)
        return None
    finally:
        conn.settimeout(None)
    if "argv" not in request or len(fds) != 3:
        for fd in fds:
            os.close(fd)
        reply = {"pong": True} if request.get("ping") else {"pid": os.getpid(), "served": served, "cpu_s": round(cpu_total, 3)}
        with contextlib.suppress(OSError):
            conn.sendall(json.dumps(reply).encode() + b"\n")
        return None
    try:
        pid = os.fork()
    except OSError:
        for fd in fds:
            os.close(fd)
        raise
    if pid == 0:
        try:
            for fd in others:
                os.close(fd)
            _be_the_run(command, request, fds, conn)
        finally:
            os._exit(70)
    for fd in fds:
        os.close(fd)
    with contextlib.suppress(OSError):
        os.setpgid(pid, pid)  # here too, so that a Ctrl-C relayed at once finds the group
    with contextlib.suppress(OSError):  # a caller gone already: its socket's end stops the run
        conn.sendall(json.dumps({"pid": pid}).encode() + b"\n")
    return pid, request["argv"]


def _be_the_run(command: Command, request: dict, fds: list[int], conn: socket.socket) -> None:
    """In the fork: become the command the client typed, then exit with its code."""
    import io

    signal.set_wakeup_fd(-1)
    for s in (signal.SIGCHLD, signal.SIGTERM):
        signal.signal(s, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    conn.close()
    with contextlib.suppress(OSError):
        os.setpgid(0, 0)  # the client relays Ctrl-C to this group, as a terminal would
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    enc = request["encoding"]
    sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding=enc[0])
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding=enc[1], line_buffering=os.isatty(1), write_through=True)
    sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding=enc[2], errors="backslashreplace",
                                  line_buffering=True, write_through=True)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    os.umask(request["umask"])
    for name, (soft, hard) in request["limits"].items():  # the caller's ulimits, as far as they lower the server's
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(getattr(resource, name), (soft, hard))
    sys.argv = [request["argv0"], *request["argv"]]
    for h in list(log.handlers):
        log.removeHandler(h)
    log.propagate = True
    code: object = 0
    try:
        command(request["argv"])  # ends the process itself
    except SystemExit as exc:  # as the interpreter would end it
        code = exc.code
    except KeyboardInterrupt:
        traceback.print_exc()
        sys.stderr.flush()
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
    except BaseException:
        traceback.print_exc()
        code = 1
    if code is None:
        code = 0
    elif not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def status(folder: Path | None = None) -> dict | None:
    """The matching server's pid, runs served and their CPU; None when none runs. `folder`: the
    sockets folder, when not the caller's own."""
    return _ask((folder or sockets_dir()) / f"{fingerprint()}.sock", {"status": True})


def stop() -> int | None:
    """Stop the matching server; its pid, or None when none runs."""
    st = status()
    if st:
        os.kill(st["pid"], signal.SIGTERM)
    return st["pid"] if st else None
