import { describeServer } from './harness.js';

// Real haproxy process, real handshakes: see harness.ts for what is proven.
describeServer('haproxy');
