// TCP flows in Zeek's model (STYLE.md §9, anchors.md §1.2 and §4): a direction-independent key,
// a short uid, originator/responder, endpoint states, `conn_state` and `history` as Zeek writes
// them (src/packet_analysis/protocol/tcp/TCPSessionAdapter.cc, scripts/base/protocols/conn/main.zeek).
// Where Zeek is blind we add: who reset first, RST-to-SYN vs mid-stream vs after-FIN, unanswered
// SYNs with their retransmissions, the orientation reason, and RSTs that do not fit their claimed
// sender (TTL / IP-ID / sequence, in the flow and across the host's flows) -> middlebox_reset; the
// first FIN of each side (the correlator's first event for closes and timeouts).
import { makeEvent, type Cause, type Event } from '../events.js';
import type { IngestContext } from '../ingest/types.js';
import { LIMITS } from '../limits.js';
import { isoTime } from '../time.js';
import { isoTimeFast } from './iso-time.js';
import type { IpValue } from '../decode/tables.js';
import type { L4Value } from '../decode/l4.js';
import { isPortUnreachable, unreachableName } from '../decode/icmp.js';
import { endpointText, ipv4Text, ipv6Text } from '../decode/ip-text.js';
import { CAPTURE_LIMITS } from './capture-limits.js';
import type { RawPacket } from './raw-packet.js';
import type { PayloadSink, TcpSegmentInfo } from './types.js';
import { ZEEK_LIKELY_SERVER_PORTS } from './zeek-ports.js';

/** TCP_Endpoint.h endpoint states. */
export const EP = { INACTIVE: 0, SYN_SENT: 1, SYN_ACK_SENT: 2, PARTIAL: 3, ESTABLISHED: 4, CLOSED: 5, RESET: 6 } as const;
type EpState = (typeof EP)[keyof typeof EP];

const FIN = 0x01, SYN = 0x02, RST = 0x04, ACK = 0x10;
/** TCPSessionAdapter.cc: sequence jumps beyond this in SYN/RST are not trusted. */
const TOO_LARGE_SEQ_DELTA = 1048576;
// TCP_Endpoint.h history masks (responder's are << 16).
const HIST_SYN_PKT = 0x1, HIST_FIN_PKT = 0x2, HIST_RST_PKT = 0x4, HIST_FIN_RST_PKT = 0x8, HIST_DATA_PKT = 0x10,
  HIST_ACK_PKT = 0x20, HIST_MULTI_FLAG_PKT = 0x40;
/** RSTOS0 needs the history to match this (main.zeek conn_state(), GH-1164). */
const RSTOS0_HISTORY = /^\^?S[^HAFGIQ]*R.*$/;
/** A RST identical to the sender's previous one (seq, ack, flags) within this is the same reset seen again. */
const SAME_RST_US = 50_000;
/** Initial RTO is 1 s (RFC 6298 §2.1): a lone SYN older than this with no retransmission seen is still "no answer". */
const SYN_TIMEOUT_MIN_US = 3 * 1_000_000;
/** A RST whose TTL differs from its sender's earlier packets by at least this is not from that host. */
const TTL_MISMATCH = 2;
/** IP-ID jump (mod 2^16) that a host with a sequential IP-ID counter would not make between two packets. */
const IP_ID_JUMP = 4096;
/**
 * A host's TTL is "established" once this many of its non-RST packets (any flow) all arrived with
 * one TTL and none with another. A host behind several paths (ECMP, load balancers, NAT) shows two
 * TTLs and never gets an established TTL: such hosts are never judged by it.
 */
const HOST_TTL_MIN_PACKETS = 3;
/** Sequential IP-ID steps (0 < step <= 256) a host must show, and no other step, to have one global IP-ID counter. */
const HOST_IP_ID_MIN_STEPS = 3;

const seqDelta = (a: number, b: number) => ((a - b) | 0);
/** What the field is called: IPv4's TTL is IPv6's hop limit (RFC 8200 §3). */
const ttlName = (version: number) => (version === 6 ? 'hop limit' : 'TTL');
/** `id` is a step (0 < step <= 256, mod 2^16) of a sequential IP-ID counter last at `last`. */
const ipIdStep = (id: number, last: number) => {
  const d = (id - last) & 0xffff;
  return d > 0 && d <= 256;
};
/** `id` lies more than IP_ID_JUMP either way (mod 2^16) from `last`: off a sequential counter. */
const ipIdJumps = (id: number, last: number) => {
  const d = (id - last) & 0xffff;
  return d > IP_ID_JUMP && d < 65536 - IP_ID_JUMP;
};

/**
 * What one host (IP address, all ports, all flows) looked like in its non-RST packets: the middlebox
 * check's baseline across flows. A flow with a single SYN-ACK from the upstream gives the per-flow
 * check one packet to go on; the host's packets in earlier flows make that one packet a known path.
 */
class HostBaseline {
  /** The TTL of its first non-RST packet, and how many had it. */
  ttl = -1;
  ttlCount = 0;
  /** Non-RST packets with another TTL than `ttl` (several paths: never judged by TTL). */
  ttlOther = 0;
  /** Flows in which it sent a non-RST packet. */
  flows = 0;
  /** IP-ID behaviour (IPv4, non-zero IDs): consecutive steps of one counter, and other steps. */
  idLast = -1;
  idSeqSteps = 0;
  idOtherSteps = 0;

  /** One TTL seen HOST_TTL_MIN_PACKETS times, never another. */
  get ttlEstablished(): boolean {
    return this.ttlOther === 0 && this.ttlCount >= HOST_TTL_MIN_PACKETS;
  }

  /** One IP-ID counter for the whole host across flows (older stacks; Linux counts per socket): a RST far off it is odd. */
  get globalIpId(): boolean {
    return this.idOtherSteps === 0 && this.idSeqSteps >= HOST_IP_ID_MIN_STEPS;
  }

  observe(ttl: number, id: number): void {
    if (this.ttlCount === 0 && this.ttlOther === 0) this.ttl = ttl;
    if (ttl === this.ttl) this.ttlCount++;
    else this.ttlOther++;
    if (id > 0) {
      if (this.idLast >= 0) {
        if (ipIdStep(id, this.idLast)) this.idSeqSteps++;
        else this.idOtherSteps++;
      }
      this.idLast = id;
    }
  }
}

export type DirectionReason = 'syn' | 'syn_ack' | 'first_packet' | 'zeek_port' | 'learned_listener' | 'well_known_port' | 'syn_reversal' | 'synack_then_ack';

class Endpoint {
  state: EpState = EP.INACTIVE;
  prevState: EpState = EP.INACTIVE;
  text = '';
  pkts = 0;
  ipBytes = 0;
  startSeq = 0;
  lastSeq = 0;
  ackSeq = 0;
  seqInit = false;
  histLastSyn = -1;
  histLastFin = -1;
  histLastRst = -1;
  finCnt = 0;
  rstCnt = 0;
  synNoAck = false;
  didClose = false;
  rxmit = 0;
  rxmitThreshold = 1;
  zeroWin = 0;
  zeroWinThreshold = 1;
  window = 0;
  wscale = 0;
  // Baseline of this sender's non-RST packets, for the middlebox check.
  ttlLast = -1;
  ttlMin = 256;
  ttlMax = -1;
  baseCount = 0;
  ipIdLast = -1;
  ipIdSeq = 0;
  /** TTL of this endpoint's first RST (-1 none), to spot it talking on afterwards. */
  rstTtl = -1;
  /** Its last RST, to know the same RST seen again (see onRst). */
  lastRst: { seq: number; ack: number; flags: number; us: number; frame: number; phase: string } | null = null;
  /** This endpoint's host across flows (set on its first packet). */
  host: HostBaseline | null = null;
  /** Its first FIN (frame -1: none). */
  finFrame = -1;
  finUs = 0;
  finNanos = 0;
  finDigits = 6;
  constructor(readonly ip4: number, readonly ip6: string, readonly port: number) {}

