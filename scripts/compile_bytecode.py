#!/usr/bin/env python3
"""Compiled modules in the deployment zip, so that a cold start does not compile what it imports.

Lambda unpacks the zip into /var/task, which is read-only, and Chalice ships sources only: without
bytecode every cold start compiles each module it imports (app.py, chalicelib, the vendored
boto3/botocore/s3transfer and the requirements) and cannot keep the result. This adds, next to
every `.py` of the zip, `__pycache__/<name>.cpython-3NN.pyc` in PEP 552's unchecked-hash form
(flags 0b01): the interpreter uses it without comparing it with the source, so neither the zip's
timestamps nor the read-only directory matter, and it reads no source to import the module.

The bytecode is for the Lambda runtime's Python, which Chalice picks from the Python that runs it
(`Config.lambda_python_version`): this script runs with the same venv. When the two differ (this
Python is not the runtime's), it adds nothing and says so: the functions then compile at each cold
start, as before, and stay correct (the sources are always shipped; Python only reads a
`__pycache__` entry whose source is beside it).

- After `chalice package` (scripts/package.sh): `python scripts/compile_bytecode.py OUTDIR`
  rewrites OUTDIR/deployment.zip for the runtime OUTDIR/sam.json names.
- Before `chalice deploy` (scripts/deploy_bridge.py): `python scripts/compile_bytecode.py --stage
  STAGE` builds, with the packager `chalice deploy` uses, the zip it uploads
  (.chalice/deployments/<hash>-<runtime>.zip, reused when it exists: "Reusing existing deployment
  package.") and adds the bytecode to it.

Whatever `__pycache__` or `.pyc` the zip already held is dropped first: Chalice copies chalicelib/
whole, so a developer's timestamp-checked caches (possibly of another Python) would ride along.
"""
from __future__ import annotations

import argparse
import json
import os
import py_compile
import sys
import tempfile
import warnings
import zipfile
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parents[1]
CHALICE_CONFIG = ROOT / ".chalice" / "config.json"


def cache_tag(runtime: str) -> str:
    """`python3.11` (a Lambda runtime) -> `cpython-311` (the tag in its pyc file names)."""
    major, minor = runtime.removeprefix("python").split(".")
    return f"cpython-{major}{minor}"


def pyc_name(source: str, tag: str) -> str:
    """Where the interpreter looks for a source's bytecode: `__pycache__/<stem>.<tag>.pyc` beside
    it (without -O, and with no PYTHONPYCACHEPREFIX, which Lambda does not set)."""
    path = PurePosixPath(source)
    return str(path.parent / "__pycache__" / f"{path.stem}.{tag}.pyc")


def is_bytecode(name: str) -> bool:
    return name.endswith(".pyc") or "__pycache__/" in name


