#!/usr/bin/python3
"""What the Python SDK (synapse_sdk's MLClientMixin) does, for the benchmarks.

    sdk_baseline.py events URL TOKEN PAGE_SIZE   -> JSON figures
    sdk_baseline.py media URL TOKEN PAGE_SIZE    -> JSON figures
    sdk_baseline.py upload URL TOKEN FILE CHUNK  -> JSON figures

`events` lists every ground-truth event the SDK's way: one requests
session, page 1 fetched once for the count and again in the loop, `next`
followed one page at a time, each page's JSON decoded, each result taken.
`media` is the same listing, then each event's data unit file (the first
entry of `data_unit.files`) downloaded in turn on that session, its body
read whole into memory: what a training loop on the SDK does to get the
images. The MD5 the event declares is not checked (the SDK does not);
synapsemediasrc checks it, so this baseline does less work than the
element. `upload` is its chunked upload: the file read a chunk at a time,
an MD5 kept, each chunk PUT as multipart with a Content-Range, then the
MD5 POSTed. Each prints {"seconds", "events"|"files"|"bytes", ...,
"max_rss_kib"} on one line.
"""

import hashlib
import json
import os
import resource
import sys
import time

import requests


def session_for(token):
    session = requests.Session()
    session.headers["Synapse-Access-Token"] = f"Token {token}"
    return session


def list_all_events(url, token, page_size, session=None, keep=None):
    """Every event, page by page; each result appended to `keep` if given."""
    session = session or session_for(token)
    start = time.monotonic()
    path = f"{url}sdk/ground_truth_events/"
    params = {"page_size": page_size}
    # the SDK asks for page 1 to learn the count, then walks from page 1
    count = session.get(path, params=params, timeout=60).json()["count"]
    first = None
    events = 0
    next_url, next_params = path, params
    while next_url:
        page = session.get(next_url, params=next_params, timeout=60).json()
        for result in page["results"]:
            if first is None:
                first = time.monotonic() - start
            events += 1
            if keep is not None:
                keep.append(result)
        next_url, next_params = page["next"], None
    seconds = time.monotonic() - start
    assert events == count, (events, count)
    return {"seconds": seconds, "events": events, "first_seconds": first}


def first_file_url(event):
    """The URL of the first entry of the event's data_unit.files (an object
    with a url, or the URL itself), None if it has none."""
    files = (event.get("data_unit") or {}).get("files") or {}
    for entry in files.values():
        return entry.get("url") if isinstance(entry, dict) else entry
    return None


def download_media(url, token, page_size):
    """The listing, then each event's file fetched whole, one at a time."""
    session = session_for(token)
    start = time.monotonic()
    events = []
    listing = list_all_events(url, token, page_size, session, events)
    first = None
    files = 0
    size = 0
    for event in events:
        file_url = first_file_url(event)
        if file_url is None:
            continue
        reply = session.get(file_url, timeout=60)
        reply.raise_for_status()
        size += len(reply.content)
        files += 1
        if first is None:
            first = time.monotonic() - start
    return {"seconds": time.monotonic() - start, "files": files,
            "bytes": size, "listing_seconds": listing["seconds"],
            "first_seconds": first}


def chunked_upload(url, token, path, chunk_size):
    session = session_for(token)
    size = os.path.getsize(path)
    name = os.path.basename(path)
    md5 = hashlib.md5()
    target = f"{url}chunked_upload/"
    start = time.monotonic()
    with open(path, "rb") as f:
        offset = 0
        while True:
            chunk = f.read(chunk_size)
            if not chunk:
                break
            md5.update(chunk)
            end = offset + len(chunk) - 1
            reply = session.put(
                target, data={"filename": name},
                files={"file": (name, chunk, "application/octet-stream")},
                headers={"Content-Range": f"bytes {offset}-{end}/{size}"},
                timeout=600)
            reply.raise_for_status()
            target = reply.json()["url"]
            offset = end + 1
    reply = session.post(target, json={"md5": md5.hexdigest()}, timeout=600)
    reply.raise_for_status()
    return {"seconds": time.monotonic() - start, "bytes": size}


def peak_rss_kib():
    """This process's peak RSS since its exec (VmHWM): ru_maxrss would
    carry over the RSS of run.py, which started it."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main():
    what = sys.argv[1]
    if what == "events":
        figures = list_all_events(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif what == "media":
        figures = download_media(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        figures = chunked_upload(sys.argv[2], sys.argv[3], sys.argv[4],
                                 int(sys.argv[5]))
    figures["max_rss_kib"] = peak_rss_kib()
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