  size(): number {
    const last = seqDelta(this.ackSeq, this.lastSeq) > 0 ? this.ackSeq : this.lastSeq;
    let size = (last - this.startSeq) >>> 0;
    if (size > 0) size--;
    if (this.finCnt > 0 && size > 0) size--;
    return size;
  }
}

export class Flow {
  uid = '';
  version = 4;
  orig: Endpoint;
  resp: Endpoint;
  history = '';
  histSeen = 0;
  directionReason: DirectionReason = 'first_packet';
  firstFrame = 0;
  lastFrame = 0;
  startUs = 0;
  startNanos = 0;
  lastUs = 0;
  lastNanos = 0;
  digits = 6;
  packets = 0;
  /** Hash chain (flow tables) and the flow's key there. */
  chain: Flow | null = null;
  key = 0;
  /** Capture time when Zeek would call the connection closed (-1 while open). */
  closedAtUs = -1;
  finalized = false;
  /** Made at the first SYN (an empty array grows a 17-slot store at its first push, kept per flow). */
  synTimes: number[] | null = null;
  synCount = 0;
  firstRst: { frame: number; byOrig: boolean; phase: string; cause: Cause } | null = null;
  rstFromOrig = 0;
  rstFromResp = 0;
  /** RSTs that repeated the sender's previous one (onRepeatedRst). */
  rstRepeats = 0;
  middlebox: string | null = null;
  icmp: { frame: number; cause: Cause; name: string; from: string } | null = null;
  constructor(orig: Endpoint, resp: Endpoint) {
    this.orig = orig;
    this.resp = resp;
  }
}

/** The per-flow summary the `flows` command renders (the tcp.flow event's fields). */
export interface FlowSummary {
  uid: string;
  orig: string;
  resp: string;
  conn_state: string;
  history: string;
  orig_pkts: number;
  resp_pkts: number;
  orig_bytes: number;
  resp_bytes: number;
  orig_ip_bytes: number;
  resp_ip_bytes: number;
  packets: number;
  bytes: number;
  start: string;
  end: string;
  duration_us: number;
  first_frame: number;
  last_frame: number;
  direction: DirectionReason;
  first_rst_by: 'originator' | 'responder' | null;
  first_rst_frame: number | null;
  both_reset: boolean;
  /** First FIN from each side: frame, capture time (µs and ISO); null when that side sent none. */
  orig_fin_frame: number | null;
  orig_fin_us: number | null;
  orig_fin_time: string | null;
  resp_fin_frame: number | null;
  resp_fin_us: number | null;
  resp_fin_time: string | null;
}

/** Zeek's conn_state() (main.zeek), verbatim in logic. */
export function connState(f: { orig: { state: number; size(): number }; resp: { state: number; size(): number }; history: string }): string {
  const os = f.orig.state, rs = f.resp.state;
  const oInactive = os === EP.INACTIVE || os === EP.PARTIAL;
  const rInactive = rs === EP.INACTIVE || rs === EP.PARTIAL;
  if (rs === EP.RESET) {
    if (os === EP.SYN_SENT || os === EP.SYN_ACK_SENT || (os === EP.RESET && f.orig.size() === 0 && f.resp.size() === 0)) return 'REJ';
    if (oInactive) return 'RSTRH';
    return 'RSTR';
  }
  if (os === EP.RESET) {
    if (rInactive) return RSTOS0_HISTORY.test(f.history) ? 'RSTOS0' : 'OTH';
    return 'RSTO';
  }
  if (rs === EP.CLOSED && os === EP.CLOSED) return 'SF';
  if (os === EP.CLOSED) return rInactive ? 'SH' : 'S2';
  if (rs === EP.CLOSED) return oInactive ? 'SHR' : 'S3';
  if (os === EP.SYN_SENT && rs === EP.INACTIVE) return 'S0';
  if (os === EP.ESTABLISHED && rs === EP.ESTABLISHED) return 'S1';
  return 'OTH';
}

/** The tcp.flow event's fields: the summary, then cause_reason and evicted when set (a copy only when onFlow keeps `s`). */
function withReason(s: FlowSummary, why: string, evicted: boolean, shared: boolean): Record<string, unknown> {
  const o: Record<string, unknown> = shared ? { ...s } : (s as unknown as Record<string, unknown>);
  if (why) o.cause_reason = why;
  if (evicted) o.evicted = true;
  return o;
}

/**
 * The tcp.flow event as one object literal: the fields makeEvent(base, withReason(s, ...)) gives, in
 * the same order (so the same JSON), but one fixed shape with every field in the object, not a
 * 10-field event grown by Object.assign (a new property backing store, and garbage, per flow).
 */
function flowEvent(time: string, ts_us: number, source: string, frame: number, cause: Cause | null, src: string, dst: string, summary: string, s: FlowSummary, why: string, evicted: boolean): Event {
  const ev: Event = {
    time, ts_us, source, frame, kind: 'tcp.flow', cause, src, dst, upstream: dst, summary,
    uid: s.uid, orig: s.orig, resp: s.resp, conn_state: s.conn_state, history: s.history,
    orig_pkts: s.orig_pkts, resp_pkts: s.resp_pkts, orig_bytes: s.orig_bytes, resp_bytes: s.resp_bytes, orig_ip_bytes: s.orig_ip_bytes, resp_ip_bytes: s.resp_ip_bytes,
    packets: s.packets, bytes: s.bytes, start: s.start, end: s.end, duration_us: s.duration_us,
    first_frame: s.first_frame, last_frame: s.last_frame, direction: s.direction,
    first_rst_by: s.first_rst_by, first_rst_frame: s.first_rst_frame, both_reset: s.both_reset,
    orig_fin_frame: s.orig_fin_frame, orig_fin_us: s.orig_fin_us, orig_fin_time: s.orig_fin_time,
    resp_fin_frame: s.resp_fin_frame, resp_fin_us: s.resp_fin_us, resp_fin_time: s.resp_fin_time,
  };
  if (why) ev.cause_reason = why;
  if (evicted) ev.evicted = true;
  return ev;
}

