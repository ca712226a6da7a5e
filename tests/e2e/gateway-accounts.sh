#!/bin/sh
# Technical accounts, each on its own: `run` reads when every account's password expires
# (a gauge per account, a warning within 30 days); an expired password pauses the
# deposits of that account's suppliers, with the reason in their receipts, while the
# other accounts' deposits go on; so does any set-up error of one account's own (its
# password refused), and the paused documents go once the account works again.
. "$top_srcdir/tests/lib.sh"

start_emulator --integration-delay 0.1 --lifecycle-step 600
DURAND=TECH_1_durand@cpro.fr
S=$T/spool
gw_conf "$T/c.ini" "$S" <<EOC
[metrics]
file = $T/m.prom
interval = 1s
[supplier.43215678400014]
tech_login = $DURAND
tech_password = Durand-Tech-2026!
EOC
# an invoice of supplier 43215678400014 (Durand's account) to the same buyer
durand_invoice() {
	sed -e "s|<number>F2025-000142</number>|<number>$2</number>|" \
		-e "s|<siret>73282932000074</siret>|<siret>43215678400014</siret>|" \
		-e "s|<vat-id>FR44732829320</vat-id>|<vat-id>FR50432156784</vat-id>|" \
		"$top_srcdir/xslt/examples/invoice-simple.xml" >"$1"
}

soon=$(TZ=Europe/Paris date -d '+10 days' +%F)
# Durand's password expires in a few seconds: learnt while it still works, then passed
expires=$(TZ=Europe/Paris date -d '+4 seconds' --iso-8601=seconds)
emu POST /_emulator/settings "{\"password_expires\": {\"$DURAND\": \"$expires\", \"$GW_LOGIN\": \"$soon\"}}" >/dev/null

"$CHORUSGW" -c "$T/c.ini" run >"$T/out" 2>"$T/log" &
pid=$!
on_exit "kill $pid 2>/dev/null"
gauge() { grep -q "^chorusgw_tech_password_expiry_seconds{account=\"$1\"} $2" "$T/m.prom" 2>/dev/null; }
check "gauge: the demo account's password expires in some days" wait_until 20 gauge "$GW_LOGIN" '[0-9]'
check "gauge: Durand's, read while it works" wait_until 20 gauge "$DURAND" '[0-9]'
contains "within 30 days: a warning in the log" "$T/log" "the password of Chorus Pro account $GW_LOGIN expires on $soon"
paused() { grep -q "deposits paused for account $DURAND" "$T/log"; }
check "the expiry passed: that account's deposits pause" wait_until 20 paused
check "gauge: Durand's negative" wait_until 10 gauge "$DURAND" '-'
erp_invoice "$T/demo1.xml" ACCT-DEMO-1
durand_invoice "$T/durand1.xml" ACCT-DUR-1
drop "$T/demo1.xml" "$S/inbox"
drop "$T/durand1.xml" "$S/inbox"
done_demo() { [ -f "$S/accepted/demo1.xml.receipt" ]; }
check "the other account's deposits go on: accepted" wait_until 30 done_demo
held() { grep -q "deposits paused for account $DURAND" "$S/outbox/durand1.xml.receipt" 2>/dev/null; }
check "the expired account's document waits, its receipt says why" wait_until 20 held
contains "the receipt: the password expired" "$S/outbox/durand1.xml.receipt" "expired on"
contains "the receipt: what to do" "$S/outbox/durand1.xml.receipt" "change the password of $DURAND"
is "the expired account's invoice not deposited" "$(deposits_of ACCT-DUR-1)" 0

# the password changed in Chorus Pro (and in the configuration): the probe finds it
emu POST /_emulator/settings "{\"password_expires\": {\"$DURAND\": \"2030-01-01\"}}" >/dev/null
done_durand() { [ -f "$S/accepted/durand1.xml.receipt" ]; }
check "the account works again: its document goes, accepted" wait_until 30 done_durand
is "deposited once" "$(deposits_of ACCT-DUR-1)" 1

# one account's password refused: its suppliers wait, the others go on
emu POST /_emulator/faults "{\"bad_account\": {\"login\": \"$DURAND\"}}" >/dev/null
durand_invoice "$T/durand2.xml" ACCT-DUR-2
drop "$T/durand2.xml" "$S/inbox"
held2() { grep -q "deposits paused for account $DURAND" "$S/outbox/durand2.xml.receipt" 2>/dev/null; }
check "a refused account: its document waits" wait_until 20 held2
erp_invoice "$T/demo2.xml" ACCT-DEMO-2
drop "$T/demo2.xml" "$S/inbox"
done_demo2() { [ -f "$S/accepted/demo2.xml.receipt" ]; }
check "meanwhile another account's document is accepted" wait_until 30 done_demo2
contains "the log: only that account paused" "$T/log" "deposits paused for account $DURAND"
lacks "never every deposit" "$T/log" "deposits paused: "
emu POST /_emulator/reset >/dev/null
done_durand2() { [ -f "$S/accepted/durand2.xml.receipt" ]; }
check "fixed: accepted" wait_until 30 done_durand2

kill -TERM $pid
wait $pid
is "SIGTERM: exit 0" "$?" 0
no_secrets "no secret in the log" "$T/log" "$T/m.prom"
done_testing
