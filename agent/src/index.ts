/** The RMM agent (`vigie-agent enroll | run`) is built in the RMM issue; this package holds its place. */
export const AGENT_VERSION = '0.1.0';