const byLastSeen = (a: Flow, b: Flow) => a.lastUs - b.lastUs || a.lastFrame - b.lastFrame;

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const BASE62_CODES = Array.from(BASE62, (ch) => ch.charCodeAt(0));
/** A uid's 12 character codes, refilled per flow ('C' first). */
const UID_CODES: number[] = [0x43, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

const NO_BYTES = Buffer.alloc(0);

/**
 * The segment handed to the PayloadSink: one object, refilled per segment (the sink copies what it
 * keeps). `time` is formatted and the payload view made only when the sink asks for them.
 */
class Segment implements TcpSegmentInfo {
  frame = 0;
  ts_us = 0;
  nanos = 0;
  digits = 6;
  flowId = '';
  fromOrig = false;
  src = '';
  dst = '';
  seq = 0;
  ack = 0;
  flags = 0;
  truncated = false;
  buf: Buffer = NO_BYTES;
  off = 0;
  len = 0;
  private view: Buffer | null = null;
  fill(pkt: RawPacket, f: Flow, fromOrig: boolean, ep: Endpoint, peer: Endpoint, t: L4Value, off: number, captured: number, len: number): this {
    this.frame = pkt.frame;
    this.ts_us = pkt.tsUs;
    this.nanos = pkt.nanos;
    this.digits = pkt.digits;
    this.flowId = f.uid;
    this.fromOrig = fromOrig;
    this.src = ep.text;
    this.dst = peer.text;
    this.seq = t.seq;
    this.ack = t.ack;
    this.flags = t.flags;
    this.truncated = captured < len;
    this.buf = pkt.buf;
    this.off = off;
    this.len = captured;
    this.view = null;
    return this;
  }
  get payload(): Buffer {
    return (this.view ??= this.len === 0 ? NO_BYTES : this.buf.subarray(this.off, this.off + this.len));
  }
  get time(): string {
    return isoTimeFast(this.ts_us, this.digits, this.nanos);
  }
  /** Drop the packet buffer reference once the sink is done. */
  release(): void {
    this.buf = NO_BYTES;
    this.view = null;
  }
}

export interface FlowTrackerOptions {
  /** Emit tcp.flow for flows that did not fail (false under `analyze`: failuresOnly). */
  allFlows: boolean;
  /** Called with every finalized flow's summary (the `flows` command). */
  onFlow?: (s: FlowSummary, ev: Event) => void;
}

export class FlowTracker {
  /** Flow tables by a symmetric 30-bit hash of the 4-tuple; colliding flows are chained. */
  private readonly v4 = new Map<number, Flow>();
  private readonly v6 = new Map<number, Flow>();
  private count = 0;
  private uidSeq = 0;
  private readonly uidSalt: number;
  /** Closed flows waiting out the linger, oldest first; slots before closingHead are done (null: not kept alive). */
  private readonly closing: (Flow | null)[] = [];
  private closingHead = 0;
  private nextSweepUs = -1;
  private readonly listeners = new Set<number | string>();
  /** Per-host baselines for the middlebox check, oldest first (bounded: CAPTURE_LIMITS.MAX_HOST_BASELINES). */
  private readonly hosts = new Map<number | string, HostBaseline>();
  private hostLimitHit = false;
  private readonly seg = new Segment();
  /** Latest capture time seen. */
  nowUs = 0;
  flowsCreated = 0;
  flowsEvicted = 0;

  constructor(
    private readonly ctx: IngestContext,
    private readonly sink: PayloadSink,
    private readonly emit: (ev: Event) => void,
    private readonly opts: FlowTrackerOptions = { allFlows: true },
  ) {
    // Deterministic uids per input name: stable golden output, distinct across inputs.
    let h = 0x811c9dc5;
    for (let i = 0; i < ctx.source.length; i++) h = Math.imul(h ^ ctx.source.charCodeAt(i), 0x01000193);
    this.uidSalt = h >>> 0;
  }

  get openFlows(): number {
    return this.count;
  }

  /** 'C' + 6 base-62 digits of x + 5 of y, made as one string (appending made 11 intermediate strings per flow). */
  private newUid(): string {
    let x = (Math.imul(++this.uidSeq, 0x9e3779b1) ^ this.uidSalt) >>> 0;
    let y = (Math.imul(x ^ (x >>> 16), 0x85ebca6b) ^ this.uidSeq) >>> 0;
    const c = UID_CODES;
    for (let i = 1; i <= 6; i++) { c[i] = BASE62_CODES[x % 62]!; x = Math.floor(x / 62); }
    for (let i = 7; i <= 11; i++) { c[i] = BASE62_CODES[y % 62]!; y = Math.floor(y / 62); }
    return String.fromCharCode(c[0]!, c[1]!, c[2]!, c[3]!, c[4]!, c[5]!, c[6]!, c[7]!, c[8]!, c[9]!, c[10]!, c[11]!);
  }

  // ---------------------------------------------------------------- lookup

  /**
   * Symmetric in (a, ap) <-> (b, bp); a 30-bit small integer (V8 keeps it unboxed, and a Map keyed
   * by small integers is the fastest lookup). Collisions share a chain, compared field by field.
   */
  private static hash4(a: number, ap: number, b: number, bp: number): number {
    let x = Math.imul(a ^ Math.imul(ap, 0x27d4eb2d), 0x9e3779b1);
    x ^= x >>> 15;
    let y = Math.imul(b ^ Math.imul(bp, 0x27d4eb2d), 0x9e3779b1);
    y ^= y >>> 15;
    const h = (x + y) ^ Math.imul(x ^ y, 0x85ebca6b);
    return (h ^ (h >>> 13)) & 0x3fffffff;
  }

  /** One IPv6 endpoint (16 address bytes at buf[o..], port), mixed like hash4's halves. */
  private static mix6(buf: Buffer, o: number, port: number): number {
    let h = Math.imul(port, 0x27d4eb2d);
    for (let i = 0; i < 16; i += 4) {
      h = Math.imul(h ^ ((buf[o + i]! << 24) | (buf[o + i + 1]! << 16) | (buf[o + i + 2]! << 8) | buf[o + i + 3]!), 0x9e3779b1);
      h ^= h >>> 15;
    }
    return h;
  }

  /** Symmetric hash of an IPv6 4-tuple whose addresses (src then dst) are at buf[addrOff..]. */
  private static hash6(buf: Buffer, addrOff: number, sport: number, dport: number): number {
    const x = FlowTracker.mix6(buf, addrOff, sport);
    const y = FlowTracker.mix6(buf, addrOff + 16, dport);
    const h = (x + y) ^ Math.imul(x ^ y, 0x85ebca6b);
    return (h ^ (h >>> 13)) & 0x3fffffff;
  }

  private static keyOf(buf: Buffer, ip: IpValue, sport: number, dport: number): number {
    return ip.version === 4 ? FlowTracker.hash4(ip.src4, sport, ip.dst4, dport) : FlowTracker.hash6(buf, ip.addrOff, sport, dport);
  }

  /** The flow of this 4-tuple (either direction); `buf` holds the packet `ip` was decoded from. */
  private find(buf: Buffer, ip: IpValue, sport: number, dport: number): Flow | undefined {
    if (ip.version === 4) {
      let f = this.v4.get(FlowTracker.hash4(ip.src4, sport, ip.dst4, dport));
      while (f) {
        const o = f.orig, r = f.resp;
        if ((o.ip4 === ip.src4 && o.port === sport && r.ip4 === ip.dst4 && r.port === dport) ||
            (o.ip4 === ip.dst4 && o.port === dport && r.ip4 === ip.src4 && r.port === sport)) return f;
        f = f.chain ?? undefined;
      }
      return undefined;
    }
    let f = this.v6.get(FlowTracker.hash6(buf, ip.addrOff, sport, dport));
    while (f) {
      const o = f.orig, r = f.resp;
      if ((o.port === sport && r.port === dport && o.ip6 === ip.src6 && r.ip6 === ip.dst6) ||
          (o.port === dport && r.port === sport && o.ip6 === ip.dst6 && r.ip6 === ip.src6)) return f;
      f = f.chain ?? undefined;
    }
    return undefined;
  }

  private insert(f: Flow, key: number): void {
    const table = f.version === 4 ? this.v4 : this.v6;
    f.key = key;
    f.chain = table.get(key) ?? null;
    table.set(key, f);
    this.count++;
  }

  private remove(f: Flow): void {
    const table = f.version === 4 ? this.v4 : this.v6;
    let head = table.get(f.key);
    if (head === f) {
      if (f.chain) table.set(f.key, f.chain);
      else table.delete(f.key);
    } else {
      while (head && head.chain !== f) head = head.chain ?? undefined;
      if (head) head.chain = f.chain;
    }
    f.chain = null;
    this.count--;
  }

  private listenerKey(version: number, ip4: number, ip6: string, port: number): number | string {
    return version === 4 ? ip4 * 65536 + port : ip6 + String.fromCharCode(port);
  }

  /** The baseline of the host sending from `ep`; the oldest host is forgotten when the table is full. */
  private hostOf(version: number, ep: Endpoint, pkt: RawPacket): HostBaseline {
    if (ep.host !== null) return ep.host;
    const key = version === 4 ? ep.ip4 : ep.ip6;
    let h = this.hosts.get(key);
    if (h === undefined) {
      if (this.hosts.size >= CAPTURE_LIMITS.MAX_HOST_BASELINES) {
        this.hosts.delete(this.hosts.keys().next().value!);
        if (!this.hostLimitHit) {
          this.hostLimitHit = true;
          const ev = this.ctx.anomaly('host_baseline_limit', { frame: pkt.frame, offset: pkt.offset },
            `more than CAPTURE_LIMITS.MAX_HOST_BASELINES=${CAPTURE_LIMITS.MAX_HOST_BASELINES} hosts: the oldest hosts' TTL baselines are forgotten (their RSTs are judged per flow only)`);
          if (ev) this.emit(ev);
        }
      }
      h = new HostBaseline();
      this.hosts.set(key, h);
    }
    ep.host = h;
    return h;
  }

  private learnListener(version: number, ip4: number, ip6: string, port: number): void {
    if (this.listeners.size >= CAPTURE_LIMITS.MAX_LEARNED_LISTENERS) this.listeners.clear();
    this.listeners.add(this.listenerKey(version, ip4, ip6, port));
  }

  // ---------------------------------------------------------------- creation

  private create(pkt: RawPacket, ip: IpValue, t: L4Value): Flow {
    const flags = t.flags;
    const src = new Endpoint(ip.src4, ip.src6, t.sport);
    const dst = new Endpoint(ip.dst4, ip.dst6, t.dport);
    src.text = endpointText(ip.version, ip.src4, ip.src6, t.sport);
    dst.text = endpointText(ip.version, ip.dst4, ip.dst6, t.dport);
    // TCPAnalyzer::WantConnection (TCP.cc): a pure SYN keeps its sender as originator; otherwise
    // guess the server. Zeek asks its static port list; we also ask the listeners learned from
    // SYN/SYN-ACKs in this capture, then well-known (< 1024) vs ephemeral ports.
    let flip = false;
    let reason: DirectionReason = 'first_packet';
    const pureSyn = (flags & (SYN | ACK)) === SYN;
    if (pureSyn) reason = 'syn';
    else {
      const synAck = (flags & (SYN | ACK)) === (SYN | ACK);
      const sL = this.listeners.has(this.listenerKey(ip.version, ip.src4, ip.src6, t.sport));
      const dL = this.listeners.has(this.listenerKey(ip.version, ip.dst4, ip.dst6, t.dport));
      const sZ = ZEEK_LIKELY_SERVER_PORTS.has(t.sport);
      const dZ = ZEEK_LIKELY_SERVER_PORTS.has(t.dport);
      if (sL !== dL) {
        flip = sL;
        reason = 'learned_listener';
      } else if (sZ && !dZ) {
        flip = true;
        reason = 'zeek_port';
      } else if (sZ && dZ) {
        flip = !synAck && t.sport < t.dport;
        reason = 'zeek_port';
      } else if (!sZ && !dZ && t.sport < 1024 && t.dport >= 1024) {
        flip = true;
        reason = 'well_known_port';
      } else if (synAck) reason = 'syn_ack';
    }
    const f = flip ? new Flow(dst, src) : new Flow(src, dst);
    f.uid = this.newUid();
    f.version = ip.version;
    f.directionReason = reason;
    f.firstFrame = pkt.frame;
    f.startUs = pkt.tsUs;
    f.startNanos = pkt.nanos;
    f.digits = pkt.digits;
    // Connection::FlipRoles() appends '^' (Conn.cc), also when IPBasedAnalyzer::NewConn flips at creation.
    if (flip) f.history = '^';
    this.insert(f, FlowTracker.keyOf(pkt.buf, ip, t.sport, t.dport));
    this.flowsCreated++;
    if (this.count > LIMITS.MAX_FLOWS) this.evictIdlest(pkt);
    return f;
  }

  private flipRoles(f: Flow): void {
    const t = f.orig;
    f.orig = f.resp;
    f.resp = t;
    f.history += '^';
    const o = f.rstFromOrig;
    f.rstFromOrig = f.rstFromResp;
    f.rstFromResp = o;
    if (f.firstRst) f.firstRst.byOrig = !f.firstRst.byOrig;
  }

  // ---------------------------------------------------------------- history

  private addHistory(f: Flow, code: string): void {
    f.history += code;
  }

  /** Session::CheckHistory via TCP_Endpoint::CheckHistory: once per direction and mask. */
  private checkHistory(f: Flow, ep: Endpoint, mask: number, code: string): boolean {
    // PR #2191 heuristic: history exactly "H" (began with a SYN-ACK), now an ACK or data: flip.
    if (f.history === 'H' && (code === 'A' || code === 'D')) {
      this.flipRoles(f);
      f.history = '^h';
      f.histSeen = HIST_SYN_PKT << 16;
      f.directionReason = 'synack_then_ack';
    }
    const resp = ep !== f.orig;
    if (resp) mask <<= 16;
    if ((f.histSeen & mask) === 0) {
      f.histSeen |= mask;
      // Lower-cased only when recorded: toLowerCase made a string for every responder packet.
      this.addHistory(f, resp ? code.toLowerCase() : code);
      return false;
    }
    return true;
  }

  /** Session::ScaledHistoryEntry: 1st, 10th, 100th ... occurrence. */
  private scaled(f: Flow, ep: Endpoint, which: 'rxmit' | 'zero', code: string): void {
    if (which === 'rxmit') {
      if (++ep.rxmit !== ep.rxmitThreshold) return;
      ep.rxmitThreshold *= 10;
    } else {
      if (++ep.zeroWin !== ep.zeroWinThreshold) return;
      ep.zeroWinThreshold *= 10;
    }
    this.addHistory(f, ep === f.orig ? code : code.toLowerCase());
  }

  private updateHistory(f: Flow, ep: Endpoint, flags: number, relSeq: number, len: number): void {
    const bits = (flags & SYN ? 1 : 0) + (flags & FIN ? 1 : 0) + (flags & RST ? 1 : 0);
    if (bits > 1) {
      if (flags & FIN && flags & RST) this.checkHistory(f, ep, HIST_FIN_RST_PKT, 'I');
      else this.checkHistory(f, ep, HIST_MULTI_FLAG_PKT, 'Q');
    } else if (bits === 1) {
      if (flags & SYN) {
        const code = flags & ACK ? 'H' : 'S';
        if (this.checkHistory(f, ep, HIST_SYN_PKT, code) && relSeq !== ep.histLastSyn) this.addHistory(f, ep === f.orig ? code : code.toLowerCase());
        ep.histLastSyn = relSeq;
      }
      if (flags & FIN) {
        const v = (relSeq + len) >>> 0;
        if (this.checkHistory(f, ep, HIST_FIN_PKT, 'F') && v !== ep.histLastFin) this.addHistory(f, ep === f.orig ? 'F' : 'f');
        ep.histLastFin = v;
      }
      if (flags & RST) {
        if (this.checkHistory(f, ep, HIST_RST_PKT, 'R') && relSeq !== ep.histLastRst) this.addHistory(f, ep === f.orig ? 'R' : 'r');
        ep.histLastRst = relSeq;
      }
    } else if (len) this.checkHistory(f, ep, HIST_DATA_PKT, 'D');
    else if (flags & ACK) this.checkHistory(f, ep, HIST_ACK_PKT, 'A');
  }

  // ---------------------------------------------------------------- packets

  /** One TCP segment. `payloadOff`/`captured` = the payload bytes present; `len` = payload length the IP header declares. */
  tcp(pkt: RawPacket, ip: IpValue, t: L4Value, payloadOff: number, captured: number, len: number): void {
    const ts = pkt.tsUs;
    if (ts > this.nowUs) this.nowUs = ts;
    this.housekeeping(pkt);
    const flags = t.flags;
    let f = this.find(pkt.buf, ip, t.sport, t.dport);
    if (f !== undefined && f.closedAtUs >= 0 && (flags & (SYN | ACK | RST)) === SYN) {
      // Port reuse (Zeek's IsReuse): a new SYN on a closed connection starts a new one.
      const from = f.orig.port === t.sport && (ip.version === 4 ? f.orig.ip4 === ip.src4 : f.orig.ip6 === ip.src6) ? f.orig : f.resp;
      if (from.state !== EP.SYN_SENT || from.startSeq !== t.seq) {
        this.finalize(f, false);
        f = undefined;
      }
    }
    if (f === undefined) f = this.create(pkt, ip, t);
    const isOrigPkt = f.orig.port === t.sport && f.resp.port === t.dport &&
      (ip.version === 4 ? f.orig.ip4 === ip.src4 && f.resp.ip4 === ip.dst4 : f.orig.ip6 === ip.src6 && f.resp.ip6 === ip.dst6);
    const ep = isOrigPkt ? f.orig : f.resp;
    const peer = isOrigPkt ? f.resp : f.orig;
    f.packets++;
    f.lastFrame = pkt.frame;
    f.lastUs = ts;
    f.lastNanos = pkt.nanos;
    if (pkt.digits > f.digits) f.digits = pkt.digits;

    // RST bookkeeping needs the state before this packet.
    if (flags & RST) this.onRst(f, ep, peer, pkt, ip, t, captured, len);
    else if (ep.rstTtl >= 0 && f.middlebox === null && ip.ttl !== ep.rstTtl && (flags & SYN || len > 0)) {
      const ttl = ttlName(ip.version);
      f.middlebox = `${ep.text} kept sending (${flags & SYN ? 'SYN' : 'data'} in frame ${pkt.frame}, ${ttl} ${ip.ttl}) after its RST with ${ttl} ${ep.rstTtl}: that RST was not sent by this host`;
    }
    if ((flags & (SYN | ACK)) === SYN) {
      ep.synNoAck = true;
      if (ep === f.orig) {
        f.synCount++;
        if (f.synTimes === null) f.synTimes = [ts];
        else if (f.synTimes.length < CAPTURE_LIMITS.MAX_SYN_TIMES) f.synTimes.push(ts);
      }
    } else if ((flags & (SYN | ACK | RST)) === (SYN | ACK)) {
      this.learnListener(ip.version, ep.ip4, ep.ip6, ep.port);
    }

    this.process(f, ep, peer, t, len);

    if (flags & FIN && ep.finFrame < 0) {
      ep.finFrame = pkt.frame;
      ep.finUs = ts;
      ep.finNanos = pkt.nanos;
      ep.finDigits = pkt.digits;
    }
    ep.pkts++;
    ep.ipBytes += ip.declaredEnd - (ip.addrOff - (ip.version === 4 ? 12 : 8));
    if (!(flags & RST)) {
      const host = this.hostOf(ip.version, ep, pkt);
      if (ep.baseCount === 0) host.flows++;
      host.observe(ip.ttl, ip.version === 4 ? ip.id : -1);
      ep.baseCount++;
      ep.ttlLast = ip.ttl;
      if (ip.ttl < ep.ttlMin) ep.ttlMin = ip.ttl;
      if (ip.ttl > ep.ttlMax) ep.ttlMax = ip.ttl;
      if (ip.id >= 0) {
        if (ep.ipIdLast >= 0 && ipIdStep(ip.id, ep.ipIdLast)) ep.ipIdSeq++;
        ep.ipIdLast = ip.id;
      }
    }

    if (captured > 0 || flags & (FIN | RST)) {
      const seg = this.seg.fill(pkt, f, ep === f.orig, ep, peer, t, payloadOff, captured, len);
      const evs = this.sink.segment(seg);
      seg.release();
      if (evs) for (const e of evs) this.emit(e);
    }

    if (f.closedAtUs < 0 && this.closeComplete(f)) {
      f.closedAtUs = ts;
      this.closing.push(f);
    }
  }

  /** TCPSessionAdapter::Process, without reassembly: sequence space, history, window, state machine. */
  /** Takes `t`, not its fields: sequence numbers above 2^31 passed as arguments were boxed per packet. */
  private process(f: Flow, ep: Endpoint, peer: Endpoint, t: L4Value, len: number): void {
    const flags = t.flags, seq = t.seq, ack = t.ack, window = t.window, wscale = t.wscale;
    let segLen = len;
    if (flags & SYN) segLen++;
    if (flags & FIN) segLen++;
    if (flags & RST) segLen -= len;
    const seqEnd = (seq + segLen) >>> 0;
    // init_endpoint
    switch (ep.state) {
      case EP.INACTIVE:
        if (flags & SYN) {
          ep.startSeq = seq;
          ep.ackSeq = seq;
          ep.lastSeq = seqEnd;
        } else {
          ep.startSeq = (seq - 1) >>> 0;
          ep.ackSeq = ep.startSeq;
          ep.lastSeq = seq;
        }
        ep.seqInit = true;
        break;
      case EP.SYN_SENT:
      case EP.SYN_ACK_SENT:
      case EP.ESTABLISHED:
      case EP.PARTIAL:
        if (flags & SYN && seq !== ep.startSeq) {
          ep.startSeq = seq;
          ep.ackSeq = seq;
          ep.lastSeq = seqEnd;
        }
        break;
      case EP.RESET:
        if (flags & SYN && ep.prevState === EP.INACTIVE) {
          ep.startSeq = seq;
          ep.ackSeq = seq;
          ep.lastSeq = seqEnd;
        }
        break;
    }
    const relSeq = (seq - ep.startSeq) >>> 0;
    this.updateHistory(f, ep, flags, relSeq, len);
    // update_window: zero windows, history 'W' (not with RST, not after the peer's FIN, not after our RST).
    if (window === 0 && !(flags & RST) && peer.state !== EP.CLOSED && ep.state !== EP.RESET) this.scaled(f, ep, 'zero', 'W');
    if (flags & SYN) {
      if (wscale >= 0) ep.wscale = Math.min(wscale, 14);
    }
    if (flags & FIN) ep.finCnt++;
    if (flags & RST) ep.rstCnt++;
    if (flags & ACK) {
      if (peer.state === EP.INACTIVE) {
        // init_peer
        peer.startSeq = (ack - 1) >>> 0;
        peer.ackSeq = peer.startSeq;
        peer.lastSeq = peer.startSeq;
      } else if (!(flags & RST) && seqDelta(ack, peer.ackSeq) > 0 && !(ack === 0 && seqDelta(ack, peer.ackSeq) > TOO_LARGE_SEQ_DELTA)) {
        peer.ackSeq = ack;
      }
    }
    // update_last_seq
    const deltaLast = seqDelta(seqEnd, ep.lastSeq);
    if (flags & (SYN | RST) && (deltaLast > TOO_LARGE_SEQ_DELTA || deltaLast < -TOO_LARGE_SEQ_DELTA)) {
      // not trusted
    } else if (flags & FIN && ep.lastSeq === ((ep.startSeq + 1) >>> 0)) ep.lastSeq = seqEnd;
    else if (ep.state === EP.RESET) {
      // don't trust sequence numbers after a RST
    } else if (deltaLast > 0) ep.lastSeq = seqEnd;
    else if (len > 0) this.scaled(f, ep, 'rxmit', 'T');
    ep.window = window;

    this.stateMachine(f, ep, peer, flags, seq, len);
  }

  private setState(ep: Endpoint, s: EpState): void {
    ep.prevState = ep.state;
    ep.state = s;
  }

  private stateMachine(f: Flow, ep: Endpoint, peer: Endpoint, flags: number, seq: number, len: number): void {
    const isOrig = ep === f.orig;
    switch (ep.state) {
      case EP.INACTIVE: {
        if (flags & SYN) {
          if (isOrig) this.setState(ep, flags & ACK ? EP.SYN_ACK_SENT : EP.SYN_SENT);
          else {
            if (!(flags & ACK) && peer.state === EP.SYN_ACK_SENT && seq === ep.startSeq) {
              // SYN/SYN-ACK reversal (captured out of order): flip and establish.
              this.flipRoles(f);
              f.directionReason = 'syn_reversal';
              this.setState(peer, EP.ESTABLISHED);
            }
            if (peer.state === EP.SYN_SENT) this.setState(peer, EP.ESTABLISHED);
            this.setState(ep, EP.ESTABLISHED);
          }
        }
        if (flags & FIN) this.setState(ep, EP.CLOSED);
        if (flags & RST) this.setState(ep, EP.RESET);
        if (ep.state === EP.INACTIVE) {
          if (!isOrig && len === 0 && f.orig.state === EP.SYN_SENT) {
            // an ACK of the SYN before the SYN-ACK: not a partial connection
          } else if (flags & ACK && peer.state === EP.ESTABLISHED) this.setState(ep, EP.ESTABLISHED);
          else this.setState(ep, EP.PARTIAL);
        }
        break;
      }
      case EP.SYN_SENT:
      case EP.SYN_ACK_SENT:
        if (flags & FIN) this.setState(ep, EP.CLOSED);
        if (flags & RST) this.setState(ep, EP.RESET);
        break;
      case EP.ESTABLISHED:
      case EP.PARTIAL:
        if (flags & SYN && ep.state === EP.PARTIAL && peer.state === EP.INACTIVE && !(flags & ACK)) this.setState(ep, EP.SYN_SENT);
        if (flags & FIN && !(flags & RST)) {
          this.setState(ep, EP.CLOSED);
          // The peer sent FIN then RST: normal termination after all.
          if (peer.state === EP.RESET && peer.prevState === EP.CLOSED) this.setState(peer, EP.CLOSED);
        }
        if (flags & RST) this.setState(ep, EP.RESET);
        break;
      case EP.CLOSED:
        if (flags & RST && peer.state !== EP.CLOSED) this.setState(ep, EP.RESET);
        break;
      case EP.RESET:
        break;
    }
    if (flags & (FIN | RST)) ep.didClose = true;
  }

  /** ConnectionClosed(): close_complete = a RST, or both closed, or the peer never spoke. */
  private closeComplete(f: Flow): boolean {
    const o = f.orig, r = f.resp;
    if (o.state === EP.RESET || r.state === EP.RESET) return true;
    if (o.didClose && (r.didClose || r.state === EP.INACTIVE)) return true;
    if (r.didClose && o.state === EP.INACTIVE) return true;
    return false;
  }

  // ---------------------------------------------------------------- RSTs

  private onRst(f: Flow, ep: Endpoint, peer: Endpoint, pkt: RawPacket, ip: IpValue, t: L4Value, captured: number, len: number): void {
    const byOrig = ep === f.orig;
    const last = ep.lastRst;
    if (last !== null && last.seq === t.seq && last.ack === t.ack && last.flags === t.flags && pkt.tsUs - last.us <= SAME_RST_US) {
      this.onRepeatedRst(f, ep, peer, pkt, ip, t, last, byOrig, captured, len);
      return;
    }
    // tshark's "in reply to SYN" (corpus README): the sender sent nothing before, the peer sent a SYN without ACK, no SYN here.
    const inReplyToSyn = ep.pkts === 0 && peer.synNoAck && !(t.flags & SYN);
    const afterFin = ep.finCnt > 0 || peer.finCnt > 0;
    const phase = inReplyToSyn ? 'syn' : afterFin ? 'after_fin' : 'established';
    const reasons: string[] = [];
    if (ip.version === 4 && ip.id !== 0 && ip.id === peer.ipIdLast && peer.baseCount > 0 && (inReplyToSyn || ep.baseCount === 0)) {
      reasons.push(`IP-ID ${ip.id} copies the IP-ID of the packet it answers`);
    }
    let strong = reasons.length > 0;
    if (ep.baseCount > 0) {
      if (Math.abs(ip.ttl - ep.ttlLast) >= TTL_MISMATCH && (ip.ttl < ep.ttlMin || ip.ttl > ep.ttlMax)) {
        const ttl = ttlName(ip.version);
        reasons.push(`${ttl} ${ip.ttl}, but ${ep.text} sent its ${ep.baseCount} earlier packet(s) with ${ttl} ${ep.ttlMin === ep.ttlMax ? ep.ttlLast : `${ep.ttlMin}-${ep.ttlMax}`}`);
        strong = true;
      }
      let weak = 0;
      // IP-ID 0 is what many stacks put in RSTs and DF packets (RFC 6864 §4.1): no signal.
      if (ip.version === 4 && ip.id !== 0 && ep.ipIdSeq >= 2 && ep.ipIdLast >= 0 && ipIdJumps(ip.id, ep.ipIdLast)) {
        reasons.push(`IP-ID ${ip.id} jumps from the sender's sequential ${ep.ipIdLast}`);
        weak++;
      }
      if (ep.seqInit && ep.state !== EP.RESET) {
        const d = seqDelta(t.seq, ep.lastSeq);
        const win = Math.max(65535, peer.window << peer.wscale);
        if (d > win || d < -win) {
          reasons.push(`sequence ${t.seq} is ${d} bytes off the sender's next sequence ${ep.lastSeq}`);
          weak++;
        }
      }
      if (weak >= 2) strong = true;
    }
    // Across flows: the host's TTL, established by its other packets in this capture.
    const host = ep.host ?? this.hosts.get(ip.version === 4 ? ep.ip4 : ep.ip6) ?? null;
    if (host !== null && !strong && host.ttlEstablished && ip.ttl !== host.ttl) {
      const ttl = ttlName(ip.version);
      const what = `${ttl} ${ip.ttl}, but ${ip.version === 4 ? ipv4Text(ep.ip4) : ipv6Text(ep.ip6)} sent its ${host.ttlCount} earlier packet(s) in this capture (${host.flows} flow(s)) all with ${ttl} ${host.ttl}`;
      if (ep.baseCount > 0) {
        // This flow's own packets from the sender came over the host's one path (ECMP and load
        // balancers pin a flow to a path): the RST did not.
        reasons.push(`${what}, ${ep.baseCount} of them in this connection`);
        strong = true;
        if (ip.version === 4 && ip.id !== 0 && host.globalIpId && host.idLast >= 0 && ipIdJumps(ip.id, host.idLast)) {
          reasons.push(`IP-ID ${ip.id} is off the host's one sequential IP-ID counter (last ${host.idLast})`);
        }
      } else {
        // The sender's first packet in this flow: a new flow may take another path (ECMP), so
        // this alone is an oddity, not a verdict.
        reasons.push(`${what}, none of them in this connection`);
      }
    }
    let cause: Cause | null;
    if (strong) cause = 'middlebox_reset';
    else if (inReplyToSyn) cause = 'refused';
    else if (phase === 'after_fin') {
      // After both FINs, or after the sender's own FIN to a peer that has not closed: an abortive
      // close of a finished exchange (unread data, SO_LINGER 0) by the client is not a failure;
      // by the upstream it is an upstream close. After only the peer's FIN: a reset.
      if (ep.finCnt > 0 && peer.finCnt > 0) cause = null;
      else if (ep.finCnt > 0) cause = byOrig ? null : 'upstream_close';
      else cause = byOrig ? 'client_abort' : 'upstream_reset';
    } else cause = byOrig ? 'client_abort' : 'upstream_reset';
    const first = f.firstRst === null;
    if (first && cause !== null) f.firstRst = { frame: pkt.frame, byOrig, phase, cause };
    else if (first) f.firstRst = { frame: pkt.frame, byOrig, phase, cause: 'unknown' };
    if (byOrig) f.rstFromOrig++;
    else f.rstFromResp++;
    if (strong && f.middlebox === null) f.middlebox = `RST in frame ${pkt.frame}: ${reasons.join('; ')}`;
    if (ep.rstTtl < 0) ep.rstTtl = ip.ttl;
    ep.lastRst = { seq: t.seq, ack: t.ack, flags: t.flags, us: pkt.tsUs, frame: pkt.frame, phase };

    const src = ep.text, dst = peer.text;
    const who = byOrig ? 'originator' : 'responder';
    const summary = cause === 'refused'
      ? `${src} refused the connection from ${dst} (RST in reply to SYN)`
      : cause === 'middlebox_reset'
        ? `RST claiming to be from ${src} does not fit that host: ${reasons.join('; ')}`
        : `${src} (${who}) reset the connection ${phase === 'after_fin' ? 'after a FIN' : 'mid-stream'}`;
    this.emit(makeEvent(
      { time: isoTimeFast(pkt.tsUs, pkt.digits, pkt.nanos), ts_us: pkt.tsUs, source: this.ctx.source, frame: pkt.frame, kind: 'tcp.rst', cause, src, dst, upstream: f.resp.text, summary },
      {
        phase, rst_by: who, flow: f.uid, in_reply_to_syn: inReplyToSyn, after_fin: afterFin, first_rst: first,
        ttl: ip.ttl, ip_id: ip.id, seq: t.seq, ack: t.ack, ack_flag: (t.flags & ACK) !== 0, window: t.window, flags: t.flags,
        payload_len: len, payload_captured: captured,
        // Reasons that made it a middlebox verdict, or (weaker) oddities that did not suffice.
        ...(reasons.length ? (strong ? { middlebox_reasons: reasons } : { rst_oddities: reasons }) : {}),
      },
    ));
  }

  /**
   * The RST `last` again: `tcpdump -i any` on a host that forwards the connection (a Kubernetes node, a router)
   * captures each packet on the way in and on the way out (TTL one lower), and a closed port answers two
   * segments with the same acknowledgement with the same RST. Either way, not a second reset: it is reported
   * (every RST tshark lists is an event) without a cause, pointing at the first.
   */
  private onRepeatedRst(f: Flow, ep: Endpoint, peer: Endpoint, pkt: RawPacket, ip: IpValue, t: L4Value, last: NonNullable<Endpoint['lastRst']>, byOrig: boolean,
    captured: number, len: number): void {
    f.rstRepeats++;
    this.emit(makeEvent(
      { time: isoTimeFast(pkt.tsUs, pkt.digits, pkt.nanos), ts_us: pkt.tsUs, source: this.ctx.source, frame: pkt.frame, kind: 'tcp.rst', cause: null, src: ep.text, dst: peer.text, upstream: f.resp.text,
        summary: `the RST of frame ${last.frame} again (the same packet captured on two interfaces, e.g. tcpdump -i any on a host that forwards it, or a repeat): not a second reset` },
      {
        phase: last.phase, rst_by: byOrig ? 'originator' : 'responder', flow: f.uid, in_reply_to_syn: false, after_fin: ep.finCnt > 0 || peer.finCnt > 0, first_rst: false,
        repeat_of: last.frame, ttl: ip.ttl, ip_id: ip.id, seq: t.seq, ack: t.ack, ack_flag: (t.flags & ACK) !== 0, window: t.window, flags: t.flags,
        payload_len: len, payload_captured: captured,
      },
    ));
  }

  // ---------------------------------------------------------------- ICMP

  /** An ICMP/ICMPv6 destination unreachable quoting a TCP header (quoted ports from the 8 quoted bytes). */
  icmpUnreachable(pkt: RawPacket, ip: IpValue, icmp: L4Value, quoted: IpValue, qsport: number, qdport: number, qseq: number): void {
    if (pkt.tsUs > this.nowUs) this.nowUs = pkt.tsUs;
    const f = this.find(pkt.buf, quoted, qsport, qdport);
    const portUnreach = isPortUnreachable(icmp);
    const cause: Cause = portUnreach ? 'refused' : 'unreachable';
    const name = unreachableName(icmp);
    const from = ip.version === 4 ? ipv4Text(ip.src4) : ipv6Text(ip.src6);
    const to = ip.version === 4 ? ipv4Text(ip.dst4) : ipv6Text(ip.dst6);
    const qsrc = endpointText(quoted.version, quoted.src4, quoted.src6, qsport);
    const qdst = endpointText(quoted.version, quoted.dst4, quoted.dst6, qdport);
    if (f && f.icmp === null) f.icmp = { frame: pkt.frame, cause, name, from };
    this.emit(makeEvent(
      { time: isoTimeFast(pkt.tsUs, pkt.digits, pkt.nanos), ts_us: pkt.tsUs, source: this.ctx.source, frame: pkt.frame, kind: 'icmp.unreachable', cause, src: from, dst: to, upstream: f ? f.resp.text : qdst,
        summary: `${from} reports ${qdst} unreachable (${name}) for the connection from ${qsrc}` },
      { icmp_type: icmp.icmpType, icmp_code: icmp.icmpCode, code_name: name, quoted_src: qsrc, quoted_dst: qdst, quoted_seq: qseq, flow: f ? f.uid : null, ttl: ip.ttl },
    ));
  }

  // ---------------------------------------------------------------- ending flows

  /** `pkt`, not its time: a time passed as an argument is boxed into a new heap number per packet. */
  private housekeeping(pkt: RawPacket): void {
    const ts = pkt.tsUs;
    // Closed flows linger (Zeek's tcp_close_delay) so trailing RSTs/FINs land in the same flow.
    while (this.closingHead < this.closing.length) {
      const f = this.closing[this.closingHead]!;
      if (!f.finalized && ts - f.closedAtUs < CAPTURE_LIMITS.FLOW_CLOSE_LINGER_US) break;
      this.closing[this.closingHead++] = null;
      if (!f.finalized) this.finalize(f, false);
    }
    if (this.closingHead > 4096 && this.closingHead * 2 > this.closing.length) {
      this.closing.splice(0, this.closingHead);
      this.closingHead = 0;
    }
    if (this.nextSweepUs < 0) this.nextSweepUs = ts + CAPTURE_LIMITS.FLOW_SWEEP_INTERVAL_US;
    else if (ts >= this.nextSweepUs) {
      this.nextSweepUs = ts + CAPTURE_LIMITS.FLOW_SWEEP_INTERVAL_US;
      for (const f of this.flowsByLastSeen((f) => ts - f.lastUs > LIMITS.FLOW_IDLE_US)) this.finalize(f, true);
    }
  }

  /** The open flows (those `keep` accepts), oldest first whatever the hash order: events come out in time order, the same every run. */
  private flowsByLastSeen(keep?: (f: Flow) => boolean): Flow[] {
    const out: Flow[] = [];
    for (const table of [this.v4, this.v6]) {
      for (const head of table.values()) for (let f: Flow | null = head; f; f = f.chain) if (!keep || keep(f)) out.push(f);
    }
    return out.sort(byLastSeen);
  }

  private evictIdlest(pkt: RawPacket): void {
    const all = this.flowsByLastSeen();
    const n = Math.ceil(LIMITS.MAX_FLOWS / 10);
    const ev = this.ctx.anomaly('flow_limit', { frame: pkt.frame, offset: pkt.offset },
      `more than LIMITS.MAX_FLOWS=${LIMITS.MAX_FLOWS} TCP flows open: finalized the ${n} idlest early`, { evicted: n });
    if (ev) this.emit(ev);
    for (let i = 0; i < n && i < all.length; i++) this.finalize(all[i]!, true);
  }

  /** The packet buffers passed to tcp() so far are about to be reused: the sink copies what it still holds. */
  settle(): void {
    this.sink.settle?.();
  }

  /** End of input: finalize every open flow. */
  end(): void {
    for (const f of this.flowsByLastSeen()) this.finalize(f, false);
  }

  private finalize(f: Flow, evicted: boolean): void {
    if (f.finalized) return;
    f.finalized = true;
    this.remove(f);
    if (evicted) this.flowsEvicted++;
    const sinkEvents = this.sink.flowEnd(f.uid, f.lastUs);
    if (sinkEvents) for (const e of sinkEvents) this.emit(e);

    const state = connState(f);
    let cause: Cause | null = null;
    let why = '';
    if (f.middlebox !== null) {
      cause = 'middlebox_reset';
      why = f.middlebox;
    } else if (f.firstRst !== null && f.firstRst.cause !== 'unknown') {
      cause = f.firstRst.cause;
      why = `first RST by the ${f.firstRst.byOrig ? 'originator' : 'responder'} in frame ${f.firstRst.frame} (${f.firstRst.phase})`;
    } else if (f.icmp !== null) {
      cause = f.icmp.cause;
      why = `ICMP ${f.icmp.name} from ${f.icmp.from} in frame ${f.icmp.frame}`;
    } else if (state === 'S0') {
      const waited = Math.max(this.nowUs, f.lastUs) - f.startUs;
      if (f.synCount > 1 || waited >= SYN_TIMEOUT_MIN_US || evicted) {
        cause = 'connect_timeout';
        why = `${f.synCount} SYN(s), no answer`;
      } else {
        cause = 'unknown';
        why = 'one SYN at the end of the capture: cannot tell a timeout from a capture cut short';
      }
    }
    if (cause === null && !this.opts.allFlows && !this.opts.onFlow) {
      // `analyze`: a flow that did not fail makes no event (nothing to format).
      this.ctx.stats.ok++;
      return;
    }
    const time = isoTimeFast(f.lastUs, f.digits, f.lastNanos);
    const s = this.summary(f, state, time);
    if (state === 'S0' && cause === 'connect_timeout') {
      this.emit(makeEvent(
        { time, ts_us: f.lastUs, source: this.ctx.source, frame: f.lastFrame, kind: 'tcp.syn_timeout', cause, src: f.orig.text, dst: f.resp.text, upstream: f.resp.text,
          summary: `${f.orig.text} sent ${f.synCount} SYN(s) to ${f.resp.text} over ${((f.lastUs - f.startUs) / 1e6).toFixed(3)}s with no answer` },
        { flow: f.uid, syns: f.synCount, retransmissions: Math.max(0, f.synCount - 1), syn_times: (f.synTimes ?? []).map((u) => isoTime(u, f.digits)), first_frame: f.firstFrame },
      ));
    }
    const summary = `${f.orig.text} -> ${f.resp.text} ${state} ${s.history}${why ? `: ${why}` : ''}`;
    const ev = this.opts.onFlow
      ? makeEvent(
        { time, ts_us: f.lastUs, source: this.ctx.source, frame: f.lastFrame, kind: 'tcp.flow', cause, src: f.orig.text, dst: f.resp.text, upstream: f.resp.text, summary },
        why || evicted ? withReason(s, why, evicted, true) : (s as unknown as Record<string, unknown>),
      )
      : flowEvent(time, f.lastUs, this.ctx.source, f.lastFrame, cause, f.orig.text, f.resp.text, summary, s, why, evicted);
    this.opts.onFlow?.(s, ev);
    if (cause === null && !this.opts.allFlows) {
      this.ctx.stats.ok++;
      return;
    }
    this.emit(ev);
  }

  /** `time`: the flow's last packet formatted (isoTimeFast(f.lastUs, f.digits, f.lastNanos)), reused as `end`. */
  private summary(f: Flow, state: string, time: string): FlowSummary {
    const o = f.orig, r = f.resp;
    const ob = o.seqInit ? o.size() : 0, rb = r.seqInit ? r.size() : 0;
    const fr = f.firstRst;
    return {
      uid: f.uid, orig: o.text, resp: r.text, conn_state: state, history: f.history,
      orig_pkts: o.pkts, resp_pkts: r.pkts, orig_bytes: ob, resp_bytes: rb, orig_ip_bytes: o.ipBytes, resp_ip_bytes: r.ipBytes,
      packets: f.packets, bytes: ob + rb,
      start: isoTimeFast(f.startUs, f.digits, f.startNanos), end: time, duration_us: f.lastUs - f.startUs,
      first_frame: f.firstFrame, last_frame: f.lastFrame, direction: f.directionReason,
      first_rst_by: fr ? (fr.byOrig ? 'originator' : 'responder') : null, first_rst_frame: fr ? fr.frame : null,
      both_reset: f.rstFromOrig > 0 && f.rstFromResp > 0,
      orig_fin_frame: o.finFrame >= 0 ? o.finFrame : null,
      orig_fin_us: o.finFrame >= 0 ? o.finUs : null,
      orig_fin_time: o.finFrame >= 0 ? isoTimeFast(o.finUs, o.finDigits, o.finNanos) : null,
      resp_fin_frame: r.finFrame >= 0 ? r.finFrame : null,
      resp_fin_us: r.finFrame >= 0 ? r.finUs : null,
      resp_fin_time: r.finFrame >= 0 ? isoTimeFast(r.finUs, r.finDigits, r.finNanos) : null,
    };
  }
}
