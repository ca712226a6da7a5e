#!/bin/sh
# A set-up error (the technical account's password refused, an API not subscribed)
# pauses deposits for every document and says why in the log, in the waiting
# documents' receipts and in the metrics; deposits resume by themselves once a probe
# succeeds, and nothing was lost or sent twice meanwhile.
. "$top_srcdir/tests/lib.sh"

start_emulator --integration-delay 0.2 --lifecycle-step 600
S=$T/spool
gw_conf "$T/c.ini" "$S" <<EOC
[metrics]
file = $T/m.prom
interval = 1s
EOC

emu POST /_emulator/faults "{\"bad_account\": {\"login\": \"$GW_LOGIN\"}}" >/dev/null
"$CHORUSGW" -c "$T/c.ini" run >"$T/out" 2>"$T/log" &
pid=$!
on_exit "kill $pid 2>/dev/null"
erp_invoice "$T/p1.xml" PAUSE-0001
erp_invoice "$T/p2.xml" PAUSE-0002
drop "$T/p1.xml" "$S/inbox"
drop "$T/p2.xml" "$S/inbox"

paused() { grep -q 'deposits paused' "$S/outbox/p1.xml.receipt" 2>/dev/null; }
check "bad technical password: the waiting receipt says deposits are paused" wait_until 20 paused
contains "the receipt says what to check" "$S/outbox/p1.xml.receipt" "technical account"
contains "the log says deposits are paused" "$T/log" "deposits paused"
metric_paused() { grep -q '^chorusgw_paused 1' "$T/m.prom" 2>/dev/null; }
check "metrics: chorusgw_paused 1" wait_until 10 metric_paused
is "nothing deposited while paused" "$(deposits_of PAUSE-0001)" 0
erp_invoice "$T/p6.xml" PAUSE-0006
drop "$T/p6.xml" "$S/inbox"
queued6() { [ "$(rkey "$S/outbox/p6.xml.receipt" state 2>/dev/null)" = queued ]; }
check "a document dropped while paused is queued" wait_until 20 queued6
contains "its receipt says deposits are paused" "$S/outbox/p6.xml.receipt" "deposits paused"
contains "and what to check" "$S/outbox/p6.xml.receipt" "technical account"

emu POST /_emulator/reset >/dev/null
done2() { [ "$(count "$S/accepted" 'p[126].xml.receipt')" -eq 3 ]; }
check "password fixed: the documents are accepted without a restart" wait_until 30 done2
contains "the log says deposits resumed" "$T/log" "deposits resumed"
is "PAUSE-0001 deposited once" "$(deposits_of PAUSE-0001)" 1
is "PAUSE-0002 deposited once" "$(deposits_of PAUSE-0002)" 1
is "PAUSE-0006 deposited once" "$(deposits_of PAUSE-0006)" 1
lacks "the accepted receipt no longer says paused" "$S/accepted/p1.xml.receipt" "reason.1 = waiting"
metric_resumed() { grep -q '^chorusgw_paused 0' "$T/m.prom" 2>/dev/null; }
check "metrics: chorusgw_paused 0 again" wait_until 10 metric_resumed

# an API the PISTE application is not subscribed to
emu POST /_emulator/faults '{"forbid": {"api": "factures"}}' >/dev/null
erp_invoice "$T/p3.xml" PAUSE-0003
drop "$T/p3.xml" "$S/inbox"
paused3() { grep -q 'deposits paused' "$S/outbox/p3.xml.receipt" 2>/dev/null; }
check "403: paused" wait_until 20 paused3
contains "403: says the subscription is to check" "$S/outbox/p3.xml.receipt" "subscri"
emu POST /_emulator/reset >/dev/null
done3() { [ -f "$S/accepted/p3.xml.receipt" ]; }
check "403 fixed: accepted" wait_until 30 done3

# only the Transverses API (deposit reports) refused: the probe must ask that API, or
# deposits resume at once and pause again, for ever (a history line each time)
emu POST /_emulator/faults '{"forbid": {"api": "transverses"}}' >/dev/null
before=$(wc -l <"$T/log")
erp_invoice "$T/p5.xml" PAUSE-0005
drop "$T/p5.xml" "$S/inbox"
paused5() { grep -q 'deposits paused' "$S/outbox/p5.xml.receipt" 2>/dev/null; }
check "Transverses refused: paused" wait_until 20 paused5
contains "Transverses refused: says the subscription is to check" "$S/outbox/p5.xml.receipt" "Transverses"
sleep 3
is "Transverses refused: paused once, not flapping" \
	"$(tail -n +$((before + 1)) "$T/log" | grep -c 'deposits paused')" 1
emu POST /_emulator/reset >/dev/null
done5() { [ -f "$S/accepted/p5.xml.receipt" ]; }
check "Transverses fixed: accepted" wait_until 30 done5
is "PAUSE-0005 deposited once" "$(deposits_of PAUSE-0005)" 1

# SIGHUP while the probe is in flight: the reload must not drop the probe, or deposits
# stay paused for good
SEARCH=/cpro/factures/v1/rechercher/fournisseur
emu POST /_emulator/faults "{\"bad_account\": {\"login\": \"$GW_LOGIN\"}, \"slow_ms\": {\"ms\": 3000, \"route\": \"$SEARCH\"}}" >/dev/null
erp_invoice "$T/p4.xml" PAUSE-0004
drop "$T/p4.xml" "$S/inbox"
paused4() { grep -q 'deposits paused' "$S/outbox/p4.xml.receipt" 2>/dev/null; }
check "paused again" wait_until 20 paused4
sleep 1 # the first probe (within retry_min) is now waiting for its slow answer
kill -HUP $pid
reloaded() { grep -q 'configuration reloaded' "$T/log"; }
check "SIGHUP during the probe: configuration reloaded" wait_until 10 reloaded
emu POST /_emulator/reset >/dev/null
done4() { [ -f "$S/accepted/p4.xml.receipt" ]; }
check "reloaded during the probe: deposits resume, accepted" wait_until 30 done4
is "PAUSE-0004 deposited once" "$(deposits_of PAUSE-0004)" 1
kill -TERM $pid
wait $pid
is "SIGTERM: exit 0" "$?" 0
no_secrets "no secret in the log" "$T/log"
done_testing
