// `--keylog FILE`: what the user hands us to decrypt captured TLS, loaded once per run into one
// key store shared by every capture. The file's kind is told by its content, never its name:
// an NSS key log (SSLKEYLOGFILE) or a PEM RSA private key (static-RSA sessions, like tshark's
// uat:rsa_keys). Each capture then gets its own view (inputKeys) that adds the secrets of its
// pcapng Decryption Secrets Blocks in front of the shared ones and counts its sessions.
import { readFileSync } from 'node:fs';
import { UserError } from '../errors.js';
import type { KeyStore, MeteredDecryptor, RecordDecryptor, SessionParams } from './index.js';
import { createKeyStore, type MutableKeyStore } from './key-store.js';

export type KeyFileKind = 'nss-keylog' | 'rsa-private-key';

export interface LoadedKeyFile {
  file: string;
  kind: KeyFileKind;
  /** Key log: usable lines; RSA key: 1. */
  entries: number;
  /** Key log: sessions (client randoms) covered. */
  sessions: number;
  /** Key log lines that were not understood (counted, not fatal). */
  bad: number;
}

export interface LoadedKeys {
  store: MutableKeyStore;
  files: LoadedKeyFile[];
}

const PEM_PRIVATE_KEY = /-----BEGIN ((?:RSA |EC |ENCRYPTED |DSA |OPENSSH )?PRIVATE KEY)-----[\s\S]*?-----END \1-----/;

function readReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory, expected a file';
  return (err as Error)?.message ?? String(err);
}

/** Add one key file to `store`; every problem is a UserError (KEYLOG_READ / KEYLOG_FORMAT) naming the file. */
export function loadKeyFile(file: string, store: MutableKeyStore): LoadedKeyFile {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new UserError('KEYLOG_READ', `--keylog ${file}: cannot read it (${readReason(err)})`, { cause: err });
  }
  const text = bytes.toString('latin1');
  const pem = PEM_PRIVATE_KEY.exec(text);
  if (pem) {
    const type = pem[1];
    if (type === 'ENCRYPTED PRIVATE KEY' || /Proc-Type:\s*4,ENCRYPTED/.test(pem[0])) {
      throw new UserError('KEYLOG_FORMAT', `--keylog ${file}: the private key is passphrase-protected; decrypt it first (openssl pkey -in KEY -out plain.key)`);
    }
    if (!store.addRsaPrivateKey(pem[0])) {
      throw new UserError('KEYLOG_FORMAT', `--keylog ${file}: not an RSA private key (${type}); only RSA keys decrypt TLS (static-RSA key exchange), for anything else give the SSLKEYLOGFILE key log`);
    }
    return { file, kind: 'rsa-private-key', entries: 1, sessions: 0, bad: 0 };
  }
  const before = store.keyLog.sessions.size;
  const log = store.addKeyLogText(text);
  const meaningful = log.lines - log.blank - log.comments;
  if (log.entries === 0 && (meaningful > 0 || bytes.includes(0))) {
    const where = log.badLines.length ? ` (first bad line ${log.badLines[0]})` : '';
    throw new UserError('KEYLOG_FORMAT', `--keylog ${file}: neither an NSS key log (SSLKEYLOGFILE: CLIENT_RANDOM / *_TRAFFIC_SECRET lines) nor a PEM RSA private key${where}`);
  }
  return { file, kind: 'nss-keylog', entries: log.entries, sessions: store.keyLog.sessions.size - before, bad: log.bad };
}

/** Every `--keylog` file (the option may be repeated) into one new key store. */
export function loadKeyFiles(files: readonly string[]): LoadedKeys {
  const store = createKeyStore();
  return { store, files: files.map((f) => loadKeyFile(f, store)) };
}

/** One capture's key counters (for its report note). */
export interface InputKeyStats {
  /** Sessions whose ServerHello asked for a decryptor. */
  sessions: number;
  /** ... and got one. */
  decrypted: number;
  /** ... had keys, but a version or cipher suite we cannot decrypt (SSL 3.0, DES, IDEA, SEED, RC2, export). */
  unsupported: number;
  /** Decryption Secrets Blocks read / of a type other than TLS key log. */
  dsb: number;
  dsbUnsupported: number;
  /** Sessions the DSB key logs cover. */
  dsbSessions: number;
}

export interface InputKeys {
  /** The store the capture's TLS decoder asks: this input's DSB secrets first, then the shared keys. */
  store: KeyStore;
  stats: InputKeyStats;
  /** A pcapng DSB; false when its secrets type is not a TLS key log. */
  addDecryptionSecrets(secretsType: number, data: Buffer): boolean;
  /** True when any key (shared or DSB) could apply to this input. */
  hasKeys(): boolean;
}

/** A per-capture view over the run's shared keys (`shared` may be absent: DSBs only). */
export function inputKeys(shared: KeyStore | undefined, sharedHasKeys = shared !== undefined): InputKeys {
  let own: MutableKeyStore | null = null;
  const stats: InputKeyStats = { sessions: 0, decrypted: 0, unsupported: 0, dsb: 0, dsbUnsupported: 0, dsbSessions: 0 };
  const unsupported = () => (own?.stats.unsupported ?? 0) + ((shared as Partial<MutableKeyStore> | undefined)?.stats?.unsupported ?? 0);
  const store: KeyStore = {
    decryptorFor(params: SessionParams): RecordDecryptor | MeteredDecryptor | null {
      stats.sessions++;
      const before = unsupported();
      const d = own?.decryptorFor(params) ?? shared?.decryptorFor(params) ?? null;
      if (d) stats.decrypted++;
      else if (unsupported() > before) stats.unsupported++;
      return d;
    },
  };
  return {
    store,
    stats,
    addDecryptionSecrets(secretsType, data) {
      stats.dsb++;
      own ??= createKeyStore();
      const before = own.keyLog.sessions.size;
      const ok = own.addDecryptionSecrets(secretsType, data);
      if (!ok) stats.dsbUnsupported++;
      stats.dsbSessions += own.keyLog.sessions.size - before;
      return ok;
    },
    hasKeys: () => sharedHasKeys || (own !== null && own.keyLog.entries > 0),
  };
}
