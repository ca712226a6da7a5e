#!/bin/sh
# reconcile and the incoming side: the PA's incoming flows searched again over
# [incoming] resync_window: a flow the polls missed is fetched and reported as a gap,
# nothing fetched twice; a status sent and not yet acknowledged is reported, then
# followed to its acknowledgement by a later run.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

start_emulator
# acknowledgements an emulated hour after a send: the clock is moved by hand below
start_pa_emulator --ack-delay 3600
S=$T/spool
pa_conf "$T/c.ini" "$S" <<EOC
search_window = 0s
[incoming]
enabled = yes
poll = 200ms
[gateway]
once_wait = 3s
EOC
receipts() { count "$S/incoming" '*.receipt'; }

pa_incoming ubl
pa_incoming cii
pa_emu POST /_emulator/clock '{"advance": 3600}' >/dev/null # their own acknowledgements
run_gw once1 -c "$T/c.ini" once
is "two invoices fetched" "$(receipts)" 2
run_gw rec1 -c "$T/c.ini" reconcile
is "reconcile: exit 0" "$rc" 0
contains "... says what it found: no gap" "$T/rec1.out" \
	"reconcile: incoming: 2 flow(s) at the PA over the window, 2 already fetched, 0 gap(s) fetched now"
is "... nothing fetched twice" "$(receipts)" 2

# the polls jump over a flow (the position is ahead of it, as after a clock error)
"$EMU_PYTHON" - "$S/.chorusgw/incoming/position" <<'EOP'
import json, sys
p = json.load(open(sys.argv[1]))
p["hwm"] = "2099-01-01T00:00:00Z"
open(sys.argv[1], "w").write(json.dumps(p))
EOP
pa_incoming ubl
run_gw once2 -c "$T/c.ini" once
is "a flow behind the position: the polls miss it" "$(receipts)" 2
run_gw rec2 -c "$T/c.ini" reconcile
is "reconcile: exit 0" "$rc" 0
contains "... reports one gap, fetched now" "$T/rec2.out" "1 gap(s) fetched now"
contains "... and logs which flow" "$T/rec2.err" "gap: flow PAE-"
is "... the missing invoice is in incoming/" "$(receipts)" 3

# a status sent, its acknowledgement an emulated hour away
R=$(ls "$S"/incoming/*.receipt | head -1)
printf 'status = 205\n' >"${R%.receipt}.status"
run_gw once3 -c "$T/c.ini" once
is "a status sent, not acknowledged yet: once exits 6" "$rc" 6
check "... the receipt says sent" grep -q '^status.1 = 205 sent CDV-' "$R"
run_gw rec3 -c "$T/c.ini" reconcile
contains "reconcile reports the status not acknowledged" "$T/rec3.out" "1 status(es) not acknowledged"
contains "... which one" "$T/rec3.out" "status 205 on $(basename "$R"): sent, not acknowledged"
pa_emu POST /_emulator/clock '{"advance": 3600}' >/dev/null
run_gw rec4 -c "$T/c.ini" reconcile
is "an hour later, reconcile: exit 0" "$rc" 0
contains "... nothing left unacknowledged" "$T/rec4.out" "0 status(es) not acknowledged"
check "... the receipt says acknowledged" grep -q '^status.1 = 205 acknowledged CDV-' "$R"
done_testing
