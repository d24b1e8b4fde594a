import { describeServer } from './harness.js';

// Real nginx process, real handshakes: see harness.ts for what is proven.
describeServer('nginx');
