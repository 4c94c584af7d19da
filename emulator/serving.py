"""Runs a WSGI app on 127.0.0.1 in a background thread."""

import threading

from werkzeug.serving import WSGIRequestHandler, make_server


class _QuietHandler(WSGIRequestHandler):
    # Every request is already in the call log; werkzeug's access log would only add noise.
    def log_request(self, code="-", size="-"):
        pass


class BackgroundServer:
    def __init__(self, app, port=0, host="127.0.0.1"):
        self._server = make_server(host, port, app, threaded=True, request_handler=_QuietHandler)
        self._thread = None

    @property
    def url(self):
        return f"http://{self._server.host}:{self._server.port}"

    def start(self):
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"emulator-{self._server.port}",
            daemon=True,
        )
        self._thread.start()

    def stop(self):
        if self._thread is None:
            return
        self._server.shutdown()
        self._thread.join()
        self._thread = None
        self._server.server_close()
