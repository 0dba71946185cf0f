/* libsynapse: a GObject client for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Uploading a local file: the checks a file passes before any request
 * (a readable, non-empty regular file), and
 * synapse_client_create_chunked_upload () with its async twin, which feed
 * the file to a SynapseChunkedUpload a chunk at a time. The upload
 * protocol itself is synapse-chunked-upload.c's. */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "synapse-chunked-upload-private.h"
#include "synapse-error-private.h"
#include "synapse-file-upload.h"
#include "synapse-task.h"

/* Checked before any request, so bad input costs nothing. A file that
 * cannot be read (missing, not allowed, not a regular file) is an IO
 * error naming it; an empty one is refused as an argument. */
int
synapse_open_upload_file (const char *path, guint64 * size, GError ** error)
{
  struct stat info;
  int fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);

  if (fd < 0) {
    int saved_errno = errno;

    g_set_error (error, SYNAPSE_CLIENT_ERROR, SYNAPSE_CLIENT_ERROR_IO,
        "Cannot read %s: %s", path, g_strerror (saved_errno));
    if (error)
      synapse_client_error_set_path (*error, path);
    return -1;
  }
  if (fstat (fd, &info) < 0 || !S_ISREG (info.st_mode)) {
    g_set_error (error, SYNAPSE_CLIENT_ERROR, SYNAPSE_CLIENT_ERROR_IO,
        "Cannot read %s: not a regular file", path);
    if (error)
      synapse_client_error_set_path (*error, path);
    close (fd);
    return -1;
  }
  if (info.st_size == 0) {
    g_set_error (error, SYNAPSE_CLIENT_ERROR,
        SYNAPSE_CLIENT_ERROR_INVALID_ARGUMENT,
        "%s is empty: the backend cannot store an empty file", path);
    if (error)
      synapse_client_error_set_path (*error, path);
    close (fd);
    return -1;
  }
  *size = info.st_size;
  return fd;
}

typedef struct
{
  char *path;
  gsize chunk_size;
  SynapseProgressFunc progress;
  gpointer progress_data;
  GDestroyNotify progress_data_free;
} FileUploadArgs;

static void
file_upload_args_free (FileUploadArgs * args)
{
  if (args->progress_data_free)
    args->progress_data_free (args->progress_data);
  g_free (args->path);
  g_free (args);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FileUploadArgs, file_upload_args_free);

static FileUploadArgs *
file_upload_args_new (const char *path, gsize chunk_size,
    SynapseProgressFunc progress, gpointer progress_data,
    GDestroyNotify progress_data_free)
{
  FileUploadArgs *args = g_new0 (FileUploadArgs, 1);

  args->path = g_strdup (path);
  args->chunk_size = chunk_size;
  args->progress = progress;
  args->progress_data = progress_data;
  args->progress_data_free = progress_data_free;
  return args;
}

static gpointer
file_upload_run (gpointer source, gpointer data, GCancellable * cancellable,
    GError ** error)
{
  FileUploadArgs *args = data;
  g_autoptr (SynapseChunkedUpload) upload = NULL;
  JsonObject *finished;
  guint64 size = 0;
  gboolean written;
  guint orphans;
  int fd;

  fd = synapse_open_upload_file (args->path, &size, error);
  if (fd < 0)
    return NULL;

  upload = synapse_chunked_upload_new (SYNAPSE_CLIENT (source), args->path,
      size, args->chunk_size);
  synapse_chunked_upload_set_progress_func (upload, args->progress,
      args->progress_data, NULL);
  written = synapse_chunked_upload_write_from_fd (upload, fd, cancellable,
      error);
  close (fd);
  finished = written ? synapse_chunked_upload_complete (upload, cancellable,
      error) : NULL;
  /* the caller never sees the upload object: say it where it is seen */
  orphans = synapse_chunked_upload_get_orphans (upload);
  if (orphans > 0)
    g_message ("Upload of %s: the answer to its first chunk was lost and "
        "the upload it made could not be found again, so the backend may "
        "keep %u unfinished upload%s of it besides this one (they expire "
        "unused)", synapse_chunked_upload_get_filename (upload), orphans,
        orphans > 1 ? "s" : "");
  return finished;
}

