/**
 * Imports every procedure module, each of which registers itself (engine/procedures/index.ts). The runner imports
 * this file, so a scenario can name any of them.
 */
import './certificate-request.js';
import './post-handshake.js';
import './proxy-identity.js';
import './resume.js';
