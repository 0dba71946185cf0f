/* synapse-test-media.c: real images for the local backend's data units
 *
 * Copyright (C) 2024 gst-synapse contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A PNG writer (GZlibCompressor for IDAT, our own CRC-32 and Adler-32) and
 * a baseline JPEG encoder (YCbCr 4:4:4, integer forward DCT, the tables of
 * the JPEG spec's Annex K), both small and deterministic.
 *
 * Listing a page of events declares each data unit's size and MD5, so
 * making them must be cheap: an image is a top part that every image of a
 * kind shares, made once per process, and a bottom part that paints the
 * id, made on demand.  Each format can end one part and start another on a
 * byte boundary: PNG ends the first IDAT chunk with a zlib sync flush and
 * goes on, in a second IDAT chunk, with one deflate block of the fixed
 * code that we write (the id rows repeat: runs), then the Adler-32 of all
 * rows; JPEG has a restart marker after every
 * row of blocks (DRI), so rows are coded apart.  The MD5 state after the
 * shared part is kept, and an MD5 costs the bottom part only.
 */

#include "synapse-test-media.h"

#include <gio/gio.h>
#include <string.h>

/* (id - 1) % SYNAPSE_TEST_MEDIA_KINDS chooses the kind; id 3 (a JPEG named
 * image.jpg) is one the library's tests name. */
static const SynapseTestMediaInfo kinds[SYNAPSE_TEST_MEDIA_KINDS] = {
  {SYNAPSE_TEST_MEDIA_JPEG, 320, 240, "image.jpg", "image/jpeg", FALSE},
  {SYNAPSE_TEST_MEDIA_PNG, 128, 96, "image.png", "image/png", FALSE},
  {SYNAPSE_TEST_MEDIA_JPEG, 640, 480, "image.jpg", "image/jpeg", FALSE},
  {SYNAPSE_TEST_MEDIA_PNG, 320, 240, "image.jpg", "image/png", TRUE},
  {SYNAPSE_TEST_MEDIA_JPEG, 128, 96, "image.jpg", "image/jpeg", FALSE},
  {SYNAPSE_TEST_MEDIA_PNG, 240, 320, "image.jpg", "application/octet-stream",
      TRUE},
};

void
synapse_test_media_describe (guint64 id, SynapseTestMediaInfo * info)
{
  *info = kinds[(id - 1) % SYNAPSE_TEST_MEDIA_KINDS];
}

/* ---------------------------------------------------------------- paint */

#define CELL_LOW 0x20
#define CELL_HIGH 0xE0

static guint64
painted_value (guint64 id)
{
  guint64 check = ((id * G_GUINT64_CONSTANT (0x9E3779B97F4A7C15)) >> 56)
      ^ 0xA5;

  return (id & (SYNAPSE_TEST_MEDIA_MAX_ID - 1)) | (check << 40);
}

/* Rows [y0, y1) of the picture of @id into @rgb (row y0 first).  The top
 * half does not depend on @id: gradients and rings, to look like a photo
 * to an encoder. */
static void
paint_rows (guint64 id, guint w, guint h, guint y0, guint y1, guint8 * rgb,
    gsize stride)
{
  guint half = h / 2;
  guint64 value = painted_value (id);

  for (guint y = y0; y < y1; y++) {
    guint8 *row = rgb + (y - y0) * stride;

    if (y < half) {
      gint dy = (gint) y - (gint) half / 2;

      for (guint x = 0; x < w; x++) {
        gint dx = (gint) x - (gint) w / 2;
        guint t = (guint) ((dx * dx + dy * dy) * 8 / (gint) (w + 1)) & 255;

        row[3 * x] = (guint8) (x * 255 / MAX (w - 1, 1));
        row[3 * x + 1] = (guint8) (y * 255 / MAX (half, 1));
        row[3 * x + 2] = (guint8) (t < 128 ? 2 * t : 511 - 2 * t);
      }
    } else if (y > y0 && y > half
        && (y - half) * 2 / (h - half) == (y - 1 - half) * 2 / (h - half)) {
      /* the same cells as the row above */
      memcpy (row, row - stride, 3 * w);
    } else {
      guint r = (y - half) * 2 / (h - half);

      for (guint x = 0; x < w; x++) {
        guint k = r * 8 + x * 8 / w;
        guint bits = (guint) (value >> (3 * k)) & 7;

        row[3 * x] = (bits & 4) ? CELL_HIGH : CELL_LOW;
        row[3 * x + 1] = (bits & 2) ? CELL_HIGH : CELL_LOW;
        row[3 * x + 2] = (bits & 1) ? CELL_HIGH : CELL_LOW;
      }
    }
  }
}

