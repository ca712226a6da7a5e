#!/bin/sh
# Every key the receipt writer emits is documented in chorusgw-receipt(5), and the page
# documents no key the writer does not emit.
. "$top_srcdir/tests/lib.sh"

man5="$top_builddir/man/chorusgw-receipt.5"
"$SPOOLDRV" "$T" sample-receipt "$T/r.receipt"
is "sample receipt written" "$?" 0

# keys as written, numbered ones as NAME.N
sed -n 's/^\([a-z_.0-9]*\) = .*/\1/p' "$T/r.receipt" | sed 's/\.[0-9][0-9]*$/.N/' |
	sort -u >"$T/emitted"
# keys as documented: ".It Cm key" items of the "Keys" subsection
awk '/^\.Ss /{ inkeys = ($2 == "Keys") }
     inkeys && /^\.It Cm /{ k = $3; if ($4 == "Ns" && $5 == "Ar") k = k $6; print k }' "$man5" |
	sort -u >"$T/documented"
is "the writer emits 45 distinct keys" "$(wc -l <"$T/emitted" | tr -d ' ')" 45

while read -r key; do
	if grep -qx "$key" "$T/documented"; then ok "receipt key $key is documented"
	else not_ok "receipt key $key is documented in chorusgw-receipt(5)"; fi
done <"$T/emitted"
while read -r key; do
	grep -qx "$key" "$T/emitted" ||
		not_ok "chorusgw-receipt(5) documents $key, which the writer does not emit"
done <"$T/documented"
done_testing
