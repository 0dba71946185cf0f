#!/usr/bin/python3
"""Run the reference Django REST Framework server for the Synapse protocol.

Prints "drf-server listening on http://127.0.0.1:PORT/" as its first line
of stdout once it accepts connections, then serves until SIGTERM/SIGINT.
"""

import argparse
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--port', type=int, default=0,
                        help='TCP port on 127.0.0.1; 0 picks a free one')
    parser.add_argument('--token', required=True, help='the accepted access token')
    parser.add_argument('--versions', type=int, default=3, help='ground-truth dataset versions')
    parser.add_argument('--events', type=int, default=250, help='ground-truth events in all')
    parser.add_argument('--models', type=int, default=12, help='seeded models')
    parser.add_argument('--seed', type=int, default=1, help='seed of all generated content')
    parser.add_argument('--page-size', type=int, default=100, help='default page size')
    parser.add_argument('--data-dir', help='where uploads are stored (default: a temporary '
                        'directory removed at exit)')
    parser.add_argument('--max-upload-bytes', type=int, default=0,
                        help='largest accepted upload; larger totals get 413 (0: no limit)')
    parser.add_argument('--upload-expiry-seconds', type=int, default=86400,
                        help='an unfinished upload answers 410 after this long')
    parser.add_argument('--quiet', action='store_true', help='log only warnings and errors')
    args = parser.parse_args(argv)
    if args.versions < 1 or args.events < 0 or args.models < 0 or args.page_size < 1:
        parser.error('need --versions >= 1, --page-size >= 1 and non-negative counts')
    return args


def stop(signum, frame):
    raise SystemExit(0)  # unwinds through the finally blocks below


def serve(args, data_dir):
    os.makedirs(os.path.join(data_dir, 'tmp'), exist_ok=True)
    os.environ.update({
        'DJANGO_SETTINGS_MODULE': 'synapse_drf.settings',
        'SYNAPSE_DRF_TOKEN': args.token,
        'SYNAPSE_DRF_SEED': str(args.seed),
        'SYNAPSE_DRF_VERSIONS': str(args.versions),
        'SYNAPSE_DRF_EVENTS': str(args.events),
        'SYNAPSE_DRF_MODELS': str(args.models),
        'SYNAPSE_DRF_PAGE_SIZE': str(args.page_size),
        'SYNAPSE_DRF_DATA_DIR': data_dir,
        'SYNAPSE_DRF_MAX_UPLOAD_BYTES': str(args.max_upload_bytes),
        'SYNAPSE_DRF_UPLOAD_EXPIRY': str(args.upload_expiry_seconds),
        'SYNAPSE_DRF_LOG_LEVEL': 'WARNING' if args.quiet else 'INFO',
    })

    import django
    django.setup()
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application
    from synapse_drf.data import catalogue

    catalogue()  # generate everything before the first request, not during it

    class Server(ThreadedWSGIServer):
        request_queue_size = 128  # clients fetch pages and files concurrently

    httpd = Server(('127.0.0.1', args.port), WSGIRequestHandler)
    httpd.set_app(get_wsgi_application())
    try:
        print(f'drf-server listening on http://127.0.0.1:{httpd.server_port}/', flush=True)
        httpd.serve_forever()
    finally:
        httpd.server_close()


def main():
    args = parse_args()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    data_dir = args.data_dir or tempfile.mkdtemp(prefix='synapse-drf-')
    try:
        serve(args, data_dir)
    finally:
        if not args.data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == '__main__':
    main()
