#!/usr/bin/env python3
"""Run Redis 7.0's Tcl test suite, unit by unit, against a server binary.

This is the engine behind `scripts/compat` (which installs dependencies and fetches the suite,
then execs this file with `--suite DIR`). Python standard library only.

For each unit (a file such as `tests/unit/type/incr.tcl`) it:

1. starts a fresh server on a free loopback port:
   `SERVER --port P --bind 127.0.0.1 --save "" --appendonly no --enable-debug-command yes
   --daemonize no`, its stdout/stderr going to `target/compat/logs/<unit>.server.log`;
2. runs `./runtest --host 127.0.0.1 --port P --single UNIT --clients 1 --timeout 30 [--durable]`
   in a private copy of the suite, under a wall-clock cap, output to `<unit>.runtest.log`;
3. stops the server (noting whether it had died on its own) and parses the runtest output.

runtest (test_helper.tcl, read_from_test_client) prints one line per event:

    [ok]: NAME (N ms)                       test passed
    [err]: NAME in tests/UNIT.tcl           test failed; the message follows on later lines
    [skip]: NAME                            excluded by --skip/--only
    [ignore]: NAME: REASON                  excluded by tags (e.g. "Not supported on external server")
    [exception]: Executing test client: ... a Tcl error outside an assertion: the unit is aborted
    [TIMEOUT]: clients state report ...     no progress for --timeout seconds: the unit is aborted
    [1/1 done]: UNIT (N seconds)            the unit ran to its end

Names are printed verbatim (no tags, no file:line), so they match the reference TSV. A name can
occur several times in one unit (the same test run per encoding), so results are counted as
multisets. Tests of the reference that the run never reached (the unit aborted, the server died,
the wall-clock cap hit) are reported as `notrun`.

By default runtest gets `--durable`, which turns an exception inside one test into an `[err]` for
that test and lets the unit continue, so one unimplemented command does not hide the rest of the
unit. `--strict` drops it and reproduces the reference invocation exactly. A test that passes
passes the same way in both modes.

Ratchet: `tests/compat/expected-pass.txt` lists `unit<TAB>name` lines that must keep passing. A
name counts as passing when every occurrence the reference expects ran and none failed.
"""

import argparse
import collections
import fcntl
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

REF_DEFAULT_CANDIDATES = [
    "tests/compat/redis-7.0.15-external.tsv",
    # CI and developers have the shared folder beside the repository.
    "../shared/compat/redis-7.0.15-external.tsv",
    "/work/shared/compat/redis-7.0.15-external.tsv",
]

ANSI_RE = re.compile(r"\x1b\[[0-9;]*m")
OK_RE = re.compile(r"^\[ok\]: (.*) \((\d+) ms\)$")
ERR_RE = re.compile(r"^\[err\]: (.*)$")
SKIP_RE = re.compile(r"^\[skip\]: (.*)$")
IGNORE_RE = re.compile(r"^\[ignore\]: (.*)$")
IGNORE_REASON_RE = re.compile(
    r"^(.*): (Tag: .*|Not supported .*|large memory flag not provided)$")
EXCEPTION_RE = re.compile(r"^\[exception\]: (.*)$")
TIMEOUT_RE = re.compile(r"^\[TIMEOUT\]: ")
IN_PROGRESS_RE = re.compile(r"^\S+ => \(IN PROGRESS\) (.*)$")
DONE_RE = re.compile(r"^\[\d+/\d+ done\]: (\S+) \((\d+) seconds\)$")

# Children get their own process group (so a whole runtest tree can be killed at once) but stay
# in our session, so a CI wrapper that stops a session's leftovers still sees them.
NEW_GROUP = ({"process_group": 0} if sys.version_info >= (3, 11)
             else {"preexec_fn": os.setpgrp})

# Statuses in results.tsv. Only `ok` is a pass.
OK, ERR, TIMEOUT, NOTRUN, SKIP, IGNORE = "ok", "err", "timeout", "notrun", "skip", "ignore"


