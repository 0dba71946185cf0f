/* synapse-test-backend-private.h: state and helpers shared by the backend's files
 *
 * Copyright (C) 2024 gst-synapse contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Threading: request handlers run in the server thread; public functions run
 * in any thread.  Everything marked "lock" is read and written with
 * self->lock held.  The data tables are immutable after construction.
 */

#pragma once

#include "synapse-test-backend.h"

G_BEGIN_DECLS
/* ---------------------------------------------------------------- data */
#define STB_N_LABELS 16
#define STB_N_NOTES 12
#define STB_MEDIA_MAX 8192
#define STB_MEDIA_BLOCKS (STB_MEDIA_MAX / 64)
#define STB_ZEROS_MAX (64 << 20)
    typedef struct
{
  /* media bytes are a prefix of this seeded stream plus a tail naming the
   * path; the MD5 state after each 64-byte block is kept so a checksum
   * costs one block or two, not the whole file */
  guint8 stream[STB_MEDIA_MAX];
  GChecksum *md5_after[STB_MEDIA_BLOCKS + 1];
  char *label_folded[STB_N_LABELS];
  char *note_folded[STB_N_NOTES];
} StbData;

typedef struct
{
  gint64 id;
  char *name;
  char *description;
  guint type;                   /* index into stb_model_types */
  gint64 project;
  gboolean active;
  gint64 created;               /* unix seconds */
  char *file_path;              /* "media/…", no leading '/' */
  char *upload_id;              /* NULL for seeded models */
  char *metrics_json;
  char *configuration_json;
} StbModel;

typedef struct
{
  char *id;
  char *filename;
  char *path;                   /* stored bytes; NULL when discarding */
  guint64 offset;
  guint64 total;
  GChecksum *md5;
  char *checksum;               /* set when complete */
  gint64 created_us;
  gint64 completed_us;
  gboolean complete;
  gboolean expired;
  guint pending;                /* chunk jobs not done yet (lock) */
  char *io_error;               /* the first write failure (lock) */
  guint64 serial;               /* creation order, from 1 */
} StbUpload;

typedef struct
{
  guint id;
  SynapseTestFault fault;       /* strings owned */
  guint seen;
  guint hits;
} StbFault;

/* A logged request: the public struct in a refcounted box, so that the log
 * and an in-flight request can both hold it. */
typedef SynapseTestRequest StbLogEntry;

struct _SynapseTestBackend
{
  GObject parent_instance;

  GMutex lock;

  /* immutable after construction */
  char *token;
  guint versions;
  guint events;
  guint seed;
  guint default_page_size;
  guint max_page_size;
  guint64 max_upload_bytes;
  guint upload_expiry_s;
  gboolean discard_uploads;
  gboolean placeholder_media;
  gboolean log_enabled;
  gboolean print_requests;
  gboolean hide_model_upload;
  GTlsCertificate *tls_certificate;
  char *data_dir;               /* lock; made at the first upload unless given */
  gboolean own_data_dir;
  StbData *data;
  /* one thread each, so jobs run in order: a chunk is written and hashed
   * while the next one is received */
  GThreadPool *write_pool;
  GThreadPool *md5_pool;

  /* lock */
  guint port;
  char *own_url;
  char *next_base_url;          /* NULL: own_url */
  char *media_base_url;
  char *upload_base_url;
  guint latency_ms;
  gboolean cursor_pagination;
  GPtrArray *log;               /* StbLogEntry* */
  GPtrArray *faults;            /* StbFault* */
  guint next_fault_id;
  GPtrArray *models;            /* StbModel*, by id */
  gint64 next_model_id;
  GHashTable *uploads;          /* id → StbUpload* */
  guint64 upload_counter;
  GCond upload_cond;            /* an upload's pending jobs reached 0 */

  /* the server thread's own */
  GMainContext *context;
  GMainLoop *loop;
  GThread *thread;
  SoupServer *server;
  GHashTable *pending;          /* StbPending* set: paused messages */
  /* pages of events served lately (query and bases → body), oldest first
   * in the queue: the data never changes, so a page asked for again is
   * not made again */
  GHashTable *events_cache;
  GQueue events_cache_order;
  gsize events_cache_bytes;
  GCancellable *io_cancellable; /* stolen connections still being written */
  guint outstanding_io;

  GMutex sync_lock;
  GCond sync_cond;
};

/* One API call being handled. */
typedef struct
{
  SynapseTestBackend *self;
  SoupServerMessage *msg;
  const char *method;
  const char *path;             /* no leading '/', percent-encoded */
  const char *raw_query;        /* NULL when none */
  GPtrArray *params;            /* StbParam*, in order */
  char *own_url;                /* copies of the bases, taken under the lock */
  char *next_base;
  char *media_base;
  char *upload_base;
  gboolean deferred;            /* set by a handler: call again shortly */
} StbCall;

typedef struct
{
  char *key;
  char *value;
} StbParam;

extern const char *const stb_model_types[3];
extern const char *const stb_data_types[3];

/* ------------------------------------------------------ JSON and HTTP */