void
synapse_test_media_paint (guint64 id, guint width, guint height,
    guint8 * rgb, gsize stride)
{
  paint_rows (id, width, height, 0, height, rgb, stride);
}

gint64
synapse_test_media_id_from_pixels (const guint8 * pixels, int width,
    int height, int stride, int pixel_stride)
{
  guint64 value = 0, id;

  if (width < 16 || height < 16 || pixel_stride < 3)
    return -1;
  for (int k = 0; k < 16; k++) {
    int r = k / 8, c = k % 8;
    /* the central half of the cell */
    int x0 = width * (4 * c + 1) / 32, x1 = width * (4 * c + 3) / 32;
    int y0 = height * (9 + 4 * r) / 16, y1 = height * (11 + 4 * r) / 16;
    guint64 sum[3] = { 0, 0, 0 };
    guint64 n = (guint64) (x1 - x0) * (y1 - y0);

    for (int y = y0; y < y1; y++) {
      const guint8 *p = pixels + (gsize) y * stride + (gsize) x0 * pixel_stride;

      for (int x = x0; x < x1; x++, p += pixel_stride) {
        sum[0] += p[0];
        sum[1] += p[1];
        sum[2] += p[2];
      }
    }
    for (int ch = 0; ch < 3; ch++) {
      if (sum[ch] > 128 * n)
        value |= G_GUINT64_CONSTANT (1) << (3 * k + 2 - ch);
    }
  }
  id = value & (SYNAPSE_TEST_MEDIA_MAX_ID - 1);
  if (id == 0 || painted_value (id) != value)
    return -1;
  return (gint64) id;
}

gint64
synapse_test_media_id_from_rgb (const guint8 * rgb, int width, int height,
    int stride)
{
  return synapse_test_media_id_from_pixels (rgb, width, height, stride, 3);
}

/* ------------------------------------------------------------------ PNG */

static guint32 crc_table[256];

static void
crc_table_init (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    for (guint32 n = 0; n < 256; n++) {
      guint32 c = n;

      for (int k = 0; k < 8; k++)
        c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      crc_table[n] = c;
    }
    g_once_init_leave (&done, 1);
  }
}

static guint32
crc32_of (const guint8 * p, gsize n)
{
  guint32 c = 0xFFFFFFFFu;

  for (gsize i = 0; i < n; i++)
    c = crc_table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

/* Adler-32 of @n more bytes after @adler. */
static guint32
adler32_update (guint32 adler, const guint8 * p, gsize n)
{
  guint32 a = adler & 0xFFFF, b = adler >> 16;

  while (n) {
    gsize block = MIN (n, 5552);        /* no overflow before the modulo */

    n -= block;
    while (block--) {
      a += *p++;
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return (b << 16) | a;
}

static void
put_be32 (GByteArray * out, guint32 v)
{
  guint8 b[4] = { v >> 24, v >> 16, v >> 8, v };

  g_byte_array_append (out, b, 4);
}

/* A chunk whose data are already at the end of @out, from @start. */
static void
png_close_chunk (GByteArray * out, gsize start)
{
  gsize len = out->len - start - 8;

  out->data[start] = len >> 24;
  out->data[start + 1] = len >> 16;
  out->data[start + 2] = len >> 8;
  out->data[start + 3] = len;
  put_be32 (out, crc32_of (out->data + start + 4, len + 4));
}

static gsize
png_open_chunk (GByteArray * out, const char *type)
{
  gsize start = out->len;

  put_be32 (out, 0);
  g_byte_array_append (out, (const guint8 *) type, 4);
  return start;
}

/* Runs @in through @converter (with @flags) onto @out. */
static void
convert_all (GConverter * converter, const guint8 * in, gsize len,
    GConverterFlags flags, GByteArray * out)
{
  gsize room = len + len / 8 + 4096;

  for (;;) {
    gsize used = out->len, read = 0, written = 0;
    g_autoptr (GError) error = NULL;
    GConverterResult result;

    g_byte_array_set_size (out, used + room);
    result = g_converter_convert (converter, in, len, out->data + used, room,
        flags, &read, &written, &error);
    g_byte_array_set_size (out, used + written);
    if (result == G_CONVERTER_ERROR) {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE))
        g_error ("zlib: %s", error->message);
      room *= 2;
      continue;
    }
    in += read;
    len -= read;
    if (result == G_CONVERTER_FINISHED || result == G_CONVERTER_FLUSHED)
      return;
  }
}

/* @rows rows of @rgb, filtered: a row that repeats the one above with
 * filter 2 (Up: all zeros), others with filter 1 (Sub). */
static guint8 *
png_filter_rows (const guint8 * rgb, gsize stride, guint w, guint rows,
    gsize * len)
{
  gsize line = 1 + 3 * (gsize) w;
  guint8 *raw = g_malloc (line * rows);

  for (guint y = 0; y < rows; y++) {
    const guint8 *src = rgb + y * stride;
    guint8 *dst = raw + y * line;

    if (y && !memcmp (src - stride, src, 3 * (gsize) w)) {
      dst[0] = 2;
      memset (dst + 1, 0, line - 1);
      continue;
    }
    dst[0] = 1;
    for (gsize i = 0; i < 3 * (gsize) w; i++)
      dst[1 + i] = src[i] - (i >= 3 ? src[i - 3] : 0);
  }
  *len = line * rows;
  return raw;
}

/* Signature, IHDR, and an IDAT with the zlib header and rows [0, split),
 * sync-flushed: a byte-aligned, unfinished deflate stream. */
static GByteArray *
png_prefix (guint w, guint h, guint split, const guint8 * rgb, gsize stride,
    guint32 * adler)
{
  static const guint8 signature[8] = { 137, 'P', 'N', 'G', '\r', '\n', 26,
    '\n'
  };
  GByteArray *out = g_byte_array_new ();
  g_autoptr (GZlibCompressor) zlib =
      g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_ZLIB, -1);
  g_autofree guint8 *raw = NULL;
  gsize raw_len, start;

  crc_table_init ();
  g_byte_array_append (out, signature, 8);
  start = png_open_chunk (out, "IHDR");
  put_be32 (out, w);
  put_be32 (out, h);
  /* 8 bits, RGB, deflate, adaptive filters, no interlace */
  g_byte_array_append (out, (const guint8 *) "\x08\x02\x00\x00\x00", 5);
  png_close_chunk (out, start);

  raw = png_filter_rows (rgb, stride, w, split, &raw_len);
  start = png_open_chunk (out, "IDAT");
  convert_all (G_CONVERTER (zlib), raw, raw_len, G_CONVERTER_FLUSH, out);
  png_close_chunk (out, start);
  *adler = adler32_update (1, raw, raw_len);
  return out;
}

