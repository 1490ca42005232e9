"""rrseq from a foreign client: GRPCNextID / GRPCCurID / GRPCSetID with uint64 values.

Usage: python3 rrseq_client.py --stubs DIR ADDR0 ADDR1 ADDR2

Needs rr_seq_pb2* (from packages/rrseq/proto/rr_seq.proto) in --stubs. Semantics (read from
the rrseq server): NextID allocates [from, to) through a majority read and a conditional
majority write, [0,0) on failure; CurID is the answering replica's own value (1 for an
unknown name); SetID raises only the answering replica's value (RAISE = max, never lowers)
and reports success once that is durable. Prints what every call returned; uint64 values
as decimal strings.
"""
import time

from qk_interop import READY_TIMEOUT_S, RPC_TIMEOUT_S, channels, emit, parse_args

args = parse_args(__doc__)
import rr_seq_pb2 as pb  # noqa: E402  (generated into --stubs at test time)
import rr_seq_pb2_grpc as pb_grpc  # noqa: E402

servers = [pb_grpc.RRAPIStub(ch) for ch in channels(args.addrs)]
ALL = range(len(servers))
out = {}


def wait_serving():
    """A fresh replica prints `ready` but answers UNAVAILABLE until it has rebuilt its state
    from a majority of peers (it cannot tell a first start from a wiped disk)."""
    import grpc

    deadline = time.monotonic() + READY_TIMEOUT_S
    for s in ALL:
        while True:
            try:
                servers[s].GRPCCurID(pb.CurIDRequest(name="probe"), timeout=RPC_TIMEOUT_S)
                break
            except grpc.RpcError as err:
                if err.code() != grpc.StatusCode.UNAVAILABLE or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)


wait_serving()


def next_id(label, s, name, size):
    r = servers[s].GRPCNextID(pb.NextIDRequest(name=name, range_size=size), timeout=RPC_TIMEOUT_S)
    out[label] = [str(r.from_id), str(r.to_id)]


def cur_ids(label, name):
    out[label] = [str(servers[s].GRPCCurID(pb.CurIDRequest(name=name), timeout=RPC_TIMEOUT_S).cur_id) for s in ALL]


def set_id(label, servers_to_set, name, value):
    out[label] = [servers[s].GRPCSetID(pb.SetIDRequest(name=name, new_id=value), timeout=RPC_TIMEOUT_S).success
                  for s in servers_to_set]


cur_ids("cur unknown", "never-used")
next_id("next 5 on 0", 0, "interop", 5)
next_id("next 3 on 1", 1, "interop", 3)
next_id("next 1 on 2", 2, "interop", 1)
cur_ids("cur interop", "interop")
next_id("next size 0", 0, "interop", 0)
next_id("next size -1", 0, "interop", -1)
next_id("next empty name", 0, "", 5)

# uint64 above 2^53, then just below 2^64: SetID on every replica, read back, allocate.
B = 2**53 + 1
set_id("set big", ALL, "big", B)
cur_ids("cur big", "big")
next_id("next 2 big", 1, "big", 2)
set_id("set big lower", ALL, "big", 5)
cur_ids("cur big after lower", "big")
T = 2**64 - 3
set_id("set top", ALL, "top", T)
cur_ids("cur top", "top")
next_id("next 2 top", 2, "top", 2)
next_id("next 5 top (overflow)", 0, "top", 5)
cur_ids("cur top after", "top")

# SetID is local: only the replica asked is raised.
set_id("set solo on 2", [2], "solo", 1000)
cur_ids("cur solo", "solo")
emit(out)
