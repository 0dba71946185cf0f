/* GStreamer elements for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* What lives here: the plugin's registration of its elements, and the
 * one thing every element needs set up once, the log: the `synapse`
 * debug category, and libsynapse's GLib log (its retries, for one)
 * forwarded to it, so that GST_DEBUG=synapse*:5 shows the library at
 * work beside the elements. */

#include "config.h"

#include "gstsynapseelements.h"

GST_DEBUG_CATEGORY (gst_synapse_debug);

/* libsynapse logs with GLib under this domain */
#define SYNAPSE_LOG_DOMAIN "Synapse"

static void
forward_library_log (const gchar * domain, GLogLevelFlags flags,
    const gchar * message, gpointer user_data)
{
  GstDebugLevel level;

  switch (flags & G_LOG_LEVEL_MASK) {
    case G_LOG_LEVEL_ERROR:
    case G_LOG_LEVEL_CRITICAL:
      level = GST_LEVEL_ERROR;
      break;
    case G_LOG_LEVEL_WARNING:
      level = GST_LEVEL_WARNING;
      break;
    case G_LOG_LEVEL_MESSAGE:
    case G_LOG_LEVEL_INFO:
      level = GST_LEVEL_INFO;
      break;
    default:
      level = GST_LEVEL_DEBUG;
      break;
  }
  GST_CAT_LEVEL_LOG (gst_synapse_debug, level, NULL, "%s", message);

  /* what GLib would have done without this handler */
  g_log_default_handler (domain, flags, message, user_data);
}

/**
 * synapse_element_init:
 * @plugin: the plugin being loaded
 *
 * What every element of the plugin needs once, whichever registers first.
 */
void
synapse_element_init (GstPlugin * plugin)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (gst_synapse_debug, "synapse", 0,
        "Synapse elements and the libsynapse client");
    g_log_set_handler (SYNAPSE_LOG_DOMAIN,
        G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL | G_LOG_FLAG_RECURSION,
        forward_library_log, NULL);
    g_once_init_leave (&done, 1);
  }
}

static gboolean
plugin_init (GstPlugin * plugin)
{
  gboolean ret = FALSE;

  ret |= GST_ELEMENT_REGISTER (synapsegtsrc, plugin);
  ret |= GST_ELEMENT_REGISTER (synapsemediasrc, plugin);
  ret |= GST_ELEMENT_REGISTER (synapsemodelsink, plugin);

  return ret;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, synapse,
    "Synapse ML backend: ground-truth events in, models out",
    plugin_init, VERSION, "LGPL", PACKAGE_NAME, PACKAGE_ORIGIN)
