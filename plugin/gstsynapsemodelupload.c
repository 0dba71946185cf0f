/* GStreamer elements for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* What lives here: the upload worker of synapsemodelsink, the structure
 * of the sink. The element (gstsynapsemodelsink.c) checks the stream and
 * decides when it ends; this file moves the bytes and makes the model.
 *
 * - One upload a run, made at start () with the run's client and model
 *   fields, freed at stop ().
 * - At the first buffer, gst_synapse_model_upload_begin () learns the
 *   file's name and size. A known size starts the worker at once: render
 *   () (gst_synapse_model_upload_write ()) copies each buffer into the
 *   chunk it fills, and hands a full chunk to the worker once the worker
 *   has sent the one before, so that two chunks are held whatever the
 *   file's size (the one going out, the next one arriving), and the two
 *   threads meet once a chunk, not once a buffer. An unknown size spools
 *   the bytes to an unlinked temporary file instead; the worker starts at
 *   EOS, when the size is known, and reads the file back.
 * - At EOS, gst_synapse_model_upload_commit () lets the worker complete
 *   the upload and create the model, and waits for it: EOS reaches the
 *   application only once the model exists.
 * - The worker is a thread of its own so that pausing the pipeline (the
 *   base class's unlock ()) never touches a request in flight: unlock ()
 *   only makes the streaming thread's waits give way to
 *   gst_base_sink_wait_preroll (). Only a flush, a failure or stopping
 *   (PAUSED to READY) cancels it, and every request and wait of the
 *   worker takes that cancellable, so it ends at once.
 * - The worker posts its failures as they happen, the upload's progress
 *   (the `synapse-upload-progress` element message and the `upload`
 *   progress operation) and the warnings about uploads the backend may
 *   keep; gst_synapse_model_upload_abandon () says what became of an
 *   upload stopped before EOS.
 *
 * Locking: @lock guards the hand-over (the full chunk, the spare one,
 * flags, result) between the streaming thread and the worker; the
 * streaming thread alone fills its chunk, and the worker alone uses the
 * chunked upload while it runs.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "gstsynapsemodelupload.h"
#include "gstsynapseerror.h"
#include "gstsynapseprogress.h"

/* the element's category: the worker logs as the sink */
GST_DEBUG_CATEGORY_EXTERN (gst_synapse_model_sink_debug);
#define GST_CAT_DEFAULT gst_synapse_model_sink_debug

#define PROGRESS_CODE "upload"
/* at most this many progress messages a second */
#define PROGRESS_RATE 4
/* the piece read from the temporary file at a time, at most */
#define SPOOL_READ_SIZE (1024 * 1024)

struct _GstSynapseModelUpload
{
  GstBaseSink *sink;            /* which owns the upload */
  SynapseClient *client;
  JsonObject *model;            /* the fields of POST models/, checked */
  gsize chunk_size;
  gchar *name;                  /* the name the backend stores the file under */
  gint spool_fd;                /* the temporary file, or -1 */
  guint64 spooled;              /* bytes written to it */
  GstSynapseProgress progress;
  GByteArray *filling;          /* the streaming thread's chunk, or NULL */

  /* The worker's, once it runs (before, the streaming thread's). */
  SynapseChunkedUpload *upload;
  guint orphans;                /* uploads told of as possibly left behind */
  gint64 last_progress;         /* monotonic time of the last message */

  /* Guarded by lock. */
  GMutex lock;
  GCond cond;
  GThread *worker;
  GCancellable *cancellable;
  GByteArray *full;             /* handed over, until the worker sent it */
  GByteArray *spare;            /* sent, for the streaming thread to fill */
  gboolean eos;                 /* no more buffers: finish, create */
  gboolean ended;               /* the worker has ended */
  gboolean failed;              /* and posted an error */
  JsonObject *created;          /* its result: the model */
  gboolean creating;            /* POST models/ was sent */
  gboolean unlocked;            /* unlock (): the waits must give way */
  guint64 sent;                 /* bytes the backend acknowledged */
  guint64 total;                /* of the upload, once it exists */
};

/* Posts a failure of the upload's own (no request involved); the upload
 * is given up. */
#define UPLOAD_ERROR(upload, code, text, debug) G_STMT_START {          \
  gst_synapse_model_upload_give_up (upload);                            \
  GST_ELEMENT_ERROR ((upload)->sink, RESOURCE, code, text, debug);      \
} G_STMT_END