/* Deflate's bit order: numbers from their low bit, Huffman codes from
 * their high bit (RFC 1951, 3.1.1). */
typedef struct
{
  GByteArray *out;
  guint32 acc;
  guint n;
} DeflateBits;

static void
deflate_bits (DeflateBits * b, guint32 value, guint len)
{
  b->acc |= value << b->n;
  b->n += len;
  while (b->n >= 8) {
    guint8 byte = b->acc & 0xFF;

    g_byte_array_append (b->out, &byte, 1);
    b->acc >>= 8;
    b->n -= 8;
  }
}

static void
deflate_code (DeflateBits * b, guint32 code, guint len)
{
  guint32 reversed = 0;

  for (guint i = 0; i < len; i++)
    reversed |= ((code >> i) & 1) << (len - 1 - i);
  deflate_bits (b, reversed, len);
}

/* A symbol of the fixed literal/length code (3.2.6). */
static void
deflate_symbol (DeflateBits * b, guint v)
{
  if (v < 144)
    deflate_code (b, 0x30 + v, 8);
  else if (v < 256)
    deflate_code (b, 0x190 + v - 144, 9);
  else if (v < 280)
    deflate_code (b, v - 256, 7);
  else
    deflate_code (b, 0xC0 + v - 280, 8);
}

/* @len (3..258) copies of the byte before. */
static void
deflate_repeat (DeflateBits * b, guint len)
{
  static const guint16 base[29] = { 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17,
    19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258
  };
  static const guint8 extra[29] = { 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2,
    2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0
  };
  guint i = 28;

  if (len < 258) {
    for (i = 27; base[i] > len; i--);
  }
  deflate_symbol (b, 257 + i);
  deflate_bits (b, len - base[i], extra[i]);
  deflate_code (b, 0, 5);       /* distance 1 */
}

/* A run of @n bytes @v, the first a literal, the rest copies. */
static void
deflate_run (DeflateBits * b, guint8 v, gsize n)
{
  deflate_symbol (b, v);
  for (n--; n >= 3;) {
    guint len = (guint) MIN (n, 258);

    /* never leave 1 or 2 behind: they would be literals anyway */
    if (n - len > 0 && n - len < 3)
      len -= 3;
    deflate_repeat (b, len);
    n -= len;
  }
  while (n--)
    deflate_symbol (b, v);
}

