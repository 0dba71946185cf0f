/* test-media.c: the data units' files are real images that name their event
 *
 * Copyright (C) 2024 gst-synapse contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Fetched over HTTP with a plain libsoup client, decoded with gdk-pixbuf
 * (libpng and libjpeg underneath, not our own code): every file is the
 * image its event declares, and the id painted in it reads back from the
 * decoded pixels, scaled down too.
 */

#include "synapse-test-backend.h"
#include "synapse-test-media.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <string.h>

#define EVENTS (4 * SYNAPSE_TEST_MEDIA_KINDS)

typedef struct
{
  SynapseTestBackend *backend;
  SoupSession *session;
} Fixture;

static void
fixture_set_up (Fixture * f, gconstpointer data)
{
  SynapseTestBackendOptions options = {.versions = 2,.events = EVENTS,
    .seed = 5
  };
  g_autoptr (GError) error = NULL;

  f->backend = synapse_test_backend_new (&options, &error);
  g_assert_no_error (error);
  f->session = soup_session_new ();
}

static void
fixture_tear_down (Fixture * f, gconstpointer data)
{
  g_object_unref (f->session);
  g_clear_object (&f->backend);
}

static GBytes *
get (Fixture * f, const char *url, char **content_type)
{
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr (GError) error = NULL;
  GBytes *body = soup_session_send_and_read (f->session, msg, NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, SOUP_STATUS_OK);
  *content_type = g_strdup (soup_message_headers_get_content_type
      (soup_message_get_response_headers (msg), NULL));
  return body;
}

/* @bytes decoded by gdk-pixbuf, which finds the format from the bytes;
 * @format: its name ("png", "jpeg"). */
static GdkPixbuf *
decode (GBytes * bytes, char **format)
{
  g_autoptr (GdkPixbufLoader) loader = gdk_pixbuf_loader_new ();
  g_autoptr (GError) error = NULL;

  gdk_pixbuf_loader_write_bytes (loader, bytes, &error);
  g_assert_no_error (error);
  gdk_pixbuf_loader_close (loader, &error);
  g_assert_no_error (error);
  *format = gdk_pixbuf_format_get_name (gdk_pixbuf_loader_get_format (loader));
  return g_object_ref (gdk_pixbuf_loader_get_pixbuf (loader));
}

static gint64
id_in (GdkPixbuf * pixbuf)
{
  g_assert_cmpint (gdk_pixbuf_get_bits_per_sample (pixbuf), ==, 8);
  return synapse_test_media_id_from_pixels (gdk_pixbuf_read_pixels (pixbuf),
      gdk_pixbuf_get_width (pixbuf), gdk_pixbuf_get_height (pixbuf),
      gdk_pixbuf_get_rowstride (pixbuf), gdk_pixbuf_get_n_channels (pixbuf));
}

static gint64
id_scaled (GdkPixbuf * pixbuf, int width, int height)
{
  g_autoptr (GdkPixbuf) scaled = gdk_pixbuf_scale_simple (pixbuf, width,
      height, GDK_INTERP_BILINEAR);

  g_assert_cmpint (gdk_pixbuf_get_width (scaled), ==, width);
  return id_in (scaled);
}

/* Every data unit's file: the declared size and checksum, the advertised
 * Content-Type, decodable at the size of its kind, and the id of its data
 * unit (the event's) read back from the pixels, at full size, at 224x224
 * and at 32x32. */
