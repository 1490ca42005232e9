"""paxoskv from a foreign client: the seed's slide-33/34 scenario with raw Prepare/Accept.

Usage: python3 paxoskv_slides.py --stubs DIR ADDR0 ADDR1 ADDR2

A proposer written from the proto alone, with the seed's rules: ballots compare
lexicographically by (N, ProposerId); phase 1 succeeds on `quorum` replies whose LastBal is
not above our ballot and keeps the value of the highest VBal; phase 2 succeeds on `quorum`
replies whose LastBal is not above our ballot; a failed phase reports the highest ballot
that rejected it. The quorum is 2 of 3. Prints every raw reply and every phase result.
"""
from qk_interop import RPC_TIMEOUT_S, channels, emit, parse_args

QUORUM = 2

args = parse_args(__doc__, nargs=3)
import paxoskv_pb2 as pb  # noqa: E402  (generated into --stubs at test time)
import paxoskv_pb2_grpc as pb_grpc  # noqa: E402

acceptors = [pb_grpc.PaxosKVStub(ch) for ch in channels(args.addrs)]
INSTANCE = pb.PaxosInstanceId(Key="interop-slide33", Ver=0)
steps = []


def bal(msg):
    return [msg.N, msg.ProposerId]


def reply_doc(i, r):
    return {
        "acceptor": i,
        "LastBal": bal(r.LastBal) if r.HasField("LastBal") else None,
        "VBal": bal(r.VBal) if r.HasField("VBal") else None,
        "Val": r.Val.Vi64 if r.HasField("Val") else None,
    }


def rpc_to_all(method, ids, ballot, value=None):
    req = pb.Proposer(Id=INSTANCE, Bal=pb.BallotNum(N=ballot[0], ProposerId=ballot[1]))
    if value is not None:
        req.Val.Vi64 = value
    return [(i, getattr(acceptors[i], method)(req, timeout=RPC_TIMEOUT_S)) for i in ids]


def phase1(name, ballot, ids):
    replies = rpc_to_all("Prepare", ids, ballot)
    ok, higher = 0, None
    max_vbal, value = [0, 0], None
    result = None
    for _, r in replies:
        last = bal(r.LastBal)
        if last > ballot:
            higher = last if higher is None or last > higher else higher
            continue
        vbal = bal(r.VBal)
        if vbal >= max_vbal:
            max_vbal, value = vbal, (r.Val.Vi64 if r.HasField("Val") else None)
        ok += 1
        if ok == QUORUM:
            result = {"err": None, "higherBal": None, "value": value}
            break
    if result is None:
        result = {"err": "NotEnoughQuorum", "higherBal": higher, "value": None}
    steps.append({"step": name, "phase": 1, "ballot": ballot, "acceptors": ids,
                  "replies": [reply_doc(i, r) for i, r in replies], "result": result})
    return result


def phase2(name, ballot, ids, value):
    replies = rpc_to_all("Accept", ids, ballot, value)
    ok, higher = 0, None
    result = None
    for _, r in replies:
        last = bal(r.LastBal)
        if last > ballot:
            higher = last if higher is None or last > higher else higher
            continue
        ok += 1
        if ok == QUORUM:
            result = {"err": None, "higherBal": None}
            break
    if result is None:
        result = {"err": "NotEnoughQuorum", "higherBal": higher}
    steps.append({"step": name, "phase": 2, "ballot": ballot, "acceptors": ids, "value": value,
                  "replies": [reply_doc(i, r) for i, r in replies], "result": result})
    return result


X1, Y, X3 = [1, 10], [2, 11], [3, 10]
phase1("X phase1", X1, [0, 1])
phase1("Y phase1", Y, [1, 2])
phase2("X phase2", X1, [0, 1], 100)
phase2("Y phase2", Y, [1, 2], 200)
retry = phase1("X retry phase1", X3, [0, 1])
phase2("X retry phase2", X3, [0, 1], retry["value"])

# What every acceptor holds now, seen through a Prepare with the zero ballot: it is below
# every LastBal, so it changes nothing and returns each acceptor's state.
final = rpc_to_all("Prepare", [0, 1, 2], [0, 0])
emit({"steps": steps, "final": [reply_doc(i, r) for i, r in final]})
