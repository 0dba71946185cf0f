#!/usr/bin/python3
"""A TCP proxy for HTTP/1.1 that cuts chosen requests in the middle.

Bytes are forwarded verbatim both ways (the Host header included, so a
server that builds absolute links from Host links back to the proxy). Of
the requests whose request line starts with --cut-match, the first --skip
pass untouched and the next --times are cut: after --cut-after-bytes bytes
of such a request (counted from the first byte of its request line) have
been forwarded, both connections are closed.

Requests are framed by Content-Length so keep-alive connections are
followed request by request; after a chunked request body the rest of that
connection is forwarded without looking for further requests.

Prints "faultproxy listening on http://127.0.0.1:PORT/" first.
"""

import argparse
import socket
import sys
import threading
from urllib.parse import urlsplit


class Cut(Exception):
    pass


class CutBudget:
    """Which matching requests to cut, counted over all connections."""

    def __init__(self, skip, times):
        self.skip, self.left = skip, times
        self.lock = threading.Lock()

    def take(self):
        with self.lock:
            if self.skip > 0:
                self.skip -= 1
                return False
            if self.left <= 0:
                return False
            self.left -= 1
            return True


def pump(source, sink):
    """Copy one direction until EOF, then pass the EOF on."""
    try:
        while data := source.recv(65536):
            sink.sendall(data)
        sink.shutdown(socket.SHUT_WR)
    except OSError:
        pass  # the other direction closed both sockets


def header_value(head, name):
    for line in head.split(b'\r\n')[1:]:
        key, _, value = line.partition(b':')
        if key.strip().lower() == name:
            return value.strip()
    return None


class Connection:
    def __init__(self, client, options, budget):
        self.client = client
        self.options = options
        self.budget = budget
        self.upstream = None
        self.cut_left = None  # bytes of the current request still to forward

    def run(self):
        try:
            self.upstream = socket.create_connection(self.options.upstream_address)
            responses = threading.Thread(target=pump, args=(self.upstream, self.client),
                                         daemon=True)
            responses.start()
            self.forward_requests()
            responses.join()  # the client is done sending; let the last response through
        except Cut as cut:
            print(f'faultproxy: cut {cut}', file=sys.stderr, flush=True)
        except OSError:
            pass
        finally:
            for sock in (self.client, self.upstream):
                if sock is not None:
                    try:
                        sock.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                    sock.close()

    def send(self, data):
        if self.cut_left is not None and len(data) >= self.cut_left:
            self.upstream.sendall(data[:self.cut_left])
            raise Cut(f'{self.request_line!r} after {self.options.cut_after_bytes} bytes')
        self.upstream.sendall(data)
        if self.cut_left is not None:
            self.cut_left -= len(data)

    def receive(self):
        data = self.client.recv(65536)
        if not data:
            self.upstream.shutdown(socket.SHUT_WR)
        return data

    def forward_requests(self):
        buffer = b''
        while True:
            while b'\r\n\r\n' not in buffer:
                data = self.receive()
                if not data:
                    return
                buffer += data
            head_end = buffer.index(b'\r\n\r\n') + 4
            head, body = buffer[:head_end], buffer[head_end:]
            self.request_line = head.split(b'\r\n', 1)[0].decode('latin-1')
            self.cut_left = None
            if self.request_line.startswith(self.options.cut_match) and self.budget.take():
                self.cut_left = self.options.cut_after_bytes
            self.send(head)
            if (header_value(head, b'transfer-encoding') or b'').lower().endswith(b'chunked'):
                # Framing chunked bodies is not worth it here: stop parsing.
                while body or (body := self.receive()):
                    self.send(body)
                    body = b''
                return
            remaining = int(header_value(head, b'content-length') or 0)
            while remaining > 0:
                if not body:
                    body = self.receive()
                    if not body:
                        return
                piece, body = body[:remaining], body[remaining:]
                remaining -= len(piece)
                self.send(piece)
            buffer = body  # a pipelined next request may have started already


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--listen-port', type=int, default=0, help='0 picks a free port')
    parser.add_argument('--upstream', required=True, help='e.g. http://127.0.0.1:8000/')
    parser.add_argument('--cut-after-bytes', type=int, required=True)
    parser.add_argument('--cut-match', required=True,
                        help="request-line prefix, e.g. 'PUT /chunked_upload/'")
    parser.add_argument('--times', type=int, default=1, help='how many requests to cut')
    parser.add_argument('--skip', type=int, default=0,
                        help='let this many matching requests through before cutting')
    options = parser.parse_args()
    upstream = urlsplit(options.upstream)
    options.upstream_address = (upstream.hostname, upstream.port or 80)

    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(('127.0.0.1', options.listen_port))
    listener.listen(128)
    print(f'faultproxy listening on http://127.0.0.1:{listener.getsockname()[1]}/', flush=True)
    budget = CutBudget(options.skip, options.times)
    try:
        while True:
            client, _ = listener.accept()
            connection = Connection(client, options, budget)
            threading.Thread(target=connection.run, daemon=True).start()
    except KeyboardInterrupt:
        pass


if __name__ == '__main__':
    main()