/* Adler-32 of @n zero bytes more. */
static guint32
adler32_zeros (guint32 adler, gsize n)
{
  guint64 a = adler & 0xFFFF, b = adler >> 16;

  b = (b + (n % 65521) * a) % 65521;
  return (guint32) (b << 16) | (guint32) a;
}

/* A second IDAT: rows [split, h), the last part of the deflate stream as
 * one block of the fixed code, and the Adler-32 of every row; then IEND.
 * The id cells are flat, so the rows are runs: a row like the one above
 * is filter 2 (Up) and zeros, made in O(1); the others are filter 1
 * (Sub), run-length coded.  (zlib would make smaller bytes, slower, and
 * this part is made each time an event is listed.) */
static void
png_suffix (GByteArray * out, guint w, guint rows, const guint8 * rgb,
    gsize stride, guint32 adler)
{
  gsize line = 3 * (gsize) w;
  g_autofree guint8 *raw = g_malloc (line);
  DeflateBits b = { out, 0, 0 };
  gsize start = png_open_chunk (out, "IDAT");
  guint8 filter;

  deflate_bits (&b, 1, 1);      /* BFINAL */
  deflate_bits (&b, 1, 2);      /* BTYPE: fixed codes */
  for (guint y = 0; y < rows; y++) {
    const guint8 *src = rgb + y * stride;

    if (y && !memcmp (src - stride, src, line)) {
      filter = 2;
      deflate_symbol (&b, filter);
      deflate_run (&b, 0, line);
      adler = adler32_update (adler, &filter, 1);
      adler = adler32_zeros (adler, line);
      continue;
    }
    filter = 1;
    for (gsize i = 0; i < line; i++)
      raw[i] = src[i] - (i >= 3 ? src[i - 3] : 0);
    deflate_symbol (&b, filter);
    for (gsize i = 0; i < line;) {
      gsize j = i + 1;

      while (j < line && raw[j] == raw[i])
        j++;
      deflate_run (&b, raw[i], j - i);
      i = j;
    }
    adler = adler32_update (adler, &filter, 1);
    adler = adler32_update (adler, raw, line);
  }
  deflate_symbol (&b, 256);     /* end of block */
  if (b.n)
    deflate_bits (&b, 0, 8 - b.n);
  put_be32 (out, adler);
  png_close_chunk (out, start);
  png_close_chunk (out, png_open_chunk (out, "IEND"));
}

/* ----------------------------------------------------------------- JPEG */

/* Annex K.1 and K.2, natural (row-major) order */
static const guint8 quant[2][64] = {
  {16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
        14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
        18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
        49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103,
      99},
  {17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99,
        24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99, 99, 99, 99,
        99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
        99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
      99},
};

static const guint8 zigzag[64] = {
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
  12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
  35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
  58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
};

/* Annex K.3: code lengths (how many codes of 1..16 bits), then values;
 * DC luminance, AC luminance, DC chrominance, AC chrominance */
static const guint8 dc_bits[2][16] = {
  {0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0},
  {0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0},
};

static const guint8 dc_values[12] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 };

static const guint8 ac_bits[2][16] = {
  {0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d},
  {0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77},
};

static const guint8 ac_values[2][162] = {
  {0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06,
        0x13, 0x51, 0x61, 0x07, 0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xa1,
        0x08, 0x23, 0x42, 0xb1, 0xc1, 0x15, 0x52, 0xd1, 0xf0, 0x24, 0x33,
        0x62, 0x72, 0x82, 0x09, 0x0a, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x25,
        0x26, 0x27, 0x28, 0x29, 0x2a, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39,
        0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x53, 0x54,
        0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67,
        0x68, 0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a,
        0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x92, 0x93, 0x94,
        0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6,
        0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8,
        0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca,
        0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe1, 0xe2,
        0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf1, 0xf2, 0xf3,
      0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa},
  {0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41,
        0x51, 0x07, 0x61, 0x71, 0x13, 0x22, 0x32, 0x81, 0x08, 0x14, 0x42,
        0x91, 0xa1, 0xb1, 0xc1, 0x09, 0x23, 0x33, 0x52, 0xf0, 0x15, 0x62,
        0x72, 0xd1, 0x0a, 0x16, 0x24, 0x34, 0xe1, 0x25, 0xf1, 0x17, 0x18,
        0x19, 0x1a, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x35, 0x36, 0x37, 0x38,
        0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x53,
        0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66,
        0x67, 0x68, 0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79,
        0x7a, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x92,
        0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4,
        0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6,
        0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8,
        0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda,
        0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf2, 0xf3,
      0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa},
};