def die(msg, code=2):
    print(f"compat: {msg}", file=sys.stderr)
    sys.exit(code)


# --------------------------------------------------------------------------------------------
# Input files

def load_reference(path):
    """Reference TSV -> {unit: [names in run order, duplicates kept]} (insertion-ordered)."""
    ref = collections.OrderedDict()
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            parts = line.split("\t")
            if len(parts) != 3:
                die(f"{path}:{lineno}: expected 3 tab-separated columns")
            status, unit, name = parts
            if status == OK:
                ref.setdefault(unit, []).append(name)
    return ref


def load_expected(path):
    """expected-pass.txt -> (header lines, list of (unit, name)). Missing file = empty."""
    header, entries = [], []
    if not os.path.exists(path):
        return header, entries
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                if entries and line.strip():
                    print(f"compat: warning: {path}:{lineno}: comment after the first entry; "
                          "--update moves it to the header", file=sys.stderr)
                if line.strip() or not entries:
                    header.append(line)
                continue
            parts = line.split("\t", 1)
            if len(parts) != 2 or not parts[0] or not parts[1]:
                die(f"{path}:{lineno}: expected 'unit<TAB>test name', got {line!r}")
            entries.append((parts[0], parts[1]))
    return header, entries


# --------------------------------------------------------------------------------------------
# Processes

class Procs:
    """Every process we started, so that any exit path (normal, error, signal) stops them."""

    def __init__(self):
        self.lock = threading.Lock()
        self.live = set()
        self.stopping = False

    def add(self, p):
        """Track p; once shutdown has begun, stop it at once instead (a job thread racing it)."""
        with self.lock:
            if not self.stopping:
                self.live.add(p)
                return
        kill_tree(p)
        raise KeyboardInterrupt("shutting down")

    def discard(self, p):
        with self.lock:
            self.live.discard(p)

    def kill_all(self):
        with self.lock:
            self.stopping = True
            procs = list(self.live)
        for p in procs:
            kill_tree(p)


PROCS = Procs()

# Signals raise KeyboardInterrupt in the main thread, but not between Popen returning and
# PROCS.add (the child would escape cleanup): spawn() defers them across that window. (Blocking
# them with pthread_sigmask instead would leave them blocked in the child, which inherits masks.)
_main_in_spawn = False
_pending_signal = None
_last_signal = signal.SIGINT


def on_signal(signum, _frame):
    global _pending_signal, _last_signal
    _last_signal = signum
    if _main_in_spawn:
        _pending_signal = signum
        return
    raise KeyboardInterrupt(f"signal {signum}")


def spawn(argv, **kw):
    """Popen in a new process group, tracked in PROCS before any signal can intervene."""
    global _main_in_spawn
    on_main = threading.current_thread() is threading.main_thread()
    if on_main:
        _main_in_spawn = True
    try:
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, **NEW_GROUP, **kw)
        PROCS.add(p)
    finally:
        if on_main:
            _main_in_spawn = False
    if on_main and _pending_signal is not None:
        raise KeyboardInterrupt(f"signal {_pending_signal}")
    return p


