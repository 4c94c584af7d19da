"""The benchmark stands apart from the tests: it imports nothing of tests/."""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_IMPORTED_BY_BENCH = """
import json, sys
import bench.__main__, bench.scenarios
print(json.dumps(sorted(name for name in sys.modules if name.split(".")[0] == "tests")))
"""


def test_the_benchmark_imports_no_test_module():
    result = subprocess.run([sys.executable, "-c", _IMPORTED_BY_BENCH], cwd=ROOT, check=True,
                            capture_output=True, text=True)

    assert json.loads(result.stdout.strip().splitlines()[-1]) == []
