export { ApiServer, type StartedServer } from "./api-server.js";
export {
  type Block,
  type BlockingController,
  type BlockingGate,
  type BlockRequest,
  type BlockTarget,
  blockingAllowed,
} from "./blocking.js";
export { ADMIN_USER, type CredentialOutcome } from "./security/admin-credential.js";
export type { ApiServerOptions, ComponentHealth } from "./server-options.js";