static void
test_every_file_is_its_image (Fixture * f, gconstpointer data)
{
  g_autoptr (GHashTable) sizes = g_hash_table_new_full (g_str_hash,
      g_str_equal, g_free, NULL);
  guint pngs = 0, jpegs = 0, mislabelled = 0, untyped = 0;

  for (guint v = 1; v <= 2; v++) {
    g_autoptr (JsonArray) events = synapse_test_backend_dup_events
        (f->backend, v);

    g_assert_cmpuint (json_array_get_length (events), ==, EVENTS);
    for (guint i = 0; i < EVENTS; i++) {
      JsonObject *event = json_array_get_object_element (events, i);
      JsonObject *unit = json_object_get_object_member (event, "data_unit");
      JsonObject *file = json_object_get_object_member
          (json_object_get_object_member (unit, "files"), "image");
      gint64 id = json_object_get_int_member (unit, "id");
      const char *url = json_object_get_string_member (file, "url");
      g_autofree char *content_type = NULL;
      g_autoptr (GBytes) bytes = get (f, url, &content_type);
      g_autoptr (GBytes) same = synapse_test_backend_dup_media (f->backend,
          url);
      g_autofree char *md5 = g_compute_checksum_for_bytes (G_CHECKSUM_MD5,
          bytes);
      g_autofree char *format = NULL;
      g_autoptr (GdkPixbuf) pixbuf = decode (bytes, &format);
      SynapseTestMediaInfo info;

      g_assert_cmpint (id, ==, json_object_get_int_member (event, "id"));
      synapse_test_media_describe (id, &info);
      g_assert_true (g_bytes_equal (bytes, same));
      g_assert_cmpint (g_bytes_get_size (bytes), ==,
          json_object_get_int_member (file, "size"));
      g_assert_cmpstr (md5, ==, json_object_get_string_member (file,
              "checksum"));
      g_assert_cmpstr (content_type, ==, info.content_type);
      g_assert_true (g_str_has_suffix (url, info.name));

      g_assert_cmpstr (format, ==,
          info.format == SYNAPSE_TEST_MEDIA_PNG ? "png" : "jpeg");
      g_assert_cmpint (gdk_pixbuf_get_width (pixbuf), ==, info.width);
      g_assert_cmpint (gdk_pixbuf_get_height (pixbuf), ==, info.height);
      g_assert_cmpint (id_in (pixbuf), ==, id);
      g_assert_cmpint (id_scaled (pixbuf, 224, 224), ==, id);
      g_assert_cmpint (id_scaled (pixbuf, 32, 32), ==, id);

      /* a PNG under a .jpg name is one that says so */
      g_assert_cmpint (info.mislabelled, ==, info.format ==
          SYNAPSE_TEST_MEDIA_PNG && g_str_has_suffix (url, ".jpg"));
      mislabelled += info.mislabelled;
      untyped += !strcmp (content_type, "application/octet-stream");
      if (info.format == SYNAPSE_TEST_MEDIA_PNG)
        pngs++;
      else
        jpegs++;
      g_hash_table_add (sizes, g_strdup_printf ("%ux%u", info.width,
              info.height));
    }
  }
  g_assert_cmpuint (pngs, >, 0);
  g_assert_cmpuint (jpegs, >, 0);
  g_assert_cmpuint (mislabelled, >, 0);
  g_assert_cmpuint (untyped, >, 0);
  g_assert_cmpuint (g_hash_table_size (sizes), >=, 4);
}

/* The kinds the README lists, by id. */
static void
test_kinds_are_documented (void)
{
  static const struct
  {
    guint64 id;
    SynapseTestMediaFormat format;
    guint width, height;
    const char *name, *content_type;
  } want[] = {
    {1, SYNAPSE_TEST_MEDIA_JPEG, 320, 240, "image.jpg", "image/jpeg"},
    {2, SYNAPSE_TEST_MEDIA_PNG, 128, 96, "image.png", "image/png"},
    {3, SYNAPSE_TEST_MEDIA_JPEG, 640, 480, "image.jpg", "image/jpeg"},
    {4, SYNAPSE_TEST_MEDIA_PNG, 320, 240, "image.jpg", "image/png"},
    {5, SYNAPSE_TEST_MEDIA_JPEG, 128, 96, "image.jpg", "image/jpeg"},
    {6, SYNAPSE_TEST_MEDIA_PNG, 240, 320, "image.jpg",
        "application/octet-stream"},
    {10, SYNAPSE_TEST_MEDIA_PNG, 320, 240, "image.jpg", "image/png"},
  };

  for (guint i = 0; i < G_N_ELEMENTS (want); i++) {
    SynapseTestMediaInfo info;

    synapse_test_media_describe (want[i].id, &info);
    g_assert_cmpint (info.format, ==, want[i].format);
    g_assert_cmpuint (info.width, ==, want[i].width);
    g_assert_cmpuint (info.height, ==, want[i].height);
    g_assert_cmpstr (info.name, ==, want[i].name);
    g_assert_cmpstr (info.content_type, ==, want[i].content_type);
  }
}

