/* benchpagesrc: the buffers synapsegtsrc pushes, with nothing behind them.
 *
 * Each create () pushes one page as synapsegtsrc does: a buffer list of
 * page-size buffers, each wrapping its event's bytes in one block the
 * page's events share (and holding a reference to it), offsets set,
 * until `events` have gone. The bytes are made once and never fetched,
 * parsed or copied, so what the process executes for an event is
 * GStreamer's part alone (the buffer and its memory made, listed, pushed
 * into the sink and freed): the floor under synapsegtsrc's instructions
 * per event while a buffer is an event.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include "bench-page-src.h"

struct _BenchPageSrc
{
  GstPushSrc parent;

  guint64 events;               /* to push in all */
  guint page_size;              /* events a buffer list */
  guint event_bytes;            /* the size of each */
  GBytes *page;                 /* one page's events, made at start () */
  guint64 offset;               /* the next event's */
};

enum
{
  PROP_0,
  PROP_EVENTS,
  PROP_PAGE_SIZE,
  PROP_EVENT_BYTES,
};

G_DEFINE_TYPE (BenchPageSrc, bench_page_src, GST_TYPE_PUSH_SRC);

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS ("application/x-ndjson"));

static gboolean
bench_page_src_start (GstBaseSrc * base)
{
  BenchPageSrc *self = BENCH_PAGE_SRC (base);
  gsize size = (gsize) self->page_size * self->event_bytes;
  guint8 *bytes = g_malloc (size);

  /* lines of compact JSON's size, each ended as an event's is */
  memset (bytes, 'x', size);
  for (guint i = 1; i <= self->page_size; i++)
    bytes[i * self->event_bytes - 1] = '\n';
  self->page = g_bytes_new_take (bytes, size);
  self->offset = 0;
  return TRUE;
}

static gboolean
bench_page_src_stop (GstBaseSrc * base)
{
  BenchPageSrc *self = BENCH_PAGE_SRC (base);

  g_clear_pointer (&self->page, g_bytes_unref);
  return TRUE;
}

static GstFlowReturn
bench_page_src_create (GstPushSrc * src, GstBuffer ** outbuf)
{
  BenchPageSrc *self = BENCH_PAGE_SRC (src);
  const guint8 *bytes = g_bytes_get_data (self->page, NULL);
  GstBufferList *list;
  guint n;

  if (self->offset >= self->events)
    return GST_FLOW_EOS;
  n = (guint) MIN (self->page_size, self->events - self->offset);
  list = gst_buffer_list_new_sized (n);
  for (guint i = 0; i < n; i++) {
    GstBuffer *buffer = gst_buffer_new ();

    gst_buffer_append_memory (buffer,
        gst_memory_new_wrapped (GST_MEMORY_FLAG_READONLY,
            (gpointer) (bytes + (gsize) i * self->event_bytes),
            self->event_bytes, 0, self->event_bytes, g_bytes_ref (self->page),
            (GDestroyNotify) g_bytes_unref));
    GST_BUFFER_OFFSET (buffer) = self->offset;
    GST_BUFFER_OFFSET_END (buffer) = ++self->offset;
    gst_buffer_list_add (list, buffer);
  }
  gst_base_src_submit_buffer_list (GST_BASE_SRC (src), list);
  *outbuf = NULL;
  return GST_FLOW_OK;
}

static void
bench_page_src_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  BenchPageSrc *self = BENCH_PAGE_SRC (object);

  switch (prop_id) {
    case PROP_EVENTS:
      self->events = g_value_get_uint64 (value);
      break;
    case PROP_PAGE_SIZE:
      self->page_size = g_value_get_uint (value);
      break;
    case PROP_EVENT_BYTES:
      self->event_bytes = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
bench_page_src_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  BenchPageSrc *self = BENCH_PAGE_SRC (object);

  switch (prop_id) {
    case PROP_EVENTS:
      g_value_set_uint64 (value, self->events);
      break;
    case PROP_PAGE_SIZE:
      g_value_set_uint (value, self->page_size);
      break;
    case PROP_EVENT_BYTES:
      g_value_set_uint (value, self->event_bytes);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
bench_page_src_class_init (BenchPageSrcClass * klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSrcClass *base_class = GST_BASE_SRC_CLASS (klass);

  object_class->set_property = bench_page_src_set_property;
  object_class->get_property = bench_page_src_get_property;
  g_object_class_install_property (object_class, PROP_EVENTS,
      g_param_spec_uint64 ("events", "Events", "Events to push in all",
          0, G_MAXUINT64, 0, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (object_class, PROP_PAGE_SIZE,
      g_param_spec_uint ("page-size", "Page size", "Events a buffer list",
          1, 100000, 100, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (object_class, PROP_EVENT_BYTES,
      g_param_spec_uint ("event-bytes", "Event bytes", "The size of each",
          1, 1 << 20, 640, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class, "Bench page source",
      "Source", "synapsegtsrc's buffers with nothing behind them",
      "gst-synapse developers");
  base_class->start = bench_page_src_start;
  base_class->stop = bench_page_src_stop;
  GST_PUSH_SRC_CLASS (klass)->create = bench_page_src_create;
}

static void
bench_page_src_init (BenchPageSrc * self)
{
  self->page_size = 100;
  self->event_bytes = 640;
}

gboolean
bench_page_src_register (void)
{
  return gst_element_register (NULL, "benchpagesrc", GST_RANK_NONE,
      BENCH_TYPE_PAGE_SRC);
}
