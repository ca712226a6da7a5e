#!/bin/sh
# Following flows sent through the PA, `chorusgw run` against the PA emulator: the
# lifecycle statuses read over several pages of POST /v1/flows/search (more than the 100
# a page holds, arrived while chorusgw was stopped: the position kept in the spool), each
# status applied once although the safety window reads some flows again, and an access
# token expired by the PA replaced without a pause, `retry --route`, and `reconcile`
# applying a status while no daemon runs. The buyer's statuses are posted by the test
# (the emulator's own clock is set too slow to give any).
. "$top_srcdir/tests/lib.sh"

start_emulator --integration-delay 0
start_pa_emulator --lifecycle-step 100000
S=$T/spool
{
	pa_ini
	printf 'poll_interval = 200ms\nsearch_window = 1m\n'
	printf '[metrics]\nfile = %s/m.prom\ninterval = 1s\n' "$T"
} | gw_conf "$T/c.ini" "$S"
start_gw() {
	"$CHORUSGW" -v -c "$T/c.ini" run >>"$T/out" 2>>"$T/log" &
	pid=$!
}
start_gw
on_exit 'kill $pid 2>/dev/null'

pa_invoice "$T/a.xml" ubl PAF-0001 "$PA_SELLER" "$PA_BUYER"
drop "$T/a.xml" "$S/inbox"
r=$S/outbox/a.xml.receipt
check "taken by the PA (acknowledgement Ok)" wait_until 30 rkey_is "$r" pa_ack Ok
kill -TERM $pid
wait $pid
is "stopped with SIGTERM" "$?" 0
check "the feed's position is kept in the spool" test -s "$S/.chorusgw/state/pa-feed.json"

# 120 statuses 204 while it is stopped, then 212: more than one page of search results
# (100 a page), all within the safety window, so that only following the cursor reaches
# the 212: a search started again from the window would read the first page forever
i=0
while [ $i -lt 120 ]; do
	pa_status PAF-0001 204
	i=$((i + 1))
done
pa_status PAF-0001 212
start_gw
check "paging: the 212 after 120 other statuses is read, accepted/" \
	wait_until 60 test -f "$S/accepted/a.xml.receipt"
r=$S/accepted/a.xml.receipt
is "paging: status 212 Encaissée" "$(rkey "$r" status_code)/$(rkey "$r" status_label)" \
	"212/Encaissée"
is "each of the 120 statuses 204 applied once" "$(grep -c 'status 204 Prise en charge' "$r")" 120
is "the 212 applied once" "$(grep -c 'status 212 Encaissée' "$r")" 1
metric() { grep -q "$1" "$T/m.prom" 2>/dev/null; }
check "metrics: 120 statuses 204 read, none twice" \
	wait_until 5 metric '^chorusgw_pa_statuses_total{status="204"} 120$'

# ---- an access token the PA expires: a new one, no pause ----
pa_invoice "$T/b.xml" ubl PAF-0002 "$PA_SELLER" "$PA_BUYER"
drop "$T/b.xml" "$S/inbox"
r=$S/outbox/b.xml.receipt
check "second invoice taken" wait_until 30 rkey_is "$r" pa_ack Ok
before=$(pa_emu GET /_emulator/stats | "$EMU_PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["tokens_issued"])')
pa_emu POST /_emulator/faults '{"expire_tokens": true}' >/dev/null
pa_status PAF-0002 212
check "token expired: the status still read, accepted/" \
	wait_until 30 test -f "$S/accepted/b.xml.receipt"
after=$(pa_emu GET /_emulator/stats | "$EMU_PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["tokens_issued"])')
check "token expired: a new token was fetched" test "$after" -gt "$before"
if grep -q "paused" "$T/log"; then not_ok "token expired: no pause"; else ok "token expired: no pause"; fi

# ---- retry --route: the documents in progress on one route ----
pa_emu POST /_emulator/faults '{"status": {"code": 503, "seconds": 60, "route": "/flow-service/v1/flows"}}' >/dev/null
pa_invoice "$T/c.xml" ubl PAF-0003 "$PA_SELLER" "$PA_BUYER"
drop "$T/c.xml" "$S/inbox"
check "PA down: the third invoice waits in outbox/" wait_until 30 test -f "$S/outbox/c.xml.receipt"
qid=$(rkey "$S/outbox/c.xml.receipt" queue_id)
"$CHORUSGW" -c "$T/c.ini" retry --route pa >"$T/retry" 2>&1
is "retry --route pa: exit 0" "$?" 0
contains "retry --route pa: asks for the PA's document" "$T/retry" "$qid: retry requested"
is "retry --route pa: only it" "$(wc -l <"$T/retry" | tr -d ' ')" 1
"$CHORUSGW" -c "$T/c.ini" retry --route chorus >"$T/retry" 2>&1
contains "retry --route chorus: none on Chorus Pro" "$T/retry" "no document in progress on route chorus"
"$CHORUSGW" -c "$T/c.ini" retry --route ftp >"$T/retry" 2>&1
is "retry --route with an unknown route: usage error" "$?" 2
pa_emu POST /_emulator/faults '{}' >/dev/null
check "PA back: the third invoice taken" wait_until 40 rkey_is "$S/outbox/c.xml.receipt" pa_ack Ok
kill -TERM $pid
wait $pid
is "SIGTERM: exit 0" "$?" 0

# ---- reconcile follows PA flows as it follows Chorus Pro invoices ----
pa_status PAF-0003 212
"$CHORUSGW" -c "$T/c.ini" reconcile >"$T/rec" 2>>"$T/log"
is "reconcile: exit 0" "$?" 0
contains "reconcile: reads the PA's statuses" "$T/rec" "reconcile: PA:"
check "reconcile: 212 moves the PA's document to accepted/" test -f "$S/accepted/c.xml.receipt"
is "reconcile: status 212" "$(rkey "$S/accepted/c.xml.receipt" status_code)" 212
NO_SECRETS_EXTRA="$PA_SECRET" no_secrets "no secret in the log" "$T/log"
done_testing
