#!/usr/bin/python3
"""Self-test of the reference DRF server (serve.py) and faultproxy.py.

Standard library only. Starts the servers as subprocesses on free ports,
speaks the protocol with urllib and exits 0 when every check passes.
"""

import hashlib
import json
import random
import select
import subprocess
import sys
import tempfile
import traceback
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
PYTHON = '/usr/bin/python3'
TOKEN = 'check-token-42'
FLAGS = {'versions': 4, 'events': 1234, 'models': 23, 'seed': 7, 'page_size': 100}
MAX_UPLOAD = 1 << 20


class Process:
    """A child that announces its URL on its first stdout line."""

    def __init__(self, script, *args):
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([PYTHON, str(HERE / script), *args],
                                     stdout=subprocess.PIPE, stderr=self.log)
        ready, _, _ = select.select([self.proc.stdout], [], [], 30)
        line = self.proc.stdout.readline().decode() if ready else ''
        if ' listening on ' not in line:
            self.stop()
            raise RuntimeError(f'{script} did not start: {line!r}\n{self.log_text()}')
        self.url = line.split(' listening on ')[1].strip()

    def log_text(self):
        self.log.seek(0)
        return self.log.read().decode(errors='replace')

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def http(method, url, body=None, headers=None, token=TOKEN):
    """(status, headers, body bytes); HTTP error statuses are returned, not raised."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    if token:
        request.add_header('Synapse-Access-Token', f'Token {token}')
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def api(method, url, payload=None, **kwargs):
    """(status, parsed JSON body)."""
    body, headers = None, {}
    if payload is not None:
        body, headers = json.dumps(payload).encode(), {'Content-Type': 'application/json'}
    status, _, data = http(method, url, body, headers, **kwargs)
    return status, json.loads(data) if data else None


def put_chunk(url, data, start, total, filename='wëights #1.pt', content_range=None):
    boundary = uuid.uuid4().hex
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="filename"\r\n\r\n'
            f'{filename}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="blob"\r\n'
            f'Content-Type: application/octet-stream\r\n\r\n').encode() + data + \
        f'\r\n--{boundary}--\r\n'.encode()
    headers = {'Content-Type': f'multipart/form-data; boundary={boundary}',
               'Content-Range': content_range or f'bytes {start}-{start + len(data) - 1}/{total}'}
    status, _, reply = http('PUT', url, body, headers)
    return status, json.loads(reply)


def walk(url):
    """Every result of a paginated list, following DRF's next links."""
    results, count, pages = [], None, 0
    while url:
        status, page = api('GET', url)
        assert status == 200, (status, page)
        count = page['count'] if count is None else count
        results += page['results']
        url, pages = page['next'], pages + 1
    assert len(results) == count, (len(results), count)
    return results, pages


def expect(status, body, want_status, want_body=None):
    assert status == want_status, f'status {status}, wanted {want_status}: {body}'
    if want_body is not None:
        assert body == want_body, f'body {body!r}, wanted {want_body!r}'


def check_auth(base):
    expect(*api('GET', base + 'models/', token=None), 401,
           {'detail': 'Authentication credentials were not provided.'})
    expect(*api('GET', base + 'models/', token='wrong'), 401, {'detail': 'Invalid token.'})
    status, headers, _ = http('GET', base + 'models/', token='wrong')
    assert headers['WWW-Authenticate'] == 'Token', headers
    status, _, _ = http('GET', base + 'models/', headers={'Authorization': f'Token {TOKEN}'},
                        token=None)
    assert status == 200, status
    return '401 + DRF bodies without/with a wrong token; Authorization header also accepted'


