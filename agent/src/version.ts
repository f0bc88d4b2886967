/** The agent's version, sent with every heartbeat and answered to `ping`; kept in its own file so commands can import it. */
export const AGENT_VERSION = '0.1.0';
