/* synapse-test-backend.h: a local Synapse backend for tests, demos, benchmarks
 *
 * Copyright (C) 2024 gst-synapse contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A SoupServer on 127.0.0.1 that speaks the protocol of
 * docs/synapse-protocol.md with deterministic, seeded data.  It runs in its
 * own thread with its own GMainContext, so a test may make blocking HTTP
 * calls against it; every function here is thread-safe.
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS
#define SYNAPSE_TYPE_TEST_BACKEND (synapse_test_backend_get_type ())
G_DECLARE_FINAL_TYPE (SynapseTestBackend, synapse_test_backend, SYNAPSE,
    TEST_BACKEND, GObject);

/**
 * SynapseTestBackendOptions:
 *
 * What to serve.  Zero-initialise and set what matters; strings and the
 * certificate are copied.  Counts mean what they say (`events = 0` is an
 * empty dataset), except `versions`: 0 means 3.
 */
typedef struct
{
  const char *token;            /* required access token; NULL: no auth check */
  guint versions;               /* dataset versions, ids 1..versions (0: 3) */
  guint events;                 /* events per version */
  guint models;                 /* seeded models, ids 1..models */
  guint seed;                   /* data seed */
  guint port;                   /* 0: pick a free port */
  guint latency_ms;             /* injected per API request */
  guint default_page_size;      /* 0: 100 */
  guint max_page_size;          /* 0: 1000 */
  guint64 max_upload_bytes;     /* 0: unlimited; else 413 when a total exceeds it */
  guint upload_expiry_s;        /* 0: 86400 */
  const char *data_dir;         /* where uploads are stored; NULL: a temp dir removed at the end */
  GTlsCertificate *tls_certificate;     /* non-NULL: serve HTTPS */
  gboolean discard_uploads;     /* keep only the running md5/size, not the bytes (benchmarks) */
  gboolean placeholder_media;   /* data units' files are seeded bytes, not images: a listing costs microseconds an event, not a part of an image to encode (benchmarks of the events path) */
  /* additions */
  gboolean disable_request_log; /* record nothing (long benchmarks) */
  gboolean print_requests;      /* one line per request on stderr (the CLI) */
  /* models leave out `chunked_upload`, as backends whose serializer does
   * not list it (the DRF reference server's) */
  gboolean hide_model_upload;
  /* listings paginate as DRF's CursorPagination does: opaque `cursor`
   * links, no `count`, and `page` taken no notice of */
  gboolean cursor_pagination;
} SynapseTestBackendOptions;

/* Starts a backend (listening when this returns); NULL @options: the
 * defaults of synapse_test_backend_new_default(). */
SynapseTestBackend *synapse_test_backend_new (const SynapseTestBackendOptions *
    options, GError ** error);
/* 3 versions of 100 events, 5 models, seed 1, no token, a free port. */
SynapseTestBackend *synapse_test_backend_new_default (GError ** error);

/* The port listened on (kept across stop/start). */
guint synapse_test_backend_get_port (SynapseTestBackend * self);
/* "http://127.0.0.1:PORT/" ("https://…" with TLS); free with g_free(). */
char *synapse_test_backend_dup_url (SynapseTestBackend * self);
/* Delay every later API response by @ms (media and control are never delayed). */
void synapse_test_backend_set_latency (SynapseTestBackend * self, guint ms);
/* Paginate later listings by cursor (TRUE) or by page number. */
void synapse_test_backend_set_cursor_pagination (SynapseTestBackend * self,
    gboolean cursor_pagination);

/* Point generated links at another origin (cross-origin tests); NULL
 * restores the backend's own URL.  A missing trailing '/' is added. */
/* `next`/`previous` links of pages */
void synapse_test_backend_set_next_base_url (SynapseTestBackend * self,
    const char *url);
/* file URLs in events and models */
void synapse_test_backend_set_media_base_url (SynapseTestBackend * self,
    const char *url);
/* the `url` of chunked uploads */
void synapse_test_backend_set_upload_base_url (SynapseTestBackend * self,
    const char *url);

/* Stop listening and drop every connection (stalled and delayed requests
 * included); data, log and faults are kept: a backend "killed". */
void synapse_test_backend_stop (SynapseTestBackend * self);
/* Listen again on the same port; TRUE when already running. */
gboolean synapse_test_backend_start (SynapseTestBackend * self,
    GError ** error);