/**
 * gst_synapse_model_upload_new:
 * @sink: the sink, which posts the upload's messages
 * @client: (transfer full): the run's client
 * @model: (transfer full): the fields of `POST models/` but
 *   `chunked_upload`
 * @chunk_size: bytes a request
 *
 * Returns: (transfer full): the run's upload, not begun
 */
GstSynapseModelUpload *
gst_synapse_model_upload_new (GstBaseSink * sink, SynapseClient * client,
    JsonObject * model, gsize chunk_size)
{
  GstSynapseModelUpload *upload = g_new0 (GstSynapseModelUpload, 1);

  upload->sink = sink;
  upload->client = client;
  upload->model = model;
  upload->chunk_size = chunk_size;
  upload->spool_fd = -1;
  gst_synapse_progress_init (&upload->progress, GST_ELEMENT (sink),
      PROGRESS_CODE);
  g_mutex_init (&upload->lock);
  g_cond_init (&upload->cond);
  return upload;
}

/**
 * gst_synapse_model_upload_free:
 * @upload: the run's upload
 *
 * Ends the worker, if any, and frees everything (the spool's space too).
 */
void
gst_synapse_model_upload_free (GstSynapseModelUpload * upload)
{
  gst_synapse_model_upload_join (upload);
  g_clear_object (&upload->upload);
  g_clear_object (&upload->client);
  g_clear_pointer (&upload->model, json_object_unref);
  g_clear_pointer (&upload->created, json_object_unref);
  g_free (upload->name);
  g_clear_pointer (&upload->filling, g_byte_array_unref);
  g_clear_pointer (&upload->full, g_byte_array_unref);
  g_clear_pointer (&upload->spare, g_byte_array_unref);
  /* the file has no name: closing it frees its space */
  if (upload->spool_fd >= 0)
    close (upload->spool_fd);
  g_mutex_clear (&upload->lock);
  g_cond_clear (&upload->cond);
  g_free (upload);
}

/**
 * gst_synapse_model_upload_get_name:
 * @upload: the upload
 *
 * Returns: (nullable): the name the backend stores the file under, once
 *   begun
 */
const gchar *
gst_synapse_model_upload_get_name (GstSynapseModelUpload * upload)
{
  return upload->name;
}

/* --- progress ----------------------------------------------------------- */

static gint
percent_of (guint64 part, guint64 whole)
{
  if (whole == 0)
    return -1;
  return (gint) MIN (100, part * 100 / whole);
}

/* Called by the chunked upload after each stored chunk, from the worker. */
static void
gst_synapse_model_upload_progress (guint64 sent, guint64 total,
    gpointer user_data)
{
  GstSynapseModelUpload *upload = user_data;
  gint64 now = g_get_monotonic_time ();
  guint chunk = (guint) ((sent + upload->chunk_size - 1) / upload->chunk_size);
  GstStructure *s;

  GST_LOG_OBJECT (upload->sink, "%" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
      " bytes stored", sent, total);
  g_mutex_lock (&upload->lock);
  upload->sent = sent;
  upload->total = total;
  g_mutex_unlock (&upload->lock);
  /* a few a second, and always the last one */
  if (sent < total && upload->last_progress != 0
      && now - upload->last_progress < G_USEC_PER_SEC / PROGRESS_RATE)
    return;
  upload->last_progress = now;

  s = gst_structure_new ("synapse-upload-progress",
      "bytes-sent", G_TYPE_UINT64, sent, "total", G_TYPE_UINT64, total,
      "chunk", G_TYPE_UINT, chunk, NULL);
  gst_element_post_message (GST_ELEMENT (upload->sink),
      gst_message_new_element (GST_OBJECT (upload->sink), s));
  if (gst_synapse_progress_is_active (&upload->progress))
    gst_synapse_progress_continue (&upload->progress, percent_of (sent, total),
        "Uploaded %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " bytes of %s",
        sent, total, upload->name);
}

/* Posts the end of the upload's progress, once, from either thread. */
static void
gst_synapse_model_upload_end_progress (GstSynapseModelUpload * upload,
    GstProgressType type, const gchar * text)
{
  guint64 sent, total;

  g_mutex_lock (&upload->lock);
  sent = upload->sent;
  total = upload->total;
  g_mutex_unlock (&upload->lock);
  gst_synapse_progress_end (&upload->progress, type,
      type == GST_PROGRESS_TYPE_COMPLETE ? 100 : percent_of (sent, total),
      "%s", text);
}

/**
 * gst_synapse_model_upload_complete:
 * @upload: the upload, whose model was created
 * @text: the message for people
 *
 * Completes the upload's progress operation.
 */
