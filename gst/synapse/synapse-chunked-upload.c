/* libsynapse: a GObject client for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The chunked upload: the object that turns written bytes into chunks
 * (one in memory), hashes them, PUTs them and resumes where the backend
 * stands (within bounds), recovers a first chunk whose answer was lost,
 * and completes the upload. What the backend's answers say is read in
 * synapse-upload-replies.c; uploading a local file is
 * synapse-file-upload.c's. */

/**
 * SynapseChunkedUpload:
 *
 * Uploads a file to the backend in chunks (protocol §6, the
 * drf-chunked-upload protocol) from data that arrives in pieces of any
 * size: make it with the total size, write the bytes, then complete it.
 *
 * It holds at most one chunk in memory. Each full chunk is sent as a `PUT`
 * with a `Content-Range`, first to `chunked_upload/` and then to the `url`
 * the backend returns, while a running MD5 of the whole file is kept;
 * completing sends the last chunk and `POST`s the MD5, which the backend
 * checks against the bytes it stored.
 *
 * A chunk that fails is sent again with the very same bytes under the
 * client's retry policy. When the backend answers "Offsets do not match"
 * (it stored more or less of the chunk than the client knew, e.g. when a
 * reply was lost), the upload continues from the backend's offset instead
 * of starting over. Those resumes are bounded: replies that take the
 * upload no further than it has been, three in a row, or offsets that go
 * back twice in the upload, end it with %SYNAPSE_CLIENT_ERROR_PROTOCOL,
 * naming the upload. A 404 (unknown upload), 410 (expired upload) or 413
 * (too large) ends the upload with that status as the error code.
 *
 * The first chunk creates the upload, so it is not sent again blindly when
 * its answer is lost or ambiguous (HTTP 500, 502, 503 or 504, a connection
 * closed or timed out after it went out): the upload it may have made is
 * looked up among the backend's uploads (`GET chunked_upload/`, which
 * drf-chunked-upload offers) and resumed. Only when the backend cannot
 * tell is a new upload made, and the one that may have been left behind is
 * counted by [method@Synapse.ChunkedUpload.get_orphans].
 *
 * An upload is used from one thread at a time.
 *
 * Since: 0.1
 */

#include "config.h"

#include <errno.h>
#include <unistd.h>

#include "synapse-chunked-upload-private.h"
#include "synapse-client-private.h"
#include "synapse-error-private.h"
#include "synapse-json-private.h"
#include "synapse-pager.h"
#include "synapse-request.h"
#include "synapse-task.h"
#include "synapse-upload-replies.h"
#include "synapse-uri.h"

#define UPLOAD_PATH "chunked_upload/"
/* chunks from this size on are hashed by a worker while they are sent */
#define PARALLEL_HASH_SIZE (1024 * 1024)
/* replies in a row that take the upload no further than it has been:
 * beyond, the backend is not storing what it is sent */
#define MAX_IDLE_REPLIES 3
/* times an upload may hear that the backend holds less than before */
#define MAX_BACKWARD_OFFSETS 2

struct _SynapseChunkedUpload
{
  GObject parent_instance;

  SynapseClient *client;
  char *filename;
  guint64 total_size;
  gsize chunk_size;

  GByteArray *buffer;           /* written bytes not yet all stored */
  gboolean buffer_hashed;       /* the buffer is in the running MD5 */
  guint64 chunk_start;          /* the file offset of the next chunk sent */
  GBytes *hashing;              /* the chunk being hashed, while it is */
  guint64 written;              /* bytes the caller has written */
  guint64 offset;               /* bytes the backend acknowledged */
  GChecksum *md5;
  char *md5_hex;                /* set when every byte was written */
  char *url;                    /* this upload's URL, from the first reply */

  /* multipart framing around each chunk's bytes */
  char *content_type;
  GBytes *head;
  GBytes *tail;

  SynapseProgressFunc progress;
  gpointer progress_data;
  GDestroyNotify progress_data_free;
  gboolean finished;
  gboolean broken;              /* a write failed: bytes may be missing */
  /* uploads the backend may hold besides this one: made by a first chunk
   * whose answer was lost, and not found again */
  guint orphans;
  guint backward_offsets;       /* replies that said less than before */
};

G_DEFINE_FINAL_TYPE (SynapseChunkedUpload, synapse_chunked_upload,
    G_TYPE_OBJECT);