/* round (4096 * C(u) / 2 * cos ((2x + 1) u pi / 16)), C(0) = 1/sqrt(2),
 * else 1: the DCT in integers, so every machine makes the same bytes */
static const gint32 dct[8][8] = {
  {1448, 1448, 1448, 1448, 1448, 1448, 1448, 1448},
  {2009, 1703, 1138, 400, -400, -1138, -1703, -2009},
  {1892, 784, -784, -1892, -1892, -784, 784, 1892},
  {1703, -400, -2009, -1138, 1138, 2009, 400, -1703},
  {1448, -1448, -1448, 1448, 1448, -1448, -1448, 1448},
  {1138, -2009, 400, 1703, -1703, -400, 2009, -1138},
  {784, -1892, 1892, -784, -784, 1892, -1892, 784},
  {400, -1138, 1703, -2009, 2009, -1703, 1138, -400},
};

typedef struct
{
  guint16 code[256];
  guint8 len[256];
} Huffman;

/* [0] DC luminance, [1] AC luminance, [2] DC chrominance, [3] AC chrominance */
static Huffman huffman[4];

/* Annex C: canonical codes from the code lengths */
static void
huffman_build (Huffman * table, const guint8 bits[16], const guint8 * values)
{
  guint code = 0, k = 0;

  for (guint len = 1; len <= 16; len++) {
    for (guint i = 0; i < bits[len - 1]; i++, k++) {
      table->code[values[k]] = code++;
      table->len[values[k]] = len;
    }
    code <<= 1;
  }
}

static void
huffman_init (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    for (guint t = 0; t < 2; t++) {
      huffman_build (&huffman[2 * t], dc_bits[t], dc_values);
      huffman_build (&huffman[2 * t + 1], ac_bits[t], ac_values[t]);
    }
    g_once_init_leave (&done, 1);
  }
}

typedef struct
{
  GByteArray *out;
  guint32 acc;
  guint n;
} Bits;

static void
put_bits (Bits * b, guint32 value, guint len)
{
  b->acc = (b->acc << len) | (value & ((1u << len) - 1));
  b->n += len;
  while (b->n >= 8) {
    guint8 byte = (guint8) (b->acc >> (b->n - 8));

    g_byte_array_append (b->out, &byte, 1);
    if (byte == 0xFF)
      g_byte_array_append (b->out, (const guint8 *) "", 1);     /* stuffing */
    b->n -= 8;
  }
  b->acc &= (1u << b->n) - 1;
}

/* Pads the last byte with ones (F.1.2.3). */
static void
flush_bits (Bits * b)
{
  if (b->n)
    put_bits (b, 0x7F, 8 - b->n);
}

static guint
magnitude_bits (gint v)
{
  guint a = (guint) ABS (v), n = 0;

  while (a) {
    n++;
    a >>= 1;
  }
  return n;
}

static void
put_value (Bits * b, gint v, guint n)
{
  if (n)
    put_bits (b, (guint32) (v < 0 ? v - 1 : v), n);
}

static void
put_symbol (Bits * b, const Huffman * table, guint symbol)
{
  put_bits (b, table->code[symbol], table->len[symbol]);
}

/* Forward DCT and quantisation of one level-shifted block (natural order)
 * into @out (zigzag order). */
static void
dct_quantize (const gint32 in[64], const guint8 q[64], gint out[64])
{
  gint64 coef[64];
  gboolean flat = TRUE;

  for (guint i = 1; i < 64 && flat; i++)
    flat = in[i] == in[0];
  if (flat) {
    /* what the sums and divisions below give exactly: every row of the
     * table but the first sums to 0, and so does every coefficient but
     * the DC one (flat blocks are most of an image's id cells) */
    gint64 c = (gint64) in[0] * (8 * 1448) * (8 * 1448);
    gint64 div = (gint64) q[0] << 24;

    memset (out, 0, 64 * sizeof (gint));
    out[0] = (gint) (c >= 0 ? (c + div / 2) / div : -((-c + div / 2) / div));
    return;
  } else {
    gint32 rows[8][8];          /* [u][y]: horizontal frequency u of row y */

    for (guint y = 0; y < 8; y++) {
      for (guint u = 0; u < 8; u++) {
        gint32 s = 0;

        for (guint x = 0; x < 8; x++)
          s += dct[u][x] * in[y * 8 + x];
        rows[u][y] = s;
      }
    }
    for (guint v = 0; v < 8; v++) {
      for (guint u = 0; u < 8; u++) {
        gint64 s = 0;

        for (guint y = 0; y < 8; y++)
          s += (gint64) dct[v][y] * rows[u][y];
        coef[v * 8 + u] = s;
      }
    }
  }
  for (guint k = 0; k < 64; k++) {
    gint64 c = coef[zigzag[k]];
    gint64 div = (gint64) q[zigzag[k]] << 24;

    out[k] = (gint) (c >= 0 ? (c + div / 2) / div : -((-c + div / 2) / div));
  }
}

