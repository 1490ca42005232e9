// Every limit and timeout of the engine, with defaults (units last in names).
export interface CertainTuning {
  enablePreAuth: boolean;
  localAcceptFirst: boolean;
  /** chosen entries per catch-up request */
  maxCatchUpNum: number;
  /** catch-up requests sent per second, all entities together */
  catchUpPerSecMax: number;
  catchUpTimeoutMs: number;
  /** entries applied to the data store per replay step */
  maxCommitNum: number;
  /** background apply waits this long so consecutive entries share one data-store fsync */
  applyDelayMs: number;
  /** a chosen, applied plog entry may be deleted once older than this */
  plogExpireTimeMs: number;
  expireCheckMs: number;
  /** how long a chosen uuid is remembered for dedup */
  uuidWindowMs: number;
  /**
   * Most uuids the in-memory dedup window holds (engine/uuidWindow.ts, ~50 bytes each). Over
   * it the oldest are dropped and lookups read the stores' indexes until those would have
   * expired: slower, never wrong.
   */
  uuidWindowEntriesMax: number;
  /** Bytes of recently read or applied data-store rows kept in memory (LRU; 0: none). */
  hotRowsBytesMax: number;
  /** write / read deadline */
  cmdTimeoutMs: number;
  tickMs: number;
  /** re-prepare an unchosen proposal after this (plus up to the same again as jitter) */
  retryMsBase: number;
  getAllPageBytes: number;
  /**
   * Largest value write() accepts. A peer message carries the value twice, base64 inside
   * JSON (~2.7x), and must fit one PeerLink batch (1 MiB): 320 KiB leaves room for the rest.
   */
  valueBytesMax: number;
  /** Chosen-record value bytes per catch-up response (at least one record is always sent). */
  catchUpBytesMax: number;
  getAllCallDeadlineMs: number;
  /** a pinned GetAll snapshot nobody reads is released after this */
  getAllSessionIdleMs: number;
  /** entities per horizon page a recovering replica asks for */
  horizonPageNum: number;
  /** client uuids one value may carry (each is a dedup index row written with the chosen record) */
  uuidsPerValueMax: number;
  /**
   * fsync each apply of a chosen entry to the data store (the original's behaviour). Off by
   * default: the synced plog is the data store's write-ahead log (replayed above its
   * maxCommitted at start, checkpointed before plog expiry), one fsync per tick fewer.
   */
  dataStoreSync: boolean;
  /**
   * Longest a chosen mark (a record learnt chosen, with nothing to send) waits to ride with the
   * next synced plog batch instead of an fsync of its own (engine/commitPipeline.ts); 0 gives
   * every such mark its own synced batch (the behaviour before).
   */
  chosenMarkDeferMs: number;
  /** how often each replica sends its peers the chosen summary of entities that advanced lately */
  chosenGossipMs: number;
  /** an entity is in the summaries for this long after its maxChosen last advanced */
  chosenGossipWindowMs: number;
  /** entities per summary round (the most recently advanced first; one message per 1024) */
  chosenGossipEntitiesMax: number;
  /** the original's EnableLearnOnly: never vote, only learn chosen entries; client commands refused */
  learnOnly: boolean;
}

export const defaultTuning: CertainTuning = {
  enablePreAuth: true,
  localAcceptFirst: false,
  maxCatchUpNum: 10,
  catchUpPerSecMax: 2000,
  catchUpTimeoutMs: 1000,
  maxCommitNum: 100,
  applyDelayMs: 20,
  plogExpireTimeMs: 24 * 3600 * 1000,
  expireCheckMs: 10_000,
  uuidWindowMs: 3600 * 1000,
  uuidWindowEntriesMax: 1_000_000,
  hotRowsBytesMax: 32 * 1024 * 1024,
  cmdTimeoutMs: 5000,
  tickMs: 50,
  retryMsBase: 300,
  getAllPageBytes: 1024 * 1024,
  valueBytesMax: 320 * 1024,
  catchUpBytesMax: 320 * 1024,
  getAllCallDeadlineMs: 10_000,
  getAllSessionIdleMs: 60_000,
  horizonPageNum: 1000,
  learnOnly: false,
  dataStoreSync: false,
  chosenMarkDeferMs: 50,
  chosenGossipMs: 1000,
  chosenGossipWindowMs: 10_000,
  chosenGossipEntitiesMax: 4096,
  uuidsPerValueMax: 1024,
};
