/* libsynapse: a GObject client for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* What lives here: the public call that fetches one file into memory,
 * synapse_client_fetch_file () and its _async twin. The download itself
 * (decoding, counting, hashing, the cache folder) is synapse-download.c's;
 * the retries and the credentials, the request core's. */

#include "config.h"

#include "synapse-download.h"
#include "synapse-error.h"
#include "synapse-file-fetch.h"
#include "synapse-task.h"

typedef struct
{
  char *url;
  gint64 size;
  char *checksum;
  char *cache_dir;
  guint64 max_size;
} FetchArgs;

static void
fetch_args_free (FetchArgs * args)
{
  g_free (args->url);
  g_free (args->checksum);
  g_free (args->cache_dir);
  g_free (args);
}

/* What the async twin hands to its finish. */
typedef struct
{
  GBytes *bytes;
  char *content_type;
} FetchedFile;

static void
fetched_file_free (FetchedFile * file)
{
  g_bytes_unref (file->bytes);
  g_free (file->content_type);
  g_free (file);
}

static gboolean
check_url (const char *url, GError ** error)
{
  if (synapse_is_http_url (url))
    return TRUE;
  g_set_error (error, SYNAPSE_CLIENT_ERROR,
      SYNAPSE_CLIENT_ERROR_INVALID_ARGUMENT,
      "A file URL must be an http(s) URL with a host");
  return FALSE;
}

/**
 * synapse_client_fetch_file:
 * @self: a [class@Synapse.Client]
 * @url: the file's http(s) URL, such as the `url` of an entry of an
 *   event's `data_unit.files`
 * @size: the size in bytes the event declares for the file, or -1
 * @checksum: (nullable): the checksum the event declares: MD5, SHA-1,
 *   SHA-256 or SHA-512 in hex, alone or as `name:hex`
 * @cache_dir: (nullable) (type filename): a cache folder, as
 *   [ctor@Synapse.UrlConversion.new_download]'s: the file is taken from
 *   there when it is there and right, and kept there otherwise
 * @max_size: the largest file taken, in bytes after any gzip or deflate
 *   `Content-Encoding` is decoded; 0 for no limit
 * @content_type: (out) (optional) (nullable) (transfer full): the media
 *   type of the response's `Content-Type` (without its parameters), or
 *   %NULL when it gave none or the file came from @cache_dir
 * @cancellable: (nullable): a [class@Gio.Cancellable]
 * @error: return location for a [struct@GLib.Error]
 *
 * Fetches one file whole into memory, as an event's data unit declares it.
 * It is retried like any request (a broken connection, a body cut short
 * before its `Content-Length` or its compressed end, HTTP 429 or 5xx),
 * redirects are followed, and the credentials go only to the client's
 * base URL's origin, never to a file host elsewhere (presigned URLs need
 * none). A file that ends short of @size after the retries, is longer, or
 * does not match @checksum fails with %SYNAPSE_CLIENT_ERROR_CHECKSUM;
 * one larger than @max_size with %SYNAPSE_CLIENT_ERROR_FILE_TOO_LARGE.
 * The file is held in memory once: the bytes returned are the ones
 * received.
 *
 * Returns: (transfer full): the file's bytes, or %NULL with @error set
 *
 * Since: 0.1
 */
GBytes *
synapse_client_fetch_file (SynapseClient * self, const char *url,
    gint64 size, const char *checksum, const char *cache_dir,
    guint64 max_size, char **content_type, GCancellable * cancellable,
    GError ** error)
{
  g_return_val_if_fail (SYNAPSE_IS_CLIENT (self), NULL);
  g_return_val_if_fail (url != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (content_type)
    *content_type = NULL;
  if (!check_url (url, error))
    return NULL;
  return synapse_download_fetch (self, url, cache_dir, size, checksum,
      max_size, content_type, cancellable, error);
}

static gpointer
fetch_file_run (gpointer source, gpointer data, GCancellable * cancellable,
    GError ** error)
{
  FetchArgs *args = data;
  FetchedFile *file = g_new0 (FetchedFile, 1);

  if (check_url (args->url, error))
    file->bytes = synapse_download_fetch (SYNAPSE_CLIENT (source), args->url,
        args->cache_dir, args->size, args->checksum, args->max_size,
        &file->content_type, cancellable, error);
  if (file->bytes == NULL) {
    g_free (file->content_type);
    g_free (file);
    return NULL;
  }
  return file;
}

/**
 * synapse_client_fetch_file_async:
 * @self: a [class@Synapse.Client]
 * @url: the file's http(s) URL
 * @size: the size the event declares, or -1
 * @checksum: (nullable): the checksum the event declares
 * @cache_dir: (nullable) (type filename): a cache folder
 * @max_size: the largest file taken, 0 for no limit
 * @cancellable: (nullable): a [class@Gio.Cancellable]
 * @callback: (scope async): called when the file is there
 * @user_data: data for @callback
 *
 * Fetches one file without blocking, as
 * [method@Synapse.Client.fetch_file] does, in one of the client's workers
 * ([property@Synapse.Client:worker-threads]): several such calls fetch
 * several files at once, each on a connection of the client's session.
 *
 * Since: 0.1
 */
void
synapse_client_fetch_file_async (SynapseClient * self, const char *url,
    gint64 size, const char *checksum, const char *cache_dir,
    guint64 max_size, GCancellable * cancellable,
    GAsyncReadyCallback callback, gpointer user_data)
{
  FetchArgs *args;

  g_return_if_fail (SYNAPSE_IS_CLIENT (self));
  g_return_if_fail (url != NULL);

  args = g_new0 (FetchArgs, 1);
  args->url = g_strdup (url);
  args->size = size;
  args->checksum = g_strdup (checksum);
  args->cache_dir = g_strdup (cache_dir);
  args->max_size = max_size;
  synapse_task_run (self, self, synapse_client_fetch_file_async,
      fetch_file_run, args, (GDestroyNotify) fetch_args_free,
      (GDestroyNotify) fetched_file_free, cancellable, callback, user_data);
}

/**
 * synapse_client_fetch_file_finish:
 * @self: a [class@Synapse.Client]
 * @result: the [iface@Gio.AsyncResult] given to the callback
 * @content_type: (out) (optional) (nullable) (transfer full): the media
 *   type of the response's `Content-Type`, or %NULL
 * @error: return location for a [struct@GLib.Error]
 *
 * Finishes [method@Synapse.Client.fetch_file_async].
 *
 * Returns: (transfer full): the file's bytes, or %NULL with @error set
 *
 * Since: 0.1
 */
GBytes *
synapse_client_fetch_file_finish (SynapseClient * self, GAsyncResult * result,
    char **content_type, GError ** error)
{
  FetchedFile *file = synapse_task_finish (self, result,
      synapse_client_fetch_file_async, error);
  GBytes *bytes;

  if (content_type)
    *content_type = NULL;
  if (file == NULL)
    return NULL;
  bytes = g_steal_pointer (&file->bytes);
  if (content_type)
    *content_type = g_steal_pointer (&file->content_type);
  fetched_file_free (file);
  return bytes;
}