void
gst_synapse_model_upload_complete (GstSynapseModelUpload * upload,
    const gchar * text)
{
  gst_synapse_model_upload_end_progress (upload, GST_PROGRESS_TYPE_COMPLETE,
      text);
}

/* --- failures ----------------------------------------------------------- */

/* Posts a failed request as the element's error: @what says which step
 * failed, the library's error how. */
static void
gst_synapse_model_upload_fail (GstSynapseModelUpload * upload,
    const GError * error, const gchar * what)
{
  g_autofree gchar *how = NULL;
  g_autofree gchar *text = NULL;

  GST_WARNING_OBJECT (upload->sink, "%s: %s", what, error->message);
  gst_synapse_model_upload_end_progress (upload, GST_PROGRESS_TYPE_ERROR, what);
  how = gst_synapse_describe_client_error (GST_ELEMENT (upload->sink), error);
  text = g_strdup_printf ("%s. %s", what, how);
  GST_SYNAPSE_ELEMENT_CLIENT_ERROR (upload->sink, error,
      GST_RESOURCE_ERROR_WRITE, text);
}

/**
 * gst_synapse_model_upload_cancel:
 * @upload: the upload
 *
 * Stops the worker, which ends as soon as it can: the upload is given up
 * (a flush, a failure, stopping).
 */
void
gst_synapse_model_upload_cancel (GstSynapseModelUpload * upload)
{
  g_mutex_lock (&upload->lock);
  if (upload->cancellable)
    g_cancellable_cancel (upload->cancellable);
  g_cond_broadcast (&upload->cond);
  g_mutex_unlock (&upload->lock);
}

/**
 * gst_synapse_model_upload_give_up:
 * @upload: the upload
 *
 * Cancels the upload and ends its progress as an ERROR, for a failure
 * the element posts itself.
 */
void
gst_synapse_model_upload_give_up (GstSynapseModelUpload * upload)
{
  gst_synapse_model_upload_cancel (upload);
  gst_synapse_model_upload_end_progress (upload, GST_PROGRESS_TYPE_ERROR,
      "The upload failed");
}

/* --- the spool ---------------------------------------------------------- */

/* A temporary file without a name: it disappears when closed. */
static gint
open_spool (GError ** error)
{
  g_autofree gchar *path = NULL;
  gint fd = g_file_open_tmp ("synapsemodelsink-XXXXXX", &path, error);

  if (fd < 0)
    return -1;
  g_unlink (path);
  fcntl (fd, F_SETFD, FD_CLOEXEC);
  return fd;
}

static gboolean
spool_write (GstSynapseModelUpload * upload, const guint8 * data, gsize size)
{
  while (size > 0) {
    gssize n = write (upload->spool_fd, data, size);

    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      int saved_errno = errno;

      if (saved_errno == ENOSPC)
        UPLOAD_ERROR (upload, NO_SPACE_LEFT,
            ("No space left for the temporary file that holds the model "
                "until its size is known (set TMPDIR to a larger place)."),
            ("after %" G_GUINT64_FORMAT " bytes", upload->spooled));
      else
        UPLOAD_ERROR (upload, WRITE,
            ("Could not write the temporary file that holds the model until "
                "its size is known."), ("after %" G_GUINT64_FORMAT
                " bytes: %s", upload->spooled, g_strerror (saved_errno)));
      return FALSE;
    }
    data += n;
    size -= n;
  }
  return TRUE;
}

/* --- the worker --------------------------------------------------------- */

/* Tells of uploads the backend may keep besides this one, once each: the
 * answer to the first chunk was lost and the upload it made could not be
 * found again. From the worker. */
static void
gst_synapse_model_upload_warn_orphans (GstSynapseModelUpload * upload)
{
  guint orphans = synapse_chunked_upload_get_orphans (upload->upload);

  if (orphans <= upload->orphans)
    return;
  upload->orphans = orphans;
  GST_ELEMENT_WARNING (upload->sink, RESOURCE, WRITE,
      ("The backend's answer to the first chunk of %s was lost and the "
          "upload it made could not be found again: the upload went on as a "
          "new one, and the backend may keep %u unfinished upload%s of %s "
          "besides it (never completed, they expire).", upload->name,
          orphans, orphans > 1 ? "s" : "", upload->name), (NULL));
}

