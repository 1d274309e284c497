"""test_python.py — the extension loaded into the system Python's sqlite3.

Run by test_extension.sh as:  /usr/bin/python3 test_python.py BUILD_DIR TMP_DIR

Python is the other everyday host: it binds parameters (BLOBs and JSON
text), keeps statements open across fetches and closes connections with
sqlite3_close_v2, all of which the shell does not exercise.  Checks here
cover loading by path, a shard built and searched through bound
parameters, agreement with a brute-force ranking, error cases, two
connections seeing each other's writes, and a clean close.  The last line
is "PY_RESULT <passed> <failed>" for the shell script to add up.
"""
import json
import math
import os
import random
import sqlite3
import struct
import sys

BUILD = sys.argv[1]
TMP = sys.argv[2]
EXT = os.path.join(BUILD, "sqlite_vector")

passed = 0
failed = 0


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL: %s %s" % (name, detail))


def expect_error(name, pattern, fn):
    try:
        fn()
    except sqlite3.Error as e:  # OperationalError for most, sometimes others
        check(name, pattern in str(e), "message was: %s" % e)
        return
    check(name, False, "no error raised")


def connect(path):
    conn = sqlite3.connect(path, isolation_level=None)
    conn.enable_load_extension(True)
    conn.load_extension(EXT)
    conn.enable_load_extension(False)
    return conn


def blob(v):
    return struct.pack("<%df" % len(v), *v)


def cosine(a, b):
    dot = sum(x * y for x, y in zip(a, b))
    return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


# ---- loading and scalars ------------------------------------------------------
mem = connect(":memory:")
check("version", mem.execute("SELECT vector_version()").fetchone()[0] == "0.1.0")
b = mem.execute("SELECT vector_from_json(?)", ("[1.5, -2, 0.25]",)).fetchone()[0]
check("from_json blob", b == blob([1.5, -2, 0.25]), repr(b))
check("to_json of bound blob",
      mem.execute("SELECT vector_to_json(?)", (blob([0.5, 4]),)).fetchone()[0] == "[0.5,4]")
c = mem.execute("SELECT vector_cosine(?, ?)", (blob([1, 2, 3]), "[4,5,6]")).fetchone()[0]
check("cosine value", abs(c - 0.9746318461970762) < 1e-6, str(c))
check("dims", mem.execute("SELECT vector_dims(?)", (blob([0] * 384),)).fetchone()[0] == 384)
check("null", mem.execute("SELECT vector_l2(NULL, ?)", ("[1]",)).fetchone()[0] is None)
expect_error("py 1e999", "outside the float32 range",
             lambda: mem.execute("SELECT vector_from_json('[1e999]')").fetchone())
expect_error("py odd blob", "BLOB of 6 bytes",
             lambda: mem.execute("SELECT vector_dims(?)", (b"\0" * 6,)).fetchone())
expect_error("py empty blob", "empty BLOB",
             lambda: mem.execute("SELECT vector_dims(?)", (b"",)).fetchone())
expect_error("py mismatch", "dimension mismatch",
             lambda: mem.execute("SELECT vector_dot(?, ?)", (blob([1, 2]), blob([1]))).fetchone())
expect_error("py trailing", "unexpected text after the closing",
             lambda: mem.execute("SELECT vector_dims('[1] ]')").fetchone())
mem.close()

# ---- a shard through bound parameters -----------------------------------------
path = os.path.join(TMP, "py.db")
conn = connect(path)
DIM = 16
check("init", conn.execute("SELECT vector_shard_init(?, 'cosine')", (DIM,)).fetchone()[0] == 1)
rng = random.Random(42)
vecs = {}
conn.execute("BEGIN")
for i in range(500):
    v = [rng.uniform(-1, 1) for _ in range(DIM)]
    meta = json.dumps({"i": i, "even": i % 2 == 0})
    rid = conn.execute("SELECT vector_insert(?, ?)", (blob(v), meta)).fetchone()[0]
    # what is stored is float32
    vecs[rid] = list(struct.unpack("<%df" % DIM, blob(v)))
conn.execute("COMMIT")
check("inserted", len(vecs) == 500 and sorted(vecs) == list(range(1, 501)))

