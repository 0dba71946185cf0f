/* bench-rss.h: the peak memory the benchmark programs report
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The peak RSS of this process since its exec, in KiB. */
glong bench_peak_rss_kib (void);

G_END_DECLS
