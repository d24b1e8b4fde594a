import { describeServer } from './harness.js';

// Real apache process, real handshakes: see harness.ts for what is proven.
describeServer('apache');
