"""Serve a stored test hub from its own process (keeps the server off the caller's GIL).

    python tests/hub_server STORAGE_DIR [--host 127.0.0.1] [--record]

Loads the repos already in STORAGE_DIR (populate it first with HubServer(STORAGE_DIR).commit(...)),
prints one JSON line {"endpoint", "cdn_endpoint", "pid"} on stdout, and serves until stdin closes or
SIGTERM/SIGINT.
"""

import argparse
import json
import os
import signal
import sys
import threading

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from hub_server import HubServer
else:
    from . import HubServer


def main(argv=None):
    ap = argparse.ArgumentParser(prog="hub_server")
    ap.add_argument("storage_dir")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--record", action="store_true", help="keep the request log (memory grows)")
    args = ap.parse_args(argv)
    srv = HubServer(args.storage_dir, host=args.host)
    srv.record = args.record
    srv.start()
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())

    def watch_stdin():
        try:
            while sys.stdin.read(1):
                pass
        except (OSError, ValueError):
            pass
        done.set()
    threading.Thread(target=watch_stdin, daemon=True).start()
    print(json.dumps({"endpoint": srv.endpoint, "cdn_endpoint": srv.cdn_endpoint, "pid": os.getpid()}), flush=True)
    done.wait()
    srv.stop()


if __name__ == "__main__":
    main()
