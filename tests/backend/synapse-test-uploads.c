/* synapse-test-uploads.c: chunked_upload/ (the drf-chunked-upload protocol)
 *
 * Copyright (C) 2024 gst-synapse contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Chunks are appended to a file in the data dir with a running MD5, so an
 * upload of any size costs about one chunk of memory.  The write and the
 * hash run on two worker threads while the server thread already receives
 * the next chunk (the reply's offset is the promised one; the next chunk
 * and the finish wait for the jobs).  Checks come in the order of drf-chunked-upload's views,
 * with its messages.
 */

#include "synapse-test-backend-private.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

void
stb_upload_free (StbUpload * upload)
{
  if (!upload)
    return;
  g_free (upload->id);
  g_free (upload->filename);
  g_free (upload->path);
  g_clear_pointer (&upload->md5, g_checksum_free);
  g_free (upload->checksum);
  g_free (upload->io_error);
  g_free (upload);
}

typedef struct
{
  SynapseTestBackend *self;
  StbUpload *upload;
  GBytes *chunk;                /* a slice of the request body */
  gboolean first;               /* the upload's first chunk: a new file */
} ChunkJob;

static gboolean append_to_file (const char *path, gboolean truncate,
    const guint8 * data, gsize len, GError ** error);

static void
job_done (ChunkJob * job, GError * error)
{
  SynapseTestBackend *self = job->self;

  g_mutex_lock (&self->lock);
  if (error && !job->upload->io_error)
    job->upload->io_error = g_strdup (error->message);
  if (--job->upload->pending == 0)
    g_cond_broadcast (&self->upload_cond);
  g_mutex_unlock (&self->lock);
  g_bytes_unref (job->chunk);
  g_free (job);
}

static void
write_job (gpointer data, gpointer user_data)
{
  ChunkJob *job = data;
  g_autoptr (GError) error = NULL;
  gsize len;
  const guint8 *bytes = g_bytes_get_data (job->chunk, &len);

  append_to_file (job->upload->path, job->first, bytes, len, &error);
  job_done (job, error);
}

static void
md5_job (gpointer data, gpointer user_data)
{
  ChunkJob *job = data;
  gsize len;
  const guint8 *bytes = g_bytes_get_data (job->chunk, &len);

  /* only this thread touches the checksum while jobs are pending */
  g_checksum_update (job->upload->md5, bytes, len);
  job_done (job, NULL);
}

/* Needs the lock. */
static void
push_job (SynapseTestBackend * self, GThreadPool * pool, StbUpload * upload,
    GBytes * chunk, gboolean first)
{
  ChunkJob *job = g_new0 (ChunkJob, 1);

  job->self = self;
  job->upload = upload;
  job->chunk = g_bytes_ref (chunk);
  job->first = first;
  upload->pending++;
  g_thread_pool_push (pool, job, NULL);
}

void
stb_uploads_init (SynapseTestBackend * self)
{
  g_cond_init (&self->upload_cond);
  self->write_pool = g_thread_pool_new (write_job, NULL, 1, FALSE, NULL);
  self->md5_pool = g_thread_pool_new (md5_job, NULL, 1, FALSE, NULL);
}

/* Finishes the queued jobs; the uploads stay. */
void
stb_uploads_shutdown (SynapseTestBackend * self)
{
  if (self->write_pool)
    g_thread_pool_free (g_steal_pointer (&self->write_pool), FALSE, TRUE);
  if (self->md5_pool)
    g_thread_pool_free (g_steal_pointer (&self->md5_pool), FALSE, TRUE);
}

/* Needs the lock: waits until @upload's bytes are all on disk and hashed. */
void
stb_upload_wait (SynapseTestBackend * self, StbUpload * upload)
{
  while (upload->pending)
    g_cond_wait (&self->upload_cond, &self->lock);
}

static gboolean
upload_expired (SynapseTestBackend * self, const StbUpload * upload)
{
  return !upload->complete && (upload->expired || g_get_real_time () >
      upload->created_us + (gint64) self->upload_expiry_s * G_USEC_PER_SEC);
}

/* Deterministic v4-shaped UUIDs, so runs with the same seed match. */
static char *
new_upload_id (SynapseTestBackend * self)
{
  guint64 n = ++self->upload_counter;
  guint64 a = stb_mix64 (stb_mix64 (self->seed ^ 0x75706c6f6164) ^ n);
  guint64 b = stb_mix64 (a);

  return g_strdup_printf ("%08x-%04x-4%03x-%x%03x-%012" G_GINT64_MODIFIER "x",
      (guint) (a >> 32), (guint) (a >> 16) & 0xffff, (guint) a & 0xfff,
      8 + (guint) (b >> 62), (guint) (b >> 48) & 0xfff,
      b & G_GUINT64_CONSTANT (0xffffffffffff));
}

