"""One handler's cold start in a fresh process: import the app, serve one event, report JSON."""
import json
import logging
import resource
import sys
import time


def main(handler_name: str, event_file: str) -> None:
    with open(event_file) as file:
        event = json.load(file)
    started = time.perf_counter()
    import app

    imported = time.perf_counter()
    logging.getLogger("whatsapp_connect_chat").disabled = True
    getattr(app, handler_name)(event, None)
    served = time.perf_counter()
    print(json.dumps({
        "import_ms": (imported - started) * 1000,
        "first_event_ms": (served - imported) * 1000,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
