// card-srv's `key=value` config: whitespace ignored, `#` comments, unknown keys warned and
// ignored, a bad value names its key.
import { BadConfigError } from '../errors.js';

export interface CardServerConfig {
  serverAddrs: string[];
  cardAddrs?: string[];
  acceptorNum: number;
  acceptorId?: number;
  path?: string;
  enablePreAuth: boolean;
  localAcceptFirst: boolean;
  plogExpireTimeMs: number;
  maxCatchUpNum: number;
  maxCommitNum: number;
  cmdTimeoutMs: number;
  /** largest encoded card value one request may propose (bigger requests: INVALID_ARGUMENT) */
  cardValueBytesMax?: number;
  /** admission limit: card requests queued or running at once; more get RESOURCE_EXHAUSTED */
  admitOpsMax?: number;
  /** card requests in flight on this server (checked at handler entry); more get RESOURCE_EXHAUSTED */
  inflightMax?: number;
  /** card requests in flight from one client connection; more get RESOURCE_EXHAUSTED */
  peerInflightMax?: number;
  /** the original's EnableLearnOnly: this server never votes, it only learns chosen entries */
  enableLearnOnly: boolean;
  /** fsync every apply to the data store (off: the synced plog is its write-ahead log) */
  dataStoreSync?: boolean;
  /** ChosenMarkDeferMS: see CertainTuning.chosenMarkDeferMs (0: a synced batch per chosen mark) */
  chosenMarkDeferMs?: number;
  /** UuidWindowEntriesMax: see CertainTuning.uuidWindowEntriesMax (0: every uuid lookup reads the stores) */
  uuidWindowEntriesMax?: number;
  /** PeerStream: protocol messages over one stream per peer (default), 0: PeerLink unary batch calls */
  peerStream?: boolean;
  /** HotRowsBytesMax: see CertainTuning.hotRowsBytesMax (0: every card is read from the data store) */
  hotRowsBytesMax?: number;
  /** serve RecoverData (GetAll one card's entity now; card_tool -o Recover): off by default */
  enableRecoverData: boolean;
  /** serve GetAllForCertain (page an entity's cards out of a pinned snapshot): off by default */
  enableGetAllForCertain: boolean;
  logLevel: string;
}

export const configDefaults: CardServerConfig = {
  serverAddrs: [],
  acceptorNum: 3,
  enablePreAuth: true,
  localAcceptFirst: false,
  plogExpireTimeMs: 24 * 3600 * 1000,
  maxCatchUpNum: 10,
  maxCommitNum: 100,
  cmdTimeoutMs: 5000,
  cardValueBytesMax: 256 * 1024,
  admitOpsMax: 2048,
  inflightMax: 512,
  peerInflightMax: 256,
  enableLearnOnly: false,
  dataStoreSync: false,
  enableRecoverData: false,
  enableGetAllForCertain: false,
  logLevel: 'info',
};

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const NUMERIC_LEVELS: Record<string, string> = { 0: 'silent', 1: 'error', 2: 'warn', 3: 'info', 4: 'debug', 5: 'trace' };

function bool(key: string, v: string): boolean {
  const s = v.toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(s)) return true;
  if (['0', 'false', 'no', 'off'].includes(s)) return false;
  throw new BadConfigError(`config key ${key}: expected a boolean (true/false/1/0), got "${v}"`);
}

function int(key: string, v: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^\d+$/.test(v)) throw new BadConfigError(`config key ${key}: expected an integer, got "${v}"`);
  const n = Number(v);
  if (n < min || n > max) throw new BadConfigError(`config key ${key}: must be in ${min}..${max}, got ${n}`);
  return n;
}

function addrs(key: string, v: string): string[] {
  const list = v.split(',').filter((a) => a.length > 0);
  for (const a of list) {
    if (!/^[^:\s]+:\d{1,5}$/.test(a)) throw new BadConfigError(`config key ${key}: bad address "${a}" (want host:port)`);
  }
  return list;
}