/* Makes the chunked upload of @size bytes. */
static void
gst_synapse_model_upload_set_size (GstSynapseModelUpload * upload, guint64 size)
{
  upload->upload = synapse_chunked_upload_new (upload->client, upload->name,
      size, upload->chunk_size);
  synapse_chunked_upload_set_progress_func (upload->upload,
      gst_synapse_model_upload_progress, upload, NULL);
  g_mutex_lock (&upload->lock);
  upload->total = size;
  g_mutex_unlock (&upload->lock);
}

/* Uploads the spooled file, now that its size is known. */
static gboolean
gst_synapse_model_upload_spool (GstSynapseModelUpload * upload,
    GCancellable * cancellable, GError ** error)
{
  gsize piece = MIN (upload->chunk_size, SPOOL_READ_SIZE);
  g_autofree guint8 *data = g_malloc (piece);
  guint64 left = upload->spooled;

  gst_synapse_model_upload_set_size (upload, upload->spooled);
  GST_INFO_OBJECT (upload->sink, "uploading the %" G_GUINT64_FORMAT
      " spooled bytes of %s", upload->spooled, upload->name);
  gst_synapse_progress_continue (&upload->progress, 0,
      "Uploading %s (%" G_GUINT64_FORMAT " bytes) to %s", upload->name,
      upload->spooled, synapse_client_get_base_url (upload->client));

  if (lseek (upload->spool_fd, 0, SEEK_SET) < 0) {
    int saved_errno = errno;

    g_set_error (error, SYNAPSE_CLIENT_ERROR, SYNAPSE_CLIENT_ERROR_IO,
        "Cannot read the temporary file back: %s", g_strerror (saved_errno));
    return FALSE;
  }
  while (left > 0) {
    gssize n = read (upload->spool_fd, data, MIN (piece, left));
    gboolean written;

    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      int saved_errno = errno;

      g_set_error (error, SYNAPSE_CLIENT_ERROR, SYNAPSE_CLIENT_ERROR_IO,
          "Cannot read the temporary file back: %s",
          n == 0 ? "it became shorter" : g_strerror (saved_errno));
      return FALSE;
    }
    written = synapse_chunked_upload_write (upload->upload, data, n,
        cancellable, error);
    gst_synapse_model_upload_warn_orphans (upload);
    if (!written)
      return FALSE;
    left -= n;
  }
  return TRUE;
}

/* Sends the chunks render () hands over, until EOS. Each is written
 * whole, which the chunked upload sends without a copy (all but the last,
 * shorter one); the chunk then goes back to render () to be filled again:
 * it took the spare one at the hand-over. */
static gboolean
gst_synapse_model_upload_queue (GstSynapseModelUpload * upload,
    GCancellable * cancellable, GError ** error)
{
  for (;;) {
    GByteArray *chunk;
    g_autoptr (GBytes) bytes = NULL;
    gboolean written;

    g_mutex_lock (&upload->lock);
    while (upload->full == NULL && !upload->eos
        && !g_cancellable_is_cancelled (cancellable))
      g_cond_wait (&upload->cond, &upload->lock);
    chunk = upload->full;
    g_mutex_unlock (&upload->lock);

    if (g_cancellable_set_error_if_cancelled (cancellable, error))
      return FALSE;
    if (chunk == NULL)
      return TRUE;
    /* blocks while the chunk goes out */
    bytes = g_bytes_new_static (chunk->data, chunk->len);
    written = synapse_chunked_upload_write_bytes (upload->upload, bytes,
        cancellable, error);
    gst_synapse_model_upload_warn_orphans (upload);

    g_mutex_lock (&upload->lock);
    upload->full = NULL;
    g_byte_array_set_size (chunk, 0);
    if (!upload->eos)
      upload->spare = chunk;
    else
      g_byte_array_unref (chunk);
    /* room for render () */
    g_cond_broadcast (&upload->cond);
    g_mutex_unlock (&upload->lock);
    if (!written)
      return FALSE;
  }
}

/* Completes the upload and creates the model; NULL when cancelled or
 * when it failed, *failed telling which (an error is posted then). */
