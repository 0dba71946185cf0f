#!/usr/bin/python3
"""A chunked-upload endpoint that costs next to nothing, for the benchmarks.

    upload_endpoint.py   -> prints "upload endpoint listening on URL"

It speaks just enough of the protocol (synapse-protocol.md
section 6, and `POST models/`) for synapsemodelsink, libsynapse and curl to
run a whole upload against it: each chunk's body is read into one reused
buffer and thrown away (no multipart parsing, no MD5, nothing stored), the
offset comes from the Content-Range, the finish answers with the size. So
an upload measured against it measures the client, where against
synapse-dev-backend (which parses each multipart body, hashes every chunk
and holds it) the backend shares the machine's cores with the client and
can be what sets the pace. No token check: it is for loopback benchmarks.
"""

import http.server
import json
import re
import sys
import threading

BLOCK = 1024 * 1024


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # the headers and the body of a reply go in two writes: without this,
    # Nagle's algorithm and the client's delayed ACK add 40 ms to each
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def discard_body(self):
        """Reads the request body into a reused buffer; its length."""
        left = int(self.headers.get("Content-Length", "0"))
        read = 0
        buffer = getattr(self.server.local, "buffer", None)
        if buffer is None:
            buffer = self.server.local.buffer = memoryview(bytearray(BLOCK))
        while left > 0:
            n = self.rfile.readinto(buffer[:min(left, BLOCK)])
            if not n:
                break
            left -= n
            read += n
        return read

    def base(self):
        return f"http://{self.headers.get('Host')}/"

    def do_PUT(self):
        self.discard_body()
        match = re.match(r"bytes (\d+)-(\d+)/(\d+)",
                         self.headers.get("Content-Range", ""))
        path = self.path.split("?")[0]
        upload = re.fullmatch(r"/chunked_upload/(\d+)/", path)
        if not match or not (upload or path == "/chunked_upload/"):
            self.reply(400, {"detail": "Error in request headers"})
            return
        if upload:
            upload_id = upload.group(1)
        else:
            with self.server.lock:
                self.server.uploads += 1
                upload_id = str(self.server.uploads)
        self.server.totals[upload_id] = int(match.group(3))
        self.reply(200, {"id": upload_id,
                         "url": f"{self.base()}chunked_upload/{upload_id}/",
                         "offset": int(match.group(2)) + 1,
                         "filename": "model.bin",
                         "expires": "2100-01-01T00:00:00Z"})

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length) if length else b""
        path = self.path.split("?")[0]
        upload = re.fullmatch(r"/chunked_upload/(\d+)/", path)
        if upload:
            upload_id = upload.group(1)
            self.reply(200, {"id": upload_id,
                             "file": f"{self.base()}media/{upload_id}.bin",
                             "size": self.server.totals.get(upload_id, 0)})
        elif path == "/models/":
            model = json.loads(body or b"{}")
            with self.server.lock:
                self.server.models += 1
                model["id"] = self.server.models
            model["file"] = f"{self.base()}media/model{model['id']}.bin"
            self.reply(201, model)
        else:
            self.reply(404, {"detail": "Not found."})


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.lock = threading.Lock()
    server.local = threading.local()
    server.uploads = server.models = 0
    server.totals = {}
    print(f"upload endpoint listening on "
          f"http://127.0.0.1:{server.server_address[1]}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
