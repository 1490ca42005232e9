"""certain's card server from a foreign client: business errors, uint64 fields, health.

Usage: python3 card_client.py --stubs DIR ADDR0 ADDR1 ADDR2   (the card service addresses)

Needs card_pb2* (from packages/certain/proto/card.proto) and health_pb2* (grpc.health.v1)
in --stubs. Business errors must arrive as a standard status with the number in the
`x-card-code` trailer: 8002 ALREADY_EXISTS, 8001 NOT_FOUND, 8000 FAILED_PRECONDITION.
Prints what every call returned.
"""
from qk_interop import RPC_TIMEOUT_S, attempt, channels, emit, parse_args

args = parse_args(__doc__)
import card_pb2 as pb  # noqa: E402  (generated into --stubs at test time)
import card_pb2_grpc as pb_grpc  # noqa: E402
import health_pb2  # noqa: E402
import health_pb2_grpc  # noqa: E402

chans = channels(args.addrs)
cards = [pb_grpc.CardServerStub(ch) for ch in chans]
healths = [health_pb2_grpc.HealthStub(ch) for ch in chans]
out = {"health": [], "ops": {}}

for i, h in enumerate(healths):
    for service in ("", "example.CardServer"):
        r = h.Check(health_pb2.HealthCheckRequest(service=service), timeout=RPC_TIMEOUT_S)
        out["health"].append({"server": i, "service": service,
                              "status": health_pb2.HealthCheckResponse.ServingStatus.Name(r.status)})


def info_doc(ci):
    return {"user_name": ci.user_name.decode("utf-8", "replace"), "user_id": str(ci.user_id),
            "balance": str(ci.balance), "last_modified_time": ci.last_modified_time}


def server_for(card_id):
    # The seed's routing (entity = card_id % 200, then entity % servers); any server works.
    return (card_id % 200) % len(cards)


def op(label, method, card_id, server=None, **fields):
    s = server_for(card_id) if server is None else server
    req = pb.CardRequest(card_id=card_id, **fields)
    r = attempt(lambda: getattr(cards[s], method)(req, timeout=RPC_TIMEOUT_S))
    if "ok" in r:
        resp = r["ok"]
        r["ok"] = {"card_info": info_doc(resp.card_info) if resp.HasField("card_info") else None}
    r["server"] = s
    out["ops"][label] = r


CARD, MISSING, BIG = 12358, 4242, 777
rock = pb.CardInfo(user_name=b"rock", user_id=20170001, balance=200)
op("insert", "InsertCard", CARD, card_info=rock)
op("insert again", "InsertCard", CARD, card_info=rock)
op("select missing", "SelectCard", MISSING)
op("update missing", "UpdateCard", MISSING, delta=5)
op("delete missing", "DeleteCard", MISSING)
op("update below zero", "UpdateCard", CARD, delta=-201)
op("update +10", "UpdateCard", CARD, delta=10)
for i in range(len(cards)):
    op(f"select on {i}", "SelectCard", CARD, server=i)

# uint64 fields above 2^53 (and user_id at 2^64-1) must survive exactly.
big = pb.CardInfo(user_name="zoë".encode("utf-8"), user_id=2**64 - 1, balance=2**53 + 1)
op("insert big", "InsertCard", BIG, card_info=big)
op("update big +2", "UpdateCard", BIG, delta=2)
op("select big", "SelectCard", BIG, server=(server_for(BIG) + 1) % len(cards))
op("delete", "DeleteCard", CARD)
op("select deleted", "SelectCard", CARD)
emit(out)
