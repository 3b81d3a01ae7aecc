# SPDX-License-Identifier: LGPL-2.1-or-later
# awk -v mutant=FILE.mutant -f apply.awk SOURCE > MUTATED
# Replaces the mutant's "--- find" block (whole lines) by its "--- replace"
# block. The find block must occur exactly once in SOURCE: otherwise the
# mutant no longer applies (the code moved on), exit 3, and nothing useful
# is written.
BEGIN {
    mode = ""
    while ((getline l < mutant) > 0) {
        if (l == "--- find") { mode = "f"; continue }
        if (l == "--- replace") { mode = "r"; continue }
        if (mode == "f") find = find l "\n"
        else if (mode == "r") repl = repl l "\n"
    }
    if (find == "") { print mutant ": no find block" > "/dev/stderr"; bad = 2; exit 2 }
}
{ text = text $0 "\n" }
END {
    if (bad) exit bad
    # match whole lines only: search "\n" find in "\n" text
    t = "\n" text; k = "\n" find; c = 0
    while ((i = index(t, k)) > 0) { c++; t = substr(t, i + length(k) - 1) }
    if (c != 1) {
        printf "%s: the code to change occurs %d times in %s (must be once): " \
               "re-target the mutant\n", mutant, c, FILENAME > "/dev/stderr"
        exit 3
    }
    i = index("\n" text, k)
    printf "%s%s%s", substr(text, 1, i - 1), repl, substr(text, i + length(find))
}
