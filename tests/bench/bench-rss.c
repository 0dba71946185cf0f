/* bench-rss.c: the peak memory the benchmark programs report
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "bench-rss.h"

/* VmHWM, not getrusage ()'s ru_maxrss, which Linux carries over an exec,
 * so that a child of run.py would report at least run.py's own RSS. */
glong
bench_peak_rss_kib (void)
{
  g_autofree gchar *status = NULL;
  const gchar *line;
  struct rusage usage;

  if (g_file_get_contents ("/proc/self/status", &status, NULL, NULL)
      && (line = strstr (status, "\nVmHWM:")) != NULL)
    return strtol (line + strlen ("\nVmHWM:"), NULL, 10);
  /* not Linux: ru_maxrss, which is right where exec () resets it */
  getrusage (RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}
