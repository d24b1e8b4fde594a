import { describeServer } from './harness.js';

// Real lighttpd process, real handshakes: see harness.ts for what is proven.
describeServer('lighttpd');
