/* synapse-test-media.h: the images the local backend serves for data units
 *
 * Copyright (C) 2024 gst-synapse contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Every data unit's file is a real, decodable image, a pure function of the
 * data unit id (no seed): a picture in the top half (the same for every id
 * of one kind) and, in the bottom half, the id painted as a grid of flat
 * colour cells that survive JPEG and any scaling.
 *
 * The rule (synapse_test_media_id_from_rgb() applies it):
 * - the bottom half of the image is 2 rows of 8 cells, each cell 1/8 of the
 *   width and 1/4 of the height; cell k = 8 * row + column (row 0 on top,
 *   column 0 on the left);
 * - each cell is one flat colour whose channels are 0x20 or 0xE0, read as
 *   bits (> 128: 1): R is bit 3k + 2, G bit 3k + 1, B bit 3k of a 48-bit
 *   value V;
 * - V = id | (check << 40), id < 2^40, check = ((id * 0x9E3779B97F4A7C15)
 *   >> 56) ^ 0xA5 (so a blank or foreign image does not read as an id).
 * To read a cell, average its central half (a quarter of its width in from
 * each side, the same in height) and threshold each channel at 128.
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  SYNAPSE_TEST_MEDIA_PNG,
  SYNAPSE_TEST_MEDIA_JPEG,
} SynapseTestMediaFormat;

/**
 * SynapseTestMediaInfo:
 *
 * What the backend serves for a data unit: its kind cycles with
 * (id - 1) % SYNAPSE_TEST_MEDIA_KINDS, see the table in
 * synapse-test-media.c and tests/backend/README.md.
 */
typedef struct
{
  SynapseTestMediaFormat format;
  guint width;
  guint height;
  const char *name;             /* the file name the events give: "image.jpg" or "image.png" */
  const char *content_type;     /* what the backend answers as Content-Type */
  gboolean mislabelled;         /* a PNG under a .jpg name */
} SynapseTestMediaInfo;

#define SYNAPSE_TEST_MEDIA_KINDS 6
/* Ids painted into images are below this. */
#define SYNAPSE_TEST_MEDIA_MAX_ID (G_GUINT64_CONSTANT (1) << 40)

/* The kind of file data unit @id has (@id >= 1). */
void synapse_test_media_describe (guint64 id, SynapseTestMediaInfo * info);

/* The bytes of data unit @id's file (@id in 1 .. SYNAPSE_TEST_MEDIA_MAX_ID - 1). */
GBytes *synapse_test_media_dup_image (guint64 id);
/* Its size and MD5 (hex, 32 characters and a NUL), cheaply: the top of
 * every image of one kind is made once. */
gsize synapse_test_media_checksum (guint64 id, char md5[33]);

/* Paints data unit @id's picture, @width x @height 8-bit RGB into @rgb
 * (rows @stride bytes apart): any size of at least 16 x 16 reads back. */
void synapse_test_media_paint (guint64 id, guint width, guint height,
    guint8 * rgb, gsize stride);

/* The id painted in @rgb (8-bit R, G, B at each pixel's first three bytes,
 * pixels @pixel_stride bytes apart, rows @stride bytes apart) at any size of
 * at least 16 x 16, e.g. a decoded and scaled frame; -1 when the cells do
 * not hold an id (the check fails). */
gint64 synapse_test_media_id_from_pixels (const guint8 * pixels, int width,
    int height, int stride, int pixel_stride);
/* The same for packed RGB (3 bytes a pixel). */
gint64 synapse_test_media_id_from_rgb (const guint8 * rgb, int width,
    int height, int stride);

/* A PNG (8-bit RGB, no interlace) and a baseline JPEG (YCbCr 4:4:4, the
 * quantisation and Huffman tables of the JPEG spec's Annex K) of any RGB
 * picture, e.g. for a test's own fixtures. */
GBytes *synapse_test_media_encode_png (const guint8 * rgb, guint width,
    guint height, gsize stride);
GBytes *synapse_test_media_encode_jpeg (const guint8 * rgb, guint width,
    guint height, gsize stride);

G_END_DECLS