for trial in range(5):
    q = [rng.uniform(-1, 1) for _ in range(DIM)]
    got = conn.execute("SELECT id, score FROM vector_search('sv_vectors', ?, 10)",
                       (blob(q),)).fetchall()
    want = sorted(vecs, key=lambda i: (-cosine(vecs[i], q), i))[:10]
    check("top-10 vs python brute force #%d" % trial, [g[0] for g in got] == want,
          "%s vs %s" % ([g[0] for g in got], want))
    check("scores #%d" % trial,
          all(abs(s - cosine(vecs[i], q)) < 1e-5 for i, s in got))
    got_f = conn.execute(
        "SELECT id, json_extract(metadata, '$.even') FROM vector_search('sv_vectors', ?, 5, ?)",
        (json.dumps(q), '{"even": true}')).fetchall()
    want_f = [i for i in sorted(vecs, key=lambda i: (-cosine(vecs[i], q), i)) if (i - 1) % 2 == 0][:5]
    check("filtered #%d" % trial, [g[0] for g in got_f] == want_f and all(g[1] == 1 for g in got_f),
          "%s vs %s" % (got_f, want_f))

# Statements left open across fetches: the search cursor holds its own copy.
cur = conn.execute("SELECT id FROM vector_search('sv_vectors', ?, 3)", (blob(vecs[7]),))
first = cur.fetchone()[0]
check("open cursor", first == 7)
check("write while a search cursor is open",
      conn.execute("SELECT vector_delete(8)").fetchone()[0] == 1)
check("open cursor continues", len(cur.fetchall()) == 2)

expect_error("py k zero", "k = 0 is out of range",
             lambda: conn.execute("SELECT * FROM vector_search('sv_vectors', ?, 0)",
                                  (blob(vecs[1]),)).fetchall())
expect_error("py k text", "k must be an integer",
             lambda: conn.execute("SELECT * FROM vector_search('sv_vectors', ?, ?)",
                                  (blob(vecs[1]), "5")).fetchall())
expect_error("py query dims", "vector_search:",
             lambda: conn.execute("SELECT * FROM vector_search('sv_vectors', ?, 3)",
                                  (blob([1, 2]),)).fetchall())
expect_error("py unbound query", "query: vector is NULL",
             lambda: conn.execute("SELECT * FROM vector_search('sv_vectors', :q, 3)",
                                  {"q": None}).fetchall())
expect_error("py bad filter", "vector_search:",
             lambda: conn.execute("SELECT * FROM vector_search('sv_vectors', ?, 3, '{x')",
                                  (blob(vecs[1]),)).fetchall())
expect_error("py missing k", "the k argument is missing",
             lambda: conn.execute("SELECT * FROM vector_search('sv_vectors', ?)",
                                  (blob(vecs[1]),)).fetchall())
expect_error("py insert wrong dim", "vector_insert:",
             lambda: conn.execute("SELECT vector_insert(?, NULL)", (blob([1, 2, 3]),)).fetchall())

# ---- a second connection sees the first one's writes -------------------------
other = connect(path)
q = vecs[100]
check("other sees 100",
      other.execute("SELECT id FROM vector_search('sv_vectors', ?, 1)", (blob(q),)).fetchone()[0] == 100)
conn.execute("SELECT vector_delete(100)")
row = other.execute("SELECT id FROM vector_search('sv_vectors', ?, 1)", (blob(q),)).fetchone()
check("other sees the delete", row[0] != 100, str(row))
new_id = other.execute("SELECT vector_insert(?, '{\"from\":\"other\"}')", (blob(q),)).fetchone()[0]
row = conn.execute("SELECT id, json_extract(metadata, '$.from') FROM vector_search('sv_vectors', ?, 1)",
                   (blob(q),)).fetchone()
check("first sees the other's insert", row == (new_id, "other"), str(row))
other.close()

# ---- ATTACH from Python ----------------------------------------------------------
aux = os.path.join(TMP, "py_aux.db")
conn.execute("ATTACH ? AS aux", (aux,))
conn.execute("SELECT vector_shard_init(2, 'l2', 'aux')")
conn.execute("SELECT vector_insert('[0,0]', NULL, 'aux')")
conn.execute("SELECT vector_insert('[3,4]', NULL, 'aux')")
got = conn.execute("SELECT id, score FROM vector_search('aux.sv_vectors', '[3,3]', 2)").fetchall()
check("attached l2", [g[0] for g in got] == [2, 1] and abs(got[0][1] - 1.0) < 1e-6, str(got))
conn.execute("DETACH aux")
expect_error("detached schema", "no such database",
             lambda: conn.execute("SELECT * FROM vector_search('aux.sv_vectors', '[3,3]', 2)").fetchall())

# ---- clean close ------------------------------------------------------------------
try:
    conn.close()
    check("close", True)
except sqlite3.Error as e:
    check("close", False, str(e))
# The file is still a healthy database afterwards.
plain = sqlite3.connect(path)
check("integrity", plain.execute("PRAGMA integrity_check").fetchone()[0] == "ok")
check("rows", plain.execute("SELECT count(*) FROM sv_vectors").fetchone()[0] == 501)
plain.close()

print("PY_RESULT %d %d" % (passed, failed))
