import { describeServer } from './harness.js';

// Real openssl-s-server process, real handshakes: see harness.ts for what is proven.
describeServer('openssl-s-server');
