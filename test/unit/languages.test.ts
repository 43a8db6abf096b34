/**
 * FASTA and FASTQ open as their own languages (issue 14, item 9b): the manifest contributes the
 * language ids and a grammar for each, the grammars exist, are JSON, mark header lines, and are
 * shipped in the VSIX (.vscodeignore lets them through).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

const ROOT = path.resolve(__dirname, '../..');
const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  contributes: { languages: { id: string; extensions: string[] }[]; grammars: { language: string; scopeName: string; path: string }[] };
};

interface Rule {
  match?: string;
  begin?: string;
  end?: string;
  name?: string;
}

function grammarOf(language: string): { scopeName: string; patterns: Rule[]; file: string } {
  const entry = manifest.contributes.grammars.find((g) => g.language === language);
  assert.ok(entry, `a grammar for ${language}`);
  const grammar = JSON.parse(readFileSync(path.join(ROOT, entry.path), 'utf8')) as { scopeName: string; patterns: Rule[] };
  assert.equal(grammar.scopeName, entry.scopeName);
  return { ...grammar, file: entry.path };
}

void test('fasta and fastq are contributed languages with the dataset extensions', () => {
  const byId = new Map(manifest.contributes.languages.map((l) => [l.id, l.extensions]));
  assert.deepEqual(byId.get('fasta'), ['.fa', '.fasta', '.fna', '.ffn', '.faa', '.frn', '.fas']);
  assert.deepEqual(byId.get('fastq'), ['.fq', '.fastq']);
});

void test('the grammars mark header lines and nothing else', () => {
  const fastaHeader = grammarOf('fasta').patterns.find((p) => p.name?.startsWith('markup.heading'));
  assert.ok(fastaHeader?.match);
  const re = new RegExp(fastaHeader.match);
  assert.deepEqual(re.exec('>r1 Bacteria;Firmicutes')?.slice(1), ['>', 'r1', ' Bacteria;Firmicutes']);
  assert.equal(re.exec('ACGTNNACGT'), null);
  const fastq = grammarOf('fastq').patterns;
  const header = fastq.find((p) => p.name?.startsWith('markup.heading'));
  assert.ok(header?.match && new RegExp(header.match).test('@read1 1:N:0'));
  // The quality line after '+' is taken by the separator rule, which comes first.
  const separator = fastq[0]!;
  assert.ok(separator.begin && new RegExp(separator.begin).test('+') && separator.end === '^.*$');
});

void test('the VSIX ships the grammars', () => {
  const ignore = readFileSync(path.join(ROOT, '.vscodeignore'), 'utf8').split('\n');
  for (const g of manifest.contributes.grammars) {
    const rel = path.posix.normalize(g.path);
    assert.ok(ignore.some((l) => l.startsWith('!') && path.matchesGlob(rel, l.slice(1))), `${rel} is let through .vscodeignore`);
  }
});
