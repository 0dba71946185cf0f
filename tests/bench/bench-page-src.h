/* bench-page-src.h: benchpagesrc, GStreamer's share of an event's cost
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gst/base/gstpushsrc.h>

G_BEGIN_DECLS

#define BENCH_TYPE_PAGE_SRC (bench_page_src_get_type ())
G_DECLARE_FINAL_TYPE (BenchPageSrc, bench_page_src, BENCH, PAGE_SRC,
    GstPushSrc)

/* Registers benchpagesrc with this process's GStreamer (no plugin). */
gboolean bench_page_src_register (void);

G_END_DECLS
