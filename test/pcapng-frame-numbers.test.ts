// Frame numbers are the ones Wireshark shows: TShark lists a pcapng's custom blocks as frames of their own, so
// the packets after one are numbered past it. The truth is tshark's own listing of three corpus captures with
// custom blocks (test/fixtures/pcapng-custom-block-frames.json, made with the command it names).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ByteQueue } from '../src/capture/byte-queue.js';
import { PcapngReader } from '../src/capture/pcapng-reader.js';
import { newRawPacket, READ } from '../src/capture/raw-packet.js';
import { CORPUS, REPO } from './helpers.js';

const truth = JSON.parse(fs.readFileSync(path.join(REPO, 'test/fixtures/pcapng-custom-block-frames.json'), 'utf8')) as { files: Record<string, [number, string][]> };

for (const [file, frames] of Object.entries(truth.files)) {
  test(`${file}: packet frame numbers as tshark shows them (custom blocks take numbers too)`, () => {
    const q = new ByteQueue();
    q.push(fs.readFileSync(path.join(CORPUS, 'pcap', file)));
    const r = new PcapngReader();
    const pkt = newRawPacket();
    const ours: number[] = [];
    for (;;) {
      const x = r.next(q, pkt);
      if (x === READ.AGAIN) continue;
      if (x !== READ.PACKET) break;
      ours.push(pkt.frame);
    }
    const packets = frames.filter(([, protocols]) => protocols !== 'data').map(([n]) => n);
    assert.ok(frames.length > packets.length, 'the capture has custom blocks');
    assert.deepEqual(ours, packets);
  });
}
