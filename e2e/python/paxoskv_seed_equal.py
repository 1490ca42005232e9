"""paxoskv from a client built from the ORIGINAL's proto only (paxoskv_seed.proto).

Usage: python3 paxoskv_seed_equal.py --stubs DIR ADDR0 ADDR1 ADDR2

Replays the original's slide-32 and slide-33/34 cases and its set/get example against real
acceptors and compares every reply as a whole message (==, which in Python's protobuf also
compares unknown fields, as Go's proto.Equal does) with the reply the original's acceptor
gives: Prepare answers a copy of {LastBal, Val, VBal} taken before the update (an untouched
instance has empty LastBal and VBal and no Val); Accept answers {LastBal} before the update.
Prints JSON: every mismatch, the example's output lines, and the slide results.
"""
from qk_interop import RPC_TIMEOUT_S, channels, emit, parse_args

QUORUM = 2
args = parse_args(__doc__, nargs=3)
import paxoskv_pb2 as pb  # noqa: E402  (generated from paxoskv_seed.proto into --stubs)
import paxoskv_pb2_grpc as pb_grpc  # noqa: E402

acceptors = [pb_grpc.PaxosKVStub(ch) for ch in channels(args.addrs)]
model = {}  # (acceptor, key, ver) -> the original acceptor's state
mismatches = []
calls = 0


def state(i, key, ver):
    return model.setdefault((i, key, ver), {"last": (0, 0), "val": None, "vbal": (0, 0)})


def B(b):
    return pb.BallotNum(N=b[0], ProposerId=b[1])


def expected_prepare(s):
    out = pb.Acceptor(LastBal=B(s["last"]), VBal=B(s["vbal"]))
    if s["val"] is not None:
        out.Val.CopyFrom(pb.Value(Vi64=s["val"]))
    return out


def call(method, i, key, ver, bal, val=None):
    global calls
    calls += 1
    req = pb.Proposer(Id=pb.PaxosInstanceId(Key=key, Ver=ver), Bal=B(bal))
    if val is not None:
        req.Val.CopyFrom(pb.Value(Vi64=val))
    reply = getattr(acceptors[i], method)(req, timeout=RPC_TIMEOUT_S)
    s = state(i, key, ver)
    if method == "Prepare":
        want = expected_prepare(s)
        if bal >= s["last"]:
            s["last"] = bal
    else:
        want = pb.Acceptor(LastBal=B(s["last"]))
        if bal >= s["last"]:
            s["last"], s["vbal"], s["val"] = bal, bal, val
    if reply != want:
        mismatches.append({"method": method, "acceptor": i, "key": key, "ver": ver, "ballot": list(bal),
                           "got": str(reply), "want": str(want), "unknownFields": len(reply.UnknownFields())})
    return reply


def bal_of(m):
    return (m.LastBal.N, m.LastBal.ProposerId)


def phase1(key, ver, bal, ids):
    ok, higher, best, value = 0, None, (0, 0), None
    for i in ids:
        r = call("Prepare", i, key, ver, bal)
        if bal_of(r) > bal:
            higher = bal_of(r) if higher is None or bal_of(r) > higher else higher
            continue
        vb = (r.VBal.N, r.VBal.ProposerId)
        if r.HasField("Val") and vb >= best:
            best, value = vb, r.Val.Vi64
        ok += 1
        if ok == QUORUM:
            return {"err": None, "value": value, "higherBal": None}
    return {"err": "NotEnoughQuorum", "value": None, "higherBal": list(higher) if higher else None}


def phase2(key, ver, bal, ids, val):
    ok, higher = 0, None
    for i in ids:
        r = call("Accept", i, key, ver, bal, val)
        if bal_of(r) > bal:
            higher = bal_of(r) if higher is None or bal_of(r) > higher else higher
            continue
        ok += 1
        if ok == QUORUM:
            return {"err": None, "higherBal": None}
    return {"err": "NotEnoughQuorum", "higherBal": list(higher) if higher else None}


def run_paxos(key, ver, bal, val):
    """The original's RunPaxos: phase 1, the voted value if any, phase 2; retry above a rejection."""
    ids = [0, 1, 2]
    for _ in range(10):
        p1 = phase1(key, ver, bal, ids)
        if p1["err"]:
            bal = (p1["higherBal"][0] + 1, bal[1])
            continue
        v = p1["value"] if p1["value"] is not None else val
        if v is None:
            return None
        p2 = phase2(key, ver, bal, ids, v)
        if p2["err"]:
            bal = (p2["higherBal"][0] + 1, bal[1])
            continue
        return v
    raise RuntimeError("run_paxos did not finish in 10 rounds")


slides = {}
# slide 32: one proposer
slides["32.phase1"] = phase1("slide32", 0, (0, 10), [0, 1])
slides["32.phase2"] = phase2("slide32", 0, (0, 10), [0, 1], 10)
# slides 33/34: two proposers
slides["33.X.phase1"] = phase1("slide33", 0, (1, 10), [0, 1])
slides["33.Y.phase1"] = phase1("slide33", 0, (2, 11), [1, 2])
slides["33.X.phase2"] = phase2("slide33", 0, (1, 10), [0, 1], 100)
slides["33.Y.phase2"] = phase2("slide33", 0, (2, 11), [1, 2], 200)
slides["34.X.phase1"] = phase1("slide33", 0, (3, 10), [0, 1])
slides["34.X.phase2"] = phase2("slide33", 0, (3, 10), [0, 1], slides["34.X.phase1"]["value"])
# the set/get example
lines = []
lines.append("written: %d;" % run_paxos("foo", 0, (0, 2), 5))
lines.append("read:    %d;" % run_paxos("foo", 0, (0, 2), None))
lines.append("written: %d;" % run_paxos("foo", 1, (0, 2), 6))
lines.append("read:    %d;" % run_paxos("foo", 1, (0, 2), None))

# == must see unknown fields, or this client could not catch the bug it is here for
probe = pb.Value(Vi64=5)
with_unknown = pb.Value()
with_unknown.ParseFromString(probe.SerializeToString() + bytes([0x18, 0x00]))  # field 3 = 0
emit({"calls": calls, "mismatches": mismatches, "lines": lines, "slides": slides,
      "equalSeesUnknownFields": with_unknown != probe})
