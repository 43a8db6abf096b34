/** A FASTA whose headers read as NCBI writes them, made from the real 16S sample (server and webview tests). */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const FIXTURES = path.resolve(__dirname, '../fixtures');

/**
 * The 16S sample's records whose organism (the header's second tab field) is a plain name, each
 * header rewritten as `>id organism`: e.g. `>7000004128491845 Clostridium sp. M62/1`.
 */
export function namedFasta(): { text: string; ids: string[]; organisms: string[] } {
  const records = readFileSync(path.join(FIXTURES, 'dna', '16S-sample.fasta'), 'utf8').split(/(?=^>)/mu);
  const out: string[] = [];
  const ids: string[] = [];
  const organisms: string[] = [];
  for (const r of records) {
    const [header, ...lines] = r.split('\n');
    const [id, organism] = header!.slice(1).split('\t');
    if (!id || !organism || organism.includes(';')) continue;
    ids.push(id);
    organisms.push(organism.trim().replace(/\s+/gu, ' '));
    out.push(`>${id} ${organisms.at(-1)}\n${lines.join('\n')}`);
  }
  return { text: out.join(''), ids, organisms };
}
