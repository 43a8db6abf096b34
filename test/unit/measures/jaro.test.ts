import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { jaro, jaroWinkler, MeasureError } from '../../../server/engine/measures';
import { ASTRAL, close, DNA, str } from './arbitraries';
import { refJaro, refJaroWinkler } from './reference';

const round4 = (x: number): number => Math.round(x * 1e4) / 1e4;

void describe('jaro / jaroWinkler', () => {
  void it('hand-checked examples (Winkler 1990 and the usual textbook pairs)', () => {
    assert.equal(round4(jaro('MARTHA', 'MARHTA')), 0.9444);
    assert.equal(round4(jaroWinkler('MARTHA', 'MARHTA')), 0.9611);
    assert.equal(round4(jaro('DWAYNE', 'DUANE')), 0.8222);
    assert.equal(round4(jaroWinkler('DWAYNE', 'DUANE')), 0.84);
    assert.equal(round4(jaro('DIXON', 'DICKSONX')), 0.7667);
    assert.equal(round4(jaroWinkler('DIXON', 'DICKSONX')), 0.8133);
    assert.equal(jaro('', ''), 1);
    assert.equal(jaro('abc', ''), 0);
    assert.equal(jaro('abc', 'xyz'), 0);
    assert.equal(jaro('same', 'same'), 1);
    assert.equal(jaroWinkler('same', 'same'), 1);
    // Code points: one symbol each.
    assert.equal(jaro('😀𝔸', '😀𝔸'), 1);
    assert.equal(round4(jaro('a😀b', 'ab')), round4(jaro('acb', 'ab')));
  });

  void it('applies the prefix boost only above the threshold, with the given options', () => {
    const j = jaro('abcxyz', 'abcuvw');
    assert.equal(jaroWinkler('abcxyz', 'abcuvw', { boostThreshold: 0.99 }), j);
    assert.equal(jaroWinkler('abcxyz', 'abcuvw', { boostThreshold: j }), j); // strictly above only
    assert.ok(close(jaroWinkler('abcxyz', 'abcuvw', { boostThreshold: 0 }), j + 3 * 0.1 * (1 - j)));
    assert.ok(close(jaroWinkler('abcdxyz', 'abcduvw', { boostThreshold: 0, maxPrefix: 2, prefixScale: 0.2 }), jaro('abcdxyz', 'abcduvw') + 2 * 0.2 * (1 - jaro('abcdxyz', 'abcduvw'))));
    assert.throws(() => jaroWinkler('a', 'b', { prefixScale: 0.3 }), MeasureError); // 0.3 · 4 > 1
    assert.throws(() => jaroWinkler('a', 'b', { maxPrefix: -1 }), MeasureError);
  });

  void it('matches the textbook definition on random strings', () => {
    const s = fc.oneof(str(DNA, 0, 40), str(ASTRAL, 0, 40), str('binary', 0, 12));
    fc.assert(
      fc.property(s, s, (a, b) => {
        const j = jaro(a, b);
        assert.ok(close(j, refJaro(a, b), 1e-12, 1e-12), `jaro ${j} vs ${refJaro(a, b)}`);
        assert.ok(close(jaroWinkler(a, b), refJaroWinkler(a, b), 1e-12, 1e-12));
        assert.ok(j >= 0 && j <= 1);
        assert.ok(jaroWinkler(a, b) >= j && jaroWinkler(a, b) <= 1);
        assert.ok(close(j, jaro(b, a), 1e-12, 1e-12));
      }),
      { seed: 42, numRuns: 3000 },
    );
  });

  void it('matches the reference on long DNA', () => {
    fc.assert(
      fc.property(str(DNA, 500, 3000), str(DNA, 500, 3000), (a, b) => {
        assert.ok(close(jaro(a, b), refJaro(a, b), 1e-12, 1e-12));
      }),
      { seed: 42, numRuns: 20, endOnFailure: true },
    );
  });
});