/* The base name of what the client called its file, never a path. */
static char *
safe_filename (const char *name)
{
  const char *base;
  GString *out;

  if (!name)
    return g_strdup ("upload.bin");
  base = MAX (strrchr (name, '/'), strrchr (name, '\\'));
  base = base ? base + 1 : name;
  out = g_string_new (NULL);
  for (const char *p = base; *p; p++) {
    if ((guchar) * p >= 0x20)
      g_string_append_c (out, *p);
  }
  if (!out->len || !strcmp (out->str, ".") || !strcmp (out->str, "..")
      || !g_utf8_validate (out->str, -1, NULL)) {
    g_string_free (out, TRUE);
    return g_strdup ("upload.bin");
  }
  return g_string_free (out, FALSE);
}

void
stb_write_upload (SynapseTestBackend * self, GString * out,
    const StbUpload * upload, const char *upload_base, const char *media_base)
{
  g_string_append (out, "{\"id\":");
  stb_json_string (out, upload->id);
  g_string_append (out, ",\"url\":\"");
  stb_json_escape (out, upload_base, -1);
  g_string_append (out, "chunked_upload/");
  g_string_append (out, upload->id);
  g_string_append (out, "/\",\"file\":");
  if (upload->complete) {
    g_autofree char *escaped = g_uri_escape_string (upload->filename, NULL,
        FALSE);

    g_string_append_c (out, '"');
    stb_json_escape (out, media_base, -1);
    g_string_append (out, "media/uploads/");
    g_string_append (out, upload->id);
    g_string_append_c (out, '/');
    stb_json_escape (out, escaped, -1);
    g_string_append_c (out, '"');
  } else {
    g_string_append (out, "null");
  }
  g_string_append (out, ",\"filename\":");
  stb_json_string (out, upload->filename);
  g_string_append (out, ",\"offset\":");
  stb_json_uint (out, upload->offset);
  g_string_append (out, ",\"created_at\":");
  stb_json_time_us (out, upload->created_us);
  g_string_append (out, ",\"status\":\"");
  g_string_append (out, upload->complete ? "complete" : "uploading");
  g_string_append (out, "\",\"completed_at\":");
  if (upload->complete)
    stb_json_time_us (out, upload->completed_us);
  else
    g_string_append (out, "null");
  g_string_append (out, ",\"expires\":");
  stb_json_time_us (out, upload->created_us +
      (gint64) self->upload_expiry_s * G_USEC_PER_SEC);
  if (upload->complete) {
    g_string_append (out, ",\"size\":");
    stb_json_uint (out, upload->offset);
    g_string_append (out, ",\"checksum\":");
    stb_json_string (out, upload->checksum);
  }
  g_string_append_c (out, '}');
}

static void
respond_upload (StbCall * call, const StbUpload * upload)
{
  GString *out = g_string_sized_new (512);

  stb_write_upload (call->self, out, upload, call->upload_base,
      call->media_base);
  stb_respond (call->msg, SOUP_STATUS_OK, out);
}

/* "bytes <start>-<end>/<total>", end inclusive */
static gboolean
parse_content_range (const char *text, guint64 * start, guint64 * end,
    guint64 * total)
{
  const char *p;
  char *next;

  if (!text || !g_str_has_prefix (text, "bytes "))
    return FALSE;
  p = text + 6;
  while (*p == ' ')
    p++;
  if (!g_ascii_isdigit (*p))
    return FALSE;
  *start = g_ascii_strtoull (p, &next, 10);
  if (*next != '-' || !g_ascii_isdigit (next[1]))
    return FALSE;
  *end = g_ascii_strtoull (next + 1, &next, 10);
  if (*next != '/' || !g_ascii_isdigit (next[1]))
    return FALSE;
  *total = g_ascii_strtoull (next + 1, &next, 10);
  return *next == '\0';
}

