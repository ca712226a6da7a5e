#!/bin/sh
# `chorusgw run` under systemd's protocol: READY, STATUS, RELOADING (with
# MONOTONIC_USEC) and READY after SIGHUP (sent by the unit's ExecReload, `chorusgw
# reload`, which checks the configuration first), which applies the new configuration
# to new work, STOPPING on SIGTERM, which lets the deposit in flight finish and exits 0.
. "$top_srcdir/tests/lib.sh"

start_emulator --integration-delay 0.2 --lifecycle-step 600
S=$T/spool
gw_conf "$T/c.ini" "$S"

notify_listen "$T/notify.sock" "$T/notify"

NOTIFY_SOCKET=$T/notify.sock "$CHORUSGW" -c "$T/c.ini" run >"$T/out" 2>"$T/log" &
pid=$!
on_exit "kill -9 $pid 2>/dev/null"
ready() { grep -q '^READY=1$' "$T/notify" 2>/dev/null; }
check "READY=1 sent" wait_until 10 ready

erp_invoice "$T/a.xml" SIG-0001
drop "$T/a.xml" "$S/inbox"
acc() { [ -f "$S/accepted/$1.xml.receipt" ]; }
check "a document goes through" wait_until 20 acc a
is "UBL before the reload" "$(rkey "$S/accepted/a.xml.receipt" syntax)" ubl

sed 's/^\[chorus\]$/[chorus]\nsyntax = cii/' "$T/c.ini" | write_private "$T/c2.ini"
cp "$T/c2.ini" "$T/c.ini"
# the unit's ExecReload (chorusgw reload $MAINPID), pointed at this daemon: it needs no
# kill(1), which minimal systems lack
reload_cmd=$(sed -n 's/^ExecReload=//p' "$top_builddir/systemd/chorusgw.service" |
	sed "s|^[^ ]*/chorusgw -c [^ ]* |$CHORUSGW -c $T/c.ini |; s|\$MAINPID|$pid|")
lacks "the unit's ExecReload needs no kill(1)" "$top_builddir/systemd/chorusgw.service" "/bin/kill"
$reload_cmd 2>"$T/reload.err"
is "ExecReload: exit 0" "$?" 0
reloaded() { grep -q 'configuration reloaded' "$T/log"; }
check "SIGHUP: configuration reloaded" wait_until 10 reloaded
# the listener writes what it gets a moment later (a loaded machine): wait for it
notified() { grep -q "$1" "$T/notify"; }
check "RELOADING=1 with MONOTONIC_USEC" wait_until 10 notified "RELOADING=1|MONOTONIC_USEC="
ready_twice() { [ "$(grep -c '^READY=1$' "$T/notify")" -ge 2 ]; }
check "READY=1 again after the reload" wait_until 10 ready_twice
is "READY=1 once after the reload" "$(grep -c '^READY=1$' "$T/notify")" 2
erp_invoice "$T/b.xml" SIG-0002
drop "$T/b.xml" "$S/inbox"
check "after the reload: a document goes through" wait_until 20 acc b
is "after the reload: CII, the new setting" "$(rkey "$S/accepted/b.xml.receipt" syntax)" cii

# SIGHUP with a broken configuration: refused, the running one is kept
cp "$T/c.ini" "$T/good.ini"
printf '[gateway]\nno_such_key = 1\n' >>"$T/c.ini"
$reload_cmd 2>"$T/reload.err"
is "ExecReload with errors: exit 3, nothing signalled" "$?" 3
contains "ExecReload with errors: the error is named" "$T/reload.err" "no_such_key"
sleep 300 &
other=$!
on_exit "kill $other 2>/dev/null"
run_gw reload-other -c "$T/good.ini" reload $other
is "reload of a process that is not chorusgw: refused" "$rc" 1
contains "reload of a process that is not chorusgw: said so" "$T/reload-other.err" "is not chorusgw"
check "reload of a process that is not chorusgw: it was not signalled" kill -0 $other
# the daemon's own check, for a SIGHUP sent by other means
kill -HUP $pid
refused() { grep -q 'keeping the running one' "$T/log"; }
check "SIGHUP with errors: refused" wait_until 10 refused
contains "SIGHUP with errors: the error is named" "$T/log" "no_such_key"
check "SIGHUP with errors: still running" kill -0 $pid
erp_invoice "$T/e.xml" SIG-0005
drop "$T/e.xml" "$S/inbox"
check "SIGHUP with errors: documents still go through" wait_until 20 acc e
cp "$T/good.ini" "$T/c.ini"

# SIGHUP while a deposit is in flight: the reload waits for its answer
check "SIGHUP in flight: deposit in flight" deposit_in_flight "$S" f SIG-0006
kill -HUP $pid
reloaded2() { [ "$(grep -c 'configuration reloaded' "$T/log")" -ge 2 ]; }
check "SIGHUP in flight: reloaded after the answer" wait_until 10 reloaded2
check "SIGHUP in flight: still running" kill -0 $pid
answered=$(grep -n 'f.xml: deposited as' "$T/log" | head -1 | cut -d: -f1)
reload2=$(grep -n 'configuration reloaded' "$T/log" | sed -n 2p | cut -d: -f1)
check "SIGHUP in flight: the answer was recorded before the reload" test "${answered:-0}" -gt 0 -a "${answered:-0}" -lt "${reload2:-0}"
check "SIGHUP in flight: the document is accepted" wait_until 20 acc f
is "SIG-0006 deposited once" "$(deposits_of SIG-0006)" 1

# SIGTERM while a deposit is in flight: it finishes, nothing is left unknown
check "deposit in flight" deposit_in_flight "$S" c SIG-0003
kill -TERM $pid
wait $pid
is "SIGTERM: exit 0" "$?" 0
is "SIGTERM: the deposit in flight was awaited and recorded" \
	"$(rkey "$S/outbox/c.xml.receipt" state)" deposited
check "STOPPING=1 sent" wait_until 10 notified "STOPPING=1"
grep -q '^STATUS=' "$T/notify" && ok "STATUS= lines sent" || not_ok "STATUS= lines sent"
is "SIG-0003 deposited once" "$(deposits_of SIG-0003)" 1

# SIGTERM stops taking new files
"$CHORUSGW" -c "$T/c.ini" run >>"$T/out" 2>>"$T/log" &
pid=$!
check "restart: the deposited document is accepted" wait_until 20 acc c
kill -TERM $pid
wait $pid
erp_invoice "$T/d.xml" SIG-0004
drop "$T/d.xml" "$S/inbox"
sleep 1
is "after exit: the new file stays in inbox" "$(count "$S/inbox" 'd.xml')" 1
no_secrets "no secret in the log" "$T/log"
done_testing