static void
encode_block (Bits * b, const gint zz[64], guint table, gint * pred)
{
  gint diff;
  guint run = 0, n;

  diff = zz[0] - *pred;
  *pred = zz[0];
  n = magnitude_bits (diff);
  put_symbol (b, &huffman[2 * table], n);
  put_value (b, diff, n);
  for (guint k = 1; k < 64; k++) {
    if (zz[k] == 0) {
      run++;
      continue;
    }
    for (; run > 15; run -= 16)
      put_symbol (b, &huffman[2 * table + 1], 0xF0);    /* ZRL */
    n = magnitude_bits (zz[k]);
    put_symbol (b, &huffman[2 * table + 1], (run << 4) | n);
    put_value (b, zz[k], n);
    run = 0;
  }
  if (run)
    put_symbol (b, &huffman[2 * table + 1], 0x00);      /* EOB */
}

static void
put_be16 (GByteArray * out, guint v)
{
  guint8 b[2] = { v >> 8, v };

  g_byte_array_append (out, b, 2);
}

static void
put_marker (GByteArray * out, guint8 marker, guint payload_len)
{
  guint8 m[2] = { 0xFF, marker };

  g_byte_array_append (out, m, 2);
  if (payload_len)
    put_be16 (out, payload_len + 2);
}

static GByteArray *
jpeg_header (guint w, guint h)
{
  GByteArray *out = g_byte_array_new ();

  put_marker (out, 0xD8, 0);    /* SOI */
  put_marker (out, 0xE0, 14);   /* APP0: JFIF 1.1, no density, no thumbnail */
  g_byte_array_append (out,
      (const guint8 *) "JFIF\0\x01\x01\x00\x00\x01\x00\x01\x00\x00", 14);
  put_marker (out, 0xDB, 2 * 65);       /* DQT */
  for (guint t = 0; t < 2; t++) {
    guint8 t8 = t;

    g_byte_array_append (out, &t8, 1);
    for (guint k = 0; k < 64; k++)
      g_byte_array_append (out, &quant[t][zigzag[k]], 1);
  }
  put_marker (out, 0xC0, 15);   /* SOF0: 8 bits, 3 components, all 1x1 */
  g_byte_array_append (out, (const guint8 *) "\x08", 1);
  put_be16 (out, h);
  put_be16 (out, w);
  g_byte_array_append (out,
      (const guint8 *) "\x03\x01\x11\x00\x02\x11\x01\x03\x11\x01", 10);
  for (guint t = 0; t < 2; t++) {
    guint n_dc = 0, n_ac = 0;
    guint8 id;

    for (guint i = 0; i < 16; i++) {
      n_dc += dc_bits[t][i];
      n_ac += ac_bits[t][i];
    }
    put_marker (out, 0xC4, 2 * 17 + n_dc + n_ac);       /* DHT */
    id = 0x00 | t;
    g_byte_array_append (out, &id, 1);
    g_byte_array_append (out, dc_bits[t], 16);
    g_byte_array_append (out, dc_values, n_dc);
    id = 0x10 | t;
    g_byte_array_append (out, &id, 1);
    g_byte_array_append (out, ac_bits[t], 16);
    g_byte_array_append (out, ac_values[t], n_ac);
  }
  put_marker (out, 0xDD, 2);    /* DRI: a restart every row of blocks */
  put_be16 (out, (w + 7) / 8);
  put_marker (out, 0xDA, 10);   /* SOS */
  g_byte_array_append (out,
      (const guint8 *) "\x03\x01\x00\x02\x11\x03\x11\x00\x3f\x00", 10);
  return out;
}

/* Whether the 8 pixel rows at @rows repeat the 8 above them. */
static gboolean
strip_repeats (const guint8 * rows, gsize stride, guint w)
{
  for (guint y = 0; y < 8; y++) {
    if (memcmp (rows + y * stride, rows + y * stride - 8 * stride, 3 * w))
      return FALSE;
  }
  return TRUE;
}

/* Block rows [row0, row1) of an image @h rows high; @rgb holds pixel rows
 * from 8 * row0 on, up to @avail of them.  Each block row is one restart
 * interval: a restart marker follows it, but the image's last. */