static JsonObject *
gst_synapse_model_upload_create (GstSynapseModelUpload * upload,
    GCancellable * cancellable, gboolean * failed)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) done = NULL;
  g_autoptr (JsonObject) model = NULL;
  JsonNode *model_id;

  done = synapse_chunked_upload_complete (upload->upload, cancellable, &error);
  gst_synapse_model_upload_warn_orphans (upload);
  if (done == NULL) {
    *failed = !gst_synapse_is_cancellation (error, cancellable);
    if (*failed)
      gst_synapse_model_upload_fail (upload, error, "The upload of the "
          "model failed");
    return NULL;
  }
  GST_INFO_OBJECT (upload->sink, "upload of %s complete (%" G_GUINT64_FORMAT
      " bytes, MD5 %s); creating the model", upload->name,
      synapse_chunked_upload_get_total_size (upload->upload),
      synapse_chunked_upload_get_md5 (upload->upload));

  g_mutex_lock (&upload->lock);
  upload->creating = TRUE;
  g_mutex_unlock (&upload->lock);
  /* never sent twice blindly by the library, which recovers a lost answer
   * when it can; when it cannot, the model may exist */
  model = synapse_client_create_model_from_upload (upload->client,
      upload->model, done, cancellable, &error);
  if (model == NULL) {
    *failed = !gst_synapse_is_cancellation (error, cancellable);
    if (*failed && synapse_client_error_outcome_unknown (error)) {
      JsonNode *id_node = json_object_get_member (done, "id");
      g_autofree gchar *upload_id = JSON_NODE_HOLDS_VALUE (id_node)
          && json_node_get_value_type (id_node) == G_TYPE_STRING
          ? g_strdup (json_node_get_string (id_node))
          : json_to_string (id_node, FALSE);
      g_autofree gchar *what = g_strdup_printf ("Creating the model from %s "
          "failed, but the model may exist all the same, made from upload "
          "%s: the backend's answer was lost and could not be recovered",
          upload->name, upload_id);

      gst_synapse_model_upload_fail (upload, error, what);
    } else if (*failed) {
      gst_synapse_model_upload_fail (upload, error, "The model could not be "
          "created");
    }
    return NULL;
  }
  model_id = json_object_get_member (model, "id");
  if (model_id == NULL || !JSON_NODE_HOLDS_VALUE (model_id)
      || json_node_get_value_type (model_id) != G_TYPE_INT64) {
    g_set_error (&error, SYNAPSE_CLIENT_ERROR, SYNAPSE_CLIENT_ERROR_PROTOCOL,
        "POST models/: the created model has no \"id\"");
    gst_synapse_model_upload_fail (upload, error, "The backend's account of "
        "the created model cannot be used");
    *failed = TRUE;
    return NULL;
  }
  return g_steal_pointer (&model);
}

/* The upload, in a thread of its own: the bytes, the completion, the
 * model. Failures are posted here, as they happen; a cancellation (the
 * element stops) posts nothing. */
static gpointer
gst_synapse_model_upload_worker (gpointer data)
{
  GstSynapseModelUpload *upload = data;
  GCancellable *cancellable = upload->cancellable;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) model = NULL;
  gboolean failed = FALSE;
  gboolean uploaded = upload->spool_fd >= 0
      ? gst_synapse_model_upload_spool (upload, cancellable, &error)
      : gst_synapse_model_upload_queue (upload, cancellable, &error);

  if (uploaded) {
    model = gst_synapse_model_upload_create (upload, cancellable, &failed);
  } else if (!gst_synapse_is_cancellation (error, cancellable)) {
    gst_synapse_model_upload_fail (upload, error, "The upload of the model "
        "failed");
    failed = TRUE;
  }

  g_mutex_lock (&upload->lock);
  upload->ended = TRUE;
  upload->failed = failed;
  upload->created = g_steal_pointer (&model);
  g_cond_broadcast (&upload->cond);
  g_mutex_unlock (&upload->lock);
  return NULL;
}

static gboolean
gst_synapse_model_upload_start_worker (GstSynapseModelUpload * upload)
{
  g_autoptr (GError) error = NULL;

  g_mutex_lock (&upload->lock);
  upload->cancellable = g_cancellable_new ();
  g_mutex_unlock (&upload->lock);
  upload->worker = g_thread_try_new ("synapse-upload",
      gst_synapse_model_upload_worker, upload, &error);
  if (upload->worker == NULL) {
    UPLOAD_ERROR (upload, FAILED, ("Could not start the upload."),
        ("%s", error->message));
    return FALSE;
  }
  return TRUE;
}

/**
 * gst_synapse_model_upload_join:
 * @upload: the upload
 *
 * Cancels the worker and waits for its end, which is prompt: every wait
 * and request of the upload takes the cancellable.
 */
void
gst_synapse_model_upload_join (GstSynapseModelUpload * upload)
{
  if (upload->worker == NULL)
    return;
  gst_synapse_model_upload_cancel (upload);
  g_thread_join (g_steal_pointer (&upload->worker));
  g_mutex_lock (&upload->lock);
  g_clear_object (&upload->cancellable);
  g_mutex_unlock (&upload->lock);
}

