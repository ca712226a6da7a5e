#!/bin/sh
# kill -9 between each pair of steps of a claim, a move and a save (the crashpoint()
# hook), twice in a row, then a clean run: nothing lost, nothing doubled, nothing
# deposited twice, every document in accepted/ with its XML and receipt, the private
# areas empty.
. "$top_srcdir/tests/lib.sh"
needs_test_hooks

points="claim-mkdir claim-rename claim-record move-stage move-intent move-orig move-xml
move-receipt move-old-receipt move-record save-record save-receipt"
N=4
fast_dir

# crash_case POINT NTH LABEL : kill -9 the N-th time POINT is reached, then again at
# its first time while recovering, then a clean run; check the end state.
crash_case() {
	point=$1
	nth=$2
	S=$FAST/$point.$nth
	spool_with_files "$S" "$N" inv
	dep=$S.deposits
	: >"$dep"
	CHORUSGW_CRASH_AT=$point:$nth timeout 60 "$SPOOLDRV" "$S" run --json --deposits "$dep" \
		>"$S.out1" 2>&1
	rc1=$?
	# crash again at the same point while recovering, then finish cleanly
	CHORUSGW_CRASH_AT=$point:1 timeout 60 "$SPOOLDRV" "$S" run --json --deposits "$dep" \
		>"$S.out2" 2>&1
	timeout 60 "$SPOOLDRV" "$S" run --json --deposits "$dep" >"$S.out3" 2>&1
	rc3=$?
	what="$3$point (${nth}th time)"
	if [ $rc1 -ne 137 ]; then
		not_ok "$what: the first run was killed there (exit $rc1)"
		return
	fi
	bad=""
	[ $rc3 -eq 0 ] || bad="$bad; final run exit $rc3: $(tail -1 "$S.out3")"
	[ -z "$(ls -A "$S/inbox")" ] || bad="$bad; inbox not empty"
	[ -z "$(ls -A "$S/outbox")" ] || bad="$bad; outbox not empty: $(ls "$S/outbox")"
	[ -z "$(ls -A "$S/rejected")" ] || bad="$bad; rejected not empty"
	for d in work active tmp ctl; do
		[ -z "$(ls -A "$S/.chorusgw/$d")" ] || bad="$bad; .chorusgw/$d not empty: $(ls "$S/.chorusgw/$d")"
	done
	n=$(ls "$S/.chorusgw/final" | wc -l)
	[ "$n" -eq $N ] || bad="$bad; $n records in final/"
	i=1
	while [ $i -le $N ]; do
		got=$(cat "$S/accepted/inv$i.xml" 2>/dev/null)
		[ "$got" = "<invoice n=\"$i\"/>" ] || bad="$bad; inv$i.xml: '$got'"
		[ -f "$S/accepted/inv$i.ubl.xml" ] || bad="$bad; no inv$i.ubl.xml"
		grep -q '^state = accepted$' "$S/accepted/inv$i.xml.receipt" 2>/dev/null ||
			bad="$bad; inv$i.xml.receipt not accepted"
		[ -f "$S/accepted/inv$i.xml.receipt.json" ] || bad="$bad; no JSON receipt for inv$i"
		i=$((i + 1))
	done
	n=$(ls "$S/accepted" | wc -l)
	[ "$n" -eq $((N * 4)) ] || bad="$bad; $n files in accepted/: $(ls "$S/accepted" | tr '\n' ' ')"
	deps=$(wc -l <"$dep")
	uniq=$(sort -u "$dep" | wc -l)
	[ "$deps" -eq $N ] && [ "$uniq" -eq $N ] || bad="$bad; $deps deposits ($uniq distinct)"
	if [ -z "$bad" ]; then ok "$what: recovered, nothing lost or doubled"
	else not_ok "$what"; diag "$bad"; fi
}

for point in $points; do
	for nth in 1 3; do
		crash_case $point $nth ""
	done
done

# a filesystem without RENAME_NOREPLACE (NFS): the renames of a move that must not
# replace anything are link() + unlink(); a crash between the two leaves two names for
# one file, which recovery resolves
export CHORUSGW_NO_RENAME_NOREPLACE=1
for nth in 1 2 3 4 5 6 7; do
	crash_case rename-link $nth "link+unlink: "
done
unset CHORUSGW_NO_RENAME_NOREPLACE

# hostile entries: a crash between the claim and the refusal still ends in rejected/
printf 'SECRET\n' >"$FAST/outside"
for point in claim-rename claim-record move-intent move-orig move-receipt; do
	S=$FAST/hostile.$point
	"$SPOOLDRV" "$S" init || exit 1
	ln -s "$FAST/outside" "$S/inbox/link.xml"
	mkfifo "$S/inbox/pipe.xml"
	CHORUSGW_CRASH_AT=$point timeout 60 "$SPOOLDRV" "$S" run >"$S.out1" 2>&1
	rc1=$?
	timeout 60 "$SPOOLDRV" "$S" run >"$S.out2" 2>&1
	rc2=$?
	bad=""
	[ $rc1 -eq 137 ] || bad="$bad; first run not killed (exit $rc1)"
	[ $rc2 -eq 0 ] || bad="$bad; second run exit $rc2: $(tail -1 "$S.out2")"
	[ -L "$S/rejected/link.xml" ] && grep -q 'symbolic link' "$S/rejected/link.xml.receipt" ||
		bad="$bad; link.xml not refused"
	[ -p "$S/rejected/pipe.xml" ] && grep -q 'FIFO' "$S/rejected/pipe.xml.receipt" ||
		bad="$bad; pipe.xml not refused"
	[ "$(cat "$FAST/outside")" = SECRET ] || bad="$bad; symlink target changed"
	[ -z "$(ls -A "$S/.chorusgw/work" "$S/.chorusgw/active" "$S/outbox" "$S/inbox" | grep -v '^/' | grep -v '^$')" ] ||
		bad="$bad; leftovers"
	if [ -z "$bad" ]; then ok "hostile entries, crash at $point: refused after recovery"
	else not_ok "hostile entries, crash at $point"; diag "$bad"; fi
done

# a full disk while writing receipts: the run fails, nothing is torn, the next run ends it
S=$FAST/full
"$SPOOLDRV" "$S" init || exit 1
for i in 1 2 3; do printf '<invoice n="%d"/>\n' $i >"$S/inbox/inv$i.xml"; done
CHORUSGW_FAIL_WRITE=.receipt timeout 60 "$SPOOLDRV" "$S" run --deposits "$S.dep" >"$S.out1" 2>&1
is "disk full: the run stops with an error" "$?" 1
contains "disk full: says so" "$S.out1" "No space left on device"
is "disk full: no receipt written, torn or not" "$(find "$S" -name '*.receipt' | wc -l | tr -d ' ')" 0
is "disk full: no temporary file left" "$(ls -A "$S/.chorusgw/tmp" | wc -l | tr -d ' ')" 0
timeout 60 "$SPOOLDRV" "$S" run --deposits "$S.dep" >"$S.out2" 2>&1
is "space back: the next run finishes" "$?" 0
is "space back: all three accepted with receipts" \
	"$(ls "$S/accepted" | grep -c '\.xml\.receipt$')" 3
is "space back: each deposited once" "$(sort -u "$S.dep" | wc -l | tr -d ' ')/$(wc -l <"$S.dep" | tr -d ' ')" 3/3
done_testing
