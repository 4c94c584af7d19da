"""Fill vendor/ with boto3, botocore and s3transfer, trimmed to the AWS services the bridge calls.

The Lambda runtime's botocore predates StartChatContact's ConnectionTypes, so the bundle carries
its own. Whole, botocore is 20 MB of models for some 400 services; the bridge calls seven. This
script downloads the wheels of the versions pinned in requirements-dev.txt and keeps, of botocore's
data, the top-level files every client loads (endpoints, partitions, retry rules, default
configuration) and the folders of the services chalicelib/runtime.py creates clients for; of
boto3's resource data, the same services. Chalice copies vendor/ into the bundle root, so plain
`chalice deploy` and `chalice package` ship exactly what is committed here.

Usage: python scripts/vendor_boto.py   (then commit vendor/boto3*, vendor/botocore*, vendor/s3transfer*)
"""
from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "vendor"
# s3transfer comes along because it depends on botocore: Chalice would install a whole botocore for it.
PACKAGES = ("boto3", "botocore", "s3transfer")


def services_called(runtime_source: str) -> set[str]:
    """The service names of every `self._client("<service>")` in the Clients class."""
    tree = ast.parse(runtime_source)
    clients = next(node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == "Clients")
    return {
        node.args[0].value for node in ast.walk(clients)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        and node.func.attr == "_client" and node.args and isinstance(node.args[0], ast.Constant)
    }


def pinned_versions(requirements: str) -> dict[str, str]:
    pins = dict(re.findall(r"^([A-Za-z0-9_.-]+)==([^\s;#]+)", requirements, re.M))
    return {name: pins[name] for name in PACKAGES}


def trim(data: Path, keep: set[str]) -> None:
    """Removes every service folder of a botocore or boto3 data folder but those in `keep`."""
    for entry in data.iterdir():
        if entry.is_dir() and entry.name not in keep:
            shutil.rmtree(entry)


def main() -> None:
    services = services_called((ROOT / "chalicelib" / "runtime.py").read_text())
    versions = pinned_versions((ROOT / "requirements-dev.txt").read_text())
    with tempfile.TemporaryDirectory() as wheels:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
                        "--dest", wheels, *(f"{name}=={version}" for name, version in versions.items())],
                       check=True)
        for name, version in versions.items():
            for old in [*VENDOR.glob(f"{name}"), *VENDOR.glob(f"{name}-*.dist-info")]:
                shutil.rmtree(old)
            wheel, = Path(wheels).glob(f"{name}-{version}-*.whl")
            with zipfile.ZipFile(wheel) as archive:
                archive.extractall(VENDOR)
    trim(VENDOR / "botocore" / "data", services)
    trim(VENDOR / "boto3" / "data", services)
    kept = sorted(path.name for path in (VENDOR / "botocore" / "data").iterdir() if path.is_dir())
    size = sum(path.stat().st_size for name in PACKAGES for path in (VENDOR / name).rglob("*") if path.is_file())
    print(f"vendor/: {', '.join(f'{name} {version}' for name, version in versions.items())}, {size / 1e6:.1f} MB, "
          f"models of {', '.join(kept)}")


if __name__ == "__main__":
    main()