/**
 * gst_synapse_model_upload_has_failed:
 * @upload: the upload
 *
 * Returns: whether the worker ended with an error it posted
 */
gboolean
gst_synapse_model_upload_has_failed (GstSynapseModelUpload * upload)
{
  gboolean failed;

  g_mutex_lock (&upload->lock);
  failed = upload->failed;
  g_mutex_unlock (&upload->lock);
  return failed;
}

/* Waits on the worker for as long as @until says, from the streaming
 * thread (the preroll lock held): when the base class pauses or stops it
 * (unlock ()), the wait gives way to gst_base_sink_wait_preroll (), as
 * the base class wants, and goes on when it returns GST_FLOW_OK (back to
 * PLAYING). Returns what it returned otherwise (flushing); the lock is
 * held on return. */
static GstFlowReturn
gst_synapse_model_upload_wait (GstSynapseModelUpload * upload,
    gboolean (*until) (GstSynapseModelUpload * upload))
{
  while (!until (upload)) {
    if (upload->unlocked) {
      GstFlowReturn ret;

      g_mutex_unlock (&upload->lock);
      ret = gst_base_sink_wait_preroll (upload->sink);
      g_mutex_lock (&upload->lock);
      if (ret != GST_FLOW_OK)
        return ret;
      continue;
    }
    g_cond_wait (&upload->cond, &upload->lock);
  }
  return GST_FLOW_OK;
}

static gboolean
has_room (GstSynapseModelUpload * upload)
{
  /* the worker holds one chunk at most; render () fills the next one */
  return upload->full == NULL || upload->ended;
}

static gboolean
worker_ended (GstSynapseModelUpload * upload)
{
  return upload->ended;
}

/**
 * gst_synapse_model_upload_unlock:
 * @upload: the upload
 *
 * The sink's unlock (): interrupts the waits of render () and EOS, which
 * then wait in gst_base_sink_wait_preroll () as the base class wants;
 * the upload goes on (pausing must not lose it).
 */
void
gst_synapse_model_upload_unlock (GstSynapseModelUpload * upload)
{
  g_mutex_lock (&upload->lock);
  upload->unlocked = TRUE;
  g_cond_broadcast (&upload->cond);
  g_mutex_unlock (&upload->lock);
}

/**
 * gst_synapse_model_upload_unlock_stop:
 * @upload: the upload
 *
 * The sink's unlock_stop (): the waits are waits again.
 */
void
gst_synapse_model_upload_unlock_stop (GstSynapseModelUpload * upload)
{
  g_mutex_lock (&upload->lock);
  upload->unlocked = FALSE;
  g_mutex_unlock (&upload->lock);
}

/* --- the stream --------------------------------------------------------- */

/**
 * gst_synapse_model_upload_begin:
 * @upload: the run's upload
 * @name: the name the backend stores the file under
 * @size: the file's size, or 0 when upstream cannot tell
 *
 * Decides, at the first buffer, how the file goes out: uploaded as it
 * arrives when its size is known, else spooled. Starts the progress
 * operation.
 *
 * Returns: %FALSE after posting an error
 */
gboolean
gst_synapse_model_upload_begin (GstSynapseModelUpload * upload,
    const gchar * name, guint64 size)
{
  g_autoptr (GError) error = NULL;

  upload->name = g_strdup (name);
  if (size > 0) {
    gst_synapse_model_upload_set_size (upload, size);
    GST_INFO_OBJECT (upload->sink, "uploading %s (%" G_GUINT64_FORMAT
        " bytes) as it arrives", name, size);
    gst_synapse_progress_start (&upload->progress, 0,
        "Uploading %s (%" G_GUINT64_FORMAT " bytes) to %s", name, size,
        synapse_client_get_base_url (upload->client));
    return gst_synapse_model_upload_start_worker (upload);
  }

  upload->spool_fd = open_spool (&error);
  if (upload->spool_fd < 0) {
    UPLOAD_ERROR (upload, OPEN_WRITE,
        ("Could not make a temporary file to hold the model until its size "
            "is known."), ("%s", error->message));
    return FALSE;
  }
  GST_INFO_OBJECT (upload->sink, "the size of %s is not known: spooling it "
      "to a temporary file until EOS", name);
  gst_synapse_progress_start (&upload->progress, -1,
      "Keeping %s in a temporary file until its size is known, then "
      "uploading it to %s", name, synapse_client_get_base_url (upload->client));
  return TRUE;
}

/* Hands the chunk being filled to the worker once it has room for it:
 * it has sent the one before. */