/**
 * synapse_client_create_chunked_upload:
 * @self: a [class@Synapse.Client]
 * @path: a local file to upload
 * @chunk_size: bytes per chunk, or 0 for the client's
 *   [property@Synapse.Client:chunk-size]
 * @progress: (nullable) (scope call) (closure progress_data): told of the
 *   progress after each chunk
 * @progress_data: data for @progress
 * @cancellable: (nullable): a [class@Gio.Cancellable]
 * @error: return location for a [struct@GLib.Error]
 *
 * Uploads the file at @path with a [class@Synapse.ChunkedUpload], reading it a
 * chunk at a time. A file that is missing, unreadable or not a regular
 * file fails with %SYNAPSE_CLIENT_ERROR_IO, an empty one with
 * %SYNAPSE_CLIENT_ERROR_INVALID_ARGUMENT, before any request;
 * [func@Synapse.ClientError.get_path] names the file. Uploads that may have been left behind on the backend (see
 * [method@Synapse.ChunkedUpload.get_orphans]) are told of on the GLib log, as a
 * message of the `Synapse` domain.
 *
 * Returns: (transfer full): the completed upload (its `id` is what a
 *   model's `chunked_upload` takes), or %NULL with @error set
 *
 * Since: 0.1
 */
JsonObject *
synapse_client_create_chunked_upload (SynapseClient * self, const char *path,
    gsize chunk_size, SynapseProgressFunc progress, gpointer progress_data,
    GCancellable * cancellable, GError ** error)
{
  g_autoptr (FileUploadArgs) args = NULL;

  g_return_val_if_fail (SYNAPSE_IS_CLIENT (self), NULL);
  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  args = file_upload_args_new (path, chunk_size, progress, progress_data, NULL);
  return file_upload_run (self, args, cancellable, error);
}

/**
 * synapse_client_create_chunked_upload_async:
 * @self: a [class@Synapse.Client]
 * @path: a local file to upload
 * @chunk_size: bytes per chunk, or 0 for the client's
 *   [property@Synapse.Client:chunk-size]
 * @progress: (nullable) (scope notified) (closure progress_data)
 *   (destroy progress_data_free): told of the progress after each chunk,
 *   from a worker thread
 * @progress_data: data for @progress
 * @progress_data_free: frees @progress_data when the upload is over
 * @cancellable: (nullable): a [class@Gio.Cancellable]
 * @callback: (scope async): called when the upload is complete
 * @user_data: data for @callback
 *
 * Uploads a file as [method@Synapse.Client.create_chunked_upload] does, without
 * blocking.
 *
 * Since: 0.1
 */
void
synapse_client_create_chunked_upload_async (SynapseClient * self,
    const char *path, gsize chunk_size, SynapseProgressFunc progress,
    gpointer progress_data, GDestroyNotify progress_data_free,
    GCancellable * cancellable, GAsyncReadyCallback callback,
    gpointer user_data)
{
  g_return_if_fail (SYNAPSE_IS_CLIENT (self));
  g_return_if_fail (path != NULL);

  synapse_task_run (self, self, synapse_client_create_chunked_upload_async,
      file_upload_run, file_upload_args_new (path, chunk_size, progress,
          progress_data, progress_data_free),
      (GDestroyNotify) file_upload_args_free,
      (GDestroyNotify) json_object_unref, cancellable, callback, user_data);
}

/**
 * synapse_client_create_chunked_upload_finish:
 * @self: a [class@Synapse.Client]
 * @result: the [iface@Gio.AsyncResult] given to the callback
 * @error: return location for a [struct@GLib.Error]
 *
 * Finishes [method@Synapse.Client.create_chunked_upload_async].
 *
 * Returns: (transfer full): the completed upload, or %NULL with @error set
 *
 * Since: 0.1
 */
JsonObject *
synapse_client_create_chunked_upload_finish (SynapseClient * self,
    GAsyncResult * result, GError ** error)
{
  return synapse_task_finish (self, result,
      synapse_client_create_chunked_upload_async, error);
}
