#!/usr/bin/env python3
"""cranfield_jsonl.py SRC_DIR OUT_DIR -- Cranfield (TREC-style XML) to eval inputs.

Writes OUT_DIR/docs.jsonl ({"id": docno, "text": title + " " + text}),
OUT_DIR/queries.jsonl ({"id": position 1..225, "text": the query title}) and
OUT_DIR/qrels.txt (the qrels, unchanged).  Query ids are positions because the
qrels number queries by their position in cran.qry.xml, not by <num> (see the
collection's README).  Whitespace is collapsed.
"""
import json
import re
import sys

src, out = sys.argv[1], sys.argv[2]


def field(block, tag):
    m = re.search(r"<%s>(.*?)</%s>" % (tag, tag), block, re.S)
    return " ".join(m.group(1).split()) if m else ""


with open(src + "/cran.all.1400.xml", encoding="ascii") as f:
    docs = re.findall(r"<doc>(.*?)</doc>", f.read(), re.S)
with open(out + "/docs.jsonl", "w") as f:
    for d in docs:
        text = (field(d, "title") + " " + field(d, "text")).strip()
        f.write(json.dumps({"id": field(d, "docno"), "text": text}) + "\n")
with open(src + "/cran.qry.xml", encoding="ascii") as f:
    tops = re.findall(r"<top>(.*?)</top>", f.read(), re.S)
with open(out + "/queries.jsonl", "w") as f:
    for i, t in enumerate(tops, 1):
        f.write(json.dumps({"id": str(i), "text": field(t, "title")}) + "\n")
with open(src + "/cranqrel.trec.txt", encoding="ascii") as f, open(out + "/qrels.txt", "w") as g:
    g.write(f.read().replace("\r\n", "\n"))
print("%d docs, %d queries" % (len(docs), len(tops)))
