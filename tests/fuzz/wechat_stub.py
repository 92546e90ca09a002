"""A stand-in for WeChat's jscode2session during spec fuzzing (tests/fuzz/run.sh): every code
is accepted and names a stable openid, so that sign-in with WeChat is fuzzed down to the
binding it leads to. Prints its port, then serves until killed. Standard library only."""

import hashlib
import http.server
import json
import urllib.parse


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        code = query.get("js_code", [""])[0]
        openid = "o" + hashlib.sha256(code.encode()).hexdigest()[:27]
        body = json.dumps({"openid": openid, "session_key": "fuzz"}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
