"""Distributed crawling: many ``scrapy crawl`` processes, on any machines, share one crawl.

With ``REDIS_URL`` set (in the environment or with ``-s REDIS_URL=…``) the
:class:`DistributedCrawl` add-on replaces Scrapy's scheduler with :class:`RedisScheduler`, a
scrapy-redis scheduler: the frontier (a priority queue) and the duplicate filter (a set of
request fingerprints) live in Redis under ``DISTRIBUTED_KEY_PREFIX:SPIDER:SITE:…``, so every
process crawling that site takes its requests from, and adds the links it finds to, one crawl.
Start requests go through the duplicate filter too: the first process seeds the crawl, the
entry points of the others (and of a process restarted mid-crawl) are already seen.

scrapy-redis forgets a request once a process has popped it. On top of it each process (a
*worker*) moves what it pops, in the same atomic step, into a Redis hash of its own, and a
thread of its own renews a heartbeat key that expires ``DISTRIBUTED_WORKER_TIMEOUT`` seconds
after the last beat.
A request leaves the hash only when Scrapy is done with it: downloaded, the requests its
callback made queued in Redis, its items through the pipelines (archived). A worker whose
heartbeat expired is dead, and the first live worker to notice puts its requests back in the
queue, so a killed process loses nothing: the others, or itself restarted, fetch them again.

A worker with nothing to do stays (``DontCloseSpider``) while the queue has requests or any
worker holds some, since those may lead to more; the crawl is over when, in one atomic check,
the queue is empty and no worker holds a request. That check also clears the duplicate filter,
so the next crawl of the site starts afresh. An idle worker waits at most
``DISTRIBUTED_IDLE_TIMEOUT`` seconds for the others before it leaves anyway.
"""

from __future__ import annotations

import itertools
import logging
import os
import socket
import threading
import time
from typing import Any, Self
from urllib.parse import urlsplit

from redis import Redis
from redis.exceptions import RedisError
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy.settings import BaseSettings
from scrapy.utils.asyncio import create_looping_call
from scrapy.utils.misc import load_object
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler

logger = logging.getLogger(__name__)

# Pop the best request into this worker's in-flight hash, under a field that keeps its queue
# score; first delete the fields of the requests the worker has finished. One round trip.
_POP = """
if #ARGV > 1 then redis.call('HDEL', KEYS[2], unpack(ARGV, 2)) end
local found = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #found == 0 then return false end
redis.call('ZREM', KEYS[1], found[1])
local field = ARGV[1] .. '|' .. found[2]
redis.call('HSET', KEYS[2], field, found[1])
return {found[1], field}
"""
# Queue a request unless its fingerprint is in the duplicate filter (no fingerprint: queue it
# anyway), in one atomic step: a process killed between the two would leave the URL seen but
# never queued, and the page that linked to it, fetched again, would not queue it either.
_ENQUEUE = """
if ARGV[1] ~= '' and redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return 1
"""

# Put a worker's in-flight requests back in the queue, unless its heartbeat is alive
# (ARGV[2] == '1': its own, at close). KEYS: queue, in-flight hash, heartbeat, workers.
_REQUEUE = """
if ARGV[2] ~= '1' and redis.call('EXISTS', KEYS[3]) == 1 then return -1 end
local entries = redis.call('HGETALL', KEYS[2])
for i = 1, #entries, 2 do
  local score = tonumber(string.match(entries[i], '|(.*)$')) or 0
  redis.call('ZADD', KEYS[1], score, entries[i + 1])
end
redis.call('DEL', KEYS[2], KEYS[3])
redis.call('SREM', KEYS[4], ARGV[1])
return #entries / 2
"""
# The crawl is over when the queue is empty and no worker holds a request: then the duplicate
# filter goes, so that the next crawl starts from the entry points. KEYS: queue, workers,
# dupefilter; ARGV[1]: the prefix of the in-flight hashes.
_FINISH = """
if redis.call('ZCARD', KEYS[1]) > 0 then return 0 end
for _, worker in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  if redis.call('HLEN', ARGV[1] .. worker) > 0 then return 0 end
end
redis.call('DEL', KEYS[3])
return 1
"""