static void
jpeg_rows (GByteArray * out, guint w, guint h, guint row0, guint row1,
    const guint8 * rgb, gsize stride, guint avail)
{
  guint last_row = (h + 7) / 8 - 1;
  Bits b = { out, 0, 0 };
  gsize same_start = 0, same_len = 0;

  huffman_init ();
  for (guint my = row0; my < row1; my++) {
    gint pred[3] = { 0, 0, 0 };
    gsize start = out->len;

    /* a row of blocks that repeats the one above is the same bytes
     * (a restart interval starts afresh) */
    if (same_len && (my - row0 + 1) * 8 <= avail && (my + 1) * 8 <= h
        && strip_repeats (rgb + (my - row0) * 8 * stride, stride, w)) {
      g_byte_array_set_size (out, start + same_len);
      memcpy (out->data + start, out->data + same_start, same_len);
      goto restart;
    }

    gboolean whole = (my - row0 + 1) * 8 <= avail && (my + 1) * 8 <= h;
    const guint8 *strip = rgb + (my - row0) * 8 * stride;
    gint zz[3][64];

    for (guint mx = 0; mx < (w + 7) / 8; mx++) {
      gint32 block[3][64];
      const guint8 *pixel[64];
      gboolean flat = TRUE, again = whole && mx && (mx + 1) * 8 <= w;
      guint n;

      /* a block like the one before (the id cells are wide) is coded as
       * it was */
      for (guint y = 0; y < 8 && again; y++)
        again = !memcmp (strip + y * stride + 24 * mx,
            strip + y * stride + 24 * (mx - 1), 24);
      if (again) {
        for (guint c = 0; c < 3; c++)
          encode_block (&b, zz[c], c ? 1 : 0, &pred[c]);
        continue;
      }

      for (guint i = 0; i < 64; i++) {
        /* past the edge, the edge pixel again */
        guint x = MIN (mx * 8 + i % 8, w - 1);
        guint y = MIN ((my - row0) * 8 + i / 8, avail - 1);

        pixel[i] = rgb + y * stride + 3 * x;
        if (flat && i)
          flat = !memcmp (pixel[i], pixel[0], 3);
      }
      n = flat ? 1 : 64;        /* one colour: converted once */
      for (guint i = 0; i < 64; i++) {
        const guint8 *p = pixel[i];
        gint32 r = p[0], g = p[1], bl = p[2];

        if (i >= n) {
          for (guint c = 0; c < 3; c++)
            block[c][i] = block[c][0];
          continue;
        }
        block[0][i] = ((19595 * r + 38470 * g + 7471 * bl + 32768) >> 16)
            - 128;
        block[1][i] = ((-11059 * r - 21709 * g + 32768 * bl + (128 << 16)
                + 32767) >> 16) - 128;
        block[2][i] = ((32768 * r - 27439 * g - 5329 * bl + (128 << 16)
                + 32767) >> 16) - 128;
      }
      for (guint c = 0; c < 3; c++) {
        dct_quantize (block[c], quant[c ? 1 : 0], zz[c]);
        encode_block (&b, zz[c], c ? 1 : 0, &pred[c]);
      }
    }
    flush_bits (&b);
    same_start = start;
    same_len = out->len - start;
  restart:
    if (my != last_row)
      put_marker (out, 0xD0 + (my & 7), 0);     /* RSTn */
  }
}

/* ------------------------------------------------------- the two parts */

/* Pixel rows in the shared part: the top half, down to a block row. */
static guint
split_rows (SynapseTestMediaFormat format, guint h)
{
  return format == SYNAPSE_TEST_MEDIA_JPEG ? (h / 2) & ~7u : h / 2;
}

/* The shared part; @adler: for the suffix of a PNG. */
static GByteArray *
encode_prefix (SynapseTestMediaFormat format, guint w, guint h,
    const guint8 * rgb, gsize stride, guint32 * adler)
{
  guint split = split_rows (format, h);
  GByteArray *out;

  *adler = 0;
  if (format == SYNAPSE_TEST_MEDIA_PNG)
    return png_prefix (w, h, split, rgb, stride, adler);
  out = jpeg_header (w, h);
  jpeg_rows (out, w, h, 0, split / 8, rgb, stride, split);
  return out;
}

/* The rest: @rgb holds pixel rows from split_rows() on. */
static void
encode_suffix (GByteArray * out, SynapseTestMediaFormat format, guint w,
    guint h, const guint8 * rgb, gsize stride, guint32 adler)
{
  guint split = split_rows (format, h);

  if (format == SYNAPSE_TEST_MEDIA_PNG) {
    png_suffix (out, w, h - split, rgb, stride, adler);
    return;
  }
  jpeg_rows (out, w, h, split / 8, (h + 7) / 8, rgb, stride, h - split);
  put_marker (out, 0xD9, 0);    /* EOI */
}

