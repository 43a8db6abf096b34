/**
 * Plain textbook implementations, written for clarity not speed: the yardsticks the fast
 * measures are checked against. Strings are split with Array.from (code points).
 */

export type Seq = string | ArrayLike<number>;

export function syms(s: Seq): (string | number)[] {
  return typeof s === 'string' ? Array.from(s) : Array.from(s);
}

/** Wagner–Fischer O(nm) dynamic programming (two rows). */
export function refLevenshtein(sa: Seq, sb: Seq): number {
  const a = syms(sa);
  const b = syms(sb);
  let prev: number[] = [];
  for (let j = 0; j <= b.length; j++) prev.push(j);
  for (let i = 1; i <= a.length; i++) {
    const cur: number[] = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur.push(Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost));
    }
    prev = cur;
  }
  return prev[b.length];
}

/** Optimal string alignment: Levenshtein plus adjacent transpositions, no substring edited twice. */
export function refOSA(sa: Seq, sb: Seq): number {
  const a = syms(sa);
  const b = syms(sb);
  const d: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    d.push(new Array<number>(b.length + 1).fill(0));
    d[i][0] = i;
  }
  for (let j = 0; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

/**
 * Unrestricted Damerau–Levenshtein, by brute force over the definition: the shortest path in
 * the graph of strings where each edge is one insertion, deletion, substitution or adjacent
 * transposition (breadth-first search). Independent of the Lowrance–Wagner recurrence, so only
 * for short strings over small alphabets.
 */
export function refDamerauBfs(sa: Seq, sb: Seq): number {
  const a = syms(sa).map(String);
  const b = syms(sb).map(String);
  const alphabet = [...new Set([...a, ...b])];
  const key = (s: string[]): string => s.join('\u0000');
  const target = key(b);
  // Any optimal edit sequence never needs strings longer than max(|a|, |b|) + 1... bounded by the
  // Levenshtein distance anyway, so cap the search depth there.
  const maxDepth = refLevenshtein(sa, sb);
  let frontier: string[][] = [a];
  const seen = new Set<string>([key(a)]);
  for (let depth = 0; depth <= maxDepth; depth++) {
    const next: string[][] = [];
    for (const s of frontier) {
      if (key(s) === target) return depth;
      const cands: string[][] = [];
      for (let i = 0; i <= s.length; i++) {
        for (const c of alphabet) cands.push([...s.slice(0, i), c, ...s.slice(i)]);
      }
      for (let i = 0; i < s.length; i++) {
        cands.push([...s.slice(0, i), ...s.slice(i + 1)]);
        for (const c of alphabet) if (c !== s[i]) cands.push([...s.slice(0, i), c, ...s.slice(i + 1)]);
        if (i + 1 < s.length) cands.push([...s.slice(0, i), s[i + 1], s[i], ...s.slice(i + 2)]);
      }
      for (const c of cands) {
        if (c.length > Math.max(a.length, b.length) + 1) continue;
        const k = key(c);
        if (!seen.has(k)) {
          seen.add(k);
          next.push(c);
        }
      }
    }
    frontier = next;
  }
  return maxDepth;
}

/** Unrestricted Damerau–Levenshtein by the textbook Lowrance–Wagner DP with a full table. */
export function refDamerau(sa: Seq, sb: Seq): number {
  const a = syms(sa);
  const b = syms(sb);
  const inf = a.length + b.length;
  const da = new Map<string | number, number>();
  const d: number[][] = [];
  for (let i = 0; i <= a.length + 1; i++) d.push(new Array<number>(b.length + 2).fill(0));
  d[0][0] = inf;
  for (let i = 0; i <= a.length; i++) {
    d[i + 1][0] = inf;
    d[i + 1][1] = i;
  }
  for (let j = 0; j <= b.length; j++) {
    d[0][j + 1] = inf;
    d[1][j + 1] = j;
  }
  for (let i = 1; i <= a.length; i++) {
    let db = 0;
    for (let j = 1; j <= b.length; j++) {
      const i1 = da.get(b[j - 1]) ?? 0;
      const j1 = db;
      let cost = 1;
      if (a[i - 1] === b[j - 1]) {
        cost = 0;
        db = j;
      }
      d[i + 1][j + 1] = Math.min(
        d[i][j] + cost,
        d[i + 1][j] + 1,
        d[i][j + 1] + 1,
        d[i1][j1] + (i - i1 - 1) + 1 + (j - j1 - 1),
      );
    }
    da.set(a[i - 1], i);
  }
  return d[a.length + 1][b.length + 1];
}

export function refHamming(sa: Seq, sb: Seq): number {
  const a = syms(sa);
  const b = syms(sb);
  if (a.length !== b.length) throw new Error('lengths differ');
  let d = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) d++;
  return d;
}

/** Jaro similarity as in Jaro (1989) / Winkler (1990), written straight from the definition. */
export function refJaro(sa: Seq, sb: Seq): number {
  const a = syms(sa);
  const b = syms(sb);
  if (a.length === 0 && b.length === 0) return 1;
  if (a.length === 0 || b.length === 0) return 0;
  const window = Math.max(0, Math.floor(Math.max(a.length, b.length) / 2) - 1);
  const aMatched = new Array<boolean>(a.length).fill(false);
  const bMatched = new Array<boolean>(b.length).fill(false);
  let matches = 0;
  for (let i = 0; i < a.length; i++) {
    const lo = Math.max(0, i - window);
    const hi = Math.min(b.length - 1, i + window);
    for (let j = lo; j <= hi; j++) {
      if (!bMatched[j] && a[i] === b[j]) {
        aMatched[i] = true;
        bMatched[j] = true;
        matches++;
        break;
      }
    }
  }
  if (matches === 0) return 0;
  const aSeq = a.filter((_, i) => aMatched[i]);
  const bSeq = b.filter((_, j) => bMatched[j]);
  let half = 0;
  for (let i = 0; i < matches; i++) if (aSeq[i] !== bSeq[i]) half++;
  const t = half / 2;
  return (matches / a.length + matches / b.length + (matches - t) / matches) / 3;
}

export function refJaroWinkler(sa: Seq, sb: Seq, p = 0.1, threshold = 0.7, maxPrefix = 4): number {
  const j = refJaro(sa, sb);
  if (j <= threshold) return j;
  const a = syms(sa);
  const b = syms(sb);
  let l = 0;
  while (l < maxPrefix && l < a.length && l < b.length && a[l] === b[l]) l++;
  return j + l * p * (1 - j);
}

export function refPearson(x: number[], y: number[]): number {
  const n = x.length;
  const mx = x.reduce((s, v) => s + v, 0) / n;
  const my = y.reduce((s, v) => s + v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

/** Average ranks (1-based), ties sharing the mean of the ranks they span, by an O(n²) count. */
export function refRanks(x: number[]): number[] {
  return x.map((v) => {
    let less = 0;
    let equal = 0;
    for (const u of x) {
      if (u < v) less++;
      else if (u === v) equal++;
    }
    return less + (equal + 1) / 2;
  });
}

export function refSpearman(x: number[], y: number[]): number {
  return refPearson(refRanks(x), refRanks(y));
}