def redis_problem(url: str) -> str | None:
    """Why the Redis at ``url`` cannot hold a crawl's frontier, in one line; None if it can."""
    parts = urlsplit(url)
    shown = f"{parts.scheme}://{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}"
    try:
        client = Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5)
    except ValueError as exc:
        return f"REDIS_URL is not a Redis URL ({exc}): {shown}"
    try:
        client.ping()
    except RedisError as exc:
        return f"cannot reach Redis at {shown}{parts.path}: {exc}"
    finally:
        client.close()
    return None


class DistributedCrawl:
    """The add-on (in ``ADDONS``) that makes a crawl distributed when ``REDIS_URL`` is set."""

    def update_settings(self, settings: BaseSettings) -> None:
        if not settings.get("REDIS_URL"):
            raise NotConfigured  # a crawl of its own, with Scrapy's scheduler
        settings.set("SCHEDULER", f"{__name__}.RedisScheduler", "addon")
        settings.set("SCHEDULER_QUEUE_CLASS", f"{__name__}.SharedQueue", "addon")
        settings.set("DUPEFILTER_CLASS", "scrapy_redis.dupefilter.RFPDupeFilter", "addon")
        # A process that stops (or is killed) must leave the frontier to the others.
        settings.set("SCHEDULER_PERSIST", True, "addon")


class SharedQueue(PriorityQueue):  # type: ignore[misc]  # scrapy-redis has no type hints
    """scrapy-redis's priority queue, popping into a worker's in-flight hash."""

    def push_unseen(self, script: Any, dupefilter: str, fingerprint: str, request: Request) -> bool:
        """Queue ``request`` unless ``fingerprint`` is already seen (or, if it is "", always)."""
        data = self._encode_request(request)
        return bool(
            script(keys=[dupefilter, self.key], args=[fingerprint, -request.priority, data])
        )

    def pop_into(
        self, script: Any, inflight: str, prefix: str, finished: list[str]
    ) -> tuple[Request, str] | None:
        found = script(keys=[self.key, inflight], args=[prefix, *finished])
        if not found:
            return None
        data, field = found
        request: Request = self._decode_request(data)
        return request, field.decode() if isinstance(field, bytes) else field


def worker_name() -> str:
    """``host-pid-random``: unique, and says where to look."""
    return f"{socket.gethostname()}-{os.getpid()}-{os.urandom(3).hex()}"


