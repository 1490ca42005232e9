"""Helpers shared by the interop clients.

These clients know quorumkit only through its .proto files: the e2e test generates the
Python stubs with grpc_tools.protoc into a temporary directory and passes it as --stubs.
Every script prints one JSON document on stdout (what it saw); the TypeScript test asserts
on it. Anything unexpected (a failed RPC that should have worked) raises, so the script
exits non-zero with a traceback on stderr.
"""
import argparse
import json
import sys

RPC_TIMEOUT_S = 20.0
READY_TIMEOUT_S = 20.0


def parse_args(description, nargs="+"):
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--stubs", required=True, help="directory holding the generated *_pb2*.py modules")
    ap.add_argument("addrs", nargs=nargs, help="host:port of each server")
    args = ap.parse_args()
    sys.path.insert(0, args.stubs)
    return args


def channels(addrs):
    """One insecure channel per address, each ready (connected) within READY_TIMEOUT_S."""
    import grpc

    out = []
    for a in addrs:
        ch = grpc.insecure_channel(a)
        grpc.channel_ready_future(ch).result(timeout=READY_TIMEOUT_S)
        out.append(ch)
    return out


def rpc_error(err):
    """A grpc.RpcError as plain data: standard status, details and trailing metadata."""
    trailers = {}
    for md in err.trailing_metadata() or ():
        trailers[md.key] = md.value if isinstance(md.value, str) else md.value.decode("latin-1")
    return {"code": err.code().name, "details": err.details(), "trailers": trailers}


def attempt(fn):
    """Run one RPC: {"ok": reply} or {"error": {...}} for a gRPC error status."""
    import grpc

    try:
        return {"ok": fn()}
    except grpc.RpcError as err:
        return {"error": rpc_error(err)}


def emit(doc):
    # uint64 values go out as decimal strings so nothing is rounded through a double in JS.
    json.dump(doc, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
    sys.stdout.flush()
