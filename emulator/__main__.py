"""python -m emulator: the twin in the foreground on fixed ports, for a local sandbox."""

import argparse
import signal
import threading

from emulator.twin import Twin
from emulator.undocumented import BEHAVIOURS


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m emulator", description=__doc__)
    parser.add_argument("--moto-port", type=int, default=5000)
    parser.add_argument("--emulator-port", type=int, default=5001)
    parser.add_argument("--latency-ms", type=float, default=0.0,
                        help="simulated network latency added to every AWS call")
    parser.add_argument("--publish-streaming", action="store_true",
                        help="Connect publishes chat items to the chat's streaming SNS topic")
    parser.add_argument("--clock-start", type=float, default=None, metavar="EPOCH",
                        help="the twin's clock starts (and resets to) this time, not the wall clock")
    parser.add_argument("--strict", action="store_true",
                        help="none of what AWS and Meta do without documenting it (emulator/undocumented.py)")
    args = parser.parse_args(argv)

    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())

    with Twin(moto_port=args.moto_port, emulator_port=args.emulator_port,
              publish_streaming=args.publish_streaming, clock_start=args.clock_start) as twin:
        twin.latency_seconds = twin.pacing.seconds = args.latency_ms / 1000
        if args.strict:  # until a reset, which turns them back on
            twin.set_undocumented(**dict.fromkeys(BEHAVIOURS, False))
        for name, value in twin.endpoint_env().items():
            print(f"{name}={value}", flush=True)
        stopping.wait()


if __name__ == "__main__":
    main()
