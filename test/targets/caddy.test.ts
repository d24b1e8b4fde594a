import { describeServer } from './harness.js';

// Real caddy process, real handshakes: see harness.ts for what is proven.
describeServer('caddy');
