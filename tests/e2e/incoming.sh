#!/bin/sh
# Receiving through the PA: the invoices the PA holds for the client's companies are
# fetched into incoming/ with a receipt, each flow once (de-duplicated by flow id, also
# after the ERP took the files), hostile and malformed files quarantined with the reason,
# the search position kept between runs; faults of the PA only delay the fetch.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

start_emulator
start_pa_emulator
S=$T/spool
pa_conf "$T/c.ini" "$S" <<EOC
search_window = 2s
[incoming]
enabled = yes
poll = 200ms
readable = yes
converted = yes
[gateway]
once_wait = 20s
[metrics]
file = $T/m.prom
interval = 1s
EOC

for k in ubl cii facturx sample-ubl sample-cii xxe billion-laughs not-xml; do pa_incoming $k; done

run_gw once1 -c "$T/c.ini" once
is "once: exit 0" "$rc" 0
is "five invoices in incoming/, each with a receipt" "$(count "$S/incoming" '*.receipt')" 5
is "three hostile or malformed files quarantined" "$(count "$S/quarantine" '*.receipt')" 3
is "... their bytes kept" "$(count "$S/quarantine" '*.bin')" 3

# the receipts: who sent what, from the invoice read safely
R=$(grep -l '^flow_syntax = UBL$' "$S"/incoming/*.receipt | xargs grep -l '^flow_name = FA-')
is "a UBL invoice's receipt: state received" "$(rkey "$R" state)" received
is "... the supplier's SIREN" "$(rkey "$R" supplier_siren)" "$PA_SUPPLIER"
contains "... its name" "$R" "supplier_name = FOURNITURES BUREAU ALPHA SAS"
contains "... the buyer, our company" "$R" "buyer_siren = $PA_SELLER"
check "... the invoice number, dates, amounts and currency" sh -c \
	"grep -q '^invoice_number = FA-' '$R' && grep -q '^issue_date = 20' '$R' &&
	 grep -q '^total_with_vat = ' '$R' && grep -q '^currency = EUR' '$R'"
F=$(rkey "$R" file)
is "... the original kept as the PA gave it (sha256)" "$(sha256sum "$S/incoming/$F" | cut -c1-64)" \
	"$(rkey "$R" sha256)"
check "... its readable view and converted form beside it" test -s \
	"$S/incoming/$(rkey "$R" readable_file)" -a -s "$S/incoming/$(rkey "$R" converted_file)"
check "... a history line" grep -q '^history.1 = .* received flow PAE-' "$R"
X=$(grep -l '^flow_syntax = Factur-X$' "$S"/incoming/*.receipt)
is "a Factur-X: the PDF kept" "$(rkey "$X" file | sed 's/.*\.//')" pdf
check "... its terms read from the PA's converted form" grep -q '^invoice_number = FA-' "$X"
check "quarantine: the XXE and billion laughs refused for their DOCTYPE, never expanded" \
	test "$(grep -l '^reason.1 = .*DOCTYPE' "$S"/quarantine/*.receipt | wc -l)" -eq 2
check "... the bytes that are not XML, with that reason" grep -q "^reason.1 = .*not XML" \
	"$S"/quarantine/*.receipt
lacks "... nothing of /etc/passwd anywhere" "$S/quarantine/"*.receipt "root:"
check "the search position is saved" test -s "$S/.chorusgw/incoming/position"

# nothing twice: a flow shown again (redelivered, in the window) is not fetched again
pa_emu POST /_emulator/incoming "{\"kind\": \"redeliver\", \"of\": 0}" >/dev/null
run_gw once2 -c "$T/c.ini" once
is "second run: exit 0" "$rc" 0
is "... a redelivered flow not fetched again" "$(count "$S/incoming" '*.receipt')" 5
pa_incoming copy 1 ', "of": 0'
run_gw once3 -c "$T/c.ini" once
is "a copy (a new flow id, the same bytes) is a new flow: fetched" \
	"$(count "$S/incoming" '*.receipt')" 6

# the ERP takes its invoices away: they are never fetched again
mkdir "$T/erp"
mv "$S"/incoming/* "$T/erp/"
run_gw once4 -c "$T/c.ini" once
files() { find "$S/incoming" -maxdepth 1 -type f | wc -l | tr -d ' '; }
is "after the ERP took them: nothing fetched again" "$(files)" 0

# faults: a download cut in the middle, then a 503 in the middle of paging (> 1 page)
pa_emu POST /_emulator/faults '{"truncate_download": {"count": 1}}' >/dev/null
pa_incoming ubl
run_gw once5 -c "$T/c.ini" once
is "a truncated download: once says some work waits (exit 6)" "$rc" 6
is "... nothing half-written in incoming/" "$(files)" 0
run_gw once6 -c "$T/c.ini" once
is "... the next run fetches it" "$(count "$S/incoming" '*.receipt')" 1
pa_incoming cii 130
pa_emu POST /_emulator/faults '{"paging": {"code": 503, "count": 1}}' >/dev/null
run_gw once7 -c "$T/c.ini" once
is "130 new flows, a 503 on the second page: exit 6" "$rc" 6
n=$(count "$S/incoming" '*.receipt')
check "... the first page is in, not the rest ($n)" test "$n" -gt 80 -a "$n" -lt 131
run_gw once8 -c "$T/c.ini" once
is "... the next run goes on from the cursor: all 131, none twice" \
	"$(count "$S/incoming" '*.receipt')" 131
is "... every flow id once" "$(cat "$S"/incoming/*.receipt | grep -c '^flow_id = ')" \
	"$(cat "$S"/incoming/*.receipt | sed -n 's/^flow_id = //p' | sort -u | wc -l)"

# the daemon polls
"$CHORUSGW" -c "$T/c.ini" -v run 2>"$T/run.err" &
GWPID=$!
on_exit "kill $GWPID 2>/dev/null"
pa_incoming facturx
receipts_are() { [ "$(count "$S/incoming" '*.receipt')" -eq "$1" ]; }
check "run: a new invoice arrives while it runs" wait_until 20 receipts_are 132
metric() { grep -q "$1" "$T/m.prom" 2>/dev/null; }
check "metrics: the invoice fetched" wait_until 10 metric '^chorusgw_incoming_total{result="fetched"} 1$'
kill -TERM $GWPID
wait $GWPID
is "... and it stops cleanly on SIGTERM" "$?" 0
"$CHORUSGW" -c "$T/c.ini" queue >"$T/q"
contains "queue: the invoices received and quarantined" "$T/q" "-- incoming: 132 invoices received in incoming/, 3 in quarantine/"
# one pass at a time per spool: while another process's pass holds lock/incoming, a
# `once` fetches nothing (it waits for its turn until once_wait), then takes its turn
(umask 077 && sed 's/^once_wait = 20s$/once_wait = 2s/' "$T/c.ini" >"$T/c2.ini")
pa_incoming ubl
hold_lock "$S/.chorusgw/lock/incoming"
run_gw once3 -c "$T/c2.ini" once
is "another process's pass holds lock/incoming: nothing fetched" "$(count "$S/incoming" '*.receipt')" 132
release_lock
run_gw once4 -c "$T/c.ini" once
is "... its turn once it ended: fetched" "$(count "$S/incoming" '*.receipt')" 133

# a cursor the PA refuses (expired, forged: 400 INVALID_CURSOR): read again from the window
pa_incoming cii 130
pa_emu POST /_emulator/faults '{"paging": {"code": 503, "count": 1}}' >/dev/null
run_gw once9 -c "$T/c.ini" once
"$EMU_PYTHON" - "$S/.chorusgw/incoming/position" <<'EOP'
import json, sys
p = json.load(open(sys.argv[1]))
p["cursor"] = p["cursor"] + "x"
open(sys.argv[1], "w").write(json.dumps(p))
EOP
run_gw once10 -c "$T/c.ini" once
is "a refused cursor: exit 0" "$rc" 0
contains "... said so" "$T/once10.err" "refused the search cursor"
is "... read again from the window: all 263, none twice" \
	"$(count "$S/incoming" '*.receipt')" 263
no_secrets "no secret in the logs" "$T"/*.err
lacks "... nor in the receipts" "$S"/incoming/*.receipt "$PA_SECRET"

done_testing