static GstFlowReturn
gst_synapse_model_upload_hand_over (GstSynapseModelUpload * upload)
{
  GstFlowReturn ret;
  gboolean failed;

  g_mutex_lock (&upload->lock);
  ret = gst_synapse_model_upload_wait (upload, has_room);
  if (ret != GST_FLOW_OK) {
    g_mutex_unlock (&upload->lock);
    GST_DEBUG_OBJECT (upload->sink, "stopped while waiting for room: %s",
        gst_flow_get_name (ret));
    return ret;
  }
  if (!upload->ended) {
    upload->full = g_steal_pointer (&upload->filling);
    upload->filling = g_steal_pointer (&upload->spare);
    g_cond_broadcast (&upload->cond);
    g_mutex_unlock (&upload->lock);
    return GST_FLOW_OK;
  }
  failed = upload->failed;
  g_mutex_unlock (&upload->lock);
  /* it posted its error; else it was cancelled, by a flush or a stop */
  return failed ? GST_FLOW_ERROR : GST_FLOW_FLUSHING;
}

/* Whether the worker has ended: render () stops at once then, not at the
 * next hand-over. */
static GstFlowReturn
gst_synapse_model_upload_check_worker (GstSynapseModelUpload * upload)
{
  GstFlowReturn ret = GST_FLOW_OK;

  g_mutex_lock (&upload->lock);
  if (upload->ended)
    ret = upload->failed ? GST_FLOW_ERROR : GST_FLOW_FLUSHING;
  g_mutex_unlock (&upload->lock);
  return ret;
}

/* Copies @data into the chunks, handing each to the worker when full. */
static GstFlowReturn
gst_synapse_model_upload_fill (GstSynapseModelUpload * upload,
    const guint8 * data, gsize size)
{
  GstFlowReturn ret = gst_synapse_model_upload_check_worker (upload);
  guint64 total = synapse_chunked_upload_get_total_size (upload->upload);

  while (ret == GST_FLOW_OK && size > 0) {
    gsize take;

    /* sized once: a chunk is mapped, and costs memory as it is filled */
    if (upload->filling == NULL)
      upload->filling = g_byte_array_sized_new (MIN (upload->chunk_size,
              total));
    take = MIN (upload->chunk_size - upload->filling->len, size);
    g_byte_array_append (upload->filling, data, take);
    data += take;
    size -= take;
    if (upload->filling->len == upload->chunk_size)
      ret = gst_synapse_model_upload_hand_over (upload);
  }
  return ret;
}

/**
 * gst_synapse_model_upload_write:
 * @upload: the begun upload
 * @buffer: the next bytes of the file
 *
 * Spools @buffer, or copies it into the chunk being filled, handing a
 * full chunk to the worker once there is room for it (giving way to the
 * base class's waits meanwhile).
 *
 * Returns: %GST_FLOW_OK; %GST_FLOW_ERROR when an error was posted (here
 *   or by the worker); else the flow of a flush or a stop
 */
GstFlowReturn
gst_synapse_model_upload_write (GstSynapseModelUpload * upload,
    GstBuffer * buffer)
{
  GstMapInfo map;
  GstFlowReturn ret;
  gboolean written;

  if (!gst_buffer_map (buffer, &map, GST_MAP_READ)) {
    UPLOAD_ERROR (upload, WRITE, (NULL), ("Could not map a buffer"));
    return GST_FLOW_ERROR;
  }
  if (upload->spool_fd < 0) {
    ret = gst_synapse_model_upload_fill (upload, map.data, map.size);
    gst_buffer_unmap (buffer, &map);
    return ret;
  }
  written = spool_write (upload, map.data, map.size);
  gst_buffer_unmap (buffer, &map);
  if (!written)
    return GST_FLOW_ERROR;
  upload->spooled += map.size;
  return GST_FLOW_OK;
}

/**
 * gst_synapse_model_upload_commit:
 * @upload: the begun upload, all of whose bytes were written
 * @failed: (out): set when an error was posted
 *
 * Lets the worker complete the upload and create the model (a spooled
 * file is uploaded now), and waits for it, giving way to the base
 * class's waits meanwhile.
 *
 * Returns: (transfer full) (nullable): the model; %NULL after an error,
 *   or when the element is stopping
 */