enum
{
  PROP_0,
  PROP_CLIENT,
  PROP_FILENAME,
  PROP_TOTAL_SIZE,
  PROP_CHUNK_SIZE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
synapse_chunked_upload_finalize (GObject * object)
{
  SynapseChunkedUpload *self = SYNAPSE_CHUNKED_UPLOAD (object);

  if (self->progress_data_free)
    self->progress_data_free (self->progress_data);
  g_clear_object (&self->client);
  g_free (self->filename);
  g_clear_pointer (&self->buffer, g_byte_array_unref);
  g_clear_pointer (&self->md5, g_checksum_free);
  g_free (self->md5_hex);
  g_free (self->url);
  g_free (self->content_type);
  g_clear_pointer (&self->head, g_bytes_unref);
  g_clear_pointer (&self->tail, g_bytes_unref);

  G_OBJECT_CLASS (synapse_chunked_upload_parent_class)->finalize (object);
}

/* A file name that cannot break out of a quoted header parameter. */
static char *
header_safe_filename (const char *filename)
{
  char *safe = g_strdup (filename);

  for (char *c = safe; *c; c++)
    if (*c == '"' || *c == '\\' || (guchar) * c < 0x20 || *c == 0x7f)
      *c = '_';
  return safe;
}

static void
build_multipart_framing (SynapseChunkedUpload * self)
{
  g_autofree char *boundary = g_uuid_string_random ();
  g_autofree char *safe_name = header_safe_filename (self->filename);
  char *head;
  char *tail;

  /* drf-chunked-upload reads the form field `filename` and the file part
   * `file` */
  head = g_strdup_printf ("--%s\r\n"
      "Content-Disposition: form-data; name=\"filename\"\r\n\r\n"
      "%s\r\n"
      "--%s\r\n"
      "Content-Disposition: form-data; name=\"file\"; filename=\"%s\"\r\n"
      "Content-Type: application/octet-stream\r\n\r\n",
      boundary, self->filename, boundary, safe_name);
  tail = g_strdup_printf ("\r\n--%s--\r\n", boundary);
  self->head = g_bytes_new_take (head, strlen (head));
  self->tail = g_bytes_new_take (tail, strlen (tail));
  self->content_type = g_strdup_printf ("multipart/form-data; boundary=%s",
      boundary);
}

static void
synapse_chunked_upload_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  SynapseChunkedUpload *self = SYNAPSE_CHUNKED_UPLOAD (object);