class RedisScheduler(Scheduler):  # type: ignore[misc]  # scrapy-redis has no type hints
    """scrapy-redis's scheduler, with per-site keys, in-flight requests and a shared ending."""

    crawler: Crawler
    server: Redis
    queue: SharedQueue
    spider: Spider
    prefix: str

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        scheduler: Self = super().from_crawler(crawler)
        scheduler.setup(crawler)
        return scheduler

    def setup(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.worker = worker_name()
        self.worker_timeout = settings.getfloat("DISTRIBUTED_WORKER_TIMEOUT", 60.0)
        self.idle_timeout = settings.getfloat("DISTRIBUTED_IDLE_TIMEOUT", 600.0)
        self.key_prefix = settings.get("DISTRIBUTED_KEY_PREFIX") or "newsarchive"
        if self.worker_timeout <= 0:
            raise NotConfigured("DISTRIBUTED_WORKER_TIMEOUT must be more than 0 seconds")
        self.inflight: dict[str, Request] = {}  # field in the in-flight hash -> the request
        self.counter = itertools.count()
        self.idle_since: float | None = None
        self.stopping = threading.Event()
        self.heartbeat = threading.Thread(target=self.beat, name="redis-heartbeat", daemon=True)
        self.ticks: Any = None
        crawler.signals.connect(self.spider_idle, signal=signals.spider_idle)

    # Keys -------------------------------------------------------------------------------------

    def key(self, name: str) -> str:
        return f"{self.prefix}:{name}"

    def inflight_key(self, worker: str) -> str:
        return self.key(f"inflight:{worker}")

    def alive_key(self, worker: str) -> str:
        return self.key(f"alive:{worker}")

    # Scheduler interface ----------------------------------------------------------------------

    def open(self, spider: Spider) -> None:
        self.spider = spider
        site = getattr(spider, "site_name", None) or spider.name
        self.prefix = f"{self.key_prefix}:{spider.name}:{site}"
        self.queue = load_object(self.queue_cls)(
            server=self.server,
            spider=spider,
            key=self.key("requests").replace("%", "%%"),
            serializer=self.serializer,
        )
        self.df = load_object(self.dupefilter_cls)(
            self.server,
            key=self.key("dupefilter"),
            debug=spider.settings.getbool("DUPEFILTER_DEBUG"),
        )
        self.enqueue_script = self.server.register_script(_ENQUEUE)
        self.pop_script = self.server.register_script(_POP)
        self.requeue_script = self.server.register_script(_REQUEUE)
        self.finish_script = self.server.register_script(_FINISH)
        if self.flush_on_start:
            self.flush()
        self.engine_slot()  # fail now, not at the first request, on a Scrapy without it
        self.alive()
        self.heartbeat.start()
        self.ticks = create_looping_call(self.tick)
        self.ticks.start(min(self.worker_timeout / 4, 1.0), now=False)
        logger.info(
            "distributed crawl %s as worker %s: %s requests queued, %s workers",
            self.prefix,
            self.worker,
            len(self.queue),
            self.server.scard(self.key("workers")),
        )

    def close(self, reason: str) -> None:
        if self.ticks is not None and self.ticks.running:
            self.ticks.stop()
        self.stopping.set()
        if self.heartbeat.is_alive():
            self.heartbeat.join()
        self.ack()
        # Anything still held (a crawl stopped before its requests were done) goes back.
        back = self.requeue(self.worker, own=True)
        if back:
            logger.info("put %s unfinished requests back in the shared queue", back)
            self._count("distributed/requeued_on_close", back)
        self.inflight.clear()

    def flush(self) -> None:
        self.server.delete(self.key("requests"), self.key("dupefilter"))

    def enqueue_request(self, request: Request) -> bool:
        # Start requests are dont_filter, but only the first worker may seed the crawl; their
        # retries (and anything else dont_filter) are queued as they are.
        seed = request.meta.get("is_start_request") and not request.meta.get("retry_times")
        filtered = seed or not request.dont_filter
        fingerprint = self.df.request_fingerprint(request) if filtered else ""
        if not self.queue.push_unseen(self.enqueue_script, self.df.key, fingerprint, request):
            self.df.log(request, self.spider)
            if seed:
                self._count("distributed/start/already_seeded")
            return False
        self._count("scheduler/enqueued/redis")
        return True

    def next_request(self) -> Request | None:
        finished = self.finished()
        popped = self.queue.pop_into(
            self.pop_script, self.inflight_key(self.worker), str(next(self.counter)), finished
        )
        for field in finished:
            del self.inflight[field]
        if popped is None:
            return None
        request, field = popped
        self.inflight[field] = request
        self.idle_since = None
        self._count("scheduler/dequeued/redis")
        return request

    # In-flight requests -----------------------------------------------------------------------

    def engine_slot(self) -> Any:
        """Where Scrapy's engine keeps the requests it is working on.

        Two things this scheduler needs have no public API. Which popped requests Scrapy is
        done with: a request stays in the slot's ``inprogress`` set from its download until its
        callback's output is processed (requests queued, items through the pipelines, and the
        archive pipeline returns once the item is committed). And waking an idle engine
        (``nextcall``) when other workers queue requests, sooner than its 5-second heartbeat.
        """
        slot = getattr(self.crawler.engine, "_slot", None)
        if not (hasattr(slot, "inprogress") and hasattr(slot, "nextcall")):
            raise RuntimeError("this Scrapy version's engine has no slot.inprogress/nextcall")
        return slot

    def finished(self) -> list[str]:
        """Fields of the popped requests Scrapy is done with."""
        active = self.engine_slot().inprogress
        return [field for field, request in self.inflight.items() if request not in active]

    def ack(self) -> None:
        if finished := self.finished():
            self.server.hdel(self.inflight_key(self.worker), *finished)
            for field in finished:
                del self.inflight[field]

    def requeue(self, worker: str, own: bool = False) -> int:
        """Put ``worker``'s in-flight requests back in the queue (unless it is alive)."""
        keys = [
            self.key("requests"),
            self.inflight_key(worker),
            self.alive_key(worker),
            self.key("workers"),
        ]
        return int(self.requeue_script(keys=keys, args=[worker, "1" if own else "0"]))

    def alive(self) -> bool:
        """Renew this worker's heartbeat; False if it had been given up for dead meanwhile."""
        with self.server.pipeline() as pipe:
            pipe.set(self.alive_key(self.worker), "1", px=int(self.worker_timeout * 1000))
            pipe.sadd(self.key("workers"), self.worker)
            _, added = pipe.execute()
        return not added

    def beat(self) -> None:
        """The heartbeat, in a thread of its own: a busy reactor is no sign of death."""
        while not self.stopping.wait(min(self.worker_timeout / 4, 1.0)):
            try:
                if not self.alive():
                    logger.warning(
                        "this worker was given up for dead (no heartbeat for %s s): others "
                        "fetch its requests again; raise DISTRIBUTED_WORKER_TIMEOUT",
                        self.worker_timeout,
                    )
                    self._count("distributed/presumed_dead")
            except RedisError as exc:
                logger.warning("Redis heartbeat failed (%s), trying again", exc)

    def recover(self) -> None:
        """Put the requests of workers whose heartbeat expired back in the queue."""
        for member in self.server.smembers(self.key("workers")):
            worker = member.decode() if isinstance(member, bytes) else str(member)
            if worker != self.worker and not self.server.exists(self.alive_key(worker)):
                back = self.requeue(worker)
                if back > 0:
                    logger.warning(
                        "worker %s stopped: %s of its requests back in the queue", worker, back
                    )
                    self._count("distributed/recovered", back)

    def tick(self) -> None:
        """Every second or so: acknowledge, recover, and nudge the engine if it is waiting."""
        try:
            self.ack()
            self.recover()
        except RedisError as exc:
            logger.warning("Redis unavailable (%s), trying again", exc)
            return
        if self.idle_since is not None:
            self.engine_slot().nextcall.schedule()  # takes new requests, or checks the end

    # The end of the crawl ---------------------------------------------------------------------

    def spider_idle(self, spider: Spider) -> None:
        """Stay while the crawl goes on elsewhere; the last idle check ends it for everyone."""
        try:
            self.ack()
            self.recover()
        except RedisError as exc:
            logger.warning("Redis unavailable (%s), trying again", exc)
            raise DontCloseSpider from exc
        now = time.monotonic()
        waiting = self.idle_since is not None
        if self.idle_since is None:
            self.idle_since = now
        if len(self.queue):
            raise DontCloseSpider  # taken at the next tick
        keys = [self.key("requests"), self.key("workers"), self.key("dupefilter")]
        if self.finish_script(keys=keys, args=[self.key("inflight:")]) == 1:
            logger.info("shared queue empty and no worker holds a request: crawl finished")
            return
        if not waiting:
            logger.info("shared queue empty, waiting for the other workers' requests")
        if now - self.idle_since >= self.idle_timeout:
            logger.warning(
                "idle for %.0f s (DISTRIBUTED_IDLE_TIMEOUT) while other workers still hold "
                "requests: leaving them the rest of the crawl",
                self.idle_timeout,
            )
            return
        self._count("distributed/idle_checks")
        raise DontCloseSpider

    def _count(self, key: str, value: int = 1) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(key, value)
