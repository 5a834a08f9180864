// Frame numbers are the ones Wireshark shows: TShark lists a pcapng's custom blocks as frames of their own, so
// the packets after one are numbered past it. The truth is tshark's own listing of three corpus captures with
// custom blocks (test/fixtures/pcapng-custom-block-frames.json, made with the command it names).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { PcapngReader } from '../src/capture/pcapng-reader.js';
import { CORPUS, REPO } from './helpers.js';
import { readerPackets } from './pcap-helpers.js';

const truth = JSON.parse(fs.readFileSync(path.join(REPO, 'test/fixtures/pcapng-custom-block-frames.json'), 'utf8')) as { files: Record<string, [number, string][]> };

for (const [file, frames] of Object.entries(truth.files)) {
  test(`${file}: packet frame numbers as tshark shows them (custom blocks take numbers too)`, () => {
    const ours = readerPackets(new PcapngReader(), fs.readFileSync(path.join(CORPUS, 'pcap', file))).map((p) => p.frame);
    const packets = frames.filter(([, protocols]) => protocols !== 'data').map(([n]) => n);
    assert.ok(frames.length > packets.length, 'the capture has custom blocks');
    assert.deepEqual(ours, packets);
  });
}