def _rewrite(archive: Path, extra: list[tuple[zipfile.ZipInfo, bytes]]) -> None:
    """Rewrites the zip without any bytecode, plus `extra`; each kept entry keeps its own ZipInfo
    (ffmpeg keeps its executable bit)."""
    staging = archive.with_name(archive.name + ".bytecode.tmp")
    with zipfile.ZipFile(archive) as source, zipfile.ZipFile(staging, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if not is_bytecode(info.filename):
                target.writestr(info, source.read(info))
        for info, data in extra:
            target.writestr(info, data)
    os.replace(staging, archive)


def strip_bytecode(archive: Path) -> None:
    """The zip as Chalice's sources alone (bench: the cold start without bytecode)."""
    _rewrite(archive, [])


def compiled(archive: Path, tag: str, log=print) -> list[tuple[zipfile.ZipInfo, bytes]]:
    """An unchecked-hash pyc entry for every `.py` of the zip that compiles, by this Python."""
    entries = []
    with zipfile.ZipFile(archive) as source, tempfile.TemporaryDirectory() as scratch:
        source_file, target_file = Path(scratch, "source.py"), Path(scratch, "compiled.pyc")
        for info in source.infolist():
            if not info.filename.endswith(".py"):
                continue
            source_file.write_bytes(source.read(info))
            try:
                # The libraries' own warnings (pydub's invalid escapes) are theirs to fix.
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    # dfile: the name the code objects carry (importlib replaces it with the real
                    # path when it loads them), so the bytes do not depend on this scratch folder.
                    py_compile.compile(str(source_file), cfile=str(target_file), dfile=info.filename,
                                       doraise=True, optimize=0,
                                       invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
            except py_compile.PyCompileError as error:
                log(f"{info.filename}: left as source, it does not compile: {error.msg.strip()}")
                continue
            entry = zipfile.ZipInfo(pyc_name(info.filename, tag), date_time=info.date_time)
            entry.external_attr = 0o644 << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            entries.append((entry, target_file.read_bytes()))
    return entries


def add_bytecode(archive: Path, runtime: str, log=print) -> int:
    """Rewrites the zip with an unchecked-hash pyc for every `.py` it holds, for `runtime`'s
    Python; returns how many it added (0 when this Python is not the runtime's: source only)."""
    tag = cache_tag(runtime)
    if tag != sys.implementation.cache_tag:
        log(f"{archive.name}: no bytecode: the functions run {runtime} and this is "
            f"{sys.implementation.cache_tag}; Lambda compiles the sources at each cold start instead")
        strip_bytecode(archive)
        return 0
    entries = compiled(archive, tag, log)
    _rewrite(archive, entries)
    log(f"{archive.name}: {len(entries)} modules compiled for {runtime} (unchecked-hash pyc)")
    return len(entries)


def packaged_runtime(template: Path) -> str:
    """The runtime of the functions of a `chalice package` template (one for all of them)."""
    resources = json.loads(template.read_text())["Resources"].values()
    (runtime,) = {resource["Properties"]["Runtime"] for resource in resources
                  if resource["Type"] == "AWS::Serverless::Function"}
    return runtime


def deploy_package(stage: str, log=print) -> Path:
    """The zip `chalice deploy --stage STAGE` will upload, built now by the packager it uses, with
    the bytecode added; Chalice finds it under the same name and reuses it."""
    from chalice.config import Config
    from chalice.deploy.packager import DependencyBuilder, LambdaDeploymentPackager, PipRunner, SubprocessPip
    from chalice.utils import UI, OSUtils

    config = Config(chalice_stage=stage, user_provided_params={"project_dir": str(ROOT)},
                    config_from_disk=json.loads(CHALICE_CONFIG.read_text()))
    osutils = OSUtils()
    pip = PipRunner(pip=SubprocessPip(osutils=osutils), osutils=osutils)
    packager = LambdaDeploymentPackager(
        osutils=osutils, ui=UI(), architecture=config.lambda_architecture,
        dependency_builder=DependencyBuilder(osutils=osutils, pip_runner=pip,
                                             architecture=config.lambda_architecture))
    archive = Path(packager.create_deployment_package(str(ROOT), config.lambda_python_version))
    add_bytecode(archive, config.lambda_python_version, log)
    return archive


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("outdir", nargs="?", type=Path,
                        help="a `chalice package` output: its deployment.zip, for the runtime its "
                             "sam.json names")
    target.add_argument("--stage", help="the zip `chalice deploy --stage STAGE` will upload")
    parser.add_argument("--source-only", action="store_true",
                        help="drop the bytecode from OUTDIR's zip instead (what a plain `chalice deploy` "
                             "ships; make bench measures both)")
    args = parser.parse_args(argv)
    if args.stage:
        deploy_package(args.stage)
    elif args.source_only:
        strip_bytecode(args.outdir / "deployment.zip")
    else:
        add_bytecode(args.outdir / "deployment.zip", packaged_runtime(args.outdir / "sam.json"))
    return 0

if __name__ == "__main__":
    sys.exit(main())
