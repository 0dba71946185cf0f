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

G_END_DECLS
