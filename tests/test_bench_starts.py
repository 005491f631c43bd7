"""Every bench starts from an install of `.[bench]`: no pytest (nor the other dev tools) and no ../shared.

Each bench/*.py is run as `python bench/NAME.py --help` would run it (a library module is imported instead),
all in one child process with pytest, hypothesis and playwright made unimportable, from a directory outside
the repository. Running them for real is on demand (README, *Benchmarks*)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEV_ONLY = ("pytest", "_pytest", "hypothesis", "playwright")

# Runs each bench as `python bench/NAME.py --help` would, with the dev-only packages blocked; prints
# {bench: problem or ""} as JSON.
RUNNER = """
import contextlib, importlib.abc, io, json, runpy, sys, traceback
BLOCKED = set(sys.argv[1].split(","))
class Blocked(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"{name} is a dev dependency, not in the bench extra")
sys.meta_path.insert(0, Blocked())
for name in list(sys.modules):
    if name.split(".")[0] in BLOCKED:
        del sys.modules[name]
problems = {}
for script in sys.argv[2:]:
    source = open(script, encoding="utf-8").read()
    main = 'if __name__ == "__main__":' in source
    sys.path.insert(0, script.rsplit("/", 1)[0])
    sys.argv = [script, "--help"]
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            runpy.run_path(script, run_name="__main__" if main else "bench_import_check")
        problems[script] = "" if not main else "--help did not exit"
    except SystemExit as exc:
        problems[script] = "" if exc.code in (0, None) and "usage:" in out.getvalue() else f"exit {exc.code}"
    except BaseException:
        problems[script] = traceback.format_exc(limit=3)
    finally:
        sys.path.pop(0)
print(json.dumps(problems))
"""


def test_the_bench_extra_is_declared() -> None:
    assert "bench = [" in (REPO / "pyproject.toml").read_text(encoding="utf-8")


def test_every_bench_starts_without_dev_tools_or_shared(tmp_path: Path) -> None:
    benches = sorted(REPO.glob("bench/*.py"))
    assert len(benches) >= 10
    for bench in benches:
        source = bench.read_text(encoding="utf-8")
        assert "REPO.parent" not in source and '"shared"' not in source, f"{bench.name} reads ../shared"
    result = subprocess.run([sys.executable, "-c", RUNNER, ",".join(DEV_ONLY), *map(str, benches)], cwd=tmp_path,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    problems = {Path(k).name: v for k, v in json.loads(result.stdout.splitlines()[-1]).items() if v}
    assert not problems, "\n".join(f"{name}: {problem}" for name, problem in problems.items())