static GBytes *
encode (SynapseTestMediaFormat format, const guint8 * rgb, guint w, guint h,
    gsize stride)
{
  guint32 adler;
  GByteArray *out;

  g_return_val_if_fail (w > 0 && h > 0 && w <= 65535 && h <= 65535, NULL);
  out = encode_prefix (format, w, h, rgb, stride, &adler);
  encode_suffix (out, format, w, h, rgb + split_rows (format, h) * stride,
      stride, adler);
  return g_byte_array_free_to_bytes (out);
}

GBytes *
synapse_test_media_encode_png (const guint8 * rgb, guint width, guint height,
    gsize stride)
{
  return encode (SYNAPSE_TEST_MEDIA_PNG, rgb, width, height, stride);
}

GBytes *
synapse_test_media_encode_jpeg (const guint8 * rgb, guint width,
    guint height, gsize stride)
{
  return encode (SYNAPSE_TEST_MEDIA_JPEG, rgb, width, height, stride);
}

/* ------------------------------------------------ the data units' images */

/* The shared part of each kind, made at its first use, kept for the
 * process (six of them, some 100 KiB in all). */
typedef struct
{
  gsize ready;
  GBytes *prefix;
  GChecksum *md5;               /* after the prefix */
  guint32 adler;
} KindPrefix;

static KindPrefix prefixes[SYNAPSE_TEST_MEDIA_KINDS];

static const KindPrefix *
kind_prefix (guint k)
{
  KindPrefix *p = &prefixes[k];

  if (g_once_init_enter (&p->ready)) {
    const SynapseTestMediaInfo *info = &kinds[k];
    guint split = split_rows (info->format, info->height);
    gsize stride = 3 * (gsize) info->width;
    g_autofree guint8 *rgb = g_malloc (stride * MAX (split, 1));
    GByteArray *bytes;

    /* the top does not depend on the id: any one paints it */
    paint_rows (1, info->width, info->height, 0, split, rgb, stride);
    bytes = encode_prefix (info->format, info->width, info->height, rgb,
        stride, &p->adler);
    p->md5 = g_checksum_new (G_CHECKSUM_MD5);
    g_checksum_update (p->md5, bytes->data, bytes->len);
    p->prefix = g_byte_array_free_to_bytes (bytes);
    g_once_init_leave (&p->ready, 1);
  }
  return p;
}

/* The part of @id's image after the shared one. */
static GByteArray *
image_suffix (guint64 id, const KindPrefix ** prefix)
{
  guint k = (guint) ((id - 1) % SYNAPSE_TEST_MEDIA_KINDS);
  const SynapseTestMediaInfo *info = &kinds[k];
  guint split = split_rows (info->format, info->height);
  gsize stride = 3 * (gsize) info->width;
  g_autofree guint8 *rgb = g_malloc (stride * (info->height - split));
  GByteArray *out = g_byte_array_new ();

  *prefix = kind_prefix (k);
  paint_rows (id, info->width, info->height, split, info->height, rgb, stride);
  encode_suffix (out, info->format, info->width, info->height, rgb, stride,
      (*prefix)->adler);
  return out;
}

GBytes *
synapse_test_media_dup_image (guint64 id)
{
  const KindPrefix *prefix;
  g_autoptr (GByteArray) suffix = NULL;
  GByteArray *out;

  g_return_val_if_fail (id >= 1 && id < SYNAPSE_TEST_MEDIA_MAX_ID, NULL);
  suffix = image_suffix (id, &prefix);
  out = g_byte_array_sized_new (g_bytes_get_size (prefix->prefix)
      + suffix->len);
  g_byte_array_append (out, g_bytes_get_data (prefix->prefix, NULL),
      g_bytes_get_size (prefix->prefix));
  g_byte_array_append (out, suffix->data, suffix->len);
  return g_byte_array_free_to_bytes (out);
}

gsize
synapse_test_media_checksum (guint64 id, char md5[33])
{
  const KindPrefix *prefix;
  g_autoptr (GByteArray) suffix = NULL;
  g_autoptr (GChecksum) sum = NULL;

  g_return_val_if_fail (id >= 1 && id < SYNAPSE_TEST_MEDIA_MAX_ID, 0);
  suffix = image_suffix (id, &prefix);
  sum = g_checksum_copy (prefix->md5);
  g_checksum_update (sum, suffix->data, suffix->len);
  memcpy (md5, g_checksum_get_string (sum), 33);
  return g_bytes_get_size (prefix->prefix) + suffix->len;
}
