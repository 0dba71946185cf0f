/* libsynapse: a GObject client for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The conversion rules: which strings of a result are file URLs (in parsed
 * objects, or in a page's bytes where the page scan found them), what
 * replaces each (a converter's answer, or the local path of the download
 * cache, synapse-download.c), and the rewrite of a page's bytes that puts
 * the replacements in place. Downloading and checking files is not here. */

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
 * Each field may have a converter of its own
 * ([method@Synapse.UrlConversion.add_converter]), so that one conversion
 * rewrites several fields in several ways, as the Python SDK's dict of
 * field → function does:
 *
 * |[<!-- language="C" -->
 * g_autoptr (SynapseUrlConversion) conversion =
 *     synapse_url_conversion_new_converter ((const char *[]) { "files", NULL },
 *     to_cdn, NULL, NULL);
 *
 * synapse_url_conversion_add_converter (conversion, "data_unit.files",
 *     to_mirror, NULL, NULL);
 * ]|
 *
 * What a field holds decides what is converted: a string is one URL; an
 * object holding a `url` string is one file entry, whose `url` is
 * converted; any other object is converted entry by entry (a string entry
 * is a URL, an object entry with a `url` key is a file entry); an array is
 * converted item by item in the same way. A string that two fields reach
 * is converted once. When a file entry is downloaded, its `url` is
 * replaced by a `path` key, as the Python SDK does. Of keys that come
 * twice in an object, the last one counts, as in json-glib.
 *
 * # The backend's bytes
 *
 * Listings (a [class@Synapse.Pager],
 * [method@Synapse.Client.list_ground_truth_events],
 * [method@Synapse.UrlConversion.apply_page]) convert the bytes the backend
 * sent: the URL strings are found in one pass over the page, and each is
 * replaced in place by the converted one, JSON-escaped. Nothing else of an
 * event changes: numbers such as `0.942`, `18446744073709551615` or
 * `1e400`, escapes such as `\u0000`, the order of keys all stay as they
 * were, so [method@Synapse.Page.get_item_bytes] gives the backend's text with
 * only the converted URLs (and the `url` → `path` key of downloaded file
 * entries) changed. A converter that gives back the URL unchanged leaves
 * its bytes untouched. [method@Synapse.UrlConversion.apply] converts parsed
 * objects instead, in place.
 *
 * # Downloads
 *
 * Only http and https URLs are downloaded; other strings are left as they
 * are. They run several at a time
 * ([property@Synapse.UrlConversion:max-downloads]), are retried like any
 * request, carry the client's credentials only to the backend's own
 * origin, and are written under a temporary name that is renamed only
 * once the file is known to be whole and right:
 *
 * - a body that ends before its `Content-Length`, or a gzip or deflate
 *   body (`Content-Encoding`, decoded here) that ends before its
 *   compressed stream does, is a broken download and is tried again;
 * - a file larger than [property@Synapse.UrlConversion:max-file-size] (by its
 *   `Content-Length`, or counted as it arrives after decoding, so that a
 *   gzip bomb or an endless body cannot fill the disk) fails with
 *   %SYNAPSE_CLIENT_ERROR_FILE_TOO_LARGE;
 * - when a file entry declares its file's `size` or `checksum` (as the
 *   protocol's `data_unit.files` entries do: `{"url", "size",
 *   "checksum"}`), the file must match them: fewer bytes than declared is
 *   a broken download (tried again), more bytes or another checksum fails
 *   with %SYNAPSE_CLIENT_ERROR_CHECKSUM, naming the event (its `id`) and
 *   the URL. A checksum is hexadecimal, its algorithm told by its length
 *   (32 digits MD5, 40 SHA-1, 64 SHA-256, 128 SHA-512), optionally
 *   prefixed by the algorithm's name (`md5:`, `sha1:`, `sha256:`,
 *   `sha512:`, a dash allowed); a checksum in any other form is not
 *   checked.
 *
 * A body without `Content-Length` and without compression (chunked, or
 * ended by closing the connection) that is cut short looks whole to HTTP:
 * only a declared `size` or `checksum` tells.
 *
 * Nothing that fails a check is left in the folder. Downloads are named
 * `<md5 of the cache key><suffix>`, the suffix being the URL's own when it
 * is short and plain (`.jpg`), so a name can never point outside the
 * folder whatever the URL says. The cache key is the whole URL without its
 * fragment and without the query parameters that sign it, so that URLs
 * differing in their query (`media/get?id=1`, `?id=2`) are different files
 * while a presigned URL whose signature changes is the same one. Signing
 * parameters are recognised, by name without regard to case: AWS
 * (`X-Amz-*`) and Google Cloud Storage (`X-Goog-*`) always; Azure SAS
 * (`sig`, `se`, `st`, `sp`, `sv`, `spr`, `sip`, `sr`, `ss`, `srt`, `si`,
 * `sdd`, `ses`, `skoid`, `sktid`, `skt`, `ske`, `sks`, `skv`, `saoid`,
 * `suoid`, `scid`) when `sig` is present; CloudFront and legacy S3 and
 * GCS signatures (`Signature`, `Expires`, `Key-Pair-Id`, `Policy`,
 * `AWSAccessKeyId`, `GoogleAccessId`) when `Signature` is present.
 *
 * A file already in the folder is reused only when it is a regular file
 * (a symlink or anything else under its name is removed, never followed)
 * and it still has the declared size and, when it is at most 16 MiB (cheap
 * to read again: a few milliseconds), the declared checksum; otherwise it
 * is downloaded again. A file without declarations is reused as it is.
 *
 * Since: 0.1
 */

#include "config.h"

#include "synapse-download.h"
#include "synapse-error.h"
#include "synapse-json-private.h"
#include "synapse-page-private.h"
#include "synapse-url-conversion-private.h"


#define DEFAULT_MAX_DOWNLOADS 4
/* Larger than any image, point cloud or clip of a labelling dataset, yet
 * a bound: a runaway body stops there, per download. */
#define DEFAULT_MAX_FILE_SIZE (G_GUINT64_CONSTANT (4) << 30)

static const char *const default_fields[] = { "file", "files", NULL };

/* A field's own converter (synapse_url_conversion_add_converter ()). */
typedef struct
{
  SynapseUrlConverter converter;
  gpointer data;
  GDestroyNotify data_free;
} FieldConverter;

static void
field_converter_free (gpointer data)
{
  FieldConverter *own = data;

  if (own == NULL)
    return;
  if (own->data_free)
    own->data_free (own->data);
  g_free (own);
}

struct _SynapseUrlConversion
{
  GObject parent_instance;

  GStrv fields;
  SynapseJsonPaths *paths;
  SynapseUrlConverter converter;
  gpointer converter_data;
  GDestroyNotify converter_data_free;
  char *directory;
  guint max_downloads;
  guint64 max_file_size;
  /* per field of `fields`, its own FieldConverter or NULL (the
   * conversion's converter or download); NULL when none was added */
  GPtrArray *own;
  gint in_use;                  /* set (atomically) once it converted or
                                 * gave its paths: fixed from then on */
  gboolean renames_entries;     /* for tests: the converter's URLs are
                                 * local paths */
  gboolean broken;              /* made without one way of converting */
};

G_DEFINE_FINAL_TYPE (SynapseUrlConversion, synapse_url_conversion,
    G_TYPE_OBJECT);

enum
{
  PROP_0,
  PROP_FIELDS,
  PROP_DIRECTORY,
  PROP_MAX_DOWNLOADS,
  PROP_MAX_FILE_SIZE,
  PROP_CONVERTER,
  PROP_CONVERTER_DATA,
  PROP_CONVERTER_DATA_FREE,
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
    case PROP_MAX_FILE_SIZE:
      self->max_file_size = g_value_get_uint64 (value);
      break;
    case PROP_CONVERTER:
      self->converter = (SynapseUrlConverter) g_value_get_pointer (value);
      break;
    case PROP_CONVERTER_DATA:
      self->converter_data = g_value_get_pointer (value);
      break;
    case PROP_CONVERTER_DATA_FREE:
      self->converter_data_free = (GDestroyNotify) g_value_get_pointer (value);
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
    case PROP_MAX_FILE_SIZE:
      g_value_set_uint64 (value, self->max_file_size);
      break;
    case PROP_CONVERTER:
      g_value_set_pointer (value, (gpointer) self->converter);
      break;
    case PROP_CONVERTER_DATA:
      g_value_set_pointer (value, self->converter_data);
      break;
    case PROP_CONVERTER_DATA_FREE:
      g_value_set_pointer (value, (gpointer) self->converter_data_free);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static const char *const *
conversion_fields (SynapseUrlConversion * self)
{
  return self->fields ? (const char *const *) self->fields : default_fields;
}

static void
synapse_url_conversion_constructed (GObject * object)
{
  SynapseUrlConversion *self = SYNAPSE_URL_CONVERSION (object);

  G_OBJECT_CLASS (synapse_url_conversion_parent_class)->constructed (object);
  /* split the fields once for every page (again only when a field is
   * added by synapse_url_conversion_add_converter ()) */
  self->paths = synapse_json_paths_new (conversion_fields (self));
  /* a binding may give both ways or neither: such a conversion fails
   * every page it is asked to convert (resolve ()) */
  if ((self->converter != NULL) == (self->directory != NULL
          && *self->directory != '\0')) {
    g_critical ("A SynapseUrlConversion needs either a converter or a "
        "download directory");
    self->broken = TRUE;
  }
}

static void
synapse_url_conversion_finalize (GObject * object)
{
  SynapseUrlConversion *self = SYNAPSE_URL_CONVERSION (object);

  if (self->converter_data_free)
    self->converter_data_free (self->converter_data);
  g_strfreev (self->fields);
  g_clear_pointer (&self->paths, synapse_json_paths_free);
  g_clear_pointer (&self->own, g_ptr_array_unref);
  g_free (self->directory);

  G_OBJECT_CLASS (synapse_url_conversion_parent_class)->finalize (object);
}

static void
synapse_url_conversion_class_init (SynapseUrlConversionClass * klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->set_property = synapse_url_conversion_set_property;
  object_class->get_property = synapse_url_conversion_get_property;
  object_class->constructed = synapse_url_conversion_constructed;
  object_class->finalize = synapse_url_conversion_finalize;

  /**
   * SynapseUrlConversion:fields:
   *
   * The dot-separated paths of the fields to convert; %NULL for the
   * protocol's defaults, `file` and `files`.
   *
   * Since: 0.1
   */
  properties[PROP_FIELDS] =
      g_param_spec_boxed ("fields", "Fields",
      "Dot-separated paths of the fields to convert (NULL: file, files)",
      G_TYPE_STRV,
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * SynapseUrlConversion:directory:
   *
   * The cache folder files are downloaded into, made when missing; %NULL
   * when the conversion uses a converter function instead. A conversion
   * has either a directory or a converter: bindings make a downloading one
   * with [ctor@GObject.Object.new] and this property (plus
   * [property@Synapse.UrlConversion:fields]), or with
   * [ctor@Synapse.UrlConversion.new_download].
   *
   * Since: 0.1
   */
  properties[PROP_DIRECTORY] =
      g_param_spec_string ("directory", "Directory",
      "Cache folder that files are downloaded into", NULL,
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * SynapseUrlConversion:max-downloads:
   *
   * How many files are downloaded at the same time.
   *
   * Since: 0.1
   */
  properties[PROP_MAX_DOWNLOADS] =
      g_param_spec_uint ("max-downloads", "Maximum downloads",
      "Files downloaded at the same time", 1, 64, DEFAULT_MAX_DOWNLOADS,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * SynapseUrlConversion:max-file-size:
   *
   * The largest file a download may give, in bytes after any
   * `Content-Encoding` is decoded; 0 for no limit. A larger file (by its
   * `Content-Length` up front, or counted as it arrives) fails with
   * %SYNAPSE_CLIENT_ERROR_FILE_TOO_LARGE and nothing of it is kept.
   * The default, 4 GiB, is larger than the images, clips and point clouds
   * of a labelling dataset, yet bounds what a broken or hostile server
   * can write to the disk per download.
   *
   * Since: 0.1
   */
  properties[PROP_MAX_FILE_SIZE] =
      g_param_spec_uint64 ("max-file-size", "Maximum file size",
      "Largest file a download may give, in bytes (0 = no limit)", 0,
      G_MAXUINT64, DEFAULT_MAX_FILE_SIZE,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * SynapseUrlConversion:converter: (skip)
   *
   * The [callback@Synapse.UrlConverter] function that converts each URL, for C
   * callers of [ctor@GObject.Object.new]; %NULL for a downloading conversion. A
   * conversion has either a converter or a
   * [property@Synapse.UrlConversion:directory]. Bindings pass their
   * function to [ctor@Synapse.UrlConversion.new_converter] instead.
   *
   * Since: 0.1
   */
  properties[PROP_CONVERTER] =
      g_param_spec_pointer ("converter", "Converter",
      "The function that converts each URL (C only; NULL: downloads)",
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * SynapseUrlConversion:converter-data: (skip)
   *
   * The data given to [property@Synapse.UrlConversion:converter] with each
   * URL.
   *
   * Since: 0.1
   */
  properties[PROP_CONVERTER_DATA] =
      g_param_spec_pointer ("converter-data", "Converter data",
      "The data given to the converter (C only)",
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * SynapseUrlConversion:converter-data-free: (skip)
   *
   * A [callback@GLib.DestroyNotify] that frees
   * [property@Synapse.UrlConversion:converter-data] when the conversion is
   * finalized, or %NULL.
   *
   * Since: 0.1
   */
  properties[PROP_CONVERTER_DATA_FREE] =
      g_param_spec_pointer ("converter-data-free", "Converter data free",
      "Frees the converter data when the conversion is finalized (C only)",
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
synapse_url_conversion_init (SynapseUrlConversion * self)
{
  self->max_downloads = DEFAULT_MAX_DOWNLOADS;
  self->max_file_size = DEFAULT_MAX_FILE_SIZE;
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
 * A conversion that passes every string in @fields through @converter,
 * as [ctor@GObject.Object.new] makes it with the construct properties
 * [property@Synapse.UrlConversion:fields],
 * [property@Synapse.UrlConversion:converter],
 * [property@Synapse.UrlConversion:converter-data] and
 * [property@Synapse.UrlConversion:converter-data-free].
 *
 * Returns: (transfer full): a new [class@Synapse.UrlConversion]
 *
 * Since: 0.1
 */
SynapseUrlConversion *
synapse_url_conversion_new_converter (const char *const *fields,
    SynapseUrlConverter converter, gpointer user_data,
    GDestroyNotify user_data_free)
{
  g_return_val_if_fail (converter != NULL, NULL);

  return g_object_new (SYNAPSE_TYPE_URL_CONVERSION, "fields", fields,
      "converter", converter, "converter-data", user_data,
      "converter-data-free", user_data_free, NULL);
}

/**
 * synapse_url_conversion_new_download:
 * @fields: (nullable) (array zero-terminated=1): the fields to convert, or
 *   %NULL for `file` and `files`
 * @directory: the cache folder, made when missing
 *
 * A conversion that downloads every http(s) URL in @fields into
 * @directory and replaces it by the local path, as [ctor@GObject.Object.new]
 * makes it with the construct properties
 * [property@Synapse.UrlConversion:fields] and
 * [property@Synapse.UrlConversion:directory].
 *
 * Returns: (transfer full): a new [class@Synapse.UrlConversion]
 *
 * Since: 0.1
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
 * @self: a [class@Synapse.UrlConversion]
 *
 * The fields the conversion applies to, as dot-separated paths.
 *
 * Returns: (transfer none) (nullable) (array zero-terminated=1): the
 *   fields converted, or %NULL for the defaults `file` and `files`
 *
 * Since: 0.1
 */
const char *const *
synapse_url_conversion_get_fields (SynapseUrlConversion * self)
{
  g_return_val_if_fail (SYNAPSE_IS_URL_CONVERSION (self), NULL);

  return (const char *const *) self->fields;
}

/**
 * synapse_url_conversion_get_directory:
 * @self: a [class@Synapse.UrlConversion]
 *
 * The cache folder a downloading conversion puts files in.
 *
 * Returns: (transfer none) (nullable): the cache folder of a downloading
 *   conversion, or %NULL for a converter
 *
 * Since: 0.1
 */
const char *
synapse_url_conversion_get_directory (SynapseUrlConversion * self)
{
  g_return_val_if_fail (SYNAPSE_IS_URL_CONVERSION (self), NULL);

  return self->directory;
}

/**
 * synapse_url_conversion_get_max_downloads:
 * @self: a [class@Synapse.UrlConversion]
 *
 * How many files the conversion downloads at the same time.
 *
 * Returns: how many files are downloaded at the same time
 *
 * Since: 0.1
 */
guint
synapse_url_conversion_get_max_downloads (SynapseUrlConversion * self)
{
  g_return_val_if_fail (SYNAPSE_IS_URL_CONVERSION (self), 0);

  return self->max_downloads;
}

/**
 * synapse_url_conversion_set_max_downloads:
 * @self: a [class@Synapse.UrlConversion]
 * @max_downloads: files to download at the same time, at least 1
 *
 * Bounds the downloads that run at the same time.
 *
 * Since: 0.1
 */
void
synapse_url_conversion_set_max_downloads (SynapseUrlConversion * self,
    guint max_downloads)
{
  g_return_if_fail (SYNAPSE_IS_URL_CONVERSION (self));

  g_object_set (self, "max-downloads", max_downloads, NULL);
}

/**
 * synapse_url_conversion_get_max_file_size:
 * @self: a [class@Synapse.UrlConversion]
 *
 * The largest file a download may give
 * ([property@Synapse.UrlConversion:max-file-size]).
 *
 * Returns: the largest file size in bytes, 0 for no limit
 *
 * Since: 0.1
 */
guint64
synapse_url_conversion_get_max_file_size (SynapseUrlConversion * self)
{
  g_return_val_if_fail (SYNAPSE_IS_URL_CONVERSION (self), 0);

  return self->max_file_size;
}

/**
 * synapse_url_conversion_set_max_file_size:
 * @self: a [class@Synapse.UrlConversion]
 * @max_file_size: the largest file in bytes, 0 for no limit
 *
 * Sets [property@Synapse.UrlConversion:max-file-size].
 *
 * Since: 0.1
 */
void
synapse_url_conversion_set_max_file_size (SynapseUrlConversion * self,
    guint64 max_file_size)
{
  g_return_if_fail (SYNAPSE_IS_URL_CONVERSION (self));

  g_object_set (self, "max-file-size", max_file_size, NULL);
}

const SynapseJsonPaths *
synapse_url_conversion_get_paths (SynapseUrlConversion * self)
{
  g_atomic_int_set (&self->in_use, TRUE);
  return self->paths;
}

/**
 * synapse_url_conversion_add_converter:
 * @self: a [class@Synapse.UrlConversion] not used yet
 * @field: a field to convert, as a dot-separated path (`data_unit.files`)
 * @converter: (scope notified) (closure user_data)
 *   (destroy user_data_free): the function that converts the URLs of
 *   @field
 * @user_data: data for @converter
 * @user_data_free: (nullable): frees @user_data when the conversion is
 *   finalized or @field is given another converter
 *
 * Gives @field a converter of its own, so that one conversion converts
 * several fields, each in its own way, as the Python SDK's
 * `url_conversion={"files": to_cdn, "data_unit.files": to_mirror}` does.
 * @field is added to the conversion's
 * [property@Synapse.UrlConversion:fields] when it is not among them
 * (a conversion made without fields has `file` and `files`, which keep the
 * conversion's own converter or download); when it is, its own converter
 * takes the place of the conversion's. A URL that two fields reach is
 * converted once, by the first of them in
 * [property@Synapse.UrlConversion:fields].
 *
 * A downloading conversion may have fields with converters too: their
 * URLs are converted, the others' downloaded.
 *
 * Add every converter before the conversion is first used (given to a
 * call, a pager or [method@Synapse.UrlConversion.apply]): a conversion in
 * use may be read by several threads and does not change any more.
 *
 * Since: 0.1
 */
void
synapse_url_conversion_add_converter (SynapseUrlConversion * self,
    const char *field, SynapseUrlConverter converter, gpointer user_data,
    GDestroyNotify user_data_free)
{
  FieldConverter *own;
  guint index;

  g_return_if_fail (SYNAPSE_IS_URL_CONVERSION (self));
  g_return_if_fail (field != NULL && *field != '\0');
  g_return_if_fail (converter != NULL);
  if (g_atomic_int_get (&self->in_use)) {
    g_critical ("%s: the URL conversion is in use already: add its "
        "converters before it converts anything", G_STRFUNC);
    if (user_data_free)
      user_data_free (user_data);
    return;
  }

  if (self->fields == NULL)
    self->fields = g_strdupv ((char **) default_fields);
  for (index = 0; self->fields[index]; index++)
    if (g_str_equal (self->fields[index], field))
      break;
  if (self->fields[index] == NULL) {
    self->fields = g_renew (char *, self->fields, index + 2);
    self->fields[index] = g_strdup (field);
    self->fields[index + 1] = NULL;
    g_clear_pointer (&self->paths, synapse_json_paths_free);
    self->paths =
        synapse_json_paths_new ((const char *const *) self->fields);
  }

  if (self->own == NULL)
    self->own = g_ptr_array_new_with_free_func (field_converter_free);
  if (self->own->len <= index)
    g_ptr_array_set_size (self->own, index + 1);
  own = g_new0 (FieldConverter, 1);
  own->converter = converter;
  own->data = user_data;
  own->data_free = user_data_free;
  field_converter_free (g_ptr_array_index (self->own, index));
  g_ptr_array_index (self->own, index) = own;
}

/* The converter of its own that field @field has, or NULL. */
static const FieldConverter *
own_converter (SynapseUrlConversion * self, guint field)
{
  if (self->own == NULL || field >= self->own->len)
    return NULL;
  return g_ptr_array_index (self->own, field);
}

void
synapse_url_conversion_set_renames_entries (SynapseUrlConversion * self,
    gboolean renames)
{
  self->renames_entries = renames;
}

/**
 * synapse_url_conversion_get_cache_path:
 * @self: a downloading [class@Synapse.UrlConversion]
 * @url: a file URL
 *
 * Where @url is (or will be) downloaded: the cache folder, the MD5 of the
 * URL's cache key (the URL without its fragment and without the query
 * parameters that sign it, see [class@Synapse.UrlConversion]), and the URL's
 * suffix when it is a short, plain one (`.jpg`).
 *
 * Returns: (transfer full) (nullable): the local path, or %NULL for a
 *   converter
 *
 * Since: 0.1
 */
char *
synapse_url_conversion_get_cache_path (SynapseUrlConversion * self,
    const char *url)
{
  g_return_val_if_fail (SYNAPSE_IS_URL_CONVERSION (self), NULL);
  g_return_val_if_fail (url != NULL, NULL);

  if (self->directory == NULL)
    return NULL;
  return synapse_download_cache_path (self->directory, url);
}

/* --- what is converted -------------------------------------------------- */

/* One URL to convert, however it was found, and what it becomes. */
typedef struct
{
  const char *url;
  gboolean entry;               /* a file entry's `url` */
  /* what a file entry declares of its file */
  gint64 size;                  /* -1: nothing */
  const char *checksum;
  char *event;                  /* the result's `id` as JSON, when declared */
  /* where it is: a node of parsed results, or a string of page bytes */
  JsonNode *node;
  JsonObject *object;           /* the file entry holding node */
  const SynapseJsonUrl *raw;
  guint field;                  /* the first field that reaches it */
  gboolean downloaded;          /* its replacement is a local path */
  /* what replaces it; NULL when it stays as it is */
  char *replacement;
} Slot;

static void
slot_clear (Slot * slot)
{
  g_free (slot->event);
  g_free (slot->replacement);
  g_clear_pointer (&slot->node, json_node_unref);
  g_clear_pointer (&slot->object, json_object_unref);
}

static GArray *
slots_new (void)
{
  GArray *slots = g_array_new (FALSE, TRUE, sizeof (Slot));

  g_array_set_clear_func (slots, (GDestroyNotify) slot_clear);
  return slots;
}

/* The tree collector: the slots of parsed results; a node is taken once
 * even when two fields lead to it ("files" and "files.image"). */
typedef struct
{
  GArray *slots;
  GHashTable *seen;
  JsonObject *result;
  guint field;                  /* the field being walked */
} Collector;

static gboolean
is_string_node (JsonNode * node)
{
  return JSON_NODE_HOLDS_VALUE (node)
      && json_node_get_value_type (node) == G_TYPE_STRING;
}

static void
add_slot (Collector * collector, JsonNode * node, JsonObject * entry)
{
  Slot slot = { json_node_get_string (node), entry != NULL, -1 };
  JsonNode *id;

  if (!g_hash_table_add (collector->seen, node))
    return;
  /* held: converting an entry replaces its `path`, which may hold nodes
   * of other slots (that then change nothing) */
  slot.node = json_node_ref (node);
  slot.object = entry ? json_object_ref (entry) : NULL;
  slot.field = collector->field;
  if (entry) {
    JsonNode *size = json_object_get_member (entry, "size");

    if (size && JSON_NODE_HOLDS_VALUE (size)
        && json_node_get_value_type (size) == G_TYPE_INT64
        && json_node_get_int (size) >= 0)
      slot.size = json_node_get_int (size);
    slot.checksum = synapse_json_get_string (entry, "checksum");
  }
  id = collector->result ? json_object_get_member (collector->result, "id")
      : NULL;
  if (id && (slot.size >= 0 || slot.checksum))
    slot.event = json_to_string (id, FALSE);
  g_array_append_val (collector->slots, slot);
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

/* The byte collector's slots: the URLs the scanner found. */
static void
slots_from_urls (GArray * slots, const SynapseJsonUrls * urls, const char *data)
{
  for (guint i = 0; i < urls->urls->len; i++) {
    const SynapseJsonUrl *url = &g_array_index (urls->urls, SynapseJsonUrl,
        i);
    Slot slot = { urls->text->str + url->text, url->entry, url->size };

    slot.raw = url;
    slot.field = url->field;
    if (url->checksum != G_MAXSIZE)
      slot.checksum = urls->text->str + url->checksum;
    if (url->id_length > 0 && (slot.size >= 0 || slot.checksum))
      slot.event = g_strndup (data + url->id_offset, url->id_length);
    g_array_append_val (slots, slot);
  }
}

/* --- converters --------------------------------------------------------- */

/* Converts the URL of @slot with @converter. */
static gboolean
convert_slot (Slot * slot, SynapseUrlConverter converter, gpointer data,
    GError ** error)
{
  g_autoptr (GError) converter_error = NULL;
  g_autofree char *converted = converter (slot->url, data, &converter_error);

  if (converted == NULL) {
    if (converter_error)
      g_propagate_error (error, g_steal_pointer (&converter_error));
    else
      g_set_error (error, SYNAPSE_CLIENT_ERROR,
          SYNAPSE_CLIENT_ERROR_INVALID_ARGUMENT,
          "The URL converter gave no URL for %s", slot->url);
    return FALSE;
  }
  /* it goes into JSON text */
  if (!synapse_utf8_validate (converted)) {
    g_set_error (error, SYNAPSE_CLIENT_ERROR,
        SYNAPSE_CLIENT_ERROR_INVALID_ARGUMENT,
        "The URL converter gave a string that is not UTF-8 for %s",
        slot->url);
    return FALSE;
  }
  if (!g_str_equal (converted, slot->url))
    slot->replacement = g_steal_pointer (&converted);
  return TRUE;
}

/* Converts the slots whose field has a converter (its own, or the
 * conversion's); the others are left to the downloads. */
static gboolean
resolve_with_converters (SynapseUrlConversion * self, GArray * slots,
    GError ** error)
{
  for (guint i = 0; i < slots->len; i++) {
    Slot *slot = &g_array_index (slots, Slot, i);
    const FieldConverter *own = own_converter (self, slot->field);

    if (own) {
      if (!convert_slot (slot, own->converter, own->data, error))
        return FALSE;
    } else if (self->converter) {
      if (!convert_slot (slot, self->converter, self->converter_data, error))
        return FALSE;
    }
  }
  return TRUE;
}

/* --- downloads ---------------------------------------------------------- */

/* Downloads each file of @slots' http(s) URLs once (other strings stay as
 * they are), checked against what every slot of it declares, and makes
 * the local path each slot's replacement. */
static gboolean
resolve_with_downloads (SynapseUrlConversion * self, SynapseClient * client,
    GArray * slots, GCancellable * cancellable, GError ** error)
{
  g_autoptr (SynapseDownloadBatch) batch =
      synapse_download_batch_new (self->directory, self->max_downloads,
      self->max_file_size);
  g_autofree guint *file_of = g_new (guint, slots->len + 1);

  for (guint i = 0; i < slots->len; i++) {
    const Slot *slot = &g_array_index (slots, Slot, i);

    /* a field with a converter of its own is not downloaded */
    file_of[i] = own_converter (self, slot->field) == NULL
        && synapse_is_http_url (slot->url)
        ? synapse_download_batch_add (batch, slot->url, slot->event,
        slot->size, slot->checksum) : G_MAXUINT;
  }
  if (!synapse_download_batch_run (batch, client, cancellable, error))
    return FALSE;

  for (guint i = 0; i < slots->len; i++) {
    Slot *slot = &g_array_index (slots, Slot, i);

    if (file_of[i] == G_MAXUINT)
      continue;
    slot->replacement =
        g_strdup (synapse_download_batch_get_path (batch, file_of[i]));
    slot->downloaded = TRUE;
  }
  return TRUE;
}

/* Sets each slot's replacement, by the converter or by downloading. */
static gboolean
resolve (SynapseUrlConversion * self, SynapseClient * client, GArray * slots,
    GCancellable * cancellable, GError ** error)
{
  if (slots->len == 0)
    return TRUE;
  if (self->broken) {
    g_set_error_literal (error, SYNAPSE_CLIENT_ERROR,
        SYNAPSE_CLIENT_ERROR_INVALID_ARGUMENT,
        "The URL conversion has neither a converter nor a download directory");
    return FALSE;
  }
  g_atomic_int_set (&self->in_use, TRUE);
  if (!resolve_with_converters (self, slots, error))
    return FALSE;
  if (self->directory)
    return resolve_with_downloads (self, client, slots, cancellable, error);
  return TRUE;
}

/* --- rewriting ---------------------------------------------------------- */

/* One stretch of page bytes and what takes its place (in Edits.text). */
typedef struct
{
  gsize offset;
  gsize length;
  gsize text;
  gsize text_length;
  gboolean entry;               /* part of a file entry's url → path */
} Edit;

typedef struct
{
  GArray *edits;
  GString *text;
} Edits;

static void
edits_clear (Edits * edits)
{
  g_clear_pointer (&edits->edits, g_array_unref);
  if (edits->text)
    g_string_free (edits->text, TRUE);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Edits, edits_clear);

/* An edit putting the JSON text at @text (@text_length bytes of
 * edits->text) in place of @length bytes at @offset. */
static void
add_edit (Edits * edits, gsize offset, gsize length, gsize text,
    gsize text_length, gboolean entry)
{
  Edit edit = { offset, length, text, text_length, entry };

  g_array_append_val (edits->edits, edit);
}

/* Whether the file entry holding @slot's URL gets `path` in place of
 * `url`: a downloaded file's does. */
static gboolean
slot_renames (SynapseUrlConversion * self, const Slot * slot)
{
  return slot->downloaded || (self->renames_entries
      && own_converter (self, slot->field) == NULL);
}

static void
add_slot_edits (Edits * edits, const Slot * slot,
    const SynapseJsonUrls * urls, gboolean rename)
{
  const SynapseJsonUrl *url = slot->raw;
  gsize json = edits->text->len, json_length, key;

  synapse_json_append_string (edits->text, slot->replacement);
  json_length = edits->text->len - json;
  if (!rename || !url->entry) {
    add_edit (edits, url->offset, url->length, json, json_length, FALSE);
    return;
  }
  /* every `url` becomes `path`, and every `path` (the value of one left
   * from before) holds the local path: one `path` whichever is read */
  key = edits->text->len;
  g_string_append (edits->text, "\"path\"");
  for (guint i = 0; i < url->n_members; i++) {
    const SynapseJsonMember *member = &g_array_index (urls->members,
        SynapseJsonMember, url->first_member + i);

    if (member->is_url)
      add_edit (edits, member->key_offset, member->key_length, key, 6, TRUE);
    add_edit (edits, member->value_offset, member->value_length, json,
        json_length, TRUE);
  }
}

static int
compare_edits (gconstpointer a, gconstpointer b)
{
  const Edit *x = a, *y = b;

  if (x->offset != y->offset)
    return x->offset < y->offset ? -1 : 1;
  /* a file entry's path wins over a field that reaches its old value */
  return y->entry - x->entry;
}

/* @data with @edits made: the page's new bytes. @spans, which lie in
 * @data, are moved to where their results lie in them. Of edits that
 * overlap, the first is made: an edit inside a value another replaces
 * (a field reaching into a file entry's old `path`) has no object left. */
static GBytes *
apply_edits (const char *data, gsize size, Edits * edits, GArray * spans)
{
  GArray *list = edits->edits;
  GString *out = g_string_sized_new (size + edits->text->len);
  gsize position = 0;
  guint kept = 0;
  gssize delta = 0;
  guint e = 0;

  g_array_sort (list, compare_edits);
  for (guint i = 0; i < list->len; i++) {
    Edit *edit = &g_array_index (list, Edit, i);

    if (edit->offset < position)
      continue;
    g_string_append_len (out, data + position, edit->offset - position);
    g_string_append_len (out, edits->text->str + edit->text, edit->text_length);
    position = edit->offset + edit->length;
    g_array_index (list, Edit, kept++) = *edit;
  }
  g_string_append_len (out, data + position, size - position);
  g_array_set_size (list, kept);

  for (guint i = 0; i < spans->len; i++) {
    SynapseJsonSpan *span = &g_array_index (spans, SynapseJsonSpan, i);
    gsize end = span->offset + span->length;

    for (; e < list->len && g_array_index (list, Edit, e).offset < span->offset;
        e++)
      delta += (gssize) g_array_index (list, Edit, e).text_length
          - (gssize) g_array_index (list, Edit, e).length;
    span->offset += delta;
    for (; e < list->len && g_array_index (list, Edit, e).offset < end; e++)
      delta += (gssize) g_array_index (list, Edit, e).text_length
          - (gssize) g_array_index (list, Edit, e).length;
    span->length = end + delta - span->offset;
  }
  return g_string_free_to_bytes (out);
}

GBytes *
synapse_url_conversion_convert_bytes (SynapseUrlConversion * self,
    SynapseClient * client, GBytes * body, GArray * spans, guint from,
    guint to, const SynapseJsonUrls * found, GCancellable * cancellable,
    GError ** error)
{
  g_auto (SynapseJsonUrls) searched = { 0 };
  const SynapseJsonUrls *urls = found;
  g_autoptr (GArray) slots = slots_new ();
  g_auto (Edits) edits = { 0 };
  gsize size;
  const char *data = g_bytes_get_data (body, &size);

  if (urls == NULL) {
    synapse_json_urls_init (&searched);
    for (guint i = from; i < to; i++) {
      const SynapseJsonSpan *span = &g_array_index (spans, SynapseJsonSpan,
          i);

      /* the page was checked when it arrived: this cannot fail */
      if (!synapse_json_find_urls (data, span->offset, span->length,
              self->paths, i, &searched, NULL))
        g_return_val_if_reached (NULL);
    }
    urls = &searched;
  }

  slots_from_urls (slots, urls, data);
  if (!resolve (self, client, slots, cancellable, error))
    return NULL;

  /* an edit for each URL (more for file entries), of about its size */
  edits.edits = g_array_sized_new (FALSE, FALSE, sizeof (Edit), slots->len);
  edits.text = g_string_sized_new (urls->text->len + 64);
  for (guint i = 0; i < slots->len; i++) {
    const Slot *slot = &g_array_index (slots, Slot, i);

    if (slot->replacement)
      add_slot_edits (&edits, slot, urls, slot_renames (self, slot));
  }
  if (edits.edits->len == 0)
    return g_bytes_ref (body);
  return apply_edits (data, size, &edits, spans);
}

/**
 * synapse_url_conversion_apply:
 * @self: a [class@Synapse.UrlConversion]
 * @client: the client whose backend the results came from; downloads
 *   use its settings and send its credentials only to its origin
 * @objects: results to convert in place
 * @cancellable: (nullable): a [class@Gio.Cancellable]
 * @error: return location for a [struct@GLib.Error]
 *
 * Converts the URLs of @objects as the conversion says. The listing and
 * model calls do this themselves; this is for results obtained otherwise.
 * Downloads of all of @objects run together, at most
 * [property@Synapse.UrlConversion:max-downloads] at a time.
 *
 * Returns: %TRUE on success; on failure @objects may be partly converted
 *
 * Since: 0.1
 */
gboolean
synapse_url_conversion_apply (SynapseUrlConversion * self,
    SynapseClient * client, JsonArray * objects, GCancellable * cancellable,
    GError ** error)
{
  const char *const *fields;
  g_autoptr (GArray) slots = slots_new ();
  g_autoptr (GHashTable) seen = g_hash_table_new (NULL, NULL);
  Collector collector = { slots, seen, NULL, 0 };

  g_return_val_if_fail (SYNAPSE_IS_URL_CONVERSION (self), FALSE);
  g_return_val_if_fail (SYNAPSE_IS_CLIENT (client), FALSE);
  g_return_val_if_fail (objects != NULL, FALSE);

  fields = conversion_fields (self);
  for (guint f = 0; fields[f]; f++) {
    g_auto (GStrv) segments = g_strsplit (fields[f], ".", -1);

    collector.field = f;
    for (guint i = 0; i < json_array_get_length (objects); i++) {
      JsonNode *result = json_array_get_element (objects, i);

      collector.result = JSON_NODE_HOLDS_OBJECT (result)
          ? json_node_get_object (result) : NULL;
      collect_path (&collector, result, segments);
    }
  }
  if (!resolve (self, client, slots, cancellable, error))
    return FALSE;

  for (guint i = 0; i < slots->len; i++) {
    Slot *slot = &g_array_index (slots, Slot, i);

    if (slot->replacement == NULL)
      continue;
    if (slot_renames (self, slot) && slot->object) {
      json_object_set_string_member (slot->object, "path", slot->replacement);
      json_object_remove_member (slot->object, "url");
    } else {
      json_node_set_string (slot->node, slot->replacement);
    }
  }
  return TRUE;
}

/**
 * synapse_url_conversion_apply_page:
 * @self: a [class@Synapse.UrlConversion]
 * @client: the client whose backend the page came from; downloads use its
 *   settings and send its credentials only to its origin
 * @page: a page of results, e.g. from [method@Synapse.Pager.read_page]
 * @cancellable: (nullable): a [class@Gio.Cancellable]
 * @error: return location for a [struct@GLib.Error]
 *
 * Converts the URLs of @page's results as the conversion says, in their
 * bytes: the page it returns gives, from [method@Synapse.Page.get_item_bytes],
 * the same text with only the converted URLs changed (see
 * [class@Synapse.UrlConversion]). A page that a pager has converted already can
 * be converted again, e.g. downloaded from the URLs a converter gave.
 *
 * Returns: (transfer full) (nullable): the converted page, or %NULL on
 *   failure
 *
 * Since: 0.1
 */
SynapsePage *
synapse_url_conversion_apply_page (SynapseUrlConversion * self,
    SynapseClient * client, SynapsePage * page, GCancellable * cancellable,
    GError ** error)
{
  g_autoptr (GArray) spans = NULL;
  g_autoptr (GBytes) body = NULL;

  g_return_val_if_fail (SYNAPSE_IS_URL_CONVERSION (self), NULL);
  g_return_val_if_fail (SYNAPSE_IS_CLIENT (client), NULL);
  g_return_val_if_fail (page != NULL, NULL);

  spans = synapse_page_dup_spans (page);
  body = synapse_url_conversion_convert_bytes (self, client,
      synapse_page_get_body (page), spans, 0, spans->len, NULL, cancellable,
      error);
  if (body == NULL)
    return NULL;
  return synapse_page_new_converted (page, body, g_steal_pointer (&spans));
}
