"""certain's card server after one oversized InsertCard: does the cluster keep serving?

Usage: python3 card_oversized.py --stubs DIR [--bytes N] ADDR0 ADDR1 ADDR2

Sends one InsertCard whose user_name is N bytes (default 500,000) to server 0, then inserts
and selects a small card on every server, and asks every server's health. A server must
never stop serving because of one request: the big insert may be refused with a clear
error (or stored), but the small cards must work afterwards. Prints what every call returned.
"""
import argparse
import sys

from qk_interop import RPC_TIMEOUT_S, attempt, channels, emit

ap = argparse.ArgumentParser(description=__doc__)
ap.add_argument("--stubs", required=True)
ap.add_argument("--bytes", type=int, default=500_000)
ap.add_argument("addrs", nargs=3)
args = ap.parse_args()
sys.path.insert(0, args.stubs)
import card_pb2 as pb  # noqa: E402  (generated into --stubs at test time)
import card_pb2_grpc as pb_grpc  # noqa: E402
import health_pb2  # noqa: E402
import health_pb2_grpc  # noqa: E402

chans = channels(args.addrs)
cards = [pb_grpc.CardServerStub(ch) for ch in chans]
out = {"bytes": args.bytes}


def outcome(r):
    if "ok" in r:
        return {"ok": True}
    return {"code": r["error"]["code"], "details": r["error"]["details"]}


big = pb.CardInfo(user_name=b"a" * args.bytes, user_id=1, balance=1)
out["oversized insert"] = outcome(attempt(lambda: cards[0].InsertCard(pb.CardRequest(card_id=3, card_info=big), timeout=RPC_TIMEOUT_S)))
for i, stub in enumerate(cards):
    card_id = 1000 + i  # entities 200 apart from the big card's
    small = pb.CardInfo(user_name=b"after", user_id=7, balance=70 + i)
    out[f"insert on {i}"] = outcome(attempt(lambda: stub.InsertCard(pb.CardRequest(card_id=card_id, card_info=small), timeout=RPC_TIMEOUT_S)))
    sel = attempt(lambda: stub.SelectCard(pb.CardRequest(card_id=card_id), timeout=RPC_TIMEOUT_S))
    out[f"select on {i}"] = {"balance": str(sel["ok"].card_info.balance)} if "ok" in sel else outcome(sel)
    h = health_pb2_grpc.HealthStub(chans[i]).Check(health_pb2.HealthCheckRequest(service=""), timeout=RPC_TIMEOUT_S)
    out[f"health of {i}"] = health_pb2.HealthCheckResponse.ServingStatus.Name(h.status)
emit(out)
