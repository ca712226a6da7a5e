#!/bin/sh
# Exactly once toward Chorus Pro (DESIGN §2): a deposit whose answer is lost, that times
# out, that gets a 5xx after being processed, or whose process is killed just before or
# just after the call, ends accepted with exactly one deposit in the emulator's record.
# An invoice Chorus Pro rejected may be sent again with the same number; a forced resend
# is the operator's decision.
. "$top_srcdir/tests/lib.sh"
needs_test_hooks

start_emulator --integration-delay 0.2 --lifecycle-step 600
S=$T/spool
gw_conf "$T/c.ini" "$S" <<EOC
[chorus]
timeout = 1s
EOC
DEPOSIT=/cpro/factures/v1/deposer/flux

# one_doc NAME NUMBER : drop an invoice, run `once`, report its receipt's folder
one_doc() {
	erp_invoice "$T/$1.xml" "$2"
	drop "$T/$1.xml" "$S/inbox"
	"$CHORUSGW" -c "$T/c.ini" once >>"$T/out" 2>>"$T/log"
	rc=$?
}

emu POST /_emulator/faults "{\"lose_response\": {\"count\": 1, \"route\": \"$DEPOSIT\"}}" >/dev/null
one_doc lost LOST-0001
is "answer lost: once exits 0" "$rc" 0
is "answer lost: accepted" "$(count "$S/accepted" 'lost.xml.receipt')" 1
is "answer lost: one deposit in Chorus Pro" "$(deposits_of LOST-0001)" 1
contains "answer lost: the receipt tells the story" "$S/accepted/lost.xml.receipt" "found in Chorus Pro by invoice number"

emu POST /_emulator/faults "{\"slow_ms\": {\"ms\": 2500, \"count\": 1, \"route\": \"$DEPOSIT\"}}" >/dev/null
one_doc slow SLOW-0001
is "timeout: accepted" "$(count "$S/accepted" 'slow.xml.receipt')" 1
is "timeout: one deposit" "$(deposits_of SLOW-0001)" 1

emu POST /_emulator/faults "{\"status\": {\"code\": 503, \"process\": true, \"count\": 1, \"route\": \"$DEPOSIT\"}}" >/dev/null
one_doc s503 S503-0001
is "503 after processing: accepted" "$(count "$S/accepted" 's503.xml.receipt')" 1
is "503 after processing: one deposit" "$(deposits_of S503-0001)" 1

emu POST /_emulator/faults "{\"status\": {\"code\": 502, \"count\": 2, \"route\": \"$DEPOSIT\"}}" >/dev/null
one_doc s502 S502-0001
is "502 before processing: accepted" "$(count "$S/accepted" 's502.xml.receipt')" 1
is "502 before processing: one deposit" "$(deposits_of S502-0001)" 1
emu POST /_emulator/reset >/dev/null

# killed after the intent was recorded, before the call went out
erp_invoice "$T/k1.xml" KILL-0001
drop "$T/k1.xml" "$S/inbox"
CHORUSGW_CRASH_AT=gw-deposit-intent "$CHORUSGW" -c "$T/c.ini" once >>"$T/out" 2>>"$T/log"
is "killed before the call: died" "$?" 137
is "killed before the call: receipt says submitting" "$(rkey "$S/outbox/k1.xml.receipt" state)" submitting
is "killed before the call: nothing deposited" "$(deposits_of KILL-0001)" 0
"$CHORUSGW" -c "$T/c.ini" once >>"$T/out" 2>>"$T/log"
is "killed before the call: next run exits 0" "$?" 0
is "killed before the call: accepted" "$(count "$S/accepted" 'k1.xml.receipt')" 1
is "killed before the call: deposited once" "$(deposits_of KILL-0001)" 1

# killed after Chorus Pro answered, before the answer was recorded
erp_invoice "$T/k2.xml" KILL-0002
drop "$T/k2.xml" "$S/inbox"
CHORUSGW_CRASH_AT=gw-deposit-answer "$CHORUSGW" -c "$T/c.ini" once >>"$T/out" 2>>"$T/log"
is "killed after the answer: died" "$?" 137
is "killed after the answer: deposited" "$(deposits_of KILL-0002)" 1
"$CHORUSGW" -c "$T/c.ini" once >>"$T/out" 2>>"$T/log"
is "killed after the answer: next run exits 0" "$?" 0
is "killed after the answer: accepted" "$(count "$S/accepted" 'k2.xml.receipt')" 1
is "killed after the answer: still one deposit" "$(deposits_of KILL-0002)" 1
contains "killed after the answer: adopted" "$S/accepted/k2.xml.receipt" "found in Chorus Pro by invoice number"

# a number Chorus Pro rejected may be sent again once corrected
cp "$top_srcdir/xslt/examples/reject-unknown-buyer.xml" "$T/bad.xml"
drop "$T/bad.xml" "$S/inbox"
"$CHORUSGW" -c "$T/c.ini" once >>"$T/out" 2>>"$T/log"
is "rejected by Chorus Pro: exit 4" "$?" 4
sed 's|<siret>21990999100016</siret>|<siret>26330059200015</siret>|' \
	"$top_srcdir/xslt/examples/reject-unknown-buyer.xml" >"$T/fixed.xml"
drop "$T/fixed.xml" "$S/inbox"
"$CHORUSGW" -c "$T/c.ini" once >>"$T/out" 2>>"$T/log"
is "same number, corrected: exit 0" "$?" 0
is "same number, corrected: accepted" "$(count "$S/accepted" 'fixed.xml.receipt')" 1