  switch (prop_id) {
    case PROP_CLIENT:
      self->client = g_value_dup_object (value);
      break;
    case PROP_FILENAME:
      /* what the backend stores is a base name */
      self->filename = g_value_get_string (value)
          ? g_path_get_basename (g_value_get_string (value)) : NULL;
      break;
    case PROP_TOTAL_SIZE:
      self->total_size = g_value_get_uint64 (value);
      break;
    case PROP_CHUNK_SIZE:
      self->chunk_size = g_value_get_uint64 (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
synapse_chunked_upload_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  SynapseChunkedUpload *self = SYNAPSE_CHUNKED_UPLOAD (object);

  switch (prop_id) {
    case PROP_CLIENT:
      g_value_set_object (value, self->client);
      break;
    case PROP_FILENAME:
      g_value_set_string (value, self->filename);
      break;
    case PROP_TOTAL_SIZE:
      g_value_set_uint64 (value, self->total_size);
      break;
    case PROP_CHUNK_SIZE:
      g_value_set_uint64 (value, self->chunk_size);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
synapse_chunked_upload_constructed (GObject * object)
{
  SynapseChunkedUpload *self = SYNAPSE_CHUNKED_UPLOAD (object);

  G_OBJECT_CLASS (synapse_chunked_upload_parent_class)->constructed (object);
  /* a binding may leave out what synapse_chunked_upload_new () requires:
   * such an upload refuses every write */
  if (self->client == NULL || self->filename == NULL || *self->filename == '\0') {
    g_critical ("A SynapseChunkedUpload needs a client and a filename");
    self->broken = TRUE;
    return;
  }

  if (self->chunk_size == 0) {
    guint64 client_chunk_size = 0;

    g_object_get (self->client, "chunk-size", &client_chunk_size, NULL);
    self->chunk_size = client_chunk_size;
  }
  /* sized once: a large chunk is mapped, and only what is written to it
   * costs memory */
  self->buffer = g_byte_array_sized_new (MIN (self->chunk_size,
          MAX (self->total_size, 1)));
  build_multipart_framing (self);
}

static void
synapse_chunked_upload_class_init (SynapseChunkedUploadClass * klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->set_property = synapse_chunked_upload_set_property;
  object_class->get_property = synapse_chunked_upload_get_property;
  object_class->constructed = synapse_chunked_upload_constructed;
  object_class->finalize = synapse_chunked_upload_finalize;

  /**
   * SynapseChunkedUpload:client:
   *
   * The client of the backend to upload to.
   *
   * Since: 0.1
   */
  properties[PROP_CLIENT] =
      g_param_spec_object ("client", "Client",
      "The client of the backend to upload to", SYNAPSE_TYPE_CLIENT,
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * SynapseChunkedUpload:filename:
   *
   * The file's name as the backend stores it: the base name of the one
   * given.
   *
   * Since: 0.1
   */
  properties[PROP_FILENAME] =
      g_param_spec_string ("filename", "File name",
      "The file's name as the backend stores it (a base name)", NULL,
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * SynapseChunkedUpload:total-size:
   *
   * The number of bytes that will be written, at least 1.
   *
   * Since: 0.1
   */
  properties[PROP_TOTAL_SIZE] =
      g_param_spec_uint64 ("total-size", "Total size",
      "The number of bytes that will be written", 0, G_MAXUINT64, 0,
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * SynapseChunkedUpload:chunk-size:
   *
   * Bytes per chunk; 0 when the upload is made takes the client's
   * [property@Synapse.Client:chunk-size], which this then reads back.
   *
   * Since: 0.1
   */
  properties[PROP_CHUNK_SIZE] =
      g_param_spec_uint64 ("chunk-size", "Chunk size",
      "Bytes per chunk (0: the client's)", 0, G_MAXSIZE, 0,
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
synapse_chunked_upload_init (SynapseChunkedUpload * self)
{
  self->md5 = g_checksum_new (G_CHECKSUM_MD5);
}

/**
 * synapse_chunked_upload_new:
 * @client: the [class@Synapse.Client] of the backend to upload to
 * @filename: the file's base name, as the backend will store it
 * @total_size: the number of bytes that will be written, at least 1
 * @chunk_size: bytes per chunk, or 0 for the client's
 *   [property@Synapse.Client:chunk-size]
 *
 * Prepares an upload, as [ctor@GObject.Object.new] makes it with these
 * construct properties; nothing is sent until a chunk is full.
 *
 * Returns: (transfer full): a new [class@Synapse.ChunkedUpload]
 *
 * Since: 0.1
 */
SynapseChunkedUpload *
synapse_chunked_upload_new (SynapseClient * client, const char *filename,
    guint64 total_size, gsize chunk_size)
{
  g_return_val_if_fail (SYNAPSE_IS_CLIENT (client), NULL);
  g_return_val_if_fail (filename != NULL && *filename != '\0', NULL);

  return g_object_new (SYNAPSE_TYPE_CHUNKED_UPLOAD, "client", client,
      "filename", filename, "total-size", total_size, "chunk-size",
      (guint64) chunk_size, NULL);
}

/**
 * synapse_chunked_upload_set_progress_func:
 * @self: a [class@Synapse.ChunkedUpload]
 * @progress: (nullable) (scope notified) (closure user_data)
 *   (destroy user_data_free): called after each stored chunk
 * @user_data: data for @progress
 * @user_data_free: frees @user_data
 *
 * Sets the function told of the upload's progress.
 *
 * Since: 0.1
 */
void
synapse_chunked_upload_set_progress_func (SynapseChunkedUpload * self,
    SynapseProgressFunc progress, gpointer user_data,
    GDestroyNotify user_data_free)
{
  g_return_if_fail (SYNAPSE_IS_CHUNKED_UPLOAD (self));

  if (self->progress_data_free)
    self->progress_data_free (self->progress_data);
  self->progress = progress;
  self->progress_data = user_data;
  self->progress_data_free = user_data_free;
}

static const char *
upload_target (SynapseChunkedUpload * self)
{
  return self->url ? self->url : UPLOAD_PATH;
}

/* The upload that a first chunk of @size bytes whose answer was lost may
 * have made: of the uploads the backend lists (`GET chunked_upload/`,
 * every page, as drf-chunked-upload's view lists a user's uploads), the
 * one unfinished upload of this file that holds exactly the chunk. TRUE
 * with the upload's URL taken when there is one; FALSE without an error
 * when there is none (nothing was made); FALSE with @error when the
 * backend cannot tell: it lists no uploads, the lookup failed, or several
 * uploads match. */
static gboolean
find_created_upload (SynapseChunkedUpload * self, gsize size,
    GCancellable * cancellable, GError ** error)
{
  g_autoptr (SynapsePager) pager = synapse_pager_new (self->client,
      UPLOAD_PATH, NULL, NULL);
  g_autofree char *list_url = synapse_client_build_url (self->client,
      UPLOAD_PATH, NULL);
  g_autofree char *found = NULL;
  g_autoptr (GError) page_error = NULL;
  JsonArray *page;
  guint matches = 0;

  while ((page = synapse_pager_next_page (pager, cancellable, &page_error))) {
    g_autoptr (JsonArray) uploads = page;

    for (guint i = 0; i < json_array_get_length (uploads); i++) {
      JsonNode *node = json_array_get_element (uploads, i);
      JsonObject *upload;
      JsonNode *offset;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      upload = json_node_get_object (node);
      offset = json_object_get_member (upload, "offset");
      if (g_strcmp0 (synapse_json_get_string (upload, "filename"),
              self->filename) != 0 || !synapse_upload_reply_is_open (upload)
          || offset == NULL || !JSON_NODE_HOLDS_VALUE (offset)
          || json_node_get_value_type (offset) != G_TYPE_INT64
          || json_node_get_int (offset) != (gint64) size)
        continue;
      matches++;
      g_free (found);
      found = synapse_uri_resolve (list_url,
          synapse_json_get_string (upload, "url"));
    }
  }
  if (page_error) {
    g_propagate_error (error, g_steal_pointer (&page_error));
    return FALSE;
  }
  if (matches > 1 || (matches == 1 && found == NULL)) {
    g_set_error (error, SYNAPSE_CLIENT_ERROR, SYNAPSE_CLIENT_ERROR_PROTOCOL,
        "%u unfinished uploads of %s hold the first %" G_GSIZE_FORMAT
        " bytes (or give no usable \"url\"): the one just made cannot be "
        "told apart", matches, self->filename, size);
    return FALSE;
  }
  self->url = g_steal_pointer (&found);
  return self->url != NULL;
}

/* After the answer to the first chunk was lost: resumes the upload it
 * made when the backend lists it; otherwise the caller makes a new one,
 * and this counts an orphan when the backend may hold the lost one. */
static gboolean
recover_created_upload (SynapseChunkedUpload * self, gsize size,
    const GError * lost, GCancellable * cancellable)
{
  g_autoptr (GError) lookup_error = NULL;

  g_debug ("%s: the answer to the first chunk was lost (%s); looking up "
      "the upload it made", self->filename, lost->message);
  if (find_created_upload (self, size, cancellable, &lookup_error)) {
    g_debug ("%s: resuming the upload at %s", self->filename, self->url);
    return TRUE;
  }
  if (lookup_error
      && !g_error_matches (lookup_error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    self->orphans++;
    g_debug ("%s: cannot tell whether the backend made an upload (%s); "
        "making a new one", self->filename, lookup_error->message);
  }
  return FALSE;
}

/* PUTs @bytes as the part of the file that starts at @start. Sets *stored
 * to the backend's offset afterwards, which an "Offsets do not match"
 * answer gives too. */
static gboolean
put_chunk (SynapseChunkedUpload * self, GBytes * bytes, guint64 start,
    guint64 * stored, GCancellable * cancellable, GError ** error)
{
  gsize size = g_bytes_get_size (bytes);
  g_autofree char *range = g_strdup_printf ("bytes %" G_GUINT64_FORMAT "-%"
      G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT, start, start + size - 1,
      self->total_size);
  GBytes *parts[] = { self->head, bytes, self->tail, NULL };
  guint remakes = 0;
  guint max_remakes = 0;

  g_object_get (self->client, "retries", &max_remakes, NULL);
  for (;;) {
    gboolean creating = self->url == NULL;
    SynapseRequest request = {
      .method = "PUT",
      .path = upload_target (self),
      .body = parts,
      .content_type = self->content_type,
      .content_range = range,
      /* sending the same bytes again to the upload is harmless: the
       * backend checks the offset; but the first chunk creates the
       * upload, and sending it twice could make two */
      .idempotent = !creating,
    };
    g_autoptr (GError) put_error = NULL;
    g_autoptr (JsonNode) reply = NULL;

    reply = synapse_request_send_json (self->client, &request, cancellable,
        &put_error);
    if (reply) {
      g_autofree char *request_url = synapse_client_build_url (self->client,
          upload_target (self), NULL);

      return synapse_upload_reply_read_chunk (reply, request_url, &self->url,
          start + size, stored, error);
    }

    if (!creating && synapse_upload_reply_offsets_differ (put_error, stored)) {
      g_debug ("%s: the backend holds %" G_GUINT64_FORMAT " bytes, not %"
          G_GUINT64_FORMAT "; continuing from there", self->filename,
          *stored, start);
      return TRUE;
    }
    if (!creating || !synapse_client_error_outcome_unknown (put_error)) {
      g_propagate_error (error, g_steal_pointer (&put_error));
      return FALSE;
    }
    if (recover_created_upload (self, size, put_error, cancellable)) {
      *stored = size;
      return TRUE;
    }
    if (g_cancellable_set_error_if_cancelled (cancellable, error))
      return FALSE;
    /* every lost attempt was looked up, and counted if it may exist */
    if (remakes >= max_remakes) {
      g_propagate_error (error, g_steal_pointer (&put_error));
      return FALSE;
    }
    if (!synapse_sleep (synapse_request_retry_delay (self->client, remakes++),
            cancellable, error))
      return FALSE;
  }
}

static void
report_progress (SynapseChunkedUpload * self, guint64 offset)
{
  if (offset <= self->offset)
    return;
  self->offset = offset;
  if (self->progress)
    self->progress (offset, self->total_size, self->progress_data);
}

static void
hash_chunk (gpointer data, GCancellable * cancellable)
{
  SynapseChunkedUpload *self = data;
  gsize size;
  const guint8 *bytes = g_bytes_get_data (self->hashing, &size);

  g_checksum_update (self->md5, bytes, size);
}

/* Adds @chunk to the running MD5, once (*hashed tells); a large one by
 * one of the client's workers, to be waited for when the chunk has been
 * sent. Not as the bytes are written: hashing (about 500 MiB/s a core)
 * would then add its time to the sending's, where this overlaps them
 * (measured with tests/bench/run.py: the sink's upload went from 212 to
 * 174 MiB/s when hashing in write ()). */
static SynapseJob *
start_hashing_chunk (SynapseChunkedUpload * self, GBytes * chunk,
    gboolean * hashed)
{
  if (*hashed)
    return NULL;
  *hashed = TRUE;
  self->hashing = chunk;
  if (g_bytes_get_size (chunk) >= PARALLEL_HASH_SIZE)
    return synapse_workers_push (synapse_client_get_workers (self->client),
        hash_chunk, self, NULL, NULL);
  hash_chunk (self, NULL);
  return NULL;
}

static gboolean send_chunk_hashed (SynapseChunkedUpload * self,
    GBytes * chunk, GCancellable * cancellable, GError ** error);

/* Sends @chunk, the file's bytes from chunk_start on, while it is hashed
 * (unless *hashed says it was). */
static gboolean
send_chunk (SynapseChunkedUpload * self, GBytes * chunk, gboolean * hashed,
    GCancellable * cancellable, GError ** error)
{
  g_autoptr (SynapseJob) hashing = start_hashing_chunk (self, chunk, hashed);
  gboolean sent = send_chunk_hashed (self, chunk, cancellable, error);

  if (hashing)
    synapse_job_wait (hashing, NULL);
  self->hashing = NULL;
  if (sent)
    self->chunk_start += g_bytes_get_size (chunk);
  return sent;
}

/* Sends the buffered bytes. */
static gboolean
send_buffer (SynapseChunkedUpload * self, GCancellable * cancellable,
    GError ** error)
{
  g_autoptr (GBytes) chunk = g_bytes_new_static (self->buffer->data,
      self->buffer->len);

  if (!send_chunk (self, chunk, &self->buffer_hashed, cancellable, error))
    return FALSE;
  g_byte_array_set_size (self->buffer, 0);
  self->buffer_hashed = FALSE;
  return TRUE;
}

/* Sends @chunk, resuming from wherever the backend says it stands as long
 * as that lies within it. The resumes are bounded: a backend whose offsets
 * get no further over MAX_IDLE_REPLIES replies, or go back
 * MAX_BACKWARD_OFFSETS times in the upload, would be sent chunks for
 * ever. */
static gboolean
send_chunk_hashed (SynapseChunkedUpload * self, GBytes * chunk,
    GCancellable * cancellable, GError ** error)
{
  guint64 start = self->chunk_start;
  guint64 end = start + g_bytes_get_size (chunk);
  /* a finish sent again after a failure resumes where the backend stands */
  guint64 position = MAX (start, self->offset);
  guint64 furthest = position;
  guint idle = 0;

  while (position < end) {
    g_autoptr (GBytes) rest = g_bytes_new_from_bytes (chunk,
        position - start, end - position);
    guint64 stored = 0;

    if (!put_chunk (self, rest, position, &stored, cancellable, error)) {
      g_prefix_error (error, "Upload of %s stopped at byte %" G_GUINT64_FORMAT
          " of %" G_GUINT64_FORMAT ": ", self->filename, position,
          self->total_size);
      return FALSE;
    }
    if (stored < start || stored > end) {
      synapse_client_error_set (error, SYNAPSE_CLIENT_ERROR_PROTOCOL, "PUT",
          self->url, 0, NULL, "Upload of %s: the backend holds %"
          G_GUINT64_FORMAT " bytes, outside the %" G_GUINT64_FORMAT "–%"
          G_GUINT64_FORMAT " just sent; the upload cannot continue",
          self->filename, stored, start, end);
      return FALSE;
    }
    if (stored < position && ++self->backward_offsets >= MAX_BACKWARD_OFFSETS) {
      synapse_client_error_set (error, SYNAPSE_CLIENT_ERROR_PROTOCOL, "PUT",
          self->url, 0, NULL, "Upload of %s (%s): the backend's offset went "
          "back %u times, the last time to byte %" G_GUINT64_FORMAT " after "
          "byte %" G_GUINT64_FORMAT " was sent; the upload cannot continue",
          self->filename, self->url, self->backward_offsets, stored, position);
      return FALSE;
    }
    if (stored > furthest) {
      furthest = stored;
      idle = 0;
    } else if (++idle >= MAX_IDLE_REPLIES) {
      synapse_client_error_set (error, SYNAPSE_CLIENT_ERROR_PROTOCOL, "PUT",
          self->url, 0, NULL, "Upload of %s (%s): the backend got no further "
          "than byte %" G_GUINT64_FORMAT " over %u replies; the upload "
          "cannot continue", self->filename, self->url, furthest, idle);
      return FALSE;
    }
    position = stored;
    report_progress (self, position);
  }
  return TRUE;
}

static gboolean
check_writable (SynapseChunkedUpload * self, GError ** error)
{
  if (self->broken) {
    g_set_error (error, SYNAPSE_CLIENT_ERROR,
        SYNAPSE_CLIENT_ERROR_INVALID_ARGUMENT,
        "The upload of %s failed earlier and cannot continue", self->filename);
    return FALSE;
  }
  if (self->finished) {
    g_set_error (error, SYNAPSE_CLIENT_ERROR,
        SYNAPSE_CLIENT_ERROR_INVALID_ARGUMENT,
        "The upload of %s is already finished", self->filename);
    return FALSE;
  }
  if (self->total_size == 0) {
    g_set_error (error, SYNAPSE_CLIENT_ERROR,
        SYNAPSE_CLIENT_ERROR_INVALID_ARGUMENT,
        "%s is empty: the backend cannot store an empty file", self->filename);
    return FALSE;
  }
  return TRUE;
}

/* Counts @added bytes just put in the buffer, and sends the buffer when it
 * holds a whole chunk. */
static gboolean
buffer_grew (SynapseChunkedUpload * self, gsize added,
    GCancellable * cancellable, GError ** error)
{
  self->written += added;
  if (self->buffer->len < self->chunk_size)
    return TRUE;
  if (send_buffer (self, cancellable, error))
    return TRUE;
  /* the caller cannot tell which of its bytes were taken */
  self->broken = TRUE;
  return FALSE;
}

/* Whether @size more bytes may be written. */
static gboolean
check_room (SynapseChunkedUpload * self, gsize size, GError ** error)
{
  if (!check_writable (self, error))
    return FALSE;
  if (size > self->total_size - self->written) {
    g_set_error (error, SYNAPSE_CLIENT_ERROR,
        SYNAPSE_CLIENT_ERROR_INVALID_ARGUMENT,
        "%s: more bytes were written than the %" G_GUINT64_FORMAT
        " announced", self->filename, self->total_size);
    return FALSE;
  }
  return TRUE;
}

/**
 * synapse_chunked_upload_write:
 * @self: a [class@Synapse.ChunkedUpload]
 * @data: (array length=size): the next bytes of the file
 * @size: the number of bytes in @data
 * @cancellable: (nullable): a [class@Gio.Cancellable]
 * @error: return location for a [struct@GLib.Error]
 *
 * Adds the next bytes of the file, sending each chunk as soon as it is
 * full, so this blocks while a chunk is on its way (retrying and resuming
 * as the client's policy says). Writing more bytes in all than the total
 * size given at creation is an error. When a write fails, the upload
 * cannot continue.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
synapse_chunked_upload_write (SynapseChunkedUpload * self,
    const guint8 * data, gsize size, GCancellable * cancellable,
    GError ** error)
{
  g_return_val_if_fail (SYNAPSE_IS_CHUNKED_UPLOAD (self), FALSE);
  g_return_val_if_fail (data != NULL || size == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_room (self, size, error))
    return FALSE;

  while (size > 0) {
    gsize take = MIN (self->chunk_size - self->buffer->len, size);

    g_byte_array_append (self->buffer, data, take);
    data += take;
    size -= take;
    if (!buffer_grew (self, take, cancellable, error))
      return FALSE;
  }
  return TRUE;
}

/**
 * synapse_chunked_upload_write_bytes:
 * @self: a [class@Synapse.ChunkedUpload]
 * @bytes: the next bytes of the file
 * @cancellable: (nullable): a [class@Gio.Cancellable]
 * @error: return location for a [struct@GLib.Error]
 *
 * [method@Synapse.ChunkedUpload.write] for a [struct@GLib.Bytes]. The
 * whole chunks of @bytes that start where a chunk starts are sent as they
 * are, without a copy: writing the file a chunk at a time this way holds
 * no chunk of the upload's own.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
synapse_chunked_upload_write_bytes (SynapseChunkedUpload * self,
    GBytes * bytes, GCancellable * cancellable, GError ** error)
{
  gsize size;
  gsize sent = 0;
  const guint8 *data;

  g_return_val_if_fail (SYNAPSE_IS_CHUNKED_UPLOAD (self), FALSE);
  g_return_val_if_fail (bytes != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  data = g_bytes_get_data (bytes, &size);
  if (!check_room (self, size, error))
    return FALSE;
  while (self->buffer->len == 0 && size - sent >= self->chunk_size) {
    g_autoptr (GBytes) chunk = g_bytes_new_from_bytes (bytes, sent,
        self->chunk_size);
    gboolean hashed = FALSE;

    self->written += self->chunk_size;
    if (!send_chunk (self, chunk, &hashed, cancellable, error)) {
      self->broken = TRUE;
      return FALSE;
    }
    sent += self->chunk_size;
  }
  return synapse_chunked_upload_write (self, data + sent, size - sent,
      cancellable, error);
}

static JsonNode *
request_finish (SynapseChunkedUpload * self, GCancellable * cancellable,
    GError ** error)
{
  g_autoptr (JsonObject) md5 = json_object_new ();
  g_autoptr (JsonNode) body_node = json_node_new (JSON_NODE_OBJECT);
  g_autoptr (GBytes) body = NULL;
  GBytes *parts[2] = { NULL, NULL };
  SynapseRequest finish = {
    .method = "POST",
    .path = self->url,
    .content_type = "application/json",
    /* finishing twice cannot make two files: the second is refused */
    .idempotent = TRUE,
  };
  SynapseRequest status = {
    .method = "GET",
    .path = self->url,
    .idempotent = TRUE,
  };
  g_autoptr (GError) finish_error = NULL;
  JsonNode *reply;

  json_object_set_string_member (md5, "md5", self->md5_hex);
  json_node_set_object (body_node, md5);
  body = synapse_json_to_bytes (body_node);
  parts[0] = body;
  finish.body = parts;

  reply = synapse_request_send_json (self->client, &finish, cancellable,
      &finish_error);
  if (reply)
    return reply;
  if (!synapse_upload_reply_already_complete (finish_error)) {
    g_propagate_error (error, g_steal_pointer (&finish_error));
    return NULL;
  }
  g_debug ("%s: the backend had already completed the upload", self->filename);
  return synapse_request_send_json (self->client, &status, cancellable, error);
}

static gpointer
complete_run (gpointer source, gpointer data, GCancellable * cancellable,
    GError ** error)
{
  SynapseChunkedUpload *self = source;
  g_autoptr (JsonNode) reply = NULL;

  if (!check_writable (self, error))
    return NULL;
  if (self->written != self->total_size) {
    g_set_error (error, SYNAPSE_CLIENT_ERROR,
        SYNAPSE_CLIENT_ERROR_INVALID_ARGUMENT,
        "%s ended after %" G_GUINT64_FORMAT " of the %" G_GUINT64_FORMAT
        " bytes announced", self->filename, self->written, self->total_size);
    return NULL;
  }
  if (self->buffer->len > 0 && !send_buffer (self, cancellable, error))
    return NULL;
  if (self->md5_hex == NULL)
    self->md5_hex = g_strdup (g_checksum_get_string (self->md5));

  reply = request_finish (self, cancellable, error);
  if (reply == NULL) {
    g_prefix_error (error, "Upload of %s could not be completed: ",
        self->filename);
    return NULL;
  }
  if (!synapse_upload_reply_check_finished (reply, self->url, self->filename,
          self->total_size, self->md5_hex, error))
    return NULL;

  self->finished = TRUE;
  return json_object_ref (json_node_get_object (reply));
}

/**
 * synapse_chunked_upload_complete:
 * @self: a [class@Synapse.ChunkedUpload]
 * @cancellable: (nullable): a [class@Gio.Cancellable]
 * @error: return location for a [struct@GLib.Error]
 *
 * Sends the last chunk and completes the upload with the file's MD5, which
 * the backend checks. It fails when fewer bytes were written than
 * announced, or when the backend's checksum or size differ from the
 * file's. A completion that failed may be tried again.
 *
 * Returns: (transfer full): the completed upload as the backend describes
 *   it (its `id` is what a model's `chunked_upload` takes), or %NULL with
 *   @error set
 *
 * Since: 0.1
 */
JsonObject *
synapse_chunked_upload_complete (SynapseChunkedUpload * self,
    GCancellable * cancellable, GError ** error)
{
  g_return_val_if_fail (SYNAPSE_IS_CHUNKED_UPLOAD (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return complete_run (self, NULL, cancellable, error);
}

/**
 * synapse_chunked_upload_complete_async:
 * @self: a [class@Synapse.ChunkedUpload]
 * @cancellable: (nullable): a [class@Gio.Cancellable]
 * @callback: (scope async): called when the upload is complete
 * @user_data: data for @callback
 *
 * Completes the upload as [method@Synapse.ChunkedUpload.complete] does, without
 * blocking.
 *
 * Since: 0.1
 */
void
synapse_chunked_upload_complete_async (SynapseChunkedUpload * self,
    GCancellable * cancellable, GAsyncReadyCallback callback,
    gpointer user_data)
{
  g_return_if_fail (SYNAPSE_IS_CHUNKED_UPLOAD (self));

  synapse_task_run (self->client, self, synapse_chunked_upload_complete_async,
      complete_run, NULL, NULL, (GDestroyNotify) json_object_unref, cancellable,
      callback, user_data);
}

/**
 * synapse_chunked_upload_complete_finish:
 * @self: a [class@Synapse.ChunkedUpload]
 * @result: the [iface@Gio.AsyncResult] given to the callback
 * @error: return location for a [struct@GLib.Error]
 *
 * Finishes [method@Synapse.ChunkedUpload.complete_async].
 *
 * Returns: (transfer full): the completed upload, or %NULL with @error set
 *
 * Since: 0.1
 */
JsonObject *
synapse_chunked_upload_complete_finish (SynapseChunkedUpload * self,
    GAsyncResult * result, GError ** error)
{
  return synapse_task_finish (self, result,
      synapse_chunked_upload_complete_async, error);
}

/**
 * synapse_chunked_upload_get_filename:
 * @self: a [class@Synapse.ChunkedUpload]
 *
 * The name the backend stores the file under: the base name given to
 * [ctor@Synapse.ChunkedUpload.new].
 *
 * Returns: (transfer none): the file name sent to the backend
 *
 * Since: 0.1
 */
const char *
synapse_chunked_upload_get_filename (SynapseChunkedUpload * self)
{
  g_return_val_if_fail (SYNAPSE_IS_CHUNKED_UPLOAD (self), NULL);

  return self->filename;
}

/**
 * synapse_chunked_upload_get_total_size:
 * @self: a [class@Synapse.ChunkedUpload]
 *
 * The number of bytes the upload was announced with.
 *
 * Returns: the size of the whole file, in bytes
 *
 * Since: 0.1
 */
guint64
synapse_chunked_upload_get_total_size (SynapseChunkedUpload * self)
{
  g_return_val_if_fail (SYNAPSE_IS_CHUNKED_UPLOAD (self), 0);

  return self->total_size;
}

/**
 * synapse_chunked_upload_get_chunk_size:
 * @self: a [class@Synapse.ChunkedUpload]
 *
 * The number of bytes sent in each chunk but the last.
 *
 * Returns: the size of a chunk, in bytes
 *
 * Since: 0.1
 */
gsize
synapse_chunked_upload_get_chunk_size (SynapseChunkedUpload * self)
{
  g_return_val_if_fail (SYNAPSE_IS_CHUNKED_UPLOAD (self), 0);

  return self->chunk_size;
}

/**
 * synapse_chunked_upload_get_offset:
 * @self: a [class@Synapse.ChunkedUpload]
 *
 * How far the upload has got: the bytes the backend has stored and
 * acknowledged.
 *
 * Returns: how many bytes the backend has acknowledged
 *
 * Since: 0.1
 */
guint64
synapse_chunked_upload_get_offset (SynapseChunkedUpload * self)
{
  g_return_val_if_fail (SYNAPSE_IS_CHUNKED_UPLOAD (self), 0);

  return self->offset;
}

/**
 * synapse_chunked_upload_get_url:
 * @self: a [class@Synapse.ChunkedUpload]
 *
 * Where the next chunks go: the `url` the backend gave for the first one.
 *
 * Returns: (transfer none) (nullable): the upload's URL at the backend, or
 *   %NULL before the first chunk was stored
 *
 * Since: 0.1
 */
const char *
synapse_chunked_upload_get_url (SynapseChunkedUpload * self)
{
  g_return_val_if_fail (SYNAPSE_IS_CHUNKED_UPLOAD (self), NULL);

  return self->url;
}

/**
 * synapse_chunked_upload_get_orphans:
 * @self: a [class@Synapse.ChunkedUpload]
 *
 * How many unfinished uploads this one may have left on the backend. When
 * the answer to the first chunk, which creates the upload, is lost, the
 * upload it made is looked up (`GET chunked_upload/`, every page: the one
 * unfinished upload of this file name that holds exactly the first chunk)
 * and resumed. When the backend cannot tell (it lists no uploads, the
 * lookup fails, or several uploads match), the first chunk is sent again
 * as a new upload (at most [property@Synapse.Client:retries] times, after the
 * retry policy's backoff), and the lost one, which may exist, counts here. An
 * orphan is never completed, makes no model and expires on the backend.
 *
 * Returns: the number of uploads that may have been left behind
 *
 * Since: 0.1
 */
guint
synapse_chunked_upload_get_orphans (SynapseChunkedUpload * self)
{
  g_return_val_if_fail (SYNAPSE_IS_CHUNKED_UPLOAD (self), 0);

  return self->orphans;
}

/**
 * synapse_chunked_upload_get_md5:
 * @self: a [class@Synapse.ChunkedUpload]
 *
 * The MD5 of the whole file, which finishing the upload sends to the
 * backend to check.
 *
 * Returns: (transfer none) (nullable): the hex MD5 of the file, or %NULL
 *   until [method@Synapse.ChunkedUpload.complete] was called with every byte
 *   written
 *
 * Since: 0.1
 */
const char *
synapse_chunked_upload_get_md5 (SynapseChunkedUpload * self)
{
  g_return_val_if_fail (SYNAPSE_IS_CHUNKED_UPLOAD (self), NULL);

  return self->md5_hex;
}

/* Reads the file behind @fd straight into the chunk buffer: no copy on
 * the way, one chunk in memory. */
gboolean
synapse_chunked_upload_write_from_fd (SynapseChunkedUpload * self, int fd,
    GCancellable * cancellable, GError ** error)
{
  while (self->written < self->total_size) {
    guint held = self->buffer->len;
    gsize want = MIN (self->chunk_size - held,
        self->total_size - self->written);
    gssize n;

    g_byte_array_set_size (self->buffer, held + want);
    do
      n = read (fd, self->buffer->data + held, want);
    while (n < 0 && errno == EINTR);
    g_byte_array_set_size (self->buffer, held + MAX (n, 0));
    if (n <= 0) {
      int saved_errno = errno;

      g_set_error (error, SYNAPSE_CLIENT_ERROR, SYNAPSE_CLIENT_ERROR_IO,
          "Cannot read %s: %s", self->filename,
          n == 0 ? "the file became shorter" : g_strerror (saved_errno));
      return FALSE;
    }
    if (!buffer_grew (self, n, cancellable, error))
      return FALSE;
  }
  return TRUE;
}
