"""A local stand-in for a Slack incoming webhook: a real HTTP server that keeps what it receives."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Webhook:
    """Answers 200 and keeps each post's JSON body, or answers 500 to the next `failures` posts."""

    def __init__(self):
        self.received: list[dict] = []
        self.failures = 0
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if hook.failures:
                    hook.failures -= 1
                    self.send_response(500)
                else:
                    hook.received.append(body)
                    self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    @property
    def titles(self) -> list[str]:
        return [post["text"] for post in self.received]

    def close(self):
        self.server.shutdown()
        self.server.server_close()