def check_pagination(base):
    events, pages = walk(base + 'sdk/ground_truth_events/')
    ids = [event['id'] for event in events]
    assert len(events) == FLAGS['events'] and ids == sorted(set(ids)), 'ids not unique/ordered'
    assert pages == -(-FLAGS['events'] // FLAGS['page_size']), pages
    small, small_pages = walk(base + 'sdk/ground_truth_events/?page_size=7')
    assert [e['id'] for e in small] == ids and small_pages == -(-len(ids) // 7)
    status, page = api('GET', base + 'sdk/ground_truth_events/?page_size=5000')
    assert len(page['results']) == 1000 and page['next'], 'max_page_size not applied'
    expect(*api('GET', base + 'sdk/ground_truth_events/?page=99'), 404,
           {'detail': 'Invalid page.'})
    models, _ = walk(base + 'models/?page_size=4')
    assert len(models) == FLAGS['models'], len(models)
    return f'{len(events)} events in {pages} pages (and page_size=7), {len(models)} models'


def check_filters(base):
    events, _ = walk(base + 'sdk/ground_truth_events/?page_size=1000')
    versions = sorted({e['ground_truth_dataset_version'] for e in events})[:3]
    url = base + 'sdk/ground_truth_events/?'
    repeated, _ = walk(url + urlencode({'ground_truth_dataset_versions': versions}, doseq=True))
    comma, _ = walk(url + urlencode({'ground_truth_dataset_versions':
                                     ','.join(map(str, versions))}))
    mixed, _ = walk(url + f'ground_truth_dataset_versions={versions[0]}'
                    f'&ground_truth_dataset_versions={versions[1]},{versions[2]}')
    assert repeated == comma == mixed and repeated, 'filter forms disagree'
    counts = [api('GET', base + f'ground_truth_dataset_versions/{v}/')[1]['event_count']
              for v in versions]
    assert len(repeated) == sum(counts), (len(repeated), counts)
    assert all(e['ground_truth_dataset_version'] in versions for e in repeated), 'versions'
    cutoff = events[99]['created_at']  # "+09:00" must arrive percent-encoded
    after, _ = walk(url + urlencode({'created_after': cutoff}))
    assert after == events[100:], 'created_after'
    images, _ = walk(url + 'data_type=image')
    assert images and all(e['data_unit']['data_type'] == 'image' for e in images), 'data_type'
    found, _ = walk(url + urlencode({'search': 'STRASSE'}))  # casefolded: Straße
    assert found and all('strasse' in e['data_unit']['name'].casefold() for e in found)
    expect(*api('GET', url + 'project=x&data_type=gif'), 400,
           {'project': ['A valid integer is required.'],
            'data_type': ['"gif" is not a valid choice.']})
    return (f'versions {versions}: {len(repeated)} events by repeated, comma and mixed keys; '
            'created_after, data_type, search; 400 on bad filters')


def check_not_found_and_media(base):
    expect(*api('GET', base + 'models/999999/'), 404, {'detail': 'Not found.'})
    expect(*api('GET', base + 'ground_truth_dataset_versions/999999/'), 404,
           {'detail': 'Not found.'})
    status, page = api('GET', base + 'sdk/ground_truth_events/?page_size=30')
    files = [f for e in page['results'] for f in e['data_unit']['files'].values()]
    for entry in files:
        status, _, data = http('GET', entry['url'], token=None)  # media is public
        assert status == 200 and len(data) == entry['size'], entry
        assert hashlib.sha1(data).hexdigest() == entry['checksum'], entry
    return f'404 bodies; {len(files)} media files match size and sha1, without a token'


def check_upload_and_model(base, state):
    data = random.Random(5).randbytes(3 * 70_000 + 123)
    first, second, third = data[:70_000], data[70_000:140_000], data[140_000:]
    total, md5 = len(data), hashlib.md5(data).hexdigest()

    status, upload = put_chunk(base + 'chunked_upload/', first, 0, total)
    expect(status, upload, 200)
    url = upload['url']
    assert url.startswith(base) and upload['offset'] == len(first), upload
    state['errors'] = {}
    status, body = put_chunk(url, third, 140_000, total)
    expect(status, body, 400, {'detail': 'Offsets do not match',
                               'expected_offset': 70_000, 'provided_offset': 140_000})
    state['errors']['offset'] = body
    status, body = put_chunk(url, second, 70_000, total,
                             content_range=f'bytes 70000-70009/{total}')
    expect(status, body, 400, {'detail': "File size doesn't match headers: "
                                         'file size is 70000 but 10 reported'})
    state['errors']['length'] = body
    expect(*put_chunk(url, second, 70_000, total), 200)
    expect(*api('POST', url, {'md5': md5}), 400,
           {'detail': f'Upload is incomplete: 140000 of {total} bytes received'})
    status, upload = api('GET', url)
    assert upload['offset'] == 140_000 and upload['status'] == 1, upload
    expect(*put_chunk(url, third, 140_000, total), 200)
    for payload, detail in (({}, "Checksum of type 'md5' is required"),
                            ({'md5': '0' * 32}, 'checksum does not match')):
        status, body = api('POST', url, payload)
        expect(status, body, 400, {'detail': detail})
        state['errors'][f'md5 {payload or "missing"}'] = body
    status, upload = api('POST', url, {'md5': md5})
    expect(status, upload, 200)
    assert upload['status'] == 2 and upload['checksum'] == md5 and upload['size'] == total
    expect(*put_chunk(url, third, 140_000, total), 400,
           {'detail': 'Upload has already been marked as "complete"'})

    for name, (status, body), want in (
            ('unknown', put_chunk(base + f'chunked_upload/{uuid.uuid4()}/', first, 0, total),
             (404, {'detail': 'Not found.'})),
            ('too big', put_chunk(base + 'chunked_upload/', first, 0, MAX_UPLOAD + 1),
             (413, {'detail': f'Size of file exceeds the limit ({MAX_UPLOAD} bytes)'})),
            ('no range', put_chunk(base + 'chunked_upload/', first, 0, total, content_range='x'),
             (400, {'detail': 'Error in request headers'})),
            ('no filename', put_chunk(base + 'chunked_upload/', first, 0, total, filename=''),
             (400, {'detail': {'filename': ['This field may not be blank.']}}))):
        expect(status, body, *want)
        state['errors'][name] = body

    model_fields = {'name': 'ref model ✓', 'model_type': 'detection', 'project': 12,
                    'chunked_upload': upload['id'], 'metrics': {'mAP': 0.5},
                    'configuration': {'layers': [1, [2]]}, 'description': 'x "y" \\ z'}
    status, model = api('POST', base + 'models/', model_fields)
    expect(status, model, 201)
    assert {k: model[k] for k in model_fields if k != 'chunked_upload'} == \
        {k: v for k, v in model_fields.items() if k != 'chunked_upload'}, model
    status, _, blob = http('GET', model['file'], token=None)
    assert status == 200 and blob == data, 'model file bytes differ from the upload'
    expect(*api('GET', base + f'models/{model["id"]}/'), 200, model)
    assert api('GET', base + 'models/')[1]['results'][0] == model, 'new model not listed first'
    state['model'] = model
    return (f'3 chunks ({total} bytes) with an offset mismatch, md5 finish, '
            f'model {model["id"]} created, its file equals the upload')


def check_field_errors(base):
    status, body = api('POST', base + 'models/', {'model_type': 'bogus', 'project': 'x',
                                                  'chunked_upload': 'nope', 'metrics': []})
    expect(status, body, 400, {
        'name': ['This field is required.'],
        'model_type': ['"bogus" is not a valid choice.'],
        'project': ['A valid integer is required.'],
        'chunked_upload': ['Must be a valid UUID.'],
        'metrics': ['Expected a dictionary of items but got type "list".'],
    })
    status, upload = put_chunk(base + 'chunked_upload/', b'abc', 0, 10)
    status, body = api('POST', base + 'models/', {'name': 'n', 'model_type': 'detection',
                                                  'project': 1, 'chunked_upload': upload['id']})
    expect(status, body, 400, {'chunked_upload': ['Upload is not complete.']})
    return 'POST models/ answers DRF field errors (5 fields; incomplete upload)'


def check_expiry():
    server = Process('serve.py', '--port', '0', '--token', TOKEN, '--quiet',
                     '--upload-expiry-seconds', '0')
    try:
        status, upload = put_chunk(server.url + 'chunked_upload/', b'abc', 0, 6)
        expect(status, upload, 200)
        expect(*put_chunk(upload['url'], b'def', 3, 6), 410, {'detail': 'Upload has expired'})
    finally:
        server.stop()
    return '410 {"detail": "Upload has expired"} on a second server with zero expiry'


def resilient_upload(front, data, chunk_size=65_536):
    """Upload the way our C client must: on a dropped connection, ask the
    server for its offset (or start over if the upload was never created)
    and resend the same bytes from there. Returns (upload, cuts)."""
    url, offset, cuts = front + 'chunked_upload/', 0, []
    while offset < len(data) and len(cuts) < 5:
        try:
            status, body = put_chunk(url, data[offset:offset + chunk_size], offset, len(data))
        except (urllib.error.URLError, OSError) as error:  # HTTP statuses are returned
            if url != front + 'chunked_upload/':
                offset = api('GET', url)[1]['offset']
            cuts.append((offset, type(error).__name__))
            continue
        expect(status, body, 200)
        url, offset = body['url'], body['offset']
        assert url.startswith(front), f'upload url bypasses the proxy: {url}'
    status, upload = api('POST', url, {'md5': hashlib.md5(data).hexdigest()})
    expect(status, upload, 200)
    return upload, cuts


def check_proxy(base):
    data = random.Random(9).randbytes(3 * 65_536 + 99)
    summary = []
    # First the chunk that creates the upload is cut, then the first append.
    for skip, cut_offset in ((0, 0), (1, 65_536)):
        proxy = Process('faultproxy.py', '--listen-port', '0', '--upstream', base,
                        '--cut-after-bytes', '2000', '--cut-match', 'PUT /chunked_upload/',
                        '--times', '1', '--skip', str(skip))
        try:
            front = proxy.url
            status, page = api('GET', front + 'sdk/ground_truth_events/')
            assert page['next'].startswith(front), f'next link bypasses the proxy: {page["next"]}'
            upload, cuts = resilient_upload(front, data)
            # A server that kept part of the cut chunk would report another offset.
            assert [offset for offset, _ in cuts] == [cut_offset], cuts
            assert upload['file'].startswith(front), upload['file']
            status, _, blob = http('GET', upload['file'], token=None)
            assert blob == data, 'uploaded bytes differ'
            summary.append(f'chunk at {cut_offset} cut ({cuts[0][1]}), resumed from server offset')
        finally:
            proxy.stop()
    return 'next/url/file links point at the proxy; ' + '; '.join(summary) + '; bytes intact'


def main():
    server = Process('serve.py', '--port', '0', '--token', TOKEN,
                     '--max-upload-bytes', str(MAX_UPLOAD),
                     *[f'--{k.replace("_", "-")}={v}' for k, v in FLAGS.items()])
    base, state, failures = server.url, {}, 0
    print(f'check_server: {base} ({FLAGS})')
    checks = [
        ('auth', lambda: check_auth(base)),
        ('pagination', lambda: check_pagination(base)),
        ('filters', lambda: check_filters(base)),
        ('404 + media', lambda: check_not_found_and_media(base)),
        ('upload + model', lambda: check_upload_and_model(base, state)),
        ('field errors', lambda: check_field_errors(base)),
        ('expiry', check_expiry),
        ('faultproxy', lambda: check_proxy(base)),
    ]
    try:
        for name, check in checks:
            try:
                print(f'  ok    {name}: {check()}')
            except Exception:
                failures += 1
                print(f'  FAIL  {name}:\n{traceback.format_exc()}')
    finally:
        server.stop()
    if '-v' in sys.argv:
        print(json.dumps(state, indent=1, ensure_ascii=False))
    if failures:
        print(f'check_server: {failures} of {len(checks)} checks FAILED; server log:')
        print(server.log_text()[-6000:])
        return 1
    print(f'check_server: all {len(checks)} checks passed')
    return 0


if __name__ == '__main__':
    sys.exit(main())
