// Public API of @quorumkit/constdb.
export { ConstdbNode, type ConstdbNodeOptions } from './server/node.js';
export { startNode, type StartOptions } from './server/start.js';
export { tlsFromConfig } from './server/tlsConfig.js';
export { loadConfig, applySettings, defaultConfig, ConfigError, type ConstdbConfig } from './server/config.js';
export { RespParser, RespProtocolError, defaultRespLimits, type RespLimits } from './core/resp.js';
export { ReplyBuffer } from './core/encode.js';
export { Db } from './core/db.js';
export { UuidClock } from './core/uuid.js';
export type { KeyRec, KeyType } from './core/keyrec.js';
