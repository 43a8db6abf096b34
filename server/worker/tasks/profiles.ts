/**
 * Task `profiles`: a fixed-length profile per sequence or text record (engine/features/profiles.ts)
 * from the packed symbols in shared memory, plus a short excerpt of each for the map's hover card.
 */
import { PROFILE_DIM, kmerProfile, trigramProfile } from '../../engine/features/profiles';
import { recordCount, symbolsAt, type PackedSymbols } from '../packedSymbols';
import type { TaskContext } from '../taskContext';

export interface ProfilesPayload {
  packed: PackedSymbols;
  /** Characters of each record's excerpt. */
  excerpt: number;
}

export interface ProfilesResult {
  features: Float32Array;
  dim: number;
  excerpts: string[];
}

export function profilesTask({ packed, excerpt }: ProfilesPayload, ctx: TaskContext): ProfilesResult {
  const n = recordCount(packed);
  const features = new Float32Array(n * PROFILE_DIM);
  const excerpts: string[] = [];
  for (let r = 0; r < n; r++) {
    if ((r & 1023) === 0) {
      ctx.throwIfCancelled();
      ctx.progress(r, n);
    }
    const symbols = symbolsAt(packed, r);
    if (packed.kind === 'bytes') kmerProfile(symbols, features, r * PROFILE_DIM);
    else trigramProfile(symbols, features, r * PROFILE_DIM);
    const head = symbols.subarray(0, excerpt);
    const text = packed.kind === 'bytes' ? String.fromCharCode(...head) : String.fromCodePoint(...head);
    excerpts.push(symbols.length > excerpt ? `${text}…` : text);
  }
  ctx.progress(n, n);
  ctx.transferResult(features.buffer as ArrayBuffer);
  return { features, dim: PROFILE_DIM, excerpts };
}
