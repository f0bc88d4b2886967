/**
 * Node options the installed service runs the agent with. The agent mostly sleeps between a few timers, so
 * V8's optimizing tiers and its default young generation only cost memory: measured at idle with
 * `npm run bench rmm-fleet` (phase 5), interpreter-only (--lite-mode) and a 1 MB semi-space take the resident
 * memory from about 110 MB to about 66 MB (55 MB with the server calls on node:http), for under 0.5 % of a core.
 */
export const SERVICE_NODE_OPTIONS: readonly string[] = ['--lite-mode', '--max-semi-space-size=1'];