/* The `file` part and the `filename` field of the multipart body. */
static GBytes *
find_chunk (SoupServerMessage * msg, GBytes * body, char **filename)
{
  g_autoptr (SoupMultipart) multipart =
      soup_multipart_new_from_message (soup_server_message_get_request_headers
      (msg), body);
  GBytes *chunk = NULL;
  char *part_filename = NULL;

  for (int i = 0; multipart && i < soup_multipart_get_length (multipart); i++) {
    SoupMessageHeaders *headers;
    GBytes *part;
    GHashTable *params = NULL;
    const char *name;

    if (!soup_multipart_get_part (multipart, i, &headers, &part)
        || !soup_message_headers_get_content_disposition (headers, NULL,
            &params))
      continue;
    name = g_hash_table_lookup (params, "name");
    if (name && !strcmp (name, "file") && !chunk) {
      chunk = g_bytes_ref (part);
      g_free (part_filename);
      part_filename = g_strdup (g_hash_table_lookup (params, "filename"));
    } else if (name && !strcmp (name, "filename") && !*filename) {
      gsize len;
      const char *data = g_bytes_get_data (part, &len);

      *filename = g_strndup (data, len);
    }
    g_hash_table_destroy (params);
  }
  if (!*filename)
    *filename = part_filename;
  else
    g_free (part_filename);
  return chunk;
}

/* @truncate: a kept data dir may hold a file of an earlier run's upload
 * with the same (seeded) id */
static gboolean
append_to_file (const char *path, gboolean truncate, const guint8 * data,
    gsize len, GError ** error)
{
  int fd = g_open (path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC |
      (truncate ? O_TRUNC : 0), 0644);

  if (fd < 0) {
    int saved = errno;

    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
        "open %s: %s", path, g_strerror (saved));
    return FALSE;
  }
  while (len > 0) {
    gssize n = write (fd, data, len);

    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      int saved = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
          "write %s: %s", path, g_strerror (saved));
      close (fd);
      return FALSE;
    }
    data += n;
    len -= n;
  }
  return g_close (fd, error);
}

static void
respond_offsets (SoupServerMessage * msg, guint64 expected, guint64 provided)
{
  GString *out = g_string_new ("{\"detail\":\"Offsets do not match\"");

  g_string_append (out, ",\"offset\":");
  stb_json_uint (out, expected);
  g_string_append (out, ",\"expected_offset\":");
  stb_json_uint (out, expected);
  g_string_append (out, ",\"provided_offset\":");
  stb_json_uint (out, provided);
  g_string_append_c (out, '}');
  stb_respond (msg, SOUP_STATUS_BAD_REQUEST, out);
}

/* Needs the lock.  Sends 404/410/400 and returns NULL when @upload may not
 * take chunks or be finished. */
static StbUpload *
lookup_open_upload (StbCall * call, const char *id)
{
  StbUpload *upload = g_hash_table_lookup (call->self->uploads, id);

  if (!upload)
    stb_respond_detail (call->msg, SOUP_STATUS_NOT_FOUND, "Not found.");
  else if (upload_expired (call->self, upload))
    stb_respond_detail (call->msg, SOUP_STATUS_GONE, "Upload has expired");
  else if (upload->complete)
    stb_respond_detail (call->msg, SOUP_STATUS_BAD_REQUEST,
        "Upload has already been marked as \"complete\"");
  else
    return upload;
  return NULL;
}