def kill_tree(p, grace=5.0):
    """Stop a process started as leader of its own process group: TERM the group, then KILL."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(p.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            p.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue
    # The group may outlive its leader (runtest's test client); make sure it is gone.
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    PROCS.discard(p)


class PortPool:
    """Hands out free loopback ports from [lo, hi), never the same one twice in this process.

    The scan starts at a random offset so that two compat runs started together (say, two
    engineers, or two --out directories) rarely probe the same ports; a port that still turns
    out to be taken is caught by the retries in Runner.run_unit. `gap` > 0 also requires
    port+gap to be free (runtest's find_available_port insists on it, for a cluster bus)."""

    def __init__(self, lo, hi, gap=0):
        self.lo, self.hi, self.gap = lo, hi, gap
        self.next = lo + random.randrange(hi - lo)
        self.given = set()
        self.lock = threading.Lock()

    def take(self):
        with self.lock:
            for _ in range(self.hi - self.lo):
                port = self.next
                self.next = port + 1 if port + 1 < self.hi else self.lo
                if port in self.given:
                    continue
                if port_is_free(port) and (not self.gap or port_is_free(port + self.gap)):
                    self.given.add(port)
                    return port
        die(f"no free port in {self.lo}-{self.hi - 1}")

    def give_back(self, port):
        with self.lock:
            self.given.discard(port)


def port_is_free(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def wait_ready(port, proc, timeout):
    """Poll until the server answers PING with +PONG. False if it died or timed out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1.0) as s:
                s.sendall(b"*1\r\n$4\r\nPING\r\n")
                if s.recv(64).startswith(b"+PONG"):
                    return True
        except OSError:
            pass
        time.sleep(0.05)
    return False


# --------------------------------------------------------------------------------------------
# Parsing runtest output

class UnitRun:
    def __init__(self, unit):
        self.unit = unit
        self.events = []        # (status, name) in output order
        self.block_errors = []  # [err] lines that name no test (e.g. a start_server block failed)
        self.done = False
        self.notes = []
        self.seconds = 0.0


def parse_runtest_output(unit, text, run):
    """Fill run.events / run.done / run.notes from runtest's stdout."""
    suffix = f" in tests/{unit}.tcl"
    timed_out = False
    for raw in text.splitlines():
        line = ANSI_RE.sub("", raw).rstrip("\r")
        m = OK_RE.match(line)
        if m:
            run.events.append((OK, m.group(1)))
            continue
        m = ERR_RE.match(line)
        if m:
            data = m.group(1)
            if data.endswith(suffix):
                run.events.append((ERR, data[: -len(suffix)]))
            else:
                run.block_errors.append(data)
            continue
        m = SKIP_RE.match(line)
        if m:
            run.events.append((SKIP, m.group(1)))
            continue
        m = IGNORE_RE.match(line)
        if m:
            m2 = IGNORE_REASON_RE.match(m.group(1))
            # Without a recognised reason it is a whole start_server block being ignored.
            if m2 and m2.group(1):
                run.events.append((IGNORE, m2.group(1)))
            continue
        m = EXCEPTION_RE.match(line)
        if m:
            run.notes.append("exception: " + m.group(1)[:200])
            continue
        if TIMEOUT_RE.match(line):
            timed_out = True
            run.notes.append(f"runtest timeout (no progress)")
            continue
        if timed_out:
            m = IN_PROGRESS_RE.match(line)
            if m:
                run.events.append((TIMEOUT, m.group(1)))
                run.notes[-1] = f"runtest timeout in: {m.group(1)[:120]}"
            continue
        m = DONE_RE.match(line)
        if m and m.group(1) == unit:
            run.done = True


# --------------------------------------------------------------------------------------------
# Running one unit

class Runner:
    """Runs units. Ports: servers from 23000-29999; runtest's own test server (it listens on
    --baseport minus 32, and wants that port + 10000 free too) from 21000-22999."""

    ATTEMPTS = 3
    TEST_SERVER_BUSY = "couldn't open socket: address already in use"

    def __init__(self, args):
        self.args = args
        self.server_ports = PortPool(23000, 30000)
        self.test_ports = PortPool(21000, 23000, gap=10000)
        self.print_lock = threading.Lock()

    def log_paths(self, unit):
        base = unit.replace("/", "_")
        return (os.path.join(self.args.logs_dir, base + ".server.log"),
                os.path.join(self.args.logs_dir, base + ".runtest.log"))

    def run_unit(self, unit, workdir):
        """Run one unit; retry (new ports) when the server or runtest's test server could not
        bind its port: a port probed free can be taken by someone else before it is bound."""
        start = time.monotonic()
        for attempt in range(1, self.ATTEMPTS + 1):
            run, retry = self.attempt(unit, workdir, last=(attempt == self.ATTEMPTS))
            if not retry:
                break
        run.seconds = time.monotonic() - start
        return run

    def attempt(self, unit, workdir, last):
        a = self.args
        run = UnitRun(unit)
        server_log, runtest_log = self.log_paths(unit)
        port = self.server_ports.take()
        test_port = self.test_ports.take()
        # A private, empty working directory: DEBUG RELOAD and friends write dump.rdb there.
        server_cwd = os.path.join(workdir, "server-cwd")
        shutil.rmtree(server_cwd, ignore_errors=True)
        os.makedirs(server_cwd)

        argv = [a.server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--enable-debug-command", "yes", "--daemonize", "no"]
        argv += a.server_arg
        with open(server_log, "wb") as slog:
            slog.write(("# " + " ".join(repr(x) if x == "" else x for x in argv) + "\n").encode())
            slog.flush()
            try:
                server = spawn(argv, stdout=slog, stderr=subprocess.STDOUT, cwd=server_cwd)
            except OSError as e:
                die(f"cannot start {a.server}: {e}")
        try:
            if not wait_ready(port, server, a.start_timeout):
                code = server.poll()
                # Exited at once: most likely the port was taken meanwhile; try another.
                if code is not None and not last:
                    return run, True
                run.notes.append("server did not start" +
                                 (f" (exit {code})" if code is not None else "") +
                                 f", see {server_log}")
                return run, False

            cmd = ["./runtest", "--host", "127.0.0.1", "--port", str(port), "--single", unit,
                   "--clients", "1", "--timeout", str(a.test_timeout),
                   "--baseport", str(test_port + 32)]
            if not a.strict:
                cmd.append("--durable")
            env = dict(os.environ, TERM="dumb")
            with open(runtest_log, "wb") as rlog:
                rt = spawn(cmd, cwd=workdir, stdout=rlog, stderr=subprocess.STDOUT, env=env)
                try:
                    rt.wait(timeout=a.unit_timeout)
                except subprocess.TimeoutExpired:
                    run.notes.append(f"wall-clock cap {a.unit_timeout}s hit")
                kill_tree(rt, grace=2.0)
            code = server.poll()
            if code is not None:
                run.notes.append(f"server exited during the unit (code {code}), "
                                 f"see {server_log}")
        finally:
            kill_tree(server)
            self.server_ports.give_back(port)
            self.test_ports.give_back(test_port)

        with open(runtest_log, "rb") as f:
            text = f.read().decode("utf-8", "replace")
        parse_runtest_output(unit, text, run)
        if not run.events and self.TEST_SERVER_BUSY in text and not last:
            return run, True
        if not run.done and not run.notes:
            run.notes.append(f"unit did not finish, see {runtest_log}")
        return run, False


# --------------------------------------------------------------------------------------------
# Scoring

class UnitScore:
    """Counts for one unit, multiset-aware."""

    def __init__(self, run, ref_names):
        self.run = run
        self.ref_count = collections.Counter(ref_names)
        self.by_status = collections.defaultdict(collections.Counter)
        for status, name in run.events:
            self.by_status[status][name] += 1
        ok = self.by_status[OK]
        seen = collections.Counter()
        for status in self.by_status:
            seen.update(self.by_status[status])
        # Reference occurrences that produced no event at all were never reached.
        self.notrun = collections.Counter()
        for name, n in self.ref_count.items():
            missing = n - seen[name]
            if missing > 0:
                self.notrun[name] = missing
        self.passed = sum(min(ok[n], c) for n, c in self.ref_count.items())
        self.extra = sum(c for n, c in ok.items() if n not in self.ref_count)
        self.failed = sum(self.by_status[ERR].values()) + sum(self.by_status[TIMEOUT].values())

    def name_passes(self, name):
        """A name passes if it ran at least as often as Redis runs it and never failed."""
        need = max(self.ref_count.get(name, 0), 1)
        return (self.by_status[OK][name] >= need and self.by_status[ERR][name] == 0
                and self.by_status[TIMEOUT][name] == 0 and self.notrun[name] == 0)

    def name_status(self, name):
        for status in (TIMEOUT, ERR):
            if self.by_status[status][name]:
                return status
        if self.notrun[name] or not self.by_status[OK][name]:
            for status in (SKIP, IGNORE):
                if self.by_status[status][name]:
                    return status
            return NOTRUN
        return OK

    def rows(self):
        """results.tsv rows: events in run order, then never-reached tests in reference order."""
        out = [(status, self.run.unit, name) for status, name in self.run.events]
        for name in self.ref_count:
            out += [(NOTRUN, self.run.unit, name)] * self.notrun[name]
        return out


# --------------------------------------------------------------------------------------------
# Main

def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="scripts/compat",
        description="Run Redis 7.0's Tcl suite (external-server mode) against a server binary.")
    p.add_argument("--suite", required=True,
                   help="directory holding Redis's runtest and tests/ (scripts/compat sets it)")
    p.add_argument("--repo", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    p.add_argument("--server", default=os.environ.get("SERVER_BIN") or "target/release/ferrodis",
                   help="server binary (default: $SERVER_BIN or target/release/ferrodis)")
    p.add_argument("--server-arg", action="append", default=[], metavar="ARG",
                   help="extra argument for the server (repeatable)")
    p.add_argument("--units", default="", help="comma-separated units, e.g. unit/type/incr")
    p.add_argument("--ratchet", action="store_true",
                   help="run the units named in the expected file; fail if an expected test "
                        "did not pass")
    p.add_argument("--update", action="store_true",
                   help="add newly passing reference tests to the expected file")
    p.add_argument("--expected", default="tests/compat/expected-pass.txt")
    p.add_argument("--reference", default=os.environ.get("COMPAT_REFERENCE", ""),
                   help="Redis reference TSV (default: tests/compat/redis-7.0.15-external.tsv, "
                        "else /work/shared/compat/redis-7.0.15-external.tsv)")
    p.add_argument("--out", default="target/compat", help="results directory")
    p.add_argument("--jobs", type=int, default=1, help="units run in parallel (default 1)")
    p.add_argument("--unit-timeout", type=int, default=300,
                   help="wall-clock cap per unit in seconds (default 300)")
    p.add_argument("--test-timeout", type=int, default=30,
                   help="runtest --timeout: seconds without progress (default 30)")
    p.add_argument("--start-timeout", type=float, default=10.0,
                   help="seconds to wait for the server to answer PING (default 10)")
    p.add_argument("--strict", action="store_true",
                   help="no runtest --durable: an exception aborts the unit, as in the reference")
    p.add_argument("--quiet", action="store_true", help="only print the final summary")
    return p.parse_args(argv)


def show(path):
    """A path for messages: relative to the current directory when below it."""
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


def resolve(repo, path):
    return path if os.path.isabs(path) else os.path.join(repo, path)


def main(argv):
    a = parse_args(argv)
    repo = a.repo
    a.suite = os.path.abspath(a.suite)
    a.out = resolve(repo, a.out)
    a.expected = resolve(repo, a.expected)
    a.logs_dir = os.path.join(a.out, "logs")
    server = a.server
    if os.sep in server:
        server = resolve(repo, server)
    else:
        server = shutil.which(server) or server
    a.server = os.path.abspath(server)
    if not (os.path.isfile(a.server) and os.access(a.server, os.X_OK)):
        die(f"server binary not found or not executable: {a.server} "
            "(build it with `cargo build --release`, or pass --server / SERVER_BIN)")
    if not os.path.isfile(os.path.join(a.suite, "runtest")):
        die(f"no runtest in {a.suite}")
    if a.jobs < 1:
        die("--jobs must be >= 1")

    ref_path = a.reference
    if not ref_path:
        for cand in REF_DEFAULT_CANDIDATES:
            if os.path.exists(resolve(repo, cand)):
                ref_path = resolve(repo, cand)
                break
    ref = {}
    if ref_path:
        ref = load_reference(resolve(repo, ref_path))
    elif not a.ratchet or a.update:
        die("Redis reference TSV not found; put it at tests/compat/redis-7.0.15-external.tsv "
            "or pass --reference / COMPAT_REFERENCE")
    else:
        print("compat: warning: no reference TSV; not-run detection uses expected-pass.txt only",
              file=sys.stderr)

    header, expected = load_expected(a.expected)
    expected_set = set(expected)

    # Which units to run, in the reference's order where known.
    if a.units:
        units = [u.strip() for u in a.units.split(",") if u.strip()]
    elif a.ratchet:
        wanted = {u for u, _ in expected}
        units = [u for u in ref if u in wanted] + sorted(wanted - set(ref))
    else:
        units = list(ref)
    seen = set()
    units = [u for u in units if not (u in seen or seen.add(u))]
    for u in units:
        if not os.path.isfile(os.path.join(a.suite, "tests", u + ".tcl")):
            die(f"unknown unit {u!r}: no tests/{u}.tcl in {a.suite}")
    for u, n in expected:
        if ref and (u not in ref or n not in ref[u]):
            print(f"compat: warning: expected test not in the reference TSV: {u}\t{n}",
                  file=sys.stderr)

    os.makedirs(a.logs_dir, exist_ok=True)
    # One run per results directory: a second one would wipe the first one's suite copies.
    lock_file = open(os.path.join(a.out, ".lock"), "w")
    try:
        fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        die(f"another scripts/compat run is using {show(a.out)}; wait for it, or pass --out DIR")
    if not units:
        print("compat: no units to run" + (" (expected-pass.txt has no entries)"
                                           if a.ratchet else ""))
        return 0

    # One private copy of the suite per job: runtest writes tests/tmp and cleans it on start.
    jobs = min(a.jobs, len(units))
    workdirs = []
    for j in range(jobs):
        wd = os.path.join(a.out, "work", f"job{j}")
        shutil.rmtree(wd, ignore_errors=True)
        os.makedirs(wd)
        shutil.copy2(os.path.join(a.suite, "runtest"), wd)
        shutil.copytree(os.path.join(a.suite, "tests"), os.path.join(wd, "tests"), symlinks=True)
        workdirs.append(wd)

    mode = "strict" if a.strict else "durable"
    print(f"compat: server {a.server}; {len(units)} unit(s), {jobs} job(s), {mode} mode; "
          f"logs in {show(a.logs_dir)}", flush=True)

    runner = Runner(a)
    # Make every expected name count for not-run detection, even without a reference.
    ref_for = {u: list(ref.get(u, [])) for u in units}
    for u, n in expected:
        if u in ref_for and n not in ref_for[u]:
            ref_for[u].append(n)

    scores = {}
    queue = list(units)
    qlock = threading.Lock()
    failures = []

    def worker(j):
        while True:
            with qlock:
                if not queue or PROCS.stopping:
                    return
                unit = queue.pop(0)
            try:
                run = runner.run_unit(unit, workdirs[j])
            except KeyboardInterrupt:
                raise
            except BaseException as e:  # report and keep the other jobs going
                failures.append((unit, e))
                return
            sc = UnitScore(run, ref_for[unit])
            with qlock:
                scores[unit] = sc
            if not a.quiet and not PROCS.stopping:
                with runner.print_lock:
                    print(summary_line(sc), flush=True)

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)
    wall = time.monotonic()
    try:
        if jobs == 1:
            worker(0)
        else:
            threads = [threading.Thread(target=worker, args=(j,), daemon=True)
                       for j in range(jobs)]
            for t in threads:
                t.start()
            while any(t.is_alive() for t in threads):
                for t in threads:
                    t.join(timeout=0.2)
    except KeyboardInterrupt as e:
        print(f"\ncompat: interrupted ({str(e) or 'SIGINT'}), servers stopped", file=sys.stderr)
        PROCS.kill_all()
        return 128 + int(_last_signal)
    finally:
        PROCS.kill_all()
    for unit, e in failures:
        die(f"error while running {unit}: {e!r}")
    wall = time.monotonic() - wall

    # ---- results.tsv and summary
    ordered = [scores[u] for u in units if u in scores]
    results_path = os.path.join(a.out, "results.tsv")
    with open(results_path, "w", encoding="utf-8") as f:
        for sc in ordered:
            for status, unit, name in sc.rows():
                f.write(f"{status}\t{unit}\t{name}\n")
    lines = [summary_header()] + [summary_line(sc) for sc in ordered]
    tot_pass = sum(sc.passed for sc in ordered)
    tot_ref = sum(sum(sc.ref_count.values()) for sc in ordered)
    tot_err = sum(sc.failed for sc in ordered)
    tot_notrun = sum(sum(sc.notrun.values()) for sc in ordered)
    tot_extra = sum(sc.extra for sc in ordered)
    tot_secs = sum(sc.run.seconds for sc in ordered)
    lines.append(fmt_row("TOTAL", tot_pass, tot_ref, tot_err, tot_notrun, tot_extra, tot_secs,
                         f"wall {wall:.0f}s"))
    summary = "\n".join(lines)
    with open(os.path.join(a.out, "summary.txt"), "w", encoding="utf-8") as f:
        f.write(summary + "\n")
    print()
    print(summary)
    print(f"\ncompat: per-test results in {show(results_path)}; "
          "pass = tests passed of those Redis 7.0.15 passes (redis column)")

    rc = 0
    # ---- ratchet: every expected test of the units we ran must pass
    if a.ratchet or a.update:
        regressions = []
        for u, n in expected:
            if u in scores and not scores[u].name_passes(n):
                regressions.append((u, n, scores[u].name_status(n)))
        checked = sum(1 for u, _ in expected if u in scores)
        if regressions:
            print(f"\ncompat: RATCHET FAILED: {len(regressions)} of {checked} expected test(s) "
                  "did not pass:")
            for u, n, st in regressions:
                print(f"  {st:8} {u}\t{n}")
            rc = 1
        else:
            print(f"\ncompat: ratchet ok: all {checked} expected test(s) passed")

    # ---- update: add newly passing reference tests
    if a.update:
        new = set()
        for u, sc in scores.items():
            for n in set(ref.get(u, [])):
                if sc.name_passes(n) and (u, n) not in expected_set:
                    new.add((u, n))
        if new:
            entries = sorted(expected_set | new)
            os.makedirs(os.path.dirname(a.expected), exist_ok=True)
            tmp = a.expected + ".tmp"
            with open(tmp, "w", encoding="utf-8") as f:
                for h in header:
                    f.write(h + "\n")
                for u, n in entries:
                    f.write(f"{u}\t{n}\n")
            os.replace(tmp, a.expected)
            print(f"compat: added {len(new)} newly passing test(s) to "
                  f"{show(a.expected)} ({len(entries)} in all)")
        else:
            print("compat: no newly passing tests to add")
    return rc


def fmt_row(unit, passed, ref, err, notrun, extra, secs, note=""):
    pct = f"{100.0 * passed / ref:5.1f}%" if ref else "    -"
    return (f"{unit:28} {passed:5}/{ref:<5} {pct:>6} {err:5} {notrun:6} {extra:5} "
            f"{secs:7.1f}s  {note}").rstrip()


def summary_header():
    return (f"{'unit':28} {'pass/redis':11} {'pct':>6} {'err':>5} {'notrun':>6} {'extra':>5} "
            f"{'time':>8}  note")


def summary_line(sc):
    notes = list(sc.run.notes)
    if sc.run.block_errors:
        notes.append(f"{len(sc.run.block_errors)} block error(s)")
    return fmt_row(sc.run.unit, sc.passed, sum(sc.ref_count.values()), sc.failed,
                   sum(sc.notrun.values()), sc.extra, sc.run.seconds, "; ".join(notes))


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    finally:
        PROCS.kill_all()
