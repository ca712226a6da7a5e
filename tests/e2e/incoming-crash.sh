#!/bin/sh
# Receiving exactly once across crashes: N incoming flows, `chorusgw run` killed with
# SIGKILL at random moments and restarted while an ERP takes the invoices away as they
# arrive: in the end every flow is on disk exactly once (0 lost, 0 duplicated), also
# counting what the ERP took. Then the crash points inside a delivery, one by one.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
needs_test_hooks

N=${INCOMING_CRASH_FLOWS:-150}
fast_dir
S=$FAST/spool
start_emulator
start_pa_emulator --latency-ms 15 # slow enough for the kills to land mid-way
pa_conf "$T/c.ini" "$S" <<EOC
search_window = 1s
[incoming]
enabled = yes
poll = 100ms
[gateway]
once_wait = 30s
EOC
pa_incoming ubl $((N / 2))
pa_incoming cii $((N - N / 2))

mkdir "$T/erp"
# the ERP: takes each complete invoice (its receipt is written last) away
erp_take() {
	for _r in "$S"/incoming/*.receipt; do
		[ -e "$_r" ] || continue
		mv "${_r%.receipt}".* "$T/erp/" 2>/dev/null
	done
}
on_disk() { echo $(($(count "$S/incoming" '*.receipt') + $(count "$T/erp" '*.receipt'))); }

rounds=0
seed=7
while [ "$(on_disk)" -lt "$N" ] && [ $rounds -lt 40 ]; do
	"$CHORUSGW" -c "$T/c.ini" run >>"$T/out" 2>>"$T/log" &
	pid=$!
	seed=$(((seed * 1103515245 + 12345) % 2147483648))
	sleep "$(awk -v s="$seed" 'BEGIN { printf "%.2f", 0.1 + (s % 80) / 100 }')"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	erp_take
	rounds=$((rounds + 1))
done
diag "killed $rounds times"
check "killed with SIGKILL at least 3 times" test "$rounds" -ge 3
run_gw last -c "$T/c.ini" once
erp_take
is "every flow on disk ($N)" "$(on_disk)" "$N"
cat "$S"/incoming/*.receipt "$T"/erp/*.receipt 2>/dev/null | sed -n 's/^flow_id = //p' | sort >"$T/ids"
is "... each flow id once" "$(sort -u "$T/ids" | wc -l | tr -d ' ')" "$(wc -l <"$T/ids" | tr -d ' ')"
pa_emu GET "/_emulator/flows?direction=In" | "$EMU_PYTHON" -c '
import json, sys
print("\n".join(sorted(f["flowId"] for f in json.load(sys.stdin) if f["flowType"] == "SupplierInvoice")))' >"$T/pa-ids"
check "... exactly the PA's incoming flows" cmp -s "$T/ids" "$T/pa-ids"
is "no file without its receipt left in incoming/" "$(count "$S/incoming" '*.xml')" \
	"$(count "$S/incoming" '*.receipt')"
is "nothing quarantined" "$(count "$S/quarantine" '*')" 0

# the crash points of one delivery, each followed by a normal run
for point in incoming-files incoming-pending incoming-receipt; do
	pa_incoming ubl
	before=$(on_disk)
	CHORUSGW_CRASH_AT=$point "$CHORUSGW" -c "$T/c.ini" once >"$T/$point.out" 2>"$T/$point.err"
	is "crash at $point: killed" "$?" 137
	# the worst case: the ERP takes what is there before the restart
	erp_take
	run_gw "$point-after" -c "$T/c.ini" once
	erp_take
	is "... after a restart the flow is on disk once" "$(on_disk)" $((before + 1))
done
cat "$S"/incoming/*.receipt "$T"/erp/*.receipt 2>/dev/null | sed -n 's/^flow_id = //p' | sort >"$T/ids"
is "... and no flow twice" "$(sort -u "$T/ids" | wc -l | tr -d ' ')" "$(wc -l <"$T/ids" | tr -d ' ')"

done_testing
