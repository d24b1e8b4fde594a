import { benchFixtures } from './fixtures.js';
import { benchLoad } from './load.js';
import { benchRun } from './run.js';
import { benchWire } from './wire.js';

/** `npm run bench [name…]`: prints figures and ratios against a reference tool measured in the same run. */
const BENCHES: Record<string, () => Promise<void>> = {
  fixtures: benchFixtures,
  run: benchRun,
  load: benchLoad,
  wire: benchWire,
};

const wanted = process.argv.slice(2);
for (const [name, bench] of Object.entries(BENCHES)) {
  if (wanted.length && !wanted.includes(name)) continue;
  await bench();
  console.log('');
}