JsonObject *
gst_synapse_model_upload_commit (GstSynapseModelUpload * upload,
    gboolean * failed)
{
  JsonObject *model;
  GstFlowReturn ret;

  *failed = FALSE;
  if (upload->spool_fd >= 0 && !gst_synapse_model_upload_start_worker (upload)) {
    *failed = TRUE;
    return NULL;
  }

  /* the last chunk, shorter; the spare one it leaves is not filled again */
  if (upload->filling && upload->filling->len > 0) {
    ret = gst_synapse_model_upload_hand_over (upload);
    if (ret != GST_FLOW_OK) {
      *failed = ret == GST_FLOW_ERROR;
      return NULL;
    }
  }
  g_clear_pointer (&upload->filling, g_byte_array_unref);
  g_mutex_lock (&upload->lock);
  upload->eos = TRUE;
  g_cond_broadcast (&upload->cond);
  ret = gst_synapse_model_upload_wait (upload, worker_ended);
  if (ret != GST_FLOW_OK) {
    g_mutex_unlock (&upload->lock);
    /* stopping: the state change ends the worker and says what became of
     * the upload */
    GST_DEBUG_OBJECT (upload->sink, "stopped while committing: %s",
        gst_flow_get_name (ret));
    return NULL;
  }
  *failed = upload->failed;
  model = g_steal_pointer (&upload->created);
  g_mutex_unlock (&upload->lock);
  return model;
}

/* --- stopping ----------------------------------------------------------- */

/* Says that an upload stopped before EOS was abandoned: on the bus, and
 * on the GLib log, which goes to stderr by default. The bus message is
 * posted while the bus still delivers (PAUSED to READY; the pipeline
 * flushes its bus at READY to NULL), but gst-launch-1.0 has stopped
 * reading its bus by then whichever way it ends (an interrupt without
 * -e, an error, EOS): it only sees errors, through its sync handler. */
static void
gst_synapse_model_upload_say_abandoned (GstSynapseModelUpload * upload,
    const gchar * text, const gchar * debug)
{
  g_autofree gchar *path =
      gst_object_get_path_string (GST_OBJECT (upload->sink));

  GST_ELEMENT_WARNING (upload->sink, RESOURCE, WRITE, ("%s", text), ("%s",
          debug));
  g_log ("synapsemodelsink", G_LOG_LEVEL_MESSAGE, "%s: %s", path, text);
}

/**
 * gst_synapse_model_upload_get_created_id:
 * @upload: the upload, whose worker has ended
 *
 * Returns: the id of the model the worker created and nobody took, or -1
 */
gint64
gst_synapse_model_upload_get_created_id (GstSynapseModelUpload * upload)
{
  return upload->created ? json_object_get_int_member (upload->created,
      "id") : -1;
}

/**
 * gst_synapse_model_upload_abandon:
 * @upload: the begun upload, whose worker has ended without an error and
 *   whose model was not committed
 * @received: the bytes the element received
 *
 * Says, as the element stops before EOS went on, how far the upload had
 * got: a model made in that very moment, a creation whose outcome is not
 * known, or an upload left to expire on the backend.
 */
void
gst_synapse_model_upload_abandon (GstSynapseModelUpload * upload,
    guint64 received)
{
  g_autofree gchar *text = NULL;
  g_autofree gchar *debug = NULL;

  if (upload->created) {
    gst_synapse_model_upload_end_progress (upload,
        GST_PROGRESS_TYPE_CANCELED,
        "Stopped before the end of the stream went on");
    text = g_strdup_printf ("Stopped before the end of the stream went on, "
        "but after model %" G_GINT64_FORMAT " had been created from %s.",
        gst_synapse_model_upload_get_created_id (upload), upload->name);
    gst_synapse_model_upload_say_abandoned (upload, text, "");
    return;
  }
  gst_synapse_model_upload_end_progress (upload, GST_PROGRESS_TYPE_CANCELED,
      "Stopped before the end of the stream: the upload was abandoned");
  if (upload->creating) {
    text = g_strdup_printf ("Stopped while the model was being created from "
        "the upload of %s: the backend may or may not have created it.",
        upload->name);
    debug = g_strdup ("");
  } else {
    text = g_strdup_printf ("Stopped before the end of the stream: the "
        "upload of %s was abandoned after %" G_GUINT64_FORMAT " bytes had "
        "been sent, and no model was created.", upload->name, upload->sent);
    debug = g_strdup_printf ("%" G_GUINT64_FORMAT " bytes received, %"
        G_GUINT64_FORMAT " stored by the backend%s", received, upload->sent,
        upload->spool_fd >= 0 ? " (the size was not known yet)" : "");
  }
  gst_synapse_model_upload_say_abandoned (upload, text, debug);
}
