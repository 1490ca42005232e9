# redis-py (Debian python3-redis) checklist against a constdb node: prints one JSON object
# {check name: true | "error text"}; the vitest side asserts every check passed.
import json
import sys

import redis

r = redis.Redis(host="127.0.0.1", port=int(sys.argv[1]), decode_responses=True)
checks = {}


def check(name, fn, want):
    try:
        got = fn()
        checks[name] = True if got == want else f"got {got!r}, want {want!r}"
    except Exception as e:  # the check fails with the error text, the others still run
        checks[name] = f"error {e!r}"


check("flushall", lambda: r.flushall(), True)
check("set", lambda: r.set("py:s", "v"), True)
check("get", lambda: r.get("py:s"), "v")
check("setex+ttl", lambda: (r.setex("py:e", 100, "x"), r.ttl("py:e"))[1] > 0, True)
check("incr", lambda: r.incr("py:c"), 1)
check("incrby", lambda: r.incrby("py:c", 5), 6)
check("incrbyfloat", lambda: r.incrbyfloat("py:f", 2.5), 2.5)
check("append+strlen", lambda: (r.append("py:s", "w"), r.strlen("py:s")), (2, 2))
check("mset+mget", lambda: (r.mset({"py:a": "1", "py:b": "2"}), r.mget("py:a", "py:b", "py:none")), (True, ["1", "2", None]))
check("hset+hgetall", lambda: (r.hset("py:h", mapping={"f": "1", "g": "2"}), r.hgetall("py:h")), (2, {"f": "1", "g": "2"}))
check("hmget", lambda: r.hmget("py:h", ["f", "x"]), ["1", None])
check("hincrby", lambda: r.hincrby("py:h", "f", 2), 3)
check("hdel+hlen", lambda: (r.hdel("py:h", "g"), r.hlen("py:h")), (1, 1))
check("sadd+smembers", lambda: (r.sadd("py:set", "a", "b"), r.smembers("py:set")), (2, {"a", "b"}))
check("sismember", lambda: r.sismember("py:set", "a"), True)
check("srem+scard", lambda: (r.srem("py:set", "a"), r.scard("py:set")), (1, 1))
check("rpush+lrange", lambda: (r.rpush("py:l", "a", "b", "c"), r.lrange("py:l", 0, -1)), (3, ["a", "b", "c"]))
check("lpush+lpop", lambda: (r.lpush("py:l", "z"), r.lpop("py:l")), (4, "z"))
check("llen+lindex", lambda: (r.llen("py:l"), r.lindex("py:l", -1)), (3, "c"))
check("zadd+zrange", lambda: (r.zadd("py:z", {"a": 1, "b": 2.5}), r.zrange("py:z", 0, -1, withscores=True)), (2, [("a", 1.0), ("b", 2.5)]))
check("zincrby+zscore", lambda: (r.zincrby("py:z", 2, "a"), r.zscore("py:z", "a")), (3.0, 3.0))
check("zrank+zcard", lambda: (r.zrank("py:z", "a"), r.zcard("py:z")), (1, 2))
check("zpopmin", lambda: r.zpopmin("py:z"), [("b", 2.5)])
check("exists+type", lambda: (r.exists("py:l", "py:none"), r.type("py:l")), (1, "list"))
check("expire+persist", lambda: (r.expire("py:s", 100), r.persist("py:s"), r.ttl("py:s")), (True, True, -1))
check("rename", lambda: (r.rename("py:a", "py:a2"), r.get("py:a2")), (True, "1"))
check("del", lambda: r.delete("py:a2", "py:b"), 2)
check("pipeline", lambda: r.pipeline().set("py:p", "1").incr("py:p").get("py:p").execute(), [True, 2, "2"])
check("transaction", lambda: r.pipeline(transaction=True).incr("py:t").incr("py:t").execute(), [1, 2])
check("scan_iter", lambda: sorted(r.scan_iter(match="py:[sl]*")), ["py:l", "py:s", "py:set"])
check("hscan_iter", lambda: dict(r.hscan_iter("py:h")), {"f": "3"})


def pubsub():
    p = r.pubsub()
    p.subscribe("py:ch")
    p.get_message(timeout=5)  # the subscribe ack
    n = r.publish("py:ch", "hello")
    m = p.get_message(timeout=5)
    p.close()
    return n, m and m["data"]


check("pubsub", pubsub, (1, "hello"))
print(json.dumps(checks))
