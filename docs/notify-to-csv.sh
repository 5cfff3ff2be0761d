#!/bin/sh
# A [[notify]] command target: append each event textback hands over (one JSON object on
# stdin, docs/events.md) to a CSV file as id,type,at,number. Exit 0 = taken; anything else
# and the worker tries again later, so a row may come twice: dedupe on the id column.
#   [[notify]]
#   name = "csv"
#   command = "sh /usr/local/share/textback/notify-to-csv.sh /var/lib/textback/events.csv"
python3 -c '
import csv, json, sys
event = json.load(sys.stdin)
data = event["data"]
number = data.get("caller") or data.get("to") or data.get("from") or data.get("number") or ""
with open(sys.argv[1], "a", newline="") as out:
    csv.writer(out).writerow([event["id"], event["type"], event["at"], number])
' "${1:-events.csv}"