typedef enum
{
  SYNAPSE_TEST_FAULT_STATUS,    /* answer `status` (+ Retry-After, body) instead of handling the request */
  SYNAPSE_TEST_FAULT_CUT_RESPONSE,      /* handle normally, send the headers (with the real Content-Length) and the first `bytes` of the body, then close the connection */
  SYNAPSE_TEST_FAULT_TRUNCATE,  /* handle normally, but send only the first `bytes` of the body as a complete, consistent response (Content-Length = bytes) */
  SYNAPSE_TEST_FAULT_CUT_REQUEST,       /* close the connection once `bytes` of the REQUEST body arrived (libsoup reads at most 8 KiB at a time: the cut lands on the first read that reaches `bytes`); nothing is processed or stored */
  SYNAPSE_TEST_FAULT_DROP_RESPONSE,     /* process the request normally (e.g. store the chunk), then close the connection without any reply */
  SYNAPSE_TEST_FAULT_STALL,     /* never answer (until `ms` passes if ms > 0, then handle and answer normally; or until the backend stops) */
  SYNAPSE_TEST_FAULT_DELAY,     /* answer normally after `ms` (on top of the latency) */
  SYNAPSE_TEST_FAULT_RELINK,    /* handle normally, then rewrite the page (a 200 answer): its `next`, `count` and `results` as the fault's `next`, `count`, `results` say */
  SYNAPSE_TEST_FAULT_REPLACE_STATUS,    /* handle normally (e.g. create the model), then answer `status` (+ Retry-After, body) instead of the real reply: a gateway that gave up after the backend acted */
  SYNAPSE_TEST_FAULT_OSCILLATE_OFFSET,  /* answer a chunk PUT "Offsets do not match" without storing it, the offset `bytes` (default 1) past the chunk's start on odd hits and before it on even ones: a backend whose offsets move back and forth */
  SYNAPSE_TEST_FAULT_CUT_CHUNKED,       /* handle normally, send the headers with Transfer-Encoding: chunked and the first `bytes` of the body as whole chunks, then close the connection without the last chunk: to HTTP it looks whole */
  SYNAPSE_TEST_FAULT_CUT_EOF,   /* handle normally, send the headers without Content-Length (the end of the connection ends the body) and the first `bytes` of the body, then close; `bytes` past the body: a whole answer delimited that way */
  SYNAPSE_TEST_FAULT_GZIP,      /* handle normally, answer the body gzip-compressed (Content-Encoding: gzip); `bytes` > 0: only the first `bytes` of the compressed body, as a consistent answer (Content-Length = bytes) */
  SYNAPSE_TEST_FAULT_CORRUPT,   /* handle normally, but flip the body's byte at offset `bytes`: same size, another checksum */
  SYNAPSE_TEST_FAULT_TRICKLE,   /* answer (normally, or `status` as STATUS does when it is set), the headers at once, then the body `bytes` bytes every `ms` (a complete response, then the connection closes) */
  SYNAPSE_TEST_FAULT_PROCESSING,        /* send "HTTP/1.1 102 Processing" every `ms`, `count` times (0: until the client or the backend gives up), then the normal answer */
  SYNAPSE_TEST_FAULT_SLOW_READ, /* read the request body slowly: wait `ms` after each piece libsoup reads (at most 8 KiB), then handle normally */
} SynapseTestFaultKind;

/**
 * SynapseTestFault:
 *
 * A fault to inject.  It applies to API and media requests (never to
 * `_control/`), in the order faults were added: the first matching fault
 * that is still active wins.
 */
typedef struct
{
  SynapseTestFaultKind kind;
  const char *method;           /* NULL: any */
  const char *path;             /* substring of the request path (no leading '/'); NULL: any */
  const char *query;            /* substring of the raw query string; NULL: any */
  guint skip;                   /* let this many matching requests through first */
  guint times;                  /* then hit this many; 0: every later one */
  guint status;                 /* STATUS, REPLACE_STATUS; TRICKLE (0: handle normally) */
  gint retry_after;             /* STATUS, REPLACE_STATUS: seconds for Retry-After; < 0: no header */
  const char *body;             /* STATUS, REPLACE_STATUS: body; NULL: a DRF body {"detail": "<reason phrase>"} */
  gsize bytes;                  /* CUT_RESPONSE, TRUNCATE, CUT_REQUEST, OSCILLATE_OFFSET, CUT_CHUNKED, CUT_EOF, GZIP, CORRUPT, TRICKLE */
  guint ms;                     /* STALL, DELAY, TRICKLE, PROCESSING, SLOW_READ */
  /* RELINK; NULL leaves the member as it is.  `next`: "null", or
   * "K=V[&K=V…]": the request's own URL with each parameter K set to V
   * (added when missing); V "+1" is the request's value plus one (a
   * missing one counts as 1), so "cursor=+1" links on forever */
  const char *next;
  const char *count;            /* RELINK: a whole number, or "none" to drop it; PROCESSING: how many 102 answers (NULL or "0": until the client gives up) */
  const char *results;          /* RELINK: keep the first N results */
} SynapseTestFault;

/* Adds a fault (copied); returns its id (> 0). */
guint synapse_test_backend_add_fault (SynapseTestBackend * self,
    const SynapseTestFault * fault);
/* Parses @spec with synapse_test_fault_parse() and adds it; 0 on error. */
guint synapse_test_backend_add_fault_spec (SynapseTestBackend * self,
    const char *spec, GError ** error);
/* How many requests the fault has acted on (0 for unknown ids). */
guint synapse_test_backend_get_fault_hits (SynapseTestBackend * self,
    guint fault_id);
/* Removes every fault. */
void synapse_test_backend_clear_faults (SynapseTestBackend * self);

