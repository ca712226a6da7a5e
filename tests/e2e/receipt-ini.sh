#!/bin/sh
# A receipt read by a standard INI reader (Python's configparser, interpolation off)
# gives back exactly what was written: verbatim where the value needs no escape, and
# through chorusgw-receipt(5)'s unescape rule where it does. The JSON receipt is valid
# JSON with the same values.
. "$top_srcdir/tests/lib.sh"

"$SPOOLDRV" "$T" sample-receipt "$T/r.receipt"
is "sample receipt written" "$?" 0
if ! command -v python3 >/dev/null 2>&1; then
	ok "# SKIP python3 is not installed"
	done_testing
fi

cat >"$T/read.py" <<'PY'
import configparser, sys

def unescape(s):
    # chorusgw-receipt(5): \\ \n \r \t \xNN; everything else is verbatim
    out, i = bytearray(), 0
    b = s.encode("utf-8", "surrogateescape")
    while i < len(b):
        c = b[i]
        if c != 0x5C:
            out.append(c); i += 1; continue
        n = b[i + 1]
        if n == ord("x"):
            out.append(int(b[i + 2:i + 4], 16)); i += 4; continue
        out.append({ord("\\"): 0x5C, ord("n"): 10, ord("r"): 13, ord("t"): 9}[n]); i += 2
    return bytes(out)

cp = configparser.ConfigParser(interpolation=None)
with open(sys.argv[1], encoding="utf-8", errors="surrogateescape") as f:
    cp.read_file(f)
sec = cp["receipt"]
status = 0
for line in open(sys.argv[2]):
    key, hexval = line.rstrip("\n").split("\t")
    want = bytes.fromhex(hexval)
    raw = sec.get(key)
    got = unescape(raw)
    if got != want:
        print("MISMATCH %s: got %r want %r" % (key, got, want)); status = 1
    elif "\\" not in raw and raw.encode("utf-8", "surrogateescape") != want:
        print("RAW MISMATCH %s" % key); status = 1
    else:
        print("same %s%s" % (key, " (verbatim)" if "\\" not in raw else ""))
print("keys %d" % len(sec))
sys.exit(status)
PY
python3 "$T/read.py" "$T/r.receipt" "$T/r.receipt.expect" >"$T/py.out" 2>&1
is "configparser reads every value back exactly" "$?" 0
sed 's/^/#   /' "$T/py.out" | grep -v '^#   same' || true
contains "invoice number with ; # % read verbatim" "$T/py.out" "same invoice_number (verbatim)"
contains "a value that looks like a section read verbatim" "$T/py.out" "same chorus_status_comment (verbatim)"
contains "original name with newline, tab, quotes through the escape rule" "$T/py.out" "same original_name"
contains "reasons read back" "$T/py.out" "same reason.2"

python3 -m json.tool "$T/r.receipt.json" >"$T/json.out" 2>&1
is "JSON receipt is valid JSON" "$?" 0
python3 - "$T/r.receipt.json" "$T/r.receipt" >"$T/cmp.out" 2>&1 <<'PY'
import configparser, json, sys
j = json.load(open(sys.argv[1]))
cp = configparser.ConfigParser(interpolation=None)
cp.read(sys.argv[2], encoding="utf-8")
r = cp["receipt"]
for k in ("queue_id", "state", "invoice_number", "numero_flux_depot", "chorus_status"):
    assert j[k] == r[k], k
assert j["held"] is True and j["attempts"] == 2
assert j["reasons"][1] == "second line\nand a third \x01"
assert j["history"][-1]["state"] == "rejected" and j["history"][-1]["note"] == "with a note; really"
print("ok")
PY
is "JSON and INI say the same" "$?" 0
done_testing
