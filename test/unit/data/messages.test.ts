/**
 * Messages for inputs whose first complaint used to mislead: a `.gz` that is not gzip, a PNG cut
 * short, a JSONL number out of range, a JSONL without a text field (the option's CLI name).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { readDataset } from '../../../server/engine/data/dataset';
import { decodeImage } from '../../../server/engine/data/images';
import { readVectorDataset } from '../../../server/engine/data/vectorDataset';
import { ParseError } from '../../../server/engine/data/records';
import { fixture, tempDir } from './helpers';

const parseError = (file: string, pattern: RegExp) => (err: unknown) => err instanceof ParseError && err.file === file && pattern.test(err.reason);

void test('a file named .gz that is neither gzip nor the text its name promises says so (not "sequence line before any \'>\' header")', async () => {
  const t = tempDir();
  try {
    const zip = t.write('reads.fasta.gz', Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(60, 7)]));
    await assert.rejects(readDataset(zip), parseError(zip, /^not gzip data although the name ends in \.gz \(it starts with bytes 50 4b 03 04, not 1f 8b\)/));
    // Plain FASTA named .gz is still read (the content decides).
    const plain = t.write('plain.fasta.gz', '>a\nACGT\n');
    assert.equal((await readDataset(plain)).records.length, 1);
  } finally {
    t.cleanup();
  }
});

void test('a truncated PNG says "truncated PNG", with the file and where it ends', async () => {
  const t = tempDir();
  try {
    const whole = readFileSync(fixture('images', 'fashion', 'bag', '00023.png'));
    for (const cut of [whole.length - 12, Math.floor(whole.length / 2), 40]) {
      const file = t.write(`cut-${cut}.png`, whole.subarray(0, cut));
      await assert.rejects(decodeImage(file), parseError(file, new RegExp(`^truncated PNG: the file ends after ${cut} bytes`)));
    }
    assert.ok((await decodeImage(fixture('images', 'fashion', 'bag', '00023.png'))).width > 0);
  } finally {
    t.cleanup();
  }
});

void test('a JSONL vector element of 1e400 is "out of range" (not "null")', async () => {
  const t = tempDir();
  try {
    const file = t.write('v.jsonl', '{"vector":[1,2]}\n{"vector":[1e400,2]}\n');
    await assert.rejects(readVectorDataset(file, { badRecords: 'fail' }), (err: unknown) => err instanceof Error && /element 0 is out of range/.test(err.message) && !/null/.test(err.message));
  } finally {
    t.cleanup();
  }
});

void test('a JSONL without a text field names the --text-field option', async () => {
  const t = tempDir();
  try {
    const file = t.write('t.jsonl', '{"body":"hello"}\n');
    await assert.rejects(readDataset(file), (err: unknown) => err instanceof Error && /--text-field NAME/.test(err.message));
  } finally {
    t.cleanup();
  }
});

void test('fuzz regression: an image header claiming 70000×70000 pixels in a small file is a ParseError, not a RangeError from allocating them', async () => {
  const t = tempDir();
  try {
    const png = Buffer.from(readFileSync(fixture('images', 'fashion', 'bag', '00023.png')));
    png.writeUInt32BE(70_000, 16); // IHDR width
    png.writeUInt32BE(70_000, 20); // IHDR height
    const file = t.write('huge.png', png);
    await assert.rejects(readVectorDataset(file), parseError(file, /header says 70000×70000 pixels, more than 16384 pixels per byte/));
  } finally {
    t.cleanup();
  }
});
