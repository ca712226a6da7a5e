#!/bin/sh
# Pick-up from a hostile drop folder, through the watch and the claim (spooldrv):
# every entry that is not a plain file, or whose name holds control characters or
# backslashes, ends in rejected/ with a receipt saying why,
# a symlink is moved as a link and its target is neither moved nor changed, a FIFO is
# never opened, and the same name dropped twice ends as two documents.
. "$top_srcdir/tests/lib.sh"

S=$T/spool
"$SPOOLDRV" "$S" init || exit 1
in=$S/inbox

printf 'SECRET outside the spool\n' >"$T/outside.txt"
ln -s "$T/outside.txt" "$in/link.xml"
mkfifo "$in/pipe.xml"
mkdir "$in/folder.xml"
printf '<x/>' >"$T/shared.xml"
ln "$T/shared.xml" "$in/hardlink.xml"
head -c 3000 /dev/zero >"$in/big.xml"
printf '<x/>' >"$in/$(printf 'ctl\001name.xml')"
printf '<x/>' >"$in/C:\\users\\win.xml"
printf '<ok/>' >"$in/good.xml"
device=no
if mknod "$in/dev.xml" c 1 3 2>/dev/null; then device=yes; fi

timeout 60 "$SPOOLDRV" "$S" run --settle 0 --max-size 2048 >"$T/run.out" 2>"$T/run.err"
is "spooldrv run exits 0" "$?" 0
is "inbox is empty" "$(ls -A "$in" | wc -l)" 0

reason() { sed -n 's/^reason\.1 = //p' "$S/rejected/$1.receipt"; }
has_reason() {
	if [ -f "$S/rejected/$1.receipt" ] && reason "$1" | grep -qF -- "$2"; then ok "$3"
	else not_ok "$3"; diag "receipt of $1: $(reason "$1" 2>&1)"; fi
}

has_reason link.xml "symbolic link" "symlink refused with a reason"
check "symlink moved as a link" test -L "$S/rejected/link.xml"
is "symlink target unchanged" "$(cat "$T/outside.txt")" "SECRET outside the spool"
is "symlink still points at it" "$(readlink "$S/rejected/link.xml")" "$T/outside.txt"
has_reason pipe.xml "FIFO" "FIFO refused (and the run did not hang)"
check "FIFO moved as a FIFO" test -p "$S/rejected/pipe.xml"
has_reason folder.xml "folder" "directory refused"
has_reason hardlink.xml "hard links" "hard-linked file refused"
is "the other link is untouched" "$(cat "$T/shared.xml")" "<x/>"
has_reason big.xml "max_size" "oversized file refused"
has_reason ctl_name.xml "control characters" "control-character name refused, stored under a clean name"
contains "original name kept, escaped" "$S/rejected/ctl_name.xml.receipt" 'original_name = ctl\x01name.xml'
has_reason C:_users_win.xml "backslash" "a name with backslashes (Windows path separators) refused, stored under a clean name"
contains "original name kept, escaped" "$S/rejected/C:_users_win.xml.receipt" 'original_name = C:\\users\\win.xml'
if [ $device = yes ]; then
	has_reason dev.xml "device" "device refused"
	check "device moved as a device" test -c "$S/rejected/dev.xml"
else
	ok "# SKIP device: mknod not permitted here"
	ok "# SKIP device: mknod not permitted here"
fi
check "good file accepted" test -f "$S/accepted/good.xml"
check "with its XML and receipt" test -f "$S/accepted/good.ubl.xml" -a -f "$S/accepted/good.xml.receipt"
contains "receipt says accepted" "$S/accepted/good.xml.receipt" "state = accepted"

# the same name twice: two documents, both kept, the second with its queue id
printf '<second/>' >"$in/good.xml"
timeout 60 "$SPOOLDRV" "$S" run --settle 0 >"$T/run2.out" 2>&1
is "second run exits 0" "$?" 0
is "two originals named good*.xml" "$(ls "$S/accepted" | grep -c '^good.*xml$' | tr -d ' ')" 4
is "first kept as it was" "$(cat "$S/accepted/good.xml")" "<ok/>"
second=$(ls "$S/accepted" | grep '^good\.[0-9A-Z]*\.xml$' | grep -v ubl)
is "second has the queue id in its name" "$(cat "$S/accepted/$second" 2>/dev/null)" "<second/>"
check "second has its own receipt" test -f "$S/accepted/$second.receipt"
qid=$(sed -n 's/^claimed \([0-9A-Z]*\) .*/\1/p' "$T/run2.out")
contains "its receipt names its queue id" "$S/accepted/$second.receipt" "queue_id = $qid"
is "nothing left in the work area" "$(ls -A "$S/.chorusgw/work" | wc -l | tr -d ' ')" 0
is "no temporary files" "$(ls -A "$S/.chorusgw/tmp" | wc -l | tr -d ' ')" 0
done_testing