/* The file's name does not choose its bytes, nor does the seed. */
static void
test_same_image_whatever_the_name (Fixture * f, gconstpointer data)
{
  SynapseTestBackendOptions options = {.versions = 1,.events = 3,.seed = 9 };
  g_autoptr (SynapseTestBackend) other = synapse_test_backend_new (&options,
      NULL);
  g_autoptr (GBytes) jpg = synapse_test_backend_dup_media (f->backend,
      "media/data_units/2/image.jpg");
  g_autoptr (GBytes) png = synapse_test_backend_dup_media (f->backend,
      "media/data_units/2/image.png");
  g_autoptr (GBytes) elsewhere = synapse_test_backend_dup_media (other,
      "media/data_units/2/image.png");
  g_autoptr (GBytes) direct = synapse_test_media_dup_image (2);
  g_autoptr (GBytes) not_an_image = synapse_test_backend_dup_media
      (f->backend, "media/data_units/2/other.bin");
  char md5[33];

  g_assert_true (g_bytes_equal (jpg, png));
  g_assert_true (g_bytes_equal (jpg, elsewhere));
  g_assert_true (g_bytes_equal (jpg, direct));
  g_assert_cmpuint (synapse_test_media_checksum (2, md5), ==,
      g_bytes_get_size (jpg));
  /* other names under the data unit are the generic random bytes */
  g_assert_nonnull (not_an_image);
  g_assert_false (g_bytes_equal (jpg, not_an_image));
}

/* The way to serve a file that does not match its checksum: the corrupt
 * fault flips one byte, keeps the size. */
static void
test_corrupt_file_fails_its_checksum (Fixture * f, gconstpointer data)
{
  g_autoptr (JsonArray) events = synapse_test_backend_dup_events (f->backend,
      1);
  JsonObject *file = json_object_get_object_member
      (json_object_get_object_member (json_object_get_object_member
          (json_array_get_object_element (events, 3), "data_unit"), "files"),
      "image");
  const char *url = json_object_get_string_member (file, "url");
  g_autoptr (GError) error = NULL;
  g_autofree char *content_type = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autofree char *md5 = NULL;

  g_assert_true (g_str_has_suffix (url, "media/data_units/4/image.jpg"));
  synapse_test_backend_add_fault_spec (f->backend,
      "corrupt bytes=100 path=media/data_units/4/ times=1", &error);
  g_assert_no_error (error);
  bytes = get (f, url, &content_type);
  md5 = g_compute_checksum_for_bytes (G_CHECKSUM_MD5, bytes);
  g_assert_cmpint (g_bytes_get_size (bytes), ==,
      json_object_get_int_member (file, "size"));
  g_assert_cmpstr (md5, !=, json_object_get_string_member (file, "checksum"));
  g_assert_cmpstr (content_type, ==, "image/png");

  /* once: then the right bytes again */
  g_clear_pointer (&bytes, g_bytes_unref);
  g_clear_pointer (&content_type, g_free);
  g_free (md5);
  bytes = get (f, url, &content_type);
  md5 = g_compute_checksum_for_bytes (G_CHECKSUM_MD5, bytes);
  g_assert_cmpstr (md5, ==, json_object_get_string_member (file, "checksum"));
}

/* The rule, without the backend: any id at any size reads back; pictures
 * that are not ids do not. */