# a second drop of an accepted invoice is refused locally; --force sends it anyway
erp_invoice "$T/twice.xml" LOST-0001
drop "$T/twice.xml" "$S/inbox"
"$CHORUSGW" -c "$T/c.ini" once >>"$T/out" 2>>"$T/log"
is "duplicate drop: exit 4" "$?" 4
r=$S/rejected/twice.xml.receipt
first=$(rkey "$S/accepted/lost.xml.receipt" queue_id)
is "duplicate drop: points to the first document" "$(rkey "$r" duplicate_of)" "$first"
is "duplicate drop: not deposited" "$(deposits_of LOST-0001)" 1
qid=$(rkey "$r" queue_id)
"$CHORUSGW" -c "$T/c.ini" retry --force "$qid" >>"$T/out" 2>>"$T/log"
is "retry --force accepted" "$?" 0
"$CHORUSGW" -c "$T/c.ini" once >>"$T/out" 2>>"$T/log"
is "forced resend: deposited a second time, as the operator asked" "$(deposits_of LOST-0001)" 2
contains "forced resend: Chorus Pro's duplicate rejection is in the receipt" \
	"$(ls "$S"/rejected/twice*.receipt | head -1)" "existe"

# a deposit Chorus Pro refuses for what it carries (HTTP 400): rejected, with its answer
emu POST /_emulator/faults "{\"status\": {\"code\": 400, \"body\": \"json\", \"count\": 1, \"route\": \"$DEPOSIT\"}}" >/dev/null
one_doc refused REFUSED-0001
is "HTTP 400 on the deposit: exit 4" "$rc" 4
r=$S/rejected/refused.xml.receipt
contains "HTTP 400: the receipt says Chorus Pro refused it" "$r" "Chorus Pro refused the deposit"
contains "HTTP 400: with Chorus Pro's answer" "$r" "Chorus Pro's answer (HTTP 400)"
emu POST /_emulator/reset >/dev/null

# a document that cannot be deposited for longer than give_up asks for an action
gw_conf "$T/g.ini" "$S" <<EOC
[chorus]
timeout = 1s
[gateway]
give_up = 1s
once_wait = 4s
EOC
emu POST /_emulator/faults "{\"status\": {\"code\": 503, \"route\": \"$DEPOSIT\"}}" >/dev/null
erp_invoice "$T/down.xml" DOWN-0001
drop "$T/down.xml" "$S/inbox"
"$CHORUSGW" -c "$T/g.ini" once >>"$T/out" 2>>"$T/log"
is "Chorus Pro down: once exits 6 (pending)" "$?" 6
r=$S/outbox/down.xml.receipt
case $(rkey "$r" state) in
queued | submitting) ok "Chorus Pro down: still in outbox, not deposited" ;;
*) not_ok "Chorus Pro down: still in outbox, not deposited ($(rkey "$r" state))" ;;
esac
is "Chorus Pro down: action_required" "$(rkey "$r" action_required)" yes
contains "Chorus Pro down: says it keeps trying" "$r" "keeps trying"
emu POST /_emulator/reset >/dev/null
"$CHORUSGW" -c "$T/c.ini" once >>"$T/out" 2>>"$T/log"
is "Chorus Pro back: accepted" "$(count "$S/accepted" 'down.xml.receipt')" 1

# the disk fills up while a document waits for its deposit: the intent cannot be
# recorded, so nothing is sent; the gateway retries calmly (not in a loop), `once`
# stops at once_wait with the document still queued, and it is deposited once when
# space returns (g.ini: once_wait 4s)
emu POST /_emulator/faults "{\"bad_account\": {\"login\": \"$GW_LOGIN\"}}" >/dev/null
erp_invoice "$T/full.xml" FULL-0001
drop "$T/full.xml" "$S/inbox"
"$CHORUSGW" -c "$T/g.ini" once >>"$T/out" 2>>"$T/log"
is "disk full: a document left queued by a set-up error (exit 5)" "$?" 5
r=$S/outbox/full.xml.receipt
is "disk full: queued in outbox/" "$(rkey "$r" state)" queued
qid=$(rkey "$r" queue_id)
emu POST /_emulator/reset >/dev/null
# its record can be written once (adoption by the next run), then the disk is full
CHORUSGW_FAIL_WRITE=".chorusgw/active/$qid" CHORUSGW_FAIL_WRITE_AFTER=1 \
	timeout -k 5 30 "$CHORUSGW" -c "$T/g.ini" once >>"$T/out" 2>"$T/full.log"
is "disk full: once stops at once_wait, exits 6 (pending)" "$?" 6
contains "disk full: the log says why" "$T/full.log" "No space left on device"
n=$(grep -c 'will retry from its record' "$T/full.log")
if [ "$n" -ge 1 ] && [ "$n" -le 40 ]; then ok "disk full: retried calmly ($n write failures)"; else
	not_ok "disk full: retried calmly ($n write failures)"
fi
is "disk full: still queued" "$(rkey "$r" state)" queued
is "disk full: nothing deposited" "$(deposits_of FULL-0001)" 0
"$CHORUSGW" -c "$T/c.ini" once >>"$T/out" 2>>"$T/log"
is "space back: once exits 0" "$?" 0
is "space back: accepted" "$(count "$S/accepted" 'full.xml.receipt')" 1
is "space back: deposited once" "$(deposits_of FULL-0001)" 1
no_secrets "no secret in any log" "$T/log" "$T/out" "$T/full.log"
done_testing
