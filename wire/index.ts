/**
 * The wire-level TLS 1.2/1.3 client: scripted conversations that can alter or omit any client handshake message,
 * observed step by step. Depends only on core/ and node built-ins.
 */
import { MUTATION_NAMES } from './mutations.js';

/** Names of the supported mutations (see ./mutations.ts for what each does and which versions it applies to). */
export const WIRE_MUTATIONS: readonly string[] = MUTATION_NAMES;

export {
  wireProbe,
  stepForAlert,
  type WireProbeOptions,
  type WireResult,
  type WireCertificateRequest,
  type WireLateIdentity,
  type WirePostHandshakeAuthOptions,
  type WirePostHandshakeAuthResult,
  type WirePostHandshakeAuthExchange,
  type WireRenegotiationOptions,
  type WireRenegotiationResult,
} from './probe.js';
export type { TranscriptEntry, TranscriptPhase } from './session.js';
export { schemeCode, schemeName } from './constants.js';
export type { Tls13Ticket } from './tls13.js';
export { isTls12Session, type Tls12Session, type Tls12ResumptionOffer } from './tls12.js';
export { MUTATIONS, findMutation, conversationFor, type Mutation, type MutationFamily } from './mutations.js';
export type { ClientFault, RenegotiationAnswer, RenegotiationInfoChoice, SentMessage } from './flight.js';
export {
  defaultConversation,
  postHandshakeAuthConversation,
  renegotiationConversation,
  type Step,
  type ClientMessage,
  type ServerMilestone,
  type CertificateAlteration,
  type CertificateVerifyAlteration,
} from './conversation.js';
