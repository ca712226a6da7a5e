/* Unit tests of metrics.c: exposition format, histograms, atomic file. */
#include "config.h"

#include <stdlib.h>
#include <unistd.h>

#include "fileio.h"
#include "metrics.h"
#include "tap.h"
#include "util.h"

int
main(void)
{
	char dir[] = "/tmp/chorusgw-metrics-XXXXXX";
	char *text, *path, *why = NULL;
	struct buf b;

	metrics_declare("chorusgw_documents", "gauge", "Documents by state.");
	metrics_declare("chorusgw_deposits_total", "counter", "Deposits sent.");
	metrics_declare("chorusgw_chorus_request_seconds", "histogram", "Latency.");
	metrics_set("chorusgw_documents", "state=\"queued\"", 3);
	metrics_set("chorusgw_documents", "state=\"queued\"", 4);
	metrics_add("chorusgw_deposits_total", NULL, 1);
	metrics_add("chorusgw_deposits_total", NULL, 1);
	metrics_observe("chorusgw_chorus_request_seconds", "op=\"deposit\"", 0.02);
	metrics_observe("chorusgw_chorus_request_seconds", "op=\"deposit\"", 3);
	text = metrics_render();
	ok(contains(text, "# TYPE chorusgw_documents gauge\n"), "TYPE line");
	ok(contains(text, "chorusgw_documents{state=\"queued\"} 4\n"),
	   "gauge set twice keeps last");
	ok(contains(text, "chorusgw_deposits_total 2\n"), "counter adds");
	ok(contains(text, "chorusgw_chorus_request_seconds_bucket{op=\"deposit\",le=\"0.01\"} 0\n"),
	   "bucket below");
	ok(contains(text,
	            "chorusgw_chorus_request_seconds_bucket{op=\"deposit\",le=\"0.025\"} 1\n"),
	   "bucket of the fast answer");
	ok(contains(text, "chorusgw_chorus_request_seconds_bucket{op=\"deposit\",le=\"5\"} 2\n"),
	   "buckets are cumulative");
	ok(contains(text, "chorusgw_chorus_request_seconds_bucket{op=\"deposit\",le=\"+Inf\"} 2\n"),
	   "+Inf bucket");
	ok(contains(text, "chorusgw_chorus_request_seconds_count{op=\"deposit\"} 2\n"), "count");
	ok(contains(text, "chorusgw_chorus_request_seconds_sum{op=\"deposit\"} 3.02"), "sum");
	free(text);

	metrics_clear("chorusgw_documents");
	text = metrics_render();
	ok(!contains(text, "state=\"queued\""), "clear drops the series");
	free(text);

	if (mkdtemp(dir) == NULL)
		return 1;
	path = xasprintf("%s/chorusgw.prom", dir);
	ok(metrics_write(path, &why) == 0, "write the textfile");
	buf_init(&b);
	ok(read_file(path, 1 << 20, 1, &b, NULL) == 0 && contains(b.p, "chorusgw_deposits_total 2"),
	   "file content");
	buf_free(&b);
	unlink(path);
	rmdir(dir);
	free(path);
	metrics_reset();
	return done_testing();
}
