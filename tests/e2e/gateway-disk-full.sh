#!/bin/sh
# Disk full while chorusgw writes receipts and records (injected ENOSPC): no torn
# receipt, nothing lost or sent twice, and the documents go on once space returns,
# without a restart.
. "$top_srcdir/tests/lib.sh"
needs_test_hooks

start_emulator --integration-delay 0.2 --lifecycle-step 600
S=$T/spool
gw_conf "$T/c.ini" "$S" <<EOC
[gateway]
retry_min = 100ms
EOC
for n in 1 2 3 4 5; do
	erp_invoice "$T/d$n.xml" "FULL-000$n"
	drop "$T/d$n.xml" "$S/inbox"
done
# the first 12 writes of a receipt fail with ENOSPC, then the disk has room again
CHORUSGW_FAIL_WRITE=.receipt:${FAILS:-12} "$CHORUSGW" -c "$T/c.ini" once >"$T/out" 2>"$T/log"
rc=$?
contains "the failures were reported" "$T/log" "No space left on device"
case $rc in
0 | 6) ok "once ends normally (exit $rc)" ;;
*) not_ok "once ends normally (exit $rc)" ;;
esac
# whatever was left is finished by the next run
"$CHORUSGW" -c "$T/c.ini" once >>"$T/out" 2>>"$T/log"
is "then every document is accepted" "$(count "$S/accepted" 'd?.xml.receipt')" 5
for n in 1 2 3 4 5; do
	is "FULL-000$n deposited once" "$(deposits_of "FULL-000$n")" 1
done
torn=0
for r in "$S"/accepted/*.receipt; do
	tail -1 "$r" | grep -q '^checksum = sha256:' || torn=$((torn + 1))
done
is "no torn receipt" "$torn" 0
"$CHORUSGW" -c "$T/c.ini" queue --all >"$T/q" 2>&1
is "the queue reads every record" "$(grep -c -E '^[0-9A-Z]+ +accepted ' "$T/q")" 5
is "no temporary file left" "$(ls -A "$S/.chorusgw/tmp" | wc -l | tr -d ' ')" 0
done_testing
