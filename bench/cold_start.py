"""One handler's cold start from an unzipped deployment package: import the app, serve one event.

Run as `python -I -S bench/cold_start.py PACKAGE_DIR HANDLER EVENT_FILE CLOCK_OFFSET`: -I and -S
leave only the standard library on sys.path, so everything else comes from PACKAGE_DIR, as in
Lambda's /var/task (nothing from the development virtual environment). The benchmark makes
PACKAGE_DIR read-only (bench/read_only.py), as /var/task is, so no process finds bytecode an earlier
one compiled. CLOCK_OFFSET (seconds) puts the handler on the twin's clock, as the benchmark's own
handlers are. Prints one JSON line.
"""
import importlib.machinery
import json
import logging
import resource
import sys
import time


def count_compiles(package_dir: str) -> list:
    """The package's modules compiled from source from now on (those without usable bytecode)."""
    compiled = []
    source_to_code = importlib.machinery.SourceFileLoader.source_to_code

    def counting(loader, data, path, *args, **kwargs):
        if str(path).startswith(package_dir):
            compiled.append(path)
        return source_to_code(loader, data, path, *args, **kwargs)

    importlib.machinery.SourceFileLoader.source_to_code = counting
    return compiled


def on_clock(app, offset: float) -> None:
    """The runtimes the app builds read the wall clock moved by `offset`, the twin's time. A
    package from before the product read time through app.runtime() keeps the wall clock."""
    build = getattr(app, "runtime", None)
    if build is None:
        return

    def runtime_on_twin_time():
        runtime = build()
        runtime.clock = lambda: time.time() + offset
        return runtime

    app.runtime = runtime_on_twin_time


def main(package_dir: str, handler_name: str, event_file: str, clock_offset: str) -> None:
    with open(event_file) as file:
        event = json.load(file)
    sys.path.insert(0, package_dir)
    compiled = count_compiles(package_dir)
    started, started_cpu = time.perf_counter(), time.process_time()
    import app

    imported, imported_cpu = time.perf_counter(), time.process_time()
    logging.getLogger("whatsapp_connect_chat").disabled = True
    on_clock(app, float(clock_offset))
    getattr(app, handler_name)(event, None)
    served = time.perf_counter()
    print(json.dumps({
        "import_ms": (imported - started) * 1000,
        # CPU time is what a busy machine distorts least.
        "import_cpu_ms": (imported_cpu - started_cpu) * 1000,
        "first_event_ms": (served - imported) * 1000,
        "compiled_modules": len(compiled),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


if __name__ == "__main__":
    main(*sys.argv[1:5])
