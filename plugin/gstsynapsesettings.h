/* GStreamer elements for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Where a Synapse element's properties live: a table says which field
 * of the element's instance holds the value of each property, so that
 * setting, reading, defaults and freeing are written once
 * (gstsynapsesettings.c) instead of a switch an element. */

#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* The flags of a Synapse element's setting: read and written by
 * applications, taking effect at the next start. */
#define GST_SYNAPSE_PARAM_SETTING (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS \
    | GST_PARAM_MUTABLE_READY)

void gst_synapse_settings_install (GObjectClass * klass, GParamSpec ** pspecs,
    const gsize * fields, guint n_pspecs);

void gst_synapse_settings_init (GObject * object);

void gst_synapse_settings_clear (GObject * object);

GParamSpec *gst_synapse_settings_checked_at_start (GParamSpec * pspec);

gboolean gst_synapse_settings_check_ranges (GObject * object, GError ** error);

/**
 * GST_SYNAPSE_SETTINGS_ERROR:
 *
 * The domain of a setting that cannot work, found at start: the error
 * names the property (gst_synapse_settings_error_get_property ()) and is
 * posted as a RESOURCE SETTINGS error (GST_SYNAPSE_ELEMENT_SETTINGS_ERROR ()).
 */
#define GST_SYNAPSE_SETTINGS_ERROR (gst_synapse_settings_error_quark ())

/**
 * GstSynapseSettingsError:
 * @GST_SYNAPSE_SETTINGS_ERROR_INVALID: the property's value cannot work
 *
 * The codes of #GST_SYNAPSE_SETTINGS_ERROR.
 */
typedef enum
{
  GST_SYNAPSE_SETTINGS_ERROR_INVALID = 1,
} GstSynapseSettingsError;

GQuark gst_synapse_settings_error_quark (void);

void gst_synapse_settings_set_error (GError ** error, const gchar * property,
    const gchar * format, ...) G_GNUC_PRINTF (3, 4);

const gchar *gst_synapse_settings_error_get_property (const GError * error);

void gst_synapse_settings_post_error (GstElement * element,
    const GError * error, const gchar * file, const gchar * function,
    gint line);

/**
 * GST_SYNAPSE_ELEMENT_SETTINGS_ERROR:
 * @el: the element
 * @error: a #GST_SYNAPSE_SETTINGS_ERROR
 *
 * Posts @error as a RESOURCE SETTINGS error message whose details hold the
 * name of the property as `property` (a string).
 */
#define GST_SYNAPSE_ELEMENT_SETTINGS_ERROR(el, error)                    \
  gst_synapse_settings_post_error (GST_ELEMENT_CAST (el), error,        \
      __FILE__, GST_FUNCTION, __LINE__)

G_END_DECLS
