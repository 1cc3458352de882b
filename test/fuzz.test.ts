// A short run of the binding fuzzer (scripts/fuzz.js; the long run is `node scripts/fuzz.js --calls 1000000`).
// Seeded (seeds whose short run reaches every kind of call), so a failure here reproduces with
// `node scripts/fuzz.js --calls <N> --seed <seed> --trace`.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import native from '../lib/native';

interface FuzzResult {
  stats: Record<string, number>;
  failures: string[];
  knownBugs: Record<string, number>;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { runFuzz } = require('../scripts/fuzz.js') as {
  runFuzz: (
    binding: typeof native,
    options: { calls: number; seed: number; strict?: boolean; race?: boolean },
  ) => FuzzResult & { race: { returned: number; refused: number } };
};

/** Defects already reported (see the bad-input test's knownBug rows); anything else fails. */
const KNOWN_BUGS = new Set<string>([]); // none open

for (const seed of [20240501, 9]) {
  test(`fuzz: 2500 random calls (seed ${seed}) return right results or throw TypeError/RangeError, writing nothing`, () => {
    const result = runFuzz(native, { calls: 2500, seed, race: true });
    assert.equal(result.failures, [], `failures (reproduce: node scripts/fuzz.js --calls 2500 --seed ${seed})`);
    // the run did exercise both sides: valid calls checked against the reference, invalid calls refused
    assert.is(result.stats.calls, 2500);
    assert.ok(result.stats.checked > 500, `${result.stats.checked} results checked against the reference`);
    assert.ok(result.stats.TypeError > 200 && result.stats.RangeError > 100, 'both error classes seen');
    assert.ok(result.stats.tooLarge > 5, `${result.stats.tooLarge} sizes beyond 2^53 refused`);
    assert.ok(result.stats.networks > 20, 'networks built');
    assert.ok(
      result.stats.networksChecked > 50,
      `${result.stats.networksChecked} network steps checked against the reference`,
    );
    assert.ok(result.stats.detached > 2, 'buffers detached under live networks');
    // calls with inputs on a SharedArrayBuffer that a worker thread rewrites: no crash, only these two outcomes
    assert.ok(result.stats.raced > 100, `${result.stats.raced} raced calls`);
    assert.is(result.race.returned + result.race.refused, result.stats.raced);
    for (const bug of Object.keys(result.knownBugs))
      assert.ok(KNOWN_BUGS.has(bug), `unexpected known-bug class ${bug}`);
  });
}

test('fuzz: the same seed makes the same calls', () => {
  const a = runFuzz(native, { calls: 300, seed: 99, race: true });
  const b = runFuzz(native, { calls: 300, seed: 99, race: true });
  assert.equal(a.stats, b.stats);
});

test.run();
