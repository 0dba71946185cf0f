/* libsynapse: a GObject client for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SynapseUrlConversion:
 *
 * How the file URLs in results are rewritten: by a converter function
 * (URL → URL, e.g. a CDN host), or by downloading each file into a cache
 * folder and putting its local path in place of the URL.
 *
 * A conversion names the fields it applies to, as dot-separated paths
 * (`files`, `data_unit.files`, `file`); a field missing from a result is
 * skipped, and a path that crosses an array applies to each of its items.
 * A conversion made without fields applies to `file` and `files`, the
 * protocol's defaults (a model's file, an event's files).
 *
 * What a field holds decides what is converted: a string is one URL; an
 * object holding a `url` string is one file entry, whose `url` is
 * converted; any other object is converted entry by entry (a string entry
 * is a URL, an object entry with a `url` key is a file entry); an array is
 * converted item by item in the same way. When a file entry is downloaded,
 * its `url` is replaced by a `path` key, as the Python SDK does.
 *
 * Downloads are named `<md5 of the URL without its query><suffix>` inside
 * the cache folder and reused when present, so a name can never point
 * outside the folder whatever the URL says. They run several at a time
 * (#SynapseUrlConversion:max-downloads), are retried like any request,
 * are written under a temporary name and renamed when complete, and carry
 * the client's credentials only to the backend's own origin. Only http and
 * https URLs are downloaded; other strings are left as they are.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "synapse-url-conversion.h"
#include "synapse-private.h"

#define DEFAULT_MAX_DOWNLOADS 4
#define MAX_SUFFIX_LENGTH 16

static const char *const default_fields[] = { "file", "files", NULL };

struct _SynapseUrlConversion
{
  GObject parent_instance;

  GStrv fields;
  SynapseUrlConverter converter;
  gpointer converter_data;
  GDestroyNotify converter_data_free;
  char *directory;
  guint max_downloads;
};

G_DEFINE_FINAL_TYPE (SynapseUrlConversion, synapse_url_conversion,
    G_TYPE_OBJECT);

enum
{
  PROP_0,
  PROP_FIELDS,
  PROP_DIRECTORY,
  PROP_MAX_DOWNLOADS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
synapse_url_conversion_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  SynapseUrlConversion *self = SYNAPSE_URL_CONVERSION (object);

  switch (prop_id) {
    case PROP_FIELDS:
      g_strfreev (self->fields);
      self->fields = g_value_dup_boxed (value);
      break;
    case PROP_DIRECTORY:
      g_free (self->directory);
      self->directory = g_value_dup_string (value);
      break;
    case PROP_MAX_DOWNLOADS:
      self->max_downloads = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
synapse_url_conversion_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  SynapseUrlConversion *self = SYNAPSE_URL_CONVERSION (object);

  switch (prop_id) {
    case PROP_FIELDS:
      g_value_set_boxed (value, self->fields);
      break;
    case PROP_DIRECTORY:
      g_value_set_string (value, self->directory);
      break;
    case PROP_MAX_DOWNLOADS:
      g_value_set_uint (value, self->max_downloads);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
synapse_url_conversion_finalize (GObject * object)
{
  SynapseUrlConversion *self = SYNAPSE_URL_CONVERSION (object);

  if (self->converter_data_free)
    self->converter_data_free (self->converter_data);
  g_strfreev (self->fields);
  g_free (self->directory);

  G_OBJECT_CLASS (synapse_url_conversion_parent_class)->finalize (object);
}

static void
synapse_url_conversion_class_init (SynapseUrlConversionClass * klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->set_property = synapse_url_conversion_set_property;
  object_class->get_property = synapse_url_conversion_get_property;
  object_class->finalize = synapse_url_conversion_finalize;

  /**
   * SynapseUrlConversion:fields:
   *
   * The dot-separated paths of the fields to convert; %NULL for the
   * protocol's defaults, `file` and `files`.
   */
  properties[PROP_FIELDS] =
      g_param_spec_boxed ("fields", "Fields",
      "Dot-separated paths of the fields to convert (NULL: file, files)",
      G_TYPE_STRV,
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * SynapseUrlConversion:directory:
   *
   * The cache folder files are downloaded into; %NULL when the conversion
   * uses a converter function instead.
   */
  properties[PROP_DIRECTORY] =
      g_param_spec_string ("directory", "Directory",
      "Cache folder that files are downloaded into", NULL,
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * SynapseUrlConversion:max-downloads:
   *
   * How many files are downloaded at the same time.
   */
  properties[PROP_MAX_DOWNLOADS] =
      g_param_spec_uint ("max-downloads", "Maximum downloads",
      "Files downloaded at the same time", 1, 64, DEFAULT_MAX_DOWNLOADS,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
synapse_url_conversion_init (SynapseUrlConversion * self)
{
  self->max_downloads = DEFAULT_MAX_DOWNLOADS;
}

/**
 * synapse_url_conversion_new_converter:
 * @fields: (nullable) (array zero-terminated=1): the fields to convert, or
 *   %NULL for `file` and `files`
 * @converter: (scope notified) (closure user_data)
 *   (destroy user_data_free): the function that converts each URL
 * @user_data: data for @converter
 * @user_data_free: frees @user_data when the conversion is finalized
 *
 * A conversion that passes every string in @fields through @converter.
 *
 * Returns: (transfer full): a new #SynapseUrlConversion
 */
SynapseUrlConversion *
synapse_url_conversion_new_converter (const char *const *fields,
    SynapseUrlConverter converter, gpointer user_data,
    GDestroyNotify user_data_free)
{
  SynapseUrlConversion *self;

  g_return_val_if_fail (converter != NULL, NULL);

  self = g_object_new (SYNAPSE_TYPE_URL_CONVERSION, "fields", fields, NULL);
  self->converter = converter;
  self->converter_data = user_data;
  self->converter_data_free = user_data_free;
  return self;
}

/**
 * synapse_url_conversion_new_download:
 * @fields: (nullable) (array zero-terminated=1): the fields to convert, or
 *   %NULL for `file` and `files`
 * @directory: the cache folder, made when missing
 *
 * A conversion that downloads every http(s) URL in @fields into
 * @directory and replaces it by the local path.
 *
 * Returns: (transfer full): a new #SynapseUrlConversion
 */
SynapseUrlConversion *
synapse_url_conversion_new_download (const char *const *fields,
    const char *directory)
{
  g_return_val_if_fail (directory != NULL && *directory != '\0', NULL);

  return g_object_new (SYNAPSE_TYPE_URL_CONVERSION, "fields", fields,
      "directory", directory, NULL);
}

/**
 * synapse_url_conversion_get_fields:
 * @self: a #SynapseUrlConversion
 *
 * The fields the conversion applies to, as dot-separated paths.
 *
 * Returns: (transfer none) (nullable) (array zero-terminated=1): the
 *   fields converted, or %NULL for the defaults `file` and `files`
 */
const char *const *
synapse_url_conversion_get_fields (SynapseUrlConversion * self)
{
  g_return_val_if_fail (SYNAPSE_IS_URL_CONVERSION (self), NULL);

  return (const char *const *) self->fields;
}

/**
 * synapse_url_conversion_get_directory:
 * @self: a #SynapseUrlConversion
 *
 * The cache folder a downloading conversion puts files in.
 *
 * Returns: (transfer none) (nullable): the cache folder of a downloading
 *   conversion, or %NULL for a converter
 */
const char *
synapse_url_conversion_get_directory (SynapseUrlConversion * self)
{
  g_return_val_if_fail (SYNAPSE_IS_URL_CONVERSION (self), NULL);

  return self->directory;
}

/**
 * synapse_url_conversion_get_max_downloads:
 * @self: a #SynapseUrlConversion
 *
 * How many files the conversion downloads at the same time.
 *
 * Returns: how many files are downloaded at the same time
 */
guint
synapse_url_conversion_get_max_downloads (SynapseUrlConversion * self)
{
  g_return_val_if_fail (SYNAPSE_IS_URL_CONVERSION (self), 0);

  return self->max_downloads;
}

/**
 * synapse_url_conversion_set_max_downloads:
 * @self: a #SynapseUrlConversion
 * @max_downloads: files to download at the same time, at least 1
 *
 * Bounds the downloads that run at the same time.
 */
void
synapse_url_conversion_set_max_downloads (SynapseUrlConversion * self,
    guint max_downloads)
{
  g_return_if_fail (SYNAPSE_IS_URL_CONVERSION (self));

  g_object_set (self, "max-downloads", max_downloads, NULL);
}

/* The URL's file name suffix, when it is short and plain; anything else
 * (separators, encoded or not, dots, spaces) gives no suffix, so the cache
 * name stays a bare file name. */
static const char *
plain_suffix (const char *path)
{
  const char *base = strrchr (path, '/');
  const char *dot;

  base = base ? base + 1 : path;
  dot = strrchr (base, '.');
  if (dot == NULL || dot[1] == '\0' || strlen (dot) > MAX_SUFFIX_LENGTH + 1)
    return "";
  for (const char *c = dot + 1; *c; c++)
    if (!g_ascii_isalnum (*c))
      return "";
  return dot;
}

/**
 * synapse_url_conversion_get_cache_path:
 * @self: a downloading #SynapseUrlConversion
 * @url: a file URL
 *
 * Where @url is (or will be) downloaded: the cache folder, the MD5 of the
 * URL without its query or fragment, and the URL's suffix when it is a
 * short, plain one (`.jpg`).
 *
 * Returns: (transfer full) (nullable): the local path, or %NULL for a
 *   converter
 */
char *
synapse_url_conversion_get_cache_path (SynapseUrlConversion * self,
    const char *url)
{
  g_autofree char *without_query = NULL;
  g_autofree char *digest = NULL;
  g_autofree char *name = NULL;
  gsize length;

  g_return_val_if_fail (SYNAPSE_IS_URL_CONVERSION (self), NULL);
  g_return_val_if_fail (url != NULL, NULL);

  if (self->directory == NULL)
    return NULL;

  length = strcspn (url, "?#");
  without_query = g_strndup (url, length);
  digest = g_compute_checksum_for_string (G_CHECKSUM_MD5, without_query, -1);
  name = g_strconcat (digest, plain_suffix (without_query), NULL);
  return g_build_filename (self->directory, name, NULL);
}

/* Where one URL lives in a result: its string node, and the file entry
 * object holding it as `url` when it is one. */
typedef struct
{
  JsonNode *node;
  JsonObject *entry;
} Slot;

/* The slots found in some results; a node is taken once even when two
 * fields lead to it ("files" and "files.image"). */
typedef struct
{
  GArray *slots;
  GHashTable *seen;
} Collector;

static void
add_slot (Collector * collector, JsonNode * node, JsonObject * entry)
{
  Slot slot = { node, entry };

  if (g_hash_table_add (collector->seen, node))
    g_array_append_val (collector->slots, slot);
}

static gboolean
is_string_node (JsonNode * node)
{
  return JSON_NODE_HOLDS_VALUE (node)
      && json_node_get_value_type (node) == G_TYPE_STRING;
}

static JsonNode *
entry_url (JsonObject * object)
{
  JsonNode *url = json_object_get_member (object, "url");

  return url && is_string_node (url) ? url : NULL;
}

/* A string, or an object with a `url` string: one file. */
static gboolean
collect_file (Collector * collector, JsonNode * node)
{
  if (is_string_node (node)) {
    add_slot (collector, node, NULL);
    return TRUE;
  }
  if (JSON_NODE_HOLDS_OBJECT (node)) {
    JsonObject *object = json_node_get_object (node);
    JsonNode *url = entry_url (object);

    if (url) {
      add_slot (collector, url, object);
      return TRUE;
    }
  }
  return FALSE;
}

static void
collect_field_value (Collector * collector, JsonNode * value)
{
  if (collect_file (collector, value))
    return;

  if (JSON_NODE_HOLDS_OBJECT (value)) {
    JsonObjectIter iter;
    const char *name;
    JsonNode *member;

    json_object_iter_init_ordered (&iter, json_node_get_object (value));
    while (json_object_iter_next_ordered (&iter, &name, &member))
      collect_file (collector, member);
  } else if (JSON_NODE_HOLDS_ARRAY (value)) {
    JsonArray *array = json_node_get_array (value);

    for (guint i = 0; i < json_array_get_length (array); i++)
      collect_file (collector, json_array_get_element (array, i));
  }
}

static void
collect_path (Collector * collector, JsonNode * node, char **segments)
{
  if (*segments == NULL) {
    collect_field_value (collector, node);
    return;
  }
  if (JSON_NODE_HOLDS_OBJECT (node)) {
    JsonNode *member = json_object_get_member (json_node_get_object (node),
        *segments);

    if (member)
      collect_path (collector, member, segments + 1);
  } else if (JSON_NODE_HOLDS_ARRAY (node)) {
    JsonArray *array = json_node_get_array (node);

    for (guint i = 0; i < json_array_get_length (array); i++)
      collect_path (collector, json_array_get_element (array, i), segments);
  }
}

static gboolean
is_http_url (const char *url)
{
  return g_str_has_prefix (url, "http://")
      || g_str_has_prefix (url, "https://");
}

static gboolean
convert_with_converter (SynapseUrlConversion * self, GArray * slots,
    GError ** error)
{
  for (guint i = 0; i < slots->len; i++) {
    Slot *slot = &g_array_index (slots, Slot, i);
    g_autoptr (GError) converter_error = NULL;
    g_autofree char *converted = self->converter (json_node_get_string
        (slot->node), self->converter_data, &converter_error);

    if (converted == NULL) {
      if (converter_error)
        g_propagate_error (error, g_steal_pointer (&converter_error));
      else
        g_set_error (error, SYNAPSE_CLIENT_ERROR,
            SYNAPSE_CLIENT_ERROR_INVALID_ARGUMENT,
            "The URL converter gave no URL for %s",
            json_node_get_string (slot->node));
      return FALSE;
    }
    json_node_set_string (slot->node, converted);
  }
  return TRUE;
}

typedef struct
{
  int fd;
  const char *path;
} FileWriter;

static gboolean
write_all (int fd, const char *data, gsize length)
{
  while (length > 0) {
    gssize written = write (fd, data, length);

    if (written < 0 && errno == EINTR)
      continue;
    if (written < 0)
      return FALSE;
    data += written;
    length -= written;
  }
  return TRUE;
}

static gboolean
write_download (SoupMessage * msg, GInputStream * body, gpointer user_data,
    GCancellable * cancellable, GError ** error)
{
  FileWriter *writer = user_data;
  char buffer[64 * 1024];
  guint64 received = 0;

  /* a retried attempt starts the file again */
  if (ftruncate (writer->fd, 0) < 0 || lseek (writer->fd, 0, SEEK_SET) < 0)
    goto write_failed;

  for (;;) {
    gssize n = g_input_stream_read (body, buffer, sizeof buffer, cancellable,
        error);

    if (n < 0)
      return FALSE;
    if (n == 0)
      return synapse_check_body_complete (msg, received, error);
    if (!write_all (writer->fd, buffer, n))
      goto write_failed;
    received += n;
  }

write_failed:
  {
    int saved_errno = errno;

    g_set_error (error, SYNAPSE_CLIENT_ERROR, SYNAPSE_CLIENT_ERROR_IO,
        "Cannot write %s: %s", writer->path, g_strerror (saved_errno));
    return FALSE;
  }
}

static gboolean
download_file (SynapseClient * client, const char *url, const char *path,
    GCancellable * cancellable, GError ** error)
{
  g_autofree char *temp_path = g_strconcat (path, ".XXXXXX.part", NULL);
  FileWriter writer = { -1, path };
  SynapseRequest request = {
    .method = "GET",
    .path = url,
    .idempotent = TRUE,
  };
  gboolean ok;

  if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return TRUE;

  /* A crash or failure leaves a stray .part file, never a half file under
   * the final name. */
  writer.fd = g_mkstemp_full (temp_path, O_RDWR | O_CLOEXEC, 0644);
  if (writer.fd < 0) {
    int saved_errno = errno;

    g_set_error (error, SYNAPSE_CLIENT_ERROR, SYNAPSE_CLIENT_ERROR_IO,
        "Cannot create a file in %s: %s", path, g_strerror (saved_errno));
    return FALSE;
  }

  ok = synapse_client_send (client, &request, write_download, &writer,
      cancellable, error);
  if (close (writer.fd) < 0 && ok) {
    int saved_errno = errno;

    g_set_error (error, SYNAPSE_CLIENT_ERROR, SYNAPSE_CLIENT_ERROR_IO,
        "Cannot write %s: %s", path, g_strerror (saved_errno));
    ok = FALSE;
  }
  if (ok && g_rename (temp_path, path) < 0) {
    int saved_errno = errno;

    g_set_error (error, SYNAPSE_CLIENT_ERROR, SYNAPSE_CLIENT_ERROR_IO,
        "Cannot rename %s to %s: %s", temp_path, path,
        g_strerror (saved_errno));
    ok = FALSE;
  }
  if (!ok)
    g_unlink (temp_path);
  return ok;
}

/* The downloads of one apply() call, shared by its worker threads. */
typedef struct
{
  SynapseClient *client;
  GPtrArray *urls;
  GPtrArray *paths;
  GCancellable *cancellable;    /* cancelled by the first failure, too */
  GMutex lock;
  guint next;
  GError *error;
} Downloads;

static gpointer
download_worker (gpointer data)
{
  Downloads *downloads = data;

  for (;;) {
    GError *error = NULL;
    guint index;

    g_mutex_lock (&downloads->lock);
    if (downloads->error || downloads->next >= downloads->urls->len) {
      g_mutex_unlock (&downloads->lock);
      return NULL;
    }
    index = downloads->next++;
    g_mutex_unlock (&downloads->lock);

    if (!download_file (downloads->client, downloads->urls->pdata[index],
            downloads->paths->pdata[index], downloads->cancellable, &error)) {
      g_mutex_lock (&downloads->lock);
      if (downloads->error == NULL) {
        downloads->error = error;
        error = NULL;
        /* the others stop at once rather than finish for nothing */
        g_cancellable_cancel (downloads->cancellable);
      }
      g_mutex_unlock (&downloads->lock);
      g_clear_error (&error);
    }
  }
}

static void
cancel_child (GCancellable * parent, GCancellable * child)
{
  g_cancellable_cancel (child);
}

static gboolean
run_downloads (SynapseUrlConversion * self, SynapseClient * client,
    GPtrArray * urls, GPtrArray * paths, GCancellable * cancellable,
    GError ** error)
{
  Downloads downloads = {
    .client = client,
    .urls = urls,
    .paths = paths,
    .cancellable = g_cancellable_new (),
  };
  guint n_workers = MIN (self->max_downloads, urls->len);
  g_autoptr (GPtrArray) threads = g_ptr_array_new ();
  gulong handler = 0;

  g_mutex_init (&downloads.lock);
  if (cancellable)
    handler = g_cancellable_connect (cancellable, G_CALLBACK (cancel_child),
        g_object_ref (downloads.cancellable), g_object_unref);

  for (guint i = 1; i < n_workers; i++)
    g_ptr_array_add (threads, g_thread_new ("synapse-download",
            download_worker, &downloads));
  download_worker (&downloads);
  for (guint i = 0; i < threads->len; i++)
    g_thread_join (threads->pdata[i]);

  if (cancellable)
    g_cancellable_disconnect (cancellable, handler);
  g_mutex_clear (&downloads.lock);
  g_object_unref (downloads.cancellable);

  if (downloads.error) {
    /* the caller's cancellation, not the workers' own stop */
    if (!g_cancellable_set_error_if_cancelled (cancellable, error))
      g_propagate_error (error, downloads.error);
    else
      g_error_free (downloads.error);
    return FALSE;
  }
  return TRUE;
}

static gboolean
convert_with_downloads (SynapseUrlConversion * self, SynapseClient * client,
    GArray * slots, GCancellable * cancellable, GError ** error)
{
  g_autoptr (GHashTable) paths_by_url =
      g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr (GPtrArray) urls = g_ptr_array_new ();
  g_autoptr (GPtrArray) paths = g_ptr_array_new ();

  for (guint i = 0; i < slots->len; i++) {
    const char *url = json_node_get_string (g_array_index (slots, Slot,
            i).node);
    char *path;

    if (!is_http_url (url) || g_hash_table_contains (paths_by_url, url))
      continue;
    path = synapse_url_conversion_get_cache_path (self, url);
    g_hash_table_insert (paths_by_url, g_strdup (url), path);
    g_ptr_array_add (urls, (gpointer) url);
    g_ptr_array_add (paths, path);
  }
  if (urls->len == 0)
    return TRUE;

  if (g_mkdir_with_parents (self->directory, 0755) < 0) {
    int saved_errno = errno;

    g_set_error (error, SYNAPSE_CLIENT_ERROR, SYNAPSE_CLIENT_ERROR_IO,
        "Cannot make the download folder %s: %s", self->directory,
        g_strerror (saved_errno));
    return FALSE;
  }
  if (!run_downloads (self, client, urls, paths, cancellable, error))
    return FALSE;

  for (guint i = 0; i < slots->len; i++) {
    Slot *slot = &g_array_index (slots, Slot, i);
    const char *path = g_hash_table_lookup (paths_by_url,
        json_node_get_string (slot->node));

    if (path == NULL)
      continue;
    if (slot->entry) {
      json_object_set_string_member (slot->entry, "path", path);
      json_object_remove_member (slot->entry, "url");
    } else {
      json_node_set_string (slot->node, path);
    }
  }
  return TRUE;
}

/**
 * synapse_url_conversion_apply:
 * @self: a #SynapseUrlConversion
 * @client: the client whose backend the results came from; downloads
 *   use its settings and send its credentials only to its origin
 * @objects: results to convert in place
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Converts the URLs of @objects as the conversion says. The listing and
 * model calls do this themselves; this is for results obtained otherwise.
 * Downloads of all of @objects run together, at most
 * #SynapseUrlConversion:max-downloads at a time.
 *
 * Returns: %TRUE on success; on failure @objects may be partly converted
 */
gboolean
synapse_url_conversion_apply (SynapseUrlConversion * self,
    SynapseClient * client, JsonArray * objects, GCancellable * cancellable,
    GError ** error)
{
  const char *const *fields;
  g_autoptr (GArray) slots = g_array_new (FALSE, FALSE, sizeof (Slot));
  g_autoptr (GHashTable) seen = g_hash_table_new (NULL, NULL);
  Collector collector = { slots, seen };

  g_return_val_if_fail (SYNAPSE_IS_URL_CONVERSION (self), FALSE);
  g_return_val_if_fail (SYNAPSE_IS_CLIENT (client), FALSE);
  g_return_val_if_fail (objects != NULL, FALSE);

  fields = self->fields ? (const char *const *) self->fields : default_fields;
  for (guint f = 0; fields[f]; f++) {
    g_auto (GStrv) segments = g_strsplit (fields[f], ".", -1);

    for (guint i = 0; i < json_array_get_length (objects); i++)
      collect_path (&collector, json_array_get_element (objects, i), segments);
  }
  if (slots->len == 0)
    return TRUE;

  if (self->converter)
    return convert_with_converter (self, slots, error);
  return convert_with_downloads (self, client, slots, cancellable, error);
}
