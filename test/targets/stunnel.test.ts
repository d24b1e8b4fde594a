import { describeServer } from './harness.js';

// Real stunnel process, real handshakes: see harness.ts for what is proven.
describeServer('stunnel');