void stb_json_escape (GString * out, const char *s, gssize len);
void stb_json_string (GString * out, const char *s);
void stb_json_string_or_null (GString * out, const char *s);
/* @node as compact JSON, floats as DRF renders them. */
void stb_json_node (GString * out, JsonNode * node);
void stb_json_uint (GString * out, guint64 v);
void stb_json_int (GString * out, gint64 v);
void stb_json_time (GString * out, gint64 unix_seconds);
void stb_json_time_us (GString * out, gint64 unix_us);
char *stb_iso_time_us (gint64 unix_us);
gboolean stb_parse_time (const char *text, gint64 * unix_us);
gboolean stb_parse_int (const char *text, gint64 * value);
gboolean stb_parse_bool (const char *text, gboolean * value);
char **stb_search_terms (const char *search);
gboolean stb_terms_match (char **terms, const char *a, const char *b);

GPtrArray *stb_params_parse (const char *raw_query);
const char *stb_params_get (GPtrArray * params, const char *key);
char *stb_url_unescape_component (const char *s, gssize len);

void stb_respond (SoupServerMessage * msg, guint status, GString * json);
void stb_respond_detail (SoupServerMessage * msg, guint status,
    const char *detail);
void stb_respond_field_error (SoupServerMessage * msg, const char *field,
    const char *message);
GBytes *stb_request_body (SoupServerMessage * msg);

typedef struct
{
  guint64 count;
  guint64 page;
  guint64 page_size;
  guint64 num_pages;
  guint64 offset;               /* of the first result */
  guint64 n;                    /* results on this page */
  gboolean by_cursor;           /* linked by cursor, no count */
} StbPage;

/* Works out the page from page/page_size; FALSE (404 sent) when invalid. */
gboolean stb_page_compute (StbCall * call, guint64 count, StbPage * page);
/* {"count":…,"next":…,"previous":…,"results":[ */
void stb_page_begin (StbCall * call, GString * out, const StbPage * page);
void stb_page_end (GString * out);

/* ---------------------------------------------------------------- data */

guint64 stb_mix64 (guint64 x);
StbData *stb_data_new (guint seed);
void stb_data_free (StbData * data);
void stb_write_event (SynapseTestBackend * self, GString * out,
    const char *media_base, guint64 id);
void stb_write_version (SynapseTestBackend * self, GString * out, guint v);
GBytes *stb_media_bytes (SynapseTestBackend * self, const char *path);
void stb_handle_events (StbCall * call);
void stb_handle_version (StbCall * call, const char *id);
void stb_handle_media (StbCall * call);
void stb_handle_control_events (StbCall * call);

/* -------------------------------------------------------------- models */

void stb_models_seed (SynapseTestBackend * self, guint n);
void stb_model_free (StbModel * model);
void stb_write_model (GString * out, const StbModel * model,
    const char *media_base, const char *expand, gboolean with_upload);
StbModel *stb_model_lookup (SynapseTestBackend * self, gint64 id);
void stb_handle_models (StbCall * call);
void stb_handle_model (StbCall * call, const char *id);
void stb_handle_model_create (StbCall * call);

/* ------------------------------------------------------------- uploads */

void stb_uploads_init (SynapseTestBackend * self);
void stb_uploads_shutdown (SynapseTestBackend * self);
void stb_upload_free (StbUpload * upload);
void stb_upload_wait (SynapseTestBackend * self, StbUpload * upload);
void stb_write_upload (SynapseTestBackend * self, GString * out,
    const StbUpload * upload, const char *upload_base, const char *media_base);
void stb_handle_upload_put (StbCall * call, const char *id, GBytes * body);
void stb_handle_upload_post (StbCall * call, const char *id);
void stb_handle_upload_get (StbCall * call, const char *id);
GBytes *stb_upload_media (SynapseTestBackend * self, const char *path);
void stb_handle_uploads (StbCall * call);
void stb_fault_oscillate_offset (SoupServerMessage * msg, gsize step,
    gboolean forward);

/* -------------------------------------------------------------- faults */

StbFault *stb_fault_new (guint id, const SynapseTestFault * fault);
void stb_fault_free (StbFault * fault);
void stb_fault_copy (SynapseTestFault * dest, const SynapseTestFault * src);
StbFault *stb_faults_match (SynapseTestBackend * self, const char *method,
    const char *path, const char *query);
void stb_fault_respond_status (SoupServerMessage * msg,
    const SynapseTestFault * fault);
void stb_fault_truncate (SoupServerMessage * msg, gsize bytes);
void stb_fault_cut_response (SynapseTestBackend * self,
    SoupServerMessage * msg, gsize bytes);
void stb_close_connection (SoupServerMessage * msg);
void stb_fault_relink (SoupServerMessage * msg,
    const SynapseTestFault * fault);
void stb_fault_cut_framed (SynapseTestBackend * self,
    SoupServerMessage * msg, gsize bytes, gboolean chunked);
void stb_fault_gzip (SoupServerMessage * msg, gsize bytes);
void stb_fault_corrupt (SoupServerMessage * msg, gsize offset);
GBytes *stb_media_bytes_at (SynapseTestBackend * self, const char *path,
    const char *query);
char *stb_fault_to_string (const SynapseTestFault * fault);
void stb_fault_trickle (SynapseTestBackend * self, SoupServerMessage * msg,
    const SynapseTestFault * fault);
void stb_fault_processing (SynapseTestBackend * self,
    SoupServerMessage * msg, const SynapseTestFault * fault);
void stb_fault_slow_read (SynapseTestBackend * self, SoupServerMessage * msg,
    const SynapseTestFault * fault);

G_END_DECLS