/* Parses a fault spec into @fault, e.g.
 *   "status=503 path=sdk/ground_truth_events/ query=page=3 times=2 retry-after=1"
 *   "cut-response bytes=100 path=models/"   "truncate bytes=10"
 *   "cut-request bytes=1000 method=PUT path=chunked_upload/"
 *   "drop-response method=PUT"   "stall ms=5000"   "delay ms=200 skip=1"
 *   "replace-status status=504 method=POST path=models/"
 *   "oscillate-offset method=PUT path=chunked_upload/ skip=1"
 *   "cut-chunked bytes=100 path=media/"   "cut-eof bytes=100"
 *   "gzip path=media/"   "gzip bytes=50"   "corrupt bytes=7"
 * Words are split like a shell does (quote a body with spaces:
 * body='{"detail": "busy"}').  Keys: status, method, path, query, skip,
 *   "trickle bytes=1 ms=1000"   "trickle status=500 bytes=2 ms=100"
 *   "processing ms=500"   "processing ms=50 count=3"   "slow-read ms=5"
 * times, retry-after, body, bytes, ms, next, count, results; kinds: status
 * (implied by status=N), cut-response, truncate, cut-request, drop-response,
 * stall, delay, relink (e.g. "relink query=page=3 next=page=2"),
 * replace-status, oscillate-offset, cut-chunked, cut-eof, gzip, corrupt,
 * trickle, processing, slow-read.  On
 * success the strings of @fault are newly allocated: release them with
 * synapse_test_fault_clear(). */
gboolean synapse_test_fault_parse (const char *spec, SynapseTestFault * fault,
    GError ** error);
/* Frees the strings synapse_test_fault_parse() allocated and zeroes @fault. */
void synapse_test_fault_clear (SynapseTestFault * fault);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (SynapseTestFault, synapse_test_fault_clear);

typedef struct
{
  char *method;
  char *path;                   /* without the leading '/', as received (percent-encoded) */
  char *query;                  /* NULL when none */
  SoupMessageHeaders *headers;  /* the request headers as received (a ref) */
  guint status;                 /* what was answered (0 when cut/dropped or not answered yet) */
  gsize body_size;              /* request body bytes received */
  /* the request body as received, for requests other than upload chunks
   * of at most SYNAPSE_TEST_LOGGED_BODY_MAX bytes; NULL otherwise */
  GBytes *body;
} SynapseTestRequest;

/* The largest request body the log keeps. */
#define SYNAPSE_TEST_LOGGED_BODY_MAX (64 * 1024)

/* Frees a request returned by synapse_test_backend_dup_requests(). */
void synapse_test_request_free (SynapseTestRequest * request);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SynapseTestRequest, synapse_test_request_free);

/* Copies of the logged requests, oldest first (element-type
 * SynapseTestRequest, freed by the array).  Control endpoints are never
 * logged. */
GPtrArray *synapse_test_backend_dup_requests (SynapseTestBackend * self);
/* Logged requests whose path contains @path_substring (NULL: all). */
guint synapse_test_backend_count_requests (SynapseTestBackend * self,
    const char *path_substring);
/* Empties the request log. */
void synapse_test_backend_clear_requests (SynapseTestBackend * self);

/* What the backend serves, for tests to compare against (absolute URLs as
 * they would be served now). */
/* Every event of @version in order; NULL for an unknown version. */
JsonArray *synapse_test_backend_dup_events (SynapseTestBackend * self,
    guint version);
/* The dataset version object; NULL if none. */
JsonObject *synapse_test_backend_dup_version (SynapseTestBackend * self,
    guint version);
/* The model object; NULL if none. */
JsonObject *synapse_test_backend_dup_model (SynapseTestBackend * self,
    gint64 id);
/* Seeded plus created models. */
guint synapse_test_backend_count_models (SynapseTestBackend * self);
/* The bytes served at @url_or_path (an absolute media URL or a path such as
 * "media/events/1/mask.png"; any query is ignored, but under
 * "media/by-query/", where it names the file; "media/zeros/N" is N zero
 * bytes); NULL if nothing is
 * served there. */
GBytes *synapse_test_backend_dup_media (SynapseTestBackend * self,
    const char *url_or_path);

/* Uploads created so far (only the completed ones if @completed_only). */
guint synapse_test_backend_count_uploads (SynapseTestBackend * self,
    gboolean completed_only);
/* The upload object as GET chunked_upload/<id>/ would answer; NULL if none. */
JsonObject *synapse_test_backend_dup_upload (SynapseTestBackend * self,
    const char *upload_id);
/* The file holding the upload's bytes (waits until every chunk answered so
 * far is on disk); NULL if unknown or discarding. */
char *synapse_test_backend_dup_upload_path (SynapseTestBackend * self,
    const char *upload_id);
/* Every unfinished upload is now expired (410 on its next chunk). */
void synapse_test_backend_expire_uploads (SynapseTestBackend * self);

/* Removes @path, a file or a folder with all it holds (tests' temporary
 * folders). */
void synapse_test_remove_tree (const char *path);

G_END_DECLS