void
stb_handle_upload_put (StbCall * call, const char *id, GBytes * body)
{
  SynapseTestBackend *self = call->self;
  g_autofree char *filename = NULL;
  g_autoptr (GBytes) chunk = NULL;
  const char *range;
  guint64 start, end, total;
  StbUpload *upload = NULL;
  gboolean busy;
  gsize len;

  /* backpressure: one chunk in the workers, this one waits its turn (before
   * any parsing, it is retried every few ms), so memory stays at about two
   * chunks however fast the client sends */
  g_mutex_lock (&self->lock);
  upload = id ? g_hash_table_lookup (self->uploads, id) : NULL;
  busy = upload && upload->pending;
  g_mutex_unlock (&self->lock);
  if (busy) {
    call->deferred = TRUE;
    return;
  }

  chunk = find_chunk (call->msg, body, &filename);
  if (!chunk) {
    stb_respond_detail (call->msg, SOUP_STATUS_BAD_REQUEST,
        "No chunk file was submitted");
    return;
  }
  len = g_bytes_get_size (chunk);

  g_mutex_lock (&self->lock);
  if (id && !(upload = lookup_open_upload (call, id)))
    goto out;

  range = soup_message_headers_get_one (soup_server_message_get_request_headers
      (call->msg), "Content-Range");
  if (!parse_content_range (range, &start, &end, &total)) {
    stb_respond_detail (call->msg, SOUP_STATUS_BAD_REQUEST,
        "Error in request headers");
    goto out;
  }
  if (start > end || end >= total) {
    g_autofree char *detail =
        g_strdup_printf ("Error in request headers: Content-Range %s is "
        "inconsistent (start <= end < total)", range);

    stb_respond_detail (call->msg, SOUP_STATUS_BAD_REQUEST, detail);
    goto out;
  }
  if (self->max_upload_bytes && total > self->max_upload_bytes) {
    g_autofree char *detail =
        g_strdup_printf ("Size of file exceeds the limit (%" G_GUINT64_FORMAT
        " bytes)", self->max_upload_bytes);

    stb_respond_detail (call->msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
        detail);
    goto out;
  }
  if (start != (upload ? upload->offset : 0)) {
    respond_offsets (call->msg, upload ? upload->offset : 0, start);
    goto out;
  }
  if (len != end - start + 1) {
    g_autofree char *detail =
        g_strdup_printf ("File size doesn't match headers: file size is %"
        G_GSIZE_FORMAT " but %" G_GUINT64_FORMAT " reported", len,
        end - start + 1);

    stb_respond_detail (call->msg, SOUP_STATUS_BAD_REQUEST, detail);
    goto out;
  }
  if (upload && upload->total != total) {
    g_autofree char *detail =
        g_strdup_printf ("Total size does not match the upload's (%"
        G_GUINT64_FORMAT " bytes)", upload->total);

    stb_respond_detail (call->msg, SOUP_STATUS_BAD_REQUEST, detail);
    goto out;
  }

  if (!upload) {
    if (!self->discard_uploads && !self->data_dir) {
      g_autoptr (GError) error = NULL;

      self->data_dir = g_dir_make_tmp ("synapse-test-backend-XXXXXX", &error);
      if (!self->data_dir) {
        stb_respond_detail (call->msg, SOUP_STATUS_INTERNAL_SERVER_ERROR,
            error->message);
        goto out;
      }
      self->own_data_dir = TRUE;
    }
    upload = g_new0 (StbUpload, 1);
    upload->id = new_upload_id (self);
    upload->filename = safe_filename (filename);
    if (!self->discard_uploads)
      upload->path = g_strdup_printf ("%s/%s.bin", self->data_dir, upload->id);
    upload->total = total;
    upload->md5 = g_checksum_new (G_CHECKSUM_MD5);
    upload->created_us = g_get_real_time ();
    upload->serial = self->upload_counter;
    g_hash_table_insert (self->uploads, upload->id, upload);
  }
  if (upload->io_error) {
    stb_respond_detail (call->msg, SOUP_STATUS_INTERNAL_SERVER_ERROR,
        upload->io_error);
    goto out;
  }

  if (upload->path)
    push_job (self, self->write_pool, upload, chunk, start == 0);
  push_job (self, self->md5_pool, upload, chunk, start == 0);
  upload->offset += len;
  respond_upload (call, upload);

out:
  g_mutex_unlock (&self->lock);
}

static char *
request_md5 (StbCall * call)
{
  g_autoptr (GBytes) body = stb_request_body (call->msg);
  const char *content_type =
      soup_message_headers_get_content_type
      (soup_server_message_get_request_headers (call->msg), NULL);
  gsize len;
  const char *data = g_bytes_get_data (body, &len);
  g_autofree char *text = g_strndup (data, len);

  if (content_type
      && !g_ascii_strcasecmp (content_type,
          "application/x-www-form-urlencoded")) {
    g_autoptr (GPtrArray) params = stb_params_parse (text);
    const char *md5 = stb_params_get (params, "md5");

    return md5 && *md5 ? g_strdup (md5) : NULL;
  } else {
    g_autoptr (JsonNode) root = json_from_string (text, NULL);
    JsonObject *object;

    if (!root || !JSON_NODE_HOLDS_OBJECT (root))
      return NULL;
    object = json_node_get_object (root);
    if (!json_object_has_member (object, "md5")
        || !json_object_get_string_member (object, "md5")
        || !*json_object_get_string_member (object, "md5"))
      return NULL;
    return g_strdup (json_object_get_string_member (object, "md5"));
  }
}

