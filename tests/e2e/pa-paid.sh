#!/bin/sh
# The seller's 212 Encaissée, `chorusgw run` against the PA emulator: an invoice sent
# through the PA and taken (200 Déposée) waits in outbox/ at the default [pa]
# final_status 212; the ERP drops FILE.status next to its receipt, chorusgw sends the
# CDAR once, the PA acknowledges it and the invoice moves to accepted/ with the status in
# its history; the same file dropped again is refused locally, not sent; a 212 without
# its amount is refused with the rule (BR-FR-CDV-14); a stop after the send is settled
# by the trackingId, never sent twice; a status file next to an invoice sent to Chorus
# Pro is refused with the reason.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

start_emulator --integration-delay 0
start_pa_emulator --lifecycle-step 100000
S=$T/spool
{
	pa_ini
	printf 'poll_interval = 200ms\n'
	printf '[metrics]\nfile = %s/m.prom\ninterval = 1s\n' "$T"
} | gw_conf "$T/c.ini" "$S"
start_gw() {
	"$CHORUSGW" -v -c "$T/c.ini" run >>"$T/out" 2>>"$T/log" &
	pid=$!
}
start_gw
on_exit 'kill $pid 2>/dev/null'
status_file() { # PATH TEXT : the ERP writes it, then renames it
	printf '%b' "$2" >"$1.tmp"
	mv "$1.tmp" "$1"
}
statuses() { # INVOICE CODE : how many times the PA recorded that status from the client
	pa_emu GET /_emulator/statuses | "$EMU_PYTHON" -c '
import json, sys
print(sum(1 for s in json.load(sys.stdin) if s["invoice"] == sys.argv[1] and s["status"] == sys.argv[2]))' "$1" "$2"
}
men() { # INVOICE : the MEN characteristics the PA recorded with its 212 (amount@rate)
	pa_emu GET /_emulator/statuses | "$EMU_PYTHON" -c '
import json, sys
print(" ".join("%s@%s" % (c["amount"], c["rate"]) for s in json.load(sys.stdin)
               if s["invoice"] == sys.argv[1] and s["status"] == "212"
               for c in s["characteristics"] if c["type"] == "MEN"))' "$1"
}
sends() { # TRACKINGID : how many flows the PA received with that trackingId
	pa_emu GET /_emulator/flows | "$EMU_PYTHON" -c '
import json, sys
print(sum(1 for f in json.load(sys.stdin) if f.get("trackingId") == sys.argv[1]))' "$1"
}
track_of() { sed -n 's/.*(trackingId \(CDV-[0-9a-f]*\)).*/\1/p' "$1" | head -1; }

# ---- an invoice sent through the PA, paid ----
pa_invoice "$T/a.xml" ubl PAP-0001 "$PA_SELLER" "$PA_BUYER"
drop "$T/a.xml" "$S/inbox"
r=$S/outbox/a.xml.receipt
check "sent through the PA, taken (acknowledgement Ok)" wait_until 30 rkey_is "$r" pa_ack Ok
pa_status PAP-0001 200
check "200 Déposée: it waits in outbox/ for the final status (212)" \
	wait_until 30 rkey_is "$r" status_code 200
status_file "$S/outbox/a.xml.status" 'status = 212\namount = 120.00\n'
check "the ERP's 212: accepted/ once the PA acknowledged it" \
	wait_until 30 test -f "$S/accepted/a.xml.receipt"
r=$S/accepted/a.xml.receipt
is "status 212 Encaissée, from the seller" \
	"$(rkey "$r" status_code)/$(rkey "$r" status_label)/$(rkey "$r" state)" \
	"212/Encaissée/accepted"
contains "history: taken from the status file" "$r" "status 212 Encaissée from a.xml.status: sending (trackingId CDV-"
contains "history: sent" "$r" "status 212 Encaissée sent: flow "
contains "history: acknowledged by the platform" "$r" "status 212 Encaissée acknowledged by the platform"
contains "history: the status applied" "$r" "status 212 Encaissée from the seller on "
is "the PA recorded it once" "$(statuses PAP-0001 212)" 1
is "... with the amount received at the invoice's VAT rate (MEN)" "$(men PAP-0001)" "120.00@20"
check "the file taken is in outbox/sent/" test -f "$S/outbox/sent/a.xml.212.status"
T1=$(track_of "$r")
is "one flow with its trackingId" "$(sends "$T1")" 1

# ---- the same file dropped again, next to the receipt in accepted/: not sent ----
status_file "$S/accepted/a.xml.status" 'status = 212\namount = 120.00\n'
check "dropped again: refused into accepted/rejected/" \
	wait_until 20 test -f "$S/accepted/rejected/a.xml.status.reason"
