/**
 * Renders a comparison as Markdown: what was compared (file, range, length, a preview), a table of
 * measure, value and sense (distance / similarity / correlation), then what each measure is (from
 * the host's `about`). The table is kept narrow and padded so the raw text reads as a table too,
 * and values can be copied straight out.
 */
import type { CompareRequest } from '../server/protocol';

export interface ComparedInput {
  /** Where it came from: "data/a.fasta, lines 3–5" or "data/a.fasta". */
  source: string;
  text: string;
}

const PREVIEW_CHARS = 400;

export function renderComparison(title: string, a: ComparedInput, b: ComparedInput, result: CompareRequest.Result): string {
  const lines: string[] = [`# ${title}`, ''];
  lines.push(
    ...table(
      ['', 'compared', 'length'],
      [
        ['**A**', escapeCell(a.source), describeLength(a.text, result.kind)],
        ['**B**', escapeCell(b.source), describeLength(b.text, result.kind)],
      ],
    ),
  );
  lines.push('', `Compared as **${result.kind === 'vectors' ? 'numeric vectors' : 'text'}**.`, '');

  const rows = Object.entries(result.values).map(([name, value]) => [name, formatValue(value), result.about[name]?.sense ?? '']);
  if (rows.length > 0) lines.push(...table(['measure', 'value', 'sense'], rows, [false, true, false]));
  else lines.push('No measure applies to these inputs.');

  if (result.skipped.length > 0) {
    lines.push('', 'Not computed:', '');
    for (const { measure, reason } of result.skipped) lines.push(`- **${measure}**: ${reason}`);
  }

  const described = Object.keys(result.values).filter((name) => result.about[name]);
  if (described.length > 0) {
    lines.push('', '## The measures', '', 'Distance: 0 = identical, larger = farther. Similarity: larger = closer. Correlation: from −1 to 1.', '');
    for (const name of described) lines.push(`- **${name}**: ${result.about[name]?.description}`);
  }
  lines.push('', '## A', '', ...preview(a.text), '', '## B', '', ...preview(b.text), '');
  return lines.join('\n');
}

/** Up to 6 decimals, trailing zeros trimmed; integers as integers. */
export function formatValue(value: number | null): string {
  // JSON has no NaN/Infinity: a non-finite value arrives as null.
  if (value === null || !Number.isFinite(value)) return String(value ?? 'n/a');
  if (Number.isInteger(value)) return String(value);
  const fixed = value.toFixed(6);
  return /^-?0\.0+$/.test(fixed) ? value.toExponential(5).replace(/\.?0+e/, 'e') : fixed.replace(/\.?0+$/, '');
}

function describeLength(text: string, kind: CompareRequest.Result['kind']): string {
  if (kind === 'vectors') return `${text.split(/[\s,;]+/).filter((t) => t !== '').length} values`;
  const chars = [...text].length;
  // A final newline ends the last line; it does not start another.
  const lineCount = text.replace(/\r?\n$/, '').split('\n').length;
  return `${chars.toLocaleString('en-US')} characters${lineCount > 1 ? `, ${lineCount} lines` : ''}`;
}

function preview(text: string): string[] {
  const shown = text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS)}…` : text;
  // A fence longer than any backtick run inside, so the text cannot close it.
  const longestRun = Math.max(0, ...(shown.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(Math.max(3, longestRun + 1));
  const note = text.length > PREVIEW_CHARS ? [`(first ${PREVIEW_CHARS} of ${text.length.toLocaleString('en-US')} characters)`, ''] : [];
  return [...note, fence + 'text', shown, fence];
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function table(header: string[], rows: string[][], alignRight: boolean[] = []): string[] {
  const widths = header.map((h, i) => Math.max(3, h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (alignRight[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (alignRight[i] ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  return [line(header), rule, ...rows.map(line)];
}