/** Parse config text. Keys are case-insensitive; returns the config and warnings. */
export function parseConfig(text: string): { config: CardServerConfig; warnings: string[] } {
  const c: CardServerConfig = { ...configDefaults };
  const warnings: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').replace(/\s+/g, '');
    if (line === '') return;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new BadConfigError(`config line ${i + 1}: expected key=value, got "${raw.trim()}"`);
    const key = line.slice(0, eq);
    const v = line.slice(eq + 1);
    switch (key.toLowerCase()) {
      case 'serveraddrs': c.serverAddrs = addrs(key, v); break;
      case 'cardaddrs': c.cardAddrs = addrs(key, v); break;
      case 'acceptornum': c.acceptorNum = int(key, v, 1, 5); break;
      case 'acceptorid': c.acceptorId = int(key, v, 0, 4); break;
      case 'path': c.path = v; break;
      case 'enablepreauth': c.enablePreAuth = bool(key, v); break;
      case 'localacceptfirst': c.localAcceptFirst = bool(key, v); break;
      case 'enablelearnonly': c.enableLearnOnly = bool(key, v); break;
      case 'datastoresync': c.dataStoreSync = bool(key, v); break;
      case 'chosenmarkdeferms': c.chosenMarkDeferMs = int(key, v, 0, 1000); break;
      case 'uuidwindowentriesmax': c.uuidWindowEntriesMax = int(key, v, 0, 100_000_000); break;
      case 'peerstream': c.peerStream = bool(key, v); break;
      case 'hotrowsbytesmax': c.hotRowsBytesMax = int(key, v, 0, 1 << 30); break;
      case 'enablerecoverdata': c.enableRecoverData = bool(key, v); break;
      case 'enablegetallforcertain': c.enableGetAllForCertain = bool(key, v); break;
      case 'plogexpiretimems': c.plogExpireTimeMs = int(key, v, 0); break;
      case 'maxcatchupnum': c.maxCatchUpNum = int(key, v, 1, 10_000); break;
      case 'maxcommitnum': c.maxCommitNum = int(key, v, 1, 1_000_000); break;
      case 'cmdtimeoutms': c.cmdTimeoutMs = int(key, v, 1, 3_600_000); break;
      case 'cardvaluebytesmax': c.cardValueBytesMax = int(key, v, 64, 320 * 1024); break;
      case 'admitopsmax': c.admitOpsMax = int(key, v, 1, 1_000_000); break;
      case 'inflightmax': c.inflightMax = int(key, v, 1, 1_000_000); break;
      case 'peerinflightmax': c.peerInflightMax = int(key, v, 1, 1_000_000); break;
      case 'localserverid': c.acceptorId = int(key, v, 0, 4); break; // the original's name for AcceptorId
      case 'loglevel': {
        // the original's example.conf uses numbers: 0 silent, 1 error, 2 warn, 3 info, 4 debug, 5 trace
        const numeric = NUMERIC_LEVELS[v];
        if (numeric) {
          c.logLevel = numeric;
          break;
        }
        if (!LEVELS.includes(v.toLowerCase())) throw new BadConfigError(`config key ${key}: one of ${LEVELS.join('/')} or 0-5, got "${v}"`);
        c.logLevel = v.toLowerCase();
        break;
      }
      default:
        warnings.push(`unknown config key "${key}" (line ${i + 1}) ignored`);
    }
  });
  return { config: c, warnings };
}

/** Final checks once flags have overridden the file. */
export function validateConfig(c: CardServerConfig): void {
  if (c.serverAddrs.length !== c.acceptorNum) {
    throw new BadConfigError(`config key ServerAddrs: lists ${c.serverAddrs.length} addresses but AcceptorNum is ${c.acceptorNum}`);
  }
  if (c.cardAddrs && c.cardAddrs.length !== c.acceptorNum) {
    throw new BadConfigError(`config key CardAddrs: lists ${c.cardAddrs.length} addresses but AcceptorNum is ${c.acceptorNum}`);
  }
  if (c.acceptorId === undefined) throw new BadConfigError('the acceptor id is missing: pass -i');
  if (c.acceptorId >= c.acceptorNum) throw new BadConfigError(`-i ${c.acceptorId}: must be below AcceptorNum ${c.acceptorNum}`);
  if (!c.path) throw new BadConfigError('the data path is missing: pass -p DIR');
}

/** The card service address of server `id`: CardAddrs, else 127.0.0.1:50050+id. */
export function cardAddress(c: CardServerConfig, id: number): string {
  return c.cardAddrs?.[id] ?? `127.0.0.1:${50050 + id}`;
}