contains "... saying it was already taken" "$S/accepted/rejected/a.xml.status.reason" \
	"already taken for this invoice (trackingId $T1): not sent again"
check "... in the invoice's history" wait_until 10 grep -q "status file a.xml.status refused" "$r"
is "... the PA still has it once" "$(statuses PAP-0001 212)" 1
is "... no second flow" "$(sends "$T1")" 1

# ---- a 212 without its amount: refused locally with the rule ----
pa_invoice "$T/b.xml" ubl PAP-0002 "$PA_SELLER" "$PA_BUYER"
drop "$T/b.xml" "$S/inbox"
r=$S/outbox/b.xml.receipt
check "second invoice taken" wait_until 30 rkey_is "$r" pa_ack Ok
pa_status PAP-0002 200
check "... 200 Déposée" wait_until 30 rkey_is "$r" status_code 200
status_file "$S/outbox/b.xml.status" 'status = 212\n'
check "212 without an amount: refused into outbox/rejected/" \
	wait_until 20 test -f "$S/outbox/rejected/b.xml.status.reason"
contains "... with the rule" "$S/outbox/rejected/b.xml.status.reason" "BR-FR-CDV-14"
is "... nothing sent" "$(statuses PAP-0002 212)" 0

metric() { grep -q "$1" "$T/m.prom" 2>/dev/null; }
check "metrics: one status file taken" wait_until 10 metric '^chorusgw_status_files_total{result="taken"} 1$'
check "metrics: two refused" wait_until 10 metric '^chorusgw_status_files_total{result="refused"} 2$'
check "metrics: one status acknowledged" metric '^chorusgw_statuses_sent_total{result="acknowledged"} 1$'
tokens() { pa_emu GET /_emulator/stats | "$EMU_PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["tokens_issued"])'; }
is "one PA client for the route and the statuses: one access token" "$(tokens)" 1
check "metrics: the 212 counted with the invoices sent (3 sends)" \
	wait_until 10 metric '^chorusgw_pa_requests_total{op="send",class="ok"} 3$'

# ---- a stop after the send, before its answer: settled by the trackingId ----
kill -TERM $pid
wait $pid
status_file "$S/outbox/b.xml.status" 'status = 212\namount = 60.00\n'
"$CHORUSGW" -c "$T/c.ini" queue >"$T/q1"
contains "queue: the status file not taken yet" "$T/q1" "1 status file not taken yet, 0 statuses sent and not acknowledged"
if [ "${TEST_HOOKS:-yes}" = yes ]; then
	CHORUSGW_CRASH_AT=respond-answer "$CHORUSGW" -c "$T/c.ini" run >"$T/crash.out" 2>"$T/crash.err"
	is "killed after the send, before its answer is recorded" "$?" 137
	is "... the PA has it" "$(statuses PAP-0002 212)" 1
	"$CHORUSGW" -c "$T/c.ini" queue >"$T/q2"
	contains "queue: the status sent, not acknowledged" "$T/q2" "status 212 on b.xml: sending, not acknowledged (trackingId CDV-"
	"$CHORUSGW" -c "$T/c.ini" queue --json >"$T/q2.json"
	contains "queue --json: the same counts" "$T/q2.json" '"status_files_waiting":0,"statuses_not_acknowledged":1'
fi
start_gw
check "after the stop: acknowledged, accepted/" wait_until 30 test -f "$S/accepted/b.xml.receipt"
r=$S/accepted/b.xml.receipt
is "... the PA recorded it once" "$(statuses PAP-0002 212)" 1
is "... one flow with its trackingId (never sent again)" "$(sends "$(track_of "$r")")" 1
is "... the amount paid" "$(men PAP-0002)" "60.00@20"

# ---- an invoice sent to Chorus Pro: no seller status through the PA ----
erp_invoice "$T/pub.xml" PAP-0003
drop "$T/pub.xml" "$S/inbox"
check "public buyer: accepted by Chorus Pro" wait_until 30 test -f "$S/accepted/pub.xml.receipt"
status_file "$S/accepted/pub.xml.status" 'status = 212\namount = 10.00\n'
check "its status file: refused into accepted/rejected/" \
	wait_until 20 test -f "$S/accepted/rejected/pub.xml.status.reason"
contains "... saying why" "$S/accepted/rejected/pub.xml.status.reason" \
	"was not sent through the Plateforme Agréée (route chorus)"
is "... nothing sent to the PA" "$(statuses PAP-0003 212)" 0
no_secrets "no secret in the log" "$T/log" "$T/out"
done_testing
