#!/bin/sh
# The ERP's statuses on invoices received: a status file next to an incoming invoice's
# receipt becomes a CDAR message, checked and sent to the PA once, its acknowledgement
# in the receipt (205, 210 with its reason, 204 then 211); a status file breaking a rule
# (210 without a reason) is refused locally, into incoming/rejected/ with the rule; the
# same file dropped again is not sent twice; a stop between the intent and the answer
# sends nothing twice.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

start_emulator
start_pa_emulator
S=$T/spool
pa_conf "$T/c.ini" "$S" <<EOC
search_window = 2s
[incoming]
enabled = yes
poll = 200ms
[gateway]
once_wait = 20s
EOC
pa_incoming ubl 4
run_gw fetch -c "$T/c.ini" once
is "four invoices received" "$(count "$S/incoming" '*.receipt')" 4
set -- $(ls "$S"/incoming/*.receipt)
R1=$1 R2=$2 R3=$3 R4=$4
status_file() { # RECEIPT TEXT : the ERP writes it beside the receipt, then renames it
	printf '%b' "$2" >"${1%.receipt}.status.tmp"
	mv "${1%.receipt}.status.tmp" "${1%.receipt}.status"
}
statuses() { # INVOICE CODE : how many times the PA recorded that status on that invoice
	pa_emu GET /_emulator/statuses | "$EMU_PYTHON" -c '
import json, sys
print(sum(1 for s in json.load(sys.stdin) if s["invoice"] == sys.argv[1] and s["status"] == sys.argv[2]))' "$1" "$2"
}
status_of() { sed -n 's/^status\.'"$2"' = //p' "$1"; }
sends() { # TRACKINGID : how many flows the PA received with that trackingId (a resend counts)
	pa_emu GET /_emulator/flows | "$EMU_PYTHON" -c '
import json, sys
print(sum(1 for f in json.load(sys.stdin) if f.get("trackingId") == sys.argv[1]))' "$1"
}

status_file "$R1" '[status]\nstatus = 205\n'
status_file "$R2" 'status = 210\nreason_code = TX_TVA_ERR\nreason = Taux de TVA erroné sur la ligne 2\n'
status_file "$R3" 'status = 210\nreason = pas le bon montant\n'
status_file "$R4" 'status = 204\n'
run_gw s1 -c "$T/c.ini" once
is "once: exit 0" "$rc" 0
[ "$rc" = 0 ] || diag "$(cat "$T/s1.err")"
N1=$(rkey "$R1" invoice_number) N2=$(rkey "$R2" invoice_number)
N3=$(rkey "$R3" invoice_number) N4=$(rkey "$R4" invoice_number)
check "205 Approuvée: acknowledged, in the receipt" sh -c "grep -q '^status.1 = 205 acknowledged CDV-' '$R1'"
contains "... its history" "$R1" "status 205 Approuvée acknowledged by the platform"
is "... the PA recorded it once" "$(statuses "$N1" 205)" 1
check "210 Refusée with its reason: acknowledged" sh -c "grep -q '^status.1 = 210 acknowledged' '$R2'"
pa_emu GET /_emulator/statuses >"$T/st.json"
contains "... the reason reached the PA" "$T/st.json" "TX_TVA_ERR"
is "... recorded once" "$(statuses "$N2" 210)" 1
is "210 without a reason: refused locally" "$(count "$S/incoming/rejected" '*.status')" 1
R3S=$(basename "${R3%.receipt}")
contains "... the rule, in words" "$S/incoming/rejected/$R3S.status.reason" "BR-FR-CDV-15"
contains "... the invoice's receipt says so" "$R3" "refused (rejected/$R3S.status)"
is "... nothing sent" "$(statuses "$N3" 210)" 0
check "204 Prise en charge: acknowledged" sh -c "grep -q '^status.1 = 204 acknowledged' '$R4'"
is "the status files taken are kept in incoming/sent/" "$(count "$S/incoming/sent" '*.status')" 3

# the same file dropped again: not sent twice
status_file "$R1" '[status]\nstatus = 205\n'
run_gw s2 -c "$T/c.ini" once
is "a status file dropped again: refused" "$(count "$S/incoming/rejected" '*.status')" 2
contains "... saying it was already taken" "$S/incoming/rejected/$(basename "${R1%.receipt}").status.reason" \
	"already taken"
is "... the PA has it once" "$(statuses "$N1" 205)" 1
is "... one flow with its trackingId" "$(sends "$(status_of "$R1" 1 | cut -d' ' -f3)")" 1

# a stop after the intent, before the PA's answer: settled by its trackingId, not resent
status_file "$R4" "status = 211\namount = $(rkey "$R4" total_with_vat)\n"
if [ "${TEST_HOOKS:-yes}" = yes ]; then
	CHORUSGW_CRASH_AT=respond-answer "$CHORUSGW" -c "$T/c.ini" once >"$T/s3.out" 2>"$T/s3.err"
	is "211: killed after the send, before its answer is recorded" "$?" 137
fi
run_gw s4 -c "$T/c.ini" once
check "211 Paiement transmis: acknowledged" sh -c "grep -q '^status.2 = 211 acknowledged' '$R4'"
is "... the PA has it once" "$(statuses "$N4" 211)" 1
is "... sent once: one flow with its trackingId" "$(sends "$(status_of "$R4" 2 | cut -d' ' -f3)")" 1

# a status the PA refuses when it acknowledges it: a dispute after a refusal
status_file "$R2" 'status = 207\nreason_code = QTE_ERR\n'
run_gw s5 -c "$T/c.ini" once
check "207 after 210: refused by the PA, in the receipt" sh -c "grep -q '^status.2 = 207 refused' '$R2'"
contains "... with the PA's reason in words" "$R2" "InvoiceLCInvalidStatus"
# head of line: statuses waiting for an acknowledgement that does not come (40 jobs the
# PA never heard of) hold back no other: a 204 dropped after them is acknowledged
i=0
while [ $i -lt 40 ]; do
	printf '{"version": 1, "receipt": "x.receipt", "code": "205", "label": "Approuvée", "tracking": "CDV-stuck%d", "state": "sent", "n": 1, "attempts": 1}\n' $i \
		>"$S/.chorusgw/incoming/out/CDV-stuck$i.job"
	i=$((i + 1))
done
status_file "$R3" 'status = 204\n'
"$CHORUSGW" -c "$T/c.ini" run >"$T/s6.out" 2>"$T/s6.err" &
gw=$!
check "waiting jobs hold back no other: the 204 acknowledged" \
	wait_until 30 grep -q '^status.1 = 204 acknowledged' "$R3"
kill $gw
wait $gw
is "... the 40 waiting jobs still wait" "$(count "$S/.chorusgw/incoming/out" 'CDV-stuck*.job')" 40
# two processes on one spool: the one holding lock/statuses takes the status files, the
# other leaves them alone (here the test holds the lock)
R1S=${R1%.receipt}.status
status_file "$R1" 'status = 211\n'
hold_lock "$S/.chorusgw/lock/statuses"
run_gw s7 -c "$T/c.ini" once
check "lock held by another process: the status file is left alone" test -f "$R1S"
contains "... said in the log" "$T/s7.err" "another chorusgw process on this spool takes them"
is "... nothing sent" "$(statuses "$N1" 211)" 0
release_lock
run_gw s8 -c "$T/c.ini" once
check "lock free: taken and acknowledged" sh -c "grep -q '^status.2 = 211 acknowledged' '$R1'"
is "... the PA has it once" "$(statuses "$N1" 211)" 1
lacks "no secret in the receipts" "$R1" "$PA_SECRET"
no_secrets "no secret in the logs" "$T"/*.err
done_testing
