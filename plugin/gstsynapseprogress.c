/* GStreamer elements for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* What lives here: the progress messages of every Synapse element, in
 * one shape. An operation (a request of a source, the upload of the
 * sink) posts one START, any number of CONTINUE, and exactly one end
 * (COMPLETE, ERROR or CANCELED), whichever thread ends it first: the
 * streaming thread stopping, or the sink's upload worker failing. Each
 * message carries a `percent` field (gint, 0 to 100) when the element
 * knows how far it is. Applications such as gst-launch-1.0 wait for an
 * operation that started to end before they go to PLAYING, which is why
 * an element never leaves one open. */

#include "config.h"

#include "gstsynapseprogress.h"

/**
 * gst_synapse_progress_init:
 * @progress: the operation
 * @element: the element that posts its messages
 * @code: (not nullable): the static progress code, e.g. `fetch`
 */
void
gst_synapse_progress_init (GstSynapseProgress * progress,
    GstElement * element, const gchar * code)
{
  progress->element = element;
  progress->code = code;
  progress->active = FALSE;
}

static void
post_valist (GstSynapseProgress * progress, GstProgressType type,
    gint percent, const gchar * format, va_list args)
{
  g_autofree gchar *text = g_strdup_vprintf (format, args);
  GstMessage *message = gst_message_new_progress (GST_OBJECT_CAST
      (progress->element), type, progress->code, text);

  if (percent >= 0)
    gst_structure_set (gst_message_writable_structure (message), "percent",
        G_TYPE_INT, CLAMP (percent, 0, 100), NULL);
  gst_element_post_message (progress->element, message);
}

/**
 * gst_synapse_progress_start:
 * @progress: the operation
 * @percent: how far the element is, 0–100, or -1 when not known
 * @format: printf format of the message for people
 * @...: its arguments
 *
 * Posts START; the operation then awaits its end.
 */
void
gst_synapse_progress_start (GstSynapseProgress * progress, gint percent,
    const gchar * format, ...)
{
  va_list args;

  g_atomic_int_set (&progress->active, TRUE);
  va_start (args, format);
  post_valist (progress, GST_PROGRESS_TYPE_START, percent, format, args);
  va_end (args);
}

/**
 * gst_synapse_progress_continue:
 * @progress: the operation
 * @percent: how far the element is, 0–100, or -1 when not known
 * @format: printf format of the message for people
 * @...: its arguments
 *
 * Posts CONTINUE.
 */
void
gst_synapse_progress_continue (GstSynapseProgress * progress, gint percent,
    const gchar * format, ...)
{
  va_list args;

  va_start (args, format);
  post_valist (progress, GST_PROGRESS_TYPE_CONTINUE, percent, format, args);
  va_end (args);
}

/**
 * gst_synapse_progress_end:
 * @progress: the operation
 * @type: COMPLETE, ERROR or CANCELED
 * @percent: how far the element is, 0–100, or -1 when not known
 * @format: printf format of the message for people
 * @...: its arguments
 *
 * Ends the operation, if it awaits its end: the first call posts @type,
 * later ones nothing.
 *
 * Returns: whether it posted
 */
gboolean
gst_synapse_progress_end (GstSynapseProgress * progress, GstProgressType type,
    gint percent, const gchar * format, ...)
{
  va_list args;

  if (!g_atomic_int_compare_and_exchange (&progress->active, TRUE, FALSE))
    return FALSE;
  va_start (args, format);
  post_valist (progress, type, percent, format, args);
  va_end (args);
  return TRUE;
}

/**
 * gst_synapse_progress_is_active:
 * @progress: the operation
 *
 * Returns: whether a START awaits its end
 */
gboolean
gst_synapse_progress_is_active (GstSynapseProgress * progress)
{
  return g_atomic_int_get (&progress->active);
}

/**
 * gst_synapse_progress_reset:
 * @progress: the operation
 *
 * Forgets an operation without a message, for a new run.
 */
void
gst_synapse_progress_reset (GstSynapseProgress * progress)
{
  g_atomic_int_set (&progress->active, FALSE);
}
