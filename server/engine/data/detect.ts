/**
 * Which reader a file needs. The extension decides when it is known (with or without `.gz`):
 *   .fa .fasta .fna .fsa .ffn .fas → fasta;  .fq .fastq → fastq;  .txt → text;  .jsonl .ndjson → jsonl.
 * Otherwise the content decides, from the first bytes (gunzipped first when they are gzip):
 * the first non-blank character '>' → fasta, '@' → fastq, '{' → jsonl, anything else → text.
 * A known extension wins over the content so that a mislabelled file fails loudly, with the
 * reader's own message at the offending line, rather than being read as something else.
 */
import { open } from 'node:fs/promises';
import { constants, gunzipSync } from 'node:zlib';
import { isGzipMagic } from './lines';

export type DataFormat = 'fasta' | 'fastq' | 'text' | 'jsonl';

const BY_EXTENSION: Record<string, DataFormat> = {
  fa: 'fasta',
  fasta: 'fasta',
  fna: 'fasta',
  fsa: 'fasta',
  ffn: 'fasta',
  fas: 'fasta',
  fq: 'fastq',
  fastq: 'fastq',
  txt: 'text',
  jsonl: 'jsonl',
  ndjson: 'jsonl',
};

/** The format an extension names (`.gz` looked through), or undefined. */
export function formatFromExtension(path: string): DataFormat | undefined {
  const base = path.replace(/^.*[\\/]/, '').toLowerCase();
  const parts = base.split('.');
  if (parts.length < 2) return undefined;
  let ext = parts[parts.length - 1]!;
  if (ext === 'gz' && parts.length >= 3) ext = parts[parts.length - 2]!;
  return BY_EXTENSION[ext];
}

/** The format the first bytes of a file look like (gzip is looked through; a partial gzip stream is fine). */
export function formatFromContent(firstBytes: Uint8Array): DataFormat {
  let bytes = firstBytes;
  if (isGzipMagic(bytes)) {
    try {
      bytes = gunzipSync(bytes, { finishFlush: constants.Z_SYNC_FLUSH });
    } catch {
      return 'text';
    }
  }
  let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0a || bytes[i] === 0x0d)) i++;
  switch (bytes[i]) {
    case 0x3e:
      return 'fasta';
    case 0x40:
      return 'fastq';
    case 0x7b:
      return 'jsonl';
    default:
      return 'text';
  }
}

/** Extension first, else content sniffing. */
export function detectFormat(path: string, firstBytes: Uint8Array): DataFormat {
  return formatFromExtension(path) ?? formatFromContent(firstBytes);
}

/** The first `n` bytes of a file (fewer for a short file). */
export async function readFirstBytes(path: string, n = 4096): Promise<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    const buffer = new Uint8Array(n);
    const { bytesRead } = await handle.read(buffer, 0, n, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** The format of a file on disk; reads its first bytes only when the extension does not say. */
export async function detectFileFormat(path: string): Promise<DataFormat> {
  return formatFromExtension(path) ?? formatFromContent(await readFirstBytes(path));
}