void
stb_handle_upload_post (StbCall * call, const char *id)
{
  SynapseTestBackend *self = call->self;
  g_autofree char *md5 = request_md5 (call);
  StbUpload *upload;

  if (!md5) {
    stb_respond_detail (call->msg, SOUP_STATUS_BAD_REQUEST,
        "Both 'id' and 'md5' are required");
    return;
  }

  g_mutex_lock (&self->lock);
  upload = lookup_open_upload (call, id);
  if (!upload)
    goto out;
  /* the last chunks may still be on their way to the disk: come back */
  if (upload->pending) {
    call->deferred = TRUE;
    goto out;
  }
  if (upload->io_error) {
    stb_respond_detail (call->msg, SOUP_STATUS_INTERNAL_SERVER_ERROR,
        upload->io_error);
    goto out;
  }
  if (upload->offset < upload->total) {
    g_autofree char *detail =
        g_strdup_printf ("Upload is not complete: %" G_GUINT64_FORMAT
        " of %" G_GUINT64_FORMAT " bytes received", upload->offset,
        upload->total);

    stb_respond_detail (call->msg, SOUP_STATUS_BAD_REQUEST, detail);
    goto out;
  }
  if (g_ascii_strcasecmp (md5, g_checksum_get_string (upload->md5)) != 0) {
    stb_respond_detail (call->msg, SOUP_STATUS_BAD_REQUEST,
        "md5 checksum does not match");
    goto out;
  }
  upload->complete = TRUE;
  upload->completed_us = g_get_real_time ();
  upload->checksum = g_strdup (g_checksum_get_string (upload->md5));
  respond_upload (call, upload);

out:
  g_mutex_unlock (&self->lock);
}

void
stb_handle_upload_get (StbCall * call, const char *id)
{
  SynapseTestBackend *self = call->self;
  StbUpload *upload;

  g_mutex_lock (&self->lock);
  upload = g_hash_table_lookup (self->uploads, id);
  if (upload)
    respond_upload (call, upload);
  else
    stb_respond_detail (call->msg, SOUP_STATUS_NOT_FOUND, "Not found.");
  g_mutex_unlock (&self->lock);
}

/* media/uploads/<id>/<filename>: the bytes of a finished upload, mapped. */
GBytes *
stb_upload_media (SynapseTestBackend * self, const char *path)
{
  g_auto (GStrv) parts = g_strsplit (path, "/", -1);
  g_autofree char *filename = NULL;
  g_autofree char *file = NULL;
  g_autoptr (GMappedFile) mapped = NULL;
  StbUpload *upload;

  /* media / uploads / <id> / <name> */
  if (g_strv_length (parts) != 4)
    return NULL;
  filename = g_uri_unescape_string (parts[3], "/");
  if (!filename)
    return NULL;

  g_mutex_lock (&self->lock);
  upload = g_hash_table_lookup (self->uploads, parts[2]);
  if (upload && upload->complete && !upload->pending && upload->path
      && !strcmp (upload->filename, filename))
    file = g_strdup (upload->path);
  g_mutex_unlock (&self->lock);

  if (!file)
    return NULL;
  mapped = g_mapped_file_new (file, FALSE, NULL);
  return mapped ? g_mapped_file_get_bytes (mapped) : NULL;
}

/* OSCILLATE_OFFSET: "Offsets do not match" with an offset @step bytes
 * past the chunk's start (@forward) or before it, nothing stored. */
void
stb_fault_oscillate_offset (SoupServerMessage * msg, gsize step,
    gboolean forward)
{
  const char *range =
      soup_message_headers_get_one (soup_server_message_get_request_headers
      (msg), "Content-Range");
  guint64 start, end, total, offset;

  if (!parse_content_range (range, &start, &end, &total)) {
    stb_respond_detail (msg, SOUP_STATUS_BAD_REQUEST,
        "Error in request headers");
    return;
  }
  if (step == 0)
    step = 1;
  offset = forward ? MIN (start + step, total) : start - MIN (start, step);
  respond_offsets (msg, offset, start);
}

static gint
compare_serials (gconstpointer a, gconstpointer b)
{
  const StbUpload *x = *(StbUpload * const *) a;
  const StbUpload *y = *(StbUpload * const *) b;

  return x->serial < y->serial ? -1 : x->serial > y->serial;
}

/* GET chunked_upload/: every upload, oldest first, a DRF page, as
 * drf-chunked-upload's ChunkedUploadView lists a user's uploads. */
void
stb_handle_uploads (StbCall * call)
{
  SynapseTestBackend *self = call->self;
  g_autoptr (GPtrArray) all = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer value;
  StbPage page;

  g_mutex_lock (&self->lock);
  g_hash_table_iter_init (&iter, self->uploads);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (all, value);
  g_ptr_array_sort (all, compare_serials);
  if (stb_page_compute (call, all->len, &page)) {
    GString *out = g_string_sized_new (256 + page.n * 512);

    stb_page_begin (call, out, &page);
    for (guint64 i = 0; i < page.n; i++) {
      if (i)
        g_string_append_c (out, ',');
      stb_write_upload (self, out, g_ptr_array_index (all, page.offset + i),
          call->upload_base, call->media_base);
    }
    stb_page_end (out);
    stb_respond (call->msg, SOUP_STATUS_OK, out);
  }
  g_mutex_unlock (&self->lock);
}