static void
test_id_rule (void)
{
  static const guint64 ids[] = { 1, 7, 1000, 123456789,
    SYNAPSE_TEST_MEDIA_MAX_ID - 1
  };
  static const guint sizes[][2] = { {16, 16}, {33, 17}, {1000, 30},
  {100, 75}, {64, 480}
  };

  for (guint i = 0; i < G_N_ELEMENTS (ids); i++) {
    for (guint s = 0; s < G_N_ELEMENTS (sizes); s++) {
      guint w = sizes[s][0], h = sizes[s][1];
      gsize stride = 3 * w + 5;
      g_autofree guint8 *rgb = g_malloc0 (stride * h);
      g_autoptr (GBytes) png = NULL;
      g_autoptr (GBytes) jpeg = NULL;
      g_autoptr (GdkPixbuf) from_png = NULL;
      g_autoptr (GdkPixbuf) from_jpeg = NULL;
      g_autofree char *png_format = NULL;
      g_autofree char *jpeg_format = NULL;

      synapse_test_media_paint (ids[i], w, h, rgb, stride);
      g_assert_cmpint (synapse_test_media_id_from_rgb (rgb, w, h, stride), ==,
          ids[i]);
      /* our encoders at odd sizes (JPEG: blocks cut by the edge) */
      png = synapse_test_media_encode_png (rgb, w, h, stride);
      jpeg = synapse_test_media_encode_jpeg (rgb, w, h, stride);
      from_png = decode (png, &png_format);
      from_jpeg = decode (jpeg, &jpeg_format);
      g_assert_cmpstr (png_format, ==, "png");
      g_assert_cmpstr (jpeg_format, ==, "jpeg");
      g_assert_cmpint (gdk_pixbuf_get_width (from_jpeg), ==, w);
      g_assert_cmpint (gdk_pixbuf_get_height (from_jpeg), ==, h);
      /* PNG is lossless */
      for (guint y = 0; y < h; y++)
        g_assert_cmpmem (gdk_pixbuf_read_pixels (from_png) + y *
            gdk_pixbuf_get_rowstride (from_png), 3 * w, rgb + y * stride,
            3 * w);
      g_assert_cmpint (id_in (from_jpeg), ==, ids[i]);
    }
  }

  /* blank, or too small */
  {
    guint8 rgb[64 * 64 * 3];

    memset (rgb, 0, sizeof (rgb));
    g_assert_cmpint (synapse_test_media_id_from_rgb (rgb, 64, 64, 192), ==, -1);
    memset (rgb, 0xff, sizeof (rgb));
    g_assert_cmpint (synapse_test_media_id_from_rgb (rgb, 64, 64, 192), ==, -1);
    synapse_test_media_paint (42, 64, 64, rgb, 192);
    g_assert_cmpint (synapse_test_media_id_from_rgb (rgb, 64, 64, 192), ==, 42);
    g_assert_cmpint (synapse_test_media_id_from_rgb (rgb, 15, 64, 192), ==, -1);
    /* one cell's red flipped: the check fails */
    for (guint y = 32; y < 48; y++) {
      for (guint x = 0; x < 8; x++)
        rgb[y * 192 + 3 * x] ^= 0xC0;
    }
    g_assert_cmpint (synapse_test_media_id_from_rgb (rgb, 64, 64, 192), ==, -1);
  }
}

/* --placeholder-media: the benchmarks' backend lists the seeded bytes of
 * before, consistent with what the events declare, and no image. */
static void
test_placeholder_media_are_seeded_bytes (void)
{
  SynapseTestBackendOptions options = {.versions = 1,.events = EVENTS,
    .seed = 5,.placeholder_media = TRUE
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (SynapseTestBackend) backend = synapse_test_backend_new (&options,
      &error);
  g_autoptr (JsonArray) events = NULL;

  g_assert_no_error (error);
  events = synapse_test_backend_dup_events (backend, 1);
  for (guint i = 0; i < EVENTS; i++) {
    JsonObject *file = json_object_get_object_member
        (json_object_get_object_member (json_object_get_object_member
            (json_array_get_object_element (events, i), "data_unit"),
            "files"), "image");
    const char *url = json_object_get_string_member (file, "url");
    g_autoptr (GBytes) bytes = synapse_test_backend_dup_media (backend, url);
    g_autofree char *md5 = g_compute_checksum_for_bytes (G_CHECKSUM_MD5,
        bytes);
    const guint8 *head = g_bytes_get_data (bytes, NULL);

    g_assert_true (g_str_has_suffix (url, "/image.jpg"));
    g_assert_cmpint (g_bytes_get_size (bytes), ==,
        json_object_get_int_member (file, "size"));
    g_assert_cmpstr (md5, ==, json_object_get_string_member (file,
            "checksum"));
    /* neither a PNG's signature nor a JPEG's start of image */
    g_assert_false (head[0] == 0x89 && head[1] == 'P');
    g_assert_false (head[0] == 0xff && head[1] == 0xd8);
  }
}

int
main (int argc, char **argv)
{
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/media/" path, Fixture, NULL, fixture_set_up, func, \
      fixture_tear_down)

  ADD ("every-file-is-its-image", test_every_file_is_its_image);
  ADD ("same-image-whatever-the-name", test_same_image_whatever_the_name);
  ADD ("corrupt-file-fails-its-checksum", test_corrupt_file_fails_its_checksum);
  g_test_add_func ("/media/kinds-are-documented", test_kinds_are_documented);
  g_test_add_func ("/media/id-rule", test_id_rule);
  g_test_add_func ("/media/placeholder-media-are-seeded-bytes",
      test_placeholder_media_are_seeded_bytes);

  return g_test_run ();
}
